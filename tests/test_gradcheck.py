"""The backward pass against central finite differences, on random small nets,
every hidden activation and every output + loss pair, drawn by hypothesis."""

from __future__ import annotations

import dataclasses
from types import SimpleNamespace as NS

import numpy as np
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from nntui.experiment.config import config_from_dict
from nntui.engine.datasets import Dataset
from nntui.engine.gradcheck import gradcheck
from nntui.engine.trainer import Trainer

TOL = 1e-6
HIDDEN = ["identity", "sigmoid", "tanh", "relu", "leaky_relu", "elu", "gelu", "softplus"]
HEADS = [("sigmoid", "bce"), ("softmax", "cross_entropy"), ("linear", "mse"), ("sigmoid", "mse"),
         ("tanh", "mse")]


def make_trainer(sizes, activation, output, loss, n, seed, init="normal", scale=1.0):
    """A Trainer on random data of the right kind for the head (never exactly 0,
    so no ReLU sits on its kink)."""
    rng = np.random.default_rng(seed)
    k = sizes[-1]
    x = rng.normal(size=(n, sizes[0])) * scale
    if loss == "cross_entropy":
        y, task = rng.integers(0, k, n), "multiclass"
    elif loss == "bce":
        y, task = (rng.random((n, k)) < 0.5).astype(np.float64), "binary"
    else:
        y, task = rng.normal(size=(n, k)), "regression"
    classes = tuple(str(i) for i in range(k)) if task == "multiclass" else (("0", "1") if task == "binary" else ())
    ds = Dataset(x, y, x[:0], y[:0], task, classes, tuple(f"x{i}" for i in range(sizes[0])), "random")
    config = NS(
        data=None,
        model=NS(layers=tuple(sizes), activation=activation, output=output, init=init, seed=seed, weights=None),
        train=NS(loss=loss, optimizer="sgd", learning_rate=0.1, batch_size=n, epochs=1, options={},
                 target_loss=None),
    )
    return Trainer(config, ds)


@st.composite
def nets(draw):
    output, loss = draw(st.sampled_from(HEADS))
    n_in = draw(st.integers(1, 3))
    hidden = draw(st.lists(st.integers(1, 4), min_size=0, max_size=2))
    n_out = draw(st.integers(2, 3)) if loss == "cross_entropy" else draw(st.integers(1, 2))
    return dict(
        sizes=(n_in, *hidden, n_out),
        activation=draw(st.sampled_from(HIDDEN)),
        output=output,
        loss=loss,
        n=draw(st.integers(1, 5)),
        seed=draw(st.integers(0, 2**32 - 1)),
        init=draw(st.sampled_from(["normal", "torch_default", "xavier_normal", "he"])),
    )


@settings(max_examples=25, deadline=None, derandomize=True,
          suppress_health_check=[HealthCheck.too_slow])
@given(nets())
def test_gradients_match_finite_differences(net):
    tr = make_trainer(**net)
    errors = gradcheck(tr)
    assert set(errors) == set(tr.net.param_names)
    assert max(errors.values()) < TOL, errors


@pytest.mark.parametrize("activation", HIDDEN)
@pytest.mark.parametrize("output, loss", HEADS)
def test_every_activation_with_every_head(activation, output, loss):
    # The same check, exhaustively over the pairs, on one 2-3-2 net each.
    tr = make_trainer((2, 3, 2), activation, output, loss, n=4, seed=11)
    errors = gradcheck(tr)
    assert max(errors.values()) < TOL, errors


def test_a_wrong_derivative_is_caught():
    tr = make_trainer((2, 3, 1), "tanh", "linear", "mse", n=4, seed=3)
    assert max(gradcheck(tr).values()) < TOL
    tanh = tr.net.hidden
    # A subtly wrong f'; df_into=None makes the backward pass use it (tanh's own
    # in-place form is checked against its df in test_engine).
    tr.net.hidden = dataclasses.replace(tanh, df=lambda z, a: 1.0 - 0.9 * a * a, df_into=None)
    errors = gradcheck(tr)
    assert errors["W1"] > 1e-3 and errors["b1"] > 1e-3
    assert errors["W2"] < TOL  # only the layers below the bad derivative are wrong


def test_a_wrong_loss_delta_is_caught():
    tr = make_trainer((2, 2, 3), "relu", "softmax", "cross_entropy", n=5, seed=4)
    good = tr.loss
    tr.loss = dataclasses.replace(good, delta=lambda z, a, y, out: good.delta(z, a, y, out) * 2)  # sum, not mean
    assert min(gradcheck(tr).values()) > 0.1


def test_given_batch_and_the_default_first_batch():
    tr = make_trainer((3, 4, 1), "gelu", "sigmoid", "bce", n=6, seed=5)
    rng = np.random.default_rng(0)
    X, y = rng.normal(size=(3, 3)), np.array([[1.0], [0.0], [1.0]])
    assert max(gradcheck(tr, X, y).values()) < TOL
    g = tr.gradients(X, y)
    assert {k: v.shape for k, v in g.items()} == {k: v.shape for k, v in tr.params.items()}


def test_step_units_are_refused():
    d = {"data": {"dataset": "and_gate", "seed": 0},
         "model": {"layers": [2, 1], "activation": "step", "output": "step", "init": "zeros", "seed": 0},
         "train": {"loss": "perceptron", "optimizer": "perceptron", "learning_rate": 0.1, "batch_size": 4,
                   "epochs": 10}}
    with pytest.raises(ValueError, match="step"):
        gradcheck(Trainer(config_from_dict(d, "p.toml")))


def test_a_config_is_accepted_as_well_as_a_trainer():
    d = {"data": {"dataset": "xor", "samples": 40, "noise": 0.0, "validation": 0.0, "seed": 1},
         "model": {"layers": [2, 4, 1], "activation": "tanh", "output": "sigmoid", "init": "xavier", "seed": 0},
         "train": {"loss": "bce", "optimizer": "sgd", "learning_rate": 0.1, "batch_size": 8, "epochs": 10}}
    config = config_from_dict(d, "xor.toml")
    by_config = gradcheck(config)
    assert by_config == gradcheck(Trainer(config))
    assert max(by_config.values()) < TOL
