"""Articles suggested for a call (the desk's KB panel): from what is known about the call
(its queue, the IVR choices on the way in, the call-attached data, the customer's recent
tickets) and from what the agent types.

The pure part is :func:`terms` (a context → weighted search terms, each with its reason)
and :func:`rank` (each term searched, the answers merged into one ranking, an article
named once with every reason that found it).  :func:`facts` and :func:`recent_tickets`
read the context through the other slices' services (the event log, the live call, the
CRM, the tickets), never their tables; the route (``suggest_api.py``) decides who may ask about which call.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any, Protocol

from kefu.bus import Event
from kefu.users.service import User

MAX_TERM = 40                # characters: a longer value is an id or a text, not a topic
MAX_TITLE = 80               # … but a ticket's title is a topic up to this length
MAX_TYPED = 200              # characters of what the agent typed (the search's own limit)
MAX_TERMS = 12               # searches one suggestion may run
PER_TERM = 5                 # hits taken from each search
TICKETS = 3                  # the customer's most recent tickets looked at

# How much each source counts: what the agent types says most; the queue and a ticket's
# type least (they are the broadest).  One table, so the balance is read and changed in one place.
WEIGHTS: Mapping[str, float] = {"typed": 3.0, "ticket": 1.5, "ivr": 1.2, "data": 1.0,
                                "ticket_type": 0.6, "queue": 0.8}


@dataclass(frozen=True)
class TicketHint:
    """What a suggestion reads of one of the customer's tickets."""
    title: str
    type_label: str


@dataclass(frozen=True)
class Context:
    """What is known about a call when the agent asks for suggestions."""
    queue: str = ""
    ivr: tuple[str, ...] = ()               # the menu choices in words (else nodes), in order
    data: Mapping[str, Any] = field(default_factory=dict)   # call-attached data
    tickets: tuple[TicketHint, ...] = ()         # the customer's recent tickets, newest first
    typed: str = ""


@dataclass(frozen=True)
class Term:
    """One search a suggestion runs; ``kind`` and ``text`` are its reason (队列: 售后)."""
    query: str
    weight: float
    kind: str
    text: str


@dataclass(frozen=True)
class Reason:
    kind: str            # typed | queue | ivr | data | ticket | ticket_type
    text: str


@dataclass(frozen=True)
class Suggestion:
    article_id: int
    score: float
    reasons: tuple[Reason, ...]     # strongest first, each once


class Found(Protocol):
    """A search hit as :func:`rank` reads it (the service's ``SearchHit``)."""
    @property
    def id(self) -> int: ...


def _topic(value: Any, longest: int = MAX_TERM) -> str:
    """A value worth searching for: short text with a letter or a Han character (not a
    number, an id, a flag or a nested structure)."""
    if not isinstance(value, str):
        return ""
    text = " ".join(value.split())
    if not text or len(text) > longest:
        return ""
    return text if any(ch.isalpha() for ch in text) else ""


def terms(ctx: Context) -> list[Term]:
    """The searches for ``ctx``, strongest first; a query asked twice is kept once, with
    its strongest reason."""
    out: list[Term] = []

    def add(kind: str, value: Any, shown: str | None = None, longest: int = MAX_TERM) -> None:
        q = _topic(value, longest)
        if q:
            out.append(Term(q, WEIGHTS[kind], kind, shown or q))

    typed = " ".join(ctx.typed.split())[:MAX_TYPED]
    if typed:
        out.append(Term(typed, WEIGHTS["typed"], "typed", typed))
    for t in ctx.tickets[:TICKETS]:
        add("ticket", t.title, longest=MAX_TITLE)
        add("ticket_type", t.type_label)
    for choice in ctx.ivr:          # "退货", or a node's name: after_sales → "after sales"
        add("ivr", " ".join(choice.replace("_", " ").replace("-", " ").split()), choice)
    for key, value in ctx.data.items():
        if _topic(value):
            add("data", value, f"{key}={_topic(value)}")
    add("queue", ctx.queue)
    seen: dict[str, Term] = {}
    for term in sorted(out, key=lambda t: -t.weight):       # stable: the order above
        seen.setdefault(term.query.casefold(), term)
    return list(seen.values())[:MAX_TERMS]


def rank(found: Iterable[Term], search: Callable[[str], Sequence[Found]],
         limit: int = 10) -> list[Suggestion]:
    """Each term searched (``search(query)``: hits best first); an article scores, for
    each term that found it, the term's weight over its place in that answer (1, ½, ⅓ …),
    so a term's own scale never matters; summed over the terms, best first (ties: the
    lower id, for a stable list).  Its reasons are the terms that found it, strongest
    contribution first."""
    scores: dict[int, float] = {}
    why: dict[int, dict[Reason, float]] = {}
    for term in found:
        for place, hit in enumerate(list(search(term.query))[:PER_TERM]):
            part = term.weight / (place + 1)
            scores[hit.id] = scores.get(hit.id, 0.0) + part
            reasons = why.setdefault(hit.id, {})
            reason = Reason(term.kind, term.text)
            reasons[reason] = max(reasons.get(reason, 0.0), part)
    best = sorted(scores, key=lambda a: (-scores[a], a))[:limit]
    return [Suggestion(a, round(scores[a], 4),
                       tuple(r for r, _ in sorted(why[a].items(), key=lambda kv: -kv[1])))
            for a in best]


# --- the context, read through the other slices' services ---------------------------------

class Tickets(Protocol):
    def list(self, user: User, *, customer_id: int | None = ..., sort: str = ...,
             limit: int = ...) -> tuple[list[Any], int]: ...


class Customers(Protocol):
    def find_customer_by_number(self, number: str) -> Any: ...


@dataclass(frozen=True)
class CallFacts:
    """A call as its events (and the live call, while there is one) tell it."""
    queue: str = ""
    ivr: tuple[str, ...] = ()
    data: Mapping[str, Any] = field(default_factory=dict)
    numbers: tuple[str, ...] = ()        # the parties' numbers (caller first)
    agents: frozenset[str] = frozenset()  # usernames of the agents who took it
    known: bool = False                  # anything at all was found

    def customer_number(self, own: str | None) -> str:
        """The other party's number: the first that is not the agent's own extension."""
        return next((n for n in self.numbers if n and n != own), "")


def facts(events: Sequence[Event], live: Any = None) -> CallFacts:
    """The call's queue, IVR choices, attached data, numbers and agents, from its logged
    events; a live call (``kefu.calls.call.Call``) adds what it holds now."""
    queue, ivr, data, numbers, agents = "", [], {}, [], set()
    for e in events:
        d = e.data or {}
        if e.type == "call.started":
            numbers += [str(d.get("caller") or ""), str(d.get("callee") or "")]
        elif e.type.startswith("queue."):
            queue = str(d.get("queue") or queue)
            if d.get("caller"):
                numbers.insert(0, str(d["caller"]))
            if e.type == "queue.connect" and d.get("agent"):
                agents.add(str(d["agent"]))
            if e.type == "queue.offer" and isinstance(d.get("attached"), dict):
                data.update(d["attached"])
        elif e.type == "ivr.choice" and (words := d.get("said") or d.get("to")):
            ivr.append(str(words))                      # the menu's words, else the node
    if live is not None:
        queue = live.queue or queue
        data.update(live.data or {})
        numbers = [live.caller, live.callee, *numbers]
        if live.agent:
            agents.add(live.agent)
    return CallFacts(queue=queue, ivr=tuple(dict.fromkeys(ivr)), data=data,
                     numbers=tuple(dict.fromkeys(n for n in numbers if n)),
                     agents=frozenset(agents), known=bool(events) or live is not None)


def recent_tickets(user: User, number: str, crm: Customers | None,
                   tickets: Tickets | None) -> tuple[TicketHint, ...]:
    """The customer's newest tickets that ``user`` may see (none: no customer by that
    number, or no tickets slice)."""
    if not number or crm is None or tickets is None:
        return ()
    customer = crm.find_customer_by_number(number)
    if customer is None:
        return ()
    items, _ = tickets.list(user, customer_id=customer.id, sort="-created_at", limit=TICKETS)
    return tuple(TicketHint(t.title, t.type_label_zh or t.type) for t in items)
