"""Loss and accuracy curves as text, drawn with plotext (>= 6.1), for
`nntui train` and `nntui compare`.

    curves_text(charts, width, style) -> str

Each `Chart` is a list of `Curve`s (a label and one value per epoch, epoch 1
first) with a title; the text is the title line with the legend, then the
plotext chart. The legend sits on the title line, outside the plot, so it never
covers the start of a curve. Choices made here, the same for every chart:

- x: whole epochs, ticks at 1 and at round multiples (1, 2, 5, 10, 20, 50, ...)
  spaced to the width;
- y: linear, or log with a tick per decade when the values span more than
  `LOG_DECADES` decades (a loss that falls from 0.7 to 1e-5 stays readable);
  `percent=True` pins 0..1 and labels it in percent (accuracy);
- colour (`style="color"`): braille dots, one colour a curve (train blue,
  validation orange, then a colour-blind-friendly cycle), the legend in the
  same colours as ANSI codes;
- plain (`"plain"`: a pipe, NO_COLOR): no escape codes; each curve drawn with
  its own character (`*`, `o`, `+`, `x`, ...), named in the legend;
- ascii (`"ascii"`: --ascii): plain, and the frame in `+ - |` too.

NaN and inf (a diverged run) are left out of a curve, and a value <= 0 out of
a log chart (drawn as log10 of the values, labelled in decades). plotext draws into one global figure; this module clears it before
each chart and is for the CLI's single thread only.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field
from typing import Sequence

LOG_DECADES = 3.0  # a log y axis when max / min over the positive values exceeds 10**LOG_DECADES
# 256-colour indices: train blue, validation orange, then green, magenta, gold, cyan, red, grey.
PALETTE = (33, 208, 40, 170, 220, 45, 196, 246)
PLAIN_MARKERS = "*o+x#@%&"
_ASCII_FRAME = str.maketrans("┌┐└┘─│┤├┬┴┼", "++++-|+++++")


@dataclass(frozen=True)
class Curve:
    label: str
    values: Sequence[float]  # one per epoch, epoch 1 first


@dataclass(frozen=True)
class Chart:
    title: str
    curves: Sequence[Curve]
    height: int = 14
    percent: bool = False  # values in 0..1 shown as percentages (accuracy)
    colors: Sequence[int] = field(default=PALETTE)


def epoch_ticks(epochs: int, width: int) -> list[int]:
    """Whole-epoch ticks: 1, then multiples of a round step, at most about one per 8 columns."""
    if epochs <= 1:
        return [1]
    most = max(2, width // 8)
    steps = sorted({base * 10 ** k for base in (1, 2, 5) for k in range(8)})
    step = next(s for s in steps if epochs // s + 1 <= most)
    ticks = [1] + list(range(step, epochs + 1, step))
    if ticks[1:] and ticks[1] - 1 < step / 2:  # 1 and a tick too close after it
        del ticks[1]
    return ticks


def uses_log(values: Sequence[float]) -> bool:
    """More than LOG_DECADES decades between the smallest and largest positive finite value."""
    positive = [v for v in values if v > 0 and math.isfinite(v)]
    return bool(positive) and max(positive) / min(positive) > 10 ** LOG_DECADES


def decade_ticks(values: Sequence[float], rows: int = 12) -> tuple[int, int, list[int], list[str]]:
    """For a log axis drawn as log10 of the values: the exponent range (whole
    decades around the data) and a tick per decade, fewer on a long range or a
    short axis: at most one a row and a half of its `rows`, so that no two
    labels land on one row (a 3-row chart over 7 decades wrote 0.01 over 0.1)."""
    positive = [v for v in values if v > 0 and math.isfinite(v)]
    lo, hi = math.floor(math.log10(min(positive))), math.ceil(math.log10(max(positive)))
    most = max(2, min(7, (2 * rows + 1) // 3))
    stride = max(1, math.ceil((hi - lo) / (most - 1)))
    exps = list(range(lo, hi + 1, stride))
    return lo, hi, exps, [_decade_label(e) for e in exps]


def _decade_label(e: int) -> str:
    return {0: "1", 1: "10", 2: "100", -1: "0.1", -2: "0.01"}.get(e, f"1e{e}")


def curves_text(charts: Sequence[Chart], width: int, style: str = "plain") -> str:
    """The charts one under the other, each with its title and legend line."""
    if style not in ("color", "plain", "ascii"):
        raise ValueError(f"style {style!r}: color, plain or ascii")
    parts = [chart_text(c, width, style) for c in charts if any(_finite(cv.values) for cv in c.curves)]
    return "\n\n".join(p for p in parts if p)


def chart_text(chart: Chart, width: int, style: str = "plain") -> str:
    import plotext as plt

    curves = [c for c in chart.curves if _finite(c.values)]
    if not curves:
        return ""
    epochs = max(len(c.values) for c in curves)
    every = [v for c in curves for v in c.values]
    log = not chart.percent and uses_log(every)
    fig = plt.figure
    fig.clear()
    plt.terminal.limit(False, False)
    fig.theme("simple" if style == "color" else "colorless")
    fig.plot_size(width, chart.height)
    legend, signals = [], []
    for i, curve in enumerate(curves):
        xs, ys = [], []
        for x, y in enumerate(curve.values, start=1):
            if math.isfinite(y) and (y > 0 or not log):
                xs.append(x)
                ys.append(math.log10(y) if log else y)
        if style == "color":
            color = chart.colors[i % len(chart.colors)]
            marker = plt.marker("braille", pixel=color)
            legend.append(f"\x1b[38;5;{color}m━━\x1b[0m {curve.label}")
        else:
            char = PLAIN_MARKERS[i % len(PLAIN_MARKERS)]
            marker = char
            legend.append(f"{char} {curve.label}")
        if xs:
            signal = fig.signal(xs, ys, marker=marker)
            signal.lines()
            signals.append(signal)
    for signal in reversed(signals):  # the first curve (train) drawn last, on top
        fig.draw(signal)
    x = fig.ruler("x")
    if epochs == 1:
        x.lim(0.5, 1.5)
    else:
        x.lim(1, epochs)
    ticks = epoch_ticks(epochs, width)
    x.ticks(ticks, [str(t) for t in ticks])
    y = fig.ruler("y")
    if chart.percent:
        y.lim(0, 1)
        marks = [0, 0.25, 0.5, 0.75, 1] if chart.height >= 9 else [0, 0.5, 1]
        y.ticks(marks, [f"{m:.0%}" for m in marks])
    elif log:
        # log10 of the values on a linear axis, labelled in decades: plotext 6.1's own
        # log scale drops the curves when given explicit ticks.
        lo, hi, exps, labels = decade_ticks(every, rows=chart.height - 3)  # less the x axis, its ticks and name
        y.lim(lo, hi)
        y.ticks(exps, labels)
    fig.label("epoch", "x")
    body = fig.build().string(colorless=style != "color").rstrip("\n")
    head = chart.title + (" (log scale)" if log else "") + "   " + "   ".join(legend)
    if style == "ascii":
        body = body.translate(_ASCII_FRAME)
    return head + "\n" + "\n".join(line.rstrip() for line in body.split("\n"))


def _finite(values: Sequence[float]) -> bool:
    return any(v is not None and math.isfinite(v) for v in values)


def history_charts(history: dict, loss_name: str, width: int, style: str, *, height: int = 14) -> str:
    """A run's curves: train and validation loss, and accuracy in its own small
    chart when the history has it (classification)."""
    loss = [Curve("train", history["train_loss"])]
    if history.get("val_loss"):
        loss.append(Curve("validation", history["val_loss"]))
    charts = [Chart(f"loss ({loss_name})", loss, height=height)]
    if history.get("train_accuracy"):
        acc = [Curve("train", history["train_accuracy"])]
        if history.get("val_accuracy"):
            acc.append(Curve("validation", history["val_accuracy"]))
        charts.append(Chart("accuracy", acc, height=max(9, height * 2 // 3), percent=True))
    return curves_text(charts, width, style)
