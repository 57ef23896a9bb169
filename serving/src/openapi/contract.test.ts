import { expect } from 'chai';
import { request } from 'node:http';
import { Ajv2020, type ValidateFunction } from 'ajv/dist/2020.js';
import { pino } from 'pino';
import { loadConfig } from '@rfm/shared';
import { makeArtifact } from '@rfm/shared/testing';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Registry } from '@rfm/registry';
import { newRunInput, scoreExport } from '@rfm/runs';
import { createApp } from '../app.js';
import { ModelHolder } from '../model-holder.js';
import { RegistryWriter } from '../registry-writer.js';
import { runIdentity } from '../runs/identity.js';
import { RunQueue } from '../runs/run-queue.js';
import { mountedRoutes } from '../route-table.js';
import type { RunningServer } from '../server.js';
import { MODEL, REPO_ROOT, startTestServer, tempRegistry, type TempRegistry } from '../test-support/fixtures.js';
import { openApiDocument, OPERATIONS, type OperationDoc } from './document.js';

/**
 * The API contract, checked from outside against real servers (real SQLite registry, real HTTP on
 * port 0): the documented routes are the mounted ones; every documented example request is sent and
 * its answer has a documented status and a body valid against the documented schema (JSON Schema
 * 2020-12, ajv, on the generated OpenAPI document); every documented status is provoked and checked
 * the same way, so the document lists exactly the statuses the routes answer.
 */

/** Routes that are pages for people, not part of the JSON API the document describes. */
const PAGES = [
  'GET /docs',
  'GET /assets/:file',
  'GET /',
  'GET /favicon.ico',
  'POST /',
  'POST /score',
  'GET /models',
  'GET /models/:name/compare',
  'GET /models/:name/compare/flows.svg',
  'GET /models/:name/:v',
  'GET /models/:name/:v/charts/placement.svg',
  'GET /models/:name/:v/charts/:chart.svg',
  'GET /models/:name/:v/report',
  'GET /admin',
  'POST /admin/login',
  'POST /admin/logout',
  'POST /admin/logout-all',
  'POST /models/:name/:v/promote',
  'POST /models/:name/rollback',
  'POST /models/:name/:v/relabel',
  // scoring run pages (signed-in session; progress.json feeds the page's progress bar)
  'GET /runs',
  'GET /runs/new',
  'POST /runs/new',
  'POST /runs/new/columns',
  'GET /runs/:id',
  'GET /runs/:id/progress.json',
  'POST /runs/:id/cancel',
  'GET /runs/:id/charts/shares.svg',
  'GET /runs/:id/charts/movement.svg',
  'POST /runs/:id/retrain',
  'GET /runs/:id/customers.csv',
  'GET /runs/:id/moved.csv',
];

const TOKEN = 'contract-admin-token-0123456789-abcdef';
const READ = 'contract-read-token-0123456789-abcdefgh';
const FAILED_RUN = 'r-20261130-0000fa11';
/** the contract server takes small run uploads only, so 413 is cheap to provoke */
const RUN_UPLOAD_CAP = 4096;
const saved: string[] = [];
const opKey = (op: OperationDoc) => `${op.method.toUpperCase()} ${op.path}`;
const doc = JSON.parse(JSON.stringify(openApiDocument())) as Record<string, unknown>;
const ajv = new Ajv2020({ strict: false, allErrors: true }); // strict off: OpenAPI's own keywords sit beside the schemas
ajv.addSchema(doc, 'openapi.json');
const pointer = (...parts: string[]) => parts.map((p) => p.replace(/~/g, '~0').replace(/\//g, '~1')).join('/');
const validators = new Map<string, ValidateFunction>();
function validatorFor(op: OperationDoc, status: number): ValidateFunction {
  const ref = `openapi.json#/${pointer('paths', op.path, op.method, 'responses', String(status), 'content', 'application/json', 'schema')}`;
  let v = validators.get(ref);
  if (!v) {
    v = ajv.compile({ $ref: ref });
    validators.set(ref, v);
  }
  return v;
}

interface Sent {
  status: number;
  type: string;
  text: string;
}

/** One request through node:http (a declared content-length may exceed what is sent: limits answer first). */
function send(
  base: string,
  method: string,
  path: string,
  opts: { type?: string; body?: string; token?: string | null; declaredLength?: number } = {},
): Promise<Sent> {
  const url = new URL(path, base);
  const headers: Record<string, string> = { accept: 'application/json' };
  if (opts.type) headers['content-type'] = opts.type;
  if (opts.token) headers.authorization = `Bearer ${opts.token}`;
  const body = opts.body === undefined ? undefined : Buffer.from(opts.body);
  if (opts.declaredLength !== undefined) headers['content-length'] = String(opts.declaredLength);
  else if (body) headers['content-length'] = String(body.length);
  return new Promise((resolve, reject) => {
    const req = request(url, { method, headers }, (res) => {
      const chunks: Buffer[] = [];
      res.on('data', (c: Buffer) => chunks.push(c));
      res.on('end', () => {
        resolve({
          status: res.statusCode ?? 0,
          type: String(res.headers['content-type'] ?? ''),
          text: Buffer.concat(chunks).toString('utf8'),
        });
        if (opts.declaredLength !== undefined) req.destroy();
      });
    });
    req.on('error', (e) => (opts.declaredLength !== undefined ? undefined : reject(e)));
    if (opts.declaredLength !== undefined) {
      req.flushHeaders(); // headers only: the server refuses on the declared length
    } else req.end(body);
  });
}

async function register(file: string, silhouette: number, seed: number): Promise<number> {
  const reg = await Registry.open(file);
  try {
    const a = makeArtifact({ seed });
    return (
      await reg.register({ modelName: MODEL, artifact: { ...a, metrics: { ...a.metrics, silhouette } }, actor: 'test' })
    ).version;
  } finally {
    await reg.close();
  }
}

describe('API contract: documented routes, statuses and schemas against running servers', function () {
  this.timeout(60_000);
  const observed = new Set<string>();
  let mismatches: string[] = [];
  let t: TempRegistry;
  let empty: TempRegistry;
  let s: RunningServer;
  let none: RunningServer;
  let limited: RunningServer;

  /** The answer's status is documented for the route, and a JSON answer matches the documented schema. */
  function check(op: OperationDoc, r: Sent, what: string): void {
    const where = `${opKey(op)} ${what} → ${r.status}`;
    const doc = op.responses[r.status];
    if (!doc) {
      mismatches.push(`${where}: status not documented (${r.text.slice(0, 200)})`);
      return;
    }
    observed.add(`${opKey(op)} ${r.status}`);
    if (!doc.body) return;
    if (!r.type.startsWith(doc.body.contentType)) {
      mismatches.push(`${where}: content-type ${r.type}, documented ${doc.body.contentType}`);
      return;
    }
    if (doc.body.contentType !== 'application/json') return;
    const v = validatorFor(op, r.status);
    if (!v(JSON.parse(r.text))) mismatches.push(`${where}: ${ajv.errorsText(v.errors)} in ${r.text.slice(0, 300)}`);
  }

  const urlOf = (op: OperationDoc, params: Record<string, string>) => {
    let path = op.path;
    const query = new URLSearchParams();
    for (const [k, v] of Object.entries(params)) {
      if (path.includes(`{${k}}`)) path = path.replace(`{${k}}`, encodeURIComponent(v));
      else query.set(k, v);
    }
    return query.size ? `${path}?${query}` : path;
  };
  const op = (method: string, path: string) => OPERATIONS.find((o) => opKey(o) === `${method} ${path}`)!;

  before(async () => {
    t = tempRegistry();
    await register(t.file, 0.4, 2); // v1
    await register(t.file, 0.41, 3); // v2, passes the policy
    await register(t.file, 0.1, 4); // v3, refused by the policy
    await register(t.file, 0.42, 5); // v4, archived below
    const reg = await Registry.open(t.file);
    try {
      await reg.promote(MODEL, 1, { actor: 'test', reason: 'first' });
      await reg.archive(MODEL, 4, { actor: 'test', reason: 'old' });
    } finally {
      await reg.close();
    }
    // two saved runs of the bundled sample (scored here, as `rfm score --save` would), and a failed job
    const sample = join(REPO_ROOT, 'data', 'online_retail_sample.csv.gz');
    const scoring = await Registry.open(t.file);
    try {
      const model = await scoring.loadModel(MODEL, 1);
      for (let i = 0; i < 2; i++)
        saved.push((await scoring.saveRun(newRunInput(await scoreExport(sample, model)), 'test')).id);
      await scoring.createRunJob({
        id: FAILED_RUN,
        model: MODEL,
        version: 1,
        createdBy: 'test',
        serverId: 'elsewhere:1:1',
        save: true,
      });
      await scoring.updateRunJob(FAILED_RUN, {
        state: 'failed',
        errorCode: 'INVALID_INPUT',
        error: 'no customer column',
      });
    } finally {
      await scoring.close();
    }
    // the checks send wrong tokens on purpose: a budget they cannot exhaust here, and a server of
    // its own (one failure per window) for the 429 every admin write can answer
    s = await startTestServer(
      t.file,
      { adminToken: TOKEN, readToken: READ, pollMs: 50 },
      { authFailures: { limit: 10_000, windowMs: 60_000 }, runs: { maxUploadBytes: RUN_UPLOAD_CAP } },
    );
    limited = await startTestServer(t.file, { adminToken: TOKEN }, { authFailures: { limit: 1, windowMs: 60_000 } });
    empty = tempRegistry();
    none = await startTestServer(empty.file, {}); // nobody can sign in here: runs answer 403 "disabled"
  });
  after(async () => {
    await s.close();
    await limited.close();
    await none.close();
    t.cleanup();
    empty.cleanup();
  });

  it('the documented routes are exactly the mounted API routes (pages for people aside)', () => {
    const config = loadConfig({}, { registry: t.file, port: 0 });
    const logger = pino({ level: 'silent' });
    const holder = new ModelHolder({ registry: t.file, modelName: MODEL, pollMs: 1000, logger });
    const identity = runIdentity();
    const writer = new RegistryWriter(t.file);
    const queue = new RunQueue({ registry: t.file, writer, logger, identity, base: tmpdir() }); // never started
    const app = createApp({ holder, config, logger, writer, runs: { queue, identity, base: tmpdir() } });
    const mounted = mountedRoutes(app).map((r) => `${r.method} ${r.path}`);
    const documented = OPERATIONS.map((o) => `${o.method.toUpperCase()} ${o.path.replace(/\{(\w+)\}/g, ':$1')}`);
    expect([...mounted].sort()).to.deep.equal([...documented, ...PAGES].sort());
    expect(new Set(mounted).size, 'no route mounted twice').to.equal(mounted.length);
  });

  it('every documented response example is valid against its documented JSON Schema', () => {
    let n = 0;
    for (const o of OPERATIONS)
      for (const [status, r] of Object.entries(o.responses))
        if (r.body?.contentType === 'application/json' && r.body.schema)
          for (const [name, ex] of Object.entries(r.body.examples)) {
            const v = validatorFor(o, Number(status));
            expect(v(ex.value), `${opKey(o)} ${status} example "${name}": ${ajv.errorsText(v.errors)}`).to.equal(true);
            n++;
          }
    expect(n).to.be.greaterThan(40);
  });

  it('every documented example request, sent to a running server, is answered as documented', async () => {
    mismatches = [];
    let sent = 0;
    for (const o of OPERATIONS) {
      const bodies = o.request ? Object.entries(o.request.examples) : [['(none)', { value: undefined }] as const];
      for (const params of o.paramExamples ?? [{}]) {
        for (const [name, ex] of bodies) {
          const value = ex.value;
          const r = await send(s.url, o.method.toUpperCase(), urlOf(o, params), {
            token: o.admin ? TOKEN : null,
            ...(o.request && value !== undefined
              ? {
                  type: o.request.contentType,
                  body: typeof value === 'string' ? value : JSON.stringify(value),
                }
              : {}),
          });
          check(o, r, `example "${name}" ${JSON.stringify(params)}`);
          sent++;
        }
      }
    }
    expect(mismatches, mismatches.join('\n')).to.deep.equal([]);
    expect(sent).to.be.greaterThan(25);
  });

  it('every documented status is answered by its route, each body valid against its documented schema', async () => {
    mismatches = [];
    const base = s.url;
    const names = (
      JSON.parse((await send(base, 'GET', '/api/v1/models/customer-segments/versions/2')).text) as {
        segments: { cluster: number; name: string }[];
      }
    ).segments;
    const taken = names.find((x) => x.cluster === 1)!.name;
    const json = 'application/json';
    // body-parser reads an oversized body to its end before answering 413, so it is really sent
    const big = (limit: number) => ({ type: json, body: JSON.stringify({ pad: 'x'.repeat(limit) }) });
    const junk = { type: 'text/plain', body: 'hello' };
    const body = (v: unknown) => ({ type: json, body: JSON.stringify(v) });
    const admin = (o: Parameters<typeof send>[3] = {}) => ({ token: TOKEN, ...o });
    type Case = [method: string, docPath: string, url: string, opts: Parameters<typeof send>[3], server?: string];
    const M = '/api/v1/models/customer-segments';
    const cases: Case[] = [
      ['POST', '/api/v1/predict', '/api/v1/predict', body({ recency: -1, frequency: 1, monetary: 1 })],
      ['POST', '/api/v1/predict', '/api/v1/predict?version=99', body({ recency: 1, frequency: 1, monetary: 1 })],
      ['POST', '/api/v1/predict', '/api/v1/predict', big(2 * 1024 * 1024)],
      ['POST', '/api/v1/predict', '/api/v1/predict', junk],
      ['POST', '/api/v1/predict', '/api/v1/predict', body({ recency: 1, frequency: 1, monetary: 1 }), none.url],
      ['POST', '/api/v1/predict/csv', '/api/v1/predict/csv', { type: 'text/csv', body: 'cid,recency\n1,2\n' }],
      ['POST', '/api/v1/predict/csv', '/api/v1/predict/csv?version=99', { type: 'text/csv', body: 'a\n' }],
      ['POST', '/api/v1/predict/csv', '/api/v1/predict/csv', { type: 'text/csv', declaredLength: 60 * 1024 * 1024 }],
      ['POST', '/api/v1/predict/csv', '/api/v1/predict/csv', body({})],
      ['POST', '/api/v1/predict/csv', '/api/v1/predict/csv', { type: 'text/csv', body: 'recency\n' }, none.url],
      ['POST', '/api/v1/predict/transactions', '/api/v1/predict/transactions', body({ transactions: [] })],
      [
        'POST',
        '/api/v1/predict/transactions',
        '/api/v1/predict/transactions?version=99',
        body({ transactions: [{ InvoiceNo: '1', InvoiceDate: '2011-12-01', Quantity: 2, UnitPrice: 10 }] }),
      ],
      ['POST', '/api/v1/predict/transactions', '/api/v1/predict/transactions', big(4 * 1024 * 1024)],
      ['POST', '/api/v1/predict/transactions', '/api/v1/predict/transactions', junk],
      [
        'POST',
        '/api/v1/predict/transactions',
        '/api/v1/predict/transactions',
        body({ transactions: [{ InvoiceNo: '1', InvoiceDate: '2011-12-01', Quantity: 2, UnitPrice: 10 }] }),
        none.url,
      ],
      ['GET', '/api/v1/model', '/api/v1/model?version=abc', {}],
      ['GET', '/api/v1/model', '/api/v1/model?version=99', {}],
      ['GET', '/api/v1/model', '/api/v1/model', {}, none.url],
      ['GET', '/api/v1/models/{name}/versions/{v}', `${M}/versions/abc`, {}],
      ['GET', '/api/v1/models/{name}/versions/{v}', `${M}/versions/99`, {}],
      ['GET', '/api/v1/models/{name}/history', `${M}/history?alias=NOT_AN_ALIAS`, {}],
      ['GET', '/api/v1/models/{name}/history', '/api/v1/models/nope/history', {}],
      ['GET', '/api/v1/models/{name}/compare', `${M}/compare?a=1`, {}],
      ['GET', '/api/v1/models/{name}/compare', `${M}/compare?a=1&b=99`, {}],
      ['GET', '/readyz', '/readyz', {}, none.url],
    ];
    // the admin writes: 400, 401, 403, 404, 413 and 415 alike, then each one's own refusals
    const writes: [string, string, string, unknown, string][] = [
      [
        'POST',
        '/api/v1/models/{name}/versions/{v}/promote',
        `${M}/versions/2/promote`,
        { force: 'yes' },
        `${M}/versions/99/promote`,
      ],
      [
        'POST',
        '/api/v1/models/{name}/rollback',
        `${M}/rollback`,
        { alias: 'NOT AN ALIAS' },
        '/api/v1/models/nope/rollback',
      ],
      [
        'PUT',
        '/api/v1/models/{name}/aliases/{alias}',
        `${M}/aliases/staging`,
        { version: 'x' },
        `${M}/aliases/staging`,
      ],
      ['DELETE', '/api/v1/models/{name}/aliases/{alias}', `${M}/aliases/staging`, { extra: 1 }, `${M}/aliases/nope`],
      [
        'POST',
        '/api/v1/models/{name}/versions/{v}/relabel',
        `${M}/versions/2/relabel`,
        { cluster: -1 },
        `${M}/versions/99/relabel`,
      ],
      [
        'POST',
        '/api/v1/models/{name}/versions/{v}/archive',
        `${M}/versions/2/archive`,
        { extra: 1 },
        `${M}/versions/99/archive`,
      ],
    ];
    for (const [method, docPath, url, invalid, missing] of writes) {
      cases.push(
        [method, docPath, url, admin(body(invalid))],
        [method, docPath, url, body({})],
        [method, docPath, url, { ...body({}), token: 'wrong-token-0123456789' }],
        [method, docPath, url, { ...body({}), token: READ }], // a viewer: 403 naming the admin role
        // the second failure from this address on the one-failure server: 429 (the first is a 403)
        [method, docPath, url, { ...body({}), token: 'wrong-token-0123456789' }, limited.url],
        [method, docPath, url, { ...body({}), token: 'wrong-token-0123456789' }, limited.url],
        [
          method,
          docPath,
          missing,
          admin(body(method === 'PUT' ? { version: 99 } : /relabel/.test(url) ? { cluster: 0, name: 'VIP' } : {})),
        ],
        [method, docPath, url, admin(big(64 * 1024))],
        [method, docPath, url, admin(junk)],
      );
    }
    cases.push(
      ['POST', '/api/v1/models/{name}/versions/{v}/promote', `${M}/versions/4/promote`, admin(body({}))], // archived
      ['POST', '/api/v1/models/{name}/versions/{v}/promote', `${M}/versions/3/promote`, admin(body({}))], // policy
      ['POST', '/api/v1/models/{name}/rollback', `${M}/rollback`, admin(body({}))], // production has no earlier version
      ['PUT', '/api/v1/models/{name}/aliases/{alias}', `${M}/aliases/staging`, admin(body({ version: 4 }))], // archived
      ['PUT', '/api/v1/models/{name}/aliases/{alias}', `${M}/aliases/production`, admin(body({ version: 3 }))], // policy
      ['DELETE', '/api/v1/models/{name}/aliases/{alias}', `${M}/aliases/production`, admin(body({}))],
      [
        'POST',
        '/api/v1/models/{name}/versions/{v}/relabel',
        `${M}/versions/2/relabel`,
        admin(body({ cluster: 0, name: taken })),
      ],
      // production is on v2 here (the examples promoted it; rollback cannot return to an archived v1)
      ['POST', '/api/v1/models/{name}/versions/{v}/archive', `${M}/versions/2/archive`, admin(body({}))],
    );
    // scoring runs: every route takes a token (reads too); each one's own refusals
    const R = '/api/v1/runs';
    const runRoutes: [string, string, string, Parameters<typeof send>[3]][] = [
      ['POST', R, R, { type: 'text/csv', body: 'a,b\n1,2\n' }],
      ['GET', R, R, {}],
      ['GET', `${R}/{id}`, `${R}/${saved[0]}`, {}],
      ['GET', `${R}/{id}/customers`, `${R}/${saved[0]}/customers`, {}],
      ['GET', `${R}/{id}/diff`, `${R}/${saved[1]}/diff`, {}],
      ['DELETE', `${R}/{id}`, `${R}/${FAILED_RUN}`, {}],
    ];
    // one customer: lookup (read) and erasure (admin)
    const C = '/api/v1/customers';
    runRoutes.push(
      ['GET', `${C}/{cid}`, `${C}/12367`, {}],
      ['POST', `${C}/{cid}/forget`, `${C}/12373/forget`, body({})],
    );
    cases.push(
      ['GET', `${C}/{cid}`, `${C}/%01x`, admin()],
      ['GET', `${C}/{cid}`, `${C}/12367?model=NOT%20A%20NAME`, admin()],
      ['GET', `${C}/{cid}`, `${C}/nobody-0000`, admin()],
      ['GET', `${C}/{cid}`, `${C}/12367?model=other-model`, admin()],
      ['GET', `${C}/{cid}`, `${C}/12349`, admin()], // erased by the example request
      ['GET', `${C}/{cid}`, `${C}/12367`, admin()],
      ['POST', `${C}/{cid}/forget`, `${C}/12384/forget`, admin(body({ reason: 'x'.repeat(501) }))],
      ['POST', `${C}/{cid}/forget`, `${C}/nobody-0000/forget`, admin(body({}))],
      ['POST', `${C}/{cid}/forget`, `${C}/12384/forget`, admin(big(16 * 1024))],
      ['POST', `${C}/{cid}/forget`, `${C}/12384/forget`, admin(junk)],
      ['POST', `${C}/{cid}/forget`, `${C}/12349/forget`, admin(body({}))], // recognised: erased before
    );
    for (const [method, docPath, url, opts] of runRoutes)
      cases.push(
        [method, docPath, url, opts],
        [method, docPath, url, { ...opts, token: 'wrong-token-0123456789' }],
        [
          method,
          docPath,
          url,
          { ...opts, token: method === 'DELETE' ? READ : TOKEN },
          method === 'DELETE' ? undefined : none.url,
        ],
        [method, docPath, url, { ...opts, token: 'wrong-token-0123456789' }, limited.url],
        [method, docPath, url, { ...opts, token: 'wrong-token-0123456789' }, limited.url],
      );
    for (const sub of ['', '/customers', '/diff']) {
      cases.push(['GET', `${R}/{id}${sub}`, `${R}/nope${sub}`, admin()]);
      cases.push(['GET', `${R}/{id}${sub}`, `${R}/r-20261130-00000000${sub}`, admin()]);
    }
    cases.push(
      ['DELETE', `${R}/{id}`, `${R}/nope`, admin()],
      ['DELETE', `${R}/{id}`, `${R}/r-20261130-00000000`, admin()],
      ['DELETE', `${R}/{id}`, `${R}/${FAILED_RUN}`, admin()], // failed, never saved: 409
      ['GET', `${R}/{id}/customers`, `${R}/${FAILED_RUN}/customers`, admin()], // 409
      ['GET', `${R}/{id}/diff`, `${R}/${FAILED_RUN}/diff`, admin()], // 409
      ['GET', `${R}/{id}`, `${R}/${saved[0]}`, admin()],
      ['GET', `${R}/{id}/customers`, `${R}/${saved[0]}/customers`, admin()],
      ['GET', `${R}/{id}/diff`, `${R}/${saved[1]}/diff?against=${saved[0]}`, admin()],
      ['GET', R, `${R}?model=NOT%20A%20NAME`, admin()],
      ['POST', R, `${R}?as_of=yesterday`, admin({ type: 'text/csv', body: 'a,b\n1,2\n' })],
      ['POST', R, `${R}?version=99`, admin({ type: 'text/csv', body: 'a,b\n1,2\n' })],
      ['POST', R, R, admin({ type: 'text/csv', body: 'x'.repeat(RUN_UPLOAD_CAP + 1) })],
      ['POST', R, R, admin(junk)],
      ['DELETE', `${R}/{id}`, `${R}/${saved[0]}`, admin()], // saved: deleted
    );
    for (const [method, docPath, url, opts, server] of cases) {
      const r = await send(server ?? base, method, url, opts);
      check(op(method, docPath), r, `${url}${server ? ' (no model)' : ''}`);
    }
    // a full queue (one run of this serve instance executing, eight waiting): 503; a queued run is cancelled at once: 202
    const reg = await Registry.open(t.file);
    const { host, group } = runIdentity();
    const blockers = Array.from({ length: 9 }, (_, i) => `r-20261130-b10c${String(i).padStart(4, '0')}`);
    try {
      for (const id of blockers)
        await reg.createRunJob({
          id,
          model: MODEL,
          version: 1,
          createdBy: 'test',
          serverId: `${group}${process.pid}`,
          save: false,
        });
      await reg.updateRunJob(blockers[0]!, { state: 'running' });
      check(op('POST', R), await send(base, 'POST', R, admin({ type: 'text/csv', body: 'a,b\n1,2\n' })), 'queue full');
      check(op('DELETE', `${R}/{id}`), await send(base, 'DELETE', `${R}/${blockers[1]}`, admin()), 'queued');
    } finally {
      for (const id of blockers) await reg.updateRunJob(id, { state: 'failed', error: 'test blocker' });
      await reg.close();
    }
    expect(host).to.be.a('string');
    expect(mismatches, mismatches.join('\n')).to.deep.equal([]);
  });

  it('every documented status was answered by its route in the checks above', () => {
    const documented = OPERATIONS.flatMap((o) => Object.keys(o.responses).map((st) => `${opKey(o)} ${st}`));
    const never = documented.filter((d) => !observed.has(d));
    expect(never, `documented but never answered:\n${never.join('\n')}`).to.deep.equal([]);
  });
});
