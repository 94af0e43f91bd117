"""Inspectors' phone access: set, clear, check, the lockout after wrong PINs (a fake
clock), on SQLite and PostgreSQL; the admin routes; the phone's search (agent by
username or extension, in time order, only playable recordings)."""

from __future__ import annotations

import pytest
from argon2 import PasswordHasher

from kefu.recordings import inspectors as insp
from kefu.recordings.listen import PhoneListen, agent_of
from kefu.recordings.service import Inspectors, Recording, Recordings
from kefu.store import Store
from kefu.store.errors import Conflict, Invalid, NotFound
from kefu.users.service import Users


class Clock:
    def __init__(self) -> None:
        self.now = 1_000_000.0

    def __call__(self) -> float:
        return self.now


@pytest.fixture
def clock() -> Clock:
    return Clock()


@pytest.fixture
def inspectors(store: Store, users: Users, fast_hasher: PasswordHasher,
               clock: Clock) -> Inspectors:
    users.create_user("quinn", "password1", "qa")
    users.create_user("ann", "password1", "agent")
    return Inspectors(store.db, users, hasher=fast_hasher, clock=clock)


def test_set_check_and_clear(inspectors: Inspectors) -> None:
    got = inspectors.set("quinn", "1234", "5678")
    assert (got.username, got.code) == ("quinn", "1234")
    assert inspectors.check("1234", "5678", "1001") == "quinn"
    assert inspectors.check("1234", "5679", "1001") is None
    assert inspectors.check("9999", "5678", "1001") is None
    inspectors.set("quinn", "4321", "8765")          # changed: the old ones open nothing
    assert inspectors.check("1234", "5678") is None
    assert inspectors.check("4321", "8765") == "quinn"
    inspectors.clear("quinn")
    assert inspectors.check("4321", "8765") is None and inspectors.get("quinn") is None
    with pytest.raises(NotFound):
        inspectors.clear("quinn")


def test_the_pin_is_kept_only_as_a_hash(inspectors: Inspectors, store: Store) -> None:
    inspectors.set("quinn", "1234", "5678")
    from sqlalchemy import text
    with store.db.tx(write=False) as s:
        stored = s.execute(text("SELECT pin_hash FROM recording_inspectors")).scalar_one()
    assert stored.startswith("$argon2") and "5678" not in stored


@pytest.mark.parametrize("user,code,pin,error", [
    ("quinn", "1", "5678", Invalid), ("quinn", "12a4", "5678", Invalid),
    ("quinn", "1234", "567", Invalid), ("quinn", "1234", "", Invalid),
    ("ann", "1234", "5678", Invalid), ("nobody", "1234", "5678", NotFound)])
def test_bad_access_is_refused(inspectors: Inspectors, user: str, code: str, pin: str,
                               error: type[Exception]) -> None:
    with pytest.raises(error):
        inspectors.set(user, code, pin)
    assert inspectors.get(user) is None


def test_a_code_is_one_inspectors(inspectors: Inspectors, users: Users) -> None:
    users.create_user("sue", "password1", "supervisor")
    inspectors.set("quinn", "1234", "5678")
    with pytest.raises(Conflict):
        inspectors.set("sue", "1234", "0000")


def test_three_wrong_pins_lock_the_code_for_a_while(inspectors: Inspectors,
                                                    clock: Clock) -> None:
    inspectors.set("quinn", "1234", "5678")
    for _ in range(insp.LOCK_AFTER):
        assert inspectors.check("1234", "0000", "1001") is None
    assert inspectors.locked("1234")
    assert inspectors.check("1234", "5678", "1002") is None     # even the right PIN
    clock.now += insp.LOCK_SECONDS - 1
    assert inspectors.check("1234", "5678", "1002") is None
    clock.now += 2
    assert inspectors.check("1234", "5678", "1002") == "quinn"


def test_a_phone_guessing_codes_is_locked(inspectors: Inspectors, clock: Clock) -> None:
    inspectors.set("quinn", "1234", "5678")
    for code in ("1111", "2222", "3333"):
        assert inspectors.check(code, "5678", "1009") is None
    assert inspectors.check("1234", "5678", "1009") is None     # that phone: locked
    assert inspectors.check("1234", "5678", "1001") == "quinn"  # another: not
    clock.now += insp.LOCK_SECONDS + 1
    assert inspectors.check("1234", "5678", "1009") == "quinn"


def test_a_right_pin_resets_the_count(inspectors: Inspectors) -> None:
    inspectors.set("quinn", "1234", "5678")
    for _ in range(insp.LOCK_AFTER - 1):
        inspectors.check("1234", "0000")
    assert inspectors.check("1234", "5678") == "quinn"
    for _ in range(insp.LOCK_AFTER - 1):
        inspectors.check("1234", "0000")
    assert not inspectors.locked("1234")


def test_a_demoted_inspector_is_refused(inspectors: Inspectors, users: Users,
                                        store: Store) -> None:
    inspectors.set("quinn", "1234", "5678")
    from sqlalchemy import text
    with store.db.tx() as s:
        s.execute(text("UPDATE users SET role = 'agent' WHERE username = 'quinn'"))
    assert inspectors.check("1234", "5678") is None


# ---- what the phone finds ---------------------------------------------------------------

def _rec(call_id: str, agent: str, started_at: float, state: str = "done") -> Recording:
    return Recording(id=0, call_id=call_id, segment=1, journey=call_id, caller="138",
                     callee="800", started_at=started_at, duration=5.0, agent=agent,
                     queue=None, customer_id=None, direction="inbound", disposition=None,
                     policy="all", tier="live", path=f"/rec/{call_id}.wav", codec="wav",
                     size=None, sha256=None, state=state)


def test_the_phone_search(store: Store, users: Users, fast_hasher: PasswordHasher) -> None:
    users.create_user("ann", "password1", "agent")
    recordings = Recordings(store.db, users=users, hasher=fast_hasher)
    for call_id, agent, at, state in [("c3", "ann", 3000.0, "done"),
                                      ("c1", "ann", 1000.0, "interrupted"),
                                      ("c2", "ann", 2000.0, "deleted"),
                                      ("c4", "ann", 4000.0, "done"),
                                      ("c5", "bob", 1500.0, "done")]:
        recordings.save(_rec(call_id, agent, at, state))

    class Nobody:
        def subscribe(self, *a: object, **k: object) -> None:
            return None

    async def voice(text: str, lang: str) -> list:
        return []

    listen = PhoneListen(None, Nobody(), recordings, recordings.inspectors,  # type: ignore[arg-type]
                         voice, users=users)
    clips = listen.search("quinn", "ann", 0.0, 4000.0)    # [since, until): c4 is out
    assert [c.path for c in clips] == ["/rec/c1.wav", "/rec/c3.wav"]
    assert listen.search("quinn", "bob", 0.0, 9999.0)[0].path == "/rec/c5.wav"
    listen.access = lambda inspector: ("bob",)            # the access rule, when it comes
    assert listen.search("quinn", "ann", 0.0, 9999.0) == ()


def test_the_agent_keyed_by_username_or_extension(store: Store, users: Users) -> None:
    from kefu.config import ExtensionConfig
    store.seed_extensions([ExtensionConfig(number="1001", password="secret-1001")], "kefu")
    users.create_user("ann", "password1", "agent", extensions=["1001"])
    users.create_user("2002", "password1", "agent")
    assert agent_of(users, "1001") == "ann"
    assert agent_of(users, "2002") == "2002"
    assert agent_of(users, "3003") == "3003"


# ---- the admin routes -------------------------------------------------------------------

def test_admins_set_and_clear_phone_access(api) -> None:  # type: ignore[no-untyped-def]
    url = "/api/v1/recordings/inspectors/qa"
    for role in ("qa", "supervisor", "agent"):
        assert api.client.put(url, json={"code": "1234", "pin": "5678"},
                              headers=api.as_(role)).status_code == 403
        assert api.client.delete(url, headers=api.as_(role)).status_code == 403
    r = api.client.put(url, json={"code": "1234", "pin": "5678"}, headers=api.as_("admin"))
    assert r.status_code == 200, r.text
    assert r.json()["code"] == "1234" and "pin" not in r.json()
    assert api.ctx.recordings.inspectors.check("1234", "5678") == "qa"
    assert api.client.get(url, headers=api.as_("admin")).json()["username"] == "qa"
    bad = api.client.put(url, json={"code": "12", "pin": "56"}, headers=api.as_("admin"))
    assert bad.status_code == 422 and "pin" in bad.text
    agent = api.client.put("/api/v1/recordings/inspectors/agent",
                           json={"code": "1111", "pin": "5678"}, headers=api.as_("admin"))
    assert agent.status_code == 422
    taken = api.client.put("/api/v1/recordings/inspectors/supervisor",
                           json={"code": "1234", "pin": "5678"}, headers=api.as_("admin"))
    assert taken.status_code == 409
    assert api.client.put("/api/v1/recordings/inspectors/ghost", json={"code": "1", "pin": "1"},
                          headers=api.as_("admin")).status_code == 422
    assert api.client.put("/api/v1/recordings/inspectors/ghost",
                          json={"code": "4444", "pin": "5678"},
                          headers=api.as_("admin")).status_code == 404
    assert api.client.delete(url, headers=api.as_("admin")).status_code == 204
    assert api.client.delete(url, headers=api.as_("admin")).status_code == 404
    assert api.client.get(url, headers=api.as_("admin")).status_code == 404
