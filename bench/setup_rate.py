#!/usr/bin/env python
"""Call set-up rate with sipp, kefu vs Kamailio (stateful proxy), in the same run.

One sipp UAC scenario (``bench/sipp/uac_auth_call.xml``) for both:
INVITE -> 401 challenge -> ACK -> INVITE with digest credentials -> 200 -> ACK ->
hold ``--hold`` ms -> BYE -> 200.

kefu:     ``kefu serve`` (127.0.0.1, its own data directory) with ``--users`` extensions;
          the calls go to ``*97``: kefu authenticates the caller, answers the call itself
          and plays ``<data_dir>/prompts/test.wav`` (a tone ``--hold`` + 2 s long, written
          by this bench, so the caller's BYE always comes before kefu's own hang-up at the
          prompt's end).  kefu's per-address SIP rate guard is off for 127.0.0.1
          (``[security] trusted``), since all the load comes from one address.
Kamailio: Debian ``kamailio`` with ``bench/kamailio/kamailio.cfg``: tm + sl + rr + maxfwd,
          a 401 challenge and digest check against a password in the script (auth
          module, no database), record_route, ``t_relay()`` to a sipp UAS
          (``bench/sipp/uas_answer.xml``) that answers 200 at once and accepts the BYE.

For each rate (interleaved: kefu at rate r, then Kamailio at rate r, then the next r),
sipp places ``rate x --seconds`` calls at that rate.  Columns:
  attempted / ok / failed   sipp's OutgoingCall / SuccessfulCall / FailedCall counters
  achieved/s   answered calls per second: (answers - 1) / (last answer - first answer)
  setup p50/p99  first INVITE -> 200 OK, ms (includes the challenge round trip), from
               sipp's -trace_rtt (timer 1)
  bye p99      BYE -> 200, ms (timer 2)
  cpu%         the server's CPU (kefu: its process, all threads; Kamailio: all its
               processes) from /proc/<pid>/stat, from sipp's start to its end, % of one core
  ms/call      server CPU time per successful call
  sipp%        the UAC sipp's own CPU (it shares the 2 cores)
  retr         sipp's retransmissions (a sign of a server that answers late)
  srvBYE       calls the server hung up before the caller's hold ended (kefu: its prompt,
               ``--prompt`` s, ended first; counted as successful by sipp)

Usage:
  /work/venv/bin/python bench/setup_rate.py [--rates 50,100,150,200,300] [--seconds 10]
        [--hold 1000] [--users 600] [--only kefu|kamailio] [--kamailio-children 4] [--keep]
Needs: apt-get install sip-tester kamailio
"""

from __future__ import annotations

import argparse
import csv
import math
import re
import os
import resource
import shutil
import subprocess
import sys
import time
import wave
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))

import _kefu  # noqa: E402
import _sipload  # noqa: E402
from _kefu import cpu_seconds, health, wait  # noqa: E402

HERE = Path(__file__).resolve().parent
UAC = HERE / "sipp" / "uac_auth_call.xml"
UAS = HERE / "sipp" / "uas_answer.xml"
KAMAILIO_CFG = HERE / "kamailio" / "kamailio.cfg"
HOST = "127.0.0.1"


def _password(user: str) -> str:
    return f"bench-{user}-pw"          # kamailio.cfg checks the same pattern


def _write_prompt(path: Path, seconds: float) -> None:
    """A quiet 440 Hz tone, 8 kHz 16-bit mono (stdlib only)."""
    path.parent.mkdir(parents=True, exist_ok=True)
    n = int(8000 * seconds)
    frames = bytearray()
    for i in range(n):
        v = int(3000 * math.sin(2 * math.pi * 440 * i / 8000))
        frames += v.to_bytes(2, "little", signed=True)
    with wave.open(str(path), "wb") as w:
        w.setnchannels(1)
        w.setsampwidth(2)
        w.setframerate(8000)
        w.writeframes(bytes(frames))


def _free_media_port() -> int:
    """A base port p with p..p+3 free on UDP (sipp binds audio and video RTP/RTCP)."""
    import random
    import socket
    for _ in range(200):
        base = random.randrange(10000, 19990, 4)
        socks = []
        try:
            for q in range(base, base + 4):
                s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
                socks.append(s)
                s.bind((HOST, q))
        except OSError:
            continue
        finally:
            for s in socks:
                s.close()
        return base
    raise RuntimeError("no free media ports")


def _tree_pids(root: int) -> list[int]:
    """``root`` and all its descendants (Kamailio forks its workers)."""
    children: dict[int, list[int]] = {}
    for d in os.listdir("/proc"):
        if not d.isdigit():
            continue
        try:
            with open(f"/proc/{d}/stat") as f:
                ppid = int(f.read().rsplit(")", 1)[1].split()[1])
        except (OSError, ValueError, IndexError):
            continue
        children.setdefault(ppid, []).append(int(d))
    out, todo = [], [root]
    while todo:
        p = todo.pop()
        out.append(p)
        todo += children.get(p, [])
    return out


def _tree_cpu(pids: list[int]) -> float:
    total = 0.0
    for p in pids:
        try:
            total += cpu_seconds(p)
        except (OSError, ValueError, IndexError):
            pass
    return total


def _pctl(xs: list[float], q: float) -> float:
    if not xs:
        return float("nan")
    xs = sorted(xs)
    k = (len(xs) - 1) * q / 100
    lo, hi = math.floor(k), math.ceil(k)
    return xs[lo] + (xs[hi] - xs[lo]) * (k - lo)


def _last_stat_row(path: Path) -> dict:
    try:
        rows = list(csv.reader(path.open(newline=""), delimiter=";"))
    except OSError:
        return {}
    if len(rows) < 2:
        return {}
    return dict(zip(rows[0], rows[-1]))


def _rtt(workdir: Path) -> dict[str, list[tuple[float, float]]]:
    """sipp -trace_rtt: 'date_ms;response_time_ms;rtd_name' lines -> {rtd: [(t, ms)]}."""
    out: dict[str, list[tuple[float, float]]] = {}
    for f in workdir.glob("*_rtt.csv"):
        for line in f.read_text(errors="replace").splitlines():
            parts = line.strip().split(";")
            if len(parts) < 3:
                continue
            try:
                t, ms = float(parts[0]), float(parts[1])
            except ValueError:
                continue                                         # header
            out.setdefault(parts[2].strip(), []).append((t, ms))
    return out


class Servers:
    """kefu, Kamailio and the UAS; ``close()`` ends whatever was started."""

    def __init__(self, args: argparse.Namespace, root: Path) -> None:
        self.args, self.root = args, root
        self.kefu: subprocess.Popen | None = None
        self.kam: subprocess.Popen | None = None
        self.uas: subprocess.Popen | None = None
        self.users = [str(20000 + i) for i in range(args.users)]

    def start_kefu(self) -> None:
        d = self.root / "kefu"
        d.mkdir()
        self.kefu_port = _sipload.free_udp_tcp_port()
        self.http_port = _sipload.free_udp_tcp_port()
        data = d / "data"
        _write_prompt(data / "prompts" / "test.wav", self.args.prompt)
        rtp0 = self.args.rtp_base
        config = _kefu.kefu_config(self.kefu_port, self.http_port, (rtp0, rtp0 + 4000), data,
                                   {u: _password(u) for u in self.users})
        self.kefu_log = d / "kefu.log"
        self.kefu = _kefu.start_kefu(d, config, self.http_port, timeout=60)

    def start_kamailio(self) -> None:
        d = self.root / "kamailio"
        d.mkdir()
        self.kam_port = _sipload.free_udp_tcp_port()
        self.uas_port = _sipload.free_udp_tcp_port()
        self.kam_log = d / "kamailio.log"
        self.kam = subprocess.Popen(
            [self.args.kamailio, "-DD", "-E", "-f", str(KAMAILIO_CFG),
             "-A", f"LISTEN=udp:{HOST}:{self.kam_port}",
             "-A", f'UAS_URI="sip:{HOST}:{self.uas_port}"',
             "-A", f"CHILDREN={self.args.kamailio_children}",
             "-m", "128", "-M", "16", "-Y", str(d)],
            stdout=self.kam_log.open("wb"), stderr=subprocess.STDOUT, cwd=d,
            start_new_session=True)
        # the UAS: bounded in count and time like every load here
        total = sum(self.args.rate_list) * self.args.seconds + 100
        self.uas_log = d / "uas.out"
        self.uas = subprocess.Popen(
            [self.args.sipp, "-sf", str(UAS), "-i", HOST, "-p", str(self.uas_port),
             "-mi", HOST, "-mp", str(_free_media_port()), "-nostdin",
             "-m", str(int(total)), "-timeout", f"{int(self.args.budget)}s",
             "-buff_size", str(4 << 20), "-trace_err", "-error_file", str(d / "uas-errors.log")],
            stdout=subprocess.DEVNULL, stderr=self.uas_log.open("wb"), cwd=d,
            start_new_session=True)
        time.sleep(1.0)
        for p, name in ((self.kam, "kamailio"), (self.uas, "sipp UAS")):
            if p.poll() is not None:
                log = self.kam_log if p is self.kam else self.uas_log
                raise RuntimeError(f"{name} exited:\n" + log.read_text(errors="replace")[-2000:])

    def kefu_idle(self) -> bool:
        h = health(self.http_port)
        return bool(h and h["calls"]["active"] == 0)

    def close(self) -> None:
        for p in (self.uas, self.kam, self.kefu):
            _kefu.stop(p)


def run_sipp(args: argparse.Namespace, workdir: Path, target: int, service: str,
             rate: int, inf: Path, server_pids) -> dict:
    workdir.mkdir(parents=True)
    n = int(rate * args.seconds)
    stat = workdir / "stat.csv"
    scenario = workdir / UAC.name          # the hold time is a literal in the scenario
    text = UAC.read_text()
    hold_attr = 'timeout="1000" ontimeout="hangup"'
    assert hold_attr in text
    scenario.write_text(text.replace(hold_attr, f'timeout="{args.hold}" ontimeout="hangup"'))
    cmd = [args.sipp, f"{HOST}:{target}", "-sf", str(scenario), "-s", service, "-inf", str(inf),
           "-r", str(rate), "-rp", "1000", "-m", str(n),
           "-l", str(max(1000, int(rate * (args.hold / 1000 + 10)))),
           "-i", HOST, "-p", str(_sipload.free_udp_tcp_port()),
           "-mi", HOST, "-mp", str(_free_media_port()),
           "-nostdin", "-timeout", f"{int(args.seconds + args.hold / 1000 + 40)}s",
           "-buff_size", str(4 << 20),
           "-trace_stat", "-stf", str(stat), "-fd", "1",
           "-trace_rtt", "-rtt_freq", "1",
           "-trace_err", "-error_file", str(workdir / "errors.log")]
    if args.trace:
        cmd += ["-trace_msg", "-message_file", str(workdir / "messages.log")]
    pids = server_pids()
    loadavg = _kefu.loadavg()
    ru0 = resource.getrusage(resource.RUSAGE_CHILDREN)
    c0, w0 = _tree_cpu(pids), time.monotonic()
    with (workdir / "sipp.out").open("wb") as out:
        p = subprocess.run(cmd, cwd=workdir, stdin=subprocess.DEVNULL, stdout=out,
                           stderr=subprocess.STDOUT,
                           timeout=args.seconds + args.hold / 1000 + 60)
    c1, w1 = _tree_cpu(pids), time.monotonic()
    ru1 = resource.getrusage(resource.RUSAGE_CHILDREN)
    st = _last_stat_row(stat)
    rtt = _rtt(workdir)
    setup = rtt.get("1", []) or rtt.get("setup", [])
    bye = rtt.get("2", []) or rtt.get("bye", [])
    ts = sorted(t for t, _ in setup)
    achieved = (len(ts) - 1) / ((ts[-1] - ts[0]) / 1000) if len(ts) > 1 and ts[-1] > ts[0] \
        else float("nan")

    def num(key: str) -> int:
        try:
            return int(float(st.get(key, "nan")))
        except ValueError:
            return -1
    ok = num("SuccessfulCall(C)")
    server_bye = num("GenericCounter1(C)") if "GenericCounter1(C)" in st else \
        num("GenericCounter01(C)")
    cpu = c1 - c0
    errors = (workdir / "errors.log")
    # sipp's error file: one event per "<date>\t<time>\t<epoch>: text" line, the message
    # it complains about on the following lines; summarise by what it expected and got
    events: dict[str, int] = {}
    if errors.exists():
        for m in re.finditer(r"^\S+\t\S+\t[\d.]+: (.*)\n?(.*)$",
                             errors.read_text(errors="replace"), re.M):
            text, nxt = m.group(1), m.group(2)
            if "receive timeout on message" in text:
                continue                                   # the hold timer
            text = re.sub(r"Call-I[dD]:? '?[^' ]+'?", "Call-ID", text)
            text = re.sub(r"Dead call \S+", "Dead call", text)
            text = re.sub(r"\(index \d+\)", "", text)
            if text.endswith("'") or "received '" in text:
                text = text.split("received '")[0] + "received '" + \
                    (text.split("received '")[1] or nxt).strip()[:60] + "'"
            events[text[:160]] = events.get(text[:160], 0) + 1
    err_lines = [f"{n} x {t}" for t, n in sorted(events.items(), key=lambda x: -x[1])]
    return {
        "rate": rate, "rc": p.returncode, "attempted": num("OutgoingCall(C)"), "ok": ok,
        "failed": num("FailedCall(C)"), "retrans": num("Retransmissions(C)"),
        "server_bye": server_bye,
        "achieved": achieved, "setup_p50": _pctl([ms for _, ms in setup], 50),
        "setup_p99": _pctl([ms for _, ms in setup], 99),
        "setup_max": max((ms for _, ms in setup), default=float("nan")),
        "bye_p99": _pctl([ms for _, ms in bye], 99),
        "cpu_pct": cpu / (w1 - w0) * 100, "ms_per_call": cpu / ok * 1000 if ok > 0 else float("nan"),
        "sipp_pct": ((ru1.ru_utime + ru1.ru_stime) - (ru0.ru_utime + ru0.ru_stime))
        / (w1 - w0) * 100,
        "wall": w1 - w0, "loadavg": loadavg, "err_samples": err_lines[:4],
        "fail_keys": {k: v for k, v in st.items() if k.startswith("Failed") and k.endswith("(C)")
                      and v not in ("0", "")},
    }


def _log_issues(path: Path, start: int) -> tuple[int, list[str], int]:
    data = path.read_bytes()
    lines = data[start:].decode(errors="replace").splitlines()
    bad = [ln for ln in lines if " WARNING " in ln or " ERROR " in ln or "Traceback" in ln
           or " CRITICAL " in ln]
    return len(bad), bad[:3], len(data)


def report(rows: list[tuple[int, dict | None, dict | None]], args) -> None:
    head = (f"{'rate':>4} {'server':<8} {'attempt':>7} {'ok':>6} {'failed':>6} {'achvd/s':>7} "
            f"{'setup p50':>9} {'p99':>7} {'max':>7} {'bye p99':>7} {'cpu%':>6} {'ms/call':>7} "
            f"{'sipp%':>5} {'retr':>5} {'srvBYE':>6}")
    _kefu.table_head(f"Call set-up rate, kefu (*97 prompt, digest auth) vs Kamailio (stateful "
                     f"proxy, digest auth, t_relay to a sipp UAS): {args.seconds:g} s per rate, "
                     f"hold {args.hold} ms, {os.cpu_count()} CPUs; kefu {_kefu.tree_state()}",
                     head)
    for rate, k, m in rows:
        for r, name in ((k, "kefu"), (m, "kamailio")):
            if r is None:
                continue
            print(f"{rate:>4} {name:<8} {r['attempted']:>7} {r['ok']:>6} {r['failed']:>6} "
                  f"{r['achieved']:>7.1f} {r['setup_p50']:>9.1f} {r['setup_p99']:>7.1f} "
                  f"{r['setup_max']:>7.1f} {r['bye_p99']:>7.1f} {r['cpu_pct']:>6.1f} "
                  f"{r['ms_per_call']:>7.2f} {r['sipp_pct']:>5.1f} {r['retrans']:>5} "
                  f"{r['server_bye']:>6}")
    print()
    for rate, k, m in rows:
        for r, name in ((k, "kefu"), (m, "kamailio")):
            if r is None:
                continue
            lines = [f"sipp exit {r['rc']}, {r['wall']:.1f} s, load average before "
                     f"{r['loadavg']}"]
            if r.get("fail_keys"):
                lines.append(f"sipp failure counters: {r['fail_keys']}")
            lines += [f"sipp: {ln[:200]}" for ln in r["err_samples"][:4]]
            if "log_bad" in r:
                lines.append(f"kefu log: {r['log_bad']} WARNING/ERROR lines")
                lines += [f"kefu log: {ln[:200]}" for ln in r["log_samples"]]
            _kefu.notes(f"rate {rate} {name}", lines)


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--rates", default="50,100,150,200,300", help="calls per second, comma-separated")
    ap.add_argument("--seconds", type=float, default=10.0, help="seconds of calls per rate")
    ap.add_argument("--hold", type=int, default=1000, help="ms between ACK and BYE")
    ap.add_argument("--prompt", type=float, help="kefu's prompt, s (default: hold + 2 s)")
    ap.add_argument("--users", type=int, default=600, help="caller extensions (round robin)")
    ap.add_argument("--only", choices=("kefu", "kamailio"))
    ap.add_argument("--kamailio-children", type=int, default=4, help="Kamailio UDP workers")
    ap.add_argument("--rtp-base", type=int, default=44000, help="first RTP port of kefu")
    ap.add_argument("--keep", action="store_true", help="keep logs and sipp traces")
    ap.add_argument("--trace", action="store_true", help="sipp -trace_msg (with --keep)")
    args = ap.parse_args()
    args.rate_list = [int(x) for x in args.rates.split(",") if x.strip()]
    if not args.rate_list or min(args.rate_list) < 1 or max(args.rate_list) > 1000:
        ap.error("--rates: 1..1000 each")
    if not 1 <= args.seconds <= 60:
        ap.error("--seconds: 1..60")
    if not 10 <= args.hold <= 10000:
        ap.error("--hold: 10..10000 ms")
    if args.prompt is None:
        args.prompt = args.hold / 1000 + 2.0
    args.budget = len(args.rate_list) * 2 * (args.seconds + args.hold / 1000 + 60) + 120
    args.sipp = shutil.which("sipp")
    args.kamailio = shutil.which("kamailio") or (
        "/usr/sbin/kamailio" if os.path.exists("/usr/sbin/kamailio") else None)
    missing = []
    if args.sipp is None:
        missing.append("sip-tester")
    if args.only != "kefu" and args.kamailio is None:
        missing.append("kamailio")
    if missing:
        print(f"missing: apt-get install --no-install-recommends {' '.join(missing)}"
              + ("  (or run with --only kefu)" if missing == ["kamailio"] else ""),
              file=sys.stderr)
        return 2

    rows: list[tuple[int, dict | None, dict | None]] = []
    status = 0
    with _kefu.scratch("kefu-setup-rate-", args.keep) as root:
        srv = Servers(args, root)
        inf = root / "users.csv"
        inf.write_text("SEQUENTIAL\n" + "".join(
            f"{u};[authentication username={u} password={_password(u)}]\n" for u in srv.users))
        try:
            if args.only != "kamailio":
                srv.start_kefu()
            if args.only != "kefu":
                srv.start_kamailio()
            log_pos = 0
            for rate in args.rate_list:
                k = m = None
                if srv.kefu is not None:
                    if not wait(srv.kefu_idle, 30):
                        print(f"  rate {rate}: kefu still has calls from the last step",
                              file=sys.stderr)
                    k = run_sipp(args, root / f"kefu-{rate}", srv.kefu_port, "*97", rate, inf,
                                 lambda: [srv.kefu.pid])
                    if not wait(srv.kefu_idle, 30):
                        k["log_samples"] = ["calls still active 30 s after sipp ended"]
                    n_bad, samples, log_pos = _log_issues(srv.kefu_log, log_pos)
                    k["log_bad"], k["log_samples"] = n_bad, k.get("log_samples", []) + samples
                    status |= int(k["failed"] != 0 or k["rc"] != 0)
                    print(f"  rate {rate} kefu: {k['ok']}/{k['attempted']} ok", file=sys.stderr)
                if srv.kam is not None:
                    time.sleep(1.0)
                    m = run_sipp(args, root / f"kamailio-{rate}", srv.kam_port, "1000", rate, inf,
                                 lambda: _tree_pids(srv.kam.pid))
                    print(f"  rate {rate} kamailio: {m['ok']}/{m['attempted']} ok", file=sys.stderr)
                    if srv.uas.poll() is not None:
                        raise RuntimeError("sipp UAS exited early")
                rows.append((rate, k, m))
        except KeyboardInterrupt:
            status = 130
            print("interrupted", file=sys.stderr)
        except (RuntimeError, subprocess.TimeoutExpired) as exc:
            status = 1
            print(f"FAILED: {exc}", file=sys.stderr)
        finally:
            srv.close()
    if rows:
        report(rows, args)
    return status


if __name__ == "__main__":
    sys.exit(main())
