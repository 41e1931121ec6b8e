"""StepInspector: the numbers of the phase just done, for one sample of the batch.

forward l   a_{l-1}, W_l, b_l, z_l = a_{l-1} W_l + b_l, a_l = f(z_l), and one
            neuron's sum written out
loss        y, ŷ, the sample's loss and the batch's mean L, δ_L
backward l  δ_l for the sample, the sample's share a_{l-1}ᵀ δ_l, and the whole
            batch's dW_l and db_l (what the optimizer receives)
update      the optimizer's rule with its numbers, and ΔW

A scroll view drawn with the Line API: the text is rebuilt only when the
snapshot, the sample, the neuron or the width changes.
"""

from __future__ import annotations

import re

import numpy as np
from rich.segment import Segment
from textual.cache import LRUCache
from textual.geometry import Size
from textual.reactive import reactive, var
from textual.scroll_view import ScrollView
from textual.strip import Strip

from nntui.engine.rules import show
from nntui.app.worker import Status
from nntui.engine.features import label
from nntui.engine.snapshot import BACKWARD, FORWARD, LOSS, UPDATE, Snapshot

from ._common import fmt, fmt_mat, fmt_vec, shape_str
from .view import View

def uses(rule, name: str) -> bool:
    """Whether a row of the rule reads `name` (as a whole name: v is not v_max)."""
    pattern = re.compile(rf"(?<![A-Za-z_0-9]){re.escape(name)}(?![A-Za-z_0-9])")
    return any(pattern.search(r.formula) for r in rule.rows)


# What the rule's starting arrays are, for a learner reading the rows.
_INPUT_NOTES = {"g": "the batch's gradient (backward pass)", "W": "the parameter now"}
MAX_ITEMS = 8  # items of a vector shown before it is cut
MAX_ROWS = 4  # rows of a matrix shown

# Pieces of a line: (text, style name) with names h (heading), t (text), m (muted), n (note)
Line = list[tuple[str, str]]

def _loss_entry(name: str):
    try:
        from nntui.engine.losses import LOSSES

        return LOSSES.get(name)
    except Exception:  # pragma: no cover - the registry is the engine's
        return None


def _activation_formula(name: str) -> str:
    try:
        from nntui.engine.activations import ACTIVATIONS, OUTPUTS

        act = ACTIVATIONS.get(name) or OUTPUTS.get(name)
        return act.formula if act is not None else name
    except Exception:  # pragma: no cover - the registry is the engine's
        return name


def sample_loss(loss_name: str, z: np.ndarray, a: np.ndarray, y) -> float | None:
    """One sample's loss: the engine's own loss on a batch of that one sample."""
    entry = _loss_entry(loss_name)
    if entry is None:
        return None
    z = np.asarray(z, dtype=np.float64)[None, :]
    a = np.asarray(a, dtype=np.float64)[None, :]
    y = np.asarray(y)[None, ...]
    try:
        with np.errstate(all="ignore"):
            return float(entry.value(z, a, y))
    except Exception:
        return None


def wrap_line(line: Line, width: int) -> list[Line]:
    """Split a line of (text, kind) pieces into lines of at most `width` cells,
    breaking after ', ' or ' ' where it can, never inside parentheses (a note
    such as '(the update)' or a factor '(−0.5)' moves down whole);
    continuations are indented."""
    text = "".join(t for t, _ in line)
    if len(text) <= width:
        return [line]
    kinds = [k for t, k in line for _ in t]
    indent = min(len(text) - len(text.lstrip(" ")) + 4, width // 3)
    depth = np.cumsum([(c == "(") - (c == ")") for c in text])
    # A break may come after position i-1 (the line then starts at i).
    breakable = [False] * (len(text) + 1)
    for i in range(1, len(text)):
        if text[i - 1] == " " and text[i] != " " and depth[i - 1] <= 0:
            breakable[i] = True
    out: list[Line] = []
    start, first = 0, True
    while start < len(text):
        room = width if first else width - indent
        end = min(len(text), start + room)
        if end < len(text):
            # Best at the start of a clause (after '· '), else at any space.
            clause = next((i for i in range(end, start, -1) if breakable[i] and text[i - 2: i] == "· "), start)
            cut = clause if clause > start + room // 2 else next(
                (i for i in range(end, start, -1) if breakable[i]), start)
            if cut > start + room // 3:
                end = cut
        pieces: Line = [] if first else [(" " * indent, "m")]
        i = start
        while i < end:
            j = i
            while j < end and kinds[j] == kinds[i]:
                j += 1
            pieces.append((text[i:j], kinds[i]))
            i = j
        out.append(pieces)
        start, first = end, False
        while start < len(text) and text[start] == " ":
            start += 1
    return out


class StepInspector(View, ScrollView, can_focus=True):
    """The numbers of the current phase for one sample.

    Public API: ``show(snapshot)``; reactives ``sample`` (index in the batch),
    ``neuron`` (the unit whose sum is written out in full in forward phases)
    and ``digits`` (significant digits of every number, 4 by default);
    ``toggle_digits()`` switches 4 ↔ 10; ``lines_text()`` returns the shown
    text as plain strings.
    """

    DEFAULT_CSS = """
    StepInspector {
        overflow: auto auto;  /* ScrollView's, which View comes before */
        scrollbar-size-vertical: 1;
    }
    StepInspector > .stepinspector--h { color: $text-accent; text-style: bold; }
    StepInspector > .stepinspector--t { color: $text; }
    StepInspector > .stepinspector--m { color: $text-muted; }
    StepInspector > .stepinspector--n { color: $text-primary; }
    """
    COMPONENT_CLASSES = {"stepinspector--h", "stepinspector--t", "stepinspector--m", "stepinspector--n"}

    sample: reactive[int] = reactive(0)
    neuron: reactive[int] = reactive(0)
    digits: reactive[int] = reactive(4)
    unit: var[tuple[int, int]] = var((1, 0))  # the screen's selected (layer, unit): a layer's unit is `neuron`

    def __init__(self, *, name=None, id=None, classes=None, disabled=False) -> None:
        super().__init__(name=name, id=id, classes=classes, disabled=disabled)
        self._lines: list[Line] | None = None
        self._wrapped: tuple[int, list[Line]] | None = None
        self._strips: LRUCache[int, Strip] = LRUCache(256)
        self.border_title = "step inspector"
        # The phase's key line (its worked example: a sum, δ with its numbers,
        # the update's ΔW): its index in the lines, and where it falls once
        # wrapped (first row, rows). Scrolled into view as each phase opens.
        self._key_index: int | None = None
        self._key_rows: tuple[int, int] | None = None
        self._scrolled_for: tuple | None = None

    # ------------------------------------------------------------ contract

    def watch_sample(self, _old, _new) -> None:
        self.invalidate()

    def watch_neuron(self, _old, _new) -> None:
        self.invalidate()

    def validate_digits(self, digits: int) -> int:
        return max(1, min(17, int(digits)))

    def watch_unit(self, unit: tuple[int, int]) -> None:
        if unit[0] >= 1:
            self.neuron = unit[1]

    def watch_digits(self, _old, new: int) -> None:
        self.border_title = "step inspector" if new == 4 else f"step inspector · {new} significant digits"
        self.invalidate()

    def toggle_digits(self) -> int:
        """4 ↔ 10 significant digits (10: enough to check a worked example,
        such as Matt Mazur's, to its last printed digit). Returns the new value."""
        self.digits = 10 if self.digits < 10 else 4
        return self.digits

    # ------------------------------------------------------------ numbers

    def _f(self, x) -> str:
        return fmt(x, self.digits)

    def _paren(self, x: float) -> str:
        """A factor in a written-out product: negatives in parentheses."""
        return f"({self._f(x)})" if x < 0 else self._f(x)

    def invalidate(self) -> None:
        self._lines = None
        self._wrapped = None
        self._strips.clear()
        if self.is_mounted and self.size.width > 0:
            self._view_lines()  # sets the virtual size before the next render
            self._follow_phase()
        self.refresh()

    def _phase_id(self) -> tuple | None:
        s = self.snapshot
        return None if s is None else (s.step, s.done, self.sample, self.neuron)

    def _follow_phase(self) -> None:
        """When a phase (or sample, or unit) opens, bring its key line into
        view: at 80×24 the worked δ of xor's backward phase sat below the
        fold. A redraw of the same phase leaves the user's scrolling alone."""
        ident = self._phase_id()
        if ident == self._scrolled_for:
            return
        self._scrolled_for = ident
        # (force: the scrollbar of the longer text is not laid out yet)
        self.scroll_to(y=self.key_line_scroll(), animate=False, immediate=True, force=True)

    def key_line_scroll(self) -> int:
        """The scroll offset that shows the phase's key line whole: 0 (the
        top, with the phase's heading) when it fits there, else the key line
        one row from the top (with as much above it as the rows leave)."""
        height = self.scrollable_content_region.height
        if self._key_rows is None or height <= 0:
            return 0
        first, rows = self._key_rows
        if first + rows <= height:
            return 0
        return max(0, min(first - 1, first + rows - height + max(0, height - rows) // 2))

    def _view_lines(self) -> list[Line]:
        """The lines soft-wrapped to the width (continuations indented)."""
        width = max(10, self.scrollable_content_region.width)
        if self._wrapped is None or self._wrapped[0] != width:
            wrapped = []
            self._key_rows = None
            for i, line in enumerate(self._get_lines()):
                pieces = wrap_line(line, width)
                if i == self._key_index:
                    self._key_rows = (len(wrapped), len(pieces))
                wrapped += pieces
            self._wrapped = (width, wrapped)
            self._strips.clear()
            size = Size(width, len(wrapped))
            if self.virtual_size != size:
                self.virtual_size = size
        return self._wrapped[1]

    # ------------------------------------------------------------ content

    def lines_text(self) -> list[str]:
        return ["".join(t for t, _ in line) for line in self._get_lines()]

    def _get_lines(self) -> list[Line]:
        if self._lines is None:
            self._lines = self._build()
        return self._lines

    def _sample_index(self) -> int | None:
        s = self.snapshot
        if s is None or not s.a or 0 not in s.a:
            return None
        n = len(s.a[0])
        return max(0, min(n - 1, self.sample)) if n else None

    def _key(self, out: list[Line]) -> None:
        """The next line appended to `out` is the phase's key line."""
        self._key_index = len(out)

    def _build(self) -> list[Line]:
        self._key_index = None
        s = self.snapshot
        if s is None:
            return [[("waiting for a snapshot…", "m")]]
        out: list[Line] = []
        phase = s.last_phase
        si = self._sample_index()
        if phase is None and self.context.status == Status.PLAYING:
            # Fast play keeps no trace, and this view is drawn less often than
            # the status line: it names no step, so no two counts disagree.
            out.append([("Training: the status line counts the steps.", "h")])
            out.append([("Pause (space) or step (n) to see a step's numbers here, phase by phase.", "n")])
            return out
        if phase is None or si is None:
            nxt = s.next_phase
            out.append([(f"At a step boundary: {s.step} steps done.", "h")])
            out.append([(f"Next: {nxt.label()} on batch {s.batch_in_epoch + 1}/{s.batches_per_epoch}"
                         f" of epoch {s.epoch + 1}.", "t")])
            out.append([("Press n to run one phase and see its numbers here.", "n")])
            if s.loss is not None:
                out.append([(f"Last batch loss: {self._f(s.loss)}", "m")])
            return out
        n = len(s.a[0])
        out.append([
            (f"step {s.shown_step} · {phase.label()} {phase.arrow}".rstrip(), "h"),
            (f" · sample {si} of a batch of {n} · next: {s.next_phase.label()}", "m"),
        ])
        kind = phase.kind
        if kind == FORWARD:
            self._forward(out, s, phase.layer, si)
        elif kind == LOSS:
            self._loss(out, s, si)
        elif kind == BACKWARD:
            self._backward(out, s, phase.layer, si)
        elif kind == UPDATE:
            self._update(out, s)
        return out

    # --- helpers

    def _vec(self, out: list[Line], label: str, v, note: str = "") -> None:
        v = np.asarray(v)
        line: Line = [(f"  {label} = ", "m"), (fmt_vec(v, MAX_ITEMS, self.digits), "t")]
        if note:
            line.append((f"  {note}", "m"))
        out.append(line)

    def _mat(self, out: list[Line], label: str, m, note: str = "") -> None:
        # A matrix keeps its shape: its rows under its name, aligned, one a line.
        self._value(out, label, np.atleast_2d(np.asarray(m)), note)

    # --- phases

    def _forward(self, out, s: Snapshot, l: int, si: int) -> None:
        L = s.L
        act = s.output if l == L else s.activation
        a_prev = s.a.get(l - 1)
        W, b = s.params[f"W{l}"], s.params[f"b{l}"]
        out.append([(f"z{l} = a{l-1} · W{l} + b{l}", "n"), (f",   a{l} = {act}(z{l}):  {_activation_formula(act)}", "n")])
        if a_prev is not None:
            self._vec(out, f"a{l-1}", a_prev[si], _input_note(s) if l == 1 else "")
        self._mat(out, f"W{l}", W)
        self._vec(out, f"b{l}", b)
        if l in s.z:
            self._vec(out, f"z{l}", s.z[l][si])
        if l in s.a:
            self._vec(out, f"a{l}", s.a[l][si])
        # One neuron's sum written out.
        j = max(0, min(W.shape[1] - 1, self.neuron))
        if a_prev is not None and W.shape[0] <= 6:
            terms = " + ".join(f"{self._paren(a_prev[si, i])}×{self._paren(W[i, j])}" for i in range(W.shape[0]))
            zj = float(a_prev[si] @ W[:, j] + b[j])
            bias = f"− {self._f(-b[j])}" if b[j] < 0 else f"+ {self._f(b[j])}"
            self._key(out)
            out.append([(f"  z{l}[{j}] = Σᵢ a{l-1}[i]·W{l}[i,{j}] + b{l}[{j}] = ", "m"),
                        (f"{terms} {bias} = {self._f(zj)}", "t")])
            if l in s.a:
                out.append([(f"  a{l}[{j}] = {act}({self._f(zj)}) = ", "m"), (self._f(s.a[l][si, j]), "t")])

    def _loss(self, out, s: Snapshot, si: int) -> None:
        L = s.L
        entry = _loss_entry(s.loss_name)
        formula = entry.formula if entry is not None else ""
        out.append([(f"loss: {s.loss_name}", "n"), (f"   {formula}", "m")])
        y = s.batch_y[si] if s.batch_y is not None else None
        yhat = s.a.get(L)
        if y is not None:
            yv = np.atleast_1d(np.asarray(y))
            if s.task == "multiclass":
                out.append([("  y = ", "m"), (f"class {int(yv.ravel()[0])}", "t")])
            else:
                self._vec(out, "y", yv)
        if yhat is not None:
            self._vec(out, f"ŷ = a{L}", yhat[si])
        if y is not None and yhat is not None and L in s.z:
            ls = sample_loss(s.loss_name, s.z[L][si], yhat[si], y)
            if ls is not None:
                out.append([("  this sample's loss = ", "m"), (self._f(ls), "t")])
        if s.loss is not None:
            out.append([(f"  L (mean over the batch of {len(s.a[0])}) = ", "m"), (self._f(s.loss), "h")])
        if L in s.deltas and entry is not None and y is not None and yhat is not None:
            self._delta_L(out, s, entry, si, y)
        elif L in s.deltas:
            self._vec(out, f"δ{L} = ∂L/∂z{L}", s.deltas[L][si], "(this sample's row)")

    def _delta_L(self, out, s: Snapshot, entry, si: int, y) -> None:
        """δ_L = ∂L/∂z_L, the loss's own formula worked out for this sample."""
        from nntui.engine.activations import ACTIVATIONS, OUTPUTS
        from nntui.engine.rules import evaluate

        L = s.L
        a, z = s.a[L][si], s.z[L][si]
        n = len(s.a[0])
        out_act = OUTPUTS.get(s.output) or ACTIVATIONS.get(s.output)
        inputs = {"a": a, "y": np.asarray(y, dtype=np.float64).reshape(a.shape)
                  if s.task != "multiclass" else np.zeros_like(a)}
        if s.task == "multiclass":
            inputs["onehot"] = np.eye(len(a))[int(np.ravel(y)[0])]
        inputs["df"] = out_act.df(z[None, :], a[None, :])[0] if out_act is not None else np.ones_like(a)
        scalars = {"n": float(n), "N": float(n * len(a))}
        formula = entry.delta_formula
        if "df" in formula and s.output in ("linear", "identity"):
            formula = formula.replace("*df", "")  # f′ = 1: nothing to multiply
        rule = evaluate(f"δ{L}", inputs, scalars, [("delta", formula)])
        symbols = {"a": "ŷ", "df": f"{s.output}′(z{L})", "onehot": "onehot(y)"}
        why = {"bce": "sigmoid's σ′ cancels against the log: what is left is the error",
               "cross_entropy": "softmax and log cancel the same way, for every class",
               "perceptron": "Rosenblatt's error, not averaged"}.get(s.loss_name,
                                                                    "mse: twice the error, over its N = n·k elements")
        self._key(out)
        out.append([(f"  δ{L} = ∂L/∂z{L} = {show(formula, symbols=symbols)}", "n"), (f"  · {why}", "m")])
        vals = ", ".join(f"{k} = {self._f(v)}" for k, v in rule.scalars.items())
        self._vec(out, f"  = for this sample ({vals})" if vals else "  = for this sample", rule.delta)

    def _delta_prev(self, out, s: Snapshot, l: int, si: int) -> None:
        """δ_{l−1} = (δ_l · W_lᵀ) ⊙ f′(z_{l−1}), worked out for the selected unit."""
        from nntui.engine.activations import ACTIVATIONS

        act = ACTIVATIONS.get(s.activation)
        out.append([(f"δ{l-1} = (δ{l} · W{l}ᵀ) ⊙ {s.activation}′(z{l-1}),   {s.activation}′ = "
                     f"{act.df_formula if act else '?'}", "n")])
        delta, z_prev, a_prev = s.deltas.get(l), s.z.get(l - 1), s.a.get(l - 1)
        prev = s.deltas.get(l - 1)
        if delta is None or z_prev is None or a_prev is None or prev is None or act is None:
            return
        W = s.params[f"W{l}"]
        j = max(0, min(W.shape[0] - 1, self.neuron))
        fprime = float(act.df(z_prev[si, j:j + 1], a_prev[si, j:j + 1])[0])
        if W.shape[1] <= 6:
            terms = " + ".join(f"{self._paren(delta[si, k])}×{self._paren(W[j, k])}" for k in range(W.shape[1]))
        else:
            terms = f"Σ of {W.shape[1]} terms: {self._f(float(delta[si] @ W[j]))}"
        self._key(out)
        out.append([(f"  δ{l-1}[{j}] = (Σₖ δ{l}[k]·W{l}[{j},k]) × {s.activation}′(z{l-1}[{j}]) = ", "m"),
                    (f"({terms}) × {self._f(fprime)} = {self._f(prev[si, j])}", "t")])
        self._vec(out, f"δ{l-1}", prev[si], "(this sample: what backward " + str(l - 1) + " starts from)")

    def _backward(self, out, s: Snapshot, l: int, si: int) -> None:
        out.append([(f"δ{l} = ∂L/∂z{l};  dW{l} = a{l-1}ᵀ · δ{l};  db{l} = Σ over the batch of δ{l}", "n")])
        delta = s.deltas.get(l)
        a_prev = s.a.get(l - 1)
        if delta is not None:
            self._vec(out, f"δ{l}", delta[si], "(this sample)")
        if a_prev is not None:
            self._vec(out, f"a{l-1}", a_prev[si], "(this sample)")
        dW, db = s.grads.get(f"W{l}"), s.grads.get(f"b{l}")
        if delta is not None and a_prev is not None:
            share = np.outer(a_prev[si], delta[si])
            self._mat(out, f"a{l-1}[s]ᵀ·δ{l}[s]", share, "this sample's share")
            if dW is not None:
                full = a_prev.T @ delta
                n = len(delta)
                if n == 1:
                    rel = f"dW{l} is this sample's share: the batch is this one sample"
                elif np.allclose(full, dW, rtol=1e-9, atol=1e-12):
                    rel = f"dW{l} sums the {n} samples' shares; δ already carries the mean's 1/{n}"
                elif np.allclose(full / n, dW, rtol=1e-9, atol=1e-12):
                    rel = f"dW{l} = (1/{n}) · Σ of the samples' shares"
                else:
                    rel = f"dW{l} as the trainer computed it"
                out.append([(f"  {rel}", "m")])
        if dW is not None:
            self._key(out)  # (below the first layer, the worked δ of the layer before is the key)
            self._mat(out, f"dW{l}", dW, "whole batch")
        if db is not None:
            self._vec(out, f"db{l}", db, "whole batch")
        if l > 1:
            self._delta_prev(out, s, l, si)
        elif s.updates:
            out.append([("  Every gradient is known: the optimizer has worked out its update, "
                         "which the next phase (n) applies; t shows it (ΔW) in the heatmaps.", "m")])

    def _update(self, out, s: Snapshot) -> None:
        """The optimizer's rule as the engine wrote it, row by row, with the
        numbers it computed: this view only lays the rows out."""
        when = "applied" if s.update_applied else "to apply"
        out.append([(f"update: {s.optimizer_name}, step t = {s.optimizer_step} ({when})", "n")])
        if not s.rules:
            out.append([("  the rule's numbers appear once a step has reached its backward pass", "m")])
            return
        scalars: dict[str, float] = {}
        for rule in s.rules.values():
            scalars.update(rule.scalars)
        if scalars:
            out.append([("  " + ",  ".join(f"{show(k)} = {self._f(v)}" for k, v in scalars.items()), "m")])
        for p, rule in s.rules.items():
            out.append([(f" {p}", "h"), (f" ({shape_str(s.params[p])})", "m")])
            for name, value in rule.inputs.items():
                if not uses(rule, name):
                    # Not in this rule's rows: W (on screen elsewhere) without
                    # decay, Adam's vₘₐₓ without amsgrad.
                    continue
                self._value(out, show(name, p), value, _INPUT_NOTES.get(name, "before this step"))
            for row in rule.rows:
                if row is rule.rows[-1] and self._key_index is None:
                    self._key(out)  # the first parameter's update, ΔW
                self._value(out, row.text(p), row.value, row.note)

    def _value(self, out: list[Line], label: str, value, note: str = "") -> None:
        if np.ndim(value) == 2:
            # A matrix keeps its shape: its rows under the formula, not beside it.
            out.append([(f"  {label}", "m"), (f" ({shape_str(value)})", "m"), (f"  {note}" if note else "", "m")])
            for r in fmt_mat(np.asarray(value), MAX_ROWS, MAX_ITEMS, self.digits):
                out.append([("      ", "m"), (r, "t" if not r.startswith("…") else "m")])
        elif np.ndim(value) == 1:
            self._vec(out, label, value, note)
        else:
            out.append([(f"  {label} = ", "m"), (self._f(value), "t"), (f"  {note}" if note else "", "m")])

    # ------------------------------------------------------------ drawing

    def render_line(self, y: int) -> Strip:
        scroll_x, scroll_y = self.scroll_offset
        index = y + scroll_y
        width = self.size.width
        lines = self._view_lines()
        strip = self._strips.get(index)
        if strip is None:
            g = self.get_component_rich_style
            base = g("stepinspector--t")
            if index < len(lines):
                segs = [Segment(text, g(f"stepinspector--{kind}")) for text, kind in lines[index] if text]
                strip = Strip(segs)
            else:
                strip = Strip([], 0)
            strip = strip.extend_cell_length(max(width, self.virtual_size.width), base)
            self._strips[index] = strip
        return strip.crop(scroll_x, scroll_x + width)

    def on_resize(self, _event) -> None:
        self._wrapped = None
        self._strips.clear()
        self._view_lines()

    def notify_style_update(self) -> None:
        super().notify_style_update()
        self._strips.clear()


def _input_note(s: Snapshot) -> str:
    """What a0 is: the input, or the features the network sees of the point (x1, x2)."""
    if not s.features:
        return "(x, the input)"
    return f"(x: the features {', '.join(label(f) for f in s.features)} of the point (x1, x2))"
