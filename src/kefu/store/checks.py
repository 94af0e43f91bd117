"""Argument rules shared by the store and the business slices: one rule in one place.

Each raises :class:`~kefu.store.errors.Invalid` with the reason; callers check before they
open a transaction, so a bad argument writes nothing.
"""

from __future__ import annotations

from typing import Sequence

from kefu.values import EXTENSION

from .errors import Invalid

MAX_USERNAME = 64
MAX_DISPLAY_NAME = 128


def check_number(number: str) -> None:
    """An extension number (``kefu.values.EXTENSION``, as config and the API check it)."""
    if not EXTENSION.is_valid(number):
        raise Invalid(f"{EXTENSION.name} {EXTENSION.problem(number)}")


def check_display_name(name: str) -> None:
    if not isinstance(name, str) or len(name) > MAX_DISPLAY_NAME:
        raise Invalid(f"display name must be a string of at most {MAX_DISPLAY_NAME} characters")


def check_text(field: str, value: object, max_len: int, *, required: bool = False) -> None:
    if not isinstance(value, str) or len(value) > max_len or (required and not value.strip()):
        raise Invalid(f"{field} must be a {'non-blank ' if required else ''}string of at "
                      f"most {max_len} characters")


def check_choice(field: str, value: object, choices: tuple[str, ...]) -> None:
    if value not in choices:
        raise Invalid(f"{field} must be one of {', '.join(choices)}, got {value!r}")


def check_names(field: str, names: object, limit: int, max_len: int) -> list[str]:
    """``names`` as a list without duplicates (order kept), or Invalid: a string would
    otherwise be taken one character at a time."""
    if isinstance(names, str) or not isinstance(names, Sequence) or len(names) > limit:
        raise Invalid(f"{field} must be a list of at most {limit} names")
    for name in names:
        check_text(f"{field} entry", name, max_len, required=True)
    return list(dict.fromkeys(names))
