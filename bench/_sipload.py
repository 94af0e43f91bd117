"""Load generator processes for ``bench/pbx_calls.py``: SIP phones (sippy) and RTP streams.

Two child processes, both started with ``multiprocessing`` (spawn) and driven over a pipe:

``sip_agent``   one SIP UDP socket on 127.0.0.1 that plays 2N phones: it REGISTERs the N
                callee extensions (digest auth), places the N calls from the caller
                extensions (sippy's UA answers the 401 challenge itself), auto-answers the
                INVITEs kefu sends to the callees, and reports kefu's RTP port for both
                legs of every call.  sippy's ``ED2`` dispatcher runs in the main thread;
                a reader thread hands pipe messages to it with ``ED2.callFromThread``.

``rtp_generator`` one UDP socket for all 2N streams (kefu tells them apart by its own leg
                ports): 20 ms PCMU frames, send times spread evenly over the 20 ms period
                like independent phones.  Every frame starts with a stamp (stream, frame
                number) in µ-law codes that survive kefu's decode -> bridge -> encode
                unchanged; the rest is near silence, except every 10th frame, which is a
                full-scale square wave (a *marker*).  The receiver finds markers by
                energy after µ-law decoding and takes latency = kernel receive time -
                send time of that marker on the peer stream.  Loss = frames sent inside
                the measuring window whose stamp never reached the peer.
"""

from __future__ import annotations

import re
import select
import socket
import struct
import threading
import time
from functools import partial

import numpy as np

from _rtpsock import HOST, SeqGaps, open_rtp_socket, rx_time_ns  # bench/ is on sys.path
PTIME = 0.02
MARK_EVERY = 10              # one loud marker frame every 200 ms
_HDR = struct.Struct("!BBHII")

# stamp: 10 µ-law codes 0x20..0x2F (one hex digit each): stream (3), frame (5), check (2)
_ENC = bytes.maketrans(b"0123456789abcdef", bytes(range(0x20, 0x30)))
_DEC = bytes.maketrans(bytes(range(0x20, 0x30)), b"0123456789abcdef")
STAMP_LEN = 10
BODY_LEN = 160 - STAMP_LEN


def _chk(stream: int, frame: int) -> int:
    return (stream * 7 + frame * 31 + 0x5A) % 251


def stamp(stream: int, frame: int) -> bytes:
    return f"{stream:03x}{frame:05x}{_chk(stream, frame):02x}".encode().translate(_ENC)


def unstamp(payload: bytes) -> tuple[int, int] | None:
    try:
        s = payload[:STAMP_LEN].translate(_DEC).decode()
        stream, frame, chk = int(s[:3], 16), int(s[3:8], 16), int(s[8:], 16)
    except ValueError:
        return None
    return (stream, frame) if chk == _chk(stream, frame) else None


def ulaw_table() -> np.ndarray:
    """G.711 µ-law code -> linear sample (int32), the standard expansion."""
    u = ~np.arange(256, dtype=np.int32) & 0xFF
    mag = (((u & 0x0F) << 3) + 0x84 << ((u >> 4) & 7)) - 0x84
    return np.where(u & 0x80, -mag, mag).astype(np.int32)


def sdp(port: int, sess: int) -> str:
    return ("v=0\r\n"
            f"o=bench {sess} 1 IN IP4 {HOST}\r\n"
            "s=kefu-bench\r\n"
            f"c=IN IP4 {HOST}\r\n"
            "t=0 0\r\n"
            f"m=audio {port} RTP/AVP 0 101\r\n"
            "a=rtpmap:0 PCMU/8000\r\n"
            "a=rtpmap:101 telephone-event/8000\r\n"
            "a=fmtp:101 0-15\r\n"
            "a=ptime:20\r\n"
            "a=sendrecv\r\n")


def sdp_port(body) -> int | None:
    m = re.search(r"^m=audio (\d+) ", str(body or ""), re.M)
    return int(m.group(1)) if m else None


def free_udp_tcp_port() -> int:
    """A port free on both UDP and TCP of 127.0.0.1 (kefu listens on both for SIP)."""
    for _ in range(50):
        u = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
        u.bind((HOST, 0))
        port = u.getsockname()[1]
        t = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
        try:
            t.bind((HOST, port))
        except OSError:
            continue
        finally:
            t.close()
            u.close()
        return port
    raise RuntimeError("no free port")


# ---------------------------------------------------------------------------- SIP agent
def quiet_logger():  # type: ignore[no-untyped-def]
    """A sippy message logger that writes nothing (sippy is imported here, in the child
    process that runs it)."""
    from sippy.SipLogger import SipLogger

    class Quiet(SipLogger):
        def __init__(self) -> None:
            pass

        def write(self, *args, **kwargs) -> None:
            pass

        def shutdown(self) -> None:
            pass

    return Quiet()


def sip_agent(conn, kefu_port: int, callers: list[str], callees: list[str],
              passwords: dict[str, str], rtp_port: int, hosted: bool = False) -> None:
    """Child process: the 2N SIP phones.  Messages: see ``bench/pbx_calls.py``.
    ``hosted``: kefu answers the calls itself (a flow: ``bench/ivr_calls.py``), so there
    is no callee leg and the callees are not registered."""
    try:
        _sip_agent(conn, kefu_port, callers, callees, passwords, rtp_port, hosted)
    except KeyboardInterrupt:
        pass


def _sip_agent(conn, kefu_port, callers, callees, passwords, rtp_port, hosted) -> None:
    from sippy.CCEvents import CCEventConnect, CCEventDisconnect, CCEventFail, CCEventTry
    from sippy.Core.EventDispatcher import ED2
    from sippy.MsgBody import MsgBody
    from sippy.SipConf import SipConf
    from sippy.SipRegistrationAgent import SipRegistrationAgent
    from sippy.SipTransactionManager import SipTransactionManager
    from sippy.SipURL import SipURL
    from sippy.Time.Timeout import Timeout
    from sippy.UA import UA

    my_port = free_udp_tcp_port()
    SipConf.my_address = HOST
    SipConf.my_port = my_port
    SipConf.my_uaname = "kefu-bench"
    gc: dict = {"_sip_address": HOST, "_sip_port": my_port, "_sip_logger": quiet_logger()}
    n = len(callers)
    callee_idx = {c: i for i, c in enumerate(callees)}
    st = {
        "reg_ok": set(), "reg_fail": {}, "reg_sent": False,
        "setup_t0": [None] * n, "setup_ms": [None] * n, "fail": [None] * n,
        "a_port": [None] * n, "b_port": [None] * n,
        "caller_ua": [None] * n, "callee_ua": [None] * n,
        "hanging_up": False, "drops": [],
    }

    def send(msg) -> None:
        conn.send(msg)

    # --- callee side: kefu's INVITEs ------------------------------------------------------
    def on_request(req, sip_t):
        method = req.getMethod()
        if method != "INVITE":
            return (req.genResponse(405 if method != "OPTIONS" else 200, "Not Here"), None, None)
        user = req.getRURI().username
        i = callee_idx.get(user)
        if i is None:
            return (req.genResponse(404, "Not Found"), None, None)
        ua = UA(gc, event_cb=partial(callee_event, i))
        st["callee_ua"][i] = ua
        return ua.recvRequest(req, sip_t)

    def callee_event(i, event, ua) -> None:
        if isinstance(event, CCEventTry):
            st["b_port"][i] = sdp_port(event.getData()[3])
            answer = MsgBody(sdp(rtp_port, 20000 + i))
            Timeout(lambda: ua.recvEvent(CCEventConnect((200, "OK", answer), origin="bench")), 0)
        elif isinstance(event, (CCEventDisconnect, CCEventFail)) and not st["hanging_up"]:
            st["drops"].append(("callee", i, time.monotonic(), type(event).__name__))

    # --- caller side ------------------------------------------------------------------------
    def caller_event(i, event, ua) -> None:
        if isinstance(event, CCEventConnect):
            code, _reason, body = event.getData()
            if st["setup_ms"][i] is None:
                st["setup_ms"][i] = (time.monotonic() - st["setup_t0"][i]) * 1000
                st["a_port"][i] = sdp_port(body)
                check_calls()
        elif isinstance(event, CCEventFail):
            if st["setup_ms"][i] is None and st["fail"][i] is None:
                st["fail"][i] = f"{event.getData()[0]} {event.getData()[1]}"
                check_calls()
            elif not st["hanging_up"]:
                st["drops"].append(("caller", i, time.monotonic(), "fail"))
        elif isinstance(event, CCEventDisconnect):
            if st["setup_ms"][i] is None and st["fail"][i] is None:
                st["fail"][i] = "disconnect"
                check_calls()
            elif not st["hanging_up"]:
                st["drops"].append(("caller", i, time.monotonic(), "bye"))

    calls_reported = [False]

    def check_calls(final: bool = False) -> None:
        if calls_reported[0]:
            return
        done = sum(1 for i in range(n) if st["setup_ms"][i] is not None or st["fail"][i] is not None)
        if done < n and not final:
            return
        calls_reported[0] = True
        starts = [t for t in st["setup_t0"] if t is not None]
        ends = [st["setup_t0"][i] + st["setup_ms"][i] / 1000 for i in range(n)
                if st["setup_ms"][i] is not None]
        send(("calls", {
            "calls": [{"ok": bool(st["setup_ms"][i] is not None and st["a_port"][i]
                                  and (hosted or st["b_port"][i])),
                       "setup_ms": st["setup_ms"][i], "fail": st["fail"][i] or
                       (None if st["setup_ms"][i] is not None else "no answer yet"),
                       "a_port": st["a_port"][i], "b_port": st["b_port"][i]} for i in range(n)],
            "setup_total": (max(ends) - min(starts)) if ends and starts else None,
        }))

    def dial(i: int, cps: float) -> None:
        caller, callee = callers[i], callees[i]
        ua = UA(gc, event_cb=partial(caller_event, i), username=caller,
                password=passwords[caller], nh_address=(HOST, kefu_port))
        st["caller_ua"][i] = ua
        st["setup_t0"][i] = time.monotonic()
        ua.recvEvent(CCEventTry((None, caller, callee, MsgBody(sdp(rtp_port, 10000 + i)), None,
                                 f"Bench {caller}"), origin="bench"))
        if i + 1 < n:
            Timeout(dial, 1.0 / cps, 1, i + 1, cps)

    # --- registration -----------------------------------------------------------------------
    agents = []

    def reg_ok(_etime, _contact, ext) -> None:
        st["reg_ok"].add(ext)
        st["reg_fail"].pop(ext, None)
        check_reg()

    def reg_fail(sl, ext) -> None:
        st["reg_fail"][ext] = str(sl)
        check_reg()

    reg_reported = [False]

    def check_reg(final: bool = False) -> None:
        if reg_reported[0]:
            return
        if len(st["reg_ok"]) + len(st["reg_fail"]) < n and not final:
            return
        reg_reported[0] = True
        send(("registered", {"ok": len(st["reg_ok"]), "failed": dict(st["reg_fail"]),
                             "sip_port": my_port}))

    def register(i: int) -> None:
        ext = callees[i]
        ra = SipRegistrationAgent(gc, SipURL(username=ext, host=HOST, port=kefu_port),
                                  SipURL(username=ext, host=HOST, port=my_port), user=ext,
                                  passw=passwords[ext], exp=3600, rok_cb=reg_ok,
                                  rfail_cb=reg_fail, cb_arg=ext)
        agents.append(ra)
        ra.doregister()
        if i + 1 < n:
            Timeout(register, 0.005, 1, i + 1)

    # --- control from the parent ------------------------------------------------------------
    def handle(msg) -> None:
        kind, arg = msg
        if kind == "register":
            register(0)
            Timeout(check_reg, float(arg), 1, True)
        elif kind == "dial":
            cps, timeout = arg
            dial(0, cps)
            Timeout(check_calls, n / cps + timeout, 1, True)
        elif kind == "hangup":
            st["hanging_up"] = True
            for ua in st["caller_ua"]:
                if ua is not None and ua.state is not None and not ua.state.dead:
                    ua.recvEvent(CCEventDisconnect(origin="bench"))
            send(("hungup", {"drops": st["drops"]}))
        elif kind == "quit":
            for ra in agents:
                ra.stopregister()
            ED2.breakLoop()

    def reader() -> None:
        while True:
            try:
                msg = conn.recv()
            except (EOFError, OSError):
                msg = ("quit", None)
            ED2.callFromThread(handle, msg)
            if msg[0] == "quit":
                return

    tm = SipTransactionManager(gc, on_request)
    gc["_sip_tm"] = tm
    threading.Thread(target=reader, daemon=True).start()
    send(("ready", my_port))
    ED2.loop()


# ---------------------------------------------------------------------------- RTP streams
def rtp_generator(conn, seconds: float, edge: float) -> None:
    """Child process: 2N PCMU streams on one socket.  Messages: see ``bench/pbx_calls.py``."""
    try:
        _rtp_generator(conn, seconds, edge)
    except KeyboardInterrupt:
        pass


def _rtp_generator(conn, seconds: float, edge: float) -> None:
    sock, kernel_ts = open_rtp_socket()
    conn.send(("port", sock.getsockname()[1]))

    kind, ports = conn.recv()          # ("streams", [kefu port of stream s]); peer = s ^ 1
    assert kind == "streams"
    m = len(ports)
    addrs = [(HOST, p) for p in ports]
    rx_stream = {p: s for s, p in enumerate(ports)}   # kefu sends stream s's audio from port s
    total = seconds + 2 * edge
    nframes = int(round(total / PTIME))
    w0, w1 = int(round(edge / PTIME)), int(round((edge + seconds) / PTIME))  # measured frames

    rng = np.random.default_rng(7)
    quiet_codes = np.array([0xFA, 0xFB, 0xFC, 0xFD, 0xFE, 0xFF, 0x7A, 0x7B, 0x7C, 0x7D, 0x7E],
                           dtype=np.uint8)
    quiet = [rng.choice(quiet_codes, BODY_LEN).tobytes() for _ in range(MARK_EVERY)]
    loud = (bytes([0x80] * 8 + [0x00] * 8) * 10)[:BODY_LEN]    # ±32124 square wave, 500 Hz
    table = ulaw_table()
    loud_level = 8000.0                                          # mean |sample| threshold

    mark_cols = nframes // MARK_EVERY + 1
    send_ns = np.zeros((m, mark_cols), dtype=np.int64)            # marker send times
    lat_ns = np.full((m, mark_cols), -1, dtype=np.int64)          # marker latency (sender s)
    sent = np.zeros((m, nframes), dtype=bool)
    seen = np.zeros((m, nframes), dtype=bool)                      # sender s's frame reached peer
    counts = {"sent": 0, "send_errors": 0, "received": 0, "unstamped": 0, "loud": 0,
              "by_order": 0, "unmatched_loud": 0, "foreign": 0, "sent_late": 0,
              "unstamped_win": 0}
    win_ns = [0, 0]
    late_max = [0.0]                                               # generator's own pacing delay
    out_seq = SeqGaps()                                            # what kefu sent back
    anc = socket.CMSG_SPACE(16)
    running = [False]

    def drain(limit: int) -> None:
        for _ in range(limit):
            try:
                data, ancdata, _flags, addr = sock.recvmsg(2048, anc)
            except BlockingIOError:
                return
            if not running[0]:
                continue                      # kefu's silence before we start
            rx_ns = rx_time_ns(ancdata)
            r = rx_stream.get(addr[1])
            if r is None or len(data) < 12 + 160:
                counts["foreign"] += 1
                continue
            counts["received"] += 1
            out_seq.add(data)
            peer = r ^ 1
            st = unstamp(data[12:])
            if st is not None and st[0] == peer and st[1] < nframes:
                seen[peer, st[1]] = True
            elif st is None:
                counts["unstamped"] += 1
                if win_ns[0] <= rx_ns < win_ns[1]:
                    counts["unstamped_win"] += 1   # concealment (or silence) from kefu
            body = np.frombuffer(data, dtype=np.uint8, offset=12 + STAMP_LEN)
            if float(np.abs(table[body]).mean()) < loud_level:
                continue
            counts["loud"] += 1
            if st is not None and st[0] == peer and st[1] % MARK_EVERY == 0:
                k = st[1] // MARK_EVERY
            else:  # no readable stamp: the newest marker the peer had sent by then
                ks = np.nonzero((send_ns[peer] > 0) & (send_ns[peer] <= rx_ns))[0]
                if ks.size == 0 or lat_ns[peer, ks[-1]] >= 0:
                    counts["unmatched_loud"] += 1
                    continue
                k = int(ks[-1])
                counts["by_order"] += 1
            if lat_ns[peer, k] < 0 and send_ns[peer, k] > 0:
                lat_ns[peer, k] = rx_ns - send_ns[peer, k]

    # flush what kefu sent before the start (its silence to answered legs)
    drain(1_000_000)
    kind, _ = conn.recv()
    assert kind == "go"
    running[0] = True
    t0 = time.monotonic()
    now_ns = time.time_ns()
    win_ns[:] = [now_ns + int(edge * 1e9), now_ns + int((edge + seconds) * 1e9)]
    conn.send(("started", t0))
    spacing = PTIME / m
    seqs = [0] * m
    slot = 0
    cpu_mark: list[float] = []
    hdr = _HDR.pack
    while True:
        now = time.monotonic()
        if now >= t0 + total:
            break
        if len(cpu_mark) == 0 and now >= t0 + edge:
            cpu_mark.append(time.process_time())
        elif len(cpu_mark) == 1 and now >= t0 + edge + seconds:
            cpu_mark.append(time.process_time())
        while True:
            frame, s = divmod(slot, m)
            if frame >= nframes:
                due = t0 + total
                break
            due = t0 + frame * PTIME + s * spacing
            if due > now:
                break
            marker = frame % MARK_EVERY == 0
            if w0 <= frame < w1:
                late = now - due
                if late > late_max[0]:
                    late_max[0] = late
                if late > 0.010:
                    counts["sent_late"] += 1
            payload = stamp(s, frame) + (loud if marker else quiet[frame % MARK_EVERY])
            seq = seqs[s]
            seqs[s] = (seq + 1) & 0xFFFF
            pkt = hdr(0x80, 0x80 if frame == 0 else 0, seq, (frame * 160) & 0xFFFFFFFF,
                      0x6B000 + s) + payload
            t_ns = time.time_ns()
            try:
                sock.sendto(pkt, addrs[s])
                sent[s, frame] = True
                counts["sent"] += 1
                if marker:
                    send_ns[s, frame // MARK_EVERY] = t_ns
            except (BlockingIOError, OSError):
                counts["send_errors"] += 1
            slot += 1
        timeout = due - time.monotonic()
        if timeout > 0:
            select.select([sock], [], [], timeout)
        drain(512)
    if len(cpu_mark) < 2:
        cpu_mark.append(time.process_time())
    settle = time.monotonic() + 0.3
    while time.monotonic() < settle:
        select.select([sock], [], [], 0.01)
        drain(100_000)
    sock.close()

    # --- results over the measured window (frames w0..w1 of every stream) -----------------
    res: dict = {"kernel_ts": kernel_ts, **counts,
                 "gen_cpu": (cpu_mark[1] - cpu_mark[0]) / seconds * 100 if len(cpu_mark) == 2
                 else float("nan")}
    for name, parity in (("ab", 0), ("ba", 1)):      # caller streams are even, callee odd
        rows = slice(parity, m, 2)
        tx = sent[rows, w0:w1]
        got = seen[rows, w0:w1] & tx
        res[f"tx_{name}"] = int(tx.sum())
        res[f"lost_{name}"] = int(tx.sum() - got.sum())
    lost = sent[:, w0:w1] & ~seen[:, w0:w1]
    res["loss_slots"] = int(lost.any(axis=0).sum())   # distinct 20 ms slots with a loss
    res["send_late_max"] = late_max[0] * 1000
    k0, k1 = -(-w0 // MARK_EVERY), -(-w1 // MARK_EVERY)              # markers in the window
    win_sent = send_ns[:, k0:k1] > 0
    lat = lat_ns[:, k0:k1][win_sent & (lat_ns[:, k0:k1] >= 0)] / 1e6
    res["markers"] = int(win_sent.sum())
    res["markers_found"] = int(lat.size)
    res["lat_p50"] = float(np.percentile(lat, 50)) if lat.size else float("nan")
    res["lat_p99"] = float(np.percentile(lat, 99)) if lat.size else float("nan")
    res["lat_max"] = float(lat.max()) if lat.size else float("nan")
    res["kefu_seq_gaps"] = out_seq.missing()
    conn.send(("result", res))
