"""The media engine: RTP legs, the routing matrix, players and recorders, one clock.

A single asyncio task ticks every 20 ms against a monotonic deadline (no drift: the
next deadline is the previous one plus 20 ms, never "now + 20 ms").  What a tick
does is precomputed in a :class:`~.tick.TickPlan`, patched when the routing changes
(only the listeners that changed are looked at again); see :mod:`.tick`.  Two-party
bridges between legs of the same codec skip the tick altogether: their packets are
relayed as they arrive (:mod:`.leg`), which is what keeps the added latency of 200
recorded calls under a few milliseconds.  A leg that hears only a prompt is sent the
prompt's pre-encoded payloads, without mixing or encoding.

Measured on the project machine (``bench/media_mixer.py``), the kernel's sendto and
uvloop's per-datagram receive cost dominate; the Python per packet is a few µs.

If the loop stalls, up to 100 ms of ticks are caught up (yielding to the receive path
between them); a longer stall is skipped and the RTP timestamps jump accordingly.
"""

from __future__ import annotations

import asyncio
import ipaddress
import itertools
import logging
import math
import os
import socket
import time
from collections import deque
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from typing import Any, Callable, Iterable

import numpy as np
import soundfile as sf

from .codecs import FRAME_SECONDS
from .errors import MediaError
from .leg import RtpLeg, _LegProtocol
from .mixer import Source
from .player import Player, as_frames, load_prompt
from .recorder import Recorder
from .tap import Tap
from .tick import TickPlan

log = logging.getLogger(__name__)

__all__ = ["MediaEngine"]

_PROMPT_CACHE = 64  # decoded prompts kept in memory (a few seconds of 8 kHz audio each)
_COUNTERS = ("packets_in", "packets_out", "packets_lost", "late", "concealed", "invalid", "dtmf_in", "dtmf_out")


class MediaEngine:
    MAX_CATCH_UP = 0.1
    """Seconds of missed ticks that are caught up; beyond that they are skipped."""
    PROMPT_RECHECK = 1.0
    """Seconds a prompt file's cached decode is trusted without a stat: :meth:`play` of a
    prompt is a call set-up's business, hundreds a second; a replaced file plays at most
    this much later."""

    def __init__(self, host: str, port_min: int, port_max: int, latch: bool = True,
                 fast_path: bool = True) -> None:
        """``latch``: symmetric RTP, send to where a leg's packets come from (see
        :mod:`.leg`).  ``fast_path``: relay same-codec two-party bridges per packet;
        off, every packet waits for the tick (for comparison and diagnosis)."""
        try:
            ipaddress.ip_address(host)
        except ValueError:
            raise MediaError(f"host must be an IP address: {host!r}") from None
        if not 0 < port_min <= port_max < 65536:
            raise MediaError(f"bad RTP port range {port_min}-{port_max}")
        ports = range(port_min + (port_min & 1), port_max + 1, 2)  # even ports: RTP convention
        if not ports:
            raise MediaError(f"no even port in {port_min}-{port_max}")
        self.host = host
        self._family = socket.AF_INET6 if ipaddress.ip_address(host).version == 6 else socket.AF_INET
        self.latch = latch
        self.fast_path = fast_path
        self.port_min = port_min
        self.port_max = port_max
        self._free: deque[int] = deque(ports)  # freed ports go to the back: late reuse
        self._legs: dict[str, RtpLeg] = {}
        self._routes: dict[RtpLeg, tuple[Source, ...]] = {}
        self._players: dict[Player, None] = {}
        self._recorders: dict[Recorder | Tap, None] = {}   # taps are planned as recorders
        # reverse tables, so that a leg or player going away costs what it touches
        self._own: dict[RtpLeg, list[Player]] = {}  # players started on a leg (play(leg, ...))
        self._heard_by: dict[Source, dict[RtpLeg, None]] = {}  # source -> listeners routed to it
        self._recorded: dict[Source, dict[Recorder | Tap, None]] = {}  # source -> recorders of it
        self._ids = itertools.count(1)
        self._task: asyncio.Task[None] | None = None
        self._io: ThreadPoolExecutor | None = None
        # the plan, patched when routing changes
        self._next_rebuild = 0  # tick number before which a changed plan waits
        self._plan = TickPlan(self._routes, self._own, self._recorders, fast_path)
        # path -> mtime_ns, size, pcm, its payloads by codec (see Player.payloads), when last stat'ed
        self._prompts: dict[str, tuple[int, int, np.ndarray, dict[str, list[bytes]], float]] = {}
        # stats
        self.ticks = 0
        self.late_ticks = 0
        self.skipped_ticks = 0
        self.tick_errors = 0
        self._tick_time = 0.0
        self._tick_max = 0.0
        self._gone = dict.fromkeys(_COUNTERS, 0)  # counters of closed legs

    # --------------------------------------------------------------- lifecycle
    @property
    def running(self) -> bool:
        return self._task is not None and not self._task.done()

    async def start(self) -> None:
        """Start the 20 ms clock (idempotent)."""
        if self.running:
            return
        self._executor()
        self._task = asyncio.create_task(self._clock(), name="kefu-media-clock")

    async def stop(self) -> None:
        """Stop the clock, close recorders (flushing them), players and legs."""
        task, self._task = self._task, None
        if task is not None:
            task.cancel()
            try:
                await task
            except asyncio.CancelledError:
                pass
        for rec in list(self._recorders):
            if isinstance(rec, Tap):
                rec.close()
                continue
            try:
                await rec.close()
            except MediaError as exc:
                log.error("%s", exc)
        for player in list(self._players):
            player.stop()
        for leg in list(self._legs.values()):
            await self.close_leg(leg)
        if self._io is not None:
            io, self._io = self._io, None
            io.shutdown(wait=False)

    def _executor(self) -> ThreadPoolExecutor:
        if self._io is None:
            self._io = ThreadPoolExecutor(max_workers=1, thread_name_prefix="kefu-media-io")
        return self._io

    # -------------------------------------------------------------------- legs
    @property
    def ports_in_use(self) -> int:
        return len(self._legs)

    @property
    def legs(self) -> int:
        return len(self._legs)

    def get_leg(self, leg_id: str) -> RtpLeg | None:
        return self._legs.get(leg_id)

    async def open_leg(self, name: str = "") -> RtpLeg:
        """Bind a UDP socket on the next free even port; MediaError when none is left."""
        loop = asyncio.get_running_loop()
        last: Exception | None = None
        for _ in range(len(self._free)):
            port = self._free.popleft()
            # bound here rather than with local_addr=: no address resolution (uvloop runs
            # it in its thread pool), a fraction of the cost per call set-up
            sock = socket.socket(self._family, socket.SOCK_DGRAM)
            try:
                sock.setblocking(False)
                sock.bind((self.host, port))
                transport, protocol = await loop.create_datagram_endpoint(_LegProtocol, sock=sock)
            except OSError as exc:  # taken by another process: try the next one
                sock.close()
                self._free.append(port)
                last = exc
                continue
            leg_id = f"{name or 'leg'}-{next(self._ids)}"
            leg = RtpLeg(self, leg_id, name, self.host, port, protocol)
            self._legs[leg_id] = leg
            self._plan.add_leg(leg)
            log.debug("opened %r", leg)
            return leg
        raise MediaError(
            f"no free RTP port in {self.port_min}-{self.port_max} ({len(self._legs)} in use)"
            + (f": {last}" if last else "")
        )

    async def close_leg(self, leg: RtpLeg) -> None:
        """Free the leg's port; drop it from the matrix, recorders and its players."""
        if self._legs.get(leg.id) is not leg:
            return
        del self._legs[leg.id]
        self._route(leg, ())
        self._forget_source(leg)
        for player in list(self._own.get(leg, ())):
            player.stop()
        self._own.pop(leg, None)
        for key in _COUNTERS:
            self._gone[key] += self._leg_counter(leg, key)
        self._plan.remove_leg(leg)
        lost = leg.shutdown()
        try:
            await asyncio.wait_for(asyncio.shield(lost), 2.0)
        except asyncio.TimeoutError:
            log.warning("socket of %s did not close in time", leg.id)
        self._free.append(leg.local_port)
        log.debug("closed %r", leg)

    # ------------------------------------------------------------------ matrix
    def _check_leg(self, leg: Any) -> None:
        if not isinstance(leg, RtpLeg) or self._legs.get(leg.id) is not leg:
            raise MediaError(f"{leg!r} is not an open leg of this engine")

    def _route(self, listener: RtpLeg, srcs: tuple[Source, ...]) -> None:
        """Set what ``listener`` hears, keeping the reverse table; the plan re-decides it."""
        old = self._routes.get(listener, ())
        for s in old:
            if s not in srcs:
                ls = self._heard_by.get(s)
                if ls is not None:
                    ls.pop(listener, None)
                    if not ls:
                        del self._heard_by[s]
        for s in srcs:
            ls = self._heard_by.get(s)
            if ls is None:
                self._heard_by[s] = ls = {}
            ls[listener] = None
        if srcs:
            self._routes[listener] = srcs
        else:
            self._routes.pop(listener, None)
        self._plan.touch(listener)

    def _forget_source(self, src: Source) -> None:
        """``src`` went away: out of every listener's sources and every recorder."""
        for listener in self._heard_by.pop(src, ()):
            srcs = self._routes.get(listener, ())
            if srcs:
                self._routes[listener] = tuple(s for s in srcs if s is not src)
            self._plan.touch(listener)
        recs = self._recorded.pop(src, None)
        if recs:
            for rec in recs:
                rec.forget(src)
            self._plan.recorders_changed()

    def _record_sources(self, rec: Recorder | Tap, on: bool) -> None:
        for s in (*rec.left, *rec.right):
            if on:
                self._recorded.setdefault(s, {})[rec] = None
            else:
                recs = self._recorded.get(s)
                if recs is not None:
                    recs.pop(rec, None)
                    if not recs:
                        del self._recorded[s]

    def _check_sources(self, sources: Iterable[Source]) -> tuple[Source, ...]:
        srcs = tuple(dict.fromkeys(sources))  # dedupe, keep order
        for s in srcs:
            if isinstance(s, RtpLeg):
                self._check_leg(s)
            elif isinstance(s, Player):
                if s not in self._players:
                    raise MediaError(f"{s!r} is not a live player of this engine")
            else:
                raise MediaError(f"{s!r} is not a media source")
        return srcs

    def set_sources(self, listener: RtpLeg, sources: Iterable[Source]) -> None:
        """``listener`` hears the sum of ``sources`` (replacing what it heard before).

        A leg hears itself only if listed.  Prompts started with :meth:`play` on the
        listener are added on top and are not affected.  A relayed (fast path)
        listener stops being relayed at once, so hold or a conference never lets a
        packet of the old matrix through; the next tick puts it on its new path.
        """
        self._check_leg(listener)
        srcs = self._check_sources(sources)
        listener.leave_fast()
        self._route(listener, srcs)

    def leg_changed(self, leg: RtpLeg) -> None:
        """Codec, payload types or remote changed: re-decide its and its listeners' paths."""
        relayed = leg.relay_to
        leg.leave_fast()
        for listener in relayed:
            listener.leave_fast()
            self._plan.touch(listener)
        self._plan.touch(leg)
        for listener in self._heard_by.get(leg, ()):
            self._plan.touch(listener)  # same codec now, or not any more

    def sources_of(self, listener: RtpLeg) -> tuple[Source, ...]:
        return self._routes.get(listener, ())

    def bridge(self, a: RtpLeg, b: RtpLeg) -> None:
        """The two-party matrix: a hears b, b hears a."""
        self.set_sources(a, (b,))
        self.set_sources(b, (a,))

    def conference(self, legs: Iterable[RtpLeg]) -> None:
        """Every leg hears all the others (replacing what each heard before).

        The mixer computes one total per conference and takes each member's own
        voice out of it, so N members cost O(N), not O(N²).
        """
        members = list(dict.fromkeys(legs))
        for leg in members:
            self._check_leg(leg)
        for leg in members:
            self.set_sources(leg, [other for other in members if other is not leg])

    # ----------------------------------------------------- recorders & players
    def record(self, path: str | Path, left: Iterable[Source], right: Iterable[Source]) -> Recorder:
        """Stereo 16-bit 8 kHz WAV: left = sum of what ``left`` sends, right likewise."""
        lsrc = list(self._check_sources(left))
        rsrc = list(self._check_sources(right))
        rec = Recorder(Path(path), lsrc, rsrc, self._executor(), self._recorder_closed)
        self._recorders[rec] = None
        self._record_sources(rec, True)
        self._plan.recorders_changed()
        return rec

    def set_recording_sources(self, rec: Recorder, left: Iterable[Source], right: Iterable[Source]) -> None:
        """Point a running recorder at other parties (a transfer, a conference), same file."""
        if rec not in self._recorders:
            raise MediaError(f"{rec!r} is not a live recorder of this engine")
        lsrc = list(self._check_sources(left))
        rsrc = list(self._check_sources(right))
        self._record_sources(rec, False)
        rec.left, rec.right, rec.rows = lsrc, rsrc, None
        self._record_sources(rec, True)
        self._plan.recorders_changed()

    def tap(self, sources: Iterable[Source], on_frame: Callable[[np.ndarray], None]) -> Tap:
        """Hand what ``sources`` send to ``on_frame``, a 20 ms frame per tick (speech input)."""
        tap = Tap(list(self._check_sources(sources)), on_frame, self._recorder_closed)
        self._recorders[tap] = None
        self._record_sources(tap, True)
        self._plan.recorders_changed()
        return tap

    def _recorder_closed(self, rec: Recorder | Tap) -> None:
        if rec in self._recorders:
            del self._recorders[rec]
            self._record_sources(rec, False)
            self._plan.recorders_changed()

    def play(self, leg: RtpLeg | None, wav_path: str | Path, loop: bool = False) -> Player:
        """Add a prompt to what ``leg`` hears (``leg=None``: a free source to route yourself).

        The file is decoded and resampled off the loop; ``Player.done`` is set at its end.
        Decoded prompts are kept (and their encoded payloads, see :mod:`.tick`) while
        the file's mtime and size stay the same, looked at once per
        :attr:`PROMPT_RECHECK` at most.
        """
        if leg is not None:
            self._check_leg(leg)
        key = wav_path if isinstance(wav_path, str) else os.fspath(wav_path)
        cached = self._prompts.get(key)
        if cached is not None:
            now = time.monotonic()
            if now - cached[4] < self.PROMPT_RECHECK:
                return self._start(leg, cached[2], loop, False, cached[3])
            try:
                st = os.stat(key)
            except OSError as exc:
                raise MediaError(f"cannot play {key}: {exc}") from exc
            if cached[:2] == (st.st_mtime_ns, st.st_size):
                self._prompts[key] = (*cached[:4], now)
                return self._start(leg, cached[2], loop, False, cached[3])  # played again and again
        path = Path(wav_path)
        try:
            st = path.stat()
        except OSError as exc:
            raise MediaError(f"cannot play {path}: {exc}") from exc
        try:
            sf.info(str(path))
        except Exception as exc:
            raise MediaError(f"cannot play {path}: {exc}") from exc
        player = self._add_player(Player(path, loop, leg, self._player_ended))
        fut = asyncio.get_running_loop().run_in_executor(None, load_prompt, path)
        fut.add_done_callback(player.loaded)
        fut.add_done_callback(lambda f: self._remember_prompt(key, st, f, player.encoded))
        return player

    def _remember_prompt(self, key: str, st: os.stat_result, fut: asyncio.Future,
                         encoded: dict[str, list[bytes]]) -> None:
        if not fut.cancelled() and fut.exception() is None:
            if key not in self._prompts and len(self._prompts) >= _PROMPT_CACHE:
                self._prompts.pop(next(iter(self._prompts)))
            self._prompts[key] = (st.st_mtime_ns, st.st_size, fut.result(), encoded, time.monotonic())

    def play_samples(self, leg: RtpLeg | None, samples: np.ndarray, loop: bool = False, *,
                     exclusive: bool = False) -> Player:
        """Like :meth:`play`, from 8 kHz int16 samples already in memory (music on hold,
        in-band DTMF); ready at once.  ``exclusive``: while it plays, ``leg`` hears only
        it (see :mod:`.player`)."""
        if leg is not None:
            self._check_leg(leg)
        arr = np.asarray(samples)
        if arr.ndim != 1 or not np.issubdtype(arr.dtype, np.integer):
            raise MediaError("samples must be a 1-D int16 array at 8 kHz")
        pcm = as_frames(np.clip(arr, -32768, 32767)) if arr.dtype != np.int16 else as_frames(arr)
        return self._start(leg, pcm, loop, exclusive, None)

    def _start(self, leg: RtpLeg | None, pcm: np.ndarray, loop: bool, exclusive: bool,
               encoded: dict[str, list[bytes]] | None) -> Player:
        player = self._add_player(Player(None, loop, leg, self._player_ended, pcm=pcm, exclusive=exclusive,
                                         encoded=encoded))
        if pcm.size == 0:
            player.stop()
        return player

    def _add_player(self, player: Player) -> Player:
        self._players[player] = None
        self._plan.add_player(player)
        leg = player.listener
        if leg is not None:
            own = self._own.get(leg)
            if own is None:
                self._own[leg] = own = []
            own.append(player)
            leg.leave_fast()
            self._plan.touch(leg)
        return player

    def _player_ended(self, player: Player) -> None:
        if player in self._players:
            del self._players[player]
            leg = player.listener
            own = self._own.get(leg) if leg is not None else None  # type: ignore[arg-type]
            if own is not None and player in own:
                own.remove(player)
                if not own:
                    del self._own[leg]  # type: ignore[arg-type]
                self._plan.touch(leg)  # type: ignore[arg-type]
            self._forget_source(player)
            self._plan.remove_player(player)

    # ------------------------------------------------------------------- stats
    @staticmethod
    def _leg_counter(leg: RtpLeg, key: str) -> int:
        if key == "concealed":
            return leg.conceal.concealed
        return int(getattr(leg, key))

    @property
    def stats(self) -> dict[str, float]:
        out: dict[str, float] = dict(self._gone)
        for leg in self._legs.values():
            for key in _COUNTERS:
                out[key] += self._leg_counter(leg, key)
        out.update(
            legs=len(self._legs),
            ports_in_use=len(self._legs),
            players=len(self._players),
            recorders=len(self._recorders),
            fast_legs=len(self._plan.fast),
            ticks=self.ticks,
            late_ticks=self.late_ticks,
            skipped_ticks=self.skipped_ticks,
            tick_errors=self.tick_errors,
            tick_avg_ms=(self._tick_time / self.ticks * 1000) if self.ticks else 0.0,
            tick_max_ms=self._tick_max * 1000,
        )
        return out

    # ------------------------------------------------------------------- clock
    async def _clock(self) -> None:
        period = FRAME_SECONDS
        deadline = time.monotonic() + period
        while True:
            delay = deadline - time.monotonic()
            if delay > 0.001:  # libuv timers are ms-grained: within 1 ms counts as on time
                await asyncio.sleep(delay)
                continue
            if -delay > self.MAX_CATCH_UP:
                skipped = int(-delay / period)
                deadline += skipped * period
                self.skipped_ticks += skipped
                for leg in self._legs.values():
                    leg.advance(skipped)
                log.warning("media clock stalled: skipped %d ticks", skipped)
            elif -delay > period:
                self.late_ticks += 1
            t0 = time.perf_counter()
            try:
                self._tick()
            except Exception:
                self.tick_errors += 1
                log.exception("media tick failed")
            dt = time.perf_counter() - t0
            self._tick_time += dt
            if dt > self._tick_max:
                self._tick_max = dt
            self.ticks += 1
            deadline += period
            if deadline - time.monotonic() <= 0.001:
                await asyncio.sleep(0)  # behind: catch up, but let queued packets in first

    def _tick(self) -> None:
        plan = self._plan
        if plan.dirty and self.ticks >= self._next_rebuild:
            t0 = time.perf_counter()
            plan.update()
            # An update costs what changed (plus a re-plan of the mix rows, if one of them
            # changed); should bursts ever make that heavy, changes are coalesced so that
            # applying them stays under a tenth of the clock.
            cost = time.perf_counter() - t0
            self._next_rebuild = self.ticks + max(1, math.ceil(cost * 10 / FRAME_SECONDS))
        plan.run()
