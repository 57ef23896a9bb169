import { expect } from 'chai';
import { makeArtifact } from '@rfm/shared/testing';
import {
  CHART_NAMES,
  chartFor,
  segmentMapChart,
  segmentSizesChart,
  snakeChart,
  sweepChart,
  customerScatterChart,
  REPORT_WIDTH,
} from './index.js';

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
  it('the snake plot is drawn from the centroids alone (the same line in the report and on the web page)', () => {
    // the renderer numbers its clip paths and style classes per instance
    const norm = (svg: string) => svg.replace(/zr\d+-(cls-|c)\d+/g, 'zr');
    for (const width of [480, REPORT_WIDTH]) {
      const base = norm(snakeChart(a, width));
      expect(base).to.match(new RegExp(`^<svg width="${width}"`));
      const resized = { ...a, segments: a.segments.map((s) => ({ ...s, size: s.size * 3 })) };
      expect(norm(snakeChart(resized, width)), 'sizes do not move the lines').to.equal(base);
      const moved = { ...a, centroids: a.centroids.map((c, i) => (i === 0 ? [c[0]! + 1, c[1]!, c[2]!] : c)) };
      expect(norm(snakeChart(moved, width)), 'a centroid moves its line').to.not.equal(base);
    }
  });
  it('segment sizes carry their share with one decimal, so a small segment is not "0%"', () => {
    const tiny = makeArtifact();
    tiny.segments = tiny.segments.map((s, i) => ({ ...s, size: i === 0 ? 4 : 1000 }));
    const total = 4 + 1000 * (tiny.segments.length - 1);
    expect(segmentSizesChart(tiny.segments)).to.include(`4 (${((4 / total) * 100).toFixed(1)}%)`);
  });
  it('draws the sweep and a scatter of 200,000 customers (no argument spread over the points)', () => {
    const points = Array.from({ length: 200_000 }, (_, i) => ({
      cluster: i % a.k,
      recency: 1 + (i % 300),
      monetary: 5 + i,
    }));
    const svg = customerScatterChart(points, a.segments);
    expect(svg).to.match(/^<svg width="720"/);
    const sweep = sweepChart(
      [2, 3, 4].map((k) => ({ k, inertia: 100 / k, silhouette: 0.4 })),
      3,
    );
    expect(sweep).to.include('chosen k = 3');
  });
});
