"""The confusion matrix: counted in the engine at each epoch's end, carried by
the snapshot, printed by `nntui train`, shown by the app's ConfusionView (x)."""

from __future__ import annotations

import json
import subprocess
import sys

import numpy as np

from nntui.experiment.config import config_from_dict
from nntui.engine.metrics import confusion_matrix, predicted_classes
from nntui.engine.trainer import Trainer
from nntui.experiment.presets import load_preset


def test_confusion_matrix_against_a_hand_count():
    true = [0, 0, 0, 1, 1, 2, 2, 2, 2]
    pred = [0, 1, 0, 1, 2, 2, 2, 0, 2]
    # class 0: two right, one taken for 1; class 1: one right, one taken for 2;
    # class 2: three right, one taken for 0.
    assert confusion_matrix(np.array(true), np.array(pred), 3).tolist() == [[2, 1, 0], [0, 1, 1], [1, 0, 3]]
    assert confusion_matrix(np.array([], dtype=int), np.array([], dtype=int), 2).tolist() == [[0, 0], [0, 0]]


def test_confusion_matrix_against_a_loop():
    rng = np.random.default_rng(3)
    true, pred = rng.integers(0, 5, 400), rng.integers(0, 5, 400)
    loop = np.zeros((5, 5), dtype=int)
    for t, p in zip(true, pred):
        loop[t, p] += 1
    assert np.array_equal(confusion_matrix(true, pred, 5), loop)


def test_a_binary_output_predicts_class_1_from_one_half():
    a = np.array([[0.49], [0.5], [0.99], [0.0]])
    assert predicted_classes(a, "binary").tolist() == [0, 1, 1, 0]


def independent(tr: Trainer, x, y) -> np.ndarray:
    """The matrix from the trainer's predictions, counted by a loop."""
    out = tr.predict(x)
    k = len(tr.dataset.classes)
    m = np.zeros((k, k), dtype=int)
    for row, label in zip(out, np.ravel(y)):
        m[int(label), int(row.argmax()) if k > 2 else int(row[0] >= 0.5)] += 1
    return m


def test_the_trainer_counts_the_validation_set_at_each_epochs_end():
    tr = Trainer(load_preset("iris"))
    assert tr.snapshot().confusion is None  # no epoch has ended
    tr.run(until_epochs=5)
    c = tr.snapshot().confusion
    assert c is tr.confusion and c.subset == "validation" and c.epoch == 5
    assert c.classes == ("setosa", "versicolor", "virginica")
    assert np.array_equal(c.counts, independent(tr, tr.dataset.x_val, tr.dataset.y_val))
    assert c.counts.sum() == len(tr.dataset.y_val)
    assert np.trace(c.counts) / c.counts.sum() == tr.history["val_accuracy"][-1]
    # Mid-epoch it stays the last epoch's; a step back across the epoch's end brings back the one before.
    before = c
    tr.train_step()
    assert tr.snapshot().confusion is before
    tr.run(until_epochs=6)
    assert tr.confusion is not before and tr.confusion.epoch == 6
    while tr.epoch == 6:
        tr.step_back()
    assert tr.confusion is before


def test_without_a_validation_set_it_counts_the_training_set():
    tr = Trainer(load_preset("perceptron-xor"))
    tr.run(until_epochs=3)
    assert tr.confusion.subset == "train" and tr.confusion.classes == ("0", "1")
    assert np.array_equal(tr.confusion.counts, independent(tr, tr.dataset.x_train, tr.dataset.y_train))


def test_regression_has_none():
    tr = Trainer(load_preset("plane"))
    tr.run(until_epochs=1)
    assert tr.confusion is None and tr.snapshot().confusion is None


def test_a_resumed_run_measures_it_again(tmp_path):
    from nntui.engine.runfile import save_run
    from nntui.experiment.runs import load_run

    tr = Trainer(load_preset("blobs"))
    tr.run(until_epochs=2)
    resumed = load_run(save_run(tr, tmp_path / "run.npz"))
    assert np.array_equal(resumed.confusion.counts, tr.confusion.counts) and resumed.confusion.epoch == 2


def test_nntui_train_prints_it_with_class_names_and_json_has_it():
    p = subprocess.run([sys.executable, "-m", "nntui", "train", "iris", "--epochs", "20", "--no-plot"],
                       capture_output=True, text=True, timeout=120)
    assert p.returncode == 0, p.stderr
    assert "\x1b[" not in p.stdout  # piped: plain text
    lines = p.stdout.splitlines()
    at = next(i for i, line in enumerate(lines) if line.startswith("confusion matrix: validation set, 30 samples"))
    assert lines[at + 2].split() == ["setosa", "versicolor", "virginica"]
    rows = [lines[at + 3 + i].split() for i in range(3)]
    assert [r[0] for r in rows] == ["setosa", "versicolor", "virginica"]
    counts = [[int(v) for v in r[1:]] for r in rows]
    p = subprocess.run([sys.executable, "-m", "nntui", "train", "iris", "--epochs", "20", "--json"],
                       capture_output=True, text=True, timeout=120)
    confusion = json.loads(p.stdout)["confusion"]
    assert confusion == {"set": "validation", "epoch": 20, "classes": ["setosa", "versicolor", "virginica"],
                         "matrix": counts}
    assert sum(map(sum, counts)) == 30


def test_binary_json_names_the_classes_0_and_1():
    d = load_preset("xor").to_dict()
    d["data"]["validation"] = 0.0
    tr = Trainer(config_from_dict(d, "xor.toml"))
    tr.run(until_epochs=2)
    out = tr.confusion.to_dict()
    assert out["set"] == "train" and out["classes"] == ["0", "1"] and sum(map(sum, out["matrix"])) == len(tr.x_train)
