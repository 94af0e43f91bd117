"""Message-waiting indication (RFC 3842): the phone's light for new voicemail.

kefu sends an *unsolicited* ``NOTIFY`` with ``Event: message-summary`` to each contact an
extension registered, whenever its mailbox changes (a message left, heard, deleted): the
way many PBXs light phones that never subscribe (most desk phones accept it).  A phone's
``SUBSCRIBE`` for message-summary is still answered 405 (no subscription dialogs yet).

The sip layer knows no mailbox: the composition root hands :meth:`SipServer.message_waiting`
to the IVR as a plain callable (extension, new, old).
"""

from __future__ import annotations

from sippy.MsgBody import MsgBody
from sippy.SipAddress import SipAddress
from sippy.SipCallId import SipCallId
from sippy.SipFrom import SipFrom
from sippy.SipRequest import SipRequest
from sippy.SipTo import SipTo
from sippy.SipURL import SipURL

from kefu.sip.locations import Binding

CONTENT_TYPE = "application/simple-message-summary"


def summary(account: str, new: int, old: int) -> str:
    """The body: ``Messages-Waiting`` and the voice message counts (urgent ones: none)."""
    return (f"Messages-Waiting: {'yes' if new else 'no'}\r\n"
            f"Message-Account: {account}\r\n"
            f"Voice-Message: {new}/{old} (0/0)\r\n")


def notify(binding: Binding, host: str, port: int, new: int, old: int) -> SipRequest:
    """The NOTIFY for one registered contact (sent by the transaction manager)."""
    contact = binding.contact.strip().strip("<>")
    ruri = SipURL(url=contact)
    account = SipURL(username=binding.aor, host=host, port=port)
    fr0m = SipFrom(address=SipAddress(url=account.getCopy()))
    fr0m.genTag()
    to = SipTo(address=SipAddress(url=SipURL(username=binding.aor, host=host, port=port)))
    req = SipRequest(method="NOTIFY", ruri=ruri, fr0m=fr0m, to=to, callid=SipCallId(),
                     target=((binding.host, binding.port), binding.transport),
                     body=MsgBody(summary(f"sip:{binding.aor}@{host}", new, old),
                                  mtype=CONTENT_TYPE))
    return req


HEADERS = (("Event", "message-summary"), ("Subscription-State", "active"))
"""Added to :func:`notify`'s request, written as named."""
