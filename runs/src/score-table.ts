import { distanceToCentre, nearestCentre, outlierFlag, scoreRfm, transformInto, type ArtifactV1 } from '@rfm/shared';
import type { RfmTable } from '@rfm/ingest';
import { OUTLIER_NO, OUTLIER_UNKNOWN, OUTLIER_YES, type ScoredCustomers } from './types.js';

type ScoringArtifact = Pick<ArtifactV1, 'k' | 'centroids' | 'preprocessing' | 'quintiles' | 'outliers'>;

/**
 * Score every customer of an RFM table with one version: the cluster by the model's one
 * assignment rule (nearest centre after log1p + standardize, as the Predictor), the distance to
 * that centre in the same space, the outlier flag against the artifact's per-cluster threshold,
 * and the 1–5 R/F/M scores against the version's training quintiles. Pure.
 */
export function scoreTable(table: RfmTable, artifact: ScoringArtifact): ScoredCustomers {
  const n = table.cids.length;
  const centres = Float64Array.from(artifact.centroids.flat());
  const scaler = { mean: artifact.preprocessing.mean, scale: artifact.preprocessing.scale };
  const limits = artifact.outliers?.distance;
  const out: ScoredCustomers = {
    cid: table.cids,
    recency: new Float64Array(n),
    frequency: new Float64Array(n),
    monetary: new Float64Array(n),
    rScore: new Uint8Array(n),
    fScore: new Uint8Array(n),
    mScore: new Uint8Array(n),
    cluster: new Uint16Array(n),
    distance: new Float64Array(n),
    outlier: new Uint8Array(n),
  };
  const z = new Float64Array(3);
  const v = { recency: 0, frequency: 0, monetary: 0 };
  for (let i = 0; i < n; i++) {
    const r = table.raw[i * 3]!;
    const f = table.raw[i * 3 + 1]!;
    const m = table.raw[i * 3 + 2]!;
    out.recency[i] = r;
    out.frequency[i] = f;
    out.monetary[i] = m;
    transformInto(scaler, r, f, m, z, 0);
    const c = nearestCentre(centres, artifact.k, 3, z);
    const d = distanceToCentre(centres, c, z);
    out.cluster[i] = c;
    out.distance[i] = d;
    const flag = outlierFlag(limits, c, d);
    out.outlier[i] = flag === null ? OUTLIER_UNKNOWN : flag ? OUTLIER_YES : OUTLIER_NO;
    v.recency = r;
    v.frequency = f;
    v.monetary = m;
    const s = scoreRfm(v, artifact.quintiles);
    out.rScore[i] = s.r;
    out.fScore[i] = s.f;
    out.mScore[i] = s.m;
  }
  const a = table.attributes;
  if (a?.email) out.email = a.email;
  if (a?.name) out.name = a.name;
  if (a?.consent) out.consent = a.consent;
  return out;
}
