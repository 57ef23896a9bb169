import { expect } from 'chai';
import { spawn } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import Database from 'better-sqlite3';
import { builtCli } from '../test-support/built-cli.js';

const ROOT = fileURLToPath(new URL('../../../', import.meta.url));

function rfm(args: string[]): Promise<{ code: number; stdout: string; stderr: string }> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, [...builtCli(), ...args], {
      cwd: ROOT,
      env: { ...process.env, RFM_TF_BACKEND: 'wasm', RFM_ACTOR: 'ci' },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (d) => (stdout += d));
    child.stderr.on('data', (d) => (stderr += d));
    child.on('error', reject);
    child.on('close', (code) => resolve({ code: code ?? -1, stdout, stderr }));
  });
}

/**
 * `rfm train --promote` used to move production at registration, skipping the
 * promotion policy and recording no rules. Now it goes through the policy like every other door.
 */
describe('rfm train --promote goes through the promotion policy', function () {
  this.timeout(180_000);
  let dir: string;
  let registry: string;
  let features: string;
  const events = () => {
    const db = new Database(registry, { readonly: true });
    try {
      return db
        .prepare(
          "SELECT action, from_version AS f, to_version AS t, reason, details_json AS d FROM events WHERE alias = 'production' ORDER BY id",
        )
        .all() as { action: string; f: number | null; t: number; reason: string; d: string | null }[];
    } finally {
      db.close();
    }
  };
  const production = () => {
    const db = new Database(registry, { readonly: true });
    try {
      return (
        db
          .prepare(
            "SELECT v.version FROM aliases a JOIN versions v ON v.id = a.version_id WHERE a.alias = 'production'",
          )
          .get() as { version: number }
      ).version;
    } finally {
      db.close();
    }
  };
  const versions = () => {
    const db = new Database(registry, { readonly: true });
    try {
      return (db.prepare('SELECT version FROM versions ORDER BY version').all() as { version: number }[]).map(
        (r) => r.version,
      );
    } finally {
      db.close();
    }
  };
  const train = (...extra: string[]) =>
    rfm(['train', '--features', features, '--registry', registry, '--k', '3', '--n-init', '2', ...extra]);

  before(() => {
    dir = mkdtempSync(join(tmpdir(), 'rfm-train-promote-'));
    registry = join(dir, 'registry.db');
    features = join(dir, 'rfm.csv');
    const rows = ['cid,recency,frequency,monetary'];
    for (let i = 0; i < 300; i++)
      rows.push(`c${i},${(i * 37) % 365},${1 + ((i * 7) % 20)},${(50 + ((i * 113) % 3000)).toFixed(2)}`);
    writeFileSync(features, `${rows.join('\n')}\n`);
  });
  after(() => rmSync(dir, { recursive: true, force: true }));

  it('the first version becomes production at once, and its event says why', async () => {
    const r = await train('--promote', '--json');
    expect(r.code, r.stderr).to.equal(0);
    const out = JSON.parse(r.stdout);
    expect(out).to.include({ version: 1, promoted: true });
    expect(out.promotion).to.include({ first_version: true, forced: false });
    expect(events().map((e) => [e.t, e.reason])).to.deep.equal([[1, 'first version of this model']]);
  });

  it('a version the policy refuses stays a candidate: exit 78, production unchanged, override named', async () => {
    const p = await rfm(['models', 'policy', 'set', '--min-silhouette', '0.99', '--registry', registry]);
    expect(p.code, p.stderr).to.equal(0);
    const r = await train('--promote');
    expect(r.code, r.stderr).to.equal(78);
    expect(r.stderr).to.match(/POLICY_REFUSED: v2 of "customer-segments" is registered as a candidate; .*silhouette/);
    expect(r.stderr).to.include('rfm models promote 2 --model customer-segments --force --reason');
    expect(versions()).to.deep.equal([1, 2]);
    expect(production()).to.equal(1);
    expect(events()).to.have.length(1);
  });

  it('--force without --reason is refused before any training (no version is made)', async () => {
    const r = await train('--promote', '--force');
    expect(r.code, r.stderr).to.equal(65);
    expect(r.stderr).to.include('needs a reason');
    expect(versions()).to.deep.equal([1, 2]);
  });

  it('--force --reason overrides the policy; the event records the failed rule and the override', async () => {
    const r = await train('--promote', '--force', '--reason', 'campaign needs it', '--json');
    expect(r.code, r.stderr).to.equal(0);
    const out = JSON.parse(r.stdout);
    expect(out).to.include({ version: 3, promoted: true });
    expect(out.promotion).to.include({ from: 1, to: 3, forced: true, first_version: false });
    expect(production()).to.equal(3);
    const last = events().at(-1)!;
    expect(last).to.include({ f: 1, t: 3, reason: 'campaign needs it' });
    const d = JSON.parse(last.d!);
    expect(d.forced).to.equal(true);
    expect(d.rules.find((x: { rule: string }) => x.rule === 'min_silhouette')).to.include({ passed: false });
  });

  it('a version the policy accepts is promoted, and the event records the rules it passed', async () => {
    const p = await rfm(['models', 'policy', 'set', '--min-silhouette', '0', '--registry', registry]);
    expect(p.code, p.stderr).to.equal(0);
    const q = await rfm(['models', 'policy', 'set', '--max-silhouette-drop', '1', '--registry', registry]);
    expect(q.code, q.stderr).to.equal(0);
    const ok = await train('--promote', '--json');
    expect(ok.code, ok.stderr).to.equal(0);
    expect(JSON.parse(ok.stdout).promotion).to.include({ from: 3, to: 4, forced: false });
    const d = JSON.parse(events().at(-1)!.d!);
    expect(d.forced).to.equal(false);
    expect(d.rules.length).to.be.greaterThan(0);
    expect(d.rules.every((x: { passed: boolean }) => x.passed)).to.equal(true);
  });
});
