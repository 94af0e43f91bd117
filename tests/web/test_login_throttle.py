"""Login throttling logic (kefu.web.throttle) on a fake clock."""

from __future__ import annotations

import pytest

from kefu.web.throttle import BASE_DELAY, FREE_TRIES, LoginThrottle, retry_after


class Clock:
    def __init__(self) -> None:
        self.now = 1000.0

    def __call__(self) -> float:
        return self.now


@pytest.fixture
def clock() -> Clock:
    return Clock()


def fail(t: LoginThrottle, user: str = "admin", addr: str = "10.0.0.1") -> None:
    assert t.begin(user, addr) is None
    t.end(user, addr, ok=False)


def test_delays_grow_then_lock_out(clock: Clock) -> None:
    t = LoginThrottle(limit=8, address_limit=100, lockout=600, clock=clock)
    for _ in range(FREE_TRIES):
        fail(t)                          # the first tries are free
    for k in range(FREE_TRIES, 8):
        delay = BASE_DELAY * 2 ** (k - FREE_TRIES)
        clock.now += delay - 0.01
        assert t.begin("admin", "10.0.0.1") == pytest.approx(0.01), k   # refused
        clock.now += 0.01
        fail(t)
    assert [e["type"] for e in t.events()][:2] == ["lockout", "failed"]
    assert t.begin("admin", "10.0.0.1") == pytest.approx(600)
    assert t.begin("admin", "10.9.9.9") == pytest.approx(600)   # the name, from anywhere
    assert t.begin("bob", "10.0.0.1") is None     # the address is below its own free tries
    t.end("bob", "10.0.0.1", ok=True)
    clock.now += 600
    assert t.begin("admin", "10.0.0.1") is None                 # served: a fresh start
    t.end("admin", "10.0.0.1", ok=False)
    assert t.begin("admin", "10.0.0.1") is None


def test_success_resets_the_name_not_the_address(clock: Clock) -> None:
    t = LoginThrottle(limit=10, address_limit=8, lockout=60, clock=clock)
    for _ in range(FREE_TRIES):
        fail(t, "eve", "10.6.6.6")
    assert t.begin("eve", "10.6.6.6") == pytest.approx(BASE_DELAY)
    clock.now += BASE_DELAY
    assert t.begin("eve", "10.6.6.6") is None
    t.end("eve", "10.6.6.6", ok=True)                # eve's own account
    assert [e for e in t.status() if e["kind"] == "username"] == []
    fail(t, "admin", "10.6.6.6")                     # 4 = the address's free tries (8 / 2)
    assert t.begin("admin", "10.6.6.6") == pytest.approx(BASE_DELAY)  # the address waits
    for name in ("bob", "carol", "dan", "eli"):      # one guess per name: 8 from there
        clock.now += 10
        fail(t, name, "10.6.6.6")
    wait = t.begin("fay", "10.6.6.6")
    assert wait == pytest.approx(60)                 # any name from there: locked out
    assert t.begin("fay", "10.7.7.7") is None


def test_parallel_tries_cannot_exceed_the_budget(clock: Clock) -> None:
    t = LoginThrottle(limit=5, address_limit=100, lockout=60, clock=clock)
    started = [t.begin("admin", f"10.0.0.{i}") is None for i in range(20)]
    assert sum(started) == 5                          # the rest: 429 without argon2
    for i in range(5):
        t.end("admin", f"10.0.0.{i}", ok=False)
    assert t.begin("admin", "10.0.0.99") == pytest.approx(60)


def test_once_delayed_one_try_at_a_time(clock: Clock) -> None:
    t = LoginThrottle(limit=10, address_limit=100, lockout=60, clock=clock)
    for _ in range(FREE_TRIES):
        fail(t)
    clock.now += BASE_DELAY
    assert t.begin("admin", "10.0.0.1") is None
    assert t.begin("admin", "10.0.0.2") == BASE_DELAY   # the first is still being checked


def test_unchecked_try_counts_neither_way(clock: Clock) -> None:
    t = LoginThrottle(limit=2, address_limit=100, lockout=60, clock=clock)
    for _ in range(5):
        assert t.begin("admin", "10.0.0.1") is None
        t.end("admin", "10.0.0.1", ok=None)            # e.g. the database was down
    fail(t)
    assert t.begin("admin", "10.0.0.1") is None


def test_failures_are_forgotten_after_a_quiet_lockout_period(clock: Clock) -> None:
    t = LoginThrottle(limit=10, address_limit=100, lockout=60, clock=clock)
    for _ in range(FREE_TRIES + 1):
        clock.now += 5
        fail(t)
    clock.now += 60
    assert t.status() == []
    for _ in range(FREE_TRIES):
        fail(t)                                          # free again


def test_admin_lifts_a_lockout(clock: Clock) -> None:
    t = LoginThrottle(limit=3, address_limit=100, lockout=600, clock=clock)
    for _ in range(3):
        fail(t)
    entry = next(e for e in t.status() if e["kind"] == "username")
    assert entry["failures"] == 3 and entry["retry_after"] == 600
    assert entry["locked_until"] == pytest.approx(1600)
    assert t.lift("username", "admin", by="root")
    assert not t.lift("username", "admin")
    assert t.begin("admin", "10.0.0.2") is None
    assert t.events()[0]["type"] == "unlock" and t.events()[0]["by"] == "root"


def test_retry_after_is_whole_seconds() -> None:
    assert retry_after(0.01) == 1 and retry_after(1.2) == 2 and retry_after(0) == 0
