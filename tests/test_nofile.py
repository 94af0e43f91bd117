"""kefu raises its soft descriptor limit to the hard one at start (issue 10): every
socket is a descriptor, and systemd's default soft limit of 1024 is a few hundred idle
connections away from "Too many open files"."""

from __future__ import annotations

import shutil
import subprocess
import sys

import pytest


@pytest.mark.skipif(shutil.which("prlimit") is None, reason="prlimit missing")
def test_soft_limit_raised_to_hard_and_logged():
    code = ("import logging, resource; logging.basicConfig(level=logging.INFO);"
            "from kefu.app import raise_nofile; n = raise_nofile();"
            "print(n, resource.getrlimit(resource.RLIMIT_NOFILE)[0])")
    out = subprocess.run(["prlimit", "--nofile=100:300", sys.executable, "-c", code],
                         capture_output=True, text=True, check=True)
    assert out.stdout.split() == ["300", "300"]
    assert "open files limit: 300" in out.stderr
