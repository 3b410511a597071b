"""The layers of DESIGN.md §3 import only downwards: the headless core never loads Textual, the
domain never loads the database, and no module imports a layer above its own."""

from __future__ import annotations

import ast
import json
import subprocess
import sys
from pathlib import Path

import pytest

import lta_tui

PACKAGE = Path(lta_tui.__file__).resolve().parent
ROOT = PACKAGE.parent

#: Layer → the layers it must never import (the arrows of DESIGN.md §3, reversed).
FORBIDDEN = {
    "domain": {"store", "services", "exports", "tui", "cli", "config"},
    "config": {"store", "services", "exports", "tui", "cli"},
    "store": {"services", "exports", "tui", "cli"},
    "exports": {"services", "tui", "cli"},
    "services": {"tui", "cli"},
    "tui": {"cli"},
}
#: Run by Alembic inside a migration context, never imported.
NOT_IMPORTABLE = {"lta_tui.store.migrations.env"}

# Imports the given packages and every module below them, then reports which of the watched
# distributions got loaded and, for each, the lta_tui line that first imported it.
PROBE = """
import importlib, json, pkgutil, sys, traceback
tops, watched, skip = sys.argv[1].split(","), set(sys.argv[2].split(",")), set(sys.argv[3:])
first = {}
class Spy:
    def find_spec(self, name, path=None, target=None):
        root = name.partition(".")[0]
        if root in watched and root not in first:
            ours = [f for f in traceback.extract_stack() if "/lta_tui/" in f.filename]
            first[root] = f"{ours[-1].filename}:{ours[-1].lineno}" if ours else "?"
        return None
sys.meta_path.insert(0, Spy())
imported = []
for top in tops:
    module = importlib.import_module(top)
    imported.append(top)
    for info in pkgutil.walk_packages(getattr(module, "__path__", []), top + "."):
        if info.name not in skip:
            importlib.import_module(info.name)
            imported.append(info.name)
loaded = {root: first.get(root, "?") for root in watched if root in sys.modules}
print(json.dumps({"imported": imported, "loaded": loaded}))
"""


def probe(packages: list[str], watched: list[str]) -> dict:
    result = subprocess.run(
        [sys.executable, "-c", PROBE, ",".join(packages), ",".join(watched), *NOT_IMPORTABLE],
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert result.returncode == 0, result.stderr
    return json.loads(result.stdout.strip().splitlines()[-1])


def test_headless_layers_never_load_textual():
    packages = ["lta_tui.domain", "lta_tui.store", "lta_tui.services", "lta_tui.exports"]
    found = probe([*packages, "lta_tui.config"], ["textual"])
    assert found["loaded"] == {}, f"textual imported by {found['loaded']['textual']}"
    imported = set(found["imported"])
    assert {*packages, "lta_tui.config", "lta_tui.domain.money", "lta_tui.store.models"} <= (
        imported
    )
    assert "lta_tui.store.migrations.versions.0001_initial_schema" in imported


def test_domain_never_loads_the_database():
    found = probe(["lta_tui.domain"], ["sqlalchemy", "sqlmodel", "textual", "alembic"])
    assert found["loaded"] == {}, f"the domain loads {found['loaded']}"
    assert "lta_tui.domain.fx" in found["imported"]


def test_the_command_line_starts_without_textual_or_the_database():
    """`lta-tui --help` stays instant: cli.py loads the heavy stacks inside the commands."""
    found = probe(["lta_tui.cli"], ["textual", "sqlalchemy", "sqlmodel", "alembic"])
    assert found["loaded"] == {}, f"importing lta_tui.cli loads {found['loaded']}"


def test_the_probe_sees_textual_when_it_is_loaded():
    """The check above can fail: the TUI package does load Textual."""
    found = probe(["lta_tui.tui.app"], ["textual"])
    assert set(found["loaded"]) == {"textual"}


# --- static check: no module imports a layer above its own ------------------------------------


def layer_of(module: str) -> str | None:
    parts = module.split(".")
    if parts[0] != "lta_tui" or len(parts) < 2:
        return None
    return parts[1]


def imported_modules(source: str, module: str, is_package: bool) -> list[tuple[int, str]]:
    """(line, absolute module name) of every import in `source`, relative ones resolved."""
    package = module if is_package else module.rpartition(".")[0]
    found = []
    for node in ast.walk(ast.parse(source)):
        if isinstance(node, ast.Import):
            found += [(node.lineno, alias.name) for alias in node.names]
        elif isinstance(node, ast.ImportFrom):
            if node.level:
                base = package.split(".")
                base = base[: len(base) - node.level + 1]
                target = ".".join(base + ([node.module] if node.module else []))
            else:
                target = node.module or ""
            found.append((node.lineno, target))
            # `from lta_tui import tui` names the layer in the alias
            found += [(node.lineno, f"{target}.{alias.name}") for alias in node.names]
    return found


def upward_imports(source: str, module: str, is_package: bool = False) -> list[str]:
    layer = layer_of(module)
    banned = FORBIDDEN.get(layer or "", set())
    return [
        f"{module}:{line} imports {target}"
        for line, target in imported_modules(source, module, is_package)
        if layer_of(target) in banned
    ]


def all_modules() -> list[tuple[str, Path]]:
    modules = []
    for path in sorted(PACKAGE.rglob("*.py")):
        relative = path.relative_to(ROOT).with_suffix("")
        parts = list(relative.parts)
        if parts[-1] == "__init__":
            parts.pop()
        modules.append((".".join(parts), path))
    return modules


def test_no_module_imports_a_layer_above_its_own():
    modules = all_modules()
    assert len(modules) > 15
    problems = []
    for module, path in modules:
        source = path.read_text(encoding="utf-8")
        problems += upward_imports(source, module, path.name == "__init__.py")
    assert problems == []


@pytest.mark.parametrize(
    ("module", "source", "bad"),
    [
        ("lta_tui.domain.rules", "from lta_tui.store.models import Order", True),
        ("lta_tui.domain.rules", "import lta_tui.services.orders", True),
        ("lta_tui.domain.rules", "from ..store import models", True),
        ("lta_tui.domain.rules", "from lta_tui import tui", True),
        ("lta_tui.domain.rules", "def f():\n    from lta_tui.cli import app", True),
        ("lta_tui.store.spend", "from lta_tui.services.database import open_engine", True),
        ("lta_tui.exports.csv", "from ..services import spend", True),
        ("lta_tui.services.orders", "from lta_tui.tui.app import LtaApp", True),
        ("lta_tui.domain.rules", "from .money import round_money", False),
        ("lta_tui.domain.rules", "from lta_tui.domain import fx", False),
        ("lta_tui.store.models", "from lta_tui.domain.money import SCALE", False),
        ("lta_tui.services.orders", "from ..store.models import Order", False),
        ("lta_tui.tui.app", "from lta_tui.services import database", False),
        ("lta_tui.cli", "from lta_tui.tui.app import LtaApp", False),
    ],
)
def test_the_static_check_tells_up_from_down(module: str, source: str, bad: bool):
    assert bool(upward_imports(source, module)) is bad
