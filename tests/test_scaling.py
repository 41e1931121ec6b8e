"""[data] scale: the training set's statistics, applied to every input the network sees."""

from __future__ import annotations

import numpy as np
import pytest

from nntui.engine.trainer import Trainer
from nntui.engine.units import dead_units
from nntui.experiment.config import config_from_dict
from nntui.experiment.presets import load_preset


def scaled(name: str, scale: str, **data):
    d = load_preset(name).to_dict()
    d["data"].update(scale=scale, **data)
    if "features" in data:
        d["model"]["layers"][0] = len(data["features"])
    return config_from_dict(d, f"{name}.toml")


def test_standard_uses_the_training_sets_mean_and_std_everywhere():
    tr = Trainer(scaled("moons", "standard"))
    raw, raw_val = tr.dataset.x_train, tr.dataset.x_val
    mean, std = raw.mean(axis=0), raw.std(axis=0)
    assert np.allclose(tr.x_train.mean(axis=0), 0, atol=1e-12) and np.allclose(tr.x_train.std(axis=0), 1)
    assert np.array_equal(tr.x_val, (raw_val - mean) / std)  # validation: the training statistics
    grid = np.random.default_rng(0).uniform(-3, 3, (50, 2))
    assert np.array_equal(tr.predict(grid), tr.net.forward(tr.params, (grid - mean) / std))  # the boundary's grid
    plain = Trainer(load_preset("moons"))
    assert np.array_equal(tr.dataset.x_train, plain.dataset.x_train)  # the points stay as they are


def test_minmax_maps_the_training_set_onto_0_1_and_scales_after_the_features():
    tr = Trainer(scaled("circle", "minmax", features=["x1", "x2", "x1_sq"]))
    assert tr.x_train.shape[1] == 3  # the features are scaled, not the points
    assert np.array_equal(tr.x_train.min(axis=0), np.zeros(3)) and np.array_equal(tr.x_train.max(axis=0), np.ones(3))


def test_a_constant_input_is_divided_by_one():
    from nntui.engine.scaling import Scaler

    X = np.array([[1.0, 5.0], [3.0, 5.0]])
    assert np.array_equal(Scaler("standard", X)(X), np.array([[-1.0, 0.0], [1.0, 0.0]]))


def test_the_lesson_unscaled_inputs_kill_units_scaled_ones_do_not():
    # iris's inputs run to 7.9: three of its four tanh units start saturated on every point.
    def dead(config, epochs=0):
        tr = Trainer(config)
        tr.run(until_epochs=epochs)
        return int(sum(m.sum() for m in dead_units(tr.net, tr.params, tr.x_train).values()))

    assert dead(load_preset("iris")) == 3 and dead(scaled("iris", "standard")) == 0


def test_scale_round_trips_and_survives_a_runfile(tmp_path):
    from nntui.engine.runfile import save_run
    from nntui.experiment.runs import load_run

    cfg = scaled("moons", "standard")
    assert config_from_dict(cfg.to_dict(), cfg.source) == cfg
    tr = Trainer(cfg)
    tr.run(until_epochs=3)
    back = load_run(save_run(tr, tmp_path / "r.npz"))
    assert np.array_equal(back.x_train, tr.x_train)
    back.run(until_epochs=6)
    tr.run(until_epochs=6)
    assert back.history == tr.history


@pytest.mark.parametrize("scale", ["standard", "minmax"])
def test_nntui_train_takes_it(scale, tmp_path):
    import json
    import subprocess
    import sys

    preset = tmp_path / "p.toml"
    preset.write_text(f'[data]\ndataset = "xor"\nscale = "{scale}"\n[model]\nlayers = [2, 4, 1]\n[train]\nepochs = 5\n')
    p = subprocess.run([sys.executable, "-m", "nntui", "train", str(preset), "--json"], capture_output=True,
                       text=True, timeout=120)
    assert p.returncode == 0, p.stderr
    assert json.loads(p.stdout)["epochs"] == 5


def test_the_controls_scale_edit_brings_iris_units_alive_as_its_lesson_says():
    from nntui.experiment.edits import edit

    def dead(config):
        tr = Trainer(config)
        return int(sum(m.sum() for m in dead_units(tr.net, tr.params, tr.x_train).values()))

    iris = load_preset("iris")
    assert "standard in the controls" in iris.description
    scaled_iris = edit(iris, "data.scale", "standard")
    assert scaled_iris.data.scale == "standard"
    assert dead(iris) == 3 and dead(scaled_iris) == 0


def test_the_apps_views_feed_the_network_scaled_inputs():
    """The views compute their own forward passes (the boundary's grid, the unit maps,
    the dead units, the hidden space, the image views): each scales its points as the
    trainer does, or it would draw another model than the one training."""
    from nntui.app.widgets.boundary import BoundaryView, network_for
    from nntui.app.widgets.hidden_space import hidden_plane
    from nntui.app.widgets.unitmaps import plane_inputs, unit_maps
    from types import SimpleNamespace

    from nntui.engine.units import layer_activations

    tr = Trainer(scaled("iris", "standard"))
    tr.run(until_epochs=3)
    s = tr.snapshot()
    assert s.input_scale is not None and np.array_equal(s.input_scale[0], tr.scaler.shift)
    raw = tr.dataset.x_train
    assert np.array_equal(plane_inputs(raw, (), s.input_scale), tr.x_train)
    view = SimpleNamespace(snapshot=s, _params32=None)
    assert np.allclose(BoundaryView._predict(view, raw), tr.predict(raw), atol=1e-5)  # float32 for the picture
    unscaled = Trainer(load_preset("iris")).snapshot()
    assert unscaled.input_scale is None

    moons = Trainer(scaled("moons", "minmax"))
    s = moons.snapshot()
    plane = np.array([[0.0, 0.0], [1.0, 0.5]])
    maps = unit_maps(network_for(s), s.params, plane, s.features, s.input_scale)
    assert np.allclose(maps[-1], moons.predict(plane))
    points, _ = hidden_plane(network_for(s), s.params, s.features, plane, np.array([-1.0, -1.0]), np.array([1.0, 1.0]), 1, (0, 1), s.input_scale)
    assert np.allclose(points, layer_activations(moons.net, moons.params, moons.inputs(plane))[1][:, :2])
