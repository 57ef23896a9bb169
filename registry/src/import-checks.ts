import { createHmac, timingSafeEqual } from 'node:crypto';
import { gunzipSync } from 'node:zlib';
import { Predictor, RfmError, type ArtifactV1, type Metrics } from '@rfm/shared';
import { FEATURES_ENCODING, type TrainingFeatures } from './features-blob.js';
import { checkName, checkSegmentName, checkTag } from './names.js';

/**
 * A model export file is untrusted input: whoever wrote it also computed its checksums. These
 * are the limits and checks an import applies before anything touches a registry.
 */
export const IMPORT_LIMITS = {
  /** the whole file */
  fileBytes: 256 * 1024 * 1024,
  /** k: the artifact schema allows 50 at most; training never goes past 20 */
  k: 50,
  /** training customers carried along, and what their gzip may inflate to */
  customers: 5_000_000,
  inflatedBytes: 512 * 1024 * 1024,
  description: 2000,
  actor: 128,
  tags: 50,
  tagValue: 500,
  /** customers used to recompute the silhouette the policy relies on */
  silhouetteSample: 2000,
} as const;

const bad = (message: string, path: string, found?: string) =>
  new RfmError('INVALID_INPUT', message, { issues: [{ path, message, ...(found ? { found } : {}) }] });

/** Segment names inside the artifact and the file's relabels: the same rules as `relabel`. */
export function checkImportedNames(artifact: ArtifactV1, labels: { cluster: number; name: string }[]): void {
  if (artifact.k > IMPORT_LIMITS.k)
    throw bad(`k = ${artifact.k} is above the limit of ${IMPORT_LIMITS.k}`, 'artifact.k');
  const names = new Map<number, string>();
  for (const s of artifact.segments)
    names.set(s.cluster, checkSegmentName(s.name, `artifact.segments[${s.cluster}].name`));
  for (const l of labels) {
    if (!Number.isInteger(l.cluster) || l.cluster < 0 || l.cluster >= artifact.k)
      throw bad(`label for cluster ${l.cluster}, but the model has clusters 0–${artifact.k - 1}`, 'labels');
    names.set(l.cluster, checkSegmentName(l.name, `labels.${l.cluster}`));
  }
  const seen = new Map<string, number>();
  for (const [cluster, name] of names) {
    const other = seen.get(name.toLowerCase());
    if (other !== undefined)
      throw bad(
        `clusters ${other} and ${cluster} are both named "${name}"; segment names are unique within a version`,
        'labels',
      );
    seen.set(name.toLowerCase(), cluster);
  }
}

export function checkImportedText(p: {
  model: string;
  description: string;
  created_by: string;
  tags: Record<string, string>;
}): void {
  checkName('model', p.model);
  if (p.description.length > IMPORT_LIMITS.description)
    throw bad(`description is ${p.description.length} characters; at most ${IMPORT_LIMITS.description}`, 'description');
  if (p.created_by.length > IMPORT_LIMITS.actor)
    throw bad(`created_by is longer than ${IMPORT_LIMITS.actor}`, 'created_by');
  const tags = Object.entries(p.tags);
  if (tags.length > IMPORT_LIMITS.tags) throw bad(`${tags.length} tags; at most ${IMPORT_LIMITS.tags}`, 'tags');
  for (const [k, v] of tags) {
    checkTag(k);
    if (v.length > IMPORT_LIMITS.tagValue) throw bad(`tag ${k} is longer than ${IMPORT_LIMITS.tagValue}`, `tags.${k}`);
  }
}

/**
 * The training customers of an export, inflated with a ceiling (a small gzip can inflate without
 * limit), or null when their encoding is not one this rfm knows (then they are left out).
 */
export function decodeImportedFeatures(f: { encoding: string; base64: string } | null): TrainingFeatures | null {
  if (!f || f.encoding !== FEATURES_ENCODING) return null;
  let buf: Buffer;
  try {
    buf = gunzipSync(Buffer.from(f.base64, 'base64'), { maxOutputLength: IMPORT_LIMITS.inflatedBytes });
  } catch (e) {
    throw bad(
      (e as NodeJS.ErrnoException).code === 'ERR_BUFFER_TOO_LARGE'
        ? `training customers inflate past ${IMPORT_LIMITS.inflatedBytes} bytes`
        : 'training customers are not valid gzip',
      'features',
    );
  }
  if (buf.length < 4) throw bad('training customers are truncated', 'features');
  const n = buf.readUInt32LE(0);
  if (4 + n > buf.length) throw bad('training customers are truncated', 'features');
  let cids: unknown;
  try {
    cids = JSON.parse(buf.subarray(4, 4 + n).toString('utf8'));
  } catch {
    throw bad('training customer ids are not valid JSON', 'features');
  }
  const body = buf.subarray(4 + n);
  if (!Array.isArray(cids) || cids.length > IMPORT_LIMITS.customers || body.byteLength !== cids.length * 24)
    throw bad('training customers do not match their ids (or exceed the limit)', 'features');
  const raw = new Float64Array(cids.length * 3);
  Buffer.from(raw.buffer).set(body);
  if (!raw.every((x) => Number.isFinite(x) && x >= 0)) throw bad('training customers hold invalid numbers', 'features');
  return { cids: cids.map(String), raw };
}

/**
 * The numbers the promotion policy trusts, recomputed from the stored customers instead of taken
 * from the file: the customer count, and the silhouette on a fixed sample (every n-th customer)
 * assigned by the artifact's own centroids in its standardized space.
 */
export function recomputePolicyMetrics(
  artifact: ArtifactV1,
  f: TrainingFeatures,
): { metrics: Metrics; customers: number } {
  const p = new Predictor(artifact);
  const n = f.cids.length;
  const step = Math.max(1, Math.ceil(n / IMPORT_LIMITS.silhouetteSample));
  const pts: [number, number, number][] = [];
  const lab: number[] = [];
  for (let i = 0; i < n; i += step) {
    const r = f.raw[3 * i]!;
    const fr = f.raw[3 * i + 1]!;
    const m = f.raw[3 * i + 2]!;
    pts.push(p.standardize(r, fr, m));
    lab.push(p.predict(r, fr, m));
  }
  return {
    metrics: { ...artifact.metrics, silhouette: silhouette(pts, lab, artifact.k), silhouette_sample: pts.length },
    customers: n,
  };
}

function silhouette(pts: [number, number, number][], lab: number[], k: number): number | null {
  const n = pts.length;
  if (n < 2 || new Set(lab).size < 2) return null;
  let sum = 0;
  const tot = new Float64Array(k);
  const cnt = new Float64Array(k);
  for (let i = 0; i < n; i++) {
    tot.fill(0);
    cnt.fill(0);
    const a = pts[i]!;
    for (let j = 0; j < n; j++) {
      if (i === j) continue;
      const b = pts[j]!;
      tot[lab[j]!]! += Math.hypot(a[0] - b[0], a[1] - b[1], a[2] - b[2]);
      cnt[lab[j]!]!++;
    }
    const own = lab[i]!;
    if (cnt[own]! === 0) continue; // a singleton cluster scores 0
    const ai = tot[own]! / cnt[own]!;
    let bi = Infinity;
    for (let c = 0; c < k; c++) if (c !== own && cnt[c]! > 0) bi = Math.min(bi, tot[c]! / cnt[c]!);
    if (Number.isFinite(bi)) sum += (bi - ai) / Math.max(ai, bi);
  }
  return sum / n;
}

/** `RFM_EXPORT_KEY`: when set, exports are signed (HMAC-SHA256 of the payload) and imports must carry a valid signature. */
export function exportKey(env: NodeJS.ProcessEnv = process.env): Buffer | null {
  const k = env.RFM_EXPORT_KEY;
  return k ? Buffer.from(k, 'utf8') : null;
}

export function sign(payloadJson: string, key: Buffer): string {
  return createHmac('sha256', key).update(payloadJson).digest('hex');
}

export function checkSignature(
  payloadJson: string,
  signature: string | undefined,
  key: Buffer | null,
  fileLabel: string,
): void {
  if (!key) return;
  if (!signature)
    throw new RfmError(
      'UNAUTHORIZED',
      `${fileLabel} is not signed, and RFM_EXPORT_KEY is set: only signed exports are imported`,
    );
  const want = Buffer.from(sign(payloadJson, key), 'hex');
  const got = Buffer.from(/^[0-9a-f]{64}$/.test(signature) ? signature : '', 'hex');
  if (got.length !== want.length || !timingSafeEqual(got, want))
    throw new RfmError('UNAUTHORIZED', `${fileLabel}: signature does not match RFM_EXPORT_KEY; refusing to import it`);
}
