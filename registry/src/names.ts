import { ALIAS_PATTERN, MODEL_NAME_PATTERN, RfmError } from '@rfm/shared';

export const PRODUCTION = 'production';
const TAG_RE = /^[A-Za-z0-9_.:-]{1,64}$/;

export function now(): string {
  return new Date().toISOString();
}

export function checkTag(key: string): string {
  if (!TAG_RE.test(key))
    throw new RfmError('INVALID_INPUT', `invalid tag key ${JSON.stringify(key).slice(0, 70)}`, {
      issues: [
        { path: 'tag', message: 'invalid key', expected: 'letters, digits, _ . : - (1–64)', found: key.slice(0, 64) },
      ],
    });
  return key;
}

export function checkName(kind: 'model' | 'alias', name: string): void {
  const re = kind === 'model' ? MODEL_NAME_PATTERN : ALIAS_PATTERN;
  if (!re.test(name))
    throw new RfmError('INVALID_INPUT', `invalid ${kind} name ${JSON.stringify(name).slice(0, 80)}`, {
      issues: [
        {
          path: kind,
          message: 'invalid name',
          expected: kind === 'model' ? 'letters, digits, . _ - (1–64)' : 'lowercase letter then a-z 0-9 _ - (1–32)',
          found: name.slice(0, 80),
        },
      ],
    });
}

/**
 * A segment name a person (relabel) or a file (import) gives: trimmed, 1–64 characters, no
 * control characters, unique within the version (case-insensitive). One rule for both doors.
 */
export function checkSegmentName(name: string, field = 'name'): string {
  const label = name.trim();
  if (!label || label.length > 64)
    throw new RfmError('INVALID_INPUT', 'a segment name must be 1–64 characters', {
      issues: [{ path: field, message: 'length 1–64', found: String(name.length) }],
    });
  if (/[\u0000-\u001f\u007f]/.test(label))
    throw new RfmError('INVALID_INPUT', 'a segment name must not contain control characters', {
      issues: [{ path: field, message: 'control character', found: JSON.stringify(label).slice(0, 80) }],
    });
  return label;
}
