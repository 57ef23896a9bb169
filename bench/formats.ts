/**
 * bench/formats — the generated UCI-style export (bench/gen-data.ts) rewritten in the shapes that
 * take rfm's fallback readers, for bench/train-scale:
 * - European: Windows-1252 bytes, `;` between fields, decimal commas, day-first dotted dates
 *   (`31.12.2011 14:05`), "Großbritannien" for the UK (a character outside ASCII on most rows);
 * - .xlsx: one sheet, numbers and dates as real cells (exceljs's streaming writer).
 * Both stream line by line; memory stays flat.
 */
import { createReadStream, createWriteStream } from 'node:fs';
import { once } from 'node:events';
import { createRequire } from 'node:module';
import { createInterface } from 'node:readline';

const require = createRequire(import.meta.url);

/** Fields of one line of the generated CSV (quotes only around descriptions with commas). */
function fields(line: string): string[] {
  if (!line.includes('"')) return line.split(',');
  const out: string[] = [];
  let cur = '';
  let q = false;
  for (const ch of line) {
    if (ch === '"') q = !q;
    else if (ch === ',' && !q) {
      out.push(cur);
      cur = '';
    } else cur += ch;
  }
  out.push(cur);
  return out;
}

const p2 = (s: string) => s.padStart(2, '0');

function cp1252(text: string): Buffer {
  const b = Buffer.from(text, 'latin1'); // every character here is Latin-1 (ß, ö)
  return b;
}

export async function toEuropean(src: string, out: string): Promise<void> {
  const rl = createInterface({
    input: createReadStream(src, { highWaterMark: 1 << 20 }),
    crlfDelay: Number.POSITIVE_INFINITY,
  });
  const sink = createWriteStream(out, { highWaterMark: 1 << 20 });
  let first = true;
  let buf = '';
  for await (const line of rl) {
    if (first) {
      buf += 'InvoiceNo;StockCode;Description;Quantity;InvoiceDate;UnitPrice;CustomerID;Country\r\n';
      first = false;
      continue;
    }
    const f = fields(line);
    const m = /^(\d+)\/(\d+)\/(\d+) (\d+):(\d+)$/.exec(f[4] ?? '');
    const date = m ? `${p2(m[2]!)}.${p2(m[1]!)}.${m[3]} ${p2(m[4]!)}:${m[5]}` : (f[4] ?? '');
    const country = f[7] === 'United Kingdom' ? 'Großbritannien' : (f[7] ?? '');
    buf += `${f[0]};${f[1]};${f[2]};${f[3]};${date};${(f[5] ?? '').replace('.', ',')};${f[6]};${country}\r\n`;
    if (buf.length > 1 << 20) {
      if (!sink.write(cp1252(buf))) await once(sink, 'drain');
      buf = '';
    }
  }
  sink.end(cp1252(buf));
  await once(sink, 'close');
}

interface Writer {
  stream: {
    xlsx: {
      WorkbookWriter: new (o: {
        filename: string;
        useStyles?: boolean;
        useSharedStrings?: boolean;
      }) => {
        addWorksheet(name: string): { addRow(v: unknown[]): { commit(): void }; commit(): void };
        commit(): Promise<void>;
      };
    };
  };
}

export async function toXlsx(src: string, out: string): Promise<void> {
  const ExcelJS = require('exceljs') as Writer;
  // inline strings: a shared-strings table of 1M rows' text makes exceljs's writer much slower
  const wb = new ExcelJS.stream.xlsx.WorkbookWriter({ filename: out, useStyles: true, useSharedStrings: false });
  const ws = wb.addWorksheet('Online Retail');
  const rl = createInterface({
    input: createReadStream(src, { highWaterMark: 1 << 20 }),
    crlfDelay: Number.POSITIVE_INFINITY,
  });
  let first = true;
  for await (const line of rl) {
    const f = fields(line);
    if (first) {
      ws.addRow(f).commit();
      first = false;
      continue;
    }
    const m = /^(\d+)\/(\d+)\/(\d+) (\d+):(\d+)$/.exec(f[4] ?? '');
    const date = m ? new Date(Date.UTC(+m[3]!, +m[1]! - 1, +m[2]!, +m[4]!, +m[5]!)) : f[4];
    ws.addRow([f[0], f[1], f[2], Number(f[3]), date, Number(f[5]), f[6] ? Number(f[6]) : null, f[7]]).commit();
  }
  ws.commit();
  await wb.commit();
}
