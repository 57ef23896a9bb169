import { isRfmError, type RfmError } from '@rfm/shared';

/** Await something that must fail with an RfmError whose message matches (and code, if given); returns it. */
export async function rejects(p: Promise<unknown> | (() => unknown), re: RegExp, code?: string): Promise<RfmError> {
  try {
    await (typeof p === 'function' ? p() : p);
  } catch (e) {
    if (!isRfmError(e)) throw new Error(`expected an RfmError matching ${re}, got ${String(e)}`, { cause: e });
    if (!re.test(e.message)) throw new Error(`expected a message matching ${re}, got: ${e.message}`);
    if (code && e.code !== code) throw new Error(`expected code ${code}, got ${e.code}: ${e.message}`);
    return e;
  }
  throw new Error(`expected a rejection matching ${re}, but it succeeded`);
}
