import { isRfmError, RfmError } from './errors.js';
import { sha256Hex } from './hash.js';
import { ArtifactSchema, ARTIFACT_FORMAT, ARTIFACT_SCHEMA_VERSIONS, type Artifact } from './schemas.js';
import { zodIssues } from './validate.js';

/** Why stored artifact bytes were refused (a metric label in serving: rfm_model_load_failures_total). */
export const ARTIFACT_REJECTIONS = ['checksum', 'json', 'format', 'schema'] as const;
export type ArtifactRejection = (typeof ARTIFACT_REJECTIONS)[number];

/** An artifact refused at load, with the reason as a value (an INVALID_INPUT RfmError everywhere else). */
export class ArtifactRejectedError extends RfmError {
  constructor(
    readonly reason: ArtifactRejection,
    message: string,
    opts: ConstructorParameters<typeof RfmError>[2] = {},
  ) {
    super('INVALID_INPUT', message, opts);
  }
}

/**
 * The reason an error refused an artifact, or null for any other error. Follows `cause`: the
 * registry reports a damaged stored artifact as ARTIFACT_CORRUPT with the rejection as its cause.
 */
export function artifactRejection(e: unknown): ArtifactRejection | null {
  let x = e;
  for (let depth = 0; x && depth < 4; depth++) {
    const reason = (x as { reason?: unknown }).reason;
    if (isRfmError(x) && (ARTIFACT_REJECTIONS as readonly unknown[]).includes(reason))
      return reason as ArtifactRejection;
    x = (x as { cause?: unknown }).cause;
  }
  return null;
}

/** Artifact → the exact bytes stored in the registry, and their sha256. */
export function serializeArtifact(a: Artifact): { bytes: Buffer; sha256: string } {
  const bytes = Buffer.from(JSON.stringify(a), 'utf8');
  return { bytes, sha256: sha256Hex(bytes) };
}

/**
 * Bytes read back → a checked artifact. Refuses (INVALID_INPUT) on a checksum mismatch, bytes
 * that are not JSON, an unknown format or schema version, or any field out of contract.
 */
export function parseArtifact(bytes: Uint8Array, expectedSha256?: string): Artifact {
  if (expectedSha256 !== undefined) {
    const actual = sha256Hex(bytes);
    if (actual !== expectedSha256)
      throw new ArtifactRejectedError(
        'checksum',
        `artifact checksum mismatch: expected sha256 ${expectedSha256}, found ${actual}`,
        {
          issues: [{ path: 'artifact', message: 'sha256 mismatch', expected: expectedSha256, found: actual }],
        },
      );
  }
  let json: unknown;
  try {
    json = JSON.parse(Buffer.from(bytes).toString('utf8'));
  } catch (e) {
    throw new ArtifactRejectedError('json', 'artifact is not valid JSON', { cause: e });
  }
  const head = json as { format?: unknown; schema_version?: unknown };
  const known = ARTIFACT_SCHEMA_VERSIONS as readonly unknown[];
  if (head?.format !== ARTIFACT_FORMAT || !known.includes(head?.schema_version))
    throw new ArtifactRejectedError(
      'format',
      `unknown artifact format: expected ${ARTIFACT_FORMAT} v${ARTIFACT_SCHEMA_VERSIONS.join(' or v')}` +
        `, found ${String(head?.format)} v${String(head?.schema_version)}`,
    );
  const r = ArtifactSchema.safeParse(json);
  if (!r.success) {
    const issues = zodIssues(r.error, 'artifact');
    throw new ArtifactRejectedError(
      'schema',
      `artifact does not match schema v${String(head.schema_version)}: ${issues[0]?.path}: ${issues[0]?.message}`,
      { issues },
    );
  }
  return r.data;
}
