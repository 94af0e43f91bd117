#!/usr/bin/env python
"""Benchmark the IVR: N concurrent callers inside a flow, beside N bridged calls.

For each N, two cases in the same command, each with a fresh ``kefu serve`` (``_kefu``):

ivr      N callers dial 800 → ``flow:bench`` (below): a menu with a TTS prompt, key 1 →
         a look-up in kefu's own database (the ``kefu`` SQL source, a bound parameter) →
         the result read out (``say``, TTS) → the menu again; key 2 → goodbye → hang-up.
         The SIP side is ``_sipload.sip_agent`` (``hosted``: kefu answers), the media
         ``_ivrload.ivr_callers`` (one process, RFC 4733 keys, energy detection; see there).
         Before timing, one warm-up call walks the whole flow, so every prompt is in the
         TTS cache.  Once all N are answered, kefu's CPU is taken over ``--seconds`` (the
         steady window: every caller loops menu → key 1 → look-up → read-out); then the
         callers key 2 and the bench waits for kefu to hang every call up.
bridged  ``pbx_calls.Case``: N caller↔callee calls through kefu, bridged and recorded,
         PCMU both ways, CPU over the same ``--seconds``.

Columns (ivr):
  ok/fail      calls answered / failed
  kefu% /call  kefu's CPU over the window (/proc/<pid>/stat, all threads), % of one core,
               and per caller
  keys         digits keyed (whole run)
  lost         digits whose next prompt never came at the caller (5 s) or whose choice
               is missing from the call's ``ivr.choice`` events in ``call_events``
  lat1 p50/p99/max  ms, key 1 (end packet sent) → first packet with speech energy of the
               read-out at the caller: the look-up and the ``say`` prompt included
  lat2 p50/p99 ms, key 2 → the goodbye prompt (a menu choice to a plain prompt)
  ended        calls whose flow reached the goodbye node and hung up (ivr.exit hangup)
  warn/err     WARNING / ERROR lines in kefu's log

Usage:
  /work/venv/bin/python bench/ivr_calls.py [--calls 50,200] [--seconds 20] [--cps 50]
                                          [--quiet 0.8] [--only ivr|bridged] [--keep]
"""

from __future__ import annotations

import argparse
import multiprocessing as mp
import os
import sqlite3
import subprocess
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))

import _ivrload  # noqa: E402
import _kefu  # noqa: E402
import _sipload  # noqa: E402
import pbx_calls  # noqa: E402
from _kefu import expect, health, recv, wait  # noqa: E402

NUMBER = "800"
FLOW = {
    "name": "bench", "language": "zh", "start": "main",
    "nodes": {
        "main": {"type": "menu", "prompt": "查询余额请按一，结束请按二", "into": "choice",
                 "choices": {"1": "balance", "2": "bye"}, "timeout": 30, "retries": 0,
                 "fallback": "bye"},
        "balance": {"type": "lookup", "timeout": 3,
                    "sql": {"url": "kefu",
                            "query": "SELECT count(*) * 1280 AS balance FROM ivr_flows "
                                     "WHERE name = :flow",
                            "params": {"flow": "bench"}},
                    "into": {"balance": "balance"}, "next": "say", "error": "main"},
        "say": {"type": "say", "kind": "money", "value": "${balance}", "before": "您的余额是",
                "next": "main"},
        "bye": {"type": "hangup", "prompt": "再见"},
    },
}
DIALPLAN = f"""
[[dialplan.numbers]]
number = "{NUMBER}"
destination = "flow:bench"
"""


class IvrCase:
    """One N of IVR callers: kefu, the SIP agent and the callers' media process."""

    def __init__(self, n: int, args: argparse.Namespace, root: Path) -> None:
        self.n, self.args = n, args
        self.dir = root / f"ivr{n}"
        self.kefu: subprocess.Popen | None = None
        self.procs: list = []
        self.log_path = self.dir / "kefu.log"

    def _agents(self, sip_port: int, callers: list[str], passwords: dict[str, str]):
        """The callers' media process and their SIP agent (started, ready)."""
        ctx = mp.get_context("spawn")
        media_conn, child = ctx.Pipe()
        media = ctx.Process(target=_ivrload.ivr_callers, args=(child, self.args.quiet),
                            name="ivr-callers", daemon=True)
        media.start()
        self.procs.append(media)
        rtp_port = recv(media_conn, "port", 20, [media])
        sip_conn, child = ctx.Pipe()
        agent = ctx.Process(target=_sipload.sip_agent,
                            args=(child, sip_port, callers, [NUMBER] * len(callers), passwords,
                                  rtp_port, True), name="sip-agent", daemon=True)
        agent.start()
        self.procs.append(agent)
        recv(sip_conn, "ready", 20, [agent])
        return media_conn, media, sip_conn, agent

    def _dial(self, sip_conn, agent, n: int) -> list[dict]:
        sip_conn.send(("dial", (self.args.cps, 30.0)))
        return recv(sip_conn, "calls", n / self.args.cps + 40, [agent])["calls"]

    def _end(self, media_conn, media, sip_conn, agent, http_port: int, timeout: float) -> dict:
        """Wait for kefu to hang up every call; then the media's result."""
        idle = wait(lambda: (health(http_port) or {}).get("calls", {}).get("active") == 0,
                    timeout)
        media_conn.send(("stop", None))
        res = recv(media_conn, "result", 20, [media])
        sip_conn.send(("hangup", None))
        recv(sip_conn, "hungup", 10, [agent])
        sip_conn.send(("quit", None))
        agent.join(5)
        media.join(5)
        res["idle"] = bool(idle)
        return res

    def run(self) -> dict:
        n, args = self.n, self.args
        loadavg = _kefu.loadavg()
        callers = [str(20000 + i) for i in range(n + 1)]     # the last: the warm-up call
        passwords = {e: f"bench-{e}-pw" for e in callers}
        self.dir.mkdir(parents=True)
        sip_port = _sipload.free_udp_tcp_port()
        http_port = _sipload.free_udp_tcp_port()
        rtp = (args.rtp_base, args.rtp_base + 2 * n + 400)
        config = _kefu.kefu_config(sip_port, http_port, rtp, self.dir / "data",
                                   passwords) + DIALPLAN
        _kefu.add_admin(self.dir, config)
        self.kefu = _kefu.start_kefu(self.dir, config, http_port)
        api = _kefu.admin_api(http_port)
        expect(api("POST", "/ivr/flows", {"name": "bench"}), (201,), "flow")
        body = expect(api("PUT", "/ivr/flows/bench/draft", FLOW), (200,), "draft")
        if body["check"]["problems"]:
            raise RuntimeError(f"flow refused: {body['check']['problems']}")
        expect(api("POST", "/ivr/flows/bench/publish"), (200,), "publish")

        # warm-up: one call walks the whole flow (key 1, then 2): every prompt rendered
        t = time.monotonic()
        conns = self._agents(sip_port, callers[n:], passwords)
        conns[0].send(("finish", 0.0))        # key 1 once, then 2
        warm = self._dial(conns[2], conns[3], 1)
        if not warm[0]["ok"]:
            raise RuntimeError(f"warm-up call failed: {warm[0]['fail']}")
        wres = self._end(*conns, http_port, 60)
        w = wres["callers"][0] if wres["callers"] else {}
        if w.get("keyed") != ["1", "2"] or len(w.get("lat", [])) != 2:
            raise RuntimeError(f"warm-up call did not walk the flow: {w}")
        warm_s = time.monotonic() - t
        print(f"  ivr N={n}: warm-up call done in {warm_s:.1f} s "
              f"(latencies {[round(x) for _, x in w['lat']]} ms, TTS not cached)", file=sys.stderr)

        media_conn, media, sip_conn, agent = self._agents(sip_port, callers[:n], passwords)
        calls = self._dial(sip_conn, agent, n)
        up = [c for c in calls if c["ok"]]
        failed = [c["fail"] for c in calls if not c["ok"]]
        time.sleep(_kefu.EDGE)
        pids = [self.kefu.pid, media.pid, agent.pid]
        c0, w0 = [_kefu.cpu_seconds(p) for p in pids], time.monotonic()
        q0 = _kefu.run_wait_seconds(self.kefu.pid)
        active0 = (health(http_port) or {}).get("calls", {}).get("active")
        time.sleep(args.seconds)
        c1, w1 = [_kefu.cpu_seconds(p) for p in pids], time.monotonic()
        run_wait = (_kefu.run_wait_seconds(self.kefu.pid) - q0) / (w1 - w0) * 1000
        active1 = (health(http_port) or {}).get("calls", {}).get("active")
        kefu_pct, media_pct, agent_pct = [(b - a) / (w1 - w0) * 100 for a, b in zip(c0, c1)]
        media_conn.send(("finish", time.monotonic()))
        res = self._end(media_conn, media, sip_conn, agent, http_port, 60)
        _kefu.stop(self.kefu)

        by_port = {c["port"]: c for c in res["callers"]}
        choices, exits = call_events(self.dir / "data" / "kefu.db")
        keys = 0
        l1: list[float] = []
        l2: list[float] = []
        lost_caller = lost_kefu = ended = 0
        for i, c in enumerate(calls):
            m = by_port.get(c["a_port"]) if c["ok"] else None
            if m is None:
                continue
            keys += len(m["keyed"])
            lost_caller += len(m["lost"])
            chosen = choices.get(callers[i], [])
            lost_kefu += sum(1 for k, key in enumerate(m["keyed"])
                             if k >= len(chosen) or chosen[k] != key)
            ended += exits.get(callers[i]) == ("bye", "hangup")
            l1 += [ms for d, ms in m["lat"] if d == "1"]
            l2 += [ms for d, ms in m["lat"] if d == "2"]
        lat1, lat2 = _kefu.spread(l1), _kefu.spread(l2)
        log = self.log_path.read_text(errors="replace").splitlines()
        warn = [ln for ln in log if " WARNING " in ln or ln.startswith("WARNING:")]
        err = [ln for ln in log if " ERROR " in ln or " CRITICAL " in ln or "Traceback" in ln]
        return {
            "n": n, "ok": len(up), "failed": len(failed), "fail_reasons": failed[:5],
            "kefu_pct": kefu_pct, "per_call": kefu_pct / max(1, len(up)),
            "media_pct": media_pct, "agent_pct": agent_pct,
            "keys": keys, "keys_1": len(l1), "keys_2": len(l2),
            "lost_caller": lost_caller, "lost_kefu": lost_kefu, "ended": ended,
            "lat1": lat1, "lat2": lat2, "loadavg": loadavg, "active": (active0, active1),
            "idle": res["idle"], "late_frames": res["late_frames"],
            "send_errors": res["send_errors"], "warm_lat": [x for _, x in w["lat"]],
            "warn": len(warn), "err": len(err), "log_samples": err[:3] + warn[:3],
            "stalls": sum("media clock stalled" in ln for ln in warn), "run_wait": run_wait,
        }

    def close(self) -> None:
        _kefu.stop_children(self.procs)
        _kefu.stop(self.kefu)


def call_events(db: Path) -> tuple[dict[str, list[str]], dict[str, tuple[str, str]]]:
    """From kefu's ``call_events``: per caller number, the keys of its ``ivr.choice``
    events in order, and its ``ivr.exit`` (node, reason)."""
    import json
    con = sqlite3.connect(db)
    try:
        rows = con.execute("SELECT type, call_id, data FROM call_events "
                           "WHERE type IN ('ivr.start', 'ivr.choice', 'ivr.exit') "
                           "ORDER BY id").fetchall()
    finally:
        con.close()
    caller: dict[str, str] = {}
    choices: dict[str, list[str]] = {}
    exits: dict[str, tuple[str, str]] = {}
    for type_, call_id, data in rows:
        d = json.loads(data)
        if type_ == "ivr.start":
            caller[call_id] = d["caller"]
        elif type_ == "ivr.choice" and call_id in caller:
            choices.setdefault(caller[call_id], []).append(d["key"])
        elif type_ == "ivr.exit" and call_id in caller:
            exits[caller[call_id]] = (d["node"], d["reason"])
    return choices, exits


def report(ivr: dict[int, dict], bridged: dict[int, dict], args: argparse.Namespace) -> None:
    head = (f"{'N':>4} {'case':<8} {'ok/fail':>8} {'kefu%':>6} {'/call':>6} {'keys':>5} "
            f"{'lost':>4} {'lat1 p50':>8} {'p99':>6} {'max':>6} {'lat2 p50':>8} {'p99':>6} "
            f"{'ended':>5} {'warn/err':>8}")
    _kefu.table_head(f"kefu IVR bench: {args.seconds:g} s CPU window per case, "
                     f"{os.cpu_count()} CPUs, source {_kefu.tree_state()}; "
                     "lat = key's end packet sent -> first packet with speech energy, ms", head)
    for n in sorted(set(ivr) | set(bridged)):
        if n in ivr:
            r = ivr[n]
            print(f"{n:>4} {'ivr':<8} {r['ok']:>4}/{r['failed']:<3} {r['kefu_pct']:>6.1f} "
                  f"{r['per_call']:>6.2f} {r['keys']:>5} {r['lost_caller'] + r['lost_kefu']:>4} "
                  f"{r['lat1'][0]:>8.0f} {r['lat1'][1]:>6.0f} {r['lat1'][2]:>6.0f} "
                  f"{r['lat2'][0]:>8.0f} {r['lat2'][1]:>6.0f} {r['ended']:>5} "
                  f"{r['warn']:>4}/{r['err']:<3}")
        if n in bridged:
            b = bridged[n]
            print(f"{n:>4} {'bridged':<8} {b['ok']:>4}/{b['failed']:<3} {b['kefu_pct']:>6.1f} "
                  f"{b['per_call']:>6.2f} {'':>5} {'':>4} {'':>8} {'':>6} {'':>6} {'':>8} "
                  f"{'':>6} {'':>5} {b['warn']:>4}/{b['err']:<3}")
    print()
    for n, r in sorted(ivr.items()):
        lines = [f"keys: {r['keys_1']} x '1' (look-up + read-out), {r['keys_2']} x '2' "
                 f"(goodbye); lost at the caller {r['lost_caller']}, missing in ivr.choice "
                 f"{r['lost_kefu']}; all calls hung up by kefu: {'yes' if r['idle'] else 'NO'}",
                 f"calls active at the window's start/end {r['active']}; callers' media "
                 f"{r['media_pct']:.1f}% of a core, SIP agent {r['agent_pct']:.1f}%; "
                 f"media frames >10 ms late {r['late_frames']}, send errors {r['send_errors']}",
                 f"kefu's event loop thread waited for a CPU {r['run_wait']:.0f} ms per s "
                 "of the window (schedstat: the machine's load)",
                 f"warm-up call (TTS rendered): key 1 {r['warm_lat'][0]:.0f} ms, key 2 "
                 f"{r['warm_lat'][1]:.0f} ms; 'media clock stalled' in the log: {r['stalls']}; "
                 f"load average before: {r['loadavg']}"]
        if r["failed"]:
            lines.append(f"failures: {r['fail_reasons']}")
        lines += [f"log: {ln[:200]}" for ln in r["log_samples"]]
        _kefu.notes(f"ivr N={n}", lines)
    for n, b in sorted(bridged.items()):
        _kefu.notes(f"bridged N={n}", [
            f"{2 * b['ok']} legs, PCMU both ways, recorded; loss a>b "
            f"{_kefu.pct(b['lost_ab'], b['tx_ab']):.3f}% b>a {_kefu.pct(b['lost_ba'], b['tx_ba']):.3f}%; "
            f"added latency p50 {b['lat_p50']:.1f} p99 {b['lat_p99']:.1f} ms; generator "
            f"{b['gen_cpu']:.1f}%; load average before: {b['loadavg']}"])
    for n in sorted(set(ivr) & set(bridged)):
        print(f"N={n}: an IVR caller costs {ivr[n]['per_call']:.2f}% of a core, a bridged "
              f"call {bridged[n]['per_call']:.2f}% "
              f"({ivr[n]['per_call'] / bridged[n]['per_call']:.2f}x)")


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    pbx_calls.add_case_arguments(ap, "50,200", "new calls per second at set-up")
    ap.set_defaults(seconds=20.0, cps=50.0)
    ap.add_argument("--quiet", type=float, default=0.8,
                    help="silence (s) after which a caller takes the prompt as ended and keys")
    ap.add_argument("--only", choices=("ivr", "bridged"), help="run one of the two cases")
    ap.add_argument("--keep", action="store_true", help="keep the data directories and logs")
    args = ap.parse_args()
    ns = pbx_calls.call_counts(ap, args)

    ivr: dict[int, dict] = {}
    bridged: dict[int, dict] = {}
    status = 0
    with _kefu.scratch("kefu-ivr-bench-", args.keep) as root:
        try:
            for n in ns:
                if args.only != "bridged":
                    row = _kefu.run_case(f"ivr N={n}", IvrCase(n, args, root), log_tail=True)
                    status |= row is None
                    if row:
                        ivr[n] = row
                if args.only != "ivr":
                    row = _kefu.run_case(f"bridged N={n}", pbx_calls.Case(n, args, root),
                                         log_tail=True)
                    status |= row is None
                    if row:
                        bridged[n] = row
        except KeyboardInterrupt:
            status = 130
            print("interrupted", file=sys.stderr)
    if ivr or bridged:
        report(ivr, bridged, args)
    return status


if __name__ == "__main__":
    sys.exit(main())
