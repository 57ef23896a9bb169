import type { RfmValues, SegmentKey, SegmentNaming } from './schemas.js';

/**
 * The RFM segment catalogue and the rule that names clusters. The scores people see: a centroid
 * scored 1–5 on R, F and M against the customer population's quintiles (recency reversed: recent
 * = 5). A pair (R, FM = round((F + M) / 2)) falls in one region of the classic RFM grid below.
 * What decides a name is further down (`nameClusters`): the cluster's medians, with recency judged
 * against the shop's own purchase rhythm, and each description checked against those medians.
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

// ---------------------------------------------------------------------------------------------
// Naming: what decides. The quintile scores above are what people see; they rank customers
// against each other, so on a shop where everyone lapsed they still call somebody "recent".
// Names are decided by each cluster's medians judged against the shop's own purchase rhythm, and
// every name's description is checked against those medians before it is given.
// ---------------------------------------------------------------------------------------------

/** "recent", "new", "active" (and names that say so) only within this many usual gaps. */
export const RECENT_WITHIN_GAPS = 2;
/** "Lost" only beyond this many usual gaps. */
export const LOST_BEYOND_GAPS = 6;
/** A name from a region this many score steps away is still "near"; beyond it, a plain description. */
export const MAX_NAME_DISTANCE = 2;

/**
 * The 1–5 recency score that decides names. The shop's rhythm sets a band — the median last
 * purchase within 1 usual gap: 4–5; within 2: 3–4; within 3: 2–3; within 6: 1–2; beyond: 1 — and
 * the customers' ranks (`rankScore`, the classic quintile score of the median) pick within it. So
 * ranks still tell the best of a healthy shop from the rest, but can never call a lapsed group recent
 * (everyone in a cohort that stopped buying scores 1), nor an active one lapsed (a monthly
 * subscription shop's members all score 4 or 5).
 */
export function rhythmScore(gaps: number, rankScore: number): number {
  const [lo, hi] =
    gaps <= 1
      ? [4, 5]
      : gaps <= RECENT_WITHIN_GAPS
        ? [3, 4]
        : gaps <= 3
          ? [2, 3]
          : gaps <= LOST_BEYOND_GAPS
            ? [1, 2]
            : [1, 1];
  return Math.min(hi, Math.max(lo, rankScore));
}

/**
 * 1–5 against quintile breaks with ties counted half: a value equal to k breaks sits in the middle
 * of the bands it spans. So when every customer bought 12 times (breaks 12, 12, 12, 12) a median of
 * 12 scores 3 (average), not 1 as `scoreRfm`'s strict rule would give.
 */
export function tieAwareScore(value: number, breaks: ArrayLike<number>): number {
  let below = 0;
  let equal = 0;
  for (let i = 0; i < breaks.length; i++) {
    if (value > breaks[i]!) below++;
    else if (value === breaks[i]!) equal++;
  }
  return 1 + below + Math.floor(equal / 2);
}

/** What a cluster is named from: its training customers' medians (the centroid when it is empty). */
export interface ClusterFacts {
  cluster: number;
  size: number;
  median: RfmValues;
  /** the quintile scores shown to people (`scoreRfm` of the centroid) */
  scores: { r: number; f: number; m: number };
}

export interface NamedCluster {
  cluster: number;
  key: SegmentKey;
  name: string;
  description: string;
  action: string;
  scores: { r: number; f: number; m: number };
  naming: SegmentNaming;
}

/** The facts a name is checked against. */
interface Facts {
  recency: number;
  frequency: number;
  monetary: number;
  gap: number;
  /** median recency in usual gaps */
  gaps: number;
  r: number;
  f: number;
  m: number;
  fm: number;
  mostRecent: boolean;
}

const n0 = (x: number) => Math.round(x).toLocaleString('en-US');
const n1 = (x: number) => (Math.abs(x - Math.round(x)) < 0.05 ? n0(x) : x.toFixed(1));
const gapsText = (g: number) => (g > 0 && g < 0.05 ? 'under 0.1×' : g < 10 ? `${n1(g)}×` : `${n0(g)}×`);
const purchases = (f: number) => `${n1(f)} purchase${f === 1 ? '' : 's'}`;

/** One thing a name's description says, as a test on the facts and the words for when it fails. */
interface Claim {
  ok: (x: Facts) => boolean;
  fails: (x: Facts) => string;
}

const recentWithin = (g: number): Claim => ({
  ok: (x) => x.gaps <= g,
  fails: (x) => `the last purchase was ${n0(x.recency)} days ago, ${gapsText(x.gaps)} the usual gap (more than ${g}×)`,
});
const pastGaps = (g: number): Claim => ({
  ok: (x) => x.gaps > g,
  fails: (x) =>
    `the last purchase was only ${n0(x.recency)} days ago, ${gapsText(x.gaps)} the usual gap (${g}× or less)`,
});
const slippingWithin = (g: number): Claim => ({
  ok: (x) => x.gaps > 1 && x.gaps <= g,
  fails: (x) =>
    `the last purchase was ${n0(x.recency)} days ago, ${gapsText(x.gaps)} the usual gap (not between 1× and ${g}×)`,
});
const repeatBuyers: Claim = {
  ok: (x) => x.frequency >= 2,
  fails: (x) => `the median customer made ${purchases(x.frequency)}: one-time buyers`,
};
const onceOrTwice: Claim = {
  ok: (x) => x.frequency <= 2,
  fails: (x) => `the median customer made ${purchases(x.frequency)}, not one or two`,
};
const score = (what: 'f' | 'm' | 'fm', cmp: 'min' | 'max', s: number): Claim => {
  const label = what === 'f' ? 'frequency' : what === 'm' ? 'spend' : 'frequency-and-spend';
  return {
    ok: (x) => (cmp === 'min' ? x[what] >= s : x[what] <= s),
    fails: (x) => `its ${label} score is ${x[what]} of 5 (${cmp === 'min' ? `below ${s}` : `above ${s}`})`,
  };
};
const notMostRecent: Claim = {
  ok: (x) => !x.mostRecent,
  fails: (x) => `it is the segment that bought most recently (${n0(x.recency)} days ago)`,
};

/** What each catalogue description asserts, as checks on the segment's medians. */
const CLAIMS: Record<SegmentKey, Claim[]> = {
  champions: [recentWithin(RECENT_WITHIN_GAPS), repeatBuyers, score('f', 'min', 3), score('fm', 'min', 4)],
  loyal_customers: [recentWithin(4), repeatBuyers, score('f', 'min', 3), score('m', 'min', 3)],
  potential_loyalists: [recentWithin(RECENT_WITHIN_GAPS), repeatBuyers],
  new_customers: [recentWithin(1), onceOrTwice, score('m', 'max', 3)],
  promising: [recentWithin(RECENT_WITHIN_GAPS), score('fm', 'max', 3)],
  need_attention: [slippingWithin(4), repeatBuyers, score('fm', 'min', 2), score('fm', 'max', 4)],
  about_to_sleep: [slippingWithin(LOST_BEYOND_GAPS), score('fm', 'max', 3)],
  at_risk: [pastGaps(RECENT_WITHIN_GAPS), repeatBuyers, score('fm', 'min', 3), notMostRecent],
  cant_lose_them: [
    pastGaps(RECENT_WITHIN_GAPS),
    repeatBuyers,
    score('f', 'min', 4),
    score('m', 'min', 4),
    notMostRecent,
  ],
  hibernating: [pastGaps(RECENT_WITHIN_GAPS), score('fm', 'max', 3), notMostRecent],
  lost: [pastGaps(LOST_BEYOND_GAPS), score('fm', 'max', 2), notMostRecent],
};

/** Why a catalogue name does not fit these facts (the first failed check), or null when it does. */
export function nameMismatch(key: SegmentKey, x: Facts): string | null {
  for (const c of CLAIMS[key]) if (!c.ok(x)) return c.fails(x);
  return null;
}

function factsOf(c: ClusterFacts, q: Quintiles, gap: number, mostRecent: boolean): Facts {
  const { recency, frequency, monetary } = c.median;
  const gaps = recency / gap;
  // One purchase is the least there is: it scores 1 even when most customers bought once.
  const f = frequency < 2 ? 1 : tieAwareScore(frequency, q.frequency);
  const m = tieAwareScore(monetary, q.monetary);
  const r = rhythmScore(gaps, 6 - tieAwareScore(recency, q.recency));
  return { recency, frequency, monetary, gap, gaps, r, f, m, fm: Math.round((f + m) / 2), mostRecent };
}

/** The plain-words facts every name is given with. */
function factReasons(x: Facts): string[] {
  return [
    `last purchase ${n0(x.recency)} days ago, ${gapsText(x.gaps)} the usual gap of ${n0(x.gap)} days (recency score ${x.r})`,
    `${purchases(x.frequency)} (frequency score ${x.f})`,
    `${n0(x.monetary)} spent (spend score ${x.m})`,
  ];
}

/** A plain descriptive name from the facts alone, for a cluster no catalogue name fits. */
function descriptive(x: Facts): { name: string; description: string; action: string } {
  const activity = x.gaps <= RECENT_WITHIN_GAPS ? 'Active' : x.gaps <= LOST_BEYOND_GAPS ? 'Lapsing' : 'Inactive';
  const buyers = x.frequency < 2 ? 'one-time buyers' : x.m >= 4 ? 'high-spending repeat buyers' : 'repeat buyers';
  const name = `${activity} ${buyers}`;
  const description =
    `Last purchase ${n0(x.recency)} days ago (${gapsText(x.gaps)} the shop's usual gap of ${n0(x.gap)} days)` +
    `; typically ${purchases(x.frequency)} and ${n0(x.monetary)} spent.`;
  const action =
    activity === 'Active'
      ? x.frequency < 2
        ? 'Encourage a second purchase: a welcome series and a small incentive.'
        : 'Keep them engaged: recommendations and loyalty perks.'
      : activity === 'Lapsing'
        ? 'Reach out before they go: a reminder of what they bought and a time-limited offer.'
        : x.frequency < 2
          ? 'Low priority: include them in occasional win-back campaigns only.'
          : 'Win them back with a personal offer; ask why they stopped buying.';
  return { name, description, action };
}

function distanceTo(seg: SegmentInfo, x: Facts): number {
  // Lost's corner is also inside Hibernating: prefer the more specific region.
  return regionDistance(seg, x.r, x.fm) + (seg.key === 'hibernating' && x.r === 1 && x.fm === 1 ? 0.5 : 0);
}

/**
 * Business names for k clusters, judged against the shop's rhythm (`usualGapDays`: the typical gap
 * between a repeat customer's purchases). Each cluster's medians give a recency score from the
 * rhythm (`rhythmScore`) and frequency / spend scores from the quintiles (`tieAwareScore`); those
 * place it in a region of the catalogue grid. It gets that region's name if the name's description
 * holds for its medians (`CLAIMS`), else the nearest name (≤ MAX_NAME_DISTANCE steps) that holds,
 * else a plain descriptive name ("Inactive one-time buyers"); the refused names and why are kept.
 * Names need not be unique: clusters given the same name are told apart by a qualifier from their
 * numbers ("Champions — top spenders", "Champions — frequent"). The key is always a catalogue key
 * (a descriptive name keeps its region's key), so versions compare by key.
 */
export function nameClusters(clusters: ClusterFacts[], q: Quintiles, usualGapDays: number): NamedCluster[] {
  const gap = Math.max(1, usualGapDays);
  const populated = clusters.filter((c) => c.size > 0);
  const minRecency = Math.min(...(populated.length ? populated : clusters).map((c) => c.median.recency));
  const named = clusters.map((c) => {
    // With one cluster there is no "most recent segment" to protect.
    const x = factsOf(c, q, gap, clusters.length > 1 && c.median.recency === minRecency);
    const region = segmentForScores({ r: x.r, f: x.fm, m: x.fm });
    const ranked = SEGMENT_CATALOGUE.map((seg, order) => ({ seg, d: distanceTo(seg, x), order })).sort(
      (a, b) => a.d - b.d || a.order - b.order,
    );
    const rejected: { key: SegmentKey; why: string }[] = [];
    let chosen: SegmentInfo | undefined;
    for (const { seg, d } of ranked) {
      if (d > MAX_NAME_DISTANCE) break;
      const why = nameMismatch(seg.key, x);
      if (why === null) {
        chosen = seg;
        break;
      }
      rejected.push({ key: seg.key, why });
    }
    const because = factReasons(x);
    const regionRefused = rejected.find((r) => r.key === region.key);
    if (chosen && chosen.key !== region.key && regionRefused) because.push(`not ${region.name}: ${regionRefused.why}`);
    if (!chosen) because.push(`no catalogue name fits: ${region.name} — ${regionRefused?.why ?? 'refused'}`);
    const text = chosen ?? descriptive(x);
    return {
      x,
      cluster: c.cluster,
      key: chosen?.key ?? region.key,
      base: text.name,
      description: text.description,
      action: text.action,
      scores: c.scores,
      rule: (!chosen ? 'descriptive' : chosen.key === region.key ? 'region' : 'nearest') as SegmentNaming['rule'],
      region: region.key,
      because,
      rejected: rejected.filter((r) => r.key !== chosen?.key),
    };
  });
  const qualifiers = qualify(named.map((n) => ({ base: n.base, cluster: n.cluster, x: n.x })));
  return named.map((n, i) => ({
    cluster: n.cluster,
    key: n.key,
    name: qualifiers[i] ? `${n.base} — ${qualifiers[i]}` : n.base,
    description: n.description,
    action: n.action,
    scores: n.scores,
    naming: {
      rule: n.rule,
      region: n.region,
      base_name: n.base,
      qualifier: qualifiers[i] ?? null,
      recency_gaps: Math.round(n.x.gaps * 100) / 100,
      because: n.because,
      rejected: n.rejected,
    },
  }));
}

type Dim = 'recency' | 'frequency' | 'monetary';
/** The words for being the higher one on a dimension (recency: the lower one, i.e. bought later). */
const BEST_WORD: Record<Dim, (x: Facts) => string> = {
  monetary: () => 'top spenders',
  frequency: () => 'frequent',
  recency: (x) => `last purchase ${n0(x.recency)} days ago`,
};
const NUMBER_WORD: Record<Dim, (x: Facts) => string> = {
  monetary: (x) => `${n0(x.monetary)} spent`,
  frequency: (x) => purchases(x.frequency),
  recency: (x) => `last purchase ${n0(x.recency)} days ago`,
};
/** Higher is better, in log space (days: fewer is better). */
const goodness = (x: Facts, d: Dim) => (d === 'recency' ? -1 : 1) * Math.log1p(x[d]);

/**
 * Qualifiers for clusters sharing a name, from their numbers. Two clusters: each is called by the
 * dimension where it leads the other most ("top spenders" / "frequent"); when one leads on every
 * dimension, the one dimension they differ most on names both (its value for the other). Three or
 * more: the two dimensions they spread most on, as numbers. Clusters with a name of their own get none.
 */
function qualify(items: { base: string; cluster: number; x: Facts }[]): (string | undefined)[] {
  const out: (string | undefined)[] = items.map(() => undefined);
  const groups = new Map<string, number[]>();
  for (const [i, it] of items.entries()) groups.set(it.base, [...(groups.get(it.base) ?? []), i]);
  const dims: Dim[] = ['monetary', 'frequency', 'recency'];
  for (const idx of groups.values()) {
    if (idx.length < 2) continue;
    const spread = (d: Dim) => {
      const v = idx.map((i) => goodness(items[i]!.x, d));
      return Math.max(...v) - Math.min(...v);
    };
    const [widest, second] = [...dims].sort((a, b) => spread(b) - spread(a)) as [Dim, Dim, Dim];
    if (idx.length === 2) {
      const [a, b] = idx as [number, number];
      const lead = (p: number, o: number) =>
        dims
          .map((d) => ({ d, by: goodness(items[p]!.x, d) - goodness(items[o]!.x, d) }))
          .sort((u, v) => v.by - u.by)[0]!;
      const la = lead(a, b);
      const lb = lead(b, a);
      if (la.by > 0 && lb.by > 0 && la.d !== lb.d) {
        out[a] = BEST_WORD[la.d](items[a]!.x);
        out[b] = BEST_WORD[lb.d](items[b]!.x);
      } else {
        out[a] = NUMBER_WORD[widest](items[a]!.x);
        out[b] = NUMBER_WORD[widest](items[b]!.x);
      }
    } else for (const i of idx) out[i] = `${NUMBER_WORD[widest](items[i]!.x)}, ${NUMBER_WORD[second](items[i]!.x)}`;
    // Equal numbers would give equal names: the cluster number tells them apart then.
    const seen = new Map<string, number>();
    for (const i of idx) seen.set(out[i]!, (seen.get(out[i]!) ?? 0) + 1);
    for (const i of idx) if (seen.get(out[i]!)! > 1) out[i] = `${out[i]}, cluster ${items[i]!.cluster}`;
  }
  return out;
}
