"""Phone retrieval on calls: the switch's destination for ``voicemail`` routes (the feature
code a phone dials, ``dialplan.voicemail_code``).

:class:`Retrieve` answers the caller and runs :class:`~kefu.ivr.retrieval.Retrieval` in a
:class:`RetrievalWalk`: the flow walk's runner (prompts through the sounds, timers, keys
and hang-up from the bus), plus the two actions retrieval adds: checking a PIN (off the
loop: argon2 is slow on purpose) and marking a message saved or deleted.
"""

from __future__ import annotations

import logging
from typing import Any

from kefu.calls.call import Call
from kefu.calls.dialplan import Route

from . import steps as s
from .calls import IvrCalls, Walk
from .retrieval import TRIES, CheckPin, MarkMessage, Retrieval
from .taking import Desk

log = logging.getLogger(__name__)


class Retrieve:
    """The ``voicemail`` destination: one :class:`RetrievalWalk` per caller."""

    def __init__(self, owner: IvrCalls, desk: Desk, *, lang: str = "zh",
                 announce: bool = True) -> None:
        self.owner, self.desk, self.lang, self.announce = owner, desk, lang, announce

    async def __call__(self, call: Call, route: Route, /) -> None:
        if not await self.owner.host(call):
            return
        walk = RetrievalWalk(self.owner, self.desk, call,
                         Retrieval(call.caller, self.lang, self.announce))
        self.owner.walks[call.id] = walk
        log.info("call %s: %s at the voicemail", call.id, call.caller)
        walk.begin()


class RetrievalWalk(Walk):
    """A walk whose session is a :class:`Retrieval`."""

    def __init__(self, owner: IvrCalls, desk: Desk, call: Call, retrieval: Retrieval) -> None:
        super().__init__(owner, call, None, {}, {}, session=retrieval)  # type: ignore[arg-type]
        self.desk, self.retrieval = desk, retrieval

    def _do(self, actions: list[Any]) -> None:
        for action in actions:
            if isinstance(action, CheckPin):
                self._work = self.owner.clock.start(self._checking(action))
            elif isinstance(action, MarkMessage):
                self._mark(action)
            elif isinstance(action, s.Hangup) and action.reason == "pin_lockout":
                log.warning("call %s: %s entered a wrong mailbox or PIN %d times: hung up",
                            self.call.id, self.call.caller, TRIES)
                super()._do([action])
            else:
                super()._do([action])

    async def _checking(self, a: CheckPin) -> None:
        opened = await self.desk.open(a.box, a.pin)
        self._work = None
        if opened.mailbox is None:
            log.info("call %s: wrong mailbox or PIN for %r from %s (%d of %d)", self.call.id,
                     a.box, self.call.caller, self.retrieval.tries + 1, TRIES)
        else:
            log.info("call %s: mailbox %d opened by %s, %d messages", self.call.id,
                     opened.mailbox, self.call.caller, len(opened.messages))
        self.feed(opened)   # type: ignore[arg-type]

    def _mark(self, a: MarkMessage) -> None:
        try:      # the phones' light follows through the mailboxes' on_change
            self.desk.mailboxes.mark(a.id, a.status)
        except Exception:    # the caller goes on; the mark's loss is logged
            log.exception("call %s: could not mark message %d %s", self.call.id, a.id,
                          a.status)
