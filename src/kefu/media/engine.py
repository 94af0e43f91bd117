"""The media engine: RTP legs, the routing matrix, players and recorders, one clock.

A single asyncio task ticks every 20 ms against a monotonic deadline (no drift: the
next deadline is the previous one plus 20 ms, never "now + 20 ms").  What a tick
does is precomputed in a :class:`~.tick.TickPlan`, rebuilt only when the routing
changes; see :mod:`.tick`.  Two-party bridges between legs of the same codec skip
the tick altogether: their packets are relayed as they arrive (:mod:`.leg`), which
is what keeps the added latency of 200 recorded calls under a few milliseconds.

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
import time
from collections import deque
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from typing import Any, Iterable

import numpy as np
import soundfile as sf

from .codecs import FRAME_SECONDS
from .errors import MediaError
from .leg import RtpLeg, _LegProtocol
from .mixer import Source
from .player import Player, as_frames, load_prompt
from .recorder import Recorder
from .tick import TickPlan

log = logging.getLogger(__name__)

__all__ = ["MediaEngine"]

_PROMPT_CACHE = 64  # decoded prompts kept in memory (a few seconds of 8 kHz audio each)
_COUNTERS = ("packets_in", "packets_out", "packets_lost", "late", "concealed", "invalid", "dtmf_in", "dtmf_out")


class MediaEngine:
    MAX_CATCH_UP = 0.1
    """Seconds of missed ticks that are caught up; beyond that they are skipped."""

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
        self.latch = latch
        self.fast_path = fast_path
        self.port_min = port_min
        self.port_max = port_max
        self._free: deque[int] = deque(ports)  # freed ports go to the back: late reuse
        self._legs: dict[str, RtpLeg] = {}
        self._routes: dict[RtpLeg, tuple[Source, ...]] = {}
        self._players: list[Player] = []
        self._recorders: list[Recorder] = []
        self._ids = itertools.count(1)
        self._task: asyncio.Task[None] | None = None
        self._io: ThreadPoolExecutor | None = None
        # the plan, rebuilt only when routing changes
        self._dirty = True
        self._next_rebuild = 0  # tick number before which a dirty plan waits
        self._plan = TickPlan([], {}, [], [], fast_path)
        self._prompts: dict[Path, tuple[int, int, np.ndarray]] = {}  # path -> mtime, size, pcm
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
            try:
                transport, protocol = await loop.create_datagram_endpoint(
                    _LegProtocol, local_addr=(self.host, port)
                )
            except OSError as exc:  # taken by another process: try the next one
                self._free.append(port)
                last = exc
                continue
            leg_id = f"{name or 'leg'}-{next(self._ids)}"
            leg = RtpLeg(self, leg_id, name, self.host, port, protocol)
            self._legs[leg_id] = leg
            self._dirty = True
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
        self._routes.pop(leg, None)
        for listener, srcs in list(self._routes.items()):
            if leg in srcs:
                self._routes[listener] = tuple(s for s in srcs if s is not leg)
        for rec in self._recorders:
            rec._forget(leg)
        for player in list(self._players):
            if player.listener is leg:
                player.stop()
        for key in _COUNTERS:
            self._gone[key] += self._leg_counter(leg, key)
        self._dirty = True
        lost = leg._close()
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
        self._routes[listener] = self._check_sources(sources)
        listener._leave_fast()
        self._dirty = True

    def _leg_changed(self, leg: RtpLeg) -> None:
        """Codec, payload types or remote changed: re-decide its and its listeners' paths."""
        leg._leave_fast()
        for listener in leg._fast:
            listener._leave_fast()
        self._dirty = True

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
        self._recorders.append(rec)
        self._dirty = True
        return rec

    def set_recording_sources(self, rec: Recorder, left: Iterable[Source], right: Iterable[Source]) -> None:
        """Point a running recorder at other parties (a transfer, a conference), same file."""
        if rec not in self._recorders:
            raise MediaError(f"{rec!r} is not a live recorder of this engine")
        rec.left = list(self._check_sources(left))
        rec.right = list(self._check_sources(right))
        self._dirty = True

    def _recorder_closed(self, rec: Recorder) -> None:
        if rec in self._recorders:
            self._recorders.remove(rec)
            self._dirty = True

    def play(self, leg: RtpLeg | None, wav_path: str | Path, loop: bool = False) -> Player:
        """Add a prompt to what ``leg`` hears (``leg=None``: a free source to route yourself).

        The file is decoded and resampled off the loop; ``Player.done`` is set at its end.
        """
        if leg is not None:
            self._check_leg(leg)
        path = Path(wav_path)
        try:
            st = path.stat()
        except OSError as exc:
            raise MediaError(f"cannot play {path}: {exc}") from exc
        cached = self._prompts.get(path)
        if cached is not None and cached[:2] == (st.st_mtime_ns, st.st_size):
            return self.play_samples(leg, cached[2], loop)  # prompts are played again and again
        try:
            sf.info(str(path))
        except Exception as exc:
            raise MediaError(f"cannot play {path}: {exc}") from exc
        player = Player(path, loop, leg, self._player_ended)
        self._players.append(player)
        if leg is not None:
            leg._leave_fast()
        self._dirty = True
        fut = asyncio.get_running_loop().run_in_executor(None, load_prompt, path)
        fut.add_done_callback(player._loaded)
        fut.add_done_callback(lambda f: self._remember_prompt(path, st, f))
        return player

    def _remember_prompt(self, path: Path, st: os.stat_result, fut: asyncio.Future) -> None:
        if not fut.cancelled() and fut.exception() is None:
            if len(self._prompts) >= _PROMPT_CACHE:
                self._prompts.pop(next(iter(self._prompts)))
            self._prompts[path] = (st.st_mtime_ns, st.st_size, fut.result())

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
        player = Player(None, loop, leg, self._player_ended, pcm=pcm, exclusive=exclusive)
        self._players.append(player)
        if leg is not None:
            leg._leave_fast()
        self._dirty = True
        if pcm.size == 0:
            player._end()
        return player

    def _player_ended(self, player: Player) -> None:
        if player in self._players:
            self._players.remove(player)
            for listener, srcs in list(self._routes.items()):
                if player in srcs:
                    self._routes[listener] = tuple(s for s in srcs if s is not player)
            for rec in self._recorders:
                rec._forget(player)
            self._dirty = True

    # ------------------------------------------------------------------- stats
    @staticmethod
    def _leg_counter(leg: RtpLeg, key: str) -> int:
        if key == "concealed":
            return leg._conceal.concealed
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
            fast_legs=len(self._plan.fast_legs),
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
                    leg._advance(skipped)
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

    def _rebuild(self) -> None:
        self._plan = TickPlan(list(self._legs.values()), self._routes, list(self._players),
                              list(self._recorders), self.fast_path)
        self._dirty = False

    def _tick(self) -> None:
        if self._dirty and self.ticks >= self._next_rebuild:
            t0 = time.perf_counter()
            self._rebuild()
            # A plan costs O(legs) to build; under a burst of call set-ups (hundreds of
            # legs, a change every tick) rebuilding every tick ate half a core.  Changes
            # are coalesced so rebuilding stays under a tenth of the clock.
            cost = time.perf_counter() - t0
            self._next_rebuild = self.ticks + max(1, math.ceil(cost * 10 / FRAME_SECONDS))
        self._plan.run()
