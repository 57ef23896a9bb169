import type { Mover } from './writers.js';
import { RfmError } from '@rfm/shared';
import { catalogueName, labelsFromSummary, segmentMatches, shownName, type SegmentKey } from './labels.js';
import { matchCustomers } from './match.js';
import type { SavedRunWithCustomers } from './types.js';

export interface RunSide {
  id: string;
  version: number;
  snapshotDate: string;
  exportName: string;
  customers: number;
}

/** Customers who were in `from` (segment of run A) and are in `to` (segment of run B). */
export interface Transition {
  from: string;
  fromKey: SegmentKey;
  to: string;
  toKey: SegmentKey;
  customers: number;
  /** these customers' revenue (monetary) in run A and in run B */
  revenueBefore: number;
  revenueAfter: number;
}

export interface KeyTransition {
  from: SegmentKey;
  fromName: string;
  to: SegmentKey;
  toName: string;
  customers: number;
  revenueBefore: number;
  revenueAfter: number;
}

export interface Movers {
  segment: string;
  key: SegmentKey;
  customers: number;
  revenue: number;
}

/**
 * The migration between two saved runs of one model: for every (from, to) pair of segments the
 * customers present in both runs and their revenue, by the segments' full names (a relabelled or
 * qualified name shown with its catalogue name) and summed by catalogue key (how runs scored with
 * different versions compare: cluster numbers mean nothing across versions); plus the customers
 * who appeared (only in B) and disappeared (only in A), by segment.
 */
export interface RunDiff {
  model: string;
  a: RunSide;
  b: RunSide;
  transitions: Transition[];
  byKey: KeyTransition[];
  appeared: Movers[];
  disappeared: Movers[];
  totals: { inBoth: number; stayed: number; moved: number; appeared: number; disappeared: number };
}

function side(r: SavedRunWithCustomers): RunSide {
  return {
    id: r.run.id,
    version: r.run.version,
    snapshotDate: r.run.snapshotDate,
    exportName: r.run.exportName,
    customers: r.customers.cid.length,
  };
}

function checkSameModel(a: SavedRunWithCustomers, b: SavedRunWithCustomers): void {
  if (a.run.modelName !== b.run.modelName)
    throw new RfmError(
      'INVALID_INPUT',
      `runs ${a.run.id} and ${b.run.id} were scored with different models ("${a.run.modelName}" and "${b.run.modelName}"); only runs of one model compare`,
    );
}

/** Diff two saved runs of one model (A before B). Pure; linear in the customers of both. */
export function diffRuns(a: SavedRunWithCustomers, b: SavedRunWithCustomers): RunDiff {
  checkSameModel(a, b);
  const la = labelsFromSummary(a.run.summary);
  const lb = labelsFromSummary(b.run.summary);
  const ka = la.names.length;
  const kb = lb.names.length;
  const ca = a.customers;
  const cb = b.customers;
  const match = matchCustomers(ca.cid, cb.cid);
  const count = new Float64Array(ka * kb);
  const revA = new Float64Array(ka * kb);
  const revB = new Float64Array(ka * kb);
  const seenInB = new Uint8Array(ca.cid.length);
  const appearedN = new Float64Array(kb);
  const appearedRev = new Float64Array(kb);
  for (let i = 0; i < cb.cid.length; i++) {
    const j = match[i]!;
    const to = cb.cluster[i]!;
    if (j < 0) {
      appearedN[to]!++;
      appearedRev[to]! += cb.monetary[i]!;
      continue;
    }
    seenInB[j] = 1;
    const cell = ca.cluster[j]! * kb + to;
    count[cell]!++;
    revA[cell]! += ca.monetary[j]!;
    revB[cell]! += cb.monetary[i]!;
  }
  const goneN = new Float64Array(ka);
  const goneRev = new Float64Array(ka);
  for (let j = 0; j < ca.cid.length; j++)
    if (!seenInB[j]) {
      goneN[ca.cluster[j]!]!++;
      goneRev[ca.cluster[j]!]! += ca.monetary[j]!;
    }

  const transitions: Transition[] = [];
  const keyCells = new Map<string, KeyTransition>();
  let inBoth = 0;
  let stayed = 0;
  for (let f = 0; f < ka; f++)
    for (let t = 0; t < kb; t++) {
      const n = count[f * kb + t]!;
      if (!n) continue;
      const fromKey = la.keys[f]!;
      const toKey = lb.keys[t]!;
      transitions.push({
        from: shownName(la.names[f]!, fromKey),
        fromKey,
        to: shownName(lb.names[t]!, toKey),
        toKey,
        customers: n,
        revenueBefore: revA[f * kb + t]!,
        revenueAfter: revB[f * kb + t]!,
      });
      const id = `${fromKey}\u0000${toKey}`;
      const cell = keyCells.get(id) ?? {
        from: fromKey,
        fromName: catalogueName(fromKey),
        to: toKey,
        toName: catalogueName(toKey),
        customers: 0,
        revenueBefore: 0,
        revenueAfter: 0,
      };
      cell.customers += n;
      cell.revenueBefore += revA[f * kb + t]!;
      cell.revenueAfter += revB[f * kb + t]!;
      keyCells.set(id, cell);
      inBoth += n;
      if (fromKey === toKey) stayed += n;
    }
  const movers = (names: string[], keys: SegmentKey[], n: Float64Array, rev: Float64Array): Movers[] =>
    names
      .map((name, c) => ({ segment: shownName(name, keys[c]!), key: keys[c]!, customers: n[c]!, revenue: rev[c]! }))
      .filter((m) => m.customers > 0);
  const appeared = movers(lb.names, lb.keys, appearedN, appearedRev);
  const disappeared = movers(la.names, la.keys, goneN, goneRev);
  const sum = (m: Movers[]) => m.reduce((s, x) => s + x.customers, 0);
  return {
    model: a.run.modelName,
    a: side(a),
    b: side(b),
    transitions: transitions.sort((x, y) => y.customers - x.customers),
    byKey: [...keyCells.values()].sort((x, y) => y.customers - x.customers),
    appeared,
    disappeared,
    totals: { inBoth, stayed, moved: inBoth - stayed, appeared: sum(appeared), disappeared: sum(disappeared) },
  };
}

/**
 * The customers of one transition (`--from Champions --to "At Risk"`): present in both runs, in a
 * segment matching `from` in A and one matching `to` in B (a name, a catalogue key or catalogue
 * name; either may be omitted). A word that names no segment of its run is an error naming it.
 */
export function transitionCustomers(
  a: SavedRunWithCustomers,
  b: SavedRunWithCustomers,
  sel: { from?: string; to?: string },
): Mover[] {
  checkSameModel(a, b);
  const la = labelsFromSummary(a.run.summary);
  const lb = labelsFromSummary(b.run.summary);
  const pick = (word: string | undefined, l: typeof la, run: string): Set<number> | null => {
    if (word === undefined) return null;
    const hit = new Set(l.names.map((_, c) => c).filter((c) => segmentMatches(word, l.names[c]!, l.keys[c]!)));
    if (!hit.size)
      throw new RfmError(
        'NOT_FOUND',
        `run ${run} has no segment "${word}"; its segments: ${l.names.map((n, c) => shownName(n, l.keys[c]!)).join(', ')}`,
      );
    return hit;
  };
  const fromSet = pick(sel.from, la, a.run.id);
  const toSet = pick(sel.to, lb, b.run.id);
  const match = matchCustomers(a.customers.cid, b.customers.cid);
  const out: Mover[] = [];
  for (let i = 0; i < b.customers.cid.length; i++) {
    const j = match[i]!;
    if (j < 0) continue;
    const f = a.customers.cluster[j]!;
    const t = b.customers.cluster[i]!;
    if ((fromSet && !fromSet.has(f)) || (toSet && !toSet.has(t))) continue;
    out.push({
      cid: b.customers.cid[i]!,
      from: shownName(la.names[f]!, la.keys[f]!),
      to: shownName(lb.names[t]!, lb.keys[t]!),
      monetaryBefore: a.customers.monetary[j]!,
      monetaryAfter: b.customers.monetary[i]!,
      at: i,
    });
  }
  return out;
}
