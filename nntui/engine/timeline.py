"""The timeline of a run: its state at every epoch's end, to replay or branch from.

Entries hold references (parameters and optimizer state are never changed in
place), so an entry costs nothing but the arrays the run made anyway and would
otherwise drop. A memory budget bounds how many are kept: beyond it the
timeline thins evenly, keeping every 2nd epoch, then every 4th, ... (epoch 0,
the start, always), so a long run is still covered from end to end.
"""

from __future__ import annotations

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

    def entries(self) -> list[EpochEnd]:
        return [self._entries[e] for e in self.epochs]
