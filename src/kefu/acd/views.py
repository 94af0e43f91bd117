"""What the HTTP API and the WebSocket see of the ACD: an agent with today's figures, a
queue's status, and which live events an agent's desktop receives.
"""

from __future__ import annotations

from typing import Any

from kefu.bus import Event
from kefu.events import visible
from kefu.acd.agents import Agent, AgentState
from kefu.acd.core import AcdCore, AcdError, Queued
from kefu.calls.errors import Kind


class Views(AcdCore):
    """The ACD as the web layer shows it."""

    def describe(self, agent: Agent) -> dict[str, Any]:
        """The agent's state and today's figures (what ``/agents`` shows)."""
        figures = self.figures.agent(agent.username)
        return {**agent.describe(self.clock()), "answered": figures.answered,
                "talk_time": round(figures.talk_time, 3)}

    def queue_status(self, name: str) -> dict:
        if name not in self.queues:
            raise AcdError(f"no queue {name!r}", Kind.NOT_FOUND)
        q, figures, now = self.queues[name], self.figures.queue(name), self.clock()
        waiting = self._waiting_in(name)
        agents = [a for a in self.agents.values() if a.logged_in and name in a.queues]
        return {
            "name": name, "number": q.number, "strategy": q.strategy,
            "waiting": len(waiting),
            "callbacks_waiting": sum(1 for w in waiting if w.callback),
            "longest_wait": round(max((now - w.entered for w in waiting), default=0.0), 3),
            "agents_logged_in": len(agents),
            "agents_ready": sum(1 for a in agents if a.state is AgentState.READY),
            "agents_talking": sum(1 for a in agents if a.state in (AgentState.TALKING,
                                                                 AgentState.ON_HOLD)),
            "entered": figures.entered, "answered": figures.answered,
            "abandoned": figures.abandoned, "short_abandoned": figures.short_abandoned,
            "overflowed": figures.overflowed,
            "callbacks": figures.callbacks, "callbacks_connected": figures.callbacks_connected,
            "service_level": figures.service_level,
            "service_level_seconds": q.service_level,
            "alert_wait": q.alert_wait, "alert_not_ready": q.alert_not_ready,
            "alert_talk": q.alert_talk,
            "calls": sorted((self._waiting_call(w, now) for w in waiting),
                            key=lambda c: (c["position"] == 0, c["position"])),
        }

    def _waiting_call(self, w: Queued, now: float) -> dict[str, Any]:
        """A caller in the queue as the wallboard lists it: ``priority`` is the one routing
        orders the queue by (the caller's, raised by its tier's), ``tier`` the call's."""
        tier = w.call.data.get("tier")
        return {"call_id": w.call.id, "caller": w.call.caller,
                "position": self.router.position(w.call.id),
                "wait": round(now - w.entered, 3), "callback": bool(w.callback),
                "ringing": sorted(w.offers),
                "priority": w.entry.priority if w.entry is not None else 0,
                "tier": tier if isinstance(tier, str) else None}

    def visible_to(self, username: str, event: Event) -> bool:
        """Which live events an agent's desktop receives (:func:`kefu.events.visible`):
        its own state and offers, the calls it is in, and queue figures."""
        agent = self.agents.get(username)
        return visible("agent", username, event,
                       lambda: agent.call_id if agent is not None else None)
