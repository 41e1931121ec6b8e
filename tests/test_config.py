"""nntui.experiment.config: defaults, derived output and loss, round trips, overrides, and
one clear ConfigError for every kind of mistake. (The corpus of bad preset
files, run through the CLI, is in test_cli.py.)"""

from __future__ import annotations

import json
import math
import os
from dataclasses import FrozenInstanceError, replace

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from nntui.experiment import config as cfg
from nntui.experiment.config import Config, ConfigError, config_from_dict, override
from nntui.experiment.presets import STORY_ORDER, DEFAULT_PRESET, PRESET_DIR, list_presets, load_preset
from nntui.engine.activations import ACTIVATIONS, OUTPUTS
from nntui.engine.datasets import DATASETS
from nntui.engine.initializers import INITIALIZERS
from nntui.engine.optimizers import OPTIMIZER_DEFAULTS, OPTIMIZERS, option_names

XOR = {"data": {"dataset": "xor"}, "model": {"layers": [2, 4, 1]}}


def build(**sections) -> Config:
    d = json.loads(json.dumps(XOR))
    for section, keys in sections.items():
        d.setdefault(section, {}).update(keys)
    return config_from_dict(d, "t.toml")


def error(**sections) -> str:
    with pytest.raises(ConfigError) as e:
        build(**sections)
    message = str(e.value)
    assert "\n" not in message
    assert message.startswith("t.toml: ")
    return message


# --- defaults and derived values -----------------------------------------------------


def test_defaults_for_omitted_keys():
    c = config_from_dict(XOR, "t.toml")
    assert c.title == "t" and c.description == "" and c.source == "t.toml"
    assert (c.data.samples, c.data.noise, c.data.validation, c.data.seed) == (200, 0.0, 0.2, 0)
    assert c.data.classes is None and c.data.path is None and c.data.target is None
    m = c.model
    assert (m.layers, m.activation, m.output, m.init, m.seed, m.weights) == ((2, 4, 1), "tanh", "sigmoid", "xavier", 0, None)
    t = c.train
    assert (t.loss, t.optimizer, t.learning_rate, t.batch_size, t.epochs) == ("bce", "sgd", 0.1, 16, 100)
    assert t.options == {} and t.target_loss is None


@pytest.mark.parametrize(
    "data, layers, output, loss",
    [
        ({"dataset": "xor"}, [2, 1], "sigmoid", "bce"),
        ({"dataset": "blobs"}, [2, 3], "softmax", "cross_entropy"),
        ({"dataset": "blobs", "classes": 5}, [2, 5], "softmax", "cross_entropy"),
        ({"dataset": "plane"}, [2, 1], "linear", "mse"),
        ({"dataset": "csv", "path": str(PRESET_DIR / "data" / "iris.csv")}, [4, 3], "softmax", "cross_entropy"),
    ],
)
def test_output_and_loss_follow_the_task_when_omitted(data, layers, output, loss):
    c = config_from_dict({"data": data, "model": {"layers": layers}}, "t.toml")
    assert (c.model.output, c.train.loss) == (output, loss)


def test_output_and_loss_follow_each_other():
    assert build(train={"loss": "mse"}).model.output == "sigmoid"
    assert build(model={"output": "tanh"}).train.loss == "mse"
    perceptron = config_from_dict(
        {"data": {"dataset": "and_gate"}, "model": {"layers": [2, 1]}, "train": {"optimizer": "perceptron"}}, "t.toml")
    assert (perceptron.model.output, perceptron.train.loss) == ("step", "perceptron")


def test_blobs_gets_three_classes_by_default():
    c = config_from_dict({"data": {"dataset": "blobs"}, "model": {"layers": [2, 3]}}, "t.toml")
    assert c.data.classes == 3


def test_options_hold_only_what_was_given():
    c = build(train={"optimizer": "adam", "betas": [0.8, 0.99], "amsgrad": True})
    assert c.train.options == {"betas": (0.8, 0.99), "amsgrad": True}
    assert build(train={"momentum": 1}).train.options == {"momentum": 1.0}


def test_target_loss_is_optional():
    assert build(train={"target_loss": 0.05}).train.target_loss == 0.05


def test_csv_path_is_relative_to_the_preset_file(tmp_path):
    (tmp_path / "sub").mkdir()
    (tmp_path / "sub" / "d.csv").write_text("a,b,y\n1,2,0\n3,4,1\n5,6,0\n7,8,1\n9,1,1\n")
    preset = tmp_path / "p.toml"
    preset.write_text('[data]\ndataset = "csv"\npath = "sub/d.csv"\nvalidation = 0\n[model]\nlayers = [2, 1]\n')
    c = load_preset(preset)
    assert c.data.path == str((tmp_path / "sub" / "d.csv").resolve())
    assert (c.model.output, c.train.loss) == ("sigmoid", "bce")


# --- the Config object ---------------------------------------------------------------


def test_config_is_frozen_and_replace_works():
    c = build()
    with pytest.raises(FrozenInstanceError):
        c.title = "x"  # type: ignore[misc]
    assert replace(c, train=replace(c.train, epochs=3)).train.epochs == 3


@pytest.mark.parametrize("name", [name for name, _ in list_presets()])
def test_every_builtin_round_trips_through_json(name):
    c = load_preset(name)
    d = json.loads(json.dumps(c.to_dict()))
    assert config_from_dict(d, c.source) == c
    assert config_from_dict(d, c.source, check_data=False) == c


def test_to_dict_is_plain_data():
    c = build(train={"optimizer": "adam", "betas": [0.8, 0.9]})
    d = c.to_dict()
    assert d["model"]["layers"] == [2, 4, 1] and d["train"]["betas"] == [0.8, 0.9]
    assert json.loads(json.dumps(d)) == d
    assert "target_loss" not in d["train"] and "path" not in d["data"]


# --- presets by name and path --------------------------------------------------------


def test_preset_dir_and_default():
    assert PRESET_DIR.is_dir()
    names = [name for name, _ in list_presets()]
    assert DEFAULT_PRESET in names
    # The story's order first (README), so `nntui presets` and the picker read as a lesson.
    assert names[:4] == ["perceptron-and", "perceptron-xor", "perceptron-features", "xor"]
    assert set(STORY_ORDER) <= set(names) and names.index("lr-too-high") > names.index("spiral")
    assert all(path.suffix == ".toml" and path.is_file() for _, path in list_presets())


def test_load_by_name_and_by_path(tmp_path, monkeypatch):
    by_name = load_preset("xor")
    assert by_name.source == "xor.toml" and by_name.name == "xor"
    copy = tmp_path / "mine.toml"
    copy.write_text((PRESET_DIR / "xor.toml").read_text())
    monkeypatch.chdir(tmp_path)
    by_path = load_preset("mine.toml")
    assert by_path.source == "mine.toml"
    assert replace(by_path, source="xor.toml") == by_name
    assert load_preset(copy).model == by_name.model  # a Path works too


def test_unknown_preset_lists_the_builtins():
    with pytest.raises(ConfigError) as e:
        load_preset("spirall")
    message = str(e.value)
    assert "unknown preset 'spirall' (did you mean 'spiral'?)" in message
    for name, _ in list_presets():
        assert name in message


def test_missing_file_and_folder(tmp_path):
    with pytest.raises(ConfigError, match="no such preset file"):
        load_preset(str(tmp_path / "nope.toml"))
    folder = tmp_path / "dir.toml"
    folder.mkdir()
    with pytest.raises(ConfigError, match="is a folder"):
        load_preset(str(folder))


def test_toml_errors_give_line_and_column(tmp_path):
    bad = tmp_path / "dup.toml"
    bad.write_text('[data]\ndataset = "xor"\ndataset = "xor"\n')
    with pytest.raises(ConfigError, match=r"dup.toml: line 3, column \d+: invalid TOML: .*given twice"):
        load_preset(bad)


def test_not_utf8_names_the_line(tmp_path):
    bad = tmp_path / "latin.toml"
    bad.write_bytes(b'[data]\ndataset = "xor"\n# caf\xe9\n')
    with pytest.raises(ConfigError, match=r"latin.toml: line 3: not UTF-8 text \(byte 0xe9\)"):
        load_preset(bad)


def test_utf8_bom_is_accepted(tmp_path):
    p = tmp_path / "bom.toml"
    p.write_bytes(b"\xef\xbb\xbf" + (PRESET_DIR / "xor.toml").read_bytes())
    assert load_preset(p).model.layers == (2, 4, 1)


# --- every kind of mistake -----------------------------------------------------------


@pytest.mark.parametrize(
    "sections, fragment",
    [
        ({"data": {"samples": 0}}, "[data] samples = 0: must be from 1 to"),
        ({"data": {"samples": True}}, "[data] samples = true: must be a whole number"),
        ({"data": {"samples": 2.5}}, "written without a decimal point"),
        ({"data": {"noise": -0.1}}, "[data] noise = -0.1: must be >= 0"),
        ({"data": {"noise": math.inf}}, "not inf"),
        ({"data": {"validation": 1}}, "[data] validation = 1: must be >= 0 and < 1"),
        ({"data": {"validation": math.nan}}, "not nan"),
        ({"data": {"seed": -1}}, "[data] seed = -1: must be >= 0"),
        ({"data": {"seed": "1"}}, '[data] seed = "1": must be a whole number'),
        ({"data": {"samples": 3, "validation": 0.9}}, "leaves no rows to train on"),
        ({"data": {"path": "x.csv"}}, '[data] path = "x.csv": does not apply to dataset = "xor"'),
        ({"data": {"colour": 1}}, "[data] unknown key 'colour'"),
        ({"model": {"layers": [2]}}, "must be a list of at least 2 sizes"),
        ({"model": {"layers": [2, True, 1]}}, "every size must be a whole number"),
        ({"model": {"layers": [2, 5000, 1]}}, "from 1 to 4096, not 5000"),
        ({"model": {"activation": 3}}, "[model] activation = 3: must be the name of activation"),
        ({"model": {"activation": "softmax"}}, "unknown activation"),
        ({"model": {"output": "relu"}}, "unknown output activation"),
        ({"model": {"init": "glorot"}}, "unknown initializer"),
        ({"model": {"init": "explicit"}}, "needs a [model.weights] table with W1, b1, W2, b2"),
        ({"train": {"optimizer": "adma"}}, "unknown optimizer (did you mean 'adam'?)"),
        ({"train": {"loss": "crossentropy"}}, "did you mean 'cross_entropy'?"),
        ({"train": {"learning_rate": 0}}, "[train] learning_rate = 0: must be > 0"),
        ({"train": {"learning_rate": True}}, "[train] learning_rate = true: must be a finite number"),
        ({"train": {"batch_size": 0}}, "[train] batch_size = 0: must be >= 1"),
        ({"train": {"epochs": 1.0}}, "[train] epochs = 1.0: must be a whole number"),
        ({"train": {"target_loss": -1}}, "[train] target_loss = -1: must be >= 0"),
        ({"train": {"momentum": -0.5}}, "[train] momentum = -0.5: must be a number >= 0"),
        ({"train": {"momentum": "high"}}, '[train] momentum = "high": must be a finite number'),
        ({"train": {"nesterov": 1}}, "[train] nesterov = 1: must be true or false"),
        ({"train": {"optimizer": "adam", "betas": [0.9, 1.0]}}, "betas = [0.9, 1.0]: must be two numbers in [0, 1)"),
        ({"train": {"optimizer": "adam", "betas": [0.9, math.nan]}}, "every entry must be a finite number, not nan"),
        ({"train": {"optimizer": "rmsprop", "nesterov": True}},
         'optimizer "rmsprop" does not take this option; it takes: alpha, eps, momentum, centered'),
        ({"train": {"optimizer": "perceptron", "momentum": 0.9}}, 'optimizer "perceptron" does not take this option; it takes: no options'),
        ({"train": {"lr": 0.1}}, "[train] unknown key 'lr'"),
        ({"model": {"output": "step"}, "train": {"loss": "perceptron"}}, "step has no useful gradient"),
        ({"model": {"activation": "step"}}, 'step has no useful gradient, so optimizer = "sgd" cannot train it; use optimizer = "perceptron"'),
        ({"train": {"loss": "perceptron"}}, 'the perceptron loss goes with optimizer = "perceptron"'),
        ({"train": {"optimizer": "perceptron"}}, "the perceptron rule trains one layer"),
        ({"model": {"output": "softmax", "layers": [2, 4, 1]}}, "softmax is for three or more classes"),
        ({"model": {"output": "tanh"}, "train": {"loss": "bce"}}, 'loss = "bce" needs output = "sigmoid"'),
        ({"model": {"output": "sigmoid"}, "train": {"loss": "cross_entropy"}}, 'loss = "cross_entropy" needs output = "softmax"'),
        ({"train": {"loss": "cross_entropy"}}, '[train] loss = "cross_entropy": binary data needs one output'),
    ],
)
def test_mistakes(sections, fragment):
    assert fragment in error(**sections)


def test_misplaced_sections_and_keys():
    with pytest.raises(ConfigError, match=r"unknown section \[modle\] \(did you mean \[model\]\?\)"):
        config_from_dict({**XOR, "modle": {}}, "t.toml")
    with pytest.raises(ConfigError, match="t.toml: unknown key 'titel' .*did you mean 'title'"):
        config_from_dict({**XOR, "titel": "x"}, "t.toml")
    with pytest.raises(ConfigError, match=r"t.toml: data = 3: must be a table"):
        config_from_dict({**XOR, "data": 3}, "t.toml")
    with pytest.raises(ConfigError, match="missing key 'layers'"):
        config_from_dict({"data": {"dataset": "xor"}}, "t.toml")
    with pytest.raises(ConfigError, match="t.toml: title = 1: must be a string"):
        config_from_dict({**XOR, "title": 1}, "t.toml")


def test_gate_refuses_keys_it_ignores():
    d = {"data": {"dataset": "and_gate", "samples": 100}, "model": {"layers": [2, 1]}}
    with pytest.raises(ConfigError, match="is its 4 truth-table rows"):
        config_from_dict(d, "t.toml")


@pytest.mark.parametrize(
    "data, layers, fragment",
    [
        ({"dataset": "xor"}, [3, 4, 1], "the input size 3 does not fit the data: xor has 2 input features"),
        ({"dataset": "xor"}, [2, 4, 2], "binary classes need 1 output, so layers must end with 1"),
        ({"dataset": "blobs", "classes": 4}, [2, 4, 3], "4 classes need 4 outputs"),
        ({"dataset": "plane"}, [2, 4, 2], "1 target needs 1 output"),
    ],
)
def test_layer_sizes_must_fit_the_data(data, layers, fragment):
    with pytest.raises(ConfigError) as e:
        config_from_dict({"data": data, "model": {"layers": layers}}, "t.toml")
    assert fragment in str(e.value) and "[model] layers = " in str(e.value)


def test_regression_and_multiclass_losses():
    with pytest.raises(ConfigError, match='regression data needs loss = "mse"'):
        config_from_dict({"data": {"dataset": "plane"}, "model": {"layers": [2, 1], "output": "sigmoid"},
                          "train": {"loss": "bce"}}, "t.toml")
    with pytest.raises(ConfigError, match='multiclass data needs output = "softmax"'):
        config_from_dict({"data": {"dataset": "blobs"}, "model": {"layers": [2, 3], "output": "sigmoid"}}, "t.toml")
    with pytest.raises(ConfigError, match="the perceptron rule needs binary data"):
        config_from_dict({"data": {"dataset": "plane"}, "model": {"layers": [2, 1]},
                          "train": {"optimizer": "perceptron"}}, "t.toml")


EXPLICIT = {"W1": [[0.1, 0.2], [0.3, 0.4]], "b1": [0.0, 0.1], "W2": [[0.5], [0.6]], "b2": [0.2]}


def test_explicit_weights():
    c = build(model={"layers": [2, 2, 1], "init": "explicit", "weights": EXPLICIT})
    assert c.model.weights == EXPLICIT
    assert all(isinstance(x, float) for row in c.model.weights["W1"] for x in row)


@pytest.mark.parametrize(
    "change, fragment",
    [
        ({"W1": [[0.1, 0.2]]}, "W1 = [[0.1, 0.2]]: must have shape (2, 2): 2 rows (one per input) of 2 numbers"),
        ({"W2": [0.5, 0.6]}, "W2 = [0.5, 0.6]: must have shape (2, 1)"),
        ({"b1": [0.0]}, "b1 = [0.0]: must have shape (2,): a list of 2 numbers; got a list of 1 number"),
        ({"b2": [[0.2]]}, "must have shape (1,)"),
        ({"b2": [True]}, "every entry must be a finite number, not true"),
        ({"W3": [[1.0]]}, "unknown key 'W3'"),
    ],
)
def test_explicit_weights_shapes(change, fragment):
    weights = {**EXPLICIT, **change}
    assert fragment in error(model={"layers": [2, 2, 1], "init": "explicit", "weights": weights})


def test_explicit_weights_missing_one():
    weights = {k: v for k, v in EXPLICIT.items() if k != "b2"}
    assert "[model.weights]: missing b2" in error(model={"layers": [2, 2, 1], "init": "explicit", "weights": weights})


def test_csv_problems_name_the_key_and_line(tmp_path):
    (tmp_path / "bad.csv").write_text("a,b,y\n1,2,0\n3,x,1\n")
    base = {"model": {"layers": [2, 1]}}
    with pytest.raises(ConfigError, match=r'p.toml: \[data\] path = "bad.csv": line 3: column \'b\' has \'x\''):
        config_from_dict({**base, "data": {"dataset": "csv", "path": "bad.csv"}}, "p.toml", tmp_path)
    with pytest.raises(ConfigError, match=r'\[data\] path = "gone.csv": no such file'):
        config_from_dict({**base, "data": {"dataset": "csv", "path": "gone.csv"}}, "p.toml", tmp_path)
    (tmp_path / "dir.csv").mkdir()
    with pytest.raises(ConfigError, match=r'\[data\] path = "dir.csv": is a folder'):
        config_from_dict({**base, "data": {"dataset": "csv", "path": "dir.csv"}}, "p.toml", tmp_path)
    with pytest.raises(ConfigError, match=r'\[data\] target = "z": line 1: no column \'z\''):
        config_from_dict({**base, "data": {"dataset": "csv", "path": "bad.csv", "target": "z"}}, "p.toml", tmp_path)
    with pytest.raises(ConfigError, match=r'dataset = "csv" needs path'):
        config_from_dict({**base, "data": {"dataset": "csv"}}, "p.toml", tmp_path)


def test_csv_image_shape_is_checked(tmp_path):
    """[data] image = [rows, cols]: the inputs as a picture; rows × cols must be
    the input count, one line naming the file and the key."""
    header = ",".join(f"p{i}" for i in range(6)) + ",y"
    (tmp_path / "img.csv").write_text(header + "\n" + "\n".join(",".join(["1"] * 6 + [str(k % 3)]) for k in range(9)))
    base = {"model": {"layers": [6, 3]}, "train": {"loss": "cross_entropy"}}

    def with_image(image, layers=(6, 3), **more):
        d = {"data": {"dataset": "csv", "path": "img.csv", "image": image, **more},
             "model": {"layers": list(layers)}, "train": base["train"]}
        return config_from_dict(d, "p.toml", tmp_path)

    c = with_image([2, 3])
    assert c.data.image == (2, 3) and c.to_dict()["data"]["image"] == [2, 3]
    assert config_from_dict(c.to_dict(), "p.toml", tmp_path) == c
    assert config_from_dict({**base, "data": {"dataset": "csv", "path": "img.csv"}}, "p.toml", tmp_path).data.image is None
    with pytest.raises(ConfigError, match=r'^p.toml: \[data\] image = \[3, 3\]: 3×3 is 9 pixels, but img.csv has '
                                          r'6 input columns; rows × columns must equal the number of inputs$'):
        with_image([3, 3])
    for bad in ([8], [2, 3, 1], [0, 6], [2.0, 3], "2x3", [True, 6]):
        with pytest.raises(ConfigError, match=r"^p.toml: \[data\] image = .*: must be \[rows, columns\]"):
            with_image(bad)
    with pytest.raises(ConfigError, match=r'\[data\] image = \[2, 1\]: does not apply to dataset = "xor"'):
        config_from_dict({"data": {"dataset": "xor", "image": [2, 1]}, "model": {"layers": [2, 1]}}, "p.toml")
    # Without the file (a runfile's preset), the input layer is what it must fit.
    d = {"data": {"dataset": "csv", "path": "/nowhere/x.csv", "image": [4, 4]},
         "model": {"layers": [15, 3], "output": "softmax"}, "train": {"loss": "cross_entropy"}}
    with pytest.raises(ConfigError, match=r"4×4 is 16 pixels, but the input layer has 15 units"):
        config_from_dict(d, "run.npz", check_data=False)


def test_cli_refuses_a_bad_image_in_one_line(tmp_path):
    from click.testing import CliRunner

    from nntui.cli import main

    preset = (PRESET_DIR / "digits.toml").read_text().replace("image = [8, 8]", "image = [8, 9]")
    preset = preset.replace('path = "data/digits.csv"', f'path = "{PRESET_DIR / "data" / "digits.csv"}"')
    (tmp_path / "d.toml").write_text(preset)
    result = CliRunner().invoke(main, ["train", str(tmp_path / "d.toml"), "--epochs", "1"])
    assert result.exit_code == 2
    assert "d.toml: [data] image = [8, 9]: 8×9 is 72 pixels, but digits.csv has 64 input columns" in result.stderr
    assert "Traceback" not in result.output + result.stderr and len(result.stderr.strip().splitlines()) == 1


@pytest.mark.skipif(os.name != "posix" or os.geteuid() == 0, reason="root reads any file")
def test_unreadable_csv(tmp_path):
    f = tmp_path / "secret.csv"
    f.write_text("a,b,y\n1,2,0\n3,4,1\n")
    f.chmod(0)
    with pytest.raises(ConfigError, match=r'\[data\] path = "secret.csv": cannot be read'):
        config_from_dict({"data": {"dataset": "csv", "path": "secret.csv"}, "model": {"layers": [2, 1]}}, "p.toml", tmp_path)


def test_check_data_false_skips_the_file():
    d = {"data": {"dataset": "csv", "path": "/nowhere/x.csv"},
         "model": {"layers": [4, 3], "output": "softmax"}, "train": {"loss": "cross_entropy"}}
    c = config_from_dict(d, "run.npz", check_data=False)
    assert c.data.path == "/nowhere/x.csv"


# --- names come from the engine's registries ---------------------------------------


def test_every_registered_name_is_accepted():
    for name in ACTIVATIONS:
        if name != "step":
            assert build(model={"activation": name}).model.activation == name
    for name in INITIALIZERS:
        if name != "explicit":
            assert build(model={"init": name}).model.init == name
    for name in OPTIMIZERS:
        if name != "perceptron":
            assert build(train={"optimizer": name}).train.optimizer == name
    for name in ("sigmoid", "tanh", "linear"):
        assert name in OUTPUTS
        assert build(model={"output": name}, train={"loss": "mse"}).model.output == name
    for name in DATASETS:
        d = {"dataset": name}
        outputs = 3 if name == "blobs" else 1
        c = config_from_dict({"data": d, "model": {"layers": [2, outputs]}}, "t.toml")
        assert c.data.dataset == name


def test_every_optimizer_option_is_accepted():
    for optimizer, defaults in OPTIMIZER_DEFAULTS.items():
        if optimizer == "perceptron":
            continue
        options = dict(defaults)
        if "nesterov" in options:
            options["nesterov"] = False
        given = {k: list(v) if isinstance(v, tuple) else v for k, v in options.items()}
        c = build(train={"optimizer": optimizer, **given})
        assert set(c.train.options) == set(defaults)


# --- overrides (the CLI's flags) -----------------------------------------------------


def test_override_sets_both_seeds_and_checks_values():
    c = load_preset("xor")
    o = override(c, seed=7, epochs=3, learning_rate=0.5, batch_size=4)
    assert (o.data.seed, o.model.seed, o.train.epochs, o.train.learning_rate, o.train.batch_size) == (7, 7, 3, 0.5, 4)
    assert override(c) == c
    with pytest.raises(ConfigError, match=r"^xor.toml: --learning-rate -1: must be > 0$"):
        override(c, learning_rate=-1)
    with pytest.raises(ConfigError, match=r"^xor.toml: --epochs 0: must be from 1 to"):
        override(c, epochs=0)
    with pytest.raises(ConfigError, match=r"--optimizer \"adma\": unknown optimizer \(did you mean 'adam'\?\)"):
        override(c, optimizer="adma")
    with pytest.raises(ConfigError, match=r"--seed -2: must be >= 0"):
        override(c, seed=-2)


def test_override_optimizer_keeps_only_options_it_takes():
    c = build(train={"momentum": 0.9, "weight_decay": 0.01})
    o = override(c, optimizer="adam")
    assert o.train.optimizer == "adam" and o.train.options == {"weight_decay": 0.01}
    assert override(c, optimizer="rmsprop").train.options == {"momentum": 0.9, "weight_decay": 0.01}


def test_override_options():
    c = load_preset("optimizers")
    assert override(c, options={"momentum": 0.9}).train.options == {"momentum": 0.9}
    with pytest.raises(ConfigError, match=r"--option momentum=-1: must be a number >= 0"):
        override(c, options={"momentum": -1})
    with pytest.raises(ConfigError, match=r"--option momentum=0.9: optimizer \"adam\" does not take"):
        override(c, optimizer="adam", options={"momentum": 0.9})
    with pytest.raises(ConfigError, match=r"--option momentom: unknown optimizer option \(did you mean 'momentum'\?\)"):
        override(c, options={"momentom": 0.9})


def test_override_to_perceptron_names_the_flag():
    with pytest.raises(ConfigError, match=r"^xor.toml: \[model\] output = \"sigmoid\": the perceptron rule needs"):
        override(load_preset("xor"), optimizer="perceptron")


# --- fuzz: any dict gives a Config or a one-line ConfigError, nothing else ------------

_scalars = st.one_of(st.none(), st.booleans(), st.integers(-5, 5000), st.floats(allow_nan=True),
                     st.sampled_from(["xor", "blobs", "tanh", "relu", "softmax", "step", "sgd", "adam",
                                      "perceptron", "bce", "mse", "cross_entropy", "explicit", "csv", ""]))
_values = st.one_of(_scalars, st.lists(st.one_of(st.integers(0, 5), st.floats(0, 1)), max_size=4))
_KEYS = {"data": cfg._DATA_KEYS, "model": cfg._MODEL_KEYS, "train": cfg._TRAIN_KEYS + option_names()}


@st.composite
def presets(draw):
    d = {"data": {"dataset": draw(st.sampled_from([*DATASETS, "csv", "nope"]))},
         "model": {"layers": draw(st.lists(st.integers(1, 4), min_size=1, max_size=4))}}
    for section, keys in _KEYS.items():
        for key in draw(st.lists(st.sampled_from(keys), max_size=3, unique=True)):
            d.setdefault(section, {})[key] = draw(_values)
    if draw(st.booleans()):
        d[draw(st.sampled_from(["extra", "title", "description"]))] = draw(_values)
    return d


@settings(max_examples=300, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(presets())
def test_fuzz_only_config_errors(d):
    try:
        c = config_from_dict(d, "f.toml")
    except ConfigError as e:
        message = str(e)
        assert message.startswith("f.toml: ") and "\n" not in message
    else:
        assert config_from_dict(json.loads(json.dumps(c.to_dict())), "f.toml") == c
