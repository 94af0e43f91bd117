"""The one check of a customer's writable data, used by create, update and import: each
given part is checked and brought to its kept form (numbers in the one spelling, e-mails
lower-cased, tags trimmed, custom values of their field's kind)."""

from __future__ import annotations

import re
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

from kefu.store.checks import MAX_DISPLAY_NAME, MAX_USERNAME, check_choice, check_text
from kefu.store.errors import Invalid

from .fields import check_date, check_values
from .phones import Phone
from .records import MAX_NOTES, NUMBER_LABELS, FieldDef

MAX_NUMBERS = 20
MAX_EMAILS = 20
MAX_TAGS = 50
MAX_TAG = 64
MAX_EMAIL = 254
MAX_ADDRESS = 500
_EMAIL = re.compile(r"[^@\s]+@[^@\s]+\.[^@\s.]+")
TEXT = {"name": MAX_DISPLAY_NAME, "company": MAX_DISPLAY_NAME, "tier": 32,
        "owner": MAX_USERNAME, "notes": MAX_NOTES, "address": MAX_ADDRESS}
KEYS = (*TEXT, "birthday", "number", "numbers", "emails", "tags", "fields")


@dataclass
class CustomerData:
    """The checked parts that were given (None: not given, left as it is)."""

    columns: dict[str, Any] = field(default_factory=dict)   # name, company, … birthday
    main: Phone | None = None                               # the old ``number`` field
    phones: list[tuple[Phone, str]] | None = None           # (number, label), main first
    emails: list[str] | None = None
    tags: list[str] | None = None
    fields: dict[str, Any] | None = None


def _list(name: str, value: object, limit: int) -> Sequence[object]:
    if isinstance(value, str) or not isinstance(value, Sequence) or len(value) > limit:
        raise Invalid(f"{name} must be a list of at most {limit}")
    return value


def check_email(value: object) -> str:
    if not isinstance(value, str) or len(value.strip()) > MAX_EMAIL \
            or not _EMAIL.fullmatch(value.strip()):
        raise Invalid(f"{value!r} is not an e-mail address")
    return value.strip().lower()


def check_customer(raw: Mapping[str, object], phone: Callable[[object], Phone],
                   defs: Sequence[FieldDef], *, creating: bool) -> CustomerData:
    """``raw``'s parts checked; :class:`Invalid` names the first bad one.  ``phone``
    reads a number (the CRM's region); ``defs``: the custom fields."""
    if unknown := sorted(set(raw) - set(KEYS)):
        raise Invalid(f"unknown customer field {unknown[0]!r}")
    data = CustomerData()
    for key, limit in TEXT.items():
        if key in raw:
            check_text(key, raw[key], limit)
            data.columns[key] = raw[key]
    tier = data.columns.get("tier")
    if isinstance(tier, str) and tier.strip() != tier:
        raise Invalid("tier must not have outer spaces")
    if "birthday" in raw:
        birthday = raw["birthday"]
        data.columns["birthday"] = None if birthday in (None, "") else \
            check_date("birthday", birthday)
    if raw.get("number") is not None:
        data.main = phone(raw["number"])
    if raw.get("numbers") is not None:
        data.phones = []
        for entry in _list("numbers", raw["numbers"], MAX_NUMBERS):
            number, label = (entry.get("number"), entry.get("label", "")) \
                if isinstance(entry, Mapping) else (entry, "")
            check_choice("label", label, NUMBER_LABELS)
            data.phones.append((phone(number), str(label)))
    if raw.get("emails") is not None:
        data.emails = list(dict.fromkeys(
            check_email(e) for e in _list("emails", raw["emails"], MAX_EMAILS)))
    if raw.get("tags") is not None:
        tags = []
        for given in _list("tags", raw["tags"], MAX_TAGS):
            check_text("a tag", given, MAX_TAG + 1000, required=True)
            tag = str(given).strip()
            if len(tag) > MAX_TAG:
                raise Invalid(f"a tag must be at most {MAX_TAG} characters")
            tags.append(tag)
        data.tags = list(dict.fromkeys(tags))
    if raw.get("fields") is not None or creating:
        data.fields = check_values(defs, raw.get("fields") or {}, creating=creating)
    if creating:
        check_identity(data)
    return data


def check_identity(data: CustomerData) -> None:
    """A new customer has a name or a number: a blank one is nobody to find again."""
    if not str(data.columns.get("name", "")).strip() and data.main is None and not data.phones:
        raise Invalid("a customer needs a name or a number")


def numbers_of(data: CustomerData, kept: Sequence[tuple[Phone, str]]) -> list[tuple[Phone, str]] | None:
    """The numbers to keep after ``data`` (None: unchanged): ``numbers`` replaces the
    list, ``number`` becomes the main one (the rest of the list, or of ``kept``, after it)."""
    if data.main is None:
        return data.phones
    rest = data.phones if data.phones is not None else list(kept)[1:]
    label = next((lb for p, lb in list(kept) + rest if p.number == data.main.number), "")
    return [(data.main, label)] + [(p, lb) for p, lb in rest if p.number != data.main.number]
