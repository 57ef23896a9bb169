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
];
