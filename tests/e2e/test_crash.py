"""kefu killed (SIGKILL) during two answered calls, then started again: both calls are
listed as ``interrupted`` for about as long as they lasted, and their recordings hold
all the audio that reached disk with a header that says so."""

from __future__ import annotations

import os
import shutil
import time
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
    killed = time.time()
    restart_kefu(kefu, kill=True)

    for number, (caller_tone, callee_tone) in (("1002", (440, 1000)), ("1004", (700, 1300))):
        (cdr,) = kefu.cdr(number)
        talked = killed - answered[number]
        assert cdr["disposition"] == "interrupted" and cdr["hangup_by"] == "system", cdr
        assert abs(cdr["duration"] - talked) <= 1.5, (cdr["duration"], talked)
        rec = Path(cdr["recording_path"])
        assert rec.is_file() and rec.is_relative_to(kefu.data_dir)
        with wave.open(str(rec)) as w:              # the header counts every byte on disk
            frames, rate, channels = w.getnframes(), w.getframerate(), w.getnchannels()
        assert 44 + frames * channels * 2 == rec.stat().st_size
        assert frames / rate == pytest.approx(cdr["recording_duration"], abs=0.01)
        assert abs(frames / rate - talked) <= 1.5, (frames / rate, talked)
        stereo, rate, _ = audio.read_wav(rec)
        left = _windows_with_tone(stereo[:, 0], rate, caller_tone)
        right = _windows_with_tone(stereo[:, 1], rate, callee_tone)
        assert len(left) >= TALK - 2 and all(left) and all(right), (number, left, right)

    for a, b in calls.values():                     # the phones' dialogs died with kefu
        a.hangup()
