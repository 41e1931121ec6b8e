"""The controls panel: every setting of the experiment, as Selects and Inputs.

The rows are the preset keys declared with a `control` label (engine/spec.py),
in the order declared, each a control of its kind: a Select of the registry's
names for a Choice, an Input for a number. So the panel never lists a name the
config would refuse, and a new declared setting gets its row. The panel does not judge values: it posts
`ControlsPanel.Changed(key, value)` for each edit, and the app builds and
validates the new Config, then calls `load(config)` to show what was kept.

Keys are dotted paths of the config: `data.dataset`, `data.noise`,
`model.hidden` (the hidden sizes), `model.activation`, `train.optimizer`,
`train.options.momentum`, ... Selects post their value; Inputs post their
text (on Enter or when they lose focus) and the app parses it.
"""

from __future__ import annotations

from typing import Any

from textual.app import ComposeResult
from textual.containers import Horizontal, VerticalScroll
from textual.message import Message
from textual.widgets import Button, Input, Label, Select

from nntui.engine.datasets import dataset_dims, dataset_takes
from nntui.engine.features import FEATURE_NAMES, is_plane
from nntui.engine.features import label as feature_label
from nntui.engine.optimizers import BOOL, DECAY, OPTIMIZER_DEFAULTS, OPTIMIZERS
from nntui.engine.spec import SECTIONS, Bool, Choice, EarlyStoppingConfig, Int, declared, key_of

# Options shown under "Regularization" rather than with the optimizer.
REGULARIZATION = tuple(DECAY)


def all_options() -> dict[str, object]:
    """Every registered optimizer's options but the regularization, in a
    stable order, each with its kind (a field each; shown when it applies).
    Read when the panel is built, so an optimizer registered later has its fields."""
    out: dict[str, object] = {}
    for cls in OPTIMIZERS.values():
        for name, option in cls.options_taken.items():
            if name not in REGULARIZATION:
                out.setdefault(name, option.kind)
    return out


BOOL_CHOICES = [("off", False), ("on", True)]


def format_value(value: Any) -> str:
    """A config value as the text of an Input."""
    if isinstance(value, bool):
        return "on" if value else "off"
    if isinstance(value, float):
        return f"{value:g}"
    if isinstance(value, (tuple, list)):
        return ", ".join(format_value(v) for v in value)
    return "" if value is None else str(value)


def controlled(section: str) -> list[tuple[str, str, object]]:
    """(dotted key, label, kind) of each key of `section` declared with a control, in order."""
    return [(f"{section}.{f.name}", key_of(f).control, key_of(f).kind)
            for f in declared(SECTIONS[section]) if key_of(f).control]


class Row(Horizontal):
    """A label and its control on one line."""

    def __init__(self, label: str, control, **kwargs) -> None:
        super().__init__(**kwargs)
        self._label = label
        self._control = control

    def compose(self) -> ComposeResult:
        yield Label(self._label, classes="control-label")
        yield self._control


class ControlsPanel(VerticalScroll):
    """The left panel. Post `Changed` on every user edit."""

    DEFAULT_CSS = """
    ControlsPanel {
        width: 34;
        padding: 0 1;
        scrollbar-size-vertical: 1;
    }
    ControlsPanel .section {
        color: $text-accent;
        text-style: bold;
        margin-top: 1;
    }
    ControlsPanel Row {
        height: 1;
        margin-bottom: 0;
    }
    ControlsPanel .control-label {
        width: 13;
        color: $text-muted;
    }
    ControlsPanel Select, ControlsPanel Input {
        width: 1fr;
    }
    ControlsPanel #layer-buttons {
        height: 1;
    }
    ControlsPanel #race {
        margin-top: 1;
    }
    ControlsPanel #feature-toggles {
        layout: grid;
        grid-size: 4;
        grid-gutter: 0 1;
        height: 2;
    }
    ControlsPanel #feature-toggles Button {
        width: 1fr;
        margin: 0;
        padding: 0;
        text-wrap: nowrap;
        color: $text-muted;
    }
    ControlsPanel #features-label {
        width: 1fr;
    }
    ControlsPanel #feature-toggles Button.-on {
        background: $primary;
        color: $text;
        text-style: bold;
    }
    ControlsPanel Button {
        min-width: 0;
        width: 1fr;
        height: 1;
        border: none;
        margin: 0 1 0 0;
    }
    """

    class Changed(Message):
        def __init__(self, key: str, value: Any) -> None:
            super().__init__()
            self.key = key
            self.value = value

    def __init__(self, config, **kwargs) -> None:
        super().__init__(**kwargs)
        self.config = config
        self.can_focus = False
        self._posted: dict[str, str] = {}  # the text last posted per key, until load()

    # --------------------------------------------------------------- layout

    def _select(self, key: str, options: list[tuple[str, Any]]) -> Select:
        value = self._initial.get(key, options[0][1])
        if value not in [v for _, v in options]:
            value = options[0][1]
        return Select(options, allow_blank=False, value=value, compact=True, id=self._cid(key), name=key)

    def _declared(self, section: str) -> ComposeResult:
        """The rows of the section's declared keys."""
        for key, label, kind in controlled(section):
            if isinstance(kind, Choice):
                control = self._select(key, [(n, n) for n in kind.menu()])
            elif isinstance(kind, Bool):
                control = self._select(key, BOOL_CHOICES)
            else:
                control = self._input(key, "integer" if isinstance(kind, Int) else "number")
            yield Row(label, control)

    def _input(self, key: str, kind: str = "text") -> Input:
        value = format_value(self._initial.get(key, ""))
        return Input(value, compact=True, id=self._cid(key), name=key, type=kind, select_on_focus=True)

    @staticmethod
    def _cid(key: str) -> str:
        return "ctl-" + key.replace(".", "-")

    def compose(self) -> ComposeResult:
        self._initial = self._values(self.config)
        yield Label("Data", classes="section")
        yield from self._declared("data")
        yield Label("inputs (features)", classes="control-label", id="features-label")
        with Horizontal(id="feature-toggles"):
            for name in FEATURE_NAMES:
                # Focusable: tab reaches them and enter toggles, as the fields.
                yield Button(feature_label(name), id=f"feature-{name}", name=name, compact=True,
                             classes="-on" if name in self.config.data.features else "")
        yield Label("Network", classes="section")
        yield Row("hidden", self._input("model.hidden"))
        with Horizontal(id="layer-buttons"):
            for label, button_id in (("+ layer", "add-layer"), ("− layer", "remove-layer")):
                button = Button(label, id=button_id, compact=True)
                button.can_focus = False  # a click leaves the keys to the app
                yield button
        yield from self._declared("model")
        yield Label("Training", classes="section")
        yield from self._declared("train")
        # Early stopping, Keras's rule: a table of the preset, switched here with its patience.
        yield Row("early stop", self._select("train.early_stopping", BOOL_CHOICES))
        yield Row("patience", self._input("train.early_stopping.patience", "integer"), id="row-patience")
        for name, kind in all_options().items():
            key = f"train.options.{name}"
            if kind == BOOL:
                control = self._select(key, BOOL_CHOICES)
            else:
                control = self._input(key)
            yield Row(name, control, classes="option", id=f"row-{name}")
        yield Label("Regularization", classes="section", id="reg-section")
        for name in REGULARIZATION:
            yield Row(name, self._input(f"train.options.{name}", "number"), id=f"row-{name}", classes="option")
        race = Button("race variants… (v)", id="race", compact=True)
        race.can_focus = False  # a click leaves the keys to the app
        yield race

    def on_mount(self) -> None:
        self._show_rows(self.config)

    # --------------------------------------------------------------- values

    def _values(self, config) -> dict[str, Any]:
        """Every control's value for config (options of the optimizer only)."""
        t = config.train
        takes = dataset_takes(config.data.dataset)
        values: dict[str, Any] = {"model.hidden": ", ".join(str(n) for n in config.model.layers[1:-1]) or "none"}
        for section in SECTIONS:
            part = getattr(config, section)
            for f in declared(SECTIONS[section]):
                k = key_of(f)
                if not k.control:
                    continue
                value = getattr(part, f.name)
                if k.only and f.name not in takes:
                    # A key the data does not take shows no value (a gate is its 4 rows,
                    # a CSV its own), rather than a default that does not apply.
                    value = None
                elif isinstance(k.kind, Choice):
                    value = k.kind.canonical(value)  # an alias (linear) as its menu shows it
                values[f"{section}.{f.name}"] = value
        es = t.early_stopping
        values["train.early_stopping"] = es is not None
        values["train.early_stopping.patience"] = (es or EarlyStoppingConfig()).patience
        options = dict(OPTIMIZER_DEFAULTS.get(t.optimizer, {}))
        options.update(t.options or {})
        for name, value in options.items():
            values[f"train.options.{name}"] = value
        return values

    def load(self, config) -> None:
        """Show `config` in every control, without posting Changed."""
        self.config = config
        self._posted.clear()
        if not self.is_mounted:
            return
        values = self._values(config)
        self._show_rows(config)
        for key, value in values.items():
            widget = self.query_one(f"#{self._cid(key)}")
            if isinstance(widget, Select):
                if widget.value != value:
                    with widget.prevent(Select.Changed):
                        widget.value = value
            else:
                text = format_value(value)
                if widget.value != text:
                    with widget.prevent(Input.Changed):
                        widget.value = text
                        widget.cursor_position = 0

    def _show_rows(self, config) -> None:
        # Features are of a 2-D point: the toggles show where the data has 2 inputs.
        two_d = _two_inputs(config)
        self.query_one("#feature-toggles").display = two_d
        self.query_one("#features-label").display = two_d
        for name in FEATURE_NAMES:
            self.query_one(f"#feature-{name}", Button).set_class(name in config.data.features, "-on")
        # A gate is its 4 rows (no samples, noise or split); a CSV has its own rows.
        takes = dataset_takes(config.data.dataset)
        for f in declared(SECTIONS["data"]):
            if key_of(f).control and key_of(f).only:
                self.query_one(f"#{self._cid('data.' + f.name)}").disabled = f.name not in takes
        # A hidden activation without a hidden layer (a perceptron) is not
        # there: its row showed 'tanh', the default, for a unit that steps.
        self.query_one(f"#{self._cid('model.activation')}").parent.display = len(config.model.layers) > 2
        options = OPTIMIZER_DEFAULTS.get(config.train.optimizer, {})
        for name in (*all_options(), *REGULARIZATION):
            self.query_one(f"#row-{name}").display = name in options
        self.query_one("#reg-section").display = any(n in options for n in REGULARIZATION)
        self.query_one("#row-patience").display = config.train.early_stopping is not None

    def value_of(self, key: str) -> Any:
        widget = self.query_one(f"#{self._cid(key)}")
        return widget.value

    # --------------------------------------------------------------- events

    def on_select_changed(self, event: Select.Changed) -> None:
        event.stop()
        key = event.select.name
        if not key or event.value is Select.NULL or event.value != event.select.value:
            return  # blank, or stale
        values = self._values(self.config)
        if key not in values or event.value == values[key]:
            return  # an option this optimizer lacks, or what the config has already
        self.post_message(self.Changed(key, event.value))

    def _input_done(self, widget: Input) -> None:
        key = widget.name
        if not key:
            return
        current = self._current_text(key)
        text = widget.value.strip()
        # Enter posts the edit and then gives up the focus: the blur that follows
        # must not post it again (a refused value told twice), until load().
        if text != current and self._posted.get(key) != text:
            self._posted[key] = text
            self.post_message(self.Changed(key, text))

    def _current_text(self, key: str) -> str:
        """What `load` last put in the field (to ignore blur without an edit)."""
        return format_value(self._values(self.config).get(key))

    def on_input_submitted(self, event: Input.Submitted) -> None:
        event.stop()
        self._input_done(event.input)
        self.app.set_focus(None)  # back to the app's keys

    def on_input_blurred(self, event: Input.Blurred) -> None:
        event.stop()
        self._input_done(event.input)

    def on_button_pressed(self, event: Button.Pressed) -> None:
        event.stop()
        if event.button.id == "race":
            self.app.main.action_compare()
            return
        if event.button.id and event.button.id.startswith("feature-"):
            self._toggle_feature(event.button.name)
            # A click focuses the toggle: give the keys back, or space would toggle it again, not play.
            self.app.set_focus(None)
            return
        hidden = list(self.config.model.layers[1:-1])
        if event.button.id == "add-layer":
            hidden.append(hidden[-1] if hidden else 4)
        elif event.button.id == "remove-layer":
            if not hidden:
                self.app.notify("There is no hidden layer left to remove.", severity="warning")
                return
            hidden.pop()
        else:
            return
        self.post_message(self.Changed("model.hidden", ", ".join(map(str, hidden)) or "none"))

    def _toggle_feature(self, name: str) -> None:
        """A feature on or off: the new list, in the table's order, as one edit."""
        on = list(self.config.data.features)
        if name in on:
            if len(on) == 1:
                self.app.notify(f"{feature_label(name)} is the only input left: at least one feature stays on.",
                                severity="warning", timeout=4)
                return
            on.remove(name)
        else:
            on = [f for f in FEATURE_NAMES if f in on or f == name]
        self.post_message(self.Changed("data.features", on))


def _two_inputs(config) -> bool:
    """Whether the data has 2 inputs (the points features are computed from).
    A CSV's width is known only once read: its toggles show while features are set."""
    d = config.data
    if d.dataset == "csv":
        return config.model.layers[0] == 2 or not is_plane(d.features)
    return dataset_dims(d.dataset, d.classes or 3)[0] == 2
