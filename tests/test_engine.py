"""The engine's own contract: activations, initializers and losses against known
values and direct formulas; the perceptron on the logic gates; determinism of
the step machine (phase mode = fast play, rewinding); divergence caught and
undone; and what a snapshot shows after every phase.

Runfiles are in test_runfile.py and the finite-difference check in
test_gradcheck.py.
"""

from __future__ import annotations

import copy
import dataclasses
import math
import warnings

import numpy as np
import pytest

from nntui.experiment.config import config_from_dict
from nntui.engine import initializers as inits
from nntui.engine.activations import ACTIVATIONS, OUTPUTS, softmax
from nntui.engine.losses import LOSSES
from nntui.engine.snapshot import BACKWARD, FORWARD, LOSS, UPDATE
from nntui.engine.trainer import REWIND_DEPTH, Diverged, Trainer

# ------------------------------------------------------------------ helpers


def preset(data=None, model=None, train=None):
    """A checked Config from a small preset dict. Each keyword dict overrides the
    defaults key by key; a value of None removes the key."""
    d = {
        "data": {"dataset": "circle", "samples": 50, "noise": 0.1, "validation": 0.2, "seed": 3},
        "model": {"layers": [2, 5, 3, 1], "activation": "tanh", "output": "sigmoid",
                  "init": "xavier", "seed": 7},
        "train": {"loss": "bce", "optimizer": "sgd", "learning_rate": 0.1, "batch_size": 16,
                  "epochs": 1000},
    }
    for key, over in (("data", data), ("model", model), ("train", train)):
        merged = {**d[key], **(over or {})}
        d[key] = {k: v for k, v in merged.items() if v is not None}
    return config_from_dict(d, "test.toml")


def gate(dataset, lr=0.1, init="zeros", seed=0):
    """Rosenblatt's perceptron on a 4-row truth table, full batch."""
    return preset(
        data={"dataset": dataset, "seed": 0, "samples": None, "noise": None, "validation": None},
        model={"layers": [2, 1], "activation": "step", "output": "step", "init": init, "seed": seed},
        train={"loss": "perceptron", "optimizer": "perceptron", "learning_rate": lr, "batch_size": 4},
    )


def frozen(params):
    """A deep copy of a dict of arrays, to compare against later."""
    return {k: np.array(v, copy=True) for k, v in params.items()}


def same(p, q):
    return p.keys() == q.keys() and all(np.array_equal(p[k], q[k]) for k in p)


def finite(params):
    return all(np.isfinite(v).all() for v in params.values())


# Three configs that exercise the step machine differently: several batches an
# epoch with a short last one, an optimizer with state, softmax + cross-entropy.
MACHINES = {
    "sgd-momentum": dict(train={"optimizer": "sgd", "momentum": 0.9, "nesterov": True, "batch_size": 12}),
    "adam-relu": dict(model={"activation": "relu"}, train={"optimizer": "adam", "learning_rate": 0.01}),
    "rmsprop-centered-softmax": dict(
        data={"dataset": "blobs", "classes": 3},
        model={"layers": [2, 4, 3], "activation": "elu", "output": "softmax", "init": "he"},
        train={"loss": "cross_entropy", "optimizer": "rmsprop", "centered": True, "momentum": 0.5,
               "learning_rate": 0.01, "batch_size": 7},
    ),
    # One batch an epoch: the order is fixed once, with no per-epoch bookkeeping.
    "full-batch-relu-l2": dict(
        data={"dataset": "spiral", "samples": 60},
        model={"layers": [2, 8, 1], "activation": "relu", "init": "he"},
        train={"weight_decay": 1e-3, "learning_rate": 0.5, "batch_size": 1000},
    ),
}


def machine(name):
    return preset(**MACHINES[name])


# -------------------------------------------------------------- activations


def test_activation_known_values():
    z = np.array([[-2.0, -1.0, 0.0, 1.0, 2.0]])
    A = ACTIVATIONS
    # gelu: the exact erf form, torch.nn.GELU() default (not the tanh approximation).
    gelu = [-0.04550026389635842, -0.15865525393145707, 0.0, 0.8413447460685429, 1.9544997361036416]
    np.testing.assert_allclose(A["gelu"].f(z)[0], gelu, rtol=1e-15, atol=1e-17)
    approx = 0.5 * 1.0 * (1 + math.tanh(math.sqrt(2 / math.pi) * (1.0 + 0.044715)))
    assert abs(A["gelu"].f(np.array([[1.0]]))[0, 0] - approx) > 1e-5  # really not the tanh form
    np.testing.assert_array_equal(A["leaky_relu"].f(z)[0], [-0.02, -0.01, 0.0, 1.0, 2.0])
    np.testing.assert_array_equal(A["leaky_relu"].df(z, None)[0], [0.01, 0.01, 0.01, 1.0, 1.0])
    np.testing.assert_allclose(A["elu"].f(z)[0], [math.exp(-2) - 1, math.exp(-1) - 1, 0.0, 1.0, 2.0],
                               rtol=1e-15)
    np.testing.assert_allclose(A["elu"].df(z, None)[0], [math.exp(-2), math.exp(-1), 1.0, 1.0, 1.0],
                               rtol=1e-15)
    np.testing.assert_array_equal(A["relu"].f(z)[0], [0, 0, 0, 1, 2])
    np.testing.assert_array_equal(A["relu"].df(z, None)[0], [0, 0, 0, 1, 1])  # torch: 0 at 0
    np.testing.assert_allclose(A["tanh"].f(z)[0], np.tanh(z[0]), rtol=0)
    np.testing.assert_allclose(A["sigmoid"].f(z)[0], [1 / (1 + math.exp(2)), 1 / (1 + math.e), 0.5,
                                                      1 / (1 + math.exp(-1)), 1 / (1 + math.exp(-2))],
                               rtol=1e-15)
    np.testing.assert_array_equal(A["identity"].f(z), z)
    assert A["linear"] is A["identity"]


def test_step_is_one_at_zero():
    step = ACTIVATIONS["step"]
    np.testing.assert_array_equal(step.f(np.array([[-1.0, -1e-300, 0.0, -0.0, 1e-300, 3.0]]))[0],
                                  [0, 0, 1, 1, 1, 1])
    assert OUTPUTS["step"] is step


def test_softplus_threshold_and_stability():
    sp = ACTIVATIONS["softplus"]
    z = np.array([[-800.0, -30.0, 0.0, 19.0, 20.0, 20.5, 25.0, 800.0]])
    a = sp.f(z)[0]
    assert np.isfinite(a).all()
    assert a[0] == 0.0 or a[0] < 1e-300
    assert a[1] == pytest.approx(math.exp(-30), rel=1e-12)
    assert a[2] == pytest.approx(math.log(2), rel=1e-15)
    assert a[3] == pytest.approx(math.log1p(math.exp(19)), rel=1e-15)
    assert a[4] == pytest.approx(math.log1p(math.exp(20)), rel=1e-15)  # threshold itself: log form
    # Above torch's threshold 20 softplus is the identity, exactly.
    assert a[5] == 20.5 and a[6] == 25.0 and a[7] == 800.0
    d = sp.df(z, None)[0]
    assert d[5] == d[6] == d[7] == 1.0
    assert d[2] == 0.5
    assert d[3] == pytest.approx(1 / (1 + math.exp(-19)), rel=1e-15)


def test_sigmoid_saturates_without_overflow():
    with warnings.catch_warnings():
        warnings.simplefilter("error")  # no overflow warning either
        s = ACTIVATIONS["sigmoid"].f(np.array([[-1000.0, -745.0, 0.0, 745.0, 1000.0]]))[0]
    assert 0.0 <= s[0] < 1e-300 and s[-1] == 1.0 and s[2] == 0.5
    assert np.isfinite(s).all()


def test_softmax_rows_sum_to_one_and_are_stable():
    z = np.array([[1000.0, 1000.0, 999.0], [-1000.0, 0.0, 1000.0], [1.0, 2.0, 3.0]])
    p = softmax(z)
    assert np.isfinite(p).all()
    np.testing.assert_allclose(p.sum(axis=1), 1.0, rtol=1e-15)
    e = np.exp([1.0, 2.0, 3.0])
    np.testing.assert_allclose(p[2], e / e.sum(), rtol=1e-15)
    np.testing.assert_allclose(p[0], [1 / (2 + math.exp(-1))] * 2 + [math.exp(-1) / (2 + math.exp(-1))],
                               rtol=1e-14)


@pytest.mark.parametrize("name", ["identity", "sigmoid", "tanh", "relu", "leaky_relu", "elu", "gelu",
                                  "softplus"])
def test_activation_derivative_matches_finite_difference(name):
    act = ACTIVATIONS[name]
    rng = np.random.default_rng(1)
    z = rng.uniform(-4, 4, (6, 5))
    z = z[np.abs(z) > 1e-3].reshape(1, -1)  # away from the kinks at 0
    h = 1e-6
    numeric = (act.f(z + h) - act.f(z - h)) / (2 * h)
    np.testing.assert_allclose(act.df(z, act.f(z)), numeric, rtol=1e-7, atol=1e-9)


@pytest.mark.parametrize("name", sorted(set(ACTIVATIONS) | set(OUTPUTS)))
def test_backprop_is_g_times_df_bit_for_bit(name):
    # The backward pass uses backprop (g * f'(z) written into g); the inspector,
    # gradcheck and the docs speak of df. They must be the same numbers, also at
    # the kink (0, -0.0), at the extremes and for NaN and inf.
    act = ACTIVATIONS.get(name) or OUTPUTS[name]
    rng = np.random.default_rng(5)
    z = np.concatenate([rng.normal(0, 3, 40), [0.0, -0.0, 1e-300, -1e-300, 30.0, -30.0, 800.0, -800.0,
                                                np.inf, -np.inf, np.nan]]).reshape(3, -1)
    with np.errstate(all="ignore"):
        a = act.f(z)
        g = rng.normal(0, 1, z.shape)
        g[0, :4] = [0.0, -0.0, np.inf, np.nan]
        want = g * act.df(z, a)
        mine = g.copy()
        out = act.backprop(mine, z, a)
    assert out is mine  # written into g: no new array
    assert np.array_equal(out, want, equal_nan=True)
    assert np.array_equal(np.signbit(out), np.signbit(want))  # even the sign of a zero


def test_gains_are_torchs():
    g = {n: ACTIVATIONS[n].gain for n in ("identity", "sigmoid", "tanh", "relu", "leaky_relu")}
    assert g == {"identity": 1.0, "sigmoid": 1.0, "tanh": 5 / 3, "relu": math.sqrt(2),
                 "leaky_relu": math.sqrt(2 / (1 + 0.01**2))}


# ------------------------------------------------------------- initializers


def _draw(name, fan_in, fan_out, gain=1.0, seed=0):
    return inits.INITIALIZERS[name](fan_in, fan_out, np.random.default_rng(seed), gain)


@pytest.mark.parametrize("name, gain, bound", [
    ("uniform", 1.0, 0.5),
    ("xavier", 1.0, math.sqrt(6 / (300 + 200))),
    ("xavier", 5 / 3, 5 / 3 * math.sqrt(6 / (300 + 200))),
    ("he", 1.0, math.sqrt(6 / 300)),
])
def test_uniform_initializers_fill_their_bounds(name, gain, bound):
    W, b = _draw(name, 300, 200, gain)
    assert W.shape == (300, 200) and b.shape == (200,)
    assert np.abs(W).max() <= bound
    assert np.abs(W).max() > 0.99 * bound  # the whole range is used, not a narrower one
    assert abs(W.std() - bound / math.sqrt(3)) < 0.01 * bound
    np.testing.assert_array_equal(b, 0.0)


@pytest.mark.parametrize("name, gain, std", [
    ("normal", 1.0, 0.5),
    ("xavier_normal", 1.0, math.sqrt(2 / (300 + 200))),
    ("xavier_normal", 5 / 3, 5 / 3 * math.sqrt(2 / (300 + 200))),
    ("he_normal", 1.0, math.sqrt(2 / 300)),
])
def test_normal_initializers_have_their_std(name, gain, std):
    W, b = _draw(name, 300, 200, gain)
    assert W.shape == (300, 200)
    assert abs(W.std() - std) < 0.01 * std  # 60,000 draws: the std is known to ~0.3%
    assert abs(W.mean()) < 0.02 * std
    np.testing.assert_array_equal(b, 0.0)


def test_torch_default_shape_and_range():
    W, b = _draw("torch_default", 50, 400)
    bound = 1 / math.sqrt(50)  # nn.Linear: U(-1/sqrt(fan_in), 1/sqrt(fan_in)) for W and b alike
    assert W.shape == (50, 400) and b.shape == (400,)
    for p in (W, b):
        assert np.abs(p).max() <= bound
        assert np.abs(p).max() > 0.98 * bound
    assert abs(W.std() - bound / math.sqrt(3)) < 0.02 * bound
    assert np.count_nonzero(b) == b.size  # the bias is drawn too, unlike the others


def test_zeros_and_seeding():
    W, b = _draw("zeros", 3, 4)
    assert W.shape == (3, 4) and not W.any() and not b.any()
    for name in ("uniform", "normal", "xavier", "he", "torch_default"):
        p = inits.init_params((2, 4, 1), [1.0, 1.0], name, 5)
        assert same(p, inits.init_params((2, 4, 1), [1.0, 1.0], name, 5))
        assert not np.array_equal(p["W1"], inits.init_params((2, 4, 1), [1.0, 1.0], name, 6)["W1"])
        assert [k for k in p] == ["W1", "b1", "W2", "b2"]
        assert p["W1"].shape == (2, 4) and p["W2"].shape == (4, 1)


def test_trainer_passes_each_layers_gain():
    tr = Trainer(preset(model={"layers": [2, 30, 1], "activation": "tanh", "init": "xavier"}))
    assert np.abs(tr.params["W1"]).max() > math.sqrt(6 / 32)  # tanh gain 5/3 widens layer 1
    assert np.abs(tr.params["W1"]).max() <= 5 / 3 * math.sqrt(6 / 32)
    assert np.abs(tr.params["W2"]).max() <= 1.0 * math.sqrt(6 / 31)  # sigmoid output: gain 1


def test_explicit_weights_are_used_exactly():
    weights = {"W1": [[0.1, -0.2, 0.3], [1e-300, 2.5, -7.0]], "b1": [0.0, 0.5, -0.25],
               "W2": [[1.0], [0.3333333333333333], [-2.0]], "b2": [0.125]}
    tr = Trainer(preset(model={"layers": [2, 3, 1], "init": "explicit", "weights": weights}))
    for k, v in weights.items():
        np.testing.assert_array_equal(tr.params[k], np.array(v))
        assert tr.params[k].dtype == np.float64
        np.testing.assert_array_equal(tr.initial_params[k], np.array(v))
    assert list(tr.params) == ["W1", "b1", "W2", "b2"]


# ------------------------------------------------------------------- losses


def test_mse_value_and_delta():
    rng = np.random.default_rng(0)
    a, y = rng.normal(size=(5, 3)), rng.normal(size=(5, 3))
    mse = LOSSES["mse"]
    assert mse.value(a, a, y) == pytest.approx(((a - y) ** 2).mean(), rel=1e-15)
    assert mse.value(np.array([[1.0, 2.0]]), np.array([[1.0, 2.0]]), np.array([[0.0, 4.0]])) == 2.5
    ident = OUTPUTS["linear"]
    np.testing.assert_allclose(mse.delta(a, a, y, ident), 2 * (a - y) / a.size, rtol=1e-15)
    z = rng.normal(size=(5, 3))
    s = OUTPUTS["sigmoid"].f(z)
    np.testing.assert_allclose(mse.delta(z, s, y, OUTPUTS["sigmoid"]), 2 * (s - y) / s.size * s * (1 - s),
                               rtol=1e-14)


def test_bce_value_and_delta():
    rng = np.random.default_rng(1)
    z = rng.normal(size=(6, 2)) * 3
    y = (rng.random((6, 2)) < 0.5).astype(float)
    p = 1 / (1 + np.exp(-z))
    direct = -(y * np.log(p) + (1 - y) * np.log(1 - p)).mean()
    bce = LOSSES["bce"]
    assert bce.value(z, p, y) == pytest.approx(direct, rel=1e-13)
    np.testing.assert_allclose(bce.delta(z, p, y, OUTPUTS["sigmoid"]), (p - y) / y.size, rtol=1e-15)


def test_bce_is_stable_at_huge_logits():
    bce = LOSSES["bce"]
    z = np.array([[1000.0], [-1000.0], [1000.0], [-1000.0]])
    y = np.array([[1.0], [0.0], [0.0], [1.0]])
    a = OUTPUTS["sigmoid"].f(z)
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        # right: 0 each; confidently wrong: |z| = 1000 each (log-sigmoid of -1000)
        assert bce.value(z[:2], a[:2], y[:2]) == 0.0
        assert bce.value(z[2:], a[2:], y[2:]) == 1000.0
        assert bce.value(z, a, y) == 500.0
        d = bce.delta(z, a, y, OUTPUTS["sigmoid"])
    np.testing.assert_allclose(d[:, 0], [0.0, 0.0, 0.25, -0.25], rtol=0, atol=1e-300)


def test_cross_entropy_value_and_delta():
    rng = np.random.default_rng(2)
    z = rng.normal(size=(5, 4)) * 2
    y = np.array([0, 3, 1, 1, 2])
    p = np.exp(z) / np.exp(z).sum(axis=1, keepdims=True)
    ce = LOSSES["cross_entropy"]
    assert ce.value(z, p, y) == pytest.approx(-np.log(p[np.arange(5), y]).mean(), rel=1e-13)
    onehot = np.eye(4)[y]
    np.testing.assert_allclose(ce.delta(z, softmax(z), y, OUTPUTS["softmax"]), (p - onehot) / 5,
                               rtol=1e-12, atol=1e-17)
    # stable for huge logits: the right class at +1000 costs 0, a wrong one 1000
    big = np.array([[1000.0, -1000.0], [1000.0, 0.0]])
    assert ce.value(big, softmax(big), np.array([0, 1])) == pytest.approx(500.0, rel=1e-15)


def test_perceptron_loss_is_fraction_misclassified():
    per = LOSSES["perceptron"]
    a = np.array([[1.0], [0.0], [1.0], [0.0]])
    y = np.array([[1.0], [1.0], [0.0], [0.0]])
    assert per.value(a, a, y) == 0.5
    np.testing.assert_array_equal(per.delta(a, a, y, OUTPUTS["step"]), a - y)


# --------------------------------------------------------------- perceptron


@pytest.mark.parametrize("dataset", ["and_gate", "or_gate", "nand_gate"])
@pytest.mark.parametrize("init, lr", [("zeros", 0.1), ("uniform", 1.0), ("normal", 0.05)])
def test_perceptron_learns_linearly_separable_gates(dataset, init, lr):
    tr = Trainer(gate(dataset, lr=lr, init=init, seed=3))
    tr.run(until_epochs=200)
    assert tr.history["train_accuracy"][-1] == 1.0
    assert tr.evaluate()["train_accuracy"] == 1.0
    x = tr.dataset.x_train
    truth = {"and_gate": x[:, 0] * x[:, 1], "or_gate": np.maximum(x[:, 0], x[:, 1]),
             "nand_gate": 1 - x[:, 0] * x[:, 1]}[dataset]
    np.testing.assert_array_equal(tr.predict(x)[:, 0], truth)
    np.testing.assert_array_equal(tr.dataset.y_train[:, 0], truth)
    # Converged means stopped: once every row is right, the rule changes nothing.
    before = frozen(tr.params)
    tr.run_steps(5)
    assert same(before, tr.params)


def test_perceptron_rule_is_rosenblatts():
    tr = Trainer(gate("and_gate", lr=0.5, init="uniform", seed=1))
    W, b = tr.params["W1"], tr.params["b1"]
    X, y = tr.dataset.x_train[tr.batch_indices()], tr.dataset.y_train[tr.batch_indices()]
    y_hat = (X @ W + b >= 0).astype(float)
    tr.train_step()
    np.testing.assert_allclose(tr.params["W1"], W + 0.5 * X.T @ (y - y_hat), rtol=0, atol=1e-15)
    np.testing.assert_allclose(tr.params["b1"], b + 0.5 * (y - y_hat).sum(axis=0), rtol=0, atol=1e-15)


@pytest.mark.parametrize("init, lr", [("zeros", 0.1), ("uniform", 1.0)])
def test_perceptron_never_solves_xor(init, lr):
    tr = Trainer(gate("xor_gate", lr=lr, init=init, seed=2))
    tr.run(until_epochs=1000)
    acc = tr.history["train_accuracy"]
    assert len(acc) == 1000
    assert max(acc) < 1.0
    assert max(acc) >= 0.5  # it is learning something, just never all four


# ------------------------------------------------------------- determinism


@pytest.mark.parametrize("name", list(MACHINES))
def test_same_seeds_same_run(name):
    a, b = Trainer(machine(name)), Trainer(machine(name))
    a.run_steps(37)
    b.run_steps(37)
    assert same(a.params, b.params)
    assert a.history == b.history
    assert same({k: v for k, s in a.optimizer.state.items() for k, v in s.items()},
                {k: v for k, s in b.optimizer.state.items() for k, v in s.items()})
    c = machine(name)
    other = Trainer(dataclasses.replace(c, model=dataclasses.replace(c.model, seed=c.model.seed + 1)))
    assert np.array_equal(other.dataset.x_train, a.dataset.x_train)  # same data seed, same data
    other.run_steps(37)
    assert not np.array_equal(a.params["W1"], other.params["W1"])


@pytest.mark.parametrize("name", list(MACHINES))
def test_phase_by_phase_equals_train_step(name):
    fast, slow = Trainer(machine(name)), Trainer(machine(name))
    n = 2 * fast.batches_per_epoch + 3  # across two epoch boundaries
    for _ in range(n):
        loss = fast.train_step()
        phases = []
        while True:
            phases.append(slow.next_phase())
            if slow.done == 0:
                break
        assert tuple(phases) == slow.phases
        assert slow.trace.loss == loss
        assert same(fast.params, slow.params)
        assert (fast.step, fast.epoch, fast.batch) == (slow.step, slow.epoch, slow.batch)
    assert fast.history == slow.history
    assert fast.optimizer.t == slow.optimizer.t == n


def test_train_step_finishes_a_step_in_progress():
    a, b = Trainer(machine("adam-relu")), Trainer(machine("adam-relu"))
    a.run_steps(3)
    b.run_steps(2)
    b.next_phase()
    b.next_phase()  # forward 1, forward 2
    b.train_step()  # the rest of step 3, not a new step
    assert b.step == 3 and b.done == 0
    assert same(a.params, b.params)


def test_epoch_history_is_the_mean_over_its_batches():
    # 50 samples, 20% validation: 40 to train in batches of 16, 16, 8.
    tr = Trainer(preset())
    assert tr.batches_per_epoch == 3
    sizes, losses, right = [], [], 0
    for _ in range(3):
        idx = tr.batch_indices()
        X, y = tr.dataset.x_train[idx], tr.dataset.y_train[idx]
        right += int(((tr.predict(X) >= 0.5) == (y >= 0.5)).sum())  # before the step, as it trains
        sizes.append(len(idx))
        losses.append(tr.train_step())
    assert sizes == [16, 16, 8] and tr.history["batch_loss"] == losses
    h = tr.history
    assert h["train_loss"] == [pytest.approx(np.dot(losses, sizes) / 40, rel=1e-14)]
    assert h["train_accuracy"] == [right / 40]
    ev = tr.evaluate()  # validation: the whole set, with the parameters at the epoch's end
    assert h["val_loss"] == [ev["val_loss"]] and h["val_accuracy"] == [ev["val_accuracy"]]
    X, y = tr.dataset.x_val, tr.dataset.y_val
    p = np.clip(tr.predict(X), 1e-300, 1 - 1e-16)
    assert ev["val_loss"] == pytest.approx(-(y * np.log(p) + (1 - y) * np.log(1 - p)).mean(), rel=1e-9)


def test_phase_order():
    tr = Trainer(preset(model={"layers": [2, 5, 3, 1]}))
    labels = [p.label() for p in tr.phases]
    assert labels == ["forward 1", "forward 2", "forward 3", "loss", "backward 3", "backward 2",
                      "backward 1", "update"]


def _history_prefix_ok(tr, full):
    """tr.history is exactly `full` cut at tr's step and epoch."""
    for k, v in tr.history.items():
        n = tr.step if k == "batch_loss" else tr.epoch
        assert v == full[k][:n], k


@pytest.mark.parametrize("name", list(MACHINES))
def test_step_back_replays_identically(name):
    tr = Trainer(machine(name))
    steps = 130
    params, opt_t, history = {0: frozen(tr.params)}, {0: tr.optimizer.t}, None
    positions = {0: (0, 0, 0)}
    for _ in range(steps):
        tr.train_step()
        params[tr.step] = frozen(tr.params)
        positions[tr.step] = (tr.step, tr.epoch, tr.batch)
    history = copy.deepcopy(tr.history)
    assert tr.epoch >= 2  # the rewind below crosses epoch boundaries
    back = 120
    assert REWIND_DEPTH >= back
    for _ in range(back):
        assert tr.step_back()
        assert same(tr.params, params[tr.step])
        assert (tr.step, tr.epoch, tr.batch) == positions[tr.step]
        assert tr.optimizer.t == tr.step
        _history_prefix_ok(tr, history)
        assert len(tr.history["train_loss"]) == tr.epoch
    # ... and forward again: the same states, the same history.
    for _ in range(back):
        tr.train_step()
        assert same(tr.params, params[tr.step])
        assert (tr.step, tr.epoch, tr.batch) == positions[tr.step]
    assert tr.history == history


# ------------------------------------------------------- full-batch order


class _ReshuffledEachEpoch(Trainer):
    """The bookkeeping a full batch skips, done at every epoch's end as for any
    batch size: the epoch's order drawn again and the rows gathered by it."""

    def _shuffle(self, epoch):
        self._order = self._epoch_order(epoch)
        self._x_epoch = self.dataset.x_train[self._order]
        self._y_epoch = self.dataset.y_train[self._order]


def test_full_batch_skips_the_shuffle_bit_identically(monkeypatch):
    cfg = machine("full-batch-relu-l2")
    fast, slow = Trainer(cfg), _ReshuffledEachEpoch(cfg)
    resumed = Trainer(cfg, fast.dataset)  # made now: it draws its initial weights
    assert fast.batches_per_epoch == 1
    assert fast._x_epoch is fast.dataset.x_train  # the batch is the training set, not a copy
    # No generator is drawn after the start: the order is fixed once for every epoch.
    def no_rng(*args, **kwargs):
        raise AssertionError("a full batch drew a shuffle")
    monkeypatch.setattr(np.random, "default_rng", no_rng)
    for _ in range(40):
        assert fast.train_step() == slow.train_step()
        assert same(fast.params, slow.params)
    assert fast.history == slow.history and fast.epoch == slow.epoch == 40
    # Rewound across epochs and resumed from a saved state, it stays the same run.
    for _ in range(7):
        fast.step_back()
        slow.step_back()
    resumed.load_state_dict(fast.state_dict())
    for _ in range(10):
        fast.train_step(), slow.train_step(), resumed.train_step()
    assert same(fast.params, slow.params) and same(fast.params, resumed.params)
    assert fast.history == slow.history == resumed.history


def test_full_batch_takes_the_rows_in_the_sets_own_order():
    tr = Trainer(machine("full-batch-relu-l2"))
    d = tr.dataset
    assert np.array_equal(tr.batch_indices(), np.arange(len(d.x_train)))
    for _ in range(3):  # plain SGD + L2: new W = W - lr (dL/dW + wd W), on the set as it is
        before, grads = frozen(tr.params), tr.gradients(d.x_train, d.y_train)
        tr.train_step()
        for k in before:
            g = grads[k] + 1e-3 * before[k] if k.startswith("W") else grads[k]
            assert np.array_equal(tr.params[k], before[k] + g * -0.5)


def test_full_batch_order_changes_only_the_rounding():
    # Why the shuffle may go: a full batch sums over the same rows whatever their
    # order, so another order gives the same run to rounding (not bit for bit).
    a = Trainer(machine("full-batch-relu-l2"))
    d = a.dataset
    perm = np.random.default_rng(0).permutation(len(d.x_train))
    b = Trainer(a.config, dataclasses.replace(d, x_train=d.x_train[perm], y_train=d.y_train[perm]))
    a.run_steps(30)
    b.run_steps(30)
    for k in a.params:
        np.testing.assert_allclose(a.params[k], b.params[k], rtol=1e-12, atol=1e-14)


def test_step_back_to_the_start_and_mid_step():
    tr = Trainer(machine("sgd-momentum"))
    start = frozen(tr.params)
    tr.run_steps(2)
    after2 = frozen(tr.params)
    tr.next_phase()
    tr.next_phase()
    assert tr.done == 2
    assert tr.step_back()  # drops the step in progress only
    assert tr.done == 0 and tr.step == 2 and same(tr.params, after2)
    assert tr.step_back() and tr.step_back()
    assert tr.step == 0 and same(tr.params, start) and tr.optimizer.state == {}
    assert not tr.step_back()
    assert tr.history["batch_loss"] == []
    # Phase mode after a rewind gives the same step as before it.
    tr.run_steps(2)
    assert same(tr.params, after2)


def test_step_back_undoes_a_phase_mode_step():
    a = Trainer(machine("rmsprop-centered-softmax"))
    b = Trainer(machine("rmsprop-centered-softmax"))
    for _ in range(a.batches_per_epoch):  # the last one ends the epoch
        a.finish_step()
    b.run_steps(a.batches_per_epoch - 1)
    assert a.epoch == 1 and len(a.history["train_loss"]) == 1
    assert a.step_back()
    assert a.epoch == 0 and a.history["train_loss"] == [] and a.history["val_loss"] == []
    assert same(a.params, b.params) and a.optimizer.t == b.optimizer.t
    a.finish_step()
    b.train_step()
    assert same(a.params, b.params) and a.history == b.history


def test_rewind_ring_has_its_depth():
    tr = Trainer(preset(model={"layers": [2, 2, 1]}, train={"batch_size": 40}))
    tr.run_steps(REWIND_DEPTH + 5)
    n = 0
    while tr.step_back():
        n += 1
    assert n == REWIND_DEPTH and tr.step == 5


# --------------------------------------------------------------- divergence


def too_fast(lr=1.0, **train):
    """Linear regression with a learning rate that blows up (the lr-too-high preset)."""
    return preset(
        data={"dataset": "plane", "samples": 200, "noise": 0.0, "validation": 0.2, "seed": 1},
        model={"layers": [2, 1], "activation": "tanh", "output": "linear", "init": "xavier", "seed": 0},
        train={"loss": "mse", "optimizer": "sgd", "learning_rate": lr, "batch_size": 16, **train},
    )


def _check_rolled_back(tr, e, config):
    assert f"step {e.step}" in str(e)
    assert "learning rate" in str(e)
    assert tr.step == e.step - 1 and tr.done == 0
    assert finite(tr.params)
    assert len(tr.history["batch_loss"]) == tr.step
    assert all(math.isfinite(v) for h in tr.history.values() for v in h)
    assert len(tr.history["train_loss"]) == tr.epoch
    assert tr.optimizer.t == tr.step
    # Exactly the parameters before the bad step: a fresh run of e.step - 1 steps.
    ref = Trainer(config)
    ref.run_steps(e.step - 1)
    assert same(tr.params, ref.params)
    assert tr.history == ref.history


@pytest.mark.filterwarnings("ignore::RuntimeWarning")
@pytest.mark.parametrize("lr, optimizer", [(1.0, "sgd"), (1e200, "sgd"), (1e308, "sgd"),
                                           (1e308, "adam")])
def test_divergence_is_caught_and_undone(lr, optimizer):
    config = too_fast(lr, optimizer=optimizer)
    tr = Trainer(config)
    with pytest.raises(Diverged) as info:
        tr.run_steps(100_000)
    e = info.value
    _check_rolled_back(tr, e, config)
    # Phase mode names the same step and keeps the same state.
    slow = Trainer(config)
    with pytest.raises(Diverged) as info2:
        while True:
            slow.next_phase()
            # phase mode never applies the bad step, not even for a moment
            assert slow.step < e.step and finite(slow.params)
    assert info2.value.step == e.step
    _check_rolled_back(slow, info2.value, config)
    assert slow.trace is None
    # The bad step stays bad; the rewind ring is intact, and from the start a
    # smaller learning rate converges.
    with pytest.raises(Diverged) as again:
        tr.run_steps(1)
    assert again.value.step == e.step
    _check_rolled_back(tr, again.value, config)
    while tr.step_back():
        pass
    assert tr.step == 0 and same(tr.params, Trainer(config).params)
    tr.set_learning_rate(0.05)
    tr.run(until_epochs=20)
    loss = tr.history["train_loss"]
    assert finite(tr.params) and len(loss) == 20 and loss[-1] < 1e-3 * loss[0]


@pytest.mark.filterwarnings("ignore::RuntimeWarning")
@pytest.mark.parametrize("lr, optimizer", [(1e308, "sgd"), (1e308, "adam"), (1.0, "sgd")])
def test_divergence_on_the_last_step_asked_for_is_caught(lr, optimizer):
    config = too_fast(lr, optimizer=optimizer)
    probe = Trainer(config)
    with pytest.raises(Diverged) as info:
        probe.run_steps(100_000)
    bad = info.value.step
    for run in (lambda t: t.run_steps(bad), lambda t: t.run(max_steps=bad, explode=None),
                lambda t: (t.run_steps(bad - 1), t.run_epoch())):
        tr = Trainer(config)
        with pytest.raises(Diverged) as info:
            run(tr)
        assert info.value.step == bad
        _check_rolled_back(tr, info.value, config)


@pytest.mark.filterwarnings("ignore::RuntimeWarning")
def test_fast_play_rewinds_past_every_non_finite_step():
    # Step 1 overflows b1 into saturated sigmoid units: the loss stays finite
    # for a step, so fast play sees a bad loss only at step 3. Everything back
    # to the last finite parameters (the start) must be undone, and step 1 named.
    weights = {"W1": [[0.04, 0.72, 1.28], [0.39, -0.84, 0.09]], "b1": [-0.44, 0.54, -0.39],
               "W2": [[3.1], [46.0], [-35.0]], "b2": [0.0]}
    config = preset(
        data={"dataset": "and_gate", "seed": 0, "samples": None, "noise": None, "validation": None},
        model={"layers": [2, 3, 1], "activation": "sigmoid", "init": "explicit", "weights": weights},
        train={"learning_rate": 3e307, "batch_size": 4},
    )
    for play in (lambda t: t.train_step(), lambda t: t.finish_step()):
        tr = Trainer(config)
        with pytest.raises(Diverged) as info:
            for _ in range(20):
                play(tr)
        assert info.value.step == 1
        assert tr.step == 0 and same(tr.params, tr.initial_params) and tr.optimizer.state == {}
        assert tr.history["batch_loss"] == []


def test_huge_but_finite_parameters_are_not_divergence():
    # Two biases of 1e308 into saturated tanh units: every number stays finite
    # (their sum would not), the net trains on and nothing is reported.
    weights = {"W1": [[0.0, 0.0], [0.0, 0.0]], "b1": [1e308, 1e308], "W2": [[0.5], [-0.25]], "b2": [0.0]}
    config = preset(data={"dataset": "circle"},
                    model={"layers": [2, 2, 1], "init": "explicit", "weights": weights})
    fast, slow = Trainer(config), Trainer(config)
    fast.run_steps(10)
    for _ in range(10):
        slow.finish_step()
    assert fast.step == slow.step == 10
    assert finite(fast.params) and same(fast.params, slow.params)
    assert fast.params["b1"][0] == 1e308


# ----------------------------------------------------------------- snapshot


def _deep(snap):
    """Every array a snapshot holds, deep-copied, keyed by where it sits."""
    out = {}
    for field in ("params", "z", "a", "deltas", "grads", "updates"):
        for k, v in getattr(snap, field).items():
            out[(field, k)] = np.array(v, copy=True)
    for p, st in snap.optimizer_state.items():
        for k, v in st.items():
            out[("opt", p, k)] = np.array(v, copy=True)
    for field in ("batch_x", "batch_y"):
        if getattr(snap, field) is not None:
            out[(field,)] = np.array(getattr(snap, field), copy=True)
    return out


def _still(snap, saved):
    now = _deep(snap)
    assert now.keys() == saved.keys()
    for k in saved:
        assert np.array_equal(now[k], saved[k]), k


@pytest.mark.parametrize("name", list(MACHINES))
def test_snapshot_after_every_phase(name):
    tr = Trainer(machine(name))
    tr.run_steps(tr.batches_per_epoch - 1)  # the traced step ends an epoch
    net, L = tr.net, tr.net.L
    before = tr.snapshot()
    assert before.done == 0 and before.z == {} and before.loss is None and before.updates == {}
    P0 = frozen(tr.params)
    step0 = tr.step
    X, y = tr.dataset.x_train[tr.batch_indices()], tr.dataset.y_train[tr.batch_indices()]
    for i, phase in enumerate(tr.phases):
        assert tr.next_phase() == phase
        s = tr.snapshot()
        assert s.last_phase.label() == phase.label() and s.done == i + 1
        assert np.array_equal(s.a[0], s.batch_x)
        assert np.array_equal(s.batch_x, X) and np.array_equal(s.batch_y, y)
        if phase.kind == FORWARD:
            l = phase.layer
            W, b = s.params[f"W{l}"], s.params[f"b{l}"]
            assert np.array_equal(s.z[l], s.a[l - 1] @ W + b)
            assert np.array_equal(s.a[l], net.act(l).f(s.z[l]))
            assert set(s.z) == set(range(1, l + 1)) and set(s.a) == set(range(0, l + 1))
            assert s.loss is None and s.grads == {}
        elif phase.kind == LOSS:
            assert s.loss == tr.loss.value(s.z[L], s.a[L], s.batch_y)
            assert math.isfinite(s.loss)
            assert set(s.deltas) == {L} and s.grads == {}
        elif phase.kind == BACKWARD:
            l = phase.layer
            assert np.array_equal(s.grads[f"W{l}"], s.a[l - 1].T @ s.deltas[l])
            assert np.array_equal(s.grads[f"b{l}"], s.deltas[l].sum(axis=0))
            assert s.grads[f"W{l}"].shape == s.params[f"W{l}"].shape
            assert s.grads[f"b{l}"].shape == s.params[f"b{l}"].shape
            if l > 1:
                assert np.array_equal(
                    s.deltas[l - 1],
                    (s.deltas[l] @ s.params[f"W{l}"].T) * net.hidden.df(s.z[l - 1], s.a[l - 1]))
            assert set(s.grads) == {f"{p}{k}" for k in range(l, L + 1) for p in "Wb"}
            if l == 1:
                # the preview: what the update will do, not done yet
                assert not s.update_applied
                assert set(s.updates) == set(net.param_names)
                assert same(s.params, P0) and s.step == step0
                ref = tr.gradients(s.batch_x, s.batch_y)
                assert same(s.grads, ref)
                preview = s
            else:
                assert s.updates == {}
        else:
            assert phase.kind == UPDATE
            assert s.update_applied and s.step == step0 + 1
            assert s.epoch == 1 and s.batch_in_epoch == 0 and len(s.history.train_loss) == 1
            for k in net.param_names:
                # exactly the preview, bit for bit
                assert np.array_equal(s.params[k] - P0[k], preview.updates[k])
                assert np.array_equal(s.updates[k], preview.updates[k])
                assert not np.array_equal(s.params[k], P0[k]) or not preview.updates[k].any()
            assert s.optimizer_step == step0 + 1
    assert tr.done == 0
    assert same(tr.params, {k: P0[k] + preview.updates[k] for k in P0})


def test_sgd_preview_is_minus_lr_times_gradient():
    tr = Trainer(preset(train={"optimizer": "sgd", "learning_rate": 0.25}))
    while tr.done or tr.step == 0:
        tr.next_phase()
        if tr.done == len(tr.phases) - 1:
            s = tr.snapshot()
            for k in s.grads:
                # (p - lr g) - p rounds at p's scale, not g's
                ulp = np.spacing(np.abs(s.params[k]).max())
                np.testing.assert_allclose(s.updates[k], -0.25 * s.grads[k], rtol=0, atol=ulp)
            break


@pytest.mark.parametrize("name", list(MACHINES))
def test_kept_snapshots_never_change(name):
    tr = Trainer(machine(name))
    tr.run_steps(3)
    kept = []
    for _ in range(len(tr.phases) - 1):  # one snapshot after each phase but the last
        tr.next_phase()
        kept.append(tr.snapshot())
    tr.next_phase()
    kept.append(tr.snapshot())
    tr.run_steps(2)
    kept.append(tr.snapshot())  # fast play: params and optimizer state only
    saved = [_deep(s) for s in kept]
    histories = [s.history for s in kept]
    # Train on in every way the app does: phases, whole traced steps, fast play, rewinds.
    for _ in range(2 * len(tr.phases) + 3):
        tr.next_phase()
    for _ in range(tr.batches_per_epoch + 1):
        tr.finish_step()
    tr.run_steps(2 * tr.batches_per_epoch)
    for _ in range(5):
        tr.step_back()
    tr.set_learning_rate(0.5 * tr.optimizer.lr)
    tr.run_epoch()
    for s, d, h in zip(kept, saved, histories):
        _still(s, d)
        assert s.history == h


def test_fast_play_snapshot_has_no_trace():
    tr = Trainer(machine("adam-relu"))
    tr.run_steps(4)
    s = tr.snapshot()
    assert s.step == 4 and s.done == 0 and s.z == {} and s.loss is None and s.batch_x is None
    assert same(s.params, tr.params)
    assert s.optimizer_step == 4 and set(s.optimizer_state) == set(tr.net.param_names)
    assert s.history.batch_loss == tuple(tr.history["batch_loss"])


def test_run_stops_where_asked():
    config = preset(train={"epochs": 4})
    tr = Trainer(config)
    seen = []
    tr.run(callback=lambda t: seen.append((t.epoch, t.step)))
    assert tr.epoch == 4 and tr.step == 4 * tr.batches_per_epoch
    assert seen == [(e, e * tr.batches_per_epoch) for e in range(1, 5)]
    tr.run(max_steps=5, until_epochs=100)
    assert tr.step == 4 * tr.batches_per_epoch + 5
    tr.run(until_epochs=100, target_loss=10.0)  # any loss is below 10: stops after one more epoch
    assert tr.epoch == 6 and tr.batch == 0
    other = Trainer(config)
    other.run_steps(tr.step)
    assert same(tr.params, other.params) and tr.history == other.history


@pytest.mark.parametrize("name", sorted(MACHINES))
def test_phase_back_mirrors_next_phase(name):
    """b undoes one phase of the step in progress; running it again gives the
    same numbers, and the step ends as if b had never been pressed."""
    a, b = Trainer(machine(name)), Trainer(machine(name))
    a.finish_step()
    b.finish_step()
    n = len(a.phases)
    for k in range(1, n):
        a.next_phase()
        before = a.snapshot()
        assert a.phase_back() and a.done == k - 1
        assert a.snapshot().next_phase == before.last_phase
        a.next_phase()
        after = a.snapshot()
        assert after.done == before.done
        for key in before.grads:
            np.testing.assert_array_equal(after.grads[key], before.grads[key])
        for l in before.z:
            np.testing.assert_array_equal(after.z[l], before.z[l])
        if before.loss is not None:
            assert after.loss == before.loss
    a.next_phase()  # the update
    b.finish_step()
    for key in a.params:
        np.testing.assert_array_equal(a.params[key], b.params[key])
    assert a.phase_back() and a.step == 1  # at a step boundary: a whole step


def test_an_exploding_loss_is_divergence_and_keeps_the_finite_state():
    """lr 0.1 on lr-too-high stayed finite up to a loss of 1e250 and was called
    a success; an epoch a thousand times above the run's lowest now stops it."""
    from nntui.experiment.config import override
    from nntui.experiment.presets import load_preset

    tr = Trainer(override(load_preset("lr-too-high"), learning_rate=0.1))
    with pytest.raises(Diverged, match="the loss exploded from") as info:
        tr.run()
    losses = tr.history["train_loss"]
    assert losses[-1] > 1000 * min(losses[:-1]) and info.value.step == tr.step and finite(tr.params)
    calm = Trainer(override(load_preset("lr-too-high"), learning_rate=0.01))
    calm.run()  # a loss falling to 1e-21 is no explosion
    assert calm.epoch == calm.config.train.epochs


def test_an_overflowing_optimizer_state_is_divergence_and_the_run_saves_finite(tmp_path):
    """Inputs near 1e160 make Adam's v overflow while the weights stay finite
    (each step becomes 0): the run once ended 'done', and its save was refused.
    The epoch is undone back to its start, Diverged names the state, and the
    run saves."""
    from nntui.engine.datasets import Dataset, make_dataset
    from nntui.engine.runfile import save_run

    config = preset(data={"dataset": "gaussian", "samples": 40, "noise": None},
                    model={"layers": [2, 1], "output": "sigmoid"},
                    train={"optimizer": "adam", "learning_rate": 0.01, "batch_size": 8})
    d = make_dataset(config.data)
    # Labels flipped, so the starting weights are wrong and the gradients large.
    huge = Dataset(d.x_train * 1e160, 1 - d.y_train, d.x_val * 1e160, 1 - d.y_val, d.task, d.classes,
                   d.feature_names, d.name)
    tr = Trainer(config, huge)
    with pytest.raises(Diverged, match=r"the optimizer's state \(W1/exp_avg_sq\) overflowed"):
        tr.run(until_epochs=3)
    assert tr.step == 0 and tr.epoch == 0 and tr.history["train_loss"] == []
    assert same(tr.params, Trainer(config, huge).params)
    save_run(tr, tmp_path / "run.npz")  # nothing in it is NaN or inf


@pytest.mark.parametrize("loss, preset, lr", [("bce", "xor", 1e300), ("cross_entropy", "blobs", 1e300),
                                              ("mse", "plane", 10.0)])  # 1e300: NaN within the epoch
def test_a_loss_above_its_stated_bound_is_divergence_from_the_first_epoch(loss, preset, lr):
    """The lowest loss of a run at lr 1e300 is already huge after epoch 1, so
    '1000 times the lowest' never fired; each loss's absolute bound does."""
    import re

    from nntui.engine.losses import LOSSES
    from nntui.experiment.config import override
    from nntui.experiment.presets import load_preset

    config = load_preset(preset)
    assert config.train.loss == loss
    tr = Trainer(override(config, learning_rate=lr))
    bound = LOSSES[loss].too_high(tr.dataset.y_train, tr.dataset.n_outputs)
    with pytest.raises(Diverged, match=re.escape(f"in 1 epoch, above {bound:.3g}")):
        tr.run()
    assert tr.epoch == 1 and not tr.history["train_loss"][-1] <= bound
    calm = Trainer(config)
    calm.run(until_epochs=5)  # a sane run stays far below it
    assert max(calm.history["train_loss"]) < bound / 10


def test_each_losss_bound_is_stated():
    import math

    from nntui.engine.losses import LOSSES

    y = np.array([[3.0], [-1.0]])
    assert LOSSES["mse"].too_high(y, 1) == 5e6 and LOSSES["mse"].too_high(y / 100, 1) == 1e6
    assert LOSSES["bce"].too_high(y, 1) == pytest.approx(100 * math.log(2))
    assert LOSSES["cross_entropy"].too_high(y, 10) == pytest.approx(100 * math.log(10))
    assert LOSSES["perceptron"].too_high(y, 1) == math.inf


def test_check_explosion_judges_by_the_lowest_of_the_history_as_it_is_now():
    """check_explosion keeps the run's lowest as it goes (the app checks every
    epoch, an epoch a step on full-batch data): after a step back, a branch
    from a past epoch or a loaded state, it is the lowest of what is left."""
    from nntui.engine.trainer import EXPLODED
    from nntui.experiment.config import override
    from nntui.experiment.presets import load_preset

    tr = Trainer(override(load_preset("xor"), batch_size=10**6))  # full batch: an epoch a step
    tr.keep_timeline()

    def judged() -> float:
        losses = tr.history["train_loss"]
        tr.check_explosion()
        low = tr._lowest.before_last(losses)
        assert low == min(losses[:-1], default=math.inf)
        return low

    for _ in range(30):
        tr.train_step()
        judged()
    low = judged()
    while tr.epoch > 3:
        tr.step_back()
    assert judged() > low  # the later, lower epochs are cut: not their lowest any more
    state = tr.state_dict()
    for _ in range(10):
        tr.train_step()
        judged()
    tr.load_state_dict(state)
    tr.train_step()
    judged()
    assert tr.branch_from(2)
    tr.train_step()
    judged()
    # A loss EXPLODED times the lowest of what is left is divergence.
    tr.history["train_loss"].append(EXPLODED * 2 * min(tr.history["train_loss"]) + 2)
    with pytest.raises(Diverged, match="exploded"):
        tr.check_explosion()
