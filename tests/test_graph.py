"""Citation graphs on the sample corpus (REF lines resolved by the parser): cited-by,
most cited, the cables cited but missing from the archive, ego networks, and exports
that load back in networkx."""

from __future__ import annotations

from pathlib import Path

import networkx as nx
import pytest

from cablegram import graph


def test_missing_citations(full_archive) -> None:
    conn = full_archive.store.conn
    missing = graph.missing_citations(full_archive)
    assert missing, "the dev sample cites cables it does not hold"
    present = {r[0] for r in conn.execute("SELECT id FROM cables")}
    assert not {m.id for m in missing} & present
    counts = [m.n_citing for m in missing]
    assert counts == sorted(counts, reverse=True)
    # Every cited id that is not in the archive is listed, with who cites it.
    expected = {
        r[0]
        for r in conn.execute(
            "SELECT DISTINCT ref_id FROM refs WHERE ref_id != '' AND ref_id != cable_id "
            "AND ref_id NOT IN (SELECT id FROM cables)"
        )
    }
    assert {m.id for m in missing} >= expected
    top = missing[0]
    citing = {
        r[0] for r in conn.execute("SELECT DISTINCT cable_id FROM refs WHERE ref_id = ?", (top.id,))
    }
    assert set(top.citing) == citing and top.n_citing == len(citing) >= 2
    assert top.year and top.origin and top.first_cited <= top.last_cited
    assert len(graph.missing_citations(full_archive, 5)) == 5


def test_cited_by_and_most_cited(full_archive) -> None:
    conn = full_archive.store.conn
    cid, n = conn.execute(
        "SELECT ref_id, count(DISTINCT cable_id) AS n FROM refs WHERE ref_id IN (SELECT id FROM cables) "
        "AND ref_id != cable_id GROUP BY ref_id ORDER BY n DESC, ref_id LIMIT 1"
    ).fetchone()
    by = graph.cited_by(full_archive, cid)
    assert len({c.citing for c in by}) == n and all(c.kind == "ref" for c in by)
    top = graph.most_cited(full_archive, 10, in_archive=True)
    assert top[0][1] == n and all(a for _, _, a in top)
    citing = by[0].citing
    assert cid in {c.cited for c in graph.cites(full_archive, citing)}


def test_citation_graph_exports_load_back(full_archive, tmp_path: Path) -> None:
    g = graph.citation_graph(full_archive)
    assert isinstance(g, nx.DiGraph) and g.number_of_edges() > 1000
    missing = [n for n, d in g.nodes(data=True) if not d["in_archive"]]
    assert len(missing) == len(graph.missing_citations(full_archive))
    for fmt in graph.GRAPH_FORMATS:
        path = tmp_path / f"citations.{fmt}"
        graph.export(g, fmt, path)
        h = graph.load(fmt, path)
        assert h.is_directed()
        assert h.number_of_nodes() == g.number_of_nodes()
        assert h.number_of_edges() == g.number_of_edges()
        node = missing[0]
        assert h.nodes[node]["in_archive"] in (False, "false", "False")
        u, v = next(iter(g.edges))
        assert h.edges[u, v]["kind"] == g.edges[u, v]["kind"]


def test_query_and_ego_network(full_archive) -> None:
    g = graph.citation_graph(full_archive, query="origin:BAKU")
    assert g.number_of_edges() > 0
    assert {u[2:6] for u, _ in g.edges} == {"BAKU"}
    cid = next(iter(g.edges))[0]
    ego = graph.ego_network(full_archive, cid, radius=1)
    assert cid in ego and ego.nodes[cid]["center"]
    assert set(ego.nodes) == {cid} | set(nx.all_neighbors(graph.citation_graph(full_archive), cid))
    with pytest.raises(LookupError):
        graph.ego_network(full_archive, "person:nobody")


def test_export_to_streams(full_archive, tmp_path: Path) -> None:
    import io

    g = graph.citation_graph(full_archive, query="origin:BAKU")
    buf = io.BytesIO()
    graph.export(g, "gexf", buf)
    assert buf.getvalue().startswith(b"<?xml")
    text = io.StringIO()
    graph.export(g, "json", text)
    assert '"links"' in text.getvalue()
    with pytest.raises(ValueError):
        graph.export(g, "dot", buf)


def test_the_archive_answers_the_graph_questions(full_archive) -> None:
    """The CLI's graph verbs call these Archive methods (the CLI a skin over Archive)."""
    arc = full_archive
    top = arc.most_cited(5)
    assert top == graph.most_cited(arc, 5) and len(top) == 5
    cid = top[0][0]
    assert arc.citing(cid) == graph.cited_by(arc, cid) and len(arc.citing(cid)) >= top[0][1]
    citing = arc.citing(cid)[0].citing
    assert cid in {c.cited for c in arc.cites(citing)}
    assert [m.id for m in arc.missing_citations(3)] == [
        m.id for m in graph.missing_citations(arc, 3)
    ]
    g = arc.citation_graph(query="origin:BAKU")
    assert sorted(g.edges) == sorted(graph.citation_graph(arc, query="origin:BAKU").edges)
    ego = arc.ego_network(next(iter(g.edges))[0])
    assert ego.number_of_nodes() >= 2
    with pytest.raises(LookupError):
        arc.ego_network("person:nobody")


def test_the_graph_verbs_of_the_cli(full_db) -> None:
    import json

    from click.testing import CliRunner

    from cablegram.cli import main

    r = CliRunner().invoke(main, ["graph", "most-cited", "-n", "3", "--json", "--db", str(full_db)])
    assert r.exit_code == 0, r.output
    rows = json.loads(r.output)
    assert len(rows) == 3 and rows[0]["cited_by"] >= rows[-1]["cited_by"]
    r = CliRunner().invoke(
        main, ["graph", "cited-by", rows[0]["id"], "--json", "--db", str(full_db)]
    )
    assert (
        r.exit_code == 0 and len({c["citing"] for c in json.loads(r.output)}) >= rows[0]["cited_by"]
    )
    r = CliRunner().invoke(main, ["graph", "citations", "-q", "origin:BAKU", "--format", "json",
                                  "--db", str(full_db)])  # fmt: skip
    assert r.exit_code == 0 and '"links"' in r.output
