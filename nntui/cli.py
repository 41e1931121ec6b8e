"""The `nntui` command. Imports neither textual nor numpy before it needs them."""

import click


@click.group(invoke_without_command=True)
@click.pass_context
def main(ctx: click.Context) -> None:
    """Watch a neural network learn."""
