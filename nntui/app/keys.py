"""The main screen's keys, declared once: the bindings, the help and the command palette read this table.

Each Key is one binding (or, without an action, a help row for the mouse or
for a key the App binds itself). The table is in the help's order, the order
a new user needs them; `footer` places a key in the footer (the footer is cut
at the right on a narrow terminal, so help and quit come early there). A key
that acts on views (`views`) is left out, binding and help row, when the
registry (views.py) has none of them.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass

from textual.binding import Binding


@dataclass(frozen=True)
class Key:
    keys: str  # Textual's key names, comma-separated ("plus,equals_sign")
    action: str | None  # the main screen's action; None: no binding here (the mouse, or an App key)
    label: str  # the footer's (and Textual's keys panel's) name for it
    help: str | None  # the help's text; None: it shares the row of the key above it
    display: str | None = None  # how the footer shows the key ("+" for plus)
    help_key: str | None = None  # how the help shows it, when not as the footer does
    footer: int | None = None  # its place in the footer; None: only in the help
    palette: tuple[str, str] | None = None  # (title, help) in the command palette (ctrl+p)
    views: tuple[str, ...] = ()  # it acts on these views: left out when the registry has none of them

    def shown_as(self) -> str:
        return self.help_key or self.display or self.keys.split(",")[0]


_ASCII_VIEWS = ("boundary", "network", "sample", "units", "mistakes")
_SAMPLE_VIEWS = ("inspector", "network", "boundary", "sample")

KEYS: tuple[Key, ...] = (
    Key("space", "toggle_play", "play", "play / pause training", footer=0,
        palette=("Play / pause", "space: train, or stop training")),
    Key("n", "next_phase", "phase", "next phase: forward 1..L, loss, backward L..1, update", footer=1,
        palette=("Next phase", "n: run one phase of the step")),
    Key("s", "finish_step", "step", "finish the step in progress (a whole step at a boundary)", footer=2,
        palette=("Finish the step", "s: run the rest of the step")),
    Key("e", "epoch", "epoch", "train to the end of the epoch", footer=3,
        palette=("Train one epoch", "e: run to the end of the epoch")),
    Key("b", "step_back", "back", "back: one phase mid-step (the mirror of n), else the last whole step", footer=4,
        palette=("Step back", "b: undo the step in progress, or the last step")),
    Key("r", "reset", "reset", "reset: same seed, back to step 0 with the same start", footer=7,
        palette=("Reset", "r: back to step 0, same seed")),
    Key("R", "reset_new_seed", "seed", "reset with a new random seed (another start)", display="R",
        palette=("Reset with a new seed", "R: back to step 0 from another start")),
    Key("plus,equals_sign", "lr(True)", "lr", "raise / lower the learning rate (applies live)", display="+", footer=8),
    Key("minus,underscore", "lr(False)", "lr", None, display="-", footer=9),
    Key("left_square_bracket", "speed(-1)", "slow",
        "slower / faster play: 1 phase/s, then 5, 20, 100, 500 steps/s, max", display="[", footer=10),
    Key("right_square_bracket", "speed(1)", "fast", None, display="]", footer=11),
    Key("t", "heatmap_mode", "heat", "cycle the weight heatmap mode", footer=12, views=("heatmaps",)),
    Key("x", "confusion", "confusion matrix",
        "confusion matrix, true × predicted class, in the weights' place (the loss's at 80×24)",
        palette=("Confusion matrix", "x: counts of true and predicted classes, in place of the weights"),
        views=("confusion",)),
    Key("a", "ascii", "ascii", "ASCII decision boundary, unit maps and images (no colours needed)",
        palette=("ASCII boundary", "a: the decision boundary and unit maps in plain characters"),
        views=_ASCII_VIEWS),
    Key("l", "log_scale", "log", "log scale on the loss chart", footer=13,
        palette=("Log-scale loss", "l: the loss chart on a log scale"), views=("loss",)),
    Key("h", "toggle_ghosts", "hide earlier runs", "hide / show the earlier runs (ghost curves) on the loss chart",
        views=("loss",)),
    Key("c", "clear_ghosts", "clear earlier runs", "clear the earlier runs from the loss chart", views=("loss",)),
    Key("f", "features", "feat", "cycle the two features the boundary shows (>2-D data)", footer=14,
        views=("boundary",)),
    Key("w", "images", "images", "image data (digits): the images (sample, unit weights, mistakes) or the boundary",
        views=("sample", "units", "mistakes")),
    Key("o", "open_preset", "open", "open a preset: built-ins, or the path of your own file", footer=17,
        palette=("Open a preset", "o: a built-in, or your own file")),
    Key("v", "compare", "race",
        "race variants of this experiment (optimizers, rates, ...): curves and boundaries side by side", footer=18),
    Key("m", "drawer", "controls", "the controls: hide / show (a drawer below 140×40)", footer=15),
    Key("L", "lesson", "lesson", "the lesson and its question; below 140×40: brief, L shows it all",
        display="L", footer=16),
    Key("less_than_sign", "next_lesson(-1)", "previous lesson",
        "previous / next lesson, in the story's order (nntui presets)", display="<"),
    Key("greater_than_sign", "next_lesson(1)", "next lesson", None, display=">"),
    Key("i", "panel", "panel",
        "80×24: the step inspector or the network (image data: the mistakes and the units' pictures)"),
    Key("ctrl+s", "save", "save", "save the run (.npz), or this experiment as a preset (.toml)", display="^s",
        help_key="ctrl+s", footer=19, palette=("Save the run", "ctrl+s: a runfile that nntui --load opens")),
    Key("click", None, "", "on the boundary (2-input data): add a point of the current class", views=("boundary",)),
    Key("right-click", None, "", "or shift-click: add a point of the next class (binary: the other)",
        views=("boundary",)),
    Key("p", "draw_label", "class to draw", "drawing: the next class (regression: value) a click adds",
        views=("boundary",)),
    Key("u", "remove_point", "remove nearest point", "drawing: remove the point nearest the mouse on the boundary",
        views=("boundary",)),
    Key("X", "clear_points", "clear points", "drawing: clear every point, pressed twice (training waits for new ones)",
        display="X", views=("boundary",)),
    Key("g", "gradcheck", "grad", "gradient check: finite differences against backprop", footer=20,
        palette=("Gradient check", "g: backprop against finite differences")),
    Key("left_curly_bracket", "move_epoch(-1)", "earlier epoch",
        "timeline: an epoch back / on, in every view; space trains on from there", display="{"),
    Key("right_curly_bracket", "move_epoch(1)", "later epoch", None, display="}"),
    Key("click", None, "", "on the loss chart: show that epoch (the timeline)", views=("loss",)),
    Key("E", "show_lr", "rate", "the learning rate of each epoch, under the loss", display="E",
        palette=("Learning-rate curve", "E: the rate of each epoch (a schedule) under the loss"), views=("loss",)),

    Key("1", "answer(1)", "answer", "answer the lesson's question before the run (judged at its end)",
        help_key="1-9"),
    *(Key(str(n), f"answer({n})", "answer", None, help_key="") for n in range(2, 10)),
    Key("comma", "sample(-1)", "previous sample",
        "previous / next sample of the batch (network, inspector; ringed on the boundary; "
        "with image data and no batch, the next validation image)", display=",", views=_SAMPLE_VIEWS),
    Key("full_stop", "sample(1)", "next sample", None, display=".", views=_SAMPLE_VIEWS),
    Key("j", "neuron(1)", "next neuron", "next / previous neuron on the diagram (its map, its sums, its weights)",
        views=("network", "inspector", "heatmaps", "units")),
    Key("k", "neuron(-1)", "previous neuron", None, views=("network", "inspector", "heatmaps", "units")),
    Key("d", "digits", "digits", "4 or 10 significant digits", views=("inspector", "network", "heatmaps")),
    Key("pagedown", "scroll_panel(1)", "scroll down",
        "scroll the step inspector a page down, no Tab needed (Tab focuses a panel; ↑ ↓ then scroll it)",
        views=("inspector",)),
    Key("pageup", "scroll_panel(-1)", "scroll up", "scroll the step inspector a page up", views=("inspector",)),

    Key("G", "why('gradients')", "gradients",
        "the gradient's size per layer over the epochs (log scale), in the weights' place (the loss's at 80×24)",
        display="G", palette=("Gradient sizes", "G: each layer's gradient norm per epoch, log scale"),
        views=("gradients",)),
    Key("H", "why('hidden')", "hidden space",
        "the hidden space: the data and the input grid in two hidden units' plane (the output's regions "
        "when the last hidden layer has 2 units)", display="H",
        palette=("Hidden space", "H: the data as two hidden units see it"), views=("hidden",)),
    Key("y", "hidden_pair(1)", "next pair", "hidden space: the next pair of units (Y: the next hidden layer)",
        views=("hidden",)),
    Key("Y", "hidden_layer(1)", "next layer", None, display="Y", views=("hidden",)),
    Key("z", "why('landscape')", "landscape",
        "the loss landscape around the weights now, with the path so far (the path's principal directions)",
        palette=("Loss landscape", "z: the training loss around the weights, and the path"),
        views=("landscape",)),
    Key("0", "unit_off", "unit off",
        "switch the selected hidden unit off (its output held at 0) or on again; right-click a unit does it too",
        palette=("Switch a unit off", "0: hold the selected hidden unit's output at 0, or release it"),
        views=("network",)),
    Key("W", "set_weight", "set weight",
        "set the heatmaps' selected weight by hand; training goes on from it",
        display="W", palette=("Set a weight", "W: type a new value for the selected weight"), views=("heatmaps",)),
    Key("ctrl+p", None, "", "command palette (themes, keys, quit)"),  # the App's own binding
    Key("escape", "unfocus", "unfocus", "leave a field or close a dialog"),
    Key("question_mark", "app.help", "help", "this help", display="?", footer=5,
        palette=("nntui help", "?: every key")),
    Key("q", "app.quit", "quit", "quit", footer=6),
)


def keys_for(views: Iterable[str]) -> tuple[Key, ...]:
    """The keys that have something to act on among these views."""
    present = set(views)
    return tuple(k for k in KEYS if not k.views or present.intersection(k.views))


def bindings(keys: Iterable[Key]) -> list[Binding]:
    """Textual's bindings: those in the footer first, in its order, then the rest."""
    bound = [k for k in keys if k.action is not None]
    ordered = sorted((k for k in bound if k.footer is not None), key=lambda k: k.footer)
    ordered += [k for k in bound if k.footer is None]
    return [Binding(k.keys, k.action, k.label, show=k.footer is not None, key_display=k.display)
            for k in ordered]


def help_rows(keys: Iterable[Key]) -> list[tuple[str, str]]:
    """(keys as shown, what they do): a key without help text joins the row above."""
    rows: list[tuple[list[str], str]] = []
    for k in keys:
        if k.help is None and rows:
            if k.help_key != "":  # "": bound, but shown by the row's first key ("1-9")
                rows[-1][0].append(k.shown_as())
        else:
            rows.append(([k.shown_as()], k.help or ""))
    return [("  ".join(shown), text) for shown, text in rows]


def palette(keys: Iterable[Key]) -> list[tuple[str, str, str]]:
    """(title, help, action) of the keys offered in the command palette (which sorts them by title)."""
    return [(k.palette[0], k.palette[1], k.action) for k in keys if k.palette and k.action]
