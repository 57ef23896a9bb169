import { createReadStream, createWriteStream } from 'node:fs';
import { isUtf8 } from 'node:buffer';
import { createGunzip } from 'node:zlib';
import { RfmError } from '@rfm/shared';

/**
 * Text encodings of exports. DuckDB reads UTF-8 (with or without BOM) itself — the fast path, no
 * extra pass. Anything else (Excel's "Unicode text" UTF-16, Windows-1252/Latin-1 from European
 * shops) is converted by Node to a private UTF-8 copy that DuckDB then reads; no character is lost
 * (every byte of Windows-1252 has a Unicode character).
 */
export type Encoding = 'utf-8' | 'utf-16le' | 'utf-16be' | 'windows-1252';

/** `--encoding` values → encoding. Latin-1 is read as Windows-1252, its superset for printable text (€ is 0x80 there). */
const FLAG_VALUES: Record<string, Encoding> = {
  utf8: 'utf-8',
  'utf-8': 'utf-8',
  utf16: 'utf-16le',
  'utf-16': 'utf-16le',
  utf16le: 'utf-16le',
  'utf-16le': 'utf-16le',
  utf16be: 'utf-16be',
  'utf-16be': 'utf-16be',
  'windows-1252': 'windows-1252',
  cp1252: 'windows-1252',
  'latin-1': 'windows-1252',
  latin1: 'windows-1252',
  'iso-8859-1': 'windows-1252',
};
export const ENCODING_CHOICES = ['utf-8', 'utf-16', 'utf-16le', 'utf-16be', 'windows-1252', 'latin-1'] as const;

export function parseEncoding(value: string): Encoding {
  const e = FLAG_VALUES[value.trim().toLowerCase()];
  if (!e)
    throw new RfmError(
      'INVALID_INPUT',
      `invalid --encoding "${value}": expected one of ${ENCODING_CHOICES.join(', ')}`,
      {
        issues: [
          { path: '--encoding', message: 'unknown encoding', expected: ENCODING_CHOICES.join(', '), found: value },
        ],
      },
    );
  return e;
}

export interface DetectedEncoding {
  encoding: Encoding;
  /** a byte-order mark starts the file */
  bom: boolean;
  /** how it was decided, for the summary */
  how: 'bom' | 'detected' | 'given';
}

/** UTF-16 without a BOM: most ASCII text has a zero byte in every other position. */
function utf16ByZeros(head: Buffer): Encoding | undefined {
  const n = Math.min(head.length, 4096) & ~1;
  if (n < 8) return undefined;
  let even = 0;
  let odd = 0;
  for (let i = 0; i < n; i += 2) {
    if (head[i] === 0) even++;
    if (head[i + 1] === 0) odd++;
  }
  const pairs = n / 2;
  if (odd > pairs * 0.3 && even < pairs * 0.05) return 'utf-16le';
  if (even > pairs * 0.3 && odd < pairs * 0.05) return 'utf-16be';
  return undefined;
}

/** Valid UTF-8, allowing a multi-byte character cut by the end of the sample. */
function isUtf8Head(head: Buffer): boolean {
  for (let cut = 0; cut < 4 && cut <= head.length; cut++) if (isUtf8(head.subarray(0, head.length - cut))) return true;
  return false;
}

/** The encoding of the first bytes of a file (decompressed if it was gzip). */
export function detectEncoding(head: Buffer): DetectedEncoding {
  if (head[0] === 0xef && head[1] === 0xbb && head[2] === 0xbf) return { encoding: 'utf-8', bom: true, how: 'bom' };
  if (head[0] === 0xff && head[1] === 0xfe) return { encoding: 'utf-16le', bom: true, how: 'bom' };
  if (head[0] === 0xfe && head[1] === 0xff) return { encoding: 'utf-16be', bom: true, how: 'bom' };
  const wide = utf16ByZeros(head);
  if (wide) return { encoding: wide, bom: false, how: 'detected' };
  return { encoding: isUtf8Head(head) ? 'utf-8' : 'windows-1252', bom: false, how: 'detected' };
}

/**
 * A file that is not text at all, said plainly instead of decoded into garbage: gzip or zip
 * content under a text name, or mostly control bytes. UTF-16 (zero bytes in every other place) is
 * text. A few stray control bytes (a NUL inside a field) are not enough.
 */
export function notTextReason(head: Buffer, enc: DetectedEncoding): string | undefined {
  if (head[0] === 0x1f && head[1] === 0x8b) return 'it is gzip-compressed: name it .csv.gz';
  if (head[0] === 0x50 && head[1] === 0x4b && head[2] === 0x03 && head[3] === 0x04)
    return 'it is a zip archive (an .xlsx workbook is one: name it .xlsx)';
  if (enc.encoding.startsWith('utf-16')) return undefined;
  const n = Math.min(head.length, 4096);
  let control = 0;
  for (let i = 0; i < n; i++) {
    const b = head[i]!;
    if (b < 0x20 && b !== 0x09 && b !== 0x0a && b !== 0x0d) control++;
  }
  return n > 0 && control / n > 0.1
    ? `${Math.round((100 * control) / n)}% of its first ${n} bytes are control characters: it is not a text export`
    : undefined;
}

/** The first `limit` bytes of a file, inflated when it is gzip. */
export async function readHead(path: string, gzip: boolean, limit = 1 << 20): Promise<Buffer> {
  const parts: Buffer[] = [];
  let seen = 0;
  const file = createReadStream(path, { highWaterMark: 1 << 16 });
  const source = gzip ? file.pipe(createGunzip()) : file;
  try {
    for await (const chunk of source) {
      parts.push(chunk as Buffer);
      seen += (chunk as Buffer).length;
      if (seen >= limit) break;
    }
  } catch {
    // a broken gzip stream: the full pass says so
  } finally {
    file.destroy();
    source.destroy();
  }
  return Buffer.concat(parts).subarray(0, limit);
}

/**
 * Windows-1252's 0x80–0x9F (where Latin-1 has control characters): € ‚ ƒ „ … † ‡ ˆ ‰ Š ‹ Œ Ž ' ' " " • – — ˜ ™ š › œ ž Ÿ.
 * Node 20's TextDecoder('windows-1252') decodes these bytes as Latin-1 (it would turn € into U+0080),
 * so the table is applied here; the five bytes Windows-1252 leaves undefined keep their Latin-1 value.
 */
const CP1252_HIGH = [
  0x20ac, 0x81, 0x201a, 0x192, 0x201e, 0x2026, 0x2020, 0x2021, 0x2c6, 0x2030, 0x160, 0x2039, 0x152, 0x8d, 0x17d, 0x8f,
  0x90, 0x2018, 0x2019, 0x201c, 0x201d, 0x2022, 0x2013, 0x2014, 0x2dc, 0x2122, 0x161, 0x203a, 0x153, 0x9d, 0x17e, 0x178,
];

/** Windows-1252 bytes → text (one byte per character, so chunks need no carry-over). */
export function decodeWindows1252(bytes: Buffer): string {
  const latin = bytes.toString('latin1');
  return /[\x80-\x9f]/.test(latin)
    ? latin.replace(/[\x80-\x9f]/g, (c) => String.fromCharCode(CP1252_HIGH[c.charCodeAt(0) - 0x80]!))
    : latin;
}

/**
 * Copy `path` (inflated when gzip) to `out` as UTF-8 with every line ending `\n`: the fallback that
 * DuckDB reads when the file is not UTF-8, or when its dialect sniffer gives up on mixed `\n` /
 * `\r\n` line ends (a header saved by another editor). A `\r` inside a quoted field becomes `\n`
 * too, which changes no value rfm uses.
 */
export async function writeUtf8Copy(
  path: string,
  out: string,
  opts: { gzip: boolean; encoding: Encoding; newlines: boolean },
): Promise<void> {
  const decoder = opts.encoding === 'windows-1252' ? undefined : new TextDecoder(opts.encoding);
  const decode = (b: Buffer, stream: boolean) => (decoder ? decoder.decode(b, { stream }) : decodeWindows1252(b));
  const file = createReadStream(path, { highWaterMark: 1 << 20 });
  const source = opts.gzip ? file.pipe(createGunzip({ chunkSize: 1 << 20 })) : file;
  const sink = createWriteStream(out, { highWaterMark: 1 << 20 });
  const closed = new Promise<void>((resolve, reject) => {
    sink.on('close', resolve);
    sink.on('error', reject);
  });
  let carryCr = false;
  const fix = (s: string): string => {
    if (!opts.newlines) return s;
    let t = carryCr ? `\r${s}` : s;
    carryCr = t.endsWith('\r');
    if (carryCr) t = t.slice(0, -1);
    return t.includes('\r') ? t.replace(/\r\n?/g, '\n') : t;
  };
  try {
    for await (const chunk of source) {
      const text = fix(decode(chunk as Buffer, true));
      if (!sink.write(text)) await new Promise<void>((r) => sink.once('drain', () => r()));
    }
    let rest = decoder ? decoder.decode() : '';
    if (carryCr) {
      carryCr = false;
      rest = `\n${rest}`;
    }
    sink.end(fix(rest));
  } catch (e) {
    sink.destroy();
    throw e;
  }
  await closed;
}
