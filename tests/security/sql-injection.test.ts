/**
 * SQL reaches SQLite only through prepared statements with bound values:
 *  - by reading the code: every db.prepare/exec/pragma in registry/, serving/ and cli/ takes a
 *    literal, and the few interpolations are code constants (listed below);
 *  - by trying: ids such as `1; DROP TABLE versions` and `../../etc/passwd` in every path, query
 *    and CLI argument that names a model, version or alias are refused as values (400 over HTTP,
 *    exit 65 from the CLI), and text fields that are free text (segment names, reasons, actors,
 *    tags, descriptions) store SQL-looking strings verbatim; the database is unchanged after each.
 */
import { expect } from 'chai';
import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import Database from 'better-sqlite3';
import { Registry } from '@rfm/registry';
import { loadConfig } from '@rfm/shared';
import { makeArtifact } from '@rfm/shared/testing';
import { silentLogger, startServer, type RunningServer } from '@rfm/serving';
import { ROOT, rfm, tempDir } from '../support.js';

const MODEL = 'customer-segments';
const TOKEN = 'sql-test-admin-token-0123456789-padded-to-32+';
const HOSTILE_IDS = [
  '1; DROP TABLE versions',
  '../../etc/passwd',
  "1' OR '1'='1",
  '1 OR 1=1',
  "x'); DROP TABLE models; --",
  '1/**/UNION/**/SELECT/**/1',
  '%00',
  '..\\..\\windows\\win.ini',
  '1e3',
  '-1',
  '0x1',
];
const SQLISH = [
  "'); DROP TABLE versions; --",
  'Robert"); DELETE FROM events; --',
  '1; UPDATE aliases SET version_id = 0',
];

/** Every table with its row count and the schema text: equal before and after = nothing changed. */
function fingerprint(file: string): string {
  const db = new Database(file, { readonly: true });
  try {
    const tables = db.prepare('SELECT name, sql FROM sqlite_master ORDER BY name').all() as {
      name: string;
      sql: string | null;
    }[];
    return JSON.stringify(
      tables.map((t) => [
        t.name,
        t.sql,
        t.sql?.startsWith('CREATE TABLE')
          ? db
              .prepare(`SELECT COUNT(*) FROM "${t.name.replaceAll('"', '""')}"`)
              .pluck()
              .get()
          : null,
      ]),
    );
  } finally {
    db.close();
  }
}

function sourceFiles(dir: string): string[] {
  return readdirSync(dir, { withFileTypes: true }).flatMap((e) =>
    e.isDirectory()
      ? sourceFiles(join(dir, e.name))
      : e.name.endsWith('.ts') && !e.name.endsWith('.test.ts')
        ? [join(dir, e.name)]
        : [],
  );
}

describe('SQL only through prepared statements', function () {
  this.timeout(120_000);
  let tmp: ReturnType<typeof tempDir>;
  let file: string;
  let s: RunningServer;

  before(async () => {
    tmp = tempDir('rfm-sql-');
    file = join(tmp.dir, 'registry.db');
    const reg = await Registry.open(file);
    await reg.register({ modelName: MODEL, artifact: makeArtifact({ seed: 1 }), actor: 'setup' });
    await reg.register({ modelName: MODEL, artifact: makeArtifact({ seed: 2 }), actor: 'setup' });
    await reg.close();
    s = await startServer({
      config: loadConfig({}, { registry: file, port: 0, host: '127.0.0.1', logLevel: 'silent', adminToken: TOKEN }),
      logger: silentLogger(),
    });
  });
  after(async () => {
    await s?.close();
    tmp?.cleanup();
  });

  it('the code: every SQLite call takes a literal; the only interpolations are code constants', async () => {
    // receivers that are SQLite handles (better-sqlite3): db, this.db, raw, this.raw, …; Kysely's
    // sql.raw and node-postgres' query(): everything else is Kysely's query builder, which binds
    // every value as a parameter by construction
    // q: the statement cache in store/sqlite.ts prepares what Kysely compiled (placeholders, never values)
    const allowed = new Set(['current + 1', 'SQLITE_MIGRATIONS[current]!', 'PG_MIGRATIONS[v]!', 'ALIAS_CHANNEL', 'q']);
    const found: string[] = [];
    for (const f of ['registry/src', 'serving/src', 'cli/src'].flatMap((d) => sourceFiles(join(ROOT, d)))) {
      const src = readFileSync(f, 'utf8');
      for (const m of src.matchAll(
        /\b(?:(?:this\.)?(?:db|database|raw|reg\.db)\s*\.(?:prepare|exec|pragma)|sql\.raw|\bc\.query)\(\s*/g,
      )) {
        const at = m.index! + m[0].length;
        const where = `${f.slice(ROOT.length + 1)}:${src.slice(0, at).split('\n').length}`;
        const c = src[at];
        if (c === "'" || c === '"') continue;
        if (c === '`') {
          const lit = src.slice(at, src.indexOf('`', at + 1) + 1);
          for (const x of lit.matchAll(/\$\{([^}]*)\}/g)) if (!allowed.has(x[1]!)) found.push(`${where}: \${${x[1]}}`);
          continue;
        }
        const arg = src.slice(at, src.indexOf(')', at));
        if (!allowed.has(arg.trim())) found.push(`${where}: ${arg.slice(0, 60)}`);
      }
    }
    expect(found, 'SQL built from values').to.deep.equal([]);
  });

  it(`HTTP: ${HOSTILE_IDS.length} hostile ids in every model/version/alias path and query parameter → 4xx, database unchanged`, async () => {
    const before = fingerprint(file);
    const enc = encodeURIComponent;
    const auth = { authorization: `Bearer ${TOKEN}`, 'content-type': 'application/json' };
    let tried = 0;
    for (const id of HOSTILE_IDS) {
      const calls: [string, string, Record<string, string>?, string?][] = [
        ['GET', `/api/v1/models/${enc(id)}/versions/1`],
        ['GET', `/api/v1/models/${MODEL}/versions/${enc(id)}`],
        ['GET', `/api/v1/models/${enc(id)}/history`],
        ['GET', `/api/v1/models/${MODEL}/history?alias=${enc(id)}`],
        ['GET', `/api/v1/models/${MODEL}/compare?a=${enc(id)}&b=1`],
        ['POST', `/api/v1/models/${MODEL}/versions/${enc(id)}/promote`, auth, '{"reason":"x","force":true}'],
        ['POST', `/api/v1/models/${enc(id)}/rollback`, auth, '{}'],
        ['PUT', `/api/v1/models/${MODEL}/aliases/${enc(id)}`, auth, '{"version":1}'],
        ['DELETE', `/api/v1/models/${MODEL}/aliases/${enc(id)}`, auth],
        ['POST', `/api/v1/models/${MODEL}/versions/${enc(id)}/relabel`, auth, '{"cluster":0,"name":"x"}'],
        ['POST', `/api/v1/models/${MODEL}/versions/${enc(id)}/archive`, auth, '{}'],
        [
          'POST',
          `/api/v1/predict?version=${enc(id)}`,
          { 'content-type': 'application/json' },
          '{"recency":1,"frequency":1,"monetary":1}',
        ],
        [
          'POST',
          `/api/v1/predict?alias=${enc(id)}`,
          { 'content-type': 'application/json' },
          '{"recency":1,"frequency":1,"monetary":1}',
        ],
        ['GET', `/api/v1/model?version=${enc(id)}`],
        ['GET', `/models/${enc(id)}/1`],
        ['GET', `/models/${MODEL}/${enc(id)}`],
      ];
      for (const [method, path, headers, body] of calls) {
        const r = await fetch(`${s.url}${path}`, { method, headers: headers ?? {}, ...(body ? { body } : {}) });
        tried++;
        // refused as a value: 400 naming the parameter, or 404 for a value that is well-formed but absent
        expect(r.status, `${method} ${path}`).to.be.oneOf([400, 404]);
      }
    }
    expect(fingerprint(file)).to.equal(before);
    expect(tried).to.equal(HOSTILE_IDS.length * 16);
  });

  // the actor is no longer free text over HTTP: it is the token's owner (api:NAME), so the reason carries the hostile text
  it('HTTP: SQL-looking free text (segment name, reason) is stored verbatim; the actor is the token owner', async () => {
    for (const [i, text] of SQLISH.entries()) {
      const r = await fetch(`${s.url}/api/v1/models/${MODEL}/versions/2/relabel`, {
        method: 'POST',
        headers: { authorization: `Bearer ${TOKEN}`, 'content-type': 'application/json' },
        body: JSON.stringify({ cluster: i, name: text.slice(0, 64), reason: text }),
      });
      expect(r.status, (await r.clone()).text()).to.equal(200);
    }
    const reg = await Registry.openReadOnly(file);
    try {
      expect(Object.values(await reg.labels(MODEL, 2))).to.deep.equal(SQLISH.map((t) => t.slice(0, 64)));
      const relabels = (await reg.history(MODEL)).filter((e) => e.action === 'relabel');
      expect(relabels.map((e) => e.reason).sort()).to.deep.equal([...SQLISH].sort());
      expect(new Set(relabels.map((e) => e.actor))).to.deep.equal(new Set(['api:admin']));
      expect((await reg.list(MODEL)).map((v) => v.version)).to.deep.equal([1, 2]);
    } finally {
      await reg.close();
    }
  });

  it('CLI: hostile ids as version, model and alias arguments → exit 65, database unchanged; SQL-looking text stored verbatim', async () => {
    const before = fingerprint(file);
    const reg = ['--registry', file];
    const refused = await Promise.all([
      rfm(['models', 'show', '1; DROP TABLE versions', ...reg]),
      rfm(['models', 'show', '../../etc/passwd', ...reg]),
      rfm(['models', 'promote', "1' OR '1'='1", '--force', '--reason', 'x', ...reg]),
      rfm(['models', 'list', '--model', "x'); DROP TABLE models; --", ...reg]),
      rfm(['models', 'list', '--model', '../../etc/passwd', ...reg]),
      rfm(['models', 'alias', 'set', 'x; DROP TABLE aliases', '1', ...reg]),
      rfm(['models', 'compare', '1', '2 OR 1=1', ...reg]),
      rfm(['models', 'relabel', '1; DROP TABLE versions', '0', 'x', ...reg]),
    ]);
    for (const r of refused) {
      expect(r.code, r.stderr).to.equal(65);
      expect(r.stderr).to.match(/^rfm: INVALID_INPUT: /);
      expect(r.stderr).to.not.match(/^\s+at /m);
    }
    expect(fingerprint(file)).to.equal(before);

    const text = SQLISH[0]!;
    const ok = await rfm(['models', 'relabel', '1', '0', text, '--reason', SQLISH[1]!, '--actor', SQLISH[2]!, ...reg]);
    expect(ok.code, ok.stderr).to.equal(0);
    const tag = await rfm(['models', 'tag', '1', 'note', text, ...reg]);
    expect(tag.code, tag.stderr).to.equal(0);
    const check = await Registry.openReadOnly(file);
    try {
      expect((await check.labels(MODEL, 1))[0]).to.equal(text);
      expect((await check.tags(MODEL, 1)).note).to.equal(text);
      expect(
        (await check.history(MODEL)).find((e) => e.action === 'relabel' && e.actor === SQLISH[2])?.reason,
      ).to.equal(SQLISH[1]);
    } finally {
      await check.close();
    }
  });
});
