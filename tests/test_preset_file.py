"""The experiment saved as a preset reopens to the same run, bit for bit;
the TOML is written as literals, atomically, and never over a file unasked."""

from __future__ import annotations

import nntui  # noqa: F401,I001  first: it pins BLAS to one thread before numpy loads

import dataclasses
import tomllib

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from nntui.engine.trainer import Trainer
from nntui.experiment.edits import edit
from nntui.experiment.preset_file import PresetExists, save_preset, toml_string, toml_text
from nntui.experiment.presets import load_preset


def edited_xor():
    c = load_preset("xor")
    for key, value in (("data.dataset", "circle"), ("data.noise", "0.15"), ("data.samples", "120"),
                       ("data.seed", "7"), ("data.features", "x1, x2, x1_x2"), ("model.hidden", "5, 3"),
                       ("model.activation", "relu"), ("model.seed", "11"), ("train.optimizer", "adam"),
                       ("train.learning_rate", "0.0173"), ("train.options.betas", "0.85, 0.995"),
                       ("train.batch_size", "16"), ("train.options.weight_decay", "0.001")):
        c = edit(c, key, value)
    return c


def run(config, steps: int = 40):
    tr = Trainer(config)
    for _ in range(steps):
        tr.train_step()
    return tr


def same_run(a: Trainer, b: Trainer) -> None:
    pa, pb = a.snapshot().params, b.snapshot().params
    assert pa.keys() == pb.keys()
    for k in pa:
        assert np.array_equal(pa[k], pb[k]), k  # bit for bit, not approximately
    ha, hb = a.snapshot().history, b.snapshot().history
    assert ha.batch_loss == hb.batch_loss and ha.train_loss == hb.train_loss


def test_an_edited_experiment_saved_as_a_preset_reopens_to_the_same_run(tmp_path):
    config = edited_xor()
    path = save_preset(config, tmp_path / "mine")
    assert path == tmp_path / "mine.toml"
    back = load_preset(path)
    assert dataclasses.replace(back, source=config.source) == config
    same_run(run(config), run(back))


def test_a_live_learning_rate_and_a_new_seed_are_kept(tmp_path):
    config = load_preset("spiral")
    config = dataclasses.replace(config, train=dataclasses.replace(config.train, learning_rate=0.0123),
                                 model=dataclasses.replace(config.model, seed=987654321))
    back = load_preset(save_preset(config, tmp_path / "spiral-mine.toml"))
    assert back.train.learning_rate == 0.0123 and back.model.seed == 987654321
    same_run(run(config, 10), run(back, 10))


def test_a_race_variant_saves_the_same_way(tmp_path):
    from nntui.experiment.variants import declared_variants

    config = load_preset("optimizers")
    variants = declared_variants(config)
    assert variants
    v = variants[-1]
    back = load_preset(save_preset(v.config, tmp_path / "variant.toml"))
    same_run(run(v.config, 20), run(back, 20))


def test_an_existing_file_is_never_replaced_unasked(tmp_path):
    path = tmp_path / "keep.toml"
    path.write_text("# mine\n")
    with pytest.raises(PresetExists, match="already there"):
        save_preset(load_preset("xor"), path)
    assert path.read_text() == "# mine\n"
    save_preset(load_preset("xor"), path, replace=True)
    assert load_preset(path).model == load_preset("xor").model
    assert [p.name for p in tmp_path.iterdir()] == ["keep.toml"]  # no temporary file left


def test_text_is_written_as_literals_never_raw(tmp_path):
    hostile = 'evil"\\ \x1b[31mred\x07 \x7f \x9b1m \n[train]\nlearning_rate = 99 """ \u2028 é'
    config = dataclasses.replace(load_preset("xor"), title=hostile, description=hostile)
    path = save_preset(config, tmp_path / "hostile.toml")
    raw = path.read_bytes()
    assert not any(b < 0x20 and b != 0x0A for b in raw) and b"\x7f" not in raw and "\x9b" not in raw.decode()
    parsed = tomllib.loads(raw.decode())
    assert parsed["title"] == hostile and parsed["train"]["learning_rate"] == config.train.learning_rate


@settings(max_examples=200, deadline=None)
@given(st.text())
def test_any_string_reads_back_the_same(s):
    assert tomllib.loads(f"x = {toml_string(s)}\n")["x"] == s


@settings(max_examples=100, deadline=None)
@given(st.floats(allow_nan=False))
def test_any_float_reads_back_the_same(x):
    assert tomllib.loads(toml_text({"t": {"x": x}}))["t"]["x"] == x


async def test_ctrl_s_in_the_race_saves_a_variant_that_reopens_as_its_run(tmp_path, monkeypatch):
    """The race's ctrl+s: pick a variant, Enter saves it; a path already
    there is replaced only once the user says so."""
    import asyncio

    from nntui.app.app import make_app
    from nntui.app.screens.compare import CompareScreen
    from nntui.app.screens.replace import ReplaceDialog
    from nntui.app.screens.save import SaveVariantDialog

    monkeypatch.chdir(tmp_path)
    app = make_app(load_preset("optimizers"))
    async with app.run_test(size=(160, 48)) as pilot:
        for _ in range(400):
            if isinstance(app.screen, CompareScreen) and hasattr(app.screen, "boundaries"):
                break
            await pilot.pause(0.05)
        race = app.screen
        await pilot.press("ctrl+s")
        await pilot.pause()
        dialog = app.screen
        assert isinstance(dialog, SaveVariantDialog)
        dialog.query_one("#variant").value = 3  # adam
        await pilot.pause()
        assert dialog.query_one("#preset-path").value == "./optimizers-adam.toml"
        (tmp_path / "optimizers-adam.toml").write_text("# mine\n")
        await pilot.press("enter")
        for _ in range(200):
            if isinstance(app.screen, ReplaceDialog):
                break
            await pilot.pause(0.02)
        assert isinstance(app.screen, ReplaceDialog) and "already there" in str(app.screen.message)
        assert (tmp_path / "optimizers-adam.toml").read_text() == "# mine\n"
        await pilot.press("r")  # replace it
        for _ in range(200):
            if (tmp_path / "optimizers-adam.toml").read_text() != "# mine\n":
                break
            await asyncio.sleep(0.02)
        assert app.screen is race
    back = load_preset(tmp_path / "optimizers-adam.toml")
    adam = race.variants[3].config
    assert back.train == adam.train and back.train.optimizer == "adam"
    same_run(run(adam, 20), run(back, 20))
