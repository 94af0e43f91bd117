"""/api/v1/ivr: flows as YAML or JSON, check, publish, rollback, the schema, collected
records and their CSV, prompt uploads, voicemail for its owners; roles on every route."""

from __future__ import annotations

import csv
import io
import json
from typing import get_args

import pytest
import yaml

from kefu.ivr import schemas
from kefu.ivr.service import LANGUAGES, MAILBOX_KINDS, MESSAGE_STATUSES, VERSION_STATUSES

from ivrkit import HOTLINE, PIN_CHECK, simple, wav

URL = "/api/v1/ivr"
YAML = {"Content-Type": "text/yaml"}


def _put(api, name: str, text: str, role: str = "admin", kind: str = "text/yaml"):  # type: ignore[no-untyped-def]
    return api.client.put(f"{URL}/flows/{name}/draft", content=text.encode(),
                          headers={**api.as_(role), "Content-Type": kind})


def _count(api, table: str) -> int:  # type: ignore[no-untyped-def]
    with api.store._engine.connect() as conn:
        return conn.exec_driver_sql(f"SELECT count(*) FROM {table}").scalar_one()


def test_choices_match_the_service() -> None:
    assert get_args(schemas.VersionStatus) == VERSION_STATUSES
    assert get_args(schemas.MessageStatus) == MESSAGE_STATUSES
    assert get_args(schemas.MailboxKind) == MAILBOX_KINDS
    assert get_args(schemas.Language) == LANGUAGES


def test_draft_publish_rollback(ivr_api) -> None:  # type: ignore[no-untyped-def]
    api = ivr_api
    r = _put(api, "main", simple(say="一"))
    assert r.status_code == 200, r.text
    body = r.json()
    assert body["version"]["number"] == 1 and body["version"]["status"] == "draft"
    assert body["check"] == {"valid": True, "problems": []}
    assert body["version"]["source"] == simple(say="一")          # as written, comes out
    r = api.client.post(f"{URL}/flows/main/publish", headers=api.as_("admin"))
    assert r.status_code == 200 and r.json()["status"] == "published"
    as_json = json.dumps(yaml.safe_load(simple(say="二")), ensure_ascii=False)
    assert _put(api, "main", as_json, kind="application/json").json()["version"]["number"] == 2
    api.client.post(f"{URL}/flows/main/publish", headers=api.as_("admin"))
    r = api.client.post(f"{URL}/flows/main/rollback/1", headers=api.as_("admin"))
    assert r.status_code == 201 and (r.json()["number"], r.json()["based_on"]) == (3, 1)
    detail = api.client.get(f"{URL}/flows/main", headers=api.as_("supervisor")).json()
    assert (detail["published"], detail["draft"]) == (3, None)
    assert [(v["number"], v["status"]) for v in detail["versions"]] == [
        (3, "published"), (2, "retired"), (1, "retired")]
    assert detail["versions"][1]["source"] == as_json
    assert api.ctx.ivr.flows.published("main").version == 3
    listed = api.client.get(f"{URL}/flows", headers=api.as_("supervisor")).json()
    assert [(f["name"], f["published"]) for f in listed] == [("main", 3)]
    assert api.client.post(f"{URL}/flows/main/rollback/3",
                           headers=api.as_("admin")).status_code == 409
    assert api.client.post(f"{URL}/flows/main/rollback/9",
                           headers=api.as_("admin")).status_code == 404


def test_a_flow_with_an_error_is_refused_naming_the_node(ivr_api) -> None:  # type: ignore[no-untyped-def]
    api = ivr_api
    broken = simple(extra="  menu_main: {type: menu, prompt: x, choices: {'3': billing}}\n")
    r = _put(api, "main", broken)
    assert r.status_code == 200 and r.json()["check"]["valid"] is False
    problem = "node `menu_main`: digit 3 goes to `billing`, which does not exist"
    assert problem in r.json()["check"]["problems"]
    r = api.client.post(f"{URL}/flows/main/validate", headers=api.as_("admin"))
    assert r.status_code == 200 and problem in r.json()["problems"]
    r = api.client.post(f"{URL}/flows/main/publish", headers=api.as_("admin"))
    assert r.status_code == 422 and problem in r.json()["detail"][0]["msg"]
    assert api.client.get(f"{URL}/flows/main",
                          headers=api.as_("admin")).json()["published"] is None
    r = api.client.post(f"{URL}/flows/main/check", content=simple().encode(),
                        headers={**api.as_("admin"), **YAML})
    body = r.json()
    assert (body["valid"], body["problems"]) == (True, [])
    assert {n["id"] for n in body["graph"]["nodes"]} >= {body["graph"]["start"]}  # the diagram's graph
    assert _count(api, "ivr_flow_versions") == 1                  # check stores nothing


def test_subflows_must_be_published_first(ivr_api) -> None:  # type: ignore[no-untyped-def]
    api = ivr_api
    _put(api, "hotline", HOTLINE)
    assert api.client.post(f"{URL}/flows/hotline/publish",
                           headers=api.as_("admin")).status_code == 422
    _put(api, "pin_check", PIN_CHECK)
    api.client.post(f"{URL}/flows/pin_check/publish", headers=api.as_("admin"))
    assert api.client.post(f"{URL}/flows/hotline/publish",
                           headers=api.as_("admin")).status_code == 200


@pytest.mark.parametrize("kind,text,code", [
    ("application/xml", "<flow/>", 415), ("", "x", 415),
    ("text/yaml", "", 422), ("text/yaml", "x" * (256 * 1024 + 1), 422),
])
def test_bad_drafts(ivr_api, kind: str, text: str, code: int) -> None:  # type: ignore[no-untyped-def]
    assert _put(ivr_api, "main", text, kind=kind).status_code == code
    assert _count(ivr_api, "ivr_flows") == 0


def test_not_utf8_and_bad_names(ivr_api) -> None:  # type: ignore[no-untyped-def]
    api = ivr_api
    r = api.client.put(f"{URL}/flows/main/draft", content=b"\xff\xfe",
                       headers={**api.as_("admin"), **YAML})
    assert r.status_code == 400
    assert _put(api, "bad-name", simple()).status_code == 422
    assert api.client.post(f"{URL}/flows", json={"name": "1x"},
                           headers=api.as_("admin")).status_code == 422
    assert _count(api, "ivr_flows") == 0


def test_create_and_describe(ivr_api) -> None:  # type: ignore[no-untyped-def]
    api = ivr_api
    r = api.client.post(f"{URL}/flows", json={"name": "support", "description": "售后"},
                        headers=api.as_("admin"))
    assert r.status_code == 201 and r.json()["description"] == "售后"
    assert api.client.post(f"{URL}/flows", json={"name": "support"},
                           headers=api.as_("admin")).status_code == 409
    r = api.client.patch(f"{URL}/flows/support", json={"description": "After-sales"},
                         headers=api.as_("admin"))
    assert r.status_code == 200 and r.json()["description"] == "After-sales"
    assert api.client.get(f"{URL}/flows/nope", headers=api.as_("admin")).status_code == 404


@pytest.mark.parametrize("role", ["supervisor", "agent", "qa"])
def test_only_admins_write_flows(ivr_api, role: str) -> None:  # type: ignore[no-untyped-def]
    api = ivr_api
    assert _put(api, "main", simple(), role=role).status_code == 403
    assert api.client.post(f"{URL}/flows", json={"name": "x"},
                           headers=api.as_(role)).status_code == 403
    for path in ("main/validate", "main/publish", "main/rollback/1"):
        assert api.client.post(f"{URL}/flows/{path}", headers=api.as_(role)).status_code == 403
    assert _count(api, "ivr_flows") == 0


@pytest.mark.parametrize("role,code", [("admin", 200), ("supervisor", 200), ("agent", 403),
                                       ("qa", 403)])
def test_readers(ivr_api, role: str, code: int) -> None:  # type: ignore[no-untyped-def]
    for path in ("flow-schema", "records", "records.csv", "prompts",
                 "voicemail/mailboxes"):
        r = ivr_api.client.get(f"{URL}/{path}", headers=ivr_api.as_(role))
        assert r.status_code == code, (path, r.text)
    assert ivr_api.client.get(f"{URL}/flows").status_code == 401


def test_agents_list_only_the_published_flows_they_may_send_a_caller_to(ivr_api) -> None:  # type: ignore[no-untyped-def]
    for name in ("main", "draft_only"):
        assert _put(ivr_api, name, simple(name)).status_code == 200
    ivr_api.client.post(f"{URL}/flows/main/publish", headers=ivr_api.as_("admin"))
    seen = {role: [f["name"] for f in ivr_api.client.get(f"{URL}/flows",
                                                          headers=ivr_api.as_(role)).json()]
            for role in ("admin", "agent")}
    assert seen == {"admin": ["draft_only", "main"], "agent": ["main"]}
    assert ivr_api.client.get(f"{URL}/flows", headers=ivr_api.as_("qa")).status_code == 403


def test_the_schema_is_the_flow_format(ivr_api) -> None:  # type: ignore[no-untyped-def]
    import jsonschema

    schema = ivr_api.client.get(f"{URL}/flow-schema", headers=ivr_api.as_("admin")).json()
    jsonschema.validate(yaml.safe_load(HOTLINE), schema)
    with pytest.raises(jsonschema.ValidationError):
        jsonschema.validate({"name": "x", "start": "a", "nodes": {"a": {"type": "nope"}}},
                            schema)


def test_collected_records_and_csv(ivr_api) -> None:  # type: ignore[no-untyped-def]
    api = ivr_api
    for i, caller in enumerate(("13800138000", "13900139000", "13800138000")):
        api.ctx.ivr.collected.add(f"c{i}", caller, "hotline", 1, "save", "order",
                                  {"order": f"A{i}"})
    r = api.client.get(f"{URL}/records", params={"caller": "13800138000", "limit": 1},
                       headers=api.as_("supervisor"))
    body = r.json()
    assert r.status_code == 200 and body["total"] == 2
    assert [i["fields"] for i in body["items"]] == [{"order": "A2"}]
    r = api.client.get(f"{URL}/records.csv", params={"flow": "hotline"},
                       headers=api.as_("admin"))
    assert r.status_code == 200 and r.headers["content-type"].startswith("text/csv")
    rows = list(csv.reader(io.StringIO(r.text.lstrip("\ufeff"))))
    assert rows[0][-1] == "order" and [row[-1] for row in rows[1:]] == ["A0", "A1", "A2"]
    for params in ({"limit": 0}, {"limit": 501}, {"since": 10, "until": 5},
                   {"flow": "a b"}, {"offset": -1}):
        assert api.client.get(f"{URL}/records", params=params,
                              headers=api.as_("admin")).status_code == 422, params


def test_prompt_upload(ivr_api) -> None:  # type: ignore[no-untyped-def]
    api = ivr_api

    def up(data: bytes, role: str = "admin", name: str = "welcome"):  # type: ignore[no-untyped-def]
        return api.client.post(f"{URL}/prompts", data={"name": name, "language": "zh"},
                               files={"file": ("x.wav", data, "audio/wav")},
                               headers=api.as_(role))

    r = up(wav())
    assert r.status_code == 201, r.text
    assert r.json()["name"] == "welcome" and abs(r.json()["duration"] - 1.5) < 0.02
    r = up(b"garbage" * 100, name="broken")
    assert r.status_code == 422 and "not a readable" in r.json()["detail"][0]["msg"]
    assert up(wav(), role="supervisor").status_code == 403
    assert up(wav(), name="../evil").status_code == 422
    listed = api.client.get(f"{URL}/prompts", headers=api.as_("supervisor")).json()
    assert [p["name"] for p in listed] == ["welcome"]
    files = sorted(p.name for p in api.ctx.ivr.prompts.directory.rglob("*.wav"))
    assert len(files) == 1 and files[0].startswith("welcome-")


def test_voicemail_for_its_owners(ivr_api) -> None:  # type: ignore[no-untyped-def]
    api = ivr_api
    api.store.create_extension("1001", "secret1", "", "kefu")
    api.store.create_extension("1002", "secret1", "", "kefu")
    api.users.set_user_extensions("agent", ["1001"])
    r = api.client.post(f"{URL}/voicemail/mailboxes",
                        json={"kind": "extension", "owner": "1001", "pin": "4321"},
                        headers=api.as_("admin"))
    assert r.status_code == 201 and "pin" not in r.json()
    vm = api.ctx.ivr.voicemail
    mine = r.json()["id"]
    theirs = vm.create_mailbox("extension", "1002", "1234").id
    queue = vm.create_mailbox("queue", "sales", "1234").id
    made = {}
    for box in (mine, theirs, queue):
        path = vm.new_path(box)
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_bytes(wav(8000, 1, 0.2))
        made[box] = vm.add_message(box, call_id="c", caller="13800138000", duration=0.2,
                                   path=path).id
    r = api.client.get(f"{URL}/voicemail/messages", headers=api.as_("agent"))
    assert [m["id"] for m in r.json()] == [made[mine]]
    staff = api.client.get(f"{URL}/voicemail/messages", headers=api.as_("supervisor")).json()
    assert len(staff) == 3
    audio = api.client.get(f"{URL}/voicemail/messages/{made[mine]}/audio",
                           headers=api.as_("agent"))
    assert audio.status_code == 200 and audio.headers["content-type"] == "audio/wav"
    assert audio.content[:4] == b"RIFF"
    for path in (f"{made[theirs]}/audio", f"{made[queue]}/audio"):
        assert api.client.get(f"{URL}/voicemail/messages/{path}",
                              headers=api.as_("agent")).status_code == 404
    assert api.client.post(f"{URL}/voicemail/messages/{made[theirs]}/done",
                           headers=api.as_("agent")).status_code == 404
    r = api.client.post(f"{URL}/voicemail/messages/{made[mine]}/done", headers=api.as_("agent"))
    assert r.status_code == 200 and r.json()["done"] and r.json()["done_by"] == "agent"
    r = api.client.post(f"{URL}/voicemail/messages/{made[mine]}/status",
                        json={"status": "deleted"}, headers=api.as_("agent"))
    assert r.status_code == 200 and r.json()["status"] == "deleted"
    assert api.client.get(f"{URL}/voicemail/messages", headers=api.as_("agent")).json() == []
    assert api.client.post(f"{URL}/voicemail/messages/{made[mine]}/status",
                           json={"status": "saved"}, headers=api.as_("agent")).status_code == 409
    assert api.client.get(f"{URL}/voicemail/messages",
                          headers=api.as_("qa")).status_code == 403
    assert api.client.post(f"{URL}/voicemail/mailboxes",
                           json={"kind": "queue", "owner": "x", "pin": "12"},
                           headers=api.as_("admin")).status_code == 422
    assert api.client.post(f"{URL}/voicemail/mailboxes",
                           json={"kind": "queue", "owner": "x", "pin": "1234"},
                           headers=api.as_("supervisor")).status_code == 403


def test_without_the_service_it_is_503(api) -> None:  # type: ignore[no-untyped-def]
    assert api.client.get(f"{URL}/flows", headers=api.as_("admin")).status_code == 503
