"""sipp scenarios for end-to-end tests, and a small runner.

Scenarios (this directory):
  options.xml   one OPTIONS, expects 200
  uac_call.xml  INVITE (PCMU + telephone-event SDP) / 200 / ACK / pause (-d ms) / BYE / 200
  register.xml  REGISTER, 401/407 challenge, REGISTER with digest auth, 200
                (needs an injection file, see write_users_csv() and
                 users.csv.example)

Everything binds and sends on 127.0.0.1 only.
"""

from __future__ import annotations

import shutil
import subprocess
from dataclasses import dataclass
from pathlib import Path

HERE = Path(__file__).resolve().parent
SIPP = shutil.which("sipp") or "/usr/bin/sipp"

OPTIONS = HERE / "options.xml"
UAC_CALL = HERE / "uac_call.xml"
REGISTER = HERE / "register.xml"


@dataclass
class SippResult:
    returncode: int          # 0: all calls succeeded, 1: some failed, 97/99/255/254: other
    stdout: str
    stderr: str
    error_log: str           # unexpected messages (-trace_err), may be empty
    message_log: str         # every message sent/received (-trace_msg), may be empty
    cmd: list[str]

    @property
    def ok(self) -> bool:
        return self.returncode == 0

    def __str__(self) -> str:
        return (f"sipp exit {self.returncode}: {' '.join(self.cmd)}\n"
                f"--- stderr ---\n{self.stderr[-3000:]}\n--- errors ---\n{self.error_log[-3000:]}"
                f"\n--- messages ---\n{self.message_log[-4000:]}")


def write_users_csv(path, users, order: str = "SEQUENTIAL") -> Path:
    """Injection file for register.xml: ``users`` is [(user, password), ...]."""
    path = Path(path)
    lines = [order] + [f"{u};[authentication username={u} password={p}]" for u, p in users]
    path.write_text("\n".join(lines) + "\n")
    return path


def run_sipp(scenario, target_port: int, *, local_port: int, workdir,
             service: str = "kefu", calls: int = 1, rate: float | None = None,
             concurrent: int | None = None, media_port: int | None = None,
             pause_ms: int | None = None, inject_file=None, timeout: float = 30.0,
             trace_msg: bool = True, extra_args: list[str] | tuple = ()) -> SippResult:
    """Run ``sipp`` against ``127.0.0.1:target_port`` and wait for it.

    ``local_port``: sipp's SIP port (``-p``); ``media_port``: its RTP port
    (``-mp``; sipp binds it even when unused: give parallel runs distinct ones,
    default local_port + 2000); ``pause_ms``: ``-d`` for <pause/>.
    Log files are written in ``workdir``.
    """
    workdir = Path(workdir)
    workdir.mkdir(parents=True, exist_ok=True)
    name = Path(scenario).stem
    err_file = workdir / f"{name}-{local_port}-errors.log"
    msg_file = workdir / f"{name}-{local_port}-messages.log"
    cmd = [SIPP, f"127.0.0.1:{int(target_port)}", "-sf", str(scenario),
           "-s", service, "-m", str(int(calls)),
           "-i", "127.0.0.1", "-p", str(int(local_port)),
           "-mi", "127.0.0.1", "-mp", str(int(media_port or local_port + 2000)),
           "-nostdin", "-timeout", f"{int(timeout)}s", "-timeout_error",
           "-trace_err", "-error_file", str(err_file)]
    if trace_msg:
        cmd += ["-trace_msg", "-message_file", str(msg_file)]
    if rate is not None:
        cmd += ["-r", str(rate)]
    if concurrent is not None:
        cmd += ["-l", str(int(concurrent))]
    if pause_ms is not None:
        cmd += ["-d", str(int(pause_ms))]
    if inject_file is not None:
        cmd += ["-inf", str(inject_file)]
    cmd += list(extra_args)
    try:
        p = subprocess.run(cmd, cwd=workdir, stdin=subprocess.DEVNULL,
                           capture_output=True, text=True, errors="replace",
                           timeout=timeout + 15)
        rc, out, err = p.returncode, p.stdout, p.stderr
    except subprocess.TimeoutExpired as exc:
        rc, out, err = -9, str(exc.stdout or ""), str(exc.stderr or "") + "\n[killed: timeout]"

    def _read(path: Path) -> str:
        try:
            return path.read_text(errors="replace")
        except OSError:
            return ""

    return SippResult(rc, out, err, _read(err_file), _read(msg_file), cmd)
