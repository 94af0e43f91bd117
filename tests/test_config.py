"""load_settings: TOML, env overrides, and errors that name the key."""

from __future__ import annotations

from pathlib import Path

import pytest

from kefu.config import (ConfigError, DialPermission, DialPlanSettings, DidConfig, ExtensionConfig,
                         OutboundRule, Settings, TrunkConfig, load_settings)
from kefu.config_template import starter_config


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
    ('[[extensions]]\nnumber = "1"\npassword = "secret1"\n', "extensions[0].number: must be an extension number (2-10 digits)"),
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


# --- trunks and the dial plan ------------------------------------------------------------

TRUNK_A = '[[trunks]]\nname = "a"\nhost = "192.0.2.1"\n'


def test_trunks_and_dialplan(tmp_path: Path) -> None:
    s = load_settings(write(tmp_path, """
[[trunks]]
name = "carrier-a"
host = "203.0.113.10"
transport = "TCP"
username = "acct"
password = "pw-123"
register = true
expires = 300
inbound_sources = ["203.0.113.10", "203.0.113.64/28"]
caller_id = "+8610888"
from_domain = "sip.carrier.example"
[[trunks]]
name = "b"
host = "2001:db8::1"
transport = "tls"
[dialplan]
national_prefix = "0"
international_prefix = "00"
emergency = ["110", "112"]
default_classes = ["internal", "local"]
default_destination = "1001"
[[dialplan.permissions]]
extensions = ["1001", "1002"]
classes = ["internal", "international"]
[[dialplan.outbound]]
prefix = "00"
strip = 2
prepend = "+"
trunks = ["carrier-a", "b"]
caller_id = "8008001234"
[[dialplan.outbound]]
pattern = "1[3-9][0-9]{9}"
trunks = ["b"]
[[dialplan.dids]]
number = "8008001234"
destination = "1002"
[[dialplan.dids]]
number = 8008001235
destination = 1003
"""), {})
    assert s.trunks == [
        TrunkConfig("carrier-a", "203.0.113.10", 5060, "tcp", "acct", "pw-123", True, 300,
                    ["203.0.113.10", "203.0.113.64/28"], "+8610888", "sip.carrier.example"),
        TrunkConfig("b", "2001:db8::1", 5061, "tls", inbound_sources=["2001:db8::1"])]
    d = s.dialplan
    assert (d.national_prefix, d.international_prefix, d.emergency) == ("0", "00", ["110", "112"])
    assert d.default_classes == ["internal", "local"] and d.default_destination == "1001"
    assert d.local_pattern == DialPlanSettings().local_pattern
    assert d.permissions == [DialPermission(["1001", "1002"], ["internal", "international"])]
    # keywords: which of prefix and pattern a rule gives matters (prefix "" matches everything)
    assert d.outbound == [OutboundRule(prefix="00", strip=2, prepend="+", trunks=["carrier-a", "b"],
                                       caller_id="8008001234"),
                          OutboundRule(pattern="1[3-9][0-9]{9}", trunks=["b"])]
    assert d.dids == [DidConfig("8008001234", "1002"), DidConfig("8008001235", "1003")]


def test_dialplan_defaults() -> None:
    d = load_settings(None, {}).dialplan
    assert d == DialPlanSettings()
    assert "international" not in d.default_classes and "emergency" in d.default_classes
    assert d.emergency == ["110", "119", "120", "112"]
    assert d.outbound == [] and d.dids == [] and d.default_destination == ""


def test_trunk_without_inbound_sources_key_trusts_its_host(tmp_path: Path) -> None:
    assert load_settings(write(tmp_path, TRUNK_A), {}).trunks[0].inbound_sources == ["192.0.2.1"]
    s = load_settings(write(tmp_path, TRUNK_A + "inbound_sources = []\n"), {})
    assert s.trunks[0].inbound_sources == []


def test_dialplan_env_overrides(tmp_path: Path) -> None:
    env = {"KEFU_DIALPLAN_DEFAULT_CLASSES": "internal,emergency,international",
           "KEFU_DIALPLAN_NATIONAL_PREFIX": "1", "KEFU_DIALPLAN_INTERNATIONAL_PREFIX": "011"}
    d = load_settings(None, env).dialplan
    assert d.default_classes == ["internal", "emergency", "international"]
    assert (d.national_prefix, d.international_prefix) == ("1", "011")
    assert "dialplan.default_classes: unknown call class 'premium'" in error_of(
        None, {"KEFU_DIALPLAN_DEFAULT_CLASSES": "internal,premium"})


@pytest.mark.parametrize("text,expected", [
    ('trunks = "a"\n', "trunks: must be an array of tables ([[trunks]])"),
    ('[[trunks]]\nhost = "192.0.2.1"\n', "trunks[0].name: required"),
    ('[[trunks]]\nname = "a b"\nhost = "192.0.2.1"\n', "trunks[0].name: must be 1-32 letters"),
    (TRUNK_A + TRUNK_A.replace("192.0.2.1", "192.0.2.2"),
     "trunks[1].name: duplicate of trunks[0] ('a')"),
    ('[[trunks]]\nname = "a"\n', "trunks[0].host: required"),
    ('[[trunks]]\nname = "a"\nhost = "sip.example.com"\n',
     "trunks[0].host: must be an IP address (no host names), got 'sip.example.com'"),
    (TRUNK_A + TRUNK_A.replace('"a"', '"b"').replace("192.0.2.1", "192.0.2.2") + "port = 0\n",
     "trunks[1].port: must be an integer 1-65535, got 0"),
    (TRUNK_A + 'port = "5060"\n', "trunks[0].port: must be an integer 1-65535, got '5060'"),
    (TRUNK_A + 'transport = "sctp"\n', "trunks[0].transport: must be one of udp/tcp/tls"),
    (TRUNK_A + "register = true\n", "trunks[0].register: needs username and password"),
    (TRUNK_A + 'register = "yes"\n', "trunks[0].register: must be true or false"),
    (TRUNK_A + "expires = 5\n", "trunks[0].expires: must be an integer 30-86400, got 5"),
    (TRUNK_A + 'inbound_sources = "192.0.2.1"\n',
     "trunks[0].inbound_sources: must be a list of strings"),
    (TRUNK_A + 'inbound_sources = ["192.0.2.300"]\n',
     "trunks[0].inbound_sources[0]: must be an IP address or network (CIDR), got '192.0.2.300'"),
    (TRUNK_A + '[[trunks]]\nname = "b"\nhost = "192.0.2.9"\ninbound_sources = ["192.0.2.0/24"]\n',
     "trunks[1].inbound_sources[0]: 192.0.2.0/24 overlaps inbound_sources of trunks[0] ('a')"),
    (TRUNK_A + 'caller_id = "abc"\n', "trunks[0].caller_id: must be a phone number"),
    (TRUNK_A + 'from_domain = "bad domain"\n', "trunks[0].from_domain: must be a host name"),
    (TRUNK_A + "username = 5\n", "trunks[0].username: must be a string, got 5"),
    (TRUNK_A + "colour = 1\n", "trunks[0].colour: unknown key"),
    ('dialplan = 1\n', "dialplan: must be a table ([dialplan])"),
    ('[dialplan]\nnational_prefix = "0x"\n', "dialplan.national_prefix: must be digits"),
    ('[dialplan]\nnational_prefix = "00"\n',
     "dialplan.international_prefix: must differ from dialplan.national_prefix"),
    ('[dialplan]\nlocal_pattern = "[0-9"\n', "dialplan.local_pattern: must be a regular expression"),
    ('[dialplan]\nemergency = ["11a"]\n', "dialplan.emergency[0]: must be 1-10 digits, got '11a'"),
    ('[dialplan]\nemergency = "110"\n', "dialplan.emergency: must be a list of strings"),
    ('[dialplan]\ndefault_classes = ["internal", "premium"]\n',
     "dialplan.default_classes: unknown call class 'premium'"),
    ('[dialplan]\ndefault_destination = "x"\n',
     "dialplan.default_destination: must be an extension number (2-10 digits), got 'x'"),
    ('[dialplan]\ncolour = 1\n', "dialplan.colour: unknown key"),
    ('[[dialplan.permissions]]\nclasses = ["local"]\n', "dialplan.permissions[0].extensions: required"),
    ('[[dialplan.permissions]]\nextensions = ["1001"]\n', "dialplan.permissions[0].classes: required"),
    ('[[dialplan.permissions]]\nextensions = ["1"]\nclasses = ["local"]\n',
     "dialplan.permissions[0].extensions[0]: must be an extension number"),
    ('[[dialplan.permissions]]\nextensions = ["1001"]\nclasses = ["local"]\n'
     '[[dialplan.permissions]]\nextensions = ["1001"]\nclasses = ["national"]\n',
     "dialplan.permissions[1].extensions[0]: '1001' already in dialplan.permissions[0]"),
    ('[[dialplan.permissions]]\nextensions = ["1001"]\nclasses = ["everything"]\n',
     "dialplan.permissions[0].classes: unknown call class 'everything'"),
    (TRUNK_A + '[[dialplan.outbound]]\nprefix = "0"\ntrunks = ["x"]\n',
     "dialplan.outbound[0].trunks: unknown trunk 'x'"),
    ('[[dialplan.outbound]]\nprefix = "0"\ntrunks = ["x"]\n',
     "dialplan.outbound[0].trunks: unknown trunk 'x'"),
    (TRUNK_A + '[[dialplan.outbound]]\nprefix = "0"\ntrunks = ["a", "a"]\n',
     "dialplan.outbound[0].trunks: names trunk 'a' twice"),
    (TRUNK_A + '[[dialplan.outbound]]\nprefix = "0"\ntrunks = []\n',
     "dialplan.outbound[0].trunks: must name at least one trunk"),
    (TRUNK_A + '[[dialplan.outbound]]\nprefix = "0"\n', "dialplan.outbound[0].trunks: required"),
    (TRUNK_A + '[[dialplan.outbound]]\ntrunks = ["a"]\n',
     "dialplan.outbound[0]: needs prefix or pattern"),
    (TRUNK_A + '[[dialplan.outbound]]\nprefix = "0"\npattern = "0.*"\ntrunks = ["a"]\n',
     "dialplan.outbound[0]: give prefix or pattern, not both"),
    (TRUNK_A + '[[dialplan.outbound]]\nprefix = "0a"\ntrunks = ["a"]\n',
     "dialplan.outbound[0].prefix: must be digits, *, # or +, got '0a'"),
    (TRUNK_A + '[[dialplan.outbound]]\npattern = "(0"\ntrunks = ["a"]\n',
     "dialplan.outbound[0].pattern: must be a regular expression"),
    (TRUNK_A + '[[dialplan.outbound]]\npattern = ""\ntrunks = ["a"]\n',
     "dialplan.outbound[0].pattern: must not be empty"),
    (TRUNK_A + '[[dialplan.outbound]]\nprefix = "0"\nstrip = -1\ntrunks = ["a"]\n',
     "dialplan.outbound[0].strip: must be an integer 0-20, got -1"),
    (TRUNK_A + '[[dialplan.outbound]]\nprefix = "0"\nprepend = "x"\ntrunks = ["a"]\n',
     "dialplan.outbound[0].prepend: must be digits, *, # or +"),
    (TRUNK_A + '[[dialplan.outbound]]\nprefix = "0"\ncaller_id = "me"\ntrunks = ["a"]\n',
     "dialplan.outbound[0].caller_id: must be a phone number"),
    (TRUNK_A + '[[dialplan.outbound]]\nprefix = "0"\ntrunk = ["a"]\ntrunks = ["a"]\n',
     "dialplan.outbound[0].trunk: unknown key"),
    ('[dialplan]\noutbound = 1\n', "dialplan.outbound: must be an array of tables"),
    ('[[dialplan.dids]]\ndestination = "1001"\n', "dialplan.dids[0].number: required"),
    ('[[dialplan.dids]]\nnumber = "800"\n', "dialplan.dids[0].destination: required"),
    ('[[dialplan.dids]]\nnumber = "80x"\ndestination = "1001"\n',
     "dialplan.dids[0].number: must be a phone number (2-31 digits with an optional "
     "leading +), got '80x'"),
    ('[[dialplan.dids]]\nnumber = "8"\ndestination = "1001"\n',      # kefu.values.PHONE
     "dialplan.dids[0].number: must be a phone number"),
    ('[[dialplan.dids]]\nnumber = "800"\ndestination = "1"\n',
     "dialplan.dids[0].destination: must be an extension number (2-10 digits) or "
     "flow:<name>, got '1'"),
    ('[[dialplan.dids]]\nnumber = "800"\ndestination = "1001"\n'
     '[[dialplan.dids]]\nnumber = "800"\ndestination = "1002"\n',
     "dialplan.dids[1].number: duplicate of dialplan.dids[0] ('800')"),
    ('[[extensions]]\nnumber = "110"\npassword = "secret1"\n',
     "extensions[0].number: '110' is an emergency number"),
])
def test_bad_trunks_and_dialplan(tmp_path: Path, text: str, expected: str) -> None:
    assert expected in error_of(write(tmp_path, text))


def test_every_dialplan_problem_is_reported(tmp_path: Path) -> None:
    msg = error_of(write(tmp_path, '[[trunks]]\nname = "a"\nport = 0\n'
                                   '[[dialplan.outbound]]\nprefix = "0"\ntrunks = ["a", "z"]\n'
                                   '[[dialplan.dids]]\nnumber = "x"\ndestination = "1001"\n'))
    for part in ("trunks[0].host: required", "trunks[0].port:",
                 "dialplan.outbound[0].trunks: unknown trunk 'z'", "dialplan.dids[0].number:"):
        assert part in msg
    assert "unknown trunk 'a'" not in msg          # a's name is fine, only its other keys


def test_starter_config_examples_load_when_uncommented(tmp_path: Path) -> None:
    out, on = [], False
    for line in starter_config(True).splitlines():
        if line.startswith("# --- SIP trunks"):
            on = True
        elif line.startswith("# SIP extensions created"):
            on = False
        if on and (line.startswith("# [") or (line.startswith("# ") and " = " in line)):
            line = line[2:]
        out.append(line)
    s = load_settings(write(tmp_path, "\n".join(out)), {})
    assert [t.name for t in s.trunks] == ["carrier-a"] and s.trunks[0].register
    assert s.dialplan.dids == [DidConfig("8008001234", "1001")]
    assert [r.prefix for r in s.dialplan.outbound] == ["00", ""]
    assert s.dialplan.local_pattern == "[1-9][0-9]{6,7}"


def test_acd_and_queues(tmp_path: Path) -> None:
    s = load_settings(write(tmp_path, """
[acd]
no_answer_limit = 2
pause_reasons = ["break"]

[[queues]]
name = "sales"
number = "8001"
strategy = "skills"
members = { bob = 3, alice = 9 }
tiers = { gold = 5 }
max_wait = 30
overflow = "1001"
callback_key = "9"
"""))
    assert s.acd.no_answer_limit == 2 and s.acd.pause_reasons == ["break"]
    (q,) = s.queues
    assert (q.name, q.number, q.strategy, q.max_wait, q.overflow) == ("sales", "8001", "skills",
                                                                       30.0, "1001")
    assert list(q.members) == ["bob", "alice"]          # member order is kept
    assert q.tiers == {"gold": 5} and q.callback_key == "9" and q.join_empty


@pytest.mark.parametrize("text,expected", [
    ('[[queues]]\nnumber = "8001"', "queues[0].name: required"),
    ('[[queues]]\nname = "q"', "queues[0].number: required"),
    ('[[queues]]\nname = "q"\nnumber = "80x"', "queues[0].number: must be an extension number"),
    ('[[queues]]\nname = "q"\nnumber = "8001"\nleave_key = "12"', "queues[0].leave_key"),
    ('[[queues]]\nname = "q"\nnumber = "8001"\nmembers = { a = "x" }', "queues[0].members"),
    ('[[queues]]\nname = "q"\nnumber = "8001"\nmembers = { a = 500 }',
     "queues[0].members.a: must be a skill level 0-100, got 500"),
    ('[[queues]]\nname = "q"\nnumber = "8001"\nwrap = 3', "queues[0].wrap: unknown key"),
    ('[[queues]]\nname = "q"\nnumber = "8001"\n[[queues]]\nname = "q"\nnumber = "8002"',
     "queues[1].name: duplicate"),
    ('[[queues]]\nname = "q"\nnumber = "110"', "emergency"),
    ('[[queues]]\nname = "q"\nnumber = "8001"\noverflow = "8001"', "queue's own number"),
    ('[acd]\nno_answer_limit = "x"', "acd.no_answer_limit"),
    ('[[queues]]\nname = "q"\nnumber = "8001"\nservice_level = 0', "queues[0].service_level"),
    ('[[queues]]\nname = "q"\nnumber = "8001"\ncallback_attempts = 0', "callback_attempts"),
    ('[[queues]]\nname = "q"\nnumber = "8001"\nalert_wait = -1', "queues[0].alert_wait"),
    ('[[queues]]\nname = "q"\nnumber = "8001"\nalert_talk = "long"', "queues[0].alert_talk"),
])
def test_bad_queues(tmp_path: Path, text: str, expected: str) -> None:
    assert expected in error_of(write(tmp_path, text))


def test_queue_alerts_default_on_and_zero_turns_one_off(tmp_path: Path) -> None:
    """The wallboard's thresholds: on by default (a minute's wait, ten minutes not ready, a
    quarter-hour call); the demo queue of the starter config sets them as the defaults."""
    q = load_settings(write(tmp_path, '[[queues]]\nname = "q"\nnumber = "8001"\n'
                                      'alert_not_ready = 0\n'), env={}).queues[0]
    assert (q.alert_wait, q.alert_not_ready, q.alert_talk) == (60, 0, 900)
    (demo,) = load_settings(write(tmp_path, starter_config(True)), {}).queues
    assert (demo.alert_wait, demo.alert_not_ready, demo.alert_talk) == (60, 600, 900)


def test_queue_strategy_is_checked_at_load(tmp_path: Path) -> None:
    """With the known names (the CLI passes kefu.acd.strategies.strategy_names()) a typo is a
    config error naming the key, before anything starts; without them it is left to the ACD."""
    path = write(tmp_path, '[[queues]]\nname = "q"\nnumber = "8001"\nstrategy = "skils"\n')
    with pytest.raises(ConfigError, match=r"^queues\[0\]\.strategy: unknown routing strategy "
                                          r"'skils' \(known: longest_idle, skills\)$"):
        load_settings(path, env={}, strategies={"skills", "longest_idle"})
    assert load_settings(path, env={}).queues[0].strategy == "skils"


def test_the_models_are_the_schema() -> None:
    """Bounds and value rules are declared on the fields (kefu.values types included), so
    pydantic validates a whole Settings with the loader's rules, and so is code that builds
    settings directly (tests, tools); the models are frozen."""
    from pydantic import TypeAdapter, ValidationError

    schema = TypeAdapter(Settings)
    assert schema.validate_python({}) == Settings()
    s = schema.validate_python({"sip": {"port": 5070}, "log_level": "debug",
                                "dialplan": {"dids": [{"number": "+4930123", "destination": "1001"}]}})
    assert (s.sip.port, s.log_level, s.dialplan.dids) == (5070, "DEBUG",
                                                           [DidConfig("+4930123", "1001")])
    with pytest.raises(ValidationError) as info:
        schema.validate_python({"sip": {"port": 0}, "limits": {"header_timeout": 0.01},
                                "extensions": [{"number": "1", "password": "secret1"}]})
    assert {tuple(e["loc"]) for e in info.value.errors()} == {
        ("sip", "port"), ("limits", "header_timeout"), ("extensions", 0, "number")}


def test_built_settings_are_checked_and_frozen() -> None:
    from pydantic import ValidationError

    assert ExtensionConfig("1001", "secret1") == ExtensionConfig(number="1001", password="secret1")
    with pytest.raises(ValidationError):
        ExtensionConfig("1", "secret1")
    with pytest.raises(ValidationError):
        Settings().sip.port = 5070                          # type: ignore[misc]
    s = Settings()
    assert s.model_copy(update={"log_level": "DEBUG"}).log_level == "DEBUG" != s.log_level


def test_env_names_follow_the_keys(tmp_path: Path) -> None:
    """KEFU_<SECTION>_<KEY>, keys with underscores included; lists comma-separated; a key a
    section lacks is refused like one in the file."""
    s = load_settings(None, {"KEFU_LIMITS_SIP_UNBOUND_IDLE": "30", "KEFU_SECURITY_TRUSTED":
                             "10.0.0.1, 10.0.0.0/8", "KEFU_MEDIA_LATCH": "off",
                             "KEFU_ACD_PAUSE_REASONS": "break,lunch"})
    assert s.limits.sip_unbound_idle == 30.0 and s.media.latch is False
    assert s.security.trusted == ["10.0.0.1", "10.0.0.0/8"]
    assert s.acd.pause_reasons == ["break", "lunch"]
    assert error_of(None, {"KEFU_SIP_PROT": "5070"}) == \
        "sip.prot: unknown key (from KEFU_SIP_PROT)"


def test_a_key_moved_to_a_slice_section_names_its_new_place(tmp_path: Path) -> None:
    msg = error_of(write(tmp_path, "[http]\ntoken_ttl = 600\n"))
    assert "http.token_ttl: moved to users.token_ttl" in msg
    assert load_settings(write(tmp_path, "[users]\ntoken_ttl = 600\n"), {}).users.token_ttl == 600
    assert load_settings(None, {"KEFU_USERS_TOKEN_TTL": "900"}).users.token_ttl == 900


def test_recordings_files_section(tmp_path: Path) -> None:
    """[recordings]: the starter file's commented example, uncommented, loads; a retention
    rule that names nothing is refused; the archive tier defaults under data_dir."""
    text = starter_config(True)
    block = text[text.index("# [recordings]"):].split("\n\n")[0]
    example = "\n".join(line[2:].split("  #")[0] for line in block.splitlines())
    s = load_settings(write(tmp_path, text + "\n" + example + "\n"), {})
    assert (s.recordings.codec, s.recordings.archive_after_days, s.recordings.retain_days) == (
        "flac", 90, 365)
    assert s.archive_dir == Path("/mnt/archive/kefu")
    assert [(r.tag, r.days) for r in s.recordings.retention] == [("complaint", 730)]
    assert Settings(data_dir=Path("/d")).archive_dir == Path("/d/archive")
    assert "recordings.retention[0].tag: a retention rule needs a tag" in error_of(
        write(tmp_path, "[[recordings.retention]]\ndays = 5\n"))
    assert "recordings.codec" in error_of(write(tmp_path, '[recordings]\ncodec = "mp3"\n'))
    assert load_settings(None, {"KEFU_RECORDINGS_CODEC": "opus"}).recordings.codec == "opus"
