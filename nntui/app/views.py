"""The registry of views: every widget that draws the snapshot, in one table.

The app composes the views from it (each in its place, in this order), finds
them by name, shows every snapshot to each, and derives the fast-play turns
from it (pacing.py). Adding a view is its widget file (a subclass of View)
and one line here. The app reads the table from NNTuiApp.VIEWS, so a test or
a variant of the app can show other views.
"""

from __future__ import annotations

from dataclasses import dataclass

from nntui.app.widgets.boundary import BoundaryView
from nntui.app.widgets.confusion import ConfusionView
from nntui.app.widgets.gradients import GradientView
from nntui.app.widgets.heatmap import WeightHeatmaps
from nntui.app.widgets.hidden_space import HiddenSpace
from nntui.app.widgets.landscape import LandscapeView
from nntui.app.widgets.inspector import StepInspector
from nntui.app.widgets.losschart import LossChart
from nntui.app.widgets.mistakes import MistakesGallery
from nntui.app.widgets.network import NetworkDiagram
from nntui.app.widgets.sample_image import SampleImage
from nntui.app.widgets.status import StatusLine
from nntui.app.widgets.unit_images import UnitImages
from nntui.app.widgets.view import View

# Where a view goes: the full-width rows under the header, or a column of the
# body (left to right, after the controls); app.tcss sizes them by id.
TOP, COLUMNS = "top", ("model", "data")


@dataclass(frozen=True)
class ViewSpec:
    name: str  # the widget's id, and its key in MainScreen.views
    cls: type[View]
    place: str  # TOP or one of COLUMNS
    # Draws a second in fast play. Fast play shows 20 frames a second, one turn
    # a frame (pacing.py), so the rates of the views with turns of their own
    # add up to 20; past that, every view is drawn proportionally less often.
    fast_rate: int
    # The view whose turns this one shares: a view that is cheap to draw in
    # fast play rides along with its neighbour in the same column.
    turn: str | None = None


VIEWS: tuple[ViewSpec, ...] = (
    ViewSpec("status", StatusLine, TOP, 4),
    ViewSpec("network", NetworkDiagram, "model", 4),
    # Image data (a CSV with `image`) shows three views in the places of the
    # three that would mislead or repeat there (app.tcss, `w` switches back):
    # the mistakes for the diagram of 64 input dots, the sample and the units'
    # weight pictures for the 2-D boundary and the weight heatmaps. Each
    # shares the turns of the view it replaces.
    ViewSpec("mistakes", MistakesGallery, "model", 2, turn="network"),
    # In fast play it shows only where training is: there is no trace.
    ViewSpec("inspector", StepInspector, "model", 2, turn="network"),
    ViewSpec("boundary", BoundaryView, "data", 8),
    ViewSpec("sample", SampleImage, "data", 8, turn="boundary"),
    ViewSpec("units", UnitImages, "data", 2, turn="heatmaps"),
    ViewSpec("loss", LossChart, "data", 2),
    ViewSpec("heatmaps", WeightHeatmaps, "data", 2),
    # In the heatmaps' place when shown (x); it changes once an epoch, so it rides along.
    ViewSpec("confusion", ConfusionView, "data", 2, turn="heatmaps"),
    # The why views, one at a time in the same place (G, H, z): they ride along too.
    ViewSpec("gradients", GradientView, "data", 2, turn="heatmaps"),
    ViewSpec("hidden", HiddenSpace, "data", 2, turn="heatmaps"),
    ViewSpec("landscape", LandscapeView, "data", 2, turn="heatmaps"),
)


def views_in(views: tuple[ViewSpec, ...], place: str) -> tuple[ViewSpec, ...]:
    return tuple(v for v in views if v.place == place)
