#!/usr/bin/env python
"""Benchmark the media mixer: N bridged and recorded call pairs on loopback.

For each N, the engine (this process, uvloop) opens 2N legs, bridges them in pairs
and records every pair to a stereo WAV.  A generator in another process plays a
PCMU stream into every leg (2N streams, 50 packets/s each, send times spread evenly
over the 20 ms period like independent phones) and receives what the engine sends
back.  Each generated payload carries a stamp (stream id, send time) encoded in
µ-law codes that survive decode -> mix -> encode unchanged, so a packet leaving
leg B can be matched to the packet that entered leg A.

Reported per N:
  cpu%      engine process CPU (all its threads) over the measuring window
  gen%      generator process CPU (it shares the 2-core machine)
  in/out    packets per second into / out of the engine
  lost_in   inbound loss seen by the engine (RFC 3550 expected - received)
  lost_out  gaps in the engine's outgoing sequence numbers seen by the generator
  late      packets the engine's jitter buffers dropped as too late
  concealed frames the engine had to conceal
  p50/p99   added latency, ms: generator send time -> kernel receive timestamp of the
            same audio leaving the bridged leg (fast path: receive -> relay, whatever
            the tick or the OS delays it by; --mixed: tick wait + jitter buffer + processing)
  tick      mean / max duration of the 20 ms tick, ms

The machine's load average is printed: other processes competing for the two cores
show up as latency outliers and outgoing loss (the generator's socket overflows
when it is starved), so compare runs made under the same load.

Usage: python bench/media_mixer.py [--pairs 25 50 100 200] [--seconds 10] [--profile] [--mixed]
"""

from __future__ import annotations

import argparse
import asyncio
import cProfile
import multiprocessing as mp
import os
import pstats
import select
import socket
import struct
import sys
import tempfile
import time
from pathlib import Path

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "src"))
sys.path.insert(0, str(Path(__file__).resolve().parent))

from _rtpsock import HOST, SeqGaps, open_rtp_socket, rx_time_ns  # noqa: E402
from kefu.media import MediaEngine  # noqa: E402
from kefu.media.codecs import ulaw_encode  # noqa: E402
PTIME = 0.02
_HDR = struct.Struct("!BBHII")
_ENC = bytes.maketrans(b"0123456789abcdef", bytes(range(0x20, 0x30)))
_DEC = bytes.maketrans(bytes(range(0x20, 0x30)), b"0123456789abcdef")
_STAMP_LEN = 18


def _stamp(stream: int, us: int) -> bytes:
    us &= 0xFFFFFFFFFFFF
    chk = (stream + us * 31) % 4093
    return f"{stream:03x}{us:012x}{chk:03x}".encode().translate(_ENC)


def _unstamp(payload: bytes) -> tuple[int, int] | None:
    try:
        s = payload[:_STAMP_LEN].translate(_DEC).decode()
        stream, us, chk = int(s[:3], 16), int(s[3:15], 16), int(s[15:], 16)
    except ValueError:
        return None
    if chk != (stream + us * 31) % 4093:
        return None
    return stream, us


def generator(conn, ports: list[int], seconds: float) -> None:
    """Child process: send 2N paced PCMU streams, receive the engine's output."""
    sock, kernel_ts = open_rtp_socket()
    conn.send(sock.getsockname()[1])

    t = np.arange(50 * 160) / 8000.0
    tone = ulaw_encode((6000 * np.sin(2 * np.pi * 440 * t)).astype(np.int16))
    bodies = [tone[i * 160 + _STAMP_LEN : (i + 1) * 160] for i in range(50)]
    m = len(ports)
    addrs = [(HOST, p) for p in ports]
    seqs = [0] * m
    spacing = PTIME / m
    lat_us: list[int] = []
    out_seq = SeqGaps()  # what the engine sent back
    counts = {"sent": 0, "received": 0, "unstamped": 0}
    anc = socket.CMSG_SPACE(16)

    def drain(limit: int) -> None:
        for _ in range(limit):
            try:
                data, ancdata, _flags, _addr = sock.recvmsg(2048, anc)
            except BlockingIOError:
                return
            rx_ns = rx_time_ns(ancdata)
            counts["received"] += 1
            out_seq.add(data)
            stamp = _unstamp(data[12:])
            if stamp is None:
                counts["unstamped"] += 1
            else:
                lat_us.append((rx_ns // 1000 & 0xFFFFFFFFFFFF) - stamp[1])

    conn.recv()  # "go"
    cpu0 = time.process_time()
    t0 = time.monotonic()
    end = t0 + seconds
    slot = 0
    while True:
        now = time.monotonic()
        if now >= end:
            break
        while True:
            frame, stream = divmod(slot, m)
            due = t0 + frame * PTIME + stream * spacing
            if due > now:
                break
            payload = _stamp(stream, time.time_ns() // 1000) + bodies[frame % 50]
            seq = seqs[stream]
            seqs[stream] = (seq + 1) & 0xFFFF
            pkt = _HDR.pack(0x80, 0x80 if frame == 0 else 0, seq, (frame * 160) & 0xFFFFFFFF,
                            0x5000 + stream) + payload
            try:
                sock.sendto(pkt, addrs[stream])
                counts["sent"] += 1
            except BlockingIOError:
                pass
            slot += 1
        timeout = due - time.monotonic()
        if timeout > 0:
            select.select([sock], [], [], timeout)
        drain(256)
    settle = time.monotonic() + 0.3
    while time.monotonic() < settle:
        select.select([sock], [], [], 0.01)
        drain(10_000)
    gen_cpu = time.process_time() - cpu0
    lost_out = out_seq.missing()
    lat = np.array(lat_us, dtype=np.float64) / 1000.0
    conn.send({
        **counts,
        "lost_out": lost_out,
        "gen_cpu": gen_cpu / seconds * 100,
        "lat_p50": float(np.percentile(lat, 50)) if lat.size else float("nan"),
        "lat_p99": float(np.percentile(lat, 99)) if lat.size else float("nan"),
        "lat_max": float(lat.max()) if lat.size else float("nan"),
        "lat_n": int(lat.size),
        "kernel_ts": kernel_ts,
    })
    sock.close()


async def run_case(pairs: int, seconds: float, port_base: int, workdir: Path, profile: bool = False,
                   fast_path: bool = True) -> dict:
    loop = asyncio.get_running_loop()
    eng = MediaEngine(HOST, port_base, port_base + 4 * pairs + 200, fast_path=fast_path)
    await eng.start()
    legs = [await eng.open_leg(f"p{i // 2}{'ab'[i % 2]}") for i in range(2 * pairs)]
    ctx = mp.get_context("spawn")
    parent, child = ctx.Pipe()
    proc = ctx.Process(target=generator, args=(child, [leg.local_port for leg in legs], seconds), daemon=True)
    proc.start()
    gen_port = await loop.run_in_executor(None, parent.recv)
    for leg in legs:
        leg.configure(HOST, gen_port, "PCMU", 0, 101)
    recs = []
    for i in range(pairs):
        a, b = legs[2 * i], legs[2 * i + 1]
        eng.bridge(a, b)
        recs.append(eng.record(workdir / f"pair{i:03d}.wav", [a], [b]))
    await asyncio.sleep(0.5)
    s0 = eng.stats
    tick_t0, ticks0 = eng._tick_time, eng.ticks
    eng._tick_max = 0.0
    prof = cProfile.Profile() if profile else None
    parent.send("go")
    cpu0, wall0 = time.process_time(), time.monotonic()
    if prof is not None:
        prof.enable()
    await asyncio.sleep(seconds)
    if prof is not None:
        prof.disable()
    cpu1, wall1 = time.process_time(), time.monotonic()
    if prof is not None:
        print(f"\n--- cProfile, N={pairs} (the profiler itself inflates cpu%) ---", file=sys.stderr)
        pstats.Stats(prof, stream=sys.stderr).sort_stats("tottime").print_stats(18)
    s1 = eng.stats
    tick_avg = (eng._tick_time - tick_t0) / max(1, eng.ticks - ticks0) * 1000
    tick_max = eng._tick_max * 1000
    gen = await loop.run_in_executor(None, parent.recv)
    proc.join(5)
    for rec in recs:
        await rec.close()
    await eng.stop()
    for f in workdir.glob("pair*.wav"):
        f.unlink()
    d = {k: s1[k] - s0[k] for k in ("packets_in", "packets_out", "packets_lost", "late", "concealed",
                                     "late_ticks", "skipped_ticks", "tick_errors")}
    return {
        "pairs": pairs,
        "cpu": (cpu1 - cpu0) / (wall1 - wall0) * 100,
        "in_pps": d["packets_in"] / (wall1 - wall0),
        "out_pps": d["packets_out"] / (wall1 - wall0),
        "lost_in": d["packets_lost"],
        "late": d["late"],
        "concealed": d["concealed"],
        "late_ticks": d["late_ticks"],
        "skipped": d["skipped_ticks"],
        "tick_avg": tick_avg,
        "tick_max": tick_max,
        **gen,
    }


async def main(args: argparse.Namespace) -> None:
    rows = []
    with tempfile.TemporaryDirectory(prefix="kefu-bench-") as tmp:
        for n in args.pairs:
            r = await run_case(n, args.seconds, args.port_base, Path(tmp), args.profile, not args.mixed)
            rows.append(r)
            print(f"  N={n}: done ({r['received']} packets back, {r['unstamped']} unstamped)", file=sys.stderr)
    head = (f"{'pairs':>5} {'legs':>5} {'cpu%':>6} {'gen%':>6} {'in/s':>7} {'out/s':>7} {'lost_in':>7} "
            f"{'lost_out':>8} {'late':>5} {'concl':>6} {'p50ms':>6} {'p99ms':>6} {'maxms':>6} {'tick ms avg/max':>16}")
    print(f"\nkefu media mixer bench: {args.seconds:g} s per case, PCMU, bridged + recorded, uvloop, "
          f"{'mixed path only' if args.mixed else 'fast path'}, {os.cpu_count()} CPUs, load average "
          f"{os.getloadavg()[0]:.2f} at the end, latency from "
          f"{'kernel' if rows and rows[0]['kernel_ts'] else 'user'} rx timestamps")
    print(head)
    print("-" * len(head))
    for r in rows:
        print(f"{r['pairs']:>5} {2 * r['pairs']:>5} {r['cpu']:>6.1f} {r['gen_cpu']:>6.1f} {r['in_pps']:>7.0f} "
              f"{r['out_pps']:>7.0f} {r['lost_in']:>7} {r['lost_out']:>8} {r['late']:>5} {r['concealed']:>6} "
              f"{r['lat_p50']:>6.1f} {r['lat_p99']:>6.1f} {r['lat_max']:>6.1f} "
              f"{r['tick_avg']:>7.2f}/{r['tick_max']:<8.2f}")


if __name__ == "__main__":
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--pairs", type=int, nargs="+", default=[25, 50, 100, 200])
    ap.add_argument("--seconds", type=float, default=10.0)
    ap.add_argument("--port-base", type=int, default=30000)
    ap.add_argument("--profile", action="store_true", help="cProfile the engine, print the top functions")
    ap.add_argument("--mixed", action="store_true", help="no fast path: every packet waits for the 20 ms tick")
    import uvloop

    uvloop.run(main(ap.parse_args()))
