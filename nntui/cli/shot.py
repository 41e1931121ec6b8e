"""`nntui shot`: a picture of the app for slides, made headless."""

from __future__ import annotations

import re

import click

from nntui.cli import common
from nntui.cli.common import UserError
from nntui.cli.main import main

MIN_SIZE, MAX_SIZE = (60, 20), (400, 200)
# The registry's views and the race's two (app/shots.py view_names; a test holds them equal):
# named here so that `--help` lists them without loading the app.
VIEW_NAMES = ("status", "network", "mistakes", "inspector", "boundary", "sample", "units", "loss", "heatmaps",
              "confusion", "gradients", "hidden", "landscape", "race", "race-landscape")


def parse_size(text: str) -> tuple[int, int]:
    m = re.fullmatch(r"\s*(\d{1,4})\s*[xX×]\s*(\d{1,4})\s*", text)
    if m is None:
        raise UserError(f"--size {text}: write COLUMNSxROWS, e.g. 160x48")
    w, h = int(m.group(1)), int(m.group(2))
    if not (MIN_SIZE[0] <= w <= MAX_SIZE[0] and MIN_SIZE[1] <= h <= MAX_SIZE[1]):
        raise UserError(f"--size {text}: from {MIN_SIZE[0]}x{MIN_SIZE[1]} to {MAX_SIZE[0]}x{MAX_SIZE[1]}")
    return w, h


@main.command("shot")
@click.argument("preset", metavar="NAME|FILE|RUN.npz")
@click.option("--epochs", type=int,
              help="Epochs to train before the picture (default: the preset's; for a RUN.npz, none more).")
@click.option("--view", "view", metavar="VIEW",
              help=f"The view to show: {', '.join(VIEW_NAMES)}; default: the main screen as it opens.")
@click.option("--size", default="160x48", show_default=True, help="The screen, COLUMNSxROWS.")
@click.option("--output", "-o", "output", required=True, metavar="OUT.svg|OUT.txt",
              help="Where to write it: .svg as Textual's screenshot, .txt as plain text.")
@click.option("--keys", "keys", default="", metavar="KEYS",
              help="Keys to press last, as a user would, e.g. 'n n n' (the step's first phases) or 'i j'.")
@click.option(common.FORCE_FLAG, "force", is_flag=True, help=common.FORCE_HELP)
def shot_command(preset: str, epochs: int | None, view: str | None, size: str, output: str, keys: str,
                 force: bool) -> None:
    """Run the app headless on a preset or a runfile, train it, show a view and
    save the screen: an SVG as Textual's screenshot writes it, or plain text."""
    import asyncio

    from nntui.engine.trainer import Diverged

    width, height = parse_size(size)
    kind = output.rsplit(".", 1)[-1].lower() if "." in output else ""
    if kind not in ("svg", "txt"):
        raise UserError(f"-o {output}: name an .svg (Textual's screenshot) or a .txt (plain text) file")
    common.check_output(output, force)
    runfile = common.is_runfile(preset)
    if epochs is not None and epochs < 0:
        raise UserError(f"--epochs {epochs}: give 0 or more epochs")
    trainer = common.resume(preset) if runfile else common.make_trainer(common.load(preset))
    from nntui.app import shots

    try:
        shots.check_view(view)
    except ValueError as e:
        raise UserError(f"--view {view}: {e}") from None
    try:
        pressed = shots.parse_keys(keys)
    except ValueError as e:
        raise UserError(f"--keys {keys}: {e}") from None
    if view in shots.RACES and not trainer.config.variants:
        raise UserError(f"--view {view}: {trainer.config.source or preset} declares no [compare] variants to race "
                        "(`nntui compare` races --vary variants headless)")
    more = epochs if epochs is not None else (0 if runfile else trainer.config.train.epochs)
    race_epochs = epochs if epochs is not None else trainer.config.train.epochs
    trainer.keep_rewind(1)
    if trainer.timeline is None:
        trainer.keep_timeline()  # every epoch's end: the landscape draws the whole path
    with common.quiet_numpy():
        try:
            trainer.run(until_epochs=trainer.epoch + (0 if view in shots.RACES else more))
        except Diverged as e:
            click.echo(f"nntui: note: {e}; the picture shows the last finite state", err=True)
    picture = asyncio.run(shots.take(trainer, view, (width, height), kind, race_epochs, pressed))
    common.write_output(output, picture, force)
    click.echo(f"wrote {output}: {width}x{height}, {trainer.config.name} after "
               f"{race_epochs if view in shots.RACES else trainer.epoch} epochs"
               + (f", the {view} view" if view else ""), err=True)
