"""What the IVR's end-to-end tests share: their skip marks, uploading a prompt through the
API (publishing a flow is ``conftest.publish_flow``), waiting for a call to reach a node,
and the TTS rendering kefu played for a text (to compare with what the phone heard)."""

from __future__ import annotations

import json
import os
import shutil
import urllib.error
import urllib.request
import uuid
from pathlib import Path

import pytest

from kefu.ivr.tts import VOICES, EspeakNg, TtsCache

from .conftest import KefuServer, add_user, publish_flow, start_kefu, stop_kefu, wait_for

MARKS = [pytest.mark.e2e,
         pytest.mark.skipif(shutil.which("baresip") is None and not os.environ.get("CI"),
                            reason="baresip not installed"),
         pytest.mark.skipif(shutil.which("espeak-ng") is None and not os.environ.get("CI"),
                            reason="espeak-ng not installed")]
"""``pytestmark`` of a module whose phones call flows (kefu speaks with espeak-ng)."""

AGENT_PW = "agent-password-1"


def serve_flow(tmp, config: str, flow: dict):
    """kefu with ``config`` and ``flow`` published, agent alice (1001) and extension 2001
    for a caller; stopped at the end, with no traceback in its log."""
    server = start_kefu(tmp, extra=config)
    add_user(server, "alice", AGENT_PW, extensions=["1001"])
    status, body = server.api("POST", "/extensions", {"number": "2001",
                                                      "password": "pw-2001-secret"})
    assert status == 201, body
    publish_flow(server, flow)
    yield server
    log = stop_kefu(server)
    assert "Traceback" not in log, log


def upload_prompt(server: KefuServer, name: str, language: str, wav: Path) -> dict:
    """``POST /ivr/prompts`` (multipart, as the prompts page sends it)."""
    boundary = uuid.uuid4().hex
    parts = [f'--{boundary}\r\nContent-Disposition: form-data; name="{k}"\r\n\r\n{v}\r\n'.encode()
             for k, v in (("name", name), ("language", language))]
    parts.append(f'--{boundary}\r\nContent-Disposition: form-data; name="file"; '
                 f'filename="{wav.name}"\r\nContent-Type: audio/wav\r\n\r\n'.encode()
                 + wav.read_bytes() + f"\r\n--{boundary}--\r\n".encode())
    req = urllib.request.Request(
        f"http://127.0.0.1:{server.http_port}/api/v1/ivr/prompts", data=b"".join(parts),
        method="POST", headers={"Content-Type": f"multipart/form-data; boundary={boundary}",
                                "Authorization": f"Bearer {server.token}"})
    try:
        with urllib.request.urlopen(req, timeout=30) as r:
            assert r.status == 201
            return json.loads(r.read())
    except urllib.error.HTTPError as e:
        raise AssertionError(f"upload {name}: {e.code} {e.read()!r}") from None


def at_node(server: KefuServer, since: float, node: str, n: int = 1,
            timeout: float = 20) -> list[tuple[str, str | None, dict]]:
    """Wait until ``n`` calls (or visits) entered ``node`` since ``since``: those events."""
    return wait_for(lambda: (lambda found: found if len(found) >= n else None)(
        [e for e in server.events(since, "ivr.node") if e[2]["node"] == node]),
        timeout=timeout, what=f"node {node}")


def rendering(server: KefuServer, text: str, lang: str) -> Path:
    """The WAV kefu's TTS cache holds for ``text`` in ``lang`` (what it played)."""
    path = TtsCache(EspeakNg(), server.data_dir / "tts").path(text, VOICES[lang])
    assert path.exists(), f"kefu never rendered {text!r} in {lang}"
    return path
