#!/usr/bin/env python
"""Benchmark recording: N concurrent calls recorded and the same calls unrecorded, then
the recordings compressed per codec.

1. Calls.  The media engine (this process, uvloop) opens 2N legs and bridges them in
   pairs, twice: once unrecorded, once with every pair recorded to a stereo WAV (customer
   left, agent right, as kefu records).  The generator of ``bench/media_mixer.py`` plays
   20 ms PCMU into every leg from another process.  Engine CPU (all its threads: the tick
   and the recorders' I/O thread) over the same window; the difference is what recording
   costs: decoding and mixing each call's two directions into the block (an unrecorded
   bridge relays packets without decoding them) and writing the file.
2. Compression.  Each recorded WAV is finished as kefu does on close
   (:mod:`kefu.recordings.files`): compressed (FLAC, or Opus in OGG, through libsndfile),
   then SHA-256 of the final file; ``wav`` is the hash alone.  CPU per call and per hour
   of call, and MB per hour of call.  The generator's audio is a tone (with stamps), which
   compresses better than voices, so the same figures are given for speech: espeak-ng
   reading two different texts, one per channel.

Usage: python bench/recording_calls.py [--calls 200] [--seconds 20] [--port-base 30000]
"""

from __future__ import annotations

import argparse
import asyncio
import multiprocessing as mp
import os
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import numpy as np
import soundfile as sf

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "src"))
sys.path.insert(0, str(Path(__file__).resolve().parent))

from _rtpsock import HOST  # noqa: E402
from media_mixer import generator  # noqa: E402
from kefu.media import MediaEngine  # noqa: E402
from kefu.recordings import files  # noqa: E402

CODECS = ("wav", "flac", "opus")
MB = 1e6


async def calls(n: int, seconds: float, port_base: int, workdir: Path | None) -> dict:
    """N bridged calls for ``seconds``; recorded into ``workdir`` unless it is None."""
    loop = asyncio.get_running_loop()
    eng = MediaEngine(HOST, port_base, port_base + 4 * n + 200)
    await eng.start()
    legs = [await eng.open_leg(f"c{i // 2}{'ab'[i % 2]}") for i in range(2 * n)]
    ctx = mp.get_context("spawn")
    parent, child = ctx.Pipe()
    proc = ctx.Process(target=generator, args=(child, [leg.local_port for leg in legs], seconds),
                       daemon=True)
    proc.start()
    gen_port = await loop.run_in_executor(None, parent.recv)
    for leg in legs:
        leg.configure(HOST, gen_port, "PCMU", 0, 101)
    recs = []
    for i in range(n):
        a, b = legs[2 * i], legs[2 * i + 1]
        eng.bridge(a, b)
        if workdir is not None:
            recs.append(eng.record(workdir / f"call{i:03d}.wav", [a], [b]))
    await asyncio.sleep(0.5)
    s0 = eng.stats
    parent.send("go")
    cpu0, wall0 = time.process_time(), time.monotonic()
    await asyncio.sleep(seconds)
    for rec in recs:                       # closing (the last block, the header) counts too
        await rec.close()
    cpu1, wall1 = time.process_time(), time.monotonic()
    s1 = eng.stats
    gen = await loop.run_in_executor(None, parent.recv)
    proc.join(5)
    await eng.stop()
    d = {k: s1[k] - s0[k] for k in ("packets_in", "packets_out", "packets_lost", "late",
                                     "skipped_ticks")}
    return {"cpu": (cpu1 - cpu0) / (wall1 - wall0) * 100, "wall": wall1 - wall0,
            "in_pps": d["packets_in"] / (wall1 - wall0), "lost_in": d["packets_lost"],
            "late": d["late"], "lost_out": gen["lost_out"], "gen_cpu": gen["gen_cpu"],
            "skipped": d["skipped_ticks"],
            # CPU per packet received: the generator shares the cores, when it is starved
            # fewer packets arrive and cpu% alone would flatter the busier case
            "us_per_packet": (cpu1 - cpu0) / max(1, d["packets_in"]) * 1e6,
            "audio": sum(r.duration for r in recs) / max(1, len(recs))}


def finish_all(wavs: list[Path], codec: str, out: Path) -> dict:
    """Compress and hash copies of ``wavs`` as kefu does on close; CPU and bytes."""
    out.mkdir()
    copies = []
    for wav in wavs:
        copies.append(out / wav.name)
        shutil.copyfile(wav, copies[-1])
    seconds = sum(files.duration_of(w) for w in copies)
    size = 0
    cpu0 = time.process_time()
    for wav in copies:
        final = files.compress(wav, codec)
        files.sha256_of(final)
        if final != wav:
            files.unlink(wav)
        size += final.stat().st_size
    cpu = time.process_time() - cpu0
    shutil.rmtree(out)
    return {"cpu_per_call": cpu / len(copies), "cpu_per_hour": cpu / seconds * 3600,
            "mb_per_hour": size / seconds * 3600 / MB}


def speech_wav(path: Path, seconds: float) -> Path | None:
    """Two voices (espeak-ng), left and right, 8 kHz 16-bit, ``seconds`` long; None
    without espeak-ng."""
    if shutil.which("espeak-ng") is None:
        return None
    texts = ("Thank you for calling. I am calling about my last bill, it is much higher than "
             "usual and I would like to know why. My account number is one two three four.",
             "Let me check that for you. I can see a roaming charge from last month. I will "
             "remove it and send you a new bill by email within two working days.")
    channels = []
    for i, text in enumerate(texts):
        raw = path.with_name(f"voice{i}.wav")
        subprocess.run(["espeak-ng", "-v", "en", "-s", "150", "-w", str(raw), text], check=True)
        voice, rate = sf.read(raw, dtype="float64")
        t = np.arange(int(len(voice) / rate * 8000)) / 8000
        voice = np.interp(t, np.arange(len(voice)) / rate, voice)
        reps = int(np.ceil(seconds * 8000 / len(voice)))
        channels.append(np.tile(voice, reps)[: int(seconds * 8000)])
    sf.write(path, (np.stack(channels, axis=1) * 20000).astype(np.int16), 8000,
             subtype="PCM_16")
    return path


async def main(args: argparse.Namespace) -> None:
    n = args.calls
    with tempfile.TemporaryDirectory(prefix="kefu-bench-rec-") as tmp:
        root = Path(tmp)
        (root / "rec").mkdir()
        print(f"  {n} calls unrecorded, {args.seconds:g} s ...", file=sys.stderr)
        plain = await calls(n, args.seconds, args.port_base, None)
        print(f"  {n} calls recorded, {args.seconds:g} s ...", file=sys.stderr)
        recorded = await calls(n, args.seconds, args.port_base, root / "rec")
        wavs = sorted((root / "rec").glob("*.wav"))
        rows = {}
        for codec in CODECS:
            print(f"  finishing {len(wavs)} recordings as {codec} ...", file=sys.stderr)
            rows[codec] = finish_all(wavs, codec, root / codec)
        speech = speech_wav(root / "speech.wav", 600.0)
        voices = {c: finish_all([speech], c, root / f"s-{c}") for c in CODECS} if speech else {}

    print(f"\nkefu recording bench: {n} concurrent calls (bridged pairs, PCMU), "
          f"{args.seconds:g} s, {os.cpu_count()} CPUs, load average {os.getloadavg()[0]:.2f}")
    head = (f"{'calls':<12} {'cpu%':>6} {'cpu%/call':>10} {'µs/packet':>10} {'in/s':>7} "
            f"{'lost_in':>7} {'late':>5} {'lost_out':>8} {'skipped':>7} {'gen%':>5} {'audio s':>7}")
    print(head + "\n" + "-" * len(head))
    for name, r in (("unrecorded", plain), ("recorded", recorded)):
        print(f"{name:<12} {r['cpu']:>6.1f} {r['cpu'] / n:>10.3f} {r['us_per_packet']:>10.1f} "
              f"{r['in_pps']:>7.0f} {r['lost_in']:>7} {r['late']:>5} {r['lost_out']:>8} "
              f"{r['skipped']:>7} {r['gen_cpu']:>5.1f} {r['audio']:>7.1f}")
    extra = (recorded["cpu"] - plain["cpu"]) / n
    full_pps = 2 * n * 50                   # every leg's 50 packets a second
    per_packet = (recorded["us_per_packet"] - plain["us_per_packet"]) * full_pps / n / 1e4
    print(f"recording costs {extra:.3f}% of one core per call by cpu% "
          f"({extra / 100 * 3600:.1f} CPU s per hour of call); by CPU per packet received, "
          f"{per_packet:.3f}% ({per_packet / 100 * 3600:.1f} CPU s per hour of call)\n")
    head = (f"{'codec':<6} {'finish CPU ms/call':>19} {'CPU s/call-hour':>16} "
            f"{'MB/hour/call':>13} {'speech MB/h':>12} {'speech CPU s/h':>15}")
    print(f"finishing on close (compress + SHA-256; wav: SHA-256 only), {args.seconds:g} s "
          "calls; speech: espeak-ng, two voices, 10 min")
    print(head + "\n" + "-" * len(head))
    for codec in CODECS:
        r, v = rows[codec], voices.get(codec)
        print(f"{codec:<6} {r['cpu_per_call'] * 1000:>19.1f} {r['cpu_per_hour']:>16.2f} "
              f"{r['mb_per_hour']:>13.2f} "
              f"{v['mb_per_hour'] if v else float('nan'):>12.2f} "
              f"{v['cpu_per_hour'] if v else float('nan'):>15.2f}")


if __name__ == "__main__":
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--calls", type=int, default=200)
    ap.add_argument("--seconds", type=float, default=20.0)
    ap.add_argument("--port-base", type=int, default=30000)
    import uvloop

    uvloop.run(main(ap.parse_args()))
