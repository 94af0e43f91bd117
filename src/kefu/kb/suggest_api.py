"""``GET /kb/suggest``: articles for the call the agent is on (the desk's KB panel).

Agents, supervisors and admins.  An agent asks about its own calls only (live: the call
involves its extension; ended, in wrap-up: the event log names it as the call's agent);
an unknown call is a 404.  The context is read through the services (the event log, the
live call, the CRM, the tickets); the searches run as search-as-you-type, so suggestions
never count in the search statistics.
"""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Depends, HTTPException, Query, status
from pydantic import BaseModel

from kefu.calls.errors import ControlError
from kefu.users.service import User
from kefu.web.deps import CtxDep, require_roles, running

from .schemas import ArticleOut
from .records import Article
from .service import Kb
from .suggest import Context, MAX_TYPED, facts, rank, recent_tickets, terms

router = APIRouter(tags=["kb"])

KbDep = Annotated[Kb, Depends(running("kb", "the knowledge base is off"))]
Desk = Annotated[User, Depends(require_roles("admin", "supervisor", "agent"))]


class ReasonOut(BaseModel):
    kind: str
    text: str


class SuggestionOut(BaseModel):
    article: ArticleOut
    score: float
    reasons: list[ReasonOut]


def _live(control: Any, call_id: str) -> Any:
    """The live call (``kefu.calls.call.Call``; None: ended, unknown, or no switch)."""
    if control is None:
        return None
    try:
        return control.get(call_id)
    except ControlError:
        return None


def _own_extension(acd: Any, user: User) -> str | None:
    """The extension ``user`` is logged in on as an agent (None: not logged in)."""
    agent = acd.agents.get(user.username) if acd is not None else None
    return agent.extension if agent is not None and agent.logged_in else None


@router.get("/kb/suggest", response_model=list[SuggestionOut],
            summary="Articles for a call: from its queue, IVR choices, attached data, the "
                    "customer's recent tickets and the typed text; each with its reasons")
def suggest(kb: KbDep, ctx: CtxDep, user: Desk,
            call_id: Annotated[str, Query(max_length=128)] = "",
            q: Annotated[str, Query(max_length=MAX_TYPED)] = "",
            limit: Annotated[int, Query(ge=1, le=20)] = 8) -> list[SuggestionOut]:
    if not call_id.strip() and not q.strip():
        raise HTTPException(status.HTTP_422_UNPROCESSABLE_CONTENT, "call_id or q is required")
    context = Context(typed=q)
    if call_id:
        live = _live(ctx.control, call_id)
        known = facts(ctx.store.events_for_call(call_id), live)
        if not known.known:
            raise HTTPException(status.HTTP_404_NOT_FOUND, f"no call {call_id}")
        own = _own_extension(ctx.acd, user)
        if user.role == "agent" and user.username not in known.agents and not (
                live is not None and own is not None and live.involves(own)):
            raise HTTPException(status.HTTP_403_FORBIDDEN,
                                "an agent gets suggestions for its own calls only")
        number = known.customer_number(own)
        context = Context(queue=known.queue, ivr=known.ivr, data=known.data, typed=q,
                          tickets=recent_tickets(user, number, ctx.crm, ctx.tickets))
    articles: dict[int, Article] = {}

    def search(query: str) -> list[Any]:
        hits = kb.search(user, query, prefix=True)
        articles.update((h.id, h.article) for h in hits)
        return hits
    return [SuggestionOut(article=ArticleOut.of(articles[s.article_id]), score=s.score,
                          reasons=[ReasonOut(kind=r.kind, text=r.text) for r in s.reasons])
            for s in rank(terms(context), search, limit)]
