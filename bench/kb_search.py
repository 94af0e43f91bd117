#!/usr/bin/env python
"""Benchmark the knowledge base search (kefu.kb.search.SearchIndex) over ``--articles``
generated articles (100,000 by default), beside a naive ``LIKE '%…%'`` scan in SQLite.

No DB behind the index, no web: a seeded generator writes articles of Chinese (70 %) or
English (30 %): Chinese words drawn from jieba's own dictionary weighted by its
frequencies (so the text has a natural, Zipf-like vocabulary: common words often, tens of
thousands of rare ones), English from a list of support words; titles of 3-6 words,
bodies of 40-90 words in a few Markdown paragraphs with bold and a link, 2 keywords, one
of 30 categories, views Pareto-distributed, updated in the last three years.

Figures printed:
  jieba load       the segmenter's dictionary, loaded once per process
  build            adding every article one by one (what a start-up re-index costs)
  RSS              the process's resident memory before and after the build (MB)
  update           one article replaced (``add`` on an existing id), p50/p95 over 200
  search           ``--queries`` queries of 1-3 words as users type them: Chinese words,
                   their pinyin (full or initials), misspelt English, traditional
                   characters: p50/p95 ms (target p95 < 10 ms)
  as-you-type      every keystroke of those queries searched with ``prefix=True``
                   (a Chinese query character by character, pinyin and English letter by
                   letter from the second): p50/p95 ms (target p95 < 20 ms)
  LIKE scan        the same Chinese/English words as ``title LIKE ? OR body LIKE ?`` over
                   the same articles in a SQLite table (a temporary file): p50/p95 ms
Run: ``PYTHONPATH=src python bench/kb_search.py [--articles N] [--queries N]``.
"""

from __future__ import annotations

import argparse
import itertools
import os
import random
import sqlite3
import statistics
import sys
import tempfile
import time
from datetime import UTC, datetime, timedelta
from pathlib import Path

from kefu.kb.search import Document, SearchIndex
from kefu.kb.search import text as tx

EN = (
    "account", "order", "refund", "return", "shipping", "delivery", "invoice", "payment", "card", "password",
    "login", "reset", "email", "phone", "address", "change", "cancel", "subscription", "plan", "upgrade",
    "downgrade", "price", "discount", "coupon", "points", "member", "warranty", "repair", "replace",
    "broken", "screen", "battery", "charger", "cable", "bluetooth", "sync", "app", "update", "install",
    "error", "crash", "slow", "network", "wifi", "signal", "setting", "privacy", "security", "verify",
    "code", "message", "notification", "receipt", "tax", "business", "company", "contract", "service",
    "support", "ticket", "agent", "call", "hours", "holiday", "store", "pickup", "package", "tracking",
    "courier", "delay", "lost", "damaged", "exchange", "size", "color", "stock", "available", "preorder",
    "gift", "wrap", "voucher", "balance", "wallet", "transfer", "bank", "fee", "charge", "duplicate",
    "pending", "approved", "rejected", "review", "complaint", "feedback", "survey", "manual", "guide",
    "setup", "pairing", "firmware", "version", "device", "tablet", "laptop", "watch", "band", "headphone",
    "speaker", "camera", "printer",
)
CATEGORIES = [f"cat{i:02d}" for i in range(30)]


def chinese_words(rng: random.Random) -> tuple[list[str], list[int]]:
    """jieba's dictionary words of 2-4 Chinese characters and their frequencies."""
    import jieba

    words, freqs = [], []
    with open(Path(jieba.__file__).parent / "dict.txt", encoding="utf-8") as f:
        for line in f:
            word, freq, *_ = line.split()
            if 2 <= len(word) <= 4 and all("\u4e00" <= c <= "\u9fff" for c in word) and int(freq) >= 20:
                words.append(word)
                freqs.append(int(freq))
    return words, freqs


def generate(n: int, seed: int) -> tuple[list[Document], list[str], list[int]]:
    rng = random.Random(seed)
    zh, zh_freq = chinese_words(rng)
    cum = list(itertools.accumulate(zh_freq))
    now = datetime(2026, 12, 1, tzinfo=UTC)
    docs = []
    for i in range(n):
        chinese = rng.random() < 0.7
        if chinese:
            def pick(k: int) -> list[str]:
                return rng.choices(zh, cum_weights=cum, k=k)
            sep, stop = "", "。"
        else:
            def pick(k: int) -> list[str]:
                return rng.choices(EN, k=k)
            sep, stop = " ", ". "
        title = sep.join(pick(rng.randint(3, 6)))
        paras = []
        for _ in range(rng.randint(2, 4)):
            words = pick(rng.randint(12, 25))
            words[rng.randrange(len(words))] = f"**{words[0]}**"
            paras.append(sep.join(words) + stop)
        paras.append(f"[{sep.join(pick(2))}](https://example.invalid/{i})")
        docs.append(Document(
            id=i, title=title, body="\n\n".join(paras), keywords=tuple(pick(2)),
            category=rng.choice(CATEGORIES), updated_at=now - timedelta(days=rng.uniform(0, 1100)),
            views=int(rng.paretovariate(1.2)) - 1, visibility="public" if rng.random() < 0.3 else "internal",
        ))
    return docs, zh, zh_freq


def queries(n: int, seed: int, zh: list[str], zh_freq: list[int]) -> list[tuple[str, str]]:
    """(kind, query): words users type, drawn from the middle of the frequency range."""
    from opencc import OpenCC
    from pypinyin import lazy_pinyin

    rng = random.Random(seed + 1)
    s2t = OpenCC("s2t")
    mid = [w for w, f in zip(zh, zh_freq, strict=True) if 200 <= f <= 20000]
    out = []
    for _ in range(n):
        kind = rng.choice(["zh", "zh", "zh2", "pinyin", "initials", "en", "en-typo", "traditional"])
        w = rng.choice(mid)
        if kind == "zh":
            q = w
        elif kind == "zh2":
            q = w + rng.choice(mid)
        elif kind == "pinyin":
            q = "".join(lazy_pinyin(w))
        elif kind == "initials":
            q = "".join(s[0] for s in lazy_pinyin(w))
        elif kind == "traditional":
            q = s2t.convert(w)
        elif kind == "en":
            q = " ".join(rng.sample(EN, rng.randint(1, 3)))
        else:
            word = rng.choice([e for e in EN if len(e) >= 5])
            j = rng.randrange(1, len(word) - 1)
            q = word[:j] + word[j + 1 :]
        out.append((kind, q))
    return out


def keystrokes(q: str) -> list[str]:
    if q.isascii():
        return [q[:i] for i in range(2, len(q) + 1)]
    return [q[:i] for i in range(1, len(q) + 1)]


def rss_mb() -> float:
    for line in Path("/proc/self/status").read_text().splitlines():
        if line.startswith("VmRSS:"):
            return int(line.split()[1]) / 1024
    return float("nan")


def pct(values: list[float], p: float) -> float:
    return statistics.quantiles(values, n=100, method="inclusive")[int(p) - 1] if len(values) > 1 else values[0]


def timed(fn, *args, **kw) -> float:  # type: ignore[no-untyped-def]
    t = time.perf_counter()
    fn(*args, **kw)
    return (time.perf_counter() - t) * 1000


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--articles", type=int, default=100_000)
    ap.add_argument("--queries", type=int, default=1000)
    ap.add_argument("--like-queries", type=int, default=50)
    ap.add_argument("--seed", type=int, default=17)
    args = ap.parse_args()

    t = time.perf_counter()
    tx.segmenter()
    print(f"jieba load        {time.perf_counter() - t:8.2f} s")
    docs, zh, zh_freq = generate(args.articles, args.seed)
    chars = sum(len(d.title) + len(d.body) for d in docs)
    print(f"articles          {len(docs):8d}  ({chars / len(docs):.0f} characters each on average)")
    rss0 = rss_mb()
    ix = SearchIndex()
    t = time.perf_counter()
    for d in docs:
        ix.add(d)
    build = time.perf_counter() - t
    rss1 = rss_mb()
    print(f"build             {build:8.1f} s  ({len(docs) / build:,.0f} articles/s, {len(ix.vocab):,} terms)")
    print(f"RSS               {rss0:8.0f} MB before, {rss1:.0f} MB after (+{rss1 - rss0:.0f} MB)")

    rng = random.Random(args.seed + 2)
    ups = [timed(ix.add, docs[rng.randrange(len(docs))]) for _ in range(200)]
    print(f"update one        p50 {pct(ups, 50):6.2f} ms   p95 {pct(ups, 95):6.2f} ms")

    now = datetime(2026, 12, 1, tzinfo=UTC)
    qs = queries(args.queries, args.seed, zh, zh_freq)
    for kind, q in qs[:20]:
        ix.search(q, now=now)  # warm up
    lat = {}
    found = 0
    for kind, q in qs:
        t = time.perf_counter()
        r = ix.search(q, now=now)
        lat.setdefault(kind, []).append((time.perf_counter() - t) * 1000)
        found += bool(r.hits)
    every = [v for vs in lat.values() for v in vs]
    print(f"search            p50 {pct(every, 50):6.2f} ms   p95 {pct(every, 95):6.2f} ms   "
          f"max {max(every):6.1f} ms   ({len(every)} queries, {found} with hits)")
    for kind, vs in sorted(lat.items()):
        print(f"  {kind:14s}  p50 {pct(vs, 50):6.2f} ms   p95 {pct(vs, 95):6.2f} ms   ({len(vs)})")
    typed = [timed(ix.search, k, now=now, prefix=True) for _, q in qs for k in keystrokes(q)]
    print(f"as-you-type       p50 {pct(typed, 50):6.2f} ms   p95 {pct(typed, 95):6.2f} ms   "
          f"max {max(typed):6.1f} ms   ({len(typed)} keystrokes)")

    with tempfile.TemporaryDirectory() as tmp:
        db = sqlite3.connect(os.path.join(tmp, "kb.db"))
        db.execute("CREATE TABLE articles (id INTEGER PRIMARY KEY, title TEXT, body TEXT)")
        db.executemany("INSERT INTO articles VALUES (?, ?, ?)", ((d.id, d.title, d.body) for d in docs))
        db.commit()
        words = [q for kind, q in qs if kind in ("zh", "en", "traditional")][: args.like_queries]
        like = []
        for q in words:
            pat = f"%{q}%"
            t = time.perf_counter()
            db.execute("SELECT id FROM articles WHERE title LIKE ? OR body LIKE ?", (pat, pat)).fetchall()
            like.append((time.perf_counter() - t) * 1000)
        db.close()
    print(f"LIKE scan         p50 {pct(like, 50):6.2f} ms   p95 {pct(like, 95):6.2f} ms   ({len(like)} queries; "
          "no pinyin, typos, stems, folding or ranking)")
    print(f"load average      {os.getloadavg()[0]:.2f}", file=sys.stderr)


if __name__ == "__main__":
    main()
