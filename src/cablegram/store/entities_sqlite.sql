-- Cablegram entity tables (written by `cablegram enrich`), documented in docs/entities.md.
-- Created on demand by cablegram.enrich (every statement is idempotent), next to the
-- tables of schema_sqlite.sql, which they reference.
--
-- Three layers:
--   1. extraction, per cable and redone when the cable's text or the extractor changes:
--      enriched, mentions, entity_links, citations (kind 'text'), septels;
--   2. resolution, recomputed over the archive after each enrichment: mentions.entity_id,
--      entities, entity_aliases, entity_titles, citations (kind 'septel');
--   3. user decisions, never touched by ingest or enrichment: entity_corrections, applied
--      in order after every resolution.

CREATE TABLE IF NOT EXISTS enrich_meta (
    key TEXT PRIMARY KEY,
    value TEXT NOT NULL
);
-- The secret that keys the entity ids restricted readers see (cablegram.access.entity_ids):
-- without it a dictionary of names cannot be turned into those ids.
INSERT OR IGNORE INTO enrich_meta (key, value) VALUES ('public_id_key', lower(hex(randomblob(32))));

-- One row per enriched cable: the version of the cable and of the extractor it was read
-- with. A cable whose row is missing or differs is (re-)enriched by the next run.
CREATE TABLE IF NOT EXISTS enriched (
    cable_id TEXT PRIMARY KEY REFERENCES cables(id) ON DELETE CASCADE,
    version_id INTEGER NOT NULL,
    extractor TEXT NOT NULL,
    enriched_at TEXT NOT NULL,
    n_mentions INTEGER NOT NULL DEFAULT 0
) WITHOUT ROWID;

-- Resolution keys: the normal form of a full name, per kind ("person", "safar abiyev").
CREATE TABLE IF NOT EXISTS entity_keys (
    key_id INTEGER PRIMARY KEY,
    kind TEXT NOT NULL,
    key TEXT NOT NULL,
    UNIQUE (kind, key)
);

-- Every mention: offsets into the portion's text (portion_id NULL for the signer and the
-- classifying official, which stand outside the paragraphs). entity_id is NULL for
-- redacted sources (kind 'redacted') and for mentions of entities a user deleted.
CREATE TABLE IF NOT EXISTS mentions (
    mention_id INTEGER PRIMARY KEY,
    entity_id TEXT,
    cable_id TEXT NOT NULL REFERENCES cables(id) ON DELETE CASCADE,
    portion_id INTEGER REFERENCES portions(portion_id) ON DELETE CASCADE,
    start_char INTEGER NOT NULL DEFAULT 0,
    end_char INTEGER NOT NULL DEFAULT 0,
    kind TEXT NOT NULL,                  -- person | org | place | redacted
    key_id INTEGER REFERENCES entity_keys(key_id),
    text TEXT NOT NULL DEFAULT '',       -- as written: "Abiyev", "the Defense Minister"
    name TEXT NOT NULL DEFAULT '',       -- the full name it was resolved to in its cable
    title TEXT NOT NULL DEFAULT '',      -- "Defense Minister"
    role TEXT NOT NULL DEFAULT 'text'    -- text | title | signer | classifier | redacted
);
CREATE INDEX IF NOT EXISTS mentions_entity ON mentions(entity_id, cable_id);
CREATE INDEX IF NOT EXISTS mentions_cable ON mentions(cable_id);
CREATE INDEX IF NOT EXISTS mentions_key ON mentions(key_id);
CREATE INDEX IF NOT EXISTS mentions_portion ON mentions(portion_id);

-- Resolved entities. entity_id is "kind:slug" of the entity's anchor key
-- ("person:safar-abiyev") and stays stable across re-enrichment.
CREATE TABLE IF NOT EXISTS entities (
    entity_id TEXT PRIMARY KEY,
    kind TEXT NOT NULL,
    name TEXT NOT NULL,
    n_mentions INTEGER NOT NULL DEFAULT 0,
    n_cables INTEGER NOT NULL DEFAULT 0,
    first_seen TEXT,                     -- YYYY-MM-DD of the earliest cable
    last_seen TEXT,
    curated INTEGER NOT NULL DEFAULT 0   -- 1 when a user decision shaped it
);
CREATE INDEX IF NOT EXISTS entities_name ON entities(name COLLATE NOCASE, kind);
CREATE INDEX IF NOT EXISTS entities_kind ON entities(kind, n_cables);

CREATE TABLE IF NOT EXISTS entity_aliases (
    entity_id TEXT NOT NULL REFERENCES entities(entity_id) ON DELETE CASCADE,
    alias TEXT NOT NULL,
    n INTEGER NOT NULL DEFAULT 0,        -- mentions written this way
    PRIMARY KEY (entity_id, alias)
) WITHOUT ROWID;
CREATE INDEX IF NOT EXISTS entity_aliases_alias ON entity_aliases(alias COLLATE NOCASE);

CREATE TABLE IF NOT EXISTS entity_titles (
    entity_id TEXT NOT NULL REFERENCES entities(entity_id) ON DELETE CASCADE,
    title TEXT NOT NULL,
    n INTEGER NOT NULL DEFAULT 0,
    first_seen TEXT,
    last_seen TEXT,
    PRIMARY KEY (entity_id, title)
) WITHOUT ROWID;

-- Evidence that two keys name one entity, found in a cable ("Office of Defense
-- Cooperation (ODC)").
CREATE TABLE IF NOT EXISTS entity_links (
    cable_id TEXT NOT NULL REFERENCES cables(id) ON DELETE CASCADE,
    kind TEXT NOT NULL,
    key TEXT NOT NULL,
    other TEXT NOT NULL,
    PRIMARY KEY (cable_id, kind, key, other)
) WITHOUT ROWID;

-- User decisions, applied in order after every resolution. action: merge (entity_id into
-- target), split (the mentions of entity_id in scope become target, named name), rename,
-- delete. scope (JSON) for split: {"cables": [...], "before": "YYYY-MM-DD",
-- "after": "YYYY-MM-DD", "aliases": [...]}.
CREATE TABLE IF NOT EXISTS entity_corrections (
    correction_id INTEGER PRIMARY KEY,
    action TEXT NOT NULL,
    entity_id TEXT NOT NULL,
    target TEXT NOT NULL DEFAULT '',
    name TEXT NOT NULL DEFAULT '',
    scope TEXT NOT NULL DEFAULT '{}',
    note TEXT NOT NULL DEFAULT '',
    created_at TEXT NOT NULL
);

-- Cables cited outside the REF block: in the text ("08 BAKU 123", kind 'text') and septels
-- matched to archive cables (kind 'septel', with a score). The REF block is in `refs`.
CREATE TABLE IF NOT EXISTS citations (
    cable_id TEXT NOT NULL REFERENCES cables(id) ON DELETE CASCADE,
    cited_id TEXT NOT NULL,
    kind TEXT NOT NULL,
    seq INTEGER NOT NULL DEFAULT 0,
    text TEXT NOT NULL DEFAULT '',
    score REAL NOT NULL DEFAULT 1,
    PRIMARY KEY (cable_id, cited_id, kind)
) WITHOUT ROWID;
CREATE INDEX IF NOT EXISTS citations_cited ON citations(cited_id);

-- Sentences that mention a septel, with the entities named in them (JSON list of
-- "kind:key"), for matching septels to cables.
CREATE TABLE IF NOT EXISTS septels (
    cable_id TEXT NOT NULL REFERENCES cables(id) ON DELETE CASCADE,
    seq INTEGER NOT NULL,
    start_char INTEGER NOT NULL,
    text TEXT NOT NULL,
    keys TEXT NOT NULL DEFAULT '[]',
    PRIMARY KEY (cable_id, seq, start_char)
) WITHOUT ROWID;

-- When the store rewrites a cable's portions (a better version, a re-parse), its mentions
-- go with them (ON DELETE CASCADE above) and the cable is due for enrichment again.
CREATE TRIGGER IF NOT EXISTS enrich_portions_ad AFTER DELETE ON portions BEGIN
    DELETE FROM enriched WHERE cable_id = old.cable_id;
END;
