"""What extraction reads of a cable and what it gives back: the records shared by the
extractor, the resolution inside a cable and the database layer."""

from __future__ import annotations

from dataclasses import dataclass, field

__all__ = ["KINDS", "CableEntities", "CableText", "Candidate", "Mention"]

KINDS = ("person", "org", "place")


@dataclass
class Mention:
    kind: str  # person | org | place | redacted
    name: str  # display name after cable-level resolution ("Safar Abiyev")
    text: str  # as written ("Abiyev", "the Defense Minister", "GOAJ")
    seq: int | None  # portion seq of the paragraph; None for the signer / classifier
    start: int = 0  # offsets in the paragraph text
    end: int = 0
    title: str = ""  # "Defense Minister"
    role: str = "text"  # text | title | signer | classifier | redacted
    key: str = ""  # resolution key: kind-specific normal form of the full name


@dataclass
class CableText:
    """What extraction reads of a cable."""

    id: str
    paragraphs: list[tuple[int, str]] = field(default_factory=list)  # (portion seq, text)
    signer: str = ""
    classified_by: tuple[str, str] = ("", "")  # (name, title)
    countries: list[str] = field(default_factory=list)  # names of the country TAGS
    year: int | None = None


@dataclass
class CableEntities:
    id: str
    mentions: list[Mention] = field(default_factory=list)
    links: list[tuple[str, str, str]] = field(default_factory=list)  # (kind, key, other key)
    citations: list[tuple[str, int, str]] = field(default_factory=list)  # (id, seq, text)
    septels: list[tuple[int, int, int, str, list[str]]] = field(default_factory=list)
    # (seq, start, end, sentence, keys of the entities named in it)


@dataclass
class Candidate:
    """A span the rules or the model propose, before one kind per span is chosen."""

    start: int
    end: int
    kind: str  # person | org | place | block
    name: str
    prio: int
    title: str = ""
    seq: int = 0
    text: str = ""
