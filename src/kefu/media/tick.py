"""What the engine's 20 ms tick does, precomputed from the routing.

A :class:`TickPlan` is built only when the routing changes (sources set, legs or
players or recorders added or gone, a leg reconfigured).  Building it decides, per
listener leg, between the two paths:

* **fast** — the leg hears exactly one other leg with the same codec and nothing
  else (no player, no second source): the source's receive callback relays every
  packet at once (see :mod:`.leg`); the tick only advances the leg's media clock
  and sends its outgoing RFC 4733 events, if any;
* **mixed** — everything else: it gets a row of the mix and one packet per tick.

and, per source leg, whether the tick needs its audio at all (a mixed listener or a
recorder hears it, or it is checked for in-band DTMF).  Legs nobody needs are not
even queued in a jitter buffer.

Each tick (:meth:`TickPlan.run`) then does, with the Python per leg kept to a few
attribute accesses and everything per-sample in numpy:

1. one frame per needed leg from its jitter buffer (G.711 payloads decoded together,
   one table lookup per codec), one frame per player;
2. in-band DTMF detection over all legs without telephone-event at once;
3. :func:`~.mixer.mix`: every mixed listener's and every recorder channel's frame;
4. mixed legs send (G.711 encoded together), fast legs' clocks advance;
5. recorders get their two channels, finished players end.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Sequence

import numpy as np

from .codecs import FRAME_SAMPLES
from .dtmf import KeyTracker, detect_keys
from .leg import RtpLeg
from .mixer import MixPlan, Source, build_plan, mix
from .recorder import Recorder

if TYPE_CHECKING:
    from .player import Player

__all__ = ["TickPlan"]


def _can_relay(listener: RtpLeg, srcs: Sequence[Source], has_players: bool) -> RtpLeg | None:
    """The source ``listener`` can be fed from by the fast path, else None."""
    if has_players or len(srcs) != 1:
        return None
    src = srcs[0]
    if src is listener or not isinstance(src, RtpLeg):
        return None
    a, b = src._codec, listener._codec
    if a is None or b is None or a.name != b.name or listener._remote is None:
        return None
    return src


class TickPlan:
    def __init__(
        self,
        legs: list[RtpLeg],
        routes: dict[RtpLeg, tuple[Source, ...]],
        players: list[Player],
        recorders: list[Recorder],
        fast_path: bool,
    ) -> None:
        self.legs, self.players, self.recs = legs, players, recorders
        nl = len(legs)
        row: dict[Source, int] = {leg: i for i, leg in enumerate(legs)}
        row.update({p: nl + j for j, p in enumerate(players)})
        by_listener: dict[RtpLeg, list[Player]] = {}
        for p in players:
            if p.listener is not None:
                by_listener.setdefault(p.listener, []).append(p)

        lists: list[list[int]] = []
        fast: dict[RtpLeg, RtpLeg] = {}  # listener -> its single source
        for leg in legs:
            mine = by_listener.get(leg, [])
            exclusive = [p for p in mine if p.exclusive]
            srcs: list[Source] = list(exclusive) if exclusive else [*routes.get(leg, ()), *mine]
            src = _can_relay(leg, srcs, bool(mine)) if fast_path else None
            if src is not None:
                fast[leg] = src
                lists.append([])
            else:
                lists.append([row[s] for s in srcs if s in row])
        for rec in recorders:
            lists.append([row[s] for s in rec.left if s in row])
            lists.append([row[s] for s in rec.right if s in row])
        self.mix: MixPlan = build_plan(lists, nl + len(players), n_self=nl)

        # path changes; the relay tuples every source leg holds
        for leg in legs:
            if leg._fast_src is not None and fast.get(leg) is not leg._fast_src:
                leg._leave_fast()
        relays: dict[RtpLeg, list[RtpLeg]] = {}
        for leg, src in fast.items():
            if leg._fast_src is not src:
                leg._enter_fast(src)
            relays.setdefault(src, []).append(leg)
        for leg in legs:
            leg._fast = tuple(relays.get(leg, ()))

        # which legs' audio the tick needs, and which are checked for in-band DTMF
        used = set(self.mix.used.tolist())
        self.detect: list[RtpLeg] = [leg for leg in legs if leg._dtmf_pt < 0 and leg._codec is not None]
        need = used | {row[leg] for leg in self.detect}
        pulls: dict[int, list[tuple[int, RtpLeg]]] = {}  # decode table id -> legs
        self.pull_table: list[tuple[np.ndarray, list[tuple[int, RtpLeg]]]] = []
        self.pull_other: list[tuple[int, RtpLeg]] = []
        for i, leg in enumerate(legs):
            needed = i in need
            if needed and not leg._tick_need:  # its buffer was not fed: start afresh
                leg._jb.reset()
                leg._conceal.reset()
                leg._carry = None
            leg._tick_need = needed
            if not needed:
                continue
            table = leg._decode_table
            if table is None:
                self.pull_other.append((i, leg))
            else:
                group = pulls.get(id(table))
                if group is None:
                    pulls[id(table)] = group = []
                    self.pull_table.append((table, group))
                group.append((i, leg))
        self.detect_rows = np.array([row[leg] for leg in self.detect], dtype=np.intp)
        for leg in self.detect:
            if leg._keys is None:
                leg._keys = KeyTracker()

        # who sends what
        sends: dict[int, tuple[np.ndarray, list[tuple[int, RtpLeg]]]] = {}
        self.send_other: list[tuple[int, RtpLeg]] = []
        self.fast_legs: list[RtpLeg] = list(fast)
        for i, leg in enumerate(legs):
            if leg in fast or leg._remote is None:
                continue
            table = leg._codec.encode_table  # type: ignore[union-attr]
            if table is None:
                self.send_other.append((i, leg))
            else:
                sends.setdefault(id(table), (table, []))[1].append((i, leg))
        self.send_table = [(table, np.array([i for i, _ in ls], dtype=np.intp), ls) for table, ls in sends.values()]

    # ----------------------------------------------------------------- the tick
    def run(self) -> None:
        legs = self.legs
        nl = len(legs)
        frames = np.zeros((self.mix.n_src, FRAME_SAMPLES), dtype=np.int16)

        # 1. one frame per needed source
        for table, group in self.pull_table:
            rows: list[int] = []
            payloads: list[bytes] = []
            for i, leg in group:
                if leg._carry is None:
                    payload = leg._jb.pop()
                    if payload is not None and len(payload) == FRAME_SAMPLES:
                        rows.append(i)
                        payloads.append(payload)
                        continue
                    f = leg._frame_from(payload)
                else:
                    f = leg._pull()
                if f is not None:
                    frames[i] = f
            if rows:
                decoded = table[np.frombuffer(b"".join(payloads), dtype=np.uint8)].reshape(len(rows), FRAME_SAMPLES)
                frames[rows] = decoded
                for k, i in enumerate(rows):
                    c = legs[i]._conceal  # remember the frame for concealment (Concealer.next, inlined)
                    c._last = decoded[k]
                    c._misses = 0
        for i, leg in self.pull_other:
            f = leg._pull()
            if f is not None:
                frames[i] = f
        players = self.players
        for j, player in enumerate(players):
            f = player._pull()
            if f is not None:
                frames[nl + j] = f

        # 2. in-band DTMF
        if self.detect:
            self._detect(frames)

        # 3. every mixed listener's and recorder channel's frame
        out = mix(frames, self.mix)

        # 4. send
        for table, rows_arr, group in self.send_table:
            encoded = table[out[rows_arr].view(np.uint16)].tobytes()
            for k, (i, leg) in enumerate(group):
                if leg._dtmf_steps:
                    leg._emit(out[i])
                else:
                    leg._send_payload(encoded[k * FRAME_SAMPLES : (k + 1) * FRAME_SAMPLES])
        for i, leg in self.send_other:
            leg._emit(out[i])
        for leg in self.fast_legs:
            if leg._dtmf_steps:
                leg._emit(out[0])  # sends the event; the audio argument is unused meanwhile
            else:
                leg._ts = (leg._ts + FRAME_SAMPLES) & 0xFFFFFFFF

        # 5. recorders: their channel pairs are consecutive rows; hand each an interleaved view
        recs = self.recs
        if recs:
            stereo = out[nl:].reshape(len(recs), 2, FRAME_SAMPLES).transpose(0, 2, 1)
            for r, rec in enumerate(recs):
                if not rec.closed:
                    rec._feed(stereo[r])
        for player in players:
            if player._finished:
                player._end()

    def _detect(self, frames: np.ndarray) -> None:
        hits = detect_keys(frames[self.detect_rows]).tolist()
        for leg, hit in zip(self.detect, hits):
            keys = leg._keys
            if hit < 0 and keys.idle:  # type: ignore[union-attr]
                continue
            digit = keys.update(hit)  # type: ignore[union-attr]
            if digit is not None and not leg.closed:
                leg._report_digit(digit)
