"""The app's widgets, each mounted alone in a small App, fed Snapshots built here
from plain numpy (a 2-layer tanh/sigmoid net, its trace, its gradients and an
SGD update), so these tests need neither the trainer nor the app shell."""

from __future__ import annotations

import nntui  # noqa: F401,I001  first: it pins BLAS to one thread before numpy loads

import asyncio
import dataclasses

import numpy as np
import pytest
from textual.app import App

from nntui.app.widgets._common import darken, diverging, fmt
from nntui.app.widgets.boundary import BoundaryView
from nntui.app.widgets.heatmap import WeightHeatmaps
from nntui.app.widgets.inspector import StepInspector, wrap_line
from nntui.app.widgets.losschart import C_VAL, LossChart
from nntui.app.widgets.network import NetworkDiagram
from nntui.app.widgets.status import StatusLine
from nntui.app.widgets.view import Context
from nntui.app.worker import Status
from nntui.engine.snapshot import History, Snapshot, step_phases

SIZE = (100, 30)



# ----------------------------------------------------------------- fixtures


def make_params(sizes, seed=0):
    rng = np.random.default_rng(seed)
    p = {}
    for l in range(1, len(sizes)):
        p[f"W{l}"] = rng.normal(size=(sizes[l - 1], sizes[l]))
        p[f"b{l}"] = rng.normal(size=sizes[l]) * 0.1
    return p


def make_snapshot(sizes=(2, 3, 1), done=0, step=5, n=8, lr=0.1, seed=0, history=30,
                  params=None, task="binary", optimizer="sgd", optimizer_state=None):
    """A snapshot `done` phases into a step of a tanh/sigmoid net trained by
    bce and plain SGD, with every trace array computed here in numpy."""
    L = len(sizes) - 1
    params = params if params is not None else make_params(sizes, seed)
    phases = step_phases(L)
    rng = np.random.default_rng(seed + 1)
    X = rng.normal(size=(n, sizes[0]))
    y = (X[:, 0] * X[:, -1] > 0).astype(np.float64)[:, None]
    z, a = {}, {0: X}
    for l in range(1, L + 1):
        z[l] = a[l - 1] @ params[f"W{l}"] + params[f"b{l}"]
        a[l] = 1 / (1 + np.exp(-z[l])) if l == L else np.tanh(z[l])
    zl = z[L]
    loss = float(np.mean(np.maximum(zl, 0) - zl * y + np.log1p(np.exp(-np.abs(zl)))))
    deltas, grads = {L: (a[L] - y) / y.size}, {}
    for l in range(L, 0, -1):
        grads[f"W{l}"] = a[l - 1].T @ deltas[l]
        grads[f"b{l}"] = deltas[l].sum(axis=0)
        if l > 1:
            deltas[l - 1] = (deltas[l] @ params[f"W{l}"].T) * (1 - a[l - 1] ** 2)
    updates = {k: -lr * g for k, g in grads.items()}
    trace = {}
    if done:
        kinds = [p.kind for p in phases[:done]]
        fw = [p.layer for p in phases[:done] if p.kind == "forward"]
        bw = [p.layer for p in phases[:done] if p.kind == "backward"]
        trace = dict(
            batch_x=X, batch_y=y,
            z={l: z[l] for l in fw}, a={0: X, **{l: a[l] for l in fw}},
            loss=loss if "loss" in kinds else None,
            deltas={l: deltas[l] for l in (L, *bw) if "loss" in kinds},
            grads={k: v for k, v in grads.items() if int(k[1:]) in bw},
            updates=updates if 1 in bw else {},
            update_applied="update" in kinds,
        )
    t = np.arange(1, history + 1)
    hist = History(
        train_loss=tuple(0.7 / t), val_loss=tuple(0.75 / t),
        train_accuracy=tuple(1 - 0.5 / t), val_accuracy=tuple(1 - 0.6 / t),
        batch_loss=tuple(0.7 / np.arange(1, 4 * history + 1)),
    )
    return Snapshot(
        step=step, epoch=history, batch_in_epoch=1, batches_per_epoch=4, phases=phases,
        done=done, sizes=tuple(sizes), activation="tanh", output="sigmoid", loss_name="bce",
        optimizer_name=optimizer, learning_rate=lr, task=task, params=params, history=hist,
        optimizer_state=optimizer_state or {}, optimizer_step=step, **trace,
    )


class One(App):
    def __init__(self, widget):
        super().__init__()
        self.widget = widget

    def compose(self):
        yield self.widget


def lines_of(widget) -> list[str]:
    return [widget.render_line(y).text for y in range(widget.size.height)]


def data_2d(seed=0, n=60, d=2):
    rng = np.random.default_rng(seed)
    x = rng.uniform(-1, 1, size=(n, d))
    y = (x[:, 0] > 0).astype(np.float64)[:, None]
    return x[:48], y[:48], x[48:], y[48:]


# ----------------------------------------------------------------- boundary


def linear_params():
    # p = sigmoid(8 x1): class 1 on the right half of the plane, class 0 on the left.
    return {"W1": np.array([[8.0], [0.0]]), "b1": np.array([0.0])}


async def test_boundary_half_blocks_points_and_classes():
    w = BoundaryView()
    async with One(w).run_test(size=SIZE) as pilot:
        w.set_data(*data_2d(), "binary", ("0", "1"), ("x1", "x2"))
        w.show(make_snapshot((2, 1), params=linear_params()))
        await pilot.pause()
        lines = lines_of(w)
        assert all(len(line) == w.size.width for line in lines)
        body = "".join(lines[:-1])
        assert "▀" in body and "●" in body and "○" in body
        assert "x1" in lines[-1] and "x2" in lines[-1]  # the axes and their ranges
        # The left edge of the plot is class 0's colour, the right edge class 1's.
        strip = w.render_line(0)
        segs = list(strip)
        left, right = segs[0].style.color.triplet, segs[-1].style.color.triplet
        assert left.red > left.blue  # orange
        assert right.blue > right.red  # blue
        # Adjacent equal cells are merged: far fewer segments than cells.
        assert len(segs) < w.size.width // 2


async def test_boundary_ascii_mode_and_cache():
    w = BoundaryView()
    async with One(w).run_test(size=SIZE) as pilot:
        w.set_data(*data_2d(), "binary", ("0", "1"), ("x1", "x2"))
        w.show(make_snapshot((2, 1), params=linear_params()))
        w.ascii = True
        await pilot.pause()
        lines = lines_of(w)
        body = "".join(lines[:-1])
        assert "▀" not in body and "●" not in body
        assert set("ox") & set(body) and set("OX") & set(body)  # train and validation points
        row = lines[len(lines) // 2]
        # Strong class 0 on the left (' ' or a point), strong class 1 ('#') on the right.
        assert row[1] in " oxOX" and row[-2] in "#oxOX"
        # Cached: the same strip object until the parameters change.
        assert w.render_line(3) is w.render_line(3)
        before = w.render_line(3)
        w.show(make_snapshot((2, 1), params=linear_params()))  # equal params: still cached
        assert w.render_line(3) is before
        flipped = {"W1": -linear_params()["W1"], "b1": np.array([0.0])}
        w.show(make_snapshot((2, 1), params=flipped))
        after = w.render_line(len(lines) // 2).text
        assert after[-2] in " oxOX" and after[1] in "#oxOX"


async def test_boundary_no_color_switches_to_ascii():
    w = BoundaryView()
    async with One(w).run_test(size=SIZE) as pilot:
        w.set_data(*data_2d(), "binary", ("0", "1"), ("x1", "x2"))
        w.show(make_snapshot((2, 1), params=linear_params()))
        pilot.app.no_color = True
        w.invalidate()
        await pilot.pause()
        assert w.ascii_effective and "▀" not in "".join(lines_of(w))


async def test_boundary_more_than_two_features_cycles():
    x_tr, y_tr, x_va, y_va = data_2d(d=3)
    w = BoundaryView()
    async with One(w).run_test(size=SIZE) as pilot:
        w.set_data(x_tr, y_tr, x_va, y_va, "binary", ("0", "1"), ("a", "b", "c"))
        w.show(make_snapshot((3, 4, 1)))
        await pilot.pause()
        assert w.features == (0, 1)
        w.cycle_features()
        assert w.features == (0, 2)
        await pilot.pause()
        assert "a" in str(w.border_title) and "c" in str(w.border_title)
        assert "c" in lines_of(w)[-1]
        w.cycle_features()
        w.cycle_features()
        assert w.features == (0, 1)


async def test_boundary_multiclass_and_regression_render():
    x_tr, _, x_va, _ = data_2d()
    w = BoundaryView()
    async with One(w).run_test(size=(60, 20)) as pilot:
        y3 = np.arange(len(x_tr)) % 3
        w.set_data(x_tr, y3, x_va, np.arange(len(x_va)) % 3, "multiclass", ("a", "b", "c"), ("x1", "x2"))
        snap = make_snapshot((2, 3))
        w.show(snap)
        await pilot.pause()
        assert "▀" in "".join(lines_of(w))
        w.ascii = True
        assert set("012") & set("".join(lines_of(w)))
        w.ascii = False
        yr = x_tr[:, :1] * 3
        w.set_data(x_tr, yr, x_va, x_va[:, :1] * 3, "regression", (), ("x1", "x2"))
        assert "▀" in "".join(lines_of(w))


async def test_boundary_regression_points_wear_their_target_colour():
    """plane: every point was the same dark grey, so the target could not be
    compared with the prediction around it; then, darkened on the map's own
    colour, a point vanished where the model was nearly right. Each point is
    now its target's colour in the map the background uses, in full, ringed
    by the map's own colour darkened (not a black square, which riddled the
    map with holes): a ring darker than the point by a clear margin, of the
    map's hue; train '●', validation '◆'."""
    x_tr, _, x_va, _ = data_2d(n=80)
    y_tr, y_va = x_tr[:, :1] + x_tr[:, 1:], x_va[:, :1] + x_va[:, 1:]
    w = BoundaryView()
    async with One(w).run_test(size=(80, 30)) as pilot:
        w.set_data(x_tr, y_tr, x_va, y_va, "regression", (), ("x1", "x2"))
        w.show(make_snapshot((2, 1)))
        await pilot.pause()
        d = w.data

        def target_colours(y):
            shades = diverging((y.ravel() - d["y_centre"]) / d["y_scale"], 1.0, 8)
            return {tuple(int(v) for v in c) for c in shades}

        def lum(c):
            return (0.299 * c[0] + 0.587 * c[1] + 0.114 * c[2]) / 255

        drawn: dict[str, set] = {"●": set(), "◆": set()}
        for y in range(w.size.height - 1):
            for seg in w.render_line(y):
                if seg.text in drawn:
                    fg, bg = tuple(seg.style.color.triplet), tuple(seg.style.bgcolor.triplet)
                    drawn[seg.text].add(fg)
                    assert lum(fg) - lum(bg) >= 0.25 and bg != (0, 0, 0)
        assert len(drawn["●"]) >= 4 and drawn["●"] <= target_colours(y_tr)
        assert drawn["◆"] and drawn["◆"] <= target_colours(y_va)
        assert "● train ◆ val" in lines_of(w)[-1]


async def test_boundary_title_and_legend_fit_their_width():
    """iris: '(others at mean…' and '■setosa ■ver' were cut. The title and the
    legend now take the longest version that fits: the class names whole
    while they can be, shortened (and still told apart) when they cannot."""
    x_tr, _, x_va, _ = data_2d(d=4)
    names = ("sepal_length", "sepal_width", "petal_length", "petal_width")
    classes = ("setosa", "versicolor", "virginica")
    for outer, whole in ((64, True), (36, True), (26, False)):
        w = BoundaryView()
        async with One(w).run_test(size=(outer, 20)) as pilot:
            w.set_data(x_tr, np.arange(len(x_tr)) % 3, x_va, np.arange(len(x_va)) % 3, "multiclass", classes, names)
            w.show(make_snapshot((4, 3)))
            await pilot.pause()
            width = w.size.width
            title = str(w.border_title)
            assert len(title) <= width - 2, title
            assert "sepal" in title and "→" in title and "↑" in title
            legend = lines_of(w)[-1]
            assert legend.count("■") == 3, legend  # every class keeps its swatch
            if whole:
                assert all(c in legend for c in classes), legend
            else:
                shown = [part.split()[0] for part in legend.split("■")[1:]]
                assert len(set(shown)) == 3 and all(c.startswith(p.rstrip("…")) for c, p in zip(classes, shown)), shown
    w = BoundaryView()
    async with One(w).run_test(size=(64, 20)) as pilot:
        w.set_data(x_tr, np.arange(len(x_tr)) % 3, x_va, np.arange(len(x_va)) % 3, "multiclass", classes, names)
        w.show(make_snapshot((4, 3)))
        await pilot.pause()
        assert "(others at mean" in str(w.border_title)  # the 2 features not drawn


async def test_boundary_ascii_legend_is_spelled_out():
    """'#+ 1 .␣ 0' was cryptic: the characters now say what they mean."""
    w = BoundaryView()
    async with One(w).run_test(size=(64, 20)) as pilot:
        w.set_data(*data_2d(), "binary", ("0", "1"), ("x1", "x2"))
        w.show(make_snapshot((2, 1), params=linear_params()))
        w.ascii = True
        await pilot.pause()
        assert "# sure 1  + 1  . 0  ␣ sure 0   o/x train  O/X val" in lines_of(w)[-1]
    w = BoundaryView()
    async with One(w).run_test(size=(36, 20)) as pilot:
        w.set_data(*data_2d(), "binary", ("0", "1"), ("x1", "x2"))
        w.show(make_snapshot((2, 1), params=linear_params()))
        w.ascii = True
        await pilot.pause()
        assert "sure 1" in lines_of(w)[-1] and "sure 0" in lines_of(w)[-1]


def test_boundary_one_output_for_classes_warns_nothing():
    """Mid-swap (the fuzz test switches presets while playing), class data can
    meet a model with one output: the shading divided by zero."""
    import warnings

    w = BoundaryView()
    x_tr, _, x_va, _ = data_2d()
    w.set_data(x_tr, np.arange(len(x_tr)) % 3, x_va, np.arange(len(x_va)) % 3, "multiclass", ("a", "b", "c"), ("x1", "x2"))
    w.snapshot = make_snapshot((2, 1))
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        frame = w._compute_frame(40, 10, False)
    assert frame["top"].shape == (10, 40)


def test_boundary_grid_has_both_halves_of_every_cell():
    """A 200×100-pixel grid (200×50 cells, two pixels a cell) comes out of one
    batched forward at the asked size (its speed: benchmarks/redraw.py)."""
    w = BoundaryView()
    w.set_data(*data_2d(), "binary", ("0", "1"), ("x1", "x2"))
    w.snapshot = make_snapshot((2, 16, 16, 1))
    frame = w._compute_frame(200, 50, False)
    assert frame["top"].shape == (50, 200) and frame["bot"].shape == (50, 200)


# ----------------------------------------------------------------- heatmaps


async def test_heatmap_numbers_legend_and_modes():
    snap = make_snapshot((2, 3, 1), done=8)  # after the update: W, dW and ΔW all exist
    w = WeightHeatmaps()
    async with One(w).run_test(size=SIZE) as pilot:
        w.show(snap)
        await pilot.pause()
        text = "\n".join(lines_of(w))
        W1 = snap.params["W1"]
        assert fmt(W1[0, 0], 3) in text and fmt(snap.params["b2"][0], 3) in text
        allv = np.concatenate([W1.ravel(), snap.params["b1"]])
        assert f"{fmt(allv.min(), 3)}…{fmt(allv.max(), 3)}" in text  # the legend's range
        assert w.mode == "W"
        w.cycle_mode()
        assert w.mode == "dW"
        await pilot.pause()
        text = "\n".join(lines_of(w))
        assert fmt(snap.grads["W1"][0, 0], 3) in text and "dW1" in text
        w.cycle_mode()
        assert w.mode == "ΔW"
        await pilot.pause()
        assert fmt(snap.updates["W1"][0, 0], 3) in "\n".join(lines_of(w))
        w.cycle_mode()
        assert w.mode == "W"


async def test_heatmap_selection_keys_and_caption():
    snap = make_snapshot((2, 3, 1), done=8)
    w = WeightHeatmaps()
    async with One(w).run_test(size=SIZE) as pilot:
        w.show(snap)
        w.focus()
        await pilot.pause()
        await pilot.press("down", "right", "right")
        assert w.selected == (1, 1, 2)
        caption = lines_of(w)[-1]
        assert "W1[1,2]" in caption and fmt(snap.params["W1"][1, 2]) in caption
        assert fmt(snap.grads["W1"][1, 2]) in caption
        await pilot.press("right")  # across into layer 2
        assert w.selected[0] == 2
        await pilot.press("down", "down", "down", "down")  # down to the bias row
        assert w.selected[1] == 3 and "b2[0]" in lines_of(w)[-1]


async def test_heatmap_big_layer_is_aggregated():
    sizes = (784, 128, 10)
    params = make_params(sizes)
    params["W1"][500, 100] = 40.0  # one extreme weight must survive the downsampling
    snap = make_snapshot(sizes, params=params, n=4)
    w = WeightHeatmaps()
    async with One(w).run_test(size=SIZE) as pilot:
        w.show(snap)
        await pilot.pause()
        lines = lines_of(w)  # its speed: benchmarks/redraw.py
        assert all(len(line) == w.size.width for line in lines)
        assert "784×128" in lines[0] and "max|·|" in lines[0]
        assert "…40" in "\n".join(lines)  # legend max
        assert "▀" in "\n".join(lines)
        # The extreme weight keeps its full colour (blocks show their largest |value|).
        full = tuple(int(c) for c in diverging(np.array([1.0]), 1.0)[0])
        w1 = w._panels[0]
        colours = {
            c.triplet
            for y in range(1, w.size.height - 2)  # the map and bias rows, not the legend
            for seg in w.render_line(y).crop(w1.x0, w1.x0 + w1.width)
            if seg.style is not None
            for c in (seg.style.color, seg.style.bgcolor)
            if c is not None and c.triplet is not None
        }
        assert full in {tuple(t) for t in colours}


# ----------------------------------------------------------------- network


async def test_network_phase_markers_and_selection():
    messages = []
    w = NetworkDiagram()
    app = One(w)

    def hook(message):
        if isinstance(message, NetworkDiagram.NeuronSelected):
            messages.append((message.layer, message.index))

    async with app.run_test(size=SIZE, message_hook=hook) as pilot:
        w.show(make_snapshot((2, 3, 1), done=2))  # forward 1, forward 2 done
        await pilot.pause()
        head = "\n".join(lines_of(w)[:3])
        assert "→ŷ 1 sigmoid" in head and "done: forward 2" in head
        w.show(make_snapshot((2, 3, 1), done=5))  # ... loss, backward 2, backward 1
        await pilot.pause()
        assert "←h1 3 tanh" in "\n".join(lines_of(w)[:3])
        w.show(make_snapshot((2, 3, 1), done=6))  # update
        await pilot.pause()
        assert "W1+=ΔW1" in lines_of(w)[1] and "W2+=ΔW2" in lines_of(w)[1]
        w.focus()
        await pilot.press("down", "down")
        await pilot.pause()
        assert w.selected == (1, 2) and (1, 2) in messages
        snap = w.snapshot
        caption = "\n".join(lines_of(w)[-2:])
        assert "W1[:,2]" in caption and fmt(snap.params["W1"][0, 2]) in caption
        assert fmt(snap.params["b1"][2]) in caption


BRAILLE = {chr(c) for c in range(0x2801, 0x2900)}


def cell_colour(widget, x: int, y: int):
    """(char, fg rgb) of one cell of a widget's line y."""
    pos = 0
    for seg in widget.render_line(y):
        if pos <= x < pos + len(seg.text):
            color = seg.style.color if seg.style else None
            return seg.text[x - pos], (tuple(color.triplet) if color is not None and color.triplet else None)
        pos += len(seg.text)
    return None, None


async def test_network_draws_every_connection_coloured_by_its_weight():
    """Each neuron got one arrow from empty space. Now every source neuron is
    joined to every target neuron by braille dots; a cell takes the colour of
    the strongest |weight| through it, in the heatmaps' diverging map."""
    params = {"W1": np.array([[0.1], [-2.0], [0.5]]), "b1": np.array([0.0])}
    w = NetworkDiagram()
    async with One(w).run_test(size=(60, 16)) as pilot:
        w.show(make_snapshot((3, 1), params=params))  # at a step boundary: no phase lit
        await pilot.pause()
        lines = lines_of(w)
        target = next(y for y, line in enumerate(lines) if "○" in line[30:])
        x_glyph = lines[target].index("○", 30)
        # All three lines end in the cell before the output neuron: the strongest
        # weight (−2.0, full blue) colours it.
        ch, colour = cell_colour(w, x_glyph - 1, target)
        assert ch in BRAILLE and colour == tuple(int(c) for c in diverging(np.array([-2.0]), 2.0)[0])
        # Each input neuron has a line leaving it.
        sources = [y for y, line in enumerate(lines) if line.startswith("○")]
        assert len(sources) == 3
        for y in sources:
            assert any(c in BRAILLE for c in lines[y][2:5]), lines[y]

    params = make_params((1, 3, 1))  # one source: the cell before target j carries W1[0, j] alone
    w = NetworkDiagram()
    async with One(w).run_test(size=(60, 16)) as pilot:
        w.show(make_snapshot((1, 3, 1), params=params))
        await pilot.pause()
        lines = lines_of(w)
        W1, b1 = params["W1"], params["b1"]
        scale = max(np.abs(W1).max(), np.abs(b1).max())
        hidden = [y for y, line in enumerate(lines) if "○" in line[15:40]]
        assert len(hidden) == 3
        for j, y in enumerate(hidden):
            x = lines[y].index("○", 15)
            ch, colour = cell_colour(w, x - 1, y)
            assert ch in BRAILLE and colour == tuple(int(c) for c in diverging(W1[0, j:j + 1], scale)[0])


async def test_network_lights_the_phase_and_caches_the_lines():
    sizes = (2, 16, 16, 1)
    params = make_params(sizes)
    w = NetworkDiagram()
    async with One(w).run_test(size=(162, 50)) as pilot:  # 160×48 inside the border
        w.show(make_snapshot(sizes, params=params, done=2))  # forward 1, forward 2 done
        await pilot.pause()
        lines = lines_of(w)
        assert sum(line.count("▶") for line in lines) == 16  # a head into each neuron of layer 2
        assert "→h2 16 tanh" in lines[1] and "W2→" in lines[1]
        w.show(make_snapshot(sizes, params=params, done=6))  # ... loss, backward 3, backward 2
        lines = lines_of(w)
        assert sum(line.count("◀") for line in lines) == 16  # out of each neuron of layer 1
        assert "←h2 16 tanh" in lines[1] and "←dW2" in lines[1]
        # The lines are computed once per parameter arrays and layout (the
        # cost of computing them: benchmarks/redraw.py).
        kept = w._lines
        w.sample = 3
        lines_of(w)
        assert w._lines is kept
        w.show(make_snapshot(sizes, params=make_params(sizes, seed=1), done=6))
        lines_of(w)
        assert w._lines is not kept


async def test_network_activation_values_and_big_layers():
    snap = make_snapshot((2, 40, 1), done=2, n=4)
    w = NetworkDiagram()
    async with One(w).run_test(size=SIZE) as pilot:
        w.sample = 3
        w.show(snap)
        await pilot.pause()
        text = "\n".join(lines_of(w))
        assert "…+" in text
        assert fmt(snap.a[2][3, 0], 3) in text  # the output neuron's a for sample 3
        assert "●" in text


# ----------------------------------------------------------------- loss chart


async def test_losschart_downsamples_and_throttles():
    w = LossChart()
    async with One(w).run_test(size=(60, 20)) as pilot:
        w.show(make_snapshot(history=5000))
        await pilot.pause()
        width = w.size.width
        assert set(w.plotted) == {"train loss", "val loss", "train acc", "val acc"}
        assert all(0 < n <= 2 * width for n in w.plotted.values())
        redraws = w.redraws
        for k in range(20):  # 20 snapshots at once: at most one more redraw now
            w.show(make_snapshot(history=5001 + k))
        assert w.redraws - redraws <= 1
        await pilot.pause(0.35)  # ... and the last one drawn on the timer
        assert w.redraws - redraws <= 2
        assert w._drawn_key == w._key()
        was_log = w.effective_log  # (over a decade: log by itself)
        w.toggle_log_scale()
        await pilot.pause(0.3)
        assert w.effective_log != was_log and ("log" in str(w.border_title)) == w.effective_log
        assert w.plotted["train loss"] <= 2 * width


def with_history(snap, **curves):
    """The snapshot with these per-epoch curves (train_loss=..., val_loss=...)."""
    return dataclasses.replace(snap, history=History(**{k: tuple(float(x) for x in v) for k, v in curves.items()}))


def chart_labels(lines) -> dict[int, str]:
    """{row: y label} of a drawn chart: the text left of a '┤' tick."""
    out = {}
    for y, line in enumerate(lines):
        i = line.find("┤")
        if i > 0 and line[:i].strip():
            out[y] = line[:i].strip()
    return out


def label_value(text: str) -> float:
    return float(text.replace("−", "-").rstrip("%"))


def first_dot_row(lines, rows) -> int:
    """The top row, among `rows`, with a dot in the plot's first column."""
    col = lines[rows[0]].find("┤") if "┤" in lines[rows[0]] else lines[rows[0]].find("│")
    return next(y for y in rows if lines[y][col + 1] not in " ")


XOR_LIKE = dict(  # the xor preset's curves: about 0.74 down to 0.06
    train_loss=0.06 + 0.68 * np.exp(-np.arange(2423) / 40),
    val_loss=0.05 + 0.66 * np.exp(-np.arange(2423) / 40),
)


async def test_losschart_y_labels_are_evenly_spaced_and_match_their_rows():
    """plotext wrote 7 ticks on 6 rows, so one label was lost (0.740 0.668
    0.597 0.453 …). Every label is on its own row now, evenly spaced in rows
    and in value, and a curve's first point (0.74) is on the row the labels say."""
    for height in (8, 10, 13, 20):
        w = LossChart()
        w.auto_log = False  # (over a decade it would turn log by itself)
        async with One(w).run_test(size=(62, height + 2)) as pilot:
            w.show(with_history(make_snapshot(task="regression"), **XOR_LIKE))
            await pilot.pause()
            lines = lines_of(w)
            labels = chart_labels(lines)
            assert len(labels) >= 2, lines
            rows = sorted(labels)
            values = [label_value(labels[r]) for r in rows]
            assert len({b - a for a, b in zip(rows, rows[1:])}) == 1, labels  # evenly spaced rows
            steps = {round(b - a, 9) for a, b in zip(values, values[1:])}
            assert len(steps) == 1 and steps.pop() < 0, labels  # ... and values, falling downwards
            u = (values[0] - values[-1]) / (rows[-1] - rows[0])  # value per row
            plot_rows = [y for y, line in enumerate(lines) if "┤" in line or "│" in line]
            y0 = first_dot_row(lines, plot_rows)
            at_y0 = values[0] - (y0 - rows[0]) * u
            assert abs(at_y0 - 0.74) <= u / 2 + 1e-9, (labels, y0)


async def test_losschart_log_scale_labels_a_loss_within_one_decade():
    """A loss from 0.74 to 0.06 stays within about one decade; the log scale
    labelled no row at all. Now: round 1-2-5 values, at least two, each on a
    row of its own, falling downwards."""
    for height in (7, 10, 16):
        w = LossChart()
        async with One(w).run_test(size=(62, height + 2)) as pilot:
            w.log_scale = True
            w.show(with_history(make_snapshot(task="regression"), **XOR_LIKE))
            await pilot.pause()
            labels = chart_labels(lines_of(w))
            assert len(labels) >= 2, labels
            values = [label_value(labels[r]) for r in sorted(labels)]
            assert values == sorted(values, reverse=True)
            for v in values:
                mantissa = v / 10 ** np.floor(np.log10(v))
                assert round(mantissa, 6) in (1, 2, 5), labels
            assert "log" in str(w.border_title)


DIVERGING = [0.5, 3.0, 60.0, 1.2e3, 2.4e4, 4.8e5, 9.6e6, 1e12, 1.2e28, float("inf"), float("nan")]


async def test_losschart_divergence_plots_finite_values_in_e_notation():
    """lr-too-high: the chart was empty when the loss reached inf, and its
    labels were 29-digit integers. Finite values are plotted; big labels are
    short (1e28); a span of many decades turns the chart log by itself, and
    the title says so; toggling gives the linear chart back."""
    w = LossChart()
    async with One(w).run_test(size=(62, 12)) as pilot:
        snap = with_history(make_snapshot(task="regression"), train_loss=DIVERGING, val_loss=DIVERGING)
        w.show(snap)
        await pilot.pause()
        finite = sum(np.isfinite(DIVERGING))
        assert w.plotted == {"train loss": finite, "val loss": finite}
        assert w.effective_log and "log" in str(w.border_title) and "decades" in str(w.border_title)
        labels = chart_labels(lines_of(w))
        assert len(labels) >= 2 and all(len(t) <= 5 for t in labels.values()), labels
        w.toggle_log_scale()  # what is seen is log: back to linear
        await pilot.pause(0.3)
        assert not w.effective_log and "log" not in str(w.border_title)
        lines = lines_of(w)
        labels = chart_labels(lines)
        assert len(labels) >= 2 and all(len(t) <= 6 for t in labels.values()), labels
        assert any("e28" in t or "e27" in t for t in labels.values()), labels
        assert any(ch in line for line in lines for ch in "⡀⢀⣀⠉⠒⠤"), "the curve is drawn"


def test_losschart_toggle_shows_the_other_scale_even_before_a_redraw(monkeypatch):
    """toggle_log_scale() went by the scale drawn last: two toggles within the
    redraw throttle (l, l) both asked for linear, after an automatic log. Each
    toggle now gives the other scale than the one the chart is about to draw."""
    import nntui.app.widgets.losschart as losschart

    monkeypatch.setattr(losschart, "MAX_FPS", 1.0)  # redraws at least 1 s apart
    asyncio.run(toggle_log_scale_twice_then_once())


async def toggle_log_scale_twice_then_once():
    w = LossChart()
    async with One(w).run_test(size=(62, 12)) as pilot:
        w.show(with_history(make_snapshot(task="regression"), train_loss=DIVERGING, val_loss=DIVERGING))
        await pilot.pause()
        assert w.effective_log and "auto log" in str(w.border_title)
        w.toggle_log_scale()
        w.toggle_log_scale()  # before the chart has redrawn
        await pilot.pause(1.2)
        assert w.effective_log and "(log)" in str(w.border_title)
        assert w.shows_log() and w.log_scale
        w.toggle_log_scale()
        await pilot.pause(1.2)
        assert not w.effective_log and "log" not in str(w.border_title)
        w.toggle_log_scale()
        await pilot.pause(1.2)
        assert w.effective_log and "(log)" in str(w.border_title)
    w = LossChart()  # nothing to plot on a log scale: the toggle flips the choice
    async with One(w).run_test(size=(62, 12)) as pilot:
        w.show(with_history(make_snapshot(task="regression"), train_loss=[0.0, 0.0]))
        await pilot.pause()
        w.toggle_log_scale()
        assert w.log_scale and not w.shows_log()
        w.toggle_log_scale()
        assert not w.log_scale


async def test_losschart_x_labels_are_whole_epochs():
    w = LossChart()
    async with One(w).run_test(size=(62, 12)) as pilot:
        w.show(with_history(make_snapshot(task="regression"), **XOR_LIKE))
        await pilot.pause()
        lines = lines_of(w)
        axis = next(line for line in lines if "└" in line)
        labels = lines[lines.index(axis) + 1].split()
        assert labels[0] == "1" and all(t.isdigit() for t in labels), labels
        assert len(labels) == axis.count("┬") >= 3
        assert max(int(t) for t in labels) <= 2423
        assert w.border_subtitle == "epoch"


async def test_losschart_accuracy_has_its_own_panel():
    """overfit: the rising validation loss was hidden behind train accuracy
    on a shared plot. Accuracy is now a panel of its own under the loss."""
    n = 400
    t = np.arange(n)
    curves = dict(
        train_loss=0.7 * np.exp(-t / 50) + 0.01,
        val_loss=0.4 + 0.3 * np.exp(-t / 30) + 0.002 * np.maximum(0, t - 60),  # turns up
        train_accuracy=1 - 0.5 * np.exp(-t / 40),
        val_accuracy=np.full(n, 0.8),
    )
    w = LossChart()
    async with One(w).run_test(size=(62, 14)) as pilot:
        w.show(with_history(make_snapshot(), **curves))
        await pilot.pause()
        lines = lines_of(w)
        sep = next(y for y, line in enumerate(lines) if "╌" in line)
        labels = chart_labels(lines)
        assert all(not t.endswith("%") for y, t in labels.items() if y < sep)
        assert any(t.endswith("%") for y, t in labels.items() if y > sep)
        assert set(w.plotted) == {"train loss", "val loss", "train acc", "val acc"}
        val = pack_rgb(C_VAL)

        def colours(y, x0=0):
            return {seg.style.color.triplet and pack_rgb(seg.style.color.triplet)
                    for seg in w.render_line(y).crop(x0) if seg.style and seg.style.color and seg.text.strip()}

        # The validation loss, rising at the right, is drawn in the loss panel.
        assert any(val in colours(y, w.size.width // 2) for y in range(sep))
        assert "acc below" in str(w.border_title)
    w = LossChart()
    async with One(w).run_test(size=(62, 8)) as pilot:  # too short for two panels
        w.show(with_history(make_snapshot(), **curves))
        await pilot.pause()
        assert not any("╌" in line for line in lines_of(w))
        assert "acc 100% / 80%" in str(w.border_title)


async def test_losschart_title_fits_and_log_labels_always_exist():
    """At 100×30 the chart is about 34×5: its title kept '· ac…'; and a
    3-row log chart of a diverged run labelled its rows '1.305e302' and '0'."""
    from rich.text import Text

    w = LossChart()
    async with One(w).run_test(size=(36, 7)) as pilot:
        w.show(with_history(make_snapshot(), **XOR_LIKE, train_accuracy=[0.5, 0.9], val_accuracy=[0.5, 1.0]))
        await pilot.pause()
        title = Text.from_markup(str(w.border_title)).plain
        assert len(title) <= w.size.width - 2 and "━ val" in title, title
        w.show(with_history(make_snapshot(task="regression"), train_loss=DIVERGING, val_loss=DIVERGING))
        await pilot.pause(0.3)
        labels = chart_labels(lines_of(w))
        assert sorted(labels.values()) == ["0.1", "1e28"] or len(labels) >= 2, labels
        assert all(len(t) <= 5 for t in labels.values()) and "0" not in labels.values(), labels


def pack_rgb(rgb) -> int:
    r, g, b = rgb
    return (int(r) << 16) | (int(g) << 8) | int(b)


async def test_losschart_says_how_to_get_a_first_loss():
    """After n, n (forward 1, loss) the chart still said 'step (n)': the loss
    joins the curve when the step ends, so it says s finishes the step."""
    w = LossChart()
    async with One(w).run_test(size=(62, 12)) as pilot:
        w.show(with_history(make_snapshot(done=3)))  # mid-step, no history yet
        await pilot.pause()
        assert "s finishes the step" in lines_of(w)[0]
        w.show(with_history(make_snapshot(done=0)))
        await pilot.pause(0.3)
        assert "no loss yet: step (n, s) or play (space)" in lines_of(w)[0]


async def test_losschart_regression_has_no_accuracy():
    w = LossChart()
    async with One(w).run_test(size=(60, 20)) as pilot:
        w.show(make_snapshot(task="regression", history=10))
        await pilot.pause()
        assert set(w.plotted) == {"train loss", "val loss"}


# ----------------------------------------------------------------- inspector


async def test_inspector_forward_shows_z_as_numpy_computes_it():
    snap = make_snapshot((2, 3, 1), done=1)
    w = StepInspector()
    async with One(w).run_test(size=SIZE) as pilot:
        w.sample = 2
        w.show(snap)
        await pilot.pause()
        text = "\n".join(w.lines_text())
        z1 = snap.batch_x[2] @ snap.params["W1"] + snap.params["b1"]
        assert "forward 1" in text
        assert "z1 = [" + ", ".join(fmt(v) for v in z1) + "]" in text
        assert "a1 = [" + ", ".join(fmt(v) for v in np.tanh(z1)) + "]" in text
        assert "z1[0] = Σᵢ" in text
        # What is drawn is that text.
        drawn = "\n".join(lines_of(w))
        assert "z1 = [" + fmt(z1[0]) in drawn


async def test_inspector_loss_backward_update_and_boundary():
    w = StepInspector()
    async with One(w).run_test(size=SIZE) as pilot:
        snap = make_snapshot((2, 3, 1), done=3)  # loss
        w.show(snap)
        await pilot.pause()
        text = "\n".join(w.lines_text())
        assert "loss: bce" in text and fmt(snap.loss) in text and "ŷ = a2" in text
        snap = make_snapshot((2, 3, 1), done=5)  # backward 1
        w.show(snap)
        text = "\n".join(w.lines_text())
        assert "backward 1" in text and "whole batch" in text
        assert fmt(snap.grads["W1"][0, 0]) in text and "this sample's share" in text
        assert "dW1 sums the 8 samples' shares; δ already carries the mean's 1/8" in text
        snap = make_snapshot((2, 3, 1), done=6)  # an update the engine did not explain
        w.show(snap)
        assert "the rule's numbers appear once" in "\n".join(w.lines_text())
        snap = _update_phase_snapshot("sgd", {})  # the engine's rule, row by row
        w.show(snap)
        text = "\n".join(w.lines_text())
        assert "update: sgd" in text and "lr = 0.1" in text and "Δb2 = −lr·g = [" + fmt(snap.updates["b2"][0]) in text
        w.show(make_snapshot((2, 3, 1), done=0))  # fast play: no trace
        text = "\n".join(w.lines_text())
        assert "step boundary" in text and "Press n" in text


async def test_digits_toggle_shows_ten_significant_digits():
    """The mazur preset asks to compare the loss with Matt Mazur's 0.298371109;
    4 digits showed 0.2984. toggle_digits() gives 10 significant digits in the
    inspector; the heatmap's and the diagram's captions follow `digits`."""
    from nntui.experiment.presets import load_preset
    from nntui.engine.trainer import Trainer

    trainer = Trainer(load_preset("mazur"))
    for _ in range(3):  # forward 1, forward 2, loss
        trainer.next_phase()
    snap = trainer.snapshot()
    w = StepInspector()
    async with One(w).run_test(size=SIZE) as pilot:
        w.show(snap)
        await pilot.pause()
        text = "\n".join(w.lines_text())
        assert "= 0.2984" in text and "0.29837" not in text
        assert w.toggle_digits() == 10 and w.digits == 10
        await pilot.pause()
        text = "\n".join(w.lines_text())
        assert "= 0.2983711088" in text  # Mazur's 0.298371109, to its last digit
        assert "10 significant digits" in str(w.border_title)
        a2 = fmt(snap.a[2][0, 0], 10)
        assert len(a2.strip("0.−")) >= 9 and f"[{a2}, " in text  # vectors too
        assert w.toggle_digits() == 4
        assert "= 0.2984" in "\n".join(w.lines_text())
    trainer.finish_step()  # Mazur's w1+ = 0.149780716
    after = trainer.snapshot()
    heat = WeightHeatmaps()
    async with One(heat).run_test(size=SIZE) as pilot:
        heat.show(after)
        await pilot.pause()
        assert "W 0.1498 " in lines_of(heat)[-1]
        heat.digits = 10
        await pilot.pause()
        assert "W 0.1497807161 " in lines_of(heat)[-1]
    net = NetworkDiagram()
    async with One(net).run_test(size=SIZE) as pilot:
        net.show(snap)
        net.digits = 10
        await pilot.pause()
        assert f"a1={fmt(snap.a[1][0, 0], 10)}" in "\n".join(lines_of(net)[-2:])


def test_wrap_line_keeps_parentheses_whole():
    """'Δb1 = [...]  (the' / 'update)' wrapped mid-note: a break never falls
    inside parentheses now; a heading breaks at a clause ('· next: …')."""
    line = [("    Δb1 = ", "m"), ("[−0.0002689, 0.007458, 0.005829, −0.008638]", "t"), ("  (the update)", "m")]
    for width in range(30, 62):
        texts = ["".join(t for t, _ in piece) for piece in wrap_line(line, width)]
        assert all(len(t) <= width for t in texts)
        assert any(t.strip() == "(the update)" or t.endswith("(the update)") for t in texts), texts
    head = [("step 4 · forward 1 → · sample 0 of a batch of 16 · next: forward 2", "h")]
    texts = ["".join(t for t, _ in piece) for piece in wrap_line(head, 60)]
    assert texts[1].strip() == "next: forward 2", texts


async def test_inspector_lines_never_split_parentheses():
    w = StepInspector()
    async with One(w).run_test(size=SIZE) as pilot:
        for done in range(1, 7):  # forward 1, forward 2, loss, backward 2, backward 1, update
            w.show(make_snapshot((2, 4, 1), done=done, n=16))
            for width in (42, 63, 80):
                await pilot.resize_terminal(width, 40)
                await pilot.pause()
                for line in lines_of(w):
                    assert line.count("(") == line.count(")"), (done, width, line)


def _update_phase_snapshot(optimizer: str, options: dict, steps: int = 2):
    """A real trainer's snapshot in the update phase of step `steps`."""
    from nntui.experiment.config import config_from_dict
    from nntui.engine.trainer import Trainer

    tr = Trainer(config_from_dict({"data": {"dataset": "xor", "samples": 40}, "model": {"layers": [2, 3, 1]},
                                   "train": {"optimizer": optimizer, "learning_rate": 0.1, **options}}, "t.toml"))
    for _ in range(steps - 1):
        tr.finish_step()
    while tr.done < len(tr.phases) - 1:
        tr.next_phase()
    tr.next_phase()
    return tr.snapshot()


async def test_inspector_adam_bias_corrected_moments():
    t = 3
    snap = _update_phase_snapshot("adam", {}, steps=t)
    rule = snap.rules["b1"]
    w = StepInspector()
    async with One(w).run_test(size=SIZE) as pilot:
        w.show(snap)
        await pilot.pause()
        text = "\n".join(w.lines_text())
        m = dict((r.target, r.value) for r in rule.rows)["m"]
        v = dict((r.target, r.value) for r in rule.rows)["v"]
        mhat, vhat = m / (1 - 0.9**t), v / (1 - 0.999**t)
        assert "m̂ = m/(1 − β₁ᵗ) = [" + ", ".join(fmt(x) for x in mhat) + "]" in text
        assert "v̂ = v/(1 − β₂ᵗ) = [" + ", ".join(fmt(x) for x in vhat) + "]" in text
        assert "update: adam, step t = 3" in text and "β₁ = 0.9" in text


# ----------------------------------------------------------------- status


async def test_status_line_single_line_with_everything():
    w = StatusLine()
    async with One(w).run_test(size=(160, 5)) as pilot:
        w.show(make_snapshot(done=3), Context(Status.PLAYING, 1234.0, "XOR"))
        await pilot.pause()
        assert w.size.height == 1
        line = w.render_line(0).text
        for part in ("playing", "XOR", "epoch 31", "step 6", "loss · next backward 2", "loss 0.0233",
                     "val 0.025", "acc 98.3%", "1,234 steps/s"):
            assert part in line, part
        w.show(make_snapshot(), Context(Status.DIVERGED, title="XOR"))
        assert "diverged" in w.render_line(0).text


async def test_status_line_one_arrow_a_phase():
    """'forward 1 → → forward 2' and 'backward 2 ← → backward 1' read as
    doubled arrows: the phase keeps its own arrow, what is next is a word."""
    w = StatusLine()
    async with One(w).run_test(size=(160, 5)) as pilot:
        for done, phase, arrow, nxt in ((1, "forward 1", "→", "forward 2"), (6, "backward 2", "←", "backward 1"),
                                        (5, "backward 3", "←", "backward 2")):
            w.show(make_snapshot((2, 3, 3, 1), done=done), Context(title="XOR"))
            await pilot.pause()
            line = w.render_line(0).text
            assert f"{phase} {arrow} · next {nxt}" in line, line
            assert line.count("→") + line.count("←") == 1, line


async def test_status_line_fits_narrow_width():
    w = StatusLine()
    async with One(w).run_test(size=(70, 5)) as pilot:
        w.show(make_snapshot(done=3), Context(Status.PAUSED, title="A rather long preset title here"))
        await pilot.pause()
        text = w.line().plain
        assert len(text) <= 70 and "paused" in text and "loss" in text


async def test_theme_change_redraws_text_colours():
    w = WeightHeatmaps()
    async with One(w).run_test(size=SIZE) as pilot:
        pilot.app.theme = "textual-dark"
        w.show(make_snapshot((2, 3, 1), done=8))
        await pilot.pause()
        dark = list(w.render_line(0))[0].style.color
        pilot.app.theme = "textual-light"
        await pilot.pause()
        light = list(w.render_line(0))[0].style.color
        assert dark != light


async def test_clicks_select_a_weight_and_a_neuron():
    snap = make_snapshot((2, 3, 1), done=2)
    heat = WeightHeatmaps()
    async with One(heat).run_test(size=SIZE) as pilot:
        heat.show(snap)
        await pilot.pause()
        lines_of(heat)
        p = heat._panels[0]
        assert p.numeric
        # +1 for the border; the title line, then W1's rows.
        await pilot.click(WeightHeatmaps, offset=(1 + p.x0 + 2 * p.cell_w + 1, 1 + 1 + 1))
        assert heat.selected == (1, 1, 2)
    net = NetworkDiagram()
    async with One(net).run_test(size=SIZE) as pilot:
        net.show(snap)
        await pilot.pause()
        lines = lines_of(net)
        y = next(i for i, line in enumerate(lines) if fmt(snap.a[2][0, 0], 3) in line)
        x = lines[y].index(fmt(snap.a[2][0, 0], 3))
        await pilot.click(NetworkDiagram, offset=(1 + x, 1 + y))
        assert net.selected == (2, 0)


async def test_boundary_grid_is_computed_in_chunks_the_same(monkeypatch):
    """A wide net's grid is predicted in chunks (a 4096-wide layer over the
    whole grid once took 0.8 GB, a MemoryError for 20 such layers): chunks
    of one point draw exactly what one pass draws."""
    from nntui.app.widgets import boundary

    drawn = []
    for chunk in (boundary.GRID_CHUNK_BYTES, 8):
        monkeypatch.setattr(boundary, "GRID_CHUNK_BYTES", chunk)
        w = BoundaryView()
        async with One(w).run_test(size=SIZE) as pilot:
            w.set_data(*data_2d(), "binary", ("0", "1"), ("x1", "x2"))
            w.show(make_snapshot((2, 1), params=linear_params()))
            await pilot.pause()
            drawn.append(lines_of(w))
    assert drawn[0] == drawn[1]


def test_one_class_palette_for_every_task():
    from nntui.app.widgets._common import class_colors

    for k in (2, 3, 5, 10):
        np.testing.assert_array_equal(class_colors(k)[:2], class_colors(2))
    assert not np.array_equal(class_colors(2)[0], class_colors(2)[1])


def test_data_with_more_inputs_opens_on_its_most_informative_pair():
    from nntui.app.widgets.boundary import most_informative_pair
    from nntui.engine.datasets import make_dataset
    from nntui.experiment.presets import load_preset

    iris = make_dataset(load_preset("iris").data)
    assert most_informative_pair(iris.x_train, iris.y_train, iris.task) == (2, 3)  # the petals
    rng = np.random.default_rng(0)
    x = rng.normal(size=(200, 4))
    assert most_informative_pair(x, (x[:, 3] - 2 * x[:, 1])[:, None], "regression") == (1, 3)


async def test_regression_points_leave_the_map_whole():
    """A point is drawn in its target's darker colour on the map's own colour:
    no cell of the map is blacked out around it (plane, multigauss, ffn)."""
    from nntui.engine.datasets import make_dataset
    from nntui.experiment.presets import load_preset

    w = BoundaryView()
    async with One(w).run_test(size=SIZE):
        d = make_dataset(load_preset("plane").data)
        w.set_data(d.x_train, d.y_train, d.x_val, d.y_val, d.task, d.classes, d.feature_names)
        marks = w._point_marks(40, 12, ascii_mode=False)
        assert marks and all(bg == -1 for row in marks.values() for (_, _, _, bg) in row.values())


@pytest.mark.parametrize("preset", ["xor", "blobs", "plane", "moons"])
def test_the_backward_pass_is_worked_out_like_the_forward(preset):
    """The loss phase derives δ_L with the loss's own formula and the numbers,
    and each backward phase expands δ_{l-1}[j] for the selected unit: both
    come to the engine's δ."""
    import re

    from nntui.engine.trainer import Trainer
    from nntui.experiment.presets import load_preset

    tr = Trainer(load_preset(preset))
    tr.finish_step()
    w = StepInspector()
    w.digits = 10
    w.neuron = 1
    while tr.done < len(tr.phases) - 1:
        tr.next_phase()
        s = tr.snapshot()
        w.snapshot, w._lines = s, None
        text = "\n".join(w.lines_text())
        phase = s.last_phase
        if phase.kind == "loss":
            assert f"δ{s.L} = ∂L/∂z{s.L} = " in text
            shown = re.search(r"= for this sample[^\[]*\[([^\]]*)\]", text).group(1)
            values = [float(v.replace("−", "-")) for v in shown.split(", ")]
            np.testing.assert_allclose(values, s.deltas[s.L][0], rtol=1e-8)
        elif phase.kind == "backward" and phase.layer > 1:
            l = phase.layer
            m = re.search(rf"δ{l - 1}\[1\] = \(Σₖ .*\) = .* = (\S+)$", text, re.M)
            assert m, text
            assert float(m.group(1).replace("−", "-")) == pytest.approx(s.deltas[l - 1][0, 1], rel=1e-8)


async def test_heatmap_numbers_stay_when_a_bias_is_tiny():
    """xor at 160x48: b1 = −0.000952 took 9 characters, so W1's row no longer
    fitted and every number of W1 and b1 vanished, while W2 kept its numbers."""
    w = WeightHeatmaps()
    params = {"W1": np.array([[0.4576, -0.7782, -1.529, -1.615], [1.043, 1.369, 0.357, 0.7559]]),
              "b1": np.array([-0.0009518, 0.003798, 0.004556, -0.00406]),
              "W2": np.array([[0.0741], [0.938], [0.698], [-1.08]]), "b2": np.array([0.00695])}
    async with One(w).run_test(size=(64, 14)) as pilot:
        w.show(make_snapshot((2, 4, 1), params=params))
        await pilot.pause()
        panels = w._layout(w.size.width, w.size.height)
        assert [p.numeric for p in panels] == [True, True]
        assert "−1e−3" in "\n".join(lines_of(w))  # b1[0], its order of magnitude
