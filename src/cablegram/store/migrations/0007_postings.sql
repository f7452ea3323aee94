-- Cablegram PostgreSQL schema, migration 0007: postings, one row per term (issue 20).
--
-- Search (search/pgsearch.py) reads a word's portions as a few rows of this table instead
-- of asking the GIN index for thousands of `portions` rows and visiting each on the heap:
-- `pids` is the term's portion ids, ascending, as 8-byte big-endian integers
-- (int8send), which the search process turns into an array without parsing anything.
--
-- Every statement that inserts portions (the batch COPY, the item-by-item writer, a
-- reparse) appends one segment per term it wrote, `seg` from a sequence; writers are
-- serialised by the store's advisory lock, so segments in `seg` order hold ascending ids.
-- A deleted portion's id stays in its segments: ids are never reused, and search keeps
-- only the ids it finds among the live portions it has loaded (search/pgdocvalues.py).
-- PostgresStore.finish_run merges a term's segments into one when it has many.
-- docs/scaling.md says why.
CREATE SEQUENCE IF NOT EXISTS term_postings_seg;

CREATE TABLE IF NOT EXISTS term_postings (
    term TEXT COLLATE "C" NOT NULL,
    seg BIGINT NOT NULL,
    pids BYTEA NOT NULL,
    PRIMARY KEY (term, seg)
);

CREATE OR REPLACE FUNCTION term_postings_append() RETURNS trigger LANGUAGE plpgsql AS $$
DECLARE
    segment BIGINT := nextval('term_postings_seg');
BEGIN
    -- A chunk's ~10,000 terms hashed in memory, not spilled to disk (for this transaction).
    PERFORM set_config('work_mem', '64MB', true);
    -- No ORDER BY: the rows come in insertion order, i.e. ascending ids, which the hash
    -- aggregate keeps (a third cheaper than sorting each term's ids); search sorts a
    -- segment that is not in order anyway.
    INSERT INTO term_postings (term, seg, pids)
    SELECT u.lexeme, segment, string_agg(int8send(n.portion_id), ''::bytea)
    FROM new_portions n, unnest(n.tsv) AS u
    GROUP BY u.lexeme;
    RETURN NULL;
END
$$;

DROP TRIGGER IF EXISTS portions_postings ON portions;
CREATE TRIGGER portions_postings AFTER INSERT ON portions
    REFERENCING NEW TABLE AS new_portions
    FOR EACH STATEMENT EXECUTE FUNCTION term_postings_append();

-- The portions already stored (an archive made before this migration): one segment a term.
INSERT INTO term_postings (term, seg, pids)
SELECT u.lexeme, 0, string_agg(int8send(p.portion_id), ''::bytea ORDER BY p.portion_id)
FROM portions p, unnest(p.tsv) AS u
GROUP BY u.lexeme;

-- Search loads every portion's cable, kind, position, level and caveats once per generation
-- (search/pgdocvalues.py): this index lets it read them without the portions' text.
CREATE INDEX IF NOT EXISTS portions_meta ON portions (portion_id)
    INCLUDE (cable_id, kind, seq, level, caveats);
