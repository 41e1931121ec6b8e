"""The `nntui` group (with no verb it opens the app) and the console script."""

from __future__ import annotations

import sys

import click

from nntui import __version__
from nntui.cli import common
from nntui.cli.common import EXIT_USAGE, UserError


@click.group(invoke_without_command=True, context_settings={"help_option_names": ["-h", "--help"]})
@click.option("--preset", "-p", metavar="NAME|FILE",
              help="A built-in preset (see `nntui presets`) or a preset .toml file. Default: xor.")
@click.option("--load", "runfile", metavar="RUN.npz", help="Resume a run saved with --save or from the app.")
@click.option("--play", is_flag=True, help="Start training at once instead of paused at step 0.")
@click.version_option(__version__, prog_name="nntui")
@click.pass_context
def main(ctx: click.Context, preset: str | None, runfile: str | None, play: bool) -> None:
    """Watch a neural network learn, one phase at a time.

    With no command, open the app on a preset (default: xor), paused at
    step 0 unless --play is given.
    """
    if ctx.invoked_subcommand is not None:
        if preset or runfile or play:
            raise UserError(f"--preset, --load and --play open the app; give them without "
                            f"'{ctx.invoked_subcommand}' (e.g. nntui --preset xor)")
        return
    if preset and runfile:
        raise UserError("give --preset or --load, not both: a runfile carries its own preset")
    config = common.load(preset) if preset else None
    from nntui.app.app import make_app
    from nntui.experiment.config import ConfigError
    from nntui.engine.runfile import RunfileError

    try:
        app = make_app(config, runfile=runfile, play=play)
    except (RunfileError, ConfigError) as e:
        raise UserError(str(e)) from None
    app.run()
    ctx.exit(getattr(app, "return_code", 0) or 0)


def run() -> None:
    """The console script: click's usage errors as one `nntui: error:` line too."""
    try:
        code = main.main(standalone_mode=False)
    except click.UsageError as e:
        hint = f" (see '{e.ctx.command_path} --help')" if e.ctx is not None else ""
        click.echo(f"nntui: error: {e.format_message()}{hint}", err=True)
        sys.exit(EXIT_USAGE)
    except click.ClickException as e:
        e.show()
        sys.exit(e.exit_code)
    except click.Abort:
        click.echo("aborted", err=True)
        sys.exit(130)
    except OSError as e:  # a path no check foresaw (a disk full, a folder gone): one line naming it
        from nntui.engine.files import os_problem

        where = e.filename if e.filename is not None else "nntui"
        click.echo(f"nntui: error: {os_problem(where, e)}", err=True)
        sys.exit(EXIT_USAGE)
    except MemoryError:
        click.echo("nntui: error: out of memory: the network or its data is too large for this machine", err=True)
        sys.exit(EXIT_USAGE)
    sys.exit(code or 0)
