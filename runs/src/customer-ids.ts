/**
 * Customer ids held as two typed arrays instead of a million strings: every id's UTF-16 code units
 * one after the other, and where each starts. A server holding a 1M-customer index then keeps
 * three objects in its old generation for the ids instead of a million, so V8's major GC has
 * almost nothing to mark there (bench/lookup.ts shows the effect). Search is binary, comparing
 * code units exactly as JavaScript's `<` compares strings, so the order is the one ingest sorts by.
 */
export class CustomerIds {
  private constructor(
    private readonly units: Uint16Array,
    /** starts[i] .. starts[i + 1]: id i's code units (n + 1 entries) */
    private readonly starts: Uint32Array,
    /** positions in id order when the ids did not come sorted (null: they did) */
    private readonly order: Uint32Array | null,
  ) {}

  static from(ids: readonly string[]): CustomerIds {
    const n = ids.length;
    const starts = new Uint32Array(n + 1);
    let total = 0;
    for (let i = 0; i < n; i++) {
      starts[i] = total;
      total += ids[i]!.length;
    }
    starts[n] = total;
    const units = new Uint16Array(total);
    for (let i = 0; i < n; i++) {
      const id = ids[i]!;
      const at = starts[i]!;
      for (let j = 0; j < id.length; j++) units[at + j] = id.charCodeAt(j);
    }
    let sorted = true;
    for (let i = 1; i < n && sorted; i++) sorted = ids[i - 1]! < ids[i]!;
    // rare (runs come sorted): a permutation in id order, so the search stays binary without a Map
    const order = sorted
      ? null
      : Uint32Array.from({ length: n }, (_, i) => i).sort((a, b) =>
          ids[a]! < ids[b]! ? -1 : ids[a]! > ids[b]! ? 1 : a - b,
        );
    return new CustomerIds(units, starts, order);
  }

  get size(): number {
    return this.starts.length - 1;
  }

  /** The position of `cid` in the ids as given, or -1. */
  indexOf(cid: string): number {
    let lo = 0;
    let hi = this.size - 1;
    while (lo <= hi) {
      const mid = (lo + hi) >>> 1;
      const at = this.order ? this.order[mid]! : mid;
      const c = this.compare(at, cid);
      if (c === 0) return at;
      if (c < 0) lo = mid + 1;
      else hi = mid - 1;
    }
    return -1;
  }

  /** id `i` against `cid` by code unit: negative when id `i` sorts first, 0 when equal. */
  private compare(i: number, cid: string): number {
    const from = this.starts[i]!;
    const len = this.starts[i + 1]! - from;
    const m = Math.min(len, cid.length);
    for (let j = 0; j < m; j++) {
      const d = this.units[from + j]! - cid.charCodeAt(j);
      if (d !== 0) return d;
    }
    return len - cid.length;
  }
}

/**
 * A column of a few distinct strings (or null) — segment names, snapshot dates — as one Uint32Array
 * of codes into a short table: 0 is null, k is table[k - 1]. A million entries become one typed
 * array instead of a million-slot array of pointers that every major GC walks.
 */
export class StringCodes {
  private constructor(
    private readonly codes: Uint32Array,
    private readonly table: readonly string[],
  ) {}

  static from(values: readonly (string | null)[]): StringCodes {
    const seen = new Map<string, number>();
    const table: string[] = [];
    const codes = new Uint32Array(values.length);
    for (let i = 0; i < values.length; i++) {
      const v = values[i];
      if (v === null || v === undefined) continue;
      let code = seen.get(v);
      if (code === undefined) {
        table.push(v);
        code = table.length;
        seen.set(v, code);
      }
      codes[i] = code;
    }
    return new StringCodes(codes, table);
  }

  at(i: number): string | null {
    const c = this.codes[i] ?? 0;
    return c === 0 ? null : this.table[c - 1]!;
  }
}
