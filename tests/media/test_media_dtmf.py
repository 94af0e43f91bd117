"""In-band DTMF: detection (Goertzel, batched) and generation, unit and end to end."""

from __future__ import annotations

import asyncio

import numpy as np
import pytest

from kefu.media.codecs import ulaw_decode, ulaw_encode
from kefu.media.dtmf import KeyTracker, detect_keys
from kefu.media.moh import builtin_moh

from .audio import frames_of, tone

pytestmark = pytest.mark.timeout(30)

RATE = 8000
# written out here, not imported: the test holds the standard, not the code under test
ROWS = {"1": 697, "2": 697, "3": 697, "A": 697, "4": 770, "5": 770, "6": 770, "B": 770,
        "7": 852, "8": 852, "9": 852, "C": 852, "*": 941, "0": 941, "#": 941, "D": 941}
COLS = {"1": 1209, "4": 1209, "7": 1209, "*": 1209, "2": 1336, "5": 1336, "8": 1336, "0": 1336,
        "3": 1477, "6": 1477, "9": 1477, "#": 1477, "A": 1633, "B": 1633, "C": 1633, "D": 1633}
ALL = "123A456B789C*0#D"


def keypad(digits: str, on: float = 0.1, off: float = 0.06, amp=(6000, 7000), lead: float = 0.013,
           noise: float = 0.0, seed: int = 0) -> np.ndarray:
    """Tones as a phone sends them, through G.711, starting off the 20 ms frame grid."""
    rng = np.random.default_rng(seed)
    parts = [np.zeros(int(lead * RATE))]
    t = np.arange(int(on * RATE)) / RATE
    for d in digits:
        phase = rng.uniform(0, 2 * np.pi, 2)
        parts.append(amp[0] * np.sin(2 * np.pi * ROWS[d] * t + phase[0])
                     + amp[1] * np.sin(2 * np.pi * COLS[d] * t + phase[1]))
        parts.append(np.zeros(int(off * RATE)))
    x = np.concatenate(parts)
    if noise:
        x = x + rng.normal(0, noise, x.size)
    x = np.clip(np.rint(x), -32768, 32767).astype(np.int16)
    return ulaw_decode(ulaw_encode(x))


def run_detector(x: np.ndarray) -> str:
    n = x.size // 160
    hits = detect_keys(x[: n * 160].reshape(n, 160))
    tracker = KeyTracker()
    return "".join(d for d in (tracker.update(int(h)) for h in hits) if d)


def test_all_sixteen_keys() -> None:
    assert run_detector(keypad(ALL)) == ALL
    assert run_detector(keypad(ALL, on=0.06, off=0.05, lead=0.007, seed=2)) == ALL  # short, fast dialling


def test_levels_twist_and_noise_tolerated() -> None:
    assert run_detector(keypad("159#", amp=(1500, 1800))) == "159#"  # about -23 dBm0
    assert run_detector(keypad("260*", amp=(9000, 4000))) == "260*"  # 7 dB reverse twist
    assert run_detector(keypad("37BD", noise=300, seed=3)) == "37BD"  # 25 dB SNR


def test_each_press_reported_once() -> None:
    assert run_detector(keypad("5", on=1.5)) == "5"  # a long press
    assert run_detector(keypad("55", off=0.06)) == "55"  # the same key twice
    x = keypad("8", on=0.4, lead=0.0)
    x[160 * 10 : 160 * 11] = 0  # one frame lost in the middle of the press
    assert run_detector(x) == "8"


def test_too_short_is_ignored() -> None:
    assert run_detector(keypad("1", on=0.02, lead=0.0)) == ""  # one frame: a click, not a key


def _speech_like(seconds: float, seed: int) -> np.ndarray:
    """Voiced sound: a wandering pitch with harmonics shaped by two formants, plus noise."""
    rng = np.random.default_rng(seed)
    n = int(seconds * RATE)
    f0 = 110 + 60 * np.sin(2 * np.pi * 0.9 * np.arange(n) / RATE) + np.cumsum(rng.normal(0, 0.05, n))
    phase = 2 * np.pi * np.cumsum(f0) / RATE
    x = np.zeros(n)
    for k in range(1, 35):
        fk = k * f0
        amp = np.exp(-(((fk - 730) / 250) ** 2)) + 0.7 * np.exp(-(((fk - 1250) / 300) ** 2)) + 0.05
        x += amp * np.sin(k * phase)
    x = x / np.abs(x).max() * 12000 + rng.normal(0, 200, n)
    return np.clip(x, -32768, 32767).astype(np.int16)


@pytest.mark.parametrize(
    "signal",
    [
        np.zeros(RATE * 5, np.int16),
        np.random.default_rng(1).normal(0, 4000, RATE * 10).astype(np.int16),
        tone(440, 5.0, amp=12000),
        tone(1000, 5.0, amp=12000),
        tone(350, 5.0, amp=6000) + tone(440, 5.0, amp=6000),  # dial tone
        tone(697, 3.0, amp=9000),  # one DTMF tone alone
        tone(1209, 3.0, amp=9000),
        _speech_like(20.0, 1),
        _speech_like(20.0, 2),
        np.tile(builtin_moh(), 2),
    ],
    ids=["silence", "noise", "440", "1000", "dialtone", "697", "1209", "speech1", "speech2", "moh"],
)
def test_no_false_hits(signal) -> None:
    x = ulaw_decode(ulaw_encode(signal))
    n = x.size // 160
    assert not np.any(detect_keys(x[: n * 160].reshape(n, 160)) >= 0)


def test_vowels_across_pitches_give_nothing() -> None:
    """Harmonic series (f0 80-300 Hz) with energy near both DTMF groups."""
    t = np.arange(RATE) / RATE
    for f0 in np.arange(80.0, 300.0, 3.0):
        x = np.zeros(RATE)
        for k in range(1, 40):
            fk = k * f0
            x += (np.exp(-(((fk - 750) / 250) ** 2)) + 0.7 * np.exp(-(((fk - 1300) / 250) ** 2))) * np.sin(2 * np.pi * fk * t)
        x = (x / np.abs(x).max() * 12000).astype(np.int16)
        assert not np.any(detect_keys(x.reshape(-1, 160)) >= 0), f0


# --------------------------------------------------------------- end to end
ENGINE_PORTS = (27400, 27499)


@pytest.mark.parametrize("bridged", [False, True])
async def test_inband_digits_reach_on_dtmf(engine, peers, bridged) -> None:
    a, b = await engine.open_leg("a"), await engine.open_leg("b")
    pa, pb = await peers(), await peers()
    a.configure("127.0.0.1", pa.port, "PCMU", 0, None)  # no telephone-event: in-band
    b.configure("127.0.0.1", pb.port, "PCMU", 0, None)
    if bridged:
        engine.bridge(a, b)
    got: list[str] = []
    a.on_dtmf = got.append
    b_got: list[str] = []
    b.on_dtmf = b_got.append
    x = np.concatenate((tone(440, 0.3, amp=3000), keypad("4#0D"), tone(440, 0.3, amp=3000)))
    await asyncio.gather(
        pa.stream(a.local_port, 0, frames_of(x, ulaw_encode)),
        pb.stream(b.local_port, 0, frames_of(tone(1000, x.size / RATE, amp=3000), ulaw_encode)),
    )
    await asyncio.sleep(0.1)
    assert "".join(got) == "4#0D"
    assert a.stats["dtmf_in"] == 4
    assert b_got == []
    if bridged:  # in-band tones travel with the audio, too
        assert b.fast_path
        assert run_detector(pb.audio(0, ulaw_decode, skip=0)) == "4#0D"


async def test_send_dtmf_inband_plays_the_tones(engine, peers) -> None:
    a, b = await engine.open_leg("a"), await engine.open_leg("b")
    pa, pb = await peers(), await peers()
    a.configure("127.0.0.1", pa.port, "PCMU", 0, None)
    b.configure("127.0.0.1", pb.port, "PCMU", 0, 101)
    engine.bridge(a, b)
    streaming = asyncio.create_task(pb.stream(b.local_port, 0, frames_of(tone(440, 2.5, amp=6000), ulaw_encode)))
    await asyncio.sleep(0.3)
    await a.send_dtmf("159#*", duration_ms=100)
    await streaming
    await asyncio.sleep(0.1)
    assert not [r for r in pa.received if r.pt != 0]  # no telephone-event packets
    heard = pa.audio(0, ulaw_decode, skip=0)
    assert run_detector(heard) == "159#*"
    assert a.stats["dtmf_out"] == 5
    # exclusive: while the digits play, the caller's 440 Hz is not mixed in
    n = heard.size // 160
    frames = heard[: n * 160].reshape(n, 160)
    keyed = detect_keys(frames) >= 0
    assert keyed.sum() >= 20
    spec = np.abs(np.fft.rfft(frames[keyed] * np.hanning(160), axis=1))
    full_440 = 6000 * 160 / 4  # a Hann-windowed 440 Hz of amplitude 6000 would peak here
    assert spec[:, 8:10].max() < 0.1 * full_440  # bins 8, 9 = 400, 450 Hz
    assert a.fast_path or engine.sources_of(a) == (b,)  # back to the bridge afterwards


async def test_inband_generated_digits_detected_by_the_engine(engine, peers) -> None:
    """Leg A's send_dtmf (in-band) looped back into leg B of the same engine."""
    a, b = await engine.open_leg("a"), await engine.open_leg("b")
    a.configure("127.0.0.1", b.local_port, "PCMU", 0, None)
    b.configure("127.0.0.1", a.local_port, "PCMU", 0, None)
    got: list[str] = []
    b.on_dtmf = got.append
    await asyncio.sleep(0.1)
    await a.send_dtmf("0123456789*#ABCD", duration_ms=80)
    await asyncio.sleep(0.15)
    assert "".join(got) == "0123456789*#ABCD"
    got.clear()
    await asyncio.gather(a.send_dtmf("12"), a.send_dtmf("34"))  # one after the other, not mixed
    await asyncio.sleep(0.15)
    assert "".join(got) == "1234"
