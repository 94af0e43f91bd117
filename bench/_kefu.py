"""What the benches share: ``kefu serve`` as a subprocess (config, start, /health, stop),
its admin and HTTP API client, CPU and run-queue waits from /proc, child processes and
the RTP generator, the scratch directory and the report's table head.

Imported by every bench script (bench/ is put on sys.path).
"""

from __future__ import annotations

import http.client
import json
import multiprocessing as mp
import os
import shutil
import signal
import subprocess
import sys
import tempfile
import time
import urllib.request
from contextlib import contextmanager
from pathlib import Path

import numpy as np

import _sipload
from _rtpsock import HOST

EDGE = 0.5                  # s at each edge of the generator's window, left out of figures
CLK_TCK = os.sysconf("SC_CLK_TCK")
ADMIN = ("admin", "bench-admin-pw-1")
REPO = Path(__file__).resolve().parent.parent


# --- kefu serve ------------------------------------------------------------------------------

def kefu_config(sip_port: int, http_port: int, rtp: tuple[int, int], data: Path,
                passwords: dict[str, str]) -> str:
    """kefu's TOML: 127.0.0.1, recording on, no TLS, one extension a password; the load
    comes from one address, so 127.0.0.1 is exempt from the per-address SIP rate guard."""
    exts = "\n".join(f'[[extensions]]\nnumber = "{n}"\npassword = "{pw}"\n'
                     f'display_name = "Bench {n}"\n' for n, pw in passwords.items())
    return f"""data_dir = "{data}"
log_level = "INFO"

[sip]
host = "127.0.0.1"
port = {sip_port}
ring_timeout = 60

[rtp]
host = "127.0.0.1"
port_min = {rtp[0]}
port_max = {rtp[1]}

[http]
host = "127.0.0.1"
port = {http_port}

[recording]
enabled = true

[tls]
enabled = false

[security]
trusted = ["127.0.0.1"]       # the load generator sends every call from one address

{exts}
"""


def health(http_port: int) -> dict | None:
    """kefu's /api/v1/health, or None while it does not answer."""
    try:
        with urllib.request.urlopen(f"http://127.0.0.1:{http_port}/api/v1/health", timeout=5) as r:
            return json.loads(r.read())
    except (OSError, ValueError):
        return None


def wait(pred, timeout: float, step: float = 0.2):
    """Poll ``pred()`` until it is true or ``timeout`` passed; its last value."""
    deadline = time.monotonic() + timeout
    while True:
        v = pred()
        if v or time.monotonic() > deadline:
            return v
        time.sleep(step)


def start_kefu(workdir: Path, config: str, http_port: int, timeout: float = 30.0
               ) -> subprocess.Popen:
    """``kefu serve`` with ``config`` (written to workdir/kefu.toml, log in workdir/kefu.log),
    once its /health answers; RuntimeError when it does not come up."""
    cfg = workdir / "kefu.toml"
    cfg.write_text(config)
    log = workdir / "kefu.log"
    proc = subprocess.Popen(
        [sys.executable, "-m", "kefu.cli", "serve", "--config", str(cfg)],
        stdout=log.open("wb"), stderr=subprocess.STDOUT, start_new_session=True)
    if not wait(lambda: proc.poll() is not None or health(http_port), timeout):
        stop(proc)
        raise RuntimeError("kefu did not come up")
    if proc.poll() is not None:
        raise RuntimeError("kefu exited:\n" + log.read_text()[-3000:])
    return proc


def stop(proc: subprocess.Popen | None, timeout: float = 15.0) -> None:
    """Terminate a subprocess still running; kill it after ``timeout``."""
    if proc is not None and proc.poll() is None:
        proc.terminate()
        try:
            proc.wait(timeout)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait()


def stop_children(procs) -> None:
    """Terminate (then kill) multiprocessing children still alive."""
    for p in procs:
        if p.is_alive():
            p.terminate()
            p.join(3)
        if p.is_alive():
            p.kill()
            p.join(3)


# --- the HTTP API ----------------------------------------------------------------------------

def add_admin(workdir: Path, config: str) -> None:
    """Write ``config`` to workdir/kefu.toml and add the bench's admin user (``ADMIN``)
    with ``kefu user add``, before kefu starts."""
    cfg = workdir / "kefu.toml"
    cfg.write_text(config)
    subprocess.run([sys.executable, "-m", "kefu.cli", "user", "add", ADMIN[0], "--role",
                    "admin", "--password", ADMIN[1], "--config", str(cfg)],
                   check=True, capture_output=True)


def admin_api(http_port: int) -> Api:
    """An :class:`Api` logged in as ``ADMIN``."""
    api = Api(http_port)
    api.token = expect(api("POST", "/auth/login", {"username": ADMIN[0], "password": ADMIN[1]}),
                       (200,), "admin login")["token"]
    return api


class Api:
    """kefu's HTTP API over one keep-alive connection (as a browser tab would have)."""

    def __init__(self, port: int, token: str = "") -> None:
        self.port, self.token = port, token
        self.conn: http.client.HTTPConnection | None = None

    def __call__(self, method: str, path: str, body=None, token: str | None = None):  # type: ignore[no-untyped-def]
        headers = {"Content-Type": "application/json"}
        if token or self.token:
            headers["Authorization"] = f"Bearer {token or self.token}"
        for attempt in (0, 1):
            try:
                if self.conn is None:
                    self.conn = http.client.HTTPConnection(HOST, self.port, timeout=30)
                self.conn.request(method, "/api/v1" + path,
                                  body=json.dumps(body) if body is not None else None,
                                  headers=headers)
                r = self.conn.getresponse()
                data = r.read()
                return r.status, (json.loads(data) if data else None)
            except (http.client.HTTPException, OSError):
                if self.conn is not None:
                    self.conn.close()
                self.conn = None
                if attempt:
                    raise
        raise AssertionError("unreachable")


def expect(status_body, ok: tuple[int, ...], what: str):  # type: ignore[no-untyped-def]
    status, body = status_body
    if status not in ok:
        raise RuntimeError(f"{what}: HTTP {status} {body}")
    return body


# --- child processes and the RTP generator ------------------------------------------------

def recv(conn, kind: str, timeout: float, procs=()):
    """Next message of ``kind`` from a child, or RuntimeError after ``timeout``."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if conn.poll(0.2):
            k, v = conn.recv()
            if k == kind:
                return v
            raise RuntimeError(f"expected {kind!r}, got {k!r}")
        for p in procs:
            if not p.is_alive():
                raise RuntimeError(f"{p.name} exited with {p.exitcode}")
    raise RuntimeError(f"no {kind!r} within {timeout:.0f} s")


def start_generator(seconds: float, procs: list):
    """``_sipload.rtp_generator`` in a child process (appended to ``procs``):
    (its pipe, the process, the port it sends from)."""
    ctx = mp.get_context("spawn")
    conn, child = ctx.Pipe()
    gen = ctx.Process(target=_sipload.rtp_generator, args=(child, seconds, EDGE),
                      name="rtp-generator", daemon=True)
    gen.start()
    procs.append(gen)
    return conn, gen, recv(conn, "port", 20, [gen])


def measure(conn, gen, streams: list[int], seconds: float, pids: list[int]
            ) -> tuple[list[float], dict]:
    """Let the generator stream to ``streams`` (ports, in pairs a>b, b>a); the CPU of each
    of ``pids`` over the window (``EDGE`` in from either end), % of one core, and the
    generator's result."""
    conn.send(("streams", streams))
    conn.send(("go", None))
    t0 = recv(conn, "started", 10, [gen])
    time.sleep(max(0.0, t0 + EDGE - time.monotonic()))
    c0, w0 = [cpu_seconds(p) for p in pids], time.monotonic()
    time.sleep(max(0.0, t0 + EDGE + seconds - time.monotonic()))
    c1, w1 = [cpu_seconds(p) for p in pids], time.monotonic()
    res = recv(conn, "result", 30, [gen])
    return [(b - a) / (w1 - w0) * 100 for a, b in zip(c0, c1)], res


# --- CPU and the machine ---------------------------------------------------------------------

def cpu_seconds(pid: int) -> float:
    """utime + stime of a process, all its threads (/proc/<pid>/stat fields 14, 15)."""
    with open(f"/proc/{pid}/stat") as f:
        fields = f.read().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / CLK_TCK


def run_wait_seconds(pid: int) -> float:
    """How long the process's main thread (kefu's event loop) has been ready to run but
    waited for a CPU (/proc/<pid>/task/<pid>/schedstat, field 2): the machine's load,
    not kefu's own work, behind a stall."""
    with open(f"/proc/{pid}/task/{pid}/schedstat") as f:
        return int(f.read().split()[1]) / 1e9


def loadavg() -> str:
    """The 1, 5 and 15 minute load averages."""
    return " ".join(Path("/proc/loadavg").read_text().split()[:3])


def tree_state() -> str:
    """The kefu source measured: commit, and whether src/ has uncommitted changes."""
    try:
        head = subprocess.run(["git", "-C", str(REPO), "rev-parse", "--short", "HEAD"],
                              capture_output=True, text=True, timeout=10).stdout.strip()
        dirty = subprocess.run(["git", "-C", str(REPO), "status", "--porcelain", "--", "src"],
                               capture_output=True, text=True, timeout=10).stdout.strip()
    except (OSError, subprocess.SubprocessError):
        return "unknown"
    return f"{head or '?'}{' + uncommitted changes in src/' if dirty else ''}"


# --- a run -----------------------------------------------------------------------------------

@contextmanager
def scratch(prefix: str, keep: bool):
    """A temporary directory for one run, removed at the end unless ``keep``.

    SIGTERM and SIGINT (even if the bench was started with it ignored) raise
    KeyboardInterrupt, so that every case still cleans up.
    """
    def on_term(_sig, _frame):
        raise KeyboardInterrupt
    signal.signal(signal.SIGTERM, on_term)
    signal.signal(signal.SIGINT, signal.default_int_handler)
    root = Path(tempfile.mkdtemp(prefix=prefix))
    try:
        yield root
    finally:
        if keep:
            print(f"data kept in {root}", file=sys.stderr)
        else:
            shutil.rmtree(root, ignore_errors=True)


def run_case(label: str, case, log_tail: bool = False) -> dict | None:
    """``case.run()``, then ``case.close()`` whatever happens; says on stderr how long it
    took, or why it failed (with the tail of ``case.log_path`` if ``log_tail``): None."""
    t = time.monotonic()
    try:
        result = case.run()
        print(f"  {label}: done in {time.monotonic() - t:.0f} s", file=sys.stderr)
        return result
    except RuntimeError as exc:
        print(f"  {label}: FAILED: {exc}", file=sys.stderr)
        if log_tail and case.log_path.exists():
            print("  log tail:\n" + "\n".join(
                case.log_path.read_text(errors="replace").splitlines()[-15:]), file=sys.stderr)
        return None
    finally:
        case.close()


def spread(xs: list[float], high: float = 99) -> tuple[float, float, float]:
    """p50, p<high> and max of ``xs`` (NaN when empty)."""
    if not xs:
        return (float("nan"),) * 3
    a = np.array(xs)
    return float(np.percentile(a, 50)), float(np.percentile(a, high)), float(a.max())


def pct(lost: int, tx: int) -> float:
    return lost / tx * 100 if tx else float("nan")


def table_head(title: str, head: str) -> None:
    """Print a report's title, column heads and rule (stderr flushed first)."""
    sys.stderr.flush()
    print(f"\n{title}")
    print(head)
    print("-" * len(head))


def notes(label: str, lines: list[str]) -> None:
    """Print the notes below a table for one row."""
    print(f"{label}: " + "\n       ".join(lines))
