import { parse } from 'csv-parse/sync';
import { stringify } from 'csv-stringify/sync';
import { CustomerFeaturesSchema, RfmError, zodIssues, type Issue } from '@rfm/shared';
import type { LoadedModel } from '../model-holder.js';

/**
 * Scores an uploaded CSV of customers for the web form's "score a file" section: the file comes
 * back with every original column kept and `cluster` and `segment` added (or overwritten). Each row
 * is checked with the same schema as the form and the JSON API; a file with bad rows is refused
 * whole, naming the first problems by line, so a person can fix it and upload again. The whole
 * (size-limited) upload is parsed in memory; CRM systems scoring big lists use the JSON or CSV API.
 */
export const MAX_FILE_ROWS = 200_000;
const MAX_PROBLEMS = 10;

const COLUMN_ALIASES: Record<string, 'cid' | 'recency' | 'frequency' | 'monetary'> = {
  cid: 'cid',
  customer: 'cid',
  customerid: 'cid',
  customer_id: 'cid',
  'customer id': 'cid',
  recency: 'recency',
  frequency: 'frequency',
  monetary: 'monetary',
};

/** The delimiter of the header line: whichever of , ; tab occurs most (comma on a tie). */
function sniffDelimiter(text: string): string {
  const nl = text.indexOf('\n');
  const first = nl < 0 ? text : text.slice(0, nl);
  const count = (c: string) => first.split(c).length - 1;
  return [',', ';', '\t'].reduce((best, c) => (count(c) > count(best) ? c : best), ',');
}

export interface ScoredFile {
  csv: string;
  rows: number;
  modelName: string;
  modelVersion: number;
}

export function scoreCsvFile(model: LoadedModel, input: Buffer): ScoredFile {
  const text = input.toString('utf8');
  if (!text.trim()) throw new RfmError('INVALID_INPUT', 'the file is empty');
  const delimiter = sniffDelimiter(text.replace(/^\uFEFF/, ''));
  let records: string[][];
  try {
    records = parse(text, { bom: true, delimiter, skip_empty_lines: true, trim: true, max_record_size: 100_000 }) as string[][];
  } catch (e) {
    throw new RfmError('INVALID_INPUT', `the file is not a readable CSV: ${(e instanceof Error ? e.message : String(e)).slice(0, 200)}`);
  }
  const [header, ...rows] = records;
  if (!header || rows.length === 0) throw new RfmError('INVALID_INPUT', 'the file has a header line but no customers');
  if (rows.length > MAX_FILE_ROWS) throw new RfmError('PAYLOAD_TOO_LARGE', `the file has ${rows.length.toLocaleString('en-US')} customers; at most ${MAX_FILE_ROWS.toLocaleString('en-US')} per upload`);

  const col: Partial<Record<'cid' | 'recency' | 'frequency' | 'monetary', number>> = {};
  header.forEach((h, i) => {
    const key = COLUMN_ALIASES[h.trim().toLowerCase()];
    if (key && col[key] === undefined) col[key] = i;
  });
  const missing = (['recency', 'frequency', 'monetary'] as const).filter((k) => col[k] === undefined);
  if (missing.length)
    throw new RfmError('INVALID_INPUT', `the file has no ${missing.join(', ')} column${missing.length > 1 ? 's' : ''}; its header is: ${header.join(', ').slice(0, 200)}`, {
      issues: missing.map((m) => ({ path: 'header', message: `missing column ${m}` })),
    });

  const lower = header.map((h) => h.trim().toLowerCase());
  let clusterCol = lower.indexOf('cluster');
  let segmentCol = lower.indexOf('segment');
  const outHeader = [...header];
  if (clusterCol < 0) clusterCol = outHeader.push('cluster') - 1;
  if (segmentCol < 0) segmentCol = outHeader.push('segment') - 1;

  const problems: Issue[] = [];
  let bad = 0;
  const out: string[][] = [outHeader];
  for (let i = 0; i < rows.length; i++) {
    const row = rows[i]!;
    const line = i + 2; // 1-based, after the header (lines of records; quoted newlines aside)
    if (row.length !== header.length) {
      bad++;
      if (problems.length < MAX_PROBLEMS) problems.push({ path: `line ${line}`, message: `has ${row.length} fields, the header has ${header.length}` });
      continue;
    }
    const parsed = CustomerFeaturesSchema.safeParse({
      cid: col.cid === undefined ? undefined : row[col.cid],
      recency: row[col.recency!],
      frequency: row[col.frequency!],
      monetary: row[col.monetary!],
    });
    if (!parsed.success) {
      bad++;
      if (problems.length < MAX_PROBLEMS) for (const iss of zodIssues(parsed.error).slice(0, 1)) problems.push({ path: `line ${line}`, message: iss.message });
      continue;
    }
    if (bad) continue; // the file is refused anyway: only keep counting
    const c = parsed.data;
    const cluster = model.predictor.predict(c.recency, c.frequency, c.monetary);
    const o = [...row];
    o[clusterCol] = String(cluster);
    o[segmentCol] = model.segmentByCluster[cluster]!.name;
    out.push(o);
  }
  if (bad)
    throw new RfmError('INVALID_INPUT', `${bad.toLocaleString('en-US')} of ${rows.length.toLocaleString('en-US')} customers in the file are not valid; nothing was scored`, { issues: problems });
  return { csv: stringify(out, { delimiter }), rows: rows.length, modelName: model.modelName, modelVersion: model.version };
}
