"""The switch keeps the calls protocol: every verb the ACD, call control and the web API
use exists on :class:`Switch` with the same parameters (names, kinds, defaults), and the
stand-in the in-process tests use keeps it too.  (mypy checks the same where ``app.py``
hands the switch over as ``Calls`` and ``Switchboard``.)"""

from __future__ import annotations

import inspect

import pytest
from fake_switch import FakeSwitch

from kefu.calls.protocol import Calls, Switchboard
from kefu.calls.switch import Switch


def members(protocol: type) -> dict[str, object]:
    """The protocol's own members and its bases', as declared (no object/Protocol ones)."""
    found: dict[str, object] = {}
    for klass in reversed(protocol.__mro__):
        if klass in (object,) or klass.__module__ == "typing":
            continue
        for name, value in vars(klass).items():
            if not name.startswith("_"):
                found[name] = value
    return found


def params(fn: object) -> list[tuple[str, object, object]]:
    sig = inspect.signature(fn)  # type: ignore[arg-type]
    return [(p.name, p.kind, p.default) for p in sig.parameters.values() if p.name != "self"]


def check(klass: type, protocol: type, attributes: set[str]) -> list[str]:
    """What ``klass`` lacks or declares differently; ``attributes``: names it sets in
    ``__init__`` (data, not methods)."""
    wrong = []
    for name, declared in members(protocol).items():
        if isinstance(declared, property):
            if name not in attributes and not hasattr(klass, name):
                wrong.append(f"{name}: missing")
            continue
        mine = getattr(klass, name, None)
        if mine is None:
            wrong.append(f"{name}: missing")
        elif inspect.iscoroutinefunction(declared) != inspect.iscoroutinefunction(mine):
            wrong.append(f"{name}: async differs")
        elif params(declared) != params(mine):
            wrong.append(f"{name}: {inspect.signature(mine)} is not "
                         f"{inspect.signature(declared)}")  # type: ignore[arg-type]
    return wrong


SWITCH_DATA = {"calls", "lines", "media", "conferences", "destinations"}


@pytest.mark.parametrize("protocol", [Calls, Switchboard])
def test_the_switch_keeps_the_protocol(protocol: type) -> None:
    assert check(Switch, protocol, SWITCH_DATA) == []


def test_the_check_sees_a_missing_or_changed_verb() -> None:
    class Short:
        def remix(self, call, extra) -> None: ...           # one parameter too many

    wrong = check(Short, Calls, set())
    assert [w for w in wrong if w.startswith("remix:")] == [
        "remix: (self, call, extra) -> 'None' is not (self, call: 'Call') -> 'None'"]
    assert "reach: missing" in wrong and "calls: missing" in wrong


def test_the_fake_switch_keeps_the_protocol() -> None:
    assert check(FakeSwitch, Switchboard, SWITCH_DATA) == []
