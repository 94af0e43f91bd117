"""What a menu's prompt says a key stands for ("售后服务请按1" → "售后服务").

The ``ivr.choice`` event carries it so that what a caller chose reads as words where
words are wanted (the desk's knowledge-base suggestions search a Chinese site's articles
with "售后服务", not with the node's name ``after_sales``).  A heuristic over the usual
ways a prompt offers a key, in Chinese and English; "" when the prompt does not say.
"""

from __future__ import annotations

import re

_KEY_WORDS = {"*": r"\*|星号键?|star", "#": r"#|井号键?|hash|pound"}
_CLAUSES = re.compile(r"[，,。.;；！!？?、\n]+")
_TEMPLATE = re.compile(r"\$\{[^}]*\}")
_LEAD = re.compile(r"^(?:(?:for|to|say)\s+|如需|如要|若需|需要|办理|请说)", re.I)
_TAIL = re.compile(r"(?:\s+or|或者?)$", re.I)
# "For billing say billing or": the spoken alternative after the words
_SAY = re.compile(r"(?<=\S)\s+say\s.*$|(?<=\S)请?说.*$", re.I)
_TRIM = " \t:：\"'“”「」"


def _offer(k: str) -> re.Pattern[str]:
    """"请按1" / "按 1 键" / "press 1 for" / "dial 1" for the keys ``k`` (a pattern)."""
    return re.compile(rf"(?:please\s+)?(?:press|dial|enter)\s*(?:{k})(?![0-9])(?:\s+for)?"
                      rf"|请?(?:按|拨|输入)\s*(?:{k})(?![0-9])\s*(?:号键|键)?", re.I)


_ANY_OFFER = _offer("|".join([r"[0-9]", *_KEY_WORDS.values()]))


def _clean(text: str) -> str:
    text = _TAIL.sub("", _LEAD.sub("", text.strip(_TRIM)).strip(_TRIM)).strip(_TRIM)
    return _SAY.sub("", text).strip(_TRIM)


def choice_phrase(prompt: str, key: str) -> str:
    """The words of ``prompt`` that name what ``key`` does: the clause offering the key
    without the offer ("退货请按1", "按1退货", "Press 1 for returns"), or the clause just
    before when the offer stands alone ("For returns, press 1")."""
    offer = _offer(_KEY_WORDS.get(key, re.escape(key)))
    clauses = _CLAUSES.split(_TEMPLATE.sub("", prompt))
    for i, clause in enumerate(clauses):
        m = offer.search(clause)
        if m is None:
            continue
        said = _clean(clause[:m.start()] + " " + clause[m.end():])
        if not said and i > 0 and _ANY_OFFER.search(clauses[i - 1]) is None:
            said = _clean(clauses[i - 1])
        return " ".join(said.split())
    return ""
