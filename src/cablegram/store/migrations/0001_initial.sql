-- Cablegram PostgreSQL schema, migration 0001: the tables of docs/schema.md.
-- Applied once, in one transaction, by cablegram.store.postgres (recorded in
-- schema_migrations). Text that is compared or sorted is COLLATE "C" so that ordering and
-- ranges (ids, dates, codes) behave byte-wise, as in SQLite, whatever the server's locale.

CREATE TABLE meta (
    key TEXT COLLATE "C" PRIMARY KEY,
    value TEXT NOT NULL
);

CREATE TABLE versions (
    version_id BIGINT GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    cable_id TEXT COLLATE "C" NOT NULL,
    content_hash TEXT COLLATE "C" NOT NULL UNIQUE,
    source TEXT NOT NULL,
    member TEXT NOT NULL DEFAULT '',
    rendering TEXT NOT NULL DEFAULT '',
    completeness BIGINT NOT NULL DEFAULT 0,
    run_id BIGINT,
    ingested_at TEXT NOT NULL,
    record TEXT NOT NULL            -- Cable.to_dict() as JSON text (record::jsonb to query it)
);
CREATE INDEX versions_cable ON versions (cable_id);

CREATE TABLE cables (
    id TEXT COLLATE "C" PRIMARY KEY,
    version_id BIGINT NOT NULL REFERENCES versions (version_id),
    origin_code TEXT COLLATE "C" NOT NULL DEFAULT '',
    origin_name TEXT COLLATE "C" NOT NULL DEFAULT '',
    origin_routing TEXT NOT NULL DEFAULT '',
    dtg TEXT COLLATE "C",
    date TEXT COLLATE "C",
    year INTEGER,
    month TEXT COLLATE "C",
    precedence TEXT NOT NULL DEFAULT '',
    classification TEXT COLLATE "C" NOT NULL DEFAULT '',
    class_level INTEGER NOT NULL DEFAULT 0,
    subject TEXT NOT NULL DEFAULT '',
    summary TEXT NOT NULL DEFAULT '',
    comment TEXT NOT NULL DEFAULT '',
    signer TEXT COLLATE "C" NOT NULL DEFAULT '',
    sections INTEGER,
    eo TEXT NOT NULL DEFAULT '',
    declassify_on TEXT NOT NULL DEFAULT '',
    classified_by_name TEXT NOT NULL DEFAULT '',
    classified_by_title TEXT NOT NULL DEFAULT '',
    transmission_id TEXT NOT NULL DEFAULT '',
    rendering TEXT NOT NULL DEFAULT '',
    n_versions INTEGER NOT NULL DEFAULT 1,
    created TEXT NOT NULL DEFAULT '',
    released TEXT NOT NULL DEFAULT '',
    n_paragraphs INTEGER NOT NULL DEFAULT 0
);
CREATE INDEX cables_date ON cables (date);
CREATE INDEX cables_origin ON cables (origin_code text_pattern_ops);
CREATE INDEX cables_class ON cables (class_level);
CREATE INDEX cables_year ON cables (year);
CREATE INDEX cables_id_prefix ON cables (id text_pattern_ops);
CREATE INDEX cables_signer ON cables (lower(signer));
CREATE INDEX cables_origin_name ON cables (lower(origin_name));

CREATE TABLE caveats (
    cable_id TEXT COLLATE "C" NOT NULL REFERENCES cables (id) ON DELETE CASCADE,
    caveat TEXT COLLATE "C" NOT NULL,
    PRIMARY KEY (cable_id, caveat)
);
CREATE INDEX caveats_caveat ON caveats (caveat);

CREATE TABLE tags (
    cable_id TEXT COLLATE "C" NOT NULL REFERENCES cables (id) ON DELETE CASCADE,
    code TEXT COLLATE "C" NOT NULL,
    kind TEXT NOT NULL DEFAULT '',
    name TEXT NOT NULL DEFAULT '',
    seq INTEGER NOT NULL DEFAULT 0,
    PRIMARY KEY (cable_id, code)
);
CREATE INDEX tags_code ON tags (code text_pattern_ops);

CREATE TABLE addressees (
    cable_id TEXT COLLATE "C" NOT NULL REFERENCES cables (id) ON DELETE CASCADE,
    role TEXT COLLATE "C" NOT NULL,
    seq INTEGER NOT NULL,
    routing TEXT COLLATE "C" NOT NULL DEFAULT '',
    name TEXT NOT NULL DEFAULT '',
    precedence TEXT NOT NULL DEFAULT '',
    serial TEXT NOT NULL DEFAULT '',
    PRIMARY KEY (cable_id, role, seq)
);
CREATE INDEX addressees_routing ON addressees (routing);

CREATE TABLE refs (
    cable_id TEXT COLLATE "C" NOT NULL REFERENCES cables (id) ON DELETE CASCADE,
    seq INTEGER NOT NULL,
    ref_id TEXT COLLATE "C" NOT NULL DEFAULT '',
    text TEXT NOT NULL DEFAULT '',
    year_inferred INTEGER NOT NULL DEFAULT 0,
    label TEXT NOT NULL DEFAULT '',
    PRIMARY KEY (cable_id, seq)
);
CREATE INDEX refs_ref ON refs (ref_id);

CREATE TABLE reasons (
    cable_id TEXT COLLATE "C" NOT NULL REFERENCES cables (id) ON DELETE CASCADE,
    seq INTEGER NOT NULL,
    reason TEXT NOT NULL,
    PRIMARY KEY (cable_id, seq)
);

CREATE TABLE defects (
    cable_id TEXT COLLATE "C" NOT NULL REFERENCES cables (id) ON DELETE CASCADE,
    seq INTEGER NOT NULL,
    code TEXT COLLATE "C" NOT NULL,
    message TEXT NOT NULL DEFAULT '',
    PRIMARY KEY (cable_id, seq)
);
CREATE INDEX defects_code ON defects (code);

-- Searchable portions. `tsv` is written by the store from the same tokens as SQLite's
-- unicode61 tokenizer (lower-cased, diacritics folded; text first, then the heading after a
-- gap so that no phrase spans the two), not by to_tsvector: no stemming, no stop words.
CREATE TABLE portions (
    portion_id BIGINT GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    cable_id TEXT COLLATE "C" NOT NULL REFERENCES cables (id) ON DELETE CASCADE,
    kind TEXT COLLATE "C" NOT NULL,
    seq INTEGER NOT NULL,
    number INTEGER,
    marking TEXT NOT NULL DEFAULT '',
    level INTEGER NOT NULL DEFAULT 0,
    caveats TEXT COLLATE "C" NOT NULL DEFAULT '',
    heading TEXT NOT NULL DEFAULT '',
    text TEXT NOT NULL DEFAULT '',
    tsv TSVECTOR NOT NULL
);
CREATE INDEX portions_cable ON portions (cable_id, seq);
CREATE INDEX portions_tsv ON portions USING gin (tsv);

CREATE TABLE ingest_runs (
    run_id BIGINT GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    started_at TEXT NOT NULL,
    finished_at TEXT,
    args TEXT NOT NULL DEFAULT '',
    new INTEGER NOT NULL DEFAULT 0,
    updated INTEGER NOT NULL DEFAULT 0,
    unchanged INTEGER NOT NULL DEFAULT 0,
    failed INTEGER NOT NULL DEFAULT 0,
    status TEXT NOT NULL DEFAULT 'running'
);

CREATE TABLE errors (
    error_id BIGINT GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    run_id BIGINT,
    source TEXT COLLATE "C" NOT NULL,
    member TEXT COLLATE "C" NOT NULL DEFAULT '',
    content_hash TEXT COLLATE "C",
    reason TEXT NOT NULL,
    at TEXT NOT NULL,
    code TEXT COLLATE "C" NOT NULL DEFAULT '',
    UNIQUE (source, member, content_hash)
);
CREATE INDEX errors_hash ON errors (content_hash);
CREATE INDEX errors_code ON errors (code);
