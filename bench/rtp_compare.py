#!/usr/bin/env python
"""Media relay, kefu vs rtpengine, in the same run: N concurrent G.711 calls each.

For each N, first **rtpengine** (Debian ``rtpengine-daemon``, userspace only: ``--table=-1``,
no kernel module, no recording) in the foreground on 127.0.0.1: the bench opens N calls
through its ng control protocol (``offer`` + ``answer``, bencoded over UDP) and streams
20 ms PCMU both ways through it.  Then **kefu** with the same N through
``bench/pbx_calls.py``'s machinery: ``kefu serve``, SIP set-up by sippy phones (digest auth),
media anchored, bridged and recorded.  Both are fed by the same generator process
(``bench/_sipload.py``'s ``rtp_generator``: stamps, markers, kernel receive timestamps), so
loss and latency are measured identically; CPU of either relay is utime + stime of its
process (all threads) from /proc/<pid>/stat over the same ``--seconds`` window.

Columns:
  ok         calls up (kefu: answered end to end; rtpengine: offer + answer accepted)
  cpu%       relay process CPU over the window, % of one core
  /call      cpu% / ok
  gen%       the generator's CPU (it shares the 2 cores with the relay)
  loss a>b   frames sent in the window whose stamp never reached the other end, %
  loss b>a   the same, other direction
  lat p50/p99/max  added one-way latency, ms (marker send -> kernel receive on the far side)
  kefu/rtpe  kefu's CPU per call / rtpengine's CPU per call, same N

Usage:
  /work/venv/bin/python bench/rtp_compare.py [--calls 50,100,200] [--seconds 10]
                                            [--cps 100] [--rtpengine-threads 0] [--keep]
Needs: apt-get install rtpengine-daemon   (Debian bookworm: 10.5)
"""

from __future__ import annotations

import argparse
import multiprocessing as mp
import os
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))

import _sipload  # noqa: E402
import pbx_calls  # noqa: E402
from pbx_calls import EDGE, _cpu_seconds, _recv  # noqa: E402

HOST = "127.0.0.1"


# ------------------------------------------------------------------------------ bencode
def bencode(v) -> bytes:
    if isinstance(v, bool):
        v = int(v)
    if isinstance(v, int):
        return b"i%de" % v
    if isinstance(v, str):
        v = v.encode()
    if isinstance(v, (bytes, bytearray)):
        return b"%d:%s" % (len(v), bytes(v))
    if isinstance(v, (list, tuple)):
        return b"l" + b"".join(bencode(x) for x in v) + b"e"
    if isinstance(v, dict):
        items = sorted((k.encode() if isinstance(k, str) else k, x) for k, x in v.items())
        return b"d" + b"".join(bencode(k) + bencode(x) for k, x in items) + b"e"
    raise TypeError(f"cannot bencode {type(v).__name__}")


def bdecode(data: bytes):
    def dec(i: int):
        c = data[i:i + 1]
        if c == b"i":
            j = data.index(b"e", i)
            return int(data[i + 1:j]), j + 1
        if c in (b"l", b"d"):
            i += 1
            out = []
            while data[i:i + 1] != b"e":
                x, i = dec(i)
                out.append(x)
            if c == b"l":
                return out, i + 1
            return {out[k].decode(): out[k + 1] for k in range(0, len(out), 2)}, i + 1
        if c.isdigit():
            j = data.index(b":", i)
            n = int(data[i:j])
            return data[j + 1:j + 1 + n], j + 1 + n
        raise ValueError(f"bad bencode at {i}")
    v, end = dec(0)
    if end != len(data):
        raise ValueError("trailing bytes")
    return v


class Ng:
    """rtpengine's ng control protocol: ``cookie bencoded-dict`` over UDP."""

    def __init__(self, port: int) -> None:
        self.addr = (HOST, port)
        self.sock = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
        self.sock.bind((HOST, 0))
        self.seq = 0

    def __call__(self, command: str, timeout: float = 2.0, **params) -> dict:
        self.seq += 1
        cookie = f"{os.getpid()}_{self.seq}".encode()
        msg = cookie + b" " + bencode({"command": command, **params})
        deadline = time.monotonic() + timeout
        for _attempt in range(5):
            self.sock.sendto(msg, self.addr)
            self.sock.settimeout(max(0.05, min(0.5, deadline - time.monotonic())))
            try:
                while True:
                    data, _ = self.sock.recvfrom(65536)
                    ck, _, body = data.partition(b" ")
                    if ck == cookie:
                        reply = bdecode(body)
                        if reply.get("result") not in (b"ok", b"pong"):
                            raise RuntimeError(f"rtpengine {command}: {reply}")
                        return reply
            except socket.timeout:
                if time.monotonic() > deadline:
                    break
        raise RuntimeError(f"rtpengine: no answer to {command}")

    def close(self) -> None:
        self.sock.close()


# ------------------------------------------------------------------------------ rtpengine
def _free_udp_port() -> int:
    s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
    s.bind((HOST, 0))
    port = s.getsockname()[1]
    s.close()
    return port


class RtpengineCase:
    """One N through rtpengine; ``close()`` ends rtpengine and the generator."""

    def __init__(self, n: int, args: argparse.Namespace, root: Path) -> None:
        self.n, self.args = n, args
        self.dir = root / f"rtpengine-n{n}"
        self.proc: subprocess.Popen | None = None
        self.procs: list[mp.Process] = []
        self.log_path = self.dir / "rtpengine.log"
        self.ng: Ng | None = None

    def run(self) -> dict:
        n, args = self.n, self.args
        loadavg = " ".join(Path("/proc/loadavg").read_text().split()[:3])
        self.dir.mkdir(parents=True)
        ng_port = _free_udp_port()
        pmin = args.rtpengine_base
        pmax = pmin + 4 * n + 200
        cmd = [args.rtpengine, "--config-file=none", "--foreground", "--log-stderr",
               "--log-level=5", "--table=-1", f"--interface={HOST}",
               f"--listen-ng={HOST}:{ng_port}", f"--port-min={pmin}", f"--port-max={pmax}",
               "--timeout=60", "--delete-delay=0"]
        if args.rtpengine_threads:
            cmd.append(f"--num-threads={args.rtpengine_threads}")
        self.cmd = cmd
        self.proc = subprocess.Popen(cmd, stdout=self.log_path.open("wb"),
                                     stderr=subprocess.STDOUT, start_new_session=True)
        self.ng = Ng(ng_port)
        deadline = time.monotonic() + 10
        while True:
            if self.proc.poll() is not None:
                raise RuntimeError("rtpengine exited:\n" + self.log_path.read_text()[-2000:])
            try:
                self.ng("ping", timeout=0.5)
                break
            except RuntimeError:
                if time.monotonic() > deadline:
                    raise RuntimeError("rtpengine does not answer ping") from None

        ctx = mp.get_context("spawn")
        gen_conn, child = ctx.Pipe()
        gen = ctx.Process(target=_sipload.rtp_generator, args=(child, args.seconds, EDGE),
                          name="rtp-generator", daemon=True)
        gen.start()
        self.procs.append(gen)
        gen_port = _recv(gen_conn, "port", 20, [gen])

        streams: list[int] = []
        failed: list[str] = []
        t0 = time.monotonic()
        for i in range(n):
            cid = f"bench-{os.getpid()}-{n}-{i}"
            try:
                off = self.ng("offer", **{"call-id": cid, "from-tag": f"a{i}",
                                          "sdp": _sipload.sdp(gen_port, 10000 + i),
                                          "replace": ["origin", "session-connection"],
                                          "ICE": "remove"})
                ans = self.ng("answer", **{"call-id": cid, "from-tag": f"a{i}",
                                           "to-tag": f"b{i}",
                                           "sdp": _sipload.sdp(gen_port, 20000 + i),
                                           "replace": ["origin", "session-connection"],
                                           "ICE": "remove"})
            except RuntimeError as exc:
                failed.append(str(exc)[:200])
                continue
            x = _sipload.sdp_port(off["sdp"].decode())    # callee sends here
            y = _sipload.sdp_port(ans["sdp"].decode())    # caller sends here
            if not x or not y:
                failed.append(f"no port in SDP: {off.get('sdp')!r}")
                continue
            # stream 2k = caller -> y (rtpengine forwards it from x to the callee),
            # stream 2k+1 = callee -> x (forwarded from y to the caller): a packet
            # arriving from port y carries stream 2k+1's audio, as the generator expects.
            streams += [y, x]
        setup_s = time.monotonic() - t0
        ok = len(streams) // 2

        pid = self.proc.pid
        gen_conn.send(("streams", streams))
        gen_conn.send(("go", None))
        t_go = _recv(gen_conn, "started", 10, [gen])
        time.sleep(max(0.0, t_go + EDGE - time.monotonic()))
        c0, w0 = _cpu_seconds(pid), time.monotonic()
        time.sleep(max(0.0, t_go + EDGE + args.seconds - time.monotonic()))
        c1, w1 = _cpu_seconds(pid), time.monotonic()
        res = _recv(gen_conn, "result", 30, [gen])
        for i in range(n):
            try:
                self.ng("delete", timeout=0.5,
                        **{"call-id": f"bench-{os.getpid()}-{n}-{i}", "from-tag": f"a{i}"})
            except RuntimeError:
                pass
        pct = (c1 - c0) / (w1 - w0) * 100
        log = self.log_path.read_text(errors="replace").splitlines()
        bad = [ln for ln in log if "ERR" in ln or "WARN" in ln or "CRIT" in ln]
        return {"system": "rtpengine", "n": n, "ok": ok, "failed": len(failed),
                "fail_reasons": failed[:3], "cpu_pct": pct, "per_call": pct / max(1, ok),
                "setup_total": setup_s, "loadavg": loadavg, "warn": len(bad),
                "log_samples": bad[:3], **res}

    def close(self) -> None:
        for p in self.procs:
            if p.is_alive():
                p.terminate()
                p.join(3)
            if p.is_alive():
                p.kill()
                p.join(3)
        if self.ng is not None:
            self.ng.close()
        if self.proc is not None and self.proc.poll() is None:
            self.proc.terminate()
            try:
                self.proc.wait(10)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait()


# All load comes from 127.0.0.1: exempt it from kefu's per-address SIP rate guard
# ([security], 20 REGISTERs / INVITEs per second by default), which would 503 the set-up.
_pbx_config = pbx_calls._config


def _config_trusted(*a, **kw) -> str:
    text = _pbx_config(*a, **kw)
    if "\n[security]" in text:                 # bench/pbx_calls.py already does it
        return text
    return text + '\n[security]\ntrusted = ["127.0.0.1"]\n'


def _kefu_case(n: int, args: argparse.Namespace, root: Path) -> dict:
    pbx_calls._config = _config_trusted
    case = pbx_calls.Case(n, args, root)
    try:
        r = case.run()
    finally:
        case.close()
    return {**r, "system": "kefu", "cpu_pct": r["kefu_pct"]}


# ------------------------------------------------------------------------------ report
def _pct(lost: int, tx: int) -> float:
    return lost / tx * 100 if tx else float("nan")


def tree_state() -> str:
    """The kefu source measured: commit, and whether src/ has uncommitted changes."""
    repo = Path(__file__).resolve().parent.parent
    try:
        head = subprocess.run(["git", "-C", str(repo), "rev-parse", "--short", "HEAD"],
                              capture_output=True, text=True, timeout=10).stdout.strip()
        dirty = subprocess.run(["git", "-C", str(repo), "status", "--porcelain", "--", "src"],
                               capture_output=True, text=True, timeout=10).stdout.strip()
    except (OSError, subprocess.SubprocessError):
        return "unknown"
    return f"{head or '?'}{' + uncommitted changes in src/' if dirty else ''}"


def report(pairs: list[tuple[int, dict | None, dict | None]], args: argparse.Namespace) -> None:
    head = (f"{'N':>4} {'relay':<9} {'ok':>4} {'cpu%':>6} {'/call':>6} {'gen%':>5} "
            f"{'loss a>b':>8} {'loss b>a':>8} {'lat p50':>7} {'p99':>6} {'max':>6} "
            f"{'kefu/rtpe':>9}")
    print(f"\nMedia relay, kefu vs rtpengine: {args.seconds:g} s window per N, PCMU 20 ms both "
          f"ways; rtpengine userspace (--table=-1), plain relay; kefu bridged + recorded; "
          f"{os.cpu_count()} CPUs; kefu {tree_state()}")
    print(head)
    print("-" * len(head))
    for n, re_, ke in pairs:
        ratio = (ke["per_call"] / re_["per_call"]
                 if re_ and ke and re_["per_call"] > 0 else float("nan"))
        for r in (re_, ke):
            if r is None:
                continue
            last = f"{ratio:>9.2f}" if r is ke else ""
            print(f"{n:>4} {r['system']:<9} {r['ok']:>4} {r['cpu_pct']:>6.1f} "
                  f"{r['per_call']:>6.3f} {r['gen_cpu']:>5.1f} "
                  f"{_pct(r['lost_ab'], r['tx_ab']):>8.3f} {_pct(r['lost_ba'], r['tx_ba']):>8.3f} "
                  f"{r['lat_p50']:>7.2f} {r['lat_p99']:>6.2f} {r['lat_max']:>6.2f} {last}")
    print()
    for n, re_, ke in pairs:
        for r in (re_, ke):
            if r is None:
                continue
            notes = [f"frames a>b {r['tx_ab']} (lost {r['lost_ab']}), b>a {r['tx_ba']} "
                     f"(lost {r['lost_ba']}); markers {r['markers_found']}/{r['markers']}; "
                     f"generator max {r['send_late_max']:.1f} ms late, {r['sent_late']} "
                     f"packets > 10 ms late; load average before: {r['loadavg']}"]
            if r["failed"]:
                notes.append(f"failures: {r['fail_reasons']}")
            if r["system"] == "kefu":
                notes.append(f"drops {r['drops']}, recordings {r['wavs']}, warn/err "
                             f"{r['warn']}/{r['err']}, idle after {r['idle_after']}")
            notes += [f"log: {ln[:200]}" for ln in r["log_samples"]]
            print(f"N={n} {r['system']}: " + "\n       ".join(notes))


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--calls", default="50,100,200",
                    help="comma-separated numbers of concurrent calls (default 50,100,200)")
    ap.add_argument("--seconds", type=float, default=10.0, help="measuring window per N")
    ap.add_argument("--cps", type=float, default=100.0, help="kefu: new calls per second")
    ap.add_argument("--rtp-base", type=int, default=40000, help="first RTP port of kefu")
    ap.add_argument("--rtpengine-base", type=int, default=20000,
                    help="first RTP port of rtpengine")
    ap.add_argument("--rtpengine-threads", type=int, default=0,
                    help="rtpengine --num-threads (0: its default, one per CPU)")
    ap.add_argument("--only", choices=("kefu", "rtpengine"), help="run one relay only")
    ap.add_argument("--keep", action="store_true", help="keep logs and recordings")
    args = ap.parse_args()
    ns = [int(x) for x in args.calls.split(",") if x.strip()]
    if not ns or min(ns) < 1 or max(ns) > 1000:
        ap.error("--calls: 1..1000 each")
    if not 1 <= args.seconds <= 120:
        ap.error("--seconds: 1..120")
    args.rtpengine = shutil.which("rtpengine") or (
        "/usr/bin/rtpengine" if os.path.exists("/usr/bin/rtpengine") else None)
    if args.only != "kefu" and args.rtpengine is None:
        print("rtpengine not found. Install the Debian package (userspace daemon only, no "
              "kernel module needed):\n  apt-get install --no-install-recommends "
              "rtpengine-daemon\nor run with --only kefu.", file=sys.stderr)
        return 2

    def on_term(_sig, _frame):
        raise KeyboardInterrupt
    signal.signal(signal.SIGTERM, on_term)
    signal.signal(signal.SIGINT, signal.default_int_handler)

    root = Path(tempfile.mkdtemp(prefix="kefu-rtp-compare-"))
    pairs: list[tuple[int, dict | None, dict | None]] = []
    status = 0
    try:
        for n in ns:
            re_ = ke = None
            if args.only != "kefu":
                case = RtpengineCase(n, args, root)
                t = time.monotonic()
                try:
                    re_ = case.run()
                    print(f"  N={n} rtpengine: done in {time.monotonic() - t:.0f} s",
                          file=sys.stderr)
                except RuntimeError as exc:
                    status = 1
                    print(f"  N={n} rtpengine: FAILED: {exc}", file=sys.stderr)
                finally:
                    case.close()
            if args.only != "rtpengine":
                t = time.monotonic()
                try:
                    ke = _kefu_case(n, args, root)
                    print(f"  N={n} kefu: done in {time.monotonic() - t:.0f} s", file=sys.stderr)
                except RuntimeError as exc:
                    status = 1
                    print(f"  N={n} kefu: FAILED: {exc}", file=sys.stderr)
            pairs.append((n, re_, ke))
    except KeyboardInterrupt:
        status = 130
        print("interrupted", file=sys.stderr)
    finally:
        if args.keep:
            print(f"data kept in {root}", file=sys.stderr)
        else:
            shutil.rmtree(root, ignore_errors=True)
    if pairs:
        sys.stderr.flush()
        report(pairs, args)
    return status


if __name__ == "__main__":
    sys.exit(main())
