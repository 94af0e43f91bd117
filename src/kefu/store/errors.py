"""Store errors: callers map these to protocol answers (HTTP 409/404/422, CLI exit codes)
without knowing anything about SQL."""

from __future__ import annotations


class StoreError(Exception):
    """Base of every error the store raises on purpose."""


class Conflict(StoreError):
    """The row already exists (duplicate extension number, username)."""


class NotFound(StoreError):
    """The row the operation needs does not exist."""


class Invalid(StoreError, ValueError):
    """An argument breaks a rule (number format, password length, role name)."""
