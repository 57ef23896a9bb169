/**
 * bench/registry (npm run bench:registry): the registry on SQLite before this change (commit
 * 498b7e8, checked out into a temporary worktree), on SQLite now, and on PostgreSQL now, same
 * machine, same run: register (20k customers stored), promote → served by 3 servers, list /
 * show / history. Each configuration runs in its own process (bench/registry/ops.ts).
 */
import { execFileSync, spawnSync } from 'node:child_process';
import { copyFileSync, mkdirSync, mkdtempSync, readdirSync, rmSync, symlinkSync } from 'node:fs';
import { loadavg, tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { testCluster } from '@rfm/registry/testing';

const ROOT = fileURLToPath(new URL('../../', import.meta.url));
const BEFORE = process.env.BENCH_BEFORE_COMMIT ?? '498b7e8';
const tmp = mkdtempSync(join(tmpdir(), 'rfm-bench-reg-'));

/** A checkout of the old commit that uses this tree's node_modules, except its own @rfm packages. */
function beforeTree(): string {
  const dir = join(tmp, 'before');
  mkdirSync(dir);
  // the old commit's files only (git archive: no worktree, nothing in .git touched)
  execFileSync('sh', ['-c', `git -C "${ROOT}" archive ${BEFORE} | tar -x -C "${dir}"`], { stdio: 'ignore' });
  mkdirSync(join(dir, 'node_modules', '@rfm'), { recursive: true });
  for (const e of readdirSync(join(ROOT, 'node_modules')))
    if (e !== '@rfm' && e !== '.bin') symlinkSync(join(ROOT, 'node_modules', e), join(dir, 'node_modules', e));
  for (const p of ['shared', 'registry', 'training', 'serving', 'cli'])
    symlinkSync(join(dir, p), join(dir, 'node_modules', '@rfm', p));
  mkdirSync(join(dir, 'bench', 'registry'), { recursive: true });
  copyFileSync(join(ROOT, 'bench', 'registry', 'ops.ts'), join(dir, 'bench', 'registry', 'ops.ts'));
  return dir;
}

function run(tree: string, location: string): Record<string, any> {
  const r = spawnSync(
    process.execPath,
    ['--conditions=rfm-source', '--import', 'tsx', join(tree, 'bench', 'registry', 'ops.ts'), location],
    {
      cwd: tree,
      encoding: 'utf8',
      env: { ...process.env, RFM_LOG_LEVEL: 'silent' },
      timeout: 600_000,
    },
  );
  if (r.status !== 0) throw new Error(`ops.ts in ${tree} failed:\n${r.stderr}`);
  return JSON.parse(r.stdout.trim().split('\n').pop()!);
}

const load = () =>
  loadavg()
    .map((x) => x.toFixed(2))
    .join(' ');
let before: string | null = null;
try {
  before = beforeTree();
  console.log(
    `bench/registry  (load average ${load()}; ${process.env.BENCH_REGISTRATIONS ?? 15}` +
      ` registrations of 20k customers, ${process.env.BENCH_MOVES ?? 10} promotes, 3 servers)`,
  );
  const rows: [string, Record<string, any>][] = [];
  rows.push([`sqlite before (${BEFORE})`, run(before, join(tmp, 'before.db'))]);
  rows.push(['sqlite now', run(ROOT, join(tmp, 'now.db'))]);
  const url = await (await testCluster()).freshDatabase('bench');
  rows.push(['postgres now', run(ROOT, url)]);
  const f = (x: number) => x.toFixed(x < 10 ? 2 : 0).padStart(8);
  console.log(
    `${'configuration'.padEnd(28)}${'register'.padStart(10)}${'(max)'.padStart(8)}` +
      `${'promote→3 served'.padStart(18)}${'(max)'.padStart(8)}${'list'.padStart(8)}${'show'.padStart(8)}${'history'.padStart(9)}   ms, medians`,
  );
  for (const [name, r] of rows)
    console.log(
      `${name.padEnd(28)}${f(r.register_ms.median).padStart(10)}${f(r.register_ms.max)}` +
        `${f(r.promote_to_served_ms.median).padStart(18)}${f(r.promote_to_served_ms.max)}${f(r.list_ms)}${f(r.show_ms)}${f(r.history_ms).padStart(9)}`,
    );
  console.log(`load average after: ${load()}`);
} finally {
  rmSync(tmp, { recursive: true, force: true });
  process.exit(0);
}
