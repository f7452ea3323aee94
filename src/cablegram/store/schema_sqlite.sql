-- Cablegram SQLite schema, version 3. Documented in docs/schema.md.
-- Normalised so a person can read it in sqlite3 or Datasette. The current version of each
-- cable is spread over the tables below; every version's full record stays in `versions`.
-- Every statement is idempotent (IF NOT EXISTS): the store runs this script on each open.

CREATE TABLE IF NOT EXISTS meta (
    key TEXT PRIMARY KEY,
    value TEXT NOT NULL
);

-- One row per distinct content (a release's rendering of a cable). Content hashes decide
-- idempotence: the same bytes ingested twice make one row.
CREATE TABLE IF NOT EXISTS versions (
    version_id INTEGER PRIMARY KEY,
    cable_id TEXT NOT NULL,
    content_hash TEXT NOT NULL UNIQUE,   -- sha256 of the input document's bytes
    source TEXT NOT NULL,                -- file path (or archive path)
    member TEXT NOT NULL DEFAULT '',     -- member inside an archive, csv row number...
    rendering TEXT NOT NULL DEFAULT '',
    completeness INTEGER NOT NULL DEFAULT 0,  -- higher = more fields/text; the shown version is the max
    run_id INTEGER,
    ingested_at TEXT NOT NULL,
    record TEXT NOT NULL                 -- Cable.to_dict() as JSON
);
CREATE INDEX IF NOT EXISTS versions_cable ON versions(cable_id);

-- The shown (most complete) version of each cable, flattened.
CREATE TABLE IF NOT EXISTS cables (
    key INTEGER PRIMARY KEY,              -- compact integer key: search's doc values, portion ids
    id TEXT NOT NULL UNIQUE,
    version_id INTEGER NOT NULL REFERENCES versions(version_id),
    origin_code TEXT NOT NULL DEFAULT '',
    origin_name TEXT NOT NULL DEFAULT '',
    origin_routing TEXT NOT NULL DEFAULT '',
    dtg TEXT,                             -- ISO 8601 UTC
    date TEXT,                            -- YYYY-MM-DD (from dtg, else archive created)
    year INTEGER,
    month TEXT,                           -- YYYY-MM
    precedence TEXT NOT NULL DEFAULT '',
    classification TEXT NOT NULL DEFAULT '',
    class_level INTEGER NOT NULL DEFAULT 0,   -- 0 U, 1 LOU, 2 SBU, 3 C, 4 S, 5 TS
    subject TEXT NOT NULL DEFAULT '',
    summary TEXT NOT NULL DEFAULT '',
    comment TEXT NOT NULL DEFAULT '',
    signer TEXT NOT NULL DEFAULT '',
    sections INTEGER,
    eo TEXT NOT NULL DEFAULT '',
    declassify_on TEXT NOT NULL DEFAULT '',
    classified_by_name TEXT NOT NULL DEFAULT '',
    classified_by_title TEXT NOT NULL DEFAULT '',
    transmission_id TEXT NOT NULL DEFAULT '',
    rendering TEXT NOT NULL DEFAULT '',
    n_versions INTEGER NOT NULL DEFAULT 1,
    created TEXT NOT NULL DEFAULT '',     -- archive metadata: when the archive says it was made
    released TEXT NOT NULL DEFAULT '',    -- archive metadata: when it was released
    n_paragraphs INTEGER NOT NULL DEFAULT 0,
    n_words INTEGER NOT NULL DEFAULT 0    -- words in the searchable portions (ranking's length)
);

-- Search keeps per-cable columns in memory (cablegram.search.docvalues); any change to
-- `cables` bumps this counter so a cached copy knows it is stale.
INSERT OR IGNORE INTO meta (key, value) VALUES ('generation', '0');
CREATE TRIGGER IF NOT EXISTS cables_gen_ai AFTER INSERT ON cables BEGIN
    UPDATE meta SET value = CAST(value AS INTEGER) + 1 WHERE key = 'generation';
END;
CREATE TRIGGER IF NOT EXISTS cables_gen_au AFTER UPDATE ON cables BEGIN
    UPDATE meta SET value = CAST(value AS INTEGER) + 1 WHERE key = 'generation';
END;
CREATE TRIGGER IF NOT EXISTS cables_gen_ad AFTER DELETE ON cables BEGIN
    UPDATE meta SET value = CAST(value AS INTEGER) + 1 WHERE key = 'generation';
END;
CREATE INDEX IF NOT EXISTS cables_date ON cables(date);
CREATE INDEX IF NOT EXISTS cables_origin ON cables(origin_code);
CREATE INDEX IF NOT EXISTS cables_class ON cables(class_level);
CREATE INDEX IF NOT EXISTS cables_year ON cables(year);

-- The shown version's lists. Each is stored keyed by the integer cables.key, and read
-- through a view of the same name keyed by the text cable_id (the view is what you query:
-- `SELECT * FROM tags WHERE cable_id = '09BAKU433'`, the same SQL as on PostgreSQL).
-- Why: new cables get ever larger keys, so their rows append at the end of each table;
-- keyed by the text id they landed on a random page of every table, and at 250,000 cables
-- writing those pages back was a third of the ingest writer's time (docs/ingest.md).
CREATE TABLE IF NOT EXISTS cable_caveats (
    cable_key INTEGER NOT NULL REFERENCES cables(key) ON DELETE CASCADE,
    caveat TEXT NOT NULL,
    PRIMARY KEY (cable_key, caveat)
) WITHOUT ROWID;
CREATE INDEX IF NOT EXISTS cable_caveats_caveat ON cable_caveats(caveat);
CREATE VIEW IF NOT EXISTS caveats AS
    SELECT c.id AS cable_id, x.caveat
    FROM cable_caveats x JOIN cables c ON c.key = x.cable_key;

CREATE TABLE IF NOT EXISTS cable_tags (
    cable_key INTEGER NOT NULL REFERENCES cables(key) ON DELETE CASCADE,
    code TEXT NOT NULL,
    kind TEXT NOT NULL DEFAULT '',
    name TEXT NOT NULL DEFAULT '',
    seq INTEGER NOT NULL DEFAULT 0,      -- order in the TAGS line
    PRIMARY KEY (cable_key, code)
) WITHOUT ROWID;
CREATE INDEX IF NOT EXISTS cable_tags_code ON cable_tags(code);
CREATE VIEW IF NOT EXISTS tags AS
    SELECT c.id AS cable_id, x.code, x.kind, x.name, x.seq
    FROM cable_tags x JOIN cables c ON c.key = x.cable_key;

CREATE TABLE IF NOT EXISTS cable_addressees (
    cable_key INTEGER NOT NULL REFERENCES cables(key) ON DELETE CASCADE,
    role TEXT NOT NULL,                  -- to | info
    seq INTEGER NOT NULL,
    routing TEXT NOT NULL DEFAULT '',
    name TEXT NOT NULL DEFAULT '',
    precedence TEXT NOT NULL DEFAULT '',
    serial TEXT NOT NULL DEFAULT '',
    PRIMARY KEY (cable_key, role, seq)
) WITHOUT ROWID;
CREATE INDEX IF NOT EXISTS cable_addressees_routing ON cable_addressees(routing);
CREATE VIEW IF NOT EXISTS addressees AS
    SELECT c.id AS cable_id, x.role, x.seq, x.routing, x.name, x.precedence, x.serial
    FROM cable_addressees x JOIN cables c ON c.key = x.cable_key;

CREATE TABLE IF NOT EXISTS cable_refs (
    cable_key INTEGER NOT NULL REFERENCES cables(key) ON DELETE CASCADE,
    seq INTEGER NOT NULL,
    ref_id TEXT NOT NULL DEFAULT '',     -- canonical id of the cited cable ('' if unresolved)
    text TEXT NOT NULL DEFAULT '',
    year_inferred INTEGER NOT NULL DEFAULT 0,
    label TEXT NOT NULL DEFAULT '',
    PRIMARY KEY (cable_key, seq)
) WITHOUT ROWID;
CREATE INDEX IF NOT EXISTS cable_refs_ref ON cable_refs(ref_id);
CREATE VIEW IF NOT EXISTS refs AS
    SELECT c.id AS cable_id, x.seq, x.ref_id, x.text, x.year_inferred, x.label
    FROM cable_refs x JOIN cables c ON c.key = x.cable_key;

-- E.O. classification reasons (1.4(b), 1.4(d)...), one row each.
CREATE TABLE IF NOT EXISTS cable_reasons (
    cable_key INTEGER NOT NULL REFERENCES cables(key) ON DELETE CASCADE,
    seq INTEGER NOT NULL,
    reason TEXT NOT NULL,
    PRIMARY KEY (cable_key, seq)
) WITHOUT ROWID;
CREATE VIEW IF NOT EXISTS reasons AS
    SELECT c.id AS cable_id, x.seq, x.reason
    FROM cable_reasons x JOIN cables c ON c.key = x.cable_key;

-- What the parser repaired or could not read in the shown version.
CREATE TABLE IF NOT EXISTS cable_defects (
    cable_key INTEGER NOT NULL REFERENCES cables(key) ON DELETE CASCADE,
    seq INTEGER NOT NULL,
    code TEXT NOT NULL,
    message TEXT NOT NULL DEFAULT '',
    PRIMARY KEY (cable_key, seq)
) WITHOUT ROWID;
CREATE INDEX IF NOT EXISTS cable_defects_code ON cable_defects(code);
CREATE VIEW IF NOT EXISTS defects AS
    SELECT c.id AS cable_id, x.seq, x.code, x.message
    FROM cable_defects x JOIN cables c ON c.key = x.cable_key;

-- Other ids a cable is published or cited under (WikiLeaks' malformed ids such as
-- 09EFTOLONDON2239, a file named for another id), from every version written: each
-- resolves to the cable (Archive.get, id: and ref: queries).
CREATE TABLE IF NOT EXISTS aliases (
    alias TEXT NOT NULL,
    cable_id TEXT NOT NULL,
    PRIMARY KEY (alias, cable_id)
) WITHOUT ROWID;

-- Searchable portions of the shown version: the subject (kind 'subject', seq 0) and each
-- paragraph (kind 'para', seq 1..n), each with its own portion marking so search can be
-- restricted to what a reader may see. `level` uses the class_level scale; `caveats` is a
-- space-separated list. The summary is normally cut from a paragraph and searchable there;
-- only a summary found in no paragraph gets a portion of its own (kind 'summary', seq 0).
-- portion_id = cables.key * 4096 + the portion's position (0..4095; a cable's later
-- portions are folded into the last one): a portion id names its cable without a lookup,
-- and a cable's portions are one rowid range of the full-text index.
CREATE TABLE IF NOT EXISTS portions (
    portion_id INTEGER PRIMARY KEY,      -- cables.key * 4096 + position in the cable (see below)
    cable_id TEXT NOT NULL REFERENCES cables(id) ON DELETE CASCADE,
    kind TEXT NOT NULL,                  -- subject | summary | para
    seq INTEGER NOT NULL,                -- order in the cable (subject and summary = 0)
    number INTEGER,                      -- paragraph number
    marking TEXT NOT NULL DEFAULT '',    -- as written (C, S/NF); '' when unmarked
    level INTEGER NOT NULL DEFAULT 0,    -- effective level (unmarked -> cable's level)
    caveats TEXT NOT NULL DEFAULT '',
    heading TEXT NOT NULL DEFAULT '',
    text TEXT NOT NULL DEFAULT ''
);
CREATE INDEX IF NOT EXISTS portions_cable ON portions(cable_id, seq);

-- Full text over portions (external content: text lives once, in `portions`).
CREATE VIRTUAL TABLE IF NOT EXISTS portions_fts USING fts5(
    text, heading,
    content='portions', content_rowid='portion_id',
    tokenize="unicode61 remove_diacritics 2"
);
-- FTS5 writes a new segment whenever its pending terms pass 'hashsize' bytes (default 1 MB),
-- and merges 'automerge' segments of a level into one of the next (default 4). With room for
-- 16 MB of terms (about 6 MB of text per 1,000 cables; an ingest transaction is 4,096)
-- each transaction writes a segment or two, and merging 8 at a time rewrites each entry
-- fewer times (2.6 instead of 4 at 250,000 cables): together the index costs the writer about half as much, and
-- queries see fewer segments than with a flush per paragraph (docs/ingest.md). Databases
-- made before get them when opened.
INSERT INTO portions_fts(portions_fts, rank) VALUES ('hashsize', 16777216);
INSERT INTO portions_fts(portions_fts, rank) VALUES ('automerge', 8);

-- The triggers keep portions_fts in step with portions, whoever writes. The ingest writer
-- alone suspends the insert trigger, inside its own transaction: it inserts a
-- 'fts_deferred' row in meta (never committed), writes the transaction's new portions, then
-- indexes them with one INSERT ... SELECT and deletes the row before it commits. (FTS5
-- flushes its pending terms at every statement savepoint: a trigger call per row wrote one
-- tiny segment per paragraph, and merging them was most of the writer's time.) Deleted and
-- updated portions always go through the triggers; see docs/ingest.md.
CREATE TRIGGER IF NOT EXISTS portions_ai AFTER INSERT ON portions
WHEN NOT EXISTS (SELECT 1 FROM meta WHERE key = 'fts_deferred') BEGIN
    INSERT INTO portions_fts(rowid, text, heading) VALUES (new.portion_id, new.text, new.heading);
END;
CREATE TRIGGER IF NOT EXISTS portions_ad AFTER DELETE ON portions BEGIN
    INSERT INTO portions_fts(portions_fts, rowid, text, heading)
    VALUES ('delete', old.portion_id, old.text, old.heading);
END;
CREATE TRIGGER IF NOT EXISTS portions_au AFTER UPDATE ON portions BEGIN
    INSERT INTO portions_fts(portions_fts, rowid, text, heading)
    VALUES ('delete', old.portion_id, old.text, old.heading);
    INSERT INTO portions_fts(rowid, text, heading) VALUES (new.portion_id, new.text, new.heading);
END;

CREATE TABLE IF NOT EXISTS ingest_runs (
    run_id INTEGER PRIMARY KEY,
    started_at TEXT NOT NULL,
    finished_at TEXT,                    -- NULL: still running, or killed
    args TEXT NOT NULL DEFAULT '',
    new INTEGER NOT NULL DEFAULT 0,
    updated INTEGER NOT NULL DEFAULT 0,
    unchanged INTEGER NOT NULL DEFAULT 0,
    failed INTEGER NOT NULL DEFAULT 0,
    status TEXT NOT NULL DEFAULT 'running'   -- running | done | interrupted
);

-- Every input document that did not become a cable, naming the file, the member and why.
-- content_hash is '' when the document could not even be read (a corrupt archive).
CREATE TABLE IF NOT EXISTS errors (
    error_id INTEGER PRIMARY KEY,
    run_id INTEGER,
    source TEXT NOT NULL,
    member TEXT NOT NULL DEFAULT '',
    content_hash TEXT,
    reason TEXT NOT NULL,
    at TEXT NOT NULL,
    code TEXT NOT NULL DEFAULT '',       -- empty | binary | no-id | read | json | parser | crash
    UNIQUE (source, member, content_hash)
);
CREATE INDEX IF NOT EXISTS errors_hash ON errors(content_hash);
CREATE INDEX IF NOT EXISTS errors_code ON errors(code);

-- Search (cablegram.search): signer: and origin:"Post Name" filters compare case-insensitively.
CREATE INDEX IF NOT EXISTS cables_signer ON cables(signer COLLATE NOCASE);
CREATE INDEX IF NOT EXISTS cables_origin_name ON cables(origin_name COLLATE NOCASE);

-- Search at archive scale (docs/benchmarks.md): covering indexes, so that matching a
-- common word reads cable ids and portion levels from a narrow index instead of the wide
-- portions rows (text inline), and the matching set reads its page and facet columns
-- without visiting the cables rows.
CREATE INDEX IF NOT EXISTS portions_search ON portions(portion_id, cable_id, kind, level, caveats);
CREATE INDEX IF NOT EXISTS cables_hit ON cables(
    id, date, origin_code, origin_name, year, month, classification, signer, class_level
);
