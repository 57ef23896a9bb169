import { loadVerifiedArtifact } from './artifacts.js';
import {
  checkImportedNames,
  checkImportedText,
  decodeImportedFeatures,
  recomputePolicyMetrics,
} from './import-checks.js';
import { promote, type Promotion } from './promote.js';
import { readExportFile, writeExportFile } from './export-file.js';
import { now } from './names.js';
import { getVersion, labelsOf, tagsOf, versionId } from './records.js';
import { prepareRegistration, registerPrepared } from './register.js';
import type { Db, Store } from './store/store.js';
import type { RegisterInput, RegisterResult } from './types.js';
import { FEATURES_ENCODING } from './features-blob.js';

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
  /** move production to the import, through the promotion policy (force needs a reason) */
  promote?: boolean;
  force?: boolean;
}

/**
 * Verify an export file completely (before any lock): checksums and signature, every length and
 * name under the same rules as the CLI and relabel, the training customers inflated with a limit.
 * The metrics the policy trusts (silhouette, customers) are recomputed from those customers when
 * the file carries them; the claimed ones are kept in the import event.
 */
export function prepareImport(file: Buffer, opts: ImportOptions) {
  const label = opts.fileLabel ?? 'export file';
  const { payload, artifact } = readExportFile(file, label);
  const modelName = opts.modelName ?? payload.source.model;
  checkImportedText({
    model: modelName,
    description: payload.description,
    created_by: payload.created_by,
    tags: payload.tags,
  });
  const labels = Object.entries(payload.labels).map(([c, name]) => ({
    cluster: /^[0-9]{1,2}$/.test(c) ? Number(c) : -1,
    name,
  }));
  checkImportedNames(artifact, labels);
  const features = decodeImportedFeatures(payload.features);
  const prepared = prepareRegistration({
    modelName,
    artifact,
    actor: opts.actor,
    description: payload.description,
    tags: payload.tags,
    ...(features ? { features } : {}),
    reason: opts.reason ?? `imported from ${payload.source.model} v${payload.source.version}`,
    neverPromote: true, // never straight to production, not even into an empty registry
    importedFrom: {
      model: payload.source.model,
      version: payload.source.version,
      created_at: payload.created_at,
      created_by: payload.created_by.slice(0, 128),
      artifact_sha256: payload.artifact_sha256,
      features: features ? 'kept' : payload.features ? `left out (unknown encoding)` : 'none',
      claimed: { silhouette: artifact.metrics.silhouette, customers: artifact.data.customers },
    },
  });
  if (features && features.cids.length > 0) {
    const re = recomputePolicyMetrics(artifact, features);
    prepared.json.metrics = JSON.stringify(re.metrics);
    prepared.json.data = JSON.stringify({ ...artifact.data, customers: re.customers });
  } else {
    // nothing to check the claims against: the policy must not trust them
    prepared.json.metrics = JSON.stringify({ ...artifact.metrics, silhouette: null });
  }
  return { prepared, labels, opts };
}

export async function importPrepared(
  store: Store,
  trx: Db,
  p: ReturnType<typeof prepareImport>,
): Promise<RegisterResult & { promotion?: Promotion }> {
  const { versionId: vid, ...res } = await registerPrepared(store, trx, p.prepared);
  if (p.labels.length)
    await trx
      .insertInto('labels')
      .values(p.labels.map((l) => ({ version_id: vid, cluster: l.cluster, name: l.name.trim() })))
      .execute();
  if (!p.opts.promote) return res;
  const promotion = await promote(store, trx, res.modelName, res.version, {
    actor: p.opts.actor,
    ...(p.opts.reason ? { reason: p.opts.reason } : {}),
    ...(p.opts.force ? { force: true } : {}),
  });
  return { ...res, aliases: [...res.aliases, 'production'], promotion };
}

/**
 * An export file for a registration that could not reach its registry (the database was down):
 * the trainer saves it so the finished work is not lost, and `rfm models import FILE` registers
 * it later (as a candidate; add --promote to move production through the policy).
 */
export function pendingExport(input: RegisterInput): Buffer {
  const p = prepareRegistration(input);
  return writeExportFile({
    exported_at: now(),
    source: { model: input.modelName, version: 1 },
    description: input.description ?? '',
    created_at: now(),
    created_by: input.actor.slice(0, 128),
    tags: input.tags ?? {},
    labels: {},
    artifact_sha256: p.sha256,
    artifact_base64: p.bytes.toString('base64'),
    features: p.features ? { encoding: FEATURES_ENCODING, base64: p.features.bytes.toString('base64') } : null,
  });
}
