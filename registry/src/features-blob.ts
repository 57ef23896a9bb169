import { gunzipSync, gzipSync } from 'node:zlib';
import { RfmError } from '@rfm/shared';

/**
 * The training customers of a version (ids + raw R, F, M), stored gzip-compressed so versions can
 * be compared on the same customers later. Layout: JSON header line, then Float64 rows.
 */
export interface TrainingFeatures {
  cids: string[];
  /** row-major recency, frequency, monetary */
  raw: Float64Array;
}

export const FEATURES_ENCODING = 'rfm-f64-gzip-v1';

export function encodeFeatures(f: TrainingFeatures): Buffer {
  if (f.raw.length !== f.cids.length * 3)
    throw new RfmError('INVALID_INPUT', `features: ${f.cids.length} ids but ${f.raw.length / 3} rows`);
  const head = Buffer.from(`${JSON.stringify(f.cids)}\n`, 'utf8');
  const len = Buffer.alloc(4);
  len.writeUInt32LE(head.length);
  return gzipSync(Buffer.concat([len, head, Buffer.from(f.raw.buffer, f.raw.byteOffset, f.raw.byteLength)]), {
    level: 6,
  });
}

export function decodeFeatures(bytes: Buffer): TrainingFeatures {
  const buf = gunzipSync(bytes);
  const n = buf.readUInt32LE(0);
  const cids = JSON.parse(buf.subarray(4, 4 + n).toString('utf8')) as string[];
  const body = buf.subarray(4 + n);
  const raw = new Float64Array(body.byteLength / 8);
  Buffer.from(raw.buffer).set(body);
  return { cids, raw };
}
