"""The `vanishing` and `valley` lessons: what their texts claim, checked on
their runs (the gradient norms, the paths)."""

from __future__ import annotations

import json

import numpy as np
import pytest
from click.testing import CliRunner

from nntui.cli import main
from nntui.engine import gradnorm
from nntui.engine.trainer import Trainer
from nntui.experiment.config import override_pairs
from nntui.experiment.presets import STORY_ORDER, load_preset


def race(name: str) -> list[Trainer]:
    """Each declared variant of a preset, trained as `nntui compare` trains it."""
    base = load_preset(name)
    out = []
    for pairs in base.variants:
        tr = Trainer(override_pairs(base, pairs))
        tr.run()
        out.append(tr)
    return out


def ratios(tr: Trainer) -> np.ndarray:
    g = gradnorm.as_dict(tr.history)
    return np.array(g["W1"]) / np.array(g[f"W{tr.net.L}"])


@pytest.fixture(scope="module")
def vanishing():
    return race("vanishing")


def test_vanishing_races_the_deep_sigmoid_net_against_relu_he():
    c = load_preset("vanishing")
    assert list(c.model.layers) == [2, 6, 6, 6, 6, 6, 1] and c.model.activation == "sigmoid"
    assert c.model.init == "xavier"
    assert [dict(p) for p in c.variants] == [{"activation": "sigmoid", "init": "xavier"},
                                             {"activation": "relu", "init": "he"}]


def test_vanishing_first_layers_starve_under_sigmoid(vanishing):
    sigmoid, relu = vanishing
    r = ratios(sigmoid)
    assert len(r) == 100
    assert 1 / 700 < r[0] < 1 / 350  # "about 1/500 of the last's in the first epoch"
    assert r.max() < 0.01  # "under 1% of it in every epoch"
    h = sigmoid.history
    assert abs(h["train_loss"][-1] - np.log(2)) < 0.01 and h["val_accuracy"][-1] <= 0.6  # "still at chance"
    # The layers between fade in order: each earlier layer's gradient smaller, at the first epoch.
    g = gradnorm.as_dict(h)
    first = [g[f"W{l}"][0] for l in range(1, 7)]
    assert first == sorted(first)


def test_vanishing_relu_keeps_every_layers_gradient_and_learns(vanishing):
    _, relu = vanishing
    r = ratios(relu)
    assert (r > 1 / 5).all() and (r < 5).all()  # "within a factor of 5 of each other"
    assert relu.history["val_accuracy"][-1] == 1.0  # "it separates the circle"


def test_vanishing_text_says_what_its_run_shows():
    text = load_preset("vanishing").description
    assert "1/500" in text and "under 1%" in text and "factor of 5" in text


def _path(tr: Trainer) -> np.ndarray:
    """(w, b) at the start and every epoch's end."""
    path = [(tr.params["W1"][0, 0], tr.params["b1"][0])]
    tr.run(callback=lambda t: path.append((t.params["W1"][0, 0], t.params["b1"][0])))
    return np.array(path)


@pytest.fixture(scope="module")
def valley():
    base = load_preset("valley")
    return [_path(Trainer(override_pairs(base, pairs))) for pairs in base.variants]


def test_valley_is_one_neuron_with_two_weights():
    tr = Trainer(load_preset("valley"))
    assert {k: v.shape for k, v in tr.params.items()} == {"W1": (1, 1), "b1": (1,)}
    assert tr.batches_per_epoch == 1  # full batch: every path exact
    assert (tr.params["W1"][0, 0], tr.params["b1"][0]) == (1.0, -1.0)
    X, y = tr.dataset.x_train[:, 0], tr.dataset.y_train[:, 0]
    assert np.allclose(y, 3 - 1.5 * X)  # the line's bottom is at w = -1.5, b = 3


def test_valley_plain_sgd_zigzags_across_then_crawls(valley):
    sgd = valley[0]
    steps = np.diff(sgd, axis=0)
    assert steps[0, 0] < 0 < steps[1, 0]  # jumps across the valley and back
    assert np.sign(steps[0, 1]) != np.sign(steps[1, 1])


def test_valley_momentum_runs_past_the_bottom_and_swings_back(valley):
    momentum = valley[1]
    assert momentum[:, 0].min() < -1.5 and momentum[:, 1].max() > 3  # past w = -1.5 and b = 3
    end = momentum[-1]
    assert abs(end[0] + 1.5) < 0.05 and abs(end[1] - 3) < 0.1  # and back near the bottom


def test_valley_adams_first_steps_are_its_learning_rate_on_both_weights(valley):
    adam = valley[2]
    first = np.diff(adam[:3], axis=0)
    assert np.allclose(np.abs(first[0]), 0.1, rtol=1e-6)  # exactly lr on each, whatever the slopes
    assert np.allclose(np.abs(first[1]), 0.1, rtol=0.05)


def test_valley_landscape_is_the_whole_surface():
    r = json.loads(CliRunner().invoke(main, ["landscape", "valley", "--axes", "W1[0,0],b1[0]", "--grid", "5",
                                             "--json"]).stdout)
    assert r["explained"][0] + r["explained"][1] == pytest.approx(1.0, abs=1e-12)  # nothing else moves
    adam = json.loads(CliRunner().invoke(main, ["landscape", "valley", "--axes", "W1[0,0],b1[0]", "--optimizer",
                                                "adam", "--lr", "0.1", "--grid", "5", "--json"]).stdout)
    step = np.diff(np.array(adam["path"][:2]), axis=0)[0]
    assert np.allclose(step, [-0.1, -0.1], rtol=1e-6)


def test_the_lessons_sit_in_the_story():
    assert STORY_ORDER.index("valley") + 1 == STORY_ORDER.index("optimizers")
    assert STORY_ORDER.index("zero-init") < STORY_ORDER.index("vanishing") < STORY_ORDER.index("lr-too-high")


# --- bent-plane: the hidden space made separable ------------------------------------------


def best_line_accuracy(h: np.ndarray, y: np.ndarray, angles: int = 1440) -> float:
    """The best share of points any straight line in the plane sorts right:
    every direction (to 1/8 degree), every threshold along it, both sides."""
    best, n, ones = 0.0, len(y), y.sum()
    k = np.arange(n + 1)
    for t in np.linspace(0.0, np.pi, angles, endpoint=False):
        ys = y[np.argsort(h @ np.array([np.cos(t), np.sin(t)]), kind="stable")]
        below = np.concatenate([[0], np.cumsum(ys)])  # class-1 points left of each cut
        acc = ((k - below) + (ones - below)) / n  # class 0 left, class 1 right
        best = max(best, acc.max(), (1 - acc).max())
    return float(best)


def _hidden_plane(tr: Trainer) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """The training points in the last hidden layer's plane, their labels, and
    the output's own class for each (its line in that plane)."""
    from nntui.engine.units import layer_activations
    L = tr.net.L
    h = layer_activations(tr.net, tr.params, tr.x_train)[L - 1]
    z = h @ tr.params[f"W{L}"] + tr.params[f"b{L}"]
    return h, tr.dataset.y_train[:, 0], (z[:, 0] >= 0).astype(float)


def test_bent_plane_follows_xor_and_sends_the_learner_to_the_hidden_space():
    c = load_preset("bent-plane")
    assert STORY_ORDER.index("bent-plane") == STORY_ORDER.index("xor") + 1
    assert c.data.dataset == "circle" and list(c.model.layers)[-2] == 2
    text = c.description
    assert "Press H for the hidden space, then Y for layer 2" in text and "70%" in text and "95%" in text
    from nntui.app.keys import KEYS
    actions = {k.keys: k.action for k in KEYS}  # the keys the text names do what it says
    assert actions["H"] == "why('hidden')" and actions["Y"] == "hidden_layer(1)"


def test_bent_plane_is_tangled_at_the_start_and_split_by_the_outputs_line_at_the_end():
    tr = Trainer(load_preset("bent-plane"))
    h, y, own = _hidden_plane(tr)
    assert h.shape == (len(y), 2)
    assert best_line_accuracy(h, y) < 0.70  # "no straight line sorts even 70%"
    assert (own == y).mean() < 0.95
    tr.run()
    h, y, own = _hidden_plane(tr)
    assert (own == y).mean() >= 0.95  # "the output's own straight line ... over 95%"
    # and that is the net's own accuracy: the output reads nothing but this plane
    assert (own == y).mean() == pytest.approx(tr.evaluate()["train_accuracy"])


def test_best_line_accuracy_finds_a_line_and_knows_a_ring_has_none():
    rng = np.random.default_rng(0)
    p = rng.normal(size=(200, 2))
    assert best_line_accuracy(p, (p @ [1.0, -2.0] > 0.3).astype(float)) > 0.98
    ring = (np.hypot(p[:, 0], p[:, 1]) < 1).astype(float)
    assert best_line_accuracy(p, ring) < 0.8


def test_valley_question_is_about_the_run_it_judges():
    """The lesson's ask and claim are judged on the preset's own run, sgd with
    momentum: plain sgd (the race's first variant) does not reach 0.001."""
    c = load_preset("valley")
    assert (c.train.optimizer, c.train.options["momentum"]) == ("sgd", 0.9)
    assert "momentum 0.9" in c.lesson.asks[0].question
    base = load_preset("valley")
    plain = Trainer(override_pairs(base, base.variants[0]))
    plain.run()
    assert plain.history["train_loss"][-1] > 0.001
