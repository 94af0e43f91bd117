"""Synonyms an admin maintains (退款 = 退钱 = 退钱款): groups of words that mean the same.

Applied at query time, so a change takes effect at once without re-indexing: a query word
in a group also reaches the group's other words (at ``Weights.synonym``).  Each word is
analysed like text (folded, stemmed), and must stay one term: a Chinese word is added to
the segmenter's dictionary by the index first; an English phrase of several words is
refused.
"""

from __future__ import annotations

from collections.abc import Iterable

from . import text as tx


class Synonyms:
    """Synonym groups keyed by analysed term."""

    def __init__(self) -> None:
        self._group: dict[str, frozenset[str]] = {}
        self.groups: list[list[str]] = []

    def replace(self, groups: Iterable[Iterable[str]]) -> None:
        """Set all groups at once; a word in two groups joins them.  Raises ValueError
        for a word that is not one term (nothing changed then)."""
        merged: dict[str, set[str]] = {}
        kept: list[list[str]] = []
        for group in groups:
            words = [w.strip() for w in group if w.strip()]
            if len(words) < 2:
                raise ValueError(f"a synonym group needs two words or more: {words}")
            terms = set()
            for word in words:
                toks = [t.term for t in tx.tokens(tx.fold(word))]
                if len(toks) != 1:
                    raise ValueError(f"a synonym must be one word: {word!r} is {toks}")
                terms.add(toks[0])
            joined = set(terms)
            for term in terms:
                joined |= merged.get(term, set())
            for term in joined:
                merged[term] = joined
            kept.append(words)
        self._group = {t: frozenset(g) for t, g in merged.items()}
        self.groups = kept

    def of(self, term: str) -> frozenset[str]:
        """The other terms of ``term``'s group (empty when it has none)."""
        group = self._group.get(term)
        return group - {term} if group else frozenset()
