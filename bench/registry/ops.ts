/**
 * One back end, one code tree: the registry operations bench/registry/main.ts compares. Written
 * so it runs unchanged on the synchronous registry of commit 498b7e8 too (`await` of a plain
 * value is that value), which is how the "before" SQLite figures are measured on the same machine.
 * Usage: node --conditions=rfm-source --import tsx bench/registry/ops.ts LOCATION  → one JSON line
 */
import { loadConfig } from '@rfm/shared';
import { makeArtifact } from '@rfm/shared/testing';
import { Registry } from '@rfm/registry';
import { silentLogger, startServer } from '@rfm/serving';

const location = process.argv[2]!;
const MODEL = 'customer-segments';
const REGISTRATIONS = Number(process.env.BENCH_REGISTRATIONS ?? 15);
const MOVES = Number(process.env.BENCH_MOVES ?? 10);
const READS = Number(process.env.BENCH_READS ?? 200);
const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)]!;
const max = (xs: number[]) => xs.reduce((m, x) => (x > m ? x : m), -Infinity); // no spread: BENCH_READS may be large

const n = 20_000;
const features = {
  cids: Array.from({ length: n }, (_, i) => `c${i}`),
  raw: new Float64Array(n * 3).map((_, i) => 1 + (i % 97)),
};
const reg: any = await Registry.open(location);
const register: number[] = [];
for (let i = 0; i < REGISTRATIONS; i++) {
  const t0 = performance.now();
  await reg.register({ modelName: MODEL, artifact: makeArtifact({ seed: i }), actor: 'bench', features });
  register.push(performance.now() - t0);
}

const time = async (fn: () => unknown) => {
  const xs: number[] = [];
  for (let i = 0; i < READS; i++) {
    const t0 = performance.now();
    await fn();
    xs.push(performance.now() - t0);
  }
  return median(xs);
};
const list = await time(() => reg.list(MODEL));
const show = await time(async () => {
  await reg.get(MODEL, 3);
  await reg.loadModel(MODEL, 3);
});
const history = await time(() => reg.history(MODEL, { limit: 200 }));

// promote → served: three servers (each its own registry connection and follower), the time from
// the promote's commit until all three answer with the new version. Each server is asked in its
// own loop (the figure is when the last of them first answered the new version), so one slow
// answer from one server does not hold back the sampling of the others.
const servers = await Promise.all(
  [0, 1, 2].map(() =>
    startServer({
      config: loadConfig({}, { registry: location, port: 0, host: '127.0.0.1', logLevel: 'silent' }),
      logger: silentLogger(),
    }),
  ),
);
const versionOf = async (url: string) => {
  const r = await fetch(`${url}/api/v1/predict`, {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: '{"recency":10,"frequency":3,"monetary":500}',
  });
  return ((await r.json()) as { model_version: number }).model_version;
};
const servedAfter = async (url: string, target: number, t0: number) => {
  while ((await versionOf(url)) !== target) {
    if (performance.now() - t0 > 10_000) throw new Error('servers did not switch in 10 s');
    await new Promise((r) => setTimeout(r, 1));
  }
  return performance.now() - t0;
};
await new Promise((r) => setTimeout(r, 500)); // followers connected (LISTEN on PostgreSQL)
const switchMs: number[] = [];
for (let i = 0; i < MOVES; i++) {
  const target = 2 + (i % (REGISTRATIONS - 1));
  await reg.promote(MODEL, target, { actor: 'bench', reason: 'bench', force: true });
  const t0 = performance.now();
  switchMs.push(Math.max(...(await Promise.all(servers.map((s) => servedAfter(s.url, target, t0))))));
  await new Promise((r) => setTimeout(r, 100)); // moves apart, as people make them
}
await Promise.all(servers.map((s) => s.close({ drainMs: 1000 })));
await reg.close();
process.stdout.write(
  `${JSON.stringify({
    register_ms: { median: median(register), max: max(register) },
    promote_to_served_ms: { median: median(switchMs), max: max(switchMs) },
    list_ms: list,
    show_ms: show,
    history_ms: history,
  })}\n`,
);
process.exit(0);
