-- Cablegram PostgreSQL schema, migration 0004: other ids a cable is published or cited
-- under (WikiLeaks' malformed ids such as 09EFTOLONDON2239, a file named for another id),
-- from every version written, each resolving to the cable (docs/schema.md).
CREATE TABLE IF NOT EXISTS aliases (
    alias TEXT COLLATE "C" NOT NULL,
    cable_id TEXT COLLATE "C" NOT NULL,
    PRIMARY KEY (alias, cable_id)
);
