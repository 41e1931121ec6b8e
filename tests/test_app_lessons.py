"""The lesson in the app: its question before the run (keys 1-9), the verdict at the
run's end with the numbers that decided it, progress kept; and the lesson seen at
every size: brief below 140×40, its first sentence at 80×24, all of it one key away."""

from __future__ import annotations

import json

import pytest

from nntui.app.app import NNTuiApp, make_app
from nntui.engine.trainer import Trainer
from nntui.app.widgets.lesson import LessonPanel, first_sentence
from nntui.app.worker import RunEpoch
from nntui.experiment.presets import list_presets, load_preset
from tests.test_app import press, screen_text


def words(app) -> str:
    return " ".join(screen_text(app).split())


@pytest.fixture
def state(tmp_path, monkeypatch):
    monkeypatch.setenv("XDG_STATE_HOME", str(tmp_path))
    return tmp_path / "nntui" / "progress.json"


async def run_to_the_end(app, pilot, epochs: int) -> None:
    for _ in range(epochs):
        app.runner.send(RunEpoch())
    for _ in range(200):
        await app.settle()
        if app.main.frame is not None and app.main.frame.snapshot.epoch >= epochs:
            break
        await pilot.pause(0.02)
    await pilot.pause()


async def test_ask_answer_and_judge_from_the_run(state):
    app = make_app(load_preset("perceptron-xor"))
    async with app.run_test(size=(160, 48)) as pilot:
        text = words(app)
        assert "Q1/1 · Will the perceptron ever get all four rows of XOR right?" in text
        assert "1 yes, given enough epochs 2 no, never" in text and "(1-2 answers, before you run it)" in text
        await press(pilot, "3")  # not a choice: said so, still open
        assert any("question 1 has choices 1 to 2" in n.message for n in app._notifications)
        await press(pilot, "1")
        assert "Answered (Q1 → 1); judged when the run ends" in words(app)
        await run_to_the_end(app, pilot, 50)
        text = words(app)
        assert ("Q1 wrong: you said 1 (yes, given enough epochs); the run says 2 (no, never): "
                "max(train_accuracy) = 0.75") in text
        assert "No straight line separates XOR's classes" in text
    kept = json.loads(state.read_text())["lessons"]["perceptron-xor"]["asks"]["1"]
    assert kept["answer"] == 1 and kept["right"] is False


async def test_a_reset_judges_the_next_run_afresh_and_a_new_lesson_asks_again(state):
    app = make_app(load_preset("perceptron-and"))
    async with app.run_test(size=(160, 48)) as pilot:
        await press(pilot, "1")
        await run_to_the_end(app, pilot, 7)
        assert "Q1 right: 1 (yes, within ten epochs)" in words(app)
        await press(pilot, "2")
        assert any("the run is over and judged" in n.message for n in app._notifications)
        await press(pilot, "r")
        assert "Answered (Q1 → 1); judged when the run ends" in words(app)
        await press(pilot, "greater_than_sign")
        for _ in range(100):
            if app.main.config.name == "perceptron-xor":
                break
            await pilot.pause(0.05)
        await pilot.pause()
        assert "Q1/1 · Will the perceptron ever get all four rows of XOR right?" in words(app)


@pytest.mark.parametrize("name", [name for name, _ in list_presets()])
async def test_at_80x24_each_lesson_opens_on_its_first_sentence(name):
    config = load_preset(name)
    app = NNTuiApp(config, Trainer(config), race=False)  # the lesson under the race optimizers opens as
    async with app.run_test(size=(80, 24)) as pilot:
        await pilot.pause()
        text = words(app)
        assert first_sentence(config.description) in text
        assert "(L: the whole lesson and its question)" in text
        await press(pilot, "L")
        text = words(app)
        assert " ".join(config.description.split())[-40:] in text  # the whole text, to its end
        assert f"Q1/{len(config.lesson.asks)} · {config.lesson.asks[0].question}" in text
        assert "1 " + config.lesson.asks[0].choices[0].text in text
        await press(pilot, "L")  # then L hides it, and L brings it back brief
        assert first_sentence(config.description) not in words(app)
        await press(pilot, "L")
        assert "(L: the whole lesson and its question)" in words(app)


async def test_at_100x30_the_lesson_and_its_question_show_as_it_opens():
    app = make_app(load_preset("xor"))
    async with app.run_test(size=(100, 30)) as pilot:
        await pilot.pause()
        text = words(app)
        assert "lesson 4 of" in text and "A 2-4-1 tanh MLP on Playground's XOR quadrants." in text
        assert "Q1/1 · A perceptron cannot learn XOR." in text and "(1-3 answers, before you run it)" in text
        assert "(L: the whole lesson)" in text
        await press(pilot, "L")
        assert "Compare with perceptron-xor" in words(app)
        assert app.query_one(LessonPanel).brief is False


async def test_at_160x48_the_whole_lesson_and_L_hides_it():
    app = make_app(load_preset("xor"))
    async with app.run_test(size=(160, 48)) as pilot:
        await pilot.pause()
        assert "Compare with perceptron-xor" in words(app) and "Q1/1" in words(app)
        await press(pilot, "L")
        assert "Q1/1" not in words(app)


def test_first_sentence():
    assert first_sentence("One step unit, Rosenblatt's rule.  AND is separable.") == "One step unit, Rosenblatt's rule."
    assert first_sentence("FFN(x) = max(0, x W1 + b1) (Vaswani et al., 2017): one layer. Here") == \
        "FFN(x) = max(0, x W1 + b1) (Vaswani et al., 2017): one layer."
    assert first_sentence("w1..w8 = .15 .. .55, biases .35. Step it") == "w1..w8 = .15 .. .55, biases .35."


async def test_a_challenge_shows_its_progress_and_is_kept_when_met(state):
    app = make_app(load_preset("zero-init"))
    async with app.run_test(size=(160, 48)) as pilot:
        assert "Challenge: Break the tie" in words(app) and "change the controls, then run it" in words(app)
        await run_to_the_end(app, pilot, 2)
        assert "not yet (last(train_accuracy) = " in words(app)
        assert app.main.apply_control("model.init", "xavier")
        await app.settle()
        await run_to_the_end(app, pilot, 50)
        assert "Challenge: Break the tie: more than 90% of the training points right, still with four hidden " \
               "units. · met ✓" in words(app)
    kept = json.loads(state.read_text())["lessons"]["zero-init"]["challenges"]["1"]
    assert kept["met"] is True


def test_a_brief_lesson_keeps_its_verdicts_and_leaves_the_explanations_to_l():
    from nntui.app.widgets.lesson import LessonPanel

    panel = LessonPanel()
    panel.set_lesson("xor", "One. Two.", (4, 22))
    lines = [("Q1 right: 3 · the run: 97%", "right"), ("   because a hidden layer bends", "explain")]
    panel.set_quiz(lines)
    assert "because a hidden layer bends" in panel.text
    panel.set_brief(True)
    assert "because a hidden layer bends" not in panel.text and "Q1 right: 3 · the run: 97%  (L: why)" in panel.text
