"""Text analysis for the knowledge base search: one analyzer for documents and queries.

Documents and queries go through the same steps, so a query finds what the text holds:

1. ``plain``: Markdown to the text a reader sees (markdown-it-py's tokens; link targets,
   image URLs and markup dropped, image alt text kept).
2. ``fold``: full-width forms to ASCII, lower case, traditional to simplified (OpenCC
   ``t2s``).  Offsets must survive for highlighting, so a step that would change the
   length is done character by character instead (rare: ``İ``, a few OpenCC phrases).
3. ``tokens``: jieba's search mode (a long word also yields its dictionary sub-words:
   中华人民共和国 → 中华, 人民, 共和国, ...) without HMM (unknown words are split into
   characters the same way in documents and queries; the site's product names are added
   to the dictionary instead); English and digits by jieba too, English stemmed by
   Snowball (PyStemmer).  Punctuation and a few Chinese function characters are dropped.

jieba loads its dictionary once per process, lazily (about 1 s); the segmenter is shared,
so a word added to it (a product name) is known to every index in the process.  The index
is built on a worker thread while the media clock runs on the loop's, so nothing here may
hold the GIL for long (measured with a 20 ms sleeper beside the load: jieba's own
``initialize`` unmarshals its cache in one C call, 0.96 s; its parse of the dictionary
file as it reads it left gaps of up to 388 ms; the same parse of the file's bytes in
memory, none over 10 ms).  Modules whose import is one long unmarshal (pypinyin's phrase
table, ~100 ms) are imported by :func:`preload` on the caller's thread, before the clock.
"""

from __future__ import annotations

import io
import re
import threading
from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from functools import lru_cache
from typing import Any

# Fullwidth ASCII variants (U+FF01..U+FF5E) and the ideographic space: one character
# each way, so offsets are kept.
_WIDTH = {cp: cp - 0xFEE0 for cp in range(0xFF01, 0xFF5F)} | {0x3000: 0x20}
# Single characters that carry no meaning for search (particles, conjunctions).
STOP_CHARS = frozenset("的了是在和与及或吗呢吧啊么着过把被也就都而之其")
_ASCII_WORD = re.compile(r"[a-z]+")
_CJK_RUN = re.compile(r"[\u3400-\u9fff\uf900-\ufaff]{2,}")

_lock = threading.Lock()
_state: dict[str, Any] = {}


def segmenter() -> Any:
    """The process's jieba tokenizer, its dictionary loaded on first use."""
    seg = _state.get("jieba")
    if seg is None:
        with _lock:
            seg = _state.get("jieba")
            if seg is None:
                import jieba

                jieba.setLogLevel(60)
                seg = jieba.Tokenizer()
                with seg.get_dict_file() as f:
                    data = f.read()
                seg.FREQ, seg.total = seg.gen_pfdict(io.BytesIO(data))
                seg.initialized = True
                _state["jieba"] = seg
    return seg


def preload() -> None:
    """Import the analyzers' modules now, on this thread (see the module's docstring)."""
    import jieba  # noqa: F401
    import opencc  # noqa: F401
    import pypinyin  # noqa: F401
    import Stemmer  # noqa: F401

    _markdown()


def _converter() -> Any:
    conv = _state.get("opencc")
    if conv is None:
        import opencc

        conv = _state["opencc"] = opencc.OpenCC("t2s")
    return conv


def _stemmer() -> Any:
    stem = _state.get("stemmer")
    if stem is None:
        import Stemmer

        stem = _state["stemmer"] = Stemmer.Stemmer("english")
    return stem


def add_words(words: Iterable[str]) -> list[str]:
    """Teach the segmenter whole words (product names, synonyms); returns them folded."""
    seg = segmenter()
    added = []
    for word in words:
        folded = fold(word.strip())
        if folded:
            seg.add_word(folded, freq=max(seg.suggest_freq(folded, tune=False), 1000))
            added.append(folded)
    return added


def plain(markdown: str) -> str:
    """What a reader sees of a Markdown text, blocks joined by newlines."""
    if not markdown:
        return ""
    parts: list[str] = []
    for tok in _markdown().parse(markdown):
        if tok.type in ("fence", "code_block"):
            parts.append(tok.content.rstrip("\n"))
        elif tok.type == "inline" and tok.children:
            line: list[str] = []
            for child in tok.children:
                if child.type in ("text", "code_inline"):
                    line.append(child.content)
                elif child.type == "image":
                    line.append(child.content)  # the alt text
                elif child.type in ("softbreak", "hardbreak"):
                    line.append(" ")
            parts.append("".join(line))
    return "\n".join(p for p in parts if p)


@lru_cache(maxsize=1)
def _markdown() -> Any:
    from markdown_it import MarkdownIt

    return MarkdownIt("commonmark").enable("table").enable("strikethrough")


def fold(text: str) -> str:
    """Width, case and script folded; the result has ``text``'s length."""
    out = text.translate(_WIDTH).lower()
    if len(out) != len(text):
        out = "".join(c if len(c.lower()) != 1 else c.lower() for c in text.translate(_WIDTH))
    conv = _converter()
    simplified = conv.convert(out)
    if len(simplified) != len(out):
        simplified = "".join(s if len(s := conv.convert(c)) == 1 else c for c in out)
    return simplified


@dataclass(frozen=True, slots=True)
class Token:
    """A term and where it stands in the folded text (start inclusive, end exclusive)."""

    term: str
    start: int
    end: int


def is_cjk(ch: str) -> bool:
    return "\u3400" <= ch <= "\u9fff" or "\uf900" <= ch <= "\ufaff"


def has_cjk(word: str) -> bool:
    return any(is_cjk(c) for c in word)


@lru_cache(maxsize=65536)
def stem(word: str) -> str:
    """An English word's stem (Snowball); other words unchanged.  Cached: highlighting
    stems every Latin word of each hit."""
    if word.isascii() and word.isalpha():
        return str(_stemmer().stemWord(word))
    return word


def tokens(folded: str) -> Iterator[Token]:
    """The terms of an already folded text, with offsets: jieba's search mode, plus the
    dictionary words of two or three characters the segmentation passed over (退货运费 is
    cut 退 / 货运 / 运费, so 退货 is added: a search for 退货 must find it)."""
    seg = segmenter()
    freq = seg.FREQ
    emitted: set[tuple[int, int]] = set()
    for tok in _jieba_tokens(seg, folded):
        emitted.add((tok.start, tok.end))
        yield tok
    for run in _CJK_RUN.finditer(folded):
        text, base = run.group(), run.start()
        for i in range(len(text) - 1):
            for n in (2, 3):
                word = text[i : i + n]
                if (
                    len(word) == n
                    and freq.get(word)
                    and (base + i, base + i + n) not in emitted
                    and not (n == 2 and word[0] in STOP_CHARS)
                ):
                    yield Token(word, base + i, base + i + n)


def _jieba_tokens(seg: Any, folded: str) -> Iterator[Token]:
    for word, start, end in seg.tokenize(folded, mode="search", HMM=False):
        if not word.isalnum() and (word.isspace() or not any(c.isalnum() for c in word)):
            continue
        if len(word) == 1 and word in STOP_CHARS:
            continue
        if word.isascii() and word.isalpha():
            yield Token(stem(word), start, end)
        else:
            yield Token(word, start, end)


def ascii_words(folded: str) -> Iterator[tuple[str, int, int]]:
    """Runs of ASCII letters with offsets (for highlighting stems)."""
    for m in _ASCII_WORD.finditer(folded):
        yield m.group(), m.start(), m.end()
