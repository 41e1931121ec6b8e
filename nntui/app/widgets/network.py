"""NetworkDiagram: the layers as columns of neurons, every connection drawn.

Each neuron is a '●' coloured by its activation a_l for the selected sample of
the batch, with the value beside it. Between consecutive layers every visible
source neuron is joined to every visible target neuron by a line of braille
dots (2×4 a cell), coloured by the sign and size of its weight in the diverging
map of the heatmaps. A cell shows one colour: that of the strongest |weight|
crossing it. The lines are computed once per set of parameters and layout (the
snapshot's arrays are shared until they change) and drawn with the Line API, in
runs of equal style.

The phase just done is marked: forward l '→' on layer l, '▶' heads on its
incoming lines and the other layers' lines dimmed; backward l '←' and '◀'
heads; loss on the output; update lights every weight layer.

For 2-input data every unit also shows a map of its activation over the
input plane (unitmaps.py), on the boundary's axes, in half-blocks. Where every
layer fits, the maps replace the circles; otherwise a row under the diagram
shows the selected layer's maps, the selected unit marked. All the maps come
from one forward pass over one grid, made again only when the parameters or
the size change. Dead units (engine/units.py) are marked '✕', their maps
greyed, and counted in the border's title.
"""

from __future__ import annotations

import numpy as np
from rich.style import Style
from textual import events
from textual.binding import Binding
from textual.cache import LRUCache
from textual.message import Message
from textual.reactive import reactive, var
from textual.strip import Strip

from nntui.app.worker import Status
from nntui.engine.snapshot import BACKWARD, FORWARD, LOSS, UPDATE
from nntui.engine.units import SATURATED, dead_units

from ._common import BRAILLE_CHARS, NEUTRAL, Braille, Canvas, diverging, few_colours, fmt, fmt_vec, pack, style_for
from .boundary import network_for
from .unitmaps import map_chars, map_colours, map_scale, plane_grid, plane_inputs, plane_limits, unit_maps
from .view import View

NODE_W = 9  # "● −0.531"
MAX_SHOWN = 16  # neurons drawn per layer at most; the rest are "…+N"
DIM = 0.45  # while one layer is lit, the others' lines keep this much of their colour
VALUE_W = 7  # " −0.531" beside an inline map
DEAD_SAMPLE = 4096  # training points the dead units are judged on, at most
HALF = "▀"
# Why a dead unit is dead, by its activation (engine/units.py has the rule).
DEAD_WHY = {
    "relu": "dead: a = 0 on every training point",
    "tanh": f"dead: saturated, |a| > {SATURATED} on one side for every training point",
    "sigmoid": f"dead: saturated, a within {1 - SATURATED:.2g} of 0 or 1 for every training point",
}


def layer_name(l: int, L: int) -> str:
    return "x" if l == 0 else ("ŷ" if l == L else f"h{l}")


class SwitchUnit(Message):
    """Switch this hidden unit off (its output held at 0, drawn ⊘), or on again if it is off."""

    def __init__(self, layer: int, index: int) -> None:
        self.layer = layer
        self.index = index
        super().__init__()


class NetworkDiagram(View, can_focus=True):
    """The network, one column per layer.

    Public API: ``show(snapshot)``; reactives ``sample`` (index in the batch),
    ``selected`` ((layer, index), layer 0 = inputs) and ``digits``
    (significant digits of the caption, 4 by default); message
    ``NetworkDiagram.NeuronSelected(layer, index)`` posted when the selection
    changes (arrow keys when focused, or a click on a neuron); SwitchUnit on a right click.
    """

    class NeuronSelected(Message):
        """A neuron was selected: layer 0 is the input, 1..L the weight layers."""

        def __init__(self, layer: int, index: int) -> None:
            self.layer = layer
            self.index = index
            super().__init__()

    DEFAULT_CSS = """
    NetworkDiagram > .networkdiagram--text {
        color: $text;
    }
    NetworkDiagram > .networkdiagram--muted {
        color: $text-muted;
    }
    NetworkDiagram > .networkdiagram--active {
        color: $text-accent;
        text-style: bold;
    }
    NetworkDiagram > .networkdiagram--cursor {
        text-style: bold reverse;
    }
    """
    COMPONENT_CLASSES = {
        "networkdiagram--text",
        "networkdiagram--muted",
        "networkdiagram--active",
        "networkdiagram--cursor",
    }

    BINDINGS = [
        Binding("up", "move(0, -1)", "neuron up", show=False),
        Binding("down", "move(0, 1)", "neuron down", show=False),
        Binding("left", "move(-1, 0)", "layer left", show=False),
        Binding("right", "move(1, 0)", "layer right", show=False),
    ]

    sample: reactive[int] = reactive(0)
    selected: reactive[tuple[int, int]] = reactive((1, 0))
    digits: reactive[int] = reactive(4)  # significant digits of the caption
    ascii: reactive[bool] = reactive(False)  # the unit maps in characters (`a`, with the boundary)
    unit: var[tuple[int, int]] = var((1, 0))  # the screen's selected unit, the same as `selected` here

    def __init__(self, *, name=None, id=None, classes=None, disabled=False) -> None:
        super().__init__(name=name, id=id, classes=classes, disabled=disabled)
        self._version = 0
        self._key: tuple | None = None
        self._canvas: Canvas | None = None
        self._hits: dict[tuple[int, int], tuple[int, int]] = {}
        self._strips: LRUCache[int, Strip] = LRUCache(128)
        self._lines_key: tuple | None = None
        self._lines: tuple = ()  # (chars, packed colours, mask) of the connections
        self._line_styles: dict[int, Style] = {}
        self._plane: tuple | None = None  # (lo, hi, names) of 2-input data: the maps' plane
        self._x_train: np.ndarray | None = None
        self._data_version = 0
        self._maps_key: tuple | None = None
        self._maps: tuple | None = None  # (cols, rows, [a_0..a_L] over the grid)
        self._dead_key: tuple | None = None
        self._dead: dict[int, np.ndarray] = {}
        self.border_title = "network"

    def set_data(self, x_train, x_val, feature_names=(), limits=None) -> None:
        """The experiment's training inputs (once per experiment): the plane
        the unit maps are drawn over (2-input data only) and the points the
        dead units are judged on."""
        x_train = np.asarray(x_train, dtype=np.float64)
        self._x_train = x_train
        d = x_train.shape[1] if x_train.ndim == 2 else 0
        if d == 2 and len(x_train):
            lo, hi = limits if limits is not None else plane_limits(x_train, x_val)
            self._plane = (lo, hi, tuple(feature_names))
        else:
            self._plane = None
        self._data_version += 1
        self.invalidate()

    # ------------------------------------------------------------ state

    def _clamp(self) -> None:
        s = self.snapshot
        if s is None:
            return
        l, j = self.selected
        l = max(0, min(s.L, l))
        j = max(0, min(s.sizes[l] - 1, j))
        if (l, j) != tuple(self.selected):
            self.selected = (l, j)

    def _sample_index(self) -> int | None:
        s = self.snapshot
        if s is None or not s.a or 0 not in s.a:
            return None
        n = len(s.a[0])
        return max(0, min(n - 1, self.sample)) if n else None

    def watch_sample(self, _old, _new) -> None:
        self.invalidate()

    def watch_digits(self, _old, _new) -> None:
        self.invalidate()

    def watch_ascii(self, _old, _new) -> None:
        self.invalidate()

    @property
    def ascii_effective(self) -> bool:
        return self.ascii or few_colours(self)

    def watch_unit(self, unit: tuple[int, int]) -> None:
        self.selected = unit

    def watch_selected(self, old, new) -> None:
        self.invalidate()
        if tuple(old) != tuple(new):
            self.post_message(self.NeuronSelected(int(new[0]), int(new[1])))

    def on_resize(self, _event) -> None:
        self.invalidate()

    def notify_style_update(self) -> None:
        """Theme or CSS changed: redraw with the new text colours."""
        super().notify_style_update()
        self._key = None
        self._line_styles.clear()
        self._strips.clear()

    def invalidate(self) -> None:
        self._clamp()  # a new snapshot may have fewer layers or neurons
        self._update_dead()
        self._version += 1
        self._key = None
        self._strips.clear()
        self.refresh()

    def action_move(self, dl: int, dj: int) -> None:
        s = self.snapshot
        if s is None:
            return
        l, j = self.selected
        l = max(0, min(s.L, l + dl))
        j = max(0, min(s.sizes[l] - 1, j + dj))
        self.selected = (l, j)

    def on_click(self, event: events.Click) -> None:
        offset = event.get_content_offset(self)
        if offset is None:
            return
        hit = self._hits.get((offset.x, offset.y))
        if hit is not None:
            self.selected = hit
            if event.button == 3 and self.snapshot is not None and 0 < hit[0] < self.snapshot.L:
                self.post_message(SwitchUnit(*hit))

    # ------------------------------------------------------------ unit maps

    def maps_shown(self) -> bool:
        """Whether the units get maps: 2-input data (the plane) that the
        network takes as its input."""
        s = self.snapshot
        if s is None or self._plane is None:
            return False
        return s.sizes[0] == plane_inputs(np.zeros((1, 2)), s.features).shape[1]

    def unit_maps(self, cols: int, rows: int) -> tuple[int, int, list[np.ndarray]] | None:
        """(cols, rows, [a_0, ..., a_L]): every unit's activation at each pixel
        of a cols × rows grid over the plane, row by row from the top, from
        one forward pass; kept until the parameters, the data or the size
        change. None without a plane."""
        if not self.maps_shown():
            return None
        s = self.snapshot
        key = (cols, rows, self._data_version, s.sizes, s.activation, s.output, s.off,
               tuple(id(v) for v in s.params.values()), id(s.input_scale))
        if key != self._maps_key:
            lo, hi, _ = self._plane
            self._maps = (cols, rows, unit_maps(network_for(s), s.params, plane_grid(lo, hi, cols, rows), s.features,
                                              s.input_scale))
            self._maps_key = key
        return self._maps

    dead = property(lambda self: self._dead, doc="{l: bool mask} of the dead hidden units (engine/units.py's rule)")

    def _update_dead(self) -> None:
        """Judge the hidden units on the training set when the parameters
        change (one forward pass), and count the dead in the title."""
        s = self.snapshot
        x = self._x_train
        # The network takes the points' features when it has any (width 2 -> len(features)).
        width = len(s.features) if s is not None and s.features and x is not None and x.shape[-1] == 2 else None
        if s is None or x is None or x.ndim != 2 or (width or x.shape[1]) != s.sizes[0]:
            key, dead = None, {}
        else:
            key = (self._data_version, s.sizes, s.activation, s.features, s.off,
                   tuple(id(v) for v in s.params.values()), id(s.input_scale))
            if key == self._dead_key:
                return
            # A very large training set is judged on DEAD_SAMPLE points evenly
            # spread over it, so that a frame never waits for it.
            step = max(1, -(-len(x) // DEAD_SAMPLE))
            with np.errstate(all="ignore"):
                dead = dead_units(network_for(s), s.params, plane_inputs(x[::step], s.features if width else (),
                                                                          s.input_scale))
        self._dead_key, self._dead = key, dead
        n = sum(int(m.sum()) for m in dead.values())
        self.border_title = f"network · {n} dead ✕" if n else "network"

    def _is_dead(self, l: int, j: int) -> bool:
        mask = self._dead.get(l)
        return mask is not None and j < len(mask) and bool(mask[j])

    def _inline_size(self, body_h: int, width: int) -> tuple[int, int]:
        """(rows, columns) of a map that replaces each circle, or (0, 0) when
        some layer's maps do not fit in the body or the columns are too close.
        Twice as wide as tall in pixels where the width allows: the plane of
        the boundary beside it is wider than tall too."""
        s = self.snapshot
        for th in (3, 2):
            if any(n * th > body_h for n in s.sizes):
                continue
            for tw in (4 * th, 2 * th):
                if s.L < 1 or (width - tw - 1) / s.L >= tw + 5:
                    return th, tw
        return 0, 0

    def _put_map(self, cv: Canvas, x: int, y: int, l: int, j: int, maps, th: int, scales: dict) -> None:
        """Unit j of layer l's map, th rows from (x, y): half-blocks in
        colour, or ramp characters when colours are few."""
        cols, rows, acts = maps
        a = acts[l]
        if l not in scales:
            s = self.snapshot
            kind = "input" if l == 0 else (s.output if l == s.L else s.activation)
            scales[l] = map_scale(kind, a)
        centre, half = scales[l]
        v = a[:, j].reshape(rows, cols)
        dead = self._is_dead(l, j)
        if self.ascii_effective:
            text, muted = self._styles()[:2]
            pair = np.vstack([v, v[-1:]]) if rows % 2 else v  # an odd last row stands alone
            chars = map_chars((pair[0::2] + pair[1::2]) / 2, centre[j], half[j])
            for r in range(min(th, len(chars))):
                cv.put(x, y + r, "".join(chars[r]), muted if dead else text)
            return
        packed = map_colours(v, centre[j], half[j], dead)
        if rows % 2:  # the last cell's lower half stays empty
            packed = np.vstack([packed, np.full((1, cols), -1, dtype=packed.dtype)])
        top, bot = packed[0::2].tolist(), packed[1::2].tolist()
        base = self._styles()[0]  # an empty half keeps the view's own background
        for r in range(min(th, len(top))):
            for c in range(cols):
                cv.put(x + c, y + r, HALF, base + style_for(top[r][c], bot[r][c]))

    # ------------------------------------------------------------ drawing

    def render_line(self, y: int) -> Strip:
        width, height = self.size.width, self.size.height
        key = (self._version, width, height)
        if key != self._key:
            self._canvas = self._draw(width, height)
            self._key = key
            self._strips.clear()
        strip = self._strips.get(y)
        if strip is None:
            strip = self._canvas.strip(y) if y < self._canvas.height else Strip.blank(width)
            self._strips[y] = strip
        return strip

    def _styles(self):
        g = self.get_component_rich_style
        return (
            g("networkdiagram--text"),
            g("networkdiagram--muted"),
            g("networkdiagram--active"),
            g("networkdiagram--cursor"),
        )

    def _visible(self, l: int, n: int, rows: int) -> list[int | None]:
        """Indices shown for a layer of n neurons in `rows` rows (None = '…+N')."""
        if n <= rows:
            return list(range(n))
        k = max(1, rows - 1)
        start = 0
        sl, sj = self.selected
        if sl == l and sj >= k:
            start = min(sj - k + 1, n - k)
        return [*range(start, start + k), None]

    def _draw(self, width: int, height: int) -> Canvas:
        text, muted, active, cursor = self._styles()
        cv = Canvas(width, height, text)
        self._hits = {}
        s = self.snapshot
        if s is None:
            cv.put(0, 0, "waiting for a snapshot…", muted)
            return cv
        L = s.L
        phase = s.last_phase
        nxt = s.next_phase
        si = self._sample_index()

        # Row 0: the phase; row 1: layer labels; body; 2 caption rows.
        caption_rows = 2 if height >= 8 else (1 if height >= 5 else 0)
        top = 2 if height >= 6 else 1
        body_top = top
        body_h = max(1, height - top - caption_rows)
        # The unit maps: in place of the circles where every layer fits (inline
        # rows a map), else a row of the selected layer's maps under the body.
        maps_on = self.maps_shown()
        inline, inline_w = self._inline_size(body_h, width) if maps_on else (0, 0)
        row_th = row_labels = 0
        if maps_on and not inline:
            if body_h >= 9:
                row_th, row_labels = (3 if body_h >= 11 else 2), 1
            elif height >= 7:
                caption_rows = 1
                body_h = max(1, height - top - caption_rows)
                row_th = 2 if body_h >= 4 else 0
            body_h = max(1, body_h - row_th - row_labels)
        # Beside an inline map, the sample's a where the columns have room.
        val_w = 0
        if inline and si is not None and (width - inline_w - 1 - VALUE_W) / max(1, L) >= inline_w + 6 + VALUE_W:
            val_w = VALUE_W
        node_w = inline_w + 1 + val_w if inline else NODE_W
        scales: dict = {}

        if top == 2:
            if phase is None and self.context.status == Status.PLAYING:
                what = "training · the status line counts the steps · n steps phase by phase"
            elif phase is None:
                what = f"step {s.shown_step} · at a step boundary · next: {nxt.label()} (n)"
            else:
                what = f"step {s.shown_step} · done: {phase.label()} {phase.arrow}".rstrip()
                what += f" · next: {nxt.label() if s.done < len(s.phases) else 'forward 1'}"
            if si is not None:
                what += f" · sample {si}"
            cv.put(0, 0, what, muted)

        # Column x positions.
        if L >= 1 and width > node_w:
            xs = [round(l * (width - node_w) / L) for l in range(L + 1)]
        else:
            xs = [0] * (L + 1)

        hl_layer = None
        hl_lines = set()
        arrow = ""
        if phase is not None:
            if phase.kind == FORWARD:
                hl_layer, arrow = phase.layer, "→"
                hl_lines = {phase.layer}
            elif phase.kind == BACKWARD:
                hl_layer, arrow = phase.layer, "←"
                hl_lines = {phase.layer}
            elif phase.kind == LOSS:
                hl_layer, arrow = L, "◆"
            elif phase.kind == UPDATE:
                hl_lines = set(range(1, L + 1))

        # Layer labels (they win over the weight tags drawn later).
        label_y = top - 1
        taken: list[tuple[int, int]] = []
        for l in range(L + 1):
            act = "" if l == 0 else (s.output if l == L else s.activation)
            short = f"{layer_name(l, L)} {s.sizes[l]}"
            if l == hl_layer:
                short = f"{arrow}{short}" if arrow != "◆" else f"◆loss {short}"
            if l < L:
                room = xs[l + 1] - xs[l] - 1
            else:  # right-aligned, it may reach back over the last weight lines
                room = width - (xs[l - 1] + NODE_W + 1 if L >= 1 else 0)
            lab = f"{short} {act}" if act and len(short) + 1 + len(act) <= max(room, NODE_W) else short
            x = xs[l]
            if l == L:
                x = max(0, min(x, width - len(lab)))
            elif l > 0:
                lab = lab[: max(1, room)]
            if top == 2 or l == hl_layer:
                cv.put(x, label_y, lab, active if l == hl_layer else text)
                taken.append((x, x + len(lab)))

        # Where each visible neuron sits.
        rows_of: dict[int, dict[int, int]] = {}
        more: dict[int, tuple[int, int]] = {}  # layer -> (row, hidden count) of its "…+N"
        tops: dict[tuple[int, int], int] = {}  # inline maps: (layer, unit) -> top row
        # Maps a row apart; where a layer has no room for that, every map is a
        # pixel shorter, so that half a row parts them.
        tight = inline and any(n * inline + n - 1 > body_h for n in s.sizes)
        for l in range(L + 1):
            n = s.sizes[l]
            if inline:
                gap = 0 if tight else 1
                y0 = body_top + max(0, (body_h - (n * (inline + gap) - gap)) // 2)
                rows_of[l] = {}
                for j in range(n):
                    tops[(l, j)] = y0 + j * (inline + gap)
                    rows_of[l][j] = tops[(l, j)] + inline // 2  # where its lines meet it
                continue
            vis = self._visible(l, n, min(body_h, MAX_SHOWN))
            spacing = max(1, min(3, body_h // max(1, len(vis))))
            used = spacing * (len(vis) - 1) + 1
            y0 = body_top + max(0, (body_h - used) // 2)
            rows_of[l] = {}
            for r, j in enumerate(vis):
                if j is None:
                    more[l] = (y0 + r * spacing, n - (len(vis) - 1))
                else:
                    rows_of[l][j] = y0 + r * spacing

        # The connections, under everything else.
        spans = {l: (xs[l - 1] + (node_w if inline or (l - 1 in s.a and si is not None) else 2), xs[l] - 1)
                 for l in range(1, L + 1)}
        dim = bool(hl_lines) and len(hl_lines) < L
        chars, colour, mask = self._connections(width, height, rows_of, spans, hl_lines if dim else set())
        if mask.any():
            uniq, inverse = np.unique(colour[mask], return_inverse=True)
            ids = np.zeros(colour.shape, dtype=np.int32)
            ids[mask] = np.array([cv.style_id(self._line_style(int(c))) for c in uniq], dtype=np.int32)[inverse]
            cv.layer(chars, ids, mask)
        heads = active
        for l in sorted(hl_lines):
            x_from, x_to = spans[l]
            if x_to - x_from < 2 or phase is None:
                continue
            if phase.kind == BACKWARD:
                for y in rows_of[l - 1].values():
                    cv.put(x_from, y, "◀", heads)
            elif phase.kind == FORWARD:
                for y in rows_of[l].values():
                    cv.put(x_to, y, "▶", heads)

        # Neurons.
        maps = self.unit_maps(inline_w, 2 * inline - tight) if inline else None
        for l in range(L + 1):
            if inline:
                for j in range(s.sizes[l]):
                    x, y = xs[l], tops[(l, j)]
                    self._put_map(cv, x + 1, y, l, j, maps, inline, scales)
                    if self._is_dead(l, j) or (l, j) in s.off:
                        cv.put(x, y, *(("⊘", active) if (l, j) in s.off else ("✕", muted)))
                    if (l, j) == tuple(self.selected):
                        cv.put(x, rows_of[l][j], "▸", active)
                    if val_w and l in s.a:
                        cv.put(x + 1 + inline_w, rows_of[l][j], (" " + fmt(s.a[l][si, j], 3))[:val_w], text)
                    for dy in range(inline):
                        for dx in range(node_w):
                            self._hits[(x + dx, y + dy)] = (l, j)
                continue
            a = None
            if si is not None and l in s.a:
                a = np.asarray(s.a[l])
                scale = float(np.max(np.abs(a))) if a.size else 1.0
                colours = pack(diverging(a[si], scale))
            if l in more:
                y, hidden = more[l]
                cv.put(xs[l], y, f"…+{hidden}", muted)
            for j, y in rows_of[l].items():
                x = xs[l]
                if a is not None:
                    glyph_style = text + style_for(int(colours[j]), -1)
                    glyph, val = "●", fmt(a[si, j], 3)
                else:
                    glyph_style, glyph, val = muted, "○", ""
                if self._is_dead(l, j):
                    glyph = "✕"
                glyph = "⊘" if (l, j) in s.off else glyph
                sel = (l, j) == tuple(self.selected)
                if sel:
                    glyph_style = glyph_style + cursor
                cv.put(x, y, glyph, glyph_style)
                if val:
                    cv.put(x + 1, y, (" " + val)[: NODE_W - 1], cursor if sel else text)
                for dx in range(NODE_W):
                    self._hits[(x + dx, y)] = (l, j)

        if row_th:
            self._draw_row(cv, body_top + body_h, width, row_th, row_labels, scales)

        # Weight tags beside the layer labels.
        for l in range(1, L + 1):
            x_from, x_to = spans[l]
            lit = l in hl_lines
            if top == 2 and x_to - x_from >= 2:
                tag = f"W{l}"
                if lit:
                    tag = {FORWARD: f"W{l}→", BACKWARD: f"←dW{l}", UPDATE: f"W{l}+=ΔW{l}"}.get(phase.kind, tag)
                tx = max(x_from, (x_from + x_to - len(tag)) // 2)
                free = all(tx + len(tag) < a or tx > b for a, b in taken)
                if free and tx + len(tag) <= x_to:
                    cv.put(tx, label_y, tag, active if lit else muted)

        # Caption: the selected neuron.
        if caption_rows:
            for i, line in enumerate(self._caption(si)[:caption_rows]):
                cv.put(0, height - caption_rows + i, line[:width], text if i == 0 else muted)
        return cv

    def _draw_row(self, cv: Canvas, y: int, width: int, th: int, labels: int, scales: dict) -> None:
        """The selected layer's maps in a row from row y, th rows each, the
        selected unit's number (with labels) in the cursor's style, else a '◂'
        after its map; as many as fit, around the selected one."""
        text, muted, active, cursor = self._styles()
        sl, sj = self.selected
        n = self.snapshot.sizes[sl]
        tw = max(3, min(4 * th, (width + 1) // max(1, n) - 1))  # at most twice as wide as tall, in pixels
        k = max(1, min(n, (width + 1) // (tw + 1)))
        start = max(0, min(sj - k // 2, n - k))
        maps = self.unit_maps(tw, 2 * th)
        for i, j in enumerate(range(start, start + k)):
            x = i * (tw + 1)
            self._put_map(cv, x, y, sl, j, maps, th, scales)
            dead = self._is_dead(sl, j)
            if labels:
                label = f"{'✕' if dead else ''}{j}"[:tw]
                cv.put(x, y + th, label, cursor if j == sj else (muted if dead else text))
            elif j == sj:
                cv.put(x + tw, y, "◂", active)
            for dy in range(th + labels):
                for dx in range(tw):
                    self._hits[(x + dx, y + dy)] = (sl, j)

    def _line_style(self, colour: int) -> Style:
        if colour not in self._line_styles:
            self._line_styles[colour] = self._styles()[0] + style_for(colour, -1)
        return self._line_styles[colour]

    def _connections(self, width, height, rows_of, spans, lit: set[int]):
        """(chars, packed colours, mask) of the braille cells that draw every
        connection between visible neurons; cached until the parameters (their
        arrays), the layout or the lit layer change."""
        s = self.snapshot
        key = (width, height, tuple(id(s.params.get(f"W{l}")) for l in range(1, s.L + 1)),
               tuple((l, tuple(r.items())) for l, r in rows_of.items()), tuple(spans.items()), tuple(sorted(lit)))
        if key == self._lines_key:
            return self._lines
        canvas = Braille(width, height)
        for l in range(1, s.L + 1):
            W = s.params.get(f"W{l}")
            x_from, x_to = spans[l]
            src, dst = rows_of[l - 1], rows_of[l]
            if W is None or x_to - x_from < 2 or not src or not dst:
                continue
            b = s.params.get(f"b{l}")
            scale = float(max(np.max(np.abs(W)) if W.size else 0.0, np.max(np.abs(b)) if b is not None and b.size else 0.0))
            i = np.array(list(src))[:, None].repeat(len(dst), 1).ravel()
            j = np.array(list(dst))[None, :].repeat(len(src), 0).ravel()
            y0 = np.array([src[k] for k in i]) * 4 + 1
            y1 = np.array([dst[k] for k in j]) * 4 + 1
            w = np.asarray(W, dtype=np.float64)[i, j]
            rgb = diverging(w, scale)
            if lit and l not in lit:
                rgb = np.rint(rgb * DIM + NEUTRAL * (1 - DIM)).astype(np.uint8)
            with np.errstate(invalid="ignore"):
                strength = np.nan_to_num(np.abs(w), nan=0.0, posinf=1e308)
            canvas.segments(np.full(w.shape, 2 * x_from), y0, np.full(w.shape, 2 * x_to + 1), y1,
                            pack(rgb), strength)
        layer = (BRAILLE_CHARS[canvas.bits], canvas.colour, canvas.bits > 0)
        self._lines_key, self._lines = key, layer
        return layer

    def _caption(self, si: int | None) -> list[str]:
        s = self.snapshot
        l, j = self.selected
        L = s.L
        if l == 0:
            head = f"x[{j}]"
            if si is not None and 0 in s.a:
                head += f" = {fmt(s.a[0][si, j], self.digits)}"
            head += " (input)"
            W = s.params.get("W1")
            out = f"out W1[{j},:] = {fmt_vec(W[j], 8, self.digits)}" if W is not None else ""
            return [head, out]
        parts = [f"{layer_name(l, L)}[{j}]"]
        if si is not None and l in s.a:
            parts.append(f"a{l}={fmt(s.a[l][si, j], self.digits)}")
            if l in s.z:
                parts.append(f"z{l}={fmt(s.z[l][si, j], self.digits)}")
        b = s.params.get(f"b{l}")
        if b is not None:
            parts.append(f"b{l}={fmt(b[j], self.digits)}")
        act = s.output if l == L else s.activation
        head = " ".join(parts) + f" ({act})"
        head += " · switched off: held at 0" if (l, j) in s.off else (
            f" · {DEAD_WHY.get(act, 'dead')}" if self._is_dead(l, j) else "")
        W = s.params.get(f"W{l}")
        win = f"in W{l}[:,{j}] = {fmt_vec(W[:, j], 8, self.digits)}" if W is not None else ""
        return [head, win]
