/**
 * bench/train — `rfm train` against the pandas + scikit-learn baseline on the same export, in one
 * run: each is started as a fresh process (process start to registered version / written model),
 * alternately, `--runs` times; prints every phase of each, the medians and the ratio.
 *
 *   npm run bench:train -- [EXPORT] [--peer DIR] [--runs 3] [--k 4]
 *
 * EXPORT defaults to ../shared/data/online_retail.csv.gz and --peer to ../shared/peers/flask_sklearn
 * (relative to the repository root). rfm runs from its compiled CLI (cli/bin/rfm.js; `npm run
 * build` first), the baseline with /usr/bin/python3 (Debian's python3-pandas, python3-sklearn).
 * Prints the load average before and after: figures taken on a busy machine are not comparable.
 */
import { execFileSync, spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { loadavg, tmpdir } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';

const ROOT = resolve(dirname(fileURLToPath(import.meta.url)), '..');
const argv = process.argv.slice(2);
const flag = (name: string, dflt: string) => {
  const i = argv.indexOf(`--${name}`);
  if (i < 0) return dflt;
  const v = argv[i + 1]!;
  argv.splice(i, 2);
  return v;
};
const PEER = resolve(ROOT, flag('peer', '../shared/peers/flask_sklearn'));
const RUNS = Number(flag('runs', '3'));
const K = flag('k', '4');
const EXPORT = resolve(ROOT, argv[0] ?? '../shared/data/online_retail.csv.gz');
const work = mkdtempSync(join(tmpdir(), 'rfm-bench-train-'));
const load = () =>
  loadavg()
    .map((l) => l.toFixed(2))
    .join(' ');
const median = (v: number[]) => [...v].sort((a, b) => a - b)[Math.floor(v.length / 2)]!;
const s = (ms: number) => `${(ms / 1000).toFixed(2)} s`;

interface Run {
  wall: number;
  phases: Record<string, number>;
  summary: string;
}

function rfm(i: number): Run {
  const reg = join(work, `rfm-${i}.db`);
  const t = performance.now();
  const out = execFileSync(
    process.execPath,
    [join(ROOT, 'cli', 'bin', 'rfm.js'), 'train', EXPORT, '--registry', reg, '--k', K, '--json'],
    { encoding: 'utf8', maxBuffer: 64 << 20 },
  );
  const wall = performance.now() - t;
  const j = JSON.parse(out) as {
    phases_ms: Record<string, number>;
    duration_ms: number;
    metrics: { inertia: number; silhouette: number };
    data: { customers: number };
  };
  const phases = { ...j.phases_ms, 'start-up (process start → pipeline start)': wall - j.duration_ms };
  return {
    wall,
    phases,
    summary: `${j.data.customers} customers, inertia ${j.metrics.inertia.toFixed(2)}, silhouette ${j.metrics.silhouette.toFixed(4)}`,
  };
}

function baseline(i: number): Run {
  const out = join(work, `peer-${i}`);
  const t = performance.now();
  const r = spawnSync('/usr/bin/python3', [join(PEER, 'train.py'), EXPORT, out, '--k', K], {
    encoding: 'utf8',
    maxBuffer: 64 << 20,
  });
  const wall = performance.now() - t;
  if (r.status !== 0) throw new Error(`baseline failed: ${r.stderr}`);
  const m = JSON.parse(readFileSync(join(out, 'metrics.json'), 'utf8')) as {
    seconds: Record<string, number>;
    inertia: number;
    silhouette: number;
    n_customers: number;
  };
  const phases = Object.fromEntries(Object.entries(m.seconds).map(([k, v]) => [k, v * 1000]));
  phases['interpreter start + write model'] = wall - m.seconds.total_in_process! * 1000;
  return {
    wall,
    phases,
    summary: `${m.n_customers} customers, inertia ${m.inertia.toFixed(2)}, silhouette ${m.silhouette.toFixed(4)}`,
  };
}

function show(name: string, runs: Run[]): number {
  const w = median(runs.map((r) => r.wall));
  console.log(`\n${name}: ${runs[0]!.summary}`);
  console.log(`  wall per run: ${runs.map((r) => s(r.wall)).join(', ')}; median ${s(w)}`);
  for (const phase of Object.keys(runs[0]!.phases))
    console.log(`  ${phase.padEnd(44)} ${s(median(runs.map((r) => r.phases[phase] ?? 0))).padStart(9)}`);
  return w;
}

try {
  console.log(
    `bench/train: ${EXPORT}, k=${K}, ${RUNS} runs each (alternating); node ${process.version}; load average before: ${load()}`,
  );
  const version = execFileSync(
    '/usr/bin/python3',
    ['-c', 'import sklearn, pandas; print("scikit-learn", sklearn.__version__, "pandas", pandas.__version__)'],
    { encoding: 'utf8' },
  ).trim();
  // one unmeasured run each: page cache warm for both
  rfm(-1);
  baseline(-1);
  const a: Run[] = [];
  const b: Run[] = [];
  for (let i = 0; i < RUNS; i++) {
    a.push(rfm(i));
    b.push(baseline(i));
  }
  const wa = show('rfm train (node cli/bin/rfm.js, process start → registered version)', a);
  const wb = show(`baseline (pandas + ${version}, process start → model written)`, b);
  console.log(`\nratio rfm / baseline (median wall): ${(wa / wb).toFixed(2)}×  (goal ≤ 0.5×)`);
  console.log(`load average after: ${load()}`);
} finally {
  rmSync(work, { recursive: true, force: true });
}
