"""A cable's page (any stored version) and the diff between two versions."""

from __future__ import annotations

from datetime import date
from typing import Any

from cablegram import cite, present
from cablegram.access.rules import WITHHELD
from cablegram.access.view import ReaderArchive as Archive  # pages only ever get a view
from cablegram.archive import render_text
from cablegram.model import Addressee
from cablegram.reading import citing
from cablegram.reference import precedence_name
from cablegram.search.fields import quote_value
from cablegram.web.templating import error_body, render
from cablegram.web.urls import entity_href, search_href
from cablegram.web.views.classify import cable_context as classify_context
from cablegram.web.views.entities import ENTITY_KINDS


def _pick_version(versions: list[Any], ref: str) -> Any:
    """A version by number or unique content-hash prefix (as ``Archive.version``)."""
    s = ref.strip().lower()
    if s.isdigit() and len(s) < 6:
        k = int(s)
        return versions[k - 1] if 1 <= k <= len(versions) else None
    hits = [v for v in versions if s and v.content_hash.startswith(s)]
    return hits[0] if len(hits) == 1 else None


def cable_page(arc: Archive, cable_id: str, version: str | None,
               who: dict[str, Any] | None = None, marks: bool = False
               ) -> tuple[str, int] | str:  # fmt: skip
    """The page, or the canonical URL to redirect to."""
    cable = arc.get(cable_id)
    if cable is None:
        return error_body(404, "No such cable",
                                  f"There is no cable {cable_id.strip().upper()} in this archive."), 404  # fmt: skip
    if cable_id != cable.id:
        return f"/cables/{cable.id}" + (f"?v={version}" if version else "")
    versions = arc.versions(cable.id)
    shown = next((v for v in versions if v.shown), versions[-1] if versions else None)
    selected = shown
    if version:
        pick = _pick_version(versions, version)
        other = arc.version(cable.id, pick.number) if pick else None
        if pick is None or other is None:
            return error_body(
                404, "No such version", f"{cable.id} has no version {version}."
            ), 404  # fmt: skip
        selected, cable = pick, other
    today = date.today()
    refs = [
        {"ref": r, "present": ok, "href": f"/cables/{r.id}" if ok else None}
        for r, ok in (
            [(r, ok) for r, ok in arc.references_of(cable.id)]
            if selected is shown
            else [(r, r.id in arc.present([r.id])) for r in cable.references]
        )
    ]
    total_citing, citing_list = citing(arc, cable.id, limit=100)
    mentioned: dict[str, list[dict[str, Any]]] = {}
    mentions = arc.cable_entities(cable.id) if selected is shown and arc.has_entities() else []
    if mentions:
        seen: set[str] = set()
        for mention in mentions:
            eid = mention["entity_id"]
            if not eid or eid in seen or mention["kind"] not in ENTITY_KINDS:
                continue
            seen.add(eid)
            mentioned.setdefault(mention["kind"], []).append(
                {"name": mention["name"] or mention["text"], "href": entity_href(eid)}
            )
    raw = "\n".join(x for x in (cable.header, cable.body) if x) or render_text(cable)
    facts = cite.citation(cable, selected)
    withheld = [p for p in cable.paragraphs if p.text == WITHHELD]
    ctx = {
        "who": who,
        "c": cable,
        "cite": {
            "note": cite.chicago_note(facts),
            "bibliography": cite.chicago_bibliography(facts),
        },
        "withheld": withheld,
        "nav": "cable",
        "q": "",
        "versions": versions,
        "shown": shown,
        "selected": selected,
        "classification": present.classification_view(cable),
        "origin": present.origin_view(cable),
        "to": [present.addressee_view(a) for a in cable.to],
        "info": [present.addressee_view(a) for a in cable.info],
        "precedence": precedence_name(cable.precedence) or cable.precedence,
        "precedence_note": present.PRECEDENCE_NOTES.get(
            precedence_name(cable.precedence) or cable.precedence, ""
        ),
        "dtg_words": present.dtg_words(cable.dtg),
        "dtg_tele": present.dtg_telegraphic(cable.dtg),
        "eo": present.eo_view(cable.eo),
        "reasons": present.reasons_view(cable),
        "declass": present.declassification(cable, today),
        "tags": [
            (code, name, kind, search_href(f"tag:{quote_value(code)}"))
            for code, name, kind in present.tags_view(cable)
        ],
        "paragraphs": present.paragraphs_view(cable, mentions if marks else None, entity_href),
        "marks": marks,
        "refs": refs,
        "cited_by": citing_list,
        "cited_total": total_citing,
        "mentioned": [
            (ENTITY_KINDS[k], sorted(v, key=lambda x: x["name"].casefold()))
            for k in ("person", "org", "place")
            if (v := mentioned.get(k))
        ],
        "raw": raw,
        "json_href": f"/api/cables/{cable.id}"
        + (f"/versions/{selected.number}" if selected is not shown and selected else ""),
        "text_href": f"/api/cables/{cable.id}/text",
        "origin_href": search_href(f"origin:{quote_value(cable.origin.code)}")
        if cable.origin.code
        else None,
        "today": today,
        "signer_href": search_href(f"signer:{quote_value(cable.signer)}") if cable.signer else "",
        **classify_context(arc, cable.id, selected is shown),
    }
    from cablegram.web.views.telegram import cable_line

    ctx["serial_line"], ctx["serial_href"] = (
        cable_line(arc, cable) if selected is shown else ("", "")
    )
    return render("cable.html", **ctx), 200


def _shown_value(v: Any) -> str:
    if v in (None, "", [], {}):
        return "—"
    if isinstance(v, list):
        return "; ".join(_shown_value(x) for x in v)
    if isinstance(v, dict):
        return ", ".join(f"{k}: {_shown_value(x)}" for k, x in v.items() if x not in (None, "", []))
    return str(v)


def _item_line(v: Any) -> str:
    """One list item of a changed field as a reader says it. An addressee (routing, name,
    precedence, serial) reads as the post's name with its routing indicator and
    precedence: "Secretary of State (RUEHC SECSTATE WASHDC) · Priority · 8348"."""
    if isinstance(v, dict) and {"routing", "name"} <= v.keys():
        a = present.addressee_view(Addressee(**{k: v.get(k) or "" for k in
                                               ("routing", "name", "precedence", "serial")}))  # fmt: skip
        written = " ".join(x for x in (v.get("routing"), v.get("name")) if x)
        parts = [a.name + (f" ({written})" if written and written != a.name else "")]
        parts += [x for x in (a.precedence, v.get("serial")) if x]
        return " · ".join(parts)
    if isinstance(v, dict) and "id" in v and "text" in v:  # a reference: id, as written
        shown = v.get("id") or ""
        return f"{shown} ({v['text']})" if v.get("text") and shown else shown or v["text"]
    return _shown_value(v)


def _shown_lines(old: Any, new: Any) -> tuple[list[tuple[str, bool]], list[tuple[str, bool]]]:
    """A changed field's two values as rows, each (text, differs): a list one item a
    row, the items only one side has marked."""

    def rows(v: Any) -> list[str]:
        if isinstance(v, list):
            return [_item_line(x) for x in v] or ["—"]
        return [_item_line(v)]

    a, b = rows(old), rows(new)
    sa, sb = set(a), set(b)
    multi = isinstance(old, list) or isinstance(new, list)
    return ([(x, multi and x not in sb) for x in a], [(x, multi and x not in sa) for x in b])


def diff_page(arc: Archive, cable_id: str, a: str | None, b: str | None,
              who: dict[str, Any] | None = None) -> tuple[str, int]:  # fmt: skip
    cid = cable_id.strip().upper()
    versions = arc.versions(cid)
    if not versions:
        return error_body(404, "No such cable",
                                  f"There is no cable {cid} in this archive."), 404  # fmt: skip
    cable = arc.get(cid)
    ctx: dict[str, Any] = {"cid": cid, "c": cable, "versions": versions, "nav": "cable", "q": "",
                           "who": who}  # fmt: skip
    if len(versions) < 2:
        ctx["single"] = True
        return render("diff.html", **ctx), 200
    try:
        d = arc.diff(cid, a or None, b or None)
    except LookupError as exc:
        return error_body(404, "No such version", f"{exc}."), 404
    lines = []
    for line in d.text:
        line = line.rstrip("\n")
        if line.startswith(("+++", "---")):
            kind = "file"
        elif line.startswith("@@"):
            kind = "hunk"
        elif line.startswith("+"):
            kind = "add"
        elif line.startswith("-"):
            kind = "del"
        else:
            kind = "ctx"
        lines.append((kind, line))
    fields = []
    for ch in d.fields:
        old, new = _shown_lines(ch.old, ch.new)
        fields.append({"field": ch.field, "old": old, "new": new})
    ctx.update(d=d, lines=lines, fields=fields)
    return render("diff.html", **ctx), 200
