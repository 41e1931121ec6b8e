"""The timeline of a run: its state at every epoch's end, to replay or branch from.

Entries hold references (parameters and optimizer state are never changed in
place), so an entry costs nothing but the arrays the run made anyway and would
otherwise drop. A memory budget bounds how many are kept: beyond it the
timeline thins evenly, keeping every 2nd epoch, then every 4th, ... (epoch 0,
the start, always), so a long run is still covered from end to end.
"""

from __future__ import annotations

import bisect
from dataclasses import dataclass

TIMELINE_BYTES = 128 * 2**20


@dataclass(frozen=True)
class EpochEnd:
    """The trainer's state at the end of `epoch` (0: before training)."""

    epoch: int
    step: int
    params: dict
    optimizer: tuple  # Optimizer.copy_state()
    rules: tuple  # the trainer's epoch state: (schedule state, StopState)
    lr: float
    confusion: object  # metrics.LazyConfusion | None


def entry_bytes(params: dict) -> int:
    """What an epoch's end costs to keep: its parameters and up to three
    optimizer buffers each (as the rewind ring counts), plus the Python objects
    around them (measured: about 2.5 kB an epoch for xor's 17 weights)."""
    return 4 * sum(p.nbytes for p in params.values()) + 256 * len(params) + 1024


class Timeline:
    def __init__(self, entry_bytes: int, budget: int = TIMELINE_BYTES):
        self.capacity = max(2, budget // max(1, entry_bytes))
        self.budget = budget
        self.stride = 1
        self._entries: dict[int, EpochEnd] = {}

    def __len__(self) -> int:
        return len(self._entries)

    @property
    def epochs(self) -> list[int]:
        return sorted(self._entries)

    def record(self, entry: EpochEnd) -> None:
        if entry.epoch % self.stride:
            return
        self._entries[entry.epoch] = entry
        while len(self._entries) > self.capacity:
            self.stride *= 2
            self._entries = {e: x for e, x in self._entries.items() if e % self.stride == 0}

    def at(self, epoch: int) -> EpochEnd | None:
        """The entry of `epoch`, else the nearest one before it (None if none)."""
        if epoch in self._entries:
            return self._entries[epoch]
        before = [e for e in self._entries if e <= epoch]
        return self._entries[max(before)] if before else None

    def step_from(self, epoch: int, direction: int) -> int | None:
        """The kept epoch after (direction 1) or before (-1) `epoch`."""
        if direction > 0:
            after = [e for e in self._entries if e > epoch]
            return min(after) if after else None
        before = [e for e in self._entries if e < epoch]
        return max(before) if before else None

    def drop_after(self, epoch: int) -> None:
        self._entries = {e: x for e, x in self._entries.items() if e <= epoch}

    def params_path(self, until: int | None = None, most: int | None = None) -> list[tuple[int, dict]]:
        """(epoch, parameters) of the kept epochs up to `until`, in order; with
        `most`, at most that many, evenly spread (the first and last kept). Safe
        from another thread while the run records: the dict is copied in one C
        call, under the GIL, before it is read; only the entries returned are
        touched in Python, so a view may ask every frame of a long run."""
        kept = self._entries.copy()
        epochs = sorted(kept)  # already in order: a linear pass
        if until is not None:
            epochs = epochs[:bisect.bisect_right(epochs, until)]
        if most is not None and len(epochs) > most:
            last = len(epochs) - 1
            epochs = [epochs[round(i * last / (most - 1))] for i in range(most)] if most > 1 else epochs[-1:]
        return [(e, kept[e].params) for e in epochs]

    def entries(self) -> list[EpochEnd]:
        return [self._entries[e] for e in self.epochs]


# ----- as a runfile stores it: plain data and flat arrays ------------------------


def to_state(timeline: Timeline) -> dict:
    """{"budget", "stride", "entries": [...plain data...], "arrays": {name: array}}.
    Array names: "E/W1", "E/optimizer/W1/exp_avg", and "E/best_W1" for early
    stopping's best weights when the best epoch is not itself kept."""
    entries, arrays = [], {}
    kept = timeline._entries
    for x in timeline.entries():
        t, opt_state = x.optimizer
        sched, stop = x.rules
        row = {"epoch": x.epoch, "step": x.step, "t": int(t), "lr": x.lr, "schedule": sched, "stop": None}
        arrays.update({f"{x.epoch}/{k}": v for k, v in x.params.items()})
        arrays.update({f"{x.epoch}/optimizer/{p}/{slot}": a for p, slots in opt_state.items() for slot, a in slots.items()})
        if stop is not None:
            row["stop"] = {"best": stop.best, "best_epoch": stop.best_epoch, "wait": stop.wait,
                           "stopped_epoch": stop.stopped_epoch, "best_from": None}
            if stop.best_params is not None:
                source = kept.get(stop.best_epoch + 1)
                if source is not None and source.params is stop.best_params:
                    row["stop"]["best_from"] = source.epoch
                else:
                    row["stop"]["best_from"] = "own"
                    arrays.update({f"{x.epoch}/best_{k}": v for k, v in stop.best_params.items()})
        entries.append(row)
    return {"budget": timeline.budget, "stride": timeline.stride, "entries": entries, "arrays": arrays}


def from_state(state: dict, entry_bytes: int, confusion_of) -> Timeline:
    """The Timeline `to_state` described; `confusion_of(params, epoch)` makes
    each entry's lazy confusion matrix. KeyError, TypeError or ValueError for
    anything inconsistent (the runfile reader words it)."""
    from .stopping import StopState

    timeline = Timeline(entry_bytes, int(state["budget"]))
    timeline.stride = int(state["stride"])
    arrays = state["arrays"]
    entries = {}
    for row in state["entries"]:
        e = int(row["epoch"])
        if e % timeline.stride:
            raise ValueError(f"timeline epoch {e} is not a multiple of its stride {timeline.stride}")
        params = {k.split("/", 1)[1]: v for k, v in arrays.items() if k.startswith(f"{e}/") and k.count("/") == 1
                  and not k.split("/", 1)[1].startswith("best_")}
        opt = {}
        for k, v in arrays.items():
            if k.startswith(f"{e}/optimizer/"):
                p, slot = k.split("/", 2)[2].split("/")
                opt.setdefault(p, {})[slot] = v
        stop = None
        if row["stop"] is not None:
            st = row["stop"]
            best = st["best_from"]
            if best == "own":
                best = {k.split("/best_", 1)[1]: v for k, v in arrays.items() if k.startswith(f"{e}/best_")}
            elif best is not None:
                best = params if int(best) == e else entries[int(best)].params
            stop = StopState(float(st["best"]), int(st["best_epoch"]), int(st["wait"]),
                             None if st["stopped_epoch"] is None else int(st["stopped_epoch"]), best)
        entries[e] = EpochEnd(e, int(row["step"]), params, (int(row["t"]), opt), (row["schedule"], stop),
                              float(row["lr"]), confusion_of(params, e) if e else None)
    if len(entries) > timeline.capacity:
        raise ValueError(f"the timeline holds {len(entries)} epochs, more than its budget's {timeline.capacity}")
    timeline._entries = entries
    return timeline
