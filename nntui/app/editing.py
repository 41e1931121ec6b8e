"""Acting on the network by hand: a hidden unit switched off (its output held
at 0), a weight set to a typed value. The run goes on from the change, sent to
the engine's thread as a worker command."""

from __future__ import annotations

from typing import TYPE_CHECKING

from nntui.app.screens.weight import WeightDialog
from nntui.app.worker import SetWeight, SwitchOff

if TYPE_CHECKING:
    from nntui.app.main_screen import MainScreen


class Editing:
    def __init__(self, screen: MainScreen) -> None:
        self.screen = screen

    def switch_unit(self, layer: int, index: int) -> None:
        s = self.screen
        shown = s.shown
        if shown is None or not 0 < layer < shown.L:
            s.notify("Select a hidden unit on the network diagram (j, k or a click): only hidden units "
                     "can be switched off.", timeout=3)
            return
        off = set(shown.off) ^ {(layer, index)}
        s.runner.send(SwitchOff(frozenset(off)))
        state = "off: its output is held at 0" if (layer, index) in off else "on again"
        s.notify(f"Unit {index} of hidden layer {layer} {state}.", timeout=2)

    def set_weight(self) -> None:
        """The weight selected in the heatmaps, typed in a dialog; the row under W is b."""
        s = self.screen
        shown, heatmaps = s.shown, s.views.get("heatmaps")
        if shown is None or heatmaps is None:
            return
        l, r, c = heatmaps.selected
        if not 0 < l <= shown.L:
            return
        name, index = (f"b{l}", (c,)) if r == shown.sizes[l - 1] else (f"W{l}", (r, c))
        label = f"{name}[{','.join(map(str, index))}]"
        # A weight into a unit switched off (column c of layer l), or out of one (row r of layer l-1),
        # changes nothing the net computes until the unit is on again: say so rather than seem broken.
        off = set(shown.off)
        ends = ((l, c), (l - 1, r)) if name.startswith("W") else ((l, c),)
        dead = next((u for u in ends if u in off), None)
        note = (f" Unit {dead[1]} of hidden layer {dead[0]} is off: this weight changes nothing until it is "
                "on again (0).") if dead else ""

        def answered(value: float | None) -> None:
            if value is not None:
                s.runner.send(SetWeight(name, index, value))
                s.notify(f"{label} set to {value:g}: training goes on from there.{note}", timeout=4 if note else 2)

        s.app.push_screen(WeightDialog(label, float(shown.params[name][index])), answered)
