"""SIP digest authentication (RFC 2617/7616) on top of sippy's nonce oracle.

Extensions are stored with their HA1 only, so verification never needs a plaintext
password.  Nonces are sippy's self-validating encrypted timestamps: nothing is kept
per challenge and a replayed nonce dies after sippy's validity window.
"""

from __future__ import annotations

import enum
import logging
from typing import Callable, Protocol

from sippy.SipAuthorization import _HASH_FUNC, SipAuthorization
from sippy.SipHeader import SipHeader
from sippy.SipWWWAuthenticate import SipWWWAuthenticate

log = logging.getLogger(__name__)


class Credentials(Protocol):
    ha1_md5: str
    ha1_sha256: str
    enabled: bool


Lookup = Callable[[str], Credentials | None]


def challenge_header(realm: str) -> SipHeader:
    """A fresh ``WWW-Authenticate`` header (MD5: what every SIP phone speaks)."""
    return SipHeader(name="www-authenticate", body=SipWWWAuthenticate(realm=realm))


class AuthResult(enum.Enum):
    """Why a request was not authenticated."""

    CHALLENGE = "challenge"   # none given, or the nonce is stale: answer 401 with a new one
    FORBIDDEN = "forbidden"   # wrong password, unknown or disabled user: answer 403


def authenticate(req, realm: str, lookup: Lookup) -> str | AuthResult:
    """Return the authenticated user name of ``req`` or an :class:`AuthResult` constant.

    Accepts only credentials for our realm, of a known enabled user, with a valid
    nonce and a matching response.  Never logs secrets.
    """
    if req.countHFs("authorization") == 0:
        return AuthResult.CHALLENGE
    source = "%s:%s" % req.getSource()
    if not _is_digest(req):
        # a scheme kefu does not know is no failed guess: offer Digest (RFC 4475 §3.3.7)
        log.info("SIP auth: not a Digest Authorization header from %s; challenging", source)
        return AuthResult.CHALLENGE
    auth: SipAuthorization = req.getHFBody("authorization")
    try:
        auth.parse()
        username, algorithm = auth.username, auth.algorithm
        algmask = _HASH_FUNC[algorithm][1]
    except Exception:
        log.info("SIP auth: unparsable Authorization header from %s", source)
        return AuthResult.FORBIDDEN
    if not username or auth.realm != realm:
        log.info("SIP auth: wrong realm or no user name from %s", source)
        return AuthResult.FORBIDDEN
    if not auth.ho.validate_challenge(auth.nonce, (algmask,)):
        return AuthResult.CHALLENGE
    creds = lookup(username)
    if creds is None or not creds.enabled:
        log.warning("SIP auth failed: unknown or disabled user %r from %s", username, source)
        return AuthResult.FORBIDDEN
    ha1 = {None: creds.ha1_md5, "MD5": creds.ha1_md5, "SHA-256": creds.ha1_sha256}.get(algorithm)
    body = req.getBody()
    try:
        ok = ha1 is not None and auth.verifyHA1(
            ha1.encode(), req.getMethod(), str(body) if body is not None else None)
    except Exception:
        ok = False
    if not ok:
        log.warning("SIP auth failed: bad credentials for %r from %s", username, source)
        return AuthResult.FORBIDDEN
    return username


def _is_digest(req) -> bool:
    """Whether the Authorization header uses the Digest scheme (its raw text: sippy's parser
    reads any scheme as Digest)."""
    raw = str(req.getHFs("authorization")[0].body.body)
    return raw.lower().split(None, 1)[:1] == ["digest"]
