"""`nntui landscape`: the training loss on a 2-D slice around the final weights,
with the path. With --axes the grid is checked against a forward pass written
here by hand; the default (PCA) directions against the loss at the trained
weights."""

from __future__ import annotations

import json

import numpy as np
import pytest
from click.testing import CliRunner

from nntui.cli import main
from nntui.engine import landscape
from nntui.engine.runfile import save_run
from nntui.engine.trainer import Trainer
from nntui.experiment.config import override
from nntui.experiment.presets import load_preset

EPOCHS = 12


def run(*args):
    return CliRunner().invoke(main, list(args))


def run_json(*args) -> dict:
    result = run("landscape", *args, "--json")
    assert result.exit_code == 0, result.stderr
    return json.loads(result.stdout)


def trained_xor(epochs=EPOCHS) -> Trainer:
    tr = Trainer(override(load_preset("xor"), epochs=epochs))
    tr.run()
    return tr


def hand_bce(params, X, y) -> float:
    """xor's 2-4-1 tanh net, sigmoid output, mean BCE: written out, not nntui's."""
    h = np.tanh(X @ params["W1"] + params["b1"])
    z = h @ params["W2"] + params["b2"]
    p = 1 / (1 + np.exp(-z))
    return float(-(y * np.log(p) + (1 - y) * np.log(1 - p)).mean())


def test_axes_give_the_exact_loss_and_the_path():
    r = run_json("xor", "--epochs", str(EPOCHS), "--axes", "W1[0,1],W2[3,0]", "--grid", "5", "--span", "0.7")
    assert r["axes"] == ["W1[0,1]", "W2[3,0]"]
    assert r["alpha"] == pytest.approx([-0.7, -0.35, 0, 0.35, 0.7], abs=1e-15) and r["beta"] == r["alpha"]
    tr = trained_xor()
    X, y = tr.x_train, tr.dataset.y_train
    for i, a in enumerate(r["alpha"]):
        for j, b in enumerate(r["beta"]):
            p = {k: np.array(v) for k, v in tr.params.items()}
            p["W1"][0, 1] += a
            p["W2"][3, 0] += b
            assert abs(r["loss"][i][j] - hand_bce(p, X, y)) < 1e-10
    # The path: the start, every epoch's end, the end at (0, 0) exactly.
    path = np.array(r["path"])
    assert len(path) == EPOCHS + 1 and path[-1].tolist() == [0.0, 0.0]
    start = tr.initial_params
    assert path[0].tolist() == [start["W1"][0, 1] - tr.params["W1"][0, 1], start["W2"][3, 0] - tr.params["W2"][3, 0]]
    again = Trainer(override(load_preset("xor"), epochs=3))
    again.run()
    assert path[3].tolist() == [again.params["W1"][0, 1] - tr.params["W1"][0, 1],
                                again.params["W2"][3, 0] - tr.params["W2"][3, 0]]


def test_default_directions_are_the_paths_principal_ones():
    r = run_json("xor", "--epochs", str(EPOCHS), "--grid", "7")
    assert r["axes"] == ["PC1", "PC2"]
    tr = trained_xor()
    assert r["loss"][3][3] == pytest.approx(tr.evaluate()["train_loss"], abs=1e-12)
    assert r["end_loss"] == pytest.approx(r["loss"][3][3], abs=1e-12)
    e1, e2 = r["explained"]
    assert 1 >= e1 >= e2 >= 0 and e1 + e2 <= 1 + 1e-12
    path = np.array(r["path"])
    assert len(path) == EPOCHS + 1 and path[-1].tolist() == [0.0, 0.0] and path[0][0] < 0
    span = max(r["alpha"])
    assert np.abs(path).max() <= span  # the default span holds the whole path


def test_pca_directions_are_those_of_the_centred_path():
    rng = np.random.default_rng(1)
    # A path that moves mostly along one known direction, a little along another.
    u, v = np.eye(6)[0], np.eye(6)[3]
    t = np.linspace(0, 1, 30)[:, None]
    offsets = (1 - t) * (-4 * u) + 0.3 * np.cos(2 * np.pi * t) * v + 1e-3 * rng.normal(size=(30, 6))
    offsets -= offsets[-1]
    d1, d2 = landscape.pca_directions(offsets)
    assert abs(d1 @ u) > 0.999 and abs(d2 @ v) > 0.99 and abs(d1 @ d2) < 1e-12
    assert offsets[0] @ d1 < 0
    centred = offsets - offsets.mean(axis=0)
    s = np.linalg.svd(centred, compute_uv=False)
    assert landscape.explained(offsets, d1, d2) == pytest.approx(tuple(s[:2] ** 2 / (s ** 2).sum()), rel=1e-12)
    # A straight path: the second direction is any orthogonal one, explaining nothing.
    line = np.outer(np.linspace(-1, 0, 5), u)
    d1, d2 = landscape.pca_directions(line)
    assert abs(d1 @ u) == pytest.approx(1) and abs(d1 @ d2) < 1e-12
    assert landscape.explained(line, d1, d2) == pytest.approx((1.0, 0.0), abs=1e-12)


def test_the_batched_surface_is_the_one_set_at_a_time_loss():
    tr = Trainer(load_preset("blobs"))  # softmax and cross-entropy, three classes
    tr.run_steps(30)
    rng = np.random.default_rng(0)
    names = landscape.names_of(tr.params)
    size = landscape.flatten(tr.params, names).size
    d1, d2 = rng.normal(size=size), rng.normal(size=size)
    alpha, beta = np.array([-0.5, 0.0, 0.25]), np.array([-0.1, 0.3])
    got = landscape.surface(tr.net, tr.loss, tr.params, tr.x_train, tr.dataset.y_train, d1, d2, alpha, beta)
    theta = landscape.flatten(tr.params, names)
    for i, a in enumerate(alpha):
        for j, b in enumerate(beta):
            p = landscape.unflatten(theta + a * d1 + b * d2, tr.params, names)
            assert got[i, j] == pytest.approx(landscape.loss_at(tr.net, tr.loss, p, tr.x_train, tr.dataset.y_train),
                                              rel=1e-12)


def test_a_runfile_is_replayed_for_its_path(tmp_path):
    tr = trained_xor()
    path = save_run(tr, tmp_path / "run.npz")
    from_file = run_json(str(path), "--grid", "5")
    from_preset = run_json("xor", "--epochs", str(EPOCHS), "--grid", "5")
    assert from_file["path"] == from_preset["path"] and from_file["loss"] == from_preset["loss"]
    assert "note" not in from_file
    more = run_json(str(path), "--grid", "5", "--epochs", "3")
    assert more["epochs"] == EPOCHS + 3 and len(more["path"]) == EPOCHS + 4


def test_a_run_changed_while_it_trained_is_drawn_from_start_to_end(tmp_path):
    tr = Trainer(override(load_preset("xor"), epochs=6))
    tr.run(until_epochs=3)
    tr.set_learning_rate(0.3)  # as the app's rate control does
    tr.run()
    r = run_json(str(save_run(tr, tmp_path / "run.npz")), "--grid", "5")
    assert len(r["path"]) == 2 and "changed while it trained" in r["note"]


def test_the_map_is_drawn_with_the_path():
    result = run("landscape", "xor", "--epochs", "20", "--grid", "21", "--ascii")
    assert result.exit_code == 0, result.stderr
    out = result.stdout
    assert "PC1 (" in out and "of the path's variance" in out and "training loss at the end (0, 0)" in out
    body = [line for line in out.splitlines() if line.rstrip().endswith("|") and "|" in line[:12]]
    assert len(body) >= 8 and any("S" in line for line in body) and any("E" in line for line in body)
    assert out.isascii()


@pytest.mark.parametrize("args, words", [
    (["--axes", "W9[0,0],W1[0,0]"], ["--axes", "W9", "W1, b1, W2, b2"]),
    (["--axes", "W1[2,0],W2[0,0]"], ["W1 has shape [2, 4]", "W1[1,3]"]),
    (["--axes", "W1[0,0]"], ["exactly two"]),
    (["--axes", "W1[0],W2[0,0]"], ["W1[row,column]"]),
    (["--axes", "W1[0,0],W1[0,0]"], ["two different"]),
    (["--axes", "lr,W1[0,0]"], ["W1[row,column]"]),
    (["--grid", "500"], ["--grid 500", "3 to 101"]),
    (["--span", "-1"], ["--span"]),
    (["--span", "nan"], ["--span"]),
    (["--epochs", "0"], ["--epochs 0"]),
])
def test_bad_flags_are_one_line(args, words):
    result = run("landscape", "xor", *args)
    assert result.exit_code == 2, (result.stdout, result.stderr)
    err = result.stderr
    assert err.startswith("nntui: error: ") and err.count("\n") == 1 and result.stdout == ""
    for w in words:
        assert w in err, err


def test_the_map_puts_alpha_across_and_beta_up():
    from nntui.text.landscape import SHADES, render

    g = landscape.offsets_grid(1.0, 5)
    loss = np.add.outer(10.0 * (g + 1), g + 1) + 1  # rises with alpha (fast) and beta (slowly)
    sl = landscape.Slice(("a", "b"), (0.5, 0.5), g, g, loss, np.array([[-1.0, 1.0], [0.0, 0.0]]))
    out = render(sl, cols=11, rows=5, ascii_only=True).plain.splitlines()
    body = [line[line.index("|") + 1:line.rindex("|")] for line in out[1:6]]
    assert body[4][0] == " " and body[0][-1] == "@"  # lowest bottom left, highest top right
    assert SHADES.index(body[2][1]) < SHADES.index(body[2][-1])  # rising to the right
    assert SHADES.index(body[0][3]) >= SHADES.index(body[4][3])  # higher beta at the top
    assert body[0][0] == "S" and body[2][5] == "E"  # the start at (-1, 1), the end at (0, 0)
