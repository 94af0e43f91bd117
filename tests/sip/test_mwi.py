"""Message-waiting indication from a real SipServer on loopback: a registered phone gets an
unsolicited NOTIFY message-summary (RFC 3842) with the mailbox's counts; a phone that
subscribes gets them inside its subscription (first at once, then each change, then the
end), and only for its own mailbox."""

from __future__ import annotations

import asyncio

import pytest

import sipkit
from sipkit import USER, authorization, header, parse
from test_nat import FAKE, NatPhone, reply

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
    """A mailbox nobody registered for sends nothing, not even to another registered phone;
    the phone's own mailbox then still gets its NOTIFY (the server did not stop)."""
    phone = await NatPhone.open(server.settings.port)
    try:
        assert (await phone.register()).startswith("SIP/2.0 200")
        server.message_waiting("9999", 1, 0)
        with pytest.raises(asyncio.TimeoutError):
            await phone.recv(timeout=0.8)
        server.message_waiting(USER, 1, 0)
        assert (await phone.recv()).startswith("NOTIFY ")
    finally:
        phone.close()


def test_the_summary_body() -> None:
    assert summary("sip:1001@kefu", 0, 0) == ("Messages-Waiting: no\r\nMessage-Account: "
                                              "sip:1001@kefu\r\nVoice-Message: 0/0 (0/0)\r\n")


class Subscriber(NatPhone):
    """The NAT'd phone, subscribing to its message summary in one dialog."""

    call_id = "mwi-subscription"

    def subscribe(self, cseq: int, *extra: str, to_tag: str = "", mailbox: str = USER) -> bytes:
        ruri = f"sip:{mailbox}@127.0.0.1"
        return sipkit.request(
            "SUBSCRIBE", ruri, f"SIP/2.0/UDP {FAKE[0]}:{FAKE[1]}", call_id=self.call_id,
            cseq=cseq, tag="phonetag", to_uri=ruri, extra=[
                f"Contact: <sip:{USER}@{FAKE[0]}:{FAKE[1]}>", "Event: message-summary",
                "Accept: application/simple-message-summary", *extra]).replace(
            f"To: <{ruri}>".encode(), f"To: <{ruri}>{';tag=' + to_tag if to_tag else ''}".encode())

    async def authorised(self, cseq: int, *extra: str, **kw: str) -> str:
        challenge = await self.final(self.subscribe(cseq, *extra, **kw))
        assert challenge.startswith("SIP/2.0 401"), challenge
        ruri = f"sip:{kw.get('mailbox', USER)}@127.0.0.1"
        return await self.final(self.subscribe(cseq + 1, *extra,
                                               authorization(challenge, "SUBSCRIBE", ruri), **kw))


async def test_a_subscription_gets_the_counts_then_each_change_then_its_end(server):
    server.mailbox_counts = lambda extension: (1, 2) if extension == USER else (0, 0)
    phone = await Subscriber.open(server.settings.port)
    try:
        assert (await phone.register()).startswith("SIP/2.0 200")
        ok = await phone.authorised(1, "Expires: 300")
        assert ok.startswith("SIP/2.0 200") and header(ok, "expires") == ["300"], ok
        tag = header(ok, "to")[0].split("tag=")[1]
        first = await phone.recv()            # the subscription starts with the counts
        assert first.startswith("NOTIFY ") and header(first, "call-id") == [phone.call_id]
        assert f"tag={tag}" in header(first, "from")[0] and "tag=phonetag" in header(first, "to")[0]
        assert "\r\nSubscription-State: active;expires=" in first
        assert "Voice-Message: 1/2 (0/0)" in parse(first)[2]
        phone.send(reply(first, "200 OK"))

        server.message_waiting(USER, 0, 3)    # in the subscription only: no second copy
        change = await phone.recv()
        assert header(change, "call-id") == [phone.call_id] and "2 NOTIFY" in header(change, "cseq")[0]
        assert "Messages-Waiting: no" in parse(change)[2]
        phone.send(reply(change, "200 OK"))
        with pytest.raises(asyncio.TimeoutError):
            await phone.recv(timeout=0.5)

        ended = await phone.authorised(4, "Expires: 0", to_tag=tag)
        assert ended.startswith("SIP/2.0 200") and header(ended, "expires") == ["0"], ended
        last = await phone.recv()
        assert "\r\nSubscription-State: terminated\r\n" in last and parse(last)[2] == ""
        phone.send(reply(last, "200 OK"))
        assert server.subscriptions.of(USER) == []
        gone = await phone.authorised(6, "Expires: 60", to_tag=tag)
        assert gone.startswith("SIP/2.0 481"), gone
    finally:
        phone.close()


async def test_no_subscription_to_another_extensions_mailbox(server):
    phone = await Subscriber.open(server.settings.port)
    try:
        refused = await phone.authorised(1, "Expires: 300", mailbox="1002")
        assert refused.startswith("SIP/2.0 403"), refused
        assert server.subscriptions.of("1002") == []
    finally:
        phone.close()
