"""Lint over an archive: the findings of every cable, kept in the archive.

``refresh(store)`` lints the cables whose shown version changed since the last run (all
of them the first time) and keeps their findings in ``lint_findings``, which the
``lint:RULE`` search filter and the Anomalies page read. Linting is not part of ingest:
it reads every record again (about 600 cables/s here), which would cost the ingest of the
whole release minutes; ``cablegram lint --db``, ``cablegram send`` and ``make demo``
refresh, and the page says when cables are waiting for it (docs/telegram.md).
"""

from __future__ import annotations

import json
from collections import Counter
from collections.abc import Iterable
from dataclasses import dataclass, field
from typing import Any

from cablegram.model import Cable
from cablegram.telegram.lint import RULES, lint

__all__ = ["Anomalies", "refresh", "anomalies", "stale"]

_TABLES = (
    """CREATE TABLE IF NOT EXISTS lint_state (
    cable_id TEXT PRIMARY KEY,
    version_id INTEGER NOT NULL        -- the version the findings are of
)""",
    """CREATE TABLE IF NOT EXISTS lint_findings (
    cable_id TEXT NOT NULL,
    seq INTEGER NOT NULL,
    rule TEXT NOT NULL,                -- a rule id of cablegram.telegram.lint.RULES
    severity TEXT NOT NULL,
    message TEXT NOT NULL,
    location TEXT NOT NULL,
    PRIMARY KEY (cable_id, seq)
)""",
    "CREATE INDEX IF NOT EXISTS lint_findings_rule ON lint_findings(rule)",
)


def _pg(store: Any) -> bool:
    return type(store).__module__.endswith("postgres")


def _commit(store: Any) -> None:
    if not _pg(store):
        store.conn.commit()


def ensure_tables(store: Any) -> None:
    for sql in _TABLES:
        store.conn.execute(sql)
    _commit(store)


def has_tables(store: Any) -> bool:
    return findings_table(store.conn, pg=_pg(store))


def findings_table(conn: Any, *, pg: bool) -> bool:
    """Whether the database on ``conn`` has lint findings (the search filter asks)."""
    if pg:
        row = conn.execute("SELECT to_regclass('lint_findings')").fetchone()
        return row is not None and row[0] is not None
    row = conn.execute(
        "SELECT 1 FROM sqlite_master WHERE type = 'table' AND name = 'lint_findings'"
    ).fetchone()
    return row is not None


def stale(store: Any) -> int:
    """How many cables have no findings for their shown version yet."""
    if not has_tables(store):
        return int(store.conn.execute("SELECT count(*) FROM cables").fetchone()[0])
    return int(store.conn.execute(
        "SELECT count(*) FROM cables c LEFT JOIN lint_state s ON s.cable_id = c.id "
        "WHERE s.version_id IS NULL OR s.version_id != c.version_id"
    ).fetchone()[0])  # fmt: skip


def refresh(store: Any, *, batch: int = 500) -> int:
    """Lint the cables whose shown version has no findings yet; returns how many."""
    ensure_tables(store)
    p = "%s" if _pg(store) else "?"
    todo = store.conn.execute(
        "SELECT c.id, c.version_id FROM cables c LEFT JOIN lint_state s ON s.cable_id = c.id "
        "WHERE s.version_id IS NULL OR s.version_id != c.version_id ORDER BY c.id"
    ).fetchall()
    done = 0
    for i in range(0, len(todo), batch):
        part = todo[i : i + batch]
        versions = dict((r[0], r[1]) for r in part)
        rows: list[tuple[Any, ...]] = []
        for rec in store.iter_records([r[0] for r in part]):
            cable = Cable.from_dict(json.loads(rec))
            for seq, f in enumerate(lint(cable)):
                rows.append((cable.id, seq, f.rule, f.severity, f.message, f.where))
        ids = list(versions)
        marks = ",".join([p] * len(ids))
        store.conn.execute(f"DELETE FROM lint_findings WHERE cable_id IN ({marks})", ids)
        store.conn.execute(f"DELETE FROM lint_state WHERE cable_id IN ({marks})", ids)
        cur = store.conn.cursor()
        cur.executemany(
            f"INSERT INTO lint_findings (cable_id, seq, rule, severity, message, location) "
            f"VALUES ({p}, {p}, {p}, {p}, {p}, {p})",
            rows,
        )
        cur.executemany(
            f"INSERT INTO lint_state (cable_id, version_id) VALUES ({p}, {p})",
            list(versions.items()),
        )
        _commit(store)
        done += len(part)
    # Findings of cables no longer in the archive.
    store.conn.execute("DELETE FROM lint_findings WHERE cable_id NOT IN (SELECT id FROM cables)")
    store.conn.execute("DELETE FROM lint_state WHERE cable_id NOT IN (SELECT id FROM cables)")
    _commit(store)
    return done


def cables_with(store: Any, rule: str) -> list[str]:
    """The ids of the cables with a finding of ``rule`` (all of them: an administrator's
    list; readers reach them through ``lint:RULE``)."""
    p = "%s" if _pg(store) else "?"
    return [r[0] for r in store.conn.execute(
        f"SELECT DISTINCT cable_id FROM lint_findings WHERE rule = {p} ORDER BY cable_id",
        (rule,)).fetchall()]  # fmt: skip


@dataclass
class Anomalies:
    """Counts of cables per rule, and per rule and year, and per rule and origin."""

    rules: dict[str, int] = field(default_factory=dict)  # rule -> cables
    findings: dict[str, int] = field(default_factory=dict)  # rule -> findings
    by_year: dict[str, dict[int, int]] = field(default_factory=dict)
    by_origin: dict[str, dict[str, int]] = field(default_factory=dict)
    cables: int = 0  # cables linted
    stale: int = 0  # cables waiting for `cablegram lint --db`

    def to_dict(self) -> dict[str, Any]:
        return {
            "cables": self.cables,
            "stale": self.stale,
            "rules": [
                {"rule": r, "severity": RULES[r].severity, "title": RULES[r].title,
                 "cables": n, "findings": self.findings.get(r, 0),
                 "years": {str(y): k for y, k in sorted(self.by_year.get(r, {}).items())},
                 "origins": dict(sorted(self.by_origin.get(r, {}).items(),
                                        key=lambda x: (-x[1], x[0])))}
                for r, n in self.rules.items()
            ],
        }  # fmt: skip


def anomalies(store: Any, ids: Iterable[str] | None = None) -> Anomalies:
    """The counts over every linted cable, or over ``ids`` only (a reader's cables)."""
    out = Anomalies(stale=stale(store))
    if not has_tables(store):
        return out
    allowed = None if ids is None else set(ids)
    rows = store.conn.execute(
        "SELECT f.cable_id, f.rule, c.year, c.origin_code FROM lint_findings f "
        "JOIN cables c ON c.id = f.cable_id"
    ).fetchall()
    per_rule: dict[str, set[str]] = {}
    findings: Counter[str] = Counter()
    years: dict[str, Counter[int]] = {}
    origins: dict[str, Counter[str]] = {}
    seen: set[tuple[str, str]] = set()
    for cid, rule, year, origin in rows:
        if allowed is not None and cid not in allowed:
            continue
        findings[rule] += 1
        if (cid, rule) in seen:
            continue
        seen.add((cid, rule))
        per_rule.setdefault(rule, set()).add(cid)
        if year is not None:
            years.setdefault(rule, Counter())[int(year)] += 1
        if origin:
            origins.setdefault(rule, Counter())[origin] += 1
    linted = [r[0] for r in store.conn.execute("SELECT cable_id FROM lint_state").fetchall()]
    out.cables = len(linted) if allowed is None else len(allowed.intersection(linted))
    out.rules = {r: len(per_rule[r]) for r in RULES if r in per_rule}
    out.findings = dict(findings)
    out.by_year = {r: dict(c) for r, c in years.items()}
    out.by_origin = {r: dict(c) for r, c in origins.items()}
    return out
