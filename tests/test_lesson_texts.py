"""What the built-in lessons' texts say that no condition on their own run can read:
a run with one thing changed (a race's variant, a control the text tells the learner
to change), a class or a region of the data, the weights, the app's keys and controls.
Each test names the words it holds; the runs are the presets as shipped."""

from __future__ import annotations

import json

import numpy as np
import pytest
from click.testing import CliRunner

from nntui.cli import main
from nntui.engine import units
from nntui.engine.trainer import Diverged, Trainer
from nntui.experiment.config import config_from_dict, override, override_pairs
from nntui.experiment.presets import load_preset

_RUNS: dict[str, Trainer] = {}


def trained(name: str) -> Trainer:
    """The preset's own run, to its end (shared: tests only read it)."""
    if name not in _RUNS:
        t = Trainer(load_preset(name))
        t.run()
        _RUNS[name] = t
    return _RUNS[name]


def changed(name: str, **keys) -> Trainer:
    """The preset with `section__key = value` changed, as a learner's edit, untrained."""
    d = load_preset(name).to_dict()
    for where, value in keys.items():
        section, key = where.split("__")
        d[section][key] = value
    return Trainer(config_from_dict(d, f"{name}.toml"))


def text_of(name: str) -> str:
    c = load_preset(name)
    parts = [c.title, c.description]
    for ask in c.lesson.asks:
        parts += [ask.question, ask.explain, *(ch.text for ch in ask.choices)]
    parts += [claim.text for claim in c.lesson.claims]
    return " ".join(" ".join(parts).split())


def grid(lo: float = -6.0, hi: float = 6.0, n: int = 121) -> tuple[np.ndarray, np.ndarray]:
    g = np.linspace(lo, hi, n)
    xx, yy = np.meshgrid(g, g)
    return g, np.column_stack([xx.ravel(), yy.ravel()])


# --- the perceptrons -----------------------------------------------------------------------


def test_perceptron_and_from_zeros_ends_with_row_1_0_at_minus_2_8e_17():
    """"from zeros it ends with a row on the line itself, z = 0.2 − 0.2, which floating
    point rounds to −2.8e−17"."""
    assert "z = 0.2 − 0.2, which floating point rounds to −2.8e−17" in text_of("perceptron-and")
    t = changed("perceptron-and", model__init="zeros")
    t.run()
    assert t.params["W1"].ravel().tolist() == [0.2, 0.1] and t.params["b1"][0] == pytest.approx(-0.2, abs=1e-15)
    z = (t.x_train @ t.params["W1"] + t.params["b1"]).ravel()
    on_line = int(np.argmin(np.abs(z)))
    assert t.x_train[on_line].tolist() == [1.0, 0.0]
    assert z[on_line] == pytest.approx(-2.8e-17, rel=0.01)


def test_perceptron_xor_never_reaches_0_however_long_it_runs():
    """"the loss never reach 0, however long it runs": twenty times its epochs."""
    t = Trainer(override(load_preset("perceptron-xor"), epochs=1000))
    lines = []
    t.run(callback=lambda tr: lines.append((*tr.params["W1"].ravel(), *tr.params["b1"])))
    assert t.epoch == 1000 and min(t.history["train_loss"]) > 0
    # "watch the line swing back and forth": it is still moving at the end
    assert len(set(lines[-50:])) > 2


def test_perceptron_features_needs_the_product_and_bends_the_boundary():
    """"without x1·x2 it never gets there" (the same perceptron and start, x1 and x2 only),
    and "the boundary, drawn over (x1, x2), is no longer straight" (its product weight)."""
    without = changed("perceptron-features", data__features=["x1", "x2"], model__layers=[2, 1])
    without.run()
    assert without.epoch == 50 and max(without.history["train_accuracy"]) < 1
    t = trained("perceptron-features")
    assert abs(t.params["W1"][2, 0]) > 0.1


async def test_perceptron_features_toggle_is_in_the_controls():
    """"Toggle the features in the controls": the x1·x2 toggle is there, and off it leaves x1, x2."""
    from nntui.app.app import make_app

    app = make_app(load_preset("perceptron-features"))
    async with app.run_test(size=(160, 48)) as pilot:
        await pilot.pause()
        assert app.query_one("#feature-x1_x2").has_class("-on")
        await pilot.click("#feature-x1_x2")
        await app.settle()
        assert list(app.main.config.data.features) == ["x1", "x2"]
        assert list(app.main.config.model.layers) == [2, 1]


# --- first nets: circle, moons, spiral, blobs, iris, plane ----------------------------------


def test_xor_boundary_bends_into_four_quadrants():
    """"Watch the boundary bend into four quadrants": each quadrant's middle is its class,
    and the map agrees with the quadrants' checkerboard on most of the plane."""
    t = trained("xor")
    centres = np.array([[2.5, 2.5], [-2.5, 2.5], [-2.5, -2.5], [2.5, -2.5]])
    assert (t.predict(centres)[:, 0] >= 0.5).tolist() == [True, False, True, False]
    _, points = grid(-5, 5, 101)
    assert ((t.predict(points)[:, 0] >= 0.5) == (points[:, 0] * points[:, 1] >= 0)).mean() > 0.85


def test_circle_three_tanh_units_are_enough_to_fence_the_disc_in():
    """"three or more tanh units can fence the disc in": the preset with 3 hidden units."""
    three = changed("circle", model__layers=[2, 3, 1])
    three.run()
    assert three.history["train_accuracy"][-1] > 0.95 and three.history["val_accuracy"][-1] > 0.95


def test_circle_boundary_closes_into_a_loop_around_the_centre():
    """"Watch the boundary close into a loop around the centre": class 1 is predicted at
    the centre and nowhere on the edge of the plane."""
    t = trained("circle")
    g, points = grid()
    ones = (t.net.forward(t.params, points)[:, 0] >= 0.5).reshape(len(g), len(g))
    middle = len(g) // 2
    assert ones[middle, middle] and ones.sum() > 100
    assert not (ones[0].any() or ones[-1].any() or ones[:, 0].any() or ones[:, -1].any())


def test_moons_a_line_gets_most_points_right_but_not_all():
    """"A line gets most points right": the same data and start without the hidden layer."""
    line = changed("moons", model__layers=[2, 1])
    line.run()
    for key in ("train_accuracy", "val_accuracy"):
        assert 0.8 < line.history[key][-1] < 1, key


def _by_radius(t: Trainer, edges=(0.0, 1.25, 2.5, 3.75, 5.1)) -> np.ndarray:
    """Per epoch, the share of training points right in each ring of radius."""
    x, y = t.x_train, t.dataset.y_train[:, 0]
    r = np.hypot(x[:, 0], x[:, 1])
    rings = [(r >= a) & (r < b) for a, b in zip(edges, edges[1:])]
    rows = []

    def measure(tr):
        right = (tr.net.forward(tr.params, x)[:, 0] >= 0.5) == y
        rows.append([right[ring].mean() for ring in rings])

    t.run(callback=measure)
    return np.array(rows)


def test_spiral_winds_outward_from_the_centre():
    """"the points near the centre are right within ten epochs, those from halfway out to
    three quarters last, near epoch 100"."""
    text = text_of("spiral")
    assert "near the centre are right within ten epochs" in text and "last, near epoch 100" in text
    rows = _by_radius(Trainer(load_preset("spiral")))
    first = [int(np.argmax(rows[:, i] >= 0.95)) + 1 for i in range(rows.shape[1])]
    assert all(rows[first[i] - 1, i] >= 0.95 for i in range(rows.shape[1]))  # each ring gets there
    assert first[0] <= 10
    assert first[2] == max(first) and 80 <= first[2] <= 120


def test_spiral_needs_the_deeper_net():
    """title "Two spirals need a deeper net" and explain "Two layers compose their bends":
    one hidden layer, of the same 24 units or of 96 (more weights than 2-12-12-1's 193),
    trained alike, stays under the 95% the two layers pass."""
    assert trained("spiral").history["val_accuracy"][-1] > 0.95
    for units in (24, 96):
        shallow = changed("spiral", model__layers=[2, units, 1])
        shallow.run()
        assert shallow.history["val_accuracy"][-1] < 0.9, units


def test_blobs_three_regions_meet_near_the_centre():
    """"the plane split into three regions that meet near the centre" and "the three
    borders between them, which meet near the centre"."""
    t = trained("blobs")
    g, points = grid(-8, 8, 321)
    cls = t.net.forward(t.params, points).argmax(axis=1).reshape(len(g), len(g))
    meets = [(g[j], g[i]) for i in range(1, len(g) - 1) for j in range(1, len(g) - 1)
             if len(np.unique(cls[i - 1:i + 2, j - 1:j + 2])) == 3]
    assert meets and np.hypot(*np.mean(meets, axis=0)) < 0.5
    x, y = t.dataset.x_train, t.dataset.y_train  # each blob in a region of its own
    for k in range(3):
        centre = x[y == k].mean(axis=0)
        assert t.net.forward(t.params, centre[None, :]).argmax() == k


def test_iris_setosa_first_then_the_border_between_the_other_two():
    """"Setosa separates within five epochs; versicolor and virginica overlap a little, so a few
    flowers near their border decide the last percent (... every later mistake lands between
    those two)": no flower is taken for a setosa or a setosa for another from epoch 5 on
    (training or validation), and the last mistakes are versicolor/virginica."""
    text = text_of("iris")
    assert "Setosa separates within five epochs" in text and "every later mistake lands between those two" in text
    t = Trainer(load_preset("iris"))
    y, yv = t.dataset.y_train, t.dataset.y_val
    setosa_mixed = []

    def measure(tr):
        p, pv = (tr.net.forward(tr.params, x).argmax(1) for x in (tr.x_train, tr.x_val))
        setosa_mixed.append(bool(((p == 0) != (y == 0)).any() or ((pv == 0) != (yv == 0)).any()))

    t.run(callback=measure)
    assert setosa_mixed[0] and not any(setosa_mixed[4:])  # not at once, but within five epochs
    wrong = t.net.forward(t.params, t.x_train).argmax(1) != y
    assert 0 < wrong.sum() <= 3 and set(y[wrong]) <= {1, 2}
    assert t.dataset.classes == ("setosa", "versicolor", "virginica")


def test_iris_boundary_opens_on_the_petals_and_scaling_wakes_the_stuck_units():
    """"the boundary shows one pair (petal length and width, the most telling)" and "3 of
    the 8 tanh units start stuck flat (✕); set scale to standard in the controls and none is"."""
    from nntui.app.widgets.boundary import most_informative_pair

    t = Trainer(load_preset("iris"))
    pair = most_informative_pair(t.dataset.x_train, t.dataset.y_train, t.dataset.task)
    assert [t.dataset.feature_names[i] for i in pair] == ["petal_length", "petal_width"]
    assert int(units.dead_units(t.net, t.params, t.x_train)[1].sum()) == 3
    scaled = changed("iris", data__scale="standard")
    assert int(units.dead_units(scaled.net, scaled.params, scaled.x_train)[1].sum()) == 0


async def test_iris_scale_control_and_the_dead_units_on_screen():
    from textual.widgets import Select

    from nntui.app.app import make_app
    from tests.test_app import screen_text

    app = make_app(load_preset("iris"))
    async with app.run_test(size=(160, 48)) as pilot:
        await pilot.pause()
        assert "network · 3 dead ✕" in screen_text(app)
        assert "standard" in [value for _, value in app.query_one("#ctl-data-scale", Select)._options]
        assert app.main.apply_control("data.scale", "standard")
        await app.settle()
        await pilot.pause()
        assert "network · 3 dead" not in screen_text(app) and "╭─ network ─" in screen_text(app)


def test_plane_bands_turn_to_the_diagonal():
    """"the shading's straight bands (the unit is linear from the start) turn to the diagonal":
    the start's normal is far from (1, 1), the end's on it (test_builtin_lessons: 0.1, 0.1)."""
    w = Trainer(load_preset("plane")).params["W1"].ravel()
    angle = np.degrees(np.arctan2(w[1], w[0]))
    assert abs(angle - 45) > 30


def test_multigauss_the_second_layer_is_what_fits_closer():
    """explain: "The second layer combines the first's curves, so fewer units fit the bumps
    more closely": the same 32 units in one layer, trained alike, end higher."""
    one_layer = changed("multigauss", model__layers=[2, 32, 1])
    one_layer.run()
    assert one_layer.history["val_loss"][-1] > trained("multigauss").history["val_loss"][-1]


# --- why: valley, optimizers, zero-init, vanishing ------------------------------------------


def test_valley_fits_21_points_of_a_line_with_x_from_1_to_3_and_the_flags_it_names_work():
    x = Trainer(load_preset("valley")).dataset.x_train[:, 0]
    assert len(x) == 21 and (x.min(), x.max()) == (1.0, 3.0)
    r = CliRunner().invoke(main, ["landscape", "valley", "--axes", "W1[0,0],b1[0]", "--optimizer", "adam",
                                  "--learning-rate", "0.1", "--grid", "5", "--json"])
    assert r.exit_code == 0 and np.allclose(np.diff(np.array(json.loads(r.stdout)["path"][:2]), axis=0), -0.1)
    assert load_preset("valley").title == "A valley: momentum overshoots, Adam starts on the diagonal"


def test_valley_is_long_and_narrow():
    """"a long narrow valley, since w and b trade off against each other": the mse's
    curvature along the floor is under a fiftieth of the curvature across it."""
    x = Trainer(load_preset("valley")).dataset.x_train
    inputs = np.column_stack([x, np.ones(len(x))])
    low, high = np.linalg.eigvalsh(2 * inputs.T @ inputs / len(x))
    assert high / low > 50


def race(name: str) -> dict[str, Trainer]:
    """Each declared variant, trained as `nntui compare` trains it, by its pairs."""
    base = load_preset(name)
    out = {}
    for pairs in base.variants:
        t = Trainer(override_pairs(base, pairs))
        t.run()
        out[" ".join(f"{k}={v}" for k, v in pairs)] = t
    return out


def test_optimizers_race_momentum_and_adaptive_rates_move_faster_than_plain_sgd():
    """"momentum and adaptive rates (the race) move faster", and plain sgd is the single run."""
    runs = race("optimizers")
    last = {k: t.history["train_loss"][-1] for k, t in runs.items()}
    sgd = last.pop("optimizer=sgd")
    assert sgd == trained("optimizers").history["train_loss"][-1]
    assert len(last) == 3 and all(v < sgd / 3 for v in last.values()), last


async def test_optimizers_escape_leaves_the_race_and_v_then_enter_races_again():
    """"escape leaves the race for the single run of plain sgd at rate 0.01 ... v, then enter,
    races again"."""
    from nntui.app.app import make_app
    from nntui.app.screens.compare import CompareScreen
    from nntui.app.screens.vary import VaryDialog
    from tests.test_compare_view import _racing, _wait_for

    app = make_app(load_preset("optimizers"))
    async with app.run_test(size=(160, 48)) as pilot:
        await _wait_for(pilot, lambda: _racing(app))
        await pilot.press("escape")
        assert not isinstance(app.screen, CompareScreen)
        assert (app.main.config.train.optimizer, app.main.config.train.learning_rate) == ("sgd", 0.01)
        assert not app.main.config.train.options.get("momentum")
        await pilot.press("v")
        assert isinstance(app.screen, VaryDialog)
        await pilot.press("enter")
        await _wait_for(pilot, lambda: _racing(app))
        assert [v.label for v in app.screen.variants] == ["sgd", "sgd momentum 0.9", "rmsprop", "adam"]


async def test_valley_v_then_enter_races_the_three_on_the_valleys_map():
    """valley's explain: "v, then enter, races the three on the valley's map"."""
    from nntui.app.app import make_app
    from tests.test_compare_view import _racing, _wait_for
    from tests.test_app import screen_text

    assert "v, then enter, races the three on the valley's map" in text_of("valley")
    app = make_app(load_preset("valley"))
    async with app.run_test(size=(160, 48)) as pilot:
        await _wait_for(pilot, lambda: _racing(app))
        await pilot.press("escape")
        await pilot.press("v")
        await pilot.press("enter")
        await _wait_for(pilot, lambda: _racing(app))
        assert len(app.screen.variants) == 3
        await pilot.pause(0.3)
        assert "loss landscape: every variant from the same start" in screen_text(app)


def test_zero_init_race_xavier_and_he_break_the_tie():
    """"press v and race init = xavier, he, zeros side by side": the two random inits get
    above 90% (xor's), zeros stays under 80%."""
    from nntui.app.screens.vary import variants_for

    config = load_preset("zero-init")
    acc = {}
    for variant in variants_for(config, "init=xavier,he,zeros"):
        t = Trainer(variant.config)
        t.run()
        acc[variant.config.model.init] = max(t.history["train_accuracy"])
    assert acc["xavier"] > 0.9 and acc["he"] > 0.9 and acc["zeros"] < 0.8, acc


def test_zero_init_four_units_are_one_units_power():
    """explain "the net has one hidden unit's power": after training, the four-unit net
    computes exactly what one hidden unit with their summed outgoing weight computes."""
    from nntui.engine.network import Network

    t = trained("zero-init")
    p = t.params
    one = Network((2, 1, 1), "sigmoid", "sigmoid")
    single = {"W1": p["W1"][:, :1], "b1": p["b1"][:1], "W2": p["W2"].sum(axis=0, keepdims=True), "b2": p["b2"]}
    _, points = grid()
    assert np.allclose(t.net.forward(p, points), one.forward(single, points), rtol=1e-12, atol=1e-15)


async def test_zero_init_set_init_in_the_controls_starts_a_new_run_at_once():
    """"or set init in the controls: a new run starts at once"."""
    from textual.widgets import Select

    from nntui.app.app import make_app

    app = make_app(load_preset("zero-init"))
    async with app.run_test(size=(160, 48)) as pilot:
        await pilot.press("e")
        await app.settle()
        assert app.runner.trainer.epoch == 1
        assert "xavier" in [value for _, value in app.query_one("#ctl-model-init", Select)._options]
        assert app.main.apply_control("model.init", "xavier")
        await app.settle()
        t = app.runner.trainer
        assert t.config.model.init == "xavier" and t.step == 0
        assert np.abs(t.params["W1"]).max() > 0 and not np.all(t.params["W1"] == t.params["W1"][:, :1])


def test_vanishing_w1_hardly_moves_and_the_json_has_the_gradient_sizes():
    """"W1 hardly moves" (the last layer's weights move 10 times as much), and
    "`nntui train vanishing --json` (history.grad_norm, one list per weight matrix)"."""
    t = Trainer(load_preset("vanishing"))
    start = {k: v.copy() for k, v in t.params.items()}
    t.run()
    moved = {k: np.linalg.norm(t.params[k] - start[k]) / np.linalg.norm(start[k]) for k in ("W1", "W6")}
    assert moved["W1"] < 0.01 and moved["W6"] > 10 * moved["W1"]
    r = CliRunner().invoke(main, ["train", "vanishing", "--json", "--epochs", "2"])
    g = json.loads(r.stdout)["history"]["grad_norm"]
    assert sorted(g) == [f"W{i}" for i in range(1, 7)] and all(len(v) == 2 for v in g.values())


# --- how training goes wrong: lr-too-high, overfit ------------------------------------------


def test_lr_too_high_the_error_grows_at_every_step_and_0_1_diverges_more_slowly():
    """"the error grows at every step", "`nntui train lr-too-high` stops right there (exit 3,
    naming a rate that trains)", "0.1 still diverges, only more slowly", and the explain's
    "past twice the inverse of the loss's curvature": 0.1 is past it, 0.03 is not."""
    config = load_preset("lr-too-high")
    t = Trainer(config)
    with pytest.raises(Diverged), np.errstate(all="ignore"):
        t.run()
    losses = t.history["batch_loss"]
    assert len(losses) >= 9 and all(b > a for a, b in zip(losses, losses[1:]))
    slower = Trainer(override(config, learning_rate=0.1))
    with pytest.raises(Diverged), np.errstate(all="ignore"):
        slower.run()
    assert t.epoch <= 1 and slower.epoch >= t.epoch + 2  # 0.3 in its first epoch, 0.1 epochs later
    r = CliRunner().invoke(main, ["train", "lr-too-high"])
    assert r.exit_code == 3 and "--learning-rate 0.03 trains it" in r.stderr
    x = np.column_stack([t.dataset.x_train, np.ones(len(t.dataset.x_train))])
    curvature = np.linalg.eigvalsh(2 * x.T @ x / len(x)).max()  # mse's Hessian, full batch
    assert 0.03 < 2 / curvature < 0.1


async def test_lr_too_high_minus_then_r_starts_again_at_the_lower_rate():
    """"press - to step the rate down and r to start again": a diverged run stays diverged
    until r, which starts it again from step 0 at the rate - chose."""
    from nntui.app.app import make_app
    from nntui.app.worker import RunEpoch, Status

    app = make_app(load_preset("lr-too-high"))
    async with app.run_test(size=(160, 48)) as pilot:
        for _ in range(30):
            app.runner.send(RunEpoch())
        await app.settle()
        await pilot.pause()
        assert app.main.status == Status.DIVERGED
        await pilot.press("minus")
        await app.settle()
        assert app.main.config.train.learning_rate == 0.1 and app.main.status == Status.DIVERGED
        await pilot.press("r")
        await app.settle()
        t = app.runner.trainer
        assert t.step == 0 and t.optimizer.lr == 0.1 and app.main.status != Status.DIVERGED


def test_overfit_thirty_points_two_hundred_held_out_and_early_stop_ends_at_the_minimum():
    """"Thirty noisy points to train on, two hundred held out" and "switch early stop on in
    the controls, and the run ends there" (Keras's rule with the controls' defaults)."""
    t = Trainer(load_preset("overfit"))
    assert (len(t.dataset.x_train), len(t.dataset.x_val)) == (30, 200)
    full = trained("overfit")
    lowest = int(np.argmin(full.history["val_loss"])) + 1
    d = load_preset("overfit").to_dict()
    d["train"]["early_stopping"] = {}
    stopped = Trainer(config_from_dict(d, "overfit.toml"))
    stopped.run()
    assert stopped.stopped and stopped.epoch < full.epoch and stopped.stop.best_epoch + 1 == lowest
    ends = stopped.evaluate()
    assert ends["val_loss"] == pytest.approx(min(full.history["val_loss"]), rel=1e-12)
    assert ends["val_accuracy"] >= full.history["val_accuracy"][-1]


def _regions(mask: np.ndarray) -> int:
    """Connected regions (4-neighbours) of True cells."""
    seen, count = np.zeros_like(mask, dtype=bool), 0
    for start in zip(*np.nonzero(mask)):
        if seen[start]:
            continue
        count += 1
        seen[start] = True
        stack = [start]
        while stack:
            i, j = stack.pop()
            for n in ((i + 1, j), (i - 1, j), (i, j + 1), (i, j - 1)):
                if 0 <= n[0] < mask.shape[0] and 0 <= n[1] < mask.shape[1] and mask[n] and not seen[n]:
                    seen[n] = True
                    stack.append(n)
    return count


def test_overfit_boundary_grows_islands():
    """"the boundary grow islands around single points": the map of the classes has more
    separate regions at the end than at the validation minimum."""
    full = trained("overfit")
    lowest = int(np.argmin(full.history["val_loss"])) + 1
    g, points = grid()
    maps = {}
    t = Trainer(load_preset("overfit"))
    t.run(callback=lambda tr: maps.__setitem__(tr.epoch, (tr.predict(points)[:, 0] >= 0.5).reshape(len(g), len(g)))
          if tr.epoch in (lowest, full.epoch) else None)
    count = {e: _regions(m) + _regions(~m) for e, m in maps.items()}
    assert count[full.epoch] > count[lowest], count


async def test_overfit_early_stop_is_a_control():
    from textual.widgets import Select

    from nntui.app.app import make_app

    app = make_app(load_preset("overfit"))
    async with app.run_test(size=(160, 48)) as pilot:
        await pilot.pause()
        assert True in [value for _, value in app.query_one("#ctl-train-early_stopping", Select)._options]
        assert app.main.apply_control("train.early_stopping", True)
        await app.settle()
        assert app.runner.trainer.config.train.early_stopping is not None


# --- the keys the texts name ---------------------------------------------------------------


KEYS_NAMED = {  # preset: (the words, the key's Textual name, its action)
    "bent-plane": [("Press H for the hidden space", "H", "why('hidden')"), ("then Y for layer 2", "Y", "hidden_layer(1)")],
    "iris": [("press x for the confusion matrix", "x", "confusion"), ("f shows another pair", "f", "features")],
    "digits": [("w: the boundary", "w", "images"), ("j/k: a unit", "j", "neuron(1)"), ("j/k: a unit", "k", "neuron(-1)")],
    "optimizers": [("v, then enter, races again", "v", "compare")],
    "zero-init": [("press v and race init = xavier, he, zeros", "v", "compare")],
    "lr-too-high": [("press - to step the rate down", "minus,underscore", "lr(False)"),
                    ("and r to start again", "r", "reset"),
                    ("press v and race the learning rates", "v", "compare")],
    "valley": [("v, then enter, races the three", "v", "compare")],
}


@pytest.mark.parametrize("name", sorted(KEYS_NAMED))
def test_the_keys_a_lesson_names_do_what_it_says(name):
    from nntui.app.keys import KEYS

    actions = {k.keys: k.action for k in KEYS}
    text = text_of(name)
    for words, key, action in KEYS_NAMED[name]:
        assert words in text, (name, words)
        assert actions[key] == action, (name, key)
