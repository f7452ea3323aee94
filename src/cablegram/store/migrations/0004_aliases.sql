-- Cablegram PostgreSQL schema, migration 0004: other ids a cable is published or cited
-- under (WikiLeaks' malformed ids such as 09EFTOLONDON2239, a file named for another id),
-- each resolving to the cable (docs/schema.md).
CREATE TABLE IF NOT EXISTS aliases (
    cable_id TEXT COLLATE "C" NOT NULL REFERENCES cables (id) ON DELETE CASCADE,
    alias TEXT COLLATE "C" NOT NULL,
    PRIMARY KEY (cable_id, alias)
);
CREATE INDEX IF NOT EXISTS aliases_alias ON aliases (alias);
