"""The `nntui` command: presets, train, gradcheck, the app's options, exit
statuses, and the corpus of bad presets (tests/bad_presets)."""

from __future__ import annotations

import io
import json
import math
import os
import re
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest
from click.testing import CliRunner
from rich.console import Console

from nntui.cli import common
from nntui.cli import main
from nntui.experiment.presets import list_presets

BAD = Path(__file__).parent / "bad_presets"


def run(*args: str, env: dict | None = None):
    return CliRunner().invoke(main, list(args), env=env)


def run_json(*args: str) -> dict:
    result = run("train", *args, "--json")
    assert result.exit_code == 0, result.stderr
    return json.loads(result.stdout)


def assert_user_error(result, *fragments: str) -> str:
    """Exit 2, one `nntui: error:` line on stderr, nothing on stdout, no traceback."""
    assert result.exit_code == 2, (result.stdout, result.stderr)
    err = result.stderr
    assert err.startswith("nntui: error: ") and err.endswith("\n") and err.count("\n") == 1, err
    assert "Traceback" not in err and result.stdout == ""
    for fragment in fragments:
        assert fragment in err, err
    return err


# --- the corpus of bad presets -------------------------------------------------------------

CORPUS = {
    "unknown-key.toml": "[train] unknown key 'lerning_rate' (did you mean 'learning_rate'?)",
    "unknown-section.toml": "unknown section [trian] (did you mean [train]?)",
    "unknown-top-key.toml": "unknown key 'name'",
    "string-for-int.toml": '[train] epochs = "100": must be a whole number',
    "bool-for-int.toml": "[train] batch_size = true: must be a whole number >= 1, not true/false",
    "float-for-int.toml": "[data] samples = 200.0: must be a whole number",
    "string-for-float.toml": '[train] learning_rate = "0.1": must be a finite number > 0',
    "layers-not-list.toml": '[model] layers = "2, 4, 1": must be a list',
    "layer-zero.toml": "[model] layers = [2, 0, 1]: every size must be a whole number from 1 to 4096, not 0",
    "negative-lr.toml": "[train] learning_rate = -1: must be > 0",
    "nan-noise.toml": "[data] noise = nan: must be a finite number >= 0, not nan",
    "inf-lr.toml": "[train] learning_rate = inf: must be a finite number > 0, not inf",
    "validation-one.toml": "[data] validation = 1.0: must be >= 0 and < 1",
    "negative-seed.toml": "[model] seed = -3: must be >= 0",
    "input-size.toml": "[model] layers = [3, 4, 1]: the input size 3 does not fit the data: xor has 2 input features",
    "output-size-binary.toml": "[model] layers = [2, 4, 2]: the output size 2 does not fit the data",
    "output-size-multiclass.toml": "3 classes need 3 outputs",
    "output-size-regression.toml": "two_targets.csv's 2 targets need 2 outputs",
    "csv-input-size.toml": "iris.csv has 4 input features, so layers must start with 4",
    "cross-entropy-sigmoid.toml": '[model] output = "sigmoid": loss = "cross_entropy" needs output = "softmax"',
    "softmax-mse.toml": '[train] loss = "mse": output = "softmax" needs loss = "cross_entropy"',
    "bce-linear.toml": '[model] output = "linear": loss = "bce" needs output = "sigmoid"',
    "softmax-binary.toml": '[model] output = "softmax": binary data needs one output',
    "step-hidden-sgd.toml": '[model] activation = "step": step has no useful gradient, so optimizer = "sgd" '
                            'cannot train it; use optimizer = "perceptron"',
    "step-output-adam.toml": '[model] output = "step": step has no useful gradient, so optimizer = "adam"',
    "perceptron-hidden.toml": "[model] layers = [2, 2, 1]: the perceptron rule trains one layer",
    "perceptron-multiclass.toml": "the perceptron rule needs binary data",
    "schedule-unknown-kind.toml": '[train.schedule] kind = "cosin": unknown schedule kind (did you mean \'cosine\'?); '
                                  "allowed: cosine, exponential, multistep, plateau, step",
    "schedule-missing-arg.toml": "[train.schedule]: kind = \"step\" needs 'step_size' (torch's StepLR argument)",
    "schedule-wrong-arg.toml": "[train.schedule]: 'step_size' is an argument of kind = \"step\", not of \"cosine\"; "
                               'kind = "cosine" takes: kind, warmup, warmup_start, T_max, eta_min',
    "schedule-milestones.toml": "[train.schedule] milestones = [30, 10]: must be a list of increasing whole epochs",
    "schedule-plateau-warmup.toml": "[train.schedule] warmup = 5: plateau takes no warm-up",
    "early-stopping-monitor.toml": '[train.early_stopping] monitor = "val_los": unknown monitor (did you mean '
                                   "'val_loss'?); allowed: train_loss, val_accuracy, val_loss",
    "early-stopping-no-validation.toml": '[train.early_stopping] monitor = "val_loss": needs a validation set, '
                                         'and this data has none; use monitor = "train_loss"',
    "early-stopping-patience.toml": "[train.early_stopping] patience = -1: must be >= 0",
    "scale-unknown.toml": '[data] scale = "zscore": unknown scale; allowed: minmax, none, standard',
    "option-not-taken.toml": '[train] momentum = 0.9: optimizer "adam" does not take this option; '
                             "it takes: betas, eps, amsgrad, weight_decay, l1",
    "betas-one.toml": "[train] betas = [0.9]: must be a list of 2 numbers",
    "nesterov-no-momentum.toml": "[train] nesterov = true: nesterov momentum requires momentum > 0",
    "unknown-activation.toml": "[model] activation = \"rleu\": unknown activation (did you mean 'relu'?); allowed: ",
    "unknown-dataset.toml": "[data] dataset = \"spirals\": unknown dataset (did you mean 'spiral'?)",
    "missing-dataset.toml": "[data]: missing key 'dataset'",
    "classes-not-blobs.toml": '[data] classes = 3: does not apply to dataset = "xor"',
    "csv-missing.toml": '[data] path = "data/no-such-file.csv": no such file',
    "csv-empty.toml": '[data] path = "data/empty.csv": the file is empty',
    "csv-non-numeric.toml": "[data] path = \"data/non_numeric.csv\": line 4: column 'x2' has 'abc', not a number",
    "csv-unreadable.toml": '[data] path = "data/latin1.csv": cannot be read as UTF-8 text',
    "csv-unknown-target.toml": "[data] target = \"specis\": line 1: no column 'specis' (did you mean 'species'?)",
    "weights-wrong-shape.toml": "[model.weights] W1 = [[0.1, 0.2, 0.3], [0.4, 0.5, 0.6]]: must have shape (2, 2)",
    "weights-missing.toml": "[model.weights]: missing b2",
    "weights-extra.toml": "[model.weights]: unknown key 'W2'; layers = [2, 1] has W1, b1",
    "weights-without-explicit.toml": '[model] weights: only with init = "explicit"',
    "duplicate-key.toml": "line 7, column 13: invalid TOML: Cannot overwrite a value (a key or table is given twice)",
    "duplicate-table.toml": "line 7, column 7: invalid TOML: Cannot declare ('train',) twice",
    "syntax-error.toml": "at the end of the file: invalid TOML: Unclosed array",
    "not-utf8.toml": "line 1: not UTF-8 text (byte 0xe9)",
}


def test_the_corpus_is_complete():
    assert sorted(CORPUS) == sorted(p.name for p in BAD.glob("*.toml"))


@pytest.mark.parametrize("name", sorted(CORPUS))
@pytest.mark.parametrize("command", ["train", "gradcheck"])
def test_bad_preset(name, command):
    result = run(command, str(BAD / name))
    assert_user_error(result, f"nntui: error: {BAD / name}: ", CORPUS[name])


def test_bad_preset_opening_the_app():
    # --preset is checked before the app (and textual) is even imported.
    assert_user_error(run("--preset", str(BAD / "negative-lr.toml")), "[train] learning_rate = -1: must be > 0")


def test_unknown_preset_name_lists_the_builtins():
    err = assert_user_error(run("train", "spirall"), "unknown preset 'spirall' (did you mean 'spiral'?); built-in presets: ")
    for name, _ in list_presets():
        assert name in err


def _nntui(*args: str, **kw) -> subprocess.CompletedProcess:
    """The real command in a fresh process, as a user runs it."""
    code = "import sys; from nntui.cli import main; sys.argv[0] = 'nntui'; main()"
    return subprocess.run([sys.executable, "-c", code, *args], capture_output=True, text=True, timeout=120, **kw)


@pytest.mark.parametrize("name", ["csv-non-numeric.toml", "not-utf8.toml", "duplicate-key.toml"])
def test_bad_preset_in_a_real_process(name):
    p = _nntui("train", name, cwd=BAD)
    assert p.returncode == 2 and p.stdout == ""
    assert p.stderr == f"nntui: error: {name}: {CORPUS[name]}" + p.stderr.split(CORPUS[name], 1)[1]
    assert p.stderr.count("\n") == 1 and "Traceback" not in p.stderr


# --- nntui presets ------------------------------------------------------------------------


def test_presets_table():
    result = run("presets", env={"COLUMNS": "160"})
    assert result.exit_code == 0 and result.stderr == ""
    for name, _ in list_presets():
        assert name in result.stdout
    assert "2-4-1 tanh → sigmoid" in result.stdout and "iris.csv" in result.stdout


def test_presets_table_fits_80_columns_with_titles_that_read():
    result = run("presets", env={"COLUMNS": "80"})  # as a pipe gets
    lines = result.stdout.splitlines()
    assert max(len(line) for line in lines) <= 80 and lines[-1].startswith("└") and lines[-1].endswith("┘")
    assert "A perceptron learns" in result.stdout  # a few words a line, not one
    for name, _ in list_presets():
        assert name in result.stdout


def test_presets_json():
    result = run("presets", "--json")
    assert result.exit_code == 0
    rows = json.loads(result.stdout)
    assert [r["name"] for r in rows] == [name for name, _ in list_presets()]
    xor = next(r for r in rows if r["name"] == "xor")
    assert xor["dataset"] == "xor" and xor["layers"] == [2, 4, 1] and xor["architecture"] == "2-4-1 tanh → sigmoid"
    assert all(r["title"] and r["description"] and Path(r["path"]).is_file() for r in rows)
    blobs = next(r for r in rows if r["name"] == "blobs")
    assert blobs["dataset"] == "blobs (3 classes)"


# --- nntui train ------------------------------------------------------------------------


def test_train_json_keys_and_values():
    r = run_json("xor")
    for key in ("epochs", "steps", "seconds", "train_loss", "val_loss", "train_accuracy", "val_accuracy"):
        assert key in r
    assert r["epochs"] == 200 and r["steps"] == 200 * 10  # 160 training rows in batches of 16
    assert 0 < r["seconds"] < 60
    assert 0 < r["train_loss"] < 0.3 and 0 < r["val_loss"] < 0.3
    assert r["val_accuracy"] >= 0.95 and r["diverged"] is False
    assert (r["optimizer"], r["learning_rate"], r["batch_size"], r["layers"]) == ("sgd", 0.1, 16, [2, 4, 1])


def test_train_json_regression_has_no_accuracy():
    r = run_json("plane", "--epochs", "2")
    assert "train_accuracy" not in r and "val_accuracy" not in r and r["task"] == "regression"


def test_train_json_without_validation_set():
    r = run_json("perceptron-and")
    assert r["val_loss"] is None and r["val_accuracy"] is None and r["train_accuracy"] == 1.0
    assert r["target_loss_reached"] is True and r["epochs"] < 30


def test_same_seed_same_run_and_seed_overrides_both():
    a, b = run_json("xor", "--epochs", "5"), run_json("xor", "--epochs", "5")
    for r in (a, b):
        r.pop("seconds")
    assert a == b
    c = run_json("xor", "--epochs", "5", "--seed", "9")
    assert (c["data_seed"], c["model_seed"]) == (9, 9) and c["train_loss"] != a["train_loss"]


def test_overrides():
    r = run_json("xor", "--epochs", "3", "--learning-rate", "0.5", "--optimizer", "adam", "--batch-size", "1000")
    assert (r["epochs"], r["steps"], r["learning_rate"], r["optimizer"], r["batch_size"]) == (3, 3, 0.5, "adam", 1000)
    r = run_json("optimizers", "--epochs", "2", "--option", "momentum=0.9", "-o", "nesterov=true")
    assert r["options"] == {"momentum": 0.9, "nesterov": True}
    r = run_json("xor", "--epochs", "2", "--lr", "0.2")
    assert r["learning_rate"] == 0.2


@pytest.mark.parametrize(
    "args, fragments",
    [
        (["xor", "--epochs", "0"], ["xor.toml: --epochs 0: must be from 1 to"]),
        (["xor", "--learning-rate", "-1"], ["xor.toml: --learning-rate -1.0: must be > 0"]),
        (["xor", "--learning-rate", "nan"], ["--learning-rate nan: must be a finite number > 0, not nan"]),
        (["xor", "--batch-size", "0"], ["--batch-size 0: must be >= 1"]),
        (["xor", "--seed", "-1"], ["--seed -1: must be >= 0"]),
        (["xor", "--optimizer", "adma"], ["--optimizer \"adma\": unknown optimizer (did you mean 'adam'?)"]),
        (["xor", "--optimizer", "perceptron"], ["the perceptron rule needs output = \"step\""]),
        (["xor", "--option", "momentum"], ["--option momentum: write NAME=VALUE"]),
        (["xor", "--option", "momentum=fast"], ["--option momentum=fast: the value must be a TOML value"]),
        (["xor", "--option", "momentom=0.9"], ["--option momentom: unknown optimizer option (did you mean 'momentum'?)"]),
        (["xor", "--optimizer", "adam", "-o", "momentum=0.9"], ['--option momentum=0.9: optimizer "adam" does not take']),
        (["xor", "--save", "/dev/null/x.npz"], ["/dev/null/x.npz: /dev/null is a file, not a folder"]),
        (["xor", "--save", "/no/such/folder/x.npz"], ["the folder /no/such/folder does not exist"]),
    ],
)
def test_train_user_errors(args, fragments):
    assert_user_error(run("train", *args), *fragments)


def test_click_usage_errors_exit_2():
    assert run("train", "xor", "--epochs", "many").exit_code == 2
    assert run("train").exit_code == 2
    assert run("nonsense").exit_code == 2


def test_diverged_exits_3_names_the_step_and_a_rate_that_trains():
    result = run("train", "lr-too-high")
    assert result.exit_code == 3 and "Traceback" not in result.stderr
    m = re.fullmatch(r"nntui: error: lr-too-high.toml: training diverged at step \d+: .*smaller learning rate"
                     r" \(it is 1 now; --learning-rate (\S+) trains it: loss \S+ → \S+\)\n", result.stderr)
    assert m, result.stderr
    result = run("train", "lr-too-high", "--json")
    assert result.exit_code == 3
    r = json.loads(result.stdout)
    assert r["diverged"] is True and r["diverged_at_step"] in (r["steps"], r["steps"] + 1)
    assert f"step {r['diverged_at_step']}" in result.stderr
    # The advice works: exactly that rate trains, to a loss below the first epoch's.
    again = run("train", "lr-too-high", "--learning-rate", m.group(1), "--json")
    assert again.exit_code == 0
    t = json.loads(again.stdout)
    assert math.isfinite(t["train_loss"]) and t["train_loss"] < t["history"]["train_loss"][0]


def test_an_exploding_loss_is_divergence_even_while_finite():
    """lr 0.1 on lr-too-high ended at a train loss of 1.2e250, 'diverged: false', exit 0."""
    result = run("train", "lr-too-high", "--learning-rate", "0.1", "--json")
    assert result.exit_code == 3 and "exploded from" in result.stderr
    assert json.loads(result.stdout)["diverged"] is True


def test_quiet_when_piped():
    result = run("train", "xor", "--epochs", "3")
    assert result.exit_code == 0 and result.stderr == ""
    assert "accuracy" in result.stdout and "3 epochs, 30 steps" in result.stdout


def _boundary(stdout: str) -> list[str]:
    """The rows inside the boundary's frame: the last two +----+ lines (the
    metrics table, in ASCII, has such lines too, but comes first)."""
    lines = stdout.splitlines()
    top, bottom = [i for i, line in enumerate(lines) if re.fullmatch(r"\+-+\+", line)][-2:]
    return [line[1:-1] for line in lines[top + 1 : bottom]]


@pytest.mark.parametrize("how", [["--ascii"], []])
def test_ascii_boundary(how):
    result = run("train", "xor", *how)
    assert result.exit_code == 0
    rows = _boundary(result.stdout)
    assert len(rows) > 5 and len({len(r) for r in rows}) == 1
    grid = "".join(rows)
    assert set(grid) <= set("#.ox") and {"#", ".", "o", "x"} <= set(grid)
    assert "class 0: region . point o, 1: region # point x" in result.stdout
    assert result.stdout.isascii() or not how  # --ascii: every character plain ASCII


def test_ascii_boundary_multiclass_and_regression():
    rows = _boundary(run("train", "blobs", "--epochs", "5", "--ascii").stdout)
    assert {".", "#", "+"} <= set("".join(rows)) and {"o", "x", "*"} <= set("".join(rows))
    rows = _boundary(run("train", "plane", "--epochs", "5").stdout)
    assert set("".join(rows)) <= set(" .:-=+*#%@") and len(set("".join(rows))) > 5


def test_no_boundary_for_4d_data():
    result = run("train", "iris", "--epochs", "2")
    assert result.exit_code == 0 and "+---" not in result.stdout and "accuracy" in result.stdout


def _tty_console(monkeypatch) -> io.StringIO:
    out = io.StringIO()

    def console(stderr: bool = False):
        return Console(file=io.StringIO() if stderr else out, force_terminal=True, color_system="truecolor",
                       width=80, no_color=common.no_color() or None)

    monkeypatch.setattr(common, "make_console", console)
    return out


def test_colour_half_blocks_on_a_colour_terminal(monkeypatch):
    out = _tty_console(monkeypatch)
    monkeypatch.delenv("NO_COLOR", raising=False)
    assert run("train", "xor", "--epochs", "20").exit_code == 0
    text = out.getvalue()
    assert "▀" in text and "\x1b[38;2;" in text and ";48;2;" in text  # fg and bg colours
    assert "+---" not in text


@pytest.mark.parametrize("how", ["NO_COLOR", "--ascii"])
def test_plain_ascii_under_no_color_or_ascii(monkeypatch, how):
    out = _tty_console(monkeypatch)
    args = ["train", "xor", "--epochs", "20"]
    if how == "--ascii":
        args.append("--ascii")
    else:
        monkeypatch.setenv("NO_COLOR", "1")
    assert run(*args).exit_code == 0
    text = re.sub(r"\x1b\[[0-9;]*m", "", out.getvalue())
    assert "▀" not in text and {"#", ".", "o", "x"} <= set("".join(_boundary(text)))


def test_progress_bar_on_a_terminal(monkeypatch):
    err = io.StringIO()
    monkeypatch.setattr(common, "make_console", lambda stderr=False: Console(
        file=err if stderr else io.StringIO(), force_terminal=True, width=100))
    assert run("train", "xor", "--epochs", "30").exit_code == 0
    assert "30/30" in err.getvalue() and "epochs" in err.getvalue()


# --- runfiles -----------------------------------------------------------------------------


def test_save_writes_a_runfile(tmp_path):
    from nntui.experiment.runs import load_run

    path = tmp_path / "run.npz"
    r = run_json("xor", "--epochs", "4", "--save", str(path))
    assert r["saved"] == str(path) and path.is_file()
    trainer = load_run(path)
    assert (trainer.epoch, trainer.step) == (4, r["steps"])
    # The JSON reports the last epoch, as the history (and the app) record it.
    assert trainer.history["train_loss"][-1] == r["train_loss"]
    assert trainer.history["val_loss"][-1] == r["val_loss"]
    assert not list(tmp_path.glob("*.tmp"))


def test_load_of_a_bad_runfile_exits_2(tmp_path):
    garbage = tmp_path / "garbage.npz"
    garbage.write_bytes(b"this is not a zip file at all")
    assert_user_error(run("--load", str(garbage)), str(garbage))
    assert_user_error(run("--load", str(tmp_path / "missing.npz")), "missing.npz")


def test_app_options_do_not_mix_with_commands():
    assert_user_error(run("--preset", "xor", "train", "xor"), "--preset, --load and --play open the app")
    assert_user_error(run("--preset", "xor", "--load", "x.npz"), "give --preset or --load, not both")


def test_opening_the_app_calls_the_factory(monkeypatch):
    calls = []

    class FakeApp:
        return_code = 0

        def run(self):
            calls.append("run")

    import nntui.app.app as app_module

    monkeypatch.setattr(app_module, "make_app", lambda config, runfile=None, play=False: calls.append(
        (config and config.name, runfile, play)) or FakeApp())
    assert run().exit_code == 0
    assert run("--preset", "spiral", "--play").exit_code == 0
    assert calls == [(None, None, False), "run", ("spiral", None, True), "run"]


# --- nntui gradcheck --------------------------------------------------------------------


def test_gradcheck_table():
    result = run("gradcheck", "xor")
    assert result.exit_code == 0, result.stderr
    out = result.stdout
    assert "max rel. error W" in out and "all gradients agree" in out
    assert re.search(r"│\s+1 │\s+\d\.\d\de-\d\d │", out) and re.search(r"│\s+2 │", out)


def test_gradcheck_json_and_failure(monkeypatch):
    r = json.loads(run("gradcheck", "spiral", "--json").stdout)
    assert set(r["errors"]) == {"W1", "b1", "W2", "b2", "W3", "b3"} and r["ok"] is True and r["max_error"] < 1e-6
    import nntui.engine.gradcheck as gc

    monkeypatch.setattr(gc, "gradcheck", lambda trainer: {"W1": 1e-9, "b1": 3e-4, "W2": 1e-9, "b2": 1e-9})
    result = run("gradcheck", "xor")
    assert result.exit_code == 1 and "NO" in result.stdout and "some gradients disagree" in result.stdout


def test_gradcheck_refuses_step_units():
    assert_user_error(run("gradcheck", "perceptron-and"), "perceptron-and.toml: nothing to check: a step unit has no gradient")


# --- the command stays light ---------------------------------------------------------------


@pytest.mark.parametrize("args", [["--help"], ["train", "--help"], ["presets", "--help"], ["--version"]])
def test_help_imports_neither_numpy_nor_textual(args):
    code = (
        "import sys\n"
        "from nntui.cli import main\n"
        "try:\n    main(sys.argv[1:])\nexcept SystemExit as e:\n    assert e.code in (0, None), e.code\n"
        "heavy = sorted(m for m in ('numpy', 'textual', 'rich') if m in sys.modules)\n"
        "print('HEAVY', heavy)\n"
    )
    p = subprocess.run([sys.executable, "-c", code, *args], capture_output=True, text=True, timeout=60)
    assert p.returncode == 0, p.stderr
    assert "HEAVY []" in p.stdout


def test_the_optimizer_help_lists_the_engines_registry():
    """The names come from the engine's OPTIMIZERS, read without importing it."""
    from nntui.cli.train import optimizer_names
    from nntui.engine.optimizers import OPTIMIZERS

    assert optimizer_names() == list(OPTIMIZERS)
    out = " ".join(run("train", "--help").stdout.split())
    assert f"{', '.join(list(OPTIMIZERS)[:-1])} or {list(OPTIMIZERS)[-1]} (overrides train.optimizer" in out


def test_help_documents_the_seed():
    out = run("train", "--help").stdout
    assert "data.seed" in out and "model.seed" in out


def test_blas_pinned_to_one_thread_unless_set():
    env = {k: v for k, v in os.environ.items() if k not in ("OPENBLAS_NUM_THREADS", "OMP_NUM_THREADS")}
    code = "import os, nntui; print(os.environ['OPENBLAS_NUM_THREADS'], os.environ['OMP_NUM_THREADS'])"
    assert subprocess.run([sys.executable, "-c", code], env=env, capture_output=True, text=True).stdout.split() == ["1", "1"]
    env["OPENBLAS_NUM_THREADS"] = "2"
    assert subprocess.run([sys.executable, "-c", code], env=env, capture_output=True, text=True).stdout.split()[0] == "2"


def test_seconds_is_training_time_alone(monkeypatch):
    """Building the data and the net is not counted: on a clock that only
    building moves (by 100 s), the training took 0 s."""
    from types import SimpleNamespace

    import nntui.cli.train as train_command
    import nntui.engine.trainer as trainer_module

    real = trainer_module.Trainer
    clock = [0.0]

    class Slow(real):
        def __init__(self, *a, **k):
            clock[0] += 100.0
            super().__init__(*a, **k)

    monkeypatch.setattr(trainer_module, "Trainer", Slow)
    monkeypatch.setattr(train_command, "time", SimpleNamespace(perf_counter=lambda: clock[0]))
    r = run_json("gaussian", "--epochs", "1")
    assert clock[0] >= 100.0 and r["seconds"] == 0.0
    assert np.isfinite(r["train_loss"])


def test_click_usage_errors_are_one_line_too(capsys):
    """The console script turns click's usage text into one `nntui: error:` line."""
    from nntui.cli import run as console_script

    for argv in (["train", "xor", "--epochs", "abc"], ["--bogus"], ["train"]):
        with pytest.MonkeyPatch.context() as mp:
            mp.setattr(sys, "argv", ["nntui", *argv])
            with pytest.raises(SystemExit) as e:
                console_script()
        err = capsys.readouterr().err
        assert e.value.code == 2, argv
        assert err.startswith("nntui: error: ") and err.count("\n") == 1 and "Usage" not in err, err


# --- messages that say what is wrong -----------------------------------------------------------


def test_a_learning_rate_of_1e300_diverges_at_the_first_epoch_with_a_rate_to_try():
    result = run("train", "xor", "--learning-rate", "1e300")
    assert result.exit_code == 3
    m = re.search(r"training diverged at step 10: the loss reached \S+ in 1 epoch, above 69\.3 \(100 × log 2\).*"
                  r"--learning-rate (\S+) trains it", result.stderr)
    assert m, result.stderr
    again = run("train", "xor", "--learning-rate", m.group(1), "--json")
    assert again.exit_code == 0 and json.loads(again.stdout)["diverged"] is False


def test_a_preset_symlink_loop_says_so(tmp_path):
    (tmp_path / "a.toml").symlink_to(tmp_path / "b.toml")
    (tmp_path / "b.toml").symlink_to(tmp_path / "a.toml")
    result = run("train", str(tmp_path / "a.toml"))
    assert result.exit_code == 2 and "too many levels of symbolic links" in result.stderr
    (tmp_path / "c.toml").symlink_to(tmp_path / "gone.toml")
    result = run("train", str(tmp_path / "c.toml"))
    assert result.exit_code == 2 and "a symbolic link to a file that does not exist" in result.stderr


def test_compare_on_a_runfile_says_a_runfile_cannot_be_raced(tmp_path):
    assert run("train", "xor", "--epochs", "2", "--save", str(tmp_path / "r.npz")).exit_code == 0
    result = run("compare", str(tmp_path / "r.npz"), "--vary", "lr=0.1,1")
    assert result.exit_code == 2
    assert "a runfile cannot be raced" in result.stderr and "give a preset" in result.stderr


@pytest.mark.parametrize("epochs", ["0", str(10**23), "10000001"])
def test_export_epochs_have_trains_range(epochs):
    result = run("export", "xor", "--to", "pytorch", "--epochs", epochs)
    assert result.exit_code == 2
    assert result.stderr == f"nntui: error: --epochs {epochs}: must be from 1 to 10000000 (as for nntui train)\n"
    assert "must be from 1 to 10000000" in run("train", "xor", "--epochs", epochs).stderr
