"""The HTTP API (FastAPI) and the application that also serves the web UI."""

from cablegram.api.app import create_app

__all__ = ["create_app"]
