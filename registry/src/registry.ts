import Database from 'better-sqlite3';
import { accessSync, constants as fsConstants, existsSync, mkdirSync, statfsSync } from 'node:fs';
import { dirname } from 'node:path';
import {
  ARTIFACT_FORMAT,
  ArtifactV1Schema,
  parseArtifact,
  RfmError,
  serializeArtifact,
  sha256Hex,
  zodIssues,
  type ArtifactV1,
} from '@rfm/shared';
import { migrate, SCHEMA_VERSION } from './migrations.js';
import { decodeFeatures, encodeFeatures, FEATURES_ENCODING, type TrainingFeatures } from './features-blob.js';
import {
  DEFAULT_POLICY,
  evaluatePolicy,
  PromotionPolicySchema,
  type PromotionPolicy,
  type RuleResult,
} from './policy.js';
import { readExportFile, writeExportFile } from './export-file.js';
import { compareVersions, type VersionComparison } from './compare.js';
import type {
  ActorReason,
  AliasMove,
  EventRecord,
  LoadedModel,
  RegisterInput,
  RegisterResult,
  VersionRecord,
  VersionStatus,
} from './types.js';

export const PRODUCTION = 'production';
const ALIAS_RE = /^[a-z][a-z0-9_-]{0,31}$/;
const MODEL_RE = /^[A-Za-z0-9][A-Za-z0-9._-]{0,63}$/;

interface VersionRow {
  id: number;
  model_name: string;
  version: number;
  status: VersionStatus;
  created_at: string;
  created_by: string;
  description: string;
  k: number;
  params_json: string;
  metrics_json: string;
  data_json: string;
  training_json: string;
  sha256: string;
  size: number;
  format: string;
  aliases: string | null;
}

const VERSION_SELECT = `
  SELECT v.id, m.name AS model_name, v.version, v.status, v.created_at, v.created_by, v.description, v.k,
         v.params_json, v.metrics_json, v.data_json, v.training_json, a.sha256, a.size, a.format,
         (SELECT group_concat(al.alias, ',') FROM aliases al WHERE al.version_id = v.id) AS aliases
    FROM versions v JOIN models m ON m.id = v.model_id JOIN artifacts a ON a.version_id = v.id`;

const TAG_RE = /^[A-Za-z0-9_.:-]{1,64}$/;
function checkTag(key: string): string {
  if (!TAG_RE.test(key))
    throw new RfmError('INVALID_INPUT', `invalid tag key ${JSON.stringify(key).slice(0, 70)}`, {
      issues: [
        { path: 'tag', message: 'invalid key', expected: 'letters, digits, _ . : - (1–64)', found: key.slice(0, 64) },
      ],
    });
  return key;
}

function now(): string {
  return new Date().toISOString();
}

function toRecord(r: VersionRow): VersionRecord {
  return {
    modelName: r.model_name,
    version: r.version,
    status: r.status,
    createdAt: r.created_at,
    createdBy: r.created_by,
    description: r.description,
    k: r.k,
    aliases: r.aliases ? r.aliases.split(',').sort() : [],
    params: JSON.parse(r.params_json),
    metrics: JSON.parse(r.metrics_json),
    data: JSON.parse(r.data_json),
    training: JSON.parse(r.training_json),
    artifact: { sha256: r.sha256, size: r.size, format: r.format },
  };
}

function checkName(kind: 'model' | 'alias', name: string): void {
  const re = kind === 'model' ? MODEL_RE : ALIAS_RE;
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
 * The model registry: one SQLite file holding every version's artifact (BLOB + sha256), the
 * aliases that point at versions, and an append-only event log of every alias move. Each write is
 * one IMMEDIATE transaction, so concurrent writers queue on busy_timeout instead of failing and
 * a crash leaves either the whole change or none of it.
 */
export class Registry {
  readonly file: string;
  readonly db: Database.Database;
  readonly readonly: boolean;

  private constructor(file: string, db: Database.Database, ro: boolean) {
    this.file = file;
    this.db = db;
    this.readonly = ro;
  }

  /** Open (creating and migrating if needed) for reading and writing. */
  static open(file: string): Registry {
    let db: Database.Database | undefined;
    try {
      mkdirSync(dirname(file), { recursive: true });
      db = new Database(file, { timeout: 10_000 });
      db.pragma('journal_mode = WAL');
      db.pragma('synchronous = NORMAL');
      db.pragma('foreign_keys = ON');
      migrate(db, file);
      return new Registry(file, db, false);
    } catch (e) {
      closeQuietly(db); // a half-opened connection would keep the file open until GC
      throw wrapSqlite(e, file);
    }
  }

  /** Open an existing registry read-only (the server); never migrates or creates anything. */
  static openReadOnly(file: string): Registry {
    let db: Database.Database | undefined;
    try {
      db = new Database(file, { readonly: true, fileMustExist: true, timeout: 10_000 });
      db.pragma('foreign_keys = ON');
      const v = db.pragma('user_version', { simple: true }) as number;
      const reg = new Registry(file, db, true);
      if (v === 0) return reg; // created but never migrated: behaves as empty
      if (v !== SCHEMA_VERSION) {
        db.close();
        throw new RfmError(
          'REGISTRY_ERROR',
          v > SCHEMA_VERSION
            ? `the registry has schema version ${v}, newer than this rfm understands (${SCHEMA_VERSION}); upgrade rfm`
            : `the registry has schema version ${v}; open it once read-write (any \`rfm models\` command) to migrate it to ${SCHEMA_VERSION}`,
        );
      }
      return reg;
    } catch (e) {
      closeQuietly(db);
      throw wrapSqlite(e, file);
    }
  }

  close(): void {
    this.db.close();
  }

  /** Changes whenever another connection commits: the cheap hot-reload poll. */
  dataVersion(): number {
    return this.db.pragma('data_version', { simple: true }) as number;
  }

  private write<T>(fn: () => T): T {
    if (this.readonly) throw new RfmError('REGISTRY_ERROR', 'the registry is open read-only');
    try {
      return this.db.transaction(fn).immediate();
    } catch (e) {
      throw wrapSqlite(e, this.file);
    }
  }

  private modelId(name: string): number {
    const row = this.db.prepare('SELECT id FROM models WHERE name = ?').get(name) as { id: number } | undefined;
    if (!row) throw new RfmError('NOT_FOUND', `no model named "${name}" in this registry`);
    return row.id;
  }

  private versionId(modelName: string, version: number): number {
    const row = this.db
      .prepare('SELECT v.id FROM versions v JOIN models m ON m.id = v.model_id WHERE m.name = ? AND v.version = ?')
      .get(modelName, version) as { id: number } | undefined;
    if (!row) throw new RfmError('NOT_FOUND', `model "${modelName}" has no version ${version}`);
    return row.id;
  }

  /** Register a trained artifact as the next version; the first version becomes production. */
  register(input: RegisterInput): RegisterResult {
    checkName('model', input.modelName);
    const parsed = ArtifactV1Schema.safeParse(input.artifact);
    if (!parsed.success) {
      const issues = zodIssues(parsed.error, 'artifact');
      throw new RfmError(
        'INVALID_INPUT',
        `refusing to register an invalid artifact: ${issues[0]?.path}: ${issues[0]?.message}`,
        { issues },
      );
    }
    const a = parsed.data;
    const { bytes, sha256 } = serializeArtifact(a);
    return this.write(() => {
      const at = now();
      this.db
        .prepare('INSERT INTO models (name, created_at) VALUES (?, ?) ON CONFLICT(name) DO NOTHING')
        .run(input.modelName, at);
      const modelId = this.modelId(input.modelName);
      const next = (
        this.db.prepare('SELECT COALESCE(MAX(version), 0) + 1 AS v FROM versions WHERE model_id = ?').get(modelId) as {
          v: number;
        }
      ).v;
      const info = this.db
        .prepare(
          `INSERT INTO versions (model_id, version, created_at, created_by, description, k, params_json, metrics_json, data_json, training_json)
           VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?)`,
        )
        .run(
          modelId,
          next,
          at,
          input.actor,
          input.description ?? '',
          a.k,
          JSON.stringify(a.params),
          JSON.stringify(a.metrics),
          JSON.stringify(a.data),
          JSON.stringify(a.training),
        );
      const versionId = Number(info.lastInsertRowid);
      this.db
        .prepare('INSERT INTO artifacts (version_id, format, sha256, size, bytes) VALUES (?, ?, ?, ?, ?)')
        .run(versionId, ARTIFACT_FORMAT, sha256, bytes.length, bytes);
      if (input.features)
        this.db
          .prepare('INSERT INTO features (version_id, customers, encoding, bytes) VALUES (?, ?, ?, ?)')
          .run(versionId, input.features.cids.length, FEATURES_ENCODING, encodeFeatures(input.features));
      if (input.report)
        this.db
          .prepare('INSERT INTO reports (version_id, format, bytes) VALUES (?, ?, ?)')
          .run(versionId, 'html', Buffer.from(input.report, 'utf8'));
      for (const [k, v] of Object.entries(input.tags ?? {}))
        this.db
          .prepare('INSERT INTO tags (version_id, key, value) VALUES (?, ?, ?)')
          .run(versionId, checkTag(k), String(v));
      this.event(modelId, {
        actor: input.actor,
        action: input.importedFrom ? 'import' : 'register',
        alias: null,
        from: null,
        to: next,
        reason: input.reason ?? '',
        details: input.importedFrom,
      });
      const hasProd = this.db
        .prepare('SELECT 1 FROM aliases WHERE model_id = ? AND alias = ?')
        .get(modelId, PRODUCTION);
      const aliases: string[] = [];
      if (!hasProd || input.promote) {
        this.moveAlias(modelId, input.modelName, PRODUCTION, next, {
          actor: input.actor,
          reason: input.reason ?? (hasProd ? 'promoted at registration (--promote)' : 'first version of this model'),
        });
        aliases.push(PRODUCTION);
      }
      return { modelName: input.modelName, version: next, sha256, aliases };
    });
  }

  private event(
    modelId: number,
    e: {
      actor: string;
      action: string;
      alias: string | null;
      from: number | null;
      to: number | null;
      reason: string;
      ref?: number | null;
      details?: unknown;
    },
  ): number {
    const info = this.db
      .prepare(
        `INSERT INTO events (model_id, at, actor, action, alias, from_version, to_version, reason, ref_event_id, details_json)
         VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?)`,
      )
      .run(
        modelId,
        now(),
        e.actor,
        e.action,
        e.alias,
        e.from,
        e.to,
        e.reason,
        e.ref ?? null,
        e.details === undefined ? null : JSON.stringify(e.details),
      );
    return Number(info.lastInsertRowid);
  }

  private moveAlias(
    modelId: number,
    modelName: string,
    alias: string,
    version: number,
    by: ActorReason,
    action = 'alias_set',
    ref: number | null = null,
  ): AliasMove {
    const versionId = this.versionId(modelName, version);
    const cur = this.db
      .prepare(
        'SELECT v.version FROM aliases al JOIN versions v ON v.id = al.version_id WHERE al.model_id = ? AND al.alias = ?',
      )
      .get(modelId, alias) as { version: number } | undefined;
    this.db
      .prepare(
        `INSERT INTO aliases (model_id, alias, version_id, updated_at) VALUES (?, ?, ?, ?)
         ON CONFLICT(model_id, alias) DO UPDATE SET version_id = excluded.version_id, updated_at = excluded.updated_at`,
      )
      .run(modelId, alias, versionId, now());
    const eventId = this.event(modelId, {
      actor: by.actor,
      action,
      alias,
      from: cur?.version ?? null,
      to: version,
      reason: by.reason ?? '',
      ref,
    });
    return { modelName, alias, from: cur?.version ?? null, to: version, eventId };
  }

  /**
   * Point an alias at a version. `production` (the alias servers follow) only moves through
   * promote, so its policy is always checked, whichever door the request came through.
   */
  setAlias(modelName: string, alias: string, version: number, by: ActorReason & { force?: boolean }): AliasMove {
    checkName('alias', alias);
    if (alias === PRODUCTION) return this.promote(modelName, version, by);
    return this.setAliasUnchecked(modelName, alias, version, by);
  }

  private setAliasUnchecked(modelName: string, alias: string, version: number, by: ActorReason): AliasMove {
    return this.write(() => {
      const modelId = this.modelId(modelName);
      const status = this.get(modelName, version).status;
      if (status === 'archived')
        throw new RfmError('CONFLICT', `version ${version} of "${modelName}" is archived; it cannot hold an alias`);
      return this.moveAlias(modelId, modelName, alias, version, by);
    });
  }

  /**
   * Move production to a version after checking the model's promotion policy. A refusal lists
   * every failed rule with its numbers; `force` overrides it but needs a reason, and the override
   * and the failed rules are recorded with the event.
   */
  promote(
    modelName: string,
    version: number,
    by: ActorReason & { force?: boolean },
  ): AliasMove & { rules: RuleResult[]; forced: boolean } {
    return this.write(() => {
      const rules = this.checkPolicy(modelName, version);
      const failed = rules.filter((r) => !r.passed);
      if (failed.length && !by.force)
        throw new RfmError(
          'POLICY_REFUSED',
          `promotion of v${version} refused by policy: ${failed.map((r) => r.message).join('; ')}`,
          {
            issues: failed.map((r) => ({ path: r.rule, message: r.message })),
            details: { rules },
          },
        );
      if (failed.length && !by.reason?.trim())
        throw new RfmError(
          'INVALID_INPUT',
          'a forced promotion needs a reason (--reason "…") so the override is on record',
        );
      const move = this.setAliasUnchecked(modelName, PRODUCTION, version, by);
      const forced = failed.length > 0;
      this.db
        .prepare('UPDATE events SET details_json = ? WHERE id = ?')
        .run(JSON.stringify({ forced, rules }), move.eventId);
      return { ...move, rules, forced };
    });
  }

  /** Evaluate the promotion policy without moving anything. */
  checkPolicy(modelName: string, version: number): RuleResult[] {
    const cand = this.get(modelName, version);
    const prodV = this.resolveAlias(modelName, PRODUCTION);
    const prod = prodV === null ? null : this.get(modelName, prodV);
    return evaluatePolicy(
      this.policy(modelName),
      { version, metrics: cand.metrics, customers: cand.data.customers },
      prod && { version: prod.version, metrics: prod.metrics },
    );
  }

  policy(modelName: string): PromotionPolicy {
    const row = this.db
      .prepare('SELECT p.policy_json FROM policies p JOIN models m ON m.id = p.model_id WHERE m.name = ?')
      .get(modelName) as { policy_json: string } | undefined;
    return row ? PromotionPolicySchema.parse(JSON.parse(row.policy_json)) : { ...DEFAULT_POLICY };
  }

  setPolicy(modelName: string, change: Partial<PromotionPolicy>, by: ActorReason): PromotionPolicy {
    return this.write(() => {
      const modelId = this.modelId(modelName);
      const before = this.policy(modelName);
      const r = PromotionPolicySchema.safeParse({ ...before, ...change });
      if (!r.success)
        throw new RfmError(
          'INVALID_INPUT',
          `invalid policy: ${zodIssues(r.error)[0]?.path}: ${zodIssues(r.error)[0]?.message}`,
          { issues: zodIssues(r.error) },
        );
      this.db
        .prepare(
          'INSERT INTO policies (model_id, policy_json, updated_at) VALUES (?, ?, ?) ON CONFLICT(model_id) DO UPDATE SET policy_json = excluded.policy_json, updated_at = excluded.updated_at',
        )
        .run(modelId, JSON.stringify(r.data), now());
      this.event(modelId, {
        actor: by.actor,
        action: 'policy',
        alias: null,
        from: null,
        to: null,
        reason: by.reason ?? '',
        details: { before, after: r.data },
      });
      return r.data;
    });
  }

  /** Remove an alias (never `production` while it is the only thing serving: use promote/rollback). */
  deleteAlias(modelName: string, alias: string, by: ActorReason): { modelName: string; alias: string; from: number } {
    checkName('alias', alias);
    if (alias === PRODUCTION)
      throw new RfmError(
        'CONFLICT',
        'the production alias cannot be deleted; promote another version or roll back instead',
      );
    return this.write(() => {
      const modelId = this.modelId(modelName);
      const cur = this.resolveAlias(modelName, alias);
      if (cur === null) throw new RfmError('NOT_FOUND', `model "${modelName}" has no alias "${alias}"`);
      this.db.prepare('DELETE FROM aliases WHERE model_id = ? AND alias = ?').run(modelId, alias);
      this.event(modelId, {
        actor: by.actor,
        action: 'alias_delete',
        alias,
        from: cur,
        to: null,
        reason: by.reason ?? '',
      });
      return { modelName, alias, from: cur };
    });
  }

  private refuseIfAliased(modelName: string, version: number, what: string): VersionRecord {
    const rec = this.get(modelName, version);
    if (rec.aliases.length)
      throw new RfmError(
        'CONFLICT',
        `v${version} of "${modelName}" holds alias ${rec.aliases.map((a) => `"${a}"`).join(', ')}; move the alias before you ${what} it`,
      );
    return rec;
  }

  archive(modelName: string, version: number, by: ActorReason): VersionRecord {
    return this.write(() => {
      const rec = this.refuseIfAliased(modelName, version, 'archive');
      if (rec.status === 'archived') return rec;
      this.db.prepare("UPDATE versions SET status = 'archived' WHERE id = ?").run(this.versionId(modelName, version));
      this.event(this.modelId(modelName), {
        actor: by.actor,
        action: 'archive',
        alias: null,
        from: version,
        to: null,
        reason: by.reason ?? '',
      });
      return this.get(modelName, version);
    });
  }

  unarchive(modelName: string, version: number, by: ActorReason): VersionRecord {
    return this.write(() => {
      const rec = this.get(modelName, version);
      if (rec.status === 'candidate') return rec;
      this.db.prepare("UPDATE versions SET status = 'candidate' WHERE id = ?").run(this.versionId(modelName, version));
      this.event(this.modelId(modelName), {
        actor: by.actor,
        action: 'unarchive',
        alias: null,
        from: null,
        to: version,
        reason: by.reason ?? '',
      });
      return this.get(modelName, version);
    });
  }

  /** Delete a version and its artifact for good; its events stay in the history. */
  deleteVersion(modelName: string, version: number, by: ActorReason): void {
    this.write(() => {
      const rec = this.refuseIfAliased(modelName, version, 'delete');
      this.db.prepare('DELETE FROM versions WHERE id = ?').run(this.versionId(modelName, version));
      this.event(this.modelId(modelName), {
        actor: by.actor,
        action: 'delete',
        alias: null,
        from: version,
        to: null,
        reason: by.reason ?? '',
        details: { sha256: rec.artifact.sha256 },
      });
    });
  }

  /** Archive old candidates that hold no alias, keeping the newest `keep` of them. */
  gc(modelName: string, keep: number, by: ActorReason): number[] {
    return this.write(() => {
      const candidates = this.list(modelName)
        .filter((v) => v.status === 'candidate' && v.aliases.length === 0)
        .sort((a, b) => b.version - a.version);
      const old = candidates.slice(keep).map((v) => v.version);
      for (const v of old) this.archive(modelName, v, { actor: by.actor, reason: by.reason || `gc --keep ${keep}` });
      return old.sort((a, b) => a - b);
    });
  }

  setDescription(modelName: string, version: number, description: string, by: ActorReason): void {
    this.write(() => {
      const before = this.get(modelName, version).description;
      this.db
        .prepare('UPDATE versions SET description = ? WHERE id = ?')
        .run(description, this.versionId(modelName, version));
      this.event(this.modelId(modelName), {
        actor: by.actor,
        action: 'describe',
        alias: null,
        from: null,
        to: version,
        reason: by.reason ?? '',
        details: { before, after: description },
      });
    });
  }

  tags(modelName: string, version: number): Record<string, string> {
    const rows = this.db
      .prepare('SELECT key, value FROM tags WHERE version_id = ? ORDER BY key')
      .all(this.versionId(modelName, version)) as { key: string; value: string }[];
    return Object.fromEntries(rows.map((r) => [r.key, r.value]));
  }

  /** Set (value string) or remove (value null) one tag. */
  setTag(
    modelName: string,
    version: number,
    key: string,
    value: string | null,
    by: ActorReason,
  ): Record<string, string> {
    checkTag(key);
    return this.write(() => {
      const vid = this.versionId(modelName, version);
      const before = this.tags(modelName, version)[key] ?? null;
      if (value === null) this.db.prepare('DELETE FROM tags WHERE version_id = ? AND key = ?').run(vid, key);
      else
        this.db
          .prepare(
            'INSERT INTO tags (version_id, key, value) VALUES (?, ?, ?) ON CONFLICT(version_id, key) DO UPDATE SET value = excluded.value',
          )
          .run(vid, key, value);
      this.event(this.modelId(modelName), {
        actor: by.actor,
        action: 'tag',
        alias: null,
        from: null,
        to: version,
        reason: by.reason ?? '',
        details: { key, before, after: value },
      });
      return this.tags(modelName, version);
    });
  }

  labels(modelName: string, version: number): Record<number, string> {
    const rows = this.db
      .prepare('SELECT cluster, name FROM labels WHERE version_id = ? ORDER BY cluster')
      .all(this.versionId(modelName, version)) as { cluster: number; name: string }[];
    return Object.fromEntries(rows.map((r) => [r.cluster, r.name]));
  }

  /** A person renames one segment of one version; the artifact stays as trained (its sha256 too). */
  relabel(
    modelName: string,
    version: number,
    cluster: number,
    name: string,
    by: ActorReason,
  ): { cluster: number; from: string; to: string } {
    const label = name.trim();
    if (!label || label.length > 64)
      throw new RfmError('INVALID_INPUT', 'a segment name must be 1–64 characters', {
        issues: [{ path: 'name', message: 'length 1–64', found: String(name.length) }],
      });
    return this.write(() => {
      const model = this.loadModel(modelName, version);
      const seg = model.artifact.segments.find((s) => s.cluster === cluster);
      if (!seg)
        throw new RfmError(
          'INVALID_INPUT',
          `v${version} has clusters 0–${model.artifact.k - 1}; there is no cluster ${cluster}`,
          {
            issues: [
              {
                path: 'cluster',
                message: 'no such cluster',
                expected: `0–${model.artifact.k - 1}`,
                found: String(cluster),
              },
            ],
          },
        );
      const clash = model.artifact.segments.find(
        (s) => s.cluster !== cluster && s.name.toLowerCase() === label.toLowerCase(),
      );
      if (clash)
        throw new RfmError(
          'CONFLICT',
          `cluster ${clash.cluster} of v${version} is already named "${clash.name}"; segment names are unique within a version`,
        );
      this.db
        .prepare(
          'INSERT INTO labels (version_id, cluster, name) VALUES (?, ?, ?) ON CONFLICT(version_id, cluster) DO UPDATE SET name = excluded.name',
        )
        .run(this.versionId(modelName, version), cluster, label);
      this.event(this.modelId(modelName), {
        actor: by.actor,
        action: 'relabel',
        alias: null,
        from: null,
        to: version,
        reason: by.reason ?? '',
        details: { cluster, before: seg.name, after: label },
      });
      return { cluster, from: seg.name, to: label };
    });
  }

  /**
   * What serving loads: the verified artifact with a person's relabels applied, and a revision
   * string that changes when the artifact or its labels do (so a relabel triggers a reload).
   */
  loadModel(modelName: string, version: number): LoadedModel {
    const { bytes, sha256 } = this.artifactBytes(modelName, version);
    const artifact = parseArtifact(bytes, sha256);
    const labels = this.labels(modelName, version);
    const segments = artifact.segments.map((s) => (labels[s.cluster] ? { ...s, name: labels[s.cluster]! } : s));
    return {
      modelName,
      version,
      sha256,
      artifact: { ...artifact, segments },
      revision: `${sha256}:${sha256Hex(JSON.stringify(labels)).slice(0, 12)}`,
    };
  }

  /** The HTML training report stored with a version, or null. */
  report(modelName: string, version: number): string | null {
    const row = this.db
      .prepare('SELECT bytes FROM reports WHERE version_id = ?')
      .get(this.versionId(modelName, version)) as { bytes: Buffer } | undefined;
    return row ? row.bytes.toString('utf8') : null;
  }

  /** Attach (or replace) the HTML report of a version, e.g. one rendered after registration. */
  setReport(modelName: string, version: number, html: string): void {
    this.write(() => {
      this.db
        .prepare(
          'INSERT INTO reports (version_id, format, bytes) VALUES (?, ?, ?) ON CONFLICT(version_id) DO UPDATE SET bytes = excluded.bytes',
        )
        .run(this.versionId(modelName, version), 'html', Buffer.from(html, 'utf8'));
    });
  }

  /** Training customers stored with a version, or null for versions registered without them. */
  features(modelName: string, version: number): TrainingFeatures | null {
    const row = this.db
      .prepare('SELECT encoding, bytes FROM features WHERE version_id = ?')
      .get(this.versionId(modelName, version)) as { encoding: string; bytes: Buffer } | undefined;
    if (!row) return null;
    if (row.encoding !== FEATURES_ENCODING)
      throw new RfmError('REGISTRY_ERROR', `features of v${version} use unknown encoding ${row.encoding}`);
    return decodeFeatures(row.bytes);
  }

  /** One version as a self-describing file (see export-file.ts). */
  exportVersion(modelName: string, version: number): Buffer {
    const rec = this.get(modelName, version);
    const { bytes, sha256 } = this.artifactBytes(modelName, version);
    parseArtifact(bytes, sha256); // never export a damaged artifact
    const f = this.db
      .prepare('SELECT encoding, bytes FROM features WHERE version_id = ?')
      .get(this.versionId(modelName, version)) as { encoding: string; bytes: Buffer } | undefined;
    return writeExportFile({
      exported_at: now(),
      source: { model: modelName, version },
      description: rec.description,
      created_at: rec.createdAt,
      created_by: rec.createdBy,
      tags: this.tags(modelName, version),
      labels: Object.fromEntries(Object.entries(this.labels(modelName, version)).map(([k, v]) => [String(k), v])),
      artifact_sha256: sha256,
      artifact_base64: bytes.toString('base64'),
      features: f ? { encoding: f.encoding, base64: f.bytes.toString('base64') } : null,
    });
  }

  /** Verify an export file completely, then register it as the next version of `modelName`. */
  importVersion(
    file: Buffer,
    opts: { modelName?: string; actor: string; reason?: string; fileLabel?: string },
  ): RegisterResult {
    const { payload, artifact } = readExportFile(file, opts.fileLabel ?? 'export file');
    const features = payload.features ? decodeFeatures(Buffer.from(payload.features.base64, 'base64')) : undefined;
    const modelName = opts.modelName ?? payload.source.model;
    return this.write(() => {
      const res = this.register({
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
      const vid = this.versionId(modelName, res.version);
      for (const [c, name] of Object.entries(payload.labels))
        this.db.prepare('INSERT INTO labels (version_id, cluster, name) VALUES (?, ?, ?)').run(vid, Number(c), name);
      return res;
    });
  }

  /** Side-by-side comparison; assignments are compared on the newer version's training customers. */
  compare(modelName: string, a: number, b: number): VersionComparison {
    const ma = this.loadModel(modelName, a);
    const mb = this.loadModel(modelName, b);
    const newer = Math.max(a, b);
    return compareVersions(ma, mb, this.features(modelName, newer));
  }

  /** Check every stored artifact against its sha256 and schema. */
  verify(modelName?: string): { model: string; version: number; ok: boolean; error?: string }[] {
    const names = modelName ? [modelName] : this.models().map((m) => m.name);
    return names.flatMap((name) =>
      this.list(name).map((v) => {
        try {
          this.loadArtifact(name, v.version);
          return { model: name, version: v.version, ok: true };
        } catch (e) {
          return { model: name, version: v.version, ok: false, error: (e as Error).message };
        }
      }),
    );
  }

  /**
   * Undo the latest alias move that has not been undone yet: the alias goes back to the version
   * it held before it. Repeatable: each rollback steps one move further back in history.
   */
  rollback(modelName: string, by: ActorReason & { alias?: string }): AliasMove {
    const alias = by.alias ?? PRODUCTION;
    checkName('alias', alias);
    return this.write(() => {
      const modelId = this.modelId(modelName);
      const rows = this.db
        .prepare(
          `SELECT id, action, from_version, to_version, ref_event_id FROM events WHERE model_id = ? AND alias = ? ORDER BY id DESC`,
        )
        .all(modelId, alias) as {
        id: number;
        action: string;
        from_version: number | null;
        to_version: number | null;
        ref_event_id: number | null;
      }[];
      const undone = new Set(
        rows.filter((r) => r.action === 'rollback' && r.ref_event_id !== null).map((r) => r.ref_event_id),
      );
      const target = rows.find((r) => (r.action === 'alias_set' || r.action === 'alias_delete') && !undone.has(r.id));
      if (!target)
        throw new RfmError('CONFLICT', `alias "${alias}" of "${modelName}" has no earlier version to roll back to`);
      if (target.from_version === null)
        throw new RfmError(
          'CONFLICT',
          `alias "${alias}" of "${modelName}" had no version before ${target.to_version}; nothing to roll back to`,
        );
      return this.moveAlias(modelId, modelName, alias, target.from_version, by, 'rollback', target.id);
    });
  }

  /** Version an alias points at, or null. */
  resolveAlias(modelName: string, alias: string): number | null {
    const row = this.db
      .prepare(
        `SELECT v.version FROM aliases al JOIN models m ON m.id = al.model_id JOIN versions v ON v.id = al.version_id
          WHERE m.name = ? AND al.alias = ?`,
      )
      .get(modelName, alias) as { version: number } | undefined;
    return row?.version ?? null;
  }

  models(): { name: string; versions: number; aliases: Record<string, number> }[] {
    const rows = this.db
      .prepare(
        'SELECT m.id, m.name, (SELECT COUNT(*) FROM versions v WHERE v.model_id = m.id) AS n FROM models m ORDER BY m.name',
      )
      .all() as {
      id: number;
      name: string;
      n: number;
    }[];
    return rows.map((r) => {
      const al = this.db
        .prepare(
          'SELECT al.alias, v.version FROM aliases al JOIN versions v ON v.id = al.version_id WHERE al.model_id = ? ORDER BY al.alias',
        )
        .all(r.id) as {
        alias: string;
        version: number;
      }[];
      return { name: r.name, versions: r.n, aliases: Object.fromEntries(al.map((a) => [a.alias, a.version])) };
    });
  }

  list(modelName: string): VersionRecord[] {
    const rows = this.db
      .prepare(`${VERSION_SELECT} WHERE m.name = ? ORDER BY v.version`)
      .all(modelName) as VersionRow[];
    return rows.map(toRecord);
  }

  get(modelName: string, version: number): VersionRecord {
    const row = this.db.prepare(`${VERSION_SELECT} WHERE m.name = ? AND v.version = ?`).get(modelName, version) as
      | VersionRow
      | undefined;
    if (!row) throw new RfmError('NOT_FOUND', `model "${modelName}" has no version ${version}`);
    return toRecord(row);
  }

  /** Raw artifact bytes and their recorded sha256 (not verified: see loadArtifact). */
  artifactBytes(modelName: string, version: number): { bytes: Buffer; sha256: string } {
    const row = this.db
      .prepare(
        `SELECT a.bytes, a.sha256 FROM artifacts a JOIN versions v ON v.id = a.version_id JOIN models m ON m.id = v.model_id
          WHERE m.name = ? AND v.version = ?`,
      )
      .get(modelName, version) as { bytes: Buffer; sha256: string } | undefined;
    if (!row) throw new RfmError('NOT_FOUND', `model "${modelName}" has no version ${version}`);
    return row;
  }

  /** The artifact, verified against its sha256 and the v1 schema. */
  loadArtifact(modelName: string, version: number): ArtifactV1 {
    const { bytes, sha256 } = this.artifactBytes(modelName, version);
    return parseArtifact(bytes, sha256);
  }

  history(modelName: string, opts: { alias?: string; limit?: number } = {}): EventRecord[] {
    const modelId = this.modelId(modelName);
    const rows = this.db
      .prepare(
        `SELECT id, at, actor, action, alias, from_version, to_version, reason, ref_event_id FROM events
          WHERE model_id = ? AND (? IS NULL OR alias = ?) ORDER BY id DESC LIMIT ?`,
      )
      .all(modelId, opts.alias ?? null, opts.alias ?? null, opts.limit ?? 1000) as {
      id: number;
      at: string;
      actor: string;
      action: string;
      alias: string | null;
      from_version: number | null;
      to_version: number | null;
      reason: string;
      ref_event_id: number | null;
    }[];
    return rows.map((r) => ({
      id: r.id,
      modelName,
      at: r.at,
      actor: r.actor,
      action: r.action,
      alias: r.alias,
      fromVersion: r.from_version,
      toVersion: r.to_version,
      reason: r.reason,
      refEventId: r.ref_event_id,
    }));
  }

  integrityCheck(): string[] {
    return (this.db.pragma('integrity_check') as { integrity_check: string }[]).map((r) => r.integrity_check);
  }
}

function closeQuietly(db: Database.Database | undefined): void {
  try {
    if (db?.open) db.close();
  } catch {
    // already failing: the first error is the one to report
  }
}

/** Bytes free for this user on the registry's file system, or null when unknown. */
function freeBytes(file: string): number | null {
  try {
    const s = statfsSync(dirname(file));
    return s.bavail * s.bsize;
  } catch {
    return null;
  }
}

/** Why the registry (or, before it exists, its folder) cannot be written, in words; null if it can. */
function unwritable(file: string): string | null {
  try {
    accessSync(existsSync(file) ? file : dirname(file), fsConstants.W_OK);
    return null;
  } catch (e) {
    const code = (e as NodeJS.ErrnoException).code;
    if (code === 'EROFS') return 'is on a read-only file system';
    if (code === 'EACCES' || code === 'EPERM') return 'is not writable by this user';
    return null;
  }
}

/**
 * SQLite failures → REGISTRY_ERROR; never a raw stack to the user. Messages never name the file:
 * servers send them to anonymous clients (readiness, 404s); the CLI adds the path it opened.
 * I/O errors
 * are told apart by looking at the file system: SQLite reports a full disk while it sizes its
 * shared-memory file as a plain "disk I/O error", and a read-only mount as "unable to open".
 */
function wrapSqlite(e: unknown, file: string): RfmError {
  if (e instanceof RfmError) return e;
  const err = e as { code?: string; message?: string };
  const code = err?.code ?? '';
  if (code === 'SQLITE_FULL' || code.startsWith('SQLITE_IOERR') || code === 'SQLITE_CANTOPEN') {
    const free = freeBytes(file);
    if (free !== null && free < 1024 * 1024)
      return new RfmError(
        'REGISTRY_ERROR',
        `the registry's disk is full (${free.toLocaleString('en-US')} bytes free); nothing was written`,
        { cause: e },
      );
    if (code === 'SQLITE_FULL')
      return new RfmError(
        'REGISTRY_ERROR',
        `the registry is full (a size limit was reached, though the disk has room); nothing was written`,
        { cause: e },
      );
    const ro = unwritable(file);
    if (ro) return new RfmError('REGISTRY_ERROR', `the registry ${ro}; nothing was written`, { cause: e });
  }
  if (code === 'SQLITE_CANTOPEN')
    return new RfmError('REGISTRY_ERROR', `cannot open the registry: ${err.message}`, { cause: e });
  if (code === 'SQLITE_READONLY')
    return new RfmError('REGISTRY_ERROR', 'the registry is read-only; nothing was written', { cause: e });
  if (code === 'SQLITE_BUSY')
    return new RfmError(
      'REGISTRY_ERROR',
      'the registry stayed locked by another process for 10 s; nothing was written',
      { cause: e },
    );
  if (code === 'SQLITE_NOTADB' || code === 'SQLITE_CORRUPT')
    return new RfmError('REGISTRY_ERROR', `the registry file is not a valid rfm registry (${err.message})`, {
      cause: e,
    });
  if (code.startsWith('SQLITE_')) return new RfmError('REGISTRY_ERROR', `registry: ${err.message}`, { cause: e });
  return new RfmError('INTERNAL', 'internal error', { cause: e });
}
