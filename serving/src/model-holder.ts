import { EventEmitter } from 'node:events';
import { existsSync } from 'node:fs';
import {
  artifactRejection,
  Predictor,
  RfmError,
  type ArtifactRejection,
  type ArtifactSegment,
  type ArtifactV1,
} from '@rfm/shared';
import { parseLocation, PRODUCTION, Registry, type LoadedModel as StoredModel } from '@rfm/registry';
import { Lru } from './lru.js';
import { silentLogger, type Logger } from './logger.js';
import { watchSqliteCommits } from './sqlite-watch.js';

/**
 * One loaded, verified version, ready to answer: the registry's LoadedModel plus what the hot path
 * needs. Immutable: a swap replaces the whole object.
 */
export interface LoadedModel extends Readonly<StoredModel> {
  readonly predictor: Predictor;
  /** segment of each cluster index, for O(1) lookup per prediction */
  readonly segmentByCluster: readonly ArtifactSegment[];
  readonly loadedAt: string;
}

/** Why a load was refused: the artifact's rejection reason, or `other` (e.g. the registry unreadable). */
export type LoadFailureReason = ArtifactRejection | 'other';
export function loadFailureReason(e: unknown): LoadFailureReason {
  return artifactRejection(e) ?? 'other';
}

export interface LoadError {
  version: number;
  message: string;
  at: string;
}

export interface ModelHolderOptions {
  /** registry location: a SQLite file or a postgres:// URL */
  registry: string;
  modelName: string;
  /** how often to check for changes (ms); on PostgreSQL only while LISTEN is not connected */
  pollMs?: number;
  /** PostgreSQL with LISTEN connected: the safety-net poll interval (ms) */
  listeningPollMs?: number;
  /** alias the holder follows */
  alias?: string;
  /** pinned versions kept loaded besides the active one */
  cacheSize?: number;
  /** loads of pinned versions allowed per second (burst the same); the rest wait (503) */
  pinnedLoadsPerSecond?: number;
  logger?: Logger;
}

/** What the holder tells listeners (metrics): a version swapped in, or a version refused (once per bad version). */
export interface ModelHolderEvents {
  loaded: [model: LoadedModel, previous: LoadedModel | null];
  refused: [error: LoadError, reason: LoadFailureReason];
  /** a version pinned by `?version=` / `?alias=` was loaded (each one spends the load budget) */
  'pinned-load': [version: number];
}

/** What a request may ask for instead of the active model. */
export interface ModelSelector {
  version?: number;
  alias?: string;
}

/**
 * Holds the model the server answers with and follows the registry's `production` alias.
 *
 * It polls the registry's model-state token (one small read), which moves only when aliases,
 * labels, artifacts or versions change, never for saved runs or run progress. SQLite: the
 * folder's change events ask for a poll at once after another process commits (sqlite-watch.ts);
 * the timer is the safety net. PostgreSQL: a LISTEN connection also hears every alias move at
 * once (the NOTIFY is sent in the move's transaction); while it is down the holder polls every
 * `pollMs`, and it catches up after every reconnection.
 *
 * On a change the alias is resolved; a new version is loaded asynchronously (sha256 + schema
 * verified), turned into a Predictor, and swapped in with one reference assignment. Requests read
 * `current` once and keep that object, so in-flight requests finish on the model they started
 * with, and the hot path never waits on the registry. A version that fails to load is refused
 * and the old model keeps serving; so does an unreachable registry (reported, retried).
 */
export class ModelHolder extends EventEmitter<ModelHolderEvents> {
  readonly registryLocation: string;
  readonly modelName: string;
  readonly alias: string;
  readonly pollMs: number;
  readonly listeningPollMs: number;
  private readonly log: Logger;
  /** pinned versions / aliases, valid while the registry's change token is the one they were loaded at */
  private readonly pinned: Lru<string, { model: LoadedModel; token: string }>;
  private reg: Registry | null = null;
  private timer: NodeJS.Timeout | null = null;
  private stopListening: (() => Promise<void>) | null = null;
  private stopWatching: (() => void) | null = null;
  private listening = false;
  private lastPollAt = 0;
  private active: LoadedModel | null = null;
  private loadError: LoadError | null = null;
  private loadFailureReason: LoadFailureReason = 'other';
  private seenToken: string | null = null;
  /** `${version}:${sha256}` of the last refused load, to warn once per bad version */
  private failedKey: string | null = null;
  private lastPollError: string | null = null;
  private unreachable: { since: string; message: string } | null = null;
  private waitingReason = 'not started';
  /** pinned-version loads run on the request path; a client cycling ?version= must not make every request a load */
  private readonly loadBudget: TokenBucket;
  private polling: Promise<void> | null = null;
  private migrated = false;
  private again = false;

  constructor(opts: ModelHolderOptions) {
    super();
    this.registryLocation = opts.registry;
    this.modelName = opts.modelName;
    this.alias = opts.alias ?? PRODUCTION;
    this.pollMs = opts.pollMs ?? 250;
    this.listeningPollMs = opts.listeningPollMs ?? 5000;
    // each entry is one artifact (centroids, scaler, segment names: a few kB), so 16 cost little
    this.pinned = new Lru(opts.cacheSize ?? 16);
    this.loadBudget = new TokenBucket(opts.pinnedLoadsPerSecond ?? 8);
    this.log = (opts.logger ?? silentLogger()).child({ component: 'model-holder', model: opts.modelName });
  }

  /** The active model, or null while none could be loaded. Read it once per request. */
  get current(): LoadedModel | null {
    return this.active;
  }

  /**
   * The registry's change token now (SQLite data_version: one pragma; PostgreSQL: one small query),
   * or null before the registry is open. Caches of registry-derived answers key on it, so a commit
   * by any process is seen by the next request.
   */
  async registryRevision(): Promise<string | null> {
    return this.reg ? this.reg.changeToken() : null;
  }

  /** Why the last refused load was refused (meaningful while `lastLoadError` is set). */
  get lastLoadFailureReason(): LoadFailureReason {
    return this.loadFailureReason;
  }

  /** The last refused load since the holder was last in sync with the alias, or null. */
  get lastLoadError(): LoadError | null {
    return this.loadError;
  }

  /** Why there is no active model (meaningful only while `current` is null). */
  get notReadyReason(): string {
    return this.waitingReason;
  }

  /** Null while the registry answers; else since when and why it cannot be reached (the server keeps serving). */
  get registryUnreachable(): { since: string; message: string } | null {
    return this.unreachable;
  }

  /** How the holder hears of changes: `listen` (PostgreSQL LISTEN connected) or `poll`. */
  get following(): 'listen' | 'poll' {
    return this.listening ? 'listen' : 'poll';
  }

  get started(): boolean {
    return this.reg !== null;
  }

  /**
   * Open the registry and load the aliased version before resolving, then keep following it. A
   * missing SQLite file (or an empty PostgreSQL database) is created and migrated once so a server
   * can start before the first training run.
   */
  async start(): Promise<void> {
    if (this.reg) return;
    const loc = parseLocation(this.registryLocation);
    if (loc.kind === 'sqlite' && !existsSync(loc.file)) {
      await (await Registry.open(this.registryLocation)).close();
      this.log.info('registry file did not exist; created an empty one');
    }
    let reg = await Registry.openReadOnly(this.registryLocation);
    if (reg.kind === 'postgres' && (await reg.schemaVersion()) === 0) {
      await reg.close();
      await (await Registry.open(this.registryLocation)).close();
      reg = await Registry.openReadOnly(this.registryLocation);
    }
    this.reg = reg;
    this.waitingReason = 'registry not read yet';
    await this.poll();
    this.stopListening = reg.follow(
      () => this.kick(),
      (connected, error) => {
        this.listening = connected;
        if (connected) this.log.info('following the registry by LISTEN/NOTIFY');
        else
          this.log.warn(
            { reason: error },
            `registry notifications lost (${error}); polling every ${this.pollMs} ms meanwhile`,
          );
      },
    );
    if (loc.kind === 'sqlite') this.stopWatching = watchSqliteCommits(loc.file, () => this.kick());
    this.timer = setInterval(() => {
      if (!this.listening || Date.now() - this.lastPollAt >= this.listeningPollMs) this.kick();
    }, this.pollMs);
    this.timer.unref(); // the HTTP server, not the poll, keeps the process alive
  }

  async stop(): Promise<void> {
    if (this.timer) clearInterval(this.timer);
    this.timer = null;
    this.stopWatching?.();
    this.stopWatching = null;
    const stopL = this.stopListening;
    this.stopListening = null;
    this.listening = false;
    const reg = this.reg;
    this.reg = null;
    await this.polling?.catch(() => {});
    await stopL?.();
    await reg?.close();
    this.seenToken = null;
    this.pinned.clear();
  }

  /** Ask for a poll now; polls never overlap (a request during one runs once more after it). */
  kick(): void {
    if (this.polling) {
      this.again = true;
      return;
    }
    void this.poll();
  }

  /** One poll step: does nothing unless the registry changed since the last one. Never throws. */
  poll(): Promise<void> {
    if (this.polling) {
      this.again = true;
      return this.polling;
    }
    this.polling = (async () => {
      do {
        this.again = false;
        await this.pollOnce();
      } while (this.again && this.reg);
    })().finally(() => {
      this.polling = null;
    });
    return this.polling;
  }

  private async pollOnce(): Promise<void> {
    const reg = this.reg;
    if (!reg) return;
    this.lastPollAt = Date.now();
    try {
      // the model-state token, not changeToken(): saved runs and job progress must not cause reloads
      const token = await reg.modelStateToken();
      if (this.unreachable) this.log.info(`registry reachable again (unreachable since ${this.unreachable.since})`);
      this.unreachable = null;
      if (token === this.seenToken) return;
      await this.sync(reg);
      this.seenToken = token;
      this.lastPollError = null;
    } catch (e) {
      // A registry hiccup (locked, disk error, database restarting) must not take the server
      // down: keep the old model and try again on the next tick; log each distinct failure once.
      this.seenToken = null;
      const message = e instanceof Error ? e.message : String(e);
      this.unreachable ??= { since: new Date().toISOString(), message };
      this.unreachable.message = message;
      if (message !== this.lastPollError) this.log.warn({ err: e }, `registry poll failed: ${message}`);
      this.lastPollError = message;
      if (!this.active) this.waitingReason = `registry cannot be read: ${message}`;
    }
  }

  private async sync(reg: Registry): Promise<void> {
    // Created by another process but not migrated yet: behaves as an empty registry. Once seen
    // migrated it stays so (saves a round trip per change on PostgreSQL).
    if (!this.migrated) {
      if ((await reg.schemaVersion()) === 0) {
        if (!this.active) this.waitingReason = `registry is empty: no model "${this.modelName}" trained yet`;
        return;
      }
      this.migrated = true;
    }
    const version = await reg.resolveAlias(this.modelName, this.alias);
    if (version === null) {
      if (this.active)
        this.log.warn(
          { version: this.active.version },
          `alias "${this.alias}" points at no version; keeping the active model`,
        );
      else this.waitingReason = `alias "${this.alias}" of model "${this.modelName}" points at no version yet`;
      return;
    }
    // Reload even when the version is unchanged: a relabel changes the names but not the version.
    // Loading is cheap (one small BLOB, one sha256) and happens only when the registry changed.
    let next: LoadedModel;
    try {
      next = await this.load(reg, version);
    } catch (e) {
      if (isUnreachable(e)) throw e; // not the version's fault: the poll reports and retries
      const message = e instanceof Error ? e.message : String(e);
      const key = `${version}:${await this.recordedSha(reg, version)}`;
      this.loadError = { version, message, at: new Date().toISOString() };
      this.loadFailureReason = loadFailureReason(e);
      // Retried only when the registry changes again (never on the timer alone); warned once.
      if (key !== this.failedKey) {
        this.log.warn(
          { version, reason: message, keeping: this.active?.version ?? null },
          `refused to load version ${version}: ${message}`,
        );
        this.emit('refused', this.loadError, this.loadFailureReason);
      }
      this.failedKey = key;
      if (!this.active) this.waitingReason = `version ${version} could not be loaded: ${message}`;
      return;
    }
    this.loadError = null; // in sync with the alias again (e.g. a bad promote was rolled back)
    this.failedKey = null;
    const active = this.active;
    if (active && active.version === next.version && active.revision === next.revision) return;
    this.active = next; // the swap: one reference assignment
    this.emit('loaded', next, active);
    const how = active?.version === next.version ? 'relabelled' : 'loaded';
    this.log.info(
      { version, previous: active?.version ?? null, sha256: next.sha256, revision: next.revision, k: next.artifact.k },
      `serving ${this.modelName} v${version} (${how})`,
    );
  }

  private async recordedSha(reg: Registry, version: number): Promise<string> {
    try {
      return (await reg.get(this.modelName, version)).artifact.sha256;
    } catch {
      return '?';
    }
  }

  private async load(reg: Registry, version: number): Promise<LoadedModel> {
    const m = await reg.loadModel(this.modelName, version); // sha256 + schema verified, relabels applied
    const segmentByCluster: ArtifactSegment[] = [];
    for (const s of m.artifact.segments) segmentByCluster[s.cluster] = s;
    return Object.freeze({
      modelName: this.modelName,
      version,
      sha256: m.sha256,
      revision: m.revision,
      artifact: m.artifact,
      predictor: new Predictor(m.artifact),
      segmentByCluster,
      loadedAt: new Date().toISOString(),
    });
  }

  /**
   * The model a request asks for. The active model (no selector) comes back synchronously, and so
   * does a pinned version or alias already loaded since the registry last changed; otherwise a
   * Promise of it (loaded once, kept in a small LRU). NOT_FOUND when the version or alias does not
   * exist; MODEL_UNAVAILABLE when nothing is active or the pinned version cannot be loaded.
   */
  select(sel: ModelSelector = {}): LoadedModel | Promise<LoadedModel> {
    if (sel.version === undefined && sel.alias === undefined) {
      const m = this.active;
      if (!m) throw new RfmError('MODEL_UNAVAILABLE', `no model is active: ${this.waitingReason}`);
      return m;
    }
    const active = this.active;
    if (sel.version !== undefined && active && active.version === sel.version) return active;
    const key = sel.version !== undefined ? `v${sel.version}` : `a:${sel.alias}`;
    const hit = this.pinned.get(key);
    if (hit && this.seenToken !== null && hit.token === this.seenToken) return hit.model;
    return this.loadPinned(sel, key);
  }

  private async loadPinned(sel: ModelSelector, key: string): Promise<LoadedModel> {
    const reg = this.reg;
    if (!reg) throw new RfmError('MODEL_UNAVAILABLE', 'the model registry is not open');
    const token = await reg.modelStateToken();
    let v = sel.version;
    if (sel.alias !== undefined) {
      const r = await reg.resolveAlias(this.modelName, sel.alias);
      if (r === null) throw new RfmError('NOT_FOUND', `model "${this.modelName}" has no alias "${sel.alias}"`);
      v = r;
    }
    const version = v!;
    const active = this.active;
    if (active && active.version === version) return active;
    const byVersion = this.pinned.get(`v${version}`);
    if (byVersion && byVersion.token === token) {
      this.pinned.set(key, byVersion);
      return byVersion.model;
    }
    await reg.get(this.modelName, version); // NOT_FOUND if absent
    if (!this.loadBudget.take())
      throw new RfmError(
        'MODEL_UNAVAILABLE',
        `too many different model versions were asked for in the last second; retry in ${PINNED_RETRY_AFTER_S} s or ask for the active one`,
        { details: { retry_after_s: PINNED_RETRY_AFTER_S } },
      );
    let m: LoadedModel;
    try {
      m = await this.load(reg, version);
    } catch (e) {
      const message = e instanceof Error ? e.message : String(e);
      throw new RfmError(
        'MODEL_UNAVAILABLE',
        `version ${version} of "${this.modelName}" cannot be loaded: ${message}`,
        {
          cause: e,
        },
      );
    }
    this.pinned.set(`v${version}`, { model: m, token });
    this.pinned.set(key, { model: m, token });
    this.emit('pinned-load', version);
    return m;
  }
}

const PINNED_RETRY_AFTER_S = 1;

/** `rate` tokens a second, at most `rate` saved up: a steady trickle of loads, never a flood. */
class TokenBucket {
  private tokens: number;
  private at = performance.now();
  constructor(private readonly rate: number) {
    this.tokens = rate;
  }

  take(): boolean {
    const now = performance.now();
    this.tokens = Math.min(this.rate, this.tokens + ((now - this.at) / 1000) * this.rate);
    this.at = now;
    if (this.tokens < 1) return false;
    this.tokens -= 1;
    return true;
  }
}

function isUnreachable(e: unknown): boolean {
  return (e as { code?: string })?.code === 'REGISTRY_UNAVAILABLE';
}

/**
 * Run `answer` with the model a request selected: at once for the active model (the synchronous
 * hot path), after loading for a pinned version not loaded yet. Errors go to express's `next`.
 */
export function withModel(
  holder: ModelHolder,
  sel: ModelSelector,
  next: (err: unknown) => void,
  answer: (model: LoadedModel) => void,
): void {
  const picked = holder.select(sel);
  if (picked instanceof Promise) picked.then(answer).catch(next);
  else answer(picked);
}
