"""W sets the weight selected in the heatmaps by hand, end to end: the
dialog, its refusal of bad input, the run going on from the value typed,
and the ghost label that remembers it."""

from __future__ import annotations

from textual.widgets import Input, Label

from nntui.app.screens.weight import WeightDialog, parse_weight
from tests.test_app import SIZE, app_for, press, screen_text

import pytest


def test_parse_weight_reads_numbers_and_the_apps_minus_sign():
    assert parse_weight(" 0.5 ") == 0.5 and parse_weight("−1.25") == -1.25 and parse_weight("3e-2") == 0.03
    for bad, message in (("abc", "is not a number"), ("", "is not a number"), ("nan", "finite"),
                         ("inf", "finite"), ("1e300", "finite")):
        with pytest.raises(ValueError, match=message):
            parse_weight(bad)


async def _type(pilot, text: str) -> None:
    field = pilot.app.screen.query_one("#value", Input)
    field.value = ""
    await pilot.press(*("minus" if ch == "-" else ch for ch in text), "enter")
    await pilot.app.settle()
    await pilot.pause()


async def test_w_sets_the_selected_weight_and_training_goes_on_from_it():
    app = app_for("xor")
    async with app.run_test(size=SIZE) as pilot:
        await app.settle()
        await press(pilot, "e")
        await press(pilot, "j")  # hidden unit 1: the heatmaps select its weight W1[0,1]
        assert app.main.views["heatmaps"].selected == (1, 0, 1)
        before = float(app.main.frame.snapshot.params["W1"][0, 1])
        await press(pilot, "W")
        dialog = app.screen
        assert isinstance(dialog, WeightDialog) and "Set W1[0,1] by hand" in screen_text(app)
        assert float(dialog.query_one("#value", Input).value) == pytest.approx(before, rel=1e-5)

        await _type(pilot, "a lot")  # refused: said in the dialog, which stays
        assert app.screen is dialog
        assert "is not a number" in str(dialog.query_one("#error", Label).render())
        assert float(app.main.frame.snapshot.params["W1"][0, 1]) == before

        await _type(pilot, "2.5")
        assert app.screen is app.main
        s = app.main.frame.snapshot
        assert s.params["W1"][0, 1] == 2.5 and s.edits == (("W1", (0, 1), 2.5),)
        now = app.runner.trainer.evaluate()["train_loss"]  # the status line: the edited net's loss
        assert s.measured_now["train_loss"] == now and f"loss now {now:.3g}" in screen_text(app)
        await press(pilot, "s")  # one step more: from 2.5, not from the old value
        after = app.main.frame.snapshot.params["W1"][0, 1]
        assert after != 2.5 and abs(after - 2.5) < 0.1

        await press(pilot, "r")  # a reset to the same preset keeps the edited run as a ghost
        labels = [g.label for g in app.main.ghosts.items]
        assert labels and labels[-1].endswith("set W1[0,1]=2.5"), labels


async def test_w_on_a_bias_row_sets_the_bias_and_escape_changes_nothing():
    app = app_for("xor")
    async with app.run_test(size=SIZE) as pilot:
        await app.settle()
        heatmaps = app.main.views["heatmaps"]
        heatmaps.selected = (2, 4, 0)  # the row under W2 (fan in 4) is b2
        await press(pilot, "W")
        assert "Set b2[0] by hand" in screen_text(app)
        await press(pilot, "escape")
        assert app.screen is app.main and app.main.frame.snapshot.edits == ()
        await press(pilot, "W")
        await _type(pilot, "-0.75")
        s = app.main.frame.snapshot
        assert s.params["b2"][0] == -0.75 and s.edits == (("b2", (0,), -0.75),)


def test_edits_label_names_the_last_two_and_counts_the_rest():
    from nntui.experiment.variants import edits_label
    assert edits_label(()) == ""
    assert edits_label((("W1", (0, 1), 2.5),)) == "set W1[0,1]=2.5"
    many = (("W1", (0, 1), 2.5), ("b2", (0,), -1.0), ("W2", (3, 0), 0.125), ("b1", (2,), 1e-3))
    assert edits_label(many) == "set W2[3,0]=0.125 b1[2]=0.001 (+2 more)"


async def test_a_resumed_run_shows_its_edits(tmp_path):
    from nntui.app.app import make_app
    from nntui.engine.runfile import save_run
    from nntui.engine.trainer import Trainer
    from nntui.experiment.presets import load_preset
    tr = Trainer(load_preset("xor"))
    tr.run(max_steps=3)
    tr.set_weight("W1", (1, 3), -2.0)
    path = save_run(tr, tmp_path / "edited.npz")
    app = make_app(None, runfile=path)
    async with app.run_test(size=SIZE) as pilot:
        await app.settle()
        await pilot.pause()
        assert app.main.frame.snapshot.edits == (("W1", (1, 3), -2.0),)
        assert "set W1[1,3]=-2" in screen_text(app)  # the heatmaps' title


async def test_w_on_a_weight_of_a_unit_switched_off_says_it_changes_nothing():
    app = app_for("xor")
    async with app.run_test(size=SIZE) as pilot:
        await app.settle()
        await press(pilot, "e", "j", "0")  # hidden unit 1 off; the heatmaps select W1[0,1], into it
        assert app.main.frame.snapshot.off == frozenset({(1, 1)})
        await press(pilot, "W")
        await _type(pilot, "2.5")
        said = [n.message for n in app._notifications]
        assert any("W1[0,1] set to 2.5" in m and "Unit 1 of hidden layer 1 is off" in m for m in said), said
