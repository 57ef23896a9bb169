import { RfmError } from './errors.js';
import { sha256Hex } from './hash.js';
import { ArtifactSchema, ARTIFACT_FORMAT, ARTIFACT_SCHEMA_VERSIONS, type Artifact } from './schemas.js';
import { zodIssues } from './validate.js';

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
      throw new RfmError(
        'INVALID_INPUT',
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
    throw new RfmError('INVALID_INPUT', 'artifact is not valid JSON', { cause: e });
  }
  const head = json as { format?: unknown; schema_version?: unknown };
  const known = ARTIFACT_SCHEMA_VERSIONS as readonly unknown[];
  if (head?.format !== ARTIFACT_FORMAT || !known.includes(head?.schema_version))
    throw new RfmError(
      'INVALID_INPUT',
      `unknown artifact format: expected ${ARTIFACT_FORMAT} v${ARTIFACT_SCHEMA_VERSIONS.join(' or v')}, found ${String(head?.format)} v${String(head?.schema_version)}`,
    );
  const r = ArtifactSchema.safeParse(json);
  if (!r.success) {
    const issues = zodIssues(r.error, 'artifact');
    throw new RfmError(
      'INVALID_INPUT',
      `artifact does not match schema v${String(head.schema_version)}: ${issues[0]?.path}: ${issues[0]?.message}`,
      { issues },
    );
  }
  return r.data;
}
