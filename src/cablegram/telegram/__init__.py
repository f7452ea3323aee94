"""The telegram system: lint a cable, compose one from a record or a draft, and measure
how much of each post's traffic an archive holds (docs/telegram.md)."""

from cablegram.telegram.lint import RULES, Finding, lint

__all__ = ["RULES", "Finding", "lint"]
