/**
 * One error class for the whole platform, with a typed code (the tRPC pattern). Every boundary
 * (HTTP, CLI) maps codes through the single table below; anything that is not an RfmError becomes
 * INTERNAL and keeps its cause for the logs, never for the user.
 */
export const ERROR_CODES = {
  INVALID_INPUT: { http: 400, exit: 65 },
  UNAUTHORIZED: { http: 401, exit: 77 },
  FORBIDDEN: { http: 403, exit: 77 },
  NOT_FOUND: { http: 404, exit: 66 },
  CONFLICT: { http: 409, exit: 75 },
  POLICY_REFUSED: { http: 422, exit: 78 },
  PAYLOAD_TOO_LARGE: { http: 413, exit: 65 },
  RATE_LIMITED: { http: 429, exit: 75 },
  UNSUPPORTED: { http: 415, exit: 65 },
  MODEL_UNAVAILABLE: { http: 503, exit: 69 },
  REGISTRY_ERROR: { http: 500, exit: 74 },
  /** the registry's database cannot be reached (PostgreSQL down or restarting): try again */
  REGISTRY_UNAVAILABLE: { http: 503, exit: 69 },
  /** a stored artifact fails its sha256 or schema: the registry's data is damaged, not the caller's input */
  ARTIFACT_CORRUPT: { http: 500, exit: 76 },
  INTERNAL: { http: 500, exit: 70 },
} as const;

export type RfmErrorCode = keyof typeof ERROR_CODES;

/** One problem with one input: where (field / row / column) and what was expected vs found. */
export interface Issue {
  path: string;
  message: string;
  expected?: string;
  found?: string;
}

export class RfmError extends Error {
  override readonly name = 'RfmError';
  readonly code: RfmErrorCode;
  readonly issues: Issue[];
  readonly details: Record<string, unknown> | undefined;

  constructor(
    code: RfmErrorCode,
    message: string,
    opts: { issues?: Issue[]; details?: Record<string, unknown>; cause?: unknown } = {},
  ) {
    super(message, opts.cause === undefined ? undefined : { cause: opts.cause });
    this.code = code;
    this.issues = opts.issues ?? [];
    this.details = opts.details;
  }

  get httpStatus(): number {
    return ERROR_CODES[this.code].http;
  }

  get exitCode(): number {
    return ERROR_CODES[this.code].exit;
  }

  /** The body a client sees: never a stack, never the cause. */
  toJSON(): { error: { code: RfmErrorCode; message: string; issues?: Issue[]; details?: Record<string, unknown> } } {
    return {
      error: {
        code: this.code,
        message: this.message,
        ...(this.issues.length ? { issues: this.issues } : {}),
        ...(this.details ? { details: this.details } : {}),
      },
    };
  }
}

export function isRfmError(e: unknown): e is RfmError {
  return (
    e instanceof RfmError ||
    (typeof e === 'object' && e !== null && (e as { name?: unknown }).name === 'RfmError' && 'code' in e)
  );
}

/** Anything thrown → RfmError; unknown errors become INTERNAL with the original as cause. */
export function toRfmError(e: unknown): RfmError {
  if (isRfmError(e)) return e;
  return new RfmError('INTERNAL', 'internal error', { cause: e });
}

/** Human-readable multi-line text for terminals. */
export function formatError(e: RfmError): string {
  const lines = [`${e.code}: ${e.message}`];
  for (const i of e.issues) {
    const ef = [i.expected ? `expected ${i.expected}` : '', i.found !== undefined ? `found ${i.found}` : '']
      .filter(Boolean)
      .join(', ');
    lines.push(`  - ${i.path ? `${i.path}: ` : ''}${i.message}${ef ? ` (${ef})` : ''}`);
  }
  return lines.join('\n');
}
