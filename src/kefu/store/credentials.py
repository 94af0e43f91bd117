"""Secrets at rest: SIP digest HA1s, argon2 password hashes, API token digests.

SIP digest authentication needs ``H(user:realm:password)`` and nothing else, so that is all
we keep for extensions; API tokens are stored as SHA-256 so a leaked table grants nothing.
"""

from __future__ import annotations

import hashlib
import secrets

from argon2 import PasswordHasher

_DIGESTS = {"MD5": hashlib.md5, "SHA-256": hashlib.sha256}


def ha1(username: str, realm: str, password: str, algorithm: str = "MD5") -> str:
    """Digest HA1 (RFC 7616) as lowercase hex, for ``MD5`` or ``SHA-256``."""
    return _DIGESTS[algorithm](f"{username}:{realm}:{password}".encode()).hexdigest()


def new_token() -> str:
    """A bearer token with 256 bits of randomness."""
    return secrets.token_urlsafe(32)


def token_digest(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


def default_hasher() -> PasswordHasher:
    """argon2id with the library's (RFC 9106 low-memory) defaults."""
    return PasswordHasher()
