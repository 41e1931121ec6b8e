"""Matt Mazur's "A Step by Step Backpropagation Example", number by number.

https://mattmazur.com/2015/03/17/a-step-by-step-backpropagation-example/

A 2-2-2 sigmoid net, one sample (i1, i2) = (0.05, 0.10), targets (0.01, 0.99),
w1..w8 = .15 .20 .25 .30 .40 .45 .50 .55, b1 = .35, b2 = .60, lr = 0.5 and
E_total = sum(0.5 (target - out)^2). nntui's mse is the *mean* of (y_hat - y)^2
(torch's MSELoss); over two outputs that is 0.5 * sum, so E_total exactly, and
so are its gradients.

With row vectors (z = x @ W + b, W of shape (fan_in, fan_out)):
h1 = w1 i1 + w2 i2 + b1, h2 = w3 i1 + w4 i2 + b1, so W1 = [[w1, w3], [w2, w4]];
o1 = w5 h1 + w6 h2 + b2, o2 = w7 h1 + w8 h2 + b2, so W2 = [[w5, w7], [w6, w8]].

The article prints 9 significant digits, and keeps the biases fixed. Its
forward pass, gradients and new weights match exact arithmetic to those digits.
Its errors after the update do not quite: it gives 0.291027924 after one round
and 0.0000351085 after 10,000 (both with fixed biases), where float64 (nntui
and torch alike) gives 0.2910277737 and 0.0000351019; the article's own
figures carry its rounded intermediate values. So those two are checked
against torch to 1e-12, and against the article only loosely.
"""

from __future__ import annotations

import numpy as np
import pytest

from nntui.experiment.presets import load_preset
from nntui.engine.trainer import Trainer

try:  # the oracle: only the tests that take the `torch` fixture (conftest.py) use it,
    import torch  # and only they are skipped without it
except ImportError:
    torch = None

PRESET = """\
title = "Mazur's step-by-step backpropagation"
description = "2-2-2 sigmoid net, one sample, lr 0.5: every number of the article."

[data]
dataset = "csv"
path = "mazur.csv"
target = ["t1", "t2"]
validation = 0

[model]
layers = [2, 2, 2]
activation = "sigmoid"
output = "sigmoid"
init = "explicit"

[model.weights]
W1 = [[0.15, 0.25], [0.20, 0.30]]   # [[w1, w3], [w2, w4]]
b1 = [0.35, 0.35]
W2 = [[0.40, 0.50], [0.45, 0.55]]   # [[w5, w7], [w6, w8]]
b2 = [0.60, 0.60]

[train]
loss = "mse"
optimizer = "sgd"
learning_rate = 0.5
batch_size = 1
epochs = 10000
"""

# The article's numbers (9 significant digits).
OUT_H = [0.593269992, 0.596884378]
OUT_O = [0.75136507, 0.772928465]
E_TOTAL = 0.298371109
DE_DW5 = 0.082167041
DE_DW1 = 0.000438568
NEW_W = {  # after one update
    "w1": 0.149780716, "w2": 0.19956143, "w3": 0.24975114, "w4": 0.29950229,
    "w5": 0.35891648, "w6": 0.408666186, "w7": 0.511301270, "w8": 0.561370121,
}
ARTICLE_E_AFTER_1 = 0.291027924
ARTICLE_E_AFTER_10000 = 0.0000351085
DIGITS = 5e-9  # half a unit in the article's last printed digit, roughly


def weight(params, w: str) -> float:
    """Mazur's w1..w8 out of nntui's W1, W2."""
    where = {"w1": ("W1", 0, 0), "w2": ("W1", 1, 0), "w3": ("W1", 0, 1), "w4": ("W1", 1, 1),
             "w5": ("W2", 0, 0), "w6": ("W2", 1, 0), "w7": ("W2", 0, 1), "w8": ("W2", 1, 1)}[w]
    return float(params[where[0]][where[1], where[2]])


@pytest.fixture
def trainer(tmp_path) -> Trainer:
    (tmp_path / "mazur.csv").write_text("i1,i2,t1,t2\n0.05,0.10,0.01,0.99\n")
    (tmp_path / "mazur.toml").write_text(PRESET)
    return Trainer(load_preset(tmp_path / "mazur.toml"))


def e_total(out) -> float:
    t = np.array([0.01, 0.99])
    return float(np.sum(0.5 * (t - np.ravel(out)) ** 2))


class Torch:
    """The same net in torch: SGD on the given parameters (all four, or weights only)."""

    def __init__(self, fix_biases: bool):
        self.x = torch.tensor([[0.05, 0.10]], dtype=torch.float64)
        self.t = torch.tensor([[0.01, 0.99]], dtype=torch.float64)
        f = lambda v: torch.tensor(v, dtype=torch.float64, requires_grad=True)  # noqa: E731
        self.p = {"W1": f([[0.15, 0.25], [0.20, 0.30]]), "b1": f([0.35, 0.35]),
                  "W2": f([[0.40, 0.50], [0.45, 0.55]]), "b2": f([0.60, 0.60])}
        trained = [p for k, p in self.p.items() if k.startswith("W") or not fix_biases]
        self.opt = torch.optim.SGD(trained, lr=0.5)

    def error(self):
        h = torch.sigmoid(self.x @ self.p["W1"] + self.p["b1"])
        o = torch.sigmoid(h @ self.p["W2"] + self.p["b2"])
        return torch.nn.functional.mse_loss(o, self.t)

    def step(self) -> float:
        self.opt.zero_grad()
        e = self.error()
        e.backward()
        self.opt.step()
        return e.item()

    def params(self):
        return {k: p.detach().numpy().copy() for k, p in self.p.items()}


def test_the_preset_sets_the_articles_weights(trainer):
    assert trainer.net.sizes == (2, 2, 2)
    p = trainer.params
    for w, v in zip(["w1", "w2", "w3", "w4", "w5", "w6", "w7", "w8"],
                    [0.15, 0.20, 0.25, 0.30, 0.40, 0.45, 0.50, 0.55]):
        assert weight(p, w) == v
    np.testing.assert_array_equal(p["b1"], [0.35, 0.35])
    np.testing.assert_array_equal(p["b2"], [0.60, 0.60])
    assert trainer.batches_per_epoch == 1 and len(trainer.dataset.x_val) == 0


def test_forward_backward_and_update_phase_by_phase(trainer):
    # forward 1: the hidden layer
    assert trainer.next_phase().label() == "forward 1"
    s = trainer.snapshot()
    np.testing.assert_allclose(s.a[1][0], OUT_H, rtol=0, atol=DIGITS)
    # forward 2: the outputs
    assert trainer.next_phase().label() == "forward 2"
    s = trainer.snapshot()
    np.testing.assert_allclose(s.a[2][0], OUT_O, rtol=0, atol=DIGITS)
    # loss: nntui's mean squared error is Mazur's E_total for two outputs
    assert trainer.next_phase().label() == "loss"
    s = trainer.snapshot()
    assert s.loss == pytest.approx(E_TOTAL, abs=DIGITS)
    assert s.loss == pytest.approx(e_total(s.a[2]), rel=1e-15)
    # the output delta: dE/dout * dout/dnet = (out - target) out (1 - out)
    o = s.a[2][0]
    np.testing.assert_allclose(s.deltas[2][0], (o - [0.01, 0.99]) * o * (1 - o), rtol=1e-14)
    assert s.deltas[2][0][0] == pytest.approx(0.138498562, abs=DIGITS)  # the article's delta_o1
    # backward 2: dE/dw5 = delta_o1 * out_h1
    assert trainer.next_phase().label() == "backward 2"
    s = trainer.snapshot()
    assert weight(s.grads, "w5") == pytest.approx(DE_DW5, abs=DIGITS)
    # backward 1: dE/dw1, through both outputs
    assert trainer.next_phase().label() == "backward 1"
    s = trainer.snapshot()
    assert weight(s.grads, "w1") == pytest.approx(DE_DW1, abs=DIGITS)
    # The update about to be applied, then applied: the article's new weights
    # (it leaves the biases alone; their update does not change the weights').
    assert not s.update_applied
    for w, v in NEW_W.items():
        assert weight(s.params, w) + weight(s.updates, w) == pytest.approx(v, abs=DIGITS), w
    assert trainer.next_phase().label() == "update"
    s = trainer.snapshot()
    assert s.update_applied and trainer.step == 1 and trainer.done == 0
    for w, v in NEW_W.items():
        assert weight(trainer.params, w) == pytest.approx(v, abs=DIGITS), w


@pytest.mark.usefixtures("torch")
def test_matches_torch_to_the_last_digits(trainer):
    """Every parameter, every step, biases updated too (as nntui always does)."""
    ref = Torch(fix_biases=False)
    for step in range(1000):
        expected = ref.step()
        loss = trainer.train_step()
        assert abs(loss - expected) < 1e-12, step
        for k, v in ref.params().items():
            assert np.max(np.abs(trainer.params[k] - v)) < 1e-12, (step, k)
    assert trainer.evaluate()["train_loss"] == pytest.approx(ref.error().item(), abs=1e-12)


@pytest.mark.usefixtures("torch")
def test_the_articles_error_after_training_with_fixed_biases(trainer):
    """The article keeps b1, b2 fixed. Train the same way by hand with nntui's
    own pieces (its network and its SGD), check against torch, and then against
    the article's (rounded) figures."""
    ref = Torch(fix_biases=True)
    net, opt = trainer.net, trainer.optimizer
    params = dict(trainer.params)
    x, t = trainer.dataset.x_train, trainer.dataset.y_train
    for i in range(10_000):
        z1, a1 = net.forward_layer(params, 1, x)
        z2, a2 = net.forward_layer(params, 2, a1)
        delta2 = trainer.loss.delta(z2, a2, t, net.output)
        dW2, _, delta1 = net.backward_layer(params, 2, delta2, a1, z1)
        dW1, _, _ = net.backward_layer(params, 1, delta1, x, None)
        grads = {"W1": dW1, "b1": np.zeros(2), "W2": dW2, "b2": np.zeros(2)}
        params = opt.step(params, grads)
        ref.step()
        if i == 0:
            e1 = e_total(net.forward(params, x))
            assert e1 == pytest.approx(ref.error().item(), abs=1e-12)
            assert e1 == pytest.approx(0.2910277737, abs=1e-10)
            assert e1 == pytest.approx(ARTICLE_E_AFTER_1, abs=2e-7)  # the article's rounding
    e = e_total(net.forward(params, x))
    assert e == pytest.approx(ref.error().item(), rel=1e-9)
    assert e == pytest.approx(3.51019e-5, rel=1e-5)
    assert e == pytest.approx(ARTICLE_E_AFTER_10000, rel=1e-3)  # the article's rounding
    out = net.forward(params, x)[0]
    np.testing.assert_allclose(out, [0.015912196, 0.984065734], atol=2e-6)  # the article's outputs


def test_updating_the_biases_too_learns_faster(trainer):
    trainer.train_step()
    e_all = trainer.evaluate()["train_loss"]
    assert e_all == pytest.approx(0.2804714468, abs=1e-10)  # torch, float64
    assert e_all < ARTICLE_E_AFTER_1 < E_TOTAL
    trainer.run()  # the preset's 10,000 epochs of one step
    assert trainer.step == 10_000
    assert trainer.evaluate()["train_loss"] == pytest.approx(2.4475622e-6, rel=1e-6)  # torch, float64
