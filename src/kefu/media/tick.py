"""What the engine's 20 ms tick does, kept up to date change by change.

A :class:`TickPlan` holds, per listener leg, which of four paths feeds it:

* **relay** (fast) — the leg hears exactly one other leg with the same codec and
  nothing else (no player, no second source): the source's receive callback relays
  every packet at once (see :mod:`.leg`); the tick only advances the leg's media
  clock and sends its outgoing RFC 4733 events, if any;
* **prompt** — the leg hears one player and nothing else (a prompt, music on hold,
  in-band DTMF going out), or nothing at all (silence): no mixing.  With a stateless
  codec (G.711) the player's samples are encoded once per codec and shared by every
  player of the same prompt (:meth:`.Player.payloads`); each tick sends the next
  20 ms payload as it is.  A stateful codec (G.722) encodes the player's frame;
* **mix** — everything else: a row of the mix, encoded and sent once per tick;
* **none** — the leg has no remote yet: nothing goes out;

and, per source (leg or player), whether the tick needs its audio at all (a mix row
or recorder hears it, or it is checked for in-band DTMF).  Legs nobody needs are not
even queued in a jitter buffer.

Changes are incremental: every leg and player has a stable row (``_slot``) in the
frame array for its life, and the engine reports what changed (a listener's sources,
a leg added, gone or reconfigured, a player started or ended, the recorders).  At the
next tick :meth:`TickPlan.update` re-decides the path of the touched listeners only;
the mix (mixed listeners and recorder channels) is re-planned when one of its rows
changed, from the rows' source lists, which costs a list append per row hearing one
source.  So a call set up or torn down among hundreds costs a few dict operations,
not a walk over every leg.

Each tick (:meth:`TickPlan.run`) then does, with the Python per leg kept to a few
attribute accesses and everything per-sample in numpy:

1. one frame per needed leg from its jitter buffer (G.711 payloads decoded together,
   one table lookup per codec), every player's next frame;
2. in-band DTMF detection over all legs without telephone-event at once;
3. :func:`~.mixer.mix`: every mixed listener's and every recorder channel's frame;
4. mixed legs send (G.711 encoded together), prompt legs send their player's next
   payload, relayed legs' clocks advance;
5. recorders get their two channels, finished players end.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any, Mapping, Sequence

import numpy as np

from .codecs import FRAME_SAMPLES
from .dtmf import KeyTracker, detect_keys
from .leg import RtpLeg
from .mixer import Source, build_plan, mix
from .player import Player

if TYPE_CHECKING:
    from .recorder import Recorder
    from .tap import Tap

__all__ = ["TickPlan", "NONE", "RELAY", "PROMPT", "MIX"]

NONE, RELAY, PROMPT, MIX = 0, 1, 2, 3
"""A listener leg's path (``RtpLeg.tick_path``)."""

_SILENCE = np.zeros(FRAME_SAMPLES, dtype=np.int16)
_SILENCE.setflags(write=False)
_OTHER = "other"  # pull group of legs without a decode table


def _can_relay(listener: RtpLeg, srcs: Sequence[Source], has_players: bool) -> RtpLeg | None:
    """The source ``listener`` can be fed from by the fast path, else None."""
    if has_players or len(srcs) != 1:
        return None
    src = srcs[0]
    if src is listener or not isinstance(src, RtpLeg) or src.closed:
        return None
    a, b = src.codec, listener.codec
    if a is None or b is None or a.name != b.name or listener.remote is None:
        return None
    return src


class _Quiet:
    """The prompt path's stand-in player for a leg that hears nothing: silence."""

    tick_frame = -1

    def __init__(self) -> None:
        self.encoded: dict[str, list[bytes]] = {}

    def payloads(self, name: str, table: np.ndarray) -> list[bytes]:
        enc = self.encoded.get(name)
        if enc is None:
            enc = self.encoded[name] = [table[np.zeros(FRAME_SAMPLES, dtype=np.uint16)].tobytes()]
        return enc

    def frame_at(self, k: int) -> np.ndarray:
        return _SILENCE


class TickPlan:
    """The tick's precomputed work; the engine reports changes, :meth:`update` applies them.

    ``routes``, ``own`` and ``recorders`` are the engine's own (live) tables: what each
    listener was routed, the players started on each leg, the live recorders.
    """

    def __init__(
        self,
        routes: Mapping[RtpLeg, tuple[Source, ...]],
        own: Mapping[RtpLeg, list[Player]],
        recorders: Mapping[Recorder | Tap, Any],
        fast_path: bool = True,
    ) -> None:
        self._routes = routes
        self._own = own
        self._recorders = recorders
        self.fast_path = fast_path
        # rows of the frame array
        self._slots: list[Source | None] = []
        self._free: list[int] = []
        self.frames = np.zeros((64, FRAME_SAMPLES), dtype=np.int16)
        self.legs: dict[RtpLeg, None] = {}
        self.players: dict[Player, None] = {}
        # listeners by path
        self.fast: dict[RtpLeg, None] = {}
        self.prompt: dict[Any, dict[RtpLeg, None]] = {}  # player (or the quiet one) -> its legs
        self.mixed: dict[RtpLeg, None] = {}
        self._quiet = _Quiet()
        # sources the tick needs
        self.detect: dict[RtpLeg, None] = {}
        self.detect_rows = np.zeros(0, dtype=np.intp)
        self._detect_slots: set[int] = set()
        self.pull_table: dict[int, tuple[np.ndarray, dict[RtpLeg, int]]] = {}
        self.pull_other: dict[RtpLeg, int] = {}
        self._need: set[int] = set()
        # the mix
        self.mix = build_plan([], 0)
        self.recs: list[Recorder | Tap] = []
        self._n_mixed = 0
        self._mix_used: set[int] = set()
        self.send_table: list[tuple[np.ndarray, np.ndarray, list[tuple[int, RtpLeg]]]] = []
        self.send_other: list[tuple[int, RtpLeg]] = []
        # changes not applied yet
        self._new: list[Source] = []
        self._gone: list[Source] = []
        self._touched: dict[RtpLeg, None] = {}
        self._recs_changed = False
        self._mix_dirty = False
        self._detect_dirty = False

    # ------------------------------------------------------- changes (engine)
    @property
    def dirty(self) -> bool:
        return bool(self._touched or self._new or self._gone or self._recs_changed)

    @property
    def fast_legs(self) -> list[RtpLeg]:
        return list(self.fast)

    def add_leg(self, leg: RtpLeg) -> None:
        leg.tick_need = False  # until a mix row, a recorder or DTMF detection needs it
        self._new.append(leg)
        self._touched[leg] = None

    def remove_leg(self, leg: RtpLeg) -> None:
        """Before the leg is closed: its relay listeners are re-decided too."""
        self._gone.append(leg)
        for listener in leg.relay_to:
            self._touched[listener] = None

    def add_player(self, player: Player) -> None:
        self._new.append(player)

    def remove_player(self, player: Player) -> None:
        self._gone.append(player)

    def touch(self, leg: RtpLeg) -> None:
        """``leg``'s sources, codec, remote or players changed: re-decide its path."""
        self._touched[leg] = None

    def recorders_changed(self) -> None:
        self._recs_changed = True

    # ------------------------------------------------------------ applying them
    def update(self) -> None:
        """Apply the changes reported since the last call (at the start of a tick)."""
        if self._gone:
            gone, self._gone = self._gone, []
            for src in gone:
                self._drop(src)
        if self._new:
            new, self._new = self._new, []
            for src in new:
                if src.slot >= 0 or (src.closed if isinstance(src, RtpLeg) else src.finished):
                    continue  # already in, or gone before it was ever planned
                self._place(src)
        if self._touched:
            touched, self._touched = self._touched, {}
            for leg in touched:
                if leg.slot >= 0:
                    self._classify(leg)
        if self._recs_changed:
            self._recs_changed = False
            self._mix_dirty = True
        if self._mix_dirty:
            self._mix_dirty = False
            self._plan_mix()
            self._refresh_need()
        elif self._detect_dirty:
            self._refresh_need()
        if self._detect_dirty:
            self._detect_dirty = False
            self.detect_rows = np.array([leg.slot for leg in self.detect], dtype=np.intp)

    def _place(self, src: Source) -> None:
        if self._free:
            slot = self._free.pop()
            self._slots[slot] = src
        else:
            slot = len(self._slots)
            self._slots.append(src)
            if slot >= self.frames.shape[0]:
                frames = np.zeros((2 * self.frames.shape[0], FRAME_SAMPLES), dtype=np.int16)
                frames[: self.frames.shape[0]] = self.frames
                self.frames = frames
        src.slot = slot  # type: ignore[attr-defined]
        if isinstance(src, RtpLeg):
            self.legs[src] = None
            src.tick_need = False
        else:
            self.players[src] = None  # type: ignore[index]
            src.tick_need = False  # type: ignore[attr-defined]

    def _drop(self, src: Source) -> None:
        slot: int = src.slot  # type: ignore[attr-defined]
        if slot < 0:
            return
        if isinstance(src, RtpLeg):
            self.legs.pop(src, None)
            self._set_path(src, NONE, None)
            if src.inband_detect:
                src.inband_detect = False
                del self.detect[src]
                self._detect_slots.discard(slot)
                self._detect_dirty = True
            self._pull_remove(src)
            src.tick_need = False
            for listener in src.relay_to:
                self._touched[listener] = None
        else:
            self.players.pop(src, None)  # type: ignore[call-overload]
            for listener in self.prompt.pop(src, {}):  # the engine re-routes them; re-decide
                listener.tick_path = NONE
                listener.tick_heard = None
                self._touched[listener] = None
            src.tick_need = False  # type: ignore[attr-defined]
        self._need.discard(slot)
        if slot in self._mix_used:  # a mix row still points at it: re-plan before reuse
            self._mix_used.discard(slot)
            self._mix_dirty = True
        src.slot = -1  # type: ignore[attr-defined]
        self._slots[slot] = None
        self._free.append(slot)

    def _classify(self, leg: RtpLeg) -> None:
        """Decide ``leg``'s path from what it hears (see the module doc)."""
        own = self._own.get(leg)
        if own:
            exclusive = [p for p in own if p.exclusive]
            srcs: Sequence[Source] = exclusive if exclusive else (*self._routes.get(leg, ()), *own)
        else:
            srcs = self._routes.get(leg, ())
        src = _can_relay(leg, srcs, bool(own)) if self.fast_path else None
        if leg.relay_from is not None and leg.relay_from is not src:
            leg.leave_fast()
        if src is not None:
            if leg.relay_from is not src:
                leg.enter_fast(src)
            self._set_path(leg, RELAY, src)
        elif leg.remote is None or leg.closed:
            self._set_path(leg, NONE, None)
        elif not srcs and not leg.send_silence:
            self._set_path(leg, NONE, None)
        elif not srcs:
            self._set_path(leg, PROMPT, self._quiet)
        elif len(srcs) == 1 and isinstance(srcs[0], Player) and srcs[0].slot >= 0:
            self._set_path(leg, PROMPT, srcs[0])
        else:
            self._set_path(leg, MIX, tuple(srcs))

        detect = leg.dtmf_pt is None and leg.codec is not None and not leg.closed
        if detect != leg.inband_detect:
            leg.inband_detect = detect
            if detect:
                self.detect[leg] = None
                self._detect_slots.add(leg.slot)
                if leg.inband_keys is None:
                    leg.inband_keys = KeyTracker()
            else:
                del self.detect[leg]
                self._detect_slots.discard(leg.slot)
            self._detect_dirty = True
        if leg.pull_group is not None and leg.pull_group != self._pull_key(leg):
            self._pull_remove(leg)  # another codec: another decode group
            self._pull_add(leg)

    def _set_path(self, leg: RtpLeg, path: int, heard: Any) -> None:
        old = leg.tick_path
        if old == path:
            if path == MIX:
                leg.tick_heard = heard
                self._mix_dirty = True  # other sources, or another codec to encode
                return
            if leg.tick_heard is heard:
                return
        if old == RELAY:
            self.fast.pop(leg, None)
        elif old == PROMPT:
            group = self.prompt.get(leg.tick_heard)
            if group is not None:
                group.pop(leg, None)
                if not group:
                    del self.prompt[leg.tick_heard]
        elif old == MIX:
            self.mixed.pop(leg, None)
            self._mix_dirty = True
        leg.tick_path = path
        leg.tick_heard = heard
        if path == RELAY:
            self.fast[leg] = None
        elif path == PROMPT:
            group = self.prompt.get(heard)
            if group is None:
                self.prompt[heard] = group = {}
            group[leg] = None
        elif path == MIX:
            self.mixed[leg] = None
            self._mix_dirty = True

    def _plan_mix(self) -> None:
        """Re-plan the mix: mixed listeners first (rows 0..), then two rows per recorder."""
        mixed = list(self.mixed)
        lists: list[list[int]] = []
        selves: list[int] = []
        for leg in mixed:
            lists.append([s.slot for s in leg.tick_heard if s.slot >= 0])  # type: ignore[attr-defined]
            selves.append(leg.slot)
        recs = [rec for rec in self._recorders if not rec.closed]
        for rec in recs:
            rows = rec.rows
            if rows is None:
                left = [s.slot for s in rec.left if s.slot >= 0]  # type: ignore[attr-defined]
                right = [s.slot for s in rec.right if s.slot >= 0]  # type: ignore[attr-defined]
                rows = (left, right)
                if len(left) == len(rec.left) and len(right) == len(rec.right):
                    rec.rows = rows  # every source planned: valid until the sources change
            lists.append(rows[0])
            lists.append(rows[1])
        self.mix = build_plan(lists, len(self._slots), self_rows=selves)
        self.recs = recs
        self._n_mixed = len(mixed)
        self._mix_used = set(self.mix.used.tolist())

        sends: dict[int, tuple[np.ndarray, list[tuple[int, RtpLeg]]]] = {}
        self.send_other = []
        for i, leg in enumerate(mixed):
            table = leg.codec.encode_table  # type: ignore[union-attr]
            if table is None:
                self.send_other.append((i, leg))
            else:
                group = sends.get(id(table))
                if group is None:
                    sends[id(table)] = group = (table, [])
                group[1].append((i, leg))
        self.send_table = [(table, np.array([i for i, _ in ls], dtype=np.intp), ls) for table, ls in sends.values()]

    def _refresh_need(self) -> None:
        need = self._mix_used | self._detect_slots
        old = self._need
        if need == old:
            return
        slots = self._slots
        for slot in old - need:
            src = slots[slot]
            if src is None:
                continue
            if isinstance(src, RtpLeg):
                self._pull_remove(src)
                src.tick_need = False
            else:
                src.tick_need = False  # type: ignore[attr-defined]
        for slot in need - old:
            src = slots[slot]
            if src is None:
                continue
            if isinstance(src, RtpLeg):
                if not src.tick_need:  # its buffer was not fed: start afresh
                    src.jb.reset()
                    src.conceal.reset()
                    src.carry = None
                src.tick_need = True
                self._pull_add(src)
            else:
                src.tick_need = True  # type: ignore[attr-defined]
        self._need = need

    @staticmethod
    def _pull_key(leg: RtpLeg) -> Any:
        table = leg.decode_table
        return _OTHER if table is None else id(table)

    def _pull_add(self, leg: RtpLeg) -> None:
        if leg.pull_group is not None:
            return
        table = leg.decode_table
        if table is None:
            self.pull_other[leg] = leg.slot
            leg.pull_group = _OTHER
        else:
            key = id(table)
            group = self.pull_table.get(key)
            if group is None:
                self.pull_table[key] = group = (table, {})
            group[1][leg] = leg.slot
            leg.pull_group = key

    def _pull_remove(self, leg: RtpLeg) -> None:
        key = leg.pull_group
        if key is None:
            return
        leg.pull_group = None
        if key == _OTHER:
            self.pull_other.pop(leg, None)
        else:
            group = self.pull_table.get(key)
            if group is not None:
                group[1].pop(leg, None)
                if not group[1]:
                    del self.pull_table[key]

    # ----------------------------------------------------------------- the tick
    def run(self) -> None:
        frames = self.frames

        # 1. one frame per needed leg, every player's next frame
        for table, group in self.pull_table.values():
            rows: list[int] = []
            payloads: list[bytes] = []
            for leg, i in group.items():
                if leg.carry is None:
                    payload = leg.jb.pop()
                    if payload is not None and len(payload) == FRAME_SAMPLES:
                        rows.append(i)
                        payloads.append(payload)
                        continue
                    f = leg.frame_from(payload)
                else:
                    f = leg.pull()
                if f is None:
                    frames[i] = 0
                else:
                    frames[i] = f
            if rows:
                decoded = table[np.frombuffer(b"".join(payloads), dtype=np.uint8)].reshape(len(rows), FRAME_SAMPLES)
                frames[rows] = decoded
                slots = self._slots
                for k, i in enumerate(rows):
                    c = slots[i].conceal  # type: ignore[union-attr]  # Concealer.next, inlined
                    c.last = decoded[k]
                    c.misses = 0
        for leg, i in self.pull_other.items():
            f = leg.pull()
            if f is None:
                frames[i] = 0
            else:
                frames[i] = f
        players = self.players
        for player in players:
            player.tick_frame = k = player.step()
            if player.tick_need:
                if k < 0:
                    frames[player.slot] = 0
                else:
                    frames[player.slot] = player.pcm[k * FRAME_SAMPLES : (k + 1) * FRAME_SAMPLES]

        # 2. in-band DTMF
        if self.detect:
            self._detect(frames)

        # 3. every mixed listener's and recorder channel's frame
        plan = self.mix
        out = mix(frames, plan) if plan.n_out else frames[:0]

        # 4. send
        for table, rows_arr, sends in self.send_table:
            encoded = table[out[rows_arr].view(np.uint16)].tobytes()
            for k, (i, leg) in enumerate(sends):
                if leg.dtmf_steps:
                    leg.emit(out[i])
                else:
                    leg.send_payload(encoded[k * FRAME_SAMPLES : (k + 1) * FRAME_SAMPLES])
        for i, leg in self.send_other:
            leg.emit(out[i])
        for player, legs in self.prompt.items():
            k = player.tick_frame
            enc = player.encoded
            for leg in legs:
                codec = leg.codec
                table = codec.encode_table  # type: ignore[union-attr]
                if table is None or leg.dtmf_steps:
                    leg.emit(player.frame_at(k))
                else:
                    payloads = enc.get(codec.name)  # type: ignore[union-attr]
                    if payloads is None:
                        payloads = player.payloads(codec.name, table)  # type: ignore[union-attr]
                    leg.send_payload(payloads[k])
        for leg in self.fast:
            if leg.dtmf_steps:
                leg.emit(_SILENCE)  # sends the event; the audio argument is unused meanwhile
            else:
                leg.ts = (leg.ts + FRAME_SAMPLES) & 0xFFFFFFFF

        # 5. recorders: their channel pairs are consecutive rows; hand each an interleaved view
        recs = self.recs
        if recs:
            nm = self._n_mixed
            stereo = out[nm : nm + 2 * len(recs)].reshape(len(recs), 2, FRAME_SAMPLES).transpose(0, 2, 1)
            for r, rec in enumerate(recs):
                if not rec.closed:
                    rec.feed(stereo[r])
        for player in players:
            if player.finished:
                player.stop()

    def _detect(self, frames: np.ndarray) -> None:
        hits = detect_keys(frames[self.detect_rows]).tolist()
        for leg, hit in zip(self.detect, hits):
            keys = leg.inband_keys
            if hit < 0 and keys.idle:  # type: ignore[union-attr]
                continue
            digit = keys.update(hit)  # type: ignore[union-attr]
            if digit is not None and not leg.closed:
                leg.report_digit(digit)
