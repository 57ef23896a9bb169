import type { RunRewriter } from '@rfm/registry';
import { RfmError } from '@rfm/shared';
import { CUSTOMERS_ENCODING, CUSTOMERS_ENCODINGS, decodeCustomersAsync, encodeCustomers } from './encoding.js';
import { attributeFacts } from './score-export.js';
import { summarize } from './summary.js';
import type { ScoredCustomers } from './types.js';

/**
 * The customers without one of them, every column alike (typed arrays and plain arrays of one
 * value per customer), so a column added to ScoredCustomers later is filtered too, not left behind.
 * Null when the customer is not there. Pure.
 */
export function withoutCustomer(c: ScoredCustomers, cid: string): ScoredCustomers | null {
  const drop = c.cid.indexOf(cid);
  if (drop < 0) return null;
  const n = c.cid.length;
  const out: Record<string, unknown> = {};
  for (const [name, col] of Object.entries(c) as [string, unknown][]) {
    if (Array.isArray(col) && col.length === n) out[name] = col.filter((_, i) => i !== drop);
    else if (
      ArrayBuffer.isView(col) &&
      !(col instanceof DataView) &&
      (col as unknown as ArrayLike<number>).length === n
    ) {
      const a = col as unknown as Uint8Array; // any typed array: same methods
      const kept = new (a.constructor as Uint8ArrayConstructor)(n - 1);
      kept.set(a.subarray(0, drop), 0);
      kept.set(a.subarray(drop + 1), drop);
      out[name] = kept;
    } else throw new RfmError('INTERNAL', `erasure: customer column "${name}" is not one value per customer`);
  }
  return out as unknown as ScoredCustomers;
}

/**
 * What Registry.eraseCustomer calls for each saved run: decode, drop the customer, re-encode, and
 * the per-segment summary recomputed from what is left, so a run's names and numbers agree.
 */
export function eraseFromRuns(cid: string): RunRewriter {
  // inflating on the thread pool: a server erasing keeps answering between runs' decodes
  return async ({ id, encoding, blob, summary }) => {
    if (!CUSTOMERS_ENCODINGS.includes(encoding))
      throw new RfmError('REGISTRY_ERROR', `saved run ${id} uses an unknown customers encoding ${encoding}`);
    const kept = withoutCustomer(await decodeCustomersAsync(blob), cid);
    if (!kept) return null;
    const segments = summary.map((s) => ({ cluster: s.cluster, key: s.key, name: s.segment }));
    return {
      blob: encodeCustomers(kept),
      encoding: CUSTOMERS_ENCODING,
      customers: kept.cid.length,
      summary: summarize(kept, segments),
      // consent and e-mail counts must agree with the customers left
      facts: attributeFacts(kept),
    };
  };
}
