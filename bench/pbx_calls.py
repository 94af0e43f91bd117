#!/usr/bin/env python
"""Benchmark the whole PBX: N concurrent bridged and recorded calls through ``kefu serve``.

For each N a fresh ``kefu serve`` (subprocess, 127.0.0.1, free SIP/HTTP ports, its own
data directory, recording on) gets 2N extensions.  A load generator in two other processes
(``bench/_sipload.py``) plays 2N phones: sippy REGISTERs the N callees, places N calls from
the N callers (digest auth), auto-answers kefu's INVITEs; once every call is up, one
RTP process streams 20 ms PCMU both ways on every call for ``--seconds`` plus 0.5 s at
each edge (left out of every figure).  Then the callers hang up and the bench waits for
kefu's health to show no call and no RTP port left.

Columns:
  ok/fail    calls answered end to end / failed (reason in the notes below the table)
  setup s    first INVITE -> last 200 OK at the caller, at ``--cps`` new calls per second
  p50/max    per-call set-up time, ms (INVITE, 401, INVITE, kefu's INVITE to the callee, 200s)
  kefu%      kefu process CPU (all threads, /proc/<pid>/stat) over the window, % of one core
  /call      kefu% / N
  gen%       RTP generator CPU, % of one core (it shares the 2 cores with kefu)
  loss a>b   frames sent by callers in the window whose stamp never reached the callee, %
  loss b>a   the same, callee -> caller
  lat p50/p99/max  added one-way latency, ms: send time of a loud marker frame (every
             200 ms per stream) -> kernel receive time of the same frame, found by energy
             after µ-law decoding, on the other side of kefu (tick wait + jitter buffer +
             decode/mix/encode + two loopback hops)
  drops      calls that ended before the bench hung up
  warn/err   WARNING / ERROR lines in kefu's log for that N (first few printed below)

Usage:
  /work/venv/bin/python bench/pbx_calls.py [--calls 25,50,100] [--seconds 10] [--cps 100]
                                          [--keep] [--rtp-base 40000]
"""

from __future__ import annotations

import argparse
import multiprocessing as mp
import os
import subprocess
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))

import _kefu  # noqa: E402
import _sipload  # noqa: E402
from _kefu import health, pct, recv, wait  # noqa: E402


class Case:
    """One N: kefu, the SIP agent and the RTP generator; ``close()`` ends them all."""

    def __init__(self, n: int, args: argparse.Namespace, root: Path) -> None:
        self.n, self.args = n, args
        self.dir = root / f"n{n}"
        self.kefu: subprocess.Popen | None = None
        self.procs: list = []
        self.log_path = self.dir / "kefu.log"

    def run(self) -> dict:
        n, args = self.n, self.args
        loadavg = _kefu.loadavg()
        callers = [str(20000 + i) for i in range(n)]
        callees = [str(30000 + i) for i in range(n)]
        passwords = {e: f"bench-{e}-pw" for e in callers + callees}
        self.dir.mkdir(parents=True)
        sip_port = _sipload.free_udp_tcp_port()
        http_port = _sipload.free_udp_tcp_port()
        rtp = (args.rtp_base, args.rtp_base + 4 * n + 400)
        self.kefu = _kefu.start_kefu(self.dir, _kefu.kefu_config(
            sip_port, http_port, rtp, self.dir / "data", passwords), http_port)

        gen_conn, gen, rtp_port = _kefu.start_generator(args.seconds, self.procs)

        ctx = mp.get_context("spawn")
        sip_conn, child = ctx.Pipe()
        agent = ctx.Process(target=_sipload.sip_agent,
                            args=(child, sip_port, callers, callees, passwords, rtp_port),
                            name="sip-agent", daemon=True)
        agent.start()
        self.procs.append(agent)
        recv(sip_conn, "ready", 20, [agent])
        sip_conn.send(("register", 15.0))
        reg = recv(sip_conn, "registered", 20, [agent])
        if reg["ok"] < n:
            raise RuntimeError(f"only {reg['ok']}/{n} registered: {list(reg['failed'].items())[:3]}")
        regs = wait(lambda: (health(http_port) or {}).get("sip", {}).get("registrations", 0) >= n, 5)
        if not regs:
            raise RuntimeError("kefu does not show all registrations")

        sip_conn.send(("dial", (args.cps, 30.0)))
        calls = recv(sip_conn, "calls", n / args.cps + 40, [agent])
        up = [c for c in calls["calls"] if c["ok"]]
        failed = [c["fail"] for c in calls["calls"] if not c["ok"]]
        before = health(http_port) or {}
        setup = sorted(c["setup_ms"] for c in up)

        (kefu_pct, agent_pct), res = _kefu.measure(
            gen_conn, gen, [p for c in up for p in (c["a_port"], c["b_port"])], args.seconds,
            [self.kefu.pid, agent.pid])
        active_during = (health(http_port) or {}).get("calls", {}).get("active")

        sip_conn.send(("hangup", None))
        hung = recv(sip_conn, "hungup", 10, [agent])
        t_bye = time.monotonic()
        idle = wait(lambda: (lambda h: h and h["calls"]["active"] == 0
                              and h["media"]["ports_in_use"] == 0)(health(http_port)), 20)
        teardown = time.monotonic() - t_bye
        after = health(http_port) or {}
        sip_conn.send(("quit", None))
        agent.join(5)
        _kefu.stop(self.kefu)
        wavs = list((self.dir / "data").rglob("*.wav"))
        log = self.log_path.read_text(errors="replace").splitlines()
        warn = [ln for ln in log if " WARNING " in ln or ln.startswith("WARNING:")]
        err = [ln for ln in log if " ERROR " in ln or " CRITICAL " in ln or "Traceback" in ln
               or ln.startswith(("ERROR:", "CRITICAL:"))]
        cores = os.cpu_count() or 1
        return {
            "n": n, "ok": len(up), "failed": len(failed), "fail_reasons": failed[:5],
            "setup_total": calls["setup_total"] or float("nan"),
            "setup_p50": setup[len(setup) // 2] if setup else float("nan"),
            "setup_max": setup[-1] if setup else float("nan"),
            "kefu_pct": kefu_pct, "per_call": kefu_pct / max(1, len(up)),
            "agent_pct": agent_pct,
            "loadavg": loadavg,
            "cores": cores,
            "active_before": before.get("calls", {}).get("active"),
            "active_during": active_during,
            "drops": len(hung["drops"]), "drop_detail": hung["drops"][:5],
            "idle_after": bool(idle), "teardown_s": teardown,
            "after": {"calls": after.get("calls"), "media": after.get("media")},
            "wavs": len(wavs), "warn": len(warn), "err": len(err),
            "log_samples": (err[:3] + warn[:3]),
            **res,
        }

    def close(self) -> None:
        _kefu.stop_children(self.procs)
        _kefu.stop(self.kefu)


def report(rows: list[dict], args: argparse.Namespace) -> None:
    head = (f"{'N':>4} {'ok/fail':>8} {'setup s':>7} {'p50/max ms':>11} {'kefu%':>6} {'/call':>6} "
            f"{'gen%':>5} {'loss a>b':>8} {'loss b>a':>8} {'lat p50':>7} {'p99':>6} "
            f"{'max':>6} {'drops':>5} {'warn/err':>8}")
    ts = "kernel" if rows and rows[0].get("kernel_ts") else "user-space"
    _kefu.table_head(f"kefu PBX bench: {args.seconds:g} s window per N, PCMU 20 ms both ways, "
                     f"bridged + recorded, {rows[0]['cores'] if rows else os.cpu_count()} CPUs, "
                     f"latency from {ts} receive timestamps", head)
    for r in rows:
        print(f"{r['n']:>4} {r['ok']:>4}/{r['failed']:<3} {r['setup_total']:>7.2f} "
              f"{r['setup_p50']:>5.0f}/{r['setup_max']:<5.0f} {r['kefu_pct']:>6.1f} "
              f"{r['per_call']:>6.2f} {r['gen_cpu']:>5.1f} "
              f"{pct(r['lost_ab'], r['tx_ab']):>8.3f} {pct(r['lost_ba'], r['tx_ba']):>8.3f} "
              f"{r['lat_p50']:>7.1f} {r['lat_p99']:>6.1f} {r['lat_max']:>6.1f} {r['drops']:>5} "
              f"{r['warn']:>4}/{r['err']:<3}")
    print()
    for r in rows:
        lines = [f"frames a>b {r['tx_ab']} (lost {r['lost_ab']}), b>a {r['tx_ba']} "
                 f"(lost {r['lost_ba']}); markers {r['markers_found']}/{r['markers']} found"
                 + (f", {r['by_order']} matched by order" if r["by_order"] else "")
                 + f"; losses fall in {r['loss_slots']} distinct 20 ms slots; "
                 f"{r['unstamped_win']} unstamped (concealed) frames received in the window",
                 f"generator pacing: max {r['send_late_max']:.1f} ms late, {r['sent_late']} "
                 f"packets > 10 ms late; load average before: {r['loadavg']}",
                 f"kefu seq gaps {r['kefu_seq_gaps']}, gen send errors {r['send_errors']}, "
                 f"SIP agent {r['agent_pct']:.1f}% of a core, recordings {r['wavs']}, "
                 f"idle after hang-up {'yes' if r['idle_after'] else 'NO'} "
                 f"({r['teardown_s']:.1f} s; {r['after']})"]
        if r["failed"]:
            lines.append(f"failures: {r['fail_reasons']}")
        if r["drops"]:
            lines.append(f"drops: {r['drop_detail']}")
        lines += [f"log: {ln[:200]}" for ln in r["log_samples"]]
        _kefu.notes(f"N={r['n']}", lines)


def add_case_arguments(ap: argparse.ArgumentParser, calls: str, cps_help: str) -> None:
    """The options a ``Case`` reads (rtp_compare.py runs Cases too)."""
    ap.add_argument("--calls", default=calls,
                    help=f"comma-separated numbers of concurrent calls (default {calls})")
    ap.add_argument("--seconds", type=float, default=10.0, help="measuring window per N")
    ap.add_argument("--cps", type=float, default=100.0, help=cps_help)
    ap.add_argument("--rtp-base", type=int, default=40000, help="first RTP port of kefu")


def call_counts(ap: argparse.ArgumentParser, args: argparse.Namespace) -> list[int]:
    """The Ns of ``--calls``, after checking them and ``--seconds``."""
    ns = [int(x) for x in args.calls.split(",") if x.strip()]
    if not ns or min(ns) < 1 or max(ns) > 1000:
        ap.error("--calls: 1..1000 each")
    if not 1 <= args.seconds <= 120:
        ap.error("--seconds: 1..120")
    return ns


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    add_case_arguments(ap, "25,50,100", "new calls per second at set-up")
    ap.add_argument("--keep", action="store_true", help="keep the data directory (logs, WAVs)")
    args = ap.parse_args()
    ns = call_counts(ap, args)

    rows: list[dict] = []
    status = 0
    with _kefu.scratch("kefu-pbx-bench-", args.keep) as root:
        try:
            for n in ns:
                row = _kefu.run_case(f"N={n}", Case(n, args, root), log_tail=True)
                if row is None:
                    status = 1
                else:
                    rows.append(row)
        except KeyboardInterrupt:
            status = 130
            print("interrupted", file=sys.stderr)
    if rows:
        report(rows, args)
    return status


if __name__ == "__main__":
    sys.exit(main())
