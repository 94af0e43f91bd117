"""The one exception type the media engine raises for its own failures."""

from __future__ import annotations


class MediaError(Exception):
    """A media operation could not be done (no free port, unknown codec, closed leg...)."""
