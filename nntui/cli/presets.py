"""`nntui presets`: the built-in presets as a table or JSON."""

from __future__ import annotations

import json
import os

import click

from nntui.cli import common
from nntui.cli.main import main


def describe(config) -> dict:
    """What `nntui presets` shows of one preset."""
    d, m, t = config.data, config.model, config.train
    if d.dataset == "csv":
        dataset = os.path.basename(d.path)
    elif d.classes is not None:
        dataset = f"{d.dataset} ({d.classes} classes)"
    else:
        dataset = d.dataset
    sizes = "-".join(str(s) for s in m.layers)
    acts = f"{m.activation} → {m.output}" if len(m.layers) > 2 else m.output
    return {"title": config.title, "dataset": dataset, "layers": list(m.layers),
            "architecture": f"{sizes} {acts}", "optimizer": t.optimizer, "loss": t.loss,
            "description": config.description}


@main.command("presets")
@click.option("--json", "as_json", is_flag=True, help="One JSON list instead of a table.")
def presets_command(as_json: bool) -> None:
    """List the built-in presets: name, title, dataset and architecture."""
    from nntui.experiment.presets import list_presets

    rows = [{"name": name, **describe(common.load(name)), "path": str(path)} for name, path in list_presets()]
    if as_json:
        click.echo(json.dumps(rows, indent=2, ensure_ascii=False))
        return
    from rich.table import Table
    from rich.text import Text

    table = Table(title="built-in presets (nntui train NAME, nntui --preset NAME)", title_justify="left")
    console = common.make_console()
    # On a narrow console (80 columns, as a pipe gets) the data and architecture
    # wrap at set widths, so the title keeps a few words a line rather than one
    # (Rich's own shrinking left it 7 columns, or cropped the table).
    narrow = {"dataset": 12, "architecture": 16} if console.width < 110 else {}
    for column in ("name", "title", "dataset", "architecture"):
        table.add_column(column, no_wrap=column == "name", max_width=narrow.get(column))
    for row in rows:
        table.add_row(*(Text(row[k]) for k in ("name", "title", "dataset", "architecture")))  # never markup
    console.print(table)
