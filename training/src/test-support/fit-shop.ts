import { fitScaler, transformRows, type ArtifactSegment, type NamingRule } from '@rfm/shared';
import { selectBackend } from '../kmeans/backend.js';
import { fitKMeans, sweepK, type SweepResult } from '../kmeans/fit.js';
import { nameSegments } from '../naming.js';
import type { Shop } from './shops.js';

/** Fit k-means on a generated shop exactly as train() does (log1p + standardize, seeded) and name it. */
export async function fitShop(
  shop: Pick<Shop, 'table' | 'rhythm'>,
  k: number | 'auto',
  opts: { seed?: number; nInit?: number } = {},
): Promise<{ segments: ArtifactSegment[]; naming: NamingRule; k: number; sweep?: SweepResult }> {
  const { tf } = await selectBackend('wasm');
  const scaler = fitScaler(shop.table.raw);
  const z = transformRows(scaler, shop.table.raw);
  const base = { seed: opts.seed ?? 42, nInit: opts.nInit ?? 4, maxIter: 300, tol: 1e-4 };
  let sweep: SweepResult | undefined;
  let fit: { centers: Float64Array; labels: Int32Array };
  let kk: number;
  if (k === 'auto') {
    sweep = sweepK(tf, z, 3, { ...base, kMin: 3, kMax: 8 });
    fit = sweep.fit;
    kk = sweep.k;
  } else {
    fit = fitKMeans(tf, z, 3, { ...base, k });
    kk = k;
  }
  const named = nameSegments(shop.table, scaler, fit.centers, fit.labels, kk, shop.rhythm);
  return { segments: named.segments, naming: named.naming, k: kk, ...(sweep ? { sweep } : {}) };
}
