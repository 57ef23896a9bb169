/**
 * bench/quality — rfm's k-means against scikit-learn's on the identical standardized RFM table.
 *
 *   npm run bench:quality -- EXPORT [--k 2-8] [--seed 42] [--python PATH]
 *
 * The export (e.g. the full UCI Online Retail export) is read
 * by rfm (DuckDB import → RFM → log1p → standardize); that one table Z is written to a temp CSV and
 * fitted by rfm (tfjs, k-means++ ×10) and by scikit-learn's KMeans(n_clusters=k, n_init=10) in
 * --python or python3 on PATH (Debian's python3-sklearn). Per k: both inertias, their ratio, and the adjusted
 * Rand index of the two labelings. Goal: rfm's inertia within 1% of scikit-learn's for k = 2…8.
 */
import { spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { loadavg, tmpdir } from 'node:os';
import { join } from 'node:path';
import { adjustedRandIndex, fitScaler, transformRows } from '@rfm/shared';
import { kmeans, readExport, selectBackend, silhouette } from '@rfm/training';
import { benchArgs, exportArg, fail, numberFlag, pythonArg } from './args.js';

const USAGE = 'npm run bench:quality -- EXPORT [--k 2-8] [--seed 42] [--python PATH]';
const { values: opt, positionals } = benchArgs('bench/quality', USAGE, {
  options: { k: { type: 'string', default: '2-8' }, seed: { type: 'string' }, python: { type: 'string' } },
  allowPositionals: true,
});
const [kLo, kHi] = opt.k.split('-').map(Number) as [number, number];
if (!(kLo >= 2 && kHi >= kLo)) fail('bench/quality', `--k must be a range like 2-8, got "${opt.k}"`);
const SEED = numberFlag('bench/quality', 'seed', opt.seed, 42, 0);
const EXPORT = exportArg('bench/quality', positionals[0], USAGE);
const PYTHON = pythonArg('bench/quality', opt.python, ['sklearn', 'numpy']);

const PY = `
import sys, json, numpy as np
from sklearn.cluster import KMeans
import sklearn
Z = np.loadtxt(sys.argv[1], delimiter=',')
out = {'version': sklearn.__version__, 'fits': {}}
for k in range(int(sys.argv[2]), int(sys.argv[3]) + 1):
    km = KMeans(n_clusters=k, n_init=10, random_state=int(sys.argv[4])).fit(Z)
    out['fits'][k] = {'inertia': float(km.inertia_), 'labels': km.labels_.tolist(), 'n_iter': int(km.n_iter_)}
print(json.dumps(out))
`;

const work = mkdtempSync(join(tmpdir(), 'rfm-bench-quality-'));
try {
  console.log(
    `bench/quality: ${EXPORT}, k = ${kLo}…${kHi}, seed ${SEED}; load average ${loadavg()
      .map((l) => l.toFixed(2))
      .join(' ')}`,
  );
  const { table } = await readExport(EXPORT);
  const z = transformRows(fitScaler(table.raw), table.raw);
  const n = table.cids.length;
  const csv = join(work, 'z.csv');
  const lines: string[] = [];
  for (let i = 0; i < n; i++)
    lines.push(`${z[i * 3]!.toPrecision(17)},${z[i * 3 + 1]!.toPrecision(17)},${z[i * 3 + 2]!.toPrecision(17)}`);
  writeFileSync(csv, `${lines.join('\n')}\n`);

  const t = performance.now();
  const py = spawnSync(PYTHON, ['-c', PY, csv, String(kLo), String(kHi), String(SEED)], {
    encoding: 'utf8',
    maxBuffer: 256 << 20,
  });
  if (py.status !== 0) throw new Error(`scikit-learn failed: ${py.stderr}`);
  const sk = JSON.parse(py.stdout) as {
    version: string;
    fits: Record<string, { inertia: number; labels: number[]; n_iter: number }>;
  };
  const skMs = performance.now() - t;

  const { tf, backend } = await selectBackend((process.env.RFM_TF_BACKEND as 'wasm' | 'cpu' | undefined) ?? 'wasm');
  console.log(
    `${n} customers; rfm on tfjs ${backend} vs scikit-learn ${sk.version} (KMeans n_init=10) on the identical standardized table\n`,
  );
  console.log('  k   rfm inertia   sklearn inertia   ratio    |diff|   ARI      rfm silhouette');
  let rfmMs = 0;
  let worst = 0;
  for (let k = kLo; k <= kHi; k++) {
    const t0 = performance.now();
    const r = kmeans(tf, z, 3, { k, seed: SEED, nInit: 10, maxIter: 300, tol: 1e-4 });
    rfmMs += performance.now() - t0;
    const s = sk.fits[String(k)]!;
    const ratio = r.inertia / s.inertia;
    worst = Math.max(worst, Math.abs(ratio - 1));
    const ari = adjustedRandIndex(r.labels, s.labels);
    const sil = silhouette(z, 3, r.labels, k, { seed: SEED }).value;
    console.log(
      `  ${String(k).padEnd(3)} ${r.inertia.toFixed(2).padStart(11)}   ${s.inertia.toFixed(2).padStart(15)}   ${ratio.toFixed(5)}  ` +
        `${(Math.abs(ratio - 1) * 100).toFixed(3).padStart(6)}%  ${ari.toFixed(4)}   ${sil?.toFixed(4)}`,
    );
  }
  console.log(
    `\nworst inertia difference ${(worst * 100).toFixed(3)}% (goal < 1%): ${worst < 0.01 ? 'met' : 'NOT met'}`,
  );
  console.log(
    `fit time for all k: rfm ${(rfmMs / 1000).toFixed(2)} s, scikit-learn ${(skMs / 1000).toFixed(2)} s (including its interpreter start and CSV read)`,
  );
} finally {
  rmSync(work, { recursive: true, force: true });
}
