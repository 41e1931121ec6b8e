"""A run as a standalone PyTorch script: the way on from nntui to PyTorch.

`pytorch_script(trainer, epochs)` writes a readable Python program that needs
only torch and numpy: the same data (nntui's own split, embedded), the same
starting weights (or a runfile's current ones, with its optimizer state), the
same loss, the same torch.optim optimizer and options (weight decay and l1 on
the weights only, as nntui does, through parameter groups), the same batch
order and the same number of epochs. Run, it prints
`epoch E train_loss L val_loss V` per epoch, equal to nntui's history to
about 1e-9 in float64: the train loss as nntui defines it (the mean of the
epoch's batch losses, weighted by batch size), the validation loss on the
whole validation set at the epoch's end. A learning-rate schedule becomes the
same torch.optim.lr_scheduler (its state carried over), early stopping the
same Keras rule, input scaling the same arithmetic on the same statistics.

What has no torch counterpart (the perceptron rule, a step activation) is
refused with ExportError, naming it.
"""

from __future__ import annotations

import math
from datetime import date

import numpy as np

from nntui import __version__
from nntui.engine.activations import ELU_ALPHA, LEAKY_SLOPE, SOFTPLUS_THRESHOLD
from nntui.engine.trainer import Trainer

# nntui's activation -> the torch.nn module (torch's defaults are nntui's).
_MODULES = {
    "identity": "torch.nn.Identity()", "linear": "torch.nn.Identity()",
    "sigmoid": "torch.nn.Sigmoid()", "tanh": "torch.nn.Tanh()", "relu": "torch.nn.ReLU()",
    "leaky_relu": f"torch.nn.LeakyReLU({LEAKY_SLOPE})", "elu": f"torch.nn.ELU({ELU_ALPHA})",
    "gelu": "torch.nn.GELU()", "softplus": f"torch.nn.Softplus(beta=1.0, threshold={SOFTPLUS_THRESHOLD})",
}
# nntui's loss -> torch's, and whether the output activation is folded into it
# (nntui computes BCE and cross-entropy stably from the logits, as these do).
_LOSSES = {
    "mse": ("torch.nn.MSELoss()", False),
    "bce": ("torch.nn.BCEWithLogitsLoss()", True),
    "cross_entropy": ("torch.nn.CrossEntropyLoss()", True),
}
# nntui's optimizer -> torch.optim's class (the options have torch's own names).
_OPTIMIZERS = {"sgd": "SGD", "adam": "Adam", "adamw": "AdamW", "rmsprop": "RMSprop", "adagrad": "Adagrad"}


class ExportError(ValueError):
    """A run that has no PyTorch counterpart; the message says what and why."""


def pytorch_script(trainer: Trainer, epochs: int, source: str = "") -> str:
    """The script for `epochs` more epochs of the trainer's run, from where it is."""
    c = trainer.config
    m, t = c.model, c.train
    if t.optimizer not in _OPTIMIZERS:
        raise ExportError(f'optimizer = "{t.optimizer}" has no torch.optim counterpart; '
                          f"export a run of {', '.join(_OPTIMIZERS)}")
    hidden = [m.activation] * (len(m.layers) - 2)
    for name in hidden + [m.output]:
        if name not in _MODULES and name != "softmax":
            raise ExportError(f'activation "{name}" has no torch.nn counterpart with a gradient')
    if trainer.net.off:
        units = ", ".join(f"unit {j} of layer {l}" for l, j in sorted(trainer.net.off))
        raise ExportError(f"{units} switched off: torch.nn.Linear has no such switch; switch every unit on "
                          "before exporting")
    if trainer.done:
        raise ExportError("the run is in the middle of a step; finish the step (s) before exporting")
    if trainer.batch:
        raise ExportError(f"the run is in the middle of epoch {trainer.epoch + 1} (batch {trainer.batch + 1}); "
                          "export it at an epoch's end")
    loss_code, folded = _LOSSES[t.loss]
    layers = []
    for l in range(1, len(m.layers)):
        layers.append(f"        torch.nn.Linear({m.layers[l - 1]}, {m.layers[l]}),")
        act = m.output if l == len(m.layers) - 1 else m.activation
        if l < len(m.layers) - 1 or not folded:
            layers.append(f"        {_MODULES[act]},")
    state = trainer.state_dict()
    options = dict(trainer.optimizer.options)
    l1 = options.pop("l1", 0.0)
    wd = options.get("weight_decay", 0.0)
    d = trainer.dataset
    label_kind = {"binary": "float64 (n, 1) in {0, 1}", "multiclass": "int64 class indices (n,)",
                  "regression": "float64 (n, k)"}[d.task]
    name = c.name if c.source else "run"
    start = trainer.epoch
    opt_args = ", ".join(f"{k}={_py(v)}" for k, v in options.items() if k != "weight_decay")
    opt_args = f", {opt_args}" if opt_args else ""
    return _TEMPLATE.format(
        title=_literal(c.title or name), description=_literal(c.description), version=__version__,
        today=date.today().isoformat(), source=repr(source or name), classes=repr(tuple(d.classes)), epochs=epochs, start=start, batch_size=trainer.batch_size, seed=m.seed,
        full_batch=trainer.batches_per_epoch == 1, layers="\n".join(layers),
        output_note=_output_note(m.output, t.loss, folded), loss=loss_code,
        torch_optimizer=_OPTIMIZERS[t.optimizer], lr=_py(trainer.optimizer.lr), wd=_py(wd), l1=_py(l1),
        opt_args=opt_args, label_kind=label_kind, y_dtype="torch.long" if d.task == "multiclass" else "torch.float64",
        weights=_arrays({k: v for k, v in state["params"].items()}),
        opt_state=_arrays(state["optimizer"]), opt_step=int(state["optimizer"].get("t", 0)),
        x_train=_array(d.x_train), y_train=_array(d.y_train), x_val=_array(d.x_val), y_val=_array(d.y_val),
        features=_features_code(trainer.features, trainer.scaler),
        schedule_setup=_schedule_setup(trainer), schedule_step=_schedule_step(trainer),
        stop_setup=_stop_setup(trainer), stop_check=_stop_check(trainer),
        rules_code=_rules_code(trainer, folded),
    )


# Each feature of a point (x1, x2), as the script computes it (numpy, as engine/features.py does).
_FEATURE_CODE = {"x1": "x1", "x2": "x2", "x1_sq": "x1 * x1", "x2_sq": "x2 * x2", "x1_x2": "x1 * x2",
                 "sin_x1": "np.sin(x1)", "sin_x2": "np.sin(x2)"}


def _features_code(features: tuple[str, ...], scaler=None) -> str:
    """The script's `inputs(points)`: the network's inputs for the data's points."""
    scaled = scaler is not None and scaler.active
    scale = ""
    if scaled:
        scale = (f"    # nntui's data.scale = \"{scaler.kind}\": the training set's statistics, the same for every input.\n"
                 f"    SHIFT = {_array(scaler.shift)}\n"
                 f"    DIVISOR = {_array(scaler.divisor)}\n")
    if not features:
        body = ('FEATURES = ()\n\n\n'
                'def inputs(points):\n'
                '    """The network takes the data\'s own inputs."""\n')
        return body + (scale + "    return (points - SHIFT) / DIVISOR\n" if scaled else "    return points\n")
    columns = "\n".join(f"        {_FEATURE_CODE[f]},  # {f!r}" for f in features)
    return (f'FEATURES = {tuple(features)!r}\n\n\n'
            'def inputs(points):\n'
            '    """The network\'s inputs: the features FEATURES of each point (x1, x2)\n'
            '    (nntui\'s data.features; the data keeps its points, the boundary is drawn over them)."""\n'
            '    x1, x2 = points[:, 0], points[:, 1]\n'
            '    x = np.stack([\n'
            f'{columns}\n'
            '    ], axis=1)\n'
            + (scale + "    return (x - SHIFT) / DIVISOR\n" if scaled else "    return x\n"))


# nntui's schedule kind -> torch's scheduler, and its arguments as torch names them.
_SCHEDULERS = {"step": "StepLR", "multistep": "MultiStepLR", "exponential": "ExponentialLR",
               "cosine": "CosineAnnealingLR", "plateau": "ReduceLROnPlateau"}


def _schedule_setup(trainer: Trainer) -> str:
    sc = trainer.config.train.schedule
    if sc is None:
        return ""
    args = "".join(f", {k}={_py(list(v) if k == 'milestones' else v)}" for k, v in sc.args.items())
    kind = f"torch.optim.lr_scheduler.{_SCHEDULERS[sc.kind]}(optimizer{args})"
    if sc.warmup:
        warm = (f"torch.optim.lr_scheduler.LinearLR(optimizer, start_factor={_py(sc.warmup_start)}, "
                f"end_factor=1.0, total_iters={sc.warmup})")
        code = (f"    # {sc.warmup} epochs of linear warm-up, then {sc.kind}: torch's SequentialLR, as nntui steps it.\n"
                f"    warmup = {warm}\n"
                f"    scheduler = torch.optim.lr_scheduler.SequentialLR(optimizer, [warmup, {kind}], "
                f"milestones=[{sc.warmup}])\n")
    else:
        code = f"    scheduler = {kind}\n"
    return code + "    load_schedule_state(scheduler, optimizer)\n"


def _schedule_step(trainer: Trainer) -> str:
    sc = trainer.config.train.schedule
    if sc is None:
        return ""
    if sc.kind == "plateau":
        return f"        scheduler.step(metrics[{sc.monitor!r}])  # once an epoch, reading {sc.monitor}\n"
    return "        scheduler.step()  # once an epoch\n"


def _stop_setup(trainer: Trainer) -> str:
    if trainer.stop is None:
        return ""
    return "    stopping = EarlyStopping(model)\n"


def _stop_check(trainer: Trainer) -> str:
    sc = trainer.config.train.schedule
    if trainer.stop is None and (sc is None or sc.kind != "plateau"):
        return ""
    monitors = {trainer.stopper.monitor if trainer.stopper else None, sc.monitor if sc is not None else None}
    acc = ', "val_accuracy": val_accuracy(model, x_val, y_val)' if "val_accuracy" in monitors else ""
    code = f'        metrics = {{"train_loss": total / n, "val_loss": val_loss{acc}}}\n'
    if trainer.stop is not None:
        code += ("        if stopping.stops(epoch, metrics):\n"
                 "            break\n")
    return code


def _val_accuracy_code(trainer: Trainer, folded: bool) -> str:
    """`val_accuracy(model, x, y)`, counted as nntui counts it."""
    task = trainer.dataset.task
    a = "torch.sigmoid(out)" if folded else "out"  # the model's last module is the output, unless the loss holds it
    right = (f"(({a} >= 0.5) == (y >= 0.5)).sum().item()" if task == "binary"
             else "(out.argmax(dim=1) == y).sum().item()")
    return ("\n\ndef val_accuracy(model, x, y):\n"
            '    """The share of the validation set classified right, as nntui counts it."""\n'
            "    with torch.no_grad():\n"
            "        out = model(x)\n"
            f"    return {right} / len(y)\n")


def _rules_code(trainer: Trainer, folded: bool) -> str:
    """The schedule's state and the early stopping rule, as the script needs them."""
    sc = trainer.config.train.schedule
    out = []
    if "val_accuracy" in (trainer.stopper.monitor if trainer.stopper else None, sc.monitor if sc else None):
        out.append(_val_accuracy_code(trainer, folded))
    if trainer.schedule is not None:
        out.append(_SCHEDULE_CODE.format(state=_py_data(trainer.schedule.state())))
    if trainer.stop is not None:
        st, es = trainer.stop, trainer.stopper
        best = _arrays(st.best_params) if st.best_params is not None and st.best_params is not trainer.params else (
            "None" if st.best_params is None else "\"now\"")
        out.append(_STOP_CODE.format(monitor=es.monitor, patience=es.patience, min_delta=_py(abs(es.min_delta)),
                                     mode=es.mode, restore=es.restore_best, best=_py(st.best),
                                     best_epoch=st.best_epoch, wait=st.wait, best_weights=best))
    return "".join(out)


def _py_data(v) -> str:
    """Plain data (dicts, lists, numbers, None) as Python source that reads back exactly."""
    if isinstance(v, dict):
        return "{" + ", ".join(f"{k!r}: {_py_data(x)}" for k, x in v.items()) + "}"
    if isinstance(v, (list, tuple)):
        return "[" + ", ".join(_py_data(x) for x in v) + "]"
    return _py(v) if not isinstance(v, int) or isinstance(v, bool) else repr(v)


_SCHEDULE_CODE = '''

# nntui's schedule where the run is now, in torch's own names (a new run: as constructed).
SCHEDULE_STATE = {state}


def load_schedule_state(scheduler, optimizer):
    for group in optimizer.param_groups:
        group["lr"], group["initial_lr"] = SCHEDULE_STATE["lr"], SCHEDULE_STATE["initial_lr"]
    state = SCHEDULE_STATE["sched"]
    parts = [(scheduler, state)]
    if "schedulers" in state:  # SequentialLR: its own epoch, then each scheduler's state
        scheduler.last_epoch = state["last_epoch"]
        parts = list(zip(scheduler._schedulers, state["schedulers"]))
    for s, st in parts:
        for key, value in st.items():
            if key == "base_lr":
                s.base_lrs = [value] * len(optimizer.param_groups)
            else:
                setattr(s, key, value)
        s._last_lr = [group["lr"] for group in optimizer.param_groups]
'''

_STOP_CODE = '''

class EarlyStopping:
    """Keras's EarlyStopping rule, as nntui runs it: an improvement beats the best
    by more than MIN_DELTA; stop at the first epoch PATIENCE epochs after the best
    (never the first), back on the best epoch's weights if RESTORE."""

    MONITOR, PATIENCE, MIN_DELTA, MODE, RESTORE = {monitor!r}, {patience}, {min_delta}, {mode!r}, {restore}

    def __init__(self, model):
        self.model = model
        self.best, self.best_epoch, self.wait = {best}, {best_epoch}, {wait}
        best = {best_weights}
        self.best_weights = self.weights() if best == "now" else best and {{k: torch.tensor(v) for k, v in best.items()}}

    def weights(self):
        linear = [m for m in self.model if isinstance(m, torch.nn.Linear)]
        out = {{}}
        for l, layer in enumerate(linear, start=1):
            out[f"W{{l}}"], out[f"b{{l}}"] = layer.weight.detach().T.clone(), layer.bias.detach().clone()
        return out

    def improves(self, value):
        if self.MODE == "min":
            return value + self.MIN_DELTA < self.best
        return value - self.MIN_DELTA > self.best

    def stops(self, epoch, metrics):
        value = metrics[self.MONITOR]
        if self.RESTORE and self.best_weights is None:
            self.best_weights = self.weights()
        self.wait += 1
        if self.improves(value):
            self.best, self.best_epoch, self.wait = value, epoch, 0
            if self.RESTORE:
                self.best_weights = self.weights()
            return False
        if self.wait < self.PATIENCE or epoch == 0:
            return False
        if self.RESTORE:
            linear = [m for m in self.model if isinstance(m, torch.nn.Linear)]
            with torch.no_grad():
                for l, layer in enumerate(linear, start=1):
                    layer.weight.copy_(self.best_weights[f"W{{l}}"].T)
                    layer.bias.copy_(self.best_weights[f"b{{l}}"])
        print(f"stopped at epoch {{epoch + 1}}: no better {{self.MONITOR}} for {{self.wait}} epochs; "
              f"best at epoch {{self.best_epoch + 1}}" + (" (restored)" if self.RESTORE else ""))
        return True
'''


def _output_note(output: str, loss: str, folded: bool) -> str:
    if folded:
        return (f"# The {output} output is inside the loss: {loss} is computed from the last layer's\n"
                f"    # outputs z (the logits), stably, as nntui computes it. Predictions: torch.{output}"
                f"(model(x){', dim=1' if output == 'softmax' else ''}).")
    return f"# The {output} output is the model's last module; {loss} compares it with y."


def _literal(text: str, width: int = 72) -> str:
    """`text` as a Python literal: its repr, or for long text the reprs of
    its pieces (cut after a space) in parentheses, which Python joins again."""
    if len(text) <= width:
        return repr(text)
    parts = []
    while text:
        cut = len(text) if len(text) <= width else (text.rfind(" ", 0, width) + 1 or width)
        parts.append(text[:cut])
        text = text[cut:]
    return "(\n    " + "\n    ".join(repr(p) for p in parts) + "\n)"


def _py(v) -> str:
    """A value as Python source that reads back exactly."""
    if isinstance(v, (bool, np.bool_)):
        return repr(bool(v))
    if isinstance(v, (tuple, list)):
        return "(" + ", ".join(_py(x) for x in v) + ("," if len(v) == 1 else "") + ")"
    if isinstance(v, (float, np.floating)):
        x = float(v)
        return repr(x) if math.isfinite(x) else f'float("{x}")'
    return repr(v)


def _array(a: np.ndarray) -> str:
    """`np.array([...])` with every float written to round-trip exactly."""
    a = np.asarray(a)
    if a.dtype.kind in "iu":
        return f"np.array({a.tolist()!r}, dtype=np.int64).reshape({a.shape})"
    body = repr(a.astype(np.float64).ravel().tolist())
    return f"np.array({body}, dtype=np.float64).reshape({a.shape})"


def _arrays(arrays: dict) -> str:
    return "{\n" + "".join(f"    {k!r}: {_array(v)},\n" for k, v in arrays.items() if k != "t") + "}"


_TEMPLATE = '''"""A PyTorch script exported by nntui {version} on {today}: TITLE and SOURCE below
say which run.

It trains the same network as `nntui train SOURCE`: the same data (nntui's own
split, at the bottom of this file), the same starting weights, the same loss and
optimizer with the same options, the same batch order, for {epochs} epochs from
epoch {start}. Each epoch prints

    epoch E train_loss L val_loss V

equal to nntui's history to about 1e-9: the train loss is the mean of the
epoch's batch losses (weighted by their sizes), as nntui reports it, and the
validation loss is measured at the epoch's end. Change the model, the optimizer
or the loop and run it again:  python this_file.py
It needs torch and numpy only.
"""

import numpy as np
import torch

# Text from the preset or runfile, as Python literals: data, never code.
TITLE = {title}
DESCRIPTION = {description}
SOURCE = {source}
CLASSES = {classes}  # label k (an output's index) is the class CLASSES[k]; () for a regression

torch.set_default_dtype(torch.float64)  # nntui computes in float64
torch.set_num_threads(1)  # tiny matrices: one thread is faster, and sums are summed in one order

EPOCHS = {epochs}
START_EPOCH = {start}  # epochs already trained (a resumed run goes on from there)
BATCH_SIZE = {batch_size}
SEED = {seed}  # nntui's model seed: the batch order of epoch e is default_rng([SEED, e])
L1 = {l1}  # nntui's l1: + L1 * sign(W) on the weights' gradients, before the optimizer
FULL_BATCH = {full_batch}  # one batch an epoch: nntui keeps the rows in their own order


def main():
    x_train, y_train, x_val, y_val = (torch.tensor(a) for a in (inputs(X_TRAIN), Y_TRAIN, inputs(X_VAL), Y_VAL))
    y_train, y_val = y_train.to({y_dtype}), y_val.to({y_dtype})

    model = torch.nn.Sequential(
{layers}
    )
    {output_note}
    linear = [m for m in model if isinstance(m, torch.nn.Linear)]
    with torch.no_grad():  # nntui's W_l is (inputs, units); torch's weight is (units, inputs)
        for l, layer in enumerate(linear, start=1):
            layer.weight.copy_(torch.tensor(WEIGHTS[f"W{{l}}"]).T)
            layer.bias.copy_(torch.tensor(WEIGHTS[f"b{{l}}"]))
    weights = [layer.weight for layer in linear]
    biases = [layer.bias for layer in linear]

    loss_fn = {loss}
    # nntui decays the weights only: the biases are a group of their own without it.
    optimizer = torch.optim.{torch_optimizer}(
        [{{"params": weights}}, {{"params": biases, "weight_decay": 0.0}}],
        lr={lr}, weight_decay={wd}{opt_args},
    )
    load_optimizer_state(optimizer, linear)
{schedule_setup}{stop_setup}
    n = len(x_train)
    for epoch in range(START_EPOCH, START_EPOCH + EPOCHS):
        order = np.arange(n) if FULL_BATCH else np.random.default_rng([SEED, epoch]).permutation(n)
        total = 0.0
        for start in range(0, n, BATCH_SIZE):
            rows = torch.from_numpy(order[start:start + BATCH_SIZE])
            optimizer.zero_grad()
            loss = loss_fn(model(x_train[rows]), y_train[rows])
            loss.backward()
            if L1:
                for w in weights:
                    w.grad += L1 * torch.sign(w.detach())
            optimizer.step()
            total += loss.item() * len(rows)
        with torch.no_grad():
            val_loss = loss_fn(model(x_val), y_val).item() if len(x_val) else float("nan")
        print(f"epoch {{epoch + 1}} train_loss {{total / n!r}} val_loss {{val_loss!r}}")
{stop_check}{schedule_step}

{features}{rules_code}

def load_optimizer_state(optimizer, linear):
    """The optimizer's state where the run stopped (none at step 0), in torch's own names."""
    if not OPTIMIZER_STATE:
        return
    for l, layer in enumerate(linear, start=1):
        for p, name, turn in ((layer.weight, f"W{{l}}", True), (layer.bias, f"b{{l}}", False)):
            state = {{"step": torch.tensor(float(OPTIMIZER_STEP))}}
            for key, value in OPTIMIZER_STATE.items():
                if key.startswith(name + "/"):
                    v = torch.tensor(value)
                    state[key.split("/", 1)[1]] = v.T.contiguous() if turn else v
            optimizer.state[p] = state


# --- nntui's parameters now (W_l: inputs x units) and its optimizer's state -----------

WEIGHTS = {weights}

OPTIMIZER_STEP = {opt_step}
OPTIMIZER_STATE = {opt_state}

# --- the data: nntui's split, float64; labels {label_kind} ---------------------

X_TRAIN = {x_train}
Y_TRAIN = {y_train}
X_VAL = {x_val}
Y_VAL = {y_val}

if __name__ == "__main__":
    main()
'''
