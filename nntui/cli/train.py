"""`nntui train`: train a preset or a runfile headless, and report."""

from __future__ import annotations

import contextlib
import json
import math
import time

import click

from nntui.cli import common, results
from nntui.cli.common import DivergedError, UserError
from nntui.cli.main import main


def _parse_options(values: tuple[str, ...]) -> dict:
    """`--option momentum=0.9 --option nesterov=true` -> {"momentum": 0.9, "nesterov": True}."""
    from nntui.experiment.presets import TooDeep, toml_value

    options = {}
    for item in values:
        key, sep, raw = item.partition("=")
        key = key.strip()
        if not sep or not key:
            raise UserError(f"--option {item[:80]}: write NAME=VALUE, e.g. --option momentum=0.9")
        try:
            options[key] = toml_value(raw.strip())
        except TooDeep as e:
            raise UserError(f"--option {key}: {e}; give a number, true/false, or a list such as [0.9, 0.999]") from None
        except ValueError:
            raise UserError(f"--option {item[:80]}: the value must be a TOML value: a number, true/false, "
                            "or a list such as [0.9, 0.999]") from None
    return options


def optimizer_names() -> list[str]:
    """The names in the engine's OPTIMIZERS registry, in its order, read from
    the registry's source rather than imported: the engine imports numpy, and
    `nntui train --help` must stay instant (tests/test_cli.py checks that help
    imports no numpy, and that these names are the registry's)."""
    import ast
    from pathlib import Path

    tree = ast.parse((Path(__file__).parents[1] / "engine" / "optimizers.py").read_text(encoding="utf-8"))
    named = {}  # class -> its `name = "..."`
    for node in tree.body:
        if isinstance(node, ast.ClassDef):
            for item in node.body:
                if (isinstance(item, ast.Assign) and [getattr(t, "id", None) for t in item.targets] == ["name"]
                        and isinstance(item.value, ast.Constant)):
                    named[node.name] = item.value.value
    for node in tree.body:
        target = node.target if isinstance(node, ast.AnnAssign) else getattr(node, "targets", [None])[0]
        if getattr(target, "id", None) == "OPTIMIZERS":
            found = [named[n.id] for n in ast.walk(node.value) if isinstance(n, ast.Name) and n.id in named]
            return list(dict.fromkeys(found))
    return []


class _HelpWhenShown(click.Option):
    """An option whose help text is made only when help is printed, so that
    running a command never pays for it."""

    def __init__(self, *args, make_help, **kwargs) -> None:
        super().__init__(*args, **kwargs)
        self._make_help = make_help

    def get_help_record(self, ctx):
        if self.help is None:
            self.help = self._make_help()
        return super().get_help_record(ctx)


def _optimizer_help() -> str:
    *first, last = optimizer_names()
    return (f"{', '.join(first)} or {last} (overrides train.optimizer; "
            "the preset's options this optimizer does not take are dropped).")


@main.command("train")
@click.argument("preset", metavar="NAME|FILE")
@click.option("--epochs", type=int, help="Train this many epochs (overrides train.epochs).")
@click.option("--seed", type=int,
              help="Seed for both the data (data.seed) and the model (model.seed): one number, a new run.")
@click.option("--learning-rate", "--lr", "learning_rate", type=float, help="Overrides train.learning_rate.")
@click.option("--optimizer", cls=_HelpWhenShown, make_help=_optimizer_help)
@click.option("--batch-size", type=int, help="Overrides train.batch_size (at or above the training set's size: full batch).")
@click.option("--init", help="Overrides model.init (xavier, he, normal, ...).")
@click.option("--activation", help="Overrides model.activation, the hidden layers' (tanh, relu, ...).")
@click.option("--option", "-o", "options", multiple=True, metavar="NAME=VALUE",
              help="An optimizer option, e.g. momentum=0.9 or betas=[0.9,0.99]; may be repeated.")
@click.option("--save", metavar="RUN.npz",
              help="Save the trained run, to open with `nntui --load RUN.npz`. A file already there is "
                   "refused without --force, except the runfile being resumed (saved back into itself).")
@click.option(common.FORCE_FLAG, "force", is_flag=True, help=common.FORCE_HELP)
@click.option("--json", "as_json", is_flag=True, help="Print one JSON object of results instead of tables.")
@click.option("--ascii", "ascii_only", is_flag=True,
              help="Draw the loss curves and the decision boundary in plain ASCII.")
@click.option("--no-plot", is_flag=True, help="Leave out the loss and accuracy curves.")
@click.option("--answer", "answers", type=int, multiple=True, metavar="N",
              help="Answer the lesson's next question with choice N before the run (given once per "
                   "question, in order); the run judges it, and `nntui lessons` keeps the score.")
def train_command(preset: str, epochs: int | None, seed: int | None, learning_rate: float | None,
                  optimizer: str | None, batch_size: int | None, init: str | None, activation: str | None,
                  options: tuple[str, ...], save: str | None, force: bool, as_json: bool, ascii_only: bool,
                  no_plot: bool, answers: tuple[int, ...] = ()) -> None:
    """Train a preset headless: a progress bar on a terminal, then the final
    metrics, the loss curves per epoch (and accuracy, for classification) and,
    for 2-D data, the decision boundary. In colour on a colour terminal; plain
    text when piped, with --ascii or under NO_COLOR.

    Exit status 0 when done, 2 for a bad preset or option, 3 if training
    diverged (the loss or a weight became NaN or inf, or the loss exploded a
    thousandfold); the message names a learning rate that trains, found by trying.
    """
    from nntui.experiment.config import ConfigError, override

    until = None
    if common.is_runfile(preset):
        changed = [flag for flag, value in (("--seed", seed), ("--learning-rate", learning_rate),
                                            ("--optimizer", optimizer), ("--batch-size", batch_size),
                                            ("--init", init), ("--activation", activation),
                                            ("--option", options or None)) if value is not None]
        if changed:
            raise UserError(f"{preset}: {changed[0]} cannot change a saved run, which resumes exactly as it "
                            "stopped; give --epochs N (N more epochs), --save, --json, --ascii or --no-plot")
        trainer = common.resume(preset)
        config = trainer.config
        until = trainer.epoch + (epochs if epochs is not None else config.train.epochs)
        if epochs is not None and epochs < 1:
            raise UserError(f"--epochs {epochs}: give a number of epochs of at least 1")
    else:
        config = common.load(preset)
    try:
        if until is None:
            config = override(config, epochs=epochs, seed=seed, learning_rate=learning_rate,
                              optimizer=optimizer, batch_size=batch_size, options=_parse_options(options),
                          init=init, activation=activation)
    except ConfigError as e:
        raise UserError(str(e)) from None
    # A resumed runfile saved back into itself is the user's own run, continued: no --force needed.
    replace = force or (until is not None and save is not None and common.same_file(preset, save))
    if save is not None:
        common.check_output(save, replace)  # before training, not after minutes of it
    _check_answers(config, answers)
    if until is None:
        trainer = common.make_trainer(config)
    trainer.keep_rewind(1)  # nothing rewinds headless: keep only what rolls back a diverging step
    with common.quiet_numpy():  # overflow warnings on the way to a divergence, which is reported
        seconds, diverged = _train(trainer, show_progress=not as_json, until_epochs=until)
        saved = _save(trainer, save, replace, diverged) if save is not None else None
        result = results.result(trainer, seconds, diverged, saved)
    if config.lesson is not None:
        _keep_progress(config, result, answers)
    if as_json:
        click.echo(json.dumps(result, indent=2))
    else:
        if diverged is None:
            _report(trainer, result, ascii_only, plot=not no_plot)
        if config.lesson is not None:
            _report_lesson(result)
    if diverged is not None:
        lr = config.train.learning_rate
        found = _rate_that_trains(config)
        if found is None:
            advice = (f"it is {lr:g} now, and no rate down to {_tried_rate(lr, SUGGEST_TRIES):g} trained it: "
                      "look at the data's scale and the model")
        else:
            advice = f"it is {lr:g} now; --learning-rate {found[0]:g} trains it: loss {found[1]:.3g} → {found[2]:.3g}"
        raise DivergedError(f"{config.source}: {diverged} ({advice})")


def _check_answers(config, answers: tuple[int, ...]) -> None:
    asks = config.lesson.asks if config.lesson is not None else ()
    if len(answers) > len(asks):
        raise UserError(f"{config.source}: --answer given {len(answers)} times; the lesson asks "
                        f"{len(asks)} question{'s' if len(asks) != 1 else ''}")
    for i, (n, ask) in enumerate(zip(answers, asks), start=1):
        if not 1 <= n <= len(ask.choices):
            raise UserError(f"--answer {n}: question {i} has choices 1 to {len(ask.choices)}")


def _keep_progress(config, result: dict, answers: tuple[int, ...]) -> None:
    """Judge the answers given into the result, and keep them and the challenges
    met in the progress file (a problem with it is a notice, never a failure)."""
    from nntui.experiment.progress import Progress, lesson_key

    for ask, n in zip(result["asks"], answers):
        ask["answer"] = n
        ask["answered_right"] = n in ask["right"]
    met = [c for c in result["challenges"] if c["met"]]
    if not answers and not met:
        return
    progress = Progress()
    key = lesson_key(config)
    for i, (ask, n) in enumerate(zip(result["asks"], answers), start=1):
        progress.answer(key, i, ask["question"], n, n in ask["right"])
    for i, c in enumerate(result["challenges"], start=1):
        if c["met"]:
            progress.challenge(key, i, c["text"], True)
    for notice in (progress.notice, progress.save()):
        if notice:
            click.echo(f"nntui: {notice}", err=True)


def _report_lesson(result: dict) -> None:
    """The lesson judged on the run: each question's right choice and the numbers
    that decided it, the claims and the challenges."""
    from nntui.experiment.conditions import format_values
    from nntui.experiment.lessons import clean_text

    console = common.make_console()
    lines = []
    for i, ask in enumerate(result["asks"], start=1):
        lines.append(f"Question {i}: {ask['question']}")
        for n, text in enumerate(ask["choices"], start=1):
            mark = "right" if n in ask["right"] else "     "
            yours = "  <- your answer" if ask.get("answer") == n else ""
            lines.append(f"  {n}. [{mark}] {text}{yours}")
        if "answer" in ask:
            lines.append("  You were " + ("right." if ask["answered_right"] else "wrong."))
        lines.append(f"  The run: {format_values(ask['values'])}")
        if ask["explain"]:
            lines.append(f"  {ask['explain']}")
    for c in result["claims"]:
        lines.append(f"Claim {'holds' if c['holds'] else 'FAILS'}: {c.get('text') or c['when']} "
                     f"({format_values(c['values'])})")
    for c in result["challenges"]:
        lines.append(f"Challenge {'met' if c['met'] else 'not met yet'}: {c['text']} ({format_values(c['values'])})")
    console.print()
    console.print(clean_text("\n".join(lines)), highlight=False, markup=False, soft_wrap=True)


SUGGEST_TRIES = 6  # rates tried after a divergence: lr/10, lr/100, ...


SUGGEST_SECONDS = 20.0


def _tried_rate(lr: float, k: int) -> float:
    """The k-th rate tried: lr/10^k, counted from 10 at most (a rate of 1e300
    is tried as 1, 0.1, ..., not as 1e299)."""
    return float(f"{min(lr, 10.0) / 10**k:.3g}")


def _rate_that_trains(config) -> tuple[float, float, float] | None:
    """After a divergence, a learning rate that trains, found by trying: the
    first of lr/10, lr/100, ... whose run of the same epochs neither diverges
    nor ends above its first epoch's loss; (rate, first loss, last loss)."""
    from nntui.experiment.config import override
    from nntui.engine.trainer import Diverged, Trainer

    deadline = time.perf_counter() + SUGGEST_SECONDS
    for k in range(1, SUGGEST_TRIES + 1):
        rate = _tried_rate(config.train.learning_rate, k)
        trial = Trainer(override(config, learning_rate=rate))
        try:
            with common.quiet_numpy():
                trial.run()
        except Diverged:
            continue
        losses = trial.history["train_loss"]
        if losses and math.isfinite(losses[-1]) and losses[-1] < losses[0]:
            return rate, losses[0], losses[-1]
        if time.perf_counter() > deadline:
            break
    return None


def _train(trainer, show_progress: bool, until_epochs: int | None = None):
    """Run to the config's epochs (or its target loss): (seconds of training
    alone, the Diverged it ended with or None). A progress bar on a terminal only."""
    from nntui.engine.trainer import Diverged

    console = common.make_console(stderr=True)
    progress = callback = None
    if show_progress and console.is_terminal:
        from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeRemainingColumn

        progress = Progress(TextColumn("[bold]{task.description}"), BarColumn(), MofNCompleteColumn(),
                            TextColumn("epochs  loss {task.fields[loss]}"), TimeRemainingColumn(),
                            console=console, transient=True)
        total = trainer.config.train.epochs if until_epochs is None else until_epochs
        task = progress.add_task(trainer.config.name, total=total, completed=trainer.epoch, loss="…")

        def callback(tr):
            progress.update(task, completed=tr.epoch, loss=f"{tr.history['train_loss'][-1]:.4g}")

    diverged = None
    with progress or contextlib.nullcontext():
        start = time.perf_counter()
        try:
            trainer.run(until_epochs=until_epochs, callback=callback)
        except Diverged as e:
            diverged = e
        seconds = time.perf_counter() - start
    return seconds, diverged


def _save(trainer, path: str, replace: bool, diverged: str | None = None) -> str:
    from nntui.engine.files import FileExists
    from nntui.engine.runfile import RunfileError, save_run

    try:
        written = save_run(trainer, path, replace=replace)
    except FileExists:  # made meanwhile, while the run trained
        raise common.exists_error(path) from None
    except RunfileError as e:
        raise UserError(str(e)) from None
    except OSError as e:
        raise UserError(f"cannot save the run to {path}: {e.strerror or e}") from None
    what = f"the last finite state (step {trainer.step}) of the run" if diverged else "the run"
    click.echo(f"saved {what} to {written} (open it with: nntui --load {written})", err=True)
    return str(written)


def _report(trainer, result: dict, ascii_only: bool, plot: bool = True) -> None:
    from rich import box
    from rich.table import Table

    console = common.make_console()
    plain = ascii_only or common.no_color() or not console.is_terminal or console.color_system is None
    c = trainer.config
    from rich.text import Text

    # A Text, not a str: a title's [brackets] are shown as written, never read as markup.
    table = Table(title=Text(f"{c.title} ({c.name})"), title_justify="left",
                  box=box.ASCII if ascii_only else box.SIMPLE_HEAVY)
    table.add_column("metric")
    table.add_column("train", justify="right")
    table.add_column("validation", justify="right")
    table.add_row("loss" + f" ({c.train.loss})", common.fmt(result["train_loss"]), common.fmt(result["val_loss"]))
    if "train_accuracy" in result:
        table.add_row("accuracy", common.pct(result["train_accuracy"]), common.pct(result["val_accuracy"]))
    console.print(table)
    stop = " (target loss reached)" if result["target_loss_reached"] else ""
    if trainer.stopped:
        stop = f" ({trainer.stopper.reason(trainer.stop)})"
    options = "".join(f", {k} {v}" for k, v in result["options"].items())
    sc = c.train.schedule
    schedule = "" if sc is None else (f" on a {sc.kind} schedule" + (f" after {sc.warmup} epochs of warm-up"
                                                                     if sc.warmup else ""))
    console.print(f"{result['epochs']} epochs, {result['steps']} steps in {result['seconds']:.2f} s{stop}; "
                  f"{c.train.optimizer}, learning rate {c.train.learning_rate:g}{schedule}{options}, "
                  f"batch {c.train.batch_size}", highlight=False, soft_wrap=True)
    if plot:
        _print_curves(console, trainer.history, c.train.loss, common.chart_style(console, ascii_only))
    if trainer.confusion is not None:
        from nntui.text.confusion import confusion_text

        console.print()
        console.print(confusion_text(trainer.confusion, plain=plain), highlight=False, soft_wrap=True)
    from nntui.text.boundary import has_boundary, render_ascii, render_color

    if has_boundary(trainer):
        width = max(20, min(60, console.width - 2))
        rows = width * 2 // 5  # character cells are about twice as tall as wide
        console.print()
        if plain:
            console.print(render_ascii(trainer, width, rows), highlight=False, markup=False, soft_wrap=True)
        else:
            basic = console.color_system == "standard"
            console.print(render_color(trainer, width, rows, basic=basic), soft_wrap=True)


def _print_curves(console, history: dict, loss_name: str, style: str) -> None:
    from nntui.text.curves import history_charts

    width, height = common.chart_size(console)
    text = history_charts(history, loss_name, width, style, height=height)
    if text:
        console.print()
        common.print_raw(console, text)
