/**
 * bench/train — `rfm train` against the pandas + scikit-learn baseline on the same export, in one
 * run: each is started as a fresh process (process start to registered version / written model),
 * alternately, `--runs` times; prints every phase of each, the medians and the ratio.
 *
 *   npm run bench:train -- EXPORT --peer DIR [--python PATH] [--runs 3] [--k 4]
 *
 * EXPORT is the export both train on (e.g. the full UCI Online Retail export), --peer the baseline's
 * folder (its train.py). rfm runs from its compiled CLI (cli/bin/rfm.js, built first), the baseline
 * with --python or python3 on PATH (Debian's python3-pandas, python3-sklearn).
 * Prints the load average before and after: figures taken on a busy machine are not comparable.
 */
import { execFileSync, spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { loadavg, tmpdir } from 'node:os';
import { join } from 'node:path';
import { benchArgs, buildFirst, exportArg, numberFlag, peerArg, pythonArg, ROOT } from './args.js';

const USAGE = 'npm run bench:train -- EXPORT --peer DIR [--python PATH] [--runs 3] [--k 4]';
const { values: opt, positionals } = benchArgs('bench/train', USAGE, {
  options: {
    peer: { type: 'string' },
    python: { type: 'string' },
    runs: { type: 'string' },
    k: { type: 'string' },
  },
  allowPositionals: true,
});
const EXPORT = exportArg('bench/train', positionals[0], USAGE);
const PEER = peerArg('bench/train', opt.peer);
const PYTHON = pythonArg('bench/train', opt.python, ['sklearn', 'pandas']);
const RUNS = numberFlag('bench/train', 'runs', opt.runs, 3);
const K = String(numberFlag('bench/train', 'k', opt.k, 4, 2));
buildFirst('bench/train');
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
  const r = spawnSync(PYTHON, [join(PEER, 'train.py'), EXPORT, out, '--k', K], {
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
    PYTHON,
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
