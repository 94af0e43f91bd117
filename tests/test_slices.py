"""The slice rule (docs/architecture.md), checked by scanning every import statement.

A business slice (``kefu.users``, ``kefu.crm``, ``kefu.announcements``) owns its tables and
queries: no code outside it imports its ``models`` or ``repo``; another slice imports it
through ``service`` only; the store (below the slices) imports none; of a slice, only its
``api`` module (the HTTP adapter; a second one is named ``*_api``) imports ``kefu.web``,
and only ``kefu.web.deps``.
"""

from __future__ import annotations

import ast
from pathlib import Path

import pytest

from kefu.store.models import SLICES

ROOT = Path(__file__).resolve().parents[1]
PRIVATE = ("models", "repo")


def _imports(path: Path, module: str) -> list[tuple[int, list[str]]]:
    """(line, absolute module names) of every import statement in ``path`` (``module`` is
    its dotted name, to resolve relative imports); ``from x import y`` names ``x`` and
    ``x.y``, since ``y`` may be a submodule."""
    tree = ast.parse(path.read_text(encoding="utf-8"), str(path))
    package = module.split(".") if path.name == "__init__.py" else module.split(".")[:-1]
    out: list[tuple[int, list[str]]] = []
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            out += [(node.lineno, [alias.name]) for alias in node.names]
        elif isinstance(node, ast.ImportFrom):
            base = node.module or ""
            if node.level:
                parent = package[:len(package) - node.level + 1]
                base = ".".join(parent + ([base] if base else []))
            out += [(node.lineno, [base, f"{base}.{alias.name}"]) for alias in node.names]
    return out


def _owner(module: str, slices: tuple[str, ...]) -> str | None:
    """The slice a module (or test module, ``tests.<slice>...``) belongs to, if any."""
    parts = module.split(".")
    if len(parts) >= 2 and parts[0] in ("kefu", "tests") and parts[1] in slices:
        return parts[1]
    return None


def _problems(module: str, mine: str | None, name: str, slices: tuple[str, ...]) -> list[str]:
    """What is wrong with ``module`` (of slice ``mine``, or None) importing ``name``."""
    target = _owner(name, slices)
    parts = name.split(".")
    if target is not None and target != mine:
        sub = parts[2] if len(parts) > 2 else None
        if module.startswith("kefu.store"):
            return [f"the store imports the {target} slice ({name})"]
        if sub in PRIVATE:
            return [f"{name} is private to the {target} slice"]
        if mine is not None and sub not in (None, "service"):
            return [f"another slice imports {name}; only kefu.{target}.service"]
    if mine is not None and module.startswith("kefu.") and parts[:2] == ["kefu", "web"]:
        adapter = module == f"kefu.{mine}.api" or (module.startswith(f"kefu.{mine}.")
                                                   and module.endswith("_api"))
        if not adapter or parts[:3] != ["kefu", "web", "deps"]:
            return [f"{module} imports {name}; only a slice's api imports kefu.web, "
                    "and only kefu.web.deps"]
    return []


def violations(src: Path, tests: Path | None = None,
               slices: tuple[str, ...] = SLICES) -> list[str]:
    """Every import in ``src`` (the ``kefu`` package) and ``tests`` that breaks the rule."""
    files = [(p, "kefu." + ".".join(p.relative_to(src).with_suffix("").parts))
             for p in sorted(src.rglob("*.py"))]
    if tests is not None:
        files += [(p, "tests." + ".".join(p.relative_to(tests).with_suffix("").parts))
                  for p in sorted(tests.rglob("*.py"))]
    found = []
    for path, dotted in files:
        shown = path.relative_to(path.parents[len(dotted.split(".")) - 1])
        module = dotted.removesuffix(".__init__")
        mine = _owner(module, slices)
        for line, names in _imports(path, module):
            where = f"{shown}:{line}"
            problems = [p for name in names for p in _problems(module, mine, name, slices)]
            found += [f"{where}: {p}" for p in problems[:1]]
    return found


def test_the_tree_keeps_the_slice_rule() -> None:
    assert violations(ROOT / "src" / "kefu", ROOT / "tests") == []


def test_every_slice_has_its_parts() -> None:
    for name in SLICES:
        folder = ROOT / "src" / "kefu" / name
        assert {"models.py", "repo.py", "service.py", "api.py", "schemas.py"} <= {
            p.name for p in folder.iterdir()}, name
        assert (ROOT / "tests" / name).is_dir(), name


def _tree(root: Path, files: dict[str, str]) -> Path:
    for rel, text in files.items():
        path = root / rel
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(text)
    return root


@pytest.mark.parametrize("files,expected", [
    ({"web/x.py": "from kefu.crm.models import CustomerRow\n"}, "private to the crm slice"),
    ({"web/x.py": "from kefu.crm import repo\n"}, "private to the crm slice"),
    ({"crm/service.py": "from kefu.users.models import UserRow\n"}, "private to the users"),
    ({"crm/service.py": "from kefu.users.api import router\n"}, "only kefu.users.service"),
    ({"crm/service.py": "import kefu.users.schemas\n"}, "only kefu.users.service"),
    ({"store/models.py": "from kefu.users.service import Users\n"}, "the store imports"),
    ({"crm/service.py": "from kefu.web.deps import MAX_INT\n"}, "only a slice's api"),
    ({"crm/api.py": "from kefu.web.routers import agents\n"}, "only a slice's api"),
    ({"crm/sub/deep.py": "from ...users.repo import bind\n"}, "private to the users"),
])
def test_a_violation_is_reported(tmp_path: Path, files: dict[str, str],
                                 expected: str) -> None:
    found = violations(_tree(tmp_path / "kefu", files))
    assert len(found) == 1 and expected in found[0], found


def test_what_the_rule_allows(tmp_path: Path) -> None:
    src = _tree(tmp_path / "kefu", {
        "crm/service.py": "from kefu.users.service import Users\nfrom . import repo\n"
                          "from .models import CustomerRow\n",
        "crm/api.py": "from kefu.web.deps import MAX_INT\nfrom .schemas import X\n",
        "crm/imports_api.py": "from kefu.web.deps import MAX_INT\n",   # a second adapter
        "web/app.py": "from kefu.crm import api\nfrom kefu.users.schemas import Skills\n",
        "store/service.py": "from .models import Base\n",
    })
    assert violations(src) == []
