-- Cablegram PostgreSQL schema, migration 0003: cheaper ingest and search at scale
-- (docs/scaling.md, "Measured here").
--
-- 1. versions.record (Cable.to_dict() as JSON, ~16 KB a version) was compressed with pglz,
--    the default, which cost the server more time than everything else an ingest writes
--    for a cable. Where the server is built with lz4 the record is compressed with lz4
--    (several times faster, about as small); elsewhere it is stored uncompressed, out of
--    line (about 7 KB more a version). Values already stored keep their form; the text is
--    the same either way.
DO $$
BEGIN
    IF EXISTS (SELECT 1 FROM pg_settings
               WHERE name = 'default_toast_compression' AND 'lz4' = ANY (enumvals)) THEN
        EXECUTE 'ALTER TABLE versions ALTER COLUMN record SET COMPRESSION lz4';
    ELSE
        EXECUTE 'ALTER TABLE versions ALTER COLUMN record SET STORAGE EXTERNAL';
    END IF;
END
$$;

-- 2. A tag code's rows in cable order: the tag facet's labels read one row per code (the
--    first by cable id), not all of them; `tag:` filters become index-only. On a "C"
--    column the default operator class serves `code LIKE 'P%'` too.
DROP INDEX IF EXISTS tags_code;
CREATE INDEX tags_code ON tags (code, cable_id);
