"""DTMF sent as SIP INFO, end to end: a phone set to send its keys by INFO (sipp,
tests/e2e/sipp/info_dtmf.xml) presses 5 then # against a real ``kefu serve``.

The keys must do what RFC 4733 or in-band keys do: ``call.dtmf`` events in the log, the
other party's phone (baresip, which negotiates RFC 4733) receiving them, and the ACD
taking a queue's leave key.  An INFO kefu cannot read gets 415 (the scenario checks).
"""

from __future__ import annotations

import os
import shutil
import time

import pytest

from .conftest import PASSWORDS, start_kefu, stop_kefu, wait_for
from .phones import find_free_ports
from .sipp import HERE, SippResult, run_sipp

pytestmark = [pytest.mark.e2e,
              pytest.mark.skipif((shutil.which("baresip") is None or shutil.which("sipp") is None)
                                 and not os.environ.get("CI"),
                                 reason="baresip or sipp not installed")]

INFO_DTMF = HERE / "info_dtmf.xml"
QUEUE = """
[[queues]]
name = "keys"
number = "8050"
leave_key = "5"
overflow = "1002"
wrap_up = 0
"""


@pytest.fixture(scope="module")
def kefu(tmp_path_factory):
    """This module's own server, with a queue whose leave key is 5 (overrides conftest's)."""
    server = start_kefu(tmp_path_factory.mktemp("kefu-info"), extra=QUEUE)
    yield server
    log = stop_kefu(server)
    assert "Traceback" not in log, log


def _press_5_and_hash(kefu, number: str, workdir) -> SippResult:
    """sipp as extension 1001 calls ``number`` and sends its keys by INFO."""
    (port,) = find_free_ports(1, step=2, span=1)
    return run_sipp(INFO_DTMF, kefu.sip_port, local_port=port, workdir=workdir,
                    service=number, pause_ms=1500, timeout=20,
                    extra_args=["-set", "caller", "1001", "-au", "1001",
                                "-ap", PASSWORDS["1001"]])


def _keys(kefu, since: float) -> list[dict]:
    return [d for _, _, d in kefu.events(since, "call.dtmf")]


def test_info_keys_reach_the_callee_as_rfc4733_and_the_call_events(kefu, phone, tmp_path):
    callee = phone("1002", tone=1000, answermode="auto")
    since = time.time()
    result = _press_5_and_hash(kefu, "1002", tmp_path / "sipp")
    assert result.ok, result
    assert wait_for(lambda: callee.dtmf_received() == "5#", timeout=5,
                    what=f"5# at the callee (got {callee.dtmf_received()!r})")
    keys = wait_for(lambda: len(_keys(kefu, since)) == 2 and _keys(kefu, since),
                    what="two call.dtmf events")
    assert [(k["digit"], k["leg"], k["number"]) for k in keys] == [
        ("5", "caller", "1001"), ("#", "caller", "1001")]


def test_info_key_leaves_a_queue(kefu, phone, tmp_path):
    overflow = phone("1002", tone=1000, answermode="auto")
    since = time.time()
    result = _press_5_and_hash(kefu, "8050", tmp_path / "sipp")  # 5 leaves, to 1002
    assert result.ok, result
    over = [d for _, _, d in kefu.events(since, "queue.overflow")]
    assert [d["reason"] for d in over] == ["leave_key"]
    assert "".join(k["digit"] for k in _keys(kefu, since)) == "5#"
    # the 5 was the queue's; the # came once the overflow destination had answered
    assert wait_for(lambda: overflow.dtmf_received() == "#", timeout=5,
                    what=f"# at the overflow phone (got {overflow.dtmf_received()!r})")
