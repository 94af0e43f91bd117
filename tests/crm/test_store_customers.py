"""The customers' service on SQLite and PostgreSQL: the one write check (numbers, e-mails,
tags, custom fields), search, delete, custom field definitions, duplicates, merge."""

from __future__ import annotations

import pytest
import sqlalchemy as sa

from kefu.crm.records import CustomerPhone, TimelineEntry
from kefu.crm.service import Crm
from kefu.recordings.service import Recording, Recordings
from kefu.store import Conflict, Invalid, NotFound, Store
from kefu.users.service import Users

NUMBER = "13800138000"
E164 = "+8613800138000"
OTHER = "+8613900139000"


def _count(store: Store, table: str) -> int:
    with store._engine.connect() as conn:
        return conn.execute(sa.text(f"SELECT count(*) FROM {table}")).scalar_one()


def _fields(crm: Crm) -> None:
    crm.create_field("vip_level", "VIP 等级", "choice", choices=["A", "B"], position=1)
    crm.create_field("contract", "合同号", "text", position=0)
    crm.create_field("spend", "消费", "number")
    crm.create_field("since", "开户日", "date")


# ---------------------------------------------------------------------- the write check

def test_create_with_every_part(crm: Crm, users: Users) -> None:
    users.create_user("ann", "password1", "agent")
    _fields(crm)
    c = crm.create_customer(
        name="张三", company="ACME", tier="gold", owner="ann", notes="n",
        birthday="1990-02-28", address="北京市", numbers=[
            {"number": "139-0013-9000", "label": "work"},
            {"number": "+86 138 0013 8000", "label": "mobile"}],
        emails=[" Zhang@Example.COM ", "zhang@example.com", "z2@example.cn"],
        tags=[" vip ", "vip", "回访"],
        fields={"vip_level": "A", "contract": "C-1", "spend": "12.50", "since": "2020-01-01"})
    assert c.numbers == (OTHER, E164) and c.number == OTHER
    assert c.phones == (CustomerPhone(OTHER, "", "work"), CustomerPhone(E164, "", "mobile"))
    assert c.emails == ("zhang@example.com", "z2@example.cn")
    assert set(c.tags) == {"vip", "回访"}
    assert (c.birthday, c.address) == ("1990-02-28", "北京市")
    assert c.fields == {"vip_level": "A", "contract": "C-1", "spend": 12.5,
                        "since": "2020-01-01"}
    assert crm.get_customer(c.id) == c
    # the desk's old field: the main number first, the list after it
    d = crm.create_customer("010-6552 9988 ext. 12", numbers=[NUMBER])
    assert d.phones == (CustomerPhone("+861065529988", "12", ""), CustomerPhone(E164, "", ""))


@pytest.mark.parametrize("given,named", [
    ({"fields": {"colour": "red"}}, "colour"),
    ({"fields": {"spend": "lots"}}, "spend"),
    ({"fields": {"spend": True}}, "spend"),
    ({"fields": {"since": "2020-02-30"}}, "since"),
    ({"fields": {"vip_level": "C"}}, "vip_level"),
    ({"fields": {"contract": 7}}, "contract"),
    ({"emails": ["not-an-address"]}, "e-mail"),
    ({"emails": "a@b.cn"}, "emails"),
    ({"tags": ["t" * 65]}, "tag"),
    ({"tags": ["  "]}, "tag"),
    ({"birthday": "1990-2-1"}, "birthday"),
    ({"birthday": "1990-02-30"}, "birthday"),
    ({"numbers": [{"number": NUMBER, "label": "fax"}]}, "label"),
    ({"numbers": [{"number": "abc"}]}, "abc"),
    ({"address": "a" * 501}, "address"),
    ({"owner": "nobody"}, "owner"),
    ({"nickname": "x"}, "nickname"),
    ({}, "name or a number"),
])
def test_create_refuses_bad_data(store: Store, crm: Crm, given: dict, named: str) -> None:
    _fields(crm)
    raw = {"name": "张三", **given} if given else {}
    with pytest.raises(Invalid, match=named):
        crm.create_customer(**raw)
    assert _count(store, "customers") == 0 and _count(store, "customer_numbers") == 0


def test_required_field(store: Store, crm: Crm) -> None:
    crm.create_field("contract", "合同号", "text", required=True)
    with pytest.raises(Invalid, match="contract is required"):
        crm.create_customer(name="张三")
    c = crm.create_customer(name="张三", fields={"contract": "C-1"})
    with pytest.raises(Invalid, match="contract is required"):
        crm.update_customer(c.id, fields={"contract": ""})
    assert crm.update_customer(c.id, name="李四").fields == {"contract": "C-1"}


def test_update_replaces_lists_and_merges_fields(crm: Crm) -> None:
    _fields(crm)
    c = crm.create_customer(NUMBER, name="张三", emails=["a@x.cn"], tags=["a", "b"],
                            fields={"contract": "C-1", "spend": 3})
    u = crm.update_customer(c.id, numbers=[{"number": OTHER, "label": "home"}],
                            emails=["b@x.cn"], tags=["c"],
                            fields={"spend": None, "vip_level": "B"}, birthday="2000-01-01")
    assert u.phones == (CustomerPhone(OTHER, "", "home"),)
    assert (u.emails, u.tags) == (("b@x.cn",), ("c",))
    assert u.fields == {"contract": "C-1", "vip_level": "B"} and u.birthday == "2000-01-01"
    assert crm.update_customer(c.id, birthday="").birthday is None
    with pytest.raises(Invalid, match="colour"):
        crm.update_customer(c.id, fields={"colour": 1})
    assert crm.get_customer(c.id).fields == {"contract": "C-1", "vip_level": "B"}  # type: ignore[union-attr]
    with pytest.raises(NotFound):
        crm.update_customer(c.id + 99, fields={"colour": 1})


# ---------------------------------------------------------------------- field definitions

def test_field_definitions(crm: Crm) -> None:
    _fields(crm)
    assert [d.name for d in crm.field_defs()] == ["contract", "spend", "since", "vip_level"]
    with pytest.raises(Conflict):
        crm.create_field("spend", "again", "number")
    for bad in ({"name": "Spend"}, {"name": "1x"}, {"name": "a" * 65}, {"kind": "colour"},
                {"kind": "choice"}, {"choices": ["a"]}, {"label": " "},
                {"kind": "choice", "choices": ["a", "a"]}):
        args = {"name": "ok", "label": "L", "kind": "text", **bad}
        with pytest.raises(Invalid):
            crm.create_field(args.pop("name"), args.pop("label"), args.pop("kind"), **args)
    vip = next(d for d in crm.field_defs() if d.name == "vip_level")
    changed = crm.update_field(vip.id, "vip_level", "等级", "choice", choices=["A", "B", "C"])
    assert changed.choices == ("A", "B", "C") and changed.label == "等级"
    with pytest.raises(Invalid, match="cannot change"):
        crm.update_field(vip.id, "vip", "等级", "choice", choices=["A"])
    crm.delete_field(vip.id)
    with pytest.raises(NotFound):
        crm.delete_field(vip.id)
    with pytest.raises(Invalid, match="vip_level"):
        crm.create_customer(name="x", fields={"vip_level": "A"})


# ---------------------------------------------------------------------- search

def test_search(crm: Crm, users: Users) -> None:
    users.create_user("ann", "password1", "agent")
    a = crm.create_customer(NUMBER, name="张三丰", company="武当 Trading", tier="gold",
                            emails=["zs@wudang.cn"], tags=["vip"], owner="ann")
    b = crm.create_customer(OTHER, name="Li Si", company="ACME_1", emails=["li@acme.com"])
    c = crm.create_customer("1001", name="100% Wang", company="ACME")

    def ids(q: str = "", **kw: str) -> list[int]:
        items, total = crm.search_customers(q, **kw)
        assert total == len(items)
        return [x.id for x in items]

    assert ids() == [a.id, b.id, c.id]
    assert ids("张三") == [a.id] and ids("trading") == [a.id] and ids("li si") == [b.id]
    assert ids("+86 138-0013-8000") == [a.id] and ids("013800138000") == [a.id]
    assert ids("8001") == [a.id] and ids("LI@ACME") == [b.id]
    assert ids("acme_") == [b.id] and ids("100%") == [c.id]       # wildcards are literal
    assert ids(tag="vip") == [a.id] and ids(tier="gold") == [a.id] and ids(owner="ann") == [a.id]
    assert ids("acme", company="ACME") == [c.id] and ids("nobody") == []
    page, total = crm.search_customers(limit=2, offset=1)
    assert [x.id for x in page] == [b.id, c.id] and total == 3
    with pytest.raises(Invalid):
        crm.search_customers(limit=0)


# ---------------------------------------------------------------------- delete

def test_delete(store: Store, crm: Crm) -> None:
    plain = crm.create_customer(NUMBER, name="a", emails=["a@x.cn"], tags=["t"])
    crm.delete_customer(plain.id, "sue")
    assert crm.get_customer(plain.id) is None and _count(store, "customer_numbers") == 0
    busy = crm.create_customer(NUMBER, name="b")
    crm.add_contact_note(busy.id, agent="ann", type="inquiry", result="resolved")
    with pytest.raises(Conflict):
        crm.delete_customer(busy.id, "sue")
    assert crm.get_customer(busy.id) is not None
    crm.delete_customer(busy.id, "root", force=True)
    assert _count(store, "contact_notes") == 0 and _count(store, "crm_timeline") == 0
    with pytest.raises(NotFound):
        crm.delete_customer(busy.id, "root")
    log = crm.audit_log(action="delete")
    assert [(e.username, e.customer_id, e.detail["force"]) for e in log] == [
        ("root", busy.id, True), ("sue", plain.id, False)]
    assert log[1].detail["customer"]["emails"] == ["a@x.cn"]


# ---------------------------------------------------------------------- duplicates

def test_duplicates(crm: Crm) -> None:
    a = crm.create_customer(NUMBER, name="张三", company="ACME")
    b = crm.create_customer("+86 138 0013 8000", name="王五", company="Other")
    c = crm.create_customer(OTHER, name="张三 ", company="ACME", emails=["z@x.cn"])
    d = crm.create_customer("1001", name="Zed", emails=["Z@X.cn"])
    crm.create_customer("1002", name="张三", company="Elsewhere")     # another company
    crm.create_customer("1003", name="Completely different", company="ACME")
    found = {x.customer.id: x.reasons for x in crm.duplicates_of(a.id)}
    assert found == {b.id: ("number",), c.id: ("name",)}
    assert {x.customer.id: x.reasons for x in crm.duplicates_of(c.id)} == {
        a.id: ("name",), d.id: ("email",)}
    groups = crm.duplicate_groups()
    assert [([m.id for m in g], reasons) for g, reasons in groups] == [
        ([a.id, b.id, c.id, d.id], ("email", "name", "number"))]
    assert crm.duplicate_groups(limit=1) == groups
    with pytest.raises(NotFound):
        crm.duplicates_of(999)


# ---------------------------------------------------------------------- merge

def _recording(recordings: Recordings, call_id: str, customer_id: int) -> Recording:
    return recordings.save(Recording(
        id=0, call_id=call_id, segment=1, journey=call_id, caller=NUMBER, callee="800",
        started_at=1.0, duration=2.0, agent="2002", queue=None, customer_id=customer_id,
        direction="inbound", disposition=None, policy="all", tier="live",
        path=f"/r/{call_id}.wav", codec="wav", size=None, sha256=None, state="done"))


def test_merge_moves_everything(store: Store, crm: Crm, recordings: Recordings) -> None:
    crm.on_merge.append(recordings.move_customer)
    crm.create_field("contract", "合同号", "text")
    keep = crm.create_customer(NUMBER, name="张三", emails=["a@x.cn"], tags=["vip"])
    dup = crm.create_customer(OTHER, name="张三", company="ACME", emails=["b@x.cn"],
                              tags=["回访"], birthday="1990-01-01",
                              fields={"contract": "C-9"})
    third = crm.create_customer(NUMBER, name="")
    bystander = crm.create_customer("1001", name="other")
    note = crm.add_contact_note(dup.id, agent="ann", type="inquiry", result="resolved")
    crm.record(TimelineEntry(customer_id=third.id, at=5.0, kind="call", ref="c-3"))
    rec = _recording(recordings, "c-1", dup.id)
    other_rec = _recording(recordings, "c-2", bystander.id)
    seen: list[tuple] = []
    crm.on_merge.append(lambda s, ids, into: seen.append((list(ids), into)))

    merged = crm.merge_customers(keep.id, [dup.id, third.id], "sue")
    assert merged.numbers == (E164, OTHER)
    assert merged.emails == ("a@x.cn", "b@x.cn") and set(merged.tags) == {"vip", "回访"}
    assert (merged.name, merged.company, merged.birthday) == ("张三", "ACME", "1990-01-01")
    assert merged.fields == {"contract": "C-9"}
    assert crm.contact_history(keep.id) == [note.__class__(**{**note.__dict__,
                                                              "customer_id": keep.id})]
    assert [e.ref for e in crm.timeline(keep.id)] == [str(note.id), "c-3"]
    assert recordings.get(rec.id).customer_id == keep.id
    assert recordings.get(other_rec.id).customer_id == bystander.id
    assert seen == [([dup.id, third.id], keep.id)]
    assert crm.get_customer(dup.id) is None and crm.get_customer(third.id) is None
    assert crm.find_customers(NUMBER) == [merged]
    assert _count(store, "customers") == 2
    [audit] = crm.audit_log(action="merge")
    assert audit.customer_id == keep.id and audit.detail["merged"] == [dup.id, third.id]
    assert [c["id"] for c in audit.detail["customers"]] == [dup.id, third.id]


def test_a_failing_hook_undoes_the_merge(store: Store, crm: Crm) -> None:
    keep = crm.create_customer(NUMBER, name="a")
    dup = crm.create_customer(OTHER, name="b")
    crm.add_contact_note(dup.id, agent="ann", type="inquiry", result="resolved")

    def broken(s, ids, into):  # type: ignore[no-untyped-def]
        raise RuntimeError("tickets slice down")

    crm.on_merge.append(broken)
    with pytest.raises(RuntimeError):
        crm.merge_customers(keep.id, [dup.id], "sue")
    assert crm.get_customer(dup.id) is not None and crm.get_customer(keep.id) == keep
    assert len(crm.contact_history(dup.id)) == 1 and crm.audit_log() == []


def test_merge_refusals(crm: Crm) -> None:
    a = crm.create_customer(NUMBER, name="a")
    for into, ids in ((a.id, []), (a.id, [a.id])):
        with pytest.raises(Invalid):
            crm.merge_customers(into, ids, "sue")
    with pytest.raises(NotFound):
        crm.merge_customers(a.id, [a.id + 5], "sue")
    assert crm.get_customer(a.id) == a
