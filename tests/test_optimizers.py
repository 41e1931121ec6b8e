"""Optimizers against torch.optim (float64, 1e-10 at every step) and their contract."""

from __future__ import annotations

import io

import numpy as np
import pytest

from nntui.engine.optimizers import OPTIMIZER_DEFAULTS, OPTIMIZERS, Optimizer, make_optimizer

try:  # the oracle: only the tests that take the `torch` fixture (conftest.py) use it,
    import torch  # and only they are skipped without it
except ImportError:
    torch = None

TOL = 1e-10
STEPS = 100
SHAPES = {"W1": (3, 4), "b1": (4,), "W2": (4, 2), "b2": (2,)}
TORCH_CLASSES = {
    "sgd": "SGD",
    "adam": "Adam",
    "adamw": "AdamW",
    "rmsprop": "RMSprop",
    "adagrad": "Adagrad",
}

# (optimizer, lr, options): every option of every rule, alone and combined.
GRID = [
    ("sgd", 0.1, {}),
    ("sgd", 0.1, {"momentum": 0.9}),
    ("sgd", 0.1, {"momentum": 0.9, "dampening": 0.5}),
    ("sgd", 0.1, {"momentum": 0.9, "nesterov": True}),
    ("sgd", 0.1, {"weight_decay": 0.1}),
    ("sgd", 0.05, {"momentum": 0.8, "nesterov": True, "weight_decay": 0.05}),
    ("adam", 0.01, {}),
    ("adam", 0.01, {"amsgrad": True}),
    ("adam", 0.01, {"weight_decay": 0.1}),
    ("adam", 0.02, {"betas": (0.3, 0.4), "eps": 1e-3, "amsgrad": True, "weight_decay": 0.05}),
    ("adamw", 0.01, {}),
    ("adamw", 0.01, {"weight_decay": 0.2, "amsgrad": True}),
    ("adamw", 0.05, {"betas": (0.6, 0.9), "weight_decay": 0.0}),
    ("rmsprop", 0.01, {}),
    ("rmsprop", 0.01, {"momentum": 0.9}),
    ("rmsprop", 0.01, {"centered": True}),
    ("rmsprop", 0.01, {"centered": True, "momentum": 0.5}),
    ("rmsprop", 0.01, {"alpha": 0.3, "eps": 1e-4, "weight_decay": 0.1}),
    ("adagrad", 0.1, {}),
    ("adagrad", 0.1, {"lr_decay": 0.05}),
    ("adagrad", 0.1, {"initial_accumulator_value": 0.5}),
    ("adagrad", 0.1, {"lr_decay": 0.01, "initial_accumulator_value": 0.1, "eps": 1e-3,
                      "weight_decay": 0.1}),
]
IDS = [f"{n}-{'-'.join(f'{k}={v}' for k, v in o.items()) or 'default'}" for n, _, o in GRID]


def random_params(seed: int = 0) -> dict[str, np.ndarray]:
    rng = np.random.default_rng(seed)
    return {k: rng.normal(size=s) for k, s in SHAPES.items()}


def random_grads(steps: int = STEPS, seed: int = 1) -> list[dict[str, np.ndarray]]:
    rng = np.random.default_rng(seed)
    return [{k: rng.normal(size=s) for k, s in SHAPES.items()} for _ in range(steps)]


class TorchRun:
    """The same parameters under torch.optim: weights in one group, biases in one
    with weight_decay 0 (nntui decays weights only)."""

    def __init__(self, name: str, lr: float, options: dict, params: dict[str, np.ndarray]):
        opts = {k: v for k, v in options.items() if k != "l1"}
        self.l1 = options.get("l1", 0.0)
        self.p = {k: torch.tensor(v, dtype=torch.float64, requires_grad=True) for k, v in params.items()}
        groups = [
            {"params": [p for k, p in self.p.items() if k.startswith("W")]},
            {"params": [p for k, p in self.p.items() if not k.startswith("W")], "weight_decay": 0.0},
        ]
        cls = getattr(torch.optim, TORCH_CLASSES[name])
        self.opt = cls(groups, lr=lr, foreach=False, **opts)

    def step(self, grads: dict[str, np.ndarray]) -> dict[str, np.ndarray]:
        for k, p in self.p.items():
            g = torch.tensor(grads[k], dtype=torch.float64)
            if self.l1 and k.startswith("W"):
                g = g + self.l1 * torch.sign(p.detach())
            p.grad = g
        self.opt.step()
        return self.params()

    def params(self) -> dict[str, np.ndarray]:
        return {k: p.detach().numpy().copy() for k, p in self.p.items()}


def max_diff(a: dict[str, np.ndarray], b: dict[str, np.ndarray]) -> float:
    assert a.keys() == b.keys()
    return max(float(np.max(np.abs(a[k] - b[k]))) for k in a)


def run_both(name, lr, options, grads_seq, on_step=None):
    params = random_params()
    ours = make_optimizer(name, lr, options)
    ref = TorchRun(name, lr, options, params)
    worst = 0.0
    for i, grads in enumerate(grads_seq):
        if on_step is not None:
            on_step(i, ours, ref)
        params = ours.step(params, grads)
        expected = ref.step(grads)
        d = max_diff(params, expected)
        assert d < TOL, f"step {i + 1}: max abs diff {d:.3g}"
        worst = max(worst, d)
    return ours, ref, params, worst


# ------------------------------------------------------------- torch oracle


@pytest.mark.usefixtures("torch")
@pytest.mark.parametrize(("name", "lr", "options"), GRID, ids=IDS)
def test_matches_torch_every_step(name, lr, options):
    ours, ref, params, _ = run_both(name, lr, options, random_grads())
    assert ours.t == STEPS
    # The state carries torch's names and values too.
    for k, p in ref.p.items():
        tstate = ref.opt.state[p]
        for key, arr in ours.state[k].items():
            assert key in tstate, f"{name}: state '{key}' unknown to torch"
            np.testing.assert_allclose(arr, tstate[key].numpy(), rtol=0, atol=TOL)
        for key, val in tstate.items():
            if key != "step" and val is not None:
                assert key in ours.state[k], f"{name}: torch state '{key}' missing"


L1_GRID = [
    ("sgd", 0.1, {"l1": 0.05}),
    ("sgd", 0.1, {"l1": 0.05, "momentum": 0.9, "weight_decay": 0.1}),
    ("adam", 0.01, {"l1": 0.1, "weight_decay": 0.01}),
    ("adamw", 0.01, {"l1": 0.1, "weight_decay": 0.1}),
    ("rmsprop", 0.01, {"l1": 0.1, "centered": True, "momentum": 0.5}),
    ("adagrad", 0.1, {"l1": 0.1, "lr_decay": 0.01}),
]


@pytest.mark.usefixtures("torch")
@pytest.mark.parametrize(("name", "lr", "options"), L1_GRID, ids=[g[0] for g in L1_GRID])
def test_l1_is_sign_of_weights_added_to_the_gradient(name, lr, options):
    """torch has no l1: feed it g + l1*sign(W) for weights, plain g for biases."""
    run_both(name, lr, options, random_grads(50))


@pytest.mark.parametrize("name", ["sgd", "adam", "adamw", "rmsprop", "adagrad"])
def test_defaults_are_torchs(name, torch):
    cls = getattr(torch.optim, TORCH_CLASSES[name])
    tdefaults = cls([torch.zeros(1, requires_grad=True)]).defaults
    ours = OPTIMIZER_DEFAULTS[name]
    assert ours["l1"] == 0.0
    for key, value in ours.items():
        if key == "l1":
            continue
        assert key in tdefaults, key
        assert tdefaults[key] == value, (key, tdefaults[key], value)
    assert OPTIMIZER_DEFAULTS["perceptron"] == {}
    # Built with defaults, we keep them.
    assert make_optimizer(name, 0.1, {}).options == ours


@pytest.mark.usefixtures("torch")
def test_live_changes_match_torch():
    """lr and options changed between steps act as changing a torch param group."""

    def change(i, ours, ref):
        if i == 30:
            ours.lr = 0.03
            ours.set_option("momentum", 0.5)
            for g in ref.opt.param_groups:
                g["lr"], g["momentum"] = 0.03, 0.5
        if i == 60:
            ours.set_option("momentum", 0.0)  # the buffer is kept, as torch keeps it
            for g in ref.opt.param_groups:
                g["momentum"] = 0.0
        if i == 80:
            ours.set_option("momentum", 0.9)
            for g in ref.opt.param_groups:
                g["momentum"] = 0.9

    run_both("sgd", 0.1, {"momentum": 0.9, "weight_decay": 0.01}, random_grads(), change)

    def change_adam(i, ours, ref):
        if i == 40:
            ours.lr = 0.001
            ours.set_option("betas", [0.5, 0.9])
            ours.set_option("weight_decay", 0.3)
            for g in ref.opt.param_groups[:1]:
                g["lr"], g["betas"], g["weight_decay"] = 0.001, (0.5, 0.9), 0.3
            for g in ref.opt.param_groups[1:]:
                g["lr"], g["betas"] = 0.001, (0.5, 0.9)

    run_both("adamw", 0.01, {}, random_grads(), change_adam)


# ------------------------------------------------------------- the contract


def copy_nested(d):
    return {k: {kk: vv.copy() for kk, vv in v.items()} for k, v in d.items()}


def assert_nested_equal(a, b):
    assert a.keys() == b.keys()
    for k in a:
        assert a[k].keys() == b[k].keys()
        for kk in a[k]:
            np.testing.assert_array_equal(a[k][kk], b[k][kk])


@pytest.mark.parametrize(("name", "lr", "options"), GRID, ids=IDS)
def test_compute_does_not_mutate(name, lr, options):
    opt = make_optimizer(name, lr, options)
    params = random_params()
    seq = random_grads(4)
    for grads in seq[:3]:
        params = opt.step(params, grads)
    grads = seq[3]
    p0 = {k: v.copy() for k, v in params.items()}
    g0 = {k: v.copy() for k, v in grads.items()}
    s0 = copy_nested(opt.state)
    state_ref = opt.state
    new_params, pending = opt.compute(params, grads)
    for k in params:
        np.testing.assert_array_equal(params[k], p0[k])
        np.testing.assert_array_equal(grads[k], g0[k])
        assert not np.shares_memory(new_params[k], params[k])
        assert not np.shares_memory(new_params[k], grads[k])
    assert opt.t == 3 and opt.state is state_ref
    assert_nested_equal(opt.state, s0)
    # Committing does not change the arrays the old state held either.
    opt.commit(pending)
    assert_nested_equal(s0, {k: dict(v) for k, v in state_ref.items()})
    for k in params:  # nor does the new state alias the caller's arrays
        for arr in opt.state[k].values():
            assert not np.shares_memory(arr, grads[k])
            assert not np.shares_memory(arr, params[k])


@pytest.mark.parametrize(("name", "lr", "options"), GRID + [("perceptron", 0.5, {})])
def test_step_equals_compute_then_commit(name, lr, options):
    a = make_optimizer(name, lr, options)
    b = make_optimizer(name, lr, options)
    pa = pb = random_params()
    for grads in random_grads(10):
        pa = a.step(pa, grads)
        new, pending = b.compute(pb, grads)
        b.commit(pending)
        pb = new
        for k in pa:
            np.testing.assert_array_equal(pa[k], pb[k])
    assert a.t == b.t == 10
    assert_nested_equal(a.state, b.state)


@pytest.mark.parametrize(("name", "lr", "options"), GRID + [("perceptron", 0.5, {})])
def test_state_round_trip_continues_identically(name, lr, options):
    seq = random_grads(20)
    a = make_optimizer(name, lr, options)
    params = random_params()
    for grads in seq[:10]:
        params = a.step(params, grads)
    flat = a.get_state()
    assert int(flat["t"]) == 10
    # Through an .npz file, as the runfile stores it.
    buf = io.BytesIO()
    np.savez(buf, **flat)
    buf.seek(0)
    with np.load(buf) as z:
        loaded = {k: z[k] for k in z.files}
    b = make_optimizer(name, lr, options)
    b.set_state(loaded)
    assert b.t == 10
    pa = pb = params
    for grads in seq[10:]:
        pa = a.step(pa, grads)
        pb = b.step(pb, grads)
        for k in pa:
            np.testing.assert_array_equal(pa[k], pb[k])


def test_set_state_refuses_foreign_entries():
    opt = make_optimizer("sgd", 0.1, {"momentum": 0.9})
    with pytest.raises(ValueError, match="exp_avg"):
        opt.set_state({"t": np.array(1), "W1/exp_avg": np.zeros((3, 4))})
    with pytest.raises(ValueError, match="'t'"):
        opt.set_state({"W1/momentum_buffer": np.zeros((3, 4))})


@pytest.mark.parametrize(("name", "lr", "options"), GRID)
def test_copy_and_restore_state_rewinds(name, lr, options):
    seq = random_grads(8)
    opt = make_optimizer(name, lr, options)
    params = random_params()
    for grads in seq[:4]:
        params = opt.step(params, grads)
    saved = opt.copy_state()
    p_saved = params
    run1 = []
    for grads in seq[4:]:
        params = opt.step(params, grads)
        run1.append(params)
    opt.restore_state(saved)
    assert opt.t == 4
    params = p_saved
    for grads, expected in zip(seq[4:], run1):
        params = opt.step(params, grads)
        for k in params:
            np.testing.assert_array_equal(params[k], expected[k])


def test_sgd_first_momentum_buffer_is_the_gradient():
    opt = make_optimizer("sgd", 0.1, {"momentum": 0.9, "dampening": 0.5, "weight_decay": 0.1})
    params, grads = random_params(), random_grads(1)[0]
    opt.step(params, grads)
    np.testing.assert_array_equal(
        opt.state["W1"]["momentum_buffer"], grads["W1"] + 0.1 * params["W1"]
    )
    np.testing.assert_array_equal(opt.state["b1"]["momentum_buffer"], grads["b1"])


def test_decay_spares_biases():
    params = random_params()
    zero = {k: np.zeros_like(v) for k, v in params.items()}
    for name, options in [
        ("sgd", {"weight_decay": 0.5, "l1": 0.5}),
        ("adamw", {"weight_decay": 0.5}),
        ("adam", {"weight_decay": 0.5, "l1": 0.1}),
        ("rmsprop", {"weight_decay": 0.5, "l1": 0.1}),
        ("adagrad", {"weight_decay": 0.5, "l1": 0.1}),
    ]:
        new = make_optimizer(name, 0.1, options).step(params, zero)
        for k in params:
            if k.startswith("b"):
                np.testing.assert_array_equal(new[k], params[k])
            else:
                # decay pulls every weight towards 0
                assert np.all(np.sign(new[k] - params[k]) == -np.sign(params[k])), (name, k)


def test_perceptron_is_rosenblatts_rule():
    rng = np.random.default_rng(3)
    x = rng.normal(size=(8, 3))
    y = rng.integers(0, 2, size=(8, 1)).astype(float)
    params = {"W1": rng.normal(size=(3, 1)), "b1": rng.normal(size=(1,))}
    y_hat = (x @ params["W1"] + params["b1"] >= 0).astype(float)
    # What the engine hands the rule: the perceptron loss's un-averaged gradient.
    grads = {"W1": -x.T @ (y - y_hat), "b1": -np.sum(y - y_hat, axis=0)}
    opt = make_optimizer("perceptron", 0.5, {})
    assert opt.options == {}
    new = opt.step(params, grads)
    np.testing.assert_allclose(new["W1"], params["W1"] + 0.5 * x.T @ (y - y_hat), rtol=0, atol=1e-15)
    np.testing.assert_allclose(new["b1"], params["b1"] + 0.5 * np.sum(y - y_hat), rtol=0, atol=1e-15)
    assert opt.t == 1 and opt.state == {"W1": {}, "b1": {}}


# ------------------------------------------------------------- validation


def test_registry():
    assert set(OPTIMIZERS) == {"sgd", "adam", "adamw", "rmsprop", "adagrad", "perceptron"}
    assert set(OPTIMIZER_DEFAULTS) == set(OPTIMIZERS)
    for name, cls in OPTIMIZERS.items():
        assert issubclass(cls, Optimizer) and cls.name == name
        opt = make_optimizer(name, 0.1, {})
        assert opt.name == name and opt.lr == 0.1 and opt.t == 0 and opt.state == {}


def test_unknown_names_are_refused_with_the_allowed_ones():
    with pytest.raises(ValueError, match=r"did you mean 'adam'\?.*allowed: adagrad, adam, adamw"):
        make_optimizer("adan", 0.1, {})
    with pytest.raises(ValueError, match=r"'beta1'.*allowed: amsgrad, betas, eps, l1, weight_decay"):
        make_optimizer("adam", 0.1, {"beta1": 0.9})
    with pytest.raises(ValueError, match=r"did you mean 'momentum'"):
        make_optimizer("sgd", 0.1, {"momentun": 0.9})
    with pytest.raises(ValueError, match=r"allowed: none"):
        make_optimizer("perceptron", 0.1, {"l1": 0.1})
    with pytest.raises(ValueError, match=r"unknown option"):
        make_optimizer("sgd", 0.1, {}).set_option("betas", (0.9, 0.99))


@pytest.mark.parametrize(
    ("name", "lr", "options", "match"),
    [
        ("sgd", -0.1, {}, "learning rate"),
        ("sgd", float("nan"), {}, "learning rate"),
        ("sgd", "0.1", {}, "learning rate"),
        ("sgd", 0.1, {"momentum": -0.1}, "momentum"),
        ("sgd", 0.1, {"weight_decay": -1}, "weight_decay"),
        ("sgd", 0.1, {"nesterov": True}, "nesterov"),
        ("sgd", 0.1, {"nesterov": True, "momentum": 0.9, "dampening": 0.1}, "nesterov"),
        ("sgd", 0.1, {"nesterov": 1, "momentum": 0.9}, "true or false"),
        ("sgd", 0.1, {"l1": -0.1}, "l1"),
        ("adam", 0.1, {"betas": (0.9, 1.0)}, "index 1"),
        ("adam", 0.1, {"betas": (-0.1, 0.9)}, "index 0"),
        ("adam", 0.1, {"betas": 0.9}, "betas"),
        ("adam", 0.1, {"betas": (0.9, 0.99, 0.9)}, "betas"),
        ("adamw", 0.1, {"eps": -1e-8}, "eps"),
        ("adam", 0.1, {"amsgrad": "yes"}, "amsgrad"),
        ("rmsprop", 0.1, {"alpha": -0.5}, "alpha"),
        ("rmsprop", 0.1, {"momentum": True}, "momentum"),
        ("adagrad", 0.1, {"lr_decay": -0.1}, "lr_decay"),
        ("adagrad", 0.1, {"initial_accumulator_value": -1}, "initial_accumulator_value"),
    ],
)
def test_out_of_range_values_are_refused(name, lr, options, match):
    with pytest.raises(ValueError, match=match):
        make_optimizer(name, lr, options)


def test_live_setters_validate_and_normalise():
    opt = make_optimizer("sgd", 0.1, {"momentum": 1})
    assert opt.options["momentum"] == 1.0 and isinstance(opt.options["momentum"], float)
    opt.lr = 0.5
    assert opt.lr == 0.5
    with pytest.raises(ValueError):
        opt.lr = -1
    assert opt.lr == 0.5
    opt.set_option("nesterov", True)
    with pytest.raises(ValueError, match="nesterov"):
        opt.set_option("momentum", 0.0)
    assert opt.options["momentum"] == 1.0 and opt.options["nesterov"] is True
    adam = make_optimizer("adam", 0.1, {"betas": [0.8, 0.9]})
    assert adam.options["betas"] == (0.8, 0.9)


def test_stale_pending_is_refused():
    opt = make_optimizer("adam", 0.1, {})
    params, grads = random_params(), random_grads(1)[0]
    _, pending = opt.compute(params, grads)
    opt.commit(pending)
    with pytest.raises(ValueError, match="stale"):
        opt.commit(pending)


def test_toggling_stateful_options_midway_does_not_crash():
    """torch would KeyError on a state slot created later; we start it as torch would."""
    params = random_params()
    for name, key, value in [
        ("adam", "amsgrad", True),
        ("rmsprop", "centered", True),
        ("rmsprop", "momentum", 0.9),
        ("sgd", "momentum", 0.9),
    ]:
        opt = make_optimizer(name, 0.01, {})
        p = opt.step(params, random_grads(1)[0])
        opt.set_option(key, value)
        p = opt.step(p, random_grads(1, seed=5)[0])
        assert all(np.all(np.isfinite(v)) for v in p.values())


def test_set_options_changes_several_at_once():
    opt = make_optimizer("sgd", 0.1, {"momentum": 0.9, "nesterov": True})
    with pytest.raises(ValueError, match="nesterov"):
        opt.set_option("momentum", 0.0)  # alone it would break nesterov
    opt.set_options({"momentum": 0.0, "nesterov": False})
    assert opt.options["momentum"] == 0.0 and opt.options["nesterov"] is False
    with pytest.raises(ValueError, match="unknown option"):
        opt.set_options({"momentum": 0.5, "betas": (0.9, 0.9)})
    assert opt.options["momentum"] == 0.0  # nothing changed


def test_holding_t_and_state_is_a_rewind():
    """What the trainer's step-back ring keeps: references, no copies."""
    opt = make_optimizer("adam", 0.01, {"amsgrad": True})
    seq = random_grads(6)
    params = random_params()
    for grads in seq[:3]:
        params = opt.step(params, grads)
    held_t, held_state, held_params = opt.t, opt.state, params
    frozen = copy_nested(held_state)
    later = [params := opt.step(params, grads) for grads in seq[3:]]
    assert_nested_equal(held_state, frozen)  # later steps left it alone
    opt.t, opt.state = held_t, held_state
    params = held_params
    for grads, expected in zip(seq[3:], later):
        params = opt.step(params, grads)
        for k in params:
            np.testing.assert_array_equal(params[k], expected[k])


@pytest.mark.parametrize(("name", "lr", "options"), GRID + L1_GRID)
def test_plain_dicts_and_any_key_order_give_the_same_bits(name, lr, options):
    """compute() reuses the flat vector behind the dict it returned last; a copy
    of that dict, or one in another order, must give exactly the same step."""
    seq = random_grads(5)
    a, b = make_optimizer(name, lr, options), make_optimizer(name, lr, options)
    pa = pb = random_params()
    order = ["b2", "W2", "b1", "W1"]
    for grads in seq:
        pa = a.step(pa, grads)
        pb = b.step({k: pb[k].copy() for k in order}, {k: grads[k] for k in reversed(order)})
        assert list(pb) == order
        for k in pa:
            np.testing.assert_array_equal(pa[k], pb[k])
            assert pa[k].shape == SHAPES[k]
    for k in a.state:
        for key in a.state[k]:
            np.testing.assert_array_equal(a.state[k][key], b.state[k][key])


def test_a_state_that_does_not_fit_the_parameters_is_refused():
    opt = make_optimizer("adam", 0.01, {})
    params, grads = random_params(), random_grads(1)[0]
    opt.step(params, grads)
    flat = opt.get_state()
    flat["W2/exp_avg"] = np.zeros((5, 2))
    other = make_optimizer("adam", 0.01, {})
    other.set_state(flat)
    with pytest.raises(ValueError, match="W2/exp_avg"):
        other.compute(params, grads)
    del flat["W2/exp_avg"]
    with pytest.raises(ValueError, match="differ"):
        other.set_state(flat)
