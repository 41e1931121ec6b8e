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
    assert "def inputs(points):" in script and "np.sin(x1),  # 'sin_x1'" in script
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


# --- text from files is data in the script, never code ------------------------------------


def payload(tag: str) -> str:
    """Text that runs `open(tag)` if a script ever reads it as code: it closes a
    triple-quoted string of either kind, ends a comment line, and holds a NUL."""
    code = f"open({tag!r}, 'w').close()"
    return f'{tag} """\n{code}\n"""' + f" '''\n{code}\n'''" + f" #\n{code}\n#" + " \x00 \\"


def toml_text(s: str) -> str:
    import json

    return json.dumps(s, ensure_ascii=False)  # a JSON string is a TOML basic string


def hostile_preset(tmp_path, with_features: bool):
    """A preset whose every text field (title, description, the CSV's path,
    column names and class labels, its own file name) holds a payload."""
    import csv

    labels = [payload("PWNED-label-a"), payload("PWNED-label-b")]
    names = [payload("PWNED-col-1"), payload("PWNED-col-2"), payload("PWNED-target")]
    data = tmp_path / 'data """\n#\'\'\'.csv'
    with open(data, "w", newline="") as f:
        w = csv.writer(f)
        w.writerow(names)
        rng = np.random.default_rng(0)
        for i in range(40):
            x = rng.normal(size=2)
            w.writerow([f"{x[0]:.3f}", f"{x[1]:.3f}", labels[int(x[0] * x[1] > 0)]])
    preset = tmp_path / f'p """\nopen("PWNED-file", "w").close()\n#\'\'\'.toml'
    features = 'features = ["x1", "x2", "x1_x2"]\n' if with_features else ""
    preset.write_text(
        f"title = {toml_text(payload('PWNED-title'))}\n"
        f"description = {toml_text(payload('PWNED-description'))}\n"
        f"[data]\ndataset = \"csv\"\npath = {toml_text(data.name)}\ntarget = {toml_text(names[2])}\n{features}"
        f"[model]\nlayers = [{3 if with_features else 2}, 4, 1]\nactivation = \"tanh\"\n"
        "[train]\noptimizer = \"adam\"\nlearning_rate = 0.01\nbatch_size = 8\nepochs = 2\n")
    return preset


def run_in(folder, script_path) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, str(script_path)], capture_output=True, text=True, timeout=300,
                          cwd=folder)


@pytest.mark.parametrize("with_features", [False, True])
def test_no_text_from_a_preset_or_runfile_runs_in_the_script(torch, tmp_path, with_features):
    from nntui.engine.runfile import save_run

    preset = hostile_preset(tmp_path, with_features)
    trainer = Trainer(load_preset(str(preset)))
    assert "PWNED-title" in trainer.config.title  # the payload is there, as text
    trainer.run(until_epochs=1)
    run = tmp_path / f'run """\nopen("PWNED-run", "w").close()\n#\'\'\'.npz'
    save_run(trainer, run)
    outputs = []
    for i, source in enumerate((str(preset), str(run))):
        out = tmp_path / f"out{i}.py"
        p = subprocess.run([sys.executable, "-c", "from nntui.cli import run; run()", "export", source,
                            "--to", "pytorch", "--epochs", "2", "-o", str(out)],
                           capture_output=True, text=True, timeout=120)
        assert p.returncode == 0, p.stderr
        outputs.append(out)
    for out, name in zip(outputs, ("PWNED-file", "PWNED-run")):
        script = out.read_text()
        assert "PWNED-title" in script and name in script  # written, as literals
        assert "PWNED-description" in script and "PWNED-label-a" in script
        p = run_in(tmp_path, out)
        assert p.returncode == 0, p.stderr
        epochs = [line.split()[1] for line in p.stdout.splitlines()]
        assert epochs in (["1", "2"], ["2", "3"]), p.stdout  # it still trains
        ran = sorted(f.name for f in tmp_path.iterdir() if f.name.startswith("PWNED"))
        assert ran == [], ran


def test_a_runfile_with_payloads_in_its_metadata_exports_them_as_data(torch, tmp_path):
    """meta (classes, source, data set name) and config text written by another
    tool, not by nntui: each holds a payload; none runs."""
    import json
    import zipfile

    from nntui.engine.runfile import save_run

    trainer = Trainer(load_preset("xor"))
    trainer.run(until_epochs=1)
    run = save_run(trainer, tmp_path / "run.npz")
    with np.load(run) as z:
        arrays = {k: z[k] for k in z.files}
    meta, config = json.loads(str(arrays["meta"])), json.loads(str(arrays["config"]))
    meta.update(classes=[payload("PWNED-c0"), payload("PWNED-c1")], source=payload("PWNED-source"),
                dataset_name=payload("PWNED-dataset"))
    config["title"], config["description"] = payload("PWNED-title"), payload("PWNED-description")
    arrays["meta"], arrays["config"] = np.array(json.dumps(meta)), np.array(json.dumps(config))
    np.savez(run, **arrays)
    assert zipfile.is_zipfile(run)
    out = tmp_path / "out.py"
    p = subprocess.run([sys.executable, "-c", "from nntui.cli import run; run()", "export", str(run),
                        "--to", "pytorch", "--epochs", "2", "-o", str(out)],
                       capture_output=True, text=True, timeout=120)
    assert p.returncode == 0, p.stderr
    assert "PWNED-title" in out.read_text() and "PWNED-c1" in out.read_text()
    p = run_in(tmp_path, out)
    assert p.returncode == 0, p.stderr
    assert [line.split()[1] for line in p.stdout.splitlines()] == ["2", "3"]
    assert not [f.name for f in tmp_path.iterdir() if f.name.startswith("PWNED")]


@pytest.mark.parametrize("text", ["", "short", "a " * 100, "x" * 300, 'q"""\n' * 40 + "\x00 ''' #", "é " * 90])
def test_long_text_is_written_as_literals_that_join_back_exactly(text):
    from nntui.experiment.export import _literal

    code = _literal(text)
    assert eval(compile(code, "x", "eval"), {"__builtins__": {}}) == text
    assert all(len(line) < 100 for line in code.splitlines())
