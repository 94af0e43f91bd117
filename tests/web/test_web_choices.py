"""GET /choices: the screens' choice lists, from config and the defining tuples/enums."""

from __future__ import annotations

import pytest

from kefu.crm.service import CONTACT_RESULTS
from kefu.acd.agents import AgentState
from kefu.calls.call import Disposition
from kefu.users.service import ROLES


@pytest.mark.parametrize("role", ROLES)
def test_every_role_reads_the_lists(api, role) -> None:  # type: ignore[no-untyped-def]
    body = api.client.get("/api/v1/choices", headers=api.as_(role)).json()
    assert body == {
        "pause_reasons": ["break", "lunch", "meeting", "training", "after_call"],
        "contact_types": ["inquiry", "complaint", "suggestion", "praise", "other"],
        "note_types": [{"name": "inquiry", "label_zh": "咨询", "label_en": "Inquiry",
                        "required": []},
                       {"name": "complaint", "label_zh": "投诉", "label_en": "Complaint",
                        "required": ["notes"]},
                       {"name": "suggestion", "label_zh": "建议", "label_en": "Suggestion",
                        "required": ["notes"]},
                       {"name": "praise", "label_zh": "表扬", "label_en": "Praise",
                        "required": []},
                       {"name": "other", "label_zh": "其他", "label_en": "Other",
                        "required": []}],
        "note_handlings": ["answered", "transferred", "ticket", "callback", "escalated"],
        "contact_results": list(CONTACT_RESULTS),
        "roles": list(ROLES), "agent_states": [s.value for s in AgentState],
        "dispositions": [d.value for d in Disposition]}


def test_pause_reasons_come_from_the_config(api) -> None:  # type: ignore[no-untyped-def]
    s = api.ctx.settings
    api.ctx.settings = s.model_copy(update={"acd": s.acd.model_copy(update={"pause_reasons": ["break", "coaching"]})})
    body = api.client.get("/api/v1/choices", headers=api.as_("agent")).json()
    assert body["pause_reasons"] == ["break", "coaching"]


def test_needs_a_login(api) -> None:  # type: ignore[no-untyped-def]
    assert api.client.get("/api/v1/choices").status_code == 401
