"""sipp as a SIP carrier on another loopback address (127.0.0.2, .3, ...).

Scenarios (this directory, each with a usage note in its header):
  carrier_registrar.xml  kefu registers to the carrier: 401, digest checked, 200, refresh
  carrier_uas.xml        the carrier answers kefu's INVITE: 100/180/200 (PCMU), ACK, BYE
  carrier_uas_auth.xml   the same after a 407 challenge whose answer is checked
  carrier_503.xml        the carrier refuses kefu's INVITE with 503 (failover tests)
  carrier_uac.xml        the carrier calls a DID on kefu: INVITE, 200, ACK, pause, BYE

:class:`Carrier` starts sipp in the background (a UAS must be listening before kefu
sends to it; a UAC may run the same way); :meth:`Carrier.wait` collects a
:class:`~tests.e2e.sipp.SippResult`.  In asyncio tests wait with
``await asyncio.to_thread(carrier.wait)`` so the loop keeps serving kefu.
"""

from __future__ import annotations

import hashlib
import re
import subprocess
import time
from pathlib import Path

from . import HERE, SIPP, SippResult

CARRIER_REGISTRAR = HERE / "carrier_registrar.xml"
CARRIER_UAS = HERE / "carrier_uas.xml"
CARRIER_UAS_AUTH = HERE / "carrier_uas_auth.xml"
CARRIER_503 = HERE / "carrier_503.xml"
CARRIER_UAC = HERE / "carrier_uac.xml"


class Carrier:
    """One sipp process bound to ``ip:port`` (UDP).

    ``target``: "host:port" a UAC scenario sends to (None for a UAS); ``service``: ``-s``
    (the DID carrier_uac.xml calls); ``variables``: ``-set name value`` pairs
    (user/pass/granted, caller, ...); ``pause_ms``: ``-d``.
    """

    def __init__(self, scenario: Path | str, *, port: int, workdir: Path | str,
                 ip: str = "127.0.0.2", target: str | None = None, service: str = "kefu",
                 calls: int = 1, variables: dict[str, str] | None = None,
                 media_port: int | None = None, pause_ms: int | None = None,
                 timeout: float = 30.0, extra_args: list[str] | tuple = ()) -> None:
        self.scenario = Path(scenario)
        self.ip, self.port = ip, int(port)
        self.workdir = Path(workdir)
        self.workdir.mkdir(parents=True, exist_ok=True)
        self.timeout = timeout
        stem = f"{self.scenario.stem}-{ip}-{port}"
        self.err_file = self.workdir / f"{stem}-errors.log"
        self.msg_file = self.workdir / f"{stem}-messages.log"
        self.log_file = self.workdir / f"{stem}-logs.log"
        cmd = [SIPP]
        if target is not None:
            cmd.append(target)
        cmd += ["-sf", str(self.scenario), "-s", service, "-m", str(int(calls)),
                "-i", ip, "-p", str(self.port),
                "-mi", ip, "-mp", str(int(media_port or self.port + 2000)),
                "-nostdin", "-timeout", f"{int(timeout)}s", "-timeout_error",
                "-trace_err", "-error_file", str(self.err_file),
                "-trace_msg", "-message_file", str(self.msg_file),
                "-trace_logs", "-log_file", str(self.log_file)]
        for name, value in (variables or {}).items():
            cmd += ["-set", name, str(value)]
        if pause_ms is not None:
            cmd += ["-d", str(int(pause_ms))]
        cmd += list(extra_args)
        self.cmd = cmd
        self.proc: subprocess.Popen | None = None

    def start(self, settle: float = 0.3) -> "Carrier":
        """Start sipp; wait ``settle`` seconds so a UAS is bound before anyone sends.

        (A sipp that could not start, e.g. its port was taken, shows in :meth:`wait`.)
        """
        self.proc = subprocess.Popen(self.cmd, cwd=self.workdir, stdin=subprocess.DEVNULL,
                                     stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                                     text=True, errors="replace")
        time.sleep(settle)
        return self

    def wait(self, timeout: float | None = None) -> SippResult:
        """Wait for sipp to finish (killed after ``timeout``, default the scenario's + 15 s)."""
        assert self.proc is not None, "not started"
        try:
            out, err = self.proc.communicate(timeout=timeout or self.timeout + 15)
            rc = self.proc.returncode
        except subprocess.TimeoutExpired:
            self.proc.kill()
            out, err = self.proc.communicate()
            rc, err = -9, (err or "") + "\n[killed: timeout]"
        return SippResult(rc, out or "", err or "", _read(self.err_file), _read(self.msg_file),
                          self.cmd)

    def stop(self) -> None:
        """Kill sipp if it still runs (test teardown)."""
        if self.proc is not None and self.proc.poll() is None:
            self.proc.kill()
            self.proc.communicate()

    @property
    def logs(self) -> str:
        """What the scenario's <log> actions wrote."""
        return _read(self.log_file)

    def __enter__(self) -> "Carrier":
        return self.start()

    def __exit__(self, *exc) -> None:
        self.stop()


def _read(path: Path) -> str:
    try:
        return path.read_text(errors="replace")
    except OSError:
        return ""


def received(message_log: str, start: str, way: str = "received") -> list[str]:
    """Messages sipp received (``way="sent"``: sent) whose start line begins with
    ``start`` ("INVITE", "SIP/2.0 2").

    Parsed from a ``-trace_msg`` log; line ends are normalised to ``\\n``.
    """
    out = []
    for block in re.split(r"^-{10,}[^\n]*\n", message_log.replace("\r\n", "\n"), flags=re.M):
        head, _, rest = block.partition("\n")
        if f"message {way}" not in head:
            continue
        message = rest.strip("\n")
        if message.startswith(start):
            out.append(message)
    return out


def header(message: str, name: str) -> str | None:
    """The first value of header ``name`` (case-insensitive; compact forms not expanded)."""
    for line in message.split("\n")[1:]:
        if not line.strip():
            break
        key, _, value = line.partition(":")
        if key.strip().lower() == name.lower():
            return value.strip()
    return None


def digest_valid(message: str, password: str, header_name: str = "proxy-authorization") -> bool:
    """Whether the digest response in ``message``'s ``header_name`` is right for ``password``.

    MD5, with or without qop=auth (RFC 2617); for the 407 scenarios, where sipp's own
    verifyauth cannot help (it reads only Authorization).
    """
    value = header(message, header_name)
    if not value or not value.lower().startswith("digest "):
        return False
    params = dict((k.lower(), v.strip('"')) for k, v in
                  re.findall(r'(\w+)=("[^"]*"|[^,\s]+)', value[7:]))
    md5 = lambda text: hashlib.md5(text.encode()).hexdigest()  # noqa: E731
    method = message.split(" ", 1)[0]
    ha1 = md5(f"{params.get('username')}:{params.get('realm')}:{password}")
    ha2 = md5(f"{method}:{params.get('uri')}")
    if params.get("qop"):
        expected = md5(f"{ha1}:{params.get('nonce')}:{params.get('nc')}:{params.get('cnonce')}:"
                       f"{params['qop']}:{ha2}")
    else:
        expected = md5(f"{ha1}:{params.get('nonce')}:{ha2}")
    return expected == params.get("response")
