"""The arrows of the design hold: the engine imports neither the config, the
app nor the CLI; the runfile uses the trainer's public state_dict only; the
app never branches on an optimizer's name (the engine's registry speaks for
each optimizer)."""

from __future__ import annotations

import ast
import re
from pathlib import Path

import nntui
from nntui.engine.optimizers import OPTIMIZERS

ROOT = Path(nntui.__file__).parent


def _imports(path: Path) -> set[str]:
    tree = ast.parse(path.read_text())
    out = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            out |= {a.name for a in node.names}
        elif isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
            out.add(node.module)
    return out


# Which parts of nntui each part may import (docs/ARCHITECTURE.md):
# app, cli -> experiment -> engine; text draws runs for the CLI and the race.
ALLOWED = {
    "engine": {"engine"},
    "experiment": {"engine", "experiment"},
    "text": {"engine", "text"},
    "app": {"app", "experiment", "engine", "text"},
    "serve": {"serve", "experiment", "engine"},
    "cli": {"cli", "app", "experiment", "engine", "text", "serve"},
}


def _part(module: str) -> str | None:
    """'nntui.engine.trainer' -> 'engine'; '' for nntui itself; None outside nntui."""
    parts = module.split(".")
    if parts[0] != "nntui":
        return None
    return parts[1] if len(parts) > 1 else ""


def test_each_part_imports_only_what_its_arrows_allow():
    for part, allowed in ALLOWED.items():
        for path in (ROOT / part).rglob("*.py"):
            for module in _imports(path):
                target = _part(module)
                if target is None or target == "":
                    continue  # outside nntui, or nntui's own __version__
                assert target in allowed, f"{path.relative_to(ROOT)} imports {module}"


def test_the_engine_imports_nothing_of_nntui_outside_it_nor_textual():
    for path in (ROOT / "engine").rglob("*.py"):
        bad = {m for m in _imports(path) if (_part(m) not in (None, "engine")) or m.split(".")[0] == "textual"}
        assert not bad, f"{path.name} imports {bad}"


def test_at_most_four_modules_sit_loose_in_nntui():
    loose = sorted(p.name for p in ROOT.glob("*.py"))
    assert len(loose) <= 4, loose
    assert not (set(p.name for p in ROOT.iterdir() if p.is_dir()) - set(ALLOWED) - {"__pycache__", "presets"}), \
        "a folder of nntui has no arrows in ALLOWED"


def test_the_runfile_touches_no_private_trainer_field():
    text = (ROOT / "engine" / "runfile.py").read_text()
    assert not re.findall(r"trainer\._\w+", text)


def test_no_optimizer_name_is_compared_in_the_app():
    names = "|".join(re.escape(n) for n in OPTIMIZERS)
    pattern = re.compile(rf"""(==|!=|\bin\b)\s*\(?[^#\n]*["']({names})["']|["']({names})["']\s*(==|!=)""")
    for path in (ROOT / "app").rglob("*.py"):
        for i, line in enumerate(path.read_text().splitlines(), 1):
            assert not pattern.search(line), f"{path.relative_to(ROOT)}:{i}: {line.strip()}"


def test_no_class_is_over_600_lines():
    """A class that grows past 600 lines has more than one job: split it first."""
    import ast

    big = []
    for path in sorted(ROOT.rglob("*.py")):
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
            if isinstance(node, ast.ClassDef) and node.end_lineno - node.lineno + 1 > 600:
                big.append(f"{path.relative_to(ROOT.parent)}: {node.name} ({node.end_lineno - node.lineno + 1})")
    assert not big, big
