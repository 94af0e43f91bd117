"""The in-memory search index of knowledge-base articles: pure, no I/O, no clock.

Layout (why it is fast and small): each term has an append-only posting list of
(document slot, weighted term frequency) in two ``array`` buffers (6 bytes a posting);
per-slot facts (length, alive, freshness, views, category, visibility) are numpy arrays,
so a query scores every posting of its terms in a few vectorised numpy operations
(BM25) instead of a Python loop.  A document added or changed takes a new slot; its old
slot is marked dead (skipped by the scoring, its postings dropped by the next
compaction), so an update touches only that document's terms.

Ranking (the weights are ``Weights``, documented in docs/kb-search.md):

    relevance = Σ over query words of max over the terms the word reaches of
                weight(way) × BM25(term, doc)              (fields weighted in tf)
                × (query words matched / query words)
    score     = relevance × (1 + freshness × 0.5^(age days / half life)
                             + popularity × log(1+views) / log(1+most views))

A query word reaches terms by: itself, the admin's synonyms, pinyin (full, initials),
homophones and Latin typos (only when the word itself is in no document), and the
partial last word (search as you type: prefixes of terms and of pinyin).
"""

from __future__ import annotations

import math
from array import array
from collections import Counter
from collections.abc import Hashable, Iterable, Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime
from functools import partial
from typing import Literal

import numpy as np

from . import text as tx
from .highlight import Marks, Span, snippet, spans
from .synonyms import Synonyms
from .vocab import Vocabulary

Visibility = Literal["internal", "public"]


@dataclass(frozen=True, slots=True)
class Document:
    """An article as the index sees it (the content slice builds these from its rows)."""

    id: Hashable
    title: str
    body: str  # Markdown
    keywords: Sequence[str] = ()
    category: str | None = None
    updated_at: datetime = datetime(1970, 1, 1, tzinfo=UTC)
    views: int = 0
    visibility: Visibility = "internal"


@dataclass(frozen=True, slots=True)
class Weights:
    """Every number of the ranking in one place (docs/kb-search.md says why each)."""

    title: int = 3  # a title word counts as three body words
    keywords: int = 3
    body: int = 1
    k1: float = 1.2  # BM25 term-frequency saturation
    b: float = 0.75  # BM25 length normalisation
    synonym: float = 0.9  # how much a term reached another way counts beside the word itself (1)
    pinyin: float = 0.8
    prefix: float = 0.7
    homophone: float = 0.7
    typo: float = 0.6
    initials: float = 0.5
    freshness: float = 0.2
    half_life_days: float = 180.0
    popularity: float = 0.3
    prefix_terms: int = 50  # terms one partial word may reach
    initials_terms: int = 30  # terms pinyin initials may reach (the most common kept)


@dataclass(frozen=True, slots=True)
class Hit:
    id: Hashable
    score: float
    title: str
    title_spans: list[Span]
    snippet: str
    snippet_spans: list[Span]
    category: str | None


@dataclass(frozen=True, slots=True)
class Results:
    total: int  # documents matched (after filters)
    hits: list[Hit] = field(default_factory=list)


@dataclass(frozen=True, slots=True)
class _Stored:
    title: str
    body: str  # plain text
    keywords: tuple[str, ...]
    category: str | None


class SearchIndex:
    """Add, update, remove and search articles; not thread-safe (one owner calls it)."""

    def __init__(self, weights: Weights | None = None, synonyms: Synonyms | None = None) -> None:
        self.weights = weights or Weights()
        self.synonyms = synonyms or Synonyms()
        self.vocab = Vocabulary()
        self._docs: list[array] = []  # per term: slots
        self._tfs: list[array] = []  # per term: weighted tf
        self._df: list[int] = []  # per term: live documents
        self._slot: dict[Hashable, int] = {}
        self._ids: list[Hashable] = []
        self._stored: list[_Stored | None] = []
        self._terms: list[array | None] = []  # per slot: its term ids (for removal)
        cap = 1024
        self._len = np.zeros(cap, np.float32)
        self._alive = np.zeros(cap, np.bool_)
        self._updated = np.zeros(cap, np.float64)
        self._views = np.zeros(cap, np.float64)
        self._cat = np.zeros(cap, np.int32)
        self._public = np.zeros(cap, np.bool_)
        self._cats: dict[str | None, int] = {None: 0}
        self._live = 0
        self._total_len = 0.0
        self._postings = 0
        self._dead_postings = 0

    # ---- documents -------------------------------------------------------------

    def __len__(self) -> int:
        return self._live

    def __contains__(self, doc_id: Hashable) -> bool:
        return doc_id in self._slot

    def add(self, doc: Document) -> None:
        """Index ``doc``; one already indexed under its id is replaced."""
        if doc.visibility not in ("internal", "public"):
            raise ValueError(f"visibility must be internal or public, not {doc.visibility!r}")
        self.remove(doc.id)
        body = tx.plain(doc.body)
        keywords = tuple(k for k in doc.keywords if k.strip())
        w = self.weights
        tf: Counter[int] = Counter()
        length = 0
        for weight, part in ((w.title, doc.title), (w.keywords, " ".join(keywords)), (w.body, body)):
            folded = tx.fold(part)
            for tok in tx.tokens(folded):
                tid = self.vocab.intern(tok.term)
                tf[tid] += weight
                length += weight
                if tok.term.isascii() and tok.term.isalpha():
                    self.vocab.note_word(folded[tok.start : tok.end], tid)
        slot = len(self._ids)
        self._grow(slot + 1)
        self._ids.append(doc.id)
        self._slot[doc.id] = slot
        self._stored.append(_Stored(doc.title, body, keywords, doc.category))
        self._terms.append(array("I", tf.keys()))
        while len(self._docs) < len(self.vocab):
            self._docs.append(array("I"))
            self._tfs.append(array("H"))
            self._df.append(0)
        for tid, n in tf.items():
            self._docs[tid].append(slot)
            self._tfs[tid].append(min(n, 65535))
            self._df[tid] += 1
        self._postings += len(tf)
        self._len[slot] = length
        self._alive[slot] = True
        self._updated[slot] = doc.updated_at.timestamp()
        self._views[slot] = max(doc.views, 0)
        self._cat[slot] = self._cats.setdefault(doc.category, len(self._cats))
        self._public[slot] = doc.visibility == "public"
        self._live += 1
        self._total_len += length

    def update(self, doc: Document) -> None:
        """Same as ``add``: the document's old entry goes, the new one comes."""
        self.add(doc)

    def remove(self, doc_id: Hashable) -> bool:
        """Drop a document; False when it was not indexed."""
        slot = self._slot.pop(doc_id, None)
        if slot is None:
            return False
        terms = self._terms[slot]
        assert terms is not None
        for tid in terms:
            self._df[tid] -= 1
        self._dead_postings += len(terms)
        self._alive[slot] = False
        self._live -= 1
        self._total_len -= float(self._len[slot])
        self._terms[slot] = None
        self._stored[slot] = None
        if self._dead_postings > max(50_000, self._postings // 4):
            self.compact()
        return True

    def set_views(self, doc_id: Hashable, views: int) -> None:
        """Popularity changes often: no re-indexing for it."""
        self._views[self._slot[doc_id]] = max(views, 0)

    def compact(self) -> None:
        """Drop dead slots' postings from every posting list (O(all postings))."""
        alive = self._alive
        for tid, docs in enumerate(self._docs):
            if not docs:
                continue
            slots = np.frombuffer(docs, np.uint32)
            keep = alive[slots]
            if keep.all():
                continue
            tfs = np.frombuffer(self._tfs[tid], np.uint16)
            self._docs[tid] = array("I", slots[keep].tobytes())
            self._tfs[tid] = array("H", tfs[keep].tobytes())
        self._postings -= self._dead_postings
        self._dead_postings = 0

    def add_words(self, words: Iterable[str]) -> int:
        """Teach the segmenter the site's words (product names); re-index the documents
        holding one.  Returns how many were re-indexed (a scan of all stored text)."""
        added = tx.add_words(words)
        if not added:
            return 0
        redo = []
        for slot, stored in enumerate(self._stored):
            if stored is None:
                continue
            folded = tx.fold(" ".join((stored.title, stored.body, *stored.keywords)))
            if any(word in folded for word in added):
                redo.append(slot)
        for slot in redo:
            stored = self._stored[slot]
            assert stored is not None
            self.add(
                Document(
                    id=self._ids[slot],
                    title=stored.title,
                    body=stored.body,
                    keywords=stored.keywords,
                    category=stored.category,
                    updated_at=datetime.fromtimestamp(float(self._updated[slot]), UTC),
                    views=int(self._views[slot]),
                    visibility="public" if self._public[slot] else "internal",
                )
            )
        return len(redo)

    def set_synonyms(self, groups: Iterable[Iterable[str]]) -> None:
        """Replace the admin's synonym groups (each a list of words meaning the same)."""
        groups = [list(g) for g in groups]
        self.add_words(w for g in groups for w in g if tx.has_cjk(w))
        self.synonyms.replace(groups)

    # ---- search ----------------------------------------------------------------

    def search(
        self,
        query: str,
        *,
        limit: int = 10,
        categories: Iterable[str | None] | None = None,
        public_only: bool = False,
        prefix: bool = False,
        now: datetime | None = None,
    ) -> Results:
        """The best ``limit`` documents for ``query``.  ``prefix``: the last word may be
        partial (search as you type; a trailing space ends it).  ``categories``: only
        documents in one of these; ``public_only``: only public ones (the help centre)."""
        if limit < 1:
            raise ValueError("limit must be at least 1")
        folded = tx.fold(query)
        words = self._words(folded, prefix and not folded[-1:].isspace())
        if not words or self._live == 0:
            return Results(0)
        n = len(self._ids)
        w = self.weights
        avg = self._total_len / self._live
        lengths = self._len[:n]
        norm = w.k1 * (1 - w.b + w.b * lengths / avg)
        total = np.zeros(n, np.float32)
        matched = np.zeros(n, np.float32)
        for alternatives in words:
            best = np.zeros(n, np.float32)
            for tid, weight in alternatives.items():
                df = self._df[tid]
                if df <= 0:
                    continue
                idf = math.log(1 + (self._live - df + 0.5) / (df + 0.5))
                slots = np.frombuffer(self._docs[tid], np.uint32)
                tf = np.frombuffer(self._tfs[tid], np.uint16).astype(np.float32)
                part = (weight * idf * (w.k1 + 1)) * tf / (tf + norm[slots])
                np.maximum(best[slots], part, out=part)
                best[slots] = part
            total += best
            matched += best > 0
        keep = (total > 0) & self._alive[:n]
        if public_only:
            keep &= self._public[:n]
        if categories is not None:
            codes = [self._cats[c] for c in set(categories) if c in self._cats]
            keep &= np.isin(self._cat[:n], codes)
        cand = np.flatnonzero(keep)
        if cand.size == 0:
            return Results(0)
        score = total[cand] * (matched[cand] / len(words)) * self._boost(cand, now)
        if cand.size > limit:
            idx = np.argpartition(-score, limit - 1)[:limit]
            idx = idx[np.argsort(-score[idx], kind="stable")]
        else:
            idx = np.argsort(-score, kind="stable")
        marks = self._marks(words, folded, prefix)
        hits = []
        for i in idx:
            slot = int(cand[i])
            stored = self._stored[slot]
            assert stored is not None
            body, body_spans = snippet(stored.body, marks)
            hits.append(
                Hit(self._ids[slot], float(score[i]), stored.title, spans(stored.title, marks), body, body_spans,
                    stored.category)
            )
        return Results(int(cand.size), hits)

    def _boost(self, cand: np.ndarray, now: datetime | None) -> np.ndarray:
        w = self.weights
        t = (now or datetime.now(UTC)).timestamp()
        age_days = np.maximum(t - self._updated[cand], 0) / 86400.0
        fresh = np.power(0.5, age_days / w.half_life_days)
        top_views = float(self._views[: len(self._ids)][self._alive[: len(self._ids)]].max(initial=0))
        pop = np.log1p(self._views[cand]) / math.log1p(top_views) if top_views > 0 else 0.0
        return (1 + w.freshness * fresh + w.popularity * pop).astype(np.float32)

    def _words(self, folded: str, partial_last: bool) -> list[dict[int, float]]:
        """Per query word, the terms it reaches and how much each counts."""
        toks = self._join_homophones(list(tx.tokens(folded)))
        w, vocab = self.weights, self.vocab
        out: list[dict[int, float]] = []
        seen: set[str] = set()
        last_end = max((t.end for t in toks), default=0)
        for tok in toks:
            is_last = partial_last and tok.end == last_end
            if tok.term in seen and not is_last:
                continue
            seen.add(tok.term)
            raw = folded[tok.start : tok.end]
            alt: dict[int, float] = {}
            reach = partial(self._reach, alt)

            own = vocab.get(tok.term)
            if own is not None and self._live_df(own) > 0:
                alt[own] = 1.0
            reach([t for t in map(vocab.get, self.synonyms.of(tok.term)) if t is not None], w.synonym)
            latin = raw.isascii() and raw.isalpha()
            if latin and len(raw) >= 2:
                reach(vocab.by_pinyin(raw), w.pinyin)
                initials = sorted(vocab.by_initials(raw), key=self._live_df, reverse=True)
                reach(initials[: w.initials_terms], w.initials)
            if own is None or self._live_df(own) == 0:
                if tx.has_cjk(tok.term):
                    reach(vocab.homophones(tok.term), w.homophone)
                else:
                    reach(vocab.near(raw), w.typo)
            if is_last and (not latin or len(raw) >= 2):
                reach(vocab.prefixed(raw, w.prefix_terms), w.prefix)
                if latin:
                    reach(vocab.by_pinyin_prefix(raw, w.prefix_terms), w.prefix * w.pinyin)
            if not alt and latin and len(raw) >= 4:
                run = self._pinyin_run(raw, is_last)
                if run:
                    out.extend(run)
                    continue
            if alt:
                out.append(alt)
            elif not is_last:
                out.append({})  # a word nothing holds still counts in "words matched"
        return out

    def _pinyin_run(self, raw: str, partial_last: bool) -> list[dict[int, float]]:
        """Pinyin typed without spaces (``tuihuotuikuan``, ``xgdz``): one query word per
        key of :meth:`Vocabulary.split_pinyin`, reached as a spaced query would be."""
        w, vocab = self.weights, self.vocab
        pieces = vocab.split_pinyin(raw, partial_last) or []
        out: list[dict[int, float]] = []
        for i, piece in enumerate(pieces):
            alt: dict[int, float] = {}
            self._reach(alt, vocab.by_pinyin(piece), w.pinyin)
            if not alt:
                initials = sorted(vocab.by_initials(piece), key=self._live_df, reverse=True)
                self._reach(alt, initials[: w.initials_terms], w.initials)
            if not alt and partial_last and i == len(pieces) - 1:
                self._reach(alt, vocab.by_pinyin_prefix(piece, w.prefix_terms), w.prefix * w.pinyin)
            if not alt:
                return []   # a key no live document holds: not this split
            out.append(alt)
        return out

    def _reach(self, alt: dict[int, float], tids: Iterable[int], weight: float) -> None:
        """Let a query word reach ``tids`` at ``weight`` (the highest way counts)."""
        for tid in tids:
            if alt.get(tid, 0.0) < weight and self._live_df(tid) > 0:
                alt[tid] = weight

    def _join_homophones(self, toks: list[tx.Token]) -> list[tx.Token]:
        """A run of single Chinese characters the dictionary did not join (推货: a wrong
        character typed for 退货) becomes one word when a term sounds like it."""
        out: list[tx.Token] = []
        i = 0
        while i < len(toks):
            j = i
            while (
                j + 1 < len(toks)
                and toks[j + 1].start == toks[j].end
                and len(toks[j].term) == 1 == len(toks[j + 1].term)
                and tx.is_cjk(toks[j].term)
                and tx.is_cjk(toks[j + 1].term)
            ):
                j += 1
            if j > i:
                run = "".join(t.term for t in toks[i : j + 1])
                if any(self._live_df(t) > 0 for t in self.vocab.homophones(run)):
                    out.append(tx.Token(run, toks[i].start, toks[j].end))
                    i = j + 1
                    continue
            out.append(toks[i])
            i += 1
        return out

    def _live_df(self, tid: int) -> int:
        return self._df[tid] if tid < len(self._df) else 0

    def _marks(self, words: list[dict[int, float]], folded: str, prefix: bool) -> Marks:
        terms, stems = set(), set()
        for alt in words:
            for tid in alt:
                term = self.vocab.terms[tid]
                if term.isascii() and term.isalpha():
                    stems.add(term)
                else:
                    terms.add(term)
        prefixes: tuple[str, ...] = ()
        if prefix and not folded[-1:].isspace():
            last = list(tx.ascii_words(folded))
            if last and last[-1][2] == len(folded.rstrip()) and len(last[-1][0]) >= 2:
                prefixes = (last[-1][0],)
        return Marks(frozenset(terms), frozenset(stems), prefixes)

    # ---- storage of the per-slot arrays ------------------------------------------

    def _grow(self, need: int) -> None:
        cap = len(self._len)
        if need <= cap:
            return
        while cap < need:
            cap *= 2
        for name in ("_len", "_alive", "_updated", "_views", "_cat", "_public"):
            old = getattr(self, name)
            new = np.zeros(cap, old.dtype)
            new[: len(old)] = old
            setattr(self, name, new)
