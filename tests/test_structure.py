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


def test_the_engine_imports_neither_config_app_nor_cli():
    for path in (ROOT / "engine").glob("*.py"):
        bad = {m for m in _imports(path) if m.split(".")[:2] in (["nntui", "config"], ["nntui", "app"],
                                                                ["nntui", "cli"]) or m == "textual"
               or m.startswith("textual.")}
        assert not bad, f"{path.name} imports {bad}"


def test_the_runfile_touches_no_private_trainer_field():
    text = (ROOT / "engine" / "runfile.py").read_text()
    assert not re.findall(r"trainer\._\w+", text)


def test_no_optimizer_name_is_compared_in_the_app():
    names = "|".join(re.escape(n) for n in OPTIMIZERS)
    pattern = re.compile(rf"""(==|!=|\bin\b)\s*\(?[^#\n]*["']({names})["']|["']({names})["']\s*(==|!=)""")
    for path in (ROOT / "app").rglob("*.py"):
        for i, line in enumerate(path.read_text().splitlines(), 1):
            assert not pattern.search(line), f"{path.relative_to(ROOT)}:{i}: {line.strip()}"
