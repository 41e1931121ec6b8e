"""UI benchmark: how much the app costs the engine, and how lively it stays.

    python benchmarks/ui.py [--seconds 10] [--preset spiral] [--view gradients|hidden|landscape]
                            [--warm SECONDS] [--json]

In one process:
1. the engine alone: `Trainer.train_step()` in a loop in a plain thread, the
   app paused (idle) -> steps/s;
2. the headless app at 160x48 plays the preset at full speed -> steps/s with
   the UI, and frames drawn per second. For 2-input data the network diagram
   shows its unit maps (every unit's activation over the plane, redrawn as
   the parameters change); the benchmark checks they are on and says so. 1 and 2 alternate (`--rounds`), for
   `--seconds` of play in all, so a change in the machine's load hits both;
3. while it keeps playing, a key every 0.25 s (t, a, l: views that change the
   screen, not the training): the time from the key's arrival to the first
   frame written after its action ran (median, p95).

It also prints the app thread's CPU time per frame while playing (`thread_time`
over the rounds of 2, divided by the frames drawn): what a frame costs, which the
machine's other load changes far less than the wall-clock figures.

`--warm SECONDS` plays that long at full speed before 1-3 (default 0), as a
teacher leaves a run playing for minutes: the history then holds thousands of
epochs (spiral ends ~400 a second), and a frame must cost no more for it. The
epochs the history holds when the measuring starts are printed.

Headless Textual skips turning a frame into terminal bytes; here that step is
done anyway (and the bytes dropped), so a frame costs what it would cost in a
terminal. Targets: steps/s with the UI >= 70% of the engine alone; >= 15
frames/s; key to screen median < 50 ms, p95 < 100 ms.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import platform
import statistics
import sys
import time

import nntui  # noqa: F401  (pins BLAS to one thread before numpy loads)
from textual import events
from textual._compositor import CompositorUpdate
from textual.app import App

from nntui.app.app import make_app
from nntui.app.worker import SPEEDS, Pause, Play
from nntui.experiment.presets import load_preset
from nntui.engine.trainer import Trainer

SIZE = (160, 48)
KEYS = ("t", "a", "l")


class Probe:
    """Counts the frames the app writes and times keys to the next frame."""

    def __init__(self, app: App) -> None:
        self.app = app
        self.frames: list[float] = []
        self.bytes = 0
        self.pending: list[float] = []  # actions run, waiting for their frame
        self.sent: dict[str, float] = {}
        self.latencies: list[float] = []
        original_display = app._display
        original_run_action = app.run_action

        def display(screen, renderable) -> None:
            original_display(screen, renderable)
            if renderable is None:
                return
            if isinstance(renderable, CompositorUpdate):
                # what a terminal driver would write (headless skips it)
                self.bytes += len(renderable.render_segments(app.console))
            now = time.perf_counter()
            self.frames.append(now)
            for t0 in self.pending:
                self.latencies.append(now - t0)
            self.pending.clear()

        async def run_action(action, *args, **kwargs):
            result = await original_run_action(action, *args, **kwargs)
            name = action if isinstance(action, str) else ""
            for key, t0 in list(self.sent.items()):
                if name.startswith(_ACTION_OF[key]):
                    self.pending.append(t0)
                    del self.sent[key]
            return result

        app._display = display
        app.run_action = run_action

    def press(self, key: str) -> None:
        self.sent[key] = time.perf_counter()
        event = events.Key(key, key)
        event.set_sender(self.app)
        self.app._driver.send_message(event)


_ACTION_OF = {"t": "heatmap_mode", "a": "ascii", "l": "log_scale"}


async def alone_in_thread(trainer: Trainer, seconds: float) -> tuple[int, float]:
    """Train a separate Trainer in a plain thread (the app paused and idle)."""

    def run() -> tuple[int, float]:
        n, start = 0, time.perf_counter()
        while (elapsed := time.perf_counter() - start) < seconds:
            for _ in range(50):
                trainer.train_step()
            n += 50
        return n, elapsed

    return await asyncio.to_thread(run)


# --view: the key that shows each view of the weights' place.
VIEW_KEYS = {"gradients": "G", "hidden": "H", "landscape": "z", "confusion": "x"}


async def with_ui(preset: str, seconds: float, rounds: int, size: tuple[int, int] = SIZE,
                  view: str | None = None, warm: float = 0.0) -> dict:
    """Alternate the engine alone (app paused) and the app playing, `rounds`
    times, so a change in the machine's load hits both alike."""
    app = make_app(load_preset(preset))
    bare = Trainer(load_preset(preset))
    async with app.run_test(size=size) as pilot:
        await pilot.pause()
        app.pacer.tune_gc()  # as the app does in a terminal (not when headless)
        app.main.action_speed(len(SPEEDS))  # full speed (the app opens at 100 steps/s)
        probe = Probe(app)
        if view is not None:
            await pilot.press(VIEW_KEYS[view])
        await app.settle()
        maps_on = app.main.views["network"].maps_shown()
        # warm up both: caches, first epochs
        await alone_in_thread(bare, 0.5)
        app.runner.send(Play())
        await asyncio.sleep(1.0)
        app.runner.send(Pause())
        await app.settle()
        # Play stops once at the preset's epochs (on a busy machine the second
        # Play may still reach them); from there on it trains on.
        for _ in range(60):
            app.runner.send(Play())
            await asyncio.sleep(0.5)
            app.runner.send(Pause())
            warmed = await app.settle()
            if warmed.snapshot.epoch > app.main.config.train.epochs:
                break
        if warm > 0:
            app.runner.send(Play())
            await asyncio.sleep(warm)
            app.runner.send(Pause())
            warmed = await app.settle()
        alone_steps = alone_time = ui_steps = ui_time = ui_cpu = 0.0
        frames = 0
        for _ in range(rounds):
            n, t = await alone_in_thread(bare, seconds / rounds / 2)
            alone_steps, alone_time = alone_steps + n, alone_time + t
            frame = await app.settle()
            step0, frames0, t0 = frame.snapshot.step, len(probe.frames), time.perf_counter()
            cpu0 = time.thread_time()  # this coroutine runs on the app's thread
            app.runner.send(Play())
            await asyncio.sleep(seconds / rounds)
            app.runner.send(Pause())
            frame = await app.settle()
            ui_cpu += time.thread_time() - cpu0
            ui_time += time.perf_counter() - t0
            ui_steps += frame.snapshot.step - step0
            frames += len(probe.frames) - frames0
        # key latency while playing
        app.runner.send(Play())
        await asyncio.sleep(0.5)
        probe.latencies.clear()
        for i in range(45):
            probe.press(KEYS[i % len(KEYS)])
            await asyncio.sleep(0.25)
        app.runner.send(Pause())
        frame = await app.settle()
        lat = sorted(probe.latencies)
        return {
            "engine_alone_steps_per_second": alone_steps / alone_time,
            "ui_steps_per_second": ui_steps / ui_time,
            "frames_per_second": frames / ui_time,
            # The app's thread's CPU time while playing, per frame drawn: what a frame
            # costs, whatever the machine's other load does to the wall clock.
            "ui_cpu_ms_per_frame": 1000 * ui_cpu / max(1, frames),
            "key_to_screen_ms_median": 1000 * statistics.median(lat) if lat else float("nan"),
            "key_to_screen_ms_p95": 1000 * lat[min(len(lat) - 1, int(0.95 * len(lat)))] if lat else float("nan"),
            "keys_measured": len(lat),
            "final_step": frame.snapshot.step,
            "history_epochs_at_start": warmed.snapshot.epoch,
            "history_epochs_at_end": frame.snapshot.epoch,
            "unit_maps": maps_on,
        }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--seconds", type=float, default=10.0)
    parser.add_argument("--preset", default="spiral")
    parser.add_argument("--rounds", type=int, default=5, help="alternations of engine alone / app playing")
    parser.add_argument("--size", default=f"{SIZE[0]}x{SIZE[1]}", help="the terminal, e.g. 80x24")
    parser.add_argument("--view", choices=sorted(VIEW_KEYS), help="show this view in the weights' place")
    parser.add_argument("--warm", type=float, default=0.0,
                        help="seconds of play at full speed before measuring (a long run's history)")
    parser.add_argument("--json", action="store_true")
    args = parser.parse_args()
    size = tuple(int(n) for n in args.size.lower().split("x"))

    import textual

    ui = asyncio.run(with_ui(args.preset, args.seconds, args.rounds, size, args.view, args.warm))
    alone = ui["engine_alone_steps_per_second"]
    result = {
        "preset": args.preset,
        "view": args.view,
        "seconds": args.seconds,
        "warm": args.warm,
        "size": f"{size[0]}x{size[1]}",
        **ui,
        "ui_over_engine": ui["ui_steps_per_second"] / alone,
        "python": platform.python_version(),
        "textual": textual.__version__,
        "machine": platform.platform(),
    }
    if args.json:
        print(json.dumps(result, indent=2))
        return
    print(f"preset {args.preset}, {result['size']}, {args.seconds:g} s of play, view {args.view or 'default'}, "
          f"unit maps {'on' if ui['unit_maps'] else 'off (not 2-input data)'}")
    print(f"history           {ui['history_epochs_at_start']:10,} epochs at the start ({args.warm:g} s warm), "
          f"{ui['history_epochs_at_end']:,} at the end")
    print(f"engine alone      {alone:10,.0f} steps/s  (a thread, the app paused)")
    print(f"with the UI       {ui['ui_steps_per_second']:10,.0f} steps/s")
    print(f"  ratio           {result['ui_over_engine']:10.0%}   (target >= 70%)")
    print(f"frames drawn      {ui['frames_per_second']:10.1f} /s       (target >= 15)")
    print(f"  app thread CPU  {ui['ui_cpu_ms_per_frame']:10.1f} ms a frame")
    print(
        f"key to screen     median {ui['key_to_screen_ms_median']:.1f} ms, "
        f"p95 {ui['key_to_screen_ms_p95']:.1f} ms over {ui['keys_measured']} keys"
        "   (targets < 50, < 100)"
    )
    ok = (
        result["ui_over_engine"] >= 0.7
        and ui["frames_per_second"] >= 15
        and ui["key_to_screen_ms_median"] < 50
        and ui["key_to_screen_ms_p95"] < 100
    )
    print("all targets met" if ok else "SOME TARGETS MISSED")
    sys.exit(0 if ok else 1)


if __name__ == "__main__":
    main()
