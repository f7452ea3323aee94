"""The telegram system: lint a cable, compose one from a record or a draft, and measure
how much of each post's traffic an archive holds (docs/telegram.md).

Modules: ``transmission`` (DE line, banner, page headers read from the record's text),
``lint`` (the rules), ``compose`` (a record as a telegram), ``roundtrip`` (parse of
compose, field by field), ``draft`` (drafts and ``send``), ``counters`` (the archive's
serial counters), ``coverage`` (serials held per post and year), ``anomalies`` (lint
findings kept in an archive).
"""

from cablegram.telegram.compose import compose
from cablegram.telegram.lint import RULES, Finding, lint

__all__ = ["RULES", "Finding", "compose", "lint"]
