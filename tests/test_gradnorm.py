"""history's grad_norm: each weight matrix's batch-gradient norm, averaged over
an epoch's steps, equal to torch autograd's; kept through rewinds, runfiles
and `train --json`."""

from __future__ import annotations

import json

import numpy as np
import pytest
from click.testing import CliRunner

from nntui.cli import main
from nntui.engine import gradnorm
from nntui.engine.runfile import save_run
from nntui.engine.trainer import Trainer
from nntui.experiment.config import config_from_dict
from nntui.experiment.runs import load_run

DEEP = [2, 6, 6, 6, 6, 6, 1]


def deep_sigmoid(**train):
    return config_from_dict({
        "data": {"dataset": "circle", "samples": 90, "noise": 0.1, "validation": 0.2, "seed": 5},
        "model": {"layers": DEEP, "activation": "sigmoid", "output": "sigmoid", "init": "xavier", "seed": 3},
        "train": {"loss": "bce", "optimizer": "sgd", "learning_rate": 0.5, "batch_size": 20, "epochs": 4,
                  **train},
    }, "deep.toml")


def torch_norms(torch, params, X, y, L):
    """Per weight matrix, ||dL/dW|| of the BCE loss by torch autograd."""
    W = {k: torch.tensor(v, dtype=torch.float64, requires_grad=True) for k, v in params.items()}
    a = torch.tensor(X, dtype=torch.float64)
    for l in range(1, L + 1):
        z = a @ W[f"W{l}"] + W[f"b{l}"]
        a = torch.sigmoid(z)
    loss = torch.nn.functional.binary_cross_entropy_with_logits(z, torch.tensor(y, dtype=torch.float64))
    loss.backward()
    return [W[f"W{l}"].grad.norm().item() for l in range(1, L + 1)]


def test_grad_norm_is_torch_autograds_on_a_deep_sigmoid_net(torch):
    # L2 and L1 on: the norms are of the loss's gradient alone, before the optimizer adds them.
    tr = Trainer(deep_sigmoid(weight_decay=0.01, l1=0.001, momentum=0.9))
    L = tr.net.L
    assert tr.batches_per_epoch == 4  # 72 rows in batches of 20: the last one short
    want = []
    for _ in range(3):
        sums = np.zeros(L)
        for _ in range(tr.batches_per_epoch):
            idx = tr.batch_indices()
            sums += torch_norms(torch, tr.params, tr.x_train[idx], tr.dataset.y_train[idx], L)
            tr.train_step()
        want.append(sums / tr.batches_per_epoch)
    got = gradnorm.as_dict(tr.history)
    assert list(got) == [f"W{l}" for l in range(1, L + 1)]
    np.testing.assert_allclose(np.array([got[f"W{l}"] for l in range(1, L + 1)]).T, want, rtol=1e-9, atol=0)
    # The vanishing gradient itself: the first layer's far below the last's.
    assert got["W1"][0] < got[f"W{L}"][0] / 100


def test_phase_mode_and_fast_play_record_the_same_norms():
    a, b = Trainer(deep_sigmoid()), Trainer(deep_sigmoid())
    a.run_steps(9)
    for _ in range(9):
        b.finish_step()
    assert gradnorm.as_dict(a.history) == gradnorm.as_dict(b.history)
    assert len(a.history["grad_norm_W1"]) == 2


def test_rewind_and_resume_keep_the_norms(tmp_path):
    straight = Trainer(deep_sigmoid())
    straight.run_steps(14)
    tr = Trainer(deep_sigmoid())
    tr.run_steps(10)  # mid-epoch: the epoch's running sums are saved too
    for _ in range(3):
        tr.step_back()
    assert len(tr.history["grad_norm_W1"]) == 1
    tr.run_steps(3)
    back = load_run(save_run(tr, tmp_path / "run.npz"))
    back.run_steps(4)
    assert back.history == straight.history and len(back.history["grad_norm_W6"]) == 3


def test_train_json_prints_the_norms_per_matrix(tmp_path):
    path = tmp_path / "deep.toml"
    path.write_text("""
[data]
dataset = "circle"
samples = 90
[model]
layers = [2, 6, 6, 6, 6, 6, 1]
activation = "sigmoid"
init = "xavier"
[train]
loss = "bce"
optimizer = "sgd"
learning_rate = 0.5
batch_size = 20
epochs = 3
""")
    r = json.loads(CliRunner().invoke(main, ["train", str(path), "--json"]).stdout)
    norms = r["history"]["grad_norm"]
    assert list(norms) == ["W1", "W2", "W3", "W4", "W5", "W6"]
    assert all(len(v) == 3 and all(x > 0 for x in v) for v in norms.values())
    tr = Trainer(config_from_dict({
        "data": {"dataset": "circle", "samples": 90},
        "model": {"layers": DEEP, "activation": "sigmoid", "init": "xavier"},
        "train": {"loss": "bce", "optimizer": "sgd", "learning_rate": 0.5, "batch_size": 20, "epochs": 3},
    }, str(path)))
    tr.run()
    assert norms == gradnorm.as_dict(tr.history)


def test_a_runfile_with_norms_for_another_net_is_refused(tmp_path):
    from nntui.engine.runfile import RunfileError

    tr = Trainer(deep_sigmoid())
    tr.run_steps(5)
    path = save_run(tr, tmp_path / "run.npz")
    with np.load(path) as f:
        arrays = dict(f)
    arrays["history_grad_norm_W9"] = arrays["history_grad_norm_W1"]
    bad = tmp_path / "bad.npz"
    np.savez(bad, **arrays)
    with pytest.raises(RunfileError, match="history_grad_norm_W9"):
        load_run(bad)
    del arrays["history_grad_norm_W9"], arrays["history_grad_norm_W3"]
    np.savez(bad, **arrays)
    with pytest.raises(RunfileError, match="missing member 'history_grad_norm_W3'"):
        load_run(bad)
