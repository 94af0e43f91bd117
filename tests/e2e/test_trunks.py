"""Trunks end to end: a sipp "carrier" on other loopback addresses delivers a DID call to
a baresip extension, an extension dials out through the trunk with the prefix rules
applied and fails over to the second trunk when the first answers 503, and an
international number from a restricted extension is refused."""

from __future__ import annotations

import os
import shutil
import time

import pytest

from . import audio
from .conftest import start_kefu, stop_kefu
from .phones import find_free_ports
from .sipp.carrier import CARRIER_503, CARRIER_UAC, CARRIER_UAS, Carrier, header, received

pytestmark = [pytest.mark.e2e,
              pytest.mark.skipif(shutil.which("sipp") is None and not os.environ.get("CI"),
                                 reason="sipp not installed")]

DID = "8008001234"


@pytest.fixture(scope="module")
def ports():
    return find_free_ports(2, step=4, span=4)


@pytest.fixture(scope="module")
def kefu(tmp_path_factory, ports):
    p1, p2 = ports
    extra = f"""
[[trunks]]
name = "c1"
host = "127.0.0.2"
port = {p1}

[[trunks]]
name = "c2"
host = "127.0.0.3"
port = {p2}
caller_id = "02100000000"

[[trunks]]
name = "dead"
host = "127.0.0.5"
port = {p1 + 2}

[dialplan]

[[dialplan.outbound]]
prefix = "0"
strip = 1
prepend = "86"
trunks = ["c1", "c2"]

[[dialplan.outbound]]
pattern = "9[0-9]+"
strip = 1
trunks = ["dead", "c2"]

[[dialplan.dids]]
number = "{DID}"
destination = "1002"
"""
    server = start_kefu(tmp_path_factory.mktemp("kefu-trunks"), extra=extra)
    yield server
    log = stop_kefu(server)
    assert "Traceback" not in log, log


def test_carrier_delivers_a_did_call_to_an_extension(kefu, phone, tmp_path, ports):
    b = phone("1002", tone=1000)
    carrier = Carrier(CARRIER_UAC, ip="127.0.0.2", port=ports[0], workdir=tmp_path,
                      target=f"127.0.0.1:{kefu.sip_port}", service=DID,
                      variables={"caller": "13900001111"}, pause_ms=3000,
                      extra_args=["-rtp_echo"]).start()
    b.wait_incoming(); b.accept()
    established = b.wait_established()
    result = carrier.wait()
    assert result.ok, result
    b.wait_closed()
    # the carrier echoes what it gets: 1002 hears its own tone back through the trunk
    (rx,) = b.received_wav_paths()
    samples, rate, _ = audio.read_wav(rx)
    assert audio.has_tone(samples[rate // 2: int(2.5 * rate)], rate, 1000)
    assert established["peeruri"].startswith("sip:13900001111@")
    (cdr,) = kefu.cdr("13900001111")
    assert (cdr["caller"], cdr["callee"], cdr["disposition"]) == ("13900001111", DID, "answered")


def test_outbound_prefix_rules_and_failover(kefu, phone, tmp_path, ports):
    first = Carrier(CARRIER_503, ip="127.0.0.2", port=ports[0], workdir=tmp_path).start()
    second = Carrier(CARRIER_UAS, ip="127.0.0.3", port=ports[1], workdir=tmp_path,
                     pause_ms=200, extra_args=["-rtp_echo"]).start()
    a = phone("1001", tone=440)
    a.dial(kefu.uri("02155551234"))
    a.wait_established()
    time.sleep(2.0)
    a.hangup(); a.wait_closed()
    r1, r2 = first.wait(), second.wait()
    assert r1.ok and r2.ok, (r1, r2)
    (inv1,) = received(r1.message_log, "INVITE")
    (inv2,) = received(r2.message_log, "INVITE")
    for invite in (inv1, inv2):
        assert invite.startswith("INVITE sip:862155551234@"), invite.split("\n")[0]
    assert "sip:02100000000@" in header(inv2, "From")       # trunk c2's caller ID
    (rx,) = a.received_wav_paths()
    samples, rate, _ = audio.read_wav(rx)
    assert audio.has_tone(samples[rate // 2: int(1.8 * rate)], rate, 440)
    (cdr,) = kefu.cdr("1001")
    assert cdr["callee"] == "02155551234" and cdr["disposition"] == "answered"


def test_failover_when_a_trunk_does_not_answer_at_all(kefu, phone, tmp_path, ports):
    second = Carrier(CARRIER_UAS, ip="127.0.0.3", port=ports[1], workdir=tmp_path,
                     pause_ms=200).start()
    a = phone("1001", tone=440)
    t0 = time.monotonic()
    a.dial(kefu.uri("92155501"))          # a local number; "dead" first: nothing listens
    a.wait_established(timeout=15)
    waited = time.monotonic() - t0
    a.hangup(); a.wait_closed()
    r2 = second.wait()
    assert r2.ok, r2
    (invite,) = received(r2.message_log, "INVITE")
    assert invite.startswith("INVITE sip:2155501@"), invite.split("\n")[0]
    assert 4.0 <= waited <= 12.0, waited  # the no-response timeout, then the next trunk


def test_international_call_from_a_restricted_extension_is_refused(kefu, phone):
    a = phone("1001")
    a.dial(kefu.uri("00441234567890"))
    closed = a.wait_event("CALL_CLOSED", timeout=10)
    assert closed["param"].startswith("403"), closed
    (cdr,) = kefu.cdr("1001")
    assert cdr["callee"] == "00441234567890" and cdr["sip_code"] == 403


def test_unknown_source_cannot_call_a_did(kefu, tmp_path):
    stranger = Carrier(CARRIER_UAC, ip="127.0.0.4", port=find_free_ports(1)[0],
                       workdir=tmp_path, target=f"127.0.0.1:{kefu.sip_port}", service=DID,
                       variables={"caller": "13900002222"}, pause_ms=500)
    result = stranger.start().wait()
    assert not result.ok
    codes = {m.split(" ", 2)[1] for m in received(result.message_log, "SIP/2.0")}
    assert codes & {"401", "403"} and "200" not in codes, codes
