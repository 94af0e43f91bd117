"""The tick plan under churn: legs, players and recorders added and removed in random
order, checked against a brute-force recomputation of every path, and end to end (every
bridged pair hears only its partner while others come and go)."""

from __future__ import annotations

import asyncio
import random

import numpy as np
import pytest

from kefu.media import MediaEngine, Player, RtpLeg
from kefu.media.codecs import alaw_decode, alaw_encode, ulaw_decode, ulaw_encode
from kefu.media.mixer import build_plan, mix
from kefu.media.tick import MIX, NONE, PROMPT, RELAY

from .audio import RtpPeer, brute, tone

pytestmark = pytest.mark.timeout(60)

CODECS = {"PCMU": (0, ulaw_encode, ulaw_decode), "PCMA": (8, alaw_encode, alaw_decode)}



def test_build_plan_with_own_rows_elsewhere() -> None:
    """Listener rows and source rows numbered apart (stable slots): groups still found."""
    rng = np.random.default_rng(11)
    frames = rng.integers(-20000, 20000, size=(20, 160)).astype(np.int16)
    members = [17, 3, 9, 12]  # the conference's legs, by source row
    lists = [[s for s in members if s != m] for m in members]  # rows 0..3
    lists += [[5], [5, 5], [], [1, 2], [19, 3]]
    selves = members + [6, 7, -1, 2, 8]  # row 8 hears itself among others: no group
    plan = build_plan(lists, 20, self_rows=selves)
    assert sorted(plan.g_members.tolist()) == [0, 1, 2, 3]
    assert np.array_equal(mix(frames, plan), brute(frames, lists))
    assert set(plan.used.tolist()) == {17, 3, 9, 12, 5, 1, 2, 19}
    ident = build_plan([[4], [2], [2]], 5)
    assert ident.identity and np.array_equal(mix(frames[:5], ident), frames[[4, 2, 2]])
    with pytest.raises(IndexError):
        build_plan([[0], [7]], 5)


# ------------------------------------------------------------- invariants
def _expected_sources(engine: MediaEngine, leg: RtpLeg) -> tuple[list, bool]:
    own = [p for p in engine._players if p.listener is leg]
    exclusive = [p for p in own if p.exclusive]
    srcs = exclusive if exclusive else [*engine.sources_of(leg), *own]
    return srcs, bool(own)


def check_plan(engine: MediaEngine) -> None:
    """Apply pending changes, then compare every decision with a recomputation."""
    plan = engine._plan
    plan.update()
    legs = set(engine._legs.values())
    assert set(plan.legs) == legs
    assert set(plan.players) == set(engine._players)
    live = [s for s in plan._slots if s is not None]
    assert len(live) == len(legs) + len(engine._players)
    for src in [*legs, *engine._players]:
        assert plan._slots[src.slot] is src

    mixed_lists: dict[RtpLeg, list] = {}
    for leg in legs:
        srcs, has_players = _expected_sources(engine, leg)
        relay = None
        if engine.fast_path and not has_players and len(srcs) == 1 and isinstance(srcs[0], RtpLeg):
            s = srcs[0]
            if (s is not leg and s.codec is not None and leg.codec is not None
                    and s.codec.name == leg.codec.name and leg.remote is not None):
                relay = s
        if relay is not None:
            assert leg.tick_path == RELAY and leg.relay_from is relay and leg in relay.relay_to, leg
        else:
            assert leg.relay_from is None, leg
            if leg.remote is None:
                assert leg.tick_path == NONE, leg
            elif not srcs:
                assert leg.tick_path == PROMPT and leg.tick_heard is plan._quiet, leg
            elif len(srcs) == 1 and isinstance(srcs[0], Player):
                assert leg.tick_path == PROMPT and leg.tick_heard is srcs[0], leg
            else:
                assert leg.tick_path == MIX and set(leg.tick_heard) == set(srcs), leg
                mixed_lists[leg] = srcs
        assert set(leg.relay_to) == {x for x in legs if x.relay_from is leg}
    assert set(plan.fast) == {x for x in legs if x.tick_path == RELAY}
    assert set(plan.mixed) == set(mixed_lists)
    prompt_legs = {x for x in legs if x.tick_path == PROMPT}
    assert {x for group in plan.prompt.values() for x in group} == prompt_legs
    for player, group in plan.prompt.items():
        assert all(x.tick_heard is player for x in group)

    # the mix: one row per mixed leg, two per recorder, each the sum of its sources
    recs = [r for r in engine._recorders if not r.closed]
    assert plan.recs == recs
    lists = [[s.slot for s in mixed_lists[x]] for x in plan.mixed]
    for rec in recs:
        lists += [[s.slot for s in rec.left], [s.slot for s in rec.right]]
    n = len(plan._slots)
    frames = np.random.default_rng(1).integers(-20000, 20000, size=(n, 160)).astype(np.int16)
    if lists:
        assert np.array_equal(mix(frames, plan.mix), brute(frames, lists))
    else:
        assert plan.mix.n_out == 0
    # what the tick needs: exactly the sources some row hears, and legs checked for DTMF
    detect = {x for x in legs if x.dtmf_pt is None and x.codec is not None}
    assert set(plan.detect) == detect
    assert sorted(plan.detect_rows.tolist()) == sorted(x.slot for x in detect)
    heard = {s for row in lists for s in row} | {x.slot for x in detect}
    for src in [*legs, *engine._players]:
        assert src.tick_need == (src.slot in heard), src
    pulled = {x for _, group in plan.pull_table.values() for x in group} | set(plan.pull_other)
    assert pulled == {x for x in legs if x.tick_need}
    for table, group in plan.pull_table.values():
        assert all(x.decode_table is table and group[x] == x.slot for x in group)


async def test_random_changes_match_a_recomputation() -> None:
    eng = MediaEngine("127.0.0.1", 28100, 28299)
    await eng.start()
    rng = random.Random(5)
    try:
        legs: list[RtpLeg] = []
        players: list[Player] = []
        recs = []
        for step in range(400):
            op = rng.random()
            live_players = [p for p in players if not p.done.is_set()]
            if op < 0.15 or len(legs) < 4:
                leg = await eng.open_leg(f"l{step}")
                legs.append(leg)
                if rng.random() < 0.85:
                    codec = rng.choice(["PCMU", "PCMA", "G722"])
                    pt = {"PCMU": 0, "PCMA": 8, "G722": 9}[codec]
                    leg.configure("127.0.0.1", 9, codec, pt, rng.choice([101, None]))
            elif op < 0.27:
                leg = legs.pop(rng.randrange(len(legs)))
                await eng.close_leg(leg)
            elif op < 0.42:
                a, b = rng.sample(legs, 2)
                eng.bridge(a, b)
            elif op < 0.5:
                members = rng.sample(legs, min(len(legs), rng.randint(3, 5)))
                eng.conference(members)
            elif op < 0.6:
                pool = legs + live_players
                eng.set_sources(rng.choice(legs), rng.sample(pool, rng.randint(0, 3)))
            elif op < 0.7:
                target = rng.choice([*legs, None])
                players.append(eng.play_samples(target, tone(500, 0.1 * rng.randint(1, 4)),
                                                loop=rng.random() < 0.2,
                                                exclusive=target is not None and rng.random() < 0.2))
            elif op < 0.76 and live_players:
                rng.choice(live_players).stop()
            elif op < 0.84:
                pool = legs + live_players
                recs.append(eng.record("/dev/null", rng.sample(pool, rng.randint(0, 2)),
                                       rng.sample(pool, rng.randint(0, 2))))
            elif op < 0.9 and recs:
                rec = recs.pop(rng.randrange(len(recs)))
                if rng.random() < 0.5:
                    await rec.close()
                else:
                    pool = legs + live_players
                    eng.set_recording_sources(rec, rng.sample(pool, 1), rng.sample(pool, 1))
                    recs.append(rec)
            elif op < 0.95:
                leg = rng.choice(legs)  # a re-INVITE: another codec, maybe telephone-event
                codec = rng.choice(["PCMU", "PCMA", "G722"])
                leg.configure("127.0.0.1", 9, codec, {"PCMU": 0, "PCMA": 8, "G722": 9}[codec],
                              rng.choice([101, None]))
            else:
                await asyncio.sleep(0.02 * rng.randint(1, 3))  # let ticks run (players end)
            if rng.random() < 0.3:
                check_plan(eng)
            if step % 40 == 0:
                await asyncio.sleep(0)
        check_plan(eng)
        for leg in list(legs):
            await eng.close_leg(leg)
        check_plan(eng)
        assert eng.stats["tick_errors"] == 0
    finally:
        await eng.stop()


# ------------------------------------------------------------- end to end
class _Pair:
    def __init__(self, a, b, pa, pb, fa, fb) -> None:
        self.a, self.b, self.pa, self.pb, self.fa, self.fb = a, b, pa, pb, fa, fb
        self.task: asyncio.Task | None = None
        self.rec = None


async def _stream(peer: RtpPeer, port: int, pt: int, encode, freq: float, stop: asyncio.Event) -> None:
    """A continuous tone of ``freq`` (a multiple of 50 Hz: whole periods per frame)."""
    x = tone(freq, 1.0, amp=5000)
    loop = asyncio.get_running_loop()
    start = loop.time()
    i = 0
    while not stop.is_set():
        k = i % 50
        peer.send_frame(port, pt, encode(x[k * 160 : (k + 1) * 160]), marker=(i == 0))
        peer.ts += 160
        i += 1
        delay = start + i * 0.02 - loop.time()
        if delay > 0:
            await asyncio.sleep(delay)


def _bins(frame: np.ndarray) -> np.ndarray:
    spec = np.abs(np.fft.rfft(frame.astype(np.float64))) ** 2
    return spec / max(spec.sum(), 1e-9)


async def test_churn_every_pair_hears_only_its_partner(tmp_path) -> None:
    eng = MediaEngine("127.0.0.1", 28400, 28599)
    await eng.start()
    rng = random.Random(9)
    freqs = iter(range(300, 3450, 50))  # one frequency per phone ever: 63 of them
    moh_freq = next(freqs)
    moh = eng.play_samples(None, tone(moh_freq, 1.0, amp=5000), loop=True)
    stop = asyncio.Event()
    pairs: list[_Pair] = []
    done: list[_Pair] = []
    tasks: list[asyncio.Task] = []

    async def open_pair() -> _Pair:
        ca, cb = rng.choice(list(CODECS)), rng.choice(list(CODECS))
        a, b = await eng.open_leg("a"), await eng.open_leg("b")
        pa, pb = await RtpPeer.create(), await RtpPeer.create()
        a.configure("127.0.0.1", pa.port, ca, CODECS[ca][0], 101)
        b.configure("127.0.0.1", pb.port, cb, CODECS[cb][0], 101)
        pair = _Pair(a, b, pa, pb, next(freqs), next(freqs))
        pair.ca, pair.cb = ca, cb  # type: ignore[attr-defined]
        pair.stop = asyncio.Event()  # type: ignore[attr-defined]
        pair.t0 = asyncio.get_running_loop().time()  # type: ignore[attr-defined]
        for peer, leg, codec, f in ((pa, a, ca, pair.fa), (pb, b, cb, pair.fb)):
            tasks.append(asyncio.create_task(
                _stream(peer, leg.local_port, CODECS[codec][0], CODECS[codec][1], f, pair.stop)))  # type: ignore[attr-defined]
        eng.bridge(a, b)
        if rng.random() < 0.5:
            pair.rec = eng.record(tmp_path / f"{pair.fa}.wav", [a], [b])
        return pair

    try:
        for _ in range(6):
            pairs.append(await open_pair())
        loop = asyncio.get_running_loop()
        end = loop.time() + 3.0
        while loop.time() < end:
            await asyncio.sleep(rng.uniform(0.005, 0.05))
            op = rng.random()
            if op < 0.3 and len(done) + len(pairs) < 28:
                pairs.append(await open_pair())
            elif op < 0.55 and len(pairs) > 3:
                old = [p for p in pairs if loop.time() - p.t0 > 0.3]  # type: ignore[attr-defined]
                if not old:
                    continue
                pair = rng.choice(old)
                pairs.remove(pair)
                pair.stop.set()  # type: ignore[attr-defined]
                if pair.rec is not None:
                    await pair.rec.close()
                first, second = (pair.a, pair.b) if rng.random() < 0.5 else (pair.b, pair.a)
                await eng.close_leg(first)
                await asyncio.sleep(rng.uniform(0, 0.03))
                await eng.close_leg(second)
                done.append(pair)
            elif op < 0.7 and pairs:  # hold and back
                pair = rng.choice(pairs)
                eng.set_sources(pair.a, [moh])
                eng.set_sources(pair.b, [moh])
                await asyncio.sleep(rng.uniform(0.02, 0.1))
                eng.bridge(pair.a, pair.b)
            elif op < 0.85 and pairs:  # a prompt on top of the partner
                pair = rng.choice(pairs)
                eng.play_samples(rng.choice([pair.a, pair.b]), tone(moh_freq, 0.1, amp=5000))
            elif pairs:  # a random other leg's re-bridge (a no-op matrix change)
                pair = rng.choice(pairs)
                eng.bridge(pair.a, pair.b)
        await asyncio.sleep(0.2)
        check_plan(eng)
    finally:
        stop.set()
        for pair in pairs:
            pair.stop.set()  # type: ignore[attr-defined]
        await asyncio.gather(*tasks, return_exceptions=True)
        moh.stop()
        await eng.stop()

    allowed_extra = moh_freq // 50
    every = {f // 50 for p in (*pairs, *done) for f in (p.fa, p.fb)}
    assert len(done) >= 3 and len(pairs) + len(done) >= 10
    for pair in (*pairs, *done):
        # a phone receives what its leg sends: its own codec, its partner's voice
        for peer, codec, partner, own in ((pair.pa, pair.ca, pair.fb, pair.fa),  # type: ignore[attr-defined]
                                          (pair.pb, pair.cb, pair.fa, pair.fb)):  # type: ignore[attr-defined]
            decode = CODECS[codec][2]
            frames = [decode(r.payload) for r in peer.received if r.pt == CODECS[codec][0]]
            assert len(frames) >= 10
            voiced = 0
            for f in frames:
                if np.abs(f).max() < 500:
                    continue
                share = _bins(f)
                foreign = every - {partner // 50, allowed_extra}
                leak = share[sorted(foreign)].max()
                assert leak < 0.01, f"phone {own} heard someone else's {50 * int(np.argmax(share))} Hz"
                voiced += share[partner // 50] > 0.3
            assert voiced >= 5, f"phone {own} hardly heard its partner {partner}"
        pair.pa.close()
        pair.pb.close()


async def test_closed_legs_are_freed_without_the_garbage_collector() -> None:
    """No reference cycle survives a closed leg: under load, cyclic garbage waits for full
    collections, which stall every thread of the process."""
    import gc
    import weakref

    eng = MediaEngine("127.0.0.1", 28600, 28699)
    await eng.start()
    try:
        refs = []
        gc.collect()
        gc.disable()
        try:
            for i in range(6):
                a, b = await eng.open_leg("a"), await eng.open_leg("b")
                a.configure("127.0.0.1", 9, "PCMU", 0, 101)
                b.configure("127.0.0.1", 9, "PCMA", 8, None)
                if i % 3 == 0:
                    p = eng.play_samples(a, tone(500, 0.04))
                    await asyncio.wait_for(p.done.wait(), 2)
                    del p
                elif i % 3 == 1:
                    eng.bridge(a, b)
                    rec = eng.record("/dev/null", [a], [b])
                    await asyncio.sleep(0.05)
                    await rec.close()
                    del rec
                else:
                    eng.play_samples(b, tone(500, 1.0))  # still playing when its leg goes
                    eng.set_sources(a, [b])
                    await asyncio.sleep(0.05)
                refs += [weakref.ref(a), weakref.ref(b), weakref.ref(a._protocol)]
                await eng.close_leg(a)
                await eng.close_leg(b)
                del a, b
            await asyncio.sleep(0.1)  # the plan lets go of them at the next tick
            alive = [type(r()).__name__ for r in refs if r() is not None]
            assert not alive
        finally:
            gc.enable()
    finally:
        await eng.stop()
