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
MAX_KEY = 24  # letters of the longest pinyin key a run-together query is cut into


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
        self._words_full: SortedList = SortedList()  # full keys of words of 2+ characters
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
                if len(term) >= 2:
                    self._words_full.add(full)
            elif len(term) >= 2 and full not in self._words_full:
                self._words_full.add(full)
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

    def split_pinyin(self, word: str, partial_last: bool = False) -> list[str] | None:
        """``word`` as the run-together pinyin of two to four terms (``tuihuotuikuan`` →
        tuihuo, tuikuan; initials too, ``xgdz`` → xg, dz): the split into the fewest keys
        of words (two characters or more: single syllables would cut any English word
        into Chinese, ``bandage`` → ban da ge), full pinyin preferred over initials;
        ``partial_last``: the last piece may be the start of a full key (typing).  None
        when there is none."""
        n = len(word)
        # best[i]: (pieces, initials pieces, where the last piece starts) for word[:i]
        best: list[tuple[int, int, int] | None] = [None] * (n + 1)
        best[0] = (0, 0, -1)
        for end in range(2, n + 1):
            for start in range(max(0, end - MAX_KEY), end - 1):
                before = best[start]
                if before is None:
                    continue
                piece = word[start:end]
                full = piece in self._words_full or (partial_last and end == n
                                                     and self._starts(piece))
                if not full and piece not in self._initials:
                    continue
                cand = (before[0] + 1, before[1] + (not full), start)
                here = best[end]
                if here is None or cand[:2] < here[:2]:
                    best[end] = cand
        last = best[n]
        if last is None or not 2 <= last[0] <= 4:
            return None
        pieces, end = [], n
        while end > 0:
            start = best[end][2]  # type: ignore[index]
            pieces.append(word[start:end])
            end = start
        return pieces[::-1]

    def _starts(self, prefix: str) -> bool:
        key = next(iter(self._words_full.irange(minimum=prefix)), None)
        return key is not None and key.startswith(prefix)

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
