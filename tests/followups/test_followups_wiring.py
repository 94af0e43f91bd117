"""How the follow-ups reach the rest of kefu: the app's periodic tick, who sees their
events on the WebSocket, and the CRM merge hook as app.py registers it."""

from __future__ import annotations

import asyncio

from kefu.app import every
from kefu.bus import Event
from kefu.events import visible


class Ticks:
    def __init__(self, fail_first: bool = False) -> None:
        self.calls = 0
        self.fail_first = fail_first

    def tick(self) -> list[Event]:
        self.calls += 1
        if self.fail_first and self.calls == 1:
            raise RuntimeError("database gone for a moment")
        return []


def test_the_app_ticks_again_and_again_and_survives_a_failed_tick() -> None:
    ticks = Ticks(fail_first=True)

    async def run() -> None:
        task = asyncio.create_task(every(0.01, ticks.tick, "follow-ups: the tick"))
        for _ in range(200):
            await asyncio.sleep(0.01)
            if ticks.calls >= 3:
                break
        task.cancel()

    asyncio.run(run())
    assert ticks.calls >= 3                  # the failure was logged, not the end of it


def _event(type_: str, agent: str, **more: object) -> Event:
    data = {"id": 1, "agent": agent, "group": "sales", "state": "pending", "due_at": 1.0, **more}
    return Event(type_, None, data)


def test_who_sees_the_followup_events() -> None:
    due = _event("followup.due", "ann", number="1001")
    assert visible("agent", "ann", due) and not visible("agent", "bob", due)
    assert visible("supervisor", "sue", due) and not visible("qa", "quinn", due)
    late = _event("followup.overdue", "ann", previous="ann")
    assert visible("supervisor", "sue", late) and not visible("agent", "bob", late)
    mine = _event("followup.changed", "ann", action="started")
    assert visible("agent", "ann", mine) and not visible("agent", "bob", mine)
    groups = _event("followup.changed", "", action="created")   # a group's: its lists refresh
    assert visible("agent", "bob", groups)


def test_the_followups_section_is_read_and_checked(tmp_path) -> None:  # type: ignore[no-untyped-def]
    import pytest

    from kefu.config import ConfigError, load_settings
    path = tmp_path / "kefu.toml"
    path.write_text('[followups]\nmax_attempts = 5\nremind_before = 300\n'
                    'escalate_to = "support"\n', encoding="utf-8")
    s = load_settings(path, {})
    assert (s.followups.max_attempts, s.followups.remind_before, s.followups.overdue_after,
            s.followups.escalate_to) == (5, 300.0, 0.0, "support")
    path.write_text("[followups]\nmax_attempts = 0\n", encoding="utf-8")
    with pytest.raises(ConfigError, match="followups.max_attempts"):
        load_settings(path, {})
