import { NUMERIC_STRING } from './patterns.js';
import { LIMITS, MAX_BATCH, type CustomerFeatures } from './schemas.js';

/**
 * A fast path for the predict body, for the common case of well-formed JSON numbers.
 *
 * It never produces an error message: it either returns exactly what the zod schema would return
 * for this input, or null ("not sure"), and the caller then runs the zod schema, which accepts
 * or rejects with its own messages. So the schema stays the one source of truth for messages and
 * limits (LIMITS is read here, not copied), and the fast path can only be stricter than the
 * schema, never looser. `fast-parse.test.ts` checks the two agree on many generated inputs.
 *
 * What it accepts: plain objects whose keys are cid / recency / frequency / monetary (or the
 * capitalised names CID, Recency, Frequency, Monetary), numbers within LIMITS (frequency whole), and a cid
 * that is null, a string of at most 64 characters, or a safe non-negative integer. Anything else
 * (numeric strings, unknown keys, out-of-range values) goes to zod.
 */

const R_MIN = LIMITS.recency.min;
const R_MAX = LIMITS.recency.max;
const F_MIN = LIMITS.frequency.min;
const F_MAX = LIMITS.frequency.max;
const M_MIN = LIMITS.monetary.min;
const M_MAX = LIMITS.monetary.max;

/** A number as the schema reads it: a JSON number, or (when strings are allowed) numeric text. */
function num(v: unknown, strings: boolean): number | undefined {
  if (typeof v === 'number') return v;
  if (!strings || typeof v !== 'string') return undefined;
  const t = v.trim();
  return NUMERIC_STRING.test(t) ? Number(t) : undefined;
}

function fastCid(v: unknown): string | null | undefined {
  if (v === null || v === undefined) return null;
  if (typeof v === 'string') {
    if (v.length > 64) return undefined; // zod checks the length after trimming: let it decide
    const t = v.trim();
    return t === '' ? null : t;
  }
  if (typeof v === 'number' && Number.isSafeInteger(v) && v >= 0) return String(v);
  return undefined;
}

/**
 * One customer object → its parsed features, or null when zod must decide. `strings` also takes
 * numeric text (CSV and form values) the way the schema coerces it.
 */
export function fastCustomer(o: unknown, strings = false): CustomerFeatures | null {
  if (typeof o !== 'object' || o === null || Array.isArray(o)) return null;
  const obj = o as Record<string, unknown>;
  let cid: unknown;
  let r: unknown;
  let f: unknown;
  let m: unknown;
  // the lowercase name wins when both spellings are present (as normalizeKeys does)
  let lc = false;
  let lr = false;
  let lf = false;
  let lm = false;
  for (const k in obj) {
    switch (k) {
      case 'cid':
        cid = obj[k];
        lc = true;
        break;
      case 'CID':
        if (!lc) cid = obj[k];
        break;
      case 'recency':
        r = obj[k];
        lr = true;
        break;
      case 'Recency':
        if (!lr) r = obj[k];
        break;
      case 'frequency':
        f = obj[k];
        lf = true;
        break;
      case 'Frequency':
        if (!lf) f = obj[k];
        break;
      case 'monetary':
        m = obj[k];
        lm = true;
        break;
      case 'Monetary':
        if (!lm) m = obj[k];
        break;
      default:
        return null;
    }
  }
  const rn = num(r, strings);
  if (rn === undefined || !(rn >= R_MIN && rn <= R_MAX)) return null;
  const fn = num(f, strings);
  if (fn === undefined || !(fn >= F_MIN && fn <= F_MAX) || !Number.isInteger(fn)) return null;
  const mn = num(m, strings);
  if (mn === undefined || !(mn >= M_MIN && mn <= M_MAX)) return null;
  const c = fastCid(cid);
  if (c === undefined) return null;
  return { cid: c, recency: rn, frequency: fn, monetary: mn };
}

/**
 * A whole predict body → the list of customers and whether it was a batch, or null when zod must
 * decide (anything unusual, including every invalid input).
 */
export function fastPredictRequest(body: unknown): { instances: CustomerFeatures[]; batch: boolean } | null {
  if (typeof body !== 'object' || body === null || Array.isArray(body)) return null;
  const b = body as Record<string, unknown>;
  if (!('instances' in b)) {
    const one = fastCustomer(b);
    return one ? { instances: [one], batch: false } : null;
  }
  for (const k in b) if (k !== 'instances') return null;
  const list = b.instances;
  if (!Array.isArray(list) || list.length < 1 || list.length > MAX_BATCH) return null;
  const out: CustomerFeatures[] = new Array(list.length);
  for (let i = 0; i < list.length; i++) {
    const c = fastCustomer(list[i]);
    if (!c) return null;
    out[i] = c;
  }
  return { instances: out, batch: true };
}
