"""The access rule alone, and the groups kept on SQLite and PostgreSQL."""

from __future__ import annotations

import pytest

from kefu.config import RecordingsSettings
from kefu.recordings.access import Denied, Tickets, check, visible_agents
from kefu.recordings.service import Recordings
from kefu.store.errors import Invalid

from test_store_recordings import segment

MEMBERS = {"sales": {"ann", "bob"}, "support": {"cat"}}


def members(queues: object) -> set[str]:
    return set().union(*(MEMBERS.get(q, set()) for q in queues))  # type: ignore[attr-defined]


def test_the_rule_by_role() -> None:
    assert visible_agents("root", "admin", ("sales",), members, False) is None
    assert visible_agents("sue", "supervisor", (), members, False) is None
    assert visible_agents("qa1", "qa", ("sales",), members, False) == ("ann", "bob")
    assert visible_agents("ann", "agent", (), members, True) == ("ann",)
    with pytest.raises(Denied, match="does not let agents"):
        visible_agents("ann", "agent", (), members, False)
    with pytest.raises(Denied):
        visible_agents("x", "guest", (), members, True)
    check("ann", segment(agent="ann"), ("ann",))
    with pytest.raises(Denied, match="only their own"):
        check("ann", segment(agent="bob"), ("ann",))
    with pytest.raises(Denied, match="outside your groups"):
        check("qa1", segment(agent="cat"), ("ann", "bob"))
    with pytest.raises(Denied):
        check("qa1", segment(agent=None), ("ann", "bob"))


def test_groups_are_kept_per_user(recordings: Recordings) -> None:
    recordings.members = members
    assert recordings.scope("qa1") == ()
    assert recordings.set_scope("qa1", ["support", "sales", "sales"]) == ("sales", "support")
    assert recordings.visible_agents("qa1", "qa") == ("ann", "bob", "cat")
    recordings.set_scope("qa1", ["support"])
    assert recordings.visible_agents("qa1", "qa") == ("cat",)
    assert recordings.visible_agents("qa1", "admin") is None     # the role decides first
    with pytest.raises(Invalid):
        recordings.set_scope("qa1", ["x" * 65])
    assert recordings.scope("qa1") == ("support",)
    recordings.settings = RecordingsSettings(agents_hear_own=True)
    assert recordings.visible_agents("ann", "agent") == ("ann",)


def test_tickets_name_one_recording_and_expire() -> None:
    now = [100.0]
    tickets = Tickets(ttl=300, clock=lambda: now[0])
    signed, expires = tickets.issue(7, "qa:1")
    assert expires == 400.0 and tickets.check(signed, 7) == "qa:1"
    with pytest.raises(Denied, match="another recording"):
        tickets.check(signed, 8)
    with pytest.raises(Denied, match="not valid"):
        Tickets().check(signed, 7)                    # another process's secret
    with pytest.raises(Denied, match="not valid"):
        tickets.check("garbage", 7)
    assert tickets.first_use(signed, "play") and not tickets.first_use(signed, "play")
    assert tickets.first_use(signed, "download")
    now[0] = 401.0
    with pytest.raises(Denied, match="expired"):
        tickets.check(signed, 7)
