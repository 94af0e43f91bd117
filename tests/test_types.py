"""mypy over src/kefu against a recorded baseline that may only shrink.

``tests/mypy-baseline.txt`` holds ``file: count`` for each file mypy still finds errors
in (settings: ``[tool.mypy]`` in pyproject.toml, mypy pinned in the ``test`` extra).
A file with more errors than recorded fails the test and the message shows the errors;
a file with fewer is reported as a warning so the baseline can be lowered:
``python tests/test_types.py --lower`` lowers every count to today's (never raises one).
The cache is ``.mypy_cache`` in the checkout: a cold run takes seconds, a warm one less.
"""

from __future__ import annotations

import os
import re
import subprocess
import sys
import warnings
from collections import Counter
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
BASELINE = ROOT / "tests" / "mypy-baseline.txt"
_ERROR = re.compile(r"^(?P<file>[^:\n]+\.pyi?):\d+:(?:\d+:)? error: ", re.M)


def run_mypy() -> str:
    """mypy's report on src/kefu (settings from pyproject.toml); fails on a crash."""
    env = {**os.environ, "PYTHONPATH": str(ROOT / "src")}
    proc = subprocess.run(
        [sys.executable, "-m", "mypy", "--no-error-summary", "--cache-dir", str(ROOT / ".mypy_cache")],
        cwd=ROOT, env=env, capture_output=True, text=True, timeout=300)
    if proc.returncode not in (0, 1):  # 2: mypy itself failed (bad config, crash)
        raise RuntimeError(f"mypy exited {proc.returncode}:\n{proc.stdout}{proc.stderr}")
    return proc.stdout


def count_errors(report: str) -> Counter[str]:
    """Errors per file (posix path relative to the checkout) in mypy's output."""
    return Counter(Path(m["file"]).as_posix() for m in _ERROR.finditer(report))


def read_baseline(text: str) -> dict[str, int]:
    counts: dict[str, int] = {}
    for line in text.splitlines():
        line = line.split("#", 1)[0].strip()
        if line:
            file, _, n = line.rpartition(":")
            counts[file.strip()] = int(n)
    return counts


def format_baseline(counts: dict[str, int]) -> str:
    head = ("# mypy errors per file (tests/test_types.py): a count may only go down.\n"
            f"# total {sum(counts.values())} in {len(counts)} files\n")
    return head + "".join(f"{f}: {n}\n" for f, n in sorted(counts.items()) if n > 0)


def compare(counts: dict[str, int], baseline: dict[str, int]) -> tuple[list[str], list[str]]:
    """(files over their recorded count, files under it), each as a readable line."""
    over = [f"{f}: {n} errors, baseline {baseline.get(f, 0)}"
            for f, n in sorted(counts.items()) if n > baseline.get(f, 0)]
    under = [f"{f}: {counts.get(f, 0)} errors, baseline {n}"
             for f, n in sorted(baseline.items()) if counts.get(f, 0) < n]
    return over, under


def test_mypy_errors_do_not_grow() -> None:
    report = run_mypy()
    over, under = compare(count_errors(report), read_baseline(BASELINE.read_text()))
    if under:
        warnings.warn("mypy: fewer errors than tests/mypy-baseline.txt records; lower it "
                      "(python tests/test_types.py --lower):\n  " + "\n  ".join(under),
                      stacklevel=1)
    bad = {line.split(":", 1)[0] for line in over}
    shown = "\n".join(line for line in report.splitlines() if line.split(":", 1)[0] in bad)
    assert not over, ("mypy found more errors than tests/mypy-baseline.txt allows:\n  "
                      + "\n  ".join(over) + "\n" + shown)


def test_compare_tells_more_and_fewer_apart() -> None:
    report = ("src/kefu/a.py:3: error: Incompatible types  [assignment]\n"
              "src/kefu/a.py:9:5: error: Item None has no attribute  [union-attr]\n"
              "src/kefu/a.py:9: note: see above\n"
              "src/kefu/b.py:1: error: Name x is not defined  [name-defined]\n")
    counts = count_errors(report)
    assert counts == {"src/kefu/a.py": 2, "src/kefu/b.py": 1}
    baseline = read_baseline("# comment\nsrc/kefu/a.py: 1\nsrc/kefu/c.py: 4\n")
    over, under = compare(counts, baseline)
    assert over == ["src/kefu/a.py: 2 errors, baseline 1", "src/kefu/b.py: 1 errors, baseline 0"]
    assert under == ["src/kefu/c.py: 0 errors, baseline 4"]
    assert read_baseline(format_baseline(dict(counts))) == counts


if __name__ == "__main__":
    if sys.argv[1:] != ["--lower"]:
        sys.exit("usage: python tests/test_types.py --lower  (lowers tests/mypy-baseline.txt)")
    now = count_errors(run_mypy())
    old = read_baseline(BASELINE.read_text()) if BASELINE.exists() else dict(now)
    BASELINE.write_text(format_baseline({f: min(n, now.get(f, 0)) for f, n in old.items()}))
    print(BASELINE.read_text(), end="")
