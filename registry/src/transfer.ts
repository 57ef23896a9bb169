import { RfmError } from '@rfm/shared';
import { loadVerifiedArtifact } from './artifacts.js';
import { decodeFeatures } from './features-blob.js';
import { readExportFile, writeExportFile } from './export-file.js';
import { now } from './names.js';
import { getVersion, labelsOf, tagsOf, versionId } from './records.js';
import { prepareRegistration, registerPrepared } from './register.js';
import type { Db, Store } from './store/store.js';
import type { RegisterResult } from './types.js';

/** One version as a self-describing file (see export-file.ts); a damaged artifact is never exported. */
export async function exportVersion(db: Db, modelName: string, version: number): Promise<Buffer> {
  const rec = await getVersion(db, modelName, version);
  const { bytes, sha256 } = await loadVerifiedArtifact(db, modelName, version);
  const f = await db
    .selectFrom('features')
    .select(['encoding', 'bytes'])
    .where('version_id', '=', await versionId(db, modelName, version))
    .executeTakeFirst();
  return writeExportFile({
    exported_at: now(),
    source: { model: modelName, version },
    description: rec.description,
    created_at: rec.createdAt,
    created_by: rec.createdBy,
    tags: await tagsOf(db, modelName, version),
    labels: Object.fromEntries(Object.entries(await labelsOf(db, modelName, version)).map(([k, v]) => [String(k), v])),
    artifact_sha256: sha256,
    artifact_base64: bytes.toString('base64'),
    features: f ? { encoding: f.encoding, base64: f.bytes.toString('base64') } : null,
  });
}

export interface ImportOptions {
  modelName?: string;
  actor: string;
  reason?: string;
  fileLabel?: string;
}

/** Verify an export file completely (before any lock), then register it as the next version. */
export function prepareImport(file: Buffer, opts: ImportOptions) {
  const { payload, artifact } = readExportFile(file, opts.fileLabel ?? 'export file');
  const features = payload.features ? decodeFeatures(Buffer.from(payload.features.base64, 'base64')) : undefined;
  const modelName = opts.modelName ?? payload.source.model;
  const prepared = prepareRegistration({
    modelName,
    artifact,
    actor: opts.actor,
    description: payload.description,
    tags: payload.tags,
    ...(features ? { features } : {}),
    reason: opts.reason ?? `imported from ${payload.source.model} v${payload.source.version}`,
    importedFrom: {
      model: payload.source.model,
      version: payload.source.version,
      created_at: payload.created_at,
      created_by: payload.created_by,
      artifact_sha256: payload.artifact_sha256,
    },
  });
  const labels = Object.entries(payload.labels).map(([c, name]) => ({ cluster: Number(c), name }));
  for (const l of labels)
    if (!Number.isInteger(l.cluster) || l.cluster < 0 || l.cluster >= artifact.k)
      throw new RfmError(
        'INVALID_INPUT',
        `export file: label for cluster ${l.cluster} but the model has k = ${artifact.k}`,
      );
  return { prepared, labels };
}

export async function importPrepared(
  store: Store,
  trx: Db,
  p: ReturnType<typeof prepareImport>,
): Promise<RegisterResult> {
  const { versionId: vid, ...res } = await registerPrepared(store, trx, p.prepared);
  if (p.labels.length)
    await trx
      .insertInto('labels')
      .values(p.labels.map((l) => ({ version_id: vid, cluster: l.cluster, name: l.name })))
      .execute();
  return res;
}
