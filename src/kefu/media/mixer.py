"""The routing matrix: every listener hears the sum of a chosen set of sources.

A bridge, a conference, hold, listen, whisper and barge are all just matrices, so
this is the one mixing mechanism.  Each tick the engine stacks one frame per source
into an ``(S, 160)`` int16 array; a :class:`MixPlan` (rebuilt only when the routing
changes) turns that into one frame per listener with a gather (listeners hearing one
source) and a single ``np.add.reduceat`` in int32, clipped back to int16 (the others)
— no per-listener Python loop.

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
    one_t: np.ndarray  # listener rows that hear exactly one source (outside groups) ...
    one_i: np.ndarray  # ... and that source's row: a plain gather
    targets: np.ndarray  # listener rows that hear two or more sources (outside groups)
    starts: np.ndarray  # segment start of each target inside ``index``
    index: np.ndarray  # source rows, grouped by target
    single: bool  # no listener outside the groups hears more than one source
    identity: bool  # every listener row is in ``one_t``, in order: the mix is one gather
    g_index: np.ndarray  # source rows of every group, concatenated
    g_starts: np.ndarray  # segment start of each group inside ``g_index``
    g_members: np.ndarray  # listener rows served by a group total ...
    g_of: np.ndarray  # ... the group each of them belongs to
    g_self: np.ndarray  # ... and each one's own source row (taken out of the total)

    @property
    def used(self) -> np.ndarray:
        """Source rows some listener hears (the others need not be decoded)."""
        return np.union1d(np.union1d(self.one_i, self.index), self.g_index)


_EMPTY = np.zeros(0, dtype=np.intp)


def _ints(values: list[int]) -> np.ndarray:
    return np.array(values, dtype=np.intp) if values else _EMPTY


def build_plan(listener_sources: Sequence[Sequence[int]], n_src: int, n_self: int = 0,
               self_rows: Sequence[int] | None = None) -> MixPlan:
    """``listener_sources[i]`` = source rows listener row ``i`` hears.

    ``self_rows[i]``: the source row of listener ``i``'s own voice (a leg both sends
    and listens), -1 for none; by default listener row ``i < n_self`` is source row
    ``i``.  Only listeners with a voice of their own can form conference groups.

    Listeners hearing one source (the common case: recorder channels, a transcoded
    bridge) cost one list append each to plan; only the others are inspected for
    conference groups.
    """
    n_out = len(listener_sources)
    if self_rows is None:
        self_rows = range(min(n_self, n_out))
    n_me = len(self_rows)
    one_t: list[int] = []
    one_i: list[int] = []
    multi: list[tuple[int, frozenset[int]]] = []
    candidates: dict[frozenset[int], list[int]] = {}
    for row, srcs in enumerate(listener_sources):
        n = len(srcs)
        if n == 0:
            continue
        if n == 1:
            one_t.append(row)
            one_i.append(srcs[0])
            continue
        uniq = frozenset(srcs)
        if len(uniq) == 1:
            one_t.append(row)
            one_i.append(next(iter(uniq)))
            continue
        me = self_rows[row] if row < n_me else -1
        if me >= 0 and me not in uniq:
            candidates.setdefault(uniq | {me}, []).append(row)
        else:
            multi.append((row, uniq))
    if one_i and not (0 <= min(one_i) and max(one_i) < n_src):
        raise IndexError("source row out of range")

    # conference groups: listeners i whose sources are exactly K - {self(i)}, with self(i) in K
    g_index: list[int] = []
    g_starts: list[int] = []
    g_members: list[int] = []
    g_of: list[int] = []
    g_self: list[int] = []
    for key, members in candidates.items():
        if len(members) < _MIN_GROUP:
            for row in members:
                multi.append((row, key - {self_rows[row]}))
            continue
        if not all(0 <= s < n_src for s in key):
            raise IndexError("source row out of range")
        g = len(g_starts)
        g_starts.append(len(g_index))
        g_index.extend(sorted(key))
        for row in members:
            g_members.append(row)
            g_of.append(g)
            g_self.append(self_rows[row])

    targets: list[int] = []
    starts: list[int] = []
    index: list[int] = []
    multi.sort()
    for row, uniq in multi:
        if any(not 0 <= s < n_src for s in uniq):
            raise IndexError(f"source row out of range for listener {row}")
        targets.append(row)
        starts.append(len(index))
        index.extend(sorted(uniq))
    return MixPlan(
        n_out=n_out,
        n_src=n_src,
        one_t=_ints(one_t),
        one_i=_ints(one_i),
        targets=_ints(targets),
        starts=_ints(starts),
        index=_ints(index),
        single=not targets,
        identity=len(one_t) == n_out and (n_out == 0 or one_t[-1] == n_out - 1),
        g_index=_ints(g_index),
        g_starts=_ints(g_starts),
        g_members=_ints(g_members),
        g_of=_ints(g_of),
        g_self=_ints(g_self),
    )


def mix(frames: np.ndarray, plan: MixPlan) -> np.ndarray:
    """``frames``: (n_src, 160) int16 -> (n_out, 160) int16, silence where nothing is routed."""
    if plan.identity:  # every listener hears exactly one source: one gather
        return frames[plan.one_i]
    out = np.zeros((plan.n_out, frames.shape[1] if frames.ndim == 2 else FRAME_SAMPLES), dtype=np.int16)
    if plan.one_t.size:
        out[plan.one_t] = frames[plan.one_i]
    if plan.targets.size:
        summed = np.add.reduceat(frames[plan.index], plan.starts, axis=0, dtype=np.int32)
        np.clip(summed, -32768, 32767, out=summed)
        out[plan.targets] = summed
    if plan.g_members.size:
        totals = np.add.reduceat(frames[plan.g_index], plan.g_starts, axis=0, dtype=np.int32)
        heard = totals[plan.g_of]
        heard -= frames[plan.g_self]
        np.clip(heard, -32768, 32767, out=heard)
        out[plan.g_members] = heard
    return out
