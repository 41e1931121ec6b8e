"""Ask what to race: the preset's own variants, a suggestion, or KEY=V1,V2,...

The same words as `nntui compare NAME --vary KEY=V1,V2,...` (parse_vary and
make_variants from nntui.experiment.variants), so what works on the command line works
here, with the same messages. Dismisses with the variants, or None.
"""

from __future__ import annotations

from rich.text import Text
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Vertical
from textual.widgets import Input, Label, OptionList
from textual.widgets.option_list import Option

from nntui.app.screens.base import Dialog
from nntui.experiment.config import ConfigError
from nntui.engine.optimizers import OPTIMIZER_DEFAULTS
from nntui.engine.spec import Config
from nntui.experiment.variants import (
    Variant,
    VaryError,
    declared_variants,
    make_variants,
    parse_vary,
    vary_keys,
)

OWN = "own"  # the option id of the preset's declared race


def _lr(v: float) -> str:
    return f"{v:g}"


def suggestions(config: Config) -> list[str]:
    """Races worth a look from this config, each one that validates for it."""
    t, m = config.train, config.model
    lr = t.learning_rate
    texts = [
        "optimizer=sgd,rmsprop,adam",
        f"learning_rate={_lr(lr / 10)},{_lr(lr)},{_lr(lr * 10)}",
        "momentum=0,0.9" if "momentum" in OPTIMIZER_DEFAULTS[t.optimizer] else "",
        "activation=relu,tanh,sigmoid" if len(m.layers) > 2 else "",
        "init=xavier,he,zeros" if len(m.layers) > 2 else "",
        # Seeds draw the weights and the data; with both given (explicit weights, a CSV)
        # they only reorder the batches, and the race would show one curve three times.
        f"seed={m.seed},{m.seed + 1},{m.seed + 2}" if not (m.init == "explicit" and config.data.dataset == "csv") else "",
    ]
    return [text for text in texts if text and _variants(config, text) is not None]


def _variants(config: Config, text: str) -> list[Variant] | None:
    try:
        return variants_for(config, text)
    except (VaryError, ConfigError):
        return None


def variants_for(config: Config, text: str) -> list[Variant]:
    """`KEY=V1,V2,...` -> the variants of config (VaryError, ConfigError)."""
    key, values = parse_vary(text)
    variants = make_variants(config, key, values)  # first: a bad value gets the CLI's message
    if len(values) < 2:
        raise VaryError(f"{text}: give at least two values to race, e.g. {key}=a,b")
    return variants


class VaryDialog(Dialog["list[Variant] | None"]):
    """Dismisses with the list of variants to race, or None."""

    BINDINGS = [Binding("escape", "cancel", "Cancel")]

    DEFAULT_CSS = """
    VaryDialog > #dialog {
        width: 84;
    }
    VaryDialog OptionList {
        height: auto;
        max-height: 12;
    }
    VaryDialog .muted {
        color: $text-muted;
        width: 100%;
    }
    VaryDialog #problem {
        color: $error;
        height: auto;
    }
    """

    def __init__(self, config: Config) -> None:
        super().__init__()
        self.config = config
        self.own = declared_variants(config)

    def compose(self) -> ComposeResult:
        options = []
        if self.own:
            labels = " · ".join(v.label for v in self.own)
            options.append(Option(f"this preset's race: {labels}", id=OWN))
        options += [Option(text, id=text) for text in suggestions(self.config)]
        with Vertical(id="dialog"):
            yield Label("Race variants of this experiment, from step 0 and the same start", id="title")
            yield OptionList(*options, id="races")
            yield Label("…or your own KEY=V1,V2,... then Enter (as nntui compare --vary):", classes="muted")
            # Not select_on_focus: the first key typed on the list moves here, and must stay.
            yield Input(placeholder="type e.g. learning_rate=0.01,0.1,1", id="path", select_on_focus=False)
            yield Label(f"KEY: {', '.join(vary_keys())}", classes="muted")
            yield Label("", id="problem")

    def on_mount(self) -> None:
        self.query_one(OptionList).focus()

    def on_key(self, event) -> None:
        """Typing while the list has the focus types into the box (not into nothing)."""
        box = self.query_one(Input)
        if event.is_printable and event.character and not box.has_focus:
            event.stop()
            event.prevent_default()
            box.focus()
            box.insert_text_at_cursor(event.character)

    def on_option_list_option_selected(self, event: OptionList.OptionSelected) -> None:
        event.stop()
        if event.option.id == OWN:
            self.close(self.own)
        else:
            self._try(str(event.option.id))

    def on_input_submitted(self, event: Input.Submitted) -> None:
        event.stop()
        if event.value.strip():
            self._try(event.value.strip())

    def action_cancel(self) -> None:
        self.close(None)

    def _try(self, text: str) -> None:
        try:
            variants = variants_for(self.config, text)
        except (VaryError, ConfigError) as exc:
            self.query_one("#problem", Label).update(Text(str(exc)))  # not markup: it may hold [ ]
            return
        self.close(variants)
