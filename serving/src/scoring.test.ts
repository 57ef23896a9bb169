import { expect } from 'chai';
import { Predictor } from '@rfm/shared';
import { makeArtifact } from '@rfm/shared/testing';
import type { LoadedModel } from './model-holder.js';
import { ServingMetrics } from './metrics.js';
import { scoreInstances, scoreInstancesJson } from './scoring.js';

/** A loaded model as the holder builds one, from the test artifact, with segment names that need escaping. */
function model(names?: string[]): LoadedModel {
  const artifact = makeArtifact();
  const segments = artifact.segments.map((s, i) => ({ ...s, name: names?.[i] ?? s.name }));
  const segmentByCluster = [];
  for (const s of segments) segmentByCluster[s.cluster] = s;
  return {
    modelName: 'customer "segments"',
    version: 7,
    sha256: 'x',
    revision: 'x',
    artifact: { ...artifact, segments },
    predictor: new Predictor(artifact),
    segmentByCluster,
    loadedAt: new Date(0).toISOString(),
  } as unknown as LoadedModel;
}

const customer = (cid: string | null, i: number) => ({
  cid,
  recency: (i * 37) % 370,
  frequency: 1 + ((i * 13) % 40),
  monetary: ((i * 7919) % 50_000) / 10,
});

describe('scoreInstancesJson (the fast path writes the answer as text)', () => {
  it('is byte for byte JSON.stringify(scoreInstances(…)), escapes and every cluster included', () => {
    const m = model(['Champions', 'Loyal "core"', 'At Risk \\ lapsed', 'Café ☕']);
    const cids = [
      null,
      '12346',
      'a"b',
      'back\\slash',
      'tab\there',
      'line\nbreak',
      'é',
      '\u{1F600}',
      '\ud800',
      '',
      '~ !#',
    ];
    const instances = Array.from({ length: 400 }, (_, i) => customer(cids[i % cids.length]!, i));
    const text = scoreInstancesJson(m, instances, undefined);
    expect(text).to.equal(JSON.stringify(scoreInstances(m, instances, undefined)));
    const clusters = new Set(
      (JSON.parse(text) as { predictions: { cluster: number }[] }).predictions.map((p) => p.cluster),
    );
    expect(clusters.size).to.equal(m.artifact.k); // every segment name went through the text path
  });

  it('one customer, and counts every customer scored like scoreInstances', async () => {
    const m = model();
    const one = [customer('12346', 3)];
    expect(scoreInstancesJson(m, one, undefined)).to.equal(JSON.stringify(scoreInstances(m, one, undefined)));
    const metrics = new ServingMetrics();
    scoreInstancesJson(
      m,
      Array.from({ length: 50 }, (_, i) => customer(String(i), i)),
      metrics,
    );
    const counted = (await metrics.registry.getSingleMetric('rfm_predictions_total')!.get()).values;
    expect(counted.reduce((s, v) => s + v.value, 0)).to.equal(50);
  });
});
