"""Extra headers on an outgoing INVITE (auto-answer for agents' desk phones): on the
INVITE only, never on the ACK or BYE of the same dialog."""

from __future__ import annotations

from kefu.sip.leg import SipLeg
from sipkit import SDP, USER, header
from test_nat import NatPhone, reply

AUTO = (("Call-Info", "<sip:127.0.0.1>;answer-after=0"),
        ("Alert-Info", "<http://127.0.0.1/>;info=alert-autoanswer"))


async def test_invite_carries_the_auto_answer_headers(server):
    phone = await NatPhone.open(server.settings.port)
    try:
        assert (await phone.register()).startswith("SIP/2.0 200")
        (binding,) = server.locations.lookup(USER)
        leg = SipLeg(server.thread, "out", caller="8001", callee=USER, headers=AUTO)
        server.dial(binding, leg, SDP)
        invite = await phone.recv()
        assert invite.startswith("INVITE sip:"), invite
        assert header(invite, "call-info") == ["<sip:127.0.0.1>;answer-after=0"]
        assert header(invite, "alert-info") == ["<http://127.0.0.1/>;info=alert-autoanswer"]
        # written as named (sippy alone would write "Call-info"): some phones match literally
        assert "\r\nCall-Info: " in invite and "\r\nAlert-Info: " in invite, invite
        phone.send(reply(invite, "200 OK", f"Contact: <sip:{USER}@127.0.0.1:{phone.port}>",
                         body=SDP))
        ack = await phone.recv()
        assert ack.startswith("ACK ") and not header(ack, "call-info")
        leg.hangup()
        bye = await phone.recv()
        assert bye.startswith("BYE ") and not header(bye, "alert-info")
        phone.send(reply(bye, "200 OK"))
    finally:
        phone.close()


async def test_an_invite_without_extra_headers_has_none(server):
    phone = await NatPhone.open(server.settings.port)
    try:
        assert (await phone.register()).startswith("SIP/2.0 200")
        (binding,) = server.locations.lookup(USER)
        server.dial(binding, SipLeg(server.thread, "out", caller="2000", callee=USER), SDP)
        invite = await phone.recv()
        assert not header(invite, "call-info") and not header(invite, "alert-info")
        phone.send(reply(invite, "486 Busy Here"))
    finally:
        phone.close()
