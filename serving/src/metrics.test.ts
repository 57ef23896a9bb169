import { expect } from 'chai';
import { Writable } from 'node:stream';
import Database from 'better-sqlite3';
import { pino } from 'pino';
import { Predictor, sha256Hex, serializeArtifact } from '@rfm/shared';
import { Registry } from '@rfm/registry';
import { startServer, type RunningServer } from './server.js';
import { METRIC_NAMES } from './metrics.js';
import {
  artifactWithCentroids,
  CENTROIDS_A,
  CENTROIDS_B,
  corruptArtifact,
  MODEL,
  postJson,
  pointProductionRaw,
  registerVersion,
  startTestServer,
  tempRegistry,
  testConfig,
  waitFor,
  type TempRegistry,
} from './test-support/fixtures.js';

/** Replace a version's artifact bytes and record their true sha256, so only the content is wrong. */
function replaceArtifact(file: string, version: number, json: unknown): void {
  const bytes = Buffer.from(JSON.stringify(json));
  const db = new Database(file);
  try {
    db.prepare(
      `UPDATE artifacts SET bytes = ?, sha256 = ?, size = ? WHERE version_id = (SELECT v.id FROM versions v JOIN models m ON m.id = v.model_id WHERE m.name = ? AND v.version = ?)`,
    ).run(bytes, sha256Hex(bytes), bytes.length, MODEL, version);
  } finally {
    db.close();
  }
}

async function metricsText(url: string): Promise<string> {
  const r = await fetch(`${url}/metrics`);
  expect(r.status).to.equal(200);
  expect(r.headers.get('content-type')).to.match(/^text\/plain/);
  return r.text();
}

/** The value of one sample line (`name{labels} value`), or undefined. */
function sample(text: string, name: string, labels: Record<string, string> = {}): number | undefined {
  for (const line of text.split('\n')) {
    if (!line.startsWith(`${name}{`) && !line.startsWith(`${name} `)) continue;
    if (!Object.entries(labels).every(([k, v]) => line.includes(`${k}="${v}"`))) continue;
    return Number(line.slice(line.lastIndexOf(' ') + 1));
  }
  return undefined;
}

describe('metrics and refused loads', function () {
  this.timeout(60_000);
  let t: TempRegistry;
  let s: RunningServer;
  const logs: string[] = [];

  before(async () => {
    t = tempRegistry();
    await registerVersion(t.file, artifactWithCentroids(CENTROIDS_A)); // v1, production
    for (let i = 0; i < 3; i++) await registerVersion(t.file, artifactWithCentroids(CENTROIDS_B, 10 + i)); // v2..v4, to be broken
    corruptArtifact(t.file, 2); // bytes changed behind the registry's back: checksum mismatch
    const good = serializeArtifact(artifactWithCentroids(CENTROIDS_B)).bytes.toString();
    replaceArtifact(t.file, 3, { ...JSON.parse(good), format: 'rfm.gbm' }); // unknown artifact format
    replaceArtifact(t.file, 4, { ...JSON.parse(good), k: 3 }); // schema v1 contract broken
    const sink = new Writable({ write: (chunk, _e, cb) => (logs.push(String(chunk)), cb()) });
    s = await startServer({ config: testConfig(t.file, { pollMs: 50 }), logger: pino({ level: 'info' }, sink) });
  });
  after(async () => {
    await s.close();
    t.cleanup();
  });

  it('exposes request, latency, prediction, model and process metrics under stable names', async () => {
    await postJson(`${s.url}/api/v1/predict`, { recency: 10, frequency: 2, monetary: 300 });
    await postJson(`${s.url}/api/v1/predict`, {
      instances: [
        { recency: 10, frequency: 2, monetary: 300 },
        { recency: 300, frequency: 1, monetary: 20 },
      ],
    });
    await postJson(`${s.url}/api/v1/predict`, { recency: -1, frequency: 2, monetary: 300 });
    await fetch(`${s.url}/no/such/page?x=1`);
    await fetch(`${s.url}/api/v1/models/${MODEL}/history`);
    const m = await metricsText(s.url);
    for (const name of Object.values(METRIC_NAMES)) expect(m, name).to.include(`# TYPE ${name} `);
    expect(sample(m, 'rfm_http_requests_total', { method: 'POST', route: '/api/v1/predict', status: '200' })).to.equal(
      2,
    );
    expect(sample(m, 'rfm_http_requests_total', { method: 'POST', route: '/api/v1/predict', status: '400' })).to.equal(
      1,
    );
    expect(sample(m, 'rfm_http_requests_total', { route: 'unmatched', status: '404' })).to.equal(1);
    expect(
      sample(m, 'rfm_http_requests_total', { method: 'GET', route: '/api/v1/models/:name/history', status: '200' }),
    ).to.equal(1);
    expect(sample(m, 'rfm_http_request_duration_seconds_count', { route: '/api/v1/predict', status: '200' })).to.equal(
      2,
    );
    expect(m).to.match(
      /rfm_http_request_duration_seconds_bucket\{le="0.005",method="POST",route="\/api\/v1\/predict",status="200"\}/,
    );
    const predicted = m
      .split('\n')
      .filter((l) => l.startsWith('rfm_predictions_total{'))
      .reduce((sum, l) => sum + Number(l.split(' ').pop()), 0);
    expect(predicted).to.equal(3);
    expect(m).to.match(/rfm_predictions_total\{model_version="1",segment="[^"]+"\} \d/);
    expect(sample(m, 'rfm_model_loads_total', { model_version: '1' })).to.equal(1);
    expect(sample(m, 'rfm_model_active_version')).to.equal(1);
    expect(sample(m, 'rfm_model_serving', { model_version: '1' })).to.equal(1);
    expect(sample(m, 'rfm_model_ready')).to.equal(1);
    for (const name of [
      'process_cpu_seconds_total',
      'process_resident_memory_bytes',
      'nodejs_eventloop_lag_seconds',
      'nodejs_heap_size_used_bytes',
    ])
      expect(m, name).to.include(`# TYPE ${name} `);
    // no log line per prediction at the default level
    expect(logs.filter((l) => /"msg":"request"/.test(l))).to.have.length(0);
  });

  const cases: [number, string, RegExp][] = [
    [2, 'checksum', /checksum mismatch/],
    [3, 'format', /unknown artifact format: expected rfm\.kmeans v1 or v2, found rfm\.gbm v2/],
    [4, 'schema', /does not match schema v2: artifact\.centroids: expected 3 centroids, found 2/],
  ];
  for (const [version, reason, message] of cases)
    it(`refuses v${version} (${reason}): v1 keeps serving, /readyz stays ready and reports it, a metric and a log line record it`, async () => {
      pointProductionRaw(t.file, version); // promote itself refuses a damaged artifact (see registry tests)
      const { value: ready } = await waitFor(async () => {
        const r = await fetch(`${s.url}/readyz`);
        const body = (await r.json()) as {
          last_load_error?: { version: number; message: string } | null;
          ready: boolean;
        };
        return body.last_load_error?.version === version ? { status: r.status, body } : null;
      }, 2000);
      expect(ready.status).to.equal(200);
      expect(ready.body).to.include({ ready: true, model_version: 1 });
      expect(ready.body.last_load_error!.message).to.match(message);
      const p = await postJson(`${s.url}/api/v1/predict`, { recency: 10, frequency: 2, monetary: 300 });
      expect(p.json.model_version).to.equal(1);
      const m = await metricsText(s.url);
      expect(sample(m, 'rfm_model_load_failures_total', { reason })).to.equal(1);
      expect(sample(m, 'rfm_model_last_load_failed')).to.equal(1);
      expect(sample(m, 'rfm_model_active_version')).to.equal(1);
      const line = logs
        .map((l) => JSON.parse(l) as { level: number; msg: string; version?: number })
        .find((l) => l.version === version && /refused to load version/.test(l.msg));
      expect(line, `log line for v${version}`).to.not.equal(undefined);
      expect(line!.level).to.equal(40); // warn
    });

  it('a server started with no loadable model: /readyz 503 with the reason, ready 0, active version 0', async () => {
    const t2 = tempRegistry();
    await registerVersion(t2.file, artifactWithCentroids(CENTROIDS_A));
    corruptArtifact(t2.file, 1);
    const s2 = await startTestServer(t2.file);
    try {
      const r = await fetch(`${s2.url}/readyz`);
      expect(r.status).to.equal(503);
      const body = (await r.json()) as { ready: boolean; reason: string };
      expect(body.ready).to.equal(false);
      expect(body.reason).to.match(/version 1 could not be loaded: artifact checksum mismatch/);
      const m = await metricsText(s2.url);
      expect(sample(m, 'rfm_model_ready')).to.equal(0);
      expect(sample(m, 'rfm_model_active_version')).to.equal(0);
      expect(sample(m, 'rfm_model_load_failures_total', { reason: 'checksum' })).to.equal(1);
      const form = await fetch(`${s2.url}/`, { headers: { accept: 'text/html' } });
      expect(form.status).to.equal(503);
      expect((await form.text()).replace(/\s+/g, ' ')).to.match(/no model is active/i); // as shown
    } finally {
      await s2.close();
      t2.cleanup();
    }
  });
});

describe('rfm_predictions_total counts every customer scored, whatever the route', () => {
  let t: TempRegistry;
  let s: RunningServer;
  const artifact = artifactWithCentroids(CENTROIDS_A);
  const predictor = new Predictor(artifact);
  const segmentOf = (r: number, f: number, m: number) =>
    artifact.segments.find((x) => x.cluster === predictor.predict(r, f, m))!.name;
  before(async () => {
    t = tempRegistry();
    await registerVersion(t.file, artifact);
    s = await startTestServer(t.file);
  });
  after(async () => {
    await s.close();
    t.cleanup();
  });

  const total = async () =>
    (await metricsText(s.url))
      .split('\n')
      .filter((l) => l.startsWith('rfm_predictions_total{'))
      .reduce((sum, l) => sum + Number(l.split(' ').pop()), 0);

  it('JSON (fast path and pinned express path), CSV, transactions, the web form and the file upload', async () => {
    const send = async (path: string, type: string, body: string | FormData) => {
      const r = await fetch(`${s.url}${path}`, {
        method: 'POST',
        ...(type ? { headers: { 'content-type': type } } : {}),
        body,
      });
      await r.text();
      return r;
    };
    const upload = new FormData();
    upload.append('file', new Blob(['recency,frequency,monetary\n5,9,900\n300,1,20\n']), 'customers.csv');
    const counted: [string, () => Promise<{ status: number }>, number][] = [
      [
        'POST /api/v1/predict',
        () => postJson(`${s.url}/api/v1/predict`, { recency: 5, frequency: 9, monetary: 900 }),
        1,
      ],
      [
        'POST /api/v1/predict?version=1 (a batch of 3)',
        () =>
          postJson(`${s.url}/api/v1/predict?version=1`, {
            instances: [
              { recency: 5, frequency: 9, monetary: 900 },
              { recency: 300, frequency: 1, monetary: 20 },
              { recency: 40, frequency: 3, monetary: 200 },
            ],
          }),
        3,
      ],
      [
        'POST /api/v1/predict/csv (2 good rows, 1 bad)',
        () =>
          send('/api/v1/predict/csv', 'text/csv', 'cid,recency,frequency,monetary\na,5,9,900\nb,x,1,1\nc,300,1,20\n'),
        2,
      ],
      [
        'POST /api/v1/predict/transactions',
        () =>
          postJson(`${s.url}/api/v1/predict/transactions`, {
            as_of: '2011-12-10',
            transactions: [{ InvoiceNo: '1', InvoiceDate: '2011-12-01', Quantity: 2, UnitPrice: 10 }],
          }),
        1,
      ],
      [
        'POST / (the web form)',
        () => send('/', 'application/x-www-form-urlencoded', 'cid=C-1&recency=12&frequency=4&monetary=830.5'),
        1,
      ],
      ["POST /score (the form's file upload, 2 rows)", () => send('/score', '', upload), 2],
    ];
    for (const [what, post, n] of counted) {
      const before = await total();
      const r = await post();
      expect(r.status, what).to.equal(200);
      expect((await total()) - before, what).to.equal(n);
    }
  });

  it('the form counts its customer under the segment it showed', async () => {
    const label = { model_version: '1', segment: segmentOf(12, 4, 830.5) };
    const before = sample(await metricsText(s.url), 'rfm_predictions_total', label) ?? 0;
    const r = await fetch(`${s.url}/`, {
      method: 'POST',
      headers: { 'content-type': 'application/x-www-form-urlencoded' },
      body: 'recency=12&frequency=4&monetary=830.5',
    });
    expect(r.status).to.equal(200);
    expect(await r.text()).to.include(`>${label.segment.replace(/'/g, '&#39;')}<`);
    expect(sample(await metricsText(s.url), 'rfm_predictions_total', label)).to.equal(before + 1);
  });

  it('an invalid form post scores nobody and counts nothing', async () => {
    const before = await total();
    const r = await fetch(`${s.url}/`, {
      method: 'POST',
      headers: { 'content-type': 'application/x-www-form-urlencoded' },
      body: 'recency=-5&frequency=4&monetary=830.5',
    });
    expect(r.status).to.equal(400);
    expect(await total()).to.equal(before);
  });
});
