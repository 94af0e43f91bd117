"""Message-waiting indication: a registered phone gets an unsolicited NOTIFY
message-summary (RFC 3842) with the mailbox's counts, from a real SipServer on loopback."""

from __future__ import annotations

from sipkit import USER, header, parse
from test_nat import NatPhone, reply

from kefu.sip.mwi import summary


async def test_a_registered_phone_is_told_its_messages(server):
    phone = await NatPhone.open(server.settings.port)
    try:
        assert (await phone.register()).startswith("SIP/2.0 200")
        server.message_waiting(USER, 2, 1)
        notify = await phone.recv()
        (binding,) = server.locations.lookup(USER)
        assert notify.startswith(f"NOTIFY {binding.contact} SIP/2.0\r\n"), notify
        assert header(notify, "event") == ["message-summary"]
        assert header(notify, "content-type") == ["application/simple-message-summary"]
        assert "\r\nSubscription-State: active\r\n" in notify
        _, _, body = parse(notify)
        assert body == (f"Messages-Waiting: yes\r\nMessage-Account: sip:{USER}@127.0.0.1\r\n"
                        "Voice-Message: 2/1 (0/0)\r\n")
        phone.send(reply(notify, "200 OK"))
        server.message_waiting(USER, 0, 3)       # all heard: the light goes out
        _, _, body = parse(await phone.recv())
        assert "Messages-Waiting: no\r\n" in body and "Voice-Message: 0/3 (0/0)" in body
    finally:
        phone.close()


async def test_no_registration_no_notify(server):
    server.message_waiting("9999", 1, 0)          # nobody registered: nothing to send


def test_the_summary_body() -> None:
    assert summary("sip:1001@kefu", 0, 0) == ("Messages-Waiting: no\r\nMessage-Account: "
                                              "sip:1001@kefu\r\nVoice-Message: 0/0 (0/0)\r\n")
