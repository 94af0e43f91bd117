"""What every CSV export of the slices shares: cells a spreadsheet would run as a formula
(a leading ``=``, ``@``, tab or carriage return, or ``+``/``-`` not starting a plain
number) are shown as text instead (CSV injection)."""

from __future__ import annotations

import re

_NUMBER = re.compile(r"[+-]?\d+(\.\d+)?")


def safe_cell(value: str) -> str:
    """``value`` as a spreadsheet shows it, never evaluates it."""
    first = value[:1]
    if first in ("=", "@", "\t", "\r") or (first in ("+", "-") and not _NUMBER.fullmatch(value)):
        return "'" + value
    return value
