"""Helpers the ivr slice's tests share: flow texts and a WAV maker."""

from __future__ import annotations

import io
import wave
from pathlib import Path

import numpy as np

HOTLINE = (Path(__file__).parent / "flows" / "hotline.yaml").read_text(encoding="utf-8")


def simple(name: str = "main", say: str = "您好", extra: str = "") -> str:
    return (f"name: {name}\nstart: hello\nnodes:\n"
            f"  hello: {{type: play, prompt: {say}, next: bye}}\n"
            f"  bye: {{type: hangup}}\n{extra}")


PIN_CHECK = """\
name: pin_check
start: ask
nodes:
  ask: {type: collect, prompt: 请输入密码, into: pin, min_digits: 4, max_digits: 6, next: done}
  done: {type: set, values: {pin_ok: "1"}, next: back}
  back: {type: return}
"""


def wav(rate: int = 44100, channels: int = 2, seconds: float = 1.5) -> bytes:
    t = np.arange(int(rate * seconds)) / rate
    pcm = (np.sin(2 * np.pi * 440 * t) * 8000).astype("<i2")
    out = io.BytesIO()
    with wave.open(out, "wb") as w:
        w.setnchannels(channels)
        w.setsampwidth(2)
        w.setframerate(rate)
        w.writeframes(np.repeat(pcm, channels).tobytes())
    return out.getvalue()
