"""`nntui gradcheck`: every gradient against central finite differences."""

from __future__ import annotations

import json
import sys

import click

from nntui.cli import common
from nntui.cli.common import UserError
from nntui.cli.main import main


EXIT_GRADCHECK = 1


GRADCHECK_TOLERANCE = 1e-6


@main.command("gradcheck")
@click.argument("preset", metavar="NAME|FILE")
@click.option("--json", "as_json", is_flag=True, help="Print one JSON object of errors instead of a table.")
def gradcheck_command(preset: str, as_json: bool) -> None:
    """Check every gradient of a preset's net against central finite differences
    (float64, at the initial weights, on the first batch).

    Prints the largest relative error per layer; exit status 1 if any is above 1e-6.
    """
    from nntui.engine.gradcheck import gradcheck

    config = common.load(preset)
    trainer = common.make_trainer(config)
    if config.train.optimizer == "perceptron" or "step" in (config.model.output, config.model.activation):
        raise UserError(f"{config.source}: nothing to check: a step unit has no gradient "
                        "(the perceptron rule is not gradient descent)")
    errors = gradcheck(trainer)
    L = len(config.model.layers) - 1
    worst = max(errors.values())
    ok = worst <= GRADCHECK_TOLERANCE
    if as_json:
        click.echo(json.dumps({"preset": config.name, "tolerance": GRADCHECK_TOLERANCE,
                               "errors": errors, "max_error": worst, "ok": ok}, indent=2))
    else:
        from rich.table import Table
        from rich.text import Text

        table = Table(title=Text(f"gradient check: {config.title} ({config.name})"), title_justify="left")
        for column in ("layer", "max rel. error W", "max rel. error b", "ok"):
            table.add_column(column, justify="right" if column != "ok" else "center")
        for l in range(1, L + 1):
            w, b = errors[f"W{l}"], errors[f"b{l}"]
            table.add_row(str(l), f"{w:.2e}", f"{b:.2e}", "yes" if max(w, b) <= GRADCHECK_TOLERANCE else "NO")
        console = common.make_console()
        console.print(table)
        verdict = "all gradients agree" if ok else "some gradients disagree"
        console.print(f"{verdict}: largest relative error {worst:.2e} (tolerance {GRADCHECK_TOLERANCE:g})",
                      highlight=False)
    if not ok:
        sys.exit(EXIT_GRADCHECK)
