"""Which extensions an agent may use: set by admins, all or nothing, gone with either side."""

from __future__ import annotations

import pytest

from kefu.store import Conflict, Invalid, NotFound, Store
from kefu.users.service import Users


@pytest.fixture
def exts(store: Store, users: Users) -> Users:
    """The users service, with extensions 1001-1003 in the store."""
    for number in ("1001", "1002", "1003"):
        store.create_extension(number, "secret-pw", "", "kefu")
    return users


def test_create_agent_with_extensions(exts: Users) -> None:
    exts.create_user("alice", "password1", "agent", extensions=["1002", "1001", "1002"])
    assert exts.user_extensions("alice") == ["1001", "1002"]
    exts.create_user("bob", "password1", "agent")
    assert exts.user_extensions("bob") == []
    assert exts.extension_bindings() == {"alice": ["1001", "1002"]}


@pytest.mark.parametrize("role,extensions", [
    ("agent", ["1009"]), ("agent", ["1001", "12a"]), ("agent", "1001"),
    ("qa", ["1001"]),                                    # takes no calls
])
def test_create_with_bad_bindings_creates_nothing(exts: Users, role: str,
                                                  extensions: object) -> None:
    with pytest.raises(Invalid):
        exts.create_user("alice", "password1", role, extensions=extensions)  # type: ignore[arg-type]
    assert exts.list_users() == []


def test_set_replaces_and_checks(exts: Users) -> None:
    exts.create_user("alice", "password1", "agent", extensions=["1001"])
    assert exts.set_user_extensions("alice", ["1003", "1002"]) == ["1002", "1003"]
    assert exts.user_extensions("alice") == ["1002", "1003"]
    with pytest.raises(Invalid, match="1009"):
        exts.set_user_extensions("alice", ["1001", "1009"])
    assert exts.user_extensions("alice") == ["1002", "1003"]      # unchanged
    assert exts.set_user_extensions("alice", []) == []
    with pytest.raises(NotFound):
        exts.set_user_extensions("ghost", ["1001"])
    with pytest.raises(NotFound):
        exts.user_extensions("ghost")
    exts.create_user("sue", "password1", "supervisor")      # her own (the wallboard's line)
    assert exts.set_user_extensions("sue", ["1001"]) == ["1001"]
    exts.create_user("quinn", "password1", "qa")
    with pytest.raises(Invalid, match="takes no calls"):
        exts.set_user_extensions("quinn", ["1001"])


def test_duplicate_user_still_conflict(exts: Users) -> None:
    exts.create_user("alice", "password1", "agent", extensions=["1001"])
    with pytest.raises(Conflict):
        exts.create_user("alice", "password1", "agent", extensions=["1002"])
    assert exts.user_extensions("alice") == ["1001"]


def test_deleting_the_extension_drops_the_binding(exts: Users, store: Store) -> None:
    exts.create_user("alice", "password1", "agent", extensions=["1001", "1002"])
    assert store.delete_extension("1001")
    assert exts.user_extensions("alice") == ["1002"]
