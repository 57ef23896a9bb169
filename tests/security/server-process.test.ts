/**
 * Security properties of a real `rfm serve` process (the deployment wiring, through the CLI):
 *  - helmet's headers on every kind of answer: pages, JSON, CSV, assets, metrics, docs, and the
 *    errors raised before any route (bad JSON, too large, wrong type, unknown path, no token);
 *  - uploads never touch paths chosen by the client: CSV uploads through the web form and the API
 *    whose file names, headers and queries point elsewhere (../, absolute paths) create no file;
 *    the serving code has no way to write one (no disk storage, no fs write call);
 *  - no secrets in logs: with RFM_ADMIN_TOKEN set and the log level at trace, admin calls with the
 *    right and wrong tokens, a web sign-in and signed-in admin forms leave the token nowhere in
 *    what the process writes (plain, base64, URL-encoded).
 */
import { expect } from 'chai';
import { spawn, type ChildProcess } from 'node:child_process';
import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Registry } from '@rfm/registry';
import { makeArtifact } from '@rfm/shared/testing';
import { ROOT, tempDir } from '../support.js';
import { builtCli } from '../../cli/src/test-support/built-cli.js';

const MODEL = 'customer-segments';
const TOKEN = 'log-test-admin-token-Zq8xW3vR5t-padded-to-32+';
const MARKER = `rfm-upload-probe-${process.pid}-${Date.now()}`;

const HELMET: [string, RegExp][] = [
  ['content-security-policy', /default-src 'none'/],
  ['x-content-type-options', /^nosniff$/],
  ['x-frame-options', /^DENY$/],
  ['referrer-policy', /^no-referrer$/],
  ['strict-transport-security', /^max-age=\d+/],
  ['cross-origin-opener-policy', /^same-origin$/],
  ['cross-origin-resource-policy', /^same-origin$/],
  ['origin-agent-cluster', /^\?1$/],
  ['x-dns-prefetch-control', /^off$/],
  ['x-download-options', /^noopen$/],
  ['x-permitted-cross-domain-policies', /^none$/],
  ['x-xss-protection', /^0$/],
];

function multipart(filename: string, content: string): { body: Buffer; type: string } {
  const boundary = `----rfm${Date.now()}`;
  const body = Buffer.from(
    `--${boundary}\r\nContent-Disposition: form-data; name="file"; filename="${filename}"\r\nContent-Type: text/csv\r\n\r\n${content}\r\n--${boundary}--\r\n`,
  );
  return { body, type: `multipart/form-data; boundary=${boundary}` };
}

/** Names under `dir` (to `depth` levels, skipping dependency and VCS folders) containing `needle`. */
function findNamed(dir: string, needle: string, depth: number): string[] {
  let out: string[] = [];
  let entries: import('node:fs').Dirent[];
  try {
    entries = readdirSync(dir, { withFileTypes: true });
  } catch {
    return out;
  }
  for (const e of entries) {
    const p = join(dir, e.name);
    if (e.name.includes(needle)) out.push(p);
    if (e.isDirectory() && depth > 0 && !['node_modules', '.git', 'proc', 'sys', 'dev'].includes(e.name))
      out = out.concat(findNamed(p, needle, depth - 1));
  }
  return out;
}

describe('a real rfm serve process: headers, uploads, logs', function () {
  this.timeout(120_000);
  let tmp: ReturnType<typeof tempDir>;
  let child: ChildProcess;
  let url: string;
  let output = '';

  before(async () => {
    tmp = tempDir('rfm-secsrv-');
    const file = join(tmp.dir, 'registry.db');
    const reg = await Registry.open(file);
    await reg.register({ modelName: MODEL, artifact: makeArtifact({ seed: 1 }), actor: 'setup' });
    await reg.register({ modelName: MODEL, artifact: makeArtifact({ seed: 2 }), actor: 'setup' });
    await reg.close();
    child = spawn(
      process.execPath,
      [
        ...builtCli(), // the built CLI, as installed (tsx would add ~2 s of CPU per process)
        'serve',
        '--port',
        '0',
        '--host',
        '127.0.0.1',
        '--registry',
        file,
      ],
      {
        cwd: ROOT,
        env: { ...process.env, RFM_ADMIN_TOKEN: TOKEN, RFM_LOG_LEVEL: 'trace', RFM_POLL_MS: '50' },
        stdio: ['ignore', 'pipe', 'pipe'],
      },
    );
    child.stdout!.on('data', (d) => (output += d));
    child.stderr!.on('data', (d) => (output += d));
    const deadline = Date.now() + 60_000;
    while (!/http:\/\/127\.0\.0\.1:\d+/.test(output)) {
      if (child.exitCode !== null || Date.now() > deadline) throw new Error(`rfm serve did not start:\n${output}`);
      await new Promise((r) => setTimeout(r, 50));
    }
    url = /(http:\/\/127\.0\.0\.1:\d+)/.exec(output)![1]!;
  });
  after(async () => {
    if (child && child.exitCode === null) {
      child.kill('SIGTERM');
      await new Promise((r) => child.once('exit', r));
    }
    tmp?.cleanup();
  });

  it('helmet headers on pages, JSON, CSV, assets, metrics, docs and on every kind of error', async () => {
    const json = { 'content-type': 'application/json' };
    const up = multipart('customers.csv', 'recency,frequency,monetary\n1,2,3\n');
    const cases: [string, string, RequestInit, number][] = [
      ['page', '/', {}, 200],
      ['models page', '/models', {}, 200],
      ['version page', `/models/${MODEL}/1`, {}, 200],
      ['admin page', '/admin', {}, 200],
      ['asset', '/assets/rfm.css', {}, 200],
      ['JSON', '/api/v1/model', {}, 200],
      [
        'predict',
        '/api/v1/predict',
        { method: 'POST', headers: json, body: '{"recency":1,"frequency":1,"monetary":1}' },
        200,
      ],
      [
        'CSV',
        '/api/v1/predict/csv',
        { method: 'POST', headers: { 'content-type': 'text/csv' }, body: 'recency,frequency,monetary\n1,2,3\n' },
        200,
      ],
      ['upload', '/score', { method: 'POST', headers: { 'content-type': up.type }, body: up.body }, 200],
      ['metrics', '/metrics', {}, 200],
      ['openapi', '/openapi.json', {}, 200],
      ['health', '/readyz', {}, 200],
      ['400 bad JSON', '/api/v1/predict', { method: 'POST', headers: json, body: '{"recency":' }, 400],
      ['400 invalid', '/api/v1/predict', { method: 'POST', headers: json, body: '{"recency":-1}' }, 400],
      [
        '413',
        '/api/v1/predict',
        { method: 'POST', headers: json, body: `{"x":"${'a'.repeat(3 * 1024 * 1024)}"}` },
        413,
      ],
      ['415', '/api/v1/predict', { method: 'POST', headers: { 'content-type': 'text/plain' }, body: '{}' }, 415],
      ['404 API', '/api/v1/nope', {}, 404],
      ['404 page', '/nope', { headers: { accept: 'text/html' } }, 404],
      ['401', `/api/v1/models/${MODEL}/rollback`, { method: 'POST', headers: json, body: '{}' }, 401],
      [
        '401 wrong token',
        `/api/v1/models/${MODEL}/rollback`,
        { method: 'POST', headers: { ...json, authorization: 'Bearer wrong-token-wrong-token' }, body: '{}' },
        401,
      ],
    ];
    for (const [name, path, init, status] of cases) {
      const r = await fetch(`${url}${path}`, init);
      await r.arrayBuffer();
      expect(r.status, name).to.equal(status);
      for (const [h, re] of HELMET) expect(r.headers.get(h) ?? '(missing)', `${name}: ${h}`).to.match(re);
      expect(r.headers.get('x-powered-by'), name).to.equal(null);
      expect(r.headers.get('server'), name).to.equal(null);
    }
  });

  it('uploads never write a file named by the client, whatever name, header or query it sends', async () => {
    const names = [
      `../../../../../../tmp/${MARKER}.csv`,
      `/tmp/${MARKER}-abs.csv`,
      `..\\..\\${MARKER}-win.csv`,
      `${MARKER}/../../x.csv`,
      `./${MARKER}.csv`,
      `${MARKER}%2F..%2Fy.csv`,
    ];
    const csv = 'cid,recency,frequency,monetary\n1,10,2,300\n';
    for (const n of names) {
      const up = multipart(n, csv);
      const r = await fetch(`${url}/score`, { method: 'POST', headers: { 'content-type': up.type }, body: up.body });
      const text = await r.text();
      expect(r.status, `${n}: ${text.slice(0, 2000)}`).to.equal(200);
      expect(text).to.match(/^cid,recency,frequency,monetary,cluster,segment,outlier,error/);
      // the download's name is built from the upload's, reduced to safe characters (no / or \)
      const cd = r.headers.get('content-disposition') ?? '';
      expect(cd, n).to.match(/^attachment; filename="[A-Za-z0-9._-]+"$/);
      const api = await fetch(`${url}/api/v1/predict/csv`, {
        method: 'POST',
        headers: { 'content-type': 'text/csv', 'content-disposition': `attachment; filename="${n}"`, 'x-filename': n },
        body: csv,
      });
      expect(api.status, n).to.equal(200);
      await api.text();
      // a name in the query is not a parameter of the route: refused, naming it
      const q = await fetch(`${url}/api/v1/predict/csv?filename=${encodeURIComponent(n)}`, {
        method: 'POST',
        headers: { 'content-type': 'text/csv' },
        body: csv,
      });
      expect(q.status, n).to.equal(400);
      expect(((await q.json()) as { error: { message: string } }).error.message).to.match(/filename/);
      // a scoring run keeps its upload on disk, under a name the server chooses (runs/run-files.ts)
      const run = multipart(n, 'CustomerID,InvoiceNo,InvoiceDate,Quantity,UnitPrice\n1,5,2011-01-02,1,2.5\n');
      const started = await fetch(`${url}/api/v1/runs`, {
        method: 'POST',
        headers: { 'content-type': run.type, authorization: `Bearer ${TOKEN}`, 'x-filename': n },
        body: run.body,
      });
      expect(started.status, `${n}: ${await started.text()}`).to.equal(202);
    }
    const found = [
      ...findNamed(tmpdir(), MARKER, 3),
      ...findNamed(ROOT, MARKER, 4),
      ...findNamed('/', MARKER, 1),
      ...findNamed('/etc', MARKER, 1),
    ];
    expect(found, 'files named after an upload').to.deep.equal([]);
    expect(existsSync(`/tmp/${MARKER}.csv`)).to.equal(false);

    // and by construction: the serving code writes files in one module only, the scoring runs'
    // private folders (issue 11), and that module writes only under names it chooses itself
    const src = (dir: string): string[] =>
      readdirSync(dir, { withFileTypes: true }).flatMap((e) =>
        e.isDirectory()
          ? e.name === 'test-support'
            ? []
            : src(join(dir, e.name))
          : e.name.endsWith('.ts') && !e.name.endsWith('.test.ts')
            ? [join(dir, e.name)]
            : [],
      );
    const writers = src(join(ROOT, 'serving', 'src')).filter((f) =>
      /diskStorage|\bdest\s*:|writeFile|createWriteStream|appendFile|openSync|fs\.open\b|mkdtemp|copyFile|rename(Sync)?\(/.test(
        readFileSync(f, 'utf8'),
      ),
    );
    expect(writers.map((f) => f.slice(ROOT.length + 1))).to.deep.equal([
      join('serving', 'src', 'runs', 'run-files.ts'),
    ]);
    const runFiles = readFileSync(join(ROOT, 'serving', 'src', 'runs', 'run-files.ts'), 'utf8');
    // folders 0700 under a base checked to be this user's private folder, files created exclusively (wx, 0600)
    expect(runFiles).to.match(/mkdirSync\(base, \{ recursive: true, mode: 0o700 \}\)/);
    expect(runFiles).to.match(/mkdirSync\(dir, \{ mode: 0o700 \}\)/);
    expect(runFiles).to.match(/flags: 'wx', mode: 0o600/);
    expect(runFiles).to.match(/st\.isSymbolicLink\(\)/);
    // every path it builds is a join of the base with its own names: `<pid>-<run id>`, `kept-<run id>`, upload.part, export.<format>
    const joins = [...runFiles.matchAll(/join\(([^)]*)\)/g)].map((m) => m[1]);
    expect(joins).to.deep.equal([
      'root, `rfm-runs-${uid}`',
      'base, `${groupPid}-${runId}`',
      'base, `${groupPid}-${runId}`',
      'base, name',
      "dir, 'upload.part'",
      'dir, `export.${format}`',
      // uploads kept for retraining: `kept-<run id>` under the base, holding the upload under its own name
      'base, `kept-${runId}`',
      'runDir, name',
      'dir, name',
      'dir, name',
      'base, name',
    ]);
  });

  it('no secrets in logs: admin calls (right and wrong tokens), web sign-in and admin forms at log level trace', async () => {
    const json = { 'content-type': 'application/json' };
    const admin = { ...json, authorization: `Bearer ${TOKEN}` };
    const calls: [string, string, Record<string, string>, string?][] = [
      ['POST', `/api/v1/models/${MODEL}/versions/2/promote`, admin, '{"reason":"log test","force":true}'],
      ['POST', `/api/v1/models/${MODEL}/versions/2/relabel`, admin, '{"cluster":0,"name":"Logged"}'],
      ['PUT', `/api/v1/models/${MODEL}/aliases/staging`, admin, '{"version":1}'],
      ['POST', `/api/v1/models/${MODEL}/rollback`, admin, '{}'],
      ['POST', `/api/v1/models/${MODEL}/rollback`, { ...json, authorization: `Bearer ${TOKEN}x` }, '{}'],
      [
        'POST',
        `/api/v1/models/${MODEL}/rollback`,
        { ...json, authorization: `Basic ${Buffer.from(`a:${TOKEN}`).toString('base64')}` },
        '{}',
      ],
      ['POST', `/api/v1/models/${MODEL}/rollback?token=${TOKEN}`, json, '{}'],
      ['POST', `/api/v1/models/${MODEL}/versions/99/promote`, admin, '{"reason":"missing version"}'],
      ['POST', `/api/v1/models/${MODEL}/versions/1/promote`, admin, '{bad json'],
    ];
    for (const [method, path, headers, body] of calls) {
      const r = await fetch(`${url}${path}`, { method, headers, ...(body ? { body } : {}) });
      await r.arrayBuffer();
    }
    // web sign-in with the token in a form field, then a signed-in admin form
    const login = await fetch(`${url}/admin/login`, {
      method: 'POST',
      redirect: 'manual',
      headers: { 'content-type': 'application/x-www-form-urlencoded' },
      body: new URLSearchParams({ token: TOKEN, actor: 'ana' }).toString(),
    });
    expect(login.status).to.equal(303);
    const cookie = login.headers.get('set-cookie')!.split(';')[0]!;
    const page = await (await fetch(`${url}/models/${MODEL}/1`, { headers: { cookie } })).text();
    const csrf = /name="csrf" value="([^"]+)"/.exec(page)![1]!;
    const relabel = await fetch(`${url}/models/${MODEL}/1/relabel`, {
      method: 'POST',
      redirect: 'manual',
      headers: { 'content-type': 'application/x-www-form-urlencoded', cookie },
      body: new URLSearchParams({ cluster: '1', name: 'From the form', reason: 'log test', csrf }).toString(),
    });
    expect(relabel.status).to.equal(303);
    const wrongLogin = await fetch(`${url}/admin/login`, {
      method: 'POST',
      headers: { 'content-type': 'application/x-www-form-urlencoded' },
      body: new URLSearchParams({ token: `${TOKEN}-wrong`, actor: 'mallory' }).toString(),
    });
    expect(wrongLogin.status).to.equal(401);
    await new Promise((r) => setTimeout(r, 300)); // the reloads those moves cause are logged too

    const lines = output.split('\n').filter(Boolean);
    expect(
      lines.some((l) => l.includes('"level":20')),
      'debug lines were written (per-request log)',
    ).to.equal(true);
    expect(lines.length).to.be.greaterThan(20);
    for (const secret of [
      TOKEN,
      Buffer.from(TOKEN).toString('base64'),
      Buffer.from(TOKEN).toString('base64url'),
      encodeURIComponent(TOKEN),
      TOKEN.slice(0, 12),
      TOKEN.slice(-12),
    ])
      expect(output, `log output contains ${secret}`).to.not.include(secret);
  });
});
