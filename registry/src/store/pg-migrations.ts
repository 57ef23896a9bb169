/**
 * The same schema as sqlite-migrations.ts, step for step, in PostgreSQL's types (serial ids,
 * bytea blobs). Both lists have the same length: a schema version means the same tables on both
 * back ends, which `rfm registry copy` relies on. Never edit a shipped migration: append one.
 */
export const PG_MIGRATIONS: readonly string[] = [
  // 0 → 1: models, versions, artifacts, aliases, events
  `
  CREATE TABLE models (
    id          serial PRIMARY KEY,
    name        text NOT NULL UNIQUE,
    created_at  text NOT NULL,
    description text NOT NULL DEFAULT ''
  );
  CREATE TABLE versions (
    id            serial PRIMARY KEY,
    model_id      integer NOT NULL REFERENCES models(id),
    version       integer NOT NULL CHECK (version >= 1),
    status        text NOT NULL DEFAULT 'candidate' CHECK (status IN ('candidate', 'archived')),
    created_at    text NOT NULL,
    created_by    text NOT NULL,
    description   text NOT NULL DEFAULT '',
    k             integer NOT NULL,
    params_json   text NOT NULL,
    metrics_json  text NOT NULL,
    data_json     text NOT NULL,
    training_json text NOT NULL,
    UNIQUE (model_id, version)
  );
  CREATE TABLE artifacts (
    version_id integer PRIMARY KEY REFERENCES versions(id) ON DELETE CASCADE,
    format     text NOT NULL,
    sha256     text NOT NULL CHECK (length(sha256) = 64),
    size       integer NOT NULL,
    bytes      bytea NOT NULL
  );
  CREATE TABLE aliases (
    model_id   integer NOT NULL REFERENCES models(id),
    alias      text NOT NULL,
    version_id integer NOT NULL REFERENCES versions(id),
    updated_at text NOT NULL,
    PRIMARY KEY (model_id, alias)
  );
  CREATE TABLE events (
    id           serial PRIMARY KEY,
    model_id     integer NOT NULL REFERENCES models(id),
    at           text NOT NULL,
    actor        text NOT NULL,
    action       text NOT NULL,
    alias        text,
    from_version integer,
    to_version   integer,
    reason       text NOT NULL DEFAULT '',
    ref_event_id integer REFERENCES events(id),
    details_json text
  );
  CREATE INDEX events_by_alias ON events (model_id, alias, id);
  `,
  // 1 → 2: tags, labels, training features, reports, policies
  `
  CREATE TABLE tags (
    version_id integer NOT NULL REFERENCES versions(id) ON DELETE CASCADE,
    key        text NOT NULL,
    value      text NOT NULL,
    PRIMARY KEY (version_id, key)
  );
  CREATE TABLE labels (
    version_id integer NOT NULL REFERENCES versions(id) ON DELETE CASCADE,
    cluster    integer NOT NULL,
    name       text NOT NULL,
    PRIMARY KEY (version_id, cluster)
  );
  CREATE TABLE features (
    version_id integer PRIMARY KEY REFERENCES versions(id) ON DELETE CASCADE,
    customers  integer NOT NULL,
    encoding   text NOT NULL,
    bytes      bytea NOT NULL
  );
  CREATE TABLE reports (
    version_id integer PRIMARY KEY REFERENCES versions(id) ON DELETE CASCADE,
    format     text NOT NULL,
    bytes      bytea NOT NULL
  );
  CREATE TABLE policies (
    model_id    integer PRIMARY KEY REFERENCES models(id),
    policy_json text NOT NULL,
    updated_at  text NOT NULL
  );
  `,
  // 2 → 3: version numbers only go up (a counter kept with the model)
  `
  ALTER TABLE models ADD COLUMN last_version integer NOT NULL DEFAULT 0;
  `,
  // 3 → 4: saved scoring runs, and the model-state token bumped by statement triggers on
  // aliases, labels, artifacts and versions (status) in the writing transaction
  `
  CREATE TABLE runs (
    id                 text PRIMARY KEY,
    model_id           integer NOT NULL REFERENCES models(id),
    version            integer NOT NULL,
    export_name        text NOT NULL,
    export_sha256      text NOT NULL,
    snapshot_date      text NOT NULL,
    rows_read          bigint NOT NULL,
    rows_dropped       text NOT NULL,
    customers          integer NOT NULL,
    created_by         text NOT NULL,
    created_at         text NOT NULL,
    summary            text NOT NULL,
    facts              text NOT NULL,
    customers_blob     bytea NOT NULL,
    customers_encoding text NOT NULL
  );
  CREATE INDEX runs_by_model ON runs (model_id, created_at);
  CREATE TABLE model_state (
    id    integer PRIMARY KEY CHECK (id = 1),
    token bigint NOT NULL
  );
  INSERT INTO model_state (id, token) VALUES (1, 0);
  CREATE FUNCTION rfm_bump_model_state() RETURNS trigger LANGUAGE plpgsql AS $$
  BEGIN
    UPDATE model_state SET token = token + 1 WHERE id = 1;
    RETURN NULL;
  END $$;
  CREATE TRIGGER model_state_aliases AFTER INSERT OR DELETE OR UPDATE ON aliases
    FOR EACH STATEMENT EXECUTE FUNCTION rfm_bump_model_state();
  CREATE TRIGGER model_state_labels AFTER INSERT OR DELETE OR UPDATE ON labels
    FOR EACH STATEMENT EXECUTE FUNCTION rfm_bump_model_state();
  CREATE TRIGGER model_state_artifacts AFTER INSERT OR DELETE OR UPDATE ON artifacts
    FOR EACH STATEMENT EXECUTE FUNCTION rfm_bump_model_state();
  CREATE TRIGGER model_state_versions AFTER INSERT OR DELETE OR UPDATE OF status ON versions
    FOR EACH STATEMENT EXECUTE FUNCTION rfm_bump_model_state();
  `,
  // 4 → 5: scoring jobs run by servers (issue 11). Transient state, not part of the audit trail:
  // progress writes here record no event, so they never move the model-state token. (Numbered
  // after the saved-runs table of 3 → 4.)
  `
  CREATE TABLE run_jobs (
    id               text PRIMARY KEY,
    model            text NOT NULL,
    version          integer,
    alias            text,
    state            text NOT NULL CHECK (state IN ('queued', 'running', 'succeeded', 'failed', 'cancelled')),
    phase            text,
    rows_read        bigint NOT NULL DEFAULT 0,
    percent          double precision NOT NULL DEFAULT 0,
    error_code       text,
    error            text,
    created_by       text NOT NULL,
    created_at       text NOT NULL,
    updated_at       text NOT NULL,
    server_id        text NOT NULL,
    cancel_requested integer NOT NULL DEFAULT 0,
    save             integer NOT NULL DEFAULT 1,
    options_json     text NOT NULL DEFAULT '{}',
    result_json      text
  );
  CREATE INDEX run_jobs_by_state ON run_jobs (state, created_at);
  `,
  // 5 → 6: personal data (issue 18). runs_state: a counter bumped by a statement trigger on any
  // write to runs (save, delete, erasure rewriting a run's customers), so a server's customer-lookup
  // index knows with one primary-key read whether it is still current. registry_secrets: the
  // per-registry key of the keyed hash that erasure events record instead of a customer id.
  `
  CREATE TABLE runs_state (
    id    integer PRIMARY KEY CHECK (id = 1),
    token bigint NOT NULL
  );
  INSERT INTO runs_state (id, token) VALUES (1, 0);
  CREATE FUNCTION rfm_bump_runs_state() RETURNS trigger LANGUAGE plpgsql AS $$
  BEGIN
    UPDATE runs_state SET token = token + 1 WHERE id = 1;
    RETURN NULL;
  END $$;
  CREATE TRIGGER runs_state_runs AFTER INSERT OR DELETE OR UPDATE ON runs
    FOR EACH STATEMENT EXECUTE FUNCTION rfm_bump_runs_state();
  CREATE TABLE registry_secrets (
    name  text PRIMARY KEY,
    value text NOT NULL
  );
  `,
  // 6 → 7: drift on saved runs and a webhook per model (issue 18, drift part). `drift` is the run's
  // measured drift as JSON (runs/src/drift.ts); NULL on runs saved before this step ("not measured").
  // `run_webhooks`: where a JSON summary of each saved run is posted (no customer-level data).
  `
  ALTER TABLE runs ADD COLUMN drift text;
  CREATE TABLE run_webhooks (
    model_id   integer PRIMARY KEY REFERENCES models(id),
    url        text NOT NULL,
    updated_at text NOT NULL
  );
  `,
];
