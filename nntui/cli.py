"""The `nntui` command. Imports neither textual nor numpy before it needs them.

    nntui [--preset NAME|FILE] [--load RUN.npz] [--play]   open the app
    nntui presets [--json]                                  list built-in presets
    nntui train NAME|FILE [options]                         train headless
    nntui gradcheck NAME|FILE [--json]                      check every gradient
    nntui serve [--host H] [--port P] [--preset NAME|FILE]   the app in a web browser

Exit status: 0 done; 1 gradcheck found an error above tolerance; 2 bad usage
or a bad preset or runfile (one line on stderr, no traceback); 3 training
diverged.
"""

from __future__ import annotations

import contextlib
import json
import math
import os
import sys
import time

import click

from nntui import __version__

EXIT_GRADCHECK = 1
EXIT_USAGE = 2
EXIT_DIVERGED = 3
GRADCHECK_TOLERANCE = 1e-6


class UserError(click.ClickException):
    """A user's mistake: one line on stderr, `nntui: error: ...`, exit 2."""

    exit_code = EXIT_USAGE

    def show(self, file=None) -> None:
        click.echo(f"nntui: error: {self.format_message()}", err=True)


class DivergedError(UserError):
    exit_code = EXIT_DIVERGED


def _load(preset: str):
    """The checked Config for a built-in name or a file, or a UserError."""
    from nntui.config import ConfigError
    from nntui.presets import load_preset

    try:
        return load_preset(preset)
    except ConfigError as e:
        raise UserError(str(e)) from None


def _no_color() -> bool:
    return bool(os.environ.get("NO_COLOR"))  # no-color.org: set and not empty


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
    config = _load(preset) if preset else None
    from nntui.app.app import make_app
    from nntui.config import ConfigError
    from nntui.engine.runfile import RunfileError

    try:
        app = make_app(config, runfile=runfile, play=play)
    except (RunfileError, ConfigError) as e:
        raise UserError(str(e)) from None
    app.run()
    ctx.exit(getattr(app, "return_code", 0) or 0)


# --- nntui presets --------------------------------------------------------------------


def describe(config) -> dict:
    """What `nntui presets` shows of one preset."""
    d, m, t = config.data, config.model, config.train
    if d.dataset == "csv":
        dataset = os.path.basename(d.path)
    elif d.classes is not None:
        dataset = f"{d.dataset} ({d.classes} classes)"
    else:
        dataset = d.dataset
    sizes = "-".join(str(s) for s in m.layers)
    acts = f"{m.activation} → {m.output}" if len(m.layers) > 2 else m.output
    return {"title": config.title, "dataset": dataset, "layers": list(m.layers),
            "architecture": f"{sizes} {acts}", "optimizer": t.optimizer, "loss": t.loss,
            "description": config.description}


@main.command("presets")
@click.option("--json", "as_json", is_flag=True, help="One JSON list instead of a table.")
def presets_command(as_json: bool) -> None:
    """List the built-in presets: name, title, dataset and architecture."""
    from nntui.presets import list_presets

    rows = [{"name": name, **describe(_load(name)), "path": str(path)} for name, path in list_presets()]
    if as_json:
        click.echo(json.dumps(rows, indent=2, ensure_ascii=False))
        return
    from rich.table import Table

    table = Table(title="built-in presets (nntui train NAME, nntui --preset NAME)", title_justify="left")
    console = _console()
    # On a narrow console (80 columns, as a pipe gets) the data and architecture
    # wrap at set widths, so the title keeps a few words a line rather than one
    # (Rich's own shrinking left it 7 columns, or cropped the table).
    narrow = {"dataset": 12, "architecture": 16} if console.width < 110 else {}
    for column in ("name", "title", "dataset", "architecture"):
        table.add_column(column, no_wrap=column == "name", max_width=narrow.get(column))
    for row in rows:
        table.add_row(row["name"], row["title"], row["dataset"], row["architecture"])
    console.print(table)


# --- nntui train ------------------------------------------------------------------------


def _parse_options(values: tuple[str, ...]) -> dict:
    """`--option momentum=0.9 --option nesterov=true` -> {"momentum": 0.9, "nesterov": True}."""
    import tomllib

    options = {}
    for item in values:
        key, sep, raw = item.partition("=")
        key = key.strip()
        if not sep or not key:
            raise UserError(f"--option {item}: write NAME=VALUE, e.g. --option momentum=0.9")
        try:
            options[key] = tomllib.loads(f"v = {raw.strip()}")["v"]
        except tomllib.TOMLDecodeError:
            raise UserError(f"--option {item}: the value must be a TOML value: a number, true/false, "
                            "or a list such as [0.9, 0.999]") from None
    return options


@main.command("train")
@click.argument("preset", metavar="NAME|FILE")
@click.option("--epochs", type=int, help="Train this many epochs (overrides train.epochs).")
@click.option("--seed", type=int,
              help="Seed for both the data (data.seed) and the model (model.seed): one number, a new run.")
@click.option("--learning-rate", "--lr", "learning_rate", type=float, help="Overrides train.learning_rate.")
@click.option("--optimizer", help="sgd, adam, adamw, rmsprop, adagrad or perceptron (overrides train.optimizer; "
                                  "the preset's options this optimizer does not take are dropped).")
@click.option("--batch-size", type=int, help="Overrides train.batch_size (at or above the training set's size: full batch).")
@click.option("--init", help="Overrides model.init (xavier, he, normal, ...).")
@click.option("--activation", help="Overrides model.activation, the hidden layers' (tanh, relu, ...).")
@click.option("--option", "-o", "options", multiple=True, metavar="NAME=VALUE",
              help="An optimizer option, e.g. momentum=0.9 or betas=[0.9,0.99]; may be repeated.")
@click.option("--save", metavar="RUN.npz", help="Save the trained run, to open with `nntui --load RUN.npz`.")
@click.option("--json", "as_json", is_flag=True, help="Print one JSON object of results instead of tables.")
@click.option("--ascii", "ascii_only", is_flag=True,
              help="Draw the loss curves and the decision boundary in plain ASCII.")
@click.option("--no-plot", is_flag=True, help="Leave out the loss and accuracy curves.")
def train_command(preset: str, epochs: int | None, seed: int | None, learning_rate: float | None,
                  optimizer: str | None, batch_size: int | None, init: str | None, activation: str | None,
                  options: tuple[str, ...], save: str | None, as_json: bool, ascii_only: bool,
                  no_plot: bool) -> None:
    """Train a preset headless: a progress bar on a terminal, then the final
    metrics, the loss curves per epoch (and accuracy, for classification) and,
    for 2-D data, the decision boundary. In colour on a colour terminal; plain
    text when piped, with --ascii or under NO_COLOR.

    Exit status 0 when done, 2 for a bad preset or option, 3 if training
    diverged (the loss or a weight became NaN or inf, or the loss exploded a
    thousandfold); the message names a learning rate that trains, found by trying.
    """
    from nntui.config import ConfigError, override

    from nntui.engine.runfile import RunfileError, check_writable

    until = None
    if _is_runfile(preset):
        changed = [flag for flag, value in (("--seed", seed), ("--learning-rate", learning_rate),
                                            ("--optimizer", optimizer), ("--batch-size", batch_size),
                                            ("--init", init), ("--activation", activation),
                                            ("--option", options or None)) if value is not None]
        if changed:
            raise UserError(f"{preset}: {changed[0]} cannot change a saved run, which resumes exactly as it "
                            "stopped; give --epochs N (N more epochs), --save, --json, --ascii or --no-plot")
        trainer = _resume(preset)
        config = trainer.config
        until = trainer.epoch + (epochs if epochs is not None else config.train.epochs)
        if epochs is not None and epochs < 1:
            raise UserError(f"--epochs {epochs}: give a number of epochs of at least 1")
    else:
        config = _load(preset)
    try:
        if until is None:
            config = override(config, epochs=epochs, seed=seed, learning_rate=learning_rate,
                              optimizer=optimizer, batch_size=batch_size, options=_parse_options(options),
                          init=init, activation=activation)
        if save is not None:
            check_writable(save)  # before training, not after minutes of it
    except (ConfigError, RunfileError) as e:
        raise UserError(str(e)) from None
    if until is None:
        trainer = _trainer(config)
    trainer.keep_rewind(1)  # nothing rewinds headless: keep only what rolls back a diverging step
    with _quiet_numpy():  # overflow warnings on the way to a divergence, which is reported
        seconds, diverged = _train(trainer, show_progress=not as_json, until_epochs=until)
        saved = _save(trainer, save, diverged) if save is not None else None
        result = _result(trainer, seconds, diverged, saved)
    if as_json:
        click.echo(json.dumps(result, indent=2))
    elif diverged is None:
        _report(trainer, result, ascii_only, plot=not no_plot)
    if diverged is not None:
        lr = config.train.learning_rate
        found = _rate_that_trains(config)
        if found is None:
            advice = (f"it is {lr:g} now, and no rate down to {lr / 10**SUGGEST_TRIES:g} trained it: "
                      "look at the data's scale and the model")
        else:
            advice = f"it is {lr:g} now; --learning-rate {found[0]:g} trains it: loss {found[1]:.3g} → {found[2]:.3g}"
        raise DivergedError(f"{config.source}: {diverged} ({advice})")


SUGGEST_TRIES = 6  # rates tried after a divergence: lr/10, lr/100, ...
SUGGEST_SECONDS = 20.0


def _rate_that_trains(config) -> tuple[float, float, float] | None:
    """After a divergence, a learning rate that trains, found by trying: the
    first of lr/10, lr/100, ... whose run of the same epochs neither diverges
    nor ends above its first epoch's loss; (rate, first loss, last loss)."""
    from nntui.config import override
    from nntui.engine.trainer import Diverged, Trainer

    deadline = time.perf_counter() + SUGGEST_SECONDS
    for k in range(1, SUGGEST_TRIES + 1):
        rate = float(f"{config.train.learning_rate / 10**k:.3g}")
        trial = Trainer(override(config, learning_rate=rate))
        try:
            with _quiet_numpy():
                trial.run()
        except Diverged:
            continue
        losses = trial.history["train_loss"]
        if losses and math.isfinite(losses[-1]) and losses[-1] < losses[0]:
            return rate, losses[0], losses[-1]
        if time.perf_counter() > deadline:
            break
    return None


def _is_runfile(name: str) -> bool:
    """A runfile by its name (RUN.npz) or by its first bytes (a zip archive)."""
    if name.endswith(".npz"):
        return True
    try:
        import stat

        if not stat.S_ISREG(os.stat(name).st_mode):
            return False
        with open(name, "rb") as f:
            return f.read(4) == b"PK\x03\x04"
    except (OSError, ValueError):
        return False


def _resume(path: str):
    """The trainer a runfile holds (the app's --load reads it the same way)."""
    from nntui.runs import RunfileError, load_run

    try:
        return load_run(path)
    except RunfileError as e:
        raise UserError(str(e)) from None


def _trainer(config):
    from nntui.engine.datasets import DataError
    from nntui.engine.trainer import Trainer

    try:
        return Trainer(config)
    except DataError as e:
        raise UserError(f"{config.source}: {e}") from None


@contextlib.contextmanager
def _quiet_numpy():
    import warnings

    import numpy as np

    with warnings.catch_warnings(), np.errstate(all="ignore"):
        warnings.simplefilter("ignore", RuntimeWarning)
        yield


def _train(trainer, show_progress: bool, until_epochs: int | None = None):
    """Run to the config's epochs (or its target loss): (seconds of training
    alone, the Diverged it ended with or None). A progress bar on a terminal only."""
    from nntui.engine.trainer import Diverged

    console = _console(stderr=True)
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


def _save(trainer, path: str, diverged: str | None = None) -> str:
    from nntui.engine.runfile import save_run

    from nntui.engine.runfile import RunfileError

    try:
        written = save_run(trainer, path)
    except RunfileError as e:
        raise UserError(str(e)) from None
    except OSError as e:
        raise UserError(f"cannot save the run to {path}: {e.strerror or e}") from None
    what = f"the last finite state (step {trainer.step}) of the run" if diverged else "the run"
    click.echo(f"saved {what} to {written} (open it with: nntui --load {written})", err=True)
    return str(written)


def _result(trainer, seconds: float, diverged, saved: str | None) -> dict:
    """The train --json object; `diverged` is the Diverged (or its message) or None."""
    c = trainer.config
    metrics = _final_metrics(trainer)
    result = {
        "preset": c.name, "title": c.title,
        "epochs": trainer.epoch, "steps": trainer.step, "seconds": round(seconds, 6),
        "train_loss": _finite(metrics["train_loss"]), "val_loss": _finite(metrics["val_loss"]),
    }
    if trainer.dataset.task != "regression":
        result["train_accuracy"] = metrics["train_accuracy"]
        result["val_accuracy"] = metrics["val_accuracy"]
    target = c.train.target_loss
    result.update({
        "task": trainer.dataset.task, "layers": list(c.model.layers), "optimizer": c.train.optimizer,
        **({"features": list(trainer.features)} if trainer.features else {}),
        "learning_rate": c.train.learning_rate, "batch_size": c.train.batch_size,
        "options": {k: list(v) if isinstance(v, tuple) else v for k, v in c.train.options.items()},
        "data_seed": c.data.seed, "model_seed": c.model.seed,
        "target_loss_reached": bool(target is not None and trainer.history["train_loss"]
                                    and trainer.history["train_loss"][-1] <= target),
        "diverged": diverged is not None,
    })
    if diverged is not None:
        # A NaN step is undone (the next step is the one that failed); an
        # exploding loss names the step it was found at.
        result["diverged_at_step"] = getattr(diverged, "step", trainer.step + 1)
        result["error"] = str(diverged)
    if saved:
        result["saved"] = saved
    if trainer.confusion is not None:  # classification, once an epoch has ended
        result["confusion"] = trainer.confusion.to_dict()
    result["history"] = _history(trainer)
    return result


def _history(trainer) -> dict:
    """Per-epoch lists, one entry per epoch done (val_loss empty without a
    validation set; the accuracies for classification only)."""
    keys = ["train_loss", "val_loss"]
    if trainer.dataset.task != "regression":
        keys += ["train_accuracy", "val_accuracy"]
    return {k: [_finite(float(v)) for v in trainer.history[k]] for k in keys}


def _final_metrics(trainer) -> dict:
    """The last epoch's metrics, as the app, the history and the runfile show
    them (train: the mean over the epoch's batches); a fresh evaluation only
    when no epoch has finished."""
    h = trainer.history
    if not h["train_loss"]:
        return trainer.evaluate()
    return {k: (h[k][-1] if h[k] else None)
            for k in ("train_loss", "val_loss", "train_accuracy", "val_accuracy")}


def _finite(x):
    """JSON has no NaN or inf: null instead (only after a divergence)."""
    return x if x is None or math.isfinite(x) else None


def _report(trainer, result: dict, ascii_only: bool, plot: bool = True) -> None:
    from rich import box
    from rich.table import Table

    console = _console()
    plain = ascii_only or _no_color() or not console.is_terminal or console.color_system is None
    c = trainer.config
    table = Table(title=f"{c.title} ({c.name})", title_justify="left",
                  box=box.ASCII if ascii_only else box.SIMPLE_HEAVY)
    table.add_column("metric")
    table.add_column("train", justify="right")
    table.add_column("validation", justify="right")
    table.add_row("loss" + f" ({c.train.loss})", _fmt(result["train_loss"]), _fmt(result["val_loss"]))
    if "train_accuracy" in result:
        table.add_row("accuracy", _pct(result["train_accuracy"]), _pct(result["val_accuracy"]))
    console.print(table)
    stop = " (target loss reached)" if result["target_loss_reached"] else ""
    options = "".join(f", {k} {v}" for k, v in result["options"].items())
    console.print(f"{result['epochs']} epochs, {result['steps']} steps in {result['seconds']:.2f} s{stop}; "
                  f"{c.train.optimizer}, learning rate {c.train.learning_rate:g}{options}, "
                  f"batch {c.train.batch_size}", highlight=False, soft_wrap=True)
    if plot:
        _print_curves(console, trainer.history, c.train.loss, _chart_style(console, ascii_only))
    if trainer.confusion is not None:
        from nntui.confusion_text import confusion_text

        console.print()
        console.print(confusion_text(trainer.confusion, plain=plain), highlight=False, soft_wrap=True)
    from nntui.boundary_text import has_boundary, render_ascii, render_color

    if has_boundary(trainer):
        width = max(20, min(60, console.width - 2))
        rows = width * 2 // 5  # character cells are about twice as tall as wide
        console.print()
        if plain:
            console.print(render_ascii(trainer, width, rows), highlight=False, markup=False, soft_wrap=True)
        else:
            basic = console.color_system == "standard"
            console.print(render_color(trainer, width, rows, basic=basic), soft_wrap=True)


def _chart_style(console, ascii_only: bool) -> str:
    """color on a colour terminal; plain (no escape codes) when piped or under
    NO_COLOR; ascii with --ascii."""
    if ascii_only:
        return "ascii"
    if _no_color() or not console.is_terminal or console.color_system is None:
        return "plain"
    return "color"


def _chart_size(console) -> tuple[int, int]:
    """(width, loss chart height): the terminal's width; a third of its height, 10 to 20 rows."""
    width = max(30, min(console.width, 160))
    height = max(10, min(20, console.height // 3)) if console.is_terminal else 14
    return width, height


def _print_curves(console, history: dict, loss_name: str, style: str) -> None:
    from nntui.curves import history_charts

    width, height = _chart_size(console)
    text = history_charts(history, loss_name, width, style, height=height)
    if text:
        console.print()
        _print_raw(console, text)


def _print_raw(console, text: str) -> None:
    """Text that may hold plotext's own ANSI codes, printed as is."""
    console.file.write(text + "\n")
    console.file.flush()


def _fmt(x) -> str:
    return "—" if x is None else f"{x:.6g}"


def _pct(x) -> str:
    return "—" if x is None else f"{x:.1%}"


def _console(stderr: bool = False):
    from rich.console import Console

    return Console(stderr=stderr, no_color=_no_color() or None)


# --- nntui compare ----------------------------------------------------------------------


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
    from nntui.config import ConfigError
    from nntui.variants import Race, VaryError, declared_variants, make_variants, parse_vary

    if len(vary) > 1:
        raise UserError(f"one --vary at a time (given {len(vary)}: {', '.join(vary)})")
    config = _load(preset)
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
    with _quiet_numpy():
        _run_race(race, show_progress=not as_json)
    runs = [{"vary": r.variant.vary, **_result(r.trainer, r.seconds, r.diverged, None)}
            for r in race.runners]
    if as_json:
        click.echo(json.dumps({"runs": runs}, indent=2))
    else:
        _compare_report(config, race, runs, key, ascii_only, plot=not no_plot)
    diverged = [r for r in race.runners if r.diverged]
    if diverged:
        raise DivergedError(f"{config.source}: " + "; ".join(f"{r.variant.label}: {r.diverged}" for r in diverged))


def _run_race(race, show_progress: bool) -> None:
    console = _console(stderr=True)
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

    console = _console()
    style = _chart_style(console, ascii_only)
    c = config
    labels = [r.variant.label for r in race.runners]
    console.print(f"{c.title} ({c.name}): {', '.join(labels)}, in lockstep on the same data",
                  highlight=False, soft_wrap=True)
    if plot:
        from nntui.curves import Chart, Curve, curves_text

        width, height = _chart_size(console)
        curves = [Curve(label, r.trainer.history["train_loss"]) for label, r in zip(labels, race.runners)]
        text = curves_text([Chart(f"train loss ({c.train.loss})", curves, height=height)], width, style)
        if text:
            console.print()
            _print_raw(console, text)
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
            row += [_pct(run["train_accuracy"]), _pct(run["val_accuracy"])]
        epochs = str(run["epochs"]) + (" (diverged)" if run["diverged"] else "")
        row.append(epochs)
        table.add_row(*row)
    console.print(table)


# --- nntui export -----------------------------------------------------------------------


@main.command("export")
@click.argument("preset", metavar="NAME|FILE|RUN.npz")
@click.option("--to", "target", type=click.Choice(["pytorch"]), required=True,
              help="What to write: pytorch, a standalone script that needs only torch and numpy.")
@click.option("--output", "-o", "output", metavar="OUT.py",
              help="Write the script to this file (default: print it).")
@click.option("--epochs", type=click.IntRange(min=1), help="Epochs the script trains (default: the preset's).")
def export_command(preset: str, target: str, output: str | None, epochs: int | None) -> None:
    """Write a run as a PyTorch script: the same data, starting weights, loss,
    optimizer, options and batch order. Run, it prints `epoch E train_loss L
    val_loss V`, equal to `nntui train`'s history to about 1e-9.

    A RUN.npz goes on from where it stopped, with its optimizer's state."""
    from nntui.export import ExportError, pytorch_script

    trainer = _resume(preset) if _is_runfile(preset) else _trainer(_load(preset))
    epochs = epochs or trainer.config.train.epochs
    try:
        source = os.path.basename(preset) if _is_runfile(preset) else trainer.config.source
        script = pytorch_script(trainer, epochs, source=source)
    except ExportError as e:
        raise UserError(f"{trainer.config.source or preset}: cannot export to PyTorch: {e}") from None
    if output is None:
        click.echo(script, nl=False)
        return
    from nntui.engine.files import FileRefused, write_atomic

    try:
        write_atomic(output, lambda f: f.write(script.encode("utf-8")))
    except (FileRefused, OSError) as e:
        raise UserError(str(e)) from None
    click.echo(f"wrote {output}: python {output} trains {epochs} epochs with torch", err=True)


# --- nntui gradcheck --------------------------------------------------------------------


@main.command("gradcheck")
@click.argument("preset", metavar="NAME|FILE")
@click.option("--json", "as_json", is_flag=True, help="Print one JSON object of errors instead of a table.")
def gradcheck_command(preset: str, as_json: bool) -> None:
    """Check every gradient of a preset's net against central finite differences
    (float64, at the initial weights, on the first batch).

    Prints the largest relative error per layer; exit status 1 if any is above 1e-6.
    """
    from nntui.engine.gradcheck import gradcheck

    config = _load(preset)
    trainer = _trainer(config)
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

        table = Table(title=f"gradient check: {config.title} ({config.name})", title_justify="left")
        for column in ("layer", "max rel. error W", "max rel. error b", "ok"):
            table.add_column(column, justify="right" if column != "ok" else "center")
        for l in range(1, L + 1):
            w, b = errors[f"W{l}"], errors[f"b{l}"]
            table.add_row(str(l), f"{w:.2e}", f"{b:.2e}", "yes" if max(w, b) <= GRADCHECK_TOLERANCE else "NO")
        console = _console()
        console.print(table)
        verdict = "all gradients agree" if ok else "some gradients disagree"
        console.print(f"{verdict}: largest relative error {worst:.2e} (tolerance {GRADCHECK_TOLERANCE:g})",
                      highlight=False)
    if not ok:
        sys.exit(EXIT_GRADCHECK)


# --- nntui serve ------------------------------------------------------------------------


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
        _load(preset)  # a bad preset is refused here, not in each tab
    from nntui.serve import check_bind, serve

    problem = check_bind(host, port)
    if problem is not None:
        raise UserError(problem)
    serve(host, port, preset)


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
