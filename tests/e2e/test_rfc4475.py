"""RFC 4475's torture messages against a real ``kefu serve``, over UDP and over TCP.

Each message (tests/sip/rfc4475.py, written from the RFC) must get the response the RFC
expects (or none), kefu's log must stay free of tracebacks and of the messages themselves,
and kefu must still answer a plain OPTIONS afterwards.
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


@pytest.fixture(scope="module")
def server(tmp_path_factory):
    srv = start_kefu(tmp_path_factory.mktemp("rfc4475"))
    yield srv
    stop_kefu(srv)


@pytest.mark.parametrize("transport", ["udp", "tcp"])
def test_rfc4475_messages_get_the_responses_the_rfc_expects(server, transport):
    log_start = server.log_path.stat().st_size
    column = 0 if transport == "udp" else 1
    wrong = {}
    for name, data in rfc4475.MESSAGES.items():
        expected = rfc4475.EXPECTED[name][column]
        codes = rfc4475.exchange(server.sip_port, rfc4475.with_rport(data), transport,
                                 wait=0.3 if expected else 0.5)
        ok = codes[:1] == [] if not expected else (codes[:1] and codes[0] in expected)
        if not ok:
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
