"""The timeline of a run: every epoch's end kept by reference within a budget,
shown without changing the run, and branched from bit-identically."""

from __future__ import annotations

import numpy as np

from nntui.engine.trainer import Trainer
from nntui.experiment.config import config_from_dict
from nntui.experiment.presets import load_preset


def same_params(a: dict, b: dict) -> bool:
    return a.keys() == b.keys() and all(np.array_equal(a[k], b[k]) for k in a)


def overfit(epochs: int, **train):
    d = load_preset("overfit").to_dict()
    d["train"].update(epochs=epochs, **train)
    return config_from_dict(d, "overfit.toml")


def test_every_epoch_is_kept_and_shown_as_it_was():
    tr = Trainer(overfit(120))
    tr.keep_timeline()
    tr.run()
    assert tr.timeline.epochs == list(range(121))
    snap = tr.snapshot_at(50)
    ref = Trainer(overfit(50))
    ref.run()
    assert snap.epoch == 50 and snap.step == ref.step and same_params(snap.params, ref.params)
    assert snap.replay_of == 120 and list(snap.history.val_loss) == tr.history["val_loss"]  # the whole run's curve
    assert tr.snapshot().replay_of is None
    assert np.array_equal(snap.confusion.counts, ref.confusion.counts) and snap.confusion.epoch == 50
    assert tr.epoch == 120 and len(tr.history["train_loss"]) == 120  # the run itself is unchanged


def test_beyond_the_budget_it_thins_evenly():
    tr = Trainer(overfit(100))
    from nntui.engine.timeline import entry_bytes

    tr.keep_timeline(budget=10 * entry_bytes(tr.params))  # room for 10 epochs' ends
    tr.run()
    epochs = tr.timeline.epochs
    assert len(epochs) <= 10 and epochs[0] == 0 and epochs[-1] >= 100 - tr.timeline.stride
    assert len({b - a for a, b in zip(epochs, epochs[1:])}) == 1  # evenly spaced
    assert tr.snapshot_at(37).epoch == max(e for e in epochs if e <= 37)


def test_training_on_from_a_past_epoch_is_the_run_that_never_went_further():
    cfg = overfit(300, early_stopping={"patience": 25}, schedule={"kind": "step", "step_size": 50, "gamma": 0.9})
    tr = Trainer(cfg)
    tr.keep_timeline()
    tr.run()
    assert tr.stopped
    assert tr.branch_from(20)
    assert tr.epoch == 20 and len(tr.history["val_loss"]) == 20 and not tr.stopped
    assert tr.timeline.epochs[-1] == 20
    tr.run(until_epochs=30)
    ref = Trainer(cfg)
    ref.run(until_epochs=30)
    assert same_params(tr.params, ref.params) and tr.history == ref.history
    assert tr.optimizer.lr == ref.optimizer.lr and tr.stop == ref.stop
    assert same_params(tr.stop.best_params, ref.stop.best_params)


def test_a_step_back_drops_the_epochs_it_undoes():
    tr = Trainer(overfit(10))
    tr.keep_timeline()
    tr.run()
    while tr.epoch == 10:
        tr.step_back()
    assert tr.timeline.epochs[-1] == 9


def test_a_runfile_keeps_the_timeline(tmp_path):
    from nntui.engine.runfile import RunfileError, save_run
    from nntui.experiment.runs import load_run

    cfg = overfit(300, early_stopping={"patience": 25}, schedule={"kind": "step", "step_size": 50, "gamma": 0.9})
    tr = Trainer(cfg)
    from nntui.engine.timeline import entry_bytes

    tr.keep_timeline(budget=16 * entry_bytes(tr.params))  # thinned: early stopping's best epoch may not be kept
    tr.run()
    back = load_run(save_run(tr, tmp_path / "run.npz"))
    assert back.timeline.epochs == tr.timeline.epochs and back.timeline.stride == tr.timeline.stride
    for a, b in zip(back.timeline.entries(), tr.timeline.entries()):
        assert same_params(a.params, b.params) and a.lr == b.lr and a.rules[1] == b.rules[1]
    e = tr.timeline.epochs[len(tr.timeline) // 2]
    back.branch_from(e)
    tr.branch_from(e)
    back.run()
    tr.run()
    assert same_params(back.params, tr.params) and back.history == tr.history and back.epoch == tr.epoch
    # A member of the wrong shape is refused by name.
    import zipfile

    bad = tmp_path / "bad.npz"
    with zipfile.ZipFile(tmp_path / "run.npz") as src, zipfile.ZipFile(bad, "w") as dst:
        for info in src.infolist():
            data = src.read(info)
            if info.filename == f"timeline/{e}/W1.npy":
                import io

                buf = io.BytesIO()
                np.save(buf, np.zeros((3, 3)))
                data = buf.getvalue()
            dst.writestr(info, data)
    import pytest

    with pytest.raises(RunfileError, match=f"member 'timeline/{e}/W1' has shape"):
        load_run(bad)


def test_snapshots_say_the_best_epoch_and_why_it_stopped():
    tr = Trainer(overfit(300, early_stopping={"patience": 12}))
    tr.keep_timeline()
    tr.run(until_epochs=5)
    assert tr.snapshot().best_epoch == tr.stop.best_epoch + 1 and tr.snapshot().stop_reason is None
    tr.run()
    s = tr.snapshot()
    assert s.best_epoch == tr.stop.best_epoch + 1
    assert s.stop_reason == f"stopped: no better val loss for 12 epochs; best at epoch {s.best_epoch} (restored)"
    assert tr.snapshot_at(3).stop_reason is None and Trainer(overfit(3)).snapshot().best_epoch is None


def test_overfit_with_early_stopping_ends_on_its_validation_minimum_as_its_lesson_says():
    """overfit's lesson: early stopping (the controls' switch) ends the run on the
    validation minimum's weights, at least as accurate as the run without it ends."""
    from nntui.experiment.edits import edit

    plain = Trainer(load_preset("overfit"))
    plain.run()
    assert "early stop on in the controls" in plain.config.description
    stopping = Trainer(edit(load_preset("overfit"), "train.early_stopping", True))
    stopping.run()
    h = plain.history["val_loss"]
    assert stopping.stopped and stopping.epoch < plain.epoch
    assert stopping.history["val_loss"] == h[:stopping.epoch]  # the same run, up to the stop
    ended = stopping.evaluate()  # on the restored weights: the minimum's
    assert np.isclose(ended["val_loss"], min(h), rtol=1e-12, atol=0)
    assert ended["val_accuracy"] >= plain.history["val_accuracy"][-1]
