"""What a reader may see: the one place search turns a clearance into a rule.

Every path by which text reaches a result — matching, ranking, snippets, the subject shown,
"has at least one visible portion" — calls ``portion_clause`` (SQL) or ``allows`` (the same
rule in Python, for search's in-memory portion arrays); nothing else interprets
``portions.level`` or ``portions.caveats``.
"""

from __future__ import annotations

from dataclasses import dataclass, field

__all__ = ["Visibility"]


@dataclass(frozen=True)
class Visibility:
    """A reader's clearance: portions up to ``max_level`` (0 U .. 5 TS) whose caveats are
    all in ``caveats`` (e.g. ``frozenset({"NOFORN"})``)."""

    max_level: int
    caveats: frozenset[str] = field(default_factory=frozenset)

    def __post_init__(self) -> None:
        if isinstance(self.caveats, str):
            raise TypeError("caveats must be a set of caveat names, not a str")
        # Normalise once so the SQL compares like with like.
        object.__setattr__(
            self, "caveats", frozenset(c.strip().upper() for c in self.caveats if c.strip())
        )

    def portion_clause(self, alias: str = "p") -> tuple[str, list[object]]:
        """SQL (and its parameters) true for a visible row of ``portions`` named ``alias``.

        ``alias`` is always a constant of this package, never user text. ``caveats`` is a
        space-separated list; it is a subset of the allowed set when deleting every allowed
        name (as `` NAME ``, after doubling the separators so neighbours do not share a
        space) leaves only blanks.
        """
        sql = f"{alias}.level <= ?"
        params: list[object] = [int(self.max_level)]
        if not self.caveats:
            return f"({sql} AND {alias}.caveats = '')", params
        expr = f"' ' || replace(upper({alias}.caveats), ' ', '  ') || ' '"
        for name in sorted(self.caveats):
            expr = f"replace({expr}, ?, '')"
            params.append(f" {name} ")
        return f"({sql} AND ({alias}.caveats = '' OR trim({expr}) = ''))", params

    def allows(self, level: int, caveats: str) -> bool:
        """``portion_clause`` in Python, for one portion's ``level`` and space-separated
        ``caveats`` (search filters in-memory arrays with it; the tests check that both
        say the same)."""
        if level > self.max_level:
            return False
        names = caveats.upper().split()
        return all(name in self.caveats for name in names)
