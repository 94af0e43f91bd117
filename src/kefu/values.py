"""The value rules written once: extension numbers, phone numbers, dial strings, DTMF.

Config, store and API all check these; each rule lives here as one :class:`Rule` that
gives a plain check for the loader and the store, and a pydantic ``Annotated`` type (with
the pattern in ``/openapi.json``) for the API.  This module imports nothing of kefu, so
every layer may use it.

Lengths, and why:

* extension number: 2-10 digits.  One digit would collide with the keypad's single-key
  menus; ten matches the database column (``extensions.number``).
* phone number (caller IDs, DIDs): an optional leading ``+``, then 2-31 digits.  E.164
  allows 15 digits, but numbers arrive as carriers send them, with national or
  international prefixes and sometimes a PBX extension appended, so there is headroom
  (``+`` and 31 digits: 32 characters).  The CRM keeps customers' numbers in one
  spelling of its own, E.164 (``kefu.crm.phones``).  No number a carrier
  delivers is a single digit (the shortest are emergency numbers, 3 digits), so 1 is a
  typo.  ``*`` and ``#`` are not part of a phone number: they are keys, not addresses.
* dial string (what the call-control API dials or names: an extension, a phone number, a
  feature code such as ``*81001``): the phone-number rule plus ``*`` and ``#``.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Annotated, Any

from pydantic import Field


@dataclass(frozen=True)
class Rule:
    """One kind of value: its name, a whole-string regex and a phrase saying what is allowed."""

    name: str          # "extension number"
    regex: str         # matched against the whole value
    what: str          # "2-10 digits": completes "must be …"

    def is_valid(self, value: object) -> bool:
        return isinstance(value, str) and value.isascii() and \
            re.fullmatch(self.regex, value) is not None

    def problem(self, value: object) -> str:
        """The complaint about a value this rule refuses: ``must be 2-10 digits, got '1'``."""
        return f"must be {self.what}, got {value!r}"

    def check(self, value: object) -> str:
        """``value`` if valid, else ValueError ``extension number must be 2-10 digits, got …``."""
        if not self.is_valid(value):
            raise ValueError(f"{self.name} {self.problem(value)}")
        return value  # type: ignore[return-value]

    def field(self, **extra: Any) -> Any:
        """A pydantic ``Field`` carrying the pattern (shown in OpenAPI) and a description."""
        extra.setdefault("description", f"{self.name}: {self.what}")
        return Field(pattern=f"^{self.regex}$", **extra)


EXTENSION_MIN, EXTENSION_MAX = 2, 10
EXTENSION = Rule("extension number", rf"[0-9]{{{EXTENSION_MIN},{EXTENSION_MAX}}}",
                 f"{EXTENSION_MIN}-{EXTENSION_MAX} digits")
PHONE_MAX_DIGITS = 31
PHONE = Rule("phone number", rf"\+?[0-9]{{2,{PHONE_MAX_DIGITS}}}",
             f"2-{PHONE_MAX_DIGITS} digits with an optional leading +")
DIAL = Rule("number", rf"\+?[0-9*#]{{2,{PHONE_MAX_DIGITS}}}",
            f"2-{PHONE_MAX_DIGITS} digits, * or # with an optional leading +")
DTMF_KEYS = "0123456789*#"
DTMF_KEY = Rule("DTMF key", "[0-9*#]", "0-9, * or #")
DTMF_DIGITS = Rule("DTMF digits", "[0-9*#A-D]{1,32}", "1-32 DTMF keys (0-9, *, #, A-D)")

# The rule rides along in the metadata (pydantic ignores it) so that a caller can name it.
ExtensionNumber = Annotated[str, EXTENSION.field(), EXTENSION]
PhoneNumber = Annotated[str, PHONE.field(), PHONE]
DialString = Annotated[str, DIAL.field(), DIAL]
DtmfKey = Annotated[str, DTMF_KEY.field(), DTMF_KEY]
DtmfDigits = Annotated[str, DTMF_DIGITS.field(), DTMF_DIGITS]
