"""Fixtures shared across test packages (keep this file small)."""

from __future__ import annotations

import pytest
from argon2 import PasswordHasher


@pytest.fixture
def fast_hasher() -> PasswordHasher:
    """argon2 with minimal cost: production parameters would make tests slow."""
    return PasswordHasher(time_cost=1, memory_cost=8, parallelism=1)
