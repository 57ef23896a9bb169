import type { Express, RequestHandler } from 'express';
import { mountedRoutes } from './route-table.js';
import { Counter, Gauge, Registry, collectDefaultMetrics } from 'prom-client';
import { LatencyHistogram } from './latency-histogram.js';
import type { RunDrift } from '@rfm/shared';
import type { LoadedModel, ModelHolder } from './model-holder.js';

/** The latest saved run of one model and its drift (null: not measured). */
export interface LatestRunDrift {
  model: string;
  run: string;
  drift: RunDrift | null;
}

/** How long drift read from the registry is reused across scrapes (a scrape reads each gauge). */
const RUN_DRIFT_TTL_MS = 5000;

/**
 * Prometheus metrics of one server process (one registry per app, so tests can run several apps
 * in one process). Names, for dashboards and alerts:
 *
 * - `rfm_http_requests_total{method,route,status}` and `rfm_http_request_duration_seconds{…}`
 *   (histogram): `route` is the route's pattern (`/api/v1/models/:name/history`), never the raw
 *   URL, and `unmatched` for 404s, so the label set stays small.
 * - `rfm_predictions_total{model_version,segment}`: customers scored, whatever the route.
 * - `rfm_model_loads_total{model_version}`, `rfm_model_load_failures_total{reason}` (reason:
 *   checksum, format, schema, json, other): loads of the followed alias, counted once per version.
 * - `rfm_model_active_version` (0 while none) and `rfm_model_serving{model_version}` (1 for the
 *   active version; summed over workers in cluster mode, so it counts the workers on each version),
 *   `rfm_model_ready` (1/0), `rfm_model_last_load_failed` (1 while the alias points at a version
 *   that was refused).
 * - Drift of each model's latest saved run (runs/src/drift.ts), read from the registry at scrape
 *   time (cached a few seconds), so runs saved by the CLI or another server count too; a model
 *   whose latest run has no drift recorded has none of these: `rfm_run_retrain_advised{model}`
 *   (1/0), `rfm_run_feature_psi{model,feature}`, `rfm_run_outlier_rate{model}`,
 *   `rfm_run_max_segment_share_shift{model}` (absolute, 0.12 = 12 points). No customer-level labels.
 * - `rfm_webhook_deliveries_total{model,outcome}` (outcome: delivered, failed): run summaries
 *   posted by this server's scoring runs.
 * - Node's default process metrics (`process_cpu_seconds_total`, `nodejs_eventloop_lag_seconds`, …).
 *
 * The per-request cost is one histogram and one counter update through cached label children.
 */
export const METRIC_NAMES = {
  httpRequests: 'rfm_http_requests_total',
  httpDuration: 'rfm_http_request_duration_seconds',
  predictions: 'rfm_predictions_total',
  modelLoads: 'rfm_model_loads_total',
  modelLoadFailures: 'rfm_model_load_failures_total',
  activeVersion: 'rfm_model_active_version',
  serving: 'rfm_model_serving',
  ready: 'rfm_model_ready',
  lastLoadFailed: 'rfm_model_last_load_failed',
  retrainAdvised: 'rfm_run_retrain_advised',
  featurePsi: 'rfm_run_feature_psi',
  outlierRate: 'rfm_run_outlier_rate',
  shareShift: 'rfm_run_max_segment_share_shift',
  webhookDeliveries: 'rfm_webhook_deliveries_total',
} as const;

type Labels3 = 'method' | 'route' | 'status';

export class ServingMetrics {
  readonly registry = new Registry();
  private readonly requests: Counter<Labels3>;
  private readonly duration: LatencyHistogram;
  private readonly predictions: Counter<'model_version' | 'segment'>;
  private readonly loads: Counter<'model_version'>;
  private readonly failures: Counter<'reason'>;
  private readonly httpChildren = new Map<string, { c: Counter.Internal; h: (seconds: number) => void }>();
  /** per loaded model: one counter child per cluster, so scoring costs an array index */
  private readonly predictionChildren = new WeakMap<LoadedModel, Counter.Internal[]>();
  /**
   * Counts not yet added to the prom-client counters: per model and cluster (predictions) and per
   * recorder (requests). The counters' collect() adds them before every read (a scrape, the
   * cluster primary's collection, get()), so every reader sees exact totals, while the hot path adds
   * to a number instead of a prom-client inc() (label checks and a label hash per call).
   */
  private readonly pendingPredictions = new Map<LoadedModel, Float64Array>();
  private readonly pendingRequests: (() => void)[] = [];
  private readonly recorders = new Map<string, (seconds: number) => void>();
  private holder: ModelHolder | null = null;
  private readonly webhooks: Counter<'model' | 'outcome'>;
  private latestRuns: (() => Promise<LatestRunDrift[]>) | null = null;
  private runCache: { at: number; rows: Promise<LatestRunDrift[]> } | null = null;

  constructor(opts: { defaultMetrics?: boolean } = {}) {
    const registers = [this.registry];
    // eslint-disable-next-line @typescript-eslint/no-this-alias
    const self = this;
    this.requests = new Counter({
      name: METRIC_NAMES.httpRequests,
      help: 'HTTP requests answered, by method, route pattern and status',
      labelNames: ['method', 'route', 'status'],
      registers,
      collect() {
        for (const flush of self.pendingRequests) flush();
      },
    });
    this.duration = new LatencyHistogram(
      METRIC_NAMES.httpDuration,
      'HTTP request latency in seconds (first byte in to last byte out), by method, route pattern and status',
      [0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5],
      registers,
    );
    this.predictions = new Counter({
      name: METRIC_NAMES.predictions,
      help: 'customers scored, by model version and segment',
      labelNames: ['model_version', 'segment'],
      registers,
      collect() {
        self.flushPredictions();
      },
    });
    this.loads = new Counter({
      name: METRIC_NAMES.modelLoads,
      help: 'versions of the followed alias loaded and swapped in',
      labelNames: ['model_version'],
      registers,
    });
    this.failures = new Counter({
      name: METRIC_NAMES.modelLoadFailures,
      help: 'versions of the followed alias refused at load (the previous model kept serving)',
      labelNames: ['reason'],
      registers,
    });
    new Gauge({
      name: METRIC_NAMES.activeVersion,
      help: 'version of the model answering requests (0 while none); in cluster mode the highest over workers',
      registers,
      aggregator: 'max',
      collect() {
        this.set(self.holder?.current?.version ?? 0);
      },
    });
    new Gauge({
      name: METRIC_NAMES.serving,
      help: '1 for the version this process answers with; summed over workers in cluster mode',
      labelNames: ['model_version'],
      registers,
      collect() {
        this.reset();
        const v = self.holder?.current?.version;
        if (v !== undefined) this.set({ model_version: String(v) }, 1);
      },
    });
    new Gauge({
      name: METRIC_NAMES.ready,
      help: '1 when a model is loaded and requests can be scored',
      registers,
      aggregator: 'min',
      collect() {
        this.set(self.holder?.current ? 1 : 0);
      },
    });
    new Gauge({
      name: METRIC_NAMES.lastLoadFailed,
      help: '1 while the followed alias points at a version that could not be loaded',
      registers,
      aggregator: 'max',
      collect() {
        this.set(self.holder?.lastLoadError ? 1 : 0);
      },
    });
    this.webhooks = new Counter({
      name: METRIC_NAMES.webhookDeliveries,
      help: 'run summaries posted to model webhooks by this server, by outcome (delivered, failed)',
      labelNames: ['model', 'outcome'],
      registers,
    });
    // every worker reads the same registry rows: 'max' keeps one value in cluster mode
    const driftGauge = (
      name: string,
      help: string,
      labelNames: string[],
      set: (g: Gauge<string>, r: LatestRunDrift & { drift: RunDrift }) => void,
    ) =>
      new Gauge({
        name,
        help,
        labelNames,
        registers,
        aggregator: 'max',
        async collect() {
          const rows = await self.runDrift();
          this.reset();
          for (const r of rows) if (r.drift) set(this, r as LatestRunDrift & { drift: RunDrift });
        },
      });
    driftGauge(
      METRIC_NAMES.retrainAdvised,
      '1 when the latest saved run of the model advises retraining',
      ['model'],
      (g, r) => g.set({ model: r.model }, r.drift.retrainAdvised ? 1 : 0),
    );
    driftGauge(
      METRIC_NAMES.featurePsi,
      'population-stability index of each feature in the latest saved run vs the training customers',
      ['model', 'feature'],
      (g, r) => {
        for (const [feature, v] of Object.entries(r.drift.psi)) g.set({ model: r.model, feature }, v);
      },
    );
    driftGauge(
      METRIC_NAMES.outlierRate,
      'share of outliers in the latest saved run (about 0.01 expected)',
      ['model'],
      (g, r) => {
        if (r.drift.outlierRate !== null) g.set({ model: r.model }, r.drift.outlierRate);
      },
    );
    driftGauge(
      METRIC_NAMES.shareShift,
      'largest move of a segment share (absolute fraction) in the latest saved run vs training',
      ['model'],
      (g, r) =>
        g.set({ model: r.model }, Math.max(0, ...r.drift.segments.map((x) => Math.abs(x.share - x.trainingShare)))),
    );
    if (opts.defaultMetrics !== false) collectDefaultMetrics({ register: this.registry });
  }

  /** Where the drift gauges read each model's latest saved run (the server passes a registry reader). */
  watchRuns(latest: () => Promise<LatestRunDrift[]>): void {
    this.latestRuns = latest;
    this.runCache = null;
  }

  /** A run was saved (or deleted): the next scrape reads the registry again. */
  runsChanged(): void {
    this.runCache = null;
  }

  /** Count a webhook delivery of this server's runs. */
  webhookDelivered(model: string, ok: boolean): void {
    this.webhooks.inc({ model, outcome: ok ? 'delivered' : 'failed' });
  }

  private runDrift(): Promise<LatestRunDrift[]> {
    const fetch = this.latestRuns;
    if (!fetch) return Promise.resolve([]);
    const t = Date.now();
    if (!this.runCache || t - this.runCache.at > RUN_DRIFT_TTL_MS)
      // a registry that cannot be read leaves the gauges empty rather than failing the scrape
      this.runCache = { at: t, rows: fetch().catch(() => []) };
    return this.runCache.rows;
  }

  /** Follow a holder: gauges read it at scrape time; loads and refusals are counted as they happen. */
  watch(holder: ModelHolder): void {
    this.holder = holder;
    holder.on('loaded', (m) => this.loads.inc({ model_version: String(m.version) }));
    holder.on('refused', (_e, reason) => this.failures.inc({ reason }));
    // what happened before we were watching (the holder may have loaded at start-up)
    if (holder.current) this.loads.inc({ model_version: String(holder.current.version) });
    if (holder.lastLoadError) this.failures.inc({ reason: holder.lastLoadFailureReason });
  }

  /** Count `n` customers of one cluster scored by `model` (added to the counter at its next read). */
  predicted(model: LoadedModel, cluster: number, n = 1): void {
    let pending = this.pendingPredictions.get(model);
    if (!pending) {
      pending = new Float64Array(model.segmentByCluster.length);
      this.pendingPredictions.set(model, pending);
    }
    pending[cluster]! += n;
  }

  private flushPredictions(): void {
    for (const [model, pending] of this.pendingPredictions) {
      let children = this.predictionChildren.get(model);
      if (!children) {
        const v = String(model.version);
        children = model.segmentByCluster.map((s) => this.predictions.labels({ model_version: v, segment: s.name }));
        this.predictionChildren.set(model, children);
      }
      for (let c = 0; c < pending.length; c++) if (pending[c]! > 0) children[c]!.inc(pending[c]!);
    }
    this.pendingPredictions.clear(); // a model swapped out is not held here
  }

  /** Count a batch: per-cluster tallies (index = cluster). */
  predictedTally(model: LoadedModel, tally: ArrayLike<number>): void {
    for (let c = 0; c < tally.length; c++) if (tally[c]! > 0) this.predicted(model, c, tally[c]!);
  }

  /** Request count and latency by route pattern. Mount first; `app` is read once its routes exist. */
  http(app: () => Express): RequestHandler {
    let labels: WeakMap<object, string> | null = null;
    return (req, res, next) => {
      const started = process.hrtime.bigint();
      res.once('finish', () => {
        labels ??= routeLabels(app());
        const route = req.route ? (labels.get(req.route) ?? String(req.route.path)) : 'unmatched';
        const key = `${req.method} ${route} ${res.statusCode}`;
        let ch = this.httpChildren.get(key);
        if (!ch) {
          const l = { method: req.method, route, status: String(res.statusCode) };
          ch = { c: this.requests.labels(l), h: this.duration.recorder(l) };
          this.httpChildren.set(key, ch);
        }
        ch.c.inc();
        ch.h(Number(process.hrtime.bigint() - started) / 1e9);
      });
      next();
    };
  }

  /** Record one answered request (for handlers outside express, e.g. the scoring fast path). */
  observeHttp(method: string, route: string, status: number, seconds: number): void {
    this.httpRecorder(method, route, status)(seconds);
  }

  /**
   * The recorder for one method, route and status (one per combination, kept): a hot path that
   * answers one route holds it and skips building the key and the lookup per request (observeHttp
   * does both); its requests are counted in a number added to the counter at the next read.
   */
  httpRecorder(method: string, route: string, status: number): (seconds: number) => void {
    const key = `${method} ${route} ${status}`;
    const known = this.recorders.get(key);
    if (known) return known;
    let ch = this.httpChildren.get(key);
    if (!ch) {
      const l = { method, route, status: String(status) };
      ch = { c: this.requests.labels(l), h: this.duration.recorder(l) };
      this.httpChildren.set(key, ch);
    }
    const { c, h } = ch;
    let count = 0;
    this.pendingRequests.push(() => {
      if (count > 0) c.inc(count);
      count = 0;
    });
    const record = (seconds: number) => {
      count++;
      h(seconds);
    };
    this.recorders.set(key, record);
    return record;
  }

  /** The text exposition of this process's metrics. */
  async text(): Promise<{ contentType: string; body: string }> {
    return { contentType: this.registry.contentType, body: await this.registry.metrics() };
  }
}

/**
 * Every route of the app → its full pattern (mount path + route path). `req.baseUrl` is not usable
 * for this: it is reset when an error leaves a router.
 */
export function routeLabels(app: Express): WeakMap<object, string> {
  const out = new WeakMap<object, string>();
  for (const r of mountedRoutes(app)) out.set(r.route, r.path);
  return out;
}
