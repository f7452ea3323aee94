"""One septel finder (reference/sentences.py) for the parser's ``Cable.septels`` and the
enrichment's septel citations: the cases each of the two old rules handled, and that
both now find the same sentences."""

from __future__ import annotations

import pytest

from cablegram.enrich.citations import _septels as enrich_septels
from cablegram.enrich.mentions import Mention
from cablegram.parser import parse, scan
from cablegram.parser.body import _septels as parser_septels
from cablegram.reference.sentences import sentences, septel_sentences
from conftest import BAKU_MD


def texts(text: str) -> list[str]:
    return [s for _, _, s in septel_sentences(text)]


# --- what the parser's rule handled -------------------------------------------------------


def test_a_bracketed_sentence_loses_its_brackets():
    text = ("Abiyev met the Ambassador on May 21. (Septels report General Craddock's meetings "
            "with President Aliyev.) Abiyev was accompanied by Admiral Sultanov.")  # fmt: skip
    assert texts(text) == ["Septels report General Craddock's meetings with President Aliyev."]


def test_a_line_ends_a_sentence_and_a_label_or_marking_is_left_out():
    assert texts("INDEX:\n(1) Poll on the cabinet\n(2) See septel for the rest\n(3) Beef") == [
        "See septel for the rest"
    ]
    assert texts("2. (S/NF) SEPTEL REPORTS ON THE DEMARCHE. THE MINISTER AGREED.") == [
        "SEPTEL REPORTS ON THE DEMARCHE."
    ]
    assert texts("b) septel follows") == ["septel follows"]


def test_a_bracket_inside_the_sentence_stays():
    assert texts("(Septel) reports the rest. Then more.") == ["(Septel) reports the rest."]
    assert texts("His advisers (SEPTEL), who include the Vice President, agree.") == [
        "His advisers (SEPTEL), who include the Vice President, agree."
    ]


def test_the_parser_lists_each_sentence_once_and_at_most_twenty():
    full = "\n\n".join(["Septel follows."] * 3 + [f"Septel {i} follows." for i in range(30)])
    for folded in (None, scan.fold(full)):
        got = parser_septels(full, folded)
        assert got[0] == "Septel follows." and got.count("Septel follows.") == 1
        assert len(got) == 20 and got[1] == "Septel 0 follows."
    assert parser_septels("No separate telegram here.", None) == []


# --- what the enrichment's rule handled ---------------------------------------------------


@pytest.mark.parametrize(
    "text",
    [
        "Growth of 1.5 percent (septel) is expected.",
        "Some posts, e.g. the Embassy, report septel.",
        "The U.S. officials will report septel.",
    ],
)
def test_a_stop_inside_a_sentence_does_not_end_it(text):
    assert texts(text + " Next sentence.") == [text]


def test_spans_point_into_the_text():
    text = "First. (C) Second sentence names septels here.  Third septel one.\nLast."
    got = septel_sentences(text)
    assert [text[s:e] for s, e, _ in got] == [
        "Second sentence names septels here.",
        "Third septel one.",
    ]
    assert [(s, e) for s, e in sentences("A b. C d.\nE")] == [(0, 4), (4, 9), (10, 11)]


def test_the_enrichment_keys_the_entities_named_in_the_sentence():
    para = "Aliyev met Craddock. Septel reports Mammadyarov's view. Abiyev agreed."
    s = para.index("Mammadyarov")
    mentions = [
        Mention("person", "Ilham Aliyev", "Aliyev", 3, 0, 6, key="ilham aliyev"),
        Mention(
            "person", "Elmar Mammadyarov", "Mammadyarov", 3, s, s + 11, key="elmar mammadyarov"
        ),
        Mention("person", "Elmar Mammadyarov", "Mammadyarov", 4, s, s + 11, key="other para"),
    ]
    ((seq, start, end, text, keys),) = enrich_septels([(3, para, para, None)], mentions)
    assert (seq, text, keys) == (
        3,
        "Septel reports Mammadyarov's view.",
        ["person:elmar mammadyarov"],
    )
    assert para[start:end] == text


# --- one rule -----------------------------------------------------------------------------


def test_parser_and_enrichment_find_the_same_sentences():
    c = parse(BAKU_MD.read_bytes())
    found = enrich_septels([(i, p.text, p.text, None) for i, p in enumerate(c.paragraphs)], [])
    assert c.septels == [text for *_, text, _ in found]
    assert c.septels == [
        "Septels report General Craddock's meetings with President Aliyev and Foreign Minister "
        "Elmar Mammadyarov."
    ]


def test_found_from_the_mentions_as_from_all_the_sentences():
    from cablegram.reference.sentences import SEPTEL

    texts_ = [
        BAKU_MD.read_text("utf-8"),
        "A. (S) Septel. B septel two.\n\nC. No. D) septel e.g. the rest (SEPTEL) ends. E.",
        "septel" + " word" * 600 + " end. Next septel.",
    ]
    for text in texts_:
        want = [(s, e) for s, e in sentences(text) if SEPTEL.search(text[s:e])]
        got = septel_sentences(text)
        assert len(got) == len(want)
        for (s, e, _), (ws, we) in zip(got, want, strict=True):
            assert ws <= s < e <= we and text[e:we].strip() == ""
