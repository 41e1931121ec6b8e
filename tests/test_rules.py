"""The update rule on screen is the update applied: for every optimizer and
every combination of its options, the rows the engine writes (formulas and
numbers) end at the ΔW the optimizer applies, and the inspector shows those
rows and nothing else. Also: a new optimizer is one class and one registry
entry, and then the config, the app's menu, the inspector and the runfile
take it."""

from __future__ import annotations

import itertools
import re

import numpy as np
import pytest

from nntui.app.widgets.inspector import StepInspector
from nntui.experiment.config import ConfigError, config_from_dict
from nntui.engine.optimizers import (
    DECAY,
    OPTIMIZERS,
    BOOL,
    BETAS,
    Optimizer,
    OptionError,
    make_optimizer,
)
from nntui.engine.rules import evaluate, show
from nntui.engine.trainer import Trainer

# A second value for each option, beside torch's default.
OTHER_VALUE = {
    "momentum": 0.9, "dampening": 0.5, "nesterov": True, "weight_decay": 0.1, "l1": 0.05,
    "betas": (0.5, 0.8), "eps": 1e-3, "amsgrad": True, "alpha": 0.7, "centered": True,
    "lr_decay": 0.1, "initial_accumulator_value": 0.3,
}


def combinations():
    """Every optimizer with every subset of its options set away from the default."""
    for name, cls in OPTIMIZERS.items():
        keys = list(cls.options_taken)
        for chosen in itertools.product((False, True), repeat=len(keys)):
            options = {k: OTHER_VALUE[k] for k, on in zip(keys, chosen) if on}
            try:
                make_optimizer(name, 0.1, options)
            except OptionError:
                continue  # e.g. nesterov with dampening: refused, never run
            yield name, options


COMBOS = list(combinations())
IDS = [f"{n}-{'-'.join(o) or 'default'}" for n, o in COMBOS]


def test_the_grid_covers_every_option_of_every_optimizer():
    for name, cls in OPTIMIZERS.items():
        for key in cls.options_taken:
            assert any(n == name and key in o for n, o in COMBOS), (name, key)
    assert len(COMBOS) > 100


def _params(seed=0):
    rng = np.random.default_rng(seed)
    return {"W1": rng.normal(size=(3, 4)), "b1": rng.normal(size=4), "W2": rng.normal(size=(4, 2)),
            "b2": rng.normal(size=2)}


@pytest.mark.parametrize(("name", "options"), COMBOS, ids=IDS)
def test_each_rule_comes_to_the_update_applied(name, options):
    opt = make_optimizer(name, 0.3, options)
    params = _params()
    rng = np.random.default_rng(1)
    for _ in range(3):  # the first step (state made) and later ones (state used)
        grads = {k: rng.normal(size=v.shape) for k, v in params.items()}
        new, pending = opt.compute(params, grads)
        for k in params:
            rule = opt.explain(k, params, grads, pending)
            assert rule.rows[-1].target == "dW"
            np.testing.assert_array_equal(rule.inputs["g"], grads[k])
            applied = new[k] - params[k]
            scale = np.max(np.abs(params[k])) + np.max(np.abs(applied))
            assert np.max(np.abs(rule.delta - applied)) <= 1e-13 * scale, (k, [r.text(k) for r in rule.rows])
            # Each row's number is its own formula, over the names above it.
            again = evaluate(k, rule.inputs, rule.scalars, [(r.target, r.formula) for r in rule.rows])
            for r, r2 in zip(rule.rows, again.rows):
                np.testing.assert_array_equal(r.value, r2.value)
        opt.commit(pending)
        params = new


def _numbers(text: str) -> list[float]:
    return [float(x) for x in re.findall(r"-?\d+(?:\.\d+)?(?:e-?\d+)?", text.replace("−", "-"))]


def _inspector_update(config_train: dict) -> tuple[list[str], dict, dict]:
    """The inspector's text in the update phase of step 2 of a 2-3-1 net, and
    the parameters before and after that update."""
    config = config_from_dict({
        "data": {"dataset": "xor", "samples": 40, "seed": 3},
        "model": {"layers": [2, 3, 1], "activation": "tanh", "seed": 4},
        "train": {"batch_size": 8, "learning_rate": 0.2, **config_train},
    }, "test.toml")
    tr = Trainer(config)
    tr.finish_step()
    before = dict(tr.params)
    while tr.done < len(tr.phases) - 1:
        tr.next_phase()
    tr.next_phase()  # the update itself
    view = StepInspector()
    view.digits = 10
    view.snapshot = tr.snapshot()
    return view.lines_text(), before, dict(tr.params)


def _block(lines: list[str], head: str) -> str:
    """The numbers shown for the row that starts with `head`: in brackets on
    its line, or on the matrix rows under it."""
    i = next(i for i, line in enumerate(lines) if line.strip().startswith(head))
    out = re.findall(r"\[[^\]]*\]", lines[i])
    for line in lines[i + 1:]:
        if not line.startswith(" " * 6) or "=" in line:
            break
        out += re.findall(r"\[[^\]]*\]", line)
    return " ".join(out)


@pytest.mark.parametrize(("name", "options"), [c for c in COMBOS if c[0] != "perceptron"],
                         ids=[i for c, i in zip(COMBOS, IDS) if c[0] != "perceptron"])
def test_the_inspector_shows_the_numbers_applied(name, options):
    train = {"optimizer": name, **{k: list(v) if isinstance(v, tuple) else v for k, v in options.items()}}
    lines, before, after = _inspector_update(train)
    assert not any(n in " ".join(lines) for n in ("flattened",))
    for p in before:
        shown = _numbers(_block(lines, f"Δ{p} = "))
        applied = (after[p] - before[p]).ravel()
        np.testing.assert_allclose(shown, applied, rtol=1e-8, atol=1e-12 * np.abs(before[p]).max())


def test_the_issue_case_sgd_nesterov_weight_decay():
    """SGD, nesterov, momentum 0.9, weight decay 0.1: the rule names the
    look-ahead, and its last row is the update applied (it once said −lr·buf)."""
    lines, before, after = _inspector_update(
        {"optimizer": "sgd", "learning_rate": 0.5, "momentum": 0.9, "nesterov": True, "weight_decay": 0.1})
    text = "\n".join(lines)
    assert "g = g + λ·W1" in text and "buf = μ·buf + g" in text and "g = g + μ·buf" in text
    assert "ΔW1 = −lr·g" in text and "−lr·buf" not in text
    shown = _numbers(_block(lines, "ΔW1 = "))
    np.testing.assert_allclose(shown, (after["W1"] - before["W1"]).ravel(), rtol=1e-8)


def test_formulas_print_as_math():
    assert show("-lr*m_hat/(sqrt(v_hat) + eps)", "W2") == "−lr·m̂/(√(v̂) + ε)"
    assert show("v/(1 - beta2**t)") == "v/(1 − β₂ᵗ)"
    assert show("g + lam*W", "W3") == "g + λ·W3"
    assert show("alpha*v + (1 - alpha)*g**2") == "α·v + (1 − α)·g²"


# --------------------------------------------------------------- a new optimizer


class SignSGD(Optimizer):
    """signSGD (Bernstein et al., 2018): W -= lr·sign(g)."""

    name = "sign_sgd"
    title = "signSGD"
    options_taken = dict(DECAY)

    def _constants(self, lr, o, t):
        return (-lr, o["weight_decay"], o["l1"])

    def _update(self, P, G, S, nw, c):
        neg_lr, wd, l1 = c
        G[:nw] += l1 * np.sign(P[:nw]) + wd * P[:nw]
        return P + neg_lr * np.sign(G), S

    def _rule(self, o, inputs, weight):
        return [("dW", "-lr*sign(g)", "only the sign of each gradient counts")]


@pytest.fixture
def sign_sgd(monkeypatch):
    monkeypatch.setitem(OPTIMIZERS, "sign_sgd", SignSGD)
    return SignSGD


def _sign_config(**train):
    return config_from_dict({
        "data": {"dataset": "xor", "samples": 40, "seed": 3},
        "model": {"layers": [2, 3, 1], "seed": 4},
        "train": {"optimizer": "sign_sgd", "learning_rate": 0.01, "batch_size": 8, **train},
    }, "sign.toml")


def test_a_new_optimizer_is_validated_like_the_others(sign_sgd):
    assert _sign_config(weight_decay=0.1).train.options == {"weight_decay": 0.1}
    with pytest.raises(ConfigError, match=r'\[train\] weight_decay = -1: must be a number >= 0'):
        _sign_config(weight_decay=-1)
    with pytest.raises(ConfigError, match='optimizer "sign_sgd" does not take this option; it takes: weight_decay, l1'):
        _sign_config(momentum=0.9)


def test_a_new_optimizer_trains_and_the_inspector_shows_its_rule(sign_sgd):
    lines, before, after = _inspector_update({"optimizer": "sign_sgd", "weight_decay": 0.1})
    text = "\n".join(lines)
    assert "update: sign_sgd" in text and "ΔW1 = −lr·sign(g)" in text and "g = g + λ·W1" in text
    shown = _numbers(_block(lines, "ΔW1 = "))
    np.testing.assert_allclose(shown, (after["W1"] - before["W1"]).ravel(), rtol=1e-8)
    assert set(np.round(np.abs(shown), 12)) == {0.2}  # lr · |sign| = 0.2 everywhere


def test_a_new_optimizer_goes_through_a_runfile(sign_sgd, tmp_path):
    from nntui.engine.runfile import save_run
    from nntui.experiment.runs import load_run

    a = Trainer(_sign_config(weight_decay=0.1))
    a.run_steps(7)
    save_run(a, tmp_path / "run.npz")
    b = load_run(tmp_path / "run.npz")
    assert b.optimizer.name == "sign_sgd" and b.optimizer.options == a.optimizer.options
    a.run_steps(5)
    b.run_steps(5)
    for k in a.params:
        np.testing.assert_array_equal(a.params[k], b.params[k])


async def test_a_new_optimizer_is_in_the_apps_menu(sign_sgd):
    from textual.widgets import Select

    from nntui.app.app import make_app
    from nntui.experiment.presets import load_preset

    app = make_app(load_preset("xor"))
    async with app.run_test(size=(160, 48)) as pilot:
        select = app.query_one("#ctl-train-optimizer", Select)
        assert "sign_sgd" in [value for _, value in select._options]
        assert app.main.apply_control("train.optimizer", "sign_sgd")
        assert app.main.config.train.optimizer == "sign_sgd"
        await pilot.press(*"n" * 6)  # a 2-4-1 net: forward 1, 2, loss, backward 2, 1, update
        await app.settle()
        text = "\n".join(app.query_one(StepInspector).lines_text())
        assert "update: sign_sgd" in text and "ΔW1 = −lr·sign(g)" in text


def test_option_errors_name_their_key():
    with pytest.raises(OptionError) as e:
        make_optimizer("sgd", 0.1, {"momentum": -1})
    assert (e.value.key, e.value.problem) == ("momentum", "must be a number >= 0")
    with pytest.raises(OptionError) as e:
        make_optimizer("sgd", 0.1, {"nesterov": True})
    assert e.value.key == "nesterov" and "momentum > 0" in e.value.problem
    with pytest.raises(OptionError) as e:
        make_optimizer("adam", 0.1, {"momentum": 0.9})
    assert e.value.key == "momentum"
    kinds = {o.kind for cls in OPTIMIZERS.values() for o in cls.options_taken.values()}
    assert {BOOL, BETAS} <= kinds
