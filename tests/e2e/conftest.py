"""Run a real ``kefu serve`` (subprocess, loopback only) for the end-to-end tests.

The server gets its own data directory, free SIP/HTTP ports and an RTP range of its
own; phones (baresip) register to it with the extensions of the test config.
"""

from __future__ import annotations

import atexit
import itertools
import json
import os
import shutil
import sqlite3
import subprocess
import sys
import tempfile
import time
import urllib.error
import urllib.request
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path

import pytest

from kefu.events import CHECK_ENV

from . import audio
from .browser import BrowserSession
from .phones import Baresip, find_free_ports

PASSWORDS = {n: f"pw-{n}-secret" for n in ("1001", "1002", "1003", "1004", "1005")}
ADMIN = ("admin", "admin-password-1")


# The guard's limits for the shared test servers: many phones register from 127.0.0.1 and
# some on purpose with a wrong password, so a real limit would ban the whole suite.
# tests/e2e/test_security.py starts servers with real, short limits instead.
E2E_SECURITY = {"auth_fail_limit": 100, "auth_fail_window": 60, "ban_seconds": 60,
                "register_rate": 500, "invite_rate": 500}


@dataclass
class KefuServer:
    dir: Path
    sip_port: int
    http_port: int
    rtp_range: tuple[int, int]
    proc: subprocess.Popen
    log_path: Path
    tls_port: int = 0
    token: str = ""
    mark: float = 0.0                 # when the current test started (for CDR queries)
    wrap: tuple[str, ...] = ()        # command prefix for `kefu serve` (e.g. prlimit)
    phones: list[Baresip] = field(default_factory=list)

    @property
    def registrar(self) -> str:
        return f"127.0.0.1:{self.sip_port}"

    @property
    def data_dir(self) -> Path:
        return self.dir / "data"

    def uri(self, number: str) -> str:
        return f"sip:{number}@127.0.0.1:{self.sip_port}"

    def api(self, method: str, path: str, body: dict | None = None, token: str | None = None):
        req = urllib.request.Request(
            f"http://127.0.0.1:{self.http_port}/api/v1{path}", method=method,
            data=json.dumps(body).encode() if body is not None else None,
            headers={"Content-Type": "application/json",
                     **({"Authorization": f"Bearer {token or self.token}"} if (token or self.token) else {})})
        try:
            with urllib.request.urlopen(req, timeout=10) as resp:
                data = resp.read()
                return resp.status, json.loads(data) if data else None
        except urllib.error.HTTPError as err:
            data = err.read()
            return err.code, json.loads(data) if data else None

    def cdr(self, number: str, expect: int = 1, timeout: float = 10.0) -> list[dict]:
        """The newest ``expect`` CDRs involving ``number`` of calls started since the
        current test began (``mark``), once they are written."""
        deadline = time.monotonic() + timeout
        while True:
            status, body = self.api(
                "GET", f"/calls?number={number}&limit={expect}&since={self.mark - 1:.3f}")
            assert status == 200, body
            items = [c for c in body["items"] if c.get("end_ts")]
            if len(items) >= expect or time.monotonic() > deadline:
                return items
            time.sleep(0.2)

    def events(self, since: float, prefix: str = "") -> list[tuple[str, str | None, dict]]:
        """(type, call_id, data) of the events logged since ``since`` whose type starts
        with ``prefix``, in order (read from the server's SQLite ``call_events``)."""
        db = sqlite3.connect(self.data_dir / "kefu.db")
        try:
            rows = db.execute("SELECT type, call_id, data FROM call_events WHERE ts >= ? "
                              "AND type LIKE ? ORDER BY id", (since, prefix + "%")).fetchall()
        finally:
            db.close()
        return [(t, c, json.loads(d)) for t, c, d in rows]

    def log_tail(self, n: int = 80) -> str:
        return "\n".join(self.log_path.read_text(errors="replace").splitlines()[-n:])


def _toml_value(v) -> str:
    if isinstance(v, bool):
        return "true" if v else "false"
    if isinstance(v, (list, tuple)):
        return "[" + ", ".join(_toml_value(x) for x in v) + "]"
    return json.dumps(v)


def _config(sip_port: int, http_port: int, rtp: tuple[int, int], data: Path,
            tls_port: int, security: dict, extra: str = "") -> str:
    sec = "\n".join(f"{k} = {_toml_value(v)}" for k, v in security.items())
    exts = "\n".join(
        f'[[extensions]]\nnumber = "{n}"\npassword = "{pw}"\ndisplay_name = "Ext {n}"\n'
        for n, pw in PASSWORDS.items())
    return f"""data_dir = "{data}"
log_level = "INFO"

[sip]
host = "127.0.0.1"
port = {sip_port}
ring_timeout = 6

[rtp]
host = "127.0.0.1"
port_min = {rtp[0]}
port_max = {rtp[1]}

[http]
host = "127.0.0.1"
port = {http_port}

[tls]
enabled = true
port = {tls_port}

[security]
{sec}

{exts}
{extra}
"""


_servers = itertools.count()
KEFU = [sys.executable, "-m", "kefu.cli"]
_template: list[Path] = []


def _admin_db() -> Path:
    """A migrated SQLite database holding only the ``ADMIN`` user, made once per test run
    by ``kefu user add`` and copied into every server's data directory: migrating a new
    database from scratch and hashing the password cost each server seconds under load."""
    if not _template:
        tmp = Path(tempfile.mkdtemp(prefix="kefu-e2e-template-"))
        atexit.register(shutil.rmtree, tmp, True)
        cfg = tmp / "kefu.toml"
        cfg.write_text(f'data_dir = "{tmp / "data"}"\n')
        subprocess.run([*KEFU, "user", "add", ADMIN[0], "--role", "admin", "--password",
                        ADMIN[1], "--config", str(cfg)], check=True, capture_output=True)
        _template.append(tmp / "data" / "kefu.db")
    return _template[0]


def start_kefu(tmp: Path, *, security: dict | None = None, extra: str = "",
               wrap: tuple[str, ...] = (), **env) -> KefuServer:
    """``security``: the [security] keys (default ``E2E_SECURITY``); ``extra``: more TOML
    (trunks, dial plan); ``wrap``: a command prefix for ``kefu serve``; ``env``: extra
    environment."""
    sip_port, http_port, tls_port = find_free_ports(3, step=2, span=2)
    base = 30000 + ((os.getpid() + 7 * next(_servers)) % 50) * 200
    rtp = (base, base + 198)
    tmp.mkdir(parents=True, exist_ok=True)
    cfg = tmp / "kefu.toml"
    cfg.write_text(_config(sip_port, http_port, rtp, tmp / "data", tls_port,
                           E2E_SECURITY if security is None else security, extra))
    (tmp / "data").mkdir(exist_ok=True)
    shutil.copyfile(_admin_db(), tmp / "data" / "kefu.db")
    server = KefuServer(tmp, sip_port, http_port, rtp, proc=None,  # type: ignore[arg-type]
                        log_path=tmp / "kefu.log", tls_port=tls_port, wrap=tuple(wrap))
    return _serve(server, env)


def _serve(server: KefuServer, env: dict) -> KefuServer:
    """``kefu serve`` from the server's config; returns once the API answers, logged in."""
    proc = subprocess.Popen([*server.wrap, *KEFU, "serve", "--config", str(server.dir / "kefu.toml")],
                            stdout=server.log_path.open("ab"), stderr=subprocess.STDOUT,
                            # events held to kefu.events: a mismatch logs a traceback
                            env={**os.environ, CHECK_ENV: "1", **env})
    server.proc = proc
    deadline = time.monotonic() + 60   # polled: seconds idle, a minute on a loaded machine
    while time.monotonic() < deadline:
        if proc.poll() is not None:
            raise RuntimeError("kefu exited:\n" + server.log_tail())
        try:
            status, _ = server.api("GET", "/health")
            if status == 200:
                break
        except OSError:
            pass
        time.sleep(0.1)
    else:
        stop_kefu(server)              # not left running behind the failed test
        raise RuntimeError("kefu did not come up:\n" + server.log_tail())
    status, body = server.api("POST", "/auth/login", {"username": ADMIN[0], "password": ADMIN[1]})
    assert status == 200, body
    server.token = body["token"]
    return server


def add_user(server: KefuServer, username: str, password: str, role: str = "agent",
             extensions: tuple[str, ...] | list[str] = (), **fields) -> dict:
    """Create a web user through the API (as admin).  An agent logs in only on the
    extensions bound to it: name them here (``extensions=["1001"]``)."""
    body = {"username": username, "password": password, "role": role, **fields}
    if extensions:
        body["extensions"] = list(extensions)
    status, out = server.api("POST", "/users", body)
    assert status == 201, out
    return out


def staffed(tmp: Path, extra: str, agents: dict[str, str], password: str,
            supervisor: tuple[str, str] | None = None,
            supervisor_extensions: tuple[str, ...] = ()) -> Iterator[KefuServer]:
    """A browser module's kefu (its fixture's body: ``yield from staffed(...)``): the
    ``agents`` (username → the extension bound to it, named after the username) with
    ``password``, a ``supervisor`` (username, password); afterwards stopped, and its log
    must hold no traceback."""
    server = start_kefu(tmp, extra=extra)
    for username, extension in agents.items():
        add_user(server, username, password, extensions=[extension],
                 display_name=username.title())
    if supervisor is not None:
        add_user(server, *supervisor, role="supervisor", extensions=supervisor_extensions)
    yield server
    log = stop_kefu(server)
    assert "Traceback" not in log, log


def shell_browser(server: KefuServer, mic_dir: Path | None = None, tone: float = 0,
                  viewport: tuple[int, int] = (1440, 900),
                  check: bool = False) -> Iterator[BrowserSession]:
    """A headless Chromium on ``server``'s web shell (a fixture's body: ``yield from``),
    its microphone a ``tone`` Hz WAV written in ``mic_dir`` (none: Chromium's own beep).
    The shell must be served (a 404 means its npm packages are missing); afterwards the
    pages' console and HTTP errors are printed (seen with -s or on failure) and, with
    ``check``, an uncaught page error fails the module."""
    try:
        urllib.request.urlopen(f"http://127.0.0.1:{server.http_port}/", timeout=5).close()
    except urllib.error.HTTPError as err:
        pytest.fail(f"GET /: {err.code}; the web shell's packages: npm ci (scripts/frontend)")
    wav = audio.write_tone_wav(mic_dir / "mic.wav", tone, 300, rate=48000) \
        if mic_dir is not None and tone else None
    session = BrowserSession(f"http://127.0.0.1:{server.http_port}", wav,
                             viewport=viewport).start()
    yield session
    for message in session.console_errors() + session.http_errors():
        print("browser:", message)
    try:
        if check:
            session.check()
    finally:
        session.close()


@contextmanager
def checked_pages(browser: BrowserSession, server: KefuServer, agents) -> Iterator[None]:
    """One browser test's pages (``with checked_pages(...): yield browser.page``): then
    their console and HTTP errors printed, an uncaught page error fails the test, the
    pages closed and the ``agents`` logged out for the next test."""
    server.mark = time.time()
    yield
    try:
        for message in browser.console_errors() + browser.http_errors():   # -s or on failure
            print("browser:", message)
        browser.check()
    finally:
        browser.close_pages()
        for username in agents:
            server.api("POST", f"/agents/{username}/logout")


def publish_flow(server: KefuServer, flow: dict) -> None:
    """Create the IVR flow ``flow`` (its ``name``), write it as the draft and publish it,
    through the API (as admin); a problem the checks find fails the test."""
    name = flow["name"]
    assert server.api("POST", "/ivr/flows", {"name": name})[0] == 201
    status, body = server.api("PUT", f"/ivr/flows/{name}/draft", flow)
    assert status == 200 and not body["check"]["problems"], body
    assert server.api("POST", f"/ivr/flows/{name}/publish")[0] == 200


def restart_kefu(server: KefuServer, *, kill: bool = False, **env) -> KefuServer:
    """Stop the server (``kill``: SIGKILL, as a crash would) and serve again from the same
    config, data and ports."""
    if kill:
        server.proc.kill()
        server.proc.wait()
    else:
        stop_kefu(server)
    return _serve(server, env)


def stop_kefu(server: KefuServer) -> str:
    server.proc.terminate()
    try:
        server.proc.wait(10)
    except subprocess.TimeoutExpired:
        server.proc.kill()
        server.proc.wait()
    return server.log_tail(200)


@pytest.fixture(scope="module")
def kefu(tmp_path_factory):
    server = start_kefu(tmp_path_factory.mktemp("kefu"))
    yield server
    log = stop_kefu(server)
    assert "Traceback" not in log, log


@pytest.fixture(scope="module")
def tones(tmp_path_factory) -> dict[int, Path]:
    d = tmp_path_factory.mktemp("tones")
    return {f: Path(audio.write_tone_wav(d / f"tone{f}.wav", f, 60)) for f in (440, 1000, 700, 1300)}


def wait_for(fn, timeout: float = 10.0, what: str = ""):
    """Poll ``fn`` until it returns something truthy (that value), else fail naming ``what``."""
    deadline = time.monotonic() + timeout
    while True:
        value = fn()
        if value:
            return value
        if time.monotonic() > deadline:
            raise AssertionError(f"timed out waiting for {what or fn}")
        time.sleep(0.1)


def extension_password(number: str) -> str:
    """The config's extensions have PASSWORDS; tests create others as ``pw-<n>-secret``."""
    return PASSWORDS.get(number, f"pw-{number}-secret")


@pytest.fixture
def phone(kefu, tones, tmp_path):
    """Factory: ``phone("1001", tone=440)`` -> a started, registered baresip (``wav``: what
    it plays into its calls instead of the tone)."""
    made: list[Baresip] = []
    kefu.mark = time.time()

    def make(number: str, tone: int = 440, password: str | None = None, register: bool = True,
             wait: bool = True, codecs: str | None = None,
             answermode: str = "manual", wav: Path | None = None,
             extra_config: str = "") -> Baresip:
        sip_port, ctrl_port = find_free_ports(2, step=2, span=2)
        p = Baresip(f"p{number}-{len(made)}", tmp_path, sip_port, ctrl_port, user=number,
                    password=password or extension_password(number), registrar=kefu.registrar,
                    audio_wav=wav or tones[tone], record_dir=tmp_path / f"rec{number}-{len(made)}",
                    register=register, codecs=codecs, answermode=answermode,
                    extra_config=extra_config)
        made.append(p)
        p.start()
        if register and wait:
            p.wait_registered()
        return p

    yield make
    for p in made:
        p.stop()
