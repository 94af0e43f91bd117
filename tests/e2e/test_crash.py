"""kefu killed (SIGKILL) during two answered calls, then started again: both calls are
listed as ``interrupted`` for about as long as they lasted, and their recordings hold
all the audio that reached disk with a header that says so.  The recordings' rows: found
while the calls are on (state ``recording``), ``interrupted`` after the restart with the
audio's duration, and the file plays through the API (a ticket, a range request)."""

from __future__ import annotations

import io
import os
import shutil
import time
import urllib.request
import wave
from pathlib import Path

import pytest

from . import audio
from .conftest import restart_kefu

pytestmark = [pytest.mark.e2e,
              pytest.mark.skipif(shutil.which("baresip") is None and not os.environ.get("CI"),
                                 reason="baresip not installed")]

TALK = 5.0   # seconds between answer and the kill



def _windows_with_tone(samples, rate: int, freq: int) -> list[bool]:
    """Per whole second of the recording (the first half second skipped: set-up)."""
    start = rate // 2
    return [audio.has_tone(samples[i:i + rate], rate, freq)
            for i in range(start, len(samples) - rate + 1, rate)]


# seconds of a call a kill -9 may cost its recording (and so its CDR): the block a second
# not yet flushed, plus the media clock's lag on a loaded machine (skipped ticks are not
# written; the assertion prints the stalls).  The 1-2.8 s stall once seen at the first GET
# /recordings was FastAPI building the router's routes on the loop: app.warm_routes.
LOST = 2.5


def test_kill_during_calls_then_restart(kefu, phone) -> None:
    calls = {"1002": (phone("1001", tone=440), phone("1002", tone=1000)),
             "1004": (phone("1003", tone=700), phone("1004", tone=1300))}
    answered = {}
    for number, (a, b) in calls.items():
        a.dial(kefu.uri(number))
        b.wait_incoming()
        b.accept()
        a.wait_established()
        b.wait_established()
        answered[number] = time.time()
    time.sleep(TALK)
    status, found = kefu.api("GET", f"/recordings?since={kefu.mark - 1:.3f}")
    assert status == 200, found
    assert sorted((r["callee"], r["state"]) for r in found["items"]) == [
        ("1002", "recording"), ("1004", "recording")], found
    killed = time.time()
    restart_kefu(kefu, kill=True)
    # a stalled media clock skips ticks the recording then lacks: shown if a check fails
    stalls = [line[11:23] + line.rpartition(":")[2] for line in
              kefu.log_path.read_text(errors="replace").splitlines() if "clock stalled" in line]

    for number, (caller_tone, callee_tone) in (("1002", (440, 1000)), ("1004", (700, 1300))):
        (cdr,) = kefu.cdr(number)
        talked = killed - answered[number]
        assert cdr["disposition"] == "interrupted" and cdr["hangup_by"] == "system", cdr
        # a killed recorder loses what it had not flushed (a block a second) and what the
        # media clock had not yet written; seen up to 1.7 s on a loaded 2-core CI run
        assert abs(cdr["duration"] - talked) <= LOST, (cdr["duration"], talked, stalls)
        rec = Path(cdr["recording_path"])
        assert rec.is_file() and rec.is_relative_to(kefu.data_dir)
        with wave.open(str(rec)) as w:              # the header counts every byte on disk
            frames, rate, channels = w.getnframes(), w.getframerate(), w.getnchannels()
        assert 44 + frames * channels * 2 == rec.stat().st_size
        assert frames / rate == pytest.approx(cdr["recording_duration"], abs=0.01)
        assert abs(frames / rate - talked) <= LOST, (frames / rate, talked, stalls)
        stereo, rate, _ = audio.read_wav(rec)
        left = _windows_with_tone(stereo[:, 0], rate, caller_tone)
        right = _windows_with_tone(stereo[:, 1], rate, callee_tone)
        assert len(left) >= TALK - 2 and all(left) and all(right), (number, left, right)
        _row_is_interrupted_and_plays(kefu, cdr, number)

    for a, b in calls.values():                     # the phones' dialogs died with kefu
        a.hangup()


def _row_is_interrupted_and_plays(kefu, cdr: dict, callee: str) -> None:
    status, found = kefu.api("GET", f"/recordings?call_id={cdr['call_id']}")
    assert status == 200 and found["total"] == 1, found
    (row,) = found["items"]
    assert (row["state"], row["disposition"], row["callee"], row["agent"]) == (
        "interrupted", "interrupted", callee, callee), row
    assert row["duration"] == pytest.approx(cdr["recording_duration"], abs=0.01)
    status, urls = kefu.api("POST", f"/recordings/{row['id']}/ticket")
    assert status == 200, urls
    base = f"http://127.0.0.1:{kefu.http_port}"
    with urllib.request.urlopen(base + urls["audio"], timeout=10) as resp:
        assert resp.headers["Content-Type"] == "audio/wav"
        body = resp.read()
    with wave.open(io.BytesIO(body)) as w:                  # what the browser plays
        assert w.getnframes() / w.getframerate() == pytest.approx(row["duration"], abs=0.01)
    ranged = urllib.request.Request(base + urls["audio"], headers={"Range": "bytes=44-1043"})
    with urllib.request.urlopen(ranged, timeout=10) as resp:
        assert resp.status == 206 and resp.read() == body[44:1044]
    status, log = kefu.api("GET", f"/recordings/audit?recording={row['id']}")
    assert status == 200 and [e["action"] for e in log] == ["play"], log
