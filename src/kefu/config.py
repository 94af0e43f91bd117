"""Settings: a TOML file, then ``KEFU_<SECTION>_<KEY>`` environment overrides.

The models below are the contract every package codes against: pydantic models, frozen,
refusing unknown keys, each field's type carrying its bounds and rules (``kefu.values``
types included); the root is a pydantic-settings ``BaseSettings``.  ``load_settings``
names every offending key and refuses to start: a PBX that starts with a half-understood
config fails later, on a live call, far from the cause.
"""

from __future__ import annotations

import ipaddress
import os
import re
import tomllib
import typing
import warnings
from functools import cache
from pathlib import Path
from typing import Annotated, Any, Collection, Iterable, Literal, Mapping

from pydantic import (AfterValidator, BaseModel, BeforeValidator, ConfigDict, Field, Strict,
                      ValidationError, ValidationInfo, field_validator, model_validator)
from pydantic_core import PydanticCustomError
from pydantic_settings import (BaseSettings, EnvSettingsSource, PydanticBaseSettingsSource,
                               SettingsConfigDict, TomlConfigSettingsSource)

from kefu.calendar import Calendar
from kefu.values import DTMF_KEY, EXTENSION, PHONE, ExtensionNumber, PhoneNumber, Rule
from kefu.values import DtmfKey as _DtmfKey


MIN_EXTENSION_PASSWORD = 6


class ConfigError(ValueError):
    """A config file or override is wrong; the message names the key."""


# --- value types: a field's bounds are declared on the field, pydantic checks them -------

def _not_blank(value: Any) -> Any:
    if isinstance(value, str) and not value.strip():
        raise ValueError("must not be blank")
    return value


def _upper(value: Any) -> Any:
    return value.upper() if isinstance(value, str) else value


def _lower(value: Any) -> Any:
    return value.lower() if isinstance(value, str) else value


class _Says(typing.NamedTuple):
    """What a value of this type must be, for the error message ("an IP address …")."""
    phrase: str


def _ip(value: str) -> str:
    return str(ipaddress.ip_address(value))


def _network(value: str) -> str:
    ipaddress.ip_network(value, strict=False)
    return value


def _regex(value: str) -> str:
    try:
        re.compile(value)
    except re.error as exc:                 # not a ValueError: pydantic would not catch it
        raise ValueError(str(exc)) from None
    return value


NotBlank = BeforeValidator(_not_blank)
Port = Annotated[int, Field(ge=1, le=65535)]
Expires = Annotated[int, Field(ge=1, le=86400)]
Host = Annotated[str, NotBlank]
LogLevel = Annotated[Literal["DEBUG", "INFO", "WARNING", "ERROR"], BeforeValidator(_upper)]


def _number_text(value: Any) -> Any:
    """A number may be written as a TOML integer, for convenience: ``number = 1001``."""
    return str(value) if isinstance(value, int) and not isinstance(value, bool) and value >= 0 \
        else value


class _Secret:
    """Marks a field whose value never appears in an error message."""


NumberText = BeforeValidator(_number_text)
ExtNumber = Annotated[ExtensionNumber, NumberText]
Phone = Annotated[PhoneNumber, NumberText]
# "" (none) or a value of the type
OptionalPhone = Annotated[Phone | Literal[""], Field(union_mode="left_to_right"), PHONE]
OptionalExtension = Annotated[ExtNumber | Literal[""], Field(union_mode="left_to_right"), EXTENSION]
OptionalDtmfKey = Annotated[_DtmfKey | Literal[""], Field(union_mode="left_to_right"), DTMF_KEY]
Name = Annotated[str, Field(pattern=r"^[A-Za-z0-9][A-Za-z0-9_.-]{0,31}$"),
                 _Says("1-32 letters, digits, '.', '_' or '-'")]
IpAddress = Annotated[str, AfterValidator(_ip), _Says("an IP address (no host names)")]
Network = Annotated[str, AfterValidator(_network), _Says("an IP address or network (CIDR)")]
Domain = Annotated[str, Field(pattern=r"^(?:[A-Za-z0-9](?:[A-Za-z0-9.-]{0,251}[A-Za-z0-9])?)?$"),
                   _Says("a host name or IP address")]
DialText = Annotated[str, Field(pattern=r"^[0-9*#+]*$"), _Says("digits, *, # or +")]
Digits = Annotated[str, Field(pattern=r"^[0-9]*$"), _Says("digits (or empty)")]
Regex = Annotated[str, AfterValidator(_regex), _Says("a regular expression")]
Transport = Annotated[Literal["udp", "tcp", "tls"], BeforeValidator(_lower)]
SipPassword = Annotated[str, Field(min_length=MIN_EXTENSION_PASSWORD), _Secret()]
SkillLevel = Annotated[int, Field(ge=0, le=100), _Says("a skill level 0-100")]
DAY = 86400
CALL_CLASSES = ("internal", "emergency", "local", "national", "international")


# --- problems that span keys, each named by its key -------------------------------------

Where = tuple[str | int, ...]


def _bad(problem: str) -> PydanticCustomError:
    """A problem in kefu's words; :func:`load_settings` reports it as it is."""
    return PydanticCustomError("kefu", "{problem}", {"problem": problem})


def _raise(found: Iterable[tuple[Where, str]], value: Any) -> None:
    """Raise every problem found, each at its key under the object being validated
    (pydantic puts that object's own path in front)."""
    errors: list[Any] = [{"type": _bad(problem), "loc": where, "input": value}
                         for where, problem in found]
    if errors:
        raise ValidationError.from_exception_data("kefu", errors)


def _unique(table: str, *keys: str) -> AfterValidator:
    """An array of tables in which no two items share a value of one of ``keys``."""
    def check(items: list[Any]) -> list[Any]:
        seen: dict[tuple[str, Any], int] = {}
        found: list[tuple[Where, str]] = []
        for i, item in enumerate(items):
            for key in keys:
                value = getattr(item, key)
                if (key, value) in seen:
                    found.append(((i, key), f"duplicate of {table}[{seen[key, value]}] ({value!r})"))
                else:
                    seen[key, value] = i
        _raise(found, items)
        return items
    return AfterValidator(check)


def _known_classes(classes: list[str]) -> list[str]:
    wrong = [c for c in classes if c not in CALL_CLASSES]
    if wrong:
        raise _bad(f"unknown call class {wrong[0]!r} (classes: {', '.join(CALL_CLASSES)})")
    return classes


CallClasses = Annotated[list[str], AfterValidator(_known_classes)]


class Section(BaseModel):
    """A table of the file: unknown keys refused, frozen once loaded.  Strict, as TOML is
    typed ("5060" is not a port); the environment's text is converted before validation."""

    model_config = ConfigDict(extra="forbid", frozen=True, strict=True)

    def __init__(self, /, *args: Any, **data: Any) -> None:
        """Positional arguments too, in field order, as the dataclasses these were took."""
        super().__init__(**dict(zip(type(self).model_fields, args)), **data)

    # as RootModel does: validation (nested tables, model_validate with its context) goes
    # straight to pydantic's validator, not through this __init__
    __init__.__pydantic_base_init__ = True  # type: ignore[attr-defined]


# --- the sections -------------------------------------------------------------------------

class SipSettings(Section):
    host: Host = "127.0.0.1"         # listen address, UDP and TCP
    port: Port = 5060
    realm: Annotated[str, NotBlank] = "kefu"   # digest realm
    ring_timeout: Annotated[float, Field(ge=1, le=3600)] = 30.0   # then an unanswered leg
    #                                   is cancelled
    min_expires: Expires = 60
    max_expires: Expires = 3600
    default_expires: Expires = 600

    @model_validator(mode="after")
    def _expires_in_order(self) -> SipSettings:
        if self.min_expires > self.max_expires:
            _raise([(("min_expires",), f"must not exceed sip.max_expires ({self.max_expires}), "
                                       f"got {self.min_expires}")], self)
        elif not self.min_expires <= self.default_expires <= self.max_expires:
            _raise([(("default_expires",), "must lie between sip.min_expires and sip.max_expires "
                     f"({self.min_expires}-{self.max_expires}), got {self.default_expires}")], self)
        return self


class RtpSettings(Section):
    host: Host = "127.0.0.1"         # address RTP sockets bind to and announce in SDP
    port_min: Port = 20000
    port_max: Port = 20999

    @model_validator(mode="after")
    def _range(self) -> RtpSettings:
        if self.port_min >= self.port_max:
            _raise([(("port_min",), "must be less than rtp.port_max (the range needs at least 2 "
                                    f"ports), got {self.port_min}-{self.port_max}")], self)
        return self


class HttpSettings(Section):
    host: Host = "127.0.0.1"
    port: Port = 8080
    login_fail_limit: Annotated[int, Field(ge=1, le=100000)] = 10   # wrong passwords for one
    #                                   username, then a lockout
    login_fail_limit_address: Annotated[int, Field(ge=1, le=100000)] = 100   # the same from
    #                                   one address (offices share one)
    login_lockout: Annotated[float, Field(ge=1, le=30 * DAY)] = 900.0   # seconds a lockout
    #                                   lasts (and failures are remembered)


class UsersSettings(Section):
    """The ``users`` slice's section (the slice is given only this)."""
    token_ttl: Annotated[float, Field(ge=60, le=30 * DAY)] = 12 * 3600.0   # seconds an API
    #                                   login token stays valid


RecordChoice = Literal["always", "never"]


class RecordingRule(Section):
    """One ``[[recording.rules]]``: every condition given must hold (an empty one holds
    always); the first rule that matches decides (see :mod:`kefu.calls.recording`)."""
    name: Name
    record: RecordChoice
    caller: Regex = ""                # the caller's number, a regex over the whole number
    callee: Regex = ""                # the dialled number
    agent: str = ""                   # the agent (username) the ACD connected
    queue: str = ""                   # the queue the call came through
    direction: Literal["", "inbound", "outbound", "internal"] = ""
    trunk: str = ""                   # the trunk it came in or went out on


class RecordingSettings(Section):
    enabled: bool = True              # false: nothing is recorded by policy (on demand still is)
    default: RecordChoice = "always"  # when no rule matches
    rules: Annotated[list[RecordingRule], _unique("recording.rules", "name")] = []
    announce: str = ""                # played to the caller when recording starts: a WAV
    #                                   (under data_dir/prompts unless absolute) or text (TTS)
    beep_every: Annotated[float, Field(ge=0, le=3600)] = 0.0   # seconds between beeps; 0: none

    @field_validator("beep_every")
    @classmethod
    def _beep_every(cls, value: float) -> float:
        if 0 < value < 5:
            raise ValueError("beep_every is 0 (no beep) or at least 5 seconds")
        return value


class RetentionRule(Section):
    """``[[recordings.retention]]``: recordings with this tag / disposition / queue (every
    key given must match) are kept ``days`` (0: forever) instead of ``retain_days``; when
    several rules match, the longest keeps it."""
    tag: str = ""
    disposition: str = ""
    queue: str = ""
    days: Annotated[int, Field(ge=0, le=100 * 365)]

    @model_validator(mode="after")
    def _says_which(self) -> RetentionRule:
        if not (self.tag or self.disposition or self.queue):
            _raise([(("tag",), "a retention rule needs a tag, disposition or queue")], self)
        return self


class RecordingsSettings(Section):
    """The ``recordings`` slice's section (the slice is given only this): who may hear
    what, the files' codec on close, the archive tier, retention."""
    agents_hear_own: bool = False     # agents may play their own calls' recordings
    codec: Literal["wav", "flac", "opus"] = "wav"   # on close: keep the WAV, FLAC (lossless)
    #                                   or Opus in OGG; both channels kept
    archive_dir: str = ""             # the archive tier; empty: <data_dir>/archive
    archive_after_days: Annotated[int, Field(ge=0, le=100 * 365)] = 0   # then moved to the
    #                                   archive tier (kefu recordings archive); 0: never
    retain_days: Annotated[int, Field(ge=0, le=100 * 365)] = 0   # then deleted (kefu
    #                                   recordings retain); 0: kept forever
    retention: list[RetentionRule] = []


NoteField = Literal["handling", "result", "notes"]   # what a note type may require


class NoteTypeConfig(Section):
    """``[[crm.note_types]]``: a kind of call note (咨询 inquiry, 投诉 complaint…) and the
    note fields an agent must fill for it."""

    name: Name                        # stored on the note; reports group by it
    label_zh: Annotated[str, NotBlank]
    label_en: Annotated[str, NotBlank]
    required: list[NoteField] = []


def _note_type(name: str, zh: str, en: str, *required: NoteField) -> NoteTypeConfig:
    return NoteTypeConfig(name=name, label_zh=zh, label_en=en, required=list(required))


class CrmSettings(Section):
    """``[crm]``: customers and call notes."""

    region: Annotated[str, Field(pattern=r"^[A-Z]{2}$"), _Says("an ISO 3166 country code, "
                      "e.g. CN")] = "CN"   # numbers without a country code are read as this
    #                                     country's (kefu.crm.phones)
    note_types: Annotated[list[NoteTypeConfig], _unique("crm.note_types", "name"),
                          Field(min_length=1)] = [
        _note_type("inquiry", "咨询", "Inquiry"),
        _note_type("complaint", "投诉", "Complaint", "notes"),
        _note_type("suggestion", "建议", "Suggestion", "notes"),
        _note_type("praise", "表扬", "Praise"),
        _note_type("other", "其他", "Other"),
    ]
    handlings: list[Annotated[str, NotBlank]] = [   # 处理方式: how a contact was handled
        "answered", "transferred", "ticket", "callback", "escalated"]
    duplicate_name_ratio: Annotated[float, Field(ge=50, le=100)] = 85.0   # rapidfuzz ratio: two
    #                                     names in one company this alike may be one customer
    import_max_bytes: Annotated[int, Field(ge=1024, le=200 * 1024 * 1024)] = 10 * 1024 * 1024
    import_batch: Annotated[int, Field(ge=1, le=10000)] = 200   # rows per transaction


AttachmentType = Literal["pdf", "png", "jpg", "gif", "txt", "csv", "docx", "xlsx", "wav", "mp3"]


class TicketsSettings(Section):
    """``[tickets]``: attachments (their type is read from their content, not their name)."""

    attachments_max_bytes: Annotated[int, Field(ge=1, le=1 << 30)] = 10 * 1024 * 1024
    attachment_types: list[AttachmentType] = list(typing.get_args(AttachmentType))
    visit_after_minutes: Annotated[int, Field(ge=0, le=60 * 24 * 90)] = 24 * 60
    #                                 a return visit (回访) is due this long after its state is entered


KbRole = Literal["admin", "supervisor", "agent", "qa"]
KbImageType = Literal["png", "jpg", "gif", "webp"]
KbFileType = Literal["pdf", "png", "jpg", "gif", "webp", "txt", "csv", "docx", "xlsx", "mp3",
                     "wav"]


class KbSettings(Section):
    """``[kb]``: the knowledge base (知识库): who writes and who approves articles, and the
    uploads' limits (their type read from their content, not their name)."""

    writers: Annotated[list[KbRole], Field(min_length=1)] = ["admin", "supervisor", "agent"]
    #                                 write drafts and submit them (every role reads)
    approvers: Annotated[list[KbRole], Field(min_length=1)] = ["admin", "supervisor"]
    #                                 approve or reject, schedule, unpublish; edit the categories
    image_max_bytes: Annotated[int, Field(ge=1, le=1 << 30)] = 5 * 1024 * 1024
    attachment_max_bytes: Annotated[int, Field(ge=1, le=1 << 30)] = 20 * 1024 * 1024
    image_types: list[KbImageType] = list(typing.get_args(KbImageType))
    attachment_types: list[KbFileType] = list(typing.get_args(KbFileType))


class FollowupsSettings(Section):
    """``[followups]``: callbacks and return visits (回访): attempts, reminders, escalation."""

    max_attempts: Annotated[int, Field(ge=1, le=20)] = 3   # calls before a follow-up fails
    remind_before: Annotated[float, Field(ge=0)] = 600.0   # seconds: the assignee reminded
    overdue_after: Annotated[float, Field(ge=0)] = 0.0     # seconds past due: escalated
    retry_after: Annotated[float, Field(gt=0)] = 1800.0    # no answer, no time given: again in
    escalate_to: str = ""             # a queue an overdue one moves to; "": supervisors told


class ReportsSettings(Section):
    """``[reports]``: what the reports count (docs/kpis.md): one definition everywhere."""

    short_abandon: Annotated[float, Field(ge=0, le=600)] = 5.0   # seconds: a caller who
    #                                   hangs up sooner is a short abandon, not offered
    timezone: str = ""                # reports' days and hours; "": the server's local zone


class SmtpSettings(Section):
    """Where the voicemail emails go (the WAV attached); ``host`` empty: none are sent."""
    host: str = ""
    port: Port = 25
    sender: Annotated[str, NotBlank] = "kefu@localhost"
    starttls: bool = False            # upgrade the connection before logging in
    username: str = ""                # empty: no login
    password: Annotated[str, _Secret(), Field(repr=False)] = ""
    timeout: Annotated[float, Field(gt=0, le=300)] = 10.0   # seconds per connection


class TlsSettings(Section):
    enabled: bool = True
    port: Port = 5061                 # SIP over TLS, on sip.host
    cert_file: str = ""               # empty: a self-signed certificate made on first start
    key_file: str = ""                #   under <data_dir>/tls/


class SecuritySettings(Section):
    auth_fail_limit: Annotated[int, Field(ge=1, le=1000)] = 5   # digest failures from one
    auth_fail_window: Annotated[float, Field(ge=1, le=DAY)] = 60.0   # address within the
    ban_seconds: Annotated[float, Field(ge=1, le=30 * DAY)] = 600.0  # window ban it
    register_rate: Annotated[float, Field(ge=0.1, le=100000)] = 20.0   # REGISTERs per second
    #                                   from one address before 503
    invite_rate: Annotated[float, Field(ge=0.1, le=100000)] = 20.0   # new INVITEs, the same
    trusted: list[str] = []           # addresses never banned or throttled


class LimitsSettings(Section):
    """Connection limits against one address exhausting kefu's descriptors (idle sockets)."""
    http_per_address: Annotated[int, Field(ge=1, le=1_000_000)] = 256   # open HTTP
    #                                   connections (WebSockets included) per address
    sip_per_address: Annotated[int, Field(ge=1, le=1_000_000)] = 256   # open SIP TCP+TLS
    #                                   connections per address
    header_timeout: Annotated[float, Field(ge=0.1, le=3600)] = 10.0   # seconds a connection
    #                                   has for its request headers
    sip_unbound_idle: Annotated[float, Field(ge=1, le=DAY)] = 60.0   # idle seconds for SIP
    #                                   TCP/TLS with no registration on it


class MediaSettings(Section):
    moh_file: str = ""                # music on hold WAV; empty: kefu's built-in melody
    latch: bool = True                # symmetric RTP: answer to where the peer's RTP comes from


class WebRtcSettings(Section):
    host: str = ""                    # ICE candidate and bridge address; empty: rtp.host


class AcdSettings(Section):
    priority_seconds: float = 60.0    # a call's priority 1 counts as this much waiting
    no_answer_limit: int = 3          # offers in a row an agent leaves unanswered, then NOT_READY
    busy_backoff: float = 10.0        # an agent who was busy or rejected is offered again after
    pause_reasons: list[str] = ["break", "lunch", "meeting", "training", "after_call"]
    max_data_bytes: int = 1024 * 1024  # call-attached data, as JSON
    prompts_dir: str = ""             # queue announcements; empty: <data_dir>/prompts/queue
    reconnect_grace: Annotated[float, Field(ge=0, le=600)] = 30.0   # seconds a browser desk
    #                                   whose line went away (reload, lost network) has to
    #                                   come back before its call is re-queued and it is
    #                                   logged out; its caller hears music meanwhile
    leave_grace: Annotated[float, Field(ge=0, le=60)] = 1.5   # seconds after a desk said
    #                                   it was closed (page-hide beacon) before its idle agent
    #                                   is logged out, unless the page comes back (a reload)


FLOW_PREFIX = "flow:"
_FLOW_NAME = re.compile(r"[A-Za-z_][A-Za-z0-9_]{0,63}")   # the flow name rule of kefu.ivr
OptionalFlow = Annotated[str, Field(pattern=rf"^({FLOW_PREFIX}{_FLOW_NAME.pattern})?$"),
                         _Says('flow:<name> (an IVR flow), or "" (none)')]


class QueueConfig(Section):
    """``[[queues]]``: a queue, the number that reaches it, how it routes and its members."""

    name: Name
    number: ExtNumber                 # dialled (or a DID's destination) to join the queue
    strategy: str = "longest_idle"
    priority: int = 0                 # added to every call's priority (VIP queues)
    members: Annotated[dict[str, SkillLevel], _Says(   # agent username → skill level
        "a table of usernames to skill levels (e.g. { alice = 5 })")] = {}
    tiers: Annotated[dict[str, int], _Says(            # customer tier → priority
        "a table of tiers to priorities (e.g. { gold = 5 })")] = {}
    ring_timeout: float = 15.0        # one offer, then the next agent
    retry: float = 2.0                # an agent who let an offer ring out waits this long
    wrap_up: float = 10.0             # after-call work, seconds (0: none)
    max_wait: float = 0.0             # seconds, then overflow (0: no limit)
    max_length: int = 0               # waiting calls, then overflow (0: no limit)
    overflow: str = ""                # number (or flow:<name>) calls overflow to; "": busy
    hours: Calendar | None = None     # opening hours (server's local time); None: always open
    closed: str = ""                  # outside the hours: a number or flow:<name>; "": refused
    survey: OptionalFlow = ""         # flow:<name> the caller goes into when the agent
    #                                   hangs up first (a satisfaction survey); "": none
    join_empty: bool = True           # join while no agent is logged in
    leave_empty: bool = False         # leave (overflow) when the last agent logs out
    leave_key: OptionalDtmfKey = ""   # DTMF to leave the queue (to overflow)
    callback_key: OptionalDtmfKey = ""   # DTMF to hang up and be called back, keeping the place
    announce_interval: float = 0.0    # position / wait announcements every N s (0: none)
    moh_file: str = ""                # this queue's music on hold; empty: the default
    prefer_timeout: float = 0.0       # customer-based: wait this long for the caller's agent
    service_level: Annotated[float, Field(gt=0)] = 20.0   # answered within this many
    #                                   seconds counts as served
    callback_attempts: Annotated[int, Field(ge=1)] = 3   # tries to reach a customer who
    #                                   asked for a callback
    callback_retry: Annotated[float, Field(ge=0)] = 300.0   # seconds between them
    # the wallboard's alerts, seconds (0: off): a caller waiting, an agent of the queue not
    # ready, a call of the queue talking longer than this (an agent in several queues: the
    # smallest of theirs)
    alert_wait: Annotated[float, Field(ge=0)] = 60.0
    alert_not_ready: Annotated[float, Field(ge=0)] = 600.0
    alert_talk: Annotated[float, Field(ge=0)] = 900.0

    @field_validator("strategy")
    @classmethod
    def _known_strategy(cls, strategy: str, info: ValidationInfo) -> str:
        """Checked against the names ``load_settings`` was given (the composition root
        passes ``kefu.acd.strategies.strategy_names()``; config sits below acd and cannot
        ask); without them the ACD refuses an unknown one when it starts."""
        known = (info.context or {}).get("strategies")
        if known is not None and strategy not in known:
            raise _bad(f"unknown routing strategy {strategy!r} (known: {', '.join(sorted(known))})")
        return strategy

    @model_validator(mode="after")
    def _overflow_elsewhere(self) -> QueueConfig:
        """Where callers are sent on (``overflow``, ``closed``) is not the queue itself,
        and a flow there is named as flows are."""
        for key in ("overflow", "closed"):
            to = getattr(self, key)
            if to == self.number:
                _raise([((key,), "must not be the queue's own number")], self)
            if to.startswith(FLOW_PREFIX) and not _FLOW_NAME.fullmatch(to[len(FLOW_PREFIX):]):
                _raise([((key,), "must be flow:<name> (letters, digits, _; a letter or _ "
                         "first) to send callers into an IVR flow")], self)
        if self.closed and self.hours is None:
            _raise([(("closed",), "needs hours: outside which callers go there")], self)
        return self


class ExtensionConfig(Section):
    number: ExtNumber
    password: SipPassword
    display_name: str = ""


def _is_ip(value: Any) -> bool:
    try:
        ipaddress.ip_address(value)
        return True
    except ValueError:
        return False


# the key ``register`` shadows ``ABCMeta.register`` on the class, which nothing uses
warnings.filterwarnings("ignore", 'Field name "register" in "TrunkConfig"', UserWarning)


class TrunkConfig(Section):
    """A SIP trunk to a carrier (``[[trunks]]``)."""

    name: Name
    host: IpAddress                   # the carrier's SIP server: an IP literal (no DNS)
    port: Port = 5060                 # 5061 when transport is tls and no port is given
    transport: Transport = "udp"      # udp, tcp or tls
    username: str = ""                # digest credentials kefu answers the carrier's challenges with
    password: Annotated[str, _Secret()] = ""
    register: bool = False            # kefu REGISTERs to the carrier (needs username and password)
    expires: Annotated[int, Field(ge=30, le=DAY)] = 600   # registration interval kefu asks
    #                                   for, seconds
    inbound_sources: list[Network] = []   # IPs/CIDRs whose INVITEs are this trunk's (accepted
    #                                   without digest); not given: [host]
    caller_id: OptionalPhone = ""     # default presentation number for outbound calls
    from_domain: Domain = ""          # host of From and of the registration AOR; "" = kefu's
    #                                   own address in From, host in the AOR

    @model_validator(mode="before")
    @classmethod
    def _defaults_from_other_keys(cls, data: Any) -> Any:
        if isinstance(data, dict):
            data = dict(data)
            if "port" not in data and _lower(data.get("transport")) == "tls":
                data["port"] = 5061
            if "inbound_sources" not in data and _is_ip(data.get("host")):
                data["inbound_sources"] = [data["host"]]
        return data

    @model_validator(mode="after")
    def _credentials(self) -> TrunkConfig:
        if self.register and not (self.username and self.password):
            _raise([(("register",), "needs username and password")], self)
        return self


def _sources_apart(trunks: list[TrunkConfig]) -> list[TrunkConfig]:
    """No address is two trunks' inbound source: an INVITE's trunk is its source's."""
    nets: list[tuple[Any, int]] = []
    found: list[tuple[Where, str]] = []
    for i, trunk in enumerate(trunks):
        for j, source in enumerate(trunk.inbound_sources):
            net = ipaddress.ip_network(source, strict=False)
            for other, k in nets:
                if k != i and net.version == other.version and net.overlaps(other):
                    found.append(((i, "inbound_sources", j), f"{source} overlaps inbound_sources "
                                                             f"of trunks[{k}] ({trunks[k].name!r})"))
                    break
            nets.append((net, i))
    _raise(found, trunks)
    return trunks


class DialPermission(Section):
    """``[[dialplan.permissions]]``: call classes for some extensions (replaces the default)."""

    extensions: list[ExtNumber]
    classes: CallClasses


def _one_place_each(permissions: list[DialPermission]) -> list[DialPermission]:
    seen: dict[str, int] = {}
    found: list[tuple[Where, str]] = []
    for i, perm in enumerate(permissions):
        for j, ext in enumerate(perm.extensions):
            if ext in seen:
                found.append(((i, "extensions", j),
                              f"{ext!r} already in dialplan.permissions[{seen[ext]}]"))
            seen[ext] = i
    _raise(found, permissions)
    return permissions


class OutboundRule(Section):
    """``[[dialplan.outbound]]``: which trunks carry the numbers this rule matches.

    A rule matches by ``prefix`` (``""`` matches every number) or by ``pattern`` (a regular
    expression matching the whole dialed number); the first matching rule wins.
    """

    prefix: DialText = ""
    pattern: Regex = ""
    strip: Annotated[int, Field(ge=0, le=20)] = 0   # leading characters removed from the
    #                                   dialed number
    prepend: DialText = ""            # then put in front of it
    trunks: list[str]                 # failover order
    caller_id: OptionalPhone = ""     # presentation number; "" = the trunk's caller_id

    @model_validator(mode="wrap")
    @classmethod
    def _prefix_or_pattern(cls, data: Any, handler: Any) -> Any:
        """Which keys are given matters (``prefix = ""`` matches every number)."""
        rule = handler(data)
        if isinstance(data, dict):
            if "prefix" in data and "pattern" in data:
                _raise([((), "give prefix or pattern, not both")], data)
            if "prefix" not in data and "pattern" not in data:
                _raise([((), 'needs prefix or pattern (prefix = "" matches every number)')], data)
            if data.get("pattern") == "":
                _raise([(("pattern",), "must not be empty")], data)
        return rule

    @field_validator("trunks")
    @classmethod
    def _known_trunks(cls, trunks: list[str], info: ValidationInfo) -> list[str]:
        known = (info.context or {}).get("trunks")
        if not trunks:
            raise _bad("must name at least one trunk")
        for t in trunks:
            if known is not None and t not in known:
                raise _bad(f"unknown trunk {t!r}")
            if trunks.count(t) > 1:
                raise _bad(f"names trunk {t!r} twice")
        return trunks


FlowDestination = Annotated[str, Field(pattern=rf"^{FLOW_PREFIX}{_FLOW_NAME.pattern}$"),
                            _Says("flow:<name> (an IVR flow)")]
"""An IVR flow as a destination: ``flow:<name>`` (the flow name rule of kefu.ivr)."""


class DidConfig(Section):
    """``[[dialplan.dids]]``: a number the carrier delivers, and the extension (or queue
    number, or ``flow:<name>``) it goes to."""

    number: Phone
    destination: Annotated[ExtNumber | FlowDestination, Field(union_mode="left_to_right"),
                           _Says(f"an {EXTENSION.name} ({EXTENSION.what}) or flow:<name>")]


class NumberConfig(Section):
    """``[[dialplan.numbers]]``: an internal number that runs an IVR flow (``flow:<name>``)
    when dialled, like a queue's number reaches the queue."""

    number: ExtNumber
    destination: FlowDestination


class DialPlanSettings(Section):
    national_prefix: Digits = "0"     # dialed before an area code: national call
    voicemail_code: Annotated[str, Field(pattern=r"^(\*[0-9]{1,4})?$"),
                              _Says("* and 1-4 digits, or empty")] = "*98"   # a phone
    #                                   dials it to hear its mailbox; "" none
    recordings_code: Annotated[str, Field(pattern=r"^(\*[0-9]{1,4})?$"),
                               _Says("* and 1-4 digits, or empty")] = "*95"   # an
    #                                   inspector dials it to play recordings; "" none
    international_prefix: Digits = "00"   # dialed before a country code (as is a leading +)
    local_pattern: Regex = "[1-9][0-9]{6,7}"     # a local number (regex, whole number)
    national_pattern: Regex = "1[3-9][0-9]{9}"   # national without the prefix (mobiles); "" none
    emergency: list[Annotated[str, Field(pattern=r"^[0-9]{1,10}$"), _Says("1-10 digits")]] = \
        ["110", "119", "120", "112"]
    default_classes: CallClasses = ["internal", "emergency", "local", "national"]
    default_destination: OptionalExtension = ""   # extension for DIDs not listed; "" = 404
    permissions: Annotated[list[DialPermission], AfterValidator(_one_place_each)] = []
    outbound: list[OutboundRule] = []
    dids: Annotated[list[DidConfig], _unique("dialplan.dids", "number")] = []
    numbers: Annotated[list[NumberConfig], _unique("dialplan.numbers", "number")] = []

    @model_validator(mode="after")
    def _prefixes_differ(self) -> DialPlanSettings:
        if self.national_prefix == self.international_prefix != "":
            _raise([(("international_prefix",), "must differ from dialplan.national_prefix")], self)
        if self.recordings_code and self.recordings_code == self.voicemail_code:
            _raise([(("recordings_code",), "must differ from dialplan.voicemail_code")], self)
        return self


# --- the whole ----------------------------------------------------------------------------

class Settings(BaseSettings):
    """The whole config.  ``Settings(...)`` is the defaults and what the caller passes,
    nothing read; :func:`load_settings` reads the file and the environment."""

    model_config = SettingsConfigDict(env_prefix="KEFU_", env_nested_delimiter="_",
                                      env_nested_max_split=1,   # KEFU_RTP_PORT_MIN: rtp.port_min
                                      extra="forbid", frozen=True, strict=True)

    data_dir: Annotated[Path, NotBlank, Strict(False)] = Path("./data")
    log_level: LogLevel = "INFO"
    database_url: str = ""            # empty: SQLite file under data_dir
    sip: SipSettings = SipSettings()
    rtp: RtpSettings = RtpSettings()
    http: HttpSettings = HttpSettings()
    users: UsersSettings = UsersSettings()
    recording: RecordingSettings = RecordingSettings()
    recordings: RecordingsSettings = RecordingsSettings()
    crm: CrmSettings = CrmSettings()
    followups: FollowupsSettings = FollowupsSettings()
    calendars: dict[Name, Calendar] = {}   # named business calendars (tickets' SLAs)
    tickets: TicketsSettings = TicketsSettings()
    kb: KbSettings = KbSettings()
    reports: ReportsSettings = ReportsSettings()
    smtp: SmtpSettings = SmtpSettings()
    tls: TlsSettings = TlsSettings()
    security: SecuritySettings = SecuritySettings()
    limits: LimitsSettings = LimitsSettings()
    media: MediaSettings = MediaSettings()
    extensions: Annotated[list[ExtensionConfig], _unique("extensions", "number")] = []
    trunks: Annotated[list[TrunkConfig], _unique("trunks", "name"),
                      AfterValidator(_sources_apart)] = []
    dialplan: DialPlanSettings = DialPlanSettings()
    acd: AcdSettings = AcdSettings()
    webrtc: WebRtcSettings = WebRtcSettings()
    queues: Annotated[list[QueueConfig], _unique("queues", "name", "number")] = []

    def __init__(self, /, **data: Any) -> None:
        super().__init__(**data)

    # as Section's: model_validate (load_settings, with its context) validates directly
    __init__.__pydantic_base_init__ = True  # type: ignore[attr-defined]

    @classmethod
    def settings_customise_sources(cls, settings_cls: type[BaseSettings],
                                   init_settings: PydanticBaseSettingsSource,
                                   env_settings: PydanticBaseSettingsSource,
                                   dotenv_settings: PydanticBaseSettingsSource,
                                   file_secret_settings: PydanticBaseSettingsSource,
                                   ) -> tuple[PydanticBaseSettingsSource, ...]:
        return (init_settings,)

    @model_validator(mode="before")
    @classmethod
    def _trunk_names(cls, data: Any, info: ValidationInfo) -> Any:
        """The names the dial plan may use, taken before the trunks are checked, so that a
        rule naming a trunk with some other problem is not reported as well."""
        if isinstance(info.context, dict) and isinstance(data, dict):
            trunks = data.get("trunks")
            info.context["trunks"] = {t.get("name") for t in trunks if isinstance(t, dict)} \
                if isinstance(trunks, list) else set()
        return data

    @model_validator(mode="after")
    def _numbers_apart(self) -> Settings:
        emergency = set(self.dialplan.emergency)
        extensions = {e.number for e in self.extensions}
        found: list[tuple[Where, str]] = []
        for i, q in enumerate(self.queues):
            if q.number in emergency or q.number in extensions:
                found.append((("queues", i, "number"),
                              f"{q.number!r} is already an extension or emergency number"))
        for i, ext in enumerate(self.extensions):
            if ext.number in emergency:
                found.append((("extensions", i, "number"), f"{ext.number!r} is an emergency "
                              "number (dialplan.emergency); an extension may not shadow it"))
        _raise(found, self)
        return self

    @property
    def db_url(self) -> str:
        return self.database_url or f"sqlite:///{(Path(self.data_dir) / 'kefu.db').resolve()}"

    @property
    def recordings_dir(self) -> Path:
        return Path(self.data_dir) / "recordings"

    @property
    def archive_dir(self) -> Path:
        """The recordings' archive tier: ``recordings.archive_dir``, else <data_dir>/archive."""
        return Path(self.recordings.archive_dir or Path(self.data_dir) / "archive")

    @property
    def webrtc_host(self) -> str:
        """Where browsers' softphones are offered ICE and bridged: ``webrtc.host``, else
        ``rtp.host``."""
        return self.webrtc.host or self.rtp.host


# --------------------------------------------------------------------------- loading

class _Env(EnvSettingsSource):
    """``KEFU_<SECTION>_<KEY>`` (``KEFU_<KEY>`` for a top-level key) from the mapping
    :func:`load_settings` is given; a list is comma-separated (``KEFU_SECURITY_TRUSTED=
    10.0.0.1,10.0.0.2``).  Text becomes the field's type here (pydantic-settings does it
    for strict models), bounds are checked with the rest."""

    def __init__(self, env: Mapping[str, str]) -> None:
        super().__init__(Settings)
        self.env_vars = {k.lower(): v for k, v in env.items()}

    def decode_complex_value(self, field_name: str, field: Any, value: Any) -> Any:
        if field is not None and typing.get_origin(field.annotation) is list:
            return [part.strip() for part in value.split(",") if part.strip()]
        return super().decode_complex_value(field_name, field, value)


class _Toml(TomlConfigSettingsSource):
    """The file, with messages for a missing or broken one.  A relative ``data_dir``
    resolves against the file's directory, so the file works whatever the current
    directory (one from the environment stays as given)."""

    def __init__(self, path: Path) -> None:
        if path.is_dir():
            raise ConfigError(f"{path}: is a directory, not a config file")
        if not path.is_file():
            raise ConfigError(f"{path}: config file not found")
        super().__init__(Settings, toml_file=path)

    def _read_file(self, file_path: Any) -> dict[str, Any]:
        try:
            doc = super()._read_file(file_path)
        except tomllib.TOMLDecodeError as exc:
            raise ConfigError(f"{file_path}: invalid TOML: {exc}") from None
        data_dir = doc.get("data_dir")
        if isinstance(data_dir, str) and data_dir.strip():
            doc["data_dir"] = str(Path(file_path).resolve().parent / data_dir)
        return doc


def _merged(file: dict[str, Any], env: dict[str, Any]) -> dict[str, Any]:
    """``env`` over ``file``, table by table."""
    out = dict(file)
    for key, value in env.items():
        both = isinstance(value, dict) and isinstance(out.get(key), dict)
        out[key] = _merged(out[key], value) if both else value
    return out


def load_settings(path: Path | None, env: Mapping[str, str] = os.environ,
                  strategies: Collection[str] | None = None) -> Settings:
    """Read ``path`` (or the file named by ``KEFU_CONFIG``; none: defaults), apply env overrides.

    ``strategies``: the routing strategy names a queue may use (see
    ``QueueConfig._known_strategy``); None: not checked here.
    Raises :class:`ConfigError` listing every problem as ``key.path: problem``.
    """
    if path is None and env.get("KEFU_CONFIG"):
        path = Path(env["KEFU_CONFIG"])
    file = _Toml(Path(path))() if path is not None else {}
    try:
        return Settings.model_validate(_merged(file, _Env(env)()),
                                       context={"strategies": strategies})
    except ValidationError as exc:
        raise ConfigError("; ".join(_problems(exc, env))) from None


# --------------------------------------------------------------------------- messages

def _problems(exc: ValidationError, env: Mapping[str, str]) -> list[str]:
    """Each key's first problem (a union reports one per branch) as ``key.path: problem``."""
    out: dict[str, str] = {}
    for err in exc.errors():
        key, hint = _key(err["loc"])
        if key not in out:
            name = "KEFU_" + re.sub(r"\[\d+\]", "", key).replace(".", "_").upper()
            out[key] = _problem(err, key, hint) + (f" (from {name})" if name in env else "")
    return [f"{key}: {problem}" for key, problem in out.items()]


def _plain(hint: Any) -> Any:
    return typing.get_args(hint)[0] if typing.get_origin(hint) is Annotated else hint


@cache
def _hints(cls: type) -> dict[str, Any]:
    return typing.get_type_hints(cls, include_extras=True)


def _key(loc: Iterable[str | int]) -> tuple[str, Any]:
    """An error's location as the key path in the file's words (``queues[2].strategy``) and
    the type declared there; what follows a leaf (a union's branch) is no key."""
    key: str = ""
    hint: Any = Settings
    for part in loc:
        plain, origin = _plain(hint), typing.get_origin(_plain(hint))
        if isinstance(plain, type) and issubclass(plain, BaseModel) and isinstance(part, str):
            key += f".{part}" if key else part
            hint = _hints(plain)[part] if part in plain.model_fields else None
        elif origin is list and isinstance(part, int):
            key, hint = f"{key}[{part}]", typing.get_args(plain)[0]
        elif origin is dict and isinstance(part, str):
            key, hint = f"{key}.{part}", typing.get_args(plain)[1]
        else:
            break
    return key, hint


# keys that moved to a slice's section: the old name is refused with the new one
MOVED = {"http.token_ttl": "users.token_ttl"}


def _problem(err: Any, key: str, hint: Any) -> str:
    kind, plain = err["type"], _plain(hint)
    if kind == "kefu":
        return str(err["msg"])
    if kind == "missing":
        return "required"
    if kind in ("extra_forbidden", "unexpected_keyword_argument") or hint is None:
        return f"moved to {MOVED[key]}" if key in MOVED else "unknown key"
    table = isinstance(plain, type) and issubclass(plain, BaseModel)
    if table and key.endswith("]") or typing.get_origin(plain) is list and \
            _is_model(typing.get_args(plain)[0]):
        name = re.sub(r"\[\d+\]$", "", key)
        return f"must be an array of tables ([[{name}]])"
    if table:
        return f"must be a table ([{key}])"
    secret = any(isinstance(m, _Secret) for m in getattr(hint, "__metadata__", ()))
    got = "" if secret else f", got {err['input']!r}"
    if kind == "value_error" and hint is Regex:
        got += f" ({err['ctx']['error']})"
    return f"must be {_describe(hint)}{got}"


def _is_model(hint: Any) -> bool:
    return isinstance(_plain(hint), type) and issubclass(_plain(hint), BaseModel)


def _describe(hint: Any) -> str:
    """What a value must be, from the field's type and constraints: the "must be …" phrase."""
    meta = list(getattr(hint, "__metadata__", ()))
    inner = _plain(hint)
    if typing.get_origin(inner) is Literal:
        return "one of " + "/".join(typing.get_args(inner))
    says = next((m for m in meta if isinstance(m, _Says)), None)
    if says is not None:
        return says.phrase
    rule = next((m for m in meta if isinstance(m, Rule)), None)
    if rule is not None:
        return f"a{'n' if rule.name[0] in 'aeiou' else ''} {rule.name} ({rule.what})"
    nonblank = NotBlank in meta
    noun = {int: "an integer", float: "a number", bool: "true or false",
            str: "a non-empty string" if nonblank else "a string",
            Path: "a non-empty path" if nonblank else "a path"}.get(inner, "a list of strings")
    bounds = [m for info in meta for m in getattr(info, "metadata", ())]
    lo = next((b.ge for b in bounds if hasattr(b, "ge")), None)
    hi = next((b.le for b in bounds if hasattr(b, "le")), None)
    shortest = next((b.min_length for b in bounds if hasattr(b, "min_length")), None)
    if shortest is not None:
        return f"{noun} of at least {shortest} characters"
    above = next((b.gt for b in bounds if hasattr(b, "gt")), None)
    if above is not None:
        return f"{noun} > {above:g}"
    if lo is not None and hi is not None:
        return f"{noun} {lo:g}-{hi:g}"
    if lo is not None:
        return f"{noun} >= {lo:g}"
    return noun
