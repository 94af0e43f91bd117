"""The KPIs from summed facts: every formula of docs/kpis.md, in one place (the ticket
and note parts come from :mod:`kefu.reports.outside`).

A rate is always recomputed from its summed parts (a day's service level is not the mean
of its intervals'), so totals rows and any grouping use :func:`derive` on sums.
"""

from __future__ import annotations

from typing import Any


def ratio(part: float, whole: float, digits: int = 4) -> float | None:
    """``part / whole``, None when there is nothing to divide by."""
    return round(part / whole, digits) if whole else None


def derive(m: dict[str, Any]) -> dict[str, Any]:
    """``m`` (summed measures of :data:`kefu.reports.fold.MEASURES`) with the KPIs added."""
    g = {k: (v or 0) for k, v in m.items()}
    offered = g.get("entered", 0) - g.get("short_abandoned", 0)
    answered, abandoned = g.get("answered", 0), g.get("abandoned", 0)
    handled = g.get("handled", 0)
    handle = g.get("talk", 0.0) + g.get("hold", 0.0) + g.get("wrap_up", 0.0)
    busy, ready, login = g.get("busy", 0.0), g.get("ready", 0.0), g.get("login", 0.0)
    return {
        **m,
        "offered": offered,
        "service_level": ratio(g.get("answered_in_sl", 0), answered + abandoned),
        "asa": ratio(g.get("wait_answered", 0.0), answered, 1),
        "avg_abandon_wait": ratio(g.get("wait_abandoned", 0.0), abandoned, 1),
        "abandon_rate": ratio(abandoned, offered),
        "answer_rate": ratio(answered, offered),
        "aht": ratio(handle, handled, 1),
        "avg_talk": ratio(g.get("talk", 0.0), handled, 1),
        "avg_hold": ratio(g.get("hold", 0.0), handled, 1),
        "avg_wrap_up": ratio(g.get("wrap_up", 0.0), handled, 1),
        "occupancy": ratio(busy, busy + ready),
        "utilisation": ratio(busy, login),
        "agent_offered": answered + g.get("callbacks_made", 0) + g.get("ring_no_answer", 0)
        + g.get("rejected", 0),
        "agent_answered": answered + g.get("callbacks_connected", 0),   # as the wallboard
        "csat": ratio(g.get("survey_score", 0), g.get("surveys", 0), 2),
        "fcr": ratio(g.get("notes_resolved", 0), g.get("notes", 0)),
        "complaints": g.get("complaint_tickets", 0) + g.get("complaint_notes", 0),
        "ivr_completion": ratio(g.get("ivr_completed", 0), g.get("ivr_started", 0)),
    }
