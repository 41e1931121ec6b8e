"""Pilot tests of the app: every key and flow, asserting real effects.

The worker stays paused unless a test plays on purpose (Pilot.press waits for
the CPU to go idle). `app.settle()` waits until the worker has handled every
command sent so far and its frame is on screen.
"""

from __future__ import annotations

import asyncio

import numpy as np
import pytest
from textual.widgets import Input, OptionList

from nntui.app.app import Published, make_app
from nntui.app.main_screen import MIN_HEIGHT, MIN_WIDTH, next_lr
from nntui.app.screens.error import ErrorDialog
from nntui.app.screens.gradcheck import GradcheckScreen
from nntui.app.screens.help import HelpScreen
from nntui.app.screens.picker import PresetPicker
from nntui.app.screens.save import SaveDialog
from nntui.app.widgets.controls import ControlsPanel
from nntui.app.worker import SPEEDS, Pause, Play, RunEpoch, SetSpeed, Status
from nntui.engine.trainer import Trainer
from nntui.experiment.presets import load_preset
from nntui.experiment.runs import load_run

SIZE = (160, 48)



async def play_until_diverged(app, pilot) -> None:
    await press(pilot, "space")
    for _ in range(300):
        frame = await app.settle()
        if frame.status == Status.DIVERGED:
            break
        await asyncio.sleep(0.01)
    assert app.main.status == Status.DIVERGED


def app_for(preset: str = "xor", **kw):
    return make_app(load_preset(preset), **kw)


def params_equal(a: dict, b: dict) -> bool:
    return a.keys() == b.keys() and all(np.array_equal(a[k], b[k]) for k in a)


async def open_preset(app, name_or_path: str) -> bool:
    """Open a preset as o does (in a thread) and wait for it: whether it opened."""
    app.main.opener.open(name_or_path)
    await app.opened()
    return app.main.opener.failure is None


async def press(pilot, *keys: str) -> None:
    await pilot.press(*keys)
    await pilot.app.settle()
    await pilot.pause()


def screen_text(app) -> str:
    """Everything on screen as plain text (what a user reads)."""
    return "\n".join(strip.text for strip in app.screen._compositor.render_strips())


# ------------------------------------------------------------------ opening


async def test_opens_paused_at_step_zero_with_a_hint():
    app = app_for("xor")
    async with app.run_test(size=SIZE) as pilot:
        frame = await app.settle()
        assert frame.snapshot.step == 0 and frame.snapshot.done == 0
        assert frame.status == "paused"
        assert app.title == load_preset("xor").title
        hint = screen_text(app)
        assert "space" in hint and "n next phase" in hint
        await pilot.pause(0.2)
        assert app.main.shown.step == 0  # it does not train by itself


async def test_play_flag_starts_training(until):
    app = app_for("xor", play=True)
    async with app.run_test(size=SIZE):
        await until(lambda: app.main.shown is not None and app.main.shown.step > 0, what="a step trained")
        frame = await app.settle()
        assert frame.status == Status.PLAYING
        assert frame.snapshot.step > 0
        app.runner.send(Pause())
        await app.settle()


# --------------------------------------------------------- stepping keys


async def test_n_runs_one_phase_and_the_inspector_shows_it():
    app = app_for("xor")
    async with app.run_test(size=SIZE) as pilot:
        await press(pilot, "n")
        assert app.main.shown.done == 1
        assert app.main.shown.last_phase.label() == "forward 1"
        assert app.main.shown.step == 0
        assert "forward 1" in screen_text(app)
        await press(pilot, "n")
        assert app.main.shown.last_phase.label() == "forward 2"
        await press(pilot, "n")
        assert app.main.shown.last_phase.label() == "loss"
        assert app.main.shown.loss is not None


async def test_s_completes_a_step_and_b_rewinds():
    app = app_for("xor")
    async with app.run_test(size=SIZE) as pilot:
        start = app.main.shown.params
        await press(pilot, "s")
        assert app.main.shown.step == 1 and app.main.shown.update_applied
        await press(pilot, "s")
        assert app.main.shown.step == 2
        await press(pilot, "b")
        assert app.main.shown.step == 1
        await press(pilot, "b")
        assert app.main.shown.step == 0
        assert params_equal(app.main.shown.params, start)
        # b in the middle of a step is the mirror of n: one phase back
        await press(pilot, "n", "n", "n")  # forward 1, forward 2, loss
        assert app.main.shown.done == 3 and app.main.shown.loss is not None
        await press(pilot, "b")
        assert app.main.shown.done == 2 and app.main.shown.next_phase.label() == "loss" and app.main.shown.loss is None
        await press(pilot, "n")
        assert app.main.shown.last_phase.label() == "loss"
        await press(pilot, "b", "b", "b")
        assert app.main.shown.done == 0 and app.main.shown.step == 0


async def test_e_runs_an_epoch():
    app = app_for("xor")
    async with app.run_test(size=SIZE) as pilot:
        await press(pilot, "e")
        snap = app.main.shown
        assert snap.epoch == 1
        assert snap.step == snap.batches_per_epoch
        assert len(snap.history.train_loss) == 1


async def test_space_plays_and_pauses(until):
    app = app_for("xor")
    async with app.run_test(size=SIZE) as pilot:
        app.runner.send(SetSpeed(3))  # 100 steps/s: the CPU stays mostly idle
        await press(pilot, "space")
        assert app.main.status == Status.PLAYING
        await until(lambda: app.main.shown.step > 0, what="a step trained")
        await press(pilot, "space")
        assert app.main.status == "paused"
        step = app.main.shown.step
        assert step > 0
        await asyncio.sleep(0.2)  # room for a step that must not come: paused means no training
        frame = await app.settle()
        assert frame.snapshot.step == step


async def test_n_while_playing_pauses_into_step_mode(until):
    app = app_for("xor")
    async with app.run_test(size=SIZE) as pilot:
        app.runner.send(SetSpeed(3))
        await press(pilot, "space")
        await until(lambda: app.main.shown.step > 0, what="a step trained")
        await press(pilot, "n")
        assert app.main.status == "paused"
        assert app.main.shown.done == 1


# ------------------------------------------------------------- settings


async def test_plus_and_minus_change_the_learning_rate_live():
    app = app_for("xor")
    async with app.run_test(size=SIZE) as pilot:
        lr0 = app.main.config.train.learning_rate
        await press(pilot, "s")
        generation = app.main.generation
        await press(pilot, "plus")
        assert app.runner.trainer.optimizer.lr == next_lr(lr0, True) > lr0
        assert app.main.shown.learning_rate == next_lr(lr0, True)
        assert app.main.config.train.learning_rate == next_lr(lr0, True)
        await press(pilot, "minus", "minus")
        assert app.runner.trainer.optimizer.lr < lr0
        # live: the same model, not reset
        assert app.main.generation == generation and app.main.shown.step == 1
        panel = app.query_one(ControlsPanel)
        assert float(panel.value_of("train.learning_rate")) == app.runner.trainer.optimizer.lr


async def test_brackets_change_the_speed():
    app = app_for("xor")
    async with app.run_test(size=SIZE) as pilot:
        start = SPEEDS.index(100)
        assert app.main.speed == start
        await press(pilot, "left_square_bracket")
        assert app.main.speed == start - 1 and app.runner.speed == start - 1
        await press(pilot, *["right_square_bracket"] * 10)
        assert app.runner.speed == len(SPEEDS) - 1 and SPEEDS[app.runner.speed] is None
        await press(pilot, *["left_square_bracket"] * 10)
        assert app.runner.speed == 0
        await press(pilot, "right_square_bracket")
        assert app.runner.speed == 1


async def test_slowest_speed_plays_phase_by_phase():
    app = app_for("xor")
    async with app.run_test(size=SIZE) as pilot:
        await press(pilot, *["left_square_bracket"] * 5)
        app.runner.send(Play())
        seen = set()
        for _ in range(60):
            await asyncio.sleep(0.01)
            seen.add((app.main.shown.step, app.main.shown.done))
        app.runner.send(Pause())
        await app.settle()
        # a whole step a second, one phase at a time (6 phases for 2 layers):
        # frames in the middle of a step are shown, and few steps go by
        assert any(0 < done < 6 for _, done in seen)
        assert app.main.shown.step <= 1


async def test_r_resets_to_the_same_start():
    app = app_for("xor")
    async with app.run_test(size=SIZE) as pilot:
        start = app.main.shown.params
        await press(pilot, "e", "s", "n")
        assert app.main.shown.step > 0
        generation = app.main.generation
        await press(pilot, "r")
        assert app.main.generation == generation + 1
        assert app.main.shown.step == 0 and app.main.shown.done == 0
        assert params_equal(app.main.shown.params, start)
        assert params_equal(app.runner.trainer.params, start)


async def test_shift_r_resets_with_a_new_seed():
    app = app_for("xor")
    async with app.run_test(size=SIZE) as pilot:
        start = app.main.shown.params
        seed = app.main.config.model.seed
        await press(pilot, "s", "R")
        assert app.main.shown.step == 0
        assert app.main.config.model.seed != seed
        assert not params_equal(app.main.shown.params, start)
        assert app.runner.trainer.config.model.seed == app.main.config.model.seed


async def test_view_keys_t_a_l_f():
    app = app_for("iris")  # 4 inputs: f has feature pairs to cycle
    async with app.run_test(size=SIZE) as pilot:
        heat = app.query_one("#heatmaps")
        boundary = app.query_one("#boundary")
        chart = app.query_one("#loss")
        mode = heat.mode
        await press(pilot, "t")
        assert heat.mode != mode
        assert boundary.ascii is False
        await press(pilot, "a")
        assert boundary.ascii is True
        await press(pilot, "a")
        assert boundary.ascii is False
        assert chart.log_scale is False
        await press(pilot, "l")
        assert chart.log_scale is True
        features = boundary.features
        await press(pilot, "f")
        assert boundary.features != features


async def test_l_after_the_automatic_log_scale_shows_the_linear_chart():
    """lr-too-high diverges: its losses span many decades, so the chart turned
    log by itself. The first l only changed the title ('(auto log …)' to
    '(log)'): the scale stayed log. Each l now shows the other scale."""
    app = app_for("lr-too-high")
    async with app.run_test(size=SIZE) as pilot:
        chart = app.query_one("#loss")
        await play_until_diverged(app, pilot)
        await pilot.pause(0.3)  # past the chart's redraw throttle
        assert chart.effective_log and "auto log" in str(chart.border_title)
        await press(pilot, "l")
        await pilot.pause(0.3)
        assert not chart.effective_log and "log" not in str(chart.border_title)
        await press(pilot, "l")
        await pilot.pause(0.3)
        assert chart.effective_log and "(log)" in str(chart.border_title)


# ------------------------------------------------------------------ presets


async def test_o_opens_a_preset_from_the_picker():
    app = app_for("xor")
    async with app.run_test(size=SIZE) as pilot:
        await press(pilot, "s")
        await pilot.press("o")
        assert isinstance(app.screen, PresetPicker)
        option_list = app.screen.query_one(OptionList)
        names = [option_list.get_option_at_index(i).id for i in range(option_list.option_count)]
        assert "spiral" in names and "xor" in names
        option_list.highlighted = names.index("spiral")
        await pilot.press("enter")
        await app.opened()  # read and built in a thread: the screen answers meanwhile
        await press(pilot)
        assert not isinstance(app.screen, PresetPicker)
        assert app.title == load_preset("spiral").title
        assert app.main.config.data.dataset == "spiral"
        assert app.main.shown.step == 0 and app.main.shown.sizes == (2, 12, 12, 1)
        assert app.runner.trainer.config.data.dataset == "spiral"


async def test_picker_escape_cancels():
    app = app_for("xor")
    async with app.run_test(size=SIZE) as pilot:
        await pilot.press("o")
        assert isinstance(app.screen, PresetPicker)
        await pilot.press("escape")
        assert not isinstance(app.screen, PresetPicker)
        assert app.main.config.name == "xor"


async def test_a_bad_preset_path_shows_the_error_and_keeps_the_experiment(tmp_path):
    bad = tmp_path / "bad.toml"
    bad.write_text('[model]\nlayers = [2, 4, 1]\nactivation = "relux"\n[data]\ndataset = "xor"\n')
    app = app_for("xor")
    async with app.run_test(size=SIZE) as pilot:
        await press(pilot, "s", "s")
        generation, title = app.main.generation, app.title
        await pilot.press("o")
        app.screen.query_one(Input).focus()
        await pilot.press(*str(bad), "enter")
        await app.opened()
        await pilot.pause()
        assert isinstance(app.screen, ErrorDialog)
        text = screen_text(app)
        assert "relux" in text and "bad.toml" in text
        await pilot.press("escape")
        assert not isinstance(app.screen, ErrorDialog)
        assert app.main.generation == generation and app.title == title
        assert app.runner.trainer.step == 2
        # and it keeps running
        await press(pilot, "s")
        assert app.main.shown.step == 3


async def test_a_missing_preset_shows_an_error():
    app = app_for("xor")
    async with app.run_test(size=SIZE) as pilot:
        assert await open_preset(app, "/no/such/preset.toml") is False
        await pilot.pause()
        assert isinstance(app.screen, ErrorDialog)
        assert app.main.config.name == "xor"


# --------------------------------------------------------- save, gradcheck


async def test_ctrl_s_saves_a_runfile_that_load_run_reads(tmp_path):
    target = tmp_path / "run.npz"
    app = app_for("xor")
    async with app.run_test(size=SIZE) as pilot:
        await press(pilot, "s", "s", "s")
        await pilot.press("ctrl+s")
        assert isinstance(app.screen, SaveDialog)
        field = app.screen.query_one(Input)
        assert field.value == "./xor-step3.npz"
        field.value = str(target)
        await pilot.press("enter")
        for _ in range(200):
            if target.exists():
                break
            await asyncio.sleep(0.01)
        await app.settle()
        await pilot.pause()
        trainer = load_run(target)
        assert trainer.step == 3
        assert params_equal(trainer.params, app.runner.trainer.params)


@pytest.mark.parametrize("answer", ["escape", "r"])
async def test_ctrl_s_asks_before_replacing_a_runfile(tmp_path, answer):
    from nntui.app.screens.replace import ReplaceDialog

    target = tmp_path / "run.npz"
    target.write_bytes(b"mine, not yours")
    app = app_for("xor")
    async with app.run_test(size=SIZE) as pilot:
        await press(pilot, "s", "s")
        await pilot.press("ctrl+s")
        app.screen.query_one(Input).value = str(target)
        await pilot.press("enter")
        for _ in range(300):  # the save runs on the worker; the question comes back from it
            if isinstance(app.screen, ReplaceDialog):
                break
            await asyncio.sleep(0.01)
        assert isinstance(app.screen, ReplaceDialog) and "run.npz" in str(app.screen.message)
        await pilot.press(answer)
        for _ in range(300):
            if target.read_bytes() != b"mine, not yours":
                break
            await asyncio.sleep(0.01)
        await app.settle()
        await pilot.pause()
    if answer == "escape":
        assert target.read_bytes() == b"mine, not yours"
    else:
        assert load_run(target).step == 2


async def test_make_app_opens_a_runfile(tmp_path):
    from nntui.engine.runfile import save_run
    from nntui.engine.trainer import Trainer

    tr = Trainer(load_preset("xor"))
    tr.run_steps(7)
    save_run(tr, tmp_path / "r.npz")
    app = make_app(None, runfile=tmp_path / "r.npz")
    async with app.run_test(size=SIZE):
        frame = await app.settle()
        assert frame.snapshot.step == 7
        assert params_equal(frame.snapshot.params, tr.params)


async def test_g_shows_the_gradient_check():
    app = app_for("xor")
    async with app.run_test(size=SIZE) as pilot:
        await press(pilot, "s")
        await pilot.press("g")
        for _ in range(200):
            if isinstance(app.screen, GradcheckScreen):
                break
            await asyncio.sleep(0.01)
        assert isinstance(app.screen, GradcheckScreen)
        errors = app.screen.errors
        assert set(errors) == {"W1", "b1", "W2", "b2"}
        assert max(errors.values()) < 1e-5
        await pilot.pause()
        assert "W1" in screen_text(app) and "ok" in screen_text(app)
        await pilot.press("escape")
        assert not isinstance(app.screen, GradcheckScreen)


async def test_g_on_a_perceptron_explains_why_not():
    app = app_for("perceptron-and")
    async with app.run_test(size=SIZE) as pilot:
        await pilot.press("g")
        for _ in range(200):
            if isinstance(app.screen, ErrorDialog):
                break
            await asyncio.sleep(0.01)
        assert isinstance(app.screen, ErrorDialog)
        assert "gradient" in screen_text(app)


# ----------------------------------------------------------- help and quit


async def test_question_mark_opens_help():
    app = app_for("xor")
    async with app.run_test(size=SIZE) as pilot:
        await pilot.press("question_mark")
        assert isinstance(app.screen, HelpScreen)
        text = screen_text(app)
        for words in ("play / pause", "next phase", "one phase mid-step", "gradient check", "save the run", "lesson"):
            assert words in text
        await pilot.press("question_mark")
        assert not isinstance(app.screen, HelpScreen)


async def test_q_quits():
    app = app_for("xor")
    async with app.run_test(size=SIZE) as pilot:
        await pilot.press("q")
        await pilot.pause()
        assert app._exit_renderables == [] and not app.is_running


async def test_footer_lists_the_keys():
    app = app_for("xor")
    async with app.run_test(size=SIZE) as pilot:
        await pilot.pause()
        footer = screen_text(app).splitlines()[-1]
        for key in ("space", "n", "s", "e", "b", "r", "+", "-", "[", "]", "t", "l", "f", "o", "v", "^s", "g", "?", "q"):
            assert f"{key} " in footer or f" {key}" in footer, key


# ------------------------------------------------------ things going wrong


async def test_a_loss_above_its_bound_pauses_the_app_where_the_cli_stops():
    """lr-too-high's first epoch ends at a finite loss of 1e14 (no NaN, no
    lowest to be 1000 times): `nntui train lr-too-high` stops there, exit 3.
    The app played on to a NaN 20 epochs later; it now pauses at the same
    step, saying what the CLI says, and lowering the rate and playing on trains."""
    from click.testing import CliRunner

    from nntui.cli import main

    cli = CliRunner().invoke(main, ["train", "lr-too-high"])
    assert cli.exit_code == 3
    app = app_for("lr-too-high")
    async with app.run_test(size=SIZE) as pilot:
        await play_until_diverged(app, pilot)
        message = app.main.frame.message
        assert message.startswith("training diverged at step 10: the loss reached 1.07e+14 in 1 epoch, above 1e+06")
        assert f"nntui: error: lr-too-high.toml: {message} (" in cli.stderr
        assert app.main.shown.step == 10 and app.runner.playing is False
        assert "diverged at step 10: the loss reached 1.07e+14" in " ".join(screen_text(app).split())
        await press(pilot, "minus", "minus")  # 0.03, the rate the lesson names
        await press(pilot, "space")
        for _ in range(3000):  # on past epoch 1 (its pause was seen): not paused again while the loss falls
            frame = await app.settle()
            if frame.snapshot.epoch >= 6:
                break
            await asyncio.sleep(0.01)
        losses = frame.snapshot.history.train_loss
        # Still above the bound at epoch 6 (2.5e9), falling, and played on: the user's choice, seen.
        assert app.main.status == Status.PLAYING and frame.snapshot.epoch >= 6 and losses[-1] < losses[0] / 1e4


async def test_divergence_pauses_with_a_message_and_reset_recovers():
    app = app_for("lr-too-high")
    async with app.run_test(size=SIZE) as pilot:
        await play_until_diverged(app, pilot)
        assert "diverged" in (app.main.frame.message or "")
        assert "diverged" in screen_text(app)
        assert app.runner.playing is False
        await press(pilot, "r")
        assert app.main.status == "paused" and app.main.shown.step == 0
        await press(pilot, "s")
        assert app.main.shown.step == 1


async def test_an_exception_in_the_worker_is_shown_and_the_app_survives():
    app = app_for("xor")
    async with app.run_test(size=SIZE) as pilot:
        trainer = app.runner.trainer

        def broken():
            raise RuntimeError("boom in the engine")

        trainer.next_phase = broken
        await press(pilot, "n")
        await pilot.pause()
        assert isinstance(app.screen, ErrorDialog)
        assert "boom in the engine" in screen_text(app)
        await pilot.press("escape")
        del trainer.next_phase
        await press(pilot, "n")
        assert app.main.shown.done == 1


# ----------------------------------------------------------------- controls


async def test_a_control_that_needs_a_new_network_resets_it():
    app = app_for("xor")
    async with app.run_test(size=SIZE) as pilot:
        await press(pilot, "s", "s")
        generation = app.main.generation
        assert app.main.apply_control("model.activation", "relu")
        await app.settle()
        assert app.main.generation == generation + 1
        assert app.main.shown.step == 0 and app.main.shown.activation == "relu"
        assert app.runner.trainer.net.activation_name == "relu"
        assert app.sub_title.endswith("(modified)")
        # reset keeps the edited config
        await press(pilot, "s", "r")
        assert app.runner.trainer.net.activation_name == "relu"


async def test_hidden_layers_add_remove_resize():
    app = app_for("xor")
    async with app.run_test(size=SIZE) as pilot:
        assert app.main.shown.sizes == (2, 4, 1)
        await pilot.click("#add-layer")
        await app.settle()
        assert app.main.shown.sizes == (2, 4, 4, 1)
        assert app.main.apply_control("model.hidden", "8, 3")
        await app.settle()
        assert app.main.shown.sizes == (2, 8, 3, 1)
        await pilot.click("#remove-layer")
        await app.settle()
        assert app.main.shown.sizes == (2, 8, 1)
        assert not app.main.apply_control("model.hidden", "eight")
        assert app.main.shown.sizes == (2, 8, 1)


async def test_live_controls_keep_the_model():
    app = app_for("xor")
    async with app.run_test(size=SIZE) as pilot:
        await press(pilot, "s")
        generation = app.main.generation
        assert app.main.apply_control("train.learning_rate", "0.25")
        assert app.main.apply_control("train.options.momentum", "0.9")
        await app.settle()
        assert app.main.generation == generation and app.main.shown.step == 1
        assert app.runner.trainer.optimizer.lr == 0.25
        assert app.runner.trainer.optimizer.options["momentum"] == 0.9


async def test_an_invalid_control_value_is_refused_and_the_experiment_kept():
    app = app_for("xor")
    async with app.run_test(size=SIZE) as pilot:
        await press(pilot, "s")
        generation, config = app.main.generation, app.main.config
        assert not app.main.apply_control("train.learning_rate", "-1")
        assert not app.main.apply_control("model.output", "softmax")  # softmax with bce on binary data
        assert not app.main.apply_control("train.batch_size", "many")
        await app.settle()
        assert app.main.generation == generation and app.main.config == config
        assert app.main.shown.step == 1
        panel = app.query_one(ControlsPanel)
        assert panel.value_of("model.output") == "sigmoid"
        assert panel.value_of("train.learning_rate") == f"{config.train.learning_rate:g}"


async def test_switching_the_dataset_fits_the_network_to_it():
    app = app_for("xor")
    async with app.run_test(size=SIZE):
        assert app.main.apply_control("data.dataset", "blobs")
        await app.settle()
        assert app.main.config.data.dataset == "blobs"
        assert app.main.shown.sizes[-1] == 3 and app.main.shown.task == "multiclass"
        assert app.main.config.model.output == "softmax" and app.main.config.train.loss == "cross_entropy"
        assert app.main.apply_control("data.dataset", "moons")
        await app.settle()
        assert app.main.shown.sizes[-1] == 1 and app.main.config.train.loss == "bce"
        assert app.main.apply_control("data.noise", "0.3")
        assert app.main.config.data.noise == 0.3


async def test_optimizer_select_changes_the_optimizer_and_its_fields():
    app = app_for("xor")
    async with app.run_test(size=SIZE) as pilot:
        panel = app.query_one(ControlsPanel)
        assert panel.query_one("#row-momentum").display
        select = panel.query_one("#ctl-train-optimizer")
        select.value = "adam"
        await pilot.pause()
        await app.settle()
        assert app.runner.trainer.optimizer.name == "adam"
        assert not panel.query_one("#row-momentum").display
        assert panel.query_one("#row-betas").display


async def test_typing_in_a_control_and_enter_applies_it():
    app = app_for("xor")
    async with app.run_test(size=SIZE) as pilot:
        field = app.query_one("#ctl-train-learning_rate", Input)
        await pilot.click("#ctl-train-learning_rate")
        assert app.focused is field
        field.value = ""
        await pilot.press(*"0.05", "enter")
        await app.settle()
        assert app.runner.trainer.optimizer.lr == 0.05
        assert app.focused is None  # keys go back to the app
        await press(pilot, "s")
        assert app.main.shown.step == 1


# ----------------------------------------------------------- layout, sizes


def _shown(app) -> set[str]:
    ids = ("#network", "#boundary", "#loss", "#heatmaps", "#inspector", "#controls")
    return {i for i in ids if app.query_one(i).region.width > 0 and app.query_one(i).region.height > 0}


async def test_works_at_100x30_with_the_controls_in_a_drawer():
    app = app_for("spiral")
    async with app.run_test(size=(100, 30)) as pilot:
        await press(pilot, "n")
        text = screen_text(app)
        assert "enlarge" not in text.lower()
        assert "forward 1" in text
        assert _shown(app) == {"#network", "#boundary", "#loss", "#heatmaps", "#inspector"}
        await press(pilot, "m")
        assert "#controls" in _shown(app)
        await press(pilot, "m")
        assert "#controls" not in _shown(app)


async def test_80x24_is_a_layout_where_every_key_works():
    """The default terminal: the boundary, the loss and the status line, the
    inspector or (i) the network, the controls (m) as a drawer; space plays."""
    app = app_for("xor")
    async with app.run_test(size=(80, 24)) as pilot:
        text = screen_text(app)
        assert "enlarge" not in text.lower() and "step 0" in text
        assert _shown(app) == {"#boundary", "#loss", "#inspector"}
        assert "i panel" in text and "m controls" in text  # the hint names the layout's own keys
        await press(pilot, "i")
        assert _shown(app) == {"#boundary", "#loss", "#network"}
        await press(pilot, "m")
        assert "#controls" in _shown(app)
        await press(pilot, "m", "n", "s")
        assert app.main.shown.step == 1 and "#controls" not in _shown(app)
        await press(pilot, "space")
        for _ in range(100):
            if (await app.settle()).snapshot.step > 5:
                break
        assert app.main.shown.step > 5
        await press(pilot, "space")
        await pilot.resize_terminal(160, 48)
        await pilot.pause()
        assert _shown(app) == {"#network", "#boundary", "#loss", "#heatmaps", "#inspector", "#controls"}


@pytest.mark.parametrize("size", [(60, 20), (79, 40), (160, 23), (20, 5)])
async def test_below_the_minimum_it_asks_for_a_larger_terminal(size):
    app = app_for("xor")
    async with app.run_test(size=size) as pilot:
        await pilot.pause()
        words = " ".join(screen_text(app).lower().split())
        assert f"enlarge the terminal to {MIN_WIDTH}×{MIN_HEIGHT}" in words
        assert not app.query_one("#body").display or app.query_one("#body").region.height == 0
        await press(pilot, "s")  # keys still work
        assert app.main.shown.step == 1
        await pilot.resize_terminal(*SIZE)
        await pilot.pause()
        assert "enlarge" not in screen_text(app).lower()


# --------------------------------------------------------- frames, generations


async def test_frames_are_coalesced_not_one_message_a_step():
    published = []

    def hook(message):
        if isinstance(message, Published):
            published.append(message)

    app = app_for("xor")
    async with app.run_test(size=SIZE, message_hook=hook):
        app.main.action_speed(len(SPEEDS))  # full speed: many steps between frames
        app.runner.send(Play())
        await asyncio.sleep(1.0)  # a second of play: the window the frame rate is counted over
        app.runner.send(Pause())
        frame = await app.settle()
        steps = frame.snapshot.step
        assert steps > 200
        # at most ~20 frames a second while playing (plus a few for commands)
        assert len(published) < 40
        assert len(published) < steps / 5


async def test_stale_frames_of_a_replaced_model_are_dropped(until):
    app = app_for("xor")
    async with app.run_test(size=SIZE) as pilot:
        app.runner.send(Play())
        await until(lambda: app.main.shown.step > 0, what="a step trained")
        for name in ("spiral", "circle", "xor", "moons"):
            config = load_preset(name)
            app.main.adopt(config, Trainer(config))  # as an opened preset is, once built
            assert app.main.shown_generation == app.main.generation
            assert app.main.shown.step == 0
        await asyncio.sleep(0.2)  # room for the older models' frames in flight: each must be dropped
        frame = await app.settle()
        assert frame.generation == app.main.generation == app.main.shown_generation
        assert app.title == load_preset("moons").title
        assert app.runner.trainer.config.data.dataset == "moons"
        await press(pilot, "space")


# ------------------------------------------------------------ mouse, dialogs


async def test_clicking_a_footer_key_runs_it():
    app = app_for("xor")
    async with app.run_test(size=SIZE) as pilot:
        from textual.widgets._footer import FooterKey

        await pilot.pause()
        key = next(k for k in app.screen.query(FooterKey) if k.action == "next_phase")
        await pilot.click(key)
        await app.settle()
        await pilot.pause()
        assert app.main.shown.done == 1


async def test_clicking_a_preset_in_the_picker_opens_it():
    app = app_for("xor")
    async with app.run_test(size=SIZE) as pilot:
        await pilot.press("o")
        option_list = app.screen.query_one(OptionList)
        names = [option_list.get_option_at_index(i).id for i in range(option_list.option_count)]
        option_list.highlighted = names.index("moons")
        await pilot.press("enter", "enter", "enter")  # extra Enters must not pop the main screen
        await app.settle()
        await pilot.pause()
        assert len(app.screen_stack) == 1
        assert app.main.config.name == "moons"


async def test_escape_twice_in_a_dialog_closes_only_it():
    app = app_for("xor")
    async with app.run_test(size=SIZE) as pilot:
        for opener in ("question_mark", "o", "ctrl+s"):
            await pilot.press(opener)
            assert len(app.screen_stack) == 2
            await pilot.press("escape", "escape", "escape")
            assert len(app.screen_stack) == 1 and app.is_running
        await press(pilot, "s")
        assert app.main.shown.step == 1


async def test_choosing_from_a_menu_with_the_mouse_applies_it_and_frees_the_keys():
    app = app_for("xor")
    async with app.run_test(size=SIZE) as pilot:
        await pilot.click("#ctl-model-activation")
        await pilot.pause()
        assert app.screen.query_one("#ctl-model-activation").expanded
        # pick "relu" from the open menu with the keyboard, as a user might
        select = app.screen.query_one("#ctl-model-activation")
        overlay = select.query_one("SelectOverlay")
        values = [v for _, v in select._options]
        overlay.highlighted = values.index("relu")
        await pilot.press("enter")
        await app.settle()
        await pilot.pause()
        assert app.runner.trainer.net.activation_name == "relu"
        assert app.focused is None
        await press(pilot, "space")  # plays, rather than reopening the menu
        assert app.main.status == Status.PLAYING
        await press(pilot, "space")


async def test_the_command_palette_offers_themes_and_nntui_commands():
    app = app_for("xor")
    async with app.run_test(size=SIZE) as pilot:
        titles = [c.title for c in app.get_system_commands(app.screen)]
        assert "Theme" in titles and "Next phase" in titles and "Open a preset" in titles
        next_phase = next(c for c in app.get_system_commands(app.screen) if c.title == "Next phase")
        next_phase.callback()
        await app.settle()
        assert app.runner.trainer.done == 1
        for theme in ("textual-light", "nord", "textual-dark"):
            app.theme = theme
            await pilot.pause()
            assert "step-by-step" in screen_text(app)


async def test_sample_digits_and_neuron_selection():
    app = app_for("xor")
    async with app.run_test(size=SIZE) as pilot:
        await press(pilot, "full_stop")  # no batch yet: a notice, nothing breaks
        await press(pilot, "n", "full_stop", "full_stop")
        assert app.main.views["inspector"].sample == 2 == app.main.views["network"].sample
        await press(pilot, "comma", "comma", "comma")
        assert app.main.views["inspector"].sample == len(app.main.shown.batch_x) - 1
        await press(pilot, "d")
        assert app.main.views["inspector"].digits == 10 == app.main.views["heatmaps"].digits
        await press(pilot, "d")
        assert app.main.views["network"].digits == 4
        app.main.views["network"].selected = (1, 2)
        await pilot.pause()
        assert app.main.views["heatmaps"].selected == (1, 0, 2)
        assert app.main.views["inspector"].neuron == 2


async def test_every_dataset_in_the_menu_can_be_chosen():
    from nntui.engine.datasets import DATASET_NAMES

    app = app_for("perceptron-and")
    async with app.run_test(size=SIZE):
        for name in [n for n in DATASET_NAMES if n != "csv"] + ["and_gate"]:
            assert app.main.apply_control("data.dataset", name), name
            await app.settle()
            assert app.runner.trainer.config.data.dataset == name
            assert app.main.shown.sizes[0] == app.main.dataset.n_inputs
            assert app.main.shown.sizes[-1] == app.main.dataset.n_outputs
        # back on a gate, the perceptron rule is gone (blobs needed softmax) but all works
        await app.settle()
        app.runner.send(RunEpoch())
        frame = await app.settle()
        assert frame.snapshot.epoch == 1
        assert not app.main.apply_control("data.dataset", "csv")


async def test_play_opens_at_100_steps_a_second_and_stops_at_the_presets_epochs(until):
    from dataclasses import replace

    from nntui.app.worker import DEFAULT_SPEED

    assert SPEEDS[DEFAULT_SPEED] == 100  # watchable: xor is not solved before the eye sees it
    config = load_preset("xor")
    config = replace(config, train=replace(config.train, epochs=3))
    app = make_app(config)
    async with app.run_test(size=SIZE) as pilot:
        app.main.action_speed(len(SPEEDS))  # full speed, so 3 epochs pass at once
        await press(pilot, "space")
        await until(lambda: app.main.status == "paused", what="play to stop at epoch 3")
        frame = await app.settle()
        assert app.main.status == "paused" and frame.snapshot.epoch == 3
        assert "reached the preset's 3 epochs" in screen_text(app)
        await press(pilot, "space")  # plays on past them
        await until(lambda: app.main.shown.epoch > 3, what="a fourth epoch")
        await press(pilot, "space")
        frame = await app.settle()
        assert frame.snapshot.epoch > 3


async def test_the_lesson_is_on_screen_and_the_story_goes_on():
    app = app_for("perceptron-xor")
    async with app.run_test(size=SIZE) as pilot:
        words = " ".join(screen_text(app).split())
        assert "lesson 2 of" in words and "No straight line separates XOR" in words
        await press(pilot, "L")
        assert "No straight line separates XOR" not in " ".join(screen_text(app).split())
        await press(pilot, "L", "greater_than_sign")
        for _ in range(100):
            if app.main.config.name == "perceptron-features":
                break
            await pilot.pause(0.05)
        assert app.main.config.name == "perceptron-features" and "lesson 3 of" in " ".join(screen_text(app).split())
        await pilot.pause()
        assert any(m.startswith("Opened The right feature makes XOR linear (perceptron-features): a new run")
                   for m in _notices(app))
        await press(pilot, "less_than_sign")
        for _ in range(100):
            if app.main.config.name == "perceptron-xor":
                break
            await pilot.pause(0.05)
        assert app.main.config.name == "perceptron-xor"


async def test_the_lesson_is_brief_where_rows_are_few():
    app = app_for("xor")
    async with app.run_test(size=(80, 24)) as pilot:
        assert "Compare with perceptron-xor" not in " ".join(screen_text(app).split())
        assert "lesson 4 of" in " ".join(screen_text(app).split())
        await press(pilot, "L")
        assert "Compare with perceptron-xor" in " ".join(screen_text(app).split())


def _notices(app) -> list[str]:
    return [n.message for n in app._notifications]


async def test_every_change_says_what_it_did():
    app = app_for("xor")
    async with app.run_test(size=SIZE) as pilot:
        await press(pilot, "equals_sign")
        assert any("Learning rate 0.1 → 0.3" in m for m in _notices(app))
        assert app.main.apply_control("train.options.momentum", "0.9")
        await pilot.pause()
        assert any("momentum 0.0 → 0.9, from the next step" in m for m in _notices(app))
        await press(pilot, "s")
        assert app.main.apply_control("train.optimizer", "adam")
        await pilot.pause()
        assert any("optimizer sgd → adam: a new run from step 0" in m for m in _notices(app))
        await press(pilot, "r")
        assert any(m.startswith("Reset to step 0") for m in _notices(app))


async def test_a_refused_value_is_told_once():
    from textual.widgets import Input

    app = app_for("xor")
    async with app.run_test(size=SIZE) as pilot:
        field = app.query_one("#ctl-train-learning_rate", Input)
        field.focus()
        await pilot.pause()
        field.value = "-3"
        await press(pilot, "enter")
        await pilot.pause(0.2)
        refused = [m for m in _notices(app) if "learning_rate" in m]
        assert len(refused) == 1 and app.main.config.train.learning_rate == 0.1


async def test_the_controls_show_no_value_the_data_does_not_take():
    from textual.widgets import Input

    app = app_for("perceptron-and")
    async with app.run_test(size=SIZE):
        for key in ("samples", "noise", "validation"):
            field = app.query_one(f"#ctl-data-{key}", Input)
            assert field.value == "" and field.disabled


async def test_the_sample_in_the_inspector_is_ringed_on_the_boundary():
    app = app_for("xor")
    async with app.run_test(size=SIZE) as pilot:
        boundary = app.query_one("#boundary")
        assert "◎" not in screen_text(app)  # no batch yet: nothing to ring
        await press(pilot, "n")
        assert screen_text(app).count("◎") == 1
        W, Hp = boundary.size.width, boundary.size.height - 1
        first = boundary._cursor_cell(W, Hp)
        await press(pilot, "full_stop")
        assert boundary.sample == 1 and app.query_one("#inspector").sample == 1
        x = app.main.shown.batch_x[1]
        second = boundary._cursor_cell(W, Hp)
        assert second != first and screen_text(app).count("◎") == 1
        xi, yi, xlo, xhi, ylo, yhi = boundary._axes()
        assert second[1] == int((x[xi] - xlo) / (xhi - xlo) * W)


async def test_neurons_are_selected_from_the_keyboard():
    app = app_for("xor")  # 2-4-1
    async with app.run_test(size=SIZE) as pilot:
        net, inspector = app.query_one("#network"), app.query_one("#inspector")
        assert tuple(net.selected) == (1, 0)
        await press(pilot, "j", "j")
        assert tuple(net.selected) == (1, 2) and inspector.neuron == 2
        await press(pilot, "j", "j", "j")
        assert tuple(net.selected) == (0, 0)  # after the output, round to the inputs
        await press(pilot, "k")
        assert tuple(net.selected) == (2, 0)


async def test_while_playing_only_the_status_line_counts_steps():
    """The views take turns in fast play, so counts drawn at different moments
    disagreed (header 1573, network 1583, inspector 1558): only the status
    line names the step while training runs."""
    app = app_for("spiral")
    async with app.run_test(size=SIZE) as pilot:
        await press(pilot, "right_square_bracket", "space")  # 500 steps/s: no trace kept
        for _ in range(200):
            frame = await app.settle()
            if frame.snapshot.step > 20 and app.main.views["inspector"].context.status == Status.PLAYING:
                break
            await asyncio.sleep(0.02)
        await pilot.pause(0.2)
        inspector = "\n".join(app.query_one("#inspector").lines_text())
        assert "status line counts the steps" in inspector and "steps done" not in inspector
        await press(pilot, "space")
        await app.settle()
        await pilot.pause(0.2)
        assert "steps done" in "\n".join(app.query_one("#inspector").lines_text())


async def test_opening_a_large_csv_shows_its_progress(tmp_path):
    """A large CSV loads off the UI thread, and the hint line says how far its
    reading has got, until the preset is open."""
    rng = np.random.default_rng(0)
    rows = "\n".join(f"{a:.3f},{b:.3f},{int(a > b)}" for a, b in rng.normal(size=(400_000, 2)))
    (tmp_path / "big.csv").write_text("u,v,label\n" + rows + "\n")
    (tmp_path / "big.toml").write_text('[data]\ndataset = "csv"\npath = "big.csv"\n[model]\nlayers = [2, 1]\n')
    app = app_for("xor")
    async with app.run_test(size=SIZE) as pilot:
        app.main.opener.open(str(tmp_path / "big.toml"))
        seen = set()
        for _ in range(600):
            await pilot.pause(0.05)
            if "of its data read" in app.main.hint.markup:
                seen.add(app.main.hint.markup)
            if app.main.config.name == "big":
                break
        assert app.main.config.name == "big"
        assert seen and all("escape" in m for m in seen)
        await pilot.pause(0.4)
        assert "of its data read" not in app.main.hint.markup  # the usual hint is back
