"""Schemathesis over every operation of a real ``kefu serve``'s published OpenAPI schema,
with the admin token: no server error (5xx), every status code documented, every response
body and content type as the schema says.

The server is idle (no phones): call-control operations meet no call and answer 404/409,
which must be documented too.  It has a queue with two agents, so the agent and queue
operations reach their logic when schemathesis picks one of the known names (dictionaries,
half the time) instead of a random one.  Bounded: ``MAX_EXAMPLES`` per operation and a fixed
seed, so a run finds the same things each time.  The coverage phase (four in five of the
8243 cases, mostly invalid inputs that must get a 4xx) sends each path one undocumented
method, TRACE, instead of seven: the 405 comes from one rule (the router), and the seven
were 870 cases, an eighth of the run.
"""

from __future__ import annotations

import re
import subprocess
import sys
from pathlib import Path

import pytest

from .conftest import ADMIN, start_kefu, stop_kefu

pytestmark = pytest.mark.e2e

MAX_EXAMPLES = 10
SEED = 10
CHECKS = ("not_a_server_error", "status_code_conformance", "content_type_conformance",
          "response_schema_conformance")
QUEUE = """
[[queues]]
name = "sales"
number = "8001"
members = { alice = 5, bob = 5 }
"""


def _config(admin: str, spare: str) -> str:
    """schemathesis.toml: the admin token on every request but logout's (a spare token, so
    logging out does not end the run's own session); known names mixed into the inputs."""
    return f"""
headers = {{ Authorization = "Bearer {admin}" }}

[dictionaries]
agents = {{ values = ["alice", "bob", "admin"] }}
queues = {{ values = ["sales"] }}
numbers = {{ values = ["1001", "1002", "8001"] }}

[parameters]
"path.username" = {{ dictionary = "agents", probability = 0.5 }}
"path.name" = {{ dictionary = "queues", probability = 0.5 }}
"path.number" = {{ dictionary = "numbers", probability = 0.5 }}

[phases.coverage]
unexpected-methods = ["trace"]

[[operations]]
include-path = "/api/v1/auth/logout"
headers = {{ Authorization = "Bearer {spare}" }}
"""


@pytest.fixture(scope="module")
def kefu(tmp_path_factory):
    server = start_kefu(tmp_path_factory.mktemp("kefu"), extra=QUEUE)
    yield server
    log = stop_kefu(server)
    assert "Traceback" not in log, log


@pytest.mark.timeout(600)      # ~200 operations: 3-4 minutes on a busy 2-core machine
def test_schemathesis_finds_no_server_error_and_no_schema_violation(kefu, tmp_path: Path):
    status, body = kefu.api("POST", "/auth/login", {"username": ADMIN[0], "password": ADMIN[1]},
                            token="")
    assert status == 200, body
    config = tmp_path / "schemathesis.toml"
    config.write_text(_config(kefu.token, body["token"]))
    run = subprocess.run(
        [sys.executable, "-m", "schemathesis.cli", "--config-file", str(config), "run",
         f"http://127.0.0.1:{kefu.http_port}/api/v1/openapi.json",
         "--checks", ",".join(CHECKS), "--max-examples", str(MAX_EXAMPLES),
         "--seed", str(SEED), "--workers", "1", "--generation-database", "none",
         "--no-color", "--output-truncate", "true"],
        cwd=tmp_path, capture_output=True, text=True, timeout=540)
    report = run.stdout + run.stderr
    assert run.returncode == 0, report[-20000:]
    selected = re.search(r"Selected: (\d+)/(\d+)\s+Tested: (\d+)", report)
    assert selected and len(set(selected.groups())) == 1, report[-3000:]   # every operation
