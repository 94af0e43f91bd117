"""The dial plan: where a dialed number goes and whether the caller may call it.

Pure logic over the ``[dialplan]`` and ``[[trunks]]`` settings; no I/O, no SIP.

* :meth:`DialPlan.outbound` routes what an extension dialed: an emergency number, another
  extension, or an external number sent to trunks by the first matching
  ``[[dialplan.outbound]]`` rule, after checking the caller's call classes.
* :meth:`DialPlan.inbound` routes a number a carrier delivered (a DID) to an extension.

A number's class, in this order: ``emergency`` (listed in ``dialplan.emergency``; always
allowed), ``internal`` (an existing extension), ``international`` (``+`` or the
international prefix), ``national`` (the national prefix, or ``national_pattern``),
``local`` (``local_pattern``).  Anything else is not a number kefu knows how to call: 404.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Callable, Iterable

from kefu.config import (FLOW_PREFIX, DialPlanSettings, OutboundRule, QueueConfig, Settings,
                         TrunkConfig)

EMERGENCY, INTERNAL, LOCAL, NATIONAL, INTERNATIONAL = (
    "emergency", "internal", "local", "national", "international")
_DIALABLE = re.compile(r"[0-9*#+]+")
PROMPT_TEST_CODE = "*97"           # answers and plays <data_dir>/prompts/test.wav
CONFERENCE_PREFIX = "*8"           # *8<room>: join conference room <room>


@dataclass(frozen=True)
class TrunkTarget:
    """One attempt of an outbound call: the trunk, the number it is sent, the From user."""

    trunk: str
    number: str
    caller_id: str


@dataclass(frozen=True)
class Route:
    """Where a call goes.

    ``kind`` is ``extension`` (ring ``extension``), ``queue`` (join ACD queue ``queue``),
    ``flow`` (run IVR flow ``flow``: a ``[[dialplan.numbers]]`` number, a DID or a
    ``flow:<name>`` destination string), ``voicemail`` (a phone's feature code
    ``dialplan.voicemail_code``: listen to a mailbox), ``recordings`` (an inspector's
    access code ``dialplan.recordings_code``: play recordings by phone),
    ``trunk`` (try ``targets`` in order) or ``refuse`` (answer ``code`` with ``reason``);
    the switch adds ``prompt`` (the test prompt) and ``conference`` (room ``room``) for the
    codes a phone dials.  Kinds other than extension, trunk and refuse go to the handler
    registered for them (:mod:`kefu.calls.destinations`).
    """

    kind: str
    extension: str = ""
    queue: str = ""
    targets: tuple[TrunkTarget, ...] = ()
    call_class: str = ""
    code: int = 0
    reason: str = ""
    room: str = ""
    flow: str = ""

    @classmethod
    def refuse(cls, code: int, reason: str, call_class: str = "") -> "Route":
        return cls(kind="refuse", code=code, reason=reason, call_class=call_class)


class DialPlan:
    """``is_extension(number)`` is truthy for an existing extension (the directory will do)."""

    def __init__(self, plan: DialPlanSettings, trunks: Iterable[TrunkConfig] = (),
                 is_extension: Callable[[str], object] = lambda number: False,
                 queues: Iterable[QueueConfig] = ()) -> None:
        self.plan = plan
        self.queues = {q.number: q.name for q in queues}
        self.trunks = {t.name: t for t in trunks}
        self.is_extension = is_extension
        self._emergency = frozenset(plan.emergency)
        self._local = re.compile(plan.local_pattern) if plan.local_pattern else None
        self._national = re.compile(plan.national_pattern) if plan.national_pattern else None
        self._default = frozenset(plan.default_classes) | {EMERGENCY}
        self._permissions = {ext: frozenset(p.classes) | {EMERGENCY}
                             for p in plan.permissions for ext in p.extensions}
        self._rules = [(r, re.compile(r.pattern) if r.pattern else None) for r in plan.outbound]
        self._numbers = {n.number: n.destination for n in plan.numbers}
        self._dids: dict[str, str] = {}
        for did in plan.dids:
            self._dids.setdefault(did.number.lstrip("+"), did.destination)

    @classmethod
    def from_settings(cls, settings: Settings,
                      is_extension: Callable[[str], object]) -> "DialPlan":
        return cls(settings.dialplan, settings.trunks, is_extension, settings.queues)

    # --- classes ------------------------------------------------------------------------------
    def classify(self, dialed: str) -> str | None:
        """The class of ``dialed``, or None for something that is not a callable number."""
        if dialed in self._emergency:
            return EMERGENCY
        if dialed and self.is_extension(dialed):
            return INTERNAL
        if not _DIALABLE.fullmatch(dialed or ""):
            return None
        intl, natl = self.plan.international_prefix, self.plan.national_prefix
        if dialed.startswith("+") or (intl and dialed.startswith(intl)):
            return INTERNATIONAL
        if natl and dialed.startswith(natl) and len(dialed) > len(natl):
            return NATIONAL
        if self._national is not None and self._national.fullmatch(dialed):
            return NATIONAL
        if self._local is not None and self._local.fullmatch(dialed):
            return LOCAL
        return None

    def allowed_classes(self, extension: str | None) -> frozenset[str]:
        """The classes ``extension`` may call (emergency always among them)."""
        if extension is not None and extension in self._permissions:
            return self._permissions[extension]
        return self._default

    # --- routing ------------------------------------------------------------------------------
    def outbound(self, caller_extension: str | None, dialed: str) -> Route:
        """Route a number dialed by ``caller_extension``."""
        if dialed in self.queues:
            return Route(kind="queue", queue=self.queues[dialed], call_class=INTERNAL)
        if dialed and dialed == self.plan.voicemail_code:
            return Route(kind="voicemail", call_class=INTERNAL)
        if dialed and dialed == self.plan.recordings_code:
            return Route(kind="recordings", call_class=INTERNAL)
        if (flow := self._flow(self._numbers.get(dialed, dialed))) is not None:
            return Route(kind="flow", flow=flow, call_class=INTERNAL)
        call_class = self.classify(dialed)
        if call_class is None:
            return Route.refuse(404, f"Not Found (no such number: {dialed!r})")
        if call_class not in self.allowed_classes(caller_extension):
            who = caller_extension or "this caller"
            return Route.refuse(403, f"Forbidden ({call_class} calls not allowed for {who})",
                                call_class)
        if call_class == INTERNAL:
            return Route(kind="extension", extension=dialed, call_class=INTERNAL)
        for rule, rx in self._rules:
            if not (rx.fullmatch(dialed) if rx is not None else dialed.startswith(rule.prefix)):
                continue
            number = rule.prepend + dialed[rule.strip:]
            if not number:
                continue
            targets = tuple(TrunkTarget(name, number, self._caller_id(rule, name, caller_extension))
                            for name in rule.trunks)
            return Route(kind="trunk", targets=targets, call_class=call_class)
        return Route.refuse(404, f"Not Found (no outbound route for {dialed})", call_class)

    def _caller_id(self, rule: OutboundRule, trunk: str, caller_extension: str | None) -> str:
        """The rule's caller ID, else the trunk's, else the caller's extension number."""
        if rule.caller_id:
            return rule.caller_id
        config = self.trunks.get(trunk)
        if config is not None and config.caller_id:
            return config.caller_id
        return caller_extension or ""

    def inbound(self, trunk_name: str, did: str) -> Route:
        """Route a call a carrier delivered on ``trunk_name`` to ``did``."""
        destination = self._dids.get((did or "").lstrip("+"))
        if destination is None:
            destination = self.plan.default_destination
            if not destination:
                return Route.refuse(404, f"Not Found (DID {did!r} on trunk {trunk_name!r} "
                                         "is not assigned)")
        if destination in self.queues:
            return Route(kind="queue", queue=self.queues[destination])
        if (flow := self._flow(destination)) is not None:
            return Route(kind="flow", flow=flow)
        if not self.is_extension(destination):
            return Route.refuse(404, f"Not Found (DID {did!r} goes to extension "
                                     f"{destination}, which does not exist)")
        return Route(kind="extension", extension=destination)

    @staticmethod
    def _flow(destination: str) -> str | None:
        """The flow a ``flow:<name>`` destination names (None: not a flow)."""
        return destination[len(FLOW_PREFIX):] if destination.startswith(FLOW_PREFIX) else None
