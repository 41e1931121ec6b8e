"""edit(config, key, value): one setting changed, the rest made to fit, the
result checked as a preset file is."""

from __future__ import annotations

import numpy as np
import pytest

from nntui.experiment.config import ConfigError, config_from_dict
from nntui.experiment.edits import edit
from nntui.engine.datasets import make_dataset
from nntui.experiment.presets import load_preset


def test_typed_text_is_read_as_the_key_wants():
    c = load_preset("xor")
    assert edit(c, "train.learning_rate", " 0.3 ").train.learning_rate == 0.3
    assert edit(c, "train.batch_size", "8").train.batch_size == 8
    assert edit(c, "model.hidden", "8, 3").model.layers == (2, 8, 3, 1)
    assert edit(c, "model.hidden", "none").model.layers == (2, 1)
    m = edit(c, "train.options.momentum", "0.9")
    assert m.train.options["momentum"] == 0.9
    assert edit(m, "train.options.nesterov", "on").train.options["nesterov"] is True
    a = edit(c, "train.optimizer", "adam")
    assert edit(a, "train.options.betas", "0.8, 0.9").train.options["betas"] == (0.8, 0.9)


def test_bad_values_name_the_key():
    c = load_preset("xor")
    with pytest.raises(ConfigError, match="learning_rate = -1.0: must be > 0"):
        edit(c, "train.learning_rate", "-1")
    with pytest.raises(ConfigError, match="momentum: 'lots' is not a number"):
        edit(c, "train.options.momentum", "lots")
    with pytest.raises(ConfigError, match="hidden layers"):
        edit(c, "model.hidden", "4, x")
    with pytest.raises(ConfigError, match="nesterov momentum requires momentum > 0"):
        edit(c, "train.options.nesterov", True)


def test_another_optimizer_drops_the_options_it_does_not_take():
    c = edit(edit(load_preset("xor"), "train.options.momentum", 0.9), "train.options.weight_decay", 0.01)
    a = edit(c, "train.optimizer", "adam")
    assert a.train.optimizer == "adam" and a.train.options == {"weight_decay": 0.01}


def test_another_dataset_fits_the_layers_and_the_task():
    c = load_preset("xor")
    b = edit(c, "data.dataset", "blobs")
    assert b.model.layers == (2, 4, 3) and (b.model.output, b.train.loss) == ("softmax", "cross_entropy")
    r = edit(b, "data.dataset", "plane")
    assert r.model.layers == (2, 4, 1) and (r.model.output, r.train.loss) == ("linear", "mse")
    g = edit(c, "data.dataset", "and_gate")
    assert g.data.dataset == "and_gate" and not {"samples", "noise", "validation"} & set(g.to_dict()["data"])
    back = edit(g, "data.dataset", "circle")
    assert back.data.samples == c.data.samples


def test_a_perceptron_gives_way_to_sgd_off_binary_data():
    p = load_preset("perceptron-and")
    assert edit(p, "data.dataset", "or_gate").train.optimizer == "perceptron"
    b = edit(p, "data.dataset", "blobs")
    assert b.train.optimizer == "sgd" and b.model.output == "softmax"


def test_a_learning_rate_change_does_not_read_the_csv_again(tmp_path):
    rng = np.random.default_rng(0)
    rows = "\n".join(f"{rng.normal():.5f},{rng.normal():.5f},{i % 2}" for i in range(40))
    (tmp_path / "d.csv").write_text("u,v,label\n" + rows + "\n")
    c = config_from_dict({"data": {"dataset": "csv", "path": "d.csv"}, "model": {"layers": [2, 3, 1]}},
                         "mine.toml", tmp_path)
    data = make_dataset(c.data)
    (tmp_path / "d.csv").unlink()  # read once; an edit must not need it again
    e = edit(c, "train.learning_rate", 0.5, dataset=data)
    assert e.train.learning_rate == 0.5 and e.data == c.data
    assert edit(c, "model.hidden", "5", dataset=data).model.layers == (2, 5, 1)
    with pytest.raises(ConfigError, match="the output size 2 does not fit"):  # still checked, against `data`
        config_from_dict({**c.to_dict(), "model": {"layers": [2, 2]}}, "mine.toml", dataset=data)
    with pytest.raises(ConfigError, match="d.csv"):  # a data edit does read the file
        edit(c, "data.validation", 0.3, dataset=data)


def test_early_stopping_switches_on_and_off_and_takes_a_patience():
    from nntui.experiment.config import ConfigError
    from nntui.experiment.edits import edit
    from nntui.experiment.presets import load_preset

    base = load_preset("overfit")
    on = edit(base, "train.early_stopping", "on")
    assert on.train.early_stopping.monitor == "val_loss" and on.train.early_stopping.patience == 20
    assert edit(on, "train.early_stopping.patience", "7").train.early_stopping.patience == 7
    assert edit(base, "train.early_stopping.patience", 5).train.early_stopping.patience == 5  # and on
    assert edit(on, "train.early_stopping", False).train.early_stopping is None
    gate = edit(load_preset("perceptron-and"), "train.early_stopping", True)
    assert gate.train.early_stopping.monitor == "train_loss"  # no validation set to watch
    with pytest.raises(ConfigError, match=r"\[train.early_stopping\] patience = -2: must be >= 0"):
        edit(on, "train.early_stopping.patience", "-2")
    with pytest.raises(ConfigError, match="not a whole number"):
        edit(on, "train.early_stopping.patience", "soon")
