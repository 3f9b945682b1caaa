-- A tracking database as the store wrote it before Esteira.Sql existed (its own runner, schema_version at 2),
-- with one finished run. Copied from src/Esteira.Tracking/Sql/Migrations/sqlite/000{1,2}*.sql and Migrations.cs; do not edit.
CREATE TABLE IF NOT EXISTS schema_version (version INTEGER PRIMARY KEY, name TEXT NOT NULL, applied_at BIGINT NOT NULL);
CREATE TABLE runs (
    id INTEGER PRIMARY KEY AUTOINCREMENT,
    experiment TEXT NOT NULL,
    status TEXT NOT NULL CHECK (status IN ('running', 'finished', 'failed')),
    started_at INTEGER NOT NULL,
    ended_at INTEGER,
    heartbeat_at INTEGER NOT NULL,
    error TEXT,
    git_commit TEXT,
    git_dirty INTEGER,
    dataset_hash TEXT,
    experiment_hash TEXT,
    esteira_version TEXT,
    machine TEXT,
    blend_parts TEXT,
    owner_host TEXT NOT NULL,
    owner_pid INTEGER NOT NULL,
    owner_started_at INTEGER,
    gate_passed INTEGER,
    gate_verdict TEXT
);
CREATE INDEX ix_runs_experiment ON runs (experiment, id);
CREATE INDEX ix_runs_status ON runs (status, id);

CREATE TABLE run_params (
    run_id INTEGER NOT NULL REFERENCES runs (id) ON DELETE CASCADE,
    key TEXT NOT NULL,
    value TEXT NOT NULL,
    PRIMARY KEY (run_id, key)
);

CREATE TABLE run_metrics (
    run_id INTEGER NOT NULL REFERENCES runs (id) ON DELETE CASCADE,
    name TEXT NOT NULL,
    fold INTEGER NOT NULL,
    step INTEGER NOT NULL,
    value REAL,
    logged_at INTEGER NOT NULL,
    PRIMARY KEY (run_id, name, fold, step)
);
CREATE INDEX ix_run_metrics_sort ON run_metrics (name, fold, step, value);

CREATE TABLE run_tags (
    run_id INTEGER NOT NULL REFERENCES runs (id) ON DELETE CASCADE,
    key TEXT NOT NULL,
    value TEXT NOT NULL,
    PRIMARY KEY (run_id, key)
);

CREATE TABLE run_stages (
    run_id INTEGER NOT NULL REFERENCES runs (id) ON DELETE CASCADE,
    stage TEXT NOT NULL,
    seconds REAL NOT NULL,
    ordinal INTEGER NOT NULL,
    PRIMARY KEY (run_id, stage)
);

CREATE TABLE run_artifacts (
    run_id INTEGER NOT NULL REFERENCES runs (id) ON DELETE CASCADE,
    name TEXT NOT NULL,
    uri TEXT NOT NULL,
    PRIMARY KEY (run_id, name)
);

CREATE TABLE models (
    name TEXT PRIMARY KEY,
    last_version INTEGER NOT NULL,
    created_at INTEGER NOT NULL
);

CREATE TABLE model_versions (
    model TEXT NOT NULL REFERENCES models (name),
    version INTEGER NOT NULL,
    run_id INTEGER NOT NULL REFERENCES runs (id),
    created_at INTEGER NOT NULL,
    note TEXT,
    PRIMARY KEY (model, version),
    UNIQUE (model, run_id)
);

CREATE TABLE model_aliases (
    model TEXT NOT NULL,
    alias TEXT NOT NULL,
    version INTEGER NOT NULL,
    updated_at INTEGER NOT NULL,
    PRIMARY KEY (model, alias),
    FOREIGN KEY (model, version) REFERENCES model_versions (model, version)
);

CREATE TABLE alias_history (
    id INTEGER PRIMARY KEY AUTOINCREMENT,
    model TEXT NOT NULL,
    alias TEXT NOT NULL,
    version INTEGER NOT NULL,
    run_id INTEGER NOT NULL,
    previous_version INTEGER,
    kind TEXT NOT NULL CHECK (kind IN ('gate', 'manual')),
    reason TEXT NOT NULL,
    actor TEXT,
    changed_at INTEGER NOT NULL
);
CREATE INDEX ix_alias_history ON alias_history (model, alias, id);

CREATE TABLE submissions (
    id INTEGER PRIMARY KEY AUTOINCREMENT,
    run_id INTEGER REFERENCES runs (id),
    file_sha256 TEXT NOT NULL,
    target TEXT NOT NULL,
    status TEXT NOT NULL CHECK (status IN ('pending', 'complete', 'error')),
    cv_score REAL,
    public_score REAL,
    private_score REAL,
    external_id TEXT,
    message TEXT,
    submitted_at INTEGER NOT NULL,
    updated_at INTEGER NOT NULL
);
CREATE INDEX ix_submissions_target_time ON submissions (target, submitted_at);
CREATE INDEX ix_submissions_run ON submissions (run_id);
INSERT INTO schema_version (version, name, applied_at) VALUES (1, 'initial', 1764000000000);
ALTER TABLE runs ADD COLUMN uid TEXT;
UPDATE runs SET uid = lower(hex(randomblob(16))) WHERE uid IS NULL;
CREATE UNIQUE INDEX ux_runs_uid ON runs (uid);
INSERT INTO schema_version (version, name, applied_at) VALUES (2, 'run_uid', 1764000000000);
INSERT INTO runs (uid, experiment, status, started_at, ended_at, heartbeat_at, owner_host, owner_pid)
VALUES ('0123456789abcdef0123456789abcdef', 'legacy', 'finished', 1764000000000, 1764000060000, 1764000060000, 'old-host', 42);
INSERT INTO run_params (run_id, key, value) VALUES (1, 'lr', '0.1');
INSERT INTO run_metrics (run_id, name, fold, step, value, logged_at) VALUES (1, 'rmse', -1, -1, 0.5, 1764000060000);
