"""Playback by phone on a call, in process (:mod:`kefu.recordings.listen`): the fake
switch, a real bus and store, a media stand-in whose players the test ends or pauses.
What only a real phone proves (the tones arrive) is tests/e2e/test_recording_phone.py."""

from __future__ import annotations

import asyncio
import datetime as dt
from pathlib import Path
from typing import Any

import numpy as np
import pytest
import soundfile as sf
from argon2 import PasswordHasher

from fake_switch import FakeSwitch, incoming
from kefu.bus import Event, LocalBus
from kefu.calls.dialplan import Route
from kefu.recordings.listen import PhoneListen
from kefu.recordings.service import Recording, Recordings
from kefu.store import Store
from kefu.users.service import Users

DAY = dt.date(2026, 1, 15)


class FakePlayer:
    def __init__(self, pcm: np.ndarray) -> None:
        self.pcm, self.done, self.position, self.stopped = pcm, asyncio.Event(), 0.0, False

    def stop(self) -> None:
        self.stopped = True
        self.done.set()


class FakeMedia:
    def __init__(self) -> None:
        self.players: list[FakePlayer] = []

    def play_samples(self, leg: Any, pcm: np.ndarray) -> FakePlayer:
        self.players.append(FakePlayer(pcm))
        return self.players[-1]


def _wav(path: Path, seconds: float, freq: int) -> Path:
    t = np.arange(int(seconds * 8000)) / 8000
    tone = (0.3 * np.sin(2 * np.pi * freq * t)).astype(np.float32)
    sf.write(str(path), np.stack([tone, tone * 0], axis=1), 8000, subtype="PCM_16")
    return path


def _rec(n: int, path: Path, hour: int) -> Recording:
    at = dt.datetime.combine(DAY, dt.time(hour)).timestamp()
    return Recording(id=0, call_id=f"c{n}", segment=1, journey=f"c{n}", caller="138",
                     callee="800", started_at=at, duration=2.0, agent="2002", queue=None,
                     customer_id=None, direction="inbound", disposition=None, policy="all",
                     tier="live", path=str(path), codec="wav", size=None, sha256=None,
                     state="done")


class Rig:
    def __init__(self, store: Store, users: Users, hasher: PasswordHasher, tmp: Path) -> None:
        self.bus = LocalBus(asyncio.get_running_loop())
        self.switch = FakeSwitch(bus=self.bus)
        self.switch.media = self.media = FakeMedia()
        users.create_user("quinn", "password1", "qa")
        users.create_user("2002", "password1", "agent")
        self.recordings = Recordings(store.db, users=users, hasher=hasher)
        self.recordings.inspectors.set("quinn", "1234", "5678")
        self.first = self.recordings.save(_rec(1, _wav(tmp / "1.wav", 2.0, 700), 9))
        self.second = self.recordings.save(_rec(2, _wav(tmp / "2.wav", 1.0, 1300), 10))
        self.spoken: list[str] = []

        async def voice(text: str, lang: str) -> list[Path]:
            self.spoken.append(text)
            return []                  # prompts voiced by nothing: what matters is the audio
        self.listen = PhoneListen(self.switch, self.bus, self.recordings,
                                  self.recordings.inspectors, voice, users=users)
        self.call = incoming(self.switch, caller="1002", callee="*95")

    async def keys(self, digits: str) -> None:
        for d in digits:
            self.bus.publish(Event("call.dtmf", self.call.id, {"digit": d, "leg": "caller",
                                                               "number": "1002"}))
            await asyncio.sleep(0)


async def settle() -> None:
    """Let worker threads (argon2, the store, decoding) and the loop catch up."""
    for _ in range(20):
        await asyncio.sleep(0.01)


async def until(what: Any) -> None:
    for _ in range(300):
        if what():
            return
        await asyncio.sleep(0.01)
    raise AssertionError("never happened")


@pytest.fixture
async def rig(store: Store, users: Users, fast_hasher: PasswordHasher, tmp_path: Path) -> Rig:
    return Rig(store, users, fast_hasher, tmp_path)


async def test_a_call_plays_pauses_resumes_and_audits(rig: Rig) -> None:
    await rig.listen(rig.call, Route(kind="recordings"))
    assert rig.call.id in rig.listen.lines
    await rig.keys("1234#5678#")
    await until(lambda: rig.listen.lines[rig.call.id].machine.inspector == "quinn")
    await rig.keys("2002#" + DAY.strftime("%Y%m%d") + "#" + "#")
    await until(lambda: rig.media.players)
    first = rig.media.players[0]
    assert len(first.pcm) == 16000            # 2 s of 8 kHz mono
    first.position = 0.5
    await rig.keys("0")                       # pause: the player stops, the place is kept
    await settle()
    assert first.stopped and len(rig.media.players) == 1
    await rig.keys("0")                       # continue from 0.5 s
    await until(lambda: len(rig.media.players) == 2)
    assert len(rig.media.players[1].pcm) == 12000
    rig.media.players[1].done.set()           # played to its end: the next recording
    await until(lambda: len(rig.media.players) == 3)
    third = rig.media.players[2]
    assert len(third.pcm) == 8000
    rig.switch.hang_up(rig.call)
    await settle()
    assert third.stopped and rig.call.id not in rig.listen.lines
    await settle()
    log = [(e.recording_id, e.action, e.address)
           for e in reversed(rig.recordings.audit_log(username="quinn"))]
    assert log == [(rig.first.id, "phone_play", "phone:1002"),
                   (rig.second.id, "phone_play", "phone:1002")]
    assert "共找到2条录音" in rig.spoken and "第1条，09:00" in rig.spoken


async def test_three_wrong_pins_hang_up_and_lock(rig: Rig) -> None:
    await rig.listen(rig.call, Route(kind="recordings"))
    line = rig.listen.lines[rig.call.id]
    for tries in (1, 2, 3):
        await rig.keys("1234#0000#")
        await until(lambda: line.machine.tries == tries)
    await until(lambda: rig.call.ended)
    assert ("call.ended", {"disposition": "answered", "hangup_by": "system",
                           "sip_code": 200}) in rig.switch.events
    assert rig.recordings.inspectors.locked("1234")
    assert rig.recordings.audit_log() == [] and rig.media.players == []


@pytest.mark.parametrize("fmt,subtype,rate", [("WAV", "PCM_16", 8000), ("FLAC", "PCM_16", 16000),
                                              ("OGG", "OPUS", 48000)])
def test_recordings_decode_to_8khz_mono(tmp_path: Path, fmt: str, subtype: str,
                                        rate: int) -> None:
    """Today's WAV and the compressed files to come: 8 kHz mono, the tone kept."""
    from kefu.recordings.listen import decode
    t = np.arange(2 * rate) / rate
    left = 0.5 * np.sin(2 * np.pi * 700 * t)
    path = tmp_path / f"r.{fmt.lower()}"
    sf.write(str(path), np.stack([left, np.zeros_like(left)], axis=1), rate, format=fmt,
             subtype=subtype)
    pcm = decode(path)
    assert pcm.dtype == np.int16 and abs(len(pcm) - 16000) <= 400   # Opus pads a little
    spectrum = np.abs(np.fft.rfft(pcm[2000:14000].astype(np.float64)))
    assert abs(np.argmax(spectrum) * 8000 / 12000 - 700) < 5
    assert 0.2 * 32767 < np.abs(pcm[2000:14000]).max() < 0.3 * 32767   # the channels mixed
