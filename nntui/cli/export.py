"""`nntui export`: a run as a standalone PyTorch script."""

from __future__ import annotations

import os

import click

from nntui.cli import common
from nntui.cli.common import UserError
from nntui.cli.main import main


@main.command("export")
@click.argument("preset", metavar="NAME|FILE|RUN.npz")
@click.option("--to", "target", type=click.Choice(["pytorch"]), required=True,
              help="What to write: pytorch, a standalone script that needs only torch and numpy.")
@click.option("--output", "-o", "output", metavar="OUT.py",
              help="Write the script to this file (default: print it).")
@click.option("--epochs", type=int, help="Epochs the script trains (default: the preset's; 1 to 10,000,000, as train's).")
@click.option(common.FORCE_FLAG, "force", is_flag=True, help=common.FORCE_HELP)
def export_command(preset: str, target: str, output: str | None, epochs: int | None, force: bool) -> None:
    """Write a run as a PyTorch script: the same data, starting weights, loss,
    optimizer, options and batch order. Run, it prints `epoch E train_loss L
    val_loss V`, equal to `nntui train`'s history to about 1e-9.

    A RUN.npz goes on from where it stopped, with its optimizer's state."""
    from nntui.engine.spec import MAX_EPOCHS
    from nntui.experiment.export import ExportError, pytorch_script

    if epochs is not None and not 1 <= epochs <= MAX_EPOCHS:
        raise UserError(f"--epochs {epochs}: must be from 1 to {MAX_EPOCHS} (as for nntui train)")
    if output is not None:
        common.check_output(output, force)
    trainer = common.resume(preset) if common.is_runfile(preset) else common.make_trainer(common.load(preset))
    epochs = epochs or trainer.config.train.epochs
    try:
        source = os.path.basename(preset) if common.is_runfile(preset) else trainer.config.source
        script = pytorch_script(trainer, epochs, source=source)
    except ExportError as e:
        raise UserError(f"{trainer.config.source or preset}: cannot export to PyTorch: {e}") from None
    if output is None:
        click.echo(script, nl=False)
        return
    common.write_output(output, script, force)
    click.echo(f"wrote {output}: python {output} trains {epochs} epochs with torch", err=True)
