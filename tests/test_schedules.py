"""Learning-rate schedules against torch.optim.lr_scheduler, and early stopping
against an independent statement of Keras's rule."""

from __future__ import annotations

import math
import warnings

import numpy as np
import pytest

from nntui.engine.schedules import Schedule
from nntui.engine.trainer import Trainer
from nntui.experiment.config import ConfigError, config_from_dict
from nntui.experiment.presets import load_preset

TOL = 1e-12
KINDS = [
    ("step", {"step_size": 7, "gamma": 0.5}),
    ("multistep", {"milestones": [3, 10, 25], "gamma": 0.3}),
    ("exponential", {"gamma": 0.93}),
    ("cosine", {"T_max": 9, "eta_min": 0.001}),
    ("cosine", {"T_max": 40}),
    ("plateau", {"patience": 2, "factor": 0.5, "cooldown": 1}),
    ("plateau", {"patience": 1, "threshold_mode": "abs", "threshold": 0.01, "monitor": "train_loss"}),
]


def preset(base: str = "moons", *, schedule=None, early_stopping=None, **train) -> object:
    d = load_preset(base).to_dict()
    d.pop("compare", None)
    d["train"].update(train)
    if schedule is not None:
        d["train"]["schedule"] = schedule
    if early_stopping is not None:
        d["train"]["early_stopping"] = early_stopping
    return config_from_dict(d, f"{base}-test.toml")


def torch_rates(torch, kind, args, lr, warmup, warmup_start, metrics):
    """torch's rate for each epoch, stepping the scheduler once an epoch after
    optimizer.step(), with `metrics[e]` for ReduceLROnPlateau."""
    p = [torch.nn.Parameter(torch.zeros(1, dtype=torch.float64))]
    opt = torch.optim.SGD(p, lr=lr)
    S = torch.optim.lr_scheduler
    args = {k: v for k, v in args.items() if k != "monitor"}
    cls = {"step": S.StepLR, "multistep": S.MultiStepLR, "exponential": S.ExponentialLR,
           "cosine": S.CosineAnnealingLR, "plateau": S.ReduceLROnPlateau}[kind]
    if warmup:
        warm = S.LinearLR(opt, start_factor=warmup_start, end_factor=1.0, total_iters=warmup)
        sched = S.SequentialLR(opt, [warm, cls(opt, **args)], milestones=[warmup])
    else:
        sched = cls(opt, **args)
    out = []
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        for m in metrics:
            out.append(opt.param_groups[0]["lr"])
            opt.step()
            sched.step(m) if kind == "plateau" else sched.step()
    return out


@pytest.mark.parametrize("warmup", [0, 4])
@pytest.mark.parametrize("kind,args", KINDS)
def test_history_lr_is_torchs_sequence(torch, kind, args, warmup):
    if kind == "plateau" and warmup:
        pytest.skip("torch's SequentialLR refuses ReduceLROnPlateau (and so does the preset)")
    schedule = {"kind": kind, **args, **({"warmup": warmup, "warmup_start": 0.1} if warmup else {})}
    tr = Trainer(preset("overfit", schedule=schedule, epochs=45))
    tr.run()
    monitor = args.get("monitor", "val_loss")
    want = torch_rates(torch, kind, args, tr.config.train.learning_rate, warmup, 0.1,
                       tr.history[monitor])
    assert len(tr.history["lr"]) == 45
    assert max(abs(a - b) for a, b in zip(tr.history["lr"], want)) <= TOL * max(want)
    if kind != "plateau":
        assert len(set(tr.history["lr"])) > 3  # the schedule moved the rate
    else:
        assert min(tr.history["lr"]) < tr.history["lr"][0]  # it reduced the rate at least once


def test_the_schedule_object_is_torchs_to_the_bit(torch):
    rng = np.random.default_rng(0)
    metrics = list(1 / (1 + np.arange(80)) + 0.3 * rng.random(80))
    for kind, args in KINDS:
        for warmup in ([0, 6] if kind != "plateau" else [0]):
            s = Schedule(0.1, kind, {k: v for k, v in args.items() if k != "monitor"}, warmup, 0.25)
            ours = []
            for m in metrics:
                ours.append(s.lr)
                s.step(m)
            assert ours == torch_rates(torch, kind, args, 0.1, warmup, 0.25, metrics), (kind, warmup)


def test_without_a_schedule_history_lr_is_the_rate_each_epoch():
    tr = Trainer(load_preset("moons"))
    tr.run(until_epochs=3)
    tr.set_learning_rate(0.5)
    tr.run(until_epochs=5)
    assert tr.history["lr"] == [tr.config.train.learning_rate] * 3 + [0.5] * 2


def test_a_live_rate_change_scales_the_whole_schedule():
    cfg = preset(schedule={"kind": "step", "step_size": 2, "gamma": 0.5}, learning_rate=0.04)
    tr = Trainer(cfg)
    tr.run(until_epochs=3)  # 0.04, 0.04, 0.02; now 0.02
    tr.set_learning_rate(0.08)  # the preset's rate doubled: the whole schedule doubles
    tr.run(until_epochs=6)
    assert tr.history["lr"] == [0.04, 0.04, 0.02, 0.04, 0.02, 0.02]


# --- early stopping: Keras's rule, written out independently ------------------------


def keras_rule(values, patience, min_delta, mode):
    """(best epoch, stopped epoch), 1-based; stopped None if it runs to the end.
    An improvement beats the best so far by more than min_delta; the run stops
    at the first epoch `patience` epochs after the best (never the first)."""
    if mode == "min":
        best, better = math.inf, lambda v, b: v + min_delta < b
    else:
        best, better = -math.inf, lambda v, b: v - min_delta > b
    best_at, since = 1, 0
    for e, v in enumerate(values, start=1):
        since += 1
        if better(v, best):
            best, best_at, since = v, e, 0
        elif since >= patience and e > 1:
            return best_at, e
    return best_at, None


@pytest.mark.parametrize("monitor,patience,min_delta", [
    ("val_loss", 20, 0.0), ("val_loss", 5, 0.01), ("val_accuracy", 8, 0.0), ("train_loss", 3, 0.002),
])
def test_early_stopping_stops_where_keras_would(monitor, patience, min_delta):
    epochs = 300
    plain = Trainer(preset("overfit", epochs=epochs))
    plain.run()
    mode = "max" if monitor.endswith("accuracy") else "min"
    best_at, stopped = keras_rule(plain.history[monitor], patience, min_delta, mode)
    assert stopped is not None, "the case must stop early to test anything"
    es = {"monitor": monitor, "patience": patience, "min_delta": min_delta, "restore_best": True}
    tr = Trainer(preset("overfit", epochs=epochs, early_stopping=es))
    tr.run()
    assert tr.epoch == stopped and tr.stop.stopped_epoch == stopped and tr.stop.best_epoch + 1 == best_at
    for k in ("train_loss", "val_loss", "train_accuracy", "val_accuracy", "lr"):
        assert tr.history[k] == plain.history[k][:stopped], k  # the history of the run without it
    # The best epoch's weights: those of a run of best_at epochs.
    ref = Trainer(preset("overfit", epochs=best_at))
    ref.run()
    for k, v in ref.params.items():
        assert np.array_equal(tr.params[k], v), k
    assert tr.confusion.epoch == best_at


def test_without_restore_the_last_weights_stay():
    es = {"monitor": "val_loss", "patience": 10, "restore_best": False}
    tr = Trainer(preset("overfit", epochs=300, early_stopping=es))
    tr.run()
    ref = Trainer(preset("overfit", epochs=tr.epoch))
    ref.run()
    assert tr.stopped and all(np.array_equal(tr.params[k], ref.params[k]) for k in ref.params)


def test_a_run_that_does_not_stop_keeps_its_last_weights():
    es = {"monitor": "train_loss", "patience": 50}
    tr = Trainer(preset("moons", epochs=20, early_stopping=es))
    tr.run()
    ref = Trainer(preset("moons", epochs=20))
    ref.run()
    assert not tr.stopped and tr.epoch == 20
    assert all(np.array_equal(tr.params[k], ref.params[k]) for k in ref.params)


def test_step_back_across_the_stop_undoes_it():
    es = {"monitor": "val_loss", "patience": 5}
    cfg = preset("overfit", epochs=300, early_stopping=es, schedule={"kind": "exponential", "gamma": 0.9})
    tr = Trainer(cfg)
    tr.run()
    stopped_at, lr_after = tr.epoch, tr.optimizer.lr
    while tr.epoch == stopped_at:
        tr.step_back()
    assert not tr.stopped and tr.epoch == stopped_at - 1
    assert tr.optimizer.lr == tr.history["lr"][-1] * 0.9
    tr.run()
    assert tr.stopped and tr.epoch == stopped_at and tr.optimizer.lr == lr_after


@pytest.mark.parametrize("schedule", [
    {"kind": "cosine", "T_max": 25, "warmup": 5, "warmup_start": 0.2},
    {"kind": "plateau", "patience": 1, "factor": 0.5},
])
def test_a_runfile_resumes_schedule_and_stopping_bit_identically(tmp_path, schedule):
    from nntui.engine.runfile import save_run
    from nntui.experiment.runs import load_run

    es = {"monitor": "val_loss", "patience": 15}
    cfg = preset("overfit", epochs=300, early_stopping=es, schedule=schedule)
    whole = Trainer(cfg)
    whole.run()
    assert whole.stopped
    part = Trainer(cfg)
    part.run(until_epochs=whole.stop.best_epoch + 3)  # past the best, before the stop
    part.run_steps(1)  # mid-epoch
    resumed = load_run(save_run(part, tmp_path / "run.npz"))
    resumed.run()
    assert resumed.epoch == whole.epoch
    assert (resumed.stop.best, resumed.stop.best_epoch, resumed.stop.wait, resumed.stop.stopped_epoch) == (
        whole.stop.best, whole.stop.best_epoch, whole.stop.wait, whole.stop.stopped_epoch)
    for k in whole.history:
        assert resumed.history[k] == whole.history[k], k
    for k in whole.params:
        assert np.array_equal(resumed.params[k], whole.params[k]), k
    # A stopped run saved and read again is still stopped, on its best weights.
    again = load_run(save_run(whole, tmp_path / "stopped.npz"))
    assert again.stopped and again.stop.best_epoch == whole.stop.best_epoch
    assert all(np.array_equal(again.params[k], whole.params[k]) for k in whole.params)
    assert again.history["lr"] == whole.history["lr"]


def test_the_epochs_end_measures_no_confusion_matrix_unless_asked():
    tr = Trainer(load_preset("perceptron-xor"))  # no validation set: the matrix would need a pass over the training set
    calls = []
    forward = tr.net.forward
    tr.net.forward = lambda *a: calls.append(1) or forward(*a)
    tr.run(until_epochs=30)
    assert calls == []
    c = tr.confusion
    assert len(calls) == 1 and c.epoch == 30 and tr.confusion is c and len(calls) == 1


def test_a_monitor_needing_validation_is_refused_without_it():
    d = load_preset("perceptron-and").to_dict()
    d["train"]["early_stopping"] = {"monitor": "val_accuracy"}
    with pytest.raises(ConfigError, match=r"\[train.early_stopping\] monitor = \"val_accuracy\": needs a validation set"):
        config_from_dict(d, "and.toml")
    d = load_preset("perceptron-and").to_dict()
    d["train"]["schedule"] = {"kind": "plateau"}
    assert config_from_dict(d, "and.toml").train.schedule.monitor == "train_loss"


def test_schedule_and_stopping_round_trip_through_to_dict():
    cfg = preset(schedule={"kind": "multistep", "milestones": [5, 9], "gamma": 0.5, "warmup": 2},
                 early_stopping={"monitor": "val_accuracy", "patience": 7, "min_delta": 0.01})
    assert config_from_dict(cfg.to_dict(), cfg.source) == cfg


def test_nntui_train_json_and_report_say_where_it_stopped(tmp_path):
    import json

    from click.testing import CliRunner

    from nntui.cli import main

    preset = tmp_path / "es.toml"
    preset.write_text(_overfit_path().read_text()
                      + '\n[train.early_stopping]\nmonitor = "val_loss"\npatience = 20\n'
                      + '\n[train.schedule]\nkind = "exponential"\ngamma = 0.99\n')
    out = CliRunner().invoke(main, ["train", str(preset), "--json"])
    assert out.exit_code == 0, out.stderr
    r = json.loads(out.stdout)
    plain = Trainer(preset_from(preset, epochs=400, drop_stopping=True))
    plain.run()
    best, stopped = keras_rule(plain.history["val_loss"], 20, 0.0, "min")
    assert r["early_stopping"] == {"monitor": "val_loss", "best_epoch": best, "best": plain.history["val_loss"][best - 1],
                                   "stopped_epoch": stopped, "restored": True}
    assert r["epochs"] == stopped and len(r["history"]["val_loss"]) == stopped
    assert r["val_loss"] == plain.history["val_loss"][best - 1]  # the restored weights' numbers
    assert r["val_accuracy"] == plain.history["val_accuracy"][best - 1]
    assert r["history"]["lr"] == plain.history["lr"][:stopped]
    text = CliRunner().invoke(main, ["train", str(preset), "--no-plot"]).stdout
    assert (f"{stopped} epochs" in text and
            f"(stopped: no better val loss for 20 epochs; best at epoch {best} (restored))" in text)


def _overfit_path():
    from nntui.experiment.presets import list_presets

    return dict(list_presets())["overfit"]


def preset_from(path, epochs, drop_stopping):
    import tomllib

    d = tomllib.loads(path.read_text())
    d["train"]["epochs"] = epochs
    if drop_stopping:
        del d["train"]["early_stopping"]
    return config_from_dict(d, path.name)


def test_a_stopped_run_trains_on_when_asked(tmp_path):
    from nntui.engine.runfile import save_run
    from nntui.experiment.runs import load_run

    tr = Trainer(preset("overfit", epochs=400, early_stopping={"patience": 10}))
    tr.run()
    stopped = tr.epoch
    back = load_run(save_run(tr, tmp_path / "r.npz"))
    back.run(until_epochs=stopped + 5)  # early stopping starts afresh (patience 10 > 5 epochs)
    assert back.epoch == stopped + 5 and not back.stopped and back.stop.best_epoch >= stopped
    back.run(until_epochs=stopped + 400)  # and stops again by the same rule
    assert back.stopped and back.epoch == back.stop.best_epoch + 1 + 10


@pytest.mark.parametrize("meta_change,message", [
    (lambda m: m["schedule"]["sched"].update(last_epoch="x"), "meta 'schedule' does not hold the state"),
    (lambda m: m.pop("stop"), "missing meta 'stop'"),
    (lambda m: m["stop"].update(wait=-1), "meta 'stop' must be"),
])
def test_a_runfile_with_a_broken_rules_state_is_refused_in_one_line(tmp_path, meta_change, message):
    import json

    from nntui.engine.runfile import RunfileError, save_run
    from nntui.experiment.runs import load_run

    tr = Trainer(preset("overfit", schedule={"kind": "cosine", "T_max": 9}, early_stopping={"patience": 5}))
    tr.run(until_epochs=3)
    good = save_run(tr, tmp_path / "good.npz")
    with np.load(good) as z:
        arrays = {k: z[k] for k in z.files}
    meta = json.loads(str(arrays["meta"]))
    meta_change(meta)
    arrays["meta"] = np.array(json.dumps(meta))
    np.savez(tmp_path / "bad.npz", **arrays)
    with pytest.raises(RunfileError, match=message) as e:
        load_run(tmp_path / "bad.npz")
    assert "\n" not in str(e.value)
