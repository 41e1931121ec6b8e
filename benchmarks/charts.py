"""The app's loss chart: the hand-written braille chart (LossChart) against
plotext 6.1 (nntui.text.curves, what the CLI and the compare view draw), on the
same histories, at the app's sizes (issue 9, section 4).

    python benchmarks/charts.py [--rounds 30]

For each size and history: milliseconds per redraw (median of --rounds), the
braille chart's `_build` inside a running app, and plotext's `chart_text` in
colour plus `Text.from_ansi` (what a widget would render). Then the checks the
issue asks of a chart: labels on the right rows, whole-epoch x ticks, and a log
scale that survives 0, NaN, inf, 1e-300 and 1e300 (plotext's own log ruler,
and nntui.text.curves' log10 drawing).
"""

from __future__ import annotations

import argparse
import asyncio
import dataclasses
import statistics
import time

import numpy as np

SIZES = ((44, 8), (81, 13))
EPOCHS = 300


def histories() -> dict[str, tuple[list[float], list[float]]]:
    e = np.arange(EPOCHS)
    return {
        "smooth 0.7 -> 0.05": (list(0.65 * np.exp(-e / 40) + 0.05), list(0.7 * np.exp(-e / 45) + 0.08)),
        "6 decades (auto log)": (list(0.7 * 10 ** (-e / 50.0)), list(0.8 * 10 ** (-e / 55.0))),
        "hostile (0, nan, inf, 1e-300, 1e300)": (
            [0.0, float("nan"), float("inf"), 1e-300, 1e300] + list(0.5 * np.exp(-e[5:] / 40)),
            [0.6] * EPOCHS),
    }


def median_ms(f, rounds: int) -> float:
    times = []
    for _ in range(rounds):
        t = time.perf_counter()
        f()
        times.append(time.perf_counter() - t)
    return 1000 * statistics.median(times)


def plotext_cost(train, val, w, h, rounds):
    from rich.text import Text

    from nntui.text.curves import Chart, Curve, chart_text

    chart = Chart("loss", [Curve("train", train), Curve("validation", val)], height=h)
    return median_ms(lambda: Text.from_ansi(chart_text(chart, w, "color")), rounds)


async def braille_costs(rounds: int) -> dict:
    from nntui.app.app import make_app
    from nntui.engine.snapshot import History
    from nntui.experiment.presets import load_preset

    out = {}
    app = make_app(load_preset("xor"))
    async with app.run_test(size=(160, 48)):
        await app.settle()
        chart = app.main.views["loss"]
        base = app.main.shown
        for name, (train, val) in histories().items():
            chart.snapshot = dataclasses.replace(base, history=History(train_loss=tuple(train), val_loss=tuple(val)))
            for w, h in SIZES:
                out[(name, w, h)] = median_ms(lambda: chart._build(w, h), rounds)
    return out


def plotext_log_ruler_survives() -> dict[str, str]:
    """plotext's own log ruler, with and without explicit ticks, on hostile data."""
    import plotext as plt

    results = {}
    for label, ticks in (("auto ticks", False), ("explicit decade ticks", True)):
        try:
            for _ in range(2):  # the second build is where plotext 5 crashed (#209)
                fig = plt.figure
                fig.clear()
                plt.terminal.limit(False, False)
                fig.plot_size(81, 13)
                ys = [0.5, 1e-300, 1e300, 0.01, 1e-5]
                fig.draw(fig.signal(list(range(1, 6)), ys, marker="braille"))
                ruler = fig.ruler("y")
                ruler.scale("log")
                if ticks:
                    ruler.ticks([1e-5, 1e-3, 0.1], ["1e-5", "1e-3", "0.1"])
                text = fig.build().string(colorless=True)
            drawn = any("\u2800" < ch <= "\u28ff" for ch in text)
            results[label] = "builds twice; curve drawn" if drawn else "builds, but the curve is gone"
        except Exception as e:  # noqa: BLE001 - the measurement is whether it raises
            results[label] = f"raises {type(e).__name__}: {e}"
    return results


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--rounds", type=int, default=30)
    args = ap.parse_args()
    braille = asyncio.run(braille_costs(args.rounds))
    print(f"| history | size | braille LossChart ms | plotext 6.1 + from_ansi ms |")
    print("|---|---|---|---|")
    for name, (train, val) in histories().items():
        for w, h in SIZES:
            p = plotext_cost(train, val, w, h, args.rounds)
            print(f"| {name} | {w}×{h} | {braille[(name, w, h)]:.1f} | {p:.1f} |")
    print()
    for label, result in plotext_log_ruler_survives().items():
        print(f"plotext log ruler, {label}: {result}")
    from nntui.text.curves import Chart, Curve, chart_text

    hostile = histories()["hostile (0, nan, inf, 1e-300, 1e300)"]
    text = chart_text(Chart("loss", [Curve("train", hostile[0])]), 81, "plain")
    print("nntui.text.curves (log10 drawn on a linear ruler) on the hostile history:",
          "log scale, drawn" if "(log scale)" in text and "*" in text else "NOT drawn")


if __name__ == "__main__":
    main()
