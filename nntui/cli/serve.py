"""`nntui serve`: the app in web browsers."""

from __future__ import annotations

import click

from nntui.cli import common
from nntui.cli.common import UserError
from nntui.cli.main import main


@main.command("serve")
@click.option("--host", default="127.0.0.1", show_default=True,
              help="The address to listen on. 0.0.0.0 lets other machines in: anyone who can reach the "
                   "port gets an nntui process running as you, with no password.")
@click.option("--port", default=8000, show_default=True, type=click.IntRange(1, 65535), help="The port.")
@click.option("--preset", "-p", metavar="NAME|FILE",
              help="The preset each browser tab opens (see `nntui presets`). Default: xor.")
def serve_command(host: str, port: int, preset: str | None) -> None:
    """Serve the app to web browsers (textual-serve): open
    http://127.0.0.1:8000/ and each tab runs its own app, ended when the tab
    closes. Listens on 127.0.0.1 only, unless --host says otherwise.
    """
    import importlib.util

    if importlib.util.find_spec("textual_serve") is None:
        raise UserError('nntui serve needs textual-serve: pip install "nntui[serve]"')
    if preset is not None:
        common.load(preset)  # a bad preset is refused here, not in each tab
    from nntui.serve.server import check_bind, serve

    problem = check_bind(host, port)
    if problem is not None:
        raise UserError(problem)
    serve(host, port, preset)
