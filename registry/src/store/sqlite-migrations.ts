/**
 * Schema migrations by `PRAGMA user_version`. Each entry upgrades from its index to index + 1 and
 * runs in the same transaction as the version bump, so a crash leaves the old schema intact.
 * Never edit a shipped migration: append a new one.
 */
export const SQLITE_MIGRATIONS: readonly string[] = [
  // 0 → 1: models, versions, artifacts, aliases, events
  `
  CREATE TABLE models (
    id          INTEGER PRIMARY KEY,
    name        TEXT NOT NULL UNIQUE,
    created_at  TEXT NOT NULL,
    description TEXT NOT NULL DEFAULT ''
  );
  CREATE TABLE versions (
    id            INTEGER PRIMARY KEY,
    model_id      INTEGER NOT NULL REFERENCES models(id),
    version       INTEGER NOT NULL CHECK (version >= 1),
    status        TEXT NOT NULL DEFAULT 'candidate' CHECK (status IN ('candidate', 'archived')),
    created_at    TEXT NOT NULL,
    created_by    TEXT NOT NULL,
    description   TEXT NOT NULL DEFAULT '',
    k             INTEGER NOT NULL,
    params_json   TEXT NOT NULL,
    metrics_json  TEXT NOT NULL,
    data_json     TEXT NOT NULL,
    training_json TEXT NOT NULL,
    UNIQUE (model_id, version)
  );
  CREATE TABLE artifacts (
    version_id INTEGER PRIMARY KEY REFERENCES versions(id) ON DELETE CASCADE,
    format     TEXT NOT NULL,
    sha256     TEXT NOT NULL CHECK (length(sha256) = 64),
    size       INTEGER NOT NULL,
    bytes      BLOB NOT NULL
  );
  CREATE TABLE aliases (
    model_id   INTEGER NOT NULL REFERENCES models(id),
    alias      TEXT NOT NULL,
    version_id INTEGER NOT NULL REFERENCES versions(id),
    updated_at TEXT NOT NULL,
    PRIMARY KEY (model_id, alias)
  );
  CREATE TABLE events (
    id           INTEGER PRIMARY KEY,
    model_id     INTEGER NOT NULL REFERENCES models(id),
    at           TEXT NOT NULL,
    actor        TEXT NOT NULL,
    action       TEXT NOT NULL,
    alias        TEXT,
    from_version INTEGER,
    to_version   INTEGER,
    reason       TEXT NOT NULL DEFAULT '',
    ref_event_id INTEGER REFERENCES events(id),
    details_json TEXT
  );
  CREATE INDEX events_by_alias ON events (model_id, alias, id);
  `,
  // 1 → 2: lifecycle — tags, per-version segment relabels, stored training features (for
  // comparing versions on the same customers), training reports, per-model promotion policy
  `
  CREATE TABLE tags (
    version_id INTEGER NOT NULL REFERENCES versions(id) ON DELETE CASCADE,
    key        TEXT NOT NULL,
    value      TEXT NOT NULL,
    PRIMARY KEY (version_id, key)
  );
  CREATE TABLE labels (
    version_id INTEGER NOT NULL REFERENCES versions(id) ON DELETE CASCADE,
    cluster    INTEGER NOT NULL,
    name       TEXT NOT NULL,
    PRIMARY KEY (version_id, cluster)
  );
  CREATE TABLE features (
    version_id INTEGER PRIMARY KEY REFERENCES versions(id) ON DELETE CASCADE,
    customers  INTEGER NOT NULL,
    encoding   TEXT NOT NULL,
    bytes      BLOB NOT NULL
  );
  CREATE TABLE reports (
    version_id INTEGER PRIMARY KEY REFERENCES versions(id) ON DELETE CASCADE,
    format     TEXT NOT NULL,
    bytes      BLOB NOT NULL
  );
  CREATE TABLE policies (
    model_id    INTEGER PRIMARY KEY REFERENCES models(id),
    policy_json TEXT NOT NULL,
    updated_at  TEXT NOT NULL
  );
  `,
  // 2 → 3: version numbers only go up. The counter lives with the model; it starts above every
  // number ever given, deleted versions included (their register/import events remember them).
  `
  ALTER TABLE models ADD COLUMN last_version INTEGER NOT NULL DEFAULT 0;
  UPDATE models SET last_version = max(
    COALESCE((SELECT MAX(version) FROM versions v WHERE v.model_id = models.id), 0),
    COALESCE((SELECT MAX(to_version) FROM events e WHERE e.model_id = models.id AND e.action IN ('register', 'import')), 0)
  );
  `,
  // 3 → 4: saved scoring runs (one row per run, customers as one compact blob), and the
  // model-state token: a counter the triggers below bump in the same transaction as any write to
  // aliases, labels, artifacts or versions (status), so servers reload only when what they serve
  // may have changed, never because a run was saved (PRAGMA data_version moves on every commit).
  `
  CREATE TABLE runs (
    id                 TEXT PRIMARY KEY,
    model_id           INTEGER NOT NULL REFERENCES models(id),
    version            INTEGER NOT NULL,
    export_name        TEXT NOT NULL,
    export_sha256      TEXT NOT NULL,
    snapshot_date      TEXT NOT NULL,
    rows_read          INTEGER NOT NULL,
    rows_dropped       TEXT NOT NULL,
    customers          INTEGER NOT NULL,
    created_by         TEXT NOT NULL,
    created_at         TEXT NOT NULL,
    summary            TEXT NOT NULL,
    facts              TEXT NOT NULL,
    customers_blob     BLOB NOT NULL,
    customers_encoding TEXT NOT NULL
  );
  CREATE INDEX runs_by_model ON runs (model_id, created_at);
  CREATE TABLE model_state (
    id    INTEGER PRIMARY KEY CHECK (id = 1),
    token INTEGER NOT NULL
  );
  INSERT INTO model_state (id, token) VALUES (1, 0);
  CREATE TRIGGER model_state_aliases_insert AFTER INSERT ON aliases
    BEGIN UPDATE model_state SET token = token + 1 WHERE id = 1; END;
  CREATE TRIGGER model_state_aliases_delete AFTER DELETE ON aliases
    BEGIN UPDATE model_state SET token = token + 1 WHERE id = 1; END;
  CREATE TRIGGER model_state_aliases_update AFTER UPDATE ON aliases
    BEGIN UPDATE model_state SET token = token + 1 WHERE id = 1; END;
  CREATE TRIGGER model_state_labels_insert AFTER INSERT ON labels
    BEGIN UPDATE model_state SET token = token + 1 WHERE id = 1; END;
  CREATE TRIGGER model_state_labels_delete AFTER DELETE ON labels
    BEGIN UPDATE model_state SET token = token + 1 WHERE id = 1; END;
  CREATE TRIGGER model_state_labels_update AFTER UPDATE ON labels
    BEGIN UPDATE model_state SET token = token + 1 WHERE id = 1; END;
  CREATE TRIGGER model_state_artifacts_insert AFTER INSERT ON artifacts
    BEGIN UPDATE model_state SET token = token + 1 WHERE id = 1; END;
  CREATE TRIGGER model_state_artifacts_delete AFTER DELETE ON artifacts
    BEGIN UPDATE model_state SET token = token + 1 WHERE id = 1; END;
  CREATE TRIGGER model_state_artifacts_update AFTER UPDATE ON artifacts
    BEGIN UPDATE model_state SET token = token + 1 WHERE id = 1; END;
  CREATE TRIGGER model_state_versions_insert AFTER INSERT ON versions
    BEGIN UPDATE model_state SET token = token + 1 WHERE id = 1; END;
  CREATE TRIGGER model_state_versions_delete AFTER DELETE ON versions
    BEGIN UPDATE model_state SET token = token + 1 WHERE id = 1; END;
  CREATE TRIGGER model_state_versions_update AFTER UPDATE OF status ON versions
    BEGIN UPDATE model_state SET token = token + 1 WHERE id = 1; END;
  `,
  // 4 → 5: scoring jobs run by servers (issue 11). Transient state, not part of the audit trail:
  // progress writes here record no event, so they never move the model-state token. (Numbered
  // after the saved-runs table of 3 → 4.)
  `
  CREATE TABLE run_jobs (
    id               TEXT PRIMARY KEY,
    model            TEXT NOT NULL,
    version          INTEGER,
    alias            TEXT,
    state            TEXT NOT NULL CHECK (state IN ('queued', 'running', 'succeeded', 'failed', 'cancelled')),
    phase            TEXT,
    rows_read        INTEGER NOT NULL DEFAULT 0,
    percent          REAL NOT NULL DEFAULT 0,
    error_code       TEXT,
    error            TEXT,
    created_by       TEXT NOT NULL,
    created_at       TEXT NOT NULL,
    updated_at       TEXT NOT NULL,
    server_id        TEXT NOT NULL,
    cancel_requested INTEGER NOT NULL DEFAULT 0,
    save             INTEGER NOT NULL DEFAULT 1,
    options_json     TEXT NOT NULL DEFAULT '{}',
    result_json      TEXT
  );
  CREATE INDEX run_jobs_by_state ON run_jobs (state, created_at);
  `,
  // 5 → 6: personal data (issue 18). runs_state: a counter bumped by triggers on any write to runs
  // (save, delete, erasure rewriting a run's customers), so a server's customer-lookup index knows
  // with one primary-key read whether it is still current. registry_secrets: the per-registry key
  // of the keyed hash that erasure events record instead of a customer id.
  `
  CREATE TABLE runs_state (
    id    INTEGER PRIMARY KEY CHECK (id = 1),
    token INTEGER NOT NULL
  );
  INSERT INTO runs_state (id, token) VALUES (1, 0);
  CREATE TRIGGER runs_state_insert AFTER INSERT ON runs
    BEGIN UPDATE runs_state SET token = token + 1 WHERE id = 1; END;
  CREATE TRIGGER runs_state_delete AFTER DELETE ON runs
    BEGIN UPDATE runs_state SET token = token + 1 WHERE id = 1; END;
  CREATE TRIGGER runs_state_update AFTER UPDATE ON runs
    BEGIN UPDATE runs_state SET token = token + 1 WHERE id = 1; END;
  CREATE TABLE registry_secrets (
    name  TEXT PRIMARY KEY,
    value TEXT NOT NULL
  );
  `,
  // 6 → 7: drift on saved runs and a webhook per model (issue 18, drift part). `drift` is the run's
  // measured drift as JSON (runs/src/drift.ts); NULL on runs saved before this step ("not measured").
  // `run_webhooks`: where a JSON summary of each saved run is posted (no customer-level data).
  `
  ALTER TABLE runs ADD COLUMN drift TEXT;
  CREATE TABLE run_webhooks (
    model_id   INTEGER PRIMARY KEY REFERENCES models(id),
    url        TEXT NOT NULL,
    updated_at TEXT NOT NULL
  );
  `,
];
