import { promisify } from 'node:util';
import { constants, deflateRawSync, inflateRaw, inflateRawSync } from 'node:zlib';
import { RfmError } from '@rfm/shared';
import type { ScoredCustomers } from './types.js';

/**
 * The name the registry stores beside the blob (`runs.customers_encoding`). v2 (blob format 3)
 * adds the customer attributes; v1 blobs (format 2, runs saved before) still decode, with none.
 */
export const CUSTOMERS_ENCODING = 'rfm-customers-v2';
/** Every encoding name decodeCustomers reads (the blob's own format number tells them apart). */
export const CUSTOMERS_ENCODINGS: readonly string[] = ['rfm-customers-v1', CUSTOMERS_ENCODING];
const MAGIC = 0x434d4652; // "RFMC" little-endian
const FORMAT_V1 = 2;
const FORMAT = 3;
const HEADER_V1 = 16; // magic, format, customer count, column kinds (u32 each)
const HEADER = 20; // … then the attribute flags (u32)
const HAS_EMAIL = 1;
const HAS_NAME = 2;
const HAS_CONSENT = 4;

/*
 * After the header: one raw-deflated body (level 1, run-length strategy: zero bytes of small
 * numbers shrink, and it is about twice as fast as full matching) holding the columns, each
 * starting at a multiple of 8 so decoding can view them in place, then the cids as UTF-8 joined by
 * NUL. Columns are narrowed when that is exact for every customer, which halves what is deflated:
 * recency as u16 days, frequency as u32, monetary as i32 cents; otherwise f64. distance is f32
 * (shown to 6 decimals; half the bytes). A million customers come to about 13 MB.
 *
 * Format 3 (v2) adds a flags word to the header: the consent column (u8) follows the fixed
 * columns when present, and e-mails then names follow the cids as further NUL-joined sections.
 * decode ∘ encode is the identity on every field, so anything that rewrites a run's customers
 * (erasure) can decode, select and encode without knowing the attributes.
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

/** NUL separates the text sections: an attribute holding one loses it (ingest already strips them). */
const noNul = (v: string[]) => v.map((x) => (x.includes('\0') ? x.replaceAll('\0', '') : x));

export function encodeCustomers(c: ScoredCustomers): Uint8Array {
  const n = c.cid.length;
  for (const id of c.cid)
    if (id.includes('\0')) throw new RfmError('INVALID_INPUT', 'a customer id contains a NUL character');
  for (const [k, v] of [
    ['email', c.email],
    ['name', c.name],
    ['consent', c.consent],
  ] as const)
    if (v && v.length !== n) throw new RfmError('INVALID_INPUT', `${k} has ${v.length} entries for ${n} customers`);
  const flags = (c.email ? HAS_EMAIL : 0) | (c.name ? HAS_NAME : 0) | (c.consent ? HAS_CONSENT : 0);
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
    ...(c.consent ? [c.consent] : []),
  ];
  const sections = [c.cid, ...(c.email ? [noNul(c.email)] : []), ...(c.name ? [noNul(c.name)] : [])];
  const ids = Buffer.from(n ? sections.map((x) => x.join('\0')).join('\0') : '', 'utf8');
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
  dv.setUint32(16, flags, true);
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
  flags: number;
  /** where the deflated body starts (format 3 has a longer header than format 1) */
  start: number;
}

function header(bytes: Uint8Array): Header {
  if (bytes.byteLength < HEADER_V1) throw damaged('too short');
  const dv = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  if (dv.getUint32(0, true) !== MAGIC) throw damaged('not an rfm customers blob');
  const format = dv.getUint32(4, true);
  if (format !== FORMAT && format !== FORMAT_V1) throw damaged(`unknown format version ${format}`);
  const start = format === FORMAT ? HEADER : HEADER_V1;
  if (bytes.byteLength < start) throw damaged('too short');
  const flags = format === FORMAT ? dv.getUint32(16, true) : 0;
  const n = dv.getUint32(8, true);
  const k = dv.getUint32(12, true);
  const kinds = [KINDS[k & 15], KINDS[(k >> 4) & 15], KINDS[(k >> 8) & 15]];
  if (kinds.some((x) => x === undefined)) throw damaged('unknown column kinds');
  return { n, kinds: kinds as [Kind, Kind, Kind], flags, start };
}

export function decodeCustomers(bytes: Uint8Array): ScoredCustomers {
  const h = header(bytes);
  let body: Buffer;
  try {
    body = inflateRawSync(bytes.subarray(h.start));
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
    body = await inflateAsync(bytes.subarray(h.start));
  } catch {
    throw damaged('does not inflate');
  }
  return fromBody(h, body);
}

function fromBody({ n, kinds, flags }: Header, body: Buffer): ScoredCustomers {
  const [kr, kf, km] = kinds;
  const widths = [BYTES[kr], BYTES[kf], BYTES[km], 4, 2, 1, 1, 1, 1, ...(flags & HAS_CONSENT ? [1] : [])];
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
  const consent = flags & HAS_CONSENT ? new Uint8Array(buf, next(1), n) : undefined;
  const sections = 1 + (flags & HAS_EMAIL ? 1 : 0) + (flags & HAS_NAME ? 1 : 0);
  const text = n ? body.subarray(fixed).toString('utf8').split('\0') : [];
  if (text.length !== n * sections)
    throw damaged(`expected ${n} customer ids, found ${Math.floor(text.length / sections)}`);
  const cid = sections === 1 ? text : text.slice(0, n);
  const email = flags & HAS_EMAIL ? text.slice(n, 2 * n) : undefined;
  const name = flags & HAS_NAME ? text.slice(n * (sections - 1)) : undefined;
  return {
    cid,
    recency,
    frequency,
    monetary,
    rScore,
    fScore,
    mScore,
    cluster,
    distance,
    outlier,
    ...(email ? { email } : {}),
    ...(name ? { name } : {}),
    ...(consent ? { consent } : {}),
  };
}

/**
 * The customers at `keep` (indexes, in the order given), every column kept, attributes included:
 * what a rewrite of a saved run (erasure of one customer) encodes again.
 */
export function selectCustomers(c: ScoredCustomers, keep: readonly number[]): ScoredCustomers {
  const pick = <T extends Float64Array | Uint8Array | Uint16Array>(a: T, make: (n: number) => T): T => {
    const out = make(keep.length);
    keep.forEach((i, j) => {
      out[j] = a[i]!;
    });
    return out;
  };
  const f64 = (n: number) => new Float64Array(n);
  const u8 = (n: number) => new Uint8Array(n);
  return {
    cid: keep.map((i) => c.cid[i]!),
    recency: pick(c.recency, f64),
    frequency: pick(c.frequency, f64),
    monetary: pick(c.monetary, f64),
    rScore: pick(c.rScore, u8),
    fScore: pick(c.fScore, u8),
    mScore: pick(c.mScore, u8),
    cluster: pick(c.cluster, (n) => new Uint16Array(n)),
    distance: pick(c.distance, f64),
    outlier: pick(c.outlier, u8),
    ...(c.email ? { email: keep.map((i) => c.email![i]!) } : {}),
    ...(c.name ? { name: keep.map((i) => c.name![i]!) } : {}),
    ...(c.consent ? { consent: pick(c.consent, u8) } : {}),
  };
}
