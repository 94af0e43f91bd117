"""The routing matrix: every listener hears the sum of a chosen set of sources.

A bridge, a conference, hold, listen, whisper and barge are all just matrices, so
this is the one mixing mechanism.  Each tick the engine stacks one frame per source
into an ``(S, 160)`` int16 array; a :class:`MixPlan` (rebuilt only when the routing
changes) turns that into one frame per listener with a single gather and a single
``np.add.reduceat`` in int32, clipped back to int16 — no per-listener Python loop.

Conferences get their own shortcut.  In an N-way conference each member hears the
other N-1, so summing per listener costs N·(N-1) frame additions; instead the plan
finds *groups* (at least three listeners that each hear exactly "the group minus
myself") and computes one total per group, then ``total - own frame`` per member:
2N additions, still all vectorised.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Sequence

import numpy as np

from .codecs import FRAME_SAMPLES

__all__ = ["Source", "MixPlan", "build_plan", "mix"]

_MIN_GROUP = 3  # two members are a bridge: a plain gather is cheaper


class Source:
    """Something a listener can hear: an RTP leg (what it sends us) or a player."""

    __slots__ = ()


@dataclass(frozen=True)
class MixPlan:
    n_out: int
    n_src: int
    targets: np.ndarray  # listener rows that hear at least one source (outside groups)
    starts: np.ndarray  # segment start of each target inside ``index``
    index: np.ndarray  # source rows, grouped by target
    single: bool  # every target hears exactly one source: a plain gather
    g_index: np.ndarray  # source rows of every group, concatenated
    g_starts: np.ndarray  # segment start of each group inside ``g_index``
    g_members: np.ndarray  # listener rows served by a group total ...
    g_of: np.ndarray  # ... the group each of them belongs to

    @property
    def used(self) -> np.ndarray:
        """Source rows some listener hears (the others need not be decoded)."""
        return np.union1d(self.index, self.g_index)


def _ints(values: list[int]) -> np.ndarray:
    return np.array(values, dtype=np.intp)


def build_plan(listener_sources: Sequence[Sequence[int]], n_src: int, n_self: int = 0) -> MixPlan:
    """``listener_sources[i]`` = source rows listener row ``i`` hears.

    Listener row ``i < n_self`` is also source row ``i`` (a leg both sends and
    listens); only those can form conference groups.
    """
    sets: list[frozenset[int]] = []
    for row, srcs in enumerate(listener_sources):
        uniq = frozenset(srcs)
        if any(not 0 <= s < n_src for s in uniq):
            raise IndexError(f"source row out of range for listener {row}")
        sets.append(uniq)

    # conference groups: listeners i whose sources are exactly K - {i}, with i in K
    candidates: dict[frozenset[int], list[int]] = {}
    for row in range(min(n_self, len(sets))):
        if sets[row] and row not in sets[row]:
            candidates.setdefault(sets[row] | {row}, []).append(row)
    grouped: set[int] = set()
    g_index: list[int] = []
    g_starts: list[int] = []
    g_members: list[int] = []
    g_of: list[int] = []
    for key, members in candidates.items():
        if len(members) < _MIN_GROUP:
            continue
        g = len(g_starts)
        g_starts.append(len(g_index))
        g_index.extend(sorted(key))
        for row in members:
            g_members.append(row)
            g_of.append(g)
            grouped.add(row)

    targets: list[int] = []
    starts: list[int] = []
    index: list[int] = []
    single = True
    for row, uniq in enumerate(sets):
        if not uniq or row in grouped:
            continue
        targets.append(row)
        starts.append(len(index))
        index.extend(sorted(uniq))
        single = single and len(uniq) == 1
    return MixPlan(
        n_out=len(listener_sources),
        n_src=n_src,
        targets=_ints(targets),
        starts=_ints(starts),
        index=_ints(index),
        single=single,
        g_index=_ints(g_index),
        g_starts=_ints(g_starts),
        g_members=_ints(g_members),
        g_of=_ints(g_of),
    )


def mix(frames: np.ndarray, plan: MixPlan) -> np.ndarray:
    """``frames``: (n_src, 160) int16 -> (n_out, 160) int16, silence where nothing is routed."""
    out = np.zeros((plan.n_out, frames.shape[1] if frames.ndim == 2 else FRAME_SAMPLES), dtype=np.int16)
    if plan.targets.size:
        if plan.single:
            out[plan.targets] = frames[plan.index]
        else:
            summed = np.add.reduceat(frames[plan.index], plan.starts, axis=0, dtype=np.int32)
            np.clip(summed, -32768, 32767, out=summed)
            out[plan.targets] = summed
    if plan.g_members.size:
        totals = np.add.reduceat(frames[plan.g_index], plan.g_starts, axis=0, dtype=np.int32)
        heard = totals[plan.g_of]
        heard -= frames[plan.g_members]
        np.clip(heard, -32768, 32767, out=heard)
        out[plan.g_members] = heard
    return out
