import { expect } from 'chai';
import { spawn } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { builtCli } from '../test-support/built-cli.js';

const ROOT = fileURLToPath(new URL('../../../', import.meta.url));
const SAMPLE = join(ROOT, 'data', 'online_retail_sample.csv.gz');

function rfm(
  args: string[],
  env: Record<string, string> = {},
): Promise<{ code: number; stdout: string; stderr: string }> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, [...builtCli(), ...args], {
      cwd: ROOT,
      env: { ...process.env, ...env },
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

describe('rfm train / rfm features (CLI)', function () {
  this.timeout(90_000);
  let dir: string;
  let registry: string;
  before(() => {
    dir = mkdtempSync(join(tmpdir(), 'rfm-cli-train-'));
    registry = join(dir, 'registry.db');
  });
  after(() => rmSync(dir, { recursive: true, force: true }));

  it('--k auto --k-range: says why this k, the runner-up, and why each segment has its name', async () => {
    const r = await rfm(
      ['train', SAMPLE, '--registry', registry, '--model', 'cli-auto', '--k', 'auto', '--k-range', '3..4'],
      { RFM_TF_BACKEND: 'wasm' },
    );
    expect(r.code, r.stderr).to.equal(0);
    expect(r.stdout).to.match(/^k chosen {2}3 of 3…4: k = 3 is the knee of the inertia curve/m);
    expect(r.stdout).to.match(/^runner-up k=4: /m);
    expect(r.stdout).to.include(
      'names     judged against a usual gap of 60.0 days between purchases (median gap between purchases of the 169 repeat customers)',
    );
    expect(r.stdout).to.match(/^ {2}Hibernating: last purchase 215 days ago, 3\.6× the usual gap of 60 days/m);
    const bad = await rfm(['train', SAMPLE, '--registry', registry, '--k', 'auto', '--k-range', '8..3']);
    expect(bad.code).to.equal(65);
    expect(bad.stderr).to.include('--k-range 8..3: expected two whole numbers 2 ≤ min ≤ max ≤ 50');
  });

  it('--json prints one object with the figures a pipeline needs, and nothing on stderr', async () => {
    const r = await rfm(
      [
        'train',
        SAMPLE,
        '--registry',
        registry,
        '--model',
        'cli-test',
        '--k',
        '3',
        '--seed',
        '7',
        '--actor',
        'ci',
        '--json',
      ],
      { RFM_TF_BACKEND: 'wasm' },
    );
    expect(r.code, r.stderr).to.equal(0);
    expect(r.stderr).to.equal('');
    const out = JSON.parse(r.stdout);
    expect(out).to.include({ model: 'cli-test', version: 1, k: 3, promoted: true, backend: 'wasm' });
    expect(out.aliases).to.deep.equal(['production']);
    expect(out.data).to.include({ rows_read: 12140, rows_kept: 11699, customers: 296, snapshot_date: '2011-12-10' });
    expect(out.data.rows_dropped).to.include({ missing_customer: 97, cancelled: 340, price_not_positive: 4 });
    expect(out.metrics.sizes).to.have.length(3);
    expect(out.metrics.sizes.reduce((a: number, b: number) => a + b, 0)).to.equal(296);
    expect(out.metrics.inertia).to.be.a('number').and.greaterThan(0);
    expect(out.metrics.silhouette).to.be.within(0.2, 0.6);
    expect(Object.keys(out.segments)).to.deep.equal(['0', '1', '2']);
    expect(out.params).to.include({ k: 3, seed: 7, n_init: 10, max_iter: 300 });
    expect(Object.keys(out.phases_ms)).to.include.members([
      'read_clean_aggregate',
      'fit',
      'evaluate',
      'name',
      'register',
    ]);
  });

  it('prints a readable summary without --json; a second version does not take production', async () => {
    const r = await rfm(['train', SAMPLE, '--registry', registry, '--model', 'cli-test', '--k', '3', '--seed', '7']);
    expect(r.code, r.stderr).to.equal(0);
    expect(r.stdout).to.match(/^registered cli-test v2 in /);
    expect(r.stdout).to.match(/12,140 rows read, 11,699 kept, 296 customers, snapshot 2011-12-10/);
    expect(r.stdout).to.match(/dropped {3}missing_customer 97, cancelled 340, price_not_positive 4/);
    expect(r.stdout).to.match(/cluster {2}segment +customers +median recency \(d\) +frequency +monetary/);
    expect(r.stdout).to.match(/production is unchanged; to serve this version: rfm models promote 2/);
  });

  it('bad flags are refused naming the flag, with exit code 65 and no stack', async () => {
    const r = await rfm(['train', SAMPLE, '--registry', registry, '--n-init', '0']);
    expect(r.code).to.equal(65);
    expect(r.stderr).to.match(/invalid option --n-init: n-init must be at least 1/);
    expect(r.stderr).to.not.match(/\n\s+at /);
    const both = await rfm(['train', SAMPLE, '--features', SAMPLE, '--registry', registry]);
    expect(both.code).to.equal(65);
    expect(both.stderr).to.match(/either an export file or --features FILE, not both/);
    const cols = await rfm(['train', SAMPLE, '--registry', registry, '--columns', 'client=x']);
    expect(cols.stderr).to.match(/unknown role "client"/);
  });

  it('rfm features writes cid,recency,frequency,monetary; train --features fits on it', async () => {
    const out = join(dir, 'rfm.csv');
    const r = await rfm(['features', SAMPLE, '--out', out, '--json']);
    expect(r.code, r.stderr).to.equal(0);
    expect(JSON.parse(r.stdout)).to.include({ customers: 296, format: 'csv' });
    const lines = readFileSync(out, 'utf8').trim().split('\n');
    expect(lines[0]).to.equal('cid,recency,frequency,monetary');
    expect(lines).to.have.length(297);
    const t = await rfm([
      'train',
      '--features',
      out,
      '--as-of',
      '2011-12-10',
      '--registry',
      registry,
      '--model',
      'from-features',
      '--json',
    ]);
    expect(t.code, t.stderr).to.equal(0);
    expect(JSON.parse(t.stdout).data).to.include({ customers: 296, snapshot_date: '2011-12-10' });
    expect(existsSync(registry)).to.equal(true);
  });
});
