-- Cablegram PostgreSQL schema, migration 0008: positions in the postings (issue 20).
--
-- A phrase ("human rights") was found by intersecting its words' portions, then asking
-- PostgreSQL which of those hold the words in order (`tsv @@ 'human' <-> 'rights'`),
-- which read thousands of heap pages for a common phrase. Each segment of
-- `term_postings` now carries, beside `pids`, the term's positions in each of those
-- portions, copied from the portion's tsvector, so search checks word order in the
-- process (search/pgengine.py) with the same rule as `<->`, reading no portion.
--
-- `pos`: for each id of `pids`, in the same order, the term's positions in that portion
-- as 2-byte big-endian integers (int2send), the first one with bit 15 set (positions
-- stop at 16,383, 14 bits). numpy reads it without parsing: the set bits mark where each
-- portion's positions start. A word's search reads `pids` only; a large `pos` is stored
-- out of line (TOAST), so it costs a word nothing.
--
-- Both columns are aggregated from the same rows (one per portion and term) in the same
-- order, so they stay aligned whatever order the aggregate receives its rows in.
-- docs/scaling.md says why.
ALTER TABLE term_postings ADD COLUMN IF NOT EXISTS pos BYTEA;
-- Stored out of line as they are, not compressed: pglz took over half of this
-- migration's rebuild (and of the trigger's writes), and every read of a common word
-- paid for decompressing it; uncompressed, the postings take about 1.6x the space.
ALTER TABLE term_postings ALTER COLUMN pids SET STORAGE EXTERNAL,
    ALTER COLUMN pos SET STORAGE EXTERNAL;

-- The CASE below (twice) is one portion's positions of one term, as `pos` holds them;
-- it is written out in place because a SQL function holding a subquery is not inlined,
-- and a function call per row would cost more than the rest of the statement.
-- Most terms occur once or twice in a paragraph: those cases are int2send, the rest a
-- small aggregate. A lexeme without positions (a stripped tsvector, which cablegram never
-- writes) gets position 0.
CREATE OR REPLACE FUNCTION term_postings_append() RETURNS trigger LANGUAGE plpgsql AS $$
DECLARE
    segment BIGINT := nextval('term_postings_seg');
BEGIN
    -- A chunk's ~10,000 terms hashed in memory, not spilled to disk (for this transaction).
    PERFORM set_config('work_mem', '64MB', true);
    -- No ORDER BY: the rows come in insertion order, i.e. ascending ids, which the hash
    -- aggregate keeps (a third cheaper than sorting each term's ids); search sorts a
    -- segment that is not in order anyway, carrying each id's positions along.
    INSERT INTO term_postings (term, seg, pids, pos)
    SELECT u.lexeme, segment, string_agg(int8send(n.portion_id), ''::bytea),
           string_agg(CASE cardinality(u.positions)
               WHEN 1 THEN int2send((u.positions[1] - 32768)::int2)
               WHEN 2 THEN int2send((u.positions[1] - 32768)::int2) || int2send(u.positions[2])
               ELSE coalesce((SELECT string_agg(int2send(CASE WHEN o = 1 THEN (x - 32768)::int2
                                                          ELSE x END), ''::bytea ORDER BY o)
                              FROM unnest(u.positions) WITH ORDINALITY AS t(x, o)), '\x8000')
           END, ''::bytea)
    FROM new_portions n, unnest(n.tsv) AS u
    GROUP BY u.lexeme;
    RETURN NULL;
END
$$;

-- The postings of the portions already stored, rebuilt in one pass: one segment a term,
-- ids ascending (the portions read in id order through the primary key: the heap of an
-- archive loaded by several writers is not in id order; the hash aggregate keeps its
-- input's order). `cablegram migrate --db URL` upgrades an archive and prints the time
-- this took; docs/scaling.md has figures.
TRUNCATE term_postings;
SET LOCAL work_mem = '1GB';
SET LOCAL enable_sort = off;  -- the index, and a hash aggregate
SET LOCAL max_parallel_workers_per_gather = 0;  -- one scan, in order
INSERT INTO term_postings (term, seg, pids, pos)
SELECT u.lexeme, 0, string_agg(int8send(p.portion_id), ''::bytea),
       string_agg(CASE cardinality(u.positions)
               WHEN 1 THEN int2send((u.positions[1] - 32768)::int2)
               WHEN 2 THEN int2send((u.positions[1] - 32768)::int2) || int2send(u.positions[2])
               ELSE coalesce((SELECT string_agg(int2send(CASE WHEN o = 1 THEN (x - 32768)::int2
                                                          ELSE x END), ''::bytea ORDER BY o)
                              FROM unnest(u.positions) WITH ORDINALITY AS t(x, o)), '\x8000')
           END, ''::bytea)
FROM (SELECT portion_id, tsv FROM portions ORDER BY portion_id) p, unnest(p.tsv) AS u
GROUP BY u.lexeme;
RESET enable_sort;
RESET max_parallel_workers_per_gather;
RESET work_mem;

ALTER TABLE term_postings ALTER COLUMN pos SET NOT NULL;
