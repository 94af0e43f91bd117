"""Read-out (智能报读): numbers, digit strings, money, dates, times, weekdays,
temperatures, percentages, fractions and scores, spoken in Mandarin or English.

Every read-out is first a sequence of prompt names (``["3", "bai", "2", "shi"]``), and
the text is rendered from those names, so the two ways of voicing it (recorded prompts
played one after the other, or TTS of the text) always say the same thing.
:func:`prompt_set` is what a full set of recordings for a language must hold.
"""

from __future__ import annotations

from dataclasses import dataclass
from types import ModuleType

from . import en, zh
from .values import PARSERS, Fraction, Kind, ReadoutError, Score

__all__ = ["LANGS", "Fraction", "Kind", "Readout", "ReadoutError", "Score", "prompt_set",
           "prompt_text", "read"]

LANGS: dict[str, ModuleType] = {"zh": zh, "en": en}
"""Language code → speller module: a function per :class:`Kind` named by its value
(``number``, ``money`` …) returning prompt names, ``PROMPTS`` and ``render``."""


@dataclass(frozen=True)
class Readout:
    lang: str
    kind: Kind
    text: str
    prompts: tuple[str, ...]


def _language(lang: str) -> ModuleType:
    try:
        return LANGS[lang]
    except KeyError:
        raise ReadoutError(f"no read-out for language {lang!r} (have {', '.join(LANGS)})") from None


def read(lang: str, kind: Kind | str, value: object) -> Readout:
    """Spell ``value`` as ``kind`` in ``lang``; a string is parsed first (``"12.30"``,
    ``"2024-03-05"``, ``"3/4"``). :class:`ReadoutError` says why a value cannot be read."""
    language = _language(lang)
    try:
        k = Kind(kind)
    except ValueError:
        raise ReadoutError(f"unknown read-out kind {kind!r}") from None
    prompts = getattr(language, k.value)(PARSERS[k](value))
    return Readout(lang, k, language.render(prompts), tuple(prompts))


def prompt_set(lang: str) -> tuple[str, ...]:
    """Every prompt name a read-out in ``lang`` can use: a full recorded set has them all."""
    return tuple(_language(lang).PROMPTS)


def prompt_text(lang: str, name: str) -> str:
    """What the recording ``name`` says (what TTS renders when no set was uploaded)."""
    return str(_language(lang).PROMPTS[name])
