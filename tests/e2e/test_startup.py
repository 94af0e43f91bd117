"""Start-up of a real ``kefu serve``: nothing may block the media clock once it runs.

Whatever Python imports lazily on the asyncio loop (uvicorn's protocol modules when it
loads its config, anyio's event-loop backend on the first call to a worker thread, ...)
blocks the loop for as long as reading and compiling those files takes: milliseconds
with a warm disk cache, hundreds with a cold one or a busy machine, which the media clock
logs as "media clock stalled: skipped N ticks".  To make that deterministic the server
runs here with an import hook (a ``sitecustomize`` on its PYTHONPATH) that delays every
import made on the loop's thread while the media clock's task exists by
``SLOW_IMPORT_MS``, as a slow disk would.  Imports before the clock starts, and on
worker threads, are not delayed: they cannot stall it.
"""

from __future__ import annotations

import os
import time

import pytest

from .conftest import start_kefu, stop_kefu

pytestmark = pytest.mark.e2e

SLOW_IMPORT_MS = 20
FIRST_REQUESTS = ("/health", "/recordings", "/tickets", "/customers?q=1", "/kb/search?q=x",
                  "/reports", "/ivr/flows", "/qa/scorecards", "/followups", "/calls")

HOOK = '''\
"""Test hook (tests/e2e/test_startup.py): imports on the loop are slow once the media
clock runs."""
import asyncio
import sys
import time

DELAY = {delay} / 1000


class _SlowOnTheLoop:
    def find_spec(self, name, path=None, target=None):
        try:
            tasks = asyncio.all_tasks()
        except RuntimeError:                # not on a thread running an event loop
            return None
        if any(t.get_name() == "kefu-media-clock" for t in tasks):
            sys.stderr.write("slow import on the loop: %s\\n" % name)
            time.sleep(DELAY)
        return None


sys.meta_path.insert(0, _SlowOnTheLoop())
sys.stderr.write("slow import hook installed\\n")
'''


def test_nothing_blocks_the_media_clock_after_start(tmp_path):
    hook = tmp_path / "hook"
    hook.mkdir()
    (hook / "sitecustomize.py").write_text(HOOK.format(delay=SLOW_IMPORT_MS))
    path = os.pathsep.join(p for p in (str(hook), os.environ.get("PYTHONPATH", "")) if p)
    server = start_kefu(tmp_path / "kefu", PYTHONPATH=path)   # ready, and logged in
    try:
        # the API's first requests (FastAPI builds a router's routes at its first request
        # unless app.warm_routes did), then quiet seconds
        for path in FIRST_REQUESTS:
            status, _ = server.api("GET", path)
            assert status < 500, path
        time.sleep(2.0)
    finally:
        stop_kefu(server)
    log = server.log_path.read_text(errors="replace")
    assert "slow import hook installed" in log
    stalls = [line for line in log.splitlines() if "media clock stalled" in line]
    assert not stalls, "\n".join(stalls + [line for line in log.splitlines()
                                           if line.startswith("slow import")][-60:])
