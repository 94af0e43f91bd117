"""Settings: a TOML file, then ``KEFU_<SECTION>_<KEY>`` environment overrides.

The shape below is the contract every package codes against.  Loading and validation
(``load_settings``) name the offending key and refuse to start on any error: a PBX that
starts with a half-understood config fails later, on a live call, far from the cause.
"""

from __future__ import annotations

import ipaddress
import json
import os
import re
import secrets
import tomllib
import typing
from dataclasses import dataclass, field, fields
from pathlib import Path
from typing import Annotated, Any, Collection, Literal, Mapping

from pydantic import (AfterValidator, BeforeValidator, ConfigDict, Field, Strict, TypeAdapter,
                      ValidationError)

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


@dataclass(frozen=True)
class _Says:
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
# a [[table]] item: a key the class does not have is refused (its str fields take only
# strings: pydantic never turns a number into a string unless a field says so)
_TABLE = ConfigDict(extra="forbid")
DAY = 86400


@dataclass
class SipSettings:
    host: Host = "127.0.0.1"         # listen address, UDP and TCP
    port: Port = 5060
    realm: Annotated[str, NotBlank] = "kefu"   # digest realm
    ring_timeout: Annotated[float, Field(ge=1, le=3600)] = 30.0   # then an unanswered leg
    #                                   is cancelled
    min_expires: Expires = 60
    max_expires: Expires = 3600
    default_expires: Expires = 600


@dataclass
class RtpSettings:
    host: Host = "127.0.0.1"         # address RTP sockets bind to and announce in SDP
    port_min: Port = 20000
    port_max: Port = 20999


@dataclass
class HttpSettings:
    host: Host = "127.0.0.1"
    port: Port = 8080
    token_ttl: Annotated[float, Field(ge=60, le=30 * DAY)] = 12 * 3600.0   # seconds an API
    #                                   login token stays valid
    login_fail_limit: Annotated[int, Field(ge=1, le=100000)] = 10   # wrong passwords for one
    #                                   username, then a lockout
    login_fail_limit_address: Annotated[int, Field(ge=1, le=100000)] = 100   # the same from
    #                                   one address (offices share one)
    login_lockout: Annotated[float, Field(ge=1, le=30 * DAY)] = 900.0   # seconds a lockout
    #                                   lasts (and failures are remembered)


@dataclass
class RecordingSettings:
    enabled: bool = True              # record every bridged call


@dataclass
class TlsSettings:
    enabled: bool = True
    port: Port = 5061                 # SIP over TLS, on sip.host
    cert_file: str = ""               # empty: a self-signed certificate made on first start
    key_file: str = ""                #   under <data_dir>/tls/


@dataclass
class SecuritySettings:
    auth_fail_limit: Annotated[int, Field(ge=1, le=1000)] = 5   # digest failures from one
    auth_fail_window: Annotated[float, Field(ge=1, le=DAY)] = 60.0   # address within the
    ban_seconds: Annotated[float, Field(ge=1, le=30 * DAY)] = 600.0  # window ban it
    register_rate: Annotated[float, Field(ge=0.1, le=100000)] = 20.0   # REGISTERs per second
    #                                   from one address before 503
    invite_rate: Annotated[float, Field(ge=0.1, le=100000)] = 20.0   # new INVITEs, the same
    trusted: list[str] = field(default_factory=list)   # addresses never banned or throttled


@dataclass
class LimitsSettings:
    """Connection limits against one address exhausting kefu's descriptors (idle sockets)."""
    http_per_address: Annotated[int, Field(ge=1, le=1_000_000)] = 256   # open HTTP
    #                                   connections (WebSockets included) per address
    sip_per_address: Annotated[int, Field(ge=1, le=1_000_000)] = 256   # open SIP TCP+TLS
    #                                   connections per address
    header_timeout: Annotated[float, Field(ge=0.1, le=3600)] = 10.0   # seconds a connection
    #                                   has for its request headers
    sip_unbound_idle: Annotated[float, Field(ge=1, le=DAY)] = 60.0   # idle seconds for SIP
    #                                   TCP/TLS with no registration on it


@dataclass
class MediaSettings:
    moh_file: str = ""                # music on hold WAV; empty: kefu's built-in melody
    latch: bool = True                # symmetric RTP: answer to where the peer's RTP comes from


@dataclass
class WebRtcSettings:
    host: str = ""                    # ICE candidate and bridge address; empty: rtp.host


@dataclass
class AcdSettings:
    priority_seconds: float = 60.0    # a call's priority 1 counts as this much waiting
    no_answer_limit: int = 3          # offers in a row an agent leaves unanswered, then NOT_READY
    busy_backoff: float = 10.0        # an agent who was busy or rejected is offered again after
    pause_reasons: list[str] = field(
        default_factory=lambda: ["break", "lunch", "meeting", "training", "after_call"])
    max_data_bytes: int = 1024 * 1024  # call-attached data, as JSON
    prompts_dir: str = ""             # queue announcements; empty: <data_dir>/prompts/queue


@dataclass
class QueueConfig:
    """``[[queues]]``: a queue, the number that reaches it, how it routes and its members."""

    name: Name
    number: ExtNumber                 # dialled (or a DID's destination) to join the queue
    strategy: str = "longest_idle"
    priority: int = 0                 # added to every call's priority (VIP queues)
    members: dict[str, int] = field(default_factory=dict)   # agent username → skill level
    tiers: dict[str, int] = field(default_factory=dict)     # customer tier → priority
    ring_timeout: float = 15.0        # one offer, then the next agent
    retry: float = 2.0                # an agent who let an offer ring out waits this long
    wrap_up: float = 10.0             # after-call work, seconds (0: none)
    max_wait: float = 0.0             # seconds, then overflow (0: no limit)
    max_length: int = 0               # waiting calls, then overflow (0: no limit)
    overflow: str = ""                # number calls overflow to; "" = hang up (busy)
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


@dataclass
class ExtensionConfig:
    __pydantic_config__ = _TABLE

    number: ExtNumber
    password: SipPassword
    display_name: str = ""


@dataclass
class TrunkConfig:
    """A SIP trunk to a carrier (``[[trunks]]``)."""

    __pydantic_config__ = _TABLE

    name: Name
    host: IpAddress                   # the carrier's SIP server: an IP literal (no DNS)
    port: Annotated[Port, Strict()] = 5060   # 5061 when transport is tls and no port is given
    transport: Transport = "udp"      # udp, tcp or tls
    username: str = ""                # digest credentials kefu answers the carrier's challenges with
    password: Annotated[str, _Secret()] = ""
    register: Annotated[bool, Strict()] = False   # kefu REGISTERs to the carrier (needs
    #                                   username and password)
    expires: Annotated[int, Strict(), Field(ge=30, le=DAY)] = 600   # registration interval
    #                                   kefu asks for, seconds
    inbound_sources: list[Network] = field(default_factory=list)  # IPs/CIDRs whose INVITEs are
    #                                   this trunk's (accepted without digest); omitted in TOML: [host]
    caller_id: OptionalPhone = ""     # default presentation number for outbound calls
    from_domain: Domain = ""          # host of From and of the registration AOR; "" = kefu's
    #                                   own address in From, host in the AOR


@dataclass
class DialPermission:
    """``[[dialplan.permissions]]``: call classes for some extensions (replaces the default)."""

    __pydantic_config__ = _TABLE

    extensions: list[ExtNumber]
    classes: list[str]


@dataclass
class OutboundRule:
    """``[[dialplan.outbound]]``: which trunks carry the numbers this rule matches.

    A rule matches by ``prefix`` (``""`` matches every number) or by ``pattern`` (a regular
    expression matching the whole dialed number); the first matching rule wins.
    """

    __pydantic_config__ = _TABLE

    prefix: DialText = ""
    pattern: Regex = ""
    strip: Annotated[int, Strict(), Field(ge=0, le=20)] = 0   # leading characters removed
    #                                   from the dialed number
    prepend: DialText = ""            # then put in front of it
    trunks: list[str] = field(default_factory=list)   # failover order
    caller_id: OptionalPhone = ""     # presentation number; "" = the trunk's caller_id


@dataclass
class DidConfig:
    """``[[dialplan.dids]]``: a number the carrier delivers, and the extension it rings."""

    __pydantic_config__ = _TABLE

    number: Phone
    destination: ExtNumber


CALL_CLASSES = ("internal", "emergency", "local", "national", "international")


@dataclass
class DialPlanSettings:
    national_prefix: Digits = "0"     # dialed before an area code: national call
    international_prefix: Digits = "00"   # dialed before a country code (as is a leading +)
    local_pattern: Regex = "[1-9][0-9]{6,7}"     # a local number (regex, whole number)
    national_pattern: Regex = "1[3-9][0-9]{9}"   # national without the prefix (mobiles); "" none
    emergency: list[Annotated[str, Field(pattern=r"^[0-9]{1,10}$"), _Says("1-10 digits")]] = \
        field(default_factory=lambda: ["110", "119", "120", "112"])
    default_classes: list[str] = field(
        default_factory=lambda: ["internal", "emergency", "local", "national"])
    default_destination: OptionalExtension = ""   # extension for DIDs not listed; "" = 404
    permissions: list[DialPermission] = field(default_factory=list)
    outbound: list[OutboundRule] = field(default_factory=list)
    dids: list[DidConfig] = field(default_factory=list)


@dataclass
class Settings:
    data_dir: Annotated[Path, NotBlank, Strict(False)] = Path("./data")
    log_level: LogLevel = "INFO"
    database_url: str = ""            # empty: SQLite file under data_dir
    sip: SipSettings = field(default_factory=SipSettings)
    rtp: RtpSettings = field(default_factory=RtpSettings)
    http: HttpSettings = field(default_factory=HttpSettings)
    recording: RecordingSettings = field(default_factory=RecordingSettings)
    tls: TlsSettings = field(default_factory=TlsSettings)
    security: SecuritySettings = field(default_factory=SecuritySettings)
    limits: LimitsSettings = field(default_factory=LimitsSettings)
    media: MediaSettings = field(default_factory=MediaSettings)
    extensions: list[ExtensionConfig] = field(default_factory=list)
    trunks: list[TrunkConfig] = field(default_factory=list)
    dialplan: DialPlanSettings = field(default_factory=DialPlanSettings)
    acd: AcdSettings = field(default_factory=AcdSettings)
    webrtc: WebRtcSettings = field(default_factory=WebRtcSettings)
    queues: list[QueueConfig] = field(default_factory=list)

    @property
    def db_url(self) -> str:
        return self.database_url or f"sqlite:///{(Path(self.data_dir) / 'kefu.db').resolve()}"

    @property
    def recordings_dir(self) -> Path:
        return Path(self.data_dir) / "recordings"

    @property
    def webrtc_host(self) -> str:
        """Where browsers' softphones are offered ICE and bridged: ``webrtc.host``, else
        ``rtp.host``."""
        return self.webrtc.host or self.rtp.host


# --------------------------------------------------------------------------- loading

LOG_LEVELS: tuple[str, ...] = typing.get_args(typing.get_args(LogLevel)[0])
TRANSPORTS: tuple[str, ...] = typing.get_args(typing.get_args(Transport)[0])
_DIALPLAN_TABLES = ("permissions", "outbound", "dids")

_SECTIONS: dict[str, type] = {
    "sip": SipSettings,
    "rtp": RtpSettings,
    "http": HttpSettings,
    "recording": RecordingSettings,
    "tls": TlsSettings,
    "security": SecuritySettings,
    "limits": LimitsSettings,
    "media": MediaSettings,
    "acd": AcdSettings,
    "webrtc": WebRtcSettings,
}
_TOP_SCALARS = ("data_dir", "log_level", "database_url")


_NO_RAW = object()
_STRICT = ConfigDict(strict=True)      # TOML is typed: "5060" is not a port (env text is
#                                        converted first, by the field's type)


def _base(hint: Any) -> Any:
    """A field's plain type: ``int`` for ``Port``, ``str`` for a ``Literal`` of strings."""
    if typing.get_origin(hint) is Annotated:
        hint = typing.get_args(hint)[0]
    if typing.get_origin(hint) is Literal:
        return str
    return hint if hint in (int, float, bool, str, Path) else list


def _describe(hint: Any) -> str:
    """What a value must be, from the field's type and constraints: the "must be …" phrase."""
    kind = _base(hint)
    meta = list(getattr(hint, "__metadata__", ()))
    inner = typing.get_args(hint)[0] if meta else hint
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
            Path: "a non-empty path" if nonblank else "a path"}.get(kind, "a list of strings")
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


def _problem(key: str, hint: Any, err: Any, raw: Any = _NO_RAW, src: str = "") -> tuple[str, str]:
    """A pydantic error about the value of ``key`` (typed ``hint``) as (key path, problem) in
    the loader's words.  Its loc may go on into a list (``emergency[0]``); other loc parts
    (union branches) are not keys."""
    index = [i for i in err["loc"] if isinstance(i, int)]
    key += "".join(f"[{i}]" for i in index)
    if err["type"] == "missing":
        return key, "required"
    if err["type"] in ("extra_forbidden", "unexpected_keyword_argument"):
        return key, "unknown key"
    if index and typing.get_origin(_plain(hint)) is list:
        hint = typing.get_args(_plain(hint))[0]          # one element of a list
    meta = getattr(hint, "__metadata__", ())
    value = err["input"] if index or raw is _NO_RAW else raw
    got = "" if any(isinstance(m, _Secret) for m in meta) else f", got {value!r}"
    if err["type"] == "value_error" and hint is Regex:
        got += f" ({err['ctx']['error']})"
    return key, f"must be {_describe(hint)}{got}{src}"


def _by_field(exc: ValidationError) -> dict[str, list[Any]]:
    """A dataclass's errors grouped by field, each loc made relative to its field."""
    out: dict[str, list[Any]] = {}
    for err in exc.errors():
        name, *rest = err["loc"]
        out.setdefault(str(name), []).append({**err, "loc": tuple(rest)})
    return out


def _valid(hint: Any, value: Any) -> bool:
    try:
        TypeAdapter(hint).validate_python(value)
        return True
    except ValidationError:
        return False


def _plain(hint: Any) -> Any:
    return typing.get_args(hint)[0] if typing.get_origin(hint) is Annotated else hint


def _from_env(kind: Any, text: str) -> Any:
    """An environment variable's text as the field's type (pydantic then checks bounds)."""
    if kind is int:
        return int(text.strip())
    if kind is float:
        return float(text.strip())
    if kind is bool:
        low = text.strip().lower()
        if low in ("1", "true", "yes", "on"):
            return True
        if low in ("0", "false", "no", "off"):
            return False
        raise ValueError(text)
    if kind is list:
        return [p.strip() for p in text.split(",") if p.strip()]
    return text


_ADAPTERS: dict[tuple[type, str], TypeAdapter[Any]] = {}


def _adapter(cls: type, name: str, hint: Any) -> TypeAdapter[Any]:
    if (cls, name) not in _ADAPTERS:
        _ADAPTERS[cls, name] = TypeAdapter(hint, config=_STRICT)
    return _ADAPTERS[cls, name]


class _Loader:
    """Collects every problem so one run of ``kefu serve`` shows them all."""

    def __init__(self, env: Mapping[str, str], base_dir: Path | None) -> None:
        self.env = env
        self.base_dir = base_dir
        self.problems: list[str] = []

    def bad(self, path: str, problem: str) -> None:
        self.problems.append(f"{path}: {problem}")

    def scalar(self, path: str, cls: type, name: str, hint: Any, raw: Any,
               env_name: str | None) -> Any:
        """One key's value checked by pydantic against the field's type and constraints."""
        src = f" (from {env_name})" if env_name else ""
        try:
            value = _from_env(_base(hint), raw) if env_name else raw
        except ValueError:
            self.bad(path, f"must be {_describe(hint)}, got {raw!r}{src}")
            return _MISSING
        try:
            return _adapter(cls, name, hint).validate_python(value)
        except ValidationError as exc:
            self.report(path, hint, exc.errors(), raw, src)
            return _MISSING

    def report(self, key: str, hint: Any, errors: list[Any], raw: Any = _NO_RAW,
               src: str = "") -> None:
        """Each key's first problem (a union reports one per branch)."""
        seen: set[str] = set()
        for err in errors:
            path, problem = _problem(key, hint, err, raw, src)
            if path not in seen:
                seen.add(path)
                self.bad(path, problem)

    def fill(self, cls: type, prefix: str, table: Mapping[str, Any],
             skip: tuple[str, ...] = ()) -> dict[str, Any]:
        """Values for ``cls``'s scalar fields from ``table`` then the environment.

        Fields named in ``skip`` (arrays of tables) are left to the caller.
        """
        hints = typing.get_type_hints(cls, include_extras=True)
        names = [f.name for f in fields(cls)]
        for key in table:
            if key not in names:
                self.bad(f"{prefix}{key}", "unknown key")
        out: dict[str, Any] = {}
        for name in names:
            if (prefix == "" and name not in _TOP_SCALARS) or name in skip:
                continue
            path = f"{prefix}{name}"
            env_name = "KEFU_" + path.replace(".", "_").upper()
            if env_name in self.env:
                value = self.scalar(path, cls, name, hints[name], self.env[env_name], env_name)
            elif name in table:
                value = self.scalar(path, cls, name, hints[name], table[name], None)
                if isinstance(value, Path) and not value.is_absolute() and self.base_dir:
                    value = self.base_dir / value
            else:
                continue
            if value is not _MISSING:
                out[name] = value
        return out

    def item(self, cls: type, path: str, raw: Mapping[str, Any]) -> Any:
        """One ``[[table]]`` item validated by pydantic as ``cls``, else its problems (named
        ``path.key``) and None."""
        try:
            return TypeAdapter(cls).validate_python(raw)
        except ValidationError as exc:
            hints = typing.get_type_hints(cls, include_extras=True)
            for name, errors in _by_field(exc).items():
                if name in hints:
                    self.report(f"{path}.{name}", hints[name], errors)
                else:                              # a key the class does not have
                    self.bad(f"{path}.{name}", "unknown key")
            return None

    def extensions(self, raw: Any) -> list[ExtensionConfig]:
        result: list[ExtensionConfig] = []
        seen: dict[str, int] = {}
        for i, item in enumerate(self.tables("extensions", raw)):
            p = f"extensions[{i}]"
            ext = self.item(ExtensionConfig, p, item)
            if ext is not None and ext.number in seen:
                self.bad(f"{p}.number", f"duplicate of extensions[{seen[ext.number]}] "
                                        f"({ext.number!r})")
            elif ext is not None:
                seen[ext.number] = i
                result.append(ext)
        return result

    # --- trunks and the dial plan ---------------------------------------------------------
    def tables(self, path: str, raw: Any) -> list[dict[str, Any]]:
        """An array of tables, or a problem named ``path`` and nothing."""
        if not isinstance(raw, list) or not all(isinstance(x, dict) for x in raw):
            self.bad(path, f"must be an array of tables ([[{path}]])")
            return []
        return raw

    def strings(self, path: str, raw: Any) -> list[str] | None:
        if isinstance(raw, list) and all(isinstance(x, str) for x in raw):
            return list(raw)
        self.bad(path, f"must be a list of strings, got {raw!r}")
        return None

    def classes(self, path: str, raw: Any) -> list[str] | None:
        items = self.strings(path, raw)
        if items is None:
            return None
        wrong = [c for c in items if c not in CALL_CLASSES]
        if wrong:
            self.bad(path, f"unknown call class {wrong[0]!r} (classes: {', '.join(CALL_CLASSES)})")
            return None
        return items

    def trunks(self, raw: Any) -> tuple[list[TrunkConfig], set[str]]:
        """The trunks, and every well-formed trunk name (for the dial plan's references)."""
        result: list[TrunkConfig] = []
        names: dict[str, int] = {}
        sources: list[tuple[Any, int, str]] = []        # (network, index, name)
        for i, item in enumerate(self.tables("trunks", raw)):
            p = f"trunks[{i}]"
            name = item.get("name")
            if isinstance(name, str) and name in names:
                self.bad(f"{p}.name", f"duplicate of trunks[{names[name]}] ({name!r})")
            elif isinstance(name, str) and _valid(Name, name):
                names[name] = i
            trunk = self.item(TrunkConfig, p, item)
            if trunk is None:
                continue
            if "port" not in item and trunk.transport == "tls":
                trunk.port = 5061
            if "inbound_sources" not in item:
                trunk.inbound_sources = [trunk.host]
            if trunk.register and not (trunk.username and trunk.password):
                self.bad(f"{p}.register", "needs username and password")
            for j, src in enumerate(trunk.inbound_sources):
                net = ipaddress.ip_network(src, strict=False)
                for other, k, other_name in sources:
                    if k != i and net.version == other.version and net.overlaps(other):
                        self.bad(f"{p}.inbound_sources[{j}]",
                                 f"{src} overlaps inbound_sources of trunks[{k}] ({other_name!r})")
                        break
                sources.append((net, i, trunk.name))
            result.append(trunk)
        return result, set(names)

    def queues(self, raw: Any, strategies: Collection[str] | None = None) -> list[QueueConfig]:
        """The ACD queues; member usernames and tiers map to integer levels/priorities."""
        result: list[QueueConfig] = []
        seen: dict[str, str] = {}
        for i, item in enumerate(self.tables("queues", raw)):
            p = f"queues[{i}]"
            before = len(self.problems)
            values = self.fill(QueueConfig, f"{p}.", item, skip=("members", "tiers"))
            for key in ("name", "number"):
                if key not in item:
                    self.bad(f"{p}.{key}", "required")
            name, number = values.get("name"), values.get("number")
            for key, value in (("name", name), ("number", number)):
                if value and f"{key}:{value}" in seen:
                    self.bad(f"{p}.{key}", f"duplicate of {seen[f'{key}:{value}']} ({value!r})")
                elif value:
                    seen[f"{key}:{value}"] = p
            strategy = values.get("strategy")
            if strategies is not None and strategy is not None and strategy not in strategies:
                self.bad(f"{p}.strategy", f"unknown routing strategy {strategy!r} (known: "
                                          f"{', '.join(sorted(strategies))})")
            maps: dict[str, dict[str, int]] = {}
            for key in ("members", "tiers"):
                table = item.get(key, {})
                if not isinstance(table, dict) or not all(
                        isinstance(k, str) and isinstance(v, int) and not isinstance(v, bool)
                        for k, v in table.items()):
                    self.bad(f"{p}.{key}", "must be a table of names to integers "
                                           f"(e.g. {{ alice = 5 }}), got {table!r}")
                    table = {}
                maps[key] = dict(table)
            for username, level in maps["members"].items():
                if not 0 <= level <= 100:
                    self.bad(f"{p}.members.{username}", f"skill level must be 0-100, got {level}")
            if len(self.problems) == before:
                result.append(QueueConfig(**{**values, **maps}))
        return result

    def dialplan(self, raw: Any, trunk_names: set[str]) -> DialPlanSettings:
        if not isinstance(raw, dict):
            self.bad("dialplan", "must be a table ([dialplan])")
            raw = {}
        before = len(self.problems)
        values = self.fill(DialPlanSettings, "dialplan.", raw, skip=_DIALPLAN_TABLES)
        defaults = DialPlanSettings()
        if (values.get("national_prefix", defaults.national_prefix)
                == values.get("international_prefix", defaults.international_prefix) != ""):
            self.bad("dialplan.international_prefix", "must differ from dialplan.national_prefix")
        if "default_classes" in values:
            self.classes("dialplan.default_classes", values["default_classes"])

        permissions: list[DialPermission] = []
        seen_ext: dict[str, int] = {}
        for i, item in enumerate(self.tables("dialplan.permissions", raw.get("permissions", []))):
            p = f"dialplan.permissions[{i}]"
            perm = self.item(DialPermission, p, item)
            if perm is None or self.classes(f"{p}.classes", perm.classes) is None:
                continue
            for j, ext in enumerate(perm.extensions):
                if ext in seen_ext:
                    self.bad(f"{p}.extensions[{j}]",
                             f"{ext!r} already in dialplan.permissions[{seen_ext[ext]}]")
                seen_ext[ext] = i
            permissions.append(perm)

        outbound: list[OutboundRule] = []
        for i, item in enumerate(self.tables("dialplan.outbound", raw.get("outbound", []))):
            p = f"dialplan.outbound[{i}]"
            if "prefix" in item and "pattern" in item:
                self.bad(p, "give prefix or pattern, not both")
            elif "prefix" not in item and "pattern" not in item:
                self.bad(p, 'needs prefix or pattern (prefix = "" matches every number)')
            if item.get("pattern", None) == "":
                self.bad(f"{p}.pattern", "must not be empty")
            if "trunks" not in item:
                self.bad(f"{p}.trunks", "required (the trunks to try, in order)")
            rule = self.item(OutboundRule, p, item)
            if rule is None or "trunks" not in item:
                continue
            if not rule.trunks:
                self.bad(f"{p}.trunks", "must name at least one trunk")
            for t in rule.trunks:
                if t not in trunk_names:
                    self.bad(f"{p}.trunks", f"unknown trunk {t!r}")
                elif rule.trunks.count(t) > 1:
                    self.bad(f"{p}.trunks", f"names trunk {t!r} twice")
                    break
            outbound.append(rule)

        dids: list[DidConfig] = []
        seen_did: dict[str, int] = {}
        for i, item in enumerate(self.tables("dialplan.dids", raw.get("dids", []))):
            p = f"dialplan.dids[{i}]"
            did = self.item(DidConfig, p, item)
            if did is not None and did.number in seen_did:
                self.bad(f"{p}.number", f"duplicate of dialplan.dids[{seen_did[did.number]}] "
                                        f"({did.number!r})")
            elif did is not None:
                seen_did[did.number] = i
                dids.append(did)

        if len(self.problems) > before:
            return defaults
        return DialPlanSettings(**values, permissions=permissions, outbound=outbound, dids=dids)


_MISSING = object()


def _cross_checks(s: Settings, bad: Any) -> None:
    """Rules that span keys; only run when every key parsed on its own."""
    if s.rtp.port_min >= s.rtp.port_max:
        bad("rtp.port_min", "must be less than rtp.port_max (the range needs at least 2 ports), "
            f"got {s.rtp.port_min}-{s.rtp.port_max}")
    if s.sip.min_expires > s.sip.max_expires:
        bad("sip.min_expires", f"must not exceed sip.max_expires ({s.sip.max_expires}), "
            f"got {s.sip.min_expires}")
    elif not s.sip.min_expires <= s.sip.default_expires <= s.sip.max_expires:
        bad("sip.default_expires", f"must lie between sip.min_expires and sip.max_expires "
            f"({s.sip.min_expires}-{s.sip.max_expires}), got {s.sip.default_expires}")
    emergency = set(s.dialplan.emergency)
    extensions = {e.number for e in s.extensions}
    for i, q in enumerate(s.queues):
        if q.number in emergency or q.number in extensions:
            bad(f"queues[{i}].number", f"{q.number!r} is already an extension or emergency number")
        if q.overflow == q.number:
            bad(f"queues[{i}].overflow", "must not be the queue's own number")
    for i, ext in enumerate(s.extensions):
        if ext.number in emergency:
            bad(f"extensions[{i}].number", f"{ext.number!r} is an emergency number "
                "(dialplan.emergency); an extension may not shadow it")


def _read_toml(path: Path) -> dict[str, Any]:
    try:
        with open(path, "rb") as fh:
            return tomllib.load(fh)
    except FileNotFoundError:
        raise ConfigError(f"{path}: config file not found") from None
    except IsADirectoryError:
        raise ConfigError(f"{path}: is a directory, not a config file") from None
    except tomllib.TOMLDecodeError as exc:
        raise ConfigError(f"{path}: invalid TOML: {exc}") from None


def load_settings(path: Path | None, env: Mapping[str, str] = os.environ,
                  strategies: Collection[str] | None = None) -> Settings:
    """Read ``path`` (or the file named by ``KEFU_CONFIG``; none: defaults), apply env overrides.

    ``strategies``: the routing strategy names a queue may use (the composition root passes
    ``kefu.acd.strategies.strategy_names()``; config sits below acd and cannot ask); None:
    not checked here, the ACD refuses an unknown one when it starts.

    Relative paths in the file resolve against the file's directory, so the same file works
    whatever the current directory; relative paths from the environment stay as given.
    Raises :class:`ConfigError` listing every problem as ``key.path: problem``.
    """
    if path is None and env.get("KEFU_CONFIG"):
        path = Path(env["KEFU_CONFIG"])
    doc: dict[str, Any] = _read_toml(Path(path)) if path is not None else {}
    loader = _Loader(env, Path(path).resolve().parent if path is not None else None)

    known = set(_TOP_SCALARS) | set(_SECTIONS) | {"extensions", "trunks", "dialplan", "queues"}
    for key in doc:
        if key not in known:
            loader.bad(key, "unknown key")
    top = loader.fill(Settings, "", {k: v for k, v in doc.items() if k in _TOP_SCALARS})

    sections: dict[str, Any] = {}
    for name, cls in _SECTIONS.items():
        table = doc.get(name, {})
        if not isinstance(table, dict):
            loader.bad(name, "must be a table ([" + name + "])")
            table = {}
        sections[name] = cls(**loader.fill(cls, f"{name}.", table))

    exts = loader.extensions(doc["extensions"]) if "extensions" in doc else []
    trunks, trunk_names = loader.trunks(doc.get("trunks", []))
    dialplan = loader.dialplan(doc.get("dialplan", {}), trunk_names)
    queues = loader.queues(doc.get("queues", []), strategies)
    if loader.problems:
        raise ConfigError("; ".join(loader.problems))
    settings = Settings(**top, **sections, extensions=exts, trunks=trunks, dialplan=dialplan,
                        queues=queues)
    _cross_checks(settings, loader.bad)
    if loader.problems:
        raise ConfigError("; ".join(loader.problems))
    return settings


# --------------------------------------------------------------------------- starter file

DEMO_QUEUE = [
    "[[queues]]",
    'name = "service"',
    'number = "8000"',
    'strategy = "skills"            # best skill level first, then longest idle',
    "members = { agent1 = 5, agent2 = 3 }   # agent username = skill level",
    "ring_timeout = 15               # per offer, then the next agent",
    "wrap_up = 10                    # after-call work, seconds",
    "max_wait = 300                  # then overflow",
    'overflow = "1001"               # where calls go on max_wait/max_length/leave_key',
    'leave_key = "0"                 # the caller leaves the queue (to overflow)',
    'callback_key = "9"              # the caller hangs up and is called back in turn',
    "announce_interval = 30          # position / estimated wait, seconds (0: never)",
    "service_level = 20              # answered within 20 s counts for the service level",
    "callback_attempts = 3           # tries to reach a customer who asked for a callback",
    "callback_retry = 300            # seconds between them",
    '# tiers = { gold = 5 }          # call-attached data "tier" raises the priority',
]


def starter_config(demo: bool) -> str:
    """The commented TOML that ``kefu init`` writes, with extensions 1001-1005.

    ``demo`` gives guessable passwords (``demo1001pw``) so a lab can register phones from
    the docs; otherwise each extension gets a random password.
    """
    if demo:
        passwords = {n: f"demo{n}pw" for n in range(1001, 1006)}
        warning = ("# DEMO PASSWORDS: anyone who has read the docs knows them.\n"
                   "# Change every password below before this PBX is reachable from a network.\n")
    else:
        passwords = {n: secrets.token_urlsafe(12) for n in range(1001, 1006)}
        warning = "# Random passwords, generated by `kefu init`; change them as you like.\n"
    sip, rtp, http = SipSettings(), RtpSettings(), HttpSettings()
    acd = AcdSettings()
    queue = "\n".join(("" if demo else "# ") + line if line else "" for line in DEMO_QUEUE)
    tls, sec, lim = TlsSettings(), SecuritySettings(), LimitsSettings()
    exts = "\n".join(
        f'[[extensions]]\nnumber = "{n}"\npassword = "{pw}"\ndisplay_name = "Extension {n}"\n'
        for n, pw in passwords.items())
    return f"""\
# kefu configuration.  Every key can be overridden from the environment as
# KEFU_<SECTION>_<KEY> (e.g. KEFU_SIP_PORT=5070) or KEFU_<KEY> for top-level keys.

data_dir = "./data"          # database, recordings; relative to this file
log_level = "INFO"           # DEBUG, INFO, WARNING or ERROR
database_url = ""            # empty: SQLite under data_dir; or postgresql+psycopg://user@host/db

[sip]
host = "{sip.host}"
port = {sip.port}
realm = "{sip.realm}"             # digest realm: changing it invalidates stored extension passwords
ring_timeout = {sip.ring_timeout}
min_expires = {sip.min_expires}
max_expires = {sip.max_expires}
default_expires = {sip.default_expires}

[rtp]
host = "{rtp.host}"
port_min = {rtp.port_min}
port_max = {rtp.port_max}

[http]
host = "{http.host}"
port = {http.port}
token_ttl = {http.token_ttl:g}          # seconds a login token stays valid
login_fail_limit = {http.login_fail_limit}         # wrong passwords for one username (more per address:
login_fail_limit_address = {http.login_fail_limit_address}  # ...) lock it out for login_lockout seconds
login_lockout = {http.login_lockout:g}

[recording]
enabled = true

[tls]
enabled = true
port = {tls.port}                 # SIP over TLS on sip.host
cert_file = ""             # empty: a self-signed certificate is made under data_dir/tls/
key_file = ""

[security]
auth_fail_limit = {sec.auth_fail_limit}         # wrong passwords from one address within the window ...
auth_fail_window = {sec.auth_fail_window:g}
ban_seconds = {sec.ban_seconds:g}            # ... ban it (every ban is logged)
register_rate = {sec.register_rate:g}         # per address per second, above: 503
invite_rate = {sec.invite_rate:g}
trusted = []               # addresses/CIDRs never banned, throttled or capped

[limits]
http_per_address = {lim.http_per_address}     # open connections per address; more are refused
sip_per_address = {lim.sip_per_address}      #   (SIP: TCP and TLS together)
header_timeout = {lim.header_timeout:g}        # seconds a connection has to send its request headers
sip_unbound_idle = {lim.sip_unbound_idle:g}      # idle seconds for SIP TCP/TLS without a registration

[media]
moh_file = ""              # music on hold WAV; empty: the built-in melody
latch = true               # symmetric RTP: answer to where a phone's RTP comes from

[acd]
priority_seconds = {acd.priority_seconds:g}      # a call's priority 1 counts as this much waiting
no_answer_limit = {acd.no_answer_limit}         # offers in a row an agent lets ring out, then not ready
busy_backoff = {acd.busy_backoff:g}           # seconds before an agent who was busy/rejected is offered again
pause_reasons = {json.dumps(acd.pause_reasons)}
max_data_bytes = {acd.max_data_bytes}    # call-attached data (JSON) per call
prompts_dir = ""           # announcements (position.wav, digits/0-9.wav, wait.wav, minutes.wav);
#                            empty: data_dir/prompts/queue

# --- ACD queues -------------------------------------------------------------------------
# Dial the queue's number (or send a DID to it).  Agents are users (role agent) named in
# members with their skill level; they log in through the API on an extension.
# Strategies: ring_all, longest_idle, fewest_calls, least_talk, round_robin, top_down,
# random, weighted_random, skills, customer, vip, or a plug-in (entry point kefu.strategies).
{queue}

# --- SIP trunks (carriers) -------------------------------------------------------------
# INVITEs from a trunk's inbound_sources are accepted without digest authentication and
# routed by [[dialplan.dids]]; everything else must authenticate as an extension.
# [[trunks]]
# name = "carrier-a"
# host = "203.0.113.10"          # the carrier's SIP server, an IP address
# port = 5060                    # default 5060 (5061 for tls)
# transport = "udp"              # udp, tcp or tls
# username = "kefu-account"      # digest credentials for the carrier's 401/407 challenges
# password = "carrier-secret"
# register = true                # kefu registers to the carrier (and keeps refreshing)
# expires = 600
# inbound_sources = ["203.0.113.10", "203.0.113.64/28"]   # default: [host]
# caller_id = "8008001234"       # default presentation number for outbound calls
# from_domain = "sip.carrier.example"   # host part of From; default kefu's own address

# --- Dial plan --------------------------------------------------------------------------
# Call classes: internal, emergency, local, national, international.
# [dialplan]
# national_prefix = "0"
# international_prefix = "00"    # a leading + is international too
# local_pattern = "[1-9][0-9]{{6,7}}"      # regular expression for a whole local number
# national_pattern = "1[3-9][0-9]{{9}}"    # national numbers dialed without the prefix (mobiles)
# emergency = ["110", "119", "120", "112"] # always allowed, whatever the permissions say
# default_classes = ["internal", "emergency", "local", "national"]  # international is opt-in
# default_destination = "1001"   # extension for DIDs not listed below; empty: 404
#
# [[dialplan.permissions]]       # replaces default_classes for these extensions
# extensions = ["1001"]
# classes = ["internal", "emergency", "local", "national", "international"]
#
# [[dialplan.outbound]]          # first matching rule wins; trunks are tried in order
# prefix = "00"                  # or: pattern = "1[3-9][0-9]{{9}}" (whole number)
# strip = 2                      # remove the first 2 characters ...
# prepend = "+"                  # ... then put this in front
# trunks = ["carrier-a"]         # tried in this order: ["carrier-a", "carrier-b"]
# caller_id = "8008001234"       # default: the trunk's caller_id
#
# [[dialplan.outbound]]
# prefix = ""                    # every other number
# trunks = ["carrier-a"]
#
# [[dialplan.dids]]              # numbers the carriers deliver, and the extension they ring
# number = "8008001234"
# destination = "1001"

# SIP extensions created at startup when missing (existing ones are never overwritten).
{warning}
{exts}"""
