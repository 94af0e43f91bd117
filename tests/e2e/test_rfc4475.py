"""RFC 4475's torture messages against a real ``kefu serve``, over UDP and over TCP.

Each message (tests/sip/rfc4475.py, written from the RFC) must get the response the RFC
expects (or none), kefu's log must stay free of tracebacks and of the messages themselves,
and kefu must still answer a plain OPTIONS afterwards.  One server per transport: sippy
takes a message with the bytes of one it answered before for a retransmission.
"""

from __future__ import annotations

import importlib.util
import sys
from pathlib import Path

import pytest

from . import malformed
from .conftest import start_kefu, stop_kefu

pytestmark = pytest.mark.e2e

_spec = importlib.util.spec_from_file_location(
    "rfc4475", Path(__file__).resolve().parents[1] / "sip" / "rfc4475.py")
rfc4475 = importlib.util.module_from_spec(_spec)
sys.modules.setdefault("rfc4475", rfc4475)
_spec.loader.exec_module(rfc4475)


@pytest.fixture(params=["udp", "tcp"])
def transport(request):
    return request.param


@pytest.fixture
def server(tmp_path):
    srv = start_kefu(tmp_path)
    yield srv
    stop_kefu(srv)


def test_rfc4475_messages_get_the_responses_the_rfc_expects(server, transport):
    log_start = server.log_path.stat().st_size
    column = 0 if transport == "udp" else 1
    sent = {name: rfc4475.with_rport(data) for name, data in rfc4475.MESSAGES.items()}
    wrong = {}
    for name, codes in rfc4475.exchange(server.sip_port, sent, transport).items():
        expected = rfc4475.EXPECTED[name][column]
        answered_as_expected = codes[:1] and codes[0] in expected if expected else not codes
        if not answered_as_expected:
            wrong[name] = (codes, expected)
    assert not wrong, wrong
    ok = malformed.send_datagrams("127.0.0.1", server.sip_port, [malformed.valid_options()])
    assert [malformed.status_code(r) for r in ok] == [200]
    assert server.proc.poll() is None
    with server.log_path.open("rb") as f:
        f.seek(log_start)
        log = f.read().decode("utf-8", "replace")
    assert "Traceback" not in log and "unhandled" not in log.lower(), log
    assert "Call-ID:" not in log and "better not break" not in log, log   # no message text
