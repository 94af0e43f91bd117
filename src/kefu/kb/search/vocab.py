"""The index's vocabulary: term ids and the ways a query word reaches terms it does not spell.

* prefix: the terms starting with a partial word (search as you type), from a sorted list;
* pinyin: a Chinese term's full pinyin (退货 → ``tuihuo``) and initials (``th``), as
  pypinyin gives them (polyphones: pypinyin's choice for the word, as users type it);
* homophones: a Chinese word typed with the wrong characters of the same sound
  (推货 → ``tuihuo`` → 退货), the commonest typo of pinyin input methods;
* typos in Latin words: the words seen in documents (before stemming) within an edit
  distance of the typed word (optimal string alignment: a swap of two letters is one
  edit; rapidfuzz, over the words of about the same length only), mapped to their stems.

Terms are never removed (an id stays valid); a term no live document holds has df 0 and
the index skips it.
"""

from __future__ import annotations

from collections import defaultdict
from typing import Any

from rapidfuzz import process
from rapidfuzz.distance import OSA
from sortedcontainers import SortedList

from .text import has_cjk

_pinyin_mod: dict[str, Any] = {}


def pinyin_keys(term: str) -> tuple[str, str] | None:
    """(full pinyin, initials) of an all-Chinese term, else None."""
    if not term or not all("\u3400" <= c <= "\u9fff" for c in term):
        return None
    if not _pinyin_mod:
        import pypinyin

        _pinyin_mod["lazy"] = pypinyin.lazy_pinyin
        _pinyin_mod["first"] = pypinyin.Style.FIRST_LETTER
    syllables = _pinyin_mod["lazy"](term)
    return "".join(syllables), "".join(s[0] for s in syllables if s)


def max_typos(word: str) -> int:
    """Edits forgiven in a Latin word: none under 4 letters, 1 up to 7, then 2."""
    n = len(word)
    return 0 if n < 4 else 1 if n < 8 else 2


class Vocabulary:
    """Term strings ↔ ids, with the prefix, pinyin and typo look-ups."""

    def __init__(self) -> None:
        self.ids: dict[str, int] = {}
        self.terms: list[str] = []
        self._sorted: SortedList = SortedList()
        self._full: dict[str, set[int]] = defaultdict(set)
        self._initials: dict[str, set[int]] = defaultdict(set)
        self._full_sorted: SortedList = SortedList()
        self._latin_by_len: dict[int, list[str]] = defaultdict(list)
        self._surface: dict[str, int] = {}  # a Latin word as written → its stem's id

    def __len__(self) -> int:
        return len(self.terms)

    def get(self, term: str) -> int | None:
        return self.ids.get(term)

    def intern(self, term: str) -> int:
        """The term's id, adding it (and its look-up keys) when new."""
        tid = self.ids.get(term)
        if tid is not None:
            return tid
        tid = len(self.terms)
        self.ids[term] = tid
        self.terms.append(term)
        self._sorted.add(term)
        keys = pinyin_keys(term)
        if keys is not None:
            full, initials = keys
            if full not in self._full:
                self._full_sorted.add(full)
            self._full[full].add(tid)
            if len(initials) >= 2:
                self._initials[initials].add(tid)
        return tid

    def note_word(self, word: str, tid: int) -> None:
        """Remember a Latin word as written (``refunded``) for typo look-ups."""
        if word not in self._surface and len(word) >= 3:
            self._surface[word] = tid
            self._latin_by_len[len(word)].append(word)

    def prefixed(self, prefix: str, limit: int) -> list[int]:
        """Ids of terms starting with ``prefix`` (at most ``limit`` scanned, in term order)."""
        out: list[int] = []
        for term in self._sorted.irange(minimum=prefix):
            if not term.startswith(prefix) or len(out) >= limit:
                break
            out.append(self.ids[term])
        return out

    def by_pinyin(self, word: str) -> set[int]:
        """Chinese terms whose full pinyin is ``word``."""
        return self._full.get(word, set())

    def by_initials(self, word: str) -> set[int]:
        """Chinese terms whose pinyin initials are ``word`` (two letters or more)."""
        return self._initials.get(word, set())

    def by_pinyin_prefix(self, prefix: str, limit: int) -> set[int]:
        """Chinese terms whose full pinyin starts with ``prefix`` (typing ``tuih``)."""
        out: set[int] = set()
        for key in self._full_sorted.irange(minimum=prefix):
            if not key.startswith(prefix) or len(out) >= limit:
                break
            out |= self._full[key]
        return out

    def homophones(self, word: str) -> set[int]:
        """Chinese terms sounding like ``word`` (same full pinyin), itself excluded."""
        keys = pinyin_keys(word)
        if keys is None or len(word) < 2:
            return set()
        own = self.ids.get(word)
        return {t for t in self._full.get(keys[0], ()) if t != own}

    def near(self, word: str) -> list[int]:
        """Stems of the Latin words within ``max_typos(word)`` edits of ``word`` as typed."""
        k = max_typos(word)
        if k == 0 or has_cjk(word):
            return []
        out: list[int] = []
        for n in range(len(word) - k, len(word) + k + 1):
            bucket = self._latin_by_len.get(n)
            if not bucket:
                continue
            for term, _dist, _i in process.extract(
                word, bucket, scorer=OSA.distance, score_cutoff=k, limit=20
            ):
                if term != word:
                    out.append(self._surface[term])
        return out
