"""WeightHeatmaps: one heatmap per layer, W (fan_in rows × fan_out columns) and b.

Line API. Small layers show their numbers in the cells; others are colour only,
with '▀' half blocks for twice the rows, and layers larger than the space are
aggregated: each cell shows the value of largest magnitude in the block it
covers, so a single strong weight is never averaged away. A diverging map,
centred at 0 and scaled per layer, with its min..max range under each panel.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
from rich.segment import Segment
from rich.style import Style
from textual import events
from textual.binding import Binding
from textual.cache import LRUCache
from textual.reactive import reactive, var
from textual.strip import Strip

from nntui.engine.snapshot import Snapshot
from nntui.experiment.variants import edits_label

from ._common import cells_to_strip, diverging, fmt, fmt_cell, pack, params_equal, style_for, text_on
from .view import View

MODES = ("W", "dW", "ΔW")
NUMERIC_MAX = 64  # fan_in * fan_out at or below which cells may show numbers
MAX_CELL_W = 8  # columns per element when a small matrix is scaled up
MAX_CELL_PX = 4  # pixel rows (half lines) per element when scaled up
HALF = "▀"


def _axis_map(n: int, avail: int, max_rep: int) -> tuple[int, np.ndarray | None, np.ndarray | None]:
    """(display size, element index per display unit or None, block starts or None).

    n elements into at most `avail` units: repeat each element up to max_rep
    times when they fit, else aggregate blocks (returned as reduceat starts)."""
    if n <= avail:
        rep = max(1, min(max_rep, avail // n))
        return n * rep, np.repeat(np.arange(n), rep), None
    starts = (np.arange(avail) * n) // avail
    return avail, None, starts


def _max_abs_reduce(A: np.ndarray, starts: np.ndarray, axis: int) -> np.ndarray:
    hi = np.maximum.reduceat(A, starts, axis=axis)
    lo = np.minimum.reduceat(A, starts, axis=axis)
    return np.where(np.abs(lo) > np.abs(hi), lo, hi)


def resample(A: np.ndarray, rows, cols) -> np.ndarray:
    """A (n, m) to display units with the (size, index, starts) maps of each axis."""
    _, ridx, rstarts = rows
    _, cidx, cstarts = cols
    A = _max_abs_reduce(A, rstarts, 0) if rstarts is not None else A[ridx]
    A = _max_abs_reduce(A, cstarts, 1) if cstarts is not None else A[:, cidx]
    return A


def _unit_of(i: int, n: int, m) -> int:
    """Display unit that shows element i of n."""
    size, idx, starts = m
    if idx is not None:
        return int(np.searchsorted(idx, i))
    return int(np.searchsorted(starts, i, side="right") - 1)


def _elem_of(u: int, n: int, m) -> int:
    """Element shown at display unit u (the first of its block)."""
    size, idx, starts = m
    u = max(0, min(size - 1, u))
    return int(idx[u]) if idx is not None else int(starts[u])


@dataclass
class Panel:
    layer: int
    x0: int
    width: int
    fan_in: int
    fan_out: int
    numeric: bool
    cell_w: int = 0  # numeric mode
    cols: tuple | None = None  # colour mode axis maps
    rows: tuple | None = None


class WeightHeatmaps(View, can_focus=True):
    """Heatmaps of each layer's W and b, or their gradients, or their updates.

    Public API: ``show(snapshot)``; ``cycle_mode()`` (W → dW → ΔW); reactives
    ``mode`` ("W" | "dW" | "ΔW") and ``selected`` ((layer, row, col); row ==
    fan_in is the bias row), ``digits`` (significant digits of the selected
    cell's caption, 4 by default). Arrow keys move the selection when focused
    (left and right cross into the neighbouring layers); a click selects a cell.
    """

    DEFAULT_CSS = """
    WeightHeatmaps > .weightheatmaps--text {
        color: $text;
    }
    WeightHeatmaps > .weightheatmaps--muted {
        color: $text-muted;
    }
    WeightHeatmaps > .weightheatmaps--cursor {
        text-style: bold reverse;
    }
    """
    COMPONENT_CLASSES = {"weightheatmaps--text", "weightheatmaps--muted", "weightheatmaps--cursor"}

    BINDINGS = [
        Binding("up", "move(-1, 0)", "cell up", show=False),
        Binding("down", "move(1, 0)", "cell down", show=False),
        Binding("left", "move(0, -1)", "cell left", show=False),
        Binding("right", "move(0, 1)", "cell right", show=False),
    ]

    mode: reactive[str] = reactive("W")
    selected: reactive[tuple[int, int, int]] = reactive((1, 0, 0))
    digits: reactive[int] = reactive(4)  # significant digits of the selected cell's caption
    unit: var[tuple[int, int]] = var((1, 0))  # the screen's selected (layer, unit): its weights here

    def __init__(self, *, name=None, id=None, classes=None, disabled=False) -> None:
        super().__init__(name=name, id=id, classes=classes, disabled=disabled)
        self._version = 0
        self._key: tuple | None = None
        self._panels: list[Panel] = []
        self._lines: LRUCache[int, Strip] = LRUCache(256)
        self._pieces: list[list[Strip]] = []
        self.border_title = "weights W"

    # ------------------------------------------------------------ contract

    def changed(self, old: Snapshot, new: Snapshot) -> bool:
        return (
            old.sizes != new.sizes
            or old.update_applied != new.update_applied
            or not all(
                params_equal(a, b)
                for a, b in ((old.params, new.params), (old.grads, new.grads), (old.updates, new.updates))
            )
        )

    def cycle_mode(self) -> None:
        """W → dW → ΔW → W."""
        self.mode = MODES[(MODES.index(self.mode) + 1) % len(MODES)] if self.mode in MODES else "W"

    # ------------------------------------------------------------ reactivity

    def validate_mode(self, mode: str) -> str:
        aliases = {"w": "W", "dw": "dW", "grad": "dW", "grads": "dW", "delta": "ΔW", "update": "ΔW", "updates": "ΔW", "DW": "ΔW"}
        mode = aliases.get(mode, mode)
        return mode if mode in MODES else "W"

    def watch_mode(self, _old, _new) -> None:
        self.invalidate()

    def watch_unit(self, unit: tuple[int, int]) -> None:
        layer, index = unit
        self.selected = (layer, 0, index) if layer >= 1 else (1, index, 0)  # an input: its row of W1

    def watch_selected(self, _old, _new) -> None:
        self.invalidate()

    def watch_digits(self, _old, _new) -> None:
        self.invalidate()

    def on_resize(self, _event) -> None:
        self.invalidate()

    def notify_style_update(self) -> None:
        """Theme or CSS changed: redraw with the new text colours."""
        super().notify_style_update()
        self._key = None
        self._lines.clear()

    def invalidate(self) -> None:
        self._clamp_selection()  # a new snapshot may have other layer sizes
        self._version += 1
        self._key = None
        self._lines.clear()
        self.border_title = self._title()
        self.refresh()

    def _title(self) -> str:
        s = self.snapshot
        if self.mode == "W":
            edits = edits_label(s.edits) if s is not None else ""  # weights set by hand (W)
            return f"weights W, b{' · ' + edits if edits else ''}  (t: → dW)"
        if self.mode == "dW":
            return "gradients dW, db  (t: → ΔW)"
        when = "applied" if (s is not None and s.update_applied) else "to apply"
        return f"updates ΔW, Δb {when}  (t: → W)"

    def _clamp_selection(self) -> None:
        s = self.snapshot
        if s is None:
            return
        l, r, c = self.selected
        L = s.L
        l = max(1, min(L, l))
        fi, fo = s.sizes[l - 1], s.sizes[l]
        r = max(0, min(fi, r))
        c = max(0, min(fo - 1, c))
        if (l, r, c) != tuple(self.selected):
            self.selected = (l, r, c)

    # ------------------------------------------------------------ data

    def _arrays(self, l: int) -> tuple[np.ndarray | None, np.ndarray | None]:
        s = self.snapshot
        src = {"W": s.params, "dW": s.grads, "ΔW": s.updates}[self.mode]
        W = src.get(f"W{l}")
        b = src.get(f"b{l}")
        if W is None:
            return None, None
        return np.asarray(W, dtype=np.float64), np.asarray(b, dtype=np.float64).ravel()

    # ------------------------------------------------------------ layout

    def _layout(self, width: int, height: int) -> list[Panel]:
        s = self.snapshot
        L = s.L
        gap = 2
        pw = max(4, (width - gap * (L - 1)) // L)
        hm = max(1, height - 4)  # title, bias, legend, caption
        panels = []
        for l in range(1, L + 1):
            fi, fo = s.sizes[l - 1], s.sizes[l]
            x0 = (l - 1) * (pw + gap)
            W, b = self._arrays(l)
            numeric = False
            cell_w = 0
            rows_avail = hm - 1 if hm >= 3 else hm  # a blank line above the bias
            if W is not None and fi * fo <= NUMERIC_MAX and fi <= rows_avail:
                texts = [fmt_cell(v) for v in np.concatenate([W.ravel(), b])]
                cell_w = max(len(t) for t in texts) + 1
                numeric = cell_w * fo <= pw
            panel = Panel(l, x0, pw, fi, fo, numeric, cell_w)
            if not numeric:
                panel.cols = _axis_map(fo, pw, MAX_CELL_W)
                panel.rows = _axis_map(fi, 2 * rows_avail, MAX_CELL_PX)
            panels.append(panel)
        return panels

    # ------------------------------------------------------------ drawing

    def render_line(self, y: int) -> Strip:
        width, height = self.size.width, self.size.height
        text = self.get_component_rich_style("weightheatmaps--text")
        if width <= 0:
            return Strip.blank(0)
        if self.snapshot is None:
            msg = "waiting for a snapshot…" if y == 0 else ""
            return Strip([Segment(msg[:width].ljust(width), text)], width)
        key = (self._version, width, height)
        if key != self._key:
            self._panels = self._layout(width, height)
            self._pieces = [self._draw_panel(p, height) for p in self._panels]
            self._key = key
            self._lines.clear()
        line = self._lines.get(y)
        if line is None:
            line = self._join_line(y, width, height, text)
            self._lines[y] = line
        return line

    def _join_line(self, y: int, width: int, height: int, text: Style) -> Strip:
        if y == height - 1:
            return self._caption(width, text)
        parts: list[Strip] = []
        pos = 0
        for panel, piece in zip(self._panels, self._pieces):
            if panel.x0 > pos:
                parts.append(Strip.blank(panel.x0 - pos, text))
                pos = panel.x0
            if pos >= width:
                break
            p = piece[y] if y < len(piece) else Strip.blank(panel.width, text)
            p = p.adjust_cell_length(panel.width, text)
            parts.append(p)
            pos += panel.width
        strip = Strip.join(parts) if parts else Strip([])
        return strip.crop(0, width).adjust_cell_length(width, text)

    def _draw_panel(self, p: Panel, height: int) -> list[Strip]:
        """The strips of one panel, lines 0 .. height-2 (the caption is shared)."""
        text = self.get_component_rich_style("weightheatmaps--text")
        muted = self.get_component_rich_style("weightheatmaps--muted")
        cursor = self.get_component_rich_style("weightheatmaps--cursor")
        l = p.layer
        W, b = self._arrays(l)
        prefix = {"W": "", "dW": "d", "ΔW": "Δ"}[self.mode]
        title = f"{prefix}W{l} {p.fan_in}×{p.fan_out} · {prefix}b{l}"
        if not p.numeric and p.rows is not None and (p.rows[2] is not None or p.cols[2] is not None):
            # Aggregated: each cell shows its block's value of largest magnitude.
            for tag in (" (max|·| per block)", " (max|·|)", " *"):
                if len(title) + len(tag) <= p.width:
                    title += tag
                    break
        lines = [Strip([Segment(title[: p.width], text)])]
        hm = max(1, height - 4)
        if W is None:
            why = {"dW": "no dW yet (n: step)", "ΔW": "no ΔW yet (n: step)"}
            msg = why.get(self.mode, "no parameters")
            lines.append(Strip([Segment(msg[: p.width], muted)]))
            return lines
        scale = float(max(np.max(np.abs(W)) if W.size else 0.0, np.max(np.abs(b)) if b.size else 0.0))
        sl, sr, sc = self.selected
        sel = (sr, sc) if sl == l else None
        if p.numeric:
            lines += self._numeric_rows(p, W, b, scale, sel, cursor, hm, text)
        else:
            lines += self._colour_rows(p, W, b, scale, sel, hm, text)
        lines += [Strip.blank(p.width, text)] * max(0, 1 + hm + 1 - len(lines))
        lines = lines[: 1 + hm + 1]
        lines.append(self._legend(p.width, W, b, scale, muted))
        return lines

    def _numeric_rows(self, p, W, b, scale, sel, cursor, hm, text) -> list[Strip]:
        out = []
        cw = p.cell_w
        for r, row in enumerate([*W, b]):
            if r == p.fan_in:
                out += [Strip.blank(p.width, text)] * (hm - p.fan_in)  # bias on its own line, last
            bg = diverging(row, scale)
            fg = text_on(bg)
            segs = []
            for c, v in enumerate(row):
                cell = fmt_cell(v).rjust(cw - 1) + " "
                style = style_for(int(pack(fg[c])), int(pack(bg[c])))
                if sel == (r, c):
                    style = style + cursor
                segs.append(Segment(cell, style))
            out.append(Strip(segs))
        return out

    def _colour_rows(self, p, W, b, scale, sel, hm, text) -> list[Strip]:
        D = resample(W, p.rows, p.cols)  # (display pixel rows, display cols)
        px = pack(diverging(D, scale))
        if px.shape[0] % 2:
            px = np.vstack([px, np.full((1, px.shape[1]), -1)])
        top, bot = px[0::2], px[1::2]
        ncols = px.shape[1]
        sel_cell = None
        if sel is not None and sel[0] < p.fan_in:
            sel_cell = (_unit_of(sel[0], p.fan_in, p.rows) // 2, _unit_of(sel[1], p.fan_out, p.cols))
        out = []
        for y in range(top.shape[0]):
            chars = [HALF] * ncols
            fg, bg = top[y].copy(), bot[y].copy()
            if sel_cell is not None and sel_cell[0] == y:
                c = sel_cell[1]
                chars[c] = "◆"
                colour = fg[c] if fg[c] >= 0 else bg[c]
                rgb = np.array([(colour >> 16) & 255, (colour >> 8) & 255, colour & 255], dtype=np.uint8)
                bg[c] = colour
                fg[c] = int(pack(text_on(rgb)))
            out.append(cells_to_strip(chars, fg, bg, text))
        out += [Strip.blank(p.width, text)] * (hm - len(out))
        # The bias row: one line, same column map.
        bd = resample(b[None, :], (1, np.zeros(1, dtype=int), None), p.cols)[0]
        bpx = pack(diverging(bd, scale))
        chars = [" "] * len(bpx)
        fgs = np.full(len(bpx), -1)
        if sel is not None and sel[0] == p.fan_in:
            c = _unit_of(sel[1], p.fan_out, p.cols)
            chars[c] = "◆"
            colour = int(bpx[c])
            rgb = np.array([(colour >> 16) & 255, (colour >> 8) & 255, colour & 255], dtype=np.uint8)
            fgs[c] = int(pack(text_on(rgb)))
        out.append(cells_to_strip(chars, fgs, bpx, text))
        return out

    def _legend(self, width: int, W, b, scale, muted) -> Strip:
        allv = np.concatenate([W.ravel(), b])
        lo, hi = (float(allv.min()), float(allv.max())) if allv.size else (0.0, 0.0)
        text = f" {fmt(lo, 3)}…{fmt(hi, 3)}"
        cells = max(3, min(7, width - len(text))) if width - len(text) >= 3 else 0
        ramp = diverging(np.linspace(-1, 1, cells), 1.0) if cells else []
        segs = [Segment(" ", style_for(-1, int(pack(c)))) for c in ramp]
        segs.append(Segment(text if cells else text.lstrip(), muted))
        return Strip(segs).crop(0, width)

    def _caption(self, width: int, text: Style) -> Strip:
        s = self.snapshot
        l, r, c = self.selected
        name = f"b{l}[{c}]" if r >= s.sizes[l - 1] else f"W{l}[{r},{c}]"
        key = f"b{l}" if r >= s.sizes[l - 1] else f"W{l}"
        parts = []
        for label, src in (("W", s.params), ("dW", s.grads), ("ΔW", s.updates)):
            arr = src.get(key)
            if arr is None:
                continue
            v = arr[c] if arr.ndim == 1 else arr[r, c]
            mark = "▶" if label == self.mode else ""
            parts.append(f"{mark}{label} {fmt(v, self.digits)}")
        line = f"{name}: " + "  ".join(parts) if parts else name
        return Strip([Segment(line[:width].ljust(width), text)], width)

    # ------------------------------------------------------------ input

    def action_move(self, dr: int, dc: int) -> None:
        s = self.snapshot
        if s is None:
            return
        l, r, c = self.selected
        fi, fo = s.sizes[l - 1], s.sizes[l]
        r += dr
        c += dc
        if c < 0 and l > 1:
            l -= 1
            c = s.sizes[l] - 1
        elif c >= fo and l < s.L:
            l += 1
            c = 0
        fi, fo = s.sizes[l - 1], s.sizes[l]
        self.selected = (l, max(0, min(fi, r)), max(0, min(fo - 1, c)))

    def on_click(self, event: events.Click) -> None:
        if self.snapshot is None or not self._panels:
            return
        offset = event.get_content_offset(self)
        if offset is None:
            return
        x, y = offset
        height = self.size.height
        hm = max(1, height - 4)
        for p in self._panels:
            if not (p.x0 <= x < p.x0 + p.width):
                continue
            col_unit = x - p.x0
            line = y - 1
            if line < 0:
                return
            if p.numeric:
                c = col_unit // p.cell_w
                if c >= p.fan_out:
                    return
                r = line if line < p.fan_in else (p.fan_in if line == hm else None)
            else:
                if col_unit >= p.cols[0]:
                    return
                c = _elem_of(col_unit, p.fan_out, p.cols)
                if line == hm:
                    r = p.fan_in
                elif 2 * line < p.rows[0]:
                    r = _elem_of(2 * line, p.fan_in, p.rows)
                else:
                    r = None
            if r is not None:
                self.selected = (p.layer, r, c)
            return
