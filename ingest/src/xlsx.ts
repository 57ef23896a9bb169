import { createWriteStream } from 'node:fs';
import { createRequire } from 'node:module';
import { basename } from 'node:path';
import { RfmError } from '@rfm/shared';

const require = createRequire(import.meta.url);

/**
 * `.xlsx` exports: the first sheet (or `--sheet NAME`) streamed row by row with exceljs's
 * streaming reader into a private CSV that DuckDB reads like any other export — the same rules,
 * the same summary. Memory stays flat: rows are written as they are read (shared strings are
 * cached, as the format requires).
 *
 * Cells: numbers as written (full precision), dates as `YYYY-MM-DD HH:MM:SS` (Excel stores the
 * wall-clock time with no zone, which is the day that counts), rich text and hyperlinks as their
 * text, formulas as their cached result, errors and empty cells as blanks.
 */
export interface SheetRead {
  name: string;
  /** sheets seen before the one read (and it) */
  count: number;
  rows: number;
}

type Cell = unknown;

function pad(n: number, w = 2): string {
  return String(n).padStart(w, '0');
}

/** One cell as text. */
export function cellText(v: Cell): string {
  if (v === null || v === undefined) return '';
  if (typeof v === 'string') return v;
  if (typeof v === 'number') return Number.isFinite(v) ? String(v) : '';
  if (typeof v === 'boolean') return v ? 'TRUE' : 'FALSE';
  if (v instanceof Date) {
    if (Number.isNaN(v.getTime())) return '';
    return (
      `${v.getUTCFullYear()}-${pad(v.getUTCMonth() + 1)}-${pad(v.getUTCDate())}` +
      ` ${pad(v.getUTCHours())}:${pad(v.getUTCMinutes())}:${pad(v.getUTCSeconds())}`
    );
  }
  if (typeof v === 'object') {
    const o = v as Record<string, unknown>;
    if (Array.isArray(o.richText)) return (o.richText as { text?: string }[]).map((r) => r.text ?? '').join('');
    if ('result' in o) return cellText(o.result);
    if ('text' in o) return cellText(o.text);
    if ('error' in o) return '';
  }
  return String(v);
}

function csvField(s: string): string {
  return /[",\r\n]/.test(s) ? `"${s.replaceAll('"', '""')}"` : s;
}

interface RowLike {
  values: Cell[] | Record<string, Cell>;
}
interface SheetLike extends AsyncIterable<RowLike> {
  name: string;
}

/** Convert the wanted sheet of `path` to CSV at `out`. */
export async function xlsxToCsv(path: string, out: string, sheet?: string): Promise<SheetRead> {
  // loaded on first use: only .xlsx exports need it
  const ExcelJS = require('exceljs') as {
    stream: { xlsx: { WorkbookReader: new (input: string, opts: Record<string, string>) => AsyncIterable<SheetLike> } };
  };
  const reader = new ExcelJS.stream.xlsx.WorkbookReader(path, {
    sharedStrings: 'cache',
    styles: 'cache', // dates are numbers with a date format: styles tell which
    hyperlinks: 'ignore',
    worksheets: 'emit',
    entries: 'ignore',
  });
  const seen: string[] = [];
  const sink = createWriteStream(out, { highWaterMark: 1 << 20 });
  const closed = new Promise<void>((resolve, reject) => {
    sink.on('close', resolve);
    sink.on('error', reject);
  });
  let found: SheetRead | undefined;
  try {
    for await (const ws of reader) {
      seen.push(ws.name);
      const wanted = found === undefined && (sheet === undefined || ws.name === sheet);
      let width = 0;
      let rows = 0;
      let buf = '';
      for await (const row of ws) {
        if (!wanted) continue; // drained: a streamed zip entry must be read through to reach the next
        const values = Array.isArray(row.values) ? row.values : Object.values(row.values);
        // exceljs rows are 1-based: values[0] is empty
        if (rows === 0) width = Math.max(values.length - 1, 1);
        const cells: string[] = [];
        for (let i = 1; i <= width; i++) cells.push(csvField(cellText(values[i])));
        buf += `${cells.join(',')}\n`;
        rows++;
        if (buf.length > 1 << 20) {
          if (!sink.write(buf)) await new Promise<void>((r) => sink.once('drain', () => r()));
          buf = '';
        }
      }
      if (wanted) {
        sink.write(buf);
        found = { name: ws.name, count: seen.length, rows: Math.max(rows - 1, 0) };
      }
    }
  } catch (e) {
    sink.destroy();
    throw new RfmError(
      'INVALID_INPUT',
      `${basename(path)} is not a readable .xlsx workbook (${(e as Error).message.slice(0, 200)})` +
        `; save it again from the spreadsheet program, or export the sheet as CSV`,
      { issues: [{ path: 'file', message: 'unreadable xlsx', found: (e as Error).message.slice(0, 200) }], cause: e },
    );
  }
  sink.end();
  await closed;
  if (!found)
    throw new RfmError(
      'INVALID_INPUT',
      sheet === undefined
        ? `${basename(path)} has no worksheet`
        : `${basename(path)} has no sheet "${sheet}"; its sheets: ${seen.map((s) => JSON.stringify(s)).join(', ')}`,
      {
        issues: [
          { path: '--sheet', message: 'no such sheet', expected: seen.join(', '), found: sheet ?? '(first sheet)' },
        ],
      },
    );
  return found;
}
