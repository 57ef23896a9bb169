import { isRfmError, parseArtifact, RfmError, sha256Hex, type ArtifactV1 } from '@rfm/shared';
import { artifactBytes, labelsOf } from './records.js';
import type { Db } from './store/store.js';
import type { LoadedModel } from './types.js';

/**
 * A stored artifact, verified against its recorded sha256 and the v1 schema. A failure here means
 * the registry's own data is damaged, so it is ARTIFACT_CORRUPT (a 5xx, its own exit code), never
 * INVALID_INPUT as if the caller had sent something wrong.
 */
export async function loadVerifiedArtifact(
  db: Db,
  modelName: string,
  version: number,
): Promise<{ artifact: ArtifactV1; bytes: Buffer; sha256: string }> {
  const { bytes, sha256 } = await artifactBytes(db, modelName, version);
  return { artifact: verifyStored(bytes, sha256, modelName, version), bytes, sha256 };
}

export function verifyStored(bytes: Buffer, sha256: string, modelName: string, version: number): ArtifactV1 {
  try {
    return parseArtifact(bytes, sha256);
  } catch (e) {
    if (!isRfmError(e) || e.code !== 'INVALID_INPUT') throw e;
    throw new RfmError('ARTIFACT_CORRUPT', e.message, {
      issues: e.issues,
      details: { model: modelName, version },
      cause: e,
    });
  }
}

/**
 * What serving loads: the verified artifact with a person's relabels applied, and a revision
 * string that changes when the artifact or its labels do (so a relabel triggers a reload).
 */
export async function loadModel(db: Db, modelName: string, version: number): Promise<LoadedModel> {
  // both at once: on PostgreSQL two round trips overlap (a server's switch waits on this); a
  // missing version fails the artifact read, so the labels read need not check for it
  const [{ artifact, sha256 }, labels] = await Promise.all([
    loadVerifiedArtifact(db, modelName, version),
    labelsOf(db, modelName, version, true),
  ]);
  const segments = artifact.segments.map((s) => (labels[s.cluster] ? { ...s, name: labels[s.cluster]! } : s));
  return {
    modelName,
    version,
    sha256,
    artifact: { ...artifact, segments },
    revision: `${sha256}:${sha256Hex(JSON.stringify(labels)).slice(0, 12)}`,
  };
}
