"""Message-waiting indication (RFC 3842): the phone's light for new voicemail.

Whenever an extension's mailbox changes (a message left, heard, deleted) kefu sends a
``NOTIFY`` with ``Event: message-summary``:

* inside the subscription a phone made (``SUBSCRIBE``, RFC 6665: baresip's ``mwi`` module
  subscribes right after registering and refuses a NOTIFY outside it with 481), and
* *unsolicited*, to each other contact the extension registered: the way many PBXs light
  desk phones that never subscribe.

A subscription is a dialog kept here (:class:`Subscriptions`): kefu's tag, the phone's, the
Call-ID, the CSeq of kefu's NOTIFYs, where the phone is, when it expires.  The first NOTIFY
follows the 200 at once (the counts asked of the composition root); ``Expires: 0`` ends it
with a last NOTIFY, ``terminated``.  The sip layer knows no mailbox: the root hands
:meth:`SipServer.message_waiting` to the IVR as a plain callable (extension, new, old) and
gives the server ``mailbox_counts`` (extension → new, old).
"""

from __future__ import annotations

import itertools
import secrets
import time
from dataclasses import dataclass, field

from sippy.MsgBody import MsgBody
from sippy.SipAddress import SipAddress
from sippy.SipCallId import SipCallId
from sippy.SipFrom import SipFrom
from sippy.SipRequest import SipRequest
from sippy.SipTo import SipTo
from sippy.SipURL import SipURL

CONTENT_TYPE = "application/simple-message-summary"


def summary(account: str, new: int, old: int) -> str:
    """The body: ``Messages-Waiting`` and the voice message counts (urgent ones: none)."""
    return (f"Messages-Waiting: {'yes' if new else 'no'}\r\n"
            f"Message-Account: {account}\r\n"
            f"Voice-Message: {new}/{old} (0/0)\r\n")


@dataclass
class Subscription:
    """One phone's message-summary subscription (a dialog)."""

    aor: str                       # the extension
    call_id: str
    remote_tag: str                # the phone's From tag: To of kefu's NOTIFYs
    contact: str                   # the phone's Contact: the NOTIFYs' Request-URI
    target: tuple[str, int]        # where they go (the SUBSCRIBE's source: NAT-safe)
    transport: str
    expires_at: float              # time.monotonic()
    local_tag: str = field(default_factory=lambda: secrets.token_hex(8))
    cseq: itertools.count = field(default_factory=lambda: itertools.count(1))

    def remaining(self, now: float | None = None) -> int:
        return max(0, int(self.expires_at - (time.monotonic() if now is None else now)))


class Subscriptions:
    """The live subscriptions by (Call-ID, kefu's tag); expired ones are dropped as seen."""

    def __init__(self) -> None:
        self._subs: dict[tuple[str, str], Subscription] = {}

    def add(self, sub: Subscription) -> None:
        self._subs[(sub.call_id, sub.local_tag)] = sub

    def get(self, call_id: str, local_tag: str) -> Subscription | None:
        return self._subs.get((call_id, local_tag))

    def remove(self, sub: Subscription) -> None:
        self._subs.pop((sub.call_id, sub.local_tag), None)

    def of(self, aor: str) -> list[Subscription]:
        """``aor``'s live subscriptions (the expired ones forgotten)."""
        now = time.monotonic()
        for key, sub in list(self._subs.items()):
            if sub.expires_at <= now:
                del self._subs[key]
        return [s for s in self._subs.values() if s.aor == aor]


def notify(aor: str, host: str, port: int, new: int | None, old: int,
           contact: str, target: tuple[tuple[str, int], str],
           sub: Subscription | None = None) -> SipRequest:
    """A NOTIFY to ``contact``: inside ``sub`` (its tags, Call-ID and next CSeq) or
    unsolicited; ``new`` None: no body (a subscription's end)."""
    ruri = SipURL(url=contact.strip().strip("<>"))
    fr0m = SipFrom(address=SipAddress(url=SipURL(username=aor, host=host, port=port)))
    to = SipTo(address=SipAddress(url=SipURL(username=aor, host=host, port=port)))
    if sub is None:
        fr0m.genTag()
        callid, cseq = SipCallId(), None
    else:
        fr0m.setTag(sub.local_tag)
        to.setTag(sub.remote_tag)
        callid, cseq = SipCallId(body=sub.call_id), next(sub.cseq)
    body = None if new is None else MsgBody(summary(f"sip:{aor}@{host}", new, old),
                                            mtype=CONTENT_TYPE)
    return SipRequest(method="NOTIFY", ruri=ruri, fr0m=fr0m, to=to, callid=callid, cseq=cseq,
                      target=target, body=body)


def headers(sub: Subscription | None, ending: bool = False) -> tuple[tuple[str, str], ...]:
    """What goes with :func:`notify`'s request, written as named."""
    if ending:
        state = "terminated"
    elif sub is None:
        state = "active"
    else:
        state = f"active;expires={sub.remaining()}"
    return (("Event", "message-summary"), ("Subscription-State", state))
