"""The routing matrix: every listener hears the sum of a chosen set of sources.

A bridge, a conference, hold, listen, whisper and barge are all just matrices, so
this is the one mixing mechanism.  Each tick the engine stacks one frame per source
into an ``(S, 160)`` int16 array; a :class:`MixPlan` (rebuilt only when the routing
changes) turns that into one frame per listener with a single gather and a single
``np.add.reduceat`` in int32, clipped back to int16 — no per-listener Python loop.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Sequence

import numpy as np

from .codecs import FRAME_SAMPLES

__all__ = ["Source", "MixPlan", "build_plan", "mix"]


class Source:
    """Something a listener can hear: an RTP leg (what it sends us) or a player."""

    __slots__ = ()


@dataclass(frozen=True)
class MixPlan:
    n_out: int
    n_src: int
    targets: np.ndarray  # listener rows that hear at least one source
    starts: np.ndarray  # segment start of each target inside ``index``
    index: np.ndarray  # source rows, grouped by target
    single: bool  # every target hears exactly one source: a plain gather


def build_plan(listener_sources: Sequence[Sequence[int]], n_src: int) -> MixPlan:
    """``listener_sources[i]`` = source rows listener row ``i`` hears."""
    targets: list[int] = []
    starts: list[int] = []
    index: list[int] = []
    single = True
    for row, srcs in enumerate(listener_sources):
        uniq = sorted(set(srcs))
        if not uniq:
            continue
        if any(not 0 <= s < n_src for s in uniq):
            raise IndexError(f"source row out of range for listener {row}")
        targets.append(row)
        starts.append(len(index))
        index.extend(uniq)
        single = single and len(uniq) == 1
    return MixPlan(
        n_out=len(listener_sources),
        n_src=n_src,
        targets=np.array(targets, dtype=np.intp),
        starts=np.array(starts, dtype=np.intp),
        index=np.array(index, dtype=np.intp),
        single=single,
    )


def mix(frames: np.ndarray, plan: MixPlan) -> np.ndarray:
    """``frames``: (n_src, 160) int16 -> (n_out, 160) int16, silence where nothing is routed."""
    out = np.zeros((plan.n_out, frames.shape[1] if frames.ndim == 2 else FRAME_SAMPLES), dtype=np.int16)
    if plan.targets.size == 0:
        return out
    if plan.single:
        out[plan.targets] = frames[plan.index]
    else:
        summed = np.add.reduceat(frames[plan.index], plan.starts, axis=0, dtype=np.int32)
        np.clip(summed, -32768, 32767, out=summed)
        out[plan.targets] = summed
    return out
