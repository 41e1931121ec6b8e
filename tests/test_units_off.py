"""A hidden unit switched off: its output held at 0 in training and in every
forward pass, its weights' gradients 0, kept in the runfile."""

from __future__ import annotations

import numpy as np
import pytest

from nntui.engine.gradcheck import gradcheck
from nntui.engine.runfile import RunfileError, save_run
from nntui.engine.trainer import Trainer
from nntui.experiment.config import config_from_dict
from nntui.experiment.runs import load_run


def config(**train):
    return config_from_dict({
        "data": {"dataset": "circle", "samples": 60, "noise": 0.1, "validation": 0.2, "seed": 2},
        "model": {"layers": [2, 5, 4, 1], "activation": "tanh", "output": "sigmoid", "init": "xavier", "seed": 1},
        "train": {"loss": "bce", "optimizer": "adam", "learning_rate": 0.05, "batch_size": 16, "epochs": 50, **train},
    }, "off.toml")


def test_an_off_unit_outputs_0_everywhere_and_passes_nothing_on():
    tr = Trainer(config())
    tr.run_steps(7)
    tr.switch_off([(1, 2), (2, 0)])
    assert tr.net.off == {(1, 2), (2, 0)}
    X = tr.dataset.x_val
    cut = {k: np.array(v) for k, v in tr.params.items()}
    cut["W2"][2, :] = 0  # what unit 2 of layer 1 sends on
    cut["W3"][0, :] = 0  # what unit 0 of layer 2 sends on
    plain = Trainer(config())
    assert np.allclose(tr.predict(X), plain.net.forward(cut, X), rtol=0, atol=1e-15)
    tr.next_phase()
    tr.next_phase()
    snap = tr.snapshot()
    assert (snap.a[1][:, 2] == 0).all() and snap.off == frozenset({(1, 2), (2, 0)})


def test_an_off_units_weights_get_no_gradient_and_the_rest_check_out():
    tr = Trainer(config())
    tr.switch_off([(2, 1)])
    g = tr.gradients(tr.x_train, tr.dataset.y_train)
    assert (g["W2"][:, 1] == 0).all() and g["b2"][1] == 0 and (g["W3"][1, :] == 0).all()
    assert max(gradcheck(tr).values()) < 1e-6  # backprop agrees with the masked forward pass
    before = {k: v.copy() for k, v in tr.params.items()}
    tr.run_steps(20)
    assert (tr.params["W2"][:, 1] == before["W2"][:, 1]).all()  # adam never moves them: no gradient
    tr.switch_off([])
    assert tr.net.off == frozenset() and all(k is None for k in tr.net.keep)


def test_the_runfile_keeps_the_units_off_and_resumes_exactly(tmp_path):
    straight = Trainer(config())
    straight.run_steps(5)
    straight.switch_off([(1, 0)])
    straight.run_steps(15)
    tr = Trainer(config())
    tr.run_steps(5)
    tr.switch_off([(1, 0)])
    tr.run_steps(6)
    back = load_run(save_run(tr, tmp_path / "run.npz"))
    assert back.net.off == {(1, 0)}
    back.run_steps(9)
    assert all(np.array_equal(back.params[k], straight.params[k]) for k in straight.params)
    assert back.history == straight.history


@pytest.mark.parametrize("off, words", [
    ([[3, 0]], "only hidden units"),
    ([[1, 9]], "layer 1 has units 0 to 4"),
    ([[1]], "[layer, unit] pairs"),
    ("1,2", "[layer, unit] pairs"),
])
def test_a_bad_list_of_units_off_is_refused(tmp_path, off, words):
    import json

    tr = Trainer(config())
    tr.run_steps(3)
    path = save_run(tr, tmp_path / "run.npz")
    with np.load(path) as f:
        arrays = dict(f)
    meta = json.loads(str(arrays["meta"]))
    meta["off"] = off
    arrays["meta"] = np.array(json.dumps(meta))
    bad = tmp_path / "bad.npz"
    np.savez(bad, **arrays)
    with pytest.raises(RunfileError, match="meta 'off'") as info:
        load_run(bad)
    assert words in str(info.value)


def test_export_refuses_a_run_with_units_off():
    from nntui.experiment.export import ExportError, pytorch_script

    tr = Trainer(config())
    tr.switch_off([(1, 3)])
    with pytest.raises(ExportError, match="unit 3 of layer 1 switched off"):
        pytorch_script(tr, 2)
