import { expect } from 'chai';
import { makeArtifact } from '@rfm/shared/testing';
import { chartFor, CHART_NAMES, segmentMapChart } from './charts.js';
import { comparePhrase, explain } from '../ui/explain.js';

describe('server-side charts (ECharts SSR → SVG)', () => {
  const a = makeArtifact();
  it('each chart is one well-formed standalone SVG with every segment named and no script', () => {
    for (const name of CHART_NAMES) {
      const svg = chartFor(name, a);
      expect(svg, name).to.match(/^<svg width="480" height="\d+" xmlns="http:\/\/www\.w3\.org\/2000\/svg"/);
      expect(svg.trimEnd(), name).to.match(/<\/svg>$/);
      expect(svg, name).to.not.match(/<script|on[a-z]+=/i);
      // attribute values never hold a raw double quote (a quoted font name once broke the XML)
      expect(svg, name).to.not.match(/style="[^"]*"[^ >/]/);
      for (const s of a.segments) expect(svg, `${name}: ${s.name}`).to.include(`>${s.name}<`);
    }
  });
  it('the placement chart marks the customer', () => {
    expect(segmentMapChart(a, { recency: 12, monetary: 830 })).to.include('This customer');
    expect(segmentMapChart(a)).to.not.include('This customer');
  });
  it('is deterministic (same artifact, same drawing; only the renderer instance counter in class names differs)', () => {
    const norm = (svg: string) => svg.replace(/zr\d+-cls-\d+/g, 'zr-cls');
    expect(norm(chartFor('map', a))).to.equal(norm(chartFor('map', a)));
  });
});

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
