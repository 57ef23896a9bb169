/**
 * bench/score (npm run bench:score) — two sets of figures, printed with a verdict each.
 *
 * 1. `rfm score` against the baseline's own way of doing the same job (its score.py: pandas read,
 *    clean, aggregate, model.pkl predict, CSV write) on the same export, as fresh processes,
 *    alternating, `--runs` times each after one unmeasured warm-up: medians, the ratio, and the
 *    verdict against the goal (≤ 0.4× the baseline's wall time). Each side scores with a model it
 *    trained on that export first (not timed).
 * 2. Saved runs at scale (`--customers`, default 1,000,000): customers shaped like `npm run
 *    gen:data`'s (ids 12346…, recency over a year, lognormal frequency and spend), scored by a
 *    fixture version; the encoded size (goal ≤ 25 MB), Registry.saveRun time into a fresh SQLite
 *    registry (goal ≤ 2 s), and the diff of two such runs, loaded and decoded from the registry
 *    (goal < 3 s).
 * With `--rows N` also: `npm run gen:data`'s export of N rows (N/10 customers), scored and saved by
 * `rfm score --save` in a fresh process (with a model trained on a 200k-row export of the same generator):
 * wall and peak RSS (goals for 10M rows: < 15 s, < 1.5 GB).
 *
 *   npm run bench:score -- EXPORT --peer DIR [--python PATH] [--runs 3] [--customers 1000000] [--rows N] [--skip-baseline]
 *
 * The load average is printed before and after: figures from a busy machine are not comparable.
 */
import { execFileSync, spawn, spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Registry } from '@rfm/registry';
import { diffRuns, encodeCustomers, loadSavedRun, newRunInput, scoreTable, summarize } from '@rfm/runs';
import { makeArtifact } from '@rfm/shared/testing';
import { syntheticTable } from '../synthetic-customers.js';
import {
  benchArgs,
  buildFirst,
  exportArg,
  fail,
  loadAverage,
  median,
  numberFlag,
  peerArg,
  pythonArg,
  ROOT,
  seconds,
} from '../args.js';

const B = 'bench/score';
const USAGE =
  'npm run bench:score -- EXPORT --peer DIR [--python PATH] [--runs 3] [--customers 1000000] [--rows N] [--skip-baseline]';
const { values: opt, positionals } = benchArgs(B, USAGE, {
  options: {
    peer: { type: 'string' },
    python: { type: 'string' },
    runs: { type: 'string' },
    customers: { type: 'string' },
    rows: { type: 'string' },
    'skip-baseline': { type: 'boolean' },
  },
  allowPositionals: true,
});
const SKIP_BASELINE = opt['skip-baseline'] === true;
const EXPORT = SKIP_BASELINE ? undefined : exportArg(B, positionals[0], USAGE);
const PEER = SKIP_BASELINE ? undefined : peerArg(B, opt.peer);
if (PEER && !existsSync(join(PEER, 'score.py'))) fail(B, `--peer ${PEER}: no score.py there`);
const PYTHON = SKIP_BASELINE ? undefined : pythonArg(B, opt.python, ['sklearn', 'pandas']);
const RUNS = numberFlag(B, 'runs', opt.runs, 3);
const CUSTOMERS = numberFlag(B, 'customers', opt.customers, 1_000_000, 2);
const ROWS = opt.rows === undefined ? undefined : numberFlag(B, 'rows', opt.rows, 0, 1000);
buildFirst(B);

const work = mkdtempSync(join(tmpdir(), 'rfm-bench-score-'));
const RFM = join(ROOT, 'cli', 'bin', 'rfm.js');
const load = loadAverage;
const s = seconds;
const verdict = (ok: boolean, what: string) => `${ok ? 'MET' : 'NOT MET'}: ${what}`;

function timed(cmd: string, args: string[]): { wall: number; stdout: string } {
  const t = performance.now();
  const r = spawnSync(cmd, args, { encoding: 'utf8', maxBuffer: 256 << 20 });
  const wall = performance.now() - t;
  if (r.status !== 0) throw new Error(`${cmd} ${args.join(' ')} failed (${r.status}):\n${r.stderr}`);
  return { wall, stdout: r.stdout };
}

function versusBaseline(): void {
  const registry = join(work, 'registry.db');
  const peerModel = join(work, 'peer-model');
  console.log(`\n1. rfm score vs the baseline's score.py on ${EXPORT}, ${RUNS} runs each (alternating)`);
  const version = execFileSync(
    PYTHON!,
    ['-c', 'import sklearn, pandas; print("scikit-learn", sklearn.__version__, "pandas", pandas.__version__)'],
    { encoding: 'utf8' },
  ).trim();
  // each side's model, trained on this export (not timed)
  timed(process.execPath, [RFM, 'train', EXPORT!, '--registry', registry, '--k', '4', '--json']);
  timed(PYTHON!, [join(PEER!, 'train.py'), EXPORT!, peerModel, '--k', '4']);
  const rfm = (i: number) => {
    const r = timed(process.execPath, [
      RFM,
      'score',
      EXPORT!,
      '--registry',
      registry,
      '--out',
      join(work, `rfm-${i}.csv`),
      '--json',
    ]);
    const j = JSON.parse(r.stdout) as { duration_ms: number; customers: number };
    return { wall: r.wall, inProcess: j.duration_ms, customers: j.customers };
  };
  const peer = (i: number) => {
    const r = timed(PYTHON!, [join(PEER!, 'score.py'), EXPORT!, peerModel, join(work, `peer-${i}.csv`)]);
    const j = JSON.parse(r.stdout.trim().split('\n').pop()!) as {
      customers: number;
      seconds: { total_in_process: number };
    };
    return { wall: r.wall, inProcess: j.seconds.total_in_process * 1000, customers: j.customers };
  };
  rfm(-1);
  peer(-1);
  const a: ReturnType<typeof rfm>[] = [];
  const b: ReturnType<typeof peer>[] = [];
  for (let i = 0; i < RUNS; i++) {
    a.push(rfm(i));
    b.push(peer(i));
  }
  const wa = median(a.map((x) => x.wall));
  const wb = median(b.map((x) => x.wall));
  console.log(
    `  rfm score (node cli/bin/rfm.js, ${a[0]!.customers} customers): ${a.map((x) => s(x.wall)).join(', ')}; median ${s(wa)}`,
  );
  console.log(
    `    of which start-up (process start → command start): ${s(median(a.map((x) => x.wall - x.inProcess)))}`,
  );
  console.log(
    `  baseline (${version}, ${b[0]!.customers} customers): ${b.map((x) => s(x.wall)).join(', ')}; median ${s(wb)}`,
  );
  console.log(
    `    of which interpreter start + imports outside its timer: ${s(median(b.map((x) => x.wall - x.inProcess)))}`,
  );
  const ratio = wa / wb;
  console.log(`  ratio rfm / baseline (median wall): ${ratio.toFixed(2)}×  ${verdict(ratio <= 0.4, 'goal ≤ 0.4×')}`);
}

async function savedRunsAtScale(): Promise<void> {
  console.log(`\n2. saved runs at scale: ${CUSTOMERS.toLocaleString('en-US')} synthetic customers (gen:data-shaped)`);
  const art = makeArtifact();
  const reg = await Registry.open(join(work, 'scale.db'));
  try {
    await reg.register({ modelName: 'bench', artifact: art, actor: 'bench' });
    const model = await reg.loadModel('bench', 1);
    const ids: string[] = [];
    for (const [i, drift] of [
      [0, 0],
      [1, 30],
    ] as const) {
      const table = syntheticTable(CUSTOMERS, 7 + i, drift);
      const customers = scoreTable(table, model.artifact);
      const facts = {
        exportName: `synthetic-${i}.csv`,
        exportSha256: String(i).repeat(64),
        snapshotDate: `2026-0${i + 1}-01`,
        rowsRead: CUSTOMERS * 10,
        rowsDropped: {},
        customers: CUSTOMERS,
        frequencyBasis: 'invoices',
        modelName: 'bench',
        version: 1,
      };
      const t0 = performance.now();
      const encoded = encodeCustomers(customers);
      const tEnc = performance.now() - t0;
      const input = newRunInput({ facts, customers, summary: summarize(customers, model.artifact.segments) });
      const t1 = performance.now();
      const saved = await reg.saveRun(input, 'bench');
      const tSave = performance.now() - t1;
      ids.push(saved.id);
      const mb = encoded.byteLength / (1024 * 1024);
      console.log(
        `  run ${i + 1}: encoded ${mb.toFixed(1)} MB in ${s(tEnc)} (${verdict(mb <= 25, 'goal ≤ 25 MB')}); ` +
          `encode + Registry.saveRun ${s(tEnc + tSave)} (${verdict(tEnc + tSave <= 2000, 'goal ≤ 2 s')})`,
      );
    }
    const t2 = performance.now();
    const a = await loadSavedRun(reg, ids[0]!);
    const b = await loadSavedRun(reg, ids[1]!);
    const tLoad = performance.now() - t2;
    const t3 = performance.now();
    const d = diffRuns(a, b);
    const tDiff = performance.now() - t3;
    console.log(
      `  diff of the two runs: load + decode ${s(tLoad)}, diffRuns ${s(tDiff)}, total ${s(tLoad + tDiff)} ` +
        `(${d.totals.inBoth.toLocaleString('en-US')} in both, ${d.totals.moved.toLocaleString('en-US')} moved; ` +
        `${verdict(tLoad + tDiff < 3000, 'goal < 3 s')})`,
    );
  } finally {
    await reg.close();
  }
}

/** Peak RSS of a child by polling /proc (Linux): the high-water mark the kernel keeps (VmHWM). */
function runWithPeak(
  cmd: string,
  args: string[],
): Promise<{ wall: number; peakMb: number | null; code: number | null }> {
  return new Promise((resolve) => {
    const t = performance.now();
    const child = spawn(cmd, args, { stdio: ['ignore', 'ignore', 'inherit'] });
    let peak: number | null = null;
    const poll = setInterval(() => {
      try {
        const m = /VmHWM:\s+(\d+) kB/.exec(readFileSync(`/proc/${child.pid}/status`, 'utf8'));
        if (m) peak = Math.max(peak ?? 0, Number(m[1]) / 1024);
      } catch {}
    }, 50);
    child.on('close', (code) => {
      clearInterval(poll);
      resolve({ wall: performance.now() - t, peakMb: peak, code });
    });
  });
}

async function fullPipelineAtScale(rows: number): Promise<void> {
  const { generate } = await import('../gen-data.js');
  const file = join(work, 'gen.csv');
  const customers = Math.max(10, Math.round(rows / 10));
  console.log(
    `\n3. rfm score --save on a gen:data export: ${rows.toLocaleString('en-US')} rows, ${customers.toLocaleString('en-US')} customers`,
  );
  await generate({ rows, customers, out: file, seed: 42 });
  const registry = join(work, 'gen.db');
  // the model comes from a small export of the same shop (training time is not what is measured here)
  const small = join(work, 'gen-small.csv');
  await generate({ rows: 200_000, customers: 20_000, out: small, seed: 7 });
  timed(process.execPath, [RFM, 'train', small, '--registry', registry, '--k', '4', '--json']);
  const r = await runWithPeak(process.execPath, [
    RFM,
    'score',
    file,
    '--registry',
    registry,
    '--out',
    join(work, 'gen-out.csv'),
    '--save',
  ]);
  if (r.code !== 0) throw new Error(`rfm score exited ${r.code}`);
  const peak = r.peakMb === null ? 'n/a' : `${r.peakMb.toFixed(0)} MB`;
  console.log(`  wall ${s(r.wall)}, peak RSS ${peak} (goals for 10M rows: < 15 s, < 1.5 GB)`);
}

try {
  console.log(`bench/score: node ${process.version}; load average before: ${load()}`);
  if (!SKIP_BASELINE) versusBaseline();
  await savedRunsAtScale();
  if (ROWS !== undefined) await fullPipelineAtScale(ROWS);
  console.log(`\nload average after: ${load()}`);
} finally {
  rmSync(work, { recursive: true, force: true });
}
