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
import { PRODUCTION, Registry } from '@rfm/registry';
import { Lru } from './lru.js';
import { silentLogger, type Logger } from './logger.js';

/** One loaded, verified version. Immutable: a swap replaces the whole object. */
export interface LoadedModel {
  readonly modelName: string;
  readonly version: number;
  readonly sha256: string;
  /** changes when the artifact or a person's relabels of this version change */
  readonly revision: string;
  /** the artifact with relabels applied (segment names as people last set them) */
  readonly artifact: ArtifactV1;
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
  /** registry file */
  registry: string;
  modelName: string;
  /** how often to check PRAGMA data_version (ms) */
  pollMs?: number;
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
}

/** What a request may ask for instead of the active model. */
export interface ModelSelector {
  version?: number;
  alias?: string;
}

/**
 * Holds the model the server answers with and follows the registry's `production` alias.
 *
 * A read-only connection polls `PRAGMA data_version`, which changes only when another connection
 * commits, so an idle poll costs one pragma. On a change the alias is resolved; a new version is
 * loaded (sha256 + schema verified), turned into a Predictor, and swapped in with one reference
 * assignment. Requests read `current` once and keep that object, so in-flight requests finish on
 * the model they started with. A version that fails to load is refused and the old model keeps
 * serving.
 */
export class ModelHolder extends EventEmitter<ModelHolderEvents> {
  readonly registryFile: string;
  readonly modelName: string;
  readonly alias: string;
  readonly pollMs: number;
  private readonly log: Logger;
  /** pinned versions, valid while the registry's data_version is the one they were loaded at */
  private readonly pinned: Lru<number, { model: LoadedModel; dataVersion: number }>;
  private reg: Registry | null = null;
  private timer: NodeJS.Timeout | null = null;
  private active: LoadedModel | null = null;
  private loadError: LoadError | null = null;
  private loadFailureReason: LoadFailureReason = 'other';
  private seenDataVersion: number | null = null;
  /** `${version}:${sha256}` of the last refused load, to warn once per bad version */
  private failedKey: string | null = null;
  private lastPollError: string | null = null;
  private waitingReason = 'not started';
  /** pinned-version loads run on the request path; a client cycling ?version= must not make every request a load */
  private readonly loadBudget: TokenBucket;

  constructor(opts: ModelHolderOptions) {
    super();
    this.registryFile = opts.registry;
    this.modelName = opts.modelName;
    this.alias = opts.alias ?? PRODUCTION;
    this.pollMs = opts.pollMs ?? 250;
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
   * The registry's revision as this process's read connection sees it (SQLite data_version: it
   * changes on every commit by another connection), or null before the registry is open. Caches of
   * registry-derived answers key on it.
   */
  registryRevision(): number | null {
    return this.reg?.dataVersion() ?? null;
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

  get started(): boolean {
    return this.reg !== null;
  }

  /**
   * Open the registry and load the aliased version before returning, then keep polling. A missing
   * file is created (and migrated) once so a server can start before the first training run.
   */
  start(): void {
    if (this.reg) return;
    if (!existsSync(this.registryFile)) {
      Registry.open(this.registryFile).close();
      this.log.info({ registry: this.registryFile }, 'registry file did not exist; created an empty one');
    }
    this.reg = Registry.openReadOnly(this.registryFile);
    this.waitingReason = 'registry not read yet';
    this.poll();
    this.timer = setInterval(() => this.poll(), this.pollMs);
    this.timer.unref(); // the HTTP server, not the poll, keeps the process alive
  }

  stop(): void {
    if (this.timer) clearInterval(this.timer);
    this.timer = null;
    this.reg?.close();
    this.reg = null;
    this.seenDataVersion = null;
    this.pinned.clear();
  }

  /** One poll step: does nothing unless the registry changed since the last one. Never throws. */
  poll(): void {
    const reg = this.reg;
    if (!reg) return;
    try {
      const dv = reg.dataVersion();
      if (dv === this.seenDataVersion) return;
      this.seenDataVersion = dv;
      this.sync(reg);
      this.lastPollError = null;
    } catch (e) {
      // A registry hiccup (locked, disk error) must not take the server down: keep the old model
      // and try again on the next tick; log each distinct failure once.
      this.seenDataVersion = null;
      const message = e instanceof Error ? e.message : String(e);
      if (message !== this.lastPollError)
        this.log.warn({ err: e, registry: this.registryFile }, `registry poll failed: ${message}`);
      this.lastPollError = message;
      if (!this.active) this.waitingReason = `registry cannot be read: ${message}`;
    }
  }

  private sync(reg: Registry): void {
    // Created by another process but not migrated yet: behaves as an empty registry.
    if ((reg.db.pragma('user_version', { simple: true }) as number) === 0) {
      if (!this.active) this.waitingReason = `registry is empty: no model "${this.modelName}" trained yet`;
      return;
    }
    const version = reg.resolveAlias(this.modelName, this.alias);
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
    const active = this.active;
    let next: LoadedModel;
    try {
      next = this.load(reg, version);
    } catch (e) {
      const message = e instanceof Error ? e.message : String(e);
      const key = `${version}:${this.recordedSha(reg, version)}`;
      this.loadError = { version, message, at: new Date().toISOString() };
      this.loadFailureReason = loadFailureReason(e);
      // Retried only when the registry changes again (never on the timer alone); warned once.
      if (key !== this.failedKey) {
        this.log.warn(
          { version, reason: message, keeping: active?.version ?? null },
          `refused to load version ${version}: ${message}`,
        );
        this.emit('refused', this.loadError, this.loadFailureReason);
      }
      this.failedKey = key;
      if (!active) this.waitingReason = `version ${version} could not be loaded: ${message}`;
      return;
    }
    this.loadError = null; // in sync with the alias again (e.g. a bad promote was rolled back)
    this.failedKey = null;
    if (active && active.version === next.version && active.revision === next.revision) return;
    this.active = next; // the swap: one reference assignment
    this.emit('loaded', next, active);
    const how = active?.version === next.version ? 'relabelled' : 'loaded';
    this.log.info(
      { version, previous: active?.version ?? null, sha256: next.sha256, revision: next.revision, k: next.artifact.k },
      `serving ${this.modelName} v${version} (${how})`,
    );
  }

  private recordedSha(reg: Registry, version: number): string {
    try {
      return reg.get(this.modelName, version).artifact.sha256;
    } catch {
      return '?';
    }
  }

  private load(reg: Registry, version: number): LoadedModel {
    const m = reg.loadModel(this.modelName, version); // sha256 + schema verified, relabels applied
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
   * The active model, or a pinned version / alias (loaded on demand, kept in a small LRU).
   * NOT_FOUND when the version or alias does not exist; MODEL_UNAVAILABLE when nothing is active
   * or the pinned version cannot be loaded.
   */
  select(sel: ModelSelector = {}): LoadedModel {
    if (sel.version === undefined && sel.alias === undefined) {
      const m = this.active;
      if (!m) throw new RfmError('MODEL_UNAVAILABLE', `no model is active: ${this.waitingReason}`);
      return m;
    }
    const reg = this.reg;
    if (!reg) throw new RfmError('MODEL_UNAVAILABLE', 'the model registry is not open');
    let version = sel.version;
    if (sel.alias !== undefined) {
      const v = reg.resolveAlias(this.modelName, sel.alias);
      if (v === null) throw new RfmError('NOT_FOUND', `model "${this.modelName}" has no alias "${sel.alias}"`);
      version = v;
    }
    const v = version!;
    const active = this.active;
    if (active && active.version === v) return active;
    const dataVersion = reg.dataVersion();
    const hit = this.pinned.get(v);
    if (hit && hit.dataVersion === dataVersion) return hit.model;
    reg.get(this.modelName, v); // NOT_FOUND if absent
    if (!this.loadBudget.take())
      throw new RfmError(
        'MODEL_UNAVAILABLE',
        `too many different model versions were asked for in the last second; retry in ${PINNED_RETRY_AFTER_S} s or ask for the active one`,
        { details: { retry_after_s: PINNED_RETRY_AFTER_S } },
      );
    let m: LoadedModel;
    try {
      m = this.load(reg, v);
    } catch (e) {
      const message = e instanceof Error ? e.message : String(e);
      throw new RfmError('MODEL_UNAVAILABLE', `version ${v} of "${this.modelName}" cannot be loaded: ${message}`, {
        cause: e,
      });
    }
    this.pinned.set(v, { model: m, dataVersion });
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
