"""Taps: a source's audio handed over frame by frame on the clock's tick (speech input)."""

from __future__ import annotations

import asyncio

import numpy as np

from .audio import dominant_frequency, tone

ENGINE_PORTS = (28200, 28299)


async def test_a_tap_hears_its_source_frame_by_frame(engine) -> None:
    frames: list[np.ndarray] = []
    player = engine.play_samples(None, tone(700, 2.0), loop=True)
    tap = engine.tap([player], frames.append)
    await asyncio.sleep(0.5)
    tap.close()
    got = len(frames)
    await asyncio.sleep(0.1)
    assert len(frames) == got                       # closed: nothing more
    assert got >= 15 and all(f.shape == (160,) and f.dtype == np.int16 for f in frames)
    assert abs(dominant_frequency(np.concatenate(frames)) - 700) < 20
    assert frames[0] is not frames[1] and not np.shares_memory(frames[0], frames[1])  # copies
    player.stop()


async def test_a_tap_whose_callback_fails_closes_and_the_clock_goes_on(engine) -> None:
    def broken(frame: np.ndarray) -> None:
        raise RuntimeError("listener bug")

    player = engine.play_samples(None, tone(500, 1.0), loop=True)
    tap = engine.tap([player], broken)
    ticks = engine.ticks
    await asyncio.sleep(0.2)
    assert tap.closed
    assert engine.ticks > ticks + 5 and engine.tick_errors == 0
    player.stop()


async def test_a_tap_outlives_its_source(engine) -> None:
    frames: list[np.ndarray] = []
    player = engine.play_samples(None, tone(500, 1.0), loop=True)
    tap = engine.tap([player], frames.append)
    await asyncio.sleep(0.1)
    player.stop()                                   # the caller gone: silence, no error
    await asyncio.sleep(0.2)
    n = len(frames)
    await asyncio.sleep(0.1)
    assert len(frames) > n and not np.any(frames[-1])
    tap.close()
