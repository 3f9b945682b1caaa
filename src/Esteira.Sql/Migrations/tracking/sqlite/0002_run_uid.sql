-- Every run gets a uid: 128 random bits as 32 lowercase hex digits, kept when a run is copied to another store,
-- so that copying the same run twice (esteira runs import) is recognised and skipped.
ALTER TABLE runs ADD COLUMN uid TEXT;
UPDATE runs SET uid = lower(hex(randomblob(16))) WHERE uid IS NULL;
CREATE UNIQUE INDEX ux_runs_uid ON runs (uid);
