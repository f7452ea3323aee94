"""A Dask cluster for batch work: ``connect`` to a scheduler, or start a LocalCluster.

The ingest (``cablegram.ingest.dask``) and the enrichment (``cablegram.enrich.run``) run
their tasks on the client this returns; this module imports neither of them.
"""

from __future__ import annotations

from typing import Any

__all__ = ["connect", "disconnect"]


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
        dashboard_address=None,
        silence_logs=40,  # logging.ERROR: a worker restart is expected, not news
    )
    return Client(cluster, set_as_default=False), cluster


def disconnect(client: Any, cluster: Any) -> None:
    """Close what ``connect`` returned (the cluster too, when it was started for the run)."""
    try:
        client.close()
    finally:
        if cluster is not None:
            cluster.close()
