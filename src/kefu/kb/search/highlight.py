"""Where a hit's words are in its title and body: spans on the original text, a snippet, <mark>.

Spans are found on the folded text (``text.fold``), which has the original's length, so they
point into the original: a traditional-script article is marked where the simplified query
matched.  Chinese terms are found as substrings; Latin words by their stem (a query for
"refunds" marks "refunded"), or by the partial word typed last.
"""

from __future__ import annotations

import html
from dataclasses import dataclass

from .text import ascii_words, fold, stem

Span = tuple[int, int]
SNIPPET = 120  # characters of body shown around the first match
LEAD = 30  # characters kept before it


@dataclass(frozen=True, slots=True)
class Marks:
    """What to mark: Chinese (or mixed) terms, stems of Latin words, partial Latin words."""

    terms: frozenset[str]
    stems: frozenset[str]
    prefixes: tuple[str, ...] = ()


def spans(text: str, marks: Marks) -> list[Span]:
    """Sorted, merged spans of ``text`` matching ``marks``."""
    if not text:
        return []
    folded = fold(text)
    found: list[Span] = []
    for term in marks.terms:
        start = folded.find(term)
        while start >= 0:
            found.append((start, start + len(term)))
            start = folded.find(term, start + len(term))
    if marks.stems or marks.prefixes:
        for word, start, end in ascii_words(folded):
            if stem(word) in marks.stems or word.startswith(marks.prefixes):
                found.append((start, end))
    return merge(found)


def merge(found: list[Span]) -> list[Span]:
    out: list[Span] = []
    for start, end in sorted(found):
        if out and start <= out[-1][1]:
            if end > out[-1][1]:
                out[-1] = (out[-1][0], end)
        else:
            out.append((start, end))
    return out


def snippet(body: str, marks: Marks, size: int = SNIPPET) -> tuple[str, list[Span]]:
    """A window of ``body`` around its first match (the start when none), with its spans."""
    found = spans(body, marks)
    start = max(0, found[0][0] - LEAD) if found else 0
    end = min(len(body), start + size)
    window = [(max(s, start) - start, min(e, end) - start) for s, e in found if s < end and e > start]
    return body[start:end], window


def mark(text: str, found: list[Span]) -> str:
    """``text`` as HTML: escaped, each span in <mark>."""
    out, pos = [], 0
    for start, end in found:
        out.append(html.escape(text[pos:start]))
        out.append("<mark>" + html.escape(text[start:end]) + "</mark>")
        pos = end
    out.append(html.escape(text[pos:]))
    return "".join(out)
