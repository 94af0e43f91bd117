"""Phone numbers as the CRM keeps them: one spelling per number, so a customer is found
whatever way a caller ID, an import file or an agent writes it.

A number the ``phonenumbers`` library reads as a valid number (a national one read as of
``region``, the site's country: ``[crm] region``) is kept in E.164 (``+8613800138000``), its extension
apart; anything else (an internal extension ``1001``, a short service code) is kept as
its digits.  ``+86 138 0013 8000``, ``138-0013-8000``, ``008613800138000`` and
``+8613800138000`` are one number.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

import phonenumbers

MAX_NUMBER = 32
_JUNK = re.compile(r"[\s\-().]")
_SHORT = re.compile(r"\+?[0-9*#]{2,16}")


@dataclass(frozen=True)
class Phone:
    """A number in the CRM's one spelling, and the extension dialled after it."""

    number: str                   # E.164, or the digits of an internal / short number
    extension: str = ""           # "12" of "010 6552 9988 ext. 12"


class NotANumber(ValueError):
    """The text is no phone number at all (the message says why)."""


def normalise(raw: str, region: str) -> Phone:
    """``raw`` in the one spelling; :class:`NotANumber` when it has no number in it."""
    text = raw.strip()
    if not text:
        raise NotANumber("a phone number is empty")
    try:
        parsed = phonenumbers.parse(text, region)
    except phonenumbers.NumberParseException:
        parsed = None
    if parsed is not None and phonenumbers.is_valid_number(parsed):
        return Phone(phonenumbers.format_number(parsed, phonenumbers.PhoneNumberFormat.E164),
                     parsed.extension or "")
    short = _JUNK.sub("", text)
    if _SHORT.fullmatch(short):
        return Phone(short)
    raise NotANumber(f"{raw!r} is not a phone number")


def lookup_key(raw: str, region: str) -> str | None:
    """What a caller ID is looked up by (None when it is no number, e.g. "anonymous")."""
    try:
        return normalise(raw, region).number
    except NotANumber:
        return None
