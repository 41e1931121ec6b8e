"""A weight set by hand: training goes on from the edited value, with the
optimizer's state kept; the runfile keeps the list of edits."""

from __future__ import annotations

import json

import numpy as np
import pytest

from nntui.engine.runfile import RunfileError, save_run
from nntui.engine.trainer import Trainer
from nntui.experiment.presets import load_preset
from nntui.experiment.runs import load_run


def trained(steps: int = 12) -> Trainer:
    tr = Trainer(load_preset("xor"))
    tr.run(max_steps=steps)
    return tr


def test_training_continues_from_the_edited_weight():
    tr, same = trained(), trained()
    tr.set_weight("W1", (0, 1), 2.5)
    assert tr.params["W1"][0, 1] == 2.5 and same.params["W1"][0, 1] != 2.5
    # The next step is plain sgd from the edited weights: p - lr * grad, the grad taken there.
    X, y = tr.x_train[tr.batch_indices()], tr.dataset.y_train[tr.batch_indices()]
    before = {k: v.copy() for k, v in tr.params.items()}
    grads = tr.gradients(X, y)
    tr.run_steps(1)
    for k in before:
        np.testing.assert_allclose(tr.params[k], before[k] - 0.1 * grads[k], rtol=0, atol=1e-14)
    same.run_steps(1)
    assert not np.allclose(tr.params["W2"], same.params["W2"])  # the edit changed what followed


def test_the_optimizer_state_is_kept():
    c = load_preset("optimizers")
    tr = Trainer(c)
    tr.run(max_steps=5)
    state = tr.optimizer.get_state()
    tr.set_weight("b1", (0,), -1.0)
    after = tr.optimizer.get_state()
    assert state.keys() == after.keys() and all(np.array_equal(state[k], after[k]) for k in state)


def test_an_edit_leaves_earlier_snapshots_alone_and_is_listed():
    tr = trained()
    s = tr.snapshot()
    old = float(tr.params["W2"][3, 0])
    tr.set_weight("W2", [3, 0], 0.125)
    assert s.params["W2"][3, 0] == old  # snapshots share arrays: the edit made a new one
    assert tr.snapshot().edits == (("W2", (3, 0), 0.125),)
    assert tr.edits == [(12, "W2", (3, 0), old, 0.125)]
    assert not tr.can_step_back  # rewinding would undo the edit unseen


@pytest.mark.parametrize("name, index, value, message", [
    ("W9", (0, 0), 1.0, "no parameter 'W9'"),
    ("W1", (2, 0), 1.0, "outside W1, of shape 2×4"),
    ("W1", (0,), 1.0, "outside W1"),
    ("b1", (0,), float("nan"), "finite number"),
    ("b1", (0,), float("inf"), "finite number"),
])
def test_bad_edits_are_refused_and_change_nothing(name, index, value, message):
    tr = trained()
    before = dict(tr.params)
    with pytest.raises(ValueError, match=message):
        tr.set_weight(name, index, value)
    assert tr.params == before and tr.edits == []


def test_the_runfile_keeps_the_edits_and_the_edited_weights(tmp_path):
    tr = trained()
    tr.set_weight("W1", (1, 2), -0.75)
    tr.run_steps(3)
    path = save_run(tr, tmp_path / "r.npz")
    back = load_run(path)
    assert back.edits == tr.edits and back.snapshot().edits == (("W1", (1, 2), -0.75),)
    for k in tr.params:
        np.testing.assert_array_equal(back.params[k], tr.params[k])
    tr.run_steps(5)
    back.run_steps(5)  # and goes on bit for bit
    for k in tr.params:
        np.testing.assert_array_equal(back.params[k], tr.params[k])


def _rewrite_meta(src, dst, change) -> None:
    with np.load(src) as z:
        arrays = {k: z[k] for k in z.files}
    meta = json.loads(str(arrays["meta"]))
    change(meta)
    arrays["meta"] = np.array(json.dumps(meta))
    np.savez(dst, **arrays)


@pytest.mark.parametrize("edits, message", [
    ("W1", "must be a list of"),
    ([[0, "W7", [0, 0], 0.0, 1.0]], "no parameter 'W7'"),
    ([[0, "W1", [5, 0], 0.0, 1.0]], "outside W1"),
    ([[99, "W1", [0, 0], 0.0, 1.0]], "after the run's step"),
    ([[0, "W1", [0, 0], 0.0, "x"]], "must be a list of"),
])
def test_a_bad_edits_list_in_a_runfile_is_refused_in_one_line(tmp_path, edits, message):
    path = save_run(trained(), tmp_path / "r.npz")
    bad = tmp_path / "bad.npz"
    _rewrite_meta(path, bad, lambda m: m.__setitem__("edits", edits))
    with pytest.raises(RunfileError, match=message) as e:
        load_run(bad)
    assert "bad.npz" in str(e.value) and "\n" not in str(e.value)


def test_a_runfile_without_edits_loads_with_none(tmp_path):
    path = save_run(trained(), tmp_path / "r.npz")
    old = tmp_path / "old.npz"
    _rewrite_meta(path, old, lambda m: m.pop("edits"))
    assert load_run(old).edits == []
