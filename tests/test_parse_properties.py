"""Property-based tests: the parser never raises and records round-trip."""

from __future__ import annotations

import json
from pathlib import Path

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from cablegram import parse
from cablegram.model import Cable

SEED = (Path(__file__).resolve().parent.parent / "samples" / "09BAKU433.md").read_text()

# Text drawn from the cable's own vocabulary finds far more parser paths than noise.
cable_words = st.sampled_from(
    SEED.split()
    + [
        "\n",
        "\n\n",
        "¶",
        "(C)",
        "(S/NF)",
        "SECTION",
        "OF",
        "REF:",
        "TAGS:",
        "SUBJECT:",
        "E.O.",
        "DECL:",
        "Classified",
        "By:",
        "VZCZC",
        "ZNY",
        "SSSSS",
        "010101Z",
        "JAN",
        "09",
        "C O N F I D E N T I A L",
        "UNCLAS",
        "<pre>",
        '"',
        "\\",
    ]
)


@settings(max_examples=300, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(st.text(max_size=3000))
def test_arbitrary_text_never_raises(text: str) -> None:
    c = parse(text)
    assert isinstance(c, Cable)
    assert "internal" not in c.defect_codes()


@settings(max_examples=300, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(st.binary(max_size=3000))
def test_arbitrary_bytes_never_raise(data: bytes) -> None:
    c = parse(data)
    assert isinstance(c, Cable)
    assert "internal" not in c.defect_codes()


@settings(max_examples=300, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(st.lists(cable_words, max_size=400).map(" ".join))
def test_cable_like_text_never_raises_and_roundtrips(text: str) -> None:
    c = parse(text)
    assert "internal" not in c.defect_codes()
    assert Cable.from_dict(json.loads(json.dumps(c.to_dict()))) == c


@settings(max_examples=200, deadline=None)
@given(st.integers(min_value=0, max_value=len(SEED)))
def test_truncating_a_real_cable_anywhere_still_yields_a_record(cut: int) -> None:
    c = parse(SEED[:cut])
    assert isinstance(c, Cable)
    assert "internal" not in c.defect_codes()
    assert Cable.from_dict(c.to_dict()) == c
    if cut > SEED.index("SECTION 01 OF 03") + 30:
        assert c.id == "09BAKU433"


@settings(max_examples=200, deadline=None)
@given(st.integers(min_value=0, max_value=len(SEED.encode())))
def test_truncated_bytes_still_parse(cut: int) -> None:
    c = parse(SEED.encode()[:cut])
    assert "internal" not in c.defect_codes()
