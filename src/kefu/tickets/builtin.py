"""The ticket types every site starts with (seeded once by ``Tickets.seed``; an admin may
change them afterwards like any other type)."""

from __future__ import annotations

from typing import Any

STAFF = ["agent", "supervisor", "admin"]
LEADS = ["supervisor", "admin"]


def _s(name: str, zh: str, en: str, kind: str = "open", visit: bool = False) -> dict[str, Any]:
    return {"name": name, "label_zh": zh, "label_en": en, "kind": kind, "visit": visit}


def _t(name: str, zh: str, en: str, from_: list[str], to: str, roles: list[str],
       required: list[str] | None = None) -> dict[str, Any]:
    return {"name": name, "label_zh": zh, "label_en": en, "from": from_, "to": to,
            "roles": roles, "required": required or []}


COMPLAINT: dict[str, Any] = {
    "name": "complaint", "label_zh": "投诉", "label_en": "Complaint",
    "workflow": {
        "states": [_s("registered", "登记", "Registered"), _s("assigned", "分派", "Assigned"),
                   _s("processing", "处理", "Processing"),
                   _s("waiting", "待客户", "Waiting for customer", "waiting"),
                   _s("visit", "回访", "Return visit", visit=True),
                   _s("closed", "结案", "Closed", "closed")],
        "initial": "registered",
        "transitions": [
            _t("assign", "分派", "Assign", ["registered", "assigned"], "assigned", LEADS,
               ["assignee"]),
            _t("process", "处理", "Start processing", ["assigned"], "processing", STAFF),
            _t("wait", "待客户", "Wait for customer", ["processing"], "waiting", STAFF,
               ["comment"]),
            _t("resume", "继续处理", "Resume", ["waiting"], "processing", STAFF),
            _t("visit", "回访", "Return visit", ["processing"], "visit", STAFF, ["comment"]),
            _t("close", "结案", "Close", ["visit"], "closed", STAFF, ["comment"]),
            _t("reopen", "重新处理", "Reopen", ["visit", "closed"], "processing", LEADS,
               ["comment"]),
        ]},
    "sla": {"first_response": 60, "resolution": 2 * 24 * 60, "calendar": "",
            "warn_before": 15, "escalate_to_group": "", "notify_supervisors": True},
    "fields": [{"name": "category", "label_zh": "投诉类别", "label_en": "Category",
                "kind": "choice", "required": False,
                "choices": ["product", "service", "delivery", "billing", "other"]}],
}

INQUIRY: dict[str, Any] = {
    "name": "inquiry", "label_zh": "咨询", "label_en": "Inquiry",
    "workflow": {
        "states": [_s("open", "待答复", "Open"), _s("answered", "已答复", "Answered"),
                   _s("closed", "已关闭", "Closed", "closed")],
        "initial": "open",
        "transitions": [
            _t("answer", "答复", "Answer", ["open"], "answered", STAFF, ["comment"]),
            _t("close", "关闭", "Close", ["open", "answered"], "closed", STAFF),
            _t("reopen", "重新打开", "Reopen", ["answered", "closed"], "open", STAFF),
        ]},
    "sla": {"first_response": 4 * 60, "resolution": 24 * 60, "calendar": "",
            "warn_before": 30, "escalate_to_group": "", "notify_supervisors": False},
    "fields": [],
}

BUILTIN = (COMPLAINT, INQUIRY)
