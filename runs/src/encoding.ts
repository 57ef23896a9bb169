import { promisify } from 'node:util';
import { constants, deflateRawSync, inflateRaw, inflateRawSync } from 'node:zlib';
import { RfmError } from '@rfm/shared';
import type { ScoredCustomers } from './types.js';

/** The name the registry stores beside the blob (`runs.customers_encoding`). */
export const CUSTOMERS_ENCODING = 'rfm-customers-v1';
const MAGIC = 0x434d4652; // "RFMC" little-endian
const FORMAT = 2;
const HEADER = 16; // magic, format, customer count, column kinds (u32 each)

/*
 * After the header: one raw-deflated body (level 1, run-length strategy: zero bytes of small
 * numbers shrink, and it is about twice as fast as full matching) holding the columns, each
 * starting at a multiple of 8 so decoding can view them in place, then the cids as UTF-8 joined by
 * NUL. Columns are narrowed when that is exact for every customer, which halves what is deflated:
 * recency as u16 days, frequency as u32, monetary as i32 cents; otherwise f64. distance is f32
 * (shown to 6 decimals; half the bytes). A million customers come to about 13 MB.
 */
type Kind = 'f64' | 'u16' | 'u32' | 'i32cents';
const KINDS: Kind[] = ['f64', 'u16', 'u32', 'i32cents'];

function narrowest(v: Float64Array, small: 'u16' | 'u32' | 'i32cents'): Kind {
  for (let i = 0; i < v.length; i++) {
    const x = v[i]!;
    if (small === 'u16' ? !(Number.isInteger(x) && x >= 0 && x <= 0xffff) : false) return 'f64';
    if (small === 'u32' ? !(Number.isInteger(x) && x >= 0 && x <= 0xffffffff) : false) return 'f64';
    if (small === 'i32cents') {
      const c = Math.round(x * 100);
      if (!(Math.abs(c) <= 0x7fffffff && c / 100 === x)) return 'f64';
    }
  }
  return small;
}

function packed(v: Float64Array, kind: Kind): ArrayBufferView {
  if (kind === 'u16') return Uint16Array.from(v);
  if (kind === 'u32') return Uint32Array.from(v);
  if (kind === 'i32cents') return Int32Array.from(v, (x) => Math.round(x * 100));
  return v;
}

const pad8 = (n: number) => (n + 7) & ~7;

export function encodeCustomers(c: ScoredCustomers): Uint8Array {
  const n = c.cid.length;
  for (const id of c.cid)
    if (id.includes('\0')) throw new RfmError('INVALID_INPUT', 'a customer id contains a NUL character');
  const kinds = [narrowest(c.recency, 'u16'), narrowest(c.frequency, 'u32'), narrowest(c.monetary, 'i32cents')];
  const cols: ArrayBufferView[] = [
    packed(c.recency, kinds[0]!),
    packed(c.frequency, kinds[1]!),
    packed(c.monetary, kinds[2]!),
    Float32Array.from(c.distance),
    c.cluster,
    c.rScore,
    c.fScore,
    c.mScore,
    c.outlier,
  ];
  const ids = Buffer.from(c.cid.join('\0'), 'utf8');
  const fixed = cols.reduce((o, a) => pad8(o + a.byteLength), 0);
  const body = Buffer.alloc(fixed + ids.length);
  let o = 0;
  for (const a of cols) {
    body.set(new Uint8Array(a.buffer, a.byteOffset, a.byteLength), o);
    o = pad8(o + a.byteLength);
  }
  body.set(ids, o);
  const z = deflateRawSync(body, { level: 1, strategy: constants.Z_RLE });
  const out = new Uint8Array(HEADER + z.length);
  const dv = new DataView(out.buffer);
  dv.setUint32(0, MAGIC, true);
  dv.setUint32(4, FORMAT, true);
  dv.setUint32(8, n, true);
  dv.setUint32(12, KINDS.indexOf(kinds[0]!) | (KINDS.indexOf(kinds[1]!) << 4) | (KINDS.indexOf(kinds[2]!) << 8), true);
  out.set(z, HEADER);
  return out;
}

function damaged(why: string): RfmError {
  return new RfmError('REGISTRY_ERROR', `saved run customers are damaged: ${why}`);
}

const BYTES: Record<Kind, number> = { f64: 8, u16: 2, u32: 4, i32cents: 4 };

interface Header {
  n: number;
  kinds: [Kind, Kind, Kind];
}

function header(bytes: Uint8Array): Header {
  if (bytes.byteLength < HEADER) throw damaged('too short');
  const dv = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  if (dv.getUint32(0, true) !== MAGIC) throw damaged('not an rfm customers blob');
  if (dv.getUint32(4, true) !== FORMAT) throw damaged(`unknown format version ${dv.getUint32(4, true)}`);
  const n = dv.getUint32(8, true);
  const k = dv.getUint32(12, true);
  const kinds = [KINDS[k & 15], KINDS[(k >> 4) & 15], KINDS[(k >> 8) & 15]];
  if (kinds.some((x) => x === undefined)) throw damaged('unknown column kinds');
  return { n, kinds: kinds as [Kind, Kind, Kind] };
}

export function decodeCustomers(bytes: Uint8Array): ScoredCustomers {
  const h = header(bytes);
  let body: Buffer;
  try {
    body = inflateRawSync(bytes.subarray(HEADER));
  } catch {
    throw damaged('does not inflate');
  }
  return fromBody(h, body);
}

const inflateAsync = promisify(inflateRaw);

/** decodeCustomers with the inflating (most of the time for a million customers) on libuv's thread pool. */
export async function decodeCustomersAsync(bytes: Uint8Array): Promise<ScoredCustomers> {
  const h = header(bytes);
  let body: Buffer;
  try {
    body = await inflateAsync(bytes.subarray(HEADER));
  } catch {
    throw damaged('does not inflate');
  }
  return fromBody(h, body);
}

function fromBody({ n, kinds }: Header, body: Buffer): ScoredCustomers {
  const [kr, kf, km] = kinds;
  const widths = [BYTES[kr], BYTES[kf], BYTES[km], 4, 2, 1, 1, 1, 1];
  const fixed = widths.reduce((o, w) => pad8(o + w * n), 0);
  if (body.length < fixed) throw damaged(`holds fewer bytes than ${n} customers need`);
  // one copy into a fresh ArrayBuffer: every column then starts 8-aligned for a typed view
  const buf = new ArrayBuffer(fixed);
  new Uint8Array(buf).set(body.subarray(0, fixed));
  let o = 0;
  const next = (w: number) => {
    const at = o;
    o = pad8(o + w * n);
    return at;
  };
  const wide = (kind: Kind): Float64Array => {
    const at = next(BYTES[kind]);
    if (kind === 'f64') return new Float64Array(buf, at, n);
    if (kind === 'u16') return Float64Array.from(new Uint16Array(buf, at, n));
    if (kind === 'u32') return Float64Array.from(new Uint32Array(buf, at, n));
    return Float64Array.from(new Int32Array(buf, at, n), (c) => c / 100);
  };
  const recency = wide(kr);
  const frequency = wide(kf);
  const monetary = wide(km);
  const distance = Float64Array.from(new Float32Array(buf, next(4), n));
  const cluster = new Uint16Array(buf, next(2), n);
  const rScore = new Uint8Array(buf, next(1), n);
  const fScore = new Uint8Array(buf, next(1), n);
  const mScore = new Uint8Array(buf, next(1), n);
  const outlier = new Uint8Array(buf, next(1), n);
  const cid = n ? body.subarray(fixed).toString('utf8').split('\0') : [];
  if (cid.length !== n) throw damaged(`expected ${n} customer ids, found ${cid.length}`);
  return { cid, recency, frequency, monetary, rScore, fScore, mScore, cluster, distance, outlier };
}
