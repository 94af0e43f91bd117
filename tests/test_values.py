"""kefu.values: each rule once, the same verdict for config, store and API."""

from __future__ import annotations

import pytest
from pydantic import TypeAdapter, ValidationError

from kefu.values import (DIAL, DTMF_DIGITS, DTMF_KEY, EXTENSION, PHONE, DialString,
                         DtmfDigits, DtmfKey, ExtensionNumber, PhoneNumber, Rule)

CASES = [
    (EXTENSION, ExtensionNumber, ["10", "1001", "0123456789"], ["1", "12345678901", "10a", "+1001",
                                                                 "１００１", ""]),
    (PHONE, PhoneNumber, ["+8613800138000", "00", "8" * 31, "+" + "8" * 31],
     ["8", "8" * 32, "+", "*81001", "800 123", "٣٣٣"]),
    (DIAL, DialString, ["1001", "*81001", "#1", "+4930", "+" + "9" * 31], ["1", "10+1", "abc"]),
    (DTMF_KEY, DtmfKey, list("0123456789*#"), ["", "A", "12"]),
    (DTMF_DIGITS, DtmfDigits, ["1", "12#*AD", "1" * 32], ["", "E", "1" * 33]),
]


@pytest.mark.parametrize("rule, annotated, good, bad", CASES)
def test_plain_check_and_pydantic_type_agree(rule: Rule, annotated: object, good: list[str],
                                             bad: list[str]) -> None:
    adapter = TypeAdapter(annotated)
    for value in good:
        assert rule.is_valid(value) and rule.check(value) == value
        assert adapter.validate_python(value) == value
    for value in bad:
        assert not rule.is_valid(value), value
        with pytest.raises(ValueError, match=f"^{rule.name} must be "):
            rule.check(value)
        with pytest.raises(ValidationError):
            adapter.validate_python(value)


def test_non_strings_are_refused() -> None:
    assert not EXTENSION.is_valid(1001) and not PHONE.is_valid(None)


def test_messages_say_what_is_allowed() -> None:
    with pytest.raises(ValueError, match=r"^extension number must be 2-10 digits, got '1'$"):
        EXTENSION.check("1")
    with pytest.raises(ValueError, match=r"phone number must be 2-31 digits with an optional "
                                         r"leading \+, got '8'"):
        PHONE.check("8")
