"""Users, argon2 passwords, bearer tokens (hashed at rest, expiring, revocable)."""

from __future__ import annotations

import hashlib
import time

import pytest
from argon2 import PasswordHasher

from kefu.config import UsersSettings
from kefu.store import Conflict, Invalid, NotFound, Store
from kefu.users.service import User, Users


def test_create_and_authenticate(store: Store, users: Users) -> None:
    user = users.create_user("alice", "correct horse", "supervisor", "Alice A")
    assert isinstance(user, User) and user.role == "supervisor" and user.display_name == "Alice A"
    assert users.authenticate("alice", "correct horse") == user
    assert users.authenticate("alice", "wrong horse") is None
    assert users.authenticate("nobody", "correct horse") is None
    with store._engine.connect() as conn:
        stored = conn.exec_driver_sql("SELECT password_hash FROM users").scalar()
    assert stored.startswith("$argon2id$") and "correct horse" not in stored


def test_duplicate_user_is_conflict(users: Users) -> None:
    users.create_user("alice", "password1", "admin")
    with pytest.raises(Conflict):
        users.create_user("alice", "password2", "agent")


@pytest.mark.parametrize("username,password,role", [
    ("bob", "password1", "root"), ("", "password1", "admin"), (" bob", "password1", "admin"),
    ("bob", "short", "admin"), ("b" * 65, "password1", "admin"),
])
def test_create_user_rejects_bad_input(users: Users, username: str, password: str,
                                       role: str) -> None:
    with pytest.raises(Invalid):
        users.create_user(username, password, role)
    assert users.list_users() == []


def test_list_and_get_users(users: Users) -> None:
    b = users.create_user("bob", "password1", "agent")
    a = users.create_user("alice", "password1", "qa")
    assert users.list_users() == [a, b]
    assert users.get_user(b.id) == b
    assert users.get_user(9999) is None


def test_authenticate_rehashes_outdated_hash(db_url: str, fast_hasher: PasswordHasher) -> None:
    weak = Store(db_url)
    weak.migrate()
    Users(weak.db, hasher=fast_hasher).create_user("alice", "password1", "admin")
    weak.close()
    stronger = PasswordHasher(time_cost=2, memory_cost=16, parallelism=1)
    s = Store(db_url)
    users = Users(s.db, hasher=stronger)
    assert users.authenticate("alice", "password1") is not None
    with s._engine.connect() as conn:
        new_hash = conn.exec_driver_sql("SELECT password_hash FROM users").scalar()
    assert not stronger.check_needs_rehash(new_hash)
    assert users.authenticate("alice", "password1") is not None
    s.close()


def test_token_roundtrip_and_revoke(store: Store, users: Users) -> None:
    user = users.create_user("alice", "password1", "admin")
    token = users.issue_token(user.id)
    assert len(token) >= 40
    assert users.user_for_token(token) == user
    assert users.user_for_token(token + "x") is None
    with store._engine.connect() as conn:
        row = conn.exec_driver_sql("SELECT token_sha256, expires_at FROM api_tokens").one()
    assert row[0] == hashlib.sha256(token.encode()).hexdigest()
    assert abs(row[1] - (time.time() + 12 * 3600)) < 60
    assert users.revoke_token(token) is True
    assert users.revoke_token(token) is False
    assert users.user_for_token(token) is None


def test_token_expiry_and_purge(store: Store, users: Users) -> None:
    user = users.create_user("alice", "password1", "admin")
    old = users.issue_token(user.id, ttl_s=10, now=time.time() - 20)
    assert users.user_for_token(old) is None
    fresh = users.issue_token(user.id, ttl_s=60)   # purges the expired one
    assert users.user_for_token(fresh) == user
    assert users.user_for_token(fresh, now=time.time() + 61) is None
    with store._engine.connect() as conn:
        assert conn.exec_driver_sql("SELECT count(*) FROM api_tokens").scalar() == 1


def test_token_lifetime_is_the_users_section(store: Store, fast_hasher) -> None:  # type: ignore[no-untyped-def]
    users = Users(store.db, UsersSettings(token_ttl=120), hasher=fast_hasher)
    user = users.create_user("alice", "password1", "admin")
    token = users.issue_token(user.id)
    assert users.user_for_token(token, now=time.time() + 100) == user
    assert users.user_for_token(token, now=time.time() + 130) is None


def test_issue_token_errors(users: Users) -> None:
    with pytest.raises(NotFound):
        users.issue_token(12345)
    user = users.create_user("alice", "password1", "admin")
    with pytest.raises(Invalid):
        users.issue_token(user.id, ttl_s=0)


def test_update_user(store: Store, users: Users) -> None:
    u = users.create_user("wang", "first-password", "agent", "王")
    token = users.issue_token(u.id)
    assert users.update_user("wang", display_name="王芳").display_name == "王芳"
    assert users.user_for_token(token) is not None            # a new name keeps the sessions
    users.update_user("wang", password="second-password")
    assert users.user_for_token(token) is None                # a new password revokes them
    assert users.authenticate("wang", "first-password") is None
    assert users.authenticate("wang", "second-password") is not None
    with pytest.raises(Invalid):
        users.update_user("wang", password="short")
    with pytest.raises(NotFound):
        users.update_user("nobody", display_name="x")
    assert users.authenticate("wang", "second-password").display_name == "王芳"
