import { z } from 'zod';
import { parseArtifact, RfmError, sha256Hex, zodIssues, type ArtifactV1 } from '@rfm/shared';

/**
 * One version as a single self-describing file, to move a model between environments:
 * `{format, format_version, payload_sha256, payload}` where payload holds the artifact bytes
 * (base64, with their own sha256), the version's metadata, labels, tags and training features.
 */
export const EXPORT_FORMAT = 'rfm.model-export';

const PayloadSchema = z.object({
  exported_at: z.string(),
  source: z.object({ model: z.string(), version: z.number().int().positive() }),
  description: z.string(),
  created_at: z.string(),
  created_by: z.string(),
  tags: z.record(z.string(), z.string()),
  labels: z.record(z.string(), z.string()),
  artifact_sha256: z.string().regex(/^[0-9a-f]{64}$/),
  artifact_base64: z.string().min(1),
  features: z.object({ encoding: z.string(), base64: z.string() }).nullable(),
});
export type ExportPayload = z.output<typeof PayloadSchema>;

const FileSchema = z.object({
  format: z.literal(EXPORT_FORMAT),
  format_version: z.literal(1),
  payload_sha256: z.string().regex(/^[0-9a-f]{64}$/),
  payload: PayloadSchema,
});

export function writeExportFile(payload: ExportPayload): Buffer {
  const body = JSON.stringify(payload);
  return Buffer.from(
    `{"format":"${EXPORT_FORMAT}","format_version":1,"payload_sha256":"${sha256Hex(body)}","payload":${body}}\n`,
    'utf8',
  );
}

/** Parse and verify everything before anything touches a registry. */
export function readExportFile(
  bytes: Buffer,
  fileLabel: string,
): { payload: ExportPayload; artifact: ArtifactV1; artifactBytes: Buffer } {
  let json: unknown;
  try {
    json = JSON.parse(bytes.toString('utf8'));
  } catch {
    throw new RfmError('INVALID_INPUT', `${fileLabel} is not an rfm model export (not JSON)`);
  }
  const r = FileSchema.safeParse(json);
  if (!r.success) {
    const issues = zodIssues(r.error, 'export');
    throw new RfmError(
      'INVALID_INPUT',
      `${fileLabel} is not a valid rfm model export: ${issues[0]?.path}: ${issues[0]?.message}`,
      { issues },
    );
  }
  const actual = sha256Hex(JSON.stringify(r.data.payload));
  if (actual !== r.data.payload_sha256)
    throw new RfmError(
      'INVALID_INPUT',
      `${fileLabel}: checksum mismatch (payload sha256 expected ${r.data.payload_sha256}, found ${actual}); the file was changed or damaged`,
    );
  const artifactBytes = Buffer.from(r.data.payload.artifact_base64, 'base64');
  const artifact = parseArtifact(artifactBytes, r.data.payload.artifact_sha256);
  return { payload: r.data.payload, artifact, artifactBytes };
}
