"""The HTTP API: ``create_app(AppContext(...))`` gives the FastAPI app the CLI serves."""

from .app import create_app
from .context import AppContext
from .deps import require_roles

__all__ = ["AppContext", "create_app", "require_roles"]
