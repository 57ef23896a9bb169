import { RfmError } from '@rfm/shared';
import { sqlIdent, trimSql } from './sql.js';

/**
 * Number formats of amount, price and quantity columns. Plain numbers (`1234.56`) are cast by
 * DuckDB directly — the fast path. European files write decimal commas (`1,25`, `1.234,00`),
 * others thousands separators (`1,234.00`) and currency signs (`£12.50`, `€ 3,50`, `EUR 7`): those
 * columns are cleaned in SQL before the cast. The decimal mark is decided from the values: a file
 * whose only commas are followed by exactly three digits (`1,250`) could be either, and is an
 * error asking for `--decimal`.
 */
export type DecimalMark = '.' | ',';

export interface NumberStyle {
  decimal: DecimalMark;
  /** remove currency signs, letters, spaces and thousands separators before the cast */
  clean: boolean;
}

export const PLAIN: NumberStyle = { decimal: '.', clean: false };

const PLAIN_NUMBER = /^[+-]?(\d+(\.\d*)?|\.\d+)([eE][+-]?\d+)?$/;
/** what is left once currency signs, codes and spaces are gone */
const STRIP = /[^0-9.,+-]/g;

export interface Evidence {
  /** values that only read one way with a decimal comma (`1,25`, `1.234,5`) */
  comma: number;
  /** values that only read one way with a decimal point (`1.25`, `1,234.5`) */
  point: number;
  /** values that read both ways (`1,250`) */
  ambiguous: number;
  /** values with something to strip (currency, spaces, separators) */
  dirty: number;
  /** an example of each kind, for messages */
  examples: { comma?: string; point?: string; ambiguous?: string };
}

/** What the sample values of one column say about its decimal mark. */
export function numberEvidence(values: readonly string[]): Evidence {
  const ev: Evidence = { comma: 0, point: 0, ambiguous: 0, dirty: 0, examples: {} };
  for (const raw of values) {
    const v = raw.trim();
    if (v === '' || PLAIN_NUMBER.test(v)) {
      // `1.25` can only be a decimal point; `1.250` could be 1250 in a decimal-comma file
      if (/\.(\d{1,2}|\d{4,})([eE][+-]?\d+)?$/.test(v)) {
        ev.point++;
        ev.examples.point ??= v;
      }
      continue;
    }
    if (!/\d/.test(v)) continue; // no digit: not a number in any format (counted as unparsable later)
    ev.dirty++;
    const s = v.replace(STRIP, '');
    const lastComma = s.lastIndexOf(',');
    const lastPoint = s.lastIndexOf('.');
    if (lastComma >= 0 && lastPoint >= 0) {
      if (lastComma > lastPoint) {
        ev.comma++;
        ev.examples.comma ??= v;
      } else {
        ev.point++;
        ev.examples.point ??= v;
      }
    } else if (lastComma >= 0) {
      if (/^[+-]?\d{1,3}(,\d{3})+$/.test(s)) {
        if (/,\d{3},/.test(s)) {
          ev.point++; // 1,234,567: several groups, thousands separators
          ev.examples.point ??= v;
        } else {
          ev.ambiguous++;
          ev.examples.ambiguous ??= v;
        }
      } else {
        ev.comma++;
        ev.examples.comma ??= v;
      }
    } else if (lastPoint >= 0 && /^[+-]?\d{1,3}(\.\d{3}){2,}$/.test(s)) {
      ev.comma++; // 1.234.567: points as thousands separators
      ev.examples.comma ??= v;
    }
  }
  return ev;
}

export function mergeEvidence(list: readonly Evidence[]): Evidence {
  const out: Evidence = { comma: 0, point: 0, ambiguous: 0, dirty: 0, examples: {} };
  for (const e of list) {
    out.comma += e.comma;
    out.point += e.point;
    out.ambiguous += e.ambiguous;
    out.dirty += e.dirty;
    out.examples.comma ??= e.examples.comma;
    out.examples.point ??= e.examples.point;
    out.examples.ambiguous ??= e.examples.ambiguous;
  }
  return out;
}

/**
 * The decimal mark of a file from its value columns' evidence, or `given` (`--decimal`).
 * Throws when the values contradict each other or only ambiguous ones need cleaning.
 */
export function chooseDecimal(
  evidence: Evidence,
  given: DecimalMark | undefined,
  columns: string,
  file: string,
): DecimalMark {
  if (given) return given;
  if (evidence.comma > 0 && evidence.point > 0)
    throw new RfmError(
      'INVALID_INPUT',
      `${file}: the numbers in ${columns} mix decimal commas ("${evidence.examples.comma}")` +
        ` and decimal points ("${evidence.examples.point}"); pass --decimal , or --decimal .`,
      {
        issues: [
          {
            path: columns,
            message: 'mixed decimal marks',
            expected: '--decimal , or --decimal .',
            found: `${evidence.examples.comma} / ${evidence.examples.point}`,
          },
        ],
      },
    );
  if (evidence.comma > 0) return ',';
  if (evidence.ambiguous > 0 && evidence.point === 0)
    throw new RfmError(
      'INVALID_INPUT',
      `${file}: cannot tell the decimal mark of ${columns}: "${evidence.examples.ambiguous}"` +
        ` reads as ${evidence.examples.ambiguous?.replace(STRIP, '').replace(',', '')}` +
        ` with a thousands comma or as ${evidence.examples.ambiguous?.replace(STRIP, '').replace(',', '.')}` +
        ` with a decimal comma; pass --decimal , (decimal comma) or --decimal . (decimal point)`,
      {
        issues: [
          {
            path: columns,
            message: 'ambiguous decimal mark',
            expected: '--decimal , or --decimal .',
            found: evidence.examples.ambiguous ?? '',
          },
        ],
      },
    );
  return '.';
}

/**
 * A finite DOUBLE or NULL from a text column in `style`. Cleaning keeps digits, signs and the two
 * marks, drops the thousands separator and turns a decimal comma into a point.
 */
export function styledNumberSql(name: string, style: NumberStyle): string {
  const id = `CAST(${sqlIdent(name)} AS VARCHAR)`;
  if (!style.clean) return `TRY_CAST(${trimSql(id)} AS DOUBLE)`;
  const kept = `regexp_replace(${id}, '[^0-9.,+-]', '', 'g')`;
  const text = style.decimal === ',' ? `replace(replace(${kept}, '.', ''), ',', '.')` : `replace(${kept}, ',', '')`;
  return `TRY_CAST(${text} AS DOUBLE)`;
}

export function parseDecimal(value: string): DecimalMark {
  const v = value.trim();
  if (v === ',' || v === 'comma') return ',';
  if (v === '.' || v === 'point' || v === 'dot') return '.';
  throw new RfmError('INVALID_INPUT', `invalid --decimal "${value}": expected , (decimal comma) or . (decimal point)`, {
    issues: [{ path: '--decimal', message: 'unknown decimal mark', expected: ', or .', found: value }],
  });
}
