"""Loss curves with plotext: nntui.text.curves, and `nntui train`'s charts and
`--json` history (the CLI in a real process where it matters: pipes, NO_COLOR)."""

from __future__ import annotations

import io
import json
import math
import os
import re
import subprocess
import sys

import pytest
from click.testing import CliRunner
from rich.console import Console

from nntui.cli import common, main
from nntui.text.curves import Chart, Curve, chart_text, curves_text, decade_ticks, epoch_ticks, history_charts, uses_log

ANSI = re.compile(r"\x1b\[[0-9;?]*[A-Za-z]")
Y_TICK = re.compile(r"^\s*(\S+)┤")


def _nntui(*args: str, env: dict | None = None) -> subprocess.CompletedProcess:
    code = "import sys; from nntui.cli import run; sys.argv[0] = 'nntui'; run()"
    full = {k: v for k, v in os.environ.items() if k != "NO_COLOR"}
    full.update(env or {})
    return subprocess.run([sys.executable, "-c", code, *args], capture_output=True, text=True, timeout=180, env=full)


def _chart_blocks(text: str) -> dict[str, list[str]]:
    """Each chart's lines by its title ("loss (bce)", "accuracy"), up to its epoch label."""
    blocks, current = {}, None
    for line in text.splitlines():
        m = re.match(r"^(loss \(\w+\)|accuracy)( \(log scale\))?   ", line)
        if m:
            current = blocks.setdefault(m.group(1), [line])
            continue
        if current is not None:
            current.append(line)
            if line.strip() == "epoch":
                current = None
    return blocks


# --- the module -----------------------------------------------------------------------------


@pytest.mark.parametrize("epochs, width", [(1, 80), (2, 80), (7, 40), (10, 80), (60, 80), (200, 80), (300, 40),
                                           (1000, 120), (12345, 80), (9_999_999, 60)])
def test_epoch_ticks_are_whole_round_and_fit(epochs, width):
    ticks = epoch_ticks(epochs, width)
    assert ticks[0] == 1 and all(isinstance(t, int) for t in ticks)
    assert ticks == sorted(set(ticks)) and ticks[-1] <= epochs
    assert len(ticks) <= max(2, width // 8)
    steps = {b - a for a, b in zip(ticks[1:], ticks[2:])}
    assert len(steps) <= 1  # one step after the first tick
    if len(ticks) > 1:
        step = ticks[-1] - ticks[-2]
        assert re.fullmatch(r"[125]0*", str(step)), step
        assert epochs - ticks[-1] < step  # the last tick is the last round epoch


def test_log_scale_past_three_decades():
    assert not uses_log([0.7, 0.01])
    assert not uses_log([0.7, 0.0, 0.001])  # zero is not a decade
    assert uses_log([0.7, 1e-4])
    assert not uses_log([float("nan"), float("inf")])
    lo, hi, exps, labels = decade_ticks([0.7, 3e-5])
    assert (lo, hi) == (-5, 0) and exps == [-5, -4, -3, -2, -1, 0]
    assert labels == ["1e-5", "1e-4", "1e-3", "0.01", "0.1", "1"]


def _ticks(lines: list[str]) -> list[tuple[int, str]]:
    return [(i, m.group(1)) for i, line in enumerate(lines) if (m := Y_TICK.match(line))]


def test_log_chart_labels_decades_on_the_rows_of_the_data():
    values = [10 ** (-k / 10) for k in range(61)]  # 1 down to 1e-6, one decade every 10 epochs
    text = chart_text(Chart("loss (mse)", [Curve("train", values)], height=16), 70, "plain")
    lines = text.splitlines()
    assert lines[0].startswith("loss (mse) (log scale)   * train")
    ticks = dict((label, row) for row, label in _ticks(lines))
    assert list(ticks) == ["1", "0.1", "0.01", "1e-3", "1e-4", "1e-5", "1e-6"]
    rows = [ticks[k] for k in ticks]
    assert rows == sorted(rows)
    # the curve (a straight line in log space) passes each decade's row
    for label, row in ticks.items():
        assert "*" in lines[row], (label, lines[row])


def test_a_log_chart_survives_any_data():
    for values in ([0.0, 1e-300, 1e300, float("nan"), float("inf"), 0.5],
                   [float("nan")] * 3, [0.0, 0.0], [1e-300, 1e-299], [5.0]):
        text = chart_text(Chart("loss (mse)", [Curve("train", values)]), 60, "plain")
        assert "\x1b" not in text
        if any(math.isfinite(v) for v in values):
            assert "epoch" in text


def test_accuracy_chart_is_pinned_to_percent():
    text = chart_text(Chart("accuracy", [Curve("train", [0.5, 0.75, 1.0])], height=10, percent=True), 50, "plain")
    assert [label for _, label in _ticks(text.splitlines())] == ["100%", "75%", "50%", "25%", "0%"]


@pytest.mark.parametrize("style", ["plain", "ascii"])
def test_plain_styles_have_no_escape_codes_and_tell_curves_apart(style):
    h = {"train_loss": [0.7, 0.5, 0.4], "val_loss": [0.8, 0.7, 0.65]}
    text = history_charts(h, "mse", 60, style)
    assert "\x1b" not in text and "* train   o validation" in text
    assert "*" in text.split("\n", 1)[1] and "o" in text.split("\n", 1)[1]
    if style == "ascii":
        assert text.isascii()
    else:
        assert "┤" in text and "└" in text


def test_color_style_colours_each_curve_and_its_legend():
    text = history_charts({"train_loss": [0.7, 0.5, 0.4], "val_loss": [0.8, 0.7, 0.65]}, "mse", 60, "color")
    assert "\x1b[38;5;33m━━\x1b[0m train" in text and "\x1b[38;5;208m━━\x1b[0m validation" in text
    body = text.split("\n", 1)[1]
    assert "\x1b[38;5;33m" in body and "\x1b[38;5;208m" in body
    assert re.search("[\u2801-\u28ff]", ANSI.sub("", body))  # braille dots
    with pytest.raises(ValueError):
        curves_text([], 60, "rainbow")


def test_legend_is_outside_the_plot():
    """The legend is the title line: the plot's top-left cells hold the curve, not a legend box."""
    text = history_charts({"train_loss": [1.0, 0.5, 0.25, 0.1], "val_loss": [1.0, 0.6, 0.3, 0.2]}, "mse", 50, "plain")
    lines = text.splitlines()
    assert "train" in lines[0] and "train" not in "".join(lines[1:])
    first_row = next(line for line in lines if "┤" in line)
    assert first_row.split("┤", 1)[1].lstrip(" ")[0] in "*o"  # epoch 1 at the top left, uncovered


def test_sized_to_the_width_given():
    for width in (40, 80, 130):
        text = history_charts({"train_loss": [0.7, 0.5, 0.4], "train_accuracy": [0.5, 0.6, 0.9]}, "bce", width, "plain")
        assert max(len(line) for line in text.splitlines()) == width


# --- nntui train ----------------------------------------------------------------------------


def test_train_piped_prints_the_loss_chart_without_escape_codes():
    """`nntui train xor | cat`: the charts, with y ticks and an epoch axis, and no escape codes."""
    p = _nntui("train", "xor")
    assert p.returncode == 0, p.stderr
    assert "\x1b" not in p.stdout
    blocks = _chart_blocks(p.stdout)
    assert set(blocks) == {"loss (bce)", "accuracy"}
    loss = blocks["loss (bce)"]
    assert loss[0].startswith("loss (bce)   * train   o validation")
    assert len(_ticks(loss)) >= 3 and all(re.fullmatch(r"\d\.\d+", label) for _, label in _ticks(loss))
    assert loss[-1].strip() == "epoch"
    assert re.fullmatch(r"\s+1\s+50\s+100\s+150\s+200", loss[-2])  # whole epochs, xor trains 200
    assert [label for _, label in _ticks(blocks["accuracy"])][0] == "100%"
    # the chart comes before the decision boundary
    assert p.stdout.index("loss (bce)   *") < p.stdout.index("class 0: region")


def test_train_regression_has_no_accuracy_chart():
    p = _nntui("train", "plane", "--epochs", "4")
    assert p.returncode == 0 and set(_chart_blocks(p.stdout)) == {"loss (mse)"}


def test_no_plot_and_no_color():
    p = _nntui("train", "xor", "--epochs", "5", "--no-plot")
    assert p.returncode == 0 and "┤" not in p.stdout and "loss (bce)" in p.stdout  # the table stays
    p = _nntui("train", "xor", "--epochs", "5", env={"NO_COLOR": "1"})
    assert "\x1b" not in p.stdout and "loss (bce)   * train" in p.stdout


def _tty(monkeypatch, color_system="256") -> io.StringIO:
    out = io.StringIO()
    monkeypatch.setattr(common, "make_console", lambda stderr=False: Console(
        file=io.StringIO() if stderr else out, force_terminal=True, color_system=color_system, width=90,
        height=45, no_color=common.no_color() or None))
    monkeypatch.delenv("NO_COLOR", raising=False)
    return out


def test_colour_on_a_colour_terminal_sized_to_it(monkeypatch):
    out = _tty(monkeypatch)
    result = CliRunner().invoke(main, ["train", "xor", "--epochs", "12"])
    assert result.exit_code == 0
    text = out.getvalue()
    assert "\x1b[38;5;33m━━\x1b[0m train" in text
    plain = ANSI.sub("", text)
    blocks = _chart_blocks(plain)
    assert max(len(line) for line in blocks["loss (bce)"]) == 90
    assert len(blocks["loss (bce)"]) == 1 + 15  # the title line, then a third of 45 rows


def test_ascii_on_a_terminal(monkeypatch):
    out = _tty(monkeypatch)
    assert CliRunner().invoke(main, ["train", "xor", "--epochs", "12", "--ascii"]).exit_code == 0
    text = out.getvalue()
    assert "loss (bce)   * train   o validation" in text
    chart = text[text.index("loss (bce)   *"):text.index("accuracy   *")]
    assert chart.isascii() and "\x1b" not in chart


def test_json_history_one_entry_per_epoch():
    result = CliRunner().invoke(main, ["train", "xor", "--epochs", "7", "--json"])
    r = json.loads(result.stdout)
    h = r["history"]
    assert set(h) == {"train_loss", "val_loss", "train_accuracy", "val_accuracy", "lr", "grad_norm"}
    assert all(len(v) == 7 for k, v in h.items() if k != "grad_norm")
    assert list(h["grad_norm"]) == ["W1", "W2"] and all(len(v) == 7 for v in h["grad_norm"].values())
    assert h["train_loss"][-1] == r["train_loss"] and h["val_accuracy"][-1] == r["val_accuracy"]
    r = json.loads(CliRunner().invoke(main, ["train", "plane", "--epochs", "3", "--json"]).stdout)
    assert set(r["history"]) == {"train_loss", "val_loss", "lr", "grad_norm"} and len(r["history"]["val_loss"]) == 3
    r = json.loads(CliRunner().invoke(main, ["train", "perceptron-and", "--epochs", "3", "--json"]).stdout)
    assert r["history"]["val_loss"] == [] and len(r["history"]["train_loss"]) == 3  # no validation set


def test_json_history_is_the_trainers():
    from nntui.engine.trainer import Trainer
    from nntui.experiment.presets import load_preset
    from nntui.experiment.config import override

    r = json.loads(CliRunner().invoke(main, ["train", "moons", "--epochs", "5", "--json"]).stdout)
    tr = Trainer(override(load_preset("moons"), epochs=5))
    tr.run()
    for k in ("train_loss", "val_loss", "train_accuracy", "val_accuracy"):
        assert r["history"][k] == tr.history[k]


def test_a_short_log_axis_gets_fewer_decade_labels():
    """A label every row and a half at most: on a 3-row chart over 7 decades, 0.01 was written over 0.1."""
    for rows in range(2, 14):
        for decades in range(1, 13):
            lo, hi, exps, labels = decade_ticks([10.0, 10.0 ** (1 - decades)], rows=rows)
            assert len(exps) <= max(2, (2 * rows + 1) // 3) and exps[0] == lo and len(set(labels)) == len(labels)
    assert decade_ticks([10.0, 1e-5], rows=4)[2] == [-5, -2, 1]
