"""Settings: a TOML file, then ``KEFU_<SECTION>_<KEY>`` environment overrides.

The shape below is the contract every package codes against.  Loading and validation
(``load_settings``) name the offending key and refuse to start on any error.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path


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


@dataclass
class RecordingSettings:
    enabled: bool = True              # record every bridged call


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
    extensions: list[ExtensionConfig] = field(default_factory=list)

    @property
    def db_url(self) -> str:
        return self.database_url or f"sqlite:///{(Path(self.data_dir) / 'kefu.db').resolve()}"

    @property
    def recordings_dir(self) -> Path:
        return Path(self.data_dir) / "recordings"
