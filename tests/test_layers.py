"""kefu's layer contracts (``[tool.importlinter]`` in pyproject.toml) hold.

The contracts are checked with import-linter on the source as it is, and once more on a
copy of it with one upward import added, so a broken contract is shown to fail the run.
See docs/architecture.md, "Layer contracts".
"""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]


def lint_imports(src: Path) -> subprocess.CompletedProcess[str]:
    """Run lint-imports with pyproject.toml's contracts on the kefu package under src.

    A subprocess, so that the package import-linter finds is the one under src, not the
    kefu this test process already imported.
    """
    env = {**os.environ, "PYTHONPATH": str(src)}
    code = ("import sys; from importlinter.cli import lint_imports; "
            "sys.exit(lint_imports(config_filename=sys.argv[1], cache_dir=None, no_logo=True))")
    return subprocess.run([sys.executable, "-c", code, str(ROOT / "pyproject.toml")],
                          cwd=src.parent, env=env, capture_output=True, text=True, timeout=120)


def test_contracts_kept() -> None:
    proc = lint_imports(ROOT / "src")
    assert proc.returncode == 0, proc.stdout + proc.stderr
    assert "0 broken" in proc.stdout


@pytest.mark.parametrize(("module", "line", "contract"), [
    ("media/_upward.py", "from kefu.sip import auth", "kefu.media imports nothing of kefu"),
    ("sip/_upward.py", "import kefu.bus", "kefu.sip imports only kefu.config"),
    ("sip/_upward.py", "from kefu.calls import call", "kefu's layers point down"),
    ("calls/_upward.py", "from kefu.web import deps", "nothing imports kefu.web but kefu.app"),
    ("calls/switch.py", "from kefu.acd import service", "kefu's layers point down"),
    ("_newpkg.py", "", "kefu's layers point down"),  # a top-level module no layer names
])
def test_broken_contract_fails(tmp_path: Path, module: str, line: str, contract: str) -> None:
    src = tmp_path / "src"
    shutil.copytree(ROOT / "src" / "kefu", src / "kefu",
                    ignore=shutil.ignore_patterns("__pycache__", "static", "templates", "*.egg-info"))
    target = src / "kefu" / module
    target.write_text((target.read_text() if target.exists() else "") + f"\n{line}\n")
    proc = lint_imports(src)
    assert proc.returncode != 0, proc.stdout + proc.stderr
    assert f"{contract} BROKEN" in proc.stdout, proc.stdout + proc.stderr
