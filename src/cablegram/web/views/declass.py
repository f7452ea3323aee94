"""The declassification review: cables whose declassify-on date has passed."""

from __future__ import annotations

from datetime import date
from typing import Any

from cablegram.access.view import ReaderArchive as Archive  # pages only ever get a view
from cablegram.web.templating import render


def declass_page(arc: Archive, raw_due: str, who: dict[str, Any] | None = None) -> str:
    """``raw_due``: the ``due`` parameter (YYYY-MM-DD); today when missing or no date."""
    try:
        due = date.fromisoformat(raw_due) if raw_due else date.today()
    except ValueError:
        due = date.today()
    return render("declass.html", rep=arc.declassification(due), who=who, nav="declass", q="")
