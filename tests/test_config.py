"""load_settings: TOML, env overrides, and errors that name the key."""

from __future__ import annotations

from pathlib import Path

import pytest

from kefu.config import ConfigError, ExtensionConfig, Settings, load_settings, starter_config


def write(tmp_path: Path, text: str) -> Path:
    path = tmp_path / "kefu.toml"
    path.write_text(text, encoding="utf-8")
    return path


def error_of(path: Path | None, env: dict[str, str] | None = None) -> str:
    with pytest.raises(ConfigError) as info:
        load_settings(path, env or {})
    return str(info.value)


def test_defaults_without_file() -> None:
    assert load_settings(None, {}) == Settings()


def test_full_file(tmp_path: Path) -> None:
    path = write(tmp_path, """
data_dir = "/var/lib/kefu"
log_level = "warning"
database_url = "postgresql+psycopg://kefu@db/kefu"
[sip]
port = 5070
realm = "pbx.example"
ring_timeout = 20
[rtp]
port_min = 30000
port_max = 30001
[http]
port = 9000
[recording]
enabled = false
[[extensions]]
number = "1001"
password = "secret1"
display_name = "Alice"
[[extensions]]
number = 1002
password = "secret2"
""")
    s = load_settings(path, {})
    assert s.data_dir == Path("/var/lib/kefu") and s.log_level == "WARNING"
    assert s.database_url == "postgresql+psycopg://kefu@db/kefu"
    assert (s.sip.port, s.sip.realm, s.sip.ring_timeout, s.sip.host) == (5070, "pbx.example",
                                                                         20.0, "127.0.0.1")
    assert (s.rtp.port_min, s.rtp.port_max, s.http.port) == (30000, 30001, 9000)
    assert s.recording.enabled is False
    assert s.extensions == [ExtensionConfig("1001", "secret1", "Alice"),
                            ExtensionConfig("1002", "secret2", "")]


def test_relative_data_dir_is_relative_to_the_file(tmp_path: Path) -> None:
    s = load_settings(write(tmp_path, 'data_dir = "store"\n'), {})
    assert s.data_dir == tmp_path.resolve() / "store"
    assert s.db_url == f"sqlite:///{tmp_path.resolve() / 'store' / 'kefu.db'}"


def test_env_overrides_file(tmp_path: Path) -> None:
    path = write(tmp_path, "[sip]\nport = 5080\n")
    env = {"KEFU_SIP_PORT": "5070", "KEFU_HTTP_HOST": "127.0.0.2", "KEFU_DATA_DIR": "d",
           "KEFU_LOG_LEVEL": "debug", "KEFU_DATABASE_URL": "sqlite:///x.db",
           "KEFU_RTP_PORT_MIN": "40000", "KEFU_RTP_PORT_MAX": "40010",
           "KEFU_RECORDING_ENABLED": "no", "KEFU_SIP_RING_TIMEOUT": "12.5",
           "KEFU_UNRELATED": "ignored"}
    s = load_settings(path, env)
    assert (s.sip.port, s.http.host, s.data_dir, s.log_level) == (5070, "127.0.0.2", Path("d"),
                                                                  "DEBUG")
    assert (s.database_url, s.rtp.port_min, s.rtp.port_max) == ("sqlite:///x.db", 40000, 40010)
    assert s.recording.enabled is False and s.sip.ring_timeout == 12.5


def test_kefu_config_names_the_file(tmp_path: Path) -> None:
    path = write(tmp_path, "[http]\nport = 8181\n")
    assert load_settings(None, {"KEFU_CONFIG": str(path)}).http.port == 8181


@pytest.mark.parametrize("env,expected", [
    ({"KEFU_SIP_PORT": "abc"}, "sip.port: must be an integer 1-65535, got 'abc'"),
    ({"KEFU_SIP_PORT": "0"}, "sip.port: must be an integer 1-65535"),
    ({"KEFU_HTTP_PORT": "70000"}, "http.port: must be an integer 1-65535"),
    ({"KEFU_LOG_LEVEL": "LOUD"}, "log_level: must be one of DEBUG/INFO/WARNING/ERROR"),
    ({"KEFU_RECORDING_ENABLED": "maybe"}, "recording.enabled: must be true or false"),
    ({"KEFU_RTP_PORT_MIN": "20999"}, "rtp.port_min: must be less than rtp.port_max"),
    ({"KEFU_SIP_DEFAULT_EXPIRES": "10"}, "sip.default_expires: must lie between"),
])
def test_bad_env(env: dict[str, str], expected: str) -> None:
    assert error_of(None, env).startswith(expected)


@pytest.mark.parametrize("text,expected", [
    ('[sip]\nport = "abc"\n', "sip.port: must be an integer 1-65535, got 'abc'"),
    ("[sip]\nport = true\n", "sip.port: must be an integer 1-65535, got True"),
    ("[sip]\nportt = 5060\n", "sip.portt: unknown key"),
    ("colour = 1\n", "colour: unknown key"),
    ("sip = 5\n", "sip: must be a table"),
    ('[sip]\nrealm = ""\n', "sip.realm: must be a non-empty string"),
    ("[rtp]\nport_min = 20000\nport_max = 20000\n", "rtp.port_min: must be less than rtp.port_max"),
    ('log_level = "verbose"\n', "log_level: must be one of DEBUG/INFO/WARNING/ERROR"),
    ("[recording]\nenabled = 1\n", "recording.enabled: must be true or false, got 1"),
    ('extensions = "1001"\n', "extensions: must be an array of tables"),
    ('[[extensions]]\nnumber = "1"\npassword = "secret1"\n', "extensions[0].number: must be 2-10 digits"),
    ('[[extensions]]\nnumber = "12345678901"\npassword = "secret1"\n', "extensions[0].number"),
    ('[[extensions]]\nnumber = "10a1"\npassword = "secret1"\n', "extensions[0].number"),
    ('[[extensions]]\npassword = "secret1"\n', "extensions[0].number: required"),
    ('[[extensions]]\nnumber = "1001"\npassword = "12345"\n',
     "extensions[0].password: must be a string of at least 6 characters"),
    ('[[extensions]]\nnumber = "1001"\n', "extensions[0].password: required"),
    ('[[extensions]]\nnumber = "1001"\npassword = "secret1"\nvoicemail = true\n',
     "extensions[0].voicemail: unknown key"),
    ('[[extensions]]\nnumber = "1001"\npassword = "secret1"\n'
     '[[extensions]]\nnumber = "1001"\npassword = "secret2"\n',
     "extensions[1].number: duplicate of extensions[0] ('1001')"),
])
def test_bad_file(tmp_path: Path, text: str, expected: str) -> None:
    assert error_of(write(tmp_path, text)).startswith(expected)


def test_every_problem_is_reported(tmp_path: Path) -> None:
    msg = error_of(write(tmp_path, '[sip]\nport = "x"\nfoo = 1\n[http]\nport = -1\n'))
    assert "sip.port:" in msg and "sip.foo: unknown key" in msg and "http.port:" in msg


def test_env_error_names_the_variable() -> None:
    assert "(from KEFU_SIP_PORT)" in error_of(None, {"KEFU_SIP_PORT": "abc"})


def test_missing_and_broken_files(tmp_path: Path) -> None:
    assert "config file not found" in error_of(tmp_path / "nope.toml")
    assert "invalid TOML" in error_of(write(tmp_path, "[sip\n"))


@pytest.mark.parametrize("demo", [True, False])
def test_starter_config_loads(tmp_path: Path, demo: bool) -> None:
    text = starter_config(demo)
    s = load_settings(write(tmp_path, text), {})
    assert [e.number for e in s.extensions] == ["1001", "1002", "1003", "1004", "1005"]
    assert s.data_dir == tmp_path.resolve() / "data"
    assert s.sip == Settings().sip and s.rtp == Settings().rtp and s.http == Settings().http
    passwords = [e.password for e in s.extensions]
    assert len(set(passwords)) == 5
    if demo:
        assert passwords[0] == "demo1001pw" and "Change every password" in text
    else:
        assert not any(p.startswith("demo") for p in passwords)
        assert starter_config(False) != text
