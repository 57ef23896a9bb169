import { expect } from 'chai';
import { makeArtifact } from '@rfm/shared/testing';
import { comparePhrase, explain } from './explain.js';

describe('customer vs typical customer', () => {
  it('phrases recency in whole days and spend/frequency as ratios', () => {
    expect(comparePhrase('recency', 12, 5.96)).to.equal('6 days longer ago than typical');
    expect(comparePhrase('recency', 45, 71.2)).to.equal('26 days more recent than typical');
    expect(comparePhrase('recency', 10, 10.4)).to.equal('about as recent as typical');
    expect(comparePhrase('monetary', 1900, 1211)).to.equal('1.57× typical');
    expect(comparePhrase('frequency', 4, 6.17)).to.equal('65% of typical');
    expect(comparePhrase('frequency', 6, 6.1)).to.equal('about typical');
  });
  it('explains against the segment centroid and scores the customer on the training quintiles', () => {
    const a = makeArtifact();
    const seg = a.segments[0]!;
    const e = explain(a, seg, { recency: 3, frequency: 14, monetary: 5400 });
    expect(e.rows.map((r) => r.feature)).to.deep.equal(['recency', 'frequency', 'monetary']);
    expect(e.rows[2]!.typical).to.equal(seg.centroid.monetary);
    expect(e.customerScores).to.deep.equal({ r: 5, f: 5, m: 5 });
    expect(e.segmentScores).to.deep.equal(seg.scores);
  });
});
