"""Feature inputs (data.features): the network sees features of each 2-D point,
the data keeps its points, and every path (config, trainer, edits, runfile,
export, CLI, app) carries them."""

from __future__ import annotations

import json
import subprocess
import sys

import numpy as np
import pytest

from nntui.experiment.config import ConfigError, config_from_dict
from nntui.experiment.edits import edit
from nntui.engine.features import FEATURE_NAMES, expand
from nntui.engine.gradcheck import gradcheck
from nntui.engine.trainer import Trainer
from nntui.experiment.presets import load_preset


def preset(**data) -> dict:
    """xor (2-4-1 tanh) with [data] keys set; layers[0] follows the features."""
    d = load_preset("xor").to_dict()
    d["data"].update(data)
    if "features" in data and isinstance(data["features"], list):
        d["model"]["layers"][0] = len(data["features"])
    return d


# ------------------------------------------------------------------ the table


def test_expand_computes_each_feature_of_each_point():
    plane = np.array([[0.5, -2.0], [3.0, 0.25], [-1.0, 1.0]])
    x1, x2 = plane[:, 0], plane[:, 1]
    by_hand = {"x1": x1, "x2": x2, "x1_sq": x1 ** 2, "x2_sq": x2 ** 2, "x1_x2": x1 * x2,
               "sin_x1": np.sin(x1), "sin_x2": np.sin(x2)}
    assert set(FEATURE_NAMES) == set(by_hand)
    out = expand(plane, FEATURE_NAMES)
    assert out.shape == (3, 7) and out.dtype == np.float64
    for i, name in enumerate(FEATURE_NAMES):
        assert np.array_equal(out[:, i], by_hand[name]), name
    # Any subset, in the order asked; a float32 grid stays float32 (the boundary's).
    assert np.array_equal(expand(plane, ["x1_x2", "x1"]), np.column_stack([x1 * x2, x1]))
    assert expand(plane.astype(np.float32), ["sin_x2"]).dtype == np.float32
    with pytest.raises(ValueError, match="2-D points"):
        expand(np.zeros((3, 4)), ["x1"])


# ------------------------------------------------------------------ the preset key


@pytest.mark.parametrize("data, words", [
    ({"features": ["x1", "x2", "x1_x2"], "_layers": [2, 4, 1]},
     ["xor.toml: [model] layers = [2, 4, 1]", "layers[0] is 2", "3 features (x1, x2, x1_x2)",
      "set layers = [3, 4, 1]"]),
    ({"features": ["x1", "x1x2"]}, ["[data] features", "unknown feature \"x1x2\"", "did you mean 'x1_x2'",
                                    "allowed: x1, x2, x1_sq, x2_sq, x1_x2, sin_x1, sin_x2"]),
    ({"features": ["x1", "sin_x1", "x1"]}, ["[data] features", "\"x1\" is given twice"]),
    ({"features": []}, ["[data] features = []", "must be a list of feature names"]),
    ({"features": "x1_x2"}, ["[data] features = \"x1_x2\"", "must be a list"]),
])
def test_a_bad_features_key_is_one_message_naming_file_and_key(data, words):
    layers = data.pop("_layers", None)
    d = preset(**data)
    if layers:
        d["model"]["layers"] = layers
    with pytest.raises(ConfigError) as e:
        config_from_dict(d, "xor.toml")
    message = str(e.value)
    assert "\n" not in message
    for word in words:
        assert word in message, (word, message)


def test_features_are_for_two_input_data_only(tmp_path):
    d = load_preset("iris").to_dict()
    d["data"]["features"] = ["x1", "x2"]  # the default is fine anywhere
    config_from_dict(d, "iris.toml")
    d["data"]["features"] = ["x1", "x1_sq"]
    with pytest.raises(ConfigError, match=r"iris.toml: \[data\] features = .*iris.csv has 4"):
        config_from_dict(d, "iris.toml")


def test_the_cli_refuses_a_bad_features_preset_with_exit_2(tmp_path):
    path = tmp_path / "bad.toml"
    path.write_text('[data]\ndataset = "xor"\nfeatures = ["x1", "x2", "x1_x2"]\n[model]\nlayers = [2, 4, 1]\n')
    p = subprocess.run([sys.executable, "-m", "nntui", "train", str(path), "--epochs", "1"],
                       capture_output=True, text=True, timeout=120)
    assert p.returncode == 2 and "Traceback" not in p.stderr
    assert "bad.toml: [model] layers = [2, 4, 1]: layers[0] is 2 but [data] features has 3" in p.stderr


def test_the_default_features_are_not_written_back():
    c = load_preset("xor")
    assert c.data.features == ("x1", "x2") and "features" not in c.to_dict()["data"]
    d = load_preset("perceptron-features").to_dict()
    assert d["data"]["features"] == ["x1", "x2", "x1_x2"]
    assert config_from_dict(d, "perceptron-features.toml") == load_preset("perceptron-features")


# ------------------------------------------------------------------ the trainer


def test_the_network_sees_the_features_and_the_data_keeps_its_points():
    names = ["x1_sq", "x2_sq", "x1_x2", "sin_x1"]
    tr = Trainer(config_from_dict(preset(features=names), "xor.toml"))
    plain = Trainer(load_preset("xor"))
    # The same points (same data seed), their features as the network's inputs.
    assert np.array_equal(tr.dataset.x_train, plain.dataset.x_train) and tr.dataset.n_inputs == 2
    assert np.array_equal(tr.x_train, expand(tr.dataset.x_train, names))
    assert np.array_equal(tr.x_val, expand(tr.dataset.x_val, names))
    assert tr.net.sizes[0] == 4 and tr.features == tuple(names)
    # predict takes points; the traced batch holds features, and the points beside them.
    pts = tr.dataset.x_val[:5]
    assert np.array_equal(tr.predict(pts), tr.net.forward(tr.params, expand(pts, names)))
    tr.next_phase()
    s = tr.snapshot()
    assert s.batch_x.shape[1] == 4 and s.batch_points.shape[1] == 2 and s.features == tuple(names)
    assert np.array_equal(s.batch_x, expand(s.batch_points, names))
    assert max(gradcheck(tr).values()) < 1e-6


def test_default_features_change_nothing_bit_for_bit():
    a = Trainer(load_preset("moons"))
    d = load_preset("moons").to_dict()
    d["data"]["features"] = ["x1", "x2"]
    b = Trainer(config_from_dict(d, "moons.toml"))
    a.run(until_epochs=3)
    b.run(until_epochs=3)
    assert a.history == b.history and b.features == () and b.x_train is b.dataset.x_train


def test_the_right_features_solve_circle_without_a_hidden_layer():
    # x1² + x2² is the radius: one sigmoid unit on the squares separates the disc from the ring.
    d = load_preset("circle").to_dict()
    d["data"]["features"] = ["x1_sq", "x2_sq"]
    d["model"]["layers"] = [2, 1]
    tr = Trainer(config_from_dict(d, "circle.toml"))
    tr.run(until_epochs=200)
    assert tr.history["val_accuracy"][-1] >= 0.95


# ------------------------------------------------------------------ edits, runfiles, CLI


def test_an_edit_of_the_features_fits_the_input_layer_and_keeps_the_data():
    c = load_preset("spiral")
    tr = Trainer(c)
    new = edit(c, "data.features", ["x1", "x2", "sin_x1", "sin_x2"], dataset=tr.dataset)
    assert new.model.layers == (4, *c.model.layers[1:]) and new.data.features == ("x1", "x2", "sin_x1", "sin_x2")
    assert edit(c, "data.features", "x1, x1_x2").model.layers[0] == 2  # typed text too
    back = edit(new, "data.features", ["x1", "x2"])
    assert back == c
    with pytest.raises(ConfigError, match="must be a list of feature names"):
        edit(c, "data.features", [])
    # Another data set of 2 inputs keeps them; one of 4 (not a generator) cannot have them.
    assert edit(new, "data.dataset", "moons").data.features == new.data.features


def test_a_runfile_carries_the_features(tmp_path):
    from nntui.engine.runfile import save_run
    from nntui.experiment.runs import load_run

    config = config_from_dict(preset(features=["x1", "x2", "x1_x2", "x1_sq"]), "xor.toml")
    first = Trainer(config)
    first.run(until_epochs=3)
    resumed = load_run(save_run(first, tmp_path / "run.npz"))
    assert resumed.config.data.features == ("x1", "x2", "x1_x2", "x1_sq")
    assert np.array_equal(resumed.x_train, first.x_train)
    first.run(until_epochs=5)
    resumed.run(until_epochs=5)
    assert resumed.history == first.history
    assert all(np.array_equal(resumed.params[k], first.params[k]) for k in first.params)


def test_nntui_train_takes_the_features_from_the_preset():
    p = subprocess.run([sys.executable, "-m", "nntui", "train", "perceptron-features", "--json"],
                       capture_output=True, text=True, timeout=120)
    assert p.returncode == 0, p.stderr
    result = json.loads(p.stdout)
    assert result["features"] == ["x1", "x2", "x1_x2"] and result["layers"] == [3, 1]
    assert result["train_accuracy"] == 1.0
    p = subprocess.run([sys.executable, "-m", "nntui", "train", "perceptron-xor", "--json"],
                       capture_output=True, text=True, timeout=120)
    result = json.loads(p.stdout)
    assert "features" not in result and result["train_accuracy"] < 1.0


def test_a_feature_change_keeps_the_earlier_run_as_a_ghost_named_by_its_features():
    # With and without x1·x2 is the comparison to make: the curves stay side by side.
    from nntui.app.ghosts import Ghosts
    from nntui.engine.snapshot import History

    old = load_preset("perceptron-xor")
    new = edit(old, "data.features", ["x1", "x2", "x1_x2"])
    ghosts = Ghosts()
    ghost = ghosts.replaced(old, History(train_loss=(0.5, 0.5)), new)
    assert ghost is not None and ghost.label == "perceptron lr 0.1 x1 x2"
    back = ghosts.replaced(new, History(train_loss=(0.25, 0.0)), old)
    assert back.label == "perceptron lr 0.1 x1 x2 x1·x2" and len(ghosts.items) == 2
    # Other data still clears them.
    assert ghosts.replaced(old, History(train_loss=(0.5,)), edit(old, "data.dataset", "and_gate")) is None
    assert ghosts.items == ()
