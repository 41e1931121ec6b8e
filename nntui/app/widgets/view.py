"""View: the base of every widget that draws the engine's snapshot.

The app hands each view every snapshot it shows (`show`); a view keeps it and
redraws only when the snapshot changes what the view draws (`changed`), by
`invalidate`, which each view extends to drop its caches. The framed look the
views share (a round border, brighter when focused, the title in the border)
is written here once.

Textual inherits CSS along each class's first base only, so a view that is
also something else (the inspector is a ScrollView) lists View first.
"""

from __future__ import annotations

from dataclasses import dataclass

from textual.widget import Widget

from nntui.app.worker import Status
from nntui.engine.snapshot import Snapshot

from ._common import same_view


@dataclass(frozen=True)
class Context:
    """What a view may show beside the snapshot: the app's, not the engine's."""

    status: Status = Status.PAUSED
    steps_per_second: float = 0.0  # measured over the last second of play
    title: str = ""  # the experiment's name


class View(Widget):
    """A display of the snapshot (see the module's docstring)."""

    DEFAULT_CSS = """
    View {
        width: 1fr;
        height: 1fr;
        border: round $foreground 30%;
        border-title-color: $text;
    }
    View:focus {
        border: round $border;
    }
    """

    def __init__(self, *, name=None, id=None, classes=None, disabled=False) -> None:
        super().__init__(name=name, id=id, classes=classes, disabled=disabled)
        self.snapshot: Snapshot | None = None
        self.context = Context()

    def show(self, snapshot: Snapshot, context: Context | None = None) -> None:
        """Take a snapshot (and the app's context); redraw if it changes this view."""
        old, old_status = self.snapshot, self.context.status
        self.snapshot = snapshot
        if context is not None:
            self.context = context
        if old is None or self.context.status != old_status or self.changed(old, snapshot):
            self.invalidate()

    def set_dataset(self, dataset, image: tuple[int, int] | None = None) -> None:
        """The experiment's data (a datasets.Dataset), once per experiment, and
        the inputs' shape as an image (a CSV preset's `image`), if any. Most
        views draw the snapshot alone and ignore it."""

    def changed(self, old: Snapshot, new: Snapshot) -> bool:
        """Whether `new` draws differently from `old` (cheap: snapshots share
        arrays that did not change)."""
        return not same_view(old, new)

    def invalidate(self) -> None:
        """The snapshot or a setting changed: forget what was drawn, redraw."""
        self.refresh()
