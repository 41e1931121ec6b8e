"""One declared schema: each preset key is a field of engine/spec.py, and the
preset checks, edits, the controls and to_dict read that declaration."""

from __future__ import annotations

import math
from dataclasses import field, fields, make_dataclass

import numpy as np
import pytest

from nntui.app.widgets.controls import controlled
from nntui.engine.optimizers import OPTIMIZERS, OptionError, make_optimizer
from nntui.engine.spec import SECTIONS, Bool, Choice, Int, K, Num, TrainConfig, declared, key_of, setting
from nntui.experiment import config as cfg
from nntui.experiment.config import ConfigError, config_from_dict
from nntui.experiment.edits import CHOICE_KEYS, edit

XOR = {"data": {"dataset": "xor", "samples": 40}, "model": {"layers": [2, 3, 1]}}


def _preset(**train):
    return config_from_dict({**XOR, "train": train}, "p.toml")


def test_every_field_is_declared_and_the_key_lists_are_the_declarations():
    for section, cls in SECTIONS.items():
        assert [f.name for f in declared(cls)] == [f.name for f in fields(cls)], section
        assert cfg.section_keys(section) == tuple(f.name for f in declared(cls) if not key_of(f).spread)
    assert cfg._DATA_KEYS[:4] == ("dataset", "samples", "noise", "validation")
    assert CHOICE_KEYS == {"data.dataset", "data.scale", "model.activation", "model.output", "model.init",
                           "train.loss", "train.optimizer"}
    assert setting("train.learning_rate")[1].kind == Num(lo=0.0, lo_open=True)
    assert setting("train.nope") is None and setting("nope.x") is None


def test_the_controls_rows_are_the_keys_declared_with_a_label():
    assert [(k, label) for k, label, _ in controlled("data")] == [
        ("data.dataset", "dataset"), ("data.samples", "samples"), ("data.noise", "noise"),
        ("data.validation", "validation"), ("data.scale", "scale")]
    assert [label for _, label, _ in controlled("train")] == ["loss", "optimizer", "learn. rate", "batch size"]
    assert all(isinstance(kind, (Bool, Choice, Int, Num)) for s in SECTIONS for _, _, kind in controlled(s))


@pytest.fixture
def patience(monkeypatch):
    """A setting added the way the docs say: one field, declared in TrainConfig."""
    extended = make_dataclass(
        "TrainConfig", [("patience", "int | None", field(default=None, metadata=K(Int(1, 50), control="patience")))],
        bases=(TrainConfig,), frozen=True)
    monkeypatch.setitem(SECTIONS, "train", extended)
    return extended


def test_a_new_setting_is_one_declaration(patience):
    c = _preset(patience=5)
    assert c.train.patience == 5
    assert c.to_dict()["train"]["patience"] == 5
    assert config_from_dict(c.to_dict(), "p.toml") == c
    assert "patience" not in _preset().to_dict()["train"]  # omitted: None, left unwritten
    with pytest.raises(ConfigError, match=r"^p.toml: \[train\] patience = 0: must be from 1 to 50$"):
        _preset(patience=0)
    with pytest.raises(ConfigError, match=r"^p.toml: \[train\] patience = 2.5: must be a whole number from 1 to 50"):
        _preset(patience=2.5)
    with pytest.raises(ConfigError, match=r"unknown key 'patiense' \(did you mean 'patience'\?\); allowed: .*target_loss, .*patience"):
        _preset(patiense=3)
    assert edit(c, "train.patience", "7").train.patience == 7  # typed text, read as a whole number
    assert ("train.patience", "patience", Int(1, 50)) in controlled("train")


def test_a_new_switch_is_one_declaration(monkeypatch):
    extended = make_dataclass(
        "TrainConfig", [("restore_best", bool, field(default=False, metadata=K(Bool(), control="restore best")))],
        bases=(TrainConfig,), frozen=True)
    monkeypatch.setitem(SECTIONS, "train", extended)
    assert _preset().train.restore_best is False and _preset().to_dict()["train"]["restore_best"] is False
    c = _preset(restore_best=True)
    assert c.train.restore_best is True and config_from_dict(c.to_dict(), "p.toml") == c
    with pytest.raises(ConfigError, match=r"^p.toml: \[train\] restore_best = 1: must be true or false$"):
        _preset(restore_best=1)
    assert edit(c, "train.restore_best", "off").train.restore_best is False
    assert ("train.restore_best", "restore best", Bool()) in controlled("train")


def test_a_key_for_some_data_sets_only_is_refused_elsewhere_and_left_out():
    with pytest.raises(ConfigError, match=r'\[data\] noise = 0.1: does not apply to dataset = "and_gate": '
                                          r"and_gate is its 4 truth-table rows$"):
        config_from_dict({"data": {"dataset": "and_gate", "noise": 0.1}, "model": {"layers": [2, 1]}}, "g.toml")
    gate = config_from_dict({"data": {"dataset": "and_gate"}, "model": {"layers": [2, 1]}}, "g.toml")
    assert set(gate.to_dict()["data"]) == {"dataset", "seed"}
    blobs = config_from_dict({"data": {"dataset": "blobs"}, "model": {"layers": [2, 3]}}, "b.toml")
    assert blobs.data.classes == 3  # the fill where the data set takes the key
    assert edit(blobs, "data.dataset", "circle").data.classes is None


# --- the optimizer options: checked once, by the optimizer --------------------------


@pytest.mark.parametrize(("key", "value", "problem"), [
    ("momentum", -0.5, "must be a number >= 0"),
    ("momentum", "high", "must be a finite number"),
    ("momentum", math.inf, "must be a finite number, not inf"),
    ("nesterov", 1, "must be true or false (default false)"),
])
def test_a_preset_option_says_what_the_optimizer_says(key, value, problem):
    with pytest.raises(OptionError) as e:
        make_optimizer("sgd", 0.1, {key: value})
    assert e.value.key == key and e.value.problem == problem
    with pytest.raises(ConfigError) as c:
        _preset(**{key: value})
    assert str(c.value).endswith(f": {problem}")
    opt = make_optimizer("sgd", 0.1)
    with pytest.raises(OptionError) as live:  # a live change, refused the same way
        opt.set_option(key, value)
    assert live.value.problem == problem


@pytest.mark.parametrize(("betas", "problem"), [
    ([0.9], "must be a list of 2 numbers, e.g. [0.9, 0.999]"),
    ([0.9, math.nan], "every entry must be a finite number, not nan"),
    ([0.9, 1], "must be two numbers in [0, 1), e.g. [0.9, 0.999]; beta at index 1 is 1.0"),
])
def test_betas_are_judged_by_adam(betas, problem):
    with pytest.raises(OptionError) as e:
        make_optimizer("adam", 0.1, {"betas": betas})
    assert e.value.problem == problem
    with pytest.raises(ConfigError, match=r"\[train\] betas = .*: " + problem.replace("[", r"\[").replace(
            "(", r"\(").replace(")", r"\)").replace(".", r"\.") + "$"):
        _preset(optimizer="adam", betas=betas)


def test_options_come_back_normalised_by_the_optimizer():
    c = _preset(optimizer="adam", betas=[0.5, 0.9], amsgrad=True, eps=1)
    assert c.train.options == {"betas": (0.5, 0.9), "amsgrad": True, "eps": 1.0}
    assert type(c.train.options["eps"]) is float


def test_a_learning_rate_of_zero_is_refused_everywhere():
    """torch accepts lr = 0, but it never moves a weight: a run would stand still
    and say nothing. The preset, the flag and the optimizer agree on lr > 0."""
    with pytest.raises(ConfigError, match=r"^p.toml: \[train\] learning_rate = 0: must be > 0$"):
        _preset(learning_rate=0)
    with pytest.raises(OptionError) as e:
        make_optimizer("adam", 0.0)
    assert (e.value.key, e.value.problem) == ("learning_rate", "must be a number > 0")
    opt = make_optimizer("sgd", 0.1)
    with pytest.raises(OptionError):
        opt.lr = 0
    assert opt.lr == 0.1
    for name in OPTIMIZERS:
        assert make_optimizer(name, 1e-300).lr == 1e-300  # any rate above 0 is taken


# --- named values -------------------------------------------------------------------


def test_each_optimizer_names_its_step_constants():
    params = {"W1": np.ones((2, 2)), "b1": np.zeros(2)}
    for name, cls in OPTIMIZERS.items():
        opt = make_optimizer(name, 0.1)
        c = opt._constants(0.1, dict(opt.options), 1)
        assert isinstance(c, cls.Constants) and c._fields, name
        opt.step(params, {k: np.full_like(v, 0.5) for k, v in params.items()})
    assert OPTIMIZERS["adamw"].decoupled and not OPTIMIZERS["adam"].decoupled
