import { expect } from 'chai';
import { existsSync, mkdtempSync, readdirSync, readFileSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Registry } from '@rfm/registry';
import { generate } from '../../../bench/gen-data.js';
import type { RunningServer } from '../server.js';
import {
  artifactWithCentroids,
  CENTROIDS_A,
  REPO_ROOT,
  registerVersion,
  startTestServer,
  tempRegistry,
  waitFor,
  type TempRegistry,
} from '../test-support/fixtures.js';

const ADMIN = 'runs-admin-token-0123456789-abcdefghij';
const READ = 'runs-read-token-0123456789-abcdefghijkl';
const SAMPLE = readFileSync(join(REPO_ROOT, 'data', 'online_retail_sample.csv.gz'));
const auth = (t = ADMIN) => ({ authorization: `Bearer ${t}` });

interface RunJson {
  id: string;
  state: string;
  phase: string | null;
  rows_read: number;
  percent: number;
  saved: boolean;
  error: { code: string | null; message: string | null } | null;
  facts?: { rowsRead: number; customers: number; snapshotDate: string; rowsDropped: Record<string, number> };
  summary?: { segment: string; customers: number; revenue: number }[];
}

async function startRun(url: string, body: Buffer | string, query = '', type = 'application/gzip'): Promise<string> {
  const r = await fetch(`${url}/api/v1/runs${query}`, {
    method: 'POST',
    headers: { 'content-type': type, ...auth() },
    body,
  });
  const text = await r.text();
  expect(r.status, text).to.equal(202);
  const j = JSON.parse(text) as { id: string; location: string };
  expect(r.headers.get('location')).to.equal(`/api/v1/runs/${j.id}`);
  return j.id;
}

async function getRun(url: string, id: string, token = ADMIN): Promise<RunJson> {
  const r = await fetch(`${url}/api/v1/runs/${id}`, { headers: auth(token) });
  expect(r.status, await r.clone().text()).to.equal(200);
  return (await r.json()) as RunJson;
}

const finished = (url: string, id: string, ms: number) =>
  waitFor(
    async () => {
      const j = await getRun(url, id);
      return ['succeeded', 'failed', 'cancelled'].includes(j.state) ? j : null;
    },
    ms,
    100,
  );

describe('scoring runs over HTTP (real server, real registry, real child process)', function () {
  this.timeout(180_000);
  let t: TempRegistry;
  let s: RunningServer;
  let tempRoot: string;
  let big: string;
  before(async () => {
    t = tempRegistry();
    await registerVersion(t.file, artifactWithCentroids(CENTROIDS_A));
    tempRoot = mkdtempSync(join(tmpdir(), 'rfm-runs-root-'));
    big = join(t.dir, 'big.csv');
    await generate({ rows: 1_500_000, customers: 50_000, out: big, seed: 3 });
    s = await startTestServer(
      t.file,
      { adminToken: ADMIN, readToken: READ },
      {
        runs: { tempRoot, pollMs: 50 },
        authFailures: { limit: 10_000, windowMs: 60_000 }, // the auth checks send wrong tokens on purpose
      },
    );
  });
  after(async () => {
    await s?.close();
    t.cleanup();
    rmSync(tempRoot, { recursive: true, force: true });
  });

  // the scoring runs' own folders; a saved run's upload is kept apart (kept-<id>) for retraining
  const entries = () => readdirSync(join(tempRoot, `rfm-runs-${process.getuid!()}`));
  const folders = () => entries().filter((f) => !f.startsWith('kept-'));

  it('scores the bundled sample export: progress, then the summary; the saved run lists its customers as CSV and JSON lines', async () => {
    let loads = 0;
    s.holder.on('loaded', () => loads++);
    const id = await startRun(s.url, SAMPLE);
    const seen = new Set<string>();
    const done = await waitFor(
      async () => {
        const j = await getRun(s.url, id, READ); // the read token reads runs
        seen.add(j.state);
        return j.state === 'succeeded' || j.state === 'failed' ? j : null;
      },
      60_000,
      20,
    );
    const j = done.value;
    expect(j.state, JSON.stringify(j.error)).to.equal('succeeded');
    expect(j.percent).to.equal(100);
    expect(j.saved).to.equal(true);
    // the sample's documented facts (data/README.md): 12,140 rows, 296 customers, snapshot 2011-12-10
    expect(j.rows_read).to.equal(12_140);
    expect(j.facts).to.include({ rowsRead: 12_140, customers: 296, snapshotDate: '2011-12-10' });
    expect(j.facts!.rowsDropped).to.include({ missing_customer: 97, cancelled: 340, price_not_positive: 4 });
    expect(j.summary!.reduce((a, x) => a + x.customers, 0)).to.equal(296);
    expect(
      [...seen].some((x) => x === 'queued' || x === 'running'),
      [...seen].join(),
    ).to.equal(true);

    const csv = await fetch(`${s.url}/api/v1/runs/${id}/customers`, { headers: auth(READ) });
    expect(csv.status).to.equal(200);
    expect(csv.headers.get('content-type')).to.match(/^text\/csv/);
    const lines = (await csv.text()).trim().split('\n');
    expect(lines[0]).to.equal(
      'cid,recency,frequency,monetary,r_score,f_score,m_score,cluster,segment,distance,outlier,previous_segment,segment_since',
    );
    expect(lines.length).to.equal(297);

    const nd = await fetch(`${s.url}/api/v1/runs/${id}/customers`, {
      headers: { ...auth(), accept: 'application/x-ndjson' },
    });
    expect(nd.headers.get('content-type')).to.match(/^application\/x-ndjson/);
    const rows = (await nd.text())
      .trim()
      .split('\n')
      .map((l) => JSON.parse(l) as { cid: string; segment: string; monetary: number });
    expect(rows.length).to.equal(296);
    const seg = j.summary![0]!;
    const only = await fetch(`${s.url}/api/v1/runs/${id}/customers?segment=${encodeURIComponent(seg.segment)}`, {
      headers: { ...auth(), accept: 'application/x-ndjson' },
    });
    const onlyRows = (await only.text()).trim().split('\n');
    expect(onlyRows.length).to.equal(seg.customers);
    const bad = await fetch(`${s.url}/api/v1/runs/${id}/customers?segment=Nobody`, { headers: auth() });
    expect(bad.status).to.equal(404);
    expect(((await bad.json()) as { error: { message: string } }).error.message).to.include('Nobody');

    // a second run of the same export: the diff has every customer staying where they were
    const id2 = await startRun(s.url, SAMPLE);
    expect((await finished(s.url, id2, 60_000)).value.state).to.equal('succeeded');
    const diff = await fetch(`${s.url}/api/v1/runs/${id2}/diff?against=${id}`, { headers: auth(READ) });
    expect(diff.status).to.equal(200);
    const listed = (await (await fetch(`${s.url}/api/v1/runs`, { headers: auth(READ) })).json()) as {
      runs: { id: string }[];
    };
    expect(listed.runs.map((r) => r.id)).to.include.members([id, id2]);

    // run folders are gone once runs end; job writes and saves never reloaded the model
    await waitFor(async () => folders().length === 0, 5_000);
    expect(loads, 'model loads while runs progressed and saved').to.equal(0);

    // both saved runs' uploads are kept for retraining (RFM_RUN_UPLOAD_KEEP_HOURS, 24 h by default), privately
    expect(entries().filter((f) => f.startsWith('kept-'))).to.include.members([`kept-${id}`, `kept-${id2}`]);
    const keptDir = join(tempRoot, `rfm-runs-${process.getuid!()}`, `kept-${id2}`);
    expect(statSync(keptDir).mode & 0o777).to.equal(0o700);
    expect(readdirSync(keptDir)).to.deep.equal(['export.csv.gz']);
    const del = await fetch(`${s.url}/api/v1/runs/${id2}`, { method: 'DELETE', headers: auth() });
    expect(del.status).to.equal(200);
    expect(entries(), 'a deleted run keeps no upload').to.not.include(`kept-${id2}`);
    const gone = await fetch(`${s.url}/api/v1/runs/${id2}`, { headers: auth() });
    expect(gone.status).to.equal(200); // the job record stays, no longer saved
  });

  it('cancels a running run: it reads as cancelled, nothing is saved, its folder is removed', async () => {
    const id = await startRun(s.url, readFileSync(big), '', 'text/csv');
    // progress while it runs: the phase the child reports (reading the export) reaches the registry
    const mid = await waitFor(
      async () => {
        const j = await getRun(s.url, id);
        return j.state === 'running' && j.phase === 'reading' ? j : null;
      },
      30_000,
      20,
    );
    expect(mid.value.percent).to.be.within(0, 70);
    expect(folders()).to.have.length(1);
    const dir = join(tempRoot, `rfm-runs-${process.getuid!()}`, folders()[0]!);
    expect(statSync(dir).mode & 0o777).to.equal(0o700);
    const c = await fetch(`${s.url}/api/v1/runs/${id}`, { method: 'DELETE', headers: auth() });
    expect(c.status).to.equal(202);
    const end = await finished(s.url, id, 20_000);
    expect(end.value.state).to.equal('cancelled');
    expect(end.ms, 'cancelled within a few polls').to.be.below(5_000);
    const reg = await Registry.openReadOnly(t.file);
    try {
      expect((await reg.listRuns()).map((r) => r.id)).not.to.include(id);
    } finally {
      await reg.close();
    }
    await waitFor(async () => !existsSync(dir), 5_000);
  });

  it('bad input: unknown run ids are 404 naming them; bad options 400 naming the field; wrong types 415', async () => {
    const nf = await fetch(`${s.url}/api/v1/runs/r-20261130-00000000`, { headers: auth() });
    expect(nf.status).to.equal(404);
    expect(((await nf.json()) as { error: { message: string } }).error.message).to.include('r-20261130-00000000');
    const bad = await fetch(`${s.url}/api/v1/runs?as_of=yesterday`, {
      method: 'POST',
      headers: { 'content-type': 'text/csv', ...auth() },
      body: 'a,b\n1,2\n',
    });
    expect(bad.status).to.equal(400);
    expect(((await bad.json()) as { error: { message: string } }).error.message).to.match(/as_of/);
    const v = await fetch(`${s.url}/api/v1/runs?version=99`, {
      method: 'POST',
      headers: { 'content-type': 'application/gzip', ...auth() },
      body: SAMPLE,
    });
    expect(v.status).to.equal(404);
    const ty = await fetch(`${s.url}/api/v1/runs`, {
      method: 'POST',
      headers: { 'content-type': 'application/json', ...auth() },
      body: '{}',
    });
    expect(ty.status).to.equal(415);
    await waitFor(async () => folders().length === 0, 5_000);
  });

  it('every runs route needs a token: 401 without or with a wrong one; the read token (a viewer) starts runs but cannot delete', async () => {
    const id = 'r-20261130-00000000';
    const routes: [string, string][] = [
      ['POST', '/api/v1/runs'],
      ['GET', '/api/v1/runs'],
      ['GET', `/api/v1/runs/${id}`],
      ['GET', `/api/v1/runs/${id}/customers`],
      ['GET', `/api/v1/runs/${id}/diff`],
      ['DELETE', `/api/v1/runs/${id}`],
    ];
    for (const [method, path] of routes) {
      const init = (h: Record<string, string>) => ({
        method,
        headers: { 'content-type': 'text/csv', ...h },
        ...(method === 'POST' ? { body: 'x\n' } : {}),
      });
      const none = await fetch(`${s.url}${path}`, init({}));
      expect(none.status, `${method} ${path} without a token`).to.equal(401);
      const wrong = await fetch(`${s.url}${path}`, init(auth('x'.repeat(40))));
      expect(wrong.status, `${method} ${path} with a wrong token`).to.equal(401);
      const read = await fetch(`${s.url}${path}`, init(auth(READ)));
      const text = await read.text();
      if (method !== 'DELETE') expect(read.status, `${method} ${path} read token: ${text}`).to.not.be.oneOf([401, 403]);
      else {
        expect(read.status, `${method} ${path} read token`).to.equal(403);
        expect(JSON.parse(text).error.message).to.equal(
          'this needs the admin role; reader is a viewer: nothing was changed',
        );
      }
    }
  });
});
