"""Playback by phone on real calls: two recordings of agent ann (extension 1001) are in
the store, one a 700 Hz tone, the other 1300 Hz (rows and stereo WAVs written directly,
for speed).  Inspector quinn's phone (1002) dials ``*95``, keys its ID and PIN, the
agent's extension, the date and the time range; ``5`` plays the first recording again,
``6`` the next, ``4`` the previous, ``0`` pauses and continues.  The tones arrive at the
phone in that order (FFT), with the pause's silence, and the audit log holds the three
plays.  The keys' variants, lockout and timeouts are tested in process
(tests/recordings/test_phone*.py).
"""

from __future__ import annotations

import datetime as dt
import os
import shutil
import time

import numpy as np
import pytest

from kefu.recordings.service import Recording, Recordings
from kefu.store import Store

from . import audio
from .conftest import add_user, start_kefu, stop_kefu, wait_for

pytestmark = [pytest.mark.e2e,
              pytest.mark.skipif(shutil.which("baresip") is None and not os.environ.get("CI"),
                                 reason="baresip not installed"),
              pytest.mark.skipif(shutil.which("espeak-ng") is None and not os.environ.get("CI"),
                                 reason="espeak-ng not installed")]

DAY = dt.date(2026, 1, 15)
TONES = (700, 1300)
STEP = 0.25           # seconds per window of the analysis


@pytest.fixture(scope="module")
def kefu(tmp_path_factory):
    server = start_kefu(tmp_path_factory.mktemp("kefu-recording-phone"))
    add_user(server, "ann", "password-ann-1", "agent", extensions=["1001"])
    add_user(server, "quinn", "password-quinn-1", "qa")
    status, body = server.api("PUT", "/recordings/inspectors/quinn",
                              {"code": "1234", "pin": "5678"})
    assert status == 200, body
    yield server
    log = stop_kefu(server)
    assert "Traceback" not in log, log


def _store(kefu) -> tuple[Store, Recordings]:  # type: ignore[no-untyped-def]
    store = Store(f"sqlite:///{kefu.data_dir / 'kefu.db'}")
    return store, Recordings(store.db)


def _recording(kefu, n: int, freq: int, hour: int, minute: int) -> Recording:  # type: ignore[no-untyped-def]
    """A stereo 8 kHz WAV of ``freq`` (the customer's side; the agent's silent), 8 s."""
    folder = kefu.data_dir / "recordings"
    folder.mkdir(parents=True, exist_ok=True)
    t = np.arange(8 * 8000) / 8000
    left = (0.5 * 32767 * np.sin(2 * np.pi * freq * t)).astype(np.int16)
    stereo = np.stack([left, np.zeros_like(left)], axis=1)
    path = folder / f"call{n}.wav"
    import soundfile as sf
    sf.write(str(path), stereo, 8000, subtype="PCM_16")
    started = dt.datetime.combine(DAY, dt.time(hour, minute)).timestamp()
    return Recording(id=0, call_id=f"call{n}", segment=1, journey=f"call{n}", caller="13800138000",
                     callee="800", started_at=started, duration=8.0, agent="ann", queue=None,
                     customer_id=None, direction="inbound", disposition="answered",
                     policy="all", tier="live", path=str(path), codec="wav",
                     size=path.stat().st_size, sha256=None, state="done")


def runs(samples: np.ndarray, rate: int) -> list[tuple[int | None, float]]:
    """The received audio as (tone, seconds) runs: 700, 1300 or None (anything else)."""
    mono = audio.to_mono(samples)
    n = int(rate * STEP)
    out: list[tuple[int | None, float]] = []
    for i in range(0, len(mono) - n + 1, n):
        w = mono[i:i + n]
        tone = next((f for f in TONES if audio.has_tone(w, rate, f)), None)
        if out and out[-1][0] == tone:
            out[-1] = (tone, out[-1][1] + STEP)
        else:
            out.append((tone, STEP))
    return out


def test_an_inspector_keys_their_way_to_an_agents_recordings(kefu, phone, tmp_path):
    store, recordings = _store(kefu)
    try:       # saved out of time order: the phone plays them by time
        second = recordings.save(_recording(kefu, 2, 1300, 10, 30))
        first = recordings.save(_recording(kefu, 1, 700, 9, 15))
    finally:
        store.close()
    quiet = audio.write_silence_wav(tmp_path / "quiet.wav", 90)
    inspector = phone("1002", wav=quiet)
    inspector.dial(kefu.uri("*95"))
    inspector.wait_established()
    time.sleep(1.5)

    def key(digits: str, gap: float = 0.3) -> None:
        for d in digits:
            inspector.send_dtmf(d)
            time.sleep(gap)

    key("1234#")
    key("5678#")
    wait_for(lambda: "inspector quinn logged in from 1002" in kefu.log_tail(200), timeout=10,
             what="the log-in")
    key("1001#")                              # the agent's extension: ann
    key(DAY.strftime("%Y%m%d") + "#")
    key("09001100#")
    wait_for(lambda: "searched agent 1001: 2 recordings" in kefu.log_tail(200), timeout=10,
             what="the search")
    time.sleep(1.0)
    key("5", 8.0)         # again: the first recording (700 Hz) at once, announced
    key("6", 8.0)         # next: 1300 Hz
    key("4", 7.0)         # previous: 700 Hz again ...
    key("0", 3.0)         # ... paused: silence ...
    key("0", 7.0)         # ... and on from where it stopped, to its end
    inspector.hangup()
    inspector.wait_closed()

    heard, rate, _ = audio.read_wav(inspector.received_wav_paths()[0])
    seq = runs(heard, rate)
    tones = [(i, t, s) for i, (t, s) in enumerate(seq) if t is not None and s >= 1.0]
    order = [t for _, t, _ in tones]
    assert order[:4] == [700, 1300, 700, 700] and order[4:] in ([], [1300]), seq
    # the last two 700 Hz runs: one play split by the pause (silence, no announcement
    # between them), together the 8 s of the recording: resumed, not started again
    (a, _, before), (b, _, after) = tones[2], tones[3]
    assert 2.0 <= sum(s for _, s in seq[a + 1:b]) <= 4.0, seq
    assert before >= 2.0 and 7.0 <= before + after <= 9.0, seq

    store, recordings = _store(kefu)
    try:
        plays = [(e.recording_id, e.username, e.address, e.action)
                 for e in reversed(recordings.audit_log(username="quinn"))]
    finally:
        store.close()
    played = [(first.id, "quinn", "phone:1002", "phone_play"),
              (second.id, "quinn", "phone:1002", "phone_play")]
    assert plays[:3] == [played[0], played[1], played[0]], plays
    assert plays[3:] in ([], [played[1]]), plays      # the next one may have begun
