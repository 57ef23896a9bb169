import type { RfmValues, SegmentKey } from './schemas.js';

/**
 * The RFM segment catalogue and the rule that names clusters. A centroid is scored 1–5 on R, F
 * and M against the customer population's quintiles (recency reversed: recent = 5); the pair
 * (R, FM = round((F + M) / 2)) falls in one region of the classic RFM grid below.
 */
export interface SegmentInfo {
  key: SegmentKey;
  name: string;
  description: string;
  action: string;
  /** inclusive ranges of R and FM scores */
  r: [number, number];
  fm: [number, number];
}

export const SEGMENT_CATALOGUE: readonly SegmentInfo[] = [
  {
    key: 'champions',
    name: 'Champions',
    r: [5, 5],
    fm: [4, 5],
    description: 'Bought recently, buy often and spend the most.',
    action: 'Reward them: early access, loyalty perks; ask for reviews and referrals.',
  },
  {
    key: 'loyal_customers',
    name: 'Loyal Customers',
    r: [3, 4],
    fm: [4, 5],
    description: 'Buy regularly and spend well; responsive to promotions.',
    action: 'Upsell higher-value products; enrol them in the loyalty programme.',
  },
  {
    key: 'potential_loyalists',
    name: 'Potential Loyalists',
    r: [4, 5],
    fm: [2, 3],
    description: 'Recent customers with average frequency and spend.',
    action: 'Offer membership or a second-purchase incentive; recommend related products.',
  },
  {
    key: 'new_customers',
    name: 'New Customers',
    r: [5, 5],
    fm: [1, 1],
    description: 'Bought very recently, but only once or twice and not much yet.',
    action: 'Onboard them well: welcome series, quick support, build the relationship.',
  },
  {
    key: 'promising',
    name: 'Promising',
    r: [4, 4],
    fm: [1, 1],
    description: 'Recent shoppers who have not bought much yet.',
    action: 'Create brand awareness; offer free trials or small-basket discounts.',
  },
  {
    key: 'need_attention',
    name: 'Need Attention',
    r: [3, 3],
    fm: [3, 3],
    description: 'Average recency, frequency and spend; may be slipping.',
    action: 'Make limited-time offers based on their purchase history.',
  },
  {
    key: 'about_to_sleep',
    name: 'About to Sleep',
    r: [3, 3],
    fm: [1, 2],
    description: 'Below-average recency, frequency and spend; will be lost if not reactivated.',
    action: 'Share popular products and time-limited discounts; reconnect.',
  },
  {
    key: 'at_risk',
    name: 'At Risk',
    r: [1, 2],
    fm: [3, 4],
    description: 'Used to buy often and spend well, but not for a long time.',
    action: 'Send personalised reactivation emails; offer renewals and helpful resources.',
  },
  {
    key: 'cant_lose_them',
    name: "Can't Lose Them",
    r: [1, 2],
    fm: [5, 5],
    description: 'Were among the biggest and most frequent buyers, but have not returned for a long time.',
    action: 'Win them back with new products or a personal call; do not lose them to a competitor.',
  },
  {
    key: 'hibernating',
    name: 'Hibernating',
    r: [1, 2],
    fm: [1, 2],
    description: 'Last purchase long ago, few orders and low spend.',
    action: 'Offer relevant products and special discounts; recreate brand value.',
  },
  {
    key: 'lost',
    name: 'Lost',
    r: [1, 1],
    fm: [1, 1],
    description: 'Lowest recency, frequency and spend of all.',
    action: 'Revive interest with an outreach campaign; otherwise spend nothing on them.',
  },
];

const BY_KEY = new Map(SEGMENT_CATALOGUE.map((s) => [s.key, s]));
export function segmentInfo(key: SegmentKey): SegmentInfo {
  return BY_KEY.get(key)!;
}

export interface Quintiles {
  recency: ArrayLike<number>;
  frequency: ArrayLike<number>;
  monetary: ArrayLike<number>;
}

/** 1 + the number of break points strictly below the value (so ties with a break score low). */
function rank5(value: number, breaks: ArrayLike<number>): number {
  let s = 1;
  for (let i = 0; i < breaks.length; i++) if (value > breaks[i]!) s++;
  return s;
}

export function scoreRfm(v: RfmValues, q: Quintiles): { r: number; f: number; m: number } {
  return { r: 6 - rank5(v.recency, q.recency), f: rank5(v.frequency, q.frequency), m: rank5(v.monetary, q.monetary) };
}

function dist(lo: number, hi: number, x: number): number {
  return x < lo ? lo - x : x > hi ? x - hi : 0;
}

/** Manhattan distance, in score steps, from (r, fm) to a segment's region; 0 inside it. */
export function regionDistance(seg: SegmentInfo, r: number, fm: number): number {
  return dist(seg.r[0], seg.r[1], r) + dist(seg.fm[0], seg.fm[1], fm);
}

/** The catalogue segment whose region contains these scores. */
export function segmentForScores(s: { r: number; f: number; m: number }): SegmentInfo {
  const fm = Math.round((s.f + s.m) / 2);
  // Lost is the (1,1) corner inside Hibernating's box; test it first.
  const hit = [...SEGMENT_CATALOGUE]
    .sort((a, b) => (a.key === 'lost' ? -1 : b.key === 'lost' ? 1 : 0))
    .find((seg) => regionDistance(seg, s.r, fm) === 0);
  return hit!;
}

export interface NamedCluster {
  cluster: number;
  key: SegmentKey;
  name: string;
  description: string;
  action: string;
  scores: { r: number; f: number; m: number };
}

/**
 * Unique business names for k clusters. Each (cluster, segment) pair is ranked by how far the
 * cluster's scores sit from the segment's region; the closest pairs are taken first, bigger
 * clusters winning ties, so the name that fits best goes to the cluster it fits best and every
 * other cluster gets its nearest free name. More than 11 clusters get numbered suffixes.
 */
export function nameClusters(centroids: RfmValues[], sizes: number[], q: Quintiles): NamedCluster[] {
  const scored = centroids.map((c) => scoreRfm(c, q));
  const pairs: { c: number; seg: SegmentInfo; d: number; order: number }[] = [];
  scored.forEach((s, c) => {
    const fm = Math.round((s.f + s.m) / 2);
    SEGMENT_CATALOGUE.forEach((seg, order) => {
      // Lost's corner is also inside Hibernating: prefer the more specific region.
      const d = regionDistance(seg, s.r, fm) + (seg.key === 'hibernating' && s.r === 1 && fm === 1 ? 0.5 : 0);
      pairs.push({ c, seg, d, order });
    });
  });
  pairs.sort((a, b) => a.d - b.d || (sizes[b.c] ?? 0) - (sizes[a.c] ?? 0) || a.c - b.c || a.order - b.order);
  const taken = new Set<SegmentKey>();
  const result: (NamedCluster | undefined)[] = Array.from({ length: centroids.length }, () => undefined);
  for (const p of pairs) {
    if (result[p.c] || taken.has(p.seg.key)) continue;
    taken.add(p.seg.key);
    result[p.c] = {
      cluster: p.c,
      key: p.seg.key,
      name: p.seg.name,
      description: p.seg.description,
      action: p.seg.action,
      scores: scored[p.c]!,
    };
  }
  // k > catalogue size: reuse the best region with a numbered name.
  const used = new Map<string, number>();
  return result.map((r, c) => {
    if (r) return r;
    const seg = segmentForScores(scored[c]!);
    const n = (used.get(seg.key) ?? 1) + 1;
    used.set(seg.key, n);
    return {
      cluster: c,
      key: seg.key,
      name: `${seg.name} ${n}`,
      description: seg.description,
      action: seg.action,
      scores: scored[c]!,
    };
  });
}
