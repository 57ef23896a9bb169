import { readFileSync, writeFileSync } from 'node:fs';
import { gunzipSync } from 'node:zlib';
import { SAMPLE } from '../support.js';

/** The bundled sample's lines (header first), decompressed. */
export function sampleLines(): string[] {
  return gunzipSync(readFileSync(SAMPLE)).toString('utf8').trim().split('\n');
}

/**
 * One column of a sample line. The sample quotes descriptions that hold commas, and every column
 * after the description is numeric or an id, so a column after it is counted from the line's end.
 */
export function field(fields: string[], header: string[], column: string): number {
  const i = header.indexOf(column);
  if (i < 0) throw new Error(`the sample has no ${column} column`);
  return fields.length - header.length + i;
}

/** The sample with every unit price × `factor`, written to `out` as CSV: a deliberately shifted export. */
export function writePricesTimes(out: string, factor: number): void {
  const lines = sampleLines();
  const head = lines[0]!.split(',');
  const rows = lines.slice(1).map((l) => {
    const f = l.split(',');
    const p = field(f, head, 'UnitPrice');
    f[p] = String(Number(f[p]) * factor);
    return f.join(',');
  });
  writeFileSync(out, `${[lines[0]!, ...rows].join('\n')}\n`);
}
