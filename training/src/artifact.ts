import {
  ARTIFACT_FORMAT,
  ARTIFACT_SCHEMA_VERSION,
  ArtifactSchema,
  FEATURES,
  RfmError,
  zodIssues,
  type Artifact,
  type Scaler,
} from '@rfm/shared';

/** Assemble the artifact (the current schema version) and check it against the schema serving will check it with. */
export function buildArtifact(
  parts: Omit<Artifact, 'format' | 'schema_version' | 'features' | 'preprocessing' | 'centroids'> & {
    scaler: Scaler;
    centers: Float64Array;
  },
): Artifact {
  const { scaler, centers, ...rest } = parts;
  const candidate = {
    format: ARTIFACT_FORMAT,
    schema_version: ARTIFACT_SCHEMA_VERSION,
    features: [...FEATURES],
    preprocessing: { transform: 'log1p', mean: [...scaler.mean], scale: [...scaler.scale] },
    ...rest,
    centroids: Array.from({ length: rest.k }, (_, c) => [centers[c * 3]!, centers[c * 3 + 1]!, centers[c * 3 + 2]!]),
  };
  const r = ArtifactSchema.safeParse(candidate);
  if (!r.success) {
    const issues = zodIssues(r.error, 'artifact');
    // Our own output failing our own contract is a bug, not bad input.
    throw new RfmError(
      'INTERNAL',
      `trained artifact does not match schema v${ARTIFACT_SCHEMA_VERSION}: ${issues[0]?.path}: ${issues[0]?.message}`,
      { issues },
    );
  }
  return r.data;
}
