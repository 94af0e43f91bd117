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
import os
import shutil
import socket
import subprocess
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))

import _kefu  # noqa: E402
import _sipload  # noqa: E402
import pbx_calls  # noqa: E402
from _kefu import pct  # noqa: E402

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
class RtpengineCase:
    """One N through rtpengine; ``close()`` ends rtpengine and the generator."""

    def __init__(self, n: int, args: argparse.Namespace, root: Path) -> None:
        self.n, self.args = n, args
        self.dir = root / f"rtpengine-n{n}"
        self.proc: subprocess.Popen | None = None
        self.procs: list = []
        self.log_path = self.dir / "rtpengine.log"
        self.ng: Ng | None = None

    def run(self) -> dict:
        n, args = self.n, self.args
        loadavg = _kefu.loadavg()
        self.dir.mkdir(parents=True)
        ng_port = _sipload.free_udp_tcp_port()
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

        gen_conn, gen, gen_port = _kefu.start_generator(args.seconds, self.procs)

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

        (pct_cpu,), res = _kefu.measure(gen_conn, gen, streams, args.seconds, [self.proc.pid])
        for i in range(n):
            try:
                self.ng("delete", timeout=0.5,
                        **{"call-id": f"bench-{os.getpid()}-{n}-{i}", "from-tag": f"a{i}"})
            except RuntimeError:
                pass
        log = self.log_path.read_text(errors="replace").splitlines()
        bad = [ln for ln in log if "ERR" in ln or "WARN" in ln or "CRIT" in ln]
        return {"system": "rtpengine", "n": n, "ok": ok, "failed": len(failed),
                "fail_reasons": failed[:3], "cpu_pct": pct_cpu, "per_call": pct_cpu / max(1, ok),
                "setup_total": setup_s, "loadavg": loadavg, "warn": len(bad),
                "log_samples": bad[:3], **res}

    def close(self) -> None:
        _kefu.stop_children(self.procs)
        if self.ng is not None:
            self.ng.close()
        _kefu.stop(self.proc, 10)


# ------------------------------------------------------------------------------ report
def report(pairs: list[tuple[int, dict | None, dict | None]], args: argparse.Namespace) -> None:
    head = (f"{'N':>4} {'relay':<9} {'ok':>4} {'cpu%':>6} {'/call':>6} {'gen%':>5} "
            f"{'loss a>b':>8} {'loss b>a':>8} {'lat p50':>7} {'p99':>6} {'max':>6} "
            f"{'kefu/rtpe':>9}")
    _kefu.table_head(f"Media relay, kefu vs rtpengine: {args.seconds:g} s window per N, PCMU "
                     f"20 ms both ways; rtpengine userspace (--table=-1), plain relay; kefu "
                     f"bridged + recorded; {os.cpu_count()} CPUs; kefu {_kefu.tree_state()}",
                     head)
    for n, re_, ke in pairs:
        ratio = (ke["per_call"] / re_["per_call"]
                 if re_ and ke and re_["per_call"] > 0 else float("nan"))
        for r in (re_, ke):
            if r is None:
                continue
            last = f"{ratio:>9.2f}" if r is ke else ""
            print(f"{n:>4} {r['system']:<9} {r['ok']:>4} {r['cpu_pct']:>6.1f} "
                  f"{r['per_call']:>6.3f} {r['gen_cpu']:>5.1f} "
                  f"{pct(r['lost_ab'], r['tx_ab']):>8.3f} {pct(r['lost_ba'], r['tx_ba']):>8.3f} "
                  f"{r['lat_p50']:>7.2f} {r['lat_p99']:>6.2f} {r['lat_max']:>6.2f} {last}")
    print()
    for n, re_, ke in pairs:
        for r in (re_, ke):
            if r is None:
                continue
            lines = [f"frames a>b {r['tx_ab']} (lost {r['lost_ab']}), b>a {r['tx_ba']} "
                     f"(lost {r['lost_ba']}); markers {r['markers_found']}/{r['markers']}; "
                     f"generator max {r['send_late_max']:.1f} ms late, {r['sent_late']} "
                     f"packets > 10 ms late; load average before: {r['loadavg']}"]
            if r["failed"]:
                lines.append(f"failures: {r['fail_reasons']}")
            if r["system"] == "kefu":
                lines.append(f"drops {r['drops']}, recordings {r['wavs']}, warn/err "
                             f"{r['warn']}/{r['err']}, idle after {r['idle_after']}")
            lines += [f"log: {ln[:200]}" for ln in r["log_samples"]]
            _kefu.notes(f"N={n} {r['system']}", lines)


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    pbx_calls.add_case_arguments(ap, "50,100,200", "kefu: new calls per second")
    ap.add_argument("--rtpengine-base", type=int, default=20000,
                    help="first RTP port of rtpengine")
    ap.add_argument("--rtpengine-threads", type=int, default=0,
                    help="rtpengine --num-threads (0: its default, one per CPU)")
    ap.add_argument("--only", choices=("kefu", "rtpengine"), help="run one relay only")
    ap.add_argument("--keep", action="store_true", help="keep logs and recordings")
    args = ap.parse_args()
    ns = pbx_calls.call_counts(ap, args)
    args.rtpengine = shutil.which("rtpengine") or (
        "/usr/bin/rtpengine" if os.path.exists("/usr/bin/rtpengine") else None)
    if args.only != "kefu" and args.rtpengine is None:
        print("rtpengine not found. Install the Debian package (userspace daemon only, no "
              "kernel module needed):\n  apt-get install --no-install-recommends "
              "rtpengine-daemon\nor run with --only kefu.", file=sys.stderr)
        return 2

    pairs: list[tuple[int, dict | None, dict | None]] = []
    status = 0
    with _kefu.scratch("kefu-rtp-compare-", args.keep) as root:
        try:
            for n in ns:
                re_ = ke = None
                if args.only != "kefu":
                    re_ = _kefu.run_case(f"N={n} rtpengine", RtpengineCase(n, args, root))
                    status = status or int(re_ is None)
                if args.only != "rtpengine":
                    ke = _kefu.run_case(f"N={n} kefu", pbx_calls.Case(n, args, root))
                    status = status or int(ke is None)
                    if ke is not None:
                        ke = {**ke, "system": "kefu", "cpu_pct": ke["kefu_pct"]}
                pairs.append((n, re_, ke))
        except KeyboardInterrupt:
            status = 130
            print("interrupted", file=sys.stderr)
    if pairs:
        report(pairs, args)
    return status


if __name__ == "__main__":
    sys.exit(main())
