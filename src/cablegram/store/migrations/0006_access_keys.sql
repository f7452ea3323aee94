-- Cablegram PostgreSQL schema, migration 0006: what issue 21 added to the access file.
--
-- The server's secrets (the login form's CSRF signing key), as in the SQLite access file's
-- ``keys`` table; and the audit log's retention: entries older than the policy
-- ``audit-retention-days`` (0: keep all) may be deleted, nothing else may be (the SQLite
-- file's ``audit_keep`` trigger, the same rule).
CREATE TABLE IF NOT EXISTS keys (
    name TEXT PRIMARY KEY,
    value TEXT NOT NULL
);
CREATE OR REPLACE FUNCTION audit_append_only() RETURNS trigger LANGUAGE plpgsql AS $$
DECLARE
    days INTEGER;
BEGIN
    IF TG_OP = 'DELETE' THEN
        SELECT CAST(value AS INTEGER) INTO days FROM policy WHERE key = 'audit-retention-days';
        IF coalesce(days, 0) > 0 AND OLD.at < to_char(
            (now() AT TIME ZONE 'UTC') - make_interval(days => days), 'YYYY-MM-DD"T"HH24:MI:SS'
        ) THEN
            RETURN OLD;
        END IF;
    END IF;
    RAISE EXCEPTION 'the audit log is append-only';
END
$$;
