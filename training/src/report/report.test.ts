import { expect } from 'chai';
import { makeArtifact } from '@rfm/shared/testing';
import type { RfmTable } from '@rfm/ingest';
import { renderReport, SCATTER_MAX } from './report.js';

function input(n: number, withSweep: boolean) {
  const artifact = makeArtifact();
  const k = artifact.k;
  const raw = new Float64Array(n * 3);
  const z = new Float64Array(n * 3);
  const labels = new Int32Array(n);
  for (let i = 0; i < n; i++) {
    raw.set([1 + (i % 300), 1 + (i % 7), 10 + i], i * 3);
    z.set([(i % 5) - 2, (i % 3) - 1, 0.5], i * 3);
    labels[i] = i % k;
  }
  const table: RfmTable = { cids: Array.from({ length: n }, (_, i) => String(i)), raw };
  if (withSweep) {
    artifact.sweep = [2, 3, 4, 5].map((kk) => ({ k: kk, inertia: 1000 / kk, silhouette: kk === 4 ? 0.5 : 0.3 }));
    artifact.k_selection = { method: 'silhouette', k_min: 2, k_max: 5, sample: Math.min(n, 10_000) };
  }
  return { artifact, table, labels, seed: 1, modelName: 'segments <&>', dateFormat: '%m/%d/%Y %H:%M' };
}

describe('training report (HTML)', function () {
  this.timeout(30_000);

  it('is one self-contained page: inline SVG charts from ECharts, no script, no external asset, names escaped', () => {
    const html = renderReport(input(500, true));
    expect(html).to.match(/^<!doctype html>/);
    expect(html).not.to.match(/<script/i);
    expect(html).not.to.match(/(src|href)\s*=\s*["']?(https?:)?\/\//i);
    expect(html).not.to.match(/<link /i);
    expect(html).to.include('segments &lt;&amp;&gt;');
    expect(html.match(/<svg /g)).to.have.length(4); // sweep, scatter, sizes, snake
    expect(html)
      .to.include('Choosing k')
      .and.include('chosen k = 4')
      .and.include('Snake plot')
      .and.include('all 500 customers');
  });

  it('says what was dropped and why, and shows each segment with description, action and medians', () => {
    const a = input(200, false);
    const html = renderReport(a);
    expect(html).not.to.include('Choosing k');
    expect(html.match(/<svg /g)).to.have.length(3);
    for (const [reason, count] of Object.entries(a.artifact.data.rows_dropped))
      expect(html).to.include(`<code>${reason}</code>`).and.include(count.toLocaleString('en-US'));
    for (const s of a.artifact.segments) {
      expect(html).to.include(s.name.replace(/'/g, '&#39;'));
      expect(html).to.include(s.action.replace(/'/g, '&#39;'));
    }
    expect(html).to.include('median R · F · M');
  });

  it('samples the scatter above its limit and says so', () => {
    const html = renderReport(input(SCATTER_MAX + 1000, false));
    expect(html.replace(/\s+/g, ' '), 'the text as a browser shows it').to.include(
      `a seeded random sample of ${SCATTER_MAX.toLocaleString('en-US')} of the ${(SCATTER_MAX + 1000).toLocaleString('en-US')} customers`,
    );
  });
});
