"""The app's history of runs: when a change starts a new run, the run it
replaces stays on the loss chart as a ghost curve.

    ghosts = Ghosts()
    ghosts.replaced(old_config, old_history, new_config)  # in NNTuiApp.replace_model
    ghosts.items      # newest last, at most MAX_GHOSTS
    ghosts.visible    # the "h" key; ghosts.clear() is "c"

A ghost is labelled by what made its run: its optimizer and learning rate,
then whatever else differs from the run that replaced it ("sgd lr 0.1",
"adam lr 0.01 relu", "sgd lr 0.1 seed 7"), by `nntui.experiment.variants.run_label`,
and by the weights set by hand in it ("sgd lr 0.1 set W1[0,1]=0.5"). A
run with no finished epoch leaves no ghost, nor does a reset to the very same
config. Curves are comparable only on the same data and loss: a change of
either (another data set, another preset) clears the ghosts.

Not UI: plain state the app keeps and hands to the loss chart.
"""

from __future__ import annotations

import dataclasses
from dataclasses import dataclass

from nntui.engine.snapshot import History
from nntui.engine.spec import Config
from nntui.experiment.variants import differences, edits_label, run_label

MAX_GHOSTS = 5
# Muted, so that the live run stands out; legible on dark and light themes.
GHOST_COLOURS = ((150, 150, 150), (160, 120, 200), (100, 170, 120), (200, 150, 100), (110, 160, 200))
_NOT_IN_LABEL = ("data", "loss", "output")


@dataclass(frozen=True)
class Ghost:
    label: str
    train_loss: tuple[float, ...]
    val_loss: tuple[float, ...]
    colour: tuple[int, int, int]


class Ghosts:
    def __init__(self) -> None:
        self.items: tuple[Ghost, ...] = ()
        self.visible = True
        self.version = 0  # changes whenever what the chart shows of them does
        self._kept = 0  # ghosts ever kept: picks the next colour

    def replaced(self, old: Config, history: History | None, new: Config, edits: tuple = ()) -> Ghost | None:
        """The run of `old` (its history, the weights set by hand in it:
        (name, index, value) each) is replaced by a run of `new`: keep it as a
        ghost (returned), or clear every ghost if the curves would not compare
        (other data or another loss)."""
        # Other features of the same points compare: that contrast is their lesson.
        same_points = dataclasses.replace(old.data, features=new.data.features) == new.data
        if not same_points or old.train.loss != new.train.loss:
            if self.items:
                self.clear()
            return None
        if history is None or not history.train_loss or (old == new and not edits):
            return None
        changed = differences(old, new)
        skip = _NOT_IN_LABEL + (("layers",) if "features" in changed else ())  # layers[0] follows the features
        keys = ["learning_rate"] + [k for k in changed if k not in skip]
        label = " ".join(p for p in (run_label(old, keys, with_optimizer=True), edits_label(edits)) if p)
        ghost = Ghost(label, tuple(history.train_loss),
                      tuple(history.val_loss), GHOST_COLOURS[self._kept % len(GHOST_COLOURS)])
        self._kept += 1
        self.items = (self.items + (ghost,))[-MAX_GHOSTS:]
        self.version += 1
        return ghost

    def branched(self, config: Config, history: History, epoch: int) -> Ghost | None:
        """The run went back to `epoch` of its timeline to train on from there:
        the run as it was (its whole curve, the later epochs included) stays as a ghost."""
        if len(history.train_loss) <= epoch:
            return None
        label = f"{run_label(config, ['learning_rate'], with_optimizer=True)} to epoch {len(history.train_loss)}"
        ghost = Ghost(label, tuple(history.train_loss), tuple(history.val_loss),
                      GHOST_COLOURS[self._kept % len(GHOST_COLOURS)])
        self._kept += 1
        self.items = (self.items + (ghost,))[-MAX_GHOSTS:]
        self.version += 1
        return ghost

    def clear(self) -> None:
        self.items = ()
        self.version += 1

    def toggle(self) -> bool:
        """Hide or show them again; the new visibility."""
        self.visible = not self.visible
        self.version += 1
        return self.visible
