import { expect } from 'chai';
import { AggregatorRegistry, Histogram, Registry } from 'prom-client';
import { LatencyHistogram } from './latency-histogram.js';

const BUCKETS = [0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5];
const NAME = 'rfm_http_request_duration_seconds';
const HELP = 'HTTP request latency in seconds';
const SETS = [
  { method: 'POST', route: '/api/v1/predict', status: '200' },
  { method: 'GET', route: '/healthz', status: '503' },
];
// on the bounds, between them, below the first, above the last, and many
const VALUES = [
  0,
  0.0001,
  0.0005,
  0.00051,
  0.001,
  0.003,
  0.01,
  0.3,
  1,
  2.5,
  4.99,
  5,
  7.5,
  120,
  ...Array.from({ length: 500 }, (_, i) => (i % 97) / 1000),
];

function both() {
  const a = new Registry();
  const b = new Registry();
  const theirs = new Histogram({
    name: NAME,
    help: HELP,
    labelNames: ['method', 'route', 'status'],
    buckets: BUCKETS,
    registers: [a],
  });
  const ours = new LatencyHistogram(NAME, HELP, BUCKETS, [b]);
  for (const [i, labels] of SETS.entries()) {
    const child = theirs.labels(labels);
    const record = ours.recorder(labels);
    for (const v of VALUES.slice(i)) {
      child.observe(v);
      record(v);
    }
  }
  return { a, b };
}

describe("LatencyHistogram (the HTTP latency histogram without prom-client's per-call label work)", () => {
  it("exposes exactly what prom-client's Histogram exposes for the same observations", async () => {
    const { a, b } = both();
    const text = await a.metrics();
    expect(text).to.match(/_bucket\{le="0.005",method="POST",route="\/api\/v1\/predict",status="200"\} \d+/);
    expect(await b.metrics()).to.equal(text);
    expect(await b.getMetricsAsJSON()).to.deep.equal(await a.getMetricsAsJSON());
  });

  it('sums over cluster workers as prom-client does (the primary aggregates the workers’ JSON)', async () => {
    const { a, b } = both();
    const ja = await a.getMetricsAsJSON();
    const jb = await b.getMetricsAsJSON();
    const text = await AggregatorRegistry.aggregate([ja, ja]).metrics();
    expect(text).to.include(`${NAME}_count{method="POST",route="/api/v1/predict",status="200"} ${2 * VALUES.length}`);
    expect(await AggregatorRegistry.aggregate([jb, jb]).metrics()).to.equal(text);
  });

  it('ignores a value that is not a finite number, and reset() empties it', async () => {
    const r = new Registry();
    const h = new LatencyHistogram(NAME, HELP, BUCKETS, [r]);
    const rec = h.recorder(SETS[0]!);
    rec(Number.NaN);
    rec(0.002);
    expect(await r.metrics()).to.include(`${NAME}_count{method="POST",route="/api/v1/predict",status="200"} 1`);
    r.resetMetrics();
    expect(await r.metrics()).not.to.include(`${NAME}_count`);
  });
});
