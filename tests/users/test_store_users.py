"""Users, argon2 passwords, bearer tokens (hashed at rest, expiring, revocable)."""

from __future__ import annotations

import hashlib
import time

import pytest
from argon2 import PasswordHasher

from kefu.store import Conflict, Invalid, NotFound, Store, User


def test_create_and_authenticate(store: Store) -> None:
    user = store.create_user("alice", "correct horse", "supervisor", "Alice A")
    assert isinstance(user, User) and user.role == "supervisor" and user.display_name == "Alice A"
    assert store.authenticate("alice", "correct horse") == user
    assert store.authenticate("alice", "wrong horse") is None
    assert store.authenticate("nobody", "correct horse") is None
    with store._engine.connect() as conn:
        stored = conn.exec_driver_sql("SELECT password_hash FROM users").scalar()
    assert stored.startswith("$argon2id$") and "correct horse" not in stored


def test_duplicate_user_is_conflict(store: Store) -> None:
    store.create_user("alice", "password1", "admin")
    with pytest.raises(Conflict):
        store.create_user("alice", "password2", "agent")


@pytest.mark.parametrize("username,password,role", [
    ("bob", "password1", "root"), ("", "password1", "admin"), (" bob", "password1", "admin"),
    ("bob", "short", "admin"), ("b" * 65, "password1", "admin"),
])
def test_create_user_rejects_bad_input(store: Store, username: str, password: str,
                                       role: str) -> None:
    with pytest.raises(Invalid):
        store.create_user(username, password, role)
    assert store.list_users() == []


def test_list_and_get_users(store: Store) -> None:
    b = store.create_user("bob", "password1", "agent")
    a = store.create_user("alice", "password1", "qa")
    assert store.list_users() == [a, b]
    assert store.get_user(b.id) == b
    assert store.get_user(9999) is None


def test_authenticate_rehashes_outdated_hash(db_url: str, fast_hasher: PasswordHasher) -> None:
    weak = Store(db_url, hasher=fast_hasher)
    weak.migrate()
    weak.create_user("alice", "password1", "admin")
    weak.close()
    stronger = PasswordHasher(time_cost=2, memory_cost=16, parallelism=1)
    s = Store(db_url, hasher=stronger)
    assert s.authenticate("alice", "password1") is not None
    with s._engine.connect() as conn:
        new_hash = conn.exec_driver_sql("SELECT password_hash FROM users").scalar()
    assert not stronger.check_needs_rehash(new_hash)
    assert s.authenticate("alice", "password1") is not None
    s.close()


def test_token_roundtrip_and_revoke(store: Store) -> None:
    user = store.create_user("alice", "password1", "admin")
    token = store.issue_token(user.id)
    assert len(token) >= 40
    assert store.user_for_token(token) == user
    assert store.user_for_token(token + "x") is None
    with store._engine.connect() as conn:
        row = conn.exec_driver_sql("SELECT token_sha256, expires_at FROM api_tokens").one()
    assert row[0] == hashlib.sha256(token.encode()).hexdigest()
    assert abs(row[1] - (time.time() + 12 * 3600)) < 60
    assert store.revoke_token(token) is True
    assert store.revoke_token(token) is False
    assert store.user_for_token(token) is None


def test_token_expiry_and_purge(store: Store) -> None:
    user = store.create_user("alice", "password1", "admin")
    old = store.issue_token(user.id, ttl_s=10, now=time.time() - 20)
    assert store.user_for_token(old) is None
    fresh = store.issue_token(user.id, ttl_s=60)   # purges the expired one
    assert store.user_for_token(fresh) == user
    assert store.user_for_token(fresh, now=time.time() + 61) is None
    with store._engine.connect() as conn:
        assert conn.exec_driver_sql("SELECT count(*) FROM api_tokens").scalar() == 1


def test_issue_token_errors(store: Store) -> None:
    with pytest.raises(NotFound):
        store.issue_token(12345)
    user = store.create_user("alice", "password1", "admin")
    with pytest.raises(Invalid):
        store.issue_token(user.id, ttl_s=0)
