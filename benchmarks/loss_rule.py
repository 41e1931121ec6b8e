"""What judging every epoch by the loss rule costs the app's fast play.

The app's worker calls Trainer.check_explosion at every epoch's end (the rule
`nntui train` stops on). On full-batch data an epoch is one step, so it runs
every step: this times xor's steps with and without it, and with the run's
lowest found by rescanning the whole history each time (what
check_explosion did before it kept the lowest as it goes).

    python benchmarks/loss_rule.py [EPOCHS]
"""

from __future__ import annotations

import math
import sys
import time

from nntui.engine.trainer import EXPLODED, Trainer, check_explosion, quiet_overflow
from nntui.experiment.config import override
from nntui.experiment.presets import load_preset


def rescan(tr: Trainer) -> None:
    losses = tr.history["train_loss"]
    check_explosion(losses, EXPLODED, min(losses[:-1], default=math.inf), tr.step, tr._loss_bound(),
                    tr.loss.too_high_text)


def seconds(judge, epochs: int, rounds: int = 3) -> float:
    best = math.inf
    for _ in range(rounds):
        tr = Trainer(override(load_preset("xor"), batch_size=10**6))  # full batch: an epoch a step
        start = time.perf_counter()
        with quiet_overflow():
            for _ in range(epochs):
                tr.train_step()
                judge(tr)
        best = min(best, time.perf_counter() - start)
    return best


def main() -> None:
    epochs = int(sys.argv[1]) if len(sys.argv) > 1 else 20_000
    bare = seconds(lambda tr: None, epochs)
    kept = seconds(Trainer.check_explosion, epochs)
    scanned = seconds(rescan, epochs, rounds=1)
    print(f"xor, full batch, {epochs} epochs (best of 3): {bare:.2f} s training alone")
    print(f"  check_explosion every epoch:           {kept / bare:.2f}x")
    print(f"  the same, rescanning the whole history: {scanned / bare:.2f}x")


if __name__ == "__main__":
    main()
