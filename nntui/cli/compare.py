"""`nntui compare`: race variants of a preset in lockstep."""

from __future__ import annotations

import json

import click

from nntui.cli import common, results
from nntui.cli.common import DivergedError, UserError
from nntui.cli.main import main


@main.command("compare")
@click.argument("preset", metavar="NAME|FILE")
@click.option("--vary", "vary", multiple=True, metavar="KEY=V1,V2,...",
              help="What differs between the variants: optimizer, learning_rate, batch_size, init, "
                   "activation, seed, or an optimizer option (momentum, ...), e.g. optimizer=sgd,rmsprop,adam. "
                   "Default: the variants the preset declares in its [compare] section.")
@click.option("--epochs", type=int, help="Train each variant this many epochs (overrides train.epochs).")
@click.option("--json", "as_json", is_flag=True,
              help='Print {"runs": [...]}: per variant its "vary" and the keys of `nntui train --json`.')
@click.option("--ascii", "ascii_only", is_flag=True, help="Draw the chart in plain ASCII.")
@click.option("--no-plot", is_flag=True, help="Leave out the chart: the table only.")
def compare_command(preset: str, vary: tuple[str, ...], epochs: int | None, as_json: bool, ascii_only: bool,
                    no_plot: bool) -> None:
    """Race variants of a preset in lockstep: the same data, initial weights
    and batch order, one thing changed. Prints one chart of every variant's
    train loss per epoch and a table of final metrics.

    Each variant is the very run `nntui train NAME --KEY value` (or `--option
    KEY=value`) trains alone, to the last digit. `seed` sets the data's seed
    too, as --seed does. Without --vary, the variants the preset declares
    (`nntui compare optimizers`: sgd, sgd with momentum, rmsprop, adam).
    Exit status 2 for a bad preset or --vary, 3 if a variant diverged (after
    the results).
    """
    from nntui.experiment.config import ConfigError
    from nntui.experiment.variants import Race, VaryError, declared_variants, make_variants, parse_vary

    if len(vary) > 1:
        raise UserError(f"one --vary at a time (given {len(vary)}: {', '.join(vary)})")
    if common.is_runfile(preset):
        raise UserError(f"{preset}: a runfile cannot be raced (compare starts every variant from the same "
                        "first step); give a preset, a built-in name or a .toml file, e.g. the one the run came from")
    config = common.load(preset)
    try:
        if vary:
            key, values = parse_vary(vary[0])
            variants = make_variants(config, key, values, epochs=epochs)
        elif config.variants:
            variants = declared_variants(config, epochs=epochs)
            key = "/".join(dict.fromkeys(k for v in variants for k in v.vary))
        else:
            raise VaryError("give --vary KEY=V1,V2,... (e.g. --vary optimizer=sgd,adam): "
                            "this preset declares no [compare] variants")
    except (VaryError, ConfigError) as e:
        raise UserError(str(e) if isinstance(e, ConfigError) else f"{config.source}: {e}") from None
    try:
        race = Race(variants)
    except Exception as e:  # noqa: BLE001 - a CSV that changed since it was checked
        from nntui.engine.datasets import DataError

        if isinstance(e, DataError):
            raise UserError(f"{config.source}: {e}") from None
        raise
    with common.quiet_numpy():
        _run_race(race, show_progress=not as_json)
    runs = [{"vary": r.variant.vary, **results.result(r.trainer, r.seconds, r.diverged, None)}
            for r in race.runners]
    if as_json:
        click.echo(json.dumps({"runs": runs}, indent=2))
    else:
        _compare_report(config, race, runs, key, ascii_only, plot=not no_plot)
    diverged = [r for r in race.runners if r.diverged]
    if diverged:
        raise DivergedError(f"{config.source}: " + "; ".join(f"{r.variant.label}: {r.diverged}" for r in diverged))


def _run_race(race, show_progress: bool) -> None:
    console = common.make_console(stderr=True)
    if not (show_progress and console.is_terminal):
        race.run()
        return
    from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeRemainingColumn

    with Progress(TextColumn("[bold]{task.description}"), BarColumn(), MofNCompleteColumn(),
                  TextColumn("epochs"), TimeRemainingColumn(), console=console, transient=True) as progress:
        task = progress.add_task(f"{len(race.runners)} variants", total=race.epochs)
        race.run(lambda r: progress.update(task, completed=max(x.trainer.epoch for x in r.runners)))


def _compare_report(config, race, runs: list[dict], key: str, ascii_only: bool, plot: bool) -> None:
    from rich import box
    from rich.table import Table

    console = common.make_console()
    style = common.chart_style(console, ascii_only)
    c = config
    labels = [r.variant.label for r in race.runners]
    console.print(f"{c.title} ({c.name}): {', '.join(labels)}, in lockstep on the same data",
                  highlight=False, markup=False, soft_wrap=True)  # a title's [brackets] as written
    if plot:
        from nntui.text.curves import Chart, Curve, curves_text

        width, height = common.chart_size(console)
        curves = [Curve(label, r.trainer.history["train_loss"]) for label, r in zip(labels, race.runners)]
        text = curves_text([Chart(f"train loss ({c.train.loss})", curves, height=height)], width, style)
        if text:
            console.print()
            common.print_raw(console, text)
    classify = "train_accuracy" in runs[0]
    table = Table(box=box.ASCII if ascii_only else box.SIMPLE_HEAVY, padding=(0, 1), pad_edge=False)
    table.add_column("variant", no_wrap=True)
    for column in ("train loss", "val loss") + (("train acc", "val acc") if classify else ()) + ("epochs",):
        table.add_column(column, justify="right", no_wrap=True)

    def short(x):
        return "—" if x is None else f"{x:.4g}"

    for label, run in zip(labels, runs):
        row = [label, short(run["train_loss"]), short(run["val_loss"])]
        if classify:
            row += [common.pct(run["train_accuracy"]), common.pct(run["val_accuracy"])]
        epochs = str(run["epochs"]) + (" (diverged)" if run["diverged"] else "")
        row.append(epochs)
        table.add_row(*row)
    console.print(table)
