"""Every built-in lesson is true: run headless on its own epochs, each ask has
exactly one right choice and each claim its text makes holds; and the facts the
texts state that no condition can read (weights, ties, the app's keys) are checked here."""

from __future__ import annotations

import numpy as np
import pytest

from nntui.engine.trainer import Diverged, Trainer
from nntui.experiment.config import override
from nntui.experiment.lessons import judge, trainer_env
from nntui.experiment.presets import list_presets, load_preset

NAMES = [name for name, _ in list_presets()]


def trained(config) -> Trainer:
    trainer = Trainer(config)
    with np.errstate(all="ignore"):
        try:
            trainer.run()
        except Diverged:  # lr-too-high's lesson is its divergence: judged on the epochs it ran
            pass
    return trainer


@pytest.fixture(scope="module")
def runs():
    return {}


def run_of(runs, name):
    if name not in runs:
        runs[name] = trained(load_preset(name))
    return runs[name]


@pytest.mark.slow
@pytest.mark.parametrize("name", NAMES)
def test_every_builtin_lesson_holds_on_its_own_run(runs, name):
    config = load_preset(name)
    assert config.lesson is not None and config.lesson.asks, f"{name} asks nothing"
    judged = judge(config.lesson, trainer_env(run_of(runs, name)))
    for ask in judged["asks"]:
        assert len(ask["right"]) == 1, (name, ask["question"], ask["right"], ask["values"])
    for claim in judged["claims"]:
        assert claim["holds"], (name, claim)
    assert judged["claims"], f"{name} claims nothing its run checks"


def test_the_right_answer_is_not_always_the_same_key(runs):
    rights = set()
    for name in NAMES:
        config = load_preset(name)
        rights.update(judge(config.lesson, trainer_env(run_of(runs, name)))["asks"][0]["right"])
    assert rights >= {1, 2, 3}


def _margins(trainer) -> np.ndarray:
    """|z| of each training row at the end (x_train holds the features a net sees)."""
    return np.abs(trainer.x_train @ trainer.params["W1"] + trainer.params["b1"]).ravel()


@pytest.mark.parametrize("name", ["perceptron-and", "perceptron-features"])
def test_no_perceptron_lesson_ends_with_a_point_on_its_line(runs, name):
    """A step unit reads z >= 0 as 1: a row at z = -2.8e-17 would be decided by rounding."""
    trainer = run_of(runs, name)
    assert trainer.history["train_accuracy"][-1] == 1
    assert _margins(trainer).min() > 1e-3


def test_perceptron_and_from_zeros_is_the_tie_its_text_describes():
    from nntui.experiment.config import config_from_dict

    d = load_preset("perceptron-and").to_dict()
    d["model"]["init"] = "zeros"
    trainer = trained(config_from_dict(d, "perceptron-and.toml"))
    assert sorted(trainer.params["W1"].ravel()) == pytest.approx([0.1, 0.2]) and trainer.params["b1"] == pytest.approx(-0.2)
    assert trainer.history["train_accuracy"][-1] == 1 and 0 < _margins(trainer).min() < 1e-15


def test_zero_init_keeps_its_hidden_units_identical(runs):
    W1 = run_of(runs, "zero-init").params["W1"]
    assert np.all(W1 == W1[:, :1])  # every column the same, bit for bit
    assert np.abs(W1).max() > 0  # they moved, together


def test_plane_weights_approach_the_plane(runs):
    trainer = run_of(runs, "plane")
    assert np.allclose(trainer.params["W1"].ravel(), [0.1, 0.1], atol=1e-4)
    assert abs(trainer.params["b1"][0]) < 1e-4


def test_digits_weight_decay_fades_the_rim_no_digit_inks(runs):
    trainer = run_of(runs, "digits")
    never_inked = trainer.x_train.max(axis=0) == 0
    assert never_inked.sum() >= 3
    W1 = trainer.params["W1"]
    assert np.abs(W1[never_inked]).max() < 0.2 * np.abs(W1[~never_inked]).mean()


def test_lr_too_high_advice_works_with_the_keys_it_names():
    """`-` steps the app's ladder: 0.3 -> 0.1 (still diverges) -> 0.03 (trains);
    the race's learning-rate suggestion includes 0.03, which trains."""
    from nntui.app.main_screen import next_lr
    from nntui.app.screens.vary import suggestions, variants_for

    config = load_preset("lr-too-high")
    assert config.train.learning_rate == 0.3
    once = next_lr(0.3, up=False)
    twice = next_lr(once, up=False)
    assert (once, twice) == (0.1, 0.03)
    with pytest.raises(Diverged):
        with np.errstate(all="ignore"):
            Trainer(override(config, learning_rate=once)).run()
    good = Trainer(override(config, learning_rate=twice))
    good.run()
    assert good.history["train_loss"][-1] < 1e-8
    race = next(s for s in suggestions(config) if s.startswith("learning_rate="))
    trains = []
    for variant in variants_for(config, race):
        trial = Trainer(variant.config)
        try:
            with np.errstate(all="ignore"):
                trial.run()
        except Diverged:
            continue
        trains.append(trial.config.train.learning_rate)
    assert trains == [0.03]


def test_zero_init_and_optimizers_point_at_controls_that_exist():
    from nntui.app.screens.vary import suggestions

    assert "init=xavier,he,zeros" in suggestions(load_preset("zero-init"))
    assert "press v" in load_preset("zero-init").description.lower()
    optimizers = load_preset("optimizers")
    assert "opens as a race on screen" in optimizers.description and len(optimizers.variants) == 4


# What meets each built-in challenge: the change a learner makes in the controls.
CHALLENGE_FIXES = {"zero-init": {"init": "xavier"}, "lr-too-high": {"learning_rate": 0.03}}


@pytest.mark.parametrize("name", NAMES)
def test_each_challenge_is_open_at_first_and_met_by_its_change(runs, name):
    config = load_preset(name)
    if not config.lesson.challenges:
        assert name not in CHALLENGE_FIXES
        return
    trainer = run_of(runs, name)
    history = {k: list(v) for k, v in trainer.history.items()}
    for epoch in range(1, trainer.epoch + 1):  # live: not met at any epoch of the preset's own run
        env = trainer_env(trainer)
        env.update({k: history[k][:epoch] for k in ("train_loss", "val_loss", "train_accuracy", "val_accuracy")},
                   epochs=epoch)
        assert not any(c["met"] for c in judge(config.lesson, env)["challenges"]), (name, epoch)
    fixed = trained(override(config, **CHALLENGE_FIXES[name]))
    assert all(c["met"] for c in judge(config.lesson, trainer_env(fixed))["challenges"]), name
