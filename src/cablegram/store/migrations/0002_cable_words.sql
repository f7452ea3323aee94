-- Words in a cable's searchable portions (the length search's ranking normalises by).
ALTER TABLE cables ADD COLUMN IF NOT EXISTS n_words INTEGER NOT NULL DEFAULT 0;
