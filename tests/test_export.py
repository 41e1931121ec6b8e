"""nntui export --to pytorch: the script trains the same run under torch and
prints nntui's history, epoch for epoch, to 1e-9."""

from __future__ import annotations

import subprocess
import sys

import numpy as np
import pytest

from nntui.engine.trainer import Diverged, Trainer
from nntui.experiment.export import ExportError, pytorch_script
from nntui.experiment.presets import list_presets, load_preset

EPOCHS = 3
TOL = 1e-9


def run_script(script: str, tmp_path) -> list[tuple[int, float, float]]:
    path = tmp_path / "run.py"
    path.write_text(script)
    p = subprocess.run([sys.executable, str(path)], capture_output=True, text=True, timeout=300)
    assert p.returncode == 0, p.stderr
    rows = []
    for line in p.stdout.splitlines():
        word, e, _, train, _, val = line.split()
        assert word == "epoch"
        rows.append((int(e), float(train), float(val)))
    return rows


def nntui_history(trainer: Trainer, epochs: int) -> dict:
    try:
        trainer.run(until_epochs=trainer.epoch + epochs)
    except Diverged:
        pass  # compared up to the last finite epoch
    return trainer.history


def close(a: float, b: float) -> bool:
    return (np.isnan(a) and np.isnan(b)) or abs(a - b) <= TOL * max(1.0, abs(b))


def exportable(name: str) -> bool:
    c = load_preset(name)
    return c.train.optimizer != "perceptron" and "step" not in (c.model.activation, c.model.output)


PRESETS = [name for name, _ in list_presets()]


@pytest.mark.parametrize("name", [n for n in PRESETS if exportable(n)])
def test_every_preset_torch_can_train_gives_nntuis_history(name, torch, tmp_path):
    script = pytorch_script(Trainer(load_preset(name)), EPOCHS, source=f"{name}.toml")
    rows = run_script(script, tmp_path)
    h = nntui_history(Trainer(load_preset(name)), EPOCHS)
    assert [e for e, _, _ in rows] == list(range(1, EPOCHS + 1))
    for (e, train, val), ours in zip(rows, h["train_loss"]):
        assert close(train, ours), (name, e, train, ours)
    for (e, train, val), ours in zip(rows, h["val_loss"]):
        assert close(val, ours), (name, e, val, ours)
    if not h["val_loss"]:
        assert all(np.isnan(v) for _, _, v in rows)


def test_a_runfile_goes_on_with_its_optimizer_state(torch, tmp_path):
    from nntui.engine.runfile import save_run
    from nntui.experiment.runs import load_run

    config = load_preset("moons")  # adam: moments and a step count to carry over
    first = Trainer(config)
    first.run(until_epochs=2)
    resumed = load_run(save_run(first, tmp_path / "run.npz"))
    rows = run_script(pytorch_script(resumed, 2), tmp_path)
    h = nntui_history(first, 2)
    assert [e for e, _, _ in rows] == [3, 4]
    for (_, train, val), ours, ours_val in zip(rows, h["train_loss"][2:], h["val_loss"][2:]):
        assert close(train, ours) and close(val, ours_val)


def test_the_perceptron_rule_is_refused_by_name():
    with pytest.raises(ExportError, match='optimizer = "perceptron" has no torch.optim counterpart'):
        pytorch_script(Trainer(load_preset("perceptron-and")), 2)


def test_a_run_in_mid_epoch_is_refused():
    tr = Trainer(load_preset("xor"))
    tr.finish_step()
    with pytest.raises(ExportError, match="middle of epoch 1"):
        pytorch_script(tr, 2)


def _nntui(*args, cwd=None):
    code = "import sys; from nntui.cli import run; sys.argv[0] = 'nntui'; run()"
    return subprocess.run([sys.executable, "-c", code, *args], capture_output=True, text=True, timeout=300,
                          cwd=cwd)


def test_the_cli_script_ends_where_nntui_train_ends(torch, tmp_path):
    import json

    out = tmp_path / "x.py"
    p = _nntui("export", "xor", "--to", "pytorch", "--epochs", "20", "-o", str(out))
    assert p.returncode == 0, p.stderr
    rows = run_script(out.read_text(), tmp_path)
    assert len(rows) == 20
    trained = json.loads(_nntui("train", "xor", "--epochs", "20", "--json").stdout)
    assert close(rows[-1][1], trained["train_loss"])


def test_the_cli_refuses_what_torch_cannot_train(tmp_path):
    p = _nntui("export", "perceptron-xor", "--to", "pytorch", "-o", str(tmp_path / "p.py"))
    assert p.returncode == 2 and "Traceback" not in p.stderr
    assert "perceptron-xor.toml: cannot export to PyTorch" in p.stderr and not (tmp_path / "p.py").exists()


def test_the_script_needs_no_nntui():
    script = pytorch_script(Trainer(load_preset("xor")), 1)
    assert "nntui" not in "".join(line for line in script.splitlines() if line.startswith(("import", "from")))
    compile(script, "x.py", "exec")


def test_a_run_with_features_exports_a_script_that_computes_them(torch, tmp_path):
    # The script embeds the data's 2-D points and computes the features itself,
    # as nntui does; its history is still nntui's to 1e-9.
    from nntui.experiment.config import config_from_dict

    d = load_preset("circle").to_dict()
    d["data"]["features"] = ["x1", "x2", "x1_sq", "x2_sq", "x1_x2", "sin_x1", "sin_x2"]
    d["model"]["layers"] = [7, *d["model"]["layers"][1:]]
    config = config_from_dict(d, "circle.toml")
    script = pytorch_script(Trainer(config), EPOCHS, source="circle.toml")
    assert "def inputs(points):" in script and "np.sin(x1),  # sin_x1" in script
    assert "X_TRAIN = np.array(" in script and f".reshape(({len(Trainer(config).dataset.x_train)}, 2))" in script
    rows = run_script(script, tmp_path)
    h = nntui_history(Trainer(config), EPOCHS)
    assert [e for e, _, _ in rows] == list(range(1, EPOCHS + 1))
    for (_, train, val), ours, ours_val in zip(rows, h["train_loss"], h["val_loss"]):
        assert close(train, ours) and close(val, ours_val)


def _scheduled(schedule=None, early_stopping=None, base="overfit", **data):
    from nntui.experiment.config import config_from_dict

    d = load_preset(base).to_dict()
    d.pop("compare", None)
    d["data"].update(data)
    if schedule:
        d["train"]["schedule"] = schedule
    if early_stopping:
        d["train"]["early_stopping"] = early_stopping
    return config_from_dict(d, f"{base}.toml")


def _rows_and_stop(script, tmp_path):
    path = tmp_path / "run.py"
    path.write_text(script)
    p = subprocess.run([sys.executable, str(path)], capture_output=True, text=True, timeout=300)
    assert p.returncode == 0, p.stderr
    rows = [(int(e), float(t), float(v)) for _, e, _, t, _, v in
            (line.split() for line in p.stdout.splitlines() if line.startswith("epoch "))]
    stops = [line for line in p.stdout.splitlines() if line.startswith("stopped")]
    return rows, stops


@pytest.mark.parametrize("schedule,early_stopping", [
    ({"kind": "cosine", "T_max": 20, "eta_min": 0.001, "warmup": 4, "warmup_start": 0.1}, None),
    ({"kind": "multistep", "milestones": [5, 12], "gamma": 0.5}, {"monitor": "val_loss", "patience": 6}),
    ({"kind": "plateau", "patience": 2, "factor": 0.5}, {"monitor": "val_accuracy", "patience": 10}),
    (None, {"monitor": "train_loss", "patience": 3, "min_delta": 0.01, "restore_best": False}),
])
def test_a_scheduled_early_stopped_run_exports_the_same_run(torch, tmp_path, schedule, early_stopping):
    config = _scheduled(schedule, early_stopping)
    epochs = 60
    tr = Trainer(config)
    rows, stops = _rows_and_stop(pytorch_script(Trainer(config), epochs), tmp_path)
    tr.run(until_epochs=epochs)
    assert len(rows) == tr.epoch
    for (e, train, val), ours, ours_val in zip(rows, tr.history["train_loss"], tr.history["val_loss"]):
        assert close(train, ours) and close(val, ours_val), e
    if early_stopping:
        assert tr.stopped and stops == [f"stopped at epoch {tr.epoch}: no better {early_stopping['monitor']} for "
                                        f"{tr.stop.wait} epochs; best at epoch {tr.stop.best_epoch + 1}"
                                        + (" (restored)" if early_stopping.get("restore_best", True) else "")]


def test_a_resumed_scheduled_run_exports_its_schedule_state(torch, tmp_path):
    from nntui.engine.runfile import save_run
    from nntui.experiment.runs import load_run

    config = _scheduled({"kind": "step", "step_size": 3, "gamma": 0.5, "warmup": 2},
                        {"monitor": "val_loss", "patience": 30})
    first = Trainer(config)
    first.run(until_epochs=4)
    resumed = load_run(save_run(first, tmp_path / "run.npz"))
    rows, _ = _rows_and_stop(pytorch_script(resumed, 8), tmp_path)
    first.run(until_epochs=12)
    assert [e for e, _, _ in rows] == list(range(5, 13))
    for (_, train, val), ours, ours_val in zip(rows, first.history["train_loss"][4:], first.history["val_loss"][4:]):
        assert close(train, ours) and close(val, ours_val)


@pytest.mark.parametrize("scale", ["standard", "minmax"])
def test_scaled_inputs_export_the_same_scaling(torch, tmp_path, scale):
    config = _scheduled(base="xor", scale=scale)
    rows, _ = _rows_and_stop(pytorch_script(Trainer(config), EPOCHS), tmp_path)
    h = nntui_history(Trainer(config), EPOCHS)
    for (_, train, val), ours, ours_val in zip(rows, h["train_loss"], h["val_loss"]):
        assert close(train, ours) and close(val, ours_val)
