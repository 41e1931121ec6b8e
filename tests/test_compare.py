"""`nntui compare`: variants raced in lockstep, each bit-identical to its solo
`nntui train`; nntui.experiment.variants (parsing --vary, the race, labels)."""

from __future__ import annotations

import json
import os
import re
import subprocess
import sys

import numpy as np
import pytest
from click.testing import CliRunner

from nntui.cli import main
from nntui.experiment.config import override
from nntui.experiment.presets import load_preset
from nntui.experiment.variants import Race, VaryError, differences, make_variants, parse_vary, run_label


def _nntui(*args: str) -> subprocess.CompletedProcess:
    code = "import sys; from nntui.cli import run; sys.argv[0] = 'nntui'; run()"
    env = {k: v for k, v in os.environ.items() if k != "NO_COLOR"}
    return subprocess.run([sys.executable, "-c", code, *args], capture_output=True, text=True, timeout=300, env=env)


def run(*args: str):
    return CliRunner().invoke(main, list(args))


def _json(result) -> dict:
    assert result.exit_code == 0, result.stderr
    return json.loads(result.stdout)


def _same_run(a: dict, b: dict, tol: float = 1e-12) -> None:
    """Two `train --json` objects of the same run: every key equal, losses to tol."""
    assert set(a) - {"vary"} == set(b) - {"vary"}
    for k in a:
        if k in ("vary", "seconds"):
            continue
        if k in ("train_loss", "val_loss") and a[k] is not None:
            assert abs(a[k] - b[k]) <= tol, (k, a[k], b[k])
        elif k == "history":
            for h in a[k]:
                if h == "grad_norm":  # {"W1": [...], ...}
                    assert a[k][h].keys() == b[k][h].keys()
                    for w in a[k][h]:
                        assert np.allclose(a[k][h][w], b[k][h][w], rtol=0, atol=tol), w
                else:
                    assert np.allclose(a[k][h], b[k][h], rtol=0, atol=tol), h
        else:
            assert a[k] == b[k], k


# --- the check, as a user runs it --------------------------------------------------------


def test_three_optimizers_each_equal_to_its_solo_run():
    p = _nntui("compare", "optimizers", "--vary", "optimizer=sgd,rmsprop,adam", "--json")
    assert p.returncode == 0, p.stderr
    runs = json.loads(p.stdout)["runs"]
    assert [r["vary"] for r in runs] == [{"optimizer": "sgd"}, {"optimizer": "rmsprop"}, {"optimizer": "adam"}]
    losses = set()
    for r in runs:
        solo = _nntui("train", "optimizers", "--optimizer", r["vary"]["optimizer"], "--json")
        assert solo.returncode == 0, solo.stderr
        s = json.loads(solo.stdout)
        assert abs(r["train_loss"] - s["train_loss"]) <= 1e-12
        assert len(r["history"]["train_loss"]) == s["epochs"] == 60
        _same_run(r, s)
        losses.add(r["train_loss"])
    assert len(losses) == 3  # three different runs, not one three times


@pytest.mark.parametrize("vary, flags", [
    ("learning_rate=0.05,0.2", lambda v: ["--learning-rate", v]),
    ("lr=0.05,0.2", lambda v: ["--learning-rate", v]),
    ("batch_size=4,1000", lambda v: ["--batch-size", v]),
    ("init=he,normal", lambda v: ["--init", v]),
    ("activation=relu,sigmoid", lambda v: ["--activation", v]),
    ("seed=3,4", lambda v: ["--seed", v]),
    ("momentum=0,0.9", lambda v: ["--option", f"momentum={v}"]),
])
def test_every_kind_of_key_equals_its_solo_run(vary, flags):
    preset = "xor"
    extra = ["--epochs", "6"]
    result = _json(run("compare", preset, "--vary", vary, *extra, "--json"))
    values = vary.split("=", 1)[1].split(",")
    assert len(result["runs"]) == len(values)
    for value, r in zip(values, result["runs"]):
        key = "learning_rate" if vary.startswith("lr=") else vary.split("=")[0]
        assert list(r["vary"]) == [key]
        _same_run(r, _json(run("train", preset, *flags(value), *extra, "--json")))
    assert result["runs"][0]["train_loss"] != result["runs"][1]["train_loss"]


def test_an_option_varied_over_a_preset_that_sets_another(tmp_path):
    path = tmp_path / "mom.toml"  # nesterov needs momentum: the preset sets it, the variants keep it
    path.write_text(open(_preset_path("optimizers")).read().replace("epochs = 60", "epochs = 5\nmomentum = 0.9"))
    result = _json(run("compare", str(path), "--vary", "nesterov=true,false", "--json"))
    for r in result["runs"]:
        assert r["options"] == {"momentum": 0.9, "nesterov": r["vary"]["nesterov"]}
        solo = _json(run("train", str(path), "--option", f"nesterov={str(r['vary']['nesterov']).lower()}", "--json"))
        _same_run(r, solo)
    assert result["runs"][0]["train_loss"] != result["runs"][1]["train_loss"]


def _preset_path(name: str):
    from nntui.experiment.presets import list_presets

    return dict(list_presets())[name]


def test_target_loss_stops_each_variant_as_alone(tmp_path):
    path = tmp_path / "target.toml"
    path.write_text(open(_preset_path("xor")).read().replace("epochs = 200", "epochs = 200\ntarget_loss = 0.3"))
    result = _json(run("compare", str(path), "--vary", "learning_rate=0.1,0.5", "--json"))
    epochs = [r["epochs"] for r in result["runs"]]
    assert epochs[0] != epochs[1] and all(e < 200 for e in epochs)
    for r in result["runs"]:
        assert r["target_loss_reached"]
        _same_run(r, _json(run("train", str(path), "--learning-rate", str(r["vary"]["learning_rate"]), "--json")))


def test_a_diverging_variant_stops_alone_and_exit_3():
    result = run("compare", "lr-too-high", "--vary", "learning_rate=0.05,1", "--epochs", "20", "--json")
    assert result.exit_code == 3
    runs = json.loads(result.stdout)["runs"]
    assert not runs[0]["diverged"] and runs[0]["epochs"] == 20
    assert runs[1]["diverged"] and runs[1]["epochs"] < 20 and "diverged at step" in runs[1]["error"]
    assert "lr 1: training diverged at step" in result.stderr and "Traceback" not in result.stderr


# --- what it prints ----------------------------------------------------------------------------


def test_piped_output_is_one_chart_and_a_table():
    p = _nntui("compare", "optimizers", "--vary", "optimizer=sgd,rmsprop,adam", "--epochs", "20")
    assert p.returncode == 0, p.stderr
    out = p.stdout
    assert "\x1b" not in out
    assert out.count("┤") >= 3 and out.count("epoch\n") == 1  # one chart
    assert "train loss (bce)   * sgd   o rmsprop   + adam" in out
    assert re.search(r"^\s+1\s+5\s+10\s+15\s+20$", out, re.M)  # whole-epoch ticks
    rows = {m.group(1): m.group(2) for m in re.finditer(r"^\s+(sgd|rmsprop|adam)\s+(\S+)", out, re.M)}
    assert set(rows) == {"sgd", "rmsprop", "adam"}
    solo = _json(run("train", "optimizers", "--optimizer", "adam", "--epochs", "20", "--json"))
    assert rows["adam"] == f"{solo['train_loss']:.4g}"
    assert out.index("* sgd") < out.index("train loss  ")  # the chart, then the table


def test_ascii_and_no_plot():
    out = run("compare", "xor", "--vary", "learning_rate=0.1,0.5", "--epochs", "4", "--ascii").stdout
    assert out.isascii() and "* lr 0.1   o lr 0.5" in out and "+-" in out
    out = run("compare", "xor", "--vary", "learning_rate=0.1,0.5", "--epochs", "4", "--no-plot").stdout
    assert "epoch\n" not in out and "lr 0.5" in out


@pytest.mark.parametrize("args, fragments", [
    (["--vary", "optimizer=sgd,adamm"], ['--vary optimizer="adamm": unknown optimizer', "did you mean 'adam'"]),
    (["--vary", "learning_rate=0.1,-1"], ["--vary learning_rate=-1: must be > 0"]),
    (["--vary", "lerning_rate=1,2"], ["cannot vary 'lerning_rate'", "did you mean 'learning_rate'", "momentum"]),
    (["--vary", "optimizer"], ["--vary optimizer: write KEY=V1,V2"]),
    (["--vary", "=sgd"], ["write KEY=V1,V2"]),
    (["--vary", "momentum=0.9,0.9"], ["0.9 is given twice"]),
    (["--vary", "momentum=0.9,"], ["an empty value"]),
    (["--vary", "epochs=1,2"], ["give --epochs N instead"]),
    (["--vary", "activation=relu,step"], ['--vary activation="step"', "no useful gradient"]),
    (["--vary", "init=he,bogus"], ['--vary init="bogus": unknown initializer']),
    (["--vary", "batch_size=16,0"], ["--vary batch_size=0: must be >= 1"]),
    (["--vary", "seed=1,x"], ['--vary seed="x": must be a whole number']),
    (["--vary", "betas=[0.9,0.99]"], ['does not take this option']),
    (["--vary", "lr=" + ",".join(str(i) for i in range(1, 11))], ["at most 8 race at once"]),
    (["--vary", "lr=0.1,0.2", "--vary", "optimizer=sgd,adam"], ["one --vary at a time"]),
    (["--vary", "lr=0.1,0.2", "--epochs", "-1"], ["--epochs -1"]),
    ([], ["give --vary KEY=V1,V2", "declares no [compare] variants"]),
])
def test_bad_vary_one_message_exit_2(args, fragments):
    p = _nntui("compare", "xor", *args)
    assert p.returncode == 2 and p.stdout == "", (p.stdout, p.stderr)
    assert p.stderr.startswith("nntui: error: ") and p.stderr.count("\n") == 1 and "Traceback" not in p.stderr
    for f in fragments:
        assert f in p.stderr, p.stderr


def test_bad_preset_exit_2():
    result = run("compare", "no-such-preset", "--vary", "lr=0.1,0.2")
    assert result.exit_code == 2 and "no-such-preset" in result.stderr


# --- nntui.experiment.variants ----------------------------------------------------------------------------


def test_parse_vary_reads_toml_values_or_names():
    assert parse_vary("optimizer=sgd,adam") == ("optimizer", ["sgd", "adam"])
    assert parse_vary("lr=0.1, 1e-2") == ("learning_rate", [0.1, 0.01])
    assert parse_vary("batch_size=4,16") == ("batch_size", [4, 16])
    assert parse_vary("nesterov=true,false") == ("nesterov", [True, False])
    assert parse_vary("betas=[0.9,0.99],[0.8, 0.9]") == ("betas", [[0.9, 0.99], [0.8, 0.9]])
    with pytest.raises(VaryError, match="cannot vary 'layers'"):
        parse_vary("layers=1,2")


def test_race_shares_data_initial_weights_and_batch_order():
    variants = make_variants(load_preset("optimizers"), "optimizer", ["sgd", "adam", "rmsprop"], epochs=2)
    race = Race(variants)
    a, b, c = (r.trainer for r in race.runners)
    assert a.dataset is b.dataset is c.dataset
    for name in a.params:
        assert np.array_equal(a.params[name], b.params[name]) and np.array_equal(a.params[name], c.params[name])
    assert np.array_equal(a.batch_indices(), b.batch_indices())
    epochs_seen = []
    race.run(lambda r: epochs_seen.append([x.trainer.epoch for x in r.runners]))
    assert epochs_seen == [[1, 1, 1]]  # lockstep: every variant one epoch, then the next
    assert all(r.trainer.epoch == 2 and r.done for r in race.runners)
    seeds = make_variants(load_preset("xor"), "seed", [1, 2], epochs=1)
    s1, s2 = (r.trainer for r in Race(seeds).runners)
    assert s1.dataset is not s2.dataset  # seed sets the data's seed too, as --seed does


def test_differences_and_labels():
    base = load_preset("optimizers")
    adam = override(base, optimizer="adam")
    assert differences(base, adam) == ["optimizer"]
    assert run_label(base, ["optimizer"]) == "sgd"
    lr = override(base, learning_rate=0.5)
    assert differences(base, lr) == ["learning_rate"]
    assert run_label(base, differences(base, lr), with_optimizer=True) == "sgd lr 0.01"
    mom = override(base, options={"momentum": 0.9})
    assert differences(base, mom) == ["momentum"]
    assert run_label(mom, ["momentum"], with_optimizer=True) == "sgd momentum 0.9"
    assert run_label(base, ["momentum"]) == "no momentum"
    relu = override(base, activation="relu", seed=5)
    assert differences(base, relu) == ["activation", "seed", "data"]
    assert run_label(relu, ["activation", "seed"]) == "relu seed 5"
    assert run_label(base, ["layers"]) == "2-8-8-1"
    assert differences(base, base) == []


# --- variants a preset declares ([compare]) --------------------------------------------------------


def test_optimizers_preset_races_its_four_declared_variants():
    result = _json(run("compare", "optimizers", "--epochs", "8", "--json"))
    assert [r["vary"] for r in result["runs"]] == [
        {"optimizer": "sgd"}, {"optimizer": "sgd", "momentum": 0.9}, {"optimizer": "rmsprop"}, {"optimizer": "adam"}]
    solo_flags = [["--optimizer", "sgd"], ["--optimizer", "sgd", "--option", "momentum=0.9"],
                  ["--optimizer", "rmsprop"], ["--optimizer", "adam"]]
    for r, flags in zip(result["runs"], solo_flags):
        _same_run(r, _json(run("train", "optimizers", *flags, "--epochs", "8", "--json")))
    assert len({r["train_loss"] for r in result["runs"]}) == 4
    out = run("compare", "optimizers", "--epochs", "3").stdout
    assert "* sgd   o sgd momentum 0.9   + rmsprop   x adam" in out


def test_a_preset_may_declare_vary_of_one_key(tmp_path):
    path = tmp_path / "lr.toml"
    path.write_text(open(_preset_path("xor")).read() + '\n[compare]\nvary = { learning_rate = [0.1, 0.5] }\n')
    result = _json(run("compare", str(path), "--epochs", "3", "--json"))
    assert [r["vary"] for r in result["runs"]] == [{"learning_rate": 0.1}, {"learning_rate": 0.5}]
    # --vary still wins over what the preset declares; train ignores [compare]
    assert len(_json(run("compare", str(path), "--vary", "optimizer=sgd,adam,rmsprop", "--epochs", "2",
                         "--json"))["runs"]) == 3
    assert _json(run("train", str(path), "--epochs", "2", "--json"))["learning_rate"] == 0.1


@pytest.mark.parametrize("section, fragment", [
    ('vary = { learning_rate = [0.1, -1] }', "[compare] variant 2: learning_rate = -1: must be > 0"),
    ('variants = [{ optimizer = "sgd" }, { optimizer = "adamm" }]',
     '[compare] variant 2: optimizer = "adamm": unknown optimizer'),
    ('variants = [{ optimizer = "sgd" }, { layers = [2, 3, 1] }]', "a variant cannot set 'layers'"),
    ('variants = [{ optimizer = "sgd" }]', "1 variants; give 2 to 8"),
    ('variants = [{ optimizer = "sgd" }, { optimizer = "sgd" }]', "is given twice"),
    ('vary = { optimizer = ["sgd"], learning_rate = [1, 2] }', "must be a table of one key"),
    ('vary = { optimizer = "sgd" }', "optimizer must be a list of values"),
    ('variants = ["sgd", "adam"]', "must be a list of tables"),
    ('varry = { optimizer = ["sgd", "adam"] }', "[compare] unknown key 'varry' (did you mean 'vary'?)"),
    ("", "give either vary"),
])
def test_bad_compare_section_one_message_exit_2(tmp_path, section, fragment):
    path = tmp_path / "bad.toml"
    path.write_text(open(_preset_path("xor")).read() + f"\n[compare]\n{section}\n")
    for command in (["compare", str(path)], ["train", str(path)]):
        result = run(*command)
        assert result.exit_code == 2 and result.stdout == "", result.stdout
        assert result.stderr.startswith("nntui: error: ") and result.stderr.count("\n") == 1
        assert fragment in result.stderr, result.stderr


def test_declared_variants_survive_to_dict_and_runfiles(tmp_path):
    from nntui.experiment.config import config_from_dict

    c = load_preset("optimizers")
    assert len(c.variants) == 4 and c.variants[1] == (("optimizer", "sgd"), ("momentum", 0.9))
    again = config_from_dict(c.to_dict(), c.source)
    assert again == c
    assert override(c, optimizer="adam").variants == ()  # a variant has no variants of its own


def test_race_steps_keep_variants_level_by_epoch():
    """Race.step: one step of the variant furthest behind in epochs."""
    from nntui.engine.trainer import Trainer

    variants = make_variants(override(load_preset("xor"), epochs=3), "batch_size", [8, 64])
    race = Race(variants)
    small, large = (r.trainer for r in race.runners)
    while race.step():
        assert abs(small.epoch + small.batch / small.batches_per_epoch
                   - large.epoch - large.batch / large.batches_per_epoch) <= 1 / large.batches_per_epoch + 1e-12
    assert small.epoch == large.epoch == 3 and all(r.done for r in race.runners)
    solo = Trainer(variants[0].config)
    solo.run()
    assert np.array_equal(solo.params["W1"], small.params["W1"])
    race = Race(variants)
    race.step_each()
    assert [r.trainer.step for r in race.runners] == [1, 1]


def test_a_race_stepped_on_screen_flags_an_exploding_variant_as_compare_does():
    """lr 0.1 on lr-too-high stayed finite up to 1e250 and raced on, unflagged, in the
    app's race (Race.step): it is now stopped where `nntui compare` stops it."""
    variants = make_variants(load_preset("lr-too-high"), "learning_rate", [0.03, 0.1])
    race = Race(variants)
    with np.errstate(all="ignore"):
        while race.step():
            pass
    good, bad = race.runners
    assert good.diverged is None and good.trainer.epoch == 100
    assert bad.diverged and "exploded" in bad.diverged and bad.trainer.epoch <= 5
    solo = Race(variants)
    with np.errstate(all="ignore"):
        while solo.step_epoch():
            pass
    assert solo.runners[1].diverged == bad.diverged
