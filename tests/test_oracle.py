"""PyTorch as the oracle for whole networks.

The same net is built in torch (z = x @ W + b, W of shape (fan_in, fan_out)),
from the parameters the nntui trainer starts with, and fed the batches the
trainer draws, in its own order (`Trainer.batch_indices()` before each step).
At every one of 100 steps the loss must agree, and after it every parameter,
to 1e-10, in float64: every activation torch has, every loss, every optimizer
and its options. Phase mode is checked too: each z, a, delta, gradient and the
update shown before it is applied.
"""

from __future__ import annotations

import numpy as np
import pytest

from nntui.experiment.config import Config, DataConfig, ModelConfig, TrainConfig
from nntui.engine.datasets import Dataset
from nntui.engine.trainer import Trainer

try:  # the oracle: only the tests that take the `torch` fixture (conftest.py) use it,
    import torch  # and only they are skipped without it
    import torch.nn.functional as F
except ImportError:
    torch = F = None

TOL = 1e-10
STEPS = 100
N_TRAIN, N_VAL, BATCH = 37, 11, 8  # 5 batches an epoch, the last one short

# --------------------------------------------------------------------- the nets

def torch_activation(name: str):
    """torch's function for an activation (torch.nn's defaults)."""
    return {
        "identity": lambda z: z,
        "linear": lambda z: z,
        "sigmoid": torch.sigmoid,
        "tanh": torch.tanh,
        "relu": torch.relu,
        "leaky_relu": F.leaky_relu,  # slope 0.01
        "elu": F.elu,  # alpha 1
        "gelu": F.gelu,  # exact erf form
        "softplus": F.softplus,  # beta 1, threshold 20
    }[name]


ACTIVATIONS = ["identity", "sigmoid", "tanh", "relu", "leaky_relu", "elu", "gelu", "softplus"]

# (loss, output, task, torch form): every loss, with every output it takes.
LOSS_CASES = [
    ("mse", "linear", "regression", "mse"),
    ("mse", "sigmoid", "regression", "mse"),
    ("mse", "tanh", "regression", "mse"),
    ("bce", "sigmoid", "binary", "bce_with_logits"),
    ("bce", "sigmoid", "binary", "bce_on_sigmoid"),
    ("cross_entropy", "softmax", "multiclass", "cross_entropy_on_logits"),
]
LOSS_IDS = [c[3] if c[0] != "mse" else f"mse-{c[1]}" for c in LOSS_CASES]

TORCH_OPTIMIZERS = {"sgd": "SGD", "adam": "Adam", "adamw": "AdamW", "rmsprop": "RMSprop",
                    "adagrad": "Adagrad"}

# (optimizer, lr, options): each option of each rule, and l1 with each rule.
OPTIMIZER_CASES = [
    ("sgd", 0.2, {}),
    ("sgd", 0.1, {"momentum": 0.9}),
    ("sgd", 0.1, {"momentum": 0.9, "dampening": 0.3}),
    ("sgd", 0.1, {"momentum": 0.9, "nesterov": True}),
    ("sgd", 0.1, {"weight_decay": 0.01, "l1": 0.001}),
    ("adam", 0.01, {}),
    ("adam", 0.01, {"amsgrad": True}),
    ("adam", 0.01, {"weight_decay": 0.01, "betas": (0.8, 0.99), "eps": 1e-6}),
    ("adam", 0.01, {"l1": 0.001}),
    ("adamw", 0.01, {}),
    ("adamw", 0.01, {"weight_decay": 0.1, "amsgrad": True, "l1": 0.001}),
    ("rmsprop", 0.005, {}),
    ("rmsprop", 0.005, {"momentum": 0.5}),
    ("rmsprop", 0.005, {"centered": True}),
    ("rmsprop", 0.002, {"centered": True, "momentum": 0.5, "weight_decay": 0.01}),
    ("rmsprop", 0.005, {"alpha": 0.9, "eps": 1e-6, "l1": 0.001}),
    ("adagrad", 0.05, {}),
    ("adagrad", 0.05, {"lr_decay": 0.01}),
    ("adagrad", 0.05, {"initial_accumulator_value": 0.1, "eps": 1e-6}),
    ("adagrad", 0.05, {"weight_decay": 0.01, "l1": 0.001}),
]
OPT_IDS = [f"{n}-{'-'.join(f'{k}={v}' for k, v in o.items()) or 'default'}" for n, _, o in OPTIMIZER_CASES]


def make_dataset(task: str, n_in: int, n_out: int, seed: int = 0) -> Dataset:
    rng = np.random.default_rng(seed)
    n = N_TRAIN + N_VAL
    x = rng.normal(size=(n, n_in))
    if task == "binary":
        y = (x[:, :1] * x[:, 1:2] + 0.3 * rng.normal(size=(n, 1)) > 0).astype(np.float64)
        classes = ("0", "1")
    elif task == "multiclass":
        y = (np.digitize(x[:, 0] + 0.5 * x[:, 1], [-0.5, 0.5])).astype(np.int64)
        classes = tuple(str(k) for k in range(n_out))
    else:
        y = rng.uniform(0.05, 0.95, size=(n, n_out))
        classes = ()
    names = tuple(f"x{i}" for i in range(n_in))
    return Dataset(x[:N_TRAIN], y[:N_TRAIN], x[N_TRAIN:], y[N_TRAIN:], task, classes, names, "oracle")


def make_config(layers, activation, output, loss, optimizer="sgd", lr=0.1, options=None,
                batch_size=BATCH, init="torch_default", seed=0, weights=None) -> Config:
    return Config(
        title="oracle", description="", source="oracle.toml",
        data=DataConfig(dataset="gaussian", validation=0.2, seed=seed),
        model=ModelConfig(tuple(layers), activation, output, init, seed, weights),
        train=TrainConfig(loss, optimizer, lr, batch_size, 1000, dict(options or {}), None),
    )


def make_trainer(task, layers, activation, output, loss, optimizer="sgd", lr=0.1, options=None,
                 init="torch_default", seed=0) -> Trainer:
    config = make_config(layers, activation, output, loss, optimizer, lr, options, init=init, seed=seed)
    return Trainer(config, make_dataset(task, layers[0], layers[-1], seed))


class TorchNet:
    """The trainer's net in torch, from the trainer's own starting parameters."""

    def __init__(self, tr: Trainer, torch_loss: str):
        cfg = tr.config
        self.L = tr.net.L
        self.hidden = torch_activation(cfg.model.activation)
        self.output = cfg.model.output
        self.torch_loss = torch_loss
        self.p = {k: torch.tensor(v, dtype=torch.float64, requires_grad=True) for k, v in tr.params.items()}
        t = cfg.train
        opts = {k: v for k, v in t.options.items() if k != "l1"}
        self.l1 = t.options.get("l1", 0.0)
        weights = [p for k, p in self.p.items() if k.startswith("W")]
        biases = [p for k, p in self.p.items() if k.startswith("b")]
        # nntui decays weights only: biases go in a group without weight decay.
        groups = [{"params": weights}, {"params": biases, "weight_decay": 0.0}]
        cls = getattr(torch.optim, TORCH_OPTIMIZERS[t.optimizer])
        self.opt = cls(groups, lr=t.learning_rate, foreach=False, **opts)

    def forward(self, X):
        """Every z and a, a[0] = X; a[L] is the output activation of z[L]."""
        z, a = {}, {0: torch.tensor(X, dtype=torch.float64)}
        for l in range(1, self.L + 1):
            z[l] = a[l - 1] @ self.p[f"W{l}"] + self.p[f"b{l}"]
            if l < self.L:
                a[l] = self.hidden(z[l])
            elif self.output == "softmax":
                a[l] = torch.softmax(z[l], dim=1)
            else:
                a[l] = torch_activation(self.output)(z[l])
        return z, a

    def loss(self, z, a, y):
        zL, aL = z[self.L], a[self.L]
        y = torch.tensor(y)
        if self.torch_loss == "mse":
            return F.mse_loss(aL, y)
        if self.torch_loss == "bce_with_logits":
            return F.binary_cross_entropy_with_logits(zL, y)
        if self.torch_loss == "bce_on_sigmoid":
            return F.binary_cross_entropy(aL, y)
        if self.torch_loss == "cross_entropy_on_logits":
            return F.cross_entropy(zL, y)
        raise AssertionError(self.torch_loss)

    def step(self, X, y, keep: bool = False):
        """One training step; returns the loss (and, with keep, the trace)."""
        self.opt.zero_grad()
        z, a = self.forward(X)
        for t in z.values():
            t.retain_grad()
        loss = self.loss(z, a, y)
        loss.backward()
        if self.l1:
            for k, p in self.p.items():
                if k.startswith("W"):
                    p.grad += self.l1 * torch.sign(p.detach())
        grads = {k: p.grad.detach().numpy().copy() for k, p in self.p.items()} if keep else None
        before = self.params() if keep else None
        self.opt.step()
        if not keep:
            return loss.item()
        trace = {
            "z": {l: t.detach().numpy() for l, t in z.items()},
            "a": {l: t.detach().numpy() for l, t in a.items()},
            "delta": {l: t.grad.numpy() for l, t in z.items()},
            "grads": grads,
            "updates": {k: v - before[k] for k, v in self.params().items()},
        }
        return loss.item(), trace

    def params(self):
        return {k: p.detach().numpy().copy() for k, p in self.p.items()}


def max_diff(a: dict, b: dict) -> float:
    assert a.keys() == b.keys()
    return max(float(np.max(np.abs(np.asarray(a[k]) - np.asarray(b[k])))) for k in a)


def run_against_torch(tr: Trainer, tnet: TorchNet, steps: int = STEPS) -> tuple[float, float]:
    """`steps` fast steps of both; returns the worst parameter and loss differences."""
    x, y = tr.dataset.x_train, tr.dataset.y_train
    worst_p = worst_l = 0.0
    assert max_diff(tr.params, tnet.params()) == 0.0
    for i in range(steps):
        idx = tr.batch_indices()
        expected_loss = tnet.step(x[idx], y[idx])
        loss = tr.train_step()
        dl = abs(loss - expected_loss)
        dp = max_diff(tr.params, tnet.params())
        assert dl < TOL, f"step {i + 1}: loss {loss!r} vs torch {expected_loss!r}"
        assert dp < TOL, f"step {i + 1}: parameters differ by {dp:.3g}"
        worst_p, worst_l = max(worst_p, dp), max(worst_l, dl)
    assert tr.step == steps and tr.optimizer.t == steps
    assert tr.epoch == steps // tr.batches_per_epoch
    # The epoch metrics too: train and validation loss of the final parameters.
    metrics = tr.evaluate()
    with torch.no_grad():
        for part in ("train", "val"):
            X, Y = getattr(tr.dataset, f"x_{part}"), getattr(tr.dataset, f"y_{part}")
            z, a = tnet.forward(X)
            assert abs(metrics[f"{part}_loss"] - tnet.loss(z, a, Y).item()) < TOL
    return worst_p, worst_l


def sizes(task: str, depth: int = 2) -> list[int]:
    n_in, n_out = {"binary": (2, 1), "multiclass": (2, 3), "regression": (3, 2)}[task]
    return [n_in, *[5, 4][:depth], n_out]


# ---------------------------------------------------------------- the grid


@pytest.mark.usefixtures("torch")
@pytest.mark.parametrize("activation", ACTIVATIONS)
@pytest.mark.parametrize(("loss", "output", "task", "torch_loss"), LOSS_CASES, ids=LOSS_IDS)
def test_every_activation_and_loss(activation, loss, output, task, torch_loss):
    """8 activations x 6 loss forms, two hidden layers, SGD with Nesterov momentum."""
    lr = 0.05 if activation in ("identity", "relu", "leaky_relu", "elu", "softplus") else 0.2
    tr = make_trainer(task, sizes(task), activation, output, loss, "sgd", lr,
                      {"momentum": 0.9, "nesterov": True})
    run_against_torch(tr, TorchNet(tr, torch_loss))


@pytest.mark.usefixtures("torch")
@pytest.mark.parametrize(("optimizer", "lr", "options"), OPTIMIZER_CASES, ids=OPT_IDS)
@pytest.mark.parametrize("case", ["tanh-bce", "relu-cross_entropy", "gelu-mse"])
def test_every_optimizer(case, optimizer, lr, options):
    activation, loss = case.split("-")
    (loss, output, task, torch_loss) = {
        "bce": LOSS_CASES[3], "cross_entropy": LOSS_CASES[5], "mse": LOSS_CASES[1]
    }[loss]
    tr = make_trainer(task, sizes(task), activation, output, loss, optimizer, lr, options)
    run_against_torch(tr, TorchNet(tr, torch_loss))


@pytest.mark.usefixtures("torch")
@pytest.mark.parametrize("init", ["zeros", "uniform", "normal", "xavier", "xavier_normal", "he",
                                  "he_normal", "torch_default"])
def test_every_initializer_trains_like_torch(init):
    """The oracle copies whatever the trainer starts from; any init must then agree."""
    tr = make_trainer("binary", sizes("binary", 1), "tanh", "sigmoid", "bce", "adam", 0.01, {}, init=init)
    run_against_torch(tr, TorchNet(tr, "bce_with_logits"), steps=30)


@pytest.mark.usefixtures("torch")
def test_one_layer_and_full_batch():
    """No hidden layer (logistic regression), and a batch as large as the data."""
    tr = make_trainer("binary", [2, 1], "tanh", "sigmoid", "bce", "sgd", 0.5)
    run_against_torch(tr, TorchNet(tr, "bce_with_logits"), steps=20)
    config = make_config([2, 3, 1], "tanh", "sigmoid", "bce", "adam", 0.01, batch_size=10_000)
    tr = Trainer(config, make_dataset("binary", 2, 1))
    assert tr.batches_per_epoch == 1
    run_against_torch(tr, TorchNet(tr, "bce_with_logits"), steps=20)


@pytest.mark.usefixtures("torch")
def test_deep_net_and_live_changes():
    """Four hidden layers; lr and options changed between steps, as the app does."""
    tr = make_trainer("multiclass", [2, 6, 5, 4, 3, 3], "elu", "softmax", "cross_entropy", "sgd", 0.1,
                      {"momentum": 0.5})
    tnet = TorchNet(tr, "cross_entropy_on_logits")
    run_against_torch(tr, tnet, steps=20)
    tr.set_learning_rate(0.03)
    tr.set_option("momentum", 0.9)
    tr.set_option("nesterov", True)
    for g in tnet.opt.param_groups:
        g["lr"], g["momentum"], g["nesterov"] = 0.03, 0.9, True
    run_against_torch_from_here(tr, tnet, 20)


def run_against_torch_from_here(tr, tnet, steps):
    x, y = tr.dataset.x_train, tr.dataset.y_train
    for i in range(steps):
        idx = tr.batch_indices()
        expected = tnet.step(x[idx], y[idx])
        assert abs(tr.train_step() - expected) < TOL
        assert max_diff(tr.params, tnet.params()) < TOL, f"step {i + 1}"


# ---------------------------------------------------------------- phase mode


PHASE_CASES = [
    ("binary", "tanh", "sigmoid", "bce", "bce_with_logits", "adam", 0.01, {"amsgrad": True}),
    ("multiclass", "gelu", "softmax", "cross_entropy", "cross_entropy_on_logits", "rmsprop", 0.01,
     {"centered": True, "momentum": 0.5}),
    ("regression", "softplus", "tanh", "mse", "mse", "sgd", 0.1, {"momentum": 0.9, "weight_decay": 0.01}),
]


@pytest.mark.usefixtures("torch")
@pytest.mark.parametrize("case", PHASE_CASES, ids=[c[3] for c in PHASE_CASES])
def test_phase_mode_shows_torchs_numbers(case):
    """Stepping phase by phase: every z, a, delta (dL/dz), gradient, the update shown
    before it is applied, and the parameters after it, as torch computes them."""
    task, activation, output, loss, torch_loss, optimizer, lr, options = case
    tr = make_trainer(task, sizes(task), activation, output, loss, optimizer, lr, options)
    tnet = TorchNet(tr, torch_loss)
    L = tr.net.L
    for step in range(12):
        phases_done = []
        while True:
            phase = tr.next_phase()
            phases_done.append(phase.label())
            snap = tr.snapshot()
            if phase.kind == "forward" and phase.layer == 1:
                expected_loss, t = tnet.step(snap.batch_x, snap.batch_y, keep=True)
                np.testing.assert_array_equal(snap.batch_x, tr.dataset.x_train[tr.batch_indices()])
            if phase.kind == "forward":
                l = phase.layer
                assert np.max(np.abs(snap.z[l] - t["z"][l])) < TOL
                assert np.max(np.abs(snap.a[l] - t["a"][l])) < TOL
            elif phase.kind == "loss":
                assert abs(snap.loss - expected_loss) < TOL
                assert np.max(np.abs(snap.deltas[L] - t["delta"][L])) < TOL
            elif phase.kind == "backward":
                l = phase.layer
                for k in (f"W{l}", f"b{l}"):
                    assert np.max(np.abs(snap.grads[k] - t["grads"][k])) < TOL, k
                if l > 1:
                    assert np.max(np.abs(snap.deltas[l - 1] - t["delta"][l - 1])) < TOL
                else:  # the update about to be applied is known before it is
                    assert not snap.update_applied
                    assert max_diff(snap.updates, t["updates"]) < TOL
                    # and the optimizer's rule, which the inspector shows, comes to it
                    for k in tr.params:
                        assert max_diff({k: snap.rules[k].delta}, {k: snap.updates[k]}) < 1e-13
            elif phase.kind == "update":
                assert snap.update_applied
                assert max_diff(tr.params, tnet.params()) < TOL
            if tr.done == 0:
                break
        assert len(phases_done) == 2 * L + 2
        assert tr.step == step + 1


def test_phase_mode_and_fast_play_are_bit_identical():
    args = ("binary", sizes("binary"), "tanh", "sigmoid", "bce", "adam", 0.01, {"weight_decay": 0.01})
    a, b = make_trainer(*args), make_trainer(*args)
    for _ in range(15):
        a.finish_step()
        b.train_step()
    for k in a.params:
        np.testing.assert_array_equal(a.params[k], b.params[k])


# ---------------------------------------------------------------- perceptron


def test_perceptron_is_rosenblatt_on_the_trainer():
    """torch has no perceptron rule; check W += lr x^T (y - y_hat) by hand, each step."""
    config = make_config([2, 1], "tanh", "step", "perceptron", "perceptron", 0.5, {}, batch_size=4,
                         init="normal")
    rng = np.random.default_rng(7)
    x = rng.normal(size=(40, 2))
    y = (x @ np.array([[1.0], [-2.0]]) + 0.3 > 0).astype(np.float64)
    data = Dataset(x[:32], y[:32], x[32:], y[32:], "binary", ("0", "1"), ("x0", "x1"), "linear")
    tr = Trainer(config, data)
    for _ in range(200):
        idx = tr.batch_indices()
        X, Y = x[idx], y[idx]
        W, b = tr.params["W1"], tr.params["b1"]
        y_hat = (X @ W + b >= 0).astype(np.float64)
        tr.train_step()
        np.testing.assert_allclose(tr.params["W1"], W + 0.5 * X.T @ (Y - y_hat), rtol=0, atol=1e-12)
        np.testing.assert_allclose(tr.params["b1"], b + 0.5 * np.sum(Y - y_hat, axis=0), rtol=0, atol=1e-12)
    assert tr.evaluate()["train_accuracy"] == 1.0  # linearly separable: it converges
