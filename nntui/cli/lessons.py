"""`nntui lessons`: the lessons in story order, with the learner's progress."""

from __future__ import annotations

import json

import click

from nntui.cli import common
from nntui.cli.main import main


def lesson_rows(progress) -> list[dict]:
    """One row a lesson: the built-ins in story order, then lesson files that
    have progress kept (by path), each with its asks and challenges scored."""
    from nntui.experiment.config import ConfigError
    from nntui.experiment.presets import list_presets, load_preset

    rows = []
    for name, _ in list_presets():
        config = common.load(name)
        rows.append({"name": name, "title": config.title, **progress.summary(name, config.lesson)})
    builtin = {row["name"] for row in rows}
    for key in progress.lessons:
        if key in builtin:
            continue
        try:
            config = load_preset(key)
        except ConfigError:  # moved or broken since: its answers cannot be matched to questions
            continue
        rows.append({"name": key, "title": config.title, **progress.summary(key, config.lesson)})
    return rows


@main.command("lessons")
@click.option("--json", "as_json", is_flag=True, help="One JSON object instead of a table.")
def lessons_command(as_json: bool) -> None:
    """List the lessons in story order, with the questions answered (and answered
    right) and the challenges met. Answer a lesson's questions in the app (keys
    1-9) or with `nntui train NAME --answer N`."""
    from nntui.experiment.progress import Progress

    progress = Progress()
    if progress.notice:
        click.echo(f"nntui: {progress.notice}", err=True)
    rows = lesson_rows(progress)
    if as_json:
        click.echo(json.dumps({"progress_file": str(progress.path) if progress.path else None, "lessons": rows},
                              indent=2, ensure_ascii=False))
        return
    from rich.table import Table

    console = common.make_console()
    table = Table(title="lessons (nntui --preset NAME; answers kept in "
                        f"{progress.path or 'nowhere: see the notice'})", title_justify="left")
    for column in ("name", "title", "answered", "right", "challenges met"):
        table.add_column(column, no_wrap=column == "name",
                         justify="right" if column in ("answered", "right", "challenges met") else "left")
    from rich.text import Text  # names and titles as written, never as markup

    for row in rows:
        a, c = row["asks"], row["challenges"]
        table.add_row(Text(row["name"]), Text(row["title"]), f"{a['answered']}/{a['total']}", f"{a['right']}/{a['total']}",
                      f"{c['met']}/{c['total']}" if c["total"] else "-")
    console.print(table)
