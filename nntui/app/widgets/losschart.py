"""LossChart: train and validation loss per epoch, accuracy on the right axis.

A plotext redraw costs about 30 ms, so the chart redraws at most MAX_FPS times a
second (a call to show() in between only schedules one), and plots at most
twice its width in points per series (the history is downsampled, keeping the
first and the last epoch).
"""

from __future__ import annotations

import math
from time import monotonic

import numpy as np
from textual.reactive import reactive
from textual.timer import Timer
from textual_plotext import PlotextPlot

from nntui.engine.snapshot import Snapshot

MAX_FPS = 5.0
POINTS_PER_COLUMN = 2

# Mid-luminance colours, legible on dark and light backgrounds.
C_TRAIN = (66, 133, 214)
C_VAL = (230, 140, 50)
C_TRAIN_ACC = (76, 170, 90)
C_VAL_ACC = (190, 100, 190)


def downsample(n: int, max_points: int) -> np.ndarray:
    """Indices of at most max_points of n, evenly spread, first and last kept."""
    if n <= max_points:
        return np.arange(n)
    if max_points <= 1:
        return np.array([n - 1])
    return np.unique(np.round(np.linspace(0, n - 1, max_points)).astype(int))


def _hex(rgb: tuple[int, int, int]) -> str:
    return "#{:02x}{:02x}{:02x}".format(*rgb)


def _pow10(k: int) -> str:
    return f"{10.0 ** k:g}" if -3 <= k <= 3 else f"1e{k}"


class LossChart(PlotextPlot):
    """Per-epoch loss (train, validation), and accuracy for classification.

    Public API: ``show(snapshot)``; reactive ``log_scale`` (bool) and
    ``toggle_log_scale()``. ``plotted`` maps each series drawn last to its
    number of points; ``redraws`` counts the redraws.
    """

    DEFAULT_CSS = """
    LossChart {
        width: 1fr;
        height: 1fr;
        border: round $border-blurred;
        border-title-color: $text;
    }
    """

    log_scale: reactive[bool] = reactive(False)

    def __init__(self, *, name=None, id=None, classes=None, disabled=False) -> None:
        super().__init__(name=name, id=id, classes=classes, disabled=disabled)
        self.snapshot: Snapshot | None = None
        self._drawn_key: tuple | None = None
        self._last_draw = -math.inf
        self._timer: Timer | None = None
        self.plotted: dict[str, int] = {}
        self.redraws = 0
        self.border_title = "loss"

    # ------------------------------------------------------------ contract

    def show(self, snapshot: Snapshot) -> None:
        """Store the snapshot; redraw now, or once later if one was just drawn."""
        self.snapshot = snapshot
        if self._key() != self._drawn_key:
            self._schedule()

    def toggle_log_scale(self) -> None:
        self.log_scale = not self.log_scale

    # ------------------------------------------------------------ throttle

    def _key(self) -> tuple:
        s = self.snapshot
        if s is None:
            return (None,)
        h = s.history
        # Before the first epoch ends the chart shows the batch losses, which
        # change every step; after it, only a new epoch changes the chart.
        batch = (len(h.batch_loss), s.step) if not h.train_loss else None
        return (len(h.train_loss), len(h.val_loss), len(h.train_accuracy), batch,
                s.task, s.loss_name, self.log_scale, self.size.width, self.size.height)

    def _schedule(self) -> None:
        wait = self._last_draw + 1.0 / MAX_FPS - monotonic()
        if wait <= 0:
            self._redraw()
        elif self._timer is None:
            self._timer = self.set_timer(wait, self._on_timer)

    def _on_timer(self) -> None:
        self._timer = None
        if self._key() != self._drawn_key:
            self._redraw()

    def watch_log_scale(self, _old: bool, _new: bool) -> None:
        if self.snapshot is not None:
            self._schedule()

    def on_resize(self, _event) -> None:
        if self.snapshot is not None:
            self._schedule()

    # ------------------------------------------------------------ plotting

    def _redraw(self) -> None:
        self._last_draw = monotonic()
        self._drawn_key = self._key()
        self.redraws += 1
        self._build()
        self.refresh()

    def _build(self) -> None:
        plt = self.plt
        plt.clear_figure()
        self.plotted = {}
        s = self.snapshot
        if s is None:
            return
        h = s.history
        width = self.size.width or 80
        max_points = max(2, POINTS_PER_COLUMN * width)
        log = self.log_scale

        def series(values, label, colour, yside="left", xs=None):
            ys = np.asarray(values, dtype=np.float64)
            if ys.size == 0:
                return
            x_all = np.arange(1, ys.size + 1) if xs is None else np.asarray(xs)
            idx = downsample(ys.size, max_points)
            ys, xv = ys[idx], x_all[idx]
            ok = np.isfinite(ys)
            if log and yside == "left":
                # plotext's own log scale re-applies itself on every build, so
                # the chart plots log10(loss) and labels the ticks as powers of 10.
                ok &= ys > 0
                ys = np.log10(np.where(ok, ys, 1.0))
                logged.extend(ys[ok].tolist())
            if not ok.any():
                return
            # No plotext legend: it hides the start of the curves. The legend
            # is the border title, in the series' colours.
            plt.plot(xv[ok].tolist(), ys[ok].tolist(), color=colour, marker="braille", yside=yside)
            self.plotted[label] = int(ok.sum())
            legend.append(f"[{_hex(colour)}]━ {label}[/]")

        logged: list[float] = []
        legend: list[str] = []

        if h.train_loss:
            series(h.train_loss, "train loss", C_TRAIN)
            series(h.val_loss, "val loss", C_VAL)
            if s.task in ("binary", "multiclass"):
                series(h.train_accuracy, "train acc", C_TRAIN_ACC, "right")
                series(h.val_accuracy, "val acc", C_VAL_ACC, "right")
                if h.train_accuracy or h.val_accuracy:
                    plt.ylim(0, 1, yside="right")
                    plt.ylabel("accuracy", yside="right")
            plt.xlabel("epoch")
        elif h.batch_loss:
            n = len(h.batch_loss)
            series(h.batch_loss, "batch loss", C_TRAIN, xs=np.arange(s.step - n + 1, s.step + 1))
            plt.xlabel("step (epoch 1 in progress)")
        else:
            plt.title("no loss yet: step (n) or play (space)")
        if logged:
            lo, hi = math.floor(min(logged)), math.ceil(max(logged))
            if hi == lo:
                hi = lo + 1
            ticks = list(range(lo, hi + 1))
            if len(ticks) > 8:
                ticks = ticks[:: math.ceil(len(ticks) / 8)]
            plt.yticks(ticks, [_pow10(t) for t in ticks], yside="left")
        plt.ylabel(f"{s.loss_name} loss" + (" (log)" if log else ""), yside="left")
        name = "loss (log scale)" if log else "loss"
        self.border_title = f"{name}  " + "  ".join(legend) if legend else name
