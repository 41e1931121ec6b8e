"""Microseconds per training step: nntui's NumPy engine, a hand-written NumPy
loop and PyTorch eager, side by side.

Each case runs the same net from the same initial weights on the same batches
in all three, in one process, taking turns in rounds so that a change in the
machine's load hits them alike; the medians and their ratios are printed.
Times are the process's CPU time per step (see per_step_us).
Before timing, each case checks that the three compute the same run (20
steps, parameters equal to 1e-9), so they are timed doing the same work.

    python benchmarks/engine.py [--rounds 7] [--steps 400] [--only NAME]

Needs torch (2.13.0 here). BLAS and torch run on one thread. Where the
machine sets OPENBLAS_CORETYPE, unset it (and OPENBLAS_L2_SIZE) for this
command only: `env -u OPENBLAS_CORETYPE -u OPENBLAS_L2_SIZE python ...`; the
header names the BLAS kernel in use.

The cases:
- tiny: 2-16-16-1 tanh, sigmoid + BCE, SGD, batch 32 (3,200 random points);
- cs231n: the "minimal neural network case study" of Stanford's CS231n: a
  3-class spiral of 300 points, 2-100-3 ReLU + softmax, L2 1e-3, lr 1, full
  batch; its reference is the course's own loop, copied as written there;
- digits: 64-32-10 ReLU + softmax, Adam, batch 32, on the UCI 8x8 digits
  (1,437 training rows, 360 validation rows); the epoch time is nntui's
  `run_epoch()`, validation included;
- (b), (c): the earlier cases, nntui against torch.

Then, per epoch, what `nntui train` runs (`Trainer.run`, keeping one rewind
step as the CLI does) beside a loop of `train_step()`, the hand-written loop
and torch, for two cases:
- cs231n, full batch: an epoch is one step; the course's loop is the floor;
- tiny 2-16-16-1 with a validation set (2,560 training and 640 validation
  points, batch 32): the hand loop does the same work as nntui's epoch (the
  epoch's shuffled rows, each batch's loss and right answers summed, then the
  validation loss and accuracy), and torch the same.
"""

from __future__ import annotations

import argparse
import os
import platform
import statistics
import sys
import time
from pathlib import Path
from types import SimpleNamespace as NS

os.environ.setdefault("OPENBLAS_NUM_THREADS", "1")
os.environ.setdefault("OMP_NUM_THREADS", "1")

import numpy as np  # noqa: E402
import torch  # noqa: E402

from nntui.engine.datasets import Dataset, make_dataset  # noqa: E402
from nntui.engine.trainer import Trainer  # noqa: E402

torch.set_num_threads(1)
ROOT = Path(__file__).resolve().parent.parent
# The package's copy once the digits preset ships it; until then the shared one.
DIGITS = next((p for p in (ROOT / "presets" / "data" / "digits.csv",
                           ROOT.parent / "shared" / "data" / "digits.csv") if p.exists()), None)


# ------------------------------------------------------------------ the data


def random_data(sizes, task, n=3200):
    rng = np.random.default_rng(0)
    x = rng.normal(size=(n, sizes[0]))
    if task == "multiclass":
        y = rng.integers(0, sizes[-1], n)
        classes = tuple(str(i) for i in range(sizes[-1]))
    else:
        y = (rng.random((n, 1)) < 0.5).astype(np.float64)
        classes = ("0", "1")
    return Dataset(x, y, x[:0], y[:0], task, classes, tuple(f"x{i}" for i in range(sizes[0])), "random")


def cs231n_spiral():
    """The course's data generator, as written there, with seed 0."""
    np.random.seed(0)
    N = 100  # number of points per class
    D = 2  # dimensionality
    K = 3  # number of classes
    X = np.zeros((N * K, D))  # data matrix (each row = single example)
    y = np.zeros(N * K, dtype="uint8")  # class labels
    for j in range(K):
        ix = range(N * j, N * (j + 1))
        r = np.linspace(0.0, 1, N)  # radius
        t = np.linspace(j * 4, (j + 1) * 4, N) + np.random.randn(N) * 0.2  # theta
        X[ix] = np.c_[r * np.sin(t), r * np.cos(t)]
        y[ix] = j
    return X, y


def digits_data():
    d = make_dataset(NS(dataset="csv", path=str(DIGITS), target="digit", validation=0.2, seed=0,
                        samples=0, noise=0.0, classes=None))
    # Pixels 0..16 scaled to 0..1, as an image preset would feed them.
    return Dataset(d.x_train / 16.0, d.y_train, d.x_val / 16.0, d.y_val, d.task, d.classes,
                   d.feature_names, d.name)


def make_trainer(ds, sizes, act, out, loss, batch, optimizer="sgd", lr=0.01, options=None,
                 init="torch_default", weights=None):
    config = NS(
        title="bench", data=None,
        model=NS(layers=sizes, activation=act, output=out, init=init, seed=0, weights=weights),
        train=NS(loss=loss, optimizer=optimizer, learning_rate=lr, batch_size=batch,
                 epochs=10**9, options=options or {}, target_loss=None),
    )
    return Trainer(config, ds)


class Batches:
    """nntui's batches, epoch after epoch, for the hand loops and torch: the
    same rows in the same order (each epoch's order drawn as nntui draws it)."""

    def __init__(self, tr):
        self.tr, self.epoch, self.i = tr, -1, tr.batches_per_epoch

    def next(self):
        tr = self.tr
        if self.i == tr.batches_per_epoch:
            self.epoch += 1
            self.i = 0
            order = tr._epoch_order(self.epoch)
            self.x, self.y = tr.dataset.x_train[order], tr.dataset.y_train[order]
        lo = self.i * tr.batch_size
        self.i += 1
        return self.x[lo:lo + tr.batch_size], self.y[lo:lo + tr.batch_size]


# ------------------------------------------------------------- hand-written


def hand_tiny(tr):
    """2-16-16-1 tanh, sigmoid + BCE, SGD, written out."""
    p = {k: v.copy() for k, v in tr.params.items()}
    batches, lr = Batches(tr), tr.optimizer.lr

    def step():
        X, y = batches.next()
        W1, b1, W2, b2, W3, b3 = p["W1"], p["b1"], p["W2"], p["b2"], p["W3"], p["b3"]
        h1 = np.tanh(X @ W1 + b1)
        h2 = np.tanh(h1 @ W2 + b2)
        z = h2 @ W3 + b3
        loss = np.mean(np.maximum(z, 0) - z * y + np.log1p(np.exp(-np.abs(z))))  # noqa: F841
        dz = (1 / (1 + np.exp(-z)) - y) / len(y)
        dh2 = dz @ W3.T * (1 - h2 * h2)
        dh1 = dh2 @ W2.T * (1 - h1 * h1)
        W3 -= lr * (h2.T @ dz)
        b3 -= lr * dz.sum(0)
        W2 -= lr * (h1.T @ dh2)
        b2 -= lr * dh2.sum(0)
        W1 -= lr * (X.T @ dh1)
        b1 -= lr * dh1.sum(0)

    return step, p


def hand_cs231n(tr):
    """The course's gradient-descent loop, line for line (Python 3's print
    aside, and the loss printed never: it is computed every step all the same)."""
    X, y = tr.dataset.x_train, tr.dataset.y_train.astype("uint8")  # the course's labels are uint8
    W, b = tr.params["W1"].copy(), tr.params["b1"].reshape(1, -1).copy()
    W2, b2 = tr.params["W2"].copy(), tr.params["b2"].reshape(1, -1).copy()
    step_size, reg = 1e-0, 1e-3
    num_examples = X.shape[0]
    p = {"W1": W, "b1": b, "W2": W2, "b2": b2}

    def step():
        nonlocal W, b, W2, b2
        # evaluate class scores, [N x K]
        hidden_layer = np.maximum(0, np.dot(X, W) + b)  # note, ReLU activation
        scores = np.dot(hidden_layer, W2) + b2
        # compute the class probabilities
        exp_scores = np.exp(scores)
        probs = exp_scores / np.sum(exp_scores, axis=1, keepdims=True)  # [N x K]
        # compute the loss: average cross-entropy loss and regularization
        correct_logprobs = -np.log(probs[range(num_examples), y])
        data_loss = np.sum(correct_logprobs) / num_examples
        reg_loss = 0.5 * reg * np.sum(W * W) + 0.5 * reg * np.sum(W2 * W2)
        loss = data_loss + reg_loss  # noqa: F841
        # compute the gradient on scores
        dscores = probs
        dscores[range(num_examples), y] -= 1
        dscores /= num_examples
        # backpropate the gradient to the parameters
        # first backprop into parameters W2 and b2
        dW2 = np.dot(hidden_layer.T, dscores)
        db2 = np.sum(dscores, axis=0, keepdims=True)
        # next backprop into hidden layer
        dhidden = np.dot(dscores, W2.T)
        # backprop the ReLU non-linearity
        dhidden[hidden_layer <= 0] = 0
        # finally into W,b
        dW = np.dot(X.T, dhidden)
        db = np.sum(dhidden, axis=0, keepdims=True)
        # add regularization gradient contribution
        dW2 += reg * W2
        dW += reg * W
        # perform a parameter update
        W += -step_size * dW
        b += -step_size * db
        W2 += -step_size * dW2
        b2 += -step_size * db2

    return step, p


def hand_digits(tr):
    """64-32-10 ReLU + softmax, Adam, written out (torch.optim.Adam's formulas)."""
    p = {k: v.copy() for k, v in tr.params.items()}
    m = {k: np.zeros_like(v) for k, v in p.items()}
    v2 = {k: np.zeros_like(v) for k, v in p.items()}
    batches, lr, t = Batches(tr), tr.optimizer.lr, [0]
    beta1, beta2, eps = 0.9, 0.999, 1e-8

    def step():
        X, y = batches.next()
        n = len(y)
        z1 = X @ p["W1"] + p["b1"]
        h = np.maximum(z1, 0)
        z = h @ p["W2"] + p["b2"]
        e = np.exp(z - z.max(1, keepdims=True))
        probs = e / e.sum(1, keepdims=True)
        loss = -np.log(probs[np.arange(n), y]).mean()  # noqa: F841
        dz = probs
        dz[np.arange(n), y] -= 1
        dz /= n
        dh = dz @ p["W2"].T
        dh[z1 <= 0] = 0
        g = {"W2": h.T @ dz, "b2": dz.sum(0), "W1": X.T @ dh, "b1": dh.sum(0)}
        t[0] += 1
        c1, c2 = 1 - beta1 ** t[0], 1 - beta2 ** t[0]
        for k, gk in g.items():
            m[k] = beta1 * m[k] + (1 - beta1) * gk
            v2[k] = beta2 * v2[k] + (1 - beta2) * gk * gk
            p[k] -= (lr / c1) * m[k] / (np.sqrt(v2[k] / c2) + eps)

    return step, p


def hand_tiny_epoch(tr):
    """hand_tiny's step, plus what nntui's epoch also does: each batch's loss and
    right answers summed, the validation set's loss and accuracy at the end."""
    p = {k: v.copy() for k, v in tr.params.items()}
    lr, n, bs, seed = tr.optimizer.lr, len(tr.x_train), tr.batch_size, tr.config.model.seed
    x_all, y_all = tr.dataset.x_train, tr.dataset.y_train
    x_val, y_val = tr.dataset.x_val, tr.dataset.y_val
    history = {"train_loss": [], "val_loss": [], "val_accuracy": []}

    def forward(X):
        h1 = np.tanh(X @ p["W1"] + p["b1"])
        h2 = np.tanh(h1 @ p["W2"] + p["b2"])
        return h1, h2, h2 @ p["W3"] + p["b3"]

    def bce(z, y):
        return np.mean(np.maximum(z, 0) - z * y + np.log1p(np.exp(-np.abs(z))))

    def epoch():
        e = len(history["train_loss"])
        order = np.random.default_rng([seed, e]).permutation(n)
        xs, ys = x_all[order], y_all[order]
        total, right = 0.0, 0
        for lo in range(0, n, bs):
            X, y = xs[lo:lo + bs], ys[lo:lo + bs]
            h1, h2, z = forward(X)
            a = 1 / (1 + np.exp(-z))
            total += bce(z, y) * len(y)
            right += int(np.count_nonzero((a >= 0.5) == (y >= 0.5)))
            dz = (a - y) / len(y)
            dh2 = dz @ p["W3"].T * (1 - h2 * h2)
            dh1 = dh2 @ p["W2"].T * (1 - h1 * h1)
            p["W3"] -= lr * (h2.T @ dz)  # in place, as a hand loop would (nntui makes new arrays)
            p["b3"] -= lr * dz.sum(0)
            p["W2"] -= lr * (h1.T @ dh2)
            p["b2"] -= lr * dh2.sum(0)
            p["W1"] -= lr * (X.T @ dh1)
            p["b1"] -= lr * dh1.sum(0)
        _, _, z = forward(x_val)
        history["train_loss"].append(total / n)
        history["val_loss"].append(bce(z, y_val))
        history["val_accuracy"].append(np.count_nonzero((z >= 0) == (y_val >= 0.5)) / len(y_val))

    return epoch, p


def torch_epoch(tr):
    """torch_step's steps for one epoch, then the validation loss under no_grad."""
    step, params = torch_step(tr)
    L, act = tr.net.L, torch.tanh if tr.net.activation_name == "tanh" else torch.relu
    x_val = torch.tensor(tr.x_val)
    y_val = torch.tensor(tr.dataset.y_val if tr.loss.name == "bce" else tr.dataset.y_val.astype(np.int64))
    loss_fn = torch.nn.BCEWithLogitsLoss() if tr.loss.name == "bce" else torch.nn.CrossEntropyLoss()

    def epoch():
        for _ in range(tr.batches_per_epoch):
            step()
        if len(x_val):
            with torch.no_grad():
                a = x_val
                for l in range(1, L + 1):
                    z = a @ params[f"W{l}"] + params[f"b{l}"]
                    a = act(z) if l < L else z
                loss_fn(a, y_val).item()

    return epoch


# -------------------------------------------------------------- PyTorch eager


def torch_step(tr):
    """The same net in torch, float64, eager, one thread, with the same optimizer
    over the same parameters (weight decay on the weights only, as nntui's)."""
    params = {k: torch.tensor(v, requires_grad=True) for k, v in tr.params.items()}
    L, net = tr.net.L, tr.net
    act = {"tanh": torch.tanh, "relu": torch.relu}[net.activation_name]
    wd = tr.optimizer.options.get("weight_decay", 0.0)
    groups = [{"params": [params[k] for k in params if k.startswith("W")], "weight_decay": wd},
              {"params": [params[k] for k in params if k.startswith("b")], "weight_decay": 0.0}]
    lr = tr.optimizer.lr
    opt = torch.optim.Adam(groups, lr=lr) if tr.optimizer.name == "adam" else torch.optim.SGD(groups, lr=lr)
    loss_fn = torch.nn.BCEWithLogitsLoss() if tr.loss.name == "bce" else torch.nn.CrossEntropyLoss()
    # Every batch made a tensor beforehand: torch is timed on the step alone.
    src, cache = Batches(tr), []
    for _ in range(max(tr.batches_per_epoch, 64)):
        x, y = src.next()
        cache.append((torch.tensor(x), torch.tensor(y if tr.loss.name == "bce" else y.astype(np.int64))))
    state = {"i": 0}

    def step():
        x, y = cache[state["i"] % len(cache)]
        state["i"] += 1
        a = x
        for l in range(1, L + 1):
            z = a @ params[f"W{l}"] + params[f"b{l}"]
            a = act(z) if l < L else z
        loss = loss_fn(a, y)
        opt.zero_grad()
        loss.backward()
        opt.step()

    return step, params


# ------------------------------------------------------------------ the cases


def case_tiny():
    sizes = (2, 16, 16, 1)
    return lambda: make_trainer(random_data(sizes, "binary"), sizes, "tanh", "sigmoid", "bce", 32), hand_tiny


def case_cs231n():
    X, y = cs231n_spiral()
    # initialize parameters randomly (the course's lines, drawing on after the data)
    h = 100  # size of hidden layer
    W = 0.01 * np.random.randn(2, h)
    W2 = 0.01 * np.random.randn(h, 3)
    weights = {"W1": W, "b1": np.zeros(h), "W2": W2, "b2": np.zeros(3)}
    ds = Dataset(X, y.astype(np.int64), X[:0], y[:0].astype(np.int64), "multiclass", ("0", "1", "2"),
                 ("x1", "x2"), "cs231n spiral")
    return (lambda: make_trainer(ds, (2, h, 3), "relu", "softmax", "cross_entropy", 300, lr=1.0,
                                 options={"weight_decay": 1e-3}, init="explicit", weights=weights),
            hand_cs231n)


def case_digits():
    ds = digits_data()
    return (lambda: make_trainer(ds, (64, 32, 10), "relu", "softmax", "cross_entropy", 32, "adam", 0.01),
            hand_digits)


def case_b():
    sizes = (2, 8, 3)
    return lambda: make_trainer(random_data(sizes, "multiclass"), sizes, "relu", "softmax", "cross_entropy", 32), None


def case_c():
    sizes = (784, 128, 10)
    return (lambda: make_trainer(random_data(sizes, "multiclass"), sizes, "relu", "softmax", "cross_entropy", 128),
            None)


CASES = {
    "tiny 2-16-16-1 tanh, BCE, b32": case_tiny,
    "cs231n 2-100-3 relu, CE+L2, full batch": case_cs231n,
    "digits 64-32-10 relu, CE, adam, b32": case_digits,
    "(b) 2-8-3 relu, CE, b32": case_b,
    "(c) 784-128-10 relu, CE, b128": case_c,
}


# ------------------------------------------------------------------- timing


def per_step_us(fn, steps):
    # CPU time of this process, not wall time: on a shared 2-core VM another
    # job taking the CPU for a while would otherwise count as ours (wall-clock
    # medians moved by 2x between runs here; CPU time by a few percent).
    t = time.process_time()
    for _ in range(steps):
        fn()
    return (time.process_time() - t) / steps * 1e6


def run_cases():
    """(name, make a trainer, the hand loop's epoch) for the Trainer.run table."""
    tiny = random_data((2, 16, 16, 1), "binary")
    cut = 2560
    tiny = Dataset(tiny.x_train[:cut], tiny.y_train[:cut], tiny.x_train[cut:], tiny.y_train[cut:], "binary",
                   tiny.classes, tiny.feature_names, "random + validation")
    make_cs, hand_cs = case_cs231n()

    def hand_cs_epoch(tr):
        step, p = hand_cs(tr)
        return step, p

    return [("cs231n 2-100-3, full batch (1 step)", make_cs, hand_cs_epoch),
            ("tiny 2-16-16-1 b32 + validation", lambda: make_trainer(tiny, (2, 16, 16, 1), "tanh", "sigmoid",
                                                                     "bce", 32), hand_tiny_epoch)]


def per_epoch_us(fn, epochs):
    t = time.process_time()
    fn(epochs)
    return (time.process_time() - t) / epochs * 1e6


def time_run(rounds: int, epochs: int) -> None:
    """Per epoch: Trainer.run (what nntui train runs), train_step in a loop, the hand loop, torch."""
    print()
    print(f"{'per epoch, through Trainer.run':40} {'run µs':>9} {'steps µs':>9} {'hand µs':>9} {'torch µs':>9} "
          f"{'run/hand':>9} {'torch/run':>10}")
    for name, make, hand in run_cases():
        tr = make()
        hand_epoch, p = hand(make())
        for _ in range(5):  # the same run: the hand loop's weights are nntui's
            tr.run_epoch()
            hand_epoch()
        for k, v in tr.params.items():
            if not np.allclose(p[k].reshape(v.shape), v, rtol=1e-9, atol=1e-12):
                raise SystemExit(f"{name}: the hand loop and nntui differ on {k}: not the same run")
        run_tr = make()
        run_tr.keep_rewind(1)  # as `nntui train` does
        step_tr = make()
        step_tr.keep_rewind(1)
        torch_ep = torch_epoch(make())
        per = step_tr.batches_per_epoch

        def by_steps(n):
            for _ in range(n * per):
                step_tr.train_step()

        def by_hand(n):
            for _ in range(n):
                hand_epoch()

        def by_torch(n):
            for _ in range(n):
                torch_ep()

        runners = {"run": lambda n: run_tr.run(until_epochs=run_tr.epoch + n, explode=1000.0),
                   "steps": by_steps, "hand": by_hand, "torch": by_torch}
        times = {k: [] for k in runners}
        order = list(runners)
        for r in range(rounds):
            for k in order[r % 4:] + order[:r % 4]:
                times[k].append(per_epoch_us(runners[k], epochs))
        med = {k: statistics.median(v) for k, v in times.items()}
        print(f"{name:40} {med['run']:9.1f} {med['steps']:9.1f} {med['hand']:9.1f} {med['torch']:9.1f} "
              f"{med['run'] / med['hand']:8.2f}x {med['torch'] / med['run']:9.2f}x")


def check_same_run(make, hand):
    """20 steps in each: the parameters agree, so the timings compare like with like."""
    tr = make()
    fns = [("torch", torch_step(make()))] + ([("hand", hand(make()))] if hand else [])
    for _ in range(20):
        tr.train_step()
        for _, (fn, _) in fns:
            fn()
    for who, (_, p) in fns:
        for k, v in tr.params.items():
            got = p[k].detach().numpy() if isinstance(p[k], torch.Tensor) else p[k]
            if not np.allclose(got.reshape(v.shape), v, rtol=1e-9, atol=1e-12):
                raise SystemExit(f"{who} and nntui differ on {k}: not the same run")


def blas() -> str:
    try:
        from threadpoolctl import threadpool_info
    except ImportError:
        return "BLAS kernel: ? (pip install threadpoolctl to see it)"
    return "BLAS " + ", ".join(f"{i.get('internal_api')} {i.get('version')} {i.get('architecture')} "
                               f"{i.get('num_threads')} thread(s)" for i in threadpool_info()
                               if i.get("user_api") == "blas")


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--rounds", type=int, default=7)
    ap.add_argument("--steps", type=int, default=400)
    ap.add_argument("--only", help="run the cases whose name contains this")
    ap.add_argument("--run-epochs", type=int, default=200, help="epochs per round in the Trainer.run table")
    ap.add_argument("--run-only", action="store_true", help="only the Trainer.run table")
    args = ap.parse_args()
    print(f"# {time.strftime('%Y-%m-%d %H:%M')}  {platform.node()}  {platform.machine()}  cores={os.cpu_count()}  "
          f"python {platform.python_version()}  numpy {np.__version__}  torch {torch.__version__}")
    print(f"# {blas()}; OPENBLAS_CORETYPE={os.environ.get('OPENBLAS_CORETYPE', '(unset)')}; "
          f"load {os.getloadavg()[0]:.2f}; digits from {DIGITS}")
    if args.run_only:
        time_run(args.rounds, args.run_epochs)
        return 0
    print(f"{'case':40} {'nntui µs':>9} {'hand µs':>9} {'torch µs':>9} {'nntui/hand':>11} {'torch/nntui':>12}")
    for name, case in CASES.items():
        if args.only and args.only not in name:
            continue
        make, hand = case()
        check_same_run(make, hand)
        runners = {"nntui": make().train_step, "torch": torch_step(make())[0]}
        if hand:
            runners["hand"] = hand(make())[0]
        times = {k: [] for k in runners}
        for fn in runners.values():
            fn()  # warm up
        order = list(runners)
        for r in range(args.rounds):
            for k in order[r % 3:] + order[:r % 3]:  # each goes first in turn
                times[k].append(per_step_us(runners[k], args.steps))
        med = {k: statistics.median(v) for k, v in times.items()}
        hand_us = f"{med['hand']:9.1f}" if hand else f"{'':9}"
        vs_hand = f"{med['nntui'] / med['hand']:10.2f}x" if hand else f"{'':11}"
        print(f"{name:40} {med['nntui']:9.1f} {hand_us} {med['torch']:9.1f} {vs_hand} "
              f"{med['torch'] / med['nntui']:11.2f}x")
        if name.startswith("digits"):
            tr = make()
            epoch_ms = statistics.median(per_step_us(tr.run_epoch, 3) for _ in range(args.rounds)) / 1000
            print(f"{'  digits: one epoch (45 steps + validation)':40} {epoch_ms:8.2f} ms")
    tr = CASES["tiny 2-16-16-1 tanh, BCE, b32"]()[0]()
    grid = np.random.default_rng(1).uniform(-6, 6, (200 * 100, 2))
    ms = statistics.median(per_step_us(lambda: tr.predict(grid), 20) for _ in range(args.rounds)) / 1000
    print(f"{'boundary grid, forward of 200x100 points':40} {ms:8.2f} ms")
    time_run(args.rounds, args.run_epochs)
    return 0


if __name__ == "__main__":
    sys.exit(main())
