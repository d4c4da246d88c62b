"""The HTTP API and web chat: FastAPI app assembled in `app.py`, started by `server.serve`."""

from rag.api.app import create_app

__all__ = ["create_app"]
