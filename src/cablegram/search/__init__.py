"""Search: the query language (``query``: ``nodes``, one ``fields`` table), its execution
on SQLite (``sqlite``) and PostgreSQL (``postgres``), and what both answer (``results``).

    >>> from cablegram.search import search, parse_query, Visibility
    >>> result = search(conn, 'origin:BAKU "naval base" -tag:PREL', per_page=10)

See docs/search.md for the syntax.
"""

from cablegram.search.query import QueryError, parse_query, unparse
from cablegram.search.results import Hit, SearchResult, Snippet
from cablegram.search.sqlite import search, search_ids
from cablegram.search.visibility import Visibility

__all__ = [
    "Hit",
    "QueryError",
    "SearchResult",
    "Snippet",
    "Visibility",
    "parse_query",
    "search",
    "search_ids",
    "unparse",
]
