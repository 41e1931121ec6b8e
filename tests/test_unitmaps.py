"""The network diagram's unit maps and dead units (issue 10, section 1).

The maps are checked against the data behind them: every unit's activation
over the boundary's grid, computed here independently by Network.forward on
the grid's points, and the colours drawn from those numbers."""

from __future__ import annotations

import nntui  # noqa: F401,I001  first: it pins BLAS to one thread before numpy loads

import numpy as np

from nntui.app.app import NNTuiApp, make_app
from nntui.app.widgets._common import NEUTRAL, diverging, pack
from nntui.app.widgets.network import HALF
from nntui.app.widgets.unitmaps import RAMP, plane_grid
from nntui.app.worker import RunEpoch
from nntui.experiment.edits import edit
from nntui.engine.network import Network
from nntui.engine.trainer import Trainer
from nntui.engine.units import dead_mask, dead_units, layer_activations
from nntui.experiment.presets import load_preset

# ----------------------------------------------------------------- the rule


def lines_of(view) -> list[str]:
    """What a view shows, line by line, as plain text."""
    return [view.render_line(y).text for y in range(view.size.height)]


def test_layer_activations_are_the_forward_pass():
    net = Network((2, 5, 4, 3), "relu", "softmax")
    rng = np.random.default_rng(0)
    params = {f"{p}{l}": rng.normal(size=s) for l, s in ((1, (2, 5)), (2, (5, 4)), (3, (4, 3)))
              for p, s in (("W", s), ("b", s[1:]))}
    X = rng.normal(size=(30, 2))
    a = layer_activations(net, params, X)
    assert len(a) == 4 and a[0] is X
    np.testing.assert_array_equal(a[3], net.forward(params, X))
    np.testing.assert_allclose(a[1], np.maximum(0, X @ params["W1"] + params["b1"]))


def test_a_relu_unit_with_a_very_negative_bias_is_dead():
    net = Network((2, 3, 1), "relu", "sigmoid")
    X = np.random.default_rng(1).uniform(-5, 5, size=(200, 2))
    params = {"W1": np.array([[1.0, 0.5, -1.0], [0.3, -0.2, 1.0]]), "b1": np.array([0.0, -50.0, 0.1]),
              "W2": np.ones((3, 1)), "b2": np.zeros(1)}
    assert dead_units(net, params, X)[1].tolist() == [False, True, False]
    # One training point that reaches it brings it back.
    assert not dead_units(net, params, np.vstack([X, [[200.0, 0.0]]]))[1][1]


def test_saturated_tanh_and_sigmoid_units_are_dead_only_when_stuck_on_one_side():
    X = np.random.default_rng(2).uniform(-1, 1, size=(100, 2))
    X = X[np.abs(X[:, 0]) > 0.05]  # no point on the steep unit's edge
    # unit 0: z ≈ 10 everywhere (a ≈ +1); unit 1: z = 100 x1, +1 on the right and
    # −1 on the left (a sharp step, which still tells points apart); unit 2: mild.
    W1 = np.array([[0.1, 100.0, 0.5], [0.1, 0.0, 0.5]])
    b1 = np.array([10.0, 0.0, 0.0])
    params = {"W1": W1, "b1": b1, "W2": np.ones((3, 1)), "b2": np.zeros(1)}
    assert dead_units(Network((2, 3, 1), "tanh", "sigmoid"), params, X)[1].tolist() == [True, False, False]
    params["b1"] = np.array([-10.0, 0.0, 0.0])  # a ≈ 0 (sigmoid) or −1 (tanh) everywhere
    assert dead_units(Network((2, 3, 1), "sigmoid", "sigmoid"), params, X)[1].tolist() == [True, False, False]
    assert dead_units(Network((2, 3, 1), "tanh", "sigmoid"), params, X)[1].tolist() == [True, False, False]
    # The threshold itself: |a| > 0.99 on every point.
    assert dead_mask("tanh", np.array([[0.995], [0.991]])).tolist() == [True]
    assert dead_mask("tanh", np.array([[0.995], [0.98]])).tolist() == [False]
    # Activations that keep a gradient are never dead.
    assert not dead_mask("leaky_relu", np.zeros((5, 2))).any()


# ----------------------------------------------------------------- in the app


def cell(widget, x: int, y: int):
    """(char, fg packed, bg packed) of one cell of the widget's content."""
    pos = 0
    for seg in widget.render_line(y):
        if pos <= x < pos + len(seg.text):
            style = seg.style
            colours = []
            for c in (style.color, style.bgcolor) if style else (None, None):
                t = c.triplet if c is not None else None
                colours.append(int(pack(np.array(tuple(t), dtype=np.uint8))) if t else None)
            return (seg.text[x - pos], *colours)
        pos += len(seg.text)
    return None, None, None


def expected_activation(snapshot, l: int, points: np.ndarray) -> np.ndarray:
    """Layer l's activations over the points: Network.forward of the net cut
    after layer l (its own activation as that net's output)."""
    sizes = snapshot.sizes[: l + 1]
    last = snapshot.output if l == snapshot.L else snapshot.activation
    net = Network(sizes, snapshot.activation, last)
    params = {k: v for k, v in snapshot.params.items() if int(k[1:]) <= l}
    return net.forward(params, points)


async def test_the_row_of_maps_is_each_units_activation_over_the_boundarys_grid():
    """spiral (2-12-12-1 tanh) at 160×48: the layers do not fit as maps, so a
    row under the diagram shows the selected layer's. Each map is the unit's
    activation at the pixels of the boundary's plane, and each half-block
    carries the colours of those numbers."""
    app = make_app(load_preset("spiral"))
    async with app.run_test(size=(160, 48)) as pilot:
        app.runner.send(RunEpoch())
        await app.settle()
        await pilot.pause()
        net, boundary = app.main.views["network"], app.main.views["boundary"]
        assert net.maps_shown()
        lo, hi = net._plane[:2]
        np.testing.assert_array_equal(lo, boundary.data["lo"])
        np.testing.assert_array_equal(hi, boundary.data["hi"])
        for layer in (1, 2, 3, 0):
            net.selected = (layer, 0)
            await pilot.pause()
            lines = lines_of(net)
            cols, rows, acts = net._maps
            snap = net.snapshot
            grid = plane_grid(lo, hi, cols, rows)
            want = grid if layer == 0 else expected_activation(snap, layer, grid)
            np.testing.assert_allclose(acts[layer], want, rtol=0, atol=1e-12)
            y0 = next(y for y, line in enumerate(lines) if line.startswith(HALF * cols))
            units = min(snap.sizes[layer], (net.size.width + 1) // (cols + 1))
            for j in range(units):
                v = want[:, j].reshape(rows, cols)
                if layer == 0:
                    centre, half = 0.0, np.abs(v).max()
                else:
                    centre, half = (0.5, 0.5) if layer == snap.L else (0.0, 1.0)  # sigmoid, tanh
                colours = pack(diverging(v - centre, half, 9))
                for r in range(rows // 2):
                    for c in range(cols):
                        ch, fg, bg = cell(net, j * (cols + 1) + c, y0 + r)
                        assert (ch, fg, bg) == (HALF, colours[2 * r, c], colours[2 * r + 1, c]), (layer, j, r, c)
            # The unit's number under its map, the selected one in the cursor's style.
            assert lines[y0 + rows // 2].startswith("0")


async def test_maps_replace_the_circles_where_every_layer_fits():
    """xor (2-4-1) at 160×48: every unit is its map; the input units' maps
    are x1 and x2 themselves; clicking a map selects its unit."""
    app = make_app(load_preset("xor"))
    async with app.run_test(size=(160, 48)) as pilot:
        await app.settle()
        await pilot.pause()
        net = app.main.views["network"]
        lines = lines_of(net)
        body = "\n".join(lines[2:-2])
        assert "○" not in body and "●" not in body and HALF in body
        cols, rows, acts = net._maps
        grid = plane_grid(*net._plane[:2], cols, rows)
        np.testing.assert_array_equal(acts[0], grid)  # x1 and x2
        np.testing.assert_allclose(acts[1], expected_activation(net.snapshot, 1, grid), atol=1e-12)
        # The output unit's map, at the right: click it.
        y = max(range(2, len(lines) - 2), key=lambda y: len(lines[y].rstrip()))
        x = len(lines[y].rstrip()) - 1
        assert lines[y][x] == HALF
        await pilot.click(type(net), offset=(1 + x, 1 + y))
        assert tuple(net.selected) == (2, 0)


def relu_spiral_with_a_dead_unit(epochs: int = 3, unit: int = 2):
    """The spiral preset with relu units, trained `epochs` epochs, then hidden
    unit `unit` of layer 1 killed: its bias so negative that no training point
    gets past it."""
    config = edit(load_preset("spiral"), "model.activation", "relu")
    trainer = Trainer(config)
    trainer.run(until_epochs=epochs)
    state = trainer.state_dict()
    b1 = np.array(state["params"]["b1"], copy=True)
    b1[unit] = -50.0
    state["params"]["b1"] = b1
    trainer.load_state_dict(state)
    return config, trainer


async def test_a_dead_relu_unit_is_marked_greyed_and_counted():
    config, trainer = relu_spiral_with_a_dead_unit()
    app = NNTuiApp(config, trainer)
    async with app.run_test(size=(160, 48)) as pilot:
        await app.settle()
        await pilot.pause()
        net = app.main.views["network"]
        assert net.dead[1].tolist() == [j == 2 for j in range(12)]
        assert not net.dead[2].any()
        assert net.border_title == "network · 1 dead ✕"
        net.selected = (1, 2)
        await pilot.pause()
        lines = lines_of(net)
        assert "dead: a = 0 on every training point" in lines[-2]
        cols, rows, _ = net._maps
        y0 = next(y for y, line in enumerate(lines) if line.startswith(HALF * cols))
        assert lines[y0 + rows // 2][2 * (cols + 1):].startswith("✕2")
        # Its map is one grey, darker than a live unit's zero.
        x0 = 2 * (cols + 1)
        greys = {cell(net, x0 + c, y0 + r)[1:] for r in range(rows // 2) for c in range(cols)}
        assert len(greys) == 1
        (fg, bg), = greys
        assert fg == bg and fg < int(pack(NEUTRAL.astype(np.uint8)))
        # ASCII: the maps in ramp characters.
        app.main.action_ascii()
        await pilot.pause()
        line = net.render_line(y0).text
        assert set(line[:cols]) <= set(RAMP) and net.ascii


async def test_a_saturated_output_is_no_dead_unit_and_iris_has_no_maps():
    """Dead units are hidden units; data with more than 2 inputs has no plane."""
    app = make_app(load_preset("iris"))
    async with app.run_test(size=(160, 48)) as pilot:
        await app.settle()
        await pilot.pause()
        net = app.main.views["network"]
        assert not net.maps_shown()
        text = "\n".join(lines_of(net))
        assert HALF not in text and "○" in text
        assert set(net.dead) == set(range(1, net.snapshot.L))


async def test_at_100x30_a_row_of_maps_follows_training_and_a_click_selects():
    """xor at 100×30: too few rows for maps in place of the circles, so a row
    of the selected layer's maps (the selected one marked '◂'); a click on a
    map selects its unit; another epoch redraws the maps from the new weights."""
    app = make_app(load_preset("xor"))
    async with app.run_test(size=(100, 30)) as pilot:
        await app.settle()
        await pilot.press("L", "L")  # brief -> whole -> hidden: the lesson's rows go to the diagram
        await pilot.pause()
        net = app.main.views["network"]
        lines = lines_of(net)
        cols, rows, _ = net._maps
        y0 = next(y for y, line in enumerate(lines) if line.startswith(HALF * cols))
        assert lines[y0][cols] == "◂"  # after h1[0], selected
        await pilot.click(type(net), offset=(1 + 2 * (cols + 1) + 1, 1 + y0))
        assert tuple(net.selected) == (1, 2)
        lines = lines_of(net)
        assert lines[y0][3 * (cols + 1) - 1] == "◂"
        before = net._maps[2][1]
        app.runner.send(RunEpoch())
        await app.settle()
        await pilot.pause()
        net.render_line(y0)
        after = net._maps[2][1]
        assert not np.array_equal(before, after)
        grid = plane_grid(*net._plane[:2], cols, rows)
        np.testing.assert_allclose(after, expected_activation(net.snapshot, 1, grid), atol=1e-12)


async def test_the_diagram_redraws_its_maps_when_its_caches_are_cleared():
    """A redraw with every cache cleared (the maps' grid pass, the dead units'
    pass over the training set, the lines) draws the same diagram again, maps
    on (its speed: benchmarks/redraw.py)."""
    app = make_app(load_preset("spiral"))
    async with app.run_test(size=(160, 48)) as pilot:
        await app.settle()
        await pilot.pause()
        net = app.main.views["network"]
        before = lines_of(net)
        net._maps_key = net._dead_key = net._lines_key = net._maps = None
        net.invalidate()
        assert lines_of(net) == before
        assert net._maps is not None and net.maps_shown()


def test_the_maps_scale_still_reads_in_256_colours():
    """Downgraded to the xterm 256-colour palette, the maps' blue-grey-red
    scale keeps several shades on each side of its grey middle, in order."""
    from rich.color import Color, ColorSystem

    from nntui.app.widgets.unitmaps import map_colours

    packed = map_colours(np.linspace(-1, 1, 17), 0.0, 1.0, dead=False)
    xterm = [Color.from_rgb(p >> 16, (p >> 8) & 255, p & 255).downgrade(ColorSystem.EIGHT_BIT).number
             for p in packed.tolist()]
    below, middle, above = xterm[:8], xterm[8], xterm[9:]
    blues, reds = set(below) - {middle}, set(above) - {middle}  # the faintest may round to grey
    assert len(blues) >= 3 and len(reds) >= 3 and not blues & reds
    assert below[0] != middle != above[-1]


async def test_with_feature_inputs_the_dead_units_are_judged_on_the_features():
    """relu xor given x1, x2, x1·x2: the diagram judges the units on the
    network's own inputs (the features), and the input maps are the features'."""
    from nntui.engine.features import expand

    config = edit(edit(load_preset("xor"), "model.activation", "relu"), "data.features", "x1, x2, x1_x2")
    trainer = Trainer(config)
    trainer.run(until_epochs=2)
    state = trainer.state_dict()
    b1 = np.array(state["params"]["b1"], copy=True)
    b1[1] = -1e3
    state["params"]["b1"] = b1
    trainer.load_state_dict(state)
    X = expand(trainer.dataset.x_train, config.data.features)
    expected = dead_units(trainer.net, trainer.params, X)[1]
    assert expected[1]
    app = NNTuiApp(config, trainer)
    async with app.run_test(size=(160, 48)) as pilot:
        await app.settle()
        await pilot.pause()
        net = app.main.views["network"]
        lines_of(net)
        assert net.dead[1].tolist() == expected.tolist()
        assert net.maps_shown() and net.snapshot.sizes[0] == 3
