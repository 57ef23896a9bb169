import { deflateRawSync, inflateRawSync } from 'node:zlib';
import { RfmError } from '@rfm/shared';
import type { ScoredCustomers } from './types.js';

/** The name the registry stores beside the blob (`runs.customers_encoding`). */
export const CUSTOMERS_ENCODING = 'rfm-customers-v1';
const MAGIC = 0x434d4652; // "RFMC" little-endian
const HEADER = 12; // magic, format version, customer count (u32 each)

/*
 * Layout after the header: one raw-deflated body (level 1: a million customers deflate in a few
 * hundred ms, and integer-valued doubles such as recency shrink a lot) holding, in order,
 * recency, frequency, monetary (f64, exact), distance (f32: shown to 4 decimals, half the bytes),
 * cluster (u16), r/f/m scores and outlier (u8), then the cids as UTF-8 joined by NUL. Numbers first
 * so every typed view is aligned.
 */
function sizes(n: number) {
  const f64 = n * 8;
  const f32 = n * 4;
  const u16 = n * 2;
  return { f64, f32, u16, fixed: 3 * f64 + f32 + u16 + 4 * n };
}

export function encodeCustomers(c: ScoredCustomers): Uint8Array {
  const n = c.cid.length;
  for (const id of c.cid)
    if (id.includes('\0')) throw new RfmError('INVALID_INPUT', 'a customer id contains a NUL character');
  const s = sizes(n);
  const ids = Buffer.from(c.cid.join('\0'), 'utf8');
  const body = Buffer.allocUnsafe(s.fixed + ids.length);
  let o = 0;
  const put = (a: ArrayBufferView) => {
    body.set(new Uint8Array(a.buffer, a.byteOffset, a.byteLength), o);
    o += a.byteLength;
  };
  put(c.recency);
  put(c.frequency);
  put(c.monetary);
  put(Float32Array.from(c.distance));
  put(c.cluster);
  put(c.rScore);
  put(c.fScore);
  put(c.mScore);
  put(c.outlier);
  body.set(ids, o);
  const packed = deflateRawSync(body, { level: 1 });
  const out = new Uint8Array(HEADER + packed.length);
  const dv = new DataView(out.buffer);
  dv.setUint32(0, MAGIC, true);
  dv.setUint32(4, 1, true);
  dv.setUint32(8, n, true);
  out.set(packed, HEADER);
  return out;
}

function damaged(why: string): RfmError {
  return new RfmError('REGISTRY_ERROR', `saved run customers are damaged: ${why}`);
}

export function decodeCustomers(bytes: Uint8Array): ScoredCustomers {
  if (bytes.byteLength < HEADER) throw damaged('too short');
  const dv = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  if (dv.getUint32(0, true) !== MAGIC) throw damaged('not an rfm customers blob');
  if (dv.getUint32(4, true) !== 1) throw damaged(`unknown format version ${dv.getUint32(4, true)}`);
  const n = dv.getUint32(8, true);
  let body: Buffer;
  try {
    body = inflateRawSync(bytes.subarray(HEADER));
  } catch {
    throw damaged('does not inflate');
  }
  const s = sizes(n);
  if (body.length < s.fixed) throw damaged(`holds fewer bytes than ${n} customers need`);
  // copy into a fresh, aligned buffer so the typed arrays can view it directly
  const buf = new ArrayBuffer(s.fixed);
  new Uint8Array(buf).set(body.subarray(0, s.fixed));
  let o = 0;
  const take = <T>(make: (b: ArrayBuffer, off: number, len: number) => T, bytesEach: number): T => {
    const t = make(buf, o, n);
    o += n * bytesEach;
    return t;
  };
  const recency = take((b, off, len) => new Float64Array(b, off, len), 8);
  const frequency = take((b, off, len) => new Float64Array(b, off, len), 8);
  const monetary = take((b, off, len) => new Float64Array(b, off, len), 8);
  const distance = Float64Array.from(take((b, off, len) => new Float32Array(b, off, len), 4));
  const cluster = take((b, off, len) => new Uint16Array(b, off, len), 2);
  const rScore = take((b, off, len) => new Uint8Array(b, off, len), 1);
  const fScore = take((b, off, len) => new Uint8Array(b, off, len), 1);
  const mScore = take((b, off, len) => new Uint8Array(b, off, len), 1);
  const outlier = take((b, off, len) => new Uint8Array(b, off, len), 1);
  const cid = n ? body.subarray(s.fixed).toString('utf8').split('\0') : [];
  if (cid.length !== n) throw damaged(`expected ${n} customer ids, found ${cid.length}`);
  return { cid, recency, frequency, monetary, rScore, fScore, mScore, cluster, distance, outlier };
}
