/**
 * Choosing k for `--k auto` with three signals, so that k is both well separated and usable:
 *
 * 1. The smallest segment's share of customers: a k whose smallest segment holds fewer than
 *    `minShare` (2 %) of the customers is not eligible — too small to run a campaign on.
 * 2. The knee of the inertia curve (Kneedle, Satopää et al. 2011): inertia always falls as k grows;
 *    the knee is the k after which more segments stop paying off. The curve runs from k = 1 (the
 *    total sum of squares, known without a fit) to the largest k tried, normalised to [0, 1] on
 *    both axes; the knee is the k in range farthest below the straight line from its first to its
 *    last point. The eligible k nearest the knee is the candidate.
 * 3. The mean silhouette: when another eligible k separates segments clearly better than the
 *    candidate — a silhouette higher by more than `silhouetteMargin` (0.05) — that k wins (the
 *    best such). Silhouette alone is not used: on skewed retail data it usually falls steadily
 *    with k, so it would always pick the smallest k allowed.
 *
 * If no k is eligible, the k with the largest smallest segment is taken and the reason says so.
 * The runner-up is the choice the same rule makes with the chosen k left out.
 */

export interface KCandidate {
  k: number;
  inertia: number;
  silhouette: number | null;
  /** smallest segment's share of the customers, 0…1 */
  smallestShare: number;
}

export interface KChoice {
  k: number;
  knee: number | null;
  reason: string;
  runnerUp: { k: number; reason: string } | null;
}

export const K_DEFAULTS = { kMin: 3, kMax: 8, minShare: 0.02, silhouetteMargin: 0.05 } as const;

/** The k farthest below the chord of the normalised inertia curve (k = 1 … max). null if the curve is flat. */
export function kneeOf(totalSumOfSquares: number, points: { k: number; inertia: number }[]): number | null {
  if (!points.length) return null;
  const curve = [{ k: 1, inertia: totalSumOfSquares }, ...points].sort((a, b) => a.k - b.k);
  const first = curve[0]!;
  const last = curve[curve.length - 1]!;
  const dy = first.inertia - last.inertia;
  const dx = last.k - first.k;
  if (dy <= 0 || dx <= 0) return null;
  let best: { k: number; d: number } | null = null;
  for (const p of points) {
    const x = (p.k - first.k) / dx;
    const y = (p.inertia - last.inertia) / dy; // 1 at k = 1, 0 at the last k
    const d = 1 - x - y; // how far the curve lies below the chord
    if (!best || d > best.d + 1e-12) best = { k: p.k, d };
  }
  return best && best.d > 1e-9 ? best.k : null;
}

const pct = (x: number) => `${(x * 100).toFixed(1)} %`;
const sil = (s: number | null) => (s === null ? 'n/a' : s.toFixed(3));

function decide(
  cands: KCandidate[],
  knee: number | null,
  minShare: number,
  margin: number,
  chosen?: number,
): { k: number; reason: string } | null {
  if (!cands.length) return null;
  const eligible = cands.filter((c) => c.smallestShare >= minShare);
  if (!eligible.length) {
    const c = [...cands].sort((a, b) => b.smallestShare - a.smallestShare || a.k - b.k)[0]!;
    return {
      k: c.k,
      reason: `no k gives every segment ${pct(minShare)} of the customers; k = ${c.k} has the largest smallest segment (${pct(c.smallestShare)})`,
    };
  }
  const target = knee ?? eligible[0]!.k;
  const base = [...eligible].sort((a, b) => Math.abs(a.k - target) - Math.abs(b.k - target) || a.k - b.k)[0]!;
  const baseWhy =
    knee === null
      ? `the inertia curve has no knee; k = ${base.k} is the smallest k whose segments all hold ≥ ${pct(minShare)}`
      : base.k === knee
        ? `k = ${knee} is the knee of the inertia curve (more segments stop paying off), and its smallest segment holds ${pct(base.smallestShare)}`
        : knee === chosen
          ? `after the knee (k = ${knee}, chosen), k = ${base.k}` +
            ` is the nearest k whose smallest segment holds ≥ ${pct(minShare)} (${pct(base.smallestShare)})`
          : `the knee of the inertia curve is k = ${knee}, but a segment there holds under ${pct(minShare)}` +
            `; k = ${base.k} is the nearest k whose smallest segment holds ${pct(base.smallestShare)}`;
  const s0 = base.silhouette ?? -Infinity;
  const better = eligible
    .filter((c) => c !== base && (c.silhouette ?? -Infinity) > s0 + margin)
    .sort((a, b) => (b.silhouette ?? -Infinity) - (a.silhouette ?? -Infinity) || a.k - b.k)[0];
  if (better)
    return {
      k: better.k,
      reason:
        `${baseWhy} — but k = ${better.k} separates the segments clearly better` +
        ` (silhouette ${sil(better.silhouette)} against ${sil(base.silhouette)}, more than ${margin} higher)` +
        `, and its smallest segment holds ${pct(better.smallestShare)}`,
    };
  return {
    k: base.k,
    reason: `${baseWhy}; no other k separates the segments more than ${margin} better by silhouette (${sil(base.silhouette)} here)`,
  };
}

export function chooseK(
  cands: KCandidate[],
  totalSumOfSquares: number,
  opts: { minShare?: number; silhouetteMargin?: number } = {},
): KChoice {
  const minShare = opts.minShare ?? K_DEFAULTS.minShare;
  const margin = opts.silhouetteMargin ?? K_DEFAULTS.silhouetteMargin;
  const knee = kneeOf(totalSumOfSquares, cands);
  const first = decide(cands, knee, minShare, margin);
  if (!first) throw new RangeError('chooseK needs at least one k');
  const rest = cands.filter((c) => c.k !== first.k);
  const second = decide(rest, knee, minShare, margin, first.k);
  return {
    k: first.k,
    knee,
    reason: first.reason,
    runnerUp: second ? { k: second.k, reason: second.reason } : null,
  };
}
