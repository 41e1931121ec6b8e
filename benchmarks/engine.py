"""Microseconds per training step: nntui's NumPy engine against PyTorch eager.

Both run the same nets from the same initial weights on the same batches, in
one process, alternating in rounds so that machine noise hits both alike.
Run:  python benchmarks/engine.py   (needs torch==2.13.0)
"""

from __future__ import annotations

import os
import platform
import statistics
import sys
import time
from types import SimpleNamespace as NS

os.environ.setdefault("OPENBLAS_NUM_THREADS", "1")
os.environ.setdefault("OMP_NUM_THREADS", "1")

import numpy as np  # noqa: E402
import torch  # noqa: E402

from nntui.engine.datasets import Dataset  # noqa: E402
from nntui.engine.trainer import Trainer  # noqa: E402

torch.set_num_threads(1)
ROUNDS, STEPS = 5, 400

CASES = {
    "(a) 2-16-16-1 tanh, sigmoid+BCE, b32": ((2, 16, 16, 1), "tanh", "sigmoid", "bce", 32),
    "(b) 2-8-3 relu, softmax+CE, b32": ((2, 8, 3), "relu", "softmax", "cross_entropy", 32),
    "(c) 784-128-10 relu, CE, b128": ((784, 128, 10), "relu", "softmax", "cross_entropy", 128),
}


def make_trainer(sizes, act, out, loss, batch, n=3200):
    rng = np.random.default_rng(0)
    x = rng.normal(size=(n, sizes[0]))
    if out == "softmax":
        y = rng.integers(0, sizes[-1], n)
        task, classes = "multiclass", tuple(str(i) for i in range(sizes[-1]))
    else:
        y = (rng.random((n, 1)) < 0.5).astype(np.float64)
        task, classes = "binary", ("0", "1")
    ds = Dataset(x, y, x[:0], y[:0], task, classes, tuple(f"x{i}" for i in range(sizes[0])), "bench")
    config = NS(
        title="bench",
        data=None,
        model=NS(layers=sizes, activation=act, output=out, init="torch_default", seed=0, weights=None),
        train=NS(loss=loss, optimizer="sgd", learning_rate=0.01, batch_size=batch,
                 epochs=10**9, options={}, target_loss=None),
    )
    return Trainer(config, ds)


def torch_step_fn(tr):
    params = {k: torch.tensor(v, requires_grad=True) for k, v in tr.params.items()}
    L = tr.net.L
    act = {"tanh": torch.tanh, "relu": torch.relu}[tr.net.activation_name]
    opt = torch.optim.SGD(list(params.values()), lr=0.01)
    bce = torch.nn.BCEWithLogitsLoss()
    ce = torch.nn.CrossEntropyLoss()
    x_all = torch.tensor(tr.dataset.x_train)
    y_all = torch.tensor(tr.dataset.y_train)
    order = tr._epoch_order(0)
    batches = [torch.tensor(order[i:i + tr.batch_size]) for i in range(0, len(order), tr.batch_size)]
    state = {"i": 0}

    def step():
        idx = batches[state["i"] % len(batches)]
        state["i"] += 1
        a = x_all[idx]
        for l in range(1, L + 1):
            z = a @ params[f"W{l}"] + params[f"b{l}"]
            a = act(z) if l < L else z
        y = y_all[idx]
        loss = bce(a, y) if tr.loss.name == "bce" else ce(a, y)
        opt.zero_grad()
        loss.backward()
        opt.step()

    return step


def per_step_us(fn, steps=STEPS):
    t = time.perf_counter()
    for _ in range(steps):
        fn()
    return (time.perf_counter() - t) / steps * 1e6


def main() -> None:
    print(f"# {time.strftime('%Y-%m-%d')}  {platform.machine()}  {platform.processor() or ''}  "
          f"cores={os.cpu_count()}  python {platform.python_version()}  numpy {np.__version__}  torch {torch.__version__}")
    print(f"{'case':40} {'nntui µs':>10} {'torch µs':>10} {'torch/nntui':>12}")
    for name, case in CASES.items():
        tr = make_trainer(*case)
        ours, theirs = tr.train_step, torch_step_fn(make_trainer(*case))
        ours(), theirs()  # warm up
        a, b = [], []
        for _ in range(ROUNDS):
            a.append(per_step_us(ours))
            b.append(per_step_us(theirs))
        ma, mb = statistics.median(a), statistics.median(b)
        print(f"{name:40} {ma:10.1f} {mb:10.1f} {mb / ma:11.1f}x")
    tr = make_trainer(*CASES["(a) 2-16-16-1 tanh, sigmoid+BCE, b32"])
    grid = np.random.default_rng(1).uniform(-6, 6, (200 * 100, 2))
    ms = statistics.median(per_step_us(lambda: tr.predict(grid), 20) for _ in range(ROUNDS)) / 1000
    print(f"{'boundary grid, forward of 200x100 points':40} {ms:9.2f} ms")


if __name__ == "__main__":
    sys.exit(main())
