"""`nntui landscape`: the training loss on a 2-D slice around a run's final
weights, with the run's path on it."""

from __future__ import annotations

import json
import math

import click

from nntui.cli import common
from nntui.cli.common import DivergedError, UserError
from nntui.cli.main import main

DEFAULT_GRID = 41


@main.command("landscape")
@click.argument("preset", metavar="NAME|FILE|RUN.npz")
@click.option("--epochs", type=int,
              help="Epochs to train (default: the preset's); for a RUN.npz, epochs more (default: none).")
@click.option("--optimizer", help="Overrides train.optimizer (not for a RUN.npz).")
@click.option("--learning-rate", "--lr", "learning_rate", type=float, help="Overrides train.learning_rate.")
@click.option("--option", "-o", "options", multiple=True, metavar="NAME=VALUE",
              help="An optimizer option, e.g. momentum=0.9; may be repeated.")
@click.option("--axes", metavar="W1[0,0],W2[1,0]",
              help="Two weights (or biases, b1[0]) whose own directions span the slice: alpha and beta are "
                   "exactly what is added to each. Default: the path's two principal directions.")
@click.option("--grid", type=int, default=DEFAULT_GRID, show_default=True,
              help="Points a side of the G x G grid (3 to 101; odd puts (0, 0) on it).")
@click.option("--span", type=float,
              help="Offsets from -S to S along each direction (default: the path's reach and a quarter).")
@click.option("--json", "as_json", is_flag=True,
              help='Print {"axes", "alpha", "beta", "loss", "path", "explained", ...}: loss[i][j] is at '
                   "(alpha[i], beta[j]).")
@click.option("--ascii", "ascii_only", is_flag=True, help="Draw the map in plain ASCII.")
def landscape_command(preset: str, epochs: int | None, optimizer: str | None, learning_rate: float | None,
                      options: tuple[str, ...], axes: str | None, grid: int, span: float | None,
                      as_json: bool, ascii_only: bool) -> None:
    """Train a run (or read a RUN.npz), then measure the training set's loss on a
    G x G grid of offsets around its final weights, along two directions, every
    other weight fixed; draw it as a map with the run's path (the start and every
    epoch's end, projected on the same directions, as offsets from the end).

    The default directions are the principal directions of the path (Li et al.
    2018, "Visualizing the Loss Landscape of Neural Nets"), each with its share
    of the path's variance. Exit status 2 for a bad preset, runfile or flag, 3 if
    training diverged.
    """
    from nntui.engine import landscape

    if not 3 <= grid <= landscape.MAX_GRID:
        raise UserError(f"--grid {grid}: give 3 to {landscape.MAX_GRID} points a side")
    if span is not None and not (math.isfinite(span) and span > 0):
        raise UserError(f"--span {span}: give a positive number, the largest offset along each direction")
    runfile = common.is_runfile(preset)
    if epochs is not None and epochs < (0 if runfile else 1):
        raise UserError(f"--epochs {epochs}: give {'0 or more epochs (more training)' if runfile else 'at least 1'}")
    if runfile:
        changed = [f for f, v in (("--optimizer", optimizer), ("--learning-rate", learning_rate),
                                  ("--option", options or None)) if v is not None]
        if changed:
            raise UserError(f"{preset}: {changed[0]} cannot change a saved run; give --epochs, --axes, --grid, "
                            "--span, --json or --ascii")
        trainer = common.resume(preset)
    else:
        trainer = common.make_trainer(_config(preset, optimizer, learning_rate, options))
    try:
        parsed = landscape.parse_axes(axes, trainer.params) if axes is not None else None
    except ValueError as e:
        raise UserError(f"--axes {axes}: {e}") from None
    trainer.keep_rewind(1)
    note = None
    with common.quiet_numpy():
        path, note = _path(trainer, preset, epochs, runfile)
        sl = landscape.measure(trainer.net, trainer.loss, path, trainer.x_train, trainer.dataset.y_train,
                               axes=parsed, grid=grid, span=span)
        end_loss = landscape.loss_at(trainer.net, trainer.loss, trainer.params, trainer.x_train,
                                     trainer.dataset.y_train)
    if as_json:
        click.echo(json.dumps(_json(trainer, sl, end_loss, note), indent=1))
        return
    _print(trainer, sl, end_loss, note, ascii_only)


def _config(preset: str, optimizer: str | None, learning_rate: float | None, options: tuple[str, ...]):
    from nntui.cli.train import _parse_options
    from nntui.experiment.config import ConfigError, override

    config = common.load(preset)
    if optimizer is None and learning_rate is None and not options:
        return config
    try:
        return override(config, optimizer=optimizer, learning_rate=learning_rate, options=_parse_options(options))
    except ConfigError as e:
        raise UserError(str(e)) from None


def _path(trainer, preset: str, epochs: int | None, runfile: bool):
    """The run's path (its parameters at the start and every epoch's end, then
    now) and a note when part of it could not be recovered."""
    from nntui.engine import landscape
    from nntui.engine.trainer import Diverged, Trainer

    note = None
    if runfile:
        path = landscape.replay(trainer, lambda: Trainer(trainer.config, trainer.dataset))
        if path is None:
            path = [dict(trainer.initial_params), dict(trainer.params)]
            note = ("the saved run was changed while it trained (its rate, options or data), so running it "
                    "again does not retrace it: its path is drawn from its start straight to where it was saved")
        more = epochs or 0
    else:
        path = []
        more = epochs if epochs is not None else trainer.config.train.epochs
    if more or not path:
        try:
            recorded = landscape.record(trainer, trainer.epoch + more)
        except Diverged as e:
            raise DivergedError(f"{trainer.config.source or preset}: {e}; the landscape needs a run that "
                                "trains (try `nntui train` to find a learning rate)") from None
        path = path[:-1] + recorded if path else recorded
    return path, note


def _json(trainer, sl, end_loss: float, note: str | None) -> dict:
    finite = common.finite
    out = {
        "preset": trainer.config.name, "epochs": trainer.epoch, "steps": trainer.step,
        "loss_name": trainer.loss.name,
        "axes": list(sl.axes), "explained": list(sl.explained),
        "alpha": sl.alpha.tolist(), "beta": sl.beta.tolist(),
        "loss": [[finite(v) for v in row] for row in sl.loss.tolist()],
        "path": sl.path.tolist(), "end_loss": finite(end_loss),
    }
    if note:
        out["note"] = note
    return out


def _print(trainer, sl, end_loss: float, note: str | None, ascii_only: bool) -> None:
    import numpy as np

    from nntui.text.landscape import render

    console = common.make_console()
    style = common.chart_style(console, ascii_only)
    colour = style == "color" and console.color_system in ("256", "truecolor")
    cols = max(20, min(80, console.width - 12))
    rows = max(8, min(cols * 2 // 5, 30))
    c = trainer.config
    console.print(f"loss landscape: {c.title} ({c.name}), after {trainer.epoch} epochs", highlight=False,
                  markup=False, soft_wrap=True)
    console.print(render(sl, cols, rows, colour=colour, ascii_only=style == "ascii", loss_name=trainer.loss.name),
                  highlight=False, soft_wrap=True)
    i, j = np.unravel_index(np.nanargmin(np.where(np.isfinite(sl.loss), sl.loss, np.nan)), sl.loss.shape) \
        if np.isfinite(sl.loss).any() else (None, None)
    low = (f"; lowest on the map {sl.loss[i, j]:.4g} at ({sl.alpha[i]:+.3g}, {sl.beta[j]:+.3g})"
           if i is not None else "")
    console.print(f"training loss at the end (0, 0): {end_loss:.4g}{low}", highlight=False, markup=False,
                  soft_wrap=True)
    if note:
        console.print(f"note: {note}", highlight=False, markup=False, soft_wrap=True)
