import { setTimeout as sleep } from 'node:timers/promises';
import type Database from 'better-sqlite3';
import { isRfmError, RfmError, type ArtifactV1 } from '@rfm/shared';
import { checkName, PRODUCTION } from './names.js';
import { lockModel, moveAlias, checkServable } from './aliases.js';
import { loadModel, loadVerifiedArtifact } from './artifacts.js';
import { compareVersions, type VersionComparison } from './compare.js';
import { history } from './events.js';
import { eraseCustomer, type ErasureResult, type RunRewriter } from './erasure.js';
import { decodeFeatures, FEATURES_ENCODING, type TrainingFeatures } from './features-blob.js';
import * as life from './lifecycle.js';
import { parseLocation, type RegistryLocation } from './location.js';
import { checkPolicy, policyOf, promote, setPolicy, type Promotion } from './promote.js';
import type { PromotionPolicy, RuleResult } from './policy.js';
import {
  artifactBytes,
  getVersion,
  labelsOf,
  listVersions,
  modelId,
  resolveAlias,
  tagsOf,
  versionId,
} from './records.js';
import { prepareRegistration, registerPrepared } from './register.js';
import * as jobs from './run-jobs.js';
import { gcRuns, type RunsGcOptions, type RunsGcResult } from './retention.js';
import { rollback, type SkippedTarget } from './rollback.js';
import * as runs from './runs.js';
import type { NewRun, RunRecord } from './runs.js';
import type { PostgresStore } from './store/postgres.js';
import { setWebhook, webhookOf } from './webhooks.js';
import { SqliteStore } from './store/sqlite.js';
import type { Db, Store } from './store/store.js';
import { exportVersion, importPrepared, prepareImport, type ImportOptions } from './transfer.js';
import type {
  ActorReason,
  AliasMove,
  EventRecord,
  LoadedModel,
  RegisterInput,
  RegisterResult,
  VersionRecord,
} from './types.js';

export { PRODUCTION };

export interface OpenOptions {
  /** SQLite: how long one attempt waits for another writer's lock (ms) before backing off and retrying */
  busyTimeoutMs?: number;
  /** how long a finished write keeps retrying a busy registry before giving up (ms) */
  retryForMs?: number;
}

/**
 * The model registry: every version's artifact (bytes + sha256), the aliases that point at
 * versions, and an append-only event log of every alias move, in a SQLite file or a PostgreSQL
 * database. The rules live in small modules (register.ts, promote.ts, rollback.ts, aliases.ts,
 * lifecycle.ts, transfer.ts) written once over a Store; this class opens the store and runs each
 * public operation as one transaction.
 */
export class Registry {
  private constructor(
    private readonly store: Store,
    private readonly retryForMs: number,
  ) {}

  /** Open (creating and migrating if needed) for reading and writing. */
  static async open(location: string, opts: OpenOptions = {}): Promise<Registry> {
    const loc = parseLocation(location);
    return new Registry(await openStore(loc, false, opts), opts.retryForMs ?? 120_000);
  }

  /** Open an existing registry read-only (servers, listings); never migrates or creates anything. */
  static async openReadOnly(location: string, opts: OpenOptions = {}): Promise<Registry> {
    const loc = parseLocation(location);
    return new Registry(await openStore(loc, true, opts), 0);
  }

  /** Where the registry is, safe to print (a path, or a URL without its password). Never in error messages. */
  get location(): string {
    return this.store.location;
  }

  get kind(): Store['kind'] {
    return this.store.kind;
  }

  get readonly(): boolean {
    return this.store.readonly;
  }

  async close(): Promise<void> {
    await this.store.close();
  }

  /** Changes whenever the registry changed (the cheap hot-reload poll). */
  async changeToken(): Promise<string> {
    return this.store.changeToken();
  }

  /**
   * Changes only when what a server serves may have changed: aliases, labels, artifacts or
   * versions (a counter bumped by triggers in the writing transaction, on both back ends). Saved
   * runs, events, tags, policies and run jobs leave it alone, so servers polling it never reload
   * the model because a run was saved.
   */
  async modelStateToken(): Promise<string> {
    try {
      return await this.read(async (db) => {
        const row = await db.selectFrom('model_state').select('token').where('id', '=', 1).executeTakeFirst();
        return String(row?.token ?? 0);
      });
    } catch (e) {
      // created by another process but not migrated yet: an empty registry, not a failure
      if ((await this.store.schemaVersion().catch(() => -1)) === 0) return 'unmigrated';
      throw e;
    }
  }

  /**
   * Hear of changes as they are committed: on PostgreSQL a LISTEN connection calls `onChange` for
   * every alias move or relabel (and after each reconnection, to catch up); `onState` says whether
   * it is connected. Returns the function that stops it; null on SQLite, where servers poll
   * `changeToken()` (PRAGMA data_version) instead.
   */
  follow(onChange: () => void, onState: (connected: boolean, error?: string) => void): (() => Promise<void>) | null {
    return this.store.kind === 'postgres' ? (this.store as PostgresStore).listen(onChange, onState) : null;
  }

  /** Schema version stored (0: created by another process but not migrated yet: reads as empty). */
  async schemaVersion(): Promise<number> {
    return this.store.schemaVersion();
  }

  /**
   * Run one write transaction. A busy registry (another writer held the lock past the busy
   * timeout) is retried with back-off instead of losing finished work; everything expensive was
   * prepared by the caller before, so each attempt holds the lock only briefly.
   */
  private async write<T>(fn: (trx: Db) => Promise<T>): Promise<T> {
    const deadline = Date.now() + this.retryForMs;
    for (let attempt = 0; ; attempt++) {
      try {
        return await this.store.write(fn);
      } catch (e) {
        if (!isBusy(e) || Date.now() >= deadline) throw e;
        await sleep(Math.min(2000, 50 * 2 ** attempt) * (0.5 + Math.random()));
      }
    }
  }

  private read<T>(fn: (db: Db) => Promise<T>): Promise<T> {
    return this.store.read(fn);
  }

  /** Register a trained artifact as the next version; the first version becomes production. */
  async register(input: RegisterInput): Promise<RegisterResult> {
    const p = prepareRegistration(input);
    const { versionId: _id, ...res } = await this.write((trx) => registerPrepared(this.store, trx, p));
    return res;
  }

  /**
   * Point an alias at a version. `production` (the alias servers follow) only moves through
   * promote, so its policy is always checked, whichever door the request came through. The
   * artifact is verified before any alias moves.
   */
  async setAlias(
    modelName: string,
    alias: string,
    version: number,
    by: ActorReason & { force?: boolean },
  ): Promise<AliasMove> {
    checkName('alias', alias);
    if (alias === PRODUCTION) return this.promote(modelName, version, by);
    return this.write(async (trx) => {
      const model = await lockModel(this.store, trx, modelName);
      await checkServable(trx, modelName, version);
      return moveAlias(this.store, trx, { id: model.id, name: modelName }, alias, version, by);
    });
  }

  /** Move production after verifying the artifact and checking the model's policy (see promote.ts). */
  async promote(modelName: string, version: number, by: ActorReason & { force?: boolean }): Promise<Promotion> {
    return this.write((trx) => promote(this.store, trx, modelName, version, by));
  }

  /** Evaluate the promotion policy without moving anything. */
  async checkPolicy(modelName: string, version: number): Promise<RuleResult[]> {
    return this.read((db) => checkPolicy(db, modelName, version));
  }

  async policy(modelName: string): Promise<PromotionPolicy> {
    return this.read((db) => policyOf(db, modelName));
  }

  async setPolicy(modelName: string, change: Partial<PromotionPolicy>, by: ActorReason): Promise<PromotionPolicy> {
    return this.write((trx) => setPolicy(this.store, trx, modelName, change, by));
  }

  /** Remove an alias (never `production`: promote another version or roll back instead). */
  async deleteAlias(
    modelName: string,
    alias: string,
    by: ActorReason,
  ): Promise<{ modelName: string; alias: string; from: number }> {
    checkName('alias', alias);
    return this.write((trx) => life.deleteAlias(this.store, trx, modelName, alias, by));
  }

  async archive(modelName: string, version: number, by: ActorReason): Promise<VersionRecord> {
    return this.write((trx) => life.archive(this.store, trx, modelName, version, by));
  }

  async unarchive(modelName: string, version: number, by: ActorReason): Promise<VersionRecord> {
    return this.write((trx) => life.unarchive(this.store, trx, modelName, version, by));
  }

  /** Delete a version and its artifact for good; its events stay and its number is never reused. */
  async deleteVersion(modelName: string, version: number, by: ActorReason): Promise<void> {
    await this.write((trx) => life.deleteVersion(this.store, trx, modelName, version, by));
  }

  /** Archive old candidates that hold no alias, keeping the newest `keep` of them. */
  async gc(modelName: string, keep: number, by: ActorReason): Promise<number[]> {
    return this.write((trx) => life.gc(this.store, trx, modelName, keep, by));
  }

  async setDescription(modelName: string, version: number, description: string, by: ActorReason): Promise<void> {
    await this.write((trx) => life.setDescription(this.store, trx, modelName, version, description, by));
  }

  async tags(modelName: string, version: number): Promise<Record<string, string>> {
    return this.read((db) => tagsOf(db, modelName, version));
  }

  /** Set (value string) or remove (value null) one tag. */
  async setTag(
    modelName: string,
    version: number,
    key: string,
    value: string | null,
    by: ActorReason,
  ): Promise<Record<string, string>> {
    return this.write((trx) => life.setTag(this.store, trx, modelName, version, key, value, by));
  }

  async labels(modelName: string, version: number): Promise<Record<number, string>> {
    return this.read((db) => labelsOf(db, modelName, version));
  }

  /** A person renames one segment of one version; the artifact stays as trained (its sha256 too). */
  async relabel(
    modelName: string,
    version: number,
    cluster: number,
    name: string,
    by: ActorReason,
  ): Promise<{ cluster: number; from: string; to: string }> {
    return this.write((trx) => life.relabel(this.store, trx, modelName, version, cluster, name, by));
  }

  /** What serving loads: the verified artifact with relabels applied, and its revision. */
  async loadModel(modelName: string, version: number): Promise<LoadedModel> {
    return this.read((db) => loadModel(db, modelName, version));
  }

  /** The HTML training report stored with a version, or null. */
  async report(modelName: string, version: number): Promise<string | null> {
    return this.read(async (db) => {
      const row = await db
        .selectFrom('reports')
        .select('bytes')
        .where('version_id', '=', await versionId(db, modelName, version))
        .executeTakeFirst();
      return row ? Buffer.from(row.bytes).toString('utf8') : null;
    });
  }

  /** Attach (or replace) the HTML report of a version, e.g. one rendered after registration. */
  async setReport(modelName: string, version: number, html: string): Promise<void> {
    await this.write((trx) => life.setReport(trx, modelName, version, html));
  }

  /** Training customers stored with a version, or null for versions registered without them. */
  async features(modelName: string, version: number): Promise<TrainingFeatures | null> {
    return this.read(async (db) => {
      const row = await db
        .selectFrom('features')
        .select(['encoding', 'bytes'])
        .where('version_id', '=', await versionId(db, modelName, version))
        .executeTakeFirst();
      if (!row) return null;
      if (row.encoding !== FEATURES_ENCODING)
        throw new RfmError('REGISTRY_ERROR', `features of v${version} use unknown encoding ${row.encoding}`);
      return decodeFeatures(Buffer.from(row.bytes));
    });
  }

  /** One version as a self-describing file (see export-file.ts). */
  async exportVersion(modelName: string, version: number): Promise<Buffer> {
    return this.read((db) => exportVersion(db, modelName, version));
  }

  /** Verify an export file completely, then register it as the next version of its model. */
  async importVersion(file: Buffer, opts: ImportOptions): Promise<RegisterResult> {
    const p = prepareImport(file, opts);
    return this.write((trx) => importPrepared(this.store, trx, p));
  }

  /** Side-by-side comparison; assignments are compared on the newer version's training customers. */
  async compare(modelName: string, a: number, b: number): Promise<VersionComparison> {
    const ma = await this.loadModel(modelName, a);
    const mb = await this.loadModel(modelName, b);
    return compareVersions(ma, mb, await this.features(modelName, Math.max(a, b)));
  }

  /** Check every stored artifact against its sha256 and schema. */
  async verify(modelName?: string): Promise<{ model: string; version: number; ok: boolean; error?: string }[]> {
    const names = modelName ? [modelName] : (await this.models()).map((m) => m.name);
    const out: { model: string; version: number; ok: boolean; error?: string }[] = [];
    for (const name of names)
      for (const v of await this.list(name)) {
        try {
          await this.loadArtifact(name, v.version);
          out.push({ model: name, version: v.version, ok: true });
        } catch (e) {
          out.push({ model: name, version: v.version, ok: false, error: (e as Error).message });
        }
      }
    return out;
  }

  /** Keep a scoring run (facts, per-segment summary, customers blob); one transaction with its `run_save` event. */
  async saveRun(input: NewRun, actor: string): Promise<RunRecord> {
    return this.write((trx) => runs.saveRun(trx, input, actor));
  }

  /** Saved runs, newest first (without their customers); of one model when `model` is given. */
  async listRuns(opts: { model?: string } = {}): Promise<RunRecord[]> {
    return this.read((db) => runs.listRuns(db, opts));
  }

  /** One saved run; NOT_FOUND naming the id when there is none. */
  async getRun(id: string): Promise<RunRecord> {
    return this.read((db) => runs.getRun(db, id));
  }

  /** The run's customers blob, in the run's `customersEncoding` (decoded by @rfm/runs). */
  async runCustomers(id: string): Promise<Uint8Array> {
    return this.read((db) => runs.runCustomers(db, id));
  }

  /** Delete a saved run; its `run_delete` event stays in the audit trail. */
  async deleteRun(id: string, actor: string): Promise<RunRecord> {
    return this.write((trx) => runs.deleteRun(trx, id, actor));
  }

  /**
   * Changes whenever any saved run was saved, deleted or rewritten (a counter bumped by triggers
   * on runs, both back ends): what a customer-lookup index checks, one primary-key read, per request.
   */
  async runsStateToken(): Promise<string> {
    return this.read(async (db) => {
      const row = await db.selectFrom('runs_state').select('token').where('id', '=', 1).executeTakeFirst();
      return String(row?.token ?? 0);
    });
  }

  /**
   * Erase one customer from every saved run (through `rewrite`: the runs' encoding is @rfm/runs')
   * and every version's training customers, in one transaction with a `customer_erase` event per
   * model that names a keyed hash, never the id (erasure.ts); then reclaim the freed storage. A
   * customer in nothing who was never erased is NOT_FOUND and nothing changes; one erased before is
   * reported (`erasedBefore`) with `changed: false`.
   */
  async eraseCustomer(
    cid: string,
    rewrite: RunRewriter,
    by: { actor: string; reason?: string },
  ): Promise<ErasureResult & { storage: { complete: boolean; detail: string } | null }> {
    const out = await this.write(async (trx) => {
      const r = await eraseCustomer(trx, cid, rewrite, { actor: by.actor, reason: by.reason ?? '' });
      if (!r.changed && !r.erasedBefore.length)
        throw new RfmError(
          'NOT_FOUND',
          'that customer is in no saved run and no version’s training customers, and was never erased: nothing changed',
        );
      return r;
    });
    const storage = out.changed ? await this.store.reclaim(['runs', 'features', 'run_jobs']) : null;
    return { ...out, storage };
  }

  /** Delete saved runs past an age or beyond the newest N per model, and old finished jobs (retention.ts). */
  async gcRuns(
    opts: RunsGcOptions,
    actor: string,
  ): Promise<RunsGcResult & { storage: { complete: boolean; detail: string } | null }> {
    const out = opts.dryRun
      ? await this.read((db) => gcRuns(db, opts, actor))
      : await this.write((trx) => gcRuns(trx, opts, actor));
    const storage =
      !out.dryRun && (out.runs.length || out.jobs) ? await this.store.reclaim(['runs', 'run_jobs']) : null;
    return { ...out, storage };
  }

  /** The URL a summary of each saved run of the model is posted to, or null. */
  async webhook(modelName: string): Promise<string | null> {
    return this.read((db) => webhookOf(db, modelName));
  }

  /** Set (http/https URL, validated) or clear (null) a model's webhook; one `webhook` event naming only the origin. */
  async setWebhook(modelName: string, url: string | null, by: ActorReason): Promise<string | null> {
    return this.write((trx) => setWebhook(this.store, trx, modelName, url, by));
  }

  /** Undo the latest alias move not undone yet, skipping versions that can no longer be served (rollback.ts). */
  async rollback(
    modelName: string,
    by: ActorReason & { alias?: string },
  ): Promise<AliasMove & { skipped: SkippedTarget[] }> {
    const alias = by.alias ?? PRODUCTION;
    checkName('alias', alias);
    return this.write((trx) => rollback(this.store, trx, modelName, alias, by));
  }

  /** Version an alias points at, or null. */
  async resolveAlias(modelName: string, alias: string): Promise<number | null> {
    return this.read((db) => resolveAlias(db, modelName, alias));
  }

  async models(): Promise<{ name: string; versions: number; aliases: Record<string, number> }[]> {
    return this.read(async (db) => {
      const models = await db.selectFrom('models').select(['id', 'name']).orderBy('name').execute();
      const counts = await db
        .selectFrom('versions')
        .select(['model_id', (eb) => eb.fn.countAll<string | number>().as('n')])
        .groupBy('model_id')
        .execute();
      const aliases = await db
        .selectFrom('aliases as al')
        .innerJoin('versions as v', 'v.id', 'al.version_id')
        .select(['al.model_id', 'al.alias', 'v.version'])
        .orderBy('al.alias')
        .execute();
      return models.map((m) => ({
        name: m.name,
        versions: Number(counts.find((c) => c.model_id === m.id)?.n ?? 0),
        aliases: Object.fromEntries(aliases.filter((a) => a.model_id === m.id).map((a) => [a.alias, a.version])),
      }));
    });
  }

  async list(modelName: string): Promise<VersionRecord[]> {
    return this.read((db) => listVersions(db, modelName));
  }

  async get(modelName: string, version: number): Promise<VersionRecord> {
    return this.read((db) => getVersion(db, modelName, version));
  }

  /** Raw artifact bytes and their recorded sha256 (not verified: see loadArtifact). */
  async artifactBytes(modelName: string, version: number): Promise<{ bytes: Buffer; sha256: string }> {
    return this.read((db) => artifactBytes(db, modelName, version));
  }

  /** The artifact, verified against its sha256 and the v1 schema (ARTIFACT_CORRUPT otherwise). */
  async loadArtifact(modelName: string, version: number): Promise<ArtifactV1> {
    return (await this.read((db) => loadVerifiedArtifact(db, modelName, version))).artifact;
  }

  async history(modelName: string, opts: { alias?: string; limit?: number } = {}): Promise<EventRecord[]> {
    return this.read(async (db) => history(db, await modelId(db, modelName), modelName, opts));
  }

  /** A new scoring job, queued (run-jobs.ts). Records no event: job state is not a model change. */
  async createRunJob(job: jobs.NewRunJob): Promise<jobs.RunJob> {
    return this.write((trx) => jobs.createRunJob(trx, job));
  }

  /** Progress or the end of a job still queued or running; null when it had already finished. */
  async updateRunJob(id: string, change: jobs.RunJobChange): Promise<jobs.RunJob | null> {
    return this.write((trx) => jobs.updateRunJob(trx, id, change));
  }

  /** One job (unknown id: NOT_FOUND naming it). */
  async getRunJob(id: string): Promise<jobs.RunJob> {
    return this.read((db) => jobs.getRunJob(db, id));
  }

  /** Jobs, newest first. */
  async listRunJobs(opts: { model?: string; limit?: number } = {}): Promise<jobs.RunJob[]> {
    return this.read((db) => jobs.listRunJobs(db, opts));
  }

  /** Cancel a queued job, or flag a running one for its executing process to stop. */
  async requestRunCancel(id: string): Promise<jobs.RunJob> {
    return this.write((trx) => jobs.requestRunCancel(trx, id));
  }

  /** How many jobs of one serve instance are queued. */
  async queuedRunJobs(group: string): Promise<number> {
    return this.read((db) => jobs.queuedRunJobs(db, group));
  }

  /** Take the oldest queued job of one serve instance, unless one of its jobs runs already. */
  async claimNextRunJob(group: string, serverId: string): Promise<jobs.RunJob | null> {
    return this.write((trx) => jobs.claimNextRunJob(trx, group, serverId));
  }

  /** Mark jobs left by dead processes of this host failed, with the reason (server start). */
  async failOrphanedRunJobs(
    host: string,
    alive: (pid: number) => boolean,
  ): Promise<{ failed: string[]; succeeded: string[] }> {
    // a run whose save committed before the crash is whole (the save is one transaction): succeeded
    return this.write((trx) =>
      jobs.failOrphanedRunJobs(trx, host, alive, async (id) =>
        Boolean(await trx.selectFrom('runs').select('id').where('id', '=', id).executeTakeFirst()),
      ),
    );
  }

  /** The storage's own consistency check (SQLite: PRAGMA integrity_check; PostgreSQL: ["ok"]). */
  async integrityCheck(): Promise<string[]> {
    return this.store instanceof SqliteStore ? this.store.integrityCheck() : ['ok'];
  }

  /**
   * The SQLite handle under a file registry, for fault-injection tests only (page caps,
   * checkpoints, schema tampering). Application code never reaches through the registry.
   * @internal
   */
  sqliteForTests(): Database.Database {
    if (!(this.store instanceof SqliteStore)) throw new Error('not a SQLite registry');
    return this.store.sqlite;
  }
}

async function openStore(loc: RegistryLocation, ro: boolean, opts: OpenOptions): Promise<Store> {
  if (loc.kind === 'sqlite') return ro ? SqliteStore.openReadOnly(loc.file) : SqliteStore.open(loc.file, opts);
  // loaded only for a postgres:// registry: a SQLite-only CLI run never pays for the pg driver
  const { PostgresStore } = await import('./store/postgres.js');
  return PostgresStore.open(loc.url, { readonly: ro });
}

function isBusy(e: unknown): boolean {
  return isRfmError(e) && e.details?.busy === true;
}
