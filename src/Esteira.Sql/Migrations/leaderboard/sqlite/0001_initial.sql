-- Esteira leaderboard schema, version 1 (SQLite): the tables the server created before it had migrations.
-- IF NOT EXISTS lets a database created by that server adopt this version unchanged.
-- Times are Unix milliseconds (UTC); status is 0 pending, 1 complete, 2 error.
CREATE TABLE IF NOT EXISTS lb_teams (id INTEGER PRIMARY KEY AUTOINCREMENT, competition TEXT NOT NULL, name TEXT NOT NULL, salt BLOB NOT NULL, key_hash BLOB NOT NULL, created_ms INTEGER NOT NULL, UNIQUE (competition, name));
CREATE TABLE IF NOT EXISTS lb_uploads (token_hash TEXT PRIMARY KEY, competition TEXT NOT NULL, team TEXT NOT NULL, file_name TEXT NOT NULL, declared_length INTEGER NOT NULL, created_ms INTEGER NOT NULL, content_sha256 TEXT, size INTEGER);
CREATE TABLE IF NOT EXISTS lb_submissions (ref INTEGER PRIMARY KEY AUTOINCREMENT, competition TEXT NOT NULL, team TEXT NOT NULL, upload_token_hash TEXT NOT NULL UNIQUE, file_name TEXT NOT NULL, content_sha256 TEXT NOT NULL, total_bytes INTEGER NOT NULL, description TEXT NOT NULL, submitted_ms INTEGER NOT NULL, status INTEGER NOT NULL, public_score REAL, private_score REAL, error_description TEXT, counts INTEGER NOT NULL);
CREATE INDEX IF NOT EXISTS lb_submissions_team ON lb_submissions (competition, team, submitted_ms);
