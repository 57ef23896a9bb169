import { createReadStream } from 'node:fs';
import { createInterface } from 'node:readline';

/**
 * What rfm infers itself when DuckDB's dialect sniffer gives up: the delimiter from the header line,
 * `"` quotes, `\n` line ends (after normalising). And, when even that read fails, the first line
 * that does not fit, so the error can point at it.
 */
export const DELIMITERS = [',', ';', '\t', '|'] as const;

/** Count of each candidate delimiter outside quotes in one line. */
function counts(line: string): Map<string, number> {
  const out = new Map<string, number>(DELIMITERS.map((d) => [d, 0]));
  let quoted = false;
  for (const ch of line) {
    if (ch === '"') quoted = !quoted;
    else if (!quoted && out.has(ch)) out.set(ch, out.get(ch)! + 1);
  }
  return out;
}

/** The delimiter of a header line: the candidate it holds most often, or undefined if none. */
export function inferDelimiter(header: string): string | undefined {
  let best: string | undefined;
  let n = 0;
  for (const [d, c] of counts(header))
    if (c > n) {
      best = d;
      n = c;
    }
  return best;
}

/** Fields in one record (quote-aware); `open` is true when a quote is still open at its end. */
function fieldsOf(text: string, delim: string): { fields: number; open: boolean } {
  let quoted = false;
  let fields = 1;
  for (const ch of text) {
    if (ch === '"') quoted = !quoted;
    else if (!quoted && ch === delim) fields++;
  }
  return { fields, open: quoted };
}

export interface BadLine {
  line: number;
  /** why it looks wrong */
  reason: string;
  /** the start of the line */
  text: string;
}

/** Printable start of a line for messages. */
export function excerpt(s: string, n = 120): string {
  const t = s.replace(/\r/g, '\\r').replace(/\t/g, '\\t');
  return t.length > n ? `${t.slice(0, n)}…` : t;
}

/**
 * The first line of a UTF-8 file (line ends `\n`) whose record does not have the header's number
 * of fields, or whose quote is never closed. Lines are read one at a time; a quoted field may
 * span lines. Stops after `maxLines`.
 */
export async function findBadLine(path: string, delim: string, maxLines = 5_000_000): Promise<BadLine | undefined> {
  const rl = createInterface({
    input: createReadStream(path, { encoding: 'utf8' }),
    crlfDelay: Number.POSITIVE_INFINITY,
  });
  let header: number | undefined;
  let pending = '';
  let start = 0;
  let n = 0;
  try {
    for await (const line of rl) {
      n++;
      if (n > maxLines) return undefined;
      const text = pending ? `${pending}\n${line}` : line;
      if (!pending) start = n;
      const r = fieldsOf(text, delim);
      if (r.open) {
        if (n - start > 1000)
          return { line: start, reason: 'a quote opened here is not closed within 1,000 lines', text: excerpt(text) };
        pending = text;
        continue;
      }
      pending = '';
      if (text.trim() === '') continue;
      if (header === undefined) header = r.fields;
      else if (r.fields !== header)
        return {
          line: start,
          reason: `it has ${r.fields} field${r.fields === 1 ? '' : 's'} where the header has ${header}`,
          text: excerpt(text),
        };
    }
    if (pending) return { line: start, reason: 'a quote opened here is never closed', text: excerpt(pending) };
    return undefined;
  } finally {
    rl.close();
  }
}
