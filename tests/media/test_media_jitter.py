"""Jitter buffer: reordering, duplicates, late packets, loss, delay trimming; concealment."""

from __future__ import annotations

import numpy as np

from kefu.media.jitter import Concealer, JitterBuffer


def pops(jb: JitterBuffer, n: int) -> list:
    return [jb.pop() for _ in range(n)]


def test_in_order_passthrough() -> None:
    jb = JitterBuffer()
    for s in range(5):
        jb.put(s, bytes([s]))
        assert jb.pop() == bytes([s])  # one frame of delay at most: played on the next tick
    assert jb.underruns == 0 and jb.depth == 0


def test_reorders_and_drops_duplicates() -> None:
    jb = JitterBuffer()
    jb.put(10, b"a")
    assert jb.put(12, b"c")
    assert jb.put(11, b"b")
    assert not jb.put(12, b"c")
    assert jb.duplicates == 1
    assert pops(jb, 3) == [b"a", b"b", b"c"]


def test_late_packet_is_dropped() -> None:
    jb = JitterBuffer()
    jb.put(1, b"1")
    jb.put(3, b"3")
    assert pops(jb, 2) == [b"1", b"3"]  # 2 missing while 3 waits: skipped at once
    assert jb.skipped == 1
    assert not jb.put(2, b"2")
    assert jb.late == 1


def test_underrun_waits_without_advancing() -> None:
    jb = JitterBuffer()
    jb.put(1, b"1")
    assert jb.pop() == b"1"
    assert jb.pop() is None  # 2 is late: conceal, keep our place
    assert jb.underruns == 1
    jb.put(2, b"2")
    jb.put(3, b"3")
    assert pops(jb, 2) == [b"2", b"3"]  # nothing lost
    assert jb.late == 0 and jb.skipped == 0


def test_sequence_wraparound() -> None:
    jb = JitterBuffer()
    out = []
    for s in (65534, 65535, 1, 0, 2):  # 0 and 1 swapped across the wrap
        jb.put(s, s.to_bytes(2, "big"))
    out = [int.from_bytes(p, "big") for p in pops(jb, 5)]
    assert out == [65534, 65535, 0, 1, 2]
    assert not jb.put(65535, b"old")  # a duplicate from before the wrap is late now
    assert jb.late == 1


def test_surplus_delay_is_trimmed() -> None:
    jb = JitterBuffer(trim_window=10)
    jb.put(0, b"0")
    jb.put(1, b"1")  # one frame more than needed, and it stays so
    seq = 2
    played = []
    for _ in range(10):
        played.append(jb.pop())
        jb.put(seq, b"%d" % seq)
        seq += 1
    assert jb.dropped == 1
    assert jb.depth == 1  # back to: the packet that arrived since the last tick


def test_overflow_and_restart() -> None:
    jb = JitterBuffer(max_depth=4)
    for s in range(6):
        jb.put(s, bytes([s]))
    assert jb.depth == 4 and jb.dropped == 2
    assert jb.pop() == bytes([2])
    jb.put(5000, b"new")  # peer restarted its sequence: follow it
    assert jb.pop() == b"new"


def test_concealment_fades_then_silence() -> None:
    c = Concealer()
    assert c.next(None) is None  # nothing heard yet: silence
    frame = np.full(160, 8000, dtype=np.int16)
    assert c.next(frame) is frame
    first = c.next(None)
    second = c.next(None)
    assert first is not None and second is not None
    assert int(first[0]) == 4000 and int(second[0]) == 2000  # -6 dB, -12 dB
    assert c.next(None) is None
    assert c.next(None) is None
    assert c.concealed == 2
    assert c.next(frame) is frame  # recovers at once
