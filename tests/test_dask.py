"""Ingest on Dask (``engine="dask"``): a LocalCluster of 2 worker processes; the same
database as the local engine, and a worker killed mid-ingest changes nothing."""

from __future__ import annotations

import os
import signal
import socket
import threading
import time
import warnings
from pathlib import Path

import pytest

import pg
from cablegram.archive import Archive
from cablegram.distributed import NO_DASHBOARD, connect, disconnect
from cablegram.ingest import ingest
from cablegram.store import open_store
from conftest import BAKU_MD, CSV_SAMPLE, make_tar, read_pages

distributed = pytest.importorskip("distributed")
pg_server = pg.pg_server  # fixture


@pytest.fixture(scope="module")
def cluster():
    cl = distributed.LocalCluster(n_workers=2, threads_per_worker=1, processes=True,
                                  silence_logs=50, **NO_DASHBOARD)  # fmt: skip
    yield cl
    cl.close()


@pytest.fixture(scope="module")
def inputs(tmp_path_factory: pytest.TempPathFactory) -> list[Path]:
    d = tmp_path_factory.mktemp("dask-inputs")
    pages = read_pages(60)
    # one empty and one binary member: errors travel through Dask too
    pages += [("cable/empty.html", b""), ("cable/blob.bin", b"\x00\x01\x02" * 100)]
    return [make_tar(d / "pages.tar.gz", pages, "w:gz"), BAKU_MD, CSV_SAMPLE]


def _dump(target) -> list[tuple]:
    with Archive(target, create=False) as arc:
        return list(arc.store.dump())


def test_local_clusters_serve_no_dashboard():
    """No dashboard, and no clash over its port 8787 when another cluster (a parallel test
    run, another developer's) holds it: Dask would warn "Port 8787 is already in use"."""
    blocker = socket.socket()
    try:
        blocker.bind(("127.0.0.1", 8787))
        blocker.listen()
    except OSError:
        pass  # held already: the same situation
    try:
        with warnings.catch_warnings(record=True) as caught:
            warnings.simplefilter("always")
            client, cluster = connect(None, 1)
            try:
                services = client.scheduler_info()["services"]
                assert client.run_on_scheduler(lambda dask_scheduler: 1) == 1
            finally:
                disconnect(client, cluster)
    finally:
        blocker.close()
    assert [str(w.message) for w in caught if "already in use" in str(w.message)] == []
    assert services.get("dashboard") != 8787, services


def test_dask_ingest_equals_local(cluster, inputs, tmp_path):
    local, dask = tmp_path / "local.db", tmp_path / "dask.db"
    with Archive(local) as arc:
        arc.ingest(inputs, workers=0)
    with Archive(dask) as arc:
        report = arc.ingest(inputs, engine="dask", scheduler=cluster.scheduler_address,
                            chunk_size=8)  # fmt: skip
        assert report.failed == 2 and report.new + report.updated == 63
        again = arc.ingest(inputs, engine="dask", scheduler=cluster.scheduler_address)
        assert again.new == again.updated == 0
        assert {e.code for e in arc.errors()} == {"empty", "binary"}
    assert _dump(dask) == _dump(local)


def test_dask_engine_starts_its_own_cluster(tmp_path):
    db = tmp_path / "own.db"
    with Archive(db) as arc:
        report = arc.ingest([BAKU_MD, CSV_SAMPLE], engine="dask", workers=1)
    assert report.ok and report.new == 3
    with pytest.raises(ValueError):
        Archive(tmp_path / "x.db").ingest([BAKU_MD], engine="spark")


def test_killed_worker_mid_ingest_on_postgres(pg_server, cluster, inputs):
    """SIGKILL a Dask worker that is parsing, in the middle of an ingest into PostgreSQL:
    the scheduler re-runs its tasks, the parent writes each result once, and the database
    equals an undisturbed run's."""
    calm, hit = pg_server.create_database(), pg_server.create_database()
    client = distributed.Client(cluster, set_as_default=False)
    try:
        with Archive(calm) as arc:
            arc.ingest(inputs, workers=0)
        killed: list[int] = []
        armed, stop = threading.Event(), threading.Event()

        def arm(report) -> None:
            if report.documents >= 8:
                armed.set()

        def killer() -> None:
            # Beside the ingest, not in its callback: a callback that waits blocks the
            # parent, which then submits nothing, so no worker would ever be busy.
            armed.wait()
            while not stop.is_set():
                busy = [w for w, keys in client.processing().items() if keys]
                if busy:
                    victim = busy[0]
                    pid = client.run(os.getpid, workers=[victim])[victim]
                    os.kill(pid, signal.SIGKILL)
                    killed.append(pid)
                    return
                time.sleep(0.002)

        thread = threading.Thread(target=killer, daemon=True)
        thread.start()
        store = open_store(hit)
        try:
            report = ingest(store, inputs, engine="dask", scheduler=cluster.scheduler_address,
                            chunk_docs=4, on_chunk=arm)  # fmt: skip
        finally:
            store.close()
            armed.set()
            stop.set()
            thread.join(timeout=30)
        assert killed, "no worker was killed"
        assert report.documents == 65 and report.failed == 2
        with Archive(hit, create=False) as arc:
            assert not [e for e in arc.errors() if e.code == "crash"]
        assert _dump(hit) == _dump(calm)
        # the nanny replaced the dead worker
        client.wait_for_workers(2, timeout=60)
        assert killed[0] not in client.run(os.getpid).values()
    finally:
        client.close()
        pg_server.drop_database(calm)
        pg_server.drop_database(hit)


def _entities_dump(db: Path) -> dict[str, list[tuple]]:
    import sqlite3

    with sqlite3.connect(db) as c:
        return {
            "enriched": c.execute("SELECT cable_id, version_id FROM enriched ORDER BY 1").fetchall(),
            **{t: c.execute(f"SELECT * FROM {t} ORDER BY 1, 2, 3").fetchall()
               for t in ("mentions", "entities", "entity_aliases", "entity_titles",
                         "entity_links")},
        }  # fmt: skip


def test_enrich_on_dask_equals_local_and_survives_a_killed_worker(cluster, tmp_path):
    """`enrich --engine dask`: the same extraction function on the cluster's workers; a
    worker SIGKILLed in the middle is replaced, its batches re-run, nothing written twice."""
    import shutil

    from cablegram.enrich.catalog import connection
    from cablegram.enrich.run import enrich

    calm = tmp_path / "calm.db"
    with Archive(calm) as arc:
        arc.ingest([make_tar(tmp_path / "p.tar", read_pages(24)), BAKU_MD], workers=0)
    hit = tmp_path / "hit.db"
    shutil.copy(calm, hit)
    with Archive(calm, create=False) as arc:
        local = arc.enrich(workers=0)
    client = distributed.Client(cluster, set_as_default=False)
    try:
        killed: list[int] = []

        def kill_one(done: int, total: int) -> None:
            if killed or done < 4:
                return
            deadline = time.monotonic() + 10
            busy: list = []
            while time.monotonic() < deadline and not busy:
                busy = [w for w, keys in client.processing().items() if keys]
                time.sleep(0.01)
            if not busy:  # killing an idle worker would test nothing: at the next batch
                return
            victim = busy[0]
            pid = client.run(os.getpid, workers=[victim])[victim]
            os.kill(pid, signal.SIGKILL)
            killed.append(pid)

        with Archive(hit, create=False) as arc:
            rep = enrich(connection(arc.store), engine="dask", batch_size=2,
                         scheduler=cluster.scheduler_address, progress=kill_one)  # fmt: skip
        assert killed, "no worker was killed"
        assert rep.cables == local.cables == 25 and rep.failed == 0
        assert rep.mentions == local.mentions > 0
        assert _entities_dump(hit) == _entities_dump(calm)
        client.wait_for_workers(2, timeout=60)
        with Archive(hit, create=False) as arc:  # idempotent: nothing left to do
            assert arc.enrich(engine="dask", scheduler=cluster.scheduler_address).cables == 0
    finally:
        client.close()


def test_enrich_command_engine_dask(cluster, tmp_path):
    import json

    from click.testing import CliRunner

    from cablegram.cli.enrich import enrich_command

    db = tmp_path / "c.db"
    with Archive(db) as arc:
        arc.ingest([BAKU_MD], workers=0)
    r = CliRunner().invoke(enrich_command, ["--db", str(db), "--engine", "dask", "--scheduler",
                                            cluster.scheduler_address, "--json"])  # fmt: skip
    assert r.exit_code == 0, r.output
    assert json.loads(r.output)["cables"] == 1
    with Archive(db, create=False) as arc:
        assert arc.search("person:Abiyev").total == 1


def test_enrich_on_postgres_says_it_needs_sqlite(pg_server):
    from click.testing import CliRunner

    from cablegram.cli.enrich import enrich_command

    url = pg_server.create_database()
    with Archive(url) as arc:
        arc.ingest([BAKU_MD], workers=0)
    r = CliRunner().invoke(enrich_command, ["--db", url, "--engine", "dask"])
    assert r.exit_code == 1 and "need the SQLite store" in r.output
    assert "Traceback" not in r.output
