-- Esteira tracking schema, version 1 (SQLite).
-- Times are Unix milliseconds (UTC) in both dialects, so that every query is shared SQL.
-- Metric fold/step use -1 for "none": NULL cannot be part of a primary key.
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
-- Sorting runs by a summary metric walks this index instead of sorting every run.
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
