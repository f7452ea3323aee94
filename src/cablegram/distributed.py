"""A Dask cluster for batch work: ``connect`` to a scheduler, or start a LocalCluster.

The ingest (``cablegram.ingest.dask``) and the enrichment (``cablegram.enrich.run``) run
their tasks on the client this returns; this module imports neither of them.
"""

from __future__ import annotations

from typing import Any

__all__ = ["NO_DASHBOARD", "connect", "disconnect"]

# A local cluster's scheduler without its dashboard. dashboard_address=None alone is not
# that: the scheduler still serves HTTP on the dashboard's port 8787 and warns when another
# cluster holds it; port 0 takes a free one (its health and metrics routes stay).
NO_DASHBOARD: dict[str, Any] = {
    "dashboard_address": "127.0.0.1:0",
    "scheduler_kwargs": {"dashboard": False},
}


def connect(scheduler: str | None, workers: int) -> tuple[Any, Any]:
    """(client, cluster): a client of ``scheduler``, or of a new LocalCluster with
    ``workers`` single-threaded worker processes (cluster is None when not ours)."""
    from distributed import Client, LocalCluster

    if scheduler:
        return Client(scheduler, set_as_default=False), None
    cluster = LocalCluster(
        n_workers=max(1, workers),
        threads_per_worker=1,
        processes=True,
        silence_logs=40,  # logging.ERROR: a worker restart is expected, not news
        **NO_DASHBOARD,
    )
    return Client(cluster, set_as_default=False), cluster


def disconnect(client: Any, cluster: Any) -> None:
    """Close what ``connect`` returned (the cluster too, when it was started for the run)."""
    try:
        client.close()
    finally:
        if cluster is not None:
            cluster.close()
