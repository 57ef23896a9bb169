import { z } from 'zod';
import { parseArtifact, RfmError, sha256Hex, zodIssues, type ArtifactV1 } from '@rfm/shared';
import { checkSignature, exportKey, IMPORT_LIMITS, sign } from './import-checks.js';

/**
 * One version as a single self-describing file, to move a model between environments:
 * `{format, format_version, payload_sha256, payload}` where payload holds the artifact bytes
 * (base64, with their own sha256), the version's metadata, labels, tags and training features.
 */
export const EXPORT_FORMAT = 'rfm.model-export';

// every length capped: the file is untrusted (import-checks.ts has the finer rules)
const PayloadSchema = z.object({
  exported_at: z.string().max(64),
  source: z.object({ model: z.string().max(64), version: z.number().int().positive() }),
  description: z.string().max(2000),
  created_at: z.string().max(64),
  created_by: z.string().max(128),
  tags: z.record(z.string().max(64), z.string().max(500)),
  labels: z.record(z.string().max(4), z.string().max(200)),
  artifact_sha256: z.string().regex(/^[0-9a-f]{64}$/),
  artifact_base64: z
    .string()
    .min(1)
    .max(16 * 1024 * 1024),
  features: z.object({ encoding: z.string().max(64), base64: z.string() }).nullable(),
});
export type ExportPayload = z.output<typeof PayloadSchema>;

const FileSchema = z.object({
  format: z.literal(EXPORT_FORMAT),
  format_version: z.literal(1),
  payload_sha256: z.string().regex(/^[0-9a-f]{64}$/),
  /** HMAC-SHA256 of the payload with RFM_EXPORT_KEY, when the exporting side had one */
  signature: z.string().max(128).optional(),
  payload: PayloadSchema,
});

export function writeExportFile(payload: ExportPayload, key: Buffer | null = exportKey()): Buffer {
  const body = JSON.stringify(payload);
  const sig = key ? `"signature":"${sign(body, key)}",` : '';
  return Buffer.from(
    `{"format":"${EXPORT_FORMAT}","format_version":1,"payload_sha256":"${sha256Hex(body)}",${sig}"payload":${body}}\n`,
    'utf8',
  );
}

/** Parse and verify everything before anything touches a registry. */
export function readExportFile(
  bytes: Buffer,
  fileLabel: string,
): { payload: ExportPayload; artifact: ArtifactV1; artifactBytes: Buffer } {
  if (bytes.length > IMPORT_LIMITS.fileBytes)
    throw new RfmError('PAYLOAD_TOO_LARGE', `${fileLabel} is larger than ${IMPORT_LIMITS.fileBytes} bytes`);
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
  checkSignature(JSON.stringify(r.data.payload), r.data.signature, exportKey(), fileLabel);
  const artifactBytes = Buffer.from(r.data.payload.artifact_base64, 'base64');
  const artifact = parseArtifact(artifactBytes, r.data.payload.artifact_sha256);
  return { payload: r.data.payload, artifact, artifactBytes };
}
