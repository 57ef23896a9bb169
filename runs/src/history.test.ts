import { expect } from 'chai';
import { customerHistory } from './history.js';
import { labelsFromSummary } from './labels.js';
import { customers, savedRun } from './test-support.js';
import type { SegmentKey } from './labels.js';

const SEGS: [string, SegmentKey][] = [
  ['Champions', 'champions'],
  ['At Risk', 'at_risk'],
];

describe('customerHistory (previous_segment, segment_since)', () => {
  it('over three saved runs: previous segment from the newest run, since = start of the unbroken streak', () => {
    // a: Champions, Champions, Champions → now Champions (since the first run)
    // b: At Risk, Champions, Champions  → now Champions (since run 2)
    // c: Champions, Champions, At Risk  → now Champions (since now; previous At Risk)
    // d: absent, Champions, Champions   → now Champions (since run 2)
    // e: Champions, absent, Champions   → now Champions (since run 3: the gap breaks the streak)
    // f: new now
    const r1 = savedRun('r-20260101-aaaaaa', customers(['a', 'b', 'c', 'e'], [0, 1, 0, 0]), SEGS, {
      snapshotDate: '2026-01-01',
    });
    const r2 = savedRun('r-20260201-bbbbbb', customers(['a', 'b', 'c', 'd'], [0, 0, 0, 0]), SEGS, {
      snapshotDate: '2026-02-01',
    });
    // run 3 was scored with another version: cluster numbers swapped, and Champions relabelled
    const r3 = savedRun(
      'r-20260301-cccccc',
      customers(['a', 'b', 'c', 'd', 'e'], [1, 1, 0, 1, 1]),
      [
        ['At Risk', 'at_risk'],
        ['VIP', 'champions'],
      ],
      { snapshotDate: '2026-03-01', version: 2 },
    );
    const now = customers(['a', 'b', 'c', 'd', 'e', 'f'], [0, 0, 0, 0, 0, 0]);
    const h = customerHistory(
      { customers: now, labels: labelsFromSummary(r1.run.summary), snapshotDate: '2026-04-01' },
      [r2, r3, r1],
    )!;
    expect(h.previousSegment).to.deep.equal(['VIP', 'VIP', 'At Risk', 'VIP', 'VIP', null]);
    expect(h.segmentSince).to.deep.equal([
      '2026-01-01',
      '2026-02-01',
      '2026-04-01',
      '2026-02-01',
      '2026-03-01',
      '2026-04-01',
    ]);
  });

  it('is null without earlier runs (the columns stay empty)', () => {
    const now = customers(['a'], [0]);
    expect(
      customerHistory(
        { customers: now, labels: { names: ['Champions'], keys: ['champions'] }, snapshotDate: '2026-01-01' },
        [],
      ),
    ).to.equal(null);
  });
});
