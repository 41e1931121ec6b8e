"""The numbers behind the gradient view, the hidden space and the live
landscape, checked against the engine without the app."""

from __future__ import annotations

import numpy as np
from rich.console import Console

from nntui.app.widgets import gradients, hidden_space
from nntui.app.widgets.landscape import GRID, live_job
from nntui.engine import landscape as ls
from nntui.engine.trainer import Trainer
from nntui.experiment.config import config_from_dict
from nntui.experiment.presets import load_preset


def two_unit_net(epochs=40, **model):
    return Trainer(config_from_dict({
        "data": {"dataset": "circle", "samples": 120, "noise": 0.0, "validation": 0.25, "seed": 1},
        "model": {"layers": [2, 6, 2, 1], "activation": "tanh", "output": "sigmoid", "init": "xavier", "seed": 0,
                  **model},
        "train": {"loss": "bce", "optimizer": "adam", "learning_rate": 0.03, "batch_size": 16, "epochs": epochs},
    }, "two.toml"))


def plain(text) -> str:
    console = Console(width=200, color_system=None, record=True)
    console.print(text)
    return console.export_text()


def test_the_gradient_chart_puts_each_layer_at_its_norm():
    tr = Trainer(load_preset("vanishing"))
    tr.run(until_epochs=6)
    norms = gradients.series(tr.snapshot())
    assert list(norms) == [f"W{l}" for l in range(1, 7)]
    text = plain(gradients.chart_lines(norms, 60, 14, few=True))
    lines = text.splitlines()
    r = norms["W1"][-1] / norms["W6"][-1]
    assert f"W1/W6 = 1/{1 / r:.3g}" in lines[0] and "1..6 = W1..W6" in lines[0]
    plot = lines[1:-1]
    # The last column: each layer's digit on the row of its log norm, deeper layers higher.
    rows = {d: next(i for i, line in enumerate(plot) if line.rstrip().endswith(d)) for d in "16"}
    assert rows["6"] < rows["1"]
    labels = [line[:6].strip() for line in plot if line[:6].strip()]
    assert labels and all(label.startswith("1e") for label in labels)
    assert lines[-1].strip().startswith("epoch 1") and lines[-1].strip().endswith("6")


def test_the_gradient_chart_before_an_epoch_says_what_it_waits_for():
    tr = Trainer(load_preset("xor"))
    assert "train an epoch" in plain(gradients.chart_lines(gradients.series(tr.snapshot()), 60, 10, few=False))


def test_the_hidden_plane_is_the_layers_own_activations():
    tr = two_unit_net()
    tr.run()
    s, d = tr.snapshot(), tr.dataset
    lo, hi = np.array([-1.0, -1.0]), np.array([1.0, 1.0])
    pts, lines = hidden_space.hidden_plane(tr.net, s.params, s.features, d.x_train, lo, hi, 1, (2, 4))
    a1 = np.tanh(d.x_train @ s.params["W1"] + s.params["b1"])
    assert np.allclose(pts, a1[:, [2, 4]], atol=1e-14)
    # The first grid line is x1 = lo, from x2 = lo to x2 = hi, mapped through layer 1.
    start = np.tanh(np.array([[-1.0, -1.0]]) @ s.params["W1"] + s.params["b1"])[0, [2, 4]]
    assert lines.shape == (2 * hidden_space.GRID_LINES, hidden_space.LINE_POINTS, 2)
    assert np.allclose(lines[0, 0], start, atol=1e-14)


def test_the_decision_regions_in_the_last_2_unit_layer_are_the_networks_classes():
    tr = two_unit_net()
    tr.run()
    s, d = tr.snapshot(), tr.dataset
    pts, _ = hidden_space.hidden_plane(tr.net, s.params, s.features, d.x_val, np.zeros(2), np.ones(2), 2, (0, 1))
    got = hidden_space.decision_classes(tr.net, s.params, pts[:, 0], pts[:, 1], "binary")
    want = (tr.predict(d.x_val)[:, 0] >= 0.5).astype(int)
    assert (got == want).all()
    assert tr.evaluate()["val_accuracy"] > 0.9  # a plane the output's line separates
    text = plain(hidden_space.draw(s, d, 2, (0, 1), 70, 18, few=True))
    assert "output's regions" in text.splitlines()[0] and "o" in text and "x" in text


def test_the_hidden_space_holds_a_unit_switched_off_at_0():
    tr = two_unit_net(epochs=3)
    tr.run()
    tr.switch_off([(1, 3)])
    s = tr.snapshot()
    pts, _ = hidden_space.hidden_plane(hidden_space.network_for(s), s.params, s.features, tr.dataset.x_train,
                                       np.zeros(2), np.ones(2), 1, (3, 0))
    assert (pts[:, 0] == 0).all() and (pts[:, 1] != 0).any()
    assert "unit 3 off" in plain(hidden_space.draw(s, tr.dataset, 1, (3, 0), 70, 12, few=True))


def test_pairs_and_layers_of_the_hidden_space():
    assert hidden_space.hidden_layers((2, 6, 1, 3, 1)) == [1, 3]
    assert hidden_space.unit_pairs(3) == [(0, 1), (0, 2), (1, 2)]


def test_the_live_slice_is_centred_on_the_weights_now():
    tr = Trainer(load_preset("xor"))
    path = [dict(tr.params)]
    tr.run(until_epochs=5, callback=lambda t: path.append(dict(t.params)))
    job = live_job(tr.net, tr.loss, path, tr.x_train, tr.dataset.y_train)
    job.work(10.0)
    assert job.done and GRID % 2 == 1
    assert job.loss_grid[GRID // 2, GRID // 2] == tr.evaluate()["train_loss"]
    whole = ls.measure(tr.net, tr.loss, path, tr.x_train, tr.dataset.y_train, grid=GRID)
    assert np.allclose(job.loss_grid, whole.loss, rtol=1e-12)  # the CLI's slice, a row at a time
    assert np.allclose(job.project(path), whole.path, atol=1e-14)


def test_the_gradient_legend_names_every_layer_in_a_narrow_panel():
    tr = Trainer(load_preset("vanishing"))
    tr.run(until_epochs=3)
    norms = gradients.series(tr.snapshot())
    wide = plain(gradients.chart_lines(norms, 120, 10, few=False)).splitlines()[0]
    assert all(f"━W{l}" in wide for l in range(1, 7)) and "at epoch 3" in wide
    narrow = plain(gradients.chart_lines(norms, 64, 10, few=False)).splitlines()[0]
    assert "━W1" in narrow and all(f"━{l}" in narrow for l in range(2, 7))  # the last layer too
