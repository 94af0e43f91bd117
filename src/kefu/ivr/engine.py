"""The flow interpreter: one call's walk through a flow, as a pure state machine.

:class:`Session` takes the caller's and the adapter's events (:mod:`kefu.ivr.steps`) and
answers with actions: play, stop, start a timer, look up, queue, transfer, hang up, and
the ``ivr.*`` events for ``call_events``. No I/O, no asyncio, no clock of its own (``now``
is passed in), so the telephony adapter that comes later only carries events and actions.

States: ``PLAYING`` a prompt (waiting for its end) · ``ASKING`` an input node's prompt ·
``WAITING`` for digits (a timer runs) · ``LOOKING_UP`` · ``RECORDING`` a voicemail ·
``HANDED_OFF`` to a queue or a transfer target (a refusal takes the node's fallback) ·
``ENDED``. Nodes that need nothing from outside (set, branch, store …) run at once.

Decisions:
- Barge-in: during a ``play`` with ``barge_in`` a key stops the prompt and is kept as
  type-ahead for the next input node, which then skips its prompt; during a menu's,
  collect's or survey's prompt a key stops it and counts (``barge_in: false``: keys are
  dropped until the prompt ends). Keys while nothing asks are dropped.
- One set of variables per call: a subflow reads and sets the caller's variables; its
  ``return`` goes back to the node after the ``subflow`` node.
- A collect's timeout after at least ``min_digits`` keys ends the input (no ``#`` needed).
- Every error branch plays the flow's error prompt first: the caller never hears silence.
"""

from __future__ import annotations

import datetime as dt
import itertools
import re
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from enum import StrEnum

from . import flow as f
from . import steps as s
from .readout import ReadoutError, read
from .variables import holds, interpolate, luhn
from .variables import field as result_field

MAX_DEPTH = 8
"""Subflows within subflows."""
MAX_STEPS = 200
"""Nodes run without waiting for anything: past this the flow is stuck (flows calling each
other in a loop; the check refuses such loops inside one flow)."""


class State(StrEnum):
    PLAYING = "playing"
    ASKING = "asking"
    WAITING = "waiting"
    LOOKING_UP = "looking_up"
    RECORDING = "recording"
    HANDED_OFF = "handed_off"
    ENDED = "ended"


@dataclass
class _Frame:
    flow: f.Flow
    resume: str | None  # the calling flow's node to go on with when this one returns


@dataclass
class _Ask:
    """An input node's rules while it waits: menu, collect and survey alike."""

    node: str
    prompt: f.Prompt
    invalid: f.Prompt | None
    on_timeout: f.Prompt | None
    retries: int
    barge_in: bool
    max_digits: int
    terminator: str | None
    first_timeout: float
    inter_timeout: float
    judge: Callable[[str], str | None]  # the problem with the digits, or None
    accept: Callable[[str], None]
    give_up: Callable[[], None]
    phrases: tuple[str, ...] = ()       # speech input: the grammar (none: keys only)
    keys: Callable[[str], str] = str    # what was said → the keys it stands for
    attempts: int = 0
    digits: str = ""


@dataclass
class Session:
    """One call inside the IVR. ``flows``: the versions this call started with (name →
    flow), so publishing a new version does not change a call in progress."""

    flows: Mapping[str, f.Flow]
    name: str
    now: Callable[[], dt.datetime]
    variables: dict[str, str] = field(default_factory=dict)
    from_agent: bool = False  # an agent sent the caller: the flow's end goes back to it
    state: State = State.PLAYING
    node: str = ""
    _frames: list[_Frame] = field(default_factory=list)
    _out: list[s.Action] = field(default_factory=list)
    _ids: itertools.count[int] = field(default_factory=lambda: itertools.count(1))
    _play: int = 0
    _timer: int = 0
    _then: Callable[[], None] | None = None
    _barge: bool = False  # the prompt playing may be stopped by a key
    _ask: _Ask | None = None
    _typeahead: str = ""
    _lookup: f.Lookup | None = None
    _handoff: f.Queue | f.Transfer | None = None
    _listen: int = 0  # the Listen running (speech input), 0: none

    # ---- driving --------------------------------------------------------------

    def start(self) -> list[s.Action]:
        top = self.flows[self.name]
        self.variables = ({b: "" for b in f.BUILTINS} | {"language": top.language}
                          | dict(top.variables) | self.variables)
        self._frames = [_Frame(top, None)]
        self._run(top.start)
        return self._flush()

    def handle(self, event: s.Event) -> list[s.Action]:
        if self.state is not State.ENDED:
            if isinstance(event, s.CallerHungUp):
                self._hung_up()
            else:
                self._dispatch(event)
        return self._flush()

    def _dispatch(self, e: s.Event) -> None:
        st = self.state
        if isinstance(e, s.PromptDone) and e.play == self._play and st in (State.PLAYING, State.ASKING):
            self._play = 0
            if st is State.PLAYING:
                then, self._then = self._then, None
                if then:
                    then()
            elif self._ask is not None:
                self.state = State.WAITING
                self._arm(self._ask.inter_timeout if self._ask.digits else self._ask.first_timeout)
        elif isinstance(e, s.Digit):
            self._digit(e.key)
        elif isinstance(e, s.Timeout) and e.timer == self._timer:
            self._timer = 0
            if st is State.WAITING:
                self._input_timeout()
            elif st is State.LOOKING_UP:
                self._lookup_failed("timeout")
        elif isinstance(e, s.LookupResult) and st is State.LOOKING_UP:
            self._lookup_done(e.values)
        elif isinstance(e, s.LookupFailed) and st is State.LOOKING_UP:
            self._lookup_failed(e.reason)
        elif isinstance(e, s.Finished) and st is State.RECORDING:
            self._emit("ivr.voicemail", {})
            node = self._node()
            assert isinstance(node, f.Voicemail)
            if node.next:
                self._run(node.next)
            else:
                self._end("voicemail", s.Hangup("voicemail"))
        elif isinstance(e, s.Refused) and st is State.HANDED_OFF and self._handoff:
            self._refused(e.reason)
        elif isinstance(e, s.Heard) and e.listen == self._listen:
            self._heard(e.phrase)

    def _flush(self) -> list[s.Action]:
        out, self._out = self._out, []
        return out

    # ---- helpers ----------------------------------------------------------------

    @property
    def flow(self) -> f.Flow:
        return self._frames[-1].flow

    def _node(self) -> f.Node:
        return self.flow.nodes[self.node]  # type: ignore[return-value]

    def _emit(self, type_: str, data: dict[str, object]) -> None:
        self._out.append(s.Emit(type_, {"flow": self.flow.name, "node": self.node, **data}))

    def _lang(self) -> str:
        return self.variables.get("language") or self.flow.language

    def _item(self, p: f.Prompt) -> s.Item:
        lang = self._lang()
        if p.file is not None:
            return s.Item(file=interpolate(p.file, self.variables), lang=lang)
        return s.Item(text=interpolate(p.tts or "", self.variables), lang=lang)

    def _say(self, items: list[s.Item], barge_in: bool, then: Callable[[], None] | None,
             state: State = State.PLAYING) -> None:
        self._play = next(self._ids)
        self._out.append(s.Play(self._play, tuple(items), barge_in))
        self.state, self._then, self._barge = state, then, barge_in

    def _arm(self, seconds: float) -> None:
        self._disarm()
        self._timer = next(self._ids)
        self._out.append(s.StartTimer(self._timer, seconds))

    def _disarm(self) -> None:
        if self._timer:
            self._out.append(s.CancelTimer(self._timer))
            self._timer = 0

    def _end(self, reason: str, action: s.Action | None, to: str = "") -> None:
        self._disarm()
        self._unlisten()
        self._emit("ivr.exit", {"reason": reason, **({"to": to} if to else {})})
        self.state = State.ENDED
        if action is not None:
            self._out.append(action)

    def _fail(self, reason: str, target: str | None) -> None:
        """The error branch: the error prompt, then ``target`` (or the end of the call)."""
        self.variables["error"] = reason
        self._emit("ivr.error", {"error": reason})
        self._say([self._item(self.flow.error_prompt)], False,
                  (lambda: self._run(target)) if target else
                  (lambda: self._end("error", s.Hangup("error"))))

    # ---- running nodes ----------------------------------------------------------

    def _run(self, target: str | None) -> None:
        """Enter ``target`` and every node after it that needs nothing from outside."""
        self._unlisten()
        for _ in range(MAX_STEPS):
            if target is None:
                return
            self.node = target
            node = self._node()
            self._emit("ivr.node", {"type": node.type})  # type: ignore[attr-defined]
            target = self._enter(node)
        self._fail("the flow runs in a loop", None)

    def _enter(self, node: f.Node) -> str | None:
        """Start ``node``; the next node when it is done at once, else None."""
        v = self.variables
        if isinstance(node, f.Set):
            v.update({k: interpolate(x, v) for k, x in node.values.items()})
            return node.next
        if isinstance(node, f.Branch):
            for case in node.cases:
                if holds(case.if_, v, self.flow.calendars, self.now()):
                    return case.goto
            return node.else_
        if isinstance(node, f.Store):
            fields = {k: interpolate(x, v) for k, x in node.fields.items()}
            self._out.append(s.StoreRecord(self.node, node.record, fields))
            self._emit("ivr.store", {"record": node.record})
            return node.next
        if isinstance(node, f.Play):
            self._say([self._item(node.prompt)], node.barge_in, lambda: self._run(node.next))
        elif isinstance(node, f.Say):
            self._enter_say(node)
        elif isinstance(node, f.Menu | f.Collect | f.Survey):
            self._begin(self._asking(node))
        elif isinstance(node, f.Lookup):
            self._enter_lookup(node)
        elif isinstance(node, f.Voicemail):
            record = s.RecordVoicemail(interpolate(node.mailbox, v), node.max_seconds)
            if node.prompt:
                self._say([self._item(node.prompt)], False, lambda: self._record(record))
            else:
                self._record(record)
        elif isinstance(node, f.Queue):
            self._handoff = node
            data = {k: interpolate(x, v) for k, x in node.data.items()}
            self._end("queue", s.Enqueue(node.queue, node.priority, node.min_level, data), node.queue)
            self.state = State.HANDED_OFF
        elif isinstance(node, f.Transfer):
            return self._enter_transfer(node)
        elif isinstance(node, f.Subflow):
            return self._enter_subflow(node)
        elif isinstance(node, f.Return):
            return self._return()
        elif isinstance(node, f.Hangup):
            if node.prompt:
                self._say([self._item(node.prompt)], False, lambda: self._end("hangup", s.Hangup("flow")))
            else:
                self._end("hangup", s.Hangup("flow"))
        return None

    def _record(self, action: s.RecordVoicemail) -> None:
        self._out.append(action)
        self.state = State.RECORDING

    def _enter_say(self, node: f.Say) -> None:
        lang = self.variables.get("language") or self.flow.language
        try:
            out = read(lang, node.kind, interpolate(node.value, self.variables))
        except ReadoutError as e:
            self.variables["error"] = str(e)
            self._emit("ivr.error", {"error": str(e)})
            self._say([self._item(self.flow.error_prompt)], False, lambda: self._run(node.next))
            return
        self._emit("ivr.say", {"kind": str(node.kind), "text": out.text, "lang": lang})
        spoken = (s.Item(prompts=out.prompts, lang=lang) if node.voice == "prompts"
                  else s.Item(text=out.text, lang=lang))
        items = [*([self._item(node.before)] if node.before else []), spoken,
                 *([self._item(node.after)] if node.after else [])]
        self._say(items, False, lambda: self._run(node.next))

    def _enter_lookup(self, node: f.Lookup) -> None:
        v = self.variables
        if node.sql:
            act = s.DoLookup(self.node, "sql", node.sql.url, node.sql.query, None,
                             {k: interpolate(x, v) for k, x in node.sql.params.items()}, node.timeout)
        else:
            assert node.http is not None
            act = s.DoLookup(self.node, "http", interpolate(node.http.url, v), None, node.http.method,
                             {k: interpolate(x, v) for k, x in node.http.params.items()}, node.timeout)
        self._lookup = node
        self._out.append(act)
        self.state = State.LOOKING_UP
        self._arm(node.timeout + 1.0)  # the adapter enforces the timeout; this is the backstop

    def _lookup_done(self, result: Mapping[str, object]) -> None:
        node = self._lookup
        assert node is not None
        try:
            found = {var: result_field(result, path) for var, path in node.into.items()}
        except KeyError as e:
            self._lookup_failed(str(e.args[0]))
            return
        self._disarm()
        self.variables.update(found)
        self._emit("ivr.lookup", {"ok": True, "fields": sorted(found)})
        self._run(node.next)

    def _lookup_failed(self, reason: str) -> None:
        node = self._lookup
        assert node is not None
        self._disarm()
        self._emit("ivr.lookup", {"ok": False, "error": reason})
        self._fail(reason, node.error)

    def _enter_transfer(self, node: f.Transfer) -> str | None:
        to = interpolate(node.to, self.variables)
        if to.startswith("flow:"):
            target = self.flows.get(to[5:])
            if target is None:
                self._fail(f"no flow {to[5:]!r}", node.fallback)
                return None
            self._emit("ivr.flow", {"to": target.name})
            self._frames = [_Frame(target, None)]
            return target.start
        self._handoff = node
        self._end("transfer", s.TransferTo(to), to)
        self.state = State.HANDED_OFF
        return None

    def _refused(self, reason: str) -> None:
        node = self._handoff
        assert node is not None
        self._handoff = None
        self._emit("ivr.refused", {"reason": reason})
        if node.fallback:
            self._run(node.fallback)
        else:
            self._fail(reason, None)

    def _enter_subflow(self, node: f.Subflow) -> str | None:
        sub = self.flows.get(node.flow)
        if sub is None or len(self._frames) >= MAX_DEPTH:
            self._fail(f"subflow {node.flow!r} " + ("not found" if sub is None else "nested too deep"), None)
            return None
        self._frames.append(_Frame(sub, node.next))
        return sub.start

    def _return(self) -> str | None:
        if len(self._frames) > 1:
            frame = self._frames.pop()
            self._emit("ivr.return", {"from": frame.flow.name})
            return frame.resume
        if self.from_agent:
            self._end("returned", s.ReturnToAgent(dict(self.variables)))
        else:
            self._end("flow_end", s.Hangup("flow_end"))
        return None

    def _hung_up(self) -> None:
        if self.state is State.RECORDING:
            self._emit("ivr.voicemail", {})
        self._end("caller_hangup", None)

    # ---- input: menu, collect, survey -------------------------------------------

    def _asking(self, node: f.Menu | f.Collect | f.Survey) -> _Ask:
        name = self.node
        if isinstance(node, f.Menu):
            def choose(key: str) -> None:
                if node.into:
                    self.variables[node.into] = key
                self._emit("ivr.choice", {"key": key, "to": node.choices[key],
                                          "said": node.said(key)})
                self._run(node.choices[key])
            return _Ask(name, node.prompt, node.invalid_prompt, node.timeout_prompt, node.retries,
                        node.barge_in, 1, None, node.timeout, node.timeout,
                        lambda d: None if d in node.choices else "not a choice", choose,
                        lambda: self._give_up(node.fallback, "menu_failed"),
                        tuple(node.words), node.words.__getitem__)
        if isinstance(node, f.Survey):
            def score(key: str | None) -> None:
                if key:
                    self.variables[node.into] = key
                self._emit("ivr.survey", {"score": int(key) if key else None})
                self._run(node.next)
            return _Ask(name, node.prompt, node.invalid_prompt, None, node.retries, True, 1, None,
                        node.timeout, node.timeout,
                        lambda d: None if d.isdigit() and 1 <= int(d) <= node.scale else "not a score",
                        score, lambda: score(None))

        def judge(d: str) -> str | None:
            if not node.min_digits <= len(d) <= node.max_digits:
                return f"{len(d)} digits, {node.min_digits}-{node.max_digits} wanted"
            if node.pattern and not re.fullmatch(node.pattern, d):
                return "does not match the pattern"
            if node.check == "luhn" and not luhn(d):
                return "check digit wrong"
            return None

        def keep(d: str) -> None:
            self.variables[node.into] = d
            self._emit("ivr.digits", {"digits": d, "into": node.into})
            self._run(node.next)
        return _Ask(name, node.prompt, node.invalid_prompt, node.timeout_prompt, node.retries,
                    node.barge_in, node.max_digits, node.terminator, node.first_timeout,
                    node.inter_digit_timeout, judge, keep,
                    lambda: self._give_up(node.fallback, "collect_failed"))

    def _begin(self, ask: _Ask) -> None:
        self._ask = ask
        if ask.phrases:
            self._listen = next(self._ids)
            self._out.append(s.Listen(self._listen, ask.phrases, self._lang()))
        typed, self._typeahead = self._typeahead, ""
        if not typed:
            self._say([self._item(ask.prompt)], ask.barge_in, None, State.ASKING)
            return
        self.state = State.WAITING
        for key in typed:
            if self._ask is not ask or self.state is not State.WAITING:
                break  # the type-ahead finished this node
            self._key(ask, key)

    def _digit(self, key: str) -> None:
        ask = self._ask
        if self.state is State.PLAYING:
            if self._play and self._barge:
                self._out.append(s.StopPlayback(self._play))
                self._play = 0
                self._typeahead += key
                then, self._then = self._then, None
                if then:
                    then()
        elif self.state is State.ASKING and ask is not None:
            if ask.barge_in:
                self._out.append(s.StopPlayback(self._play))
                self._play = 0
                self.state = State.WAITING
                self._key(ask, key)
        elif self.state is State.WAITING and ask is not None:
            self._key(ask, key)

    def _heard(self, phrase: str | None) -> None:
        """Speech counts as the keys it stands for, typed at once: it stops the prompt
        (barge-in or not: the caller already spoke) and replaces keys typed so far."""
        ask = self._ask
        if ask is None or self.state not in (State.ASKING, State.WAITING):
            return
        self._emit("ivr.speech", {"heard": phrase})
        if phrase is None:
            return                  # nothing of the grammar: keys or the timeout go on
        if self.state is State.ASKING:
            self._out.append(s.StopPlayback(self._play))
            self._play = 0
        self.state = State.WAITING
        ask.digits = ask.keys(phrase)
        self._complete(ask)

    def _unlisten(self) -> None:
        if self._listen:
            self._out.append(s.StopListening(self._listen))
            self._listen = 0

    def _key(self, ask: _Ask, key: str) -> None:
        if ask.terminator is not None and key == ask.terminator:
            self._complete(ask)
            return
        ask.digits += key
        if len(ask.digits) >= ask.max_digits:
            self._complete(ask)
        else:
            self._arm(ask.inter_timeout)

    def _input_timeout(self) -> None:
        ask = self._ask
        assert ask is not None
        if ask.digits and ask.max_digits > 1:
            self._complete(ask)
        else:
            self._emit("ivr.timeout", {"attempt": ask.attempts + 1})
            self._retry(ask, ask.on_timeout)

    def _complete(self, ask: _Ask) -> None:
        self._disarm()
        digits, ask.digits = ask.digits, ""
        problem = ask.judge(digits)
        if problem is None:
            self._ask = None
            ask.accept(digits)
        else:
            self._emit("ivr.invalid", {"digits": digits, "problem": problem, "attempt": ask.attempts + 1})
            self._retry(ask, ask.invalid)

    def _retry(self, ask: _Ask, prompt: f.Prompt | None) -> None:
        ask.attempts += 1
        if ask.attempts > ask.retries:
            self._ask = None
            ask.give_up()
            return
        items = ([self._item(prompt)] if prompt else []) + [self._item(ask.prompt)]
        self._say(items, ask.barge_in, None, State.ASKING)

    def _give_up(self, fallback: str | None, reason: str) -> None:
        if fallback:
            self._run(fallback)
        else:
            self._end(reason, s.Hangup(reason))
