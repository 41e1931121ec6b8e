"""Every built-in preset trains headless and does what its description says."""

from __future__ import annotations

import dataclasses
import json

import numpy as np
import pytest
from click.testing import CliRunner

from nntui.cli import main
from nntui.experiment.config import override
from nntui.experiment.presets import DEFAULT_PRESET, list_presets, load_preset
from nntui.engine.gradcheck import gradcheck
from nntui.engine.trainer import Diverged, Trainer

EXPECTED = {
    "perceptron-and", "perceptron-xor", "perceptron-features", "xor", "mazur", "circle", "gaussian", "spiral", "moons", "blobs",
    "iris", "plane", "multigauss", "ffn", "zero-init", "lr-too-high", "overfit", "optimizers",
    "digits", "valley", "vanishing", "bent-plane",
}
NAMES = [name for name, _ in list_presets()]


def trained(name: str, **overrides) -> Trainer:
    config = load_preset(name)
    if overrides:
        config = override(config, **overrides)
    trainer = Trainer(config)
    trainer.run()
    return trainer


def test_the_builtins_are_all_there():
    assert set(NAMES) == EXPECTED
    assert DEFAULT_PRESET == "xor"


@pytest.mark.parametrize("name", NAMES)
def test_title_and_description(name):
    c = load_preset(name)
    assert c.title and c.title != name and len(c.title) < 60
    assert len(c.description.split()) >= 15 and "\n" not in c.description


@pytest.mark.parametrize("name", sorted(EXPECTED - {"perceptron-and", "perceptron-xor", "perceptron-features"}))
def test_gradients_check_out(name):
    errors = gradcheck(Trainer(load_preset(name)))
    assert max(errors.values()) < 1e-6, errors


# --- perceptrons -----------------------------------------------------------------------


def test_perceptron_and_converges():
    tr = trained("perceptron-and")
    assert tr.evaluate()["train_accuracy"] == 1.0
    assert tr.history["train_loss"][-1] == 0.0 and tr.epoch < tr.config.train.epochs  # stopped at the target


def test_perceptron_xor_never_converges():
    tr = trained("perceptron-xor")
    assert tr.epoch == tr.config.train.epochs
    assert max(tr.history["train_accuracy"]) <= 0.75 and min(tr.history["train_loss"]) >= 0.25


def test_the_feature_x1_x2_lets_a_perceptron_learn_xor():
    # The same perceptron on the same four rows: with x1·x2 as a third input it
    # reaches every row, headless; without it, it never does.
    tr = trained("perceptron-features")
    assert tr.config.data.features == ("x1", "x2", "x1_x2") and tr.net.sizes == (3, 1)
    assert tr.x_train.shape == (4, 3) and tr.dataset.x_train.shape == (4, 2)  # the data keeps its points
    assert tr.evaluate()["train_accuracy"] == 1.0 and tr.history["train_loss"][-1] == 0.0
    assert tr.confusion.counts.tolist() == [[2, 0], [0, 2]]
    plain = trained("perceptron-xor")
    assert plain.evaluate()["train_accuracy"] < 1.0 and max(plain.history["train_accuracy"]) < 1.0
    assert plain.config.data.dataset == tr.config.data.dataset
    assert np.trace(plain.confusion.counts) < 4
    # and from the features preset's own (random) start, too: no start makes XOR linear in (x1, x2)
    c = plain.config
    same_start = Trainer(dataclasses.replace(c, model=dataclasses.replace(
        c.model, init=tr.config.model.init, seed=tr.config.model.seed)))
    same_start.run()
    assert max(same_start.history["train_accuracy"]) < 1.0


def test_the_features_preset_comes_right_after_perceptron_xor():
    assert NAMES.index("perceptron-features") == NAMES.index("perceptron-xor") + 1
    text = load_preset("perceptron-features").description
    assert "x1·x2" in text and "separates" in text


# --- classification ----------------------------------------------------------------------


@pytest.mark.parametrize(
    "name, accuracy",
    [("xor", 0.95), ("circle", 0.95), ("gaussian", 0.99), ("spiral", 0.95), ("moons", 0.97),
     ("blobs", 0.97), ("iris", 0.9)],
)
def test_classifiers_reach_their_accuracy(name, accuracy):
    tr = trained(name)
    metrics = tr.evaluate()
    assert metrics["val_accuracy"] >= accuracy, metrics
    assert metrics["val_loss"] < tr.history["val_loss"][0]


def test_xor_is_a_2_4_1_mlp():
    c = load_preset("xor")
    assert c.model.layers == (2, 4, 1) and c.data.dataset == "xor"


def test_spiral_is_deeper():
    assert len(load_preset("spiral").model.layers) >= 4


def test_blobs_and_iris_are_three_class_softmax():
    for name in ("blobs", "iris"):
        c = load_preset(name)
        assert (c.model.layers[-1], c.model.output, c.train.loss) == (3, "softmax", "cross_entropy")
    iris = Trainer(load_preset("iris")).dataset
    assert iris.n_inputs == 4 and iris.classes == ("setosa", "versicolor", "virginica")


def test_digits_reaches_95_percent_from_the_command_line():
    """The digits preset's bar, as a user checks it: `nntui train digits --json` (under a second)."""
    result = CliRunner().invoke(main, ["train", "digits", "--json"])
    assert result.exit_code == 0, result.stderr
    r = json.loads(result.stdout)
    assert r["val_accuracy"] >= 0.95, r["val_accuracy"]
    assert r["val_loss"] < r["history"]["val_loss"][0]


def test_digits_is_an_8x8_image_of_ten_classes_and_the_last_lesson():
    c = load_preset("digits")
    assert c.data.image == (8, 8) and c.model.layers[0] == 64 and c.model.layers[-1] == 10
    assert (c.model.activation, c.model.output, c.train.loss) == ("relu", "softmax", "cross_entropy")
    data = Trainer(c).dataset
    assert data.classes == tuple(str(k) for k in range(10))
    assert len(data.x_train) + len(data.x_val) == 1797 and data.x_train.max() == 16
    assert NAMES[-1] == "digits"


# --- Matt Mazur's worked example ----------------------------------------------------------------


def test_mazur_first_step_matches_the_post():
    tr = Trainer(load_preset("mazur"))
    W1, W2 = tr.params["W1"], tr.params["W2"]
    # w1..w8 laid out as (fan_in, fan_out): h1 = w1*i1 + w2*i2.
    assert W1.tolist() == [[0.15, 0.25], [0.20, 0.30]] and W2.tolist() == [[0.40, 0.50], [0.45, 0.55]]
    assert tr.evaluate()["train_loss"] == pytest.approx(0.298371109, abs=1e-9)
    tr.finish_step()
    assert tr.trace.a[1][0] == pytest.approx([0.593269992, 0.596884378], abs=1e-9)  # out_h1, out_h2
    assert tr.trace.a[2][0] == pytest.approx([0.75136507, 0.772928465], abs=1e-8)  # out_o1, out_o2
    # After the update: w5..w8 and w1..w4 as in the post (biases train here, not there).
    assert tr.params["W2"] == pytest.approx(np.array([[0.35891648, 0.51130127], [0.408666186, 0.561370121]]), abs=1e-8)
    assert tr.params["W1"] == pytest.approx(np.array([[0.149780716, 0.24975114], [0.19956143, 0.29950229]]), abs=1e-8)


def test_mazur_after_10000_steps():
    tr = trained("mazur")
    # His 3.51085e-05 is with fixed biases; training them too gets lower, as the description says.
    assert tr.step == 10000 and tr.evaluate()["train_loss"] == pytest.approx(2.4e-6, rel=0.05)


# --- regression -------------------------------------------------------------------------


def test_plane_is_learnt_exactly():
    tr = trained("plane")
    assert tr.evaluate()["val_loss"] < 1e-8
    assert tr.params["W1"][:, 0] == pytest.approx([0.1, 0.1], abs=1e-4)


@pytest.mark.parametrize("name, fraction", [("multigauss", 0.3), ("ffn", 0.6)])
def test_bumps_regression(name, fraction):
    tr = trained(name)
    variance = float(np.var(tr.dataset.y_val))
    assert tr.evaluate()["val_loss"] < fraction * variance


def test_ffn_is_the_transformer_block():
    m = load_preset("ffn").model
    assert len(m.layers) == 3 and m.layers[1] >= 32 and (m.activation, m.output) == ("relu", "linear")


# --- lessons ------------------------------------------------------------------------------


def test_zero_init_keeps_hidden_units_identical():
    tr = trained("zero-init")
    W1, b1, W2 = tr.params["W1"], tr.params["b1"], tr.params["W2"]
    assert np.abs(W1).max() > 1e-3  # they did learn something...
    assert np.all(W1 == W1[:, :1]) and np.all(b1 == b1[0]) and np.all(W2 == W2[0])  # ...all the same thing


@pytest.mark.filterwarnings("ignore:overflow:RuntimeWarning")
def test_lr_too_high_diverges():
    tr = Trainer(load_preset("lr-too-high"))
    with pytest.raises(Diverged) as e:
        tr.run()
    # stopped where the loss exploded (or rolled back to before a step that overflowed)
    assert e.value.step > 1 and tr.step in (e.value.step, e.value.step - 1)
    result = CliRunner().invoke(main, ["train", "lr-too-high"])
    assert result.exit_code == 3 and f"step {e.value.step}" in result.stderr
    # ... and the smaller rate the description suggests converges.
    assert trained("lr-too-high", learning_rate=0.03).evaluate()["val_loss"] < 1e-6


def test_overfit_val_loss_turns_up():
    tr = trained("overfit")
    val, train = np.array(tr.history["val_loss"]), np.array(tr.history["train_loss"])
    best = int(val.argmin())
    assert best < len(val) // 4  # the minimum comes well before the last epoch
    assert val[-1] > 2 * val.min()  # then validation loss climbs
    assert train[-1] < train[best] / 10  # while training loss keeps falling


def test_optimizers_compare():
    def final_loss(*args):
        result = CliRunner().invoke(main, ["train", "optimizers", "--json", *args])
        assert result.exit_code == 0, result.stderr
        return json.loads(result.stdout)["train_loss"]

    sgd = final_loss("--optimizer", "sgd")
    momentum = final_loss("--optimizer", "sgd", "--option", "momentum=0.9")
    rmsprop = final_loss("--optimizer", "rmsprop")
    adam = final_loss("--optimizer", "adam")
    assert max(adam, rmsprop) < momentum < sgd


@pytest.mark.parametrize("name", sorted(EXPECTED - {"lr-too-high"}))
def test_every_preset_trains_from_the_command_line(name):
    result = CliRunner().invoke(main, ["train", name, "--json", "--epochs", "2"])
    assert result.exit_code == 0, result.stderr
    r = json.loads(result.stdout)
    assert r["epochs"] <= 2 and np.isfinite(r["train_loss"])
