"""Settings: a TOML file, then ``KEFU_<SECTION>_<KEY>`` environment overrides.

The shape below is the contract every package codes against.  Loading and validation
(``load_settings``) name the offending key and refuse to start on any error: a PBX that
starts with a half-understood config fails later, on a live call, far from the cause.
"""

from __future__ import annotations

import os
import secrets
import tomllib
import typing
from dataclasses import dataclass, field, fields
from pathlib import Path
from typing import Any, Mapping


class ConfigError(ValueError):
    """A config file or override is wrong; the message names the key."""


@dataclass
class SipSettings:
    host: str = "127.0.0.1"          # listen address, UDP and TCP
    port: int = 5060
    realm: str = "kefu"               # digest realm
    ring_timeout: float = 30.0        # seconds before an unanswered leg is cancelled
    min_expires: int = 60
    max_expires: int = 3600
    default_expires: int = 600


@dataclass
class RtpSettings:
    host: str = "127.0.0.1"          # address RTP sockets bind to and announce in SDP
    port_min: int = 20000
    port_max: int = 20999


@dataclass
class HttpSettings:
    host: str = "127.0.0.1"
    port: int = 8080
    token_ttl: float = 12 * 3600.0    # seconds an API login token stays valid


@dataclass
class RecordingSettings:
    enabled: bool = True              # record every bridged call


@dataclass
class TlsSettings:
    enabled: bool = True
    port: int = 5061                  # SIP over TLS, on sip.host
    cert_file: str = ""               # empty: a self-signed certificate made on first start
    key_file: str = ""                #   under <data_dir>/tls/


@dataclass
class SecuritySettings:
    auth_fail_limit: int = 5          # digest failures from one address within the window
    auth_fail_window: float = 60.0    #   ... ban that address
    ban_seconds: float = 600.0
    register_rate: float = 20.0       # REGISTERs per second from one address before 503
    invite_rate: float = 20.0         # new INVITEs per second from one address before 503
    trusted: list[str] = field(default_factory=list)   # addresses never banned or throttled


@dataclass
class MediaSettings:
    moh_file: str = ""                # music on hold WAV; empty: kefu's built-in melody
    latch: bool = True                # symmetric RTP: answer to where the peer's RTP comes from


@dataclass
class ExtensionConfig:
    number: str
    password: str
    display_name: str = ""


@dataclass
class Settings:
    data_dir: Path = Path("./data")
    log_level: str = "INFO"
    database_url: str = ""            # empty: SQLite file under data_dir
    sip: SipSettings = field(default_factory=SipSettings)
    rtp: RtpSettings = field(default_factory=RtpSettings)
    http: HttpSettings = field(default_factory=HttpSettings)
    recording: RecordingSettings = field(default_factory=RecordingSettings)
    tls: TlsSettings = field(default_factory=TlsSettings)
    security: SecuritySettings = field(default_factory=SecuritySettings)
    media: MediaSettings = field(default_factory=MediaSettings)
    extensions: list[ExtensionConfig] = field(default_factory=list)

    @property
    def db_url(self) -> str:
        return self.database_url or f"sqlite:///{(Path(self.data_dir) / 'kefu.db').resolve()}"

    @property
    def recordings_dir(self) -> Path:
        return Path(self.data_dir) / "recordings"


# --------------------------------------------------------------------------- loading

LOG_LEVELS = ("DEBUG", "INFO", "WARNING", "ERROR")
EXTENSION_NUMBER_LEN = (2, 10)
MIN_EXTENSION_PASSWORD = 6

_SECTIONS: dict[str, type] = {
    "sip": SipSettings,
    "rtp": RtpSettings,
    "http": HttpSettings,
    "recording": RecordingSettings,
    "tls": TlsSettings,
    "security": SecuritySettings,
    "media": MediaSettings,
}
_TOP_SCALARS = ("data_dir", "log_level", "database_url")


class _Bad(Exception):
    """A value failed its spec; carries the 'must be …' phrase."""


@dataclass(frozen=True)
class _Spec:
    """Type and bounds of one scalar key, and how to parse it from TOML or env text."""

    kind: Any                          # int, float, bool, str, Path or list[str]
    lo: float | None = None
    hi: float | None = None
    choices: tuple[str, ...] = ()
    nonempty: bool = False

    def describe(self) -> str:
        if self.choices:
            return "one of " + "/".join(self.choices)
        noun = {int: "an integer", float: "a number", bool: "true or false",
                str: "a non-empty string" if self.nonempty else "a string",
                Path: "a non-empty path" if self.nonempty else "a path",
                }.get(self.kind, "a list of strings")
        if self.lo is not None and self.hi is not None:
            return f"{noun} {self.lo:g}-{self.hi:g}"
        if self.lo is not None:
            return f"{noun} >= {self.lo:g}"
        return noun

    def parse(self, raw: Any, from_env: bool) -> Any:
        if self.nonempty and isinstance(raw, str) and not raw.strip():
            raise _Bad
        value = self._convert(raw, from_env)
        if self.kind in (int, float):
            if (self.lo is not None and value < self.lo) or (self.hi is not None and value > self.hi):
                raise _Bad
        if self.choices:
            value = value.upper()
            if value not in self.choices:
                raise _Bad
        return value

    def _convert(self, raw: Any, from_env: bool) -> Any:
        kind = self.kind
        if from_env:
            text = raw.strip()
            try:
                if kind is int:
                    return int(text)
                if kind is float:
                    return float(text)
            except ValueError:
                raise _Bad from None
            if kind is bool:
                low = text.lower()
                if low in ("1", "true", "yes", "on"):
                    return True
                if low in ("0", "false", "no", "off"):
                    return False
                raise _Bad
            if kind is Path:
                return Path(raw)
            if kind is str:
                return raw
            return [p.strip() for p in raw.split(",") if p.strip()]
        if kind is int:
            if isinstance(raw, bool) or not isinstance(raw, int):
                raise _Bad
            return raw
        if kind is float:
            if isinstance(raw, bool) or not isinstance(raw, (int, float)):
                raise _Bad
            return float(raw)
        if kind is bool:
            if not isinstance(raw, bool):
                raise _Bad
            return raw
        if kind in (str, Path):
            if not isinstance(raw, str):
                raise _Bad
            return Path(raw) if kind is Path else raw
        if not isinstance(raw, list) or not all(isinstance(x, str) for x in raw):
            raise _Bad
        return list(raw)


_PORT = _Spec(int, 1, 65535)
_EXPIRES = _Spec(int, 1, 86400)
_SPECS: dict[str, _Spec] = {
    "data_dir": _Spec(Path, nonempty=True),
    "log_level": _Spec(str, choices=LOG_LEVELS),
    "database_url": _Spec(str),
    "sip.host": _Spec(str, nonempty=True),
    "sip.port": _PORT,
    "sip.realm": _Spec(str, nonempty=True),
    "sip.ring_timeout": _Spec(float, 1, 3600),
    "sip.min_expires": _EXPIRES,
    "sip.max_expires": _EXPIRES,
    "sip.default_expires": _EXPIRES,
    "rtp.host": _Spec(str, nonempty=True),
    "rtp.port_min": _PORT,
    "rtp.port_max": _PORT,
    "http.host": _Spec(str, nonempty=True),
    "http.port": _PORT,
    "http.token_ttl": _Spec(float, 60, 30 * 86400),
    "tls.port": _PORT,
    "security.auth_fail_limit": _Spec(int, 1, 1000),
    "security.auth_fail_window": _Spec(float, 1, 86400),
    "security.ban_seconds": _Spec(float, 1, 30 * 86400),
    "security.register_rate": _Spec(float, 0.1, 100000),
    "security.invite_rate": _Spec(float, 0.1, 100000),
}


def _spec_for(path: str, hint: Any) -> _Spec:
    """The explicit spec, else one derived from the field's type (fields added later)."""
    if path in _SPECS:
        return _SPECS[path]
    if hint in (int, float, bool, str, Path):
        return _Spec(hint)
    return _Spec(list)


class _Loader:
    """Collects every problem so one run of ``kefu serve`` shows them all."""

    def __init__(self, env: Mapping[str, str], base_dir: Path | None) -> None:
        self.env = env
        self.base_dir = base_dir
        self.problems: list[str] = []

    def bad(self, path: str, problem: str) -> None:
        self.problems.append(f"{path}: {problem}")

    def scalar(self, path: str, hint: Any, raw: Any, env_name: str | None) -> Any:
        spec = _spec_for(path, hint)
        from_env = env_name is not None
        try:
            return spec.parse(raw, from_env)
        except _Bad:
            src = f" (from {env_name})" if env_name else ""
            self.bad(path, f"must be {spec.describe()}, got {raw!r}{src}")
            return _MISSING

    def fill(self, cls: type, prefix: str, table: Mapping[str, Any]) -> dict[str, Any]:
        """Values for ``cls``'s scalar fields from ``table`` then the environment."""
        hints = typing.get_type_hints(cls)
        names = [f.name for f in fields(cls)]
        for key in table:
            if key not in names:
                self.bad(f"{prefix}{key}", "unknown key")
        out: dict[str, Any] = {}
        for name in names:
            if prefix == "" and name not in _TOP_SCALARS:
                continue
            path = f"{prefix}{name}"
            env_name = "KEFU_" + path.replace(".", "_").upper()
            if env_name in self.env:
                value = self.scalar(path, hints[name], self.env[env_name], env_name)
            elif name in table:
                value = self.scalar(path, hints[name], table[name], None)
                if isinstance(value, Path) and not value.is_absolute() and self.base_dir:
                    value = self.base_dir / value
            else:
                continue
            if value is not _MISSING:
                out[name] = value
        return out

    def extensions(self, raw: Any) -> list[ExtensionConfig]:
        if not isinstance(raw, list) or not all(isinstance(x, dict) for x in raw):
            self.bad("extensions", "must be an array of tables ([[extensions]])")
            return []
        result: list[ExtensionConfig] = []
        seen: dict[str, int] = {}
        lo, hi = EXTENSION_NUMBER_LEN
        for i, item in enumerate(raw):
            p = f"extensions[{i}]"
            for key in item:
                if key not in ("number", "password", "display_name"):
                    self.bad(f"{p}.{key}", "unknown key")
            number = item.get("number")
            if isinstance(number, int) and not isinstance(number, bool):
                number = str(number)
            if number is None:
                self.bad(f"{p}.number", "required")
            elif not (isinstance(number, str) and number.isascii() and number.isdigit()
                      and lo <= len(number) <= hi):
                self.bad(f"{p}.number", f"must be {lo}-{hi} digits, got {item.get('number')!r}")
            elif number in seen:
                self.bad(f"{p}.number", f"duplicate of extensions[{seen[number]}] ({number!r})")
            else:
                seen[number] = i
            password = item.get("password")
            if password is None:
                self.bad(f"{p}.password", "required")
            elif not isinstance(password, str) or len(password) < MIN_EXTENSION_PASSWORD:
                self.bad(f"{p}.password",
                         f"must be a string of at least {MIN_EXTENSION_PASSWORD} characters")
            display = item.get("display_name", "")
            if not isinstance(display, str):
                self.bad(f"{p}.display_name", f"must be a string, got {display!r}")
            if isinstance(number, str) and isinstance(password, str) and isinstance(display, str):
                result.append(ExtensionConfig(number, password, display))
        return result


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


def load_settings(path: Path | None, env: Mapping[str, str] = os.environ) -> Settings:
    """Read ``path`` (or the file named by ``KEFU_CONFIG``; none: defaults), apply env overrides.

    Relative paths in the file resolve against the file's directory, so the same file works
    whatever the current directory; relative paths from the environment stay as given.
    Raises :class:`ConfigError` listing every problem as ``key.path: problem``.
    """
    if path is None and env.get("KEFU_CONFIG"):
        path = Path(env["KEFU_CONFIG"])
    doc: dict[str, Any] = _read_toml(Path(path)) if path is not None else {}
    loader = _Loader(env, Path(path).resolve().parent if path is not None else None)

    known = set(_TOP_SCALARS) | set(_SECTIONS) | {"extensions"}
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
    if loader.problems:
        raise ConfigError("; ".join(loader.problems))
    settings = Settings(**top, **sections, extensions=exts)
    _cross_checks(settings, loader.bad)
    if loader.problems:
        raise ConfigError("; ".join(loader.problems))
    return settings


# --------------------------------------------------------------------------- starter file

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

[recording]
enabled = true

# SIP extensions created at startup when missing (existing ones are never overwritten).
{warning}
{exts}"""
