"""Drawing data with the mouse on the boundary, and the keys p, u and X.

engine/drawn.py makes each edit a new Dataset named "drawn", which the
worker hands the same run at a step boundary (ReplaceData). The first edit
starts from the points on screen, training and validation alike: drawn data
has no validation set. A reset or a new seed keeps the drawn points; other
data (a data control, another preset) replaces them.
"""

from __future__ import annotations

import time
from typing import TYPE_CHECKING

import numpy as np

from nntui.engine import drawn

if TYPE_CHECKING:
    from nntui.app.main_screen import MainScreen

CLEAR_CONFIRM_SECONDS = 3.0  # X clears the points if pressed again within this
NOTE_SECONDS = 5.0  # how long the hint line says what the last drawing did


def points(data) -> str:
    n = len(data.x_train)
    return f"{n} point{'s' * (n != 1)}"


class Drawing:
    """What a click draws (`label`, cycled by p), the regression palette, and
    the note the hint line shows after each edit."""

    def __init__(self, screen: MainScreen) -> None:
        self.screen = screen
        self.label = 0  # a class, or an index into the palette (regression)
        self.palette = drawn.palette(np.array([]))  # the data's own, from new_data
        self._note: tuple[str, float] | None = None
        self._clear_asked: float | None = None  # when X last asked to clear the points
        self.note_seconds = NOTE_SECONDS

    @property
    def dataset(self):
        return self.screen.dataset

    def new_data(self, dataset, keep_axes: bool) -> None:
        """A new dataset is shown: the palette follows the data's own range, fixed while drawing."""
        if not keep_axes and dataset.task == "regression":
            self.palette = drawn.palette(np.concatenate([dataset.y_train.reshape(-1), dataset.y_val.reshape(-1)]))
        self.show_hint()

    def labels(self) -> list[float]:
        """What a click can draw, in the order p cycles: the classes, or the regression palette."""
        if self.dataset.task == "regression":
            return list(self.palette)
        return list(range(drawn.label_count(self.dataset)))

    def value(self, other: bool = False) -> float:
        """The label a left click draws; `other` (right- or shift-click): the
        next one after it (binary: the other class)."""
        labels = self.labels()
        return labels[(self.label + (1 if other else 0)) % len(labels)]

    def label_name(self, other: bool = False) -> str:
        return drawn.label_name(self.dataset, self.value(other))

    def note(self) -> str | None:
        """What the last edit did, while it is recent."""
        if self._note is not None and time.monotonic() - self._note[1] < self.note_seconds:
            return self._note[0]
        return None

    def show_hint(self) -> None:
        """The boundary's own line of how to draw."""
        boundary = self.screen.views.get("boundary")
        if boundary is None:
            return
        if drawn.why_not(self.dataset):
            boundary.set_draw_hint((), False)
            return
        now, other = self.label_name(), self.label_name(True)
        texts = (f"click: {now} · right-click: {other} · p next · u remove · X clear",
                 f"click: {now} · right-click: {other} · p u X",
                 f"click: {now} · right: {other}",
                 f"click: {now}")
        boundary.set_draw_hint(texts, always=drawn.is_drawn(self.dataset))

    def _say(self, text: str) -> None:
        self._note = (text, time.monotonic())
        self.screen.update_hint()
        self.screen.set_timer(self.note_seconds + 0.05, self.screen.update_hint)

    def _cannot(self) -> bool:
        problem = drawn.why_not(self.dataset)
        if problem:
            self.screen.app.notify(f"Cannot draw on this data: {problem}.", timeout=4)
        return problem is not None

    def _use(self, data, note: str) -> None:
        first = not drawn.is_drawn(self.dataset)
        self.screen.use_drawn(data)
        self._say(note)
        if first:
            self.screen.app.notify(
                "The data is now 'drawn': every point you see trains (a drawn set has no "
                "validation set), and the run goes on with the same weights from the next "
                "step. ctrl+s saves it as a preset.", title="Drawing", timeout=8)

    def click(self, at: tuple[float, float] | None, other: bool) -> None:
        """A click on the map adds a point there: left, of the class being
        drawn; right or shift, of the next class (binary: the other one)."""
        if self._cannot() or at is None:
            return
        value = self.value(other)
        x1, x2 = at
        data = drawn.add_point(self.dataset, x1, x2, value)
        self._use(data, f"added a {drawn.label_name(data, value)} point at ({x1:.3g}, {x2:.3g}): {points(data)}")

    def next_label(self) -> None:
        """The next class (or regression value) a left click draws."""
        if self._cannot():
            return
        n = len(self.labels())
        self.label = (self.label % n + 1) % n
        self.show_hint()
        self._say(f"a click draws {self.label_name()} (right-click: {self.label_name(True)})")

    def remove_nearest(self, at: tuple[float, float] | None) -> None:
        """Remove the point nearest `at`, where the mouse last was on the boundary."""
        if self._cannot():
            return
        if at is None:
            self.screen.app.notify("Point at the boundary with the mouse first: u removes the point nearest to it.",
                                   timeout=3)
            return
        before = drawn.start(self.dataset)
        data, row = drawn.remove_nearest(before, *at)
        if row is None:
            self.screen.app.notify("There are no points to remove.", timeout=2)
            return
        x1, x2 = before.x_train[row]
        label = float(np.asarray(before.y_train[row]).reshape(-1)[0])
        self._use(data, f"removed the {drawn.label_name(data, label)} point at ({x1:.3g}, {x2:.3g}): {points(data)}")

    def clear(self) -> None:
        """Remove every point: draw anew (training waits for a point)."""
        if self._cannot():
            return
        n = len(drawn.start(self.dataset).x_train)
        # Asked twice: nothing brings the points back (r keeps drawn data, b cannot
        # step back over a change of data), and x, the confusion matrix, is next to it.
        now, asked = time.monotonic(), self._clear_asked
        self._clear_asked = now
        if n and (asked is None or now - asked > CLEAR_CONFIRM_SECONDS):
            self.screen.app.notify(f"Press X again to clear all {n} points: nothing brings them back "
                                   "(reopen the preset for its data).", timeout=CLEAR_CONFIRM_SECONDS)
            return
        self._clear_asked = None
        self._use(drawn.cleared(self.dataset), f"cleared {n} point{'s' * (n != 1)}: click on the boundary to draw new ones")
