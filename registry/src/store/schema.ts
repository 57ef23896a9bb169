import type { Generated } from 'kysely';
import type { VersionStatus } from '../types.js';

/**
 * The registry's tables as Kysely sees them: one description for both back ends (the column
 * types map onto SQLite INTEGER/TEXT/BLOB and PostgreSQL integer/text/bytea), so every query is
 * typed once and no row is cast by hand.
 */
export interface RegistryTables {
  models: {
    id: Generated<number>;
    name: string;
    created_at: string;
    description: Generated<string>;
    /** the highest version number ever given in this model (deleted ones included): numbers only go up */
    last_version: Generated<number>;
  };
  versions: {
    id: Generated<number>;
    model_id: number;
    version: number;
    status: Generated<VersionStatus>;
    created_at: string;
    created_by: string;
    description: Generated<string>;
    k: number;
    params_json: string;
    metrics_json: string;
    data_json: string;
    training_json: string;
  };
  artifacts: { version_id: number; format: string; sha256: string; size: number; bytes: Buffer };
  aliases: { model_id: number; alias: string; version_id: number; updated_at: string };
  events: {
    id: Generated<number>;
    model_id: number;
    at: string;
    actor: string;
    action: string;
    alias: string | null;
    from_version: number | null;
    to_version: number | null;
    reason: Generated<string>;
    ref_event_id: number | null;
    details_json: string | null;
  };
  tags: { version_id: number; key: string; value: string };
  labels: { version_id: number; cluster: number; name: string };
  features: { version_id: number; customers: number; encoding: string; bytes: Buffer };
  reports: { version_id: number; format: string; bytes: Buffer };
  policies: { model_id: number; policy_json: string; updated_at: string };
  runs: {
    id: string;
    model_id: number;
    version: number;
    export_name: string;
    export_sha256: string;
    snapshot_date: string;
    /** bigint on PostgreSQL: node-postgres returns it as a string */
    rows_read: number | string;
    rows_dropped: string;
    customers: number;
    created_by: string;
    created_at: string;
    summary: string;
    facts: string;
    customers_blob: Buffer;
    customers_encoding: string;
    /** the run's drift as JSON; null on runs saved before drift was measured */
    drift: string | null;
  };
  /** per model, the URL a summary of every saved run is posted to */
  run_webhooks: { model_id: number; url: string; updated_at: string };
  /** one row (id 1): the counter bumped by triggers on aliases, labels, artifacts and versions */
  model_state: { id: number; token: number | string };
  /** scoring jobs of servers (run-jobs.ts); PostgreSQL's bigint rows_read reads back as a string */
  run_jobs: {
    id: string;
    model: string;
    version: number | null;
    alias: string | null;
    state: string;
    phase: string | null;
    rows_read: Generated<number | string>;
    percent: Generated<number>;
    error_code: string | null;
    error: string | null;
    created_by: string;
    created_at: string;
    updated_at: string;
    server_id: string;
    cancel_requested: Generated<number>;
    save: Generated<number>;
    options_json: Generated<string>;
    result_json: string | null;
  };
  /** one row (id 1): the counter bumped by triggers on runs (the customer-lookup index's freshness check) */
  runs_state: { id: number; token: number | string };
  /** per-registry secrets by name (erasure.ts: the key of the erased-customer hash) */
  registry_secrets: { name: string; value: string };
}
