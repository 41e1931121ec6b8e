"""Lessons: [lesson] tables read with the preset, judged on the run (train --json,
--answer), progress kept in $XDG_STATE_HOME, and `nntui lessons`."""

from __future__ import annotations

import json
import os
import stat

import numpy as np
import pytest
from click.testing import CliRunner

from nntui.cli import main
from nntui.experiment.config import ConfigError
from nntui.experiment.lessons import judge, trainer_env
from nntui.experiment.presets import load_preset
from nntui.engine.trainer import Trainer

GATE = """
[data]
dataset = "xor_gate"
[model]
layers = [2, 1]
output = "step"
init = "zeros"
[train]
optimizer = "perceptron"
learning_rate = 0.1
batch_size = 1
epochs = 20
"""

LESSON = GATE + """
[[lesson.ask]]
question = "Will the perceptron ever get all four rows right?"
choices = [{ text = "yes", when = "max(train_accuracy) == 1" },
           { text = "no",  when = "max(train_accuracy) < 1" }]
explain = "No straight line separates XOR's classes."

[[lesson.ask]]
question = "How many weights does it have?"
choices = [{ text = "two", when = "weights == 2" }, { text = "three", when = "weights == 3" },
           { text = "three or fewer", when = "weights <= 3" }]

[[lesson.claim]]
when = "last(train_loss) > 0 and epochs == 20"
text = "it never stops making mistakes"

[[lesson.challenge]]
text = "Separate XOR with a perceptron"
goal = "last(train_accuracy) == 1"

[[lesson.challenge]]
text = "Use at most three weights"
goal = "weights <= 3"
"""


@pytest.fixture
def state(tmp_path, monkeypatch):
    home = tmp_path / "state"
    monkeypatch.setenv("XDG_STATE_HOME", str(home))
    return home / "nntui" / "progress.json"


def write(tmp_path, text, name="lesson.toml"):
    path = tmp_path / name
    path.write_text(text)
    return path


def run(*args):
    return CliRunner().invoke(main, [str(a) for a in args])


def test_a_lesson_is_read_with_its_preset_and_survives_the_round_trip(tmp_path):
    config = load_preset(write(tmp_path, LESSON))
    lesson = config.lesson
    assert [a.question for a in lesson.asks][0].startswith("Will the perceptron")
    assert [c.text for c in lesson.asks[1].choices] == ["two", "three", "three or fewer"]
    assert lesson.asks[0].choices[1].when.text == "max(train_accuracy) < 1"
    assert lesson.claims[0].text == "it never stops making mistakes"
    assert [c.goal.text for c in lesson.challenges] == ["last(train_accuracy) == 1", "weights <= 3"]
    from nntui.experiment.config import config_from_dict

    assert config_from_dict(config.to_dict(), config.source, tmp_path) == config


@pytest.mark.parametrize("table, says", [
    ('[[lesson.ask]]\nquestion = "q"\nchoices = [{ text = "a", when = "epochs > 1" },'
     ' { text = "b", when = "__import__(\'os\')" }]',
     "lesson.ask[1].choices[2].when = \"__import__('os')\": unknown function '__import__'; allowed: numbers"),
    ('[[lesson.claim]]\nwhen = "x.y > 1"', "lesson.claim[1].when = \"x.y > 1\": not allowed: 'x.y'; allowed:"),
    ('[[lesson.claim]]\nwhen = "(" ', "lesson.claim[1].when = \"(\": cannot be read"),
    ('[[lesson.claim]]\nwhen = 3', "lesson.claim[1].when = 3: must be a condition in quotes"),
    ('[[lesson.claim]]\ntext = "no condition"', "lesson.claim[1]: missing key 'when'"),
    ('[[lesson.challenge]]\ntext = "t"\ngoal = "last(val_accuracy) > 0.9"\nprize = 1',
     "lesson.challenge[1]: unknown key 'prize'; allowed: text, goal"),
    ('[[lesson.ask]]\nquestion = "q"\nchoices = [{ text = "only", when = "epochs > 1" }]',
     "lesson.ask[1].choices: 1 given; give 2 to 9"),
    ('[[lesson.ask]]\nquestion = 1\nchoices = []', "lesson.ask[1].question: must be text in quotes"),
    ('[lesson]\nsay = "hi"', "lesson: unknown key 'say'"),
    ('[[lesson.ask]]\nquestion = "q"\nchoices = "yes or no"', "lesson.ask[1].choices: must be a list of tables"),
    ('[[lesson.claim]]\nwhen = "' + "(" * 30 + "1" + ")" * 30 + ' > 0"', "nests parentheses 30 deep; at most 24"),
])
def test_a_bad_lesson_is_refused_when_the_preset_is_read(tmp_path, table, says):
    path = write(tmp_path, GATE + table)
    with pytest.raises(ConfigError) as e:
        load_preset(path)
    assert str(e.value).startswith(f"{path}: ")
    assert says in str(e.value)
    result = run("train", path)
    assert result.exit_code == 2
    assert result.stderr.count("\n") == 1 and says in result.stderr and "Traceback" not in result.stderr


def test_a_regression_lesson_cannot_read_an_accuracy(tmp_path):
    text = load_preset("plane").to_dict()
    import tomllib  # noqa: F401  (the preset is written by hand below)

    path = write(tmp_path, '[data]\ndataset = "plane"\n[model]\nlayers = [2, 1]\noutput = "linear"\n'
                 '[[lesson.claim]]\nwhen = "last(val_accuracy) > 0.5"\n')
    with pytest.raises(ConfigError, match=r"lesson.claim\[1\].when = .*: val_accuracy: a regression has no accuracy"):
        load_preset(path)
    assert text


def test_the_run_judges_each_condition(tmp_path):
    config = load_preset(write(tmp_path, LESSON))
    trainer = Trainer(config)
    trainer.run()
    judged = judge(config.lesson, trainer_env(trainer))
    first, second = judged["asks"]
    assert first["right"] == [2] and first["values"] == {"max(train_accuracy)": 0.75}
    assert second["right"] == [2, 3] and second["values"] == {"weights": 3}
    assert judged["claims"] == [{"when": "last(train_loss) > 0 and epochs == 20",
                                 "text": "it never stops making mistakes", "holds": True,
                                 "values": {"last(train_loss)": 0.25, "epochs": 20}}]
    assert [c["met"] for c in judged["challenges"]] == [False, True]


def test_train_json_answers_and_keeps_progress(tmp_path, state):
    path = write(tmp_path, LESSON)
    result = run("train", path, "--json", "--answer", "1", "--answer", "3")
    assert result.exit_code == 0, result.stderr
    out = json.loads(result.stdout)
    assert [a["right"] for a in out["asks"]] == [[2], [2, 3]]
    assert [(a["answer"], a["answered_right"]) for a in out["asks"]] == [(1, False), (3, True)]
    assert [c["holds"] for c in out["claims"]] == [True]
    assert [c["met"] for c in out["challenges"]] == [False, True]
    kept = json.loads(state.read_text())
    entry = kept["lessons"][str(path.resolve())]
    assert entry["asks"]["1"]["right"] is False and entry["asks"]["2"]["answer"] == 3
    assert entry["challenges"] == {"2": {"text": "Use at most three weights", "met": True}}
    listed = json.loads(run("lessons", "--json").stdout)
    assert listed["progress_file"] == str(state)
    mine = [row for row in listed["lessons"] if row["name"] == str(path.resolve())]
    assert mine == [{"name": str(path.resolve()), "title": "lesson", "asks": {"answered": 2, "right": 1, "total": 2},
                     "challenges": {"met": 1, "total": 2}}]
    # answered again, right this time: the score follows the latest answer
    assert run("train", path, "--json", "--answer", "2").exit_code == 0
    mine = [r for r in json.loads(run("lessons", "--json").stdout)["lessons"] if r["name"] == str(path.resolve())]
    assert mine[0]["asks"] == {"answered": 2, "right": 2, "total": 2}


def test_text_output_says_right_or_wrong_with_the_numbers(tmp_path, state):
    result = run("train", write(tmp_path, LESSON), "--answer", "1", "--no-plot")
    assert result.exit_code == 0
    out = result.stdout
    assert "  2. [right] no" in out and "  1. [     ] yes  <- your answer" in out
    assert "You were wrong." in out and "The run: max(train_accuracy) = 0.75" in out
    assert "No straight line separates XOR's classes." in out
    assert "Claim holds: it never stops making mistakes" in out
    assert "Challenge not met yet: Separate XOR" in out and "Challenge met: Use at most three weights" in out


@pytest.mark.parametrize("answers, says", [
    (["--answer", "3"], "--answer 3: question 1 has choices 1 to 2"),
    (["--answer", "1", "--answer", "0"], "--answer 0: question 2 has choices 1 to 3"),
    (["--answer", "1"] * 3, "--answer given 3 times; the lesson asks 2 questions"),
])
def test_a_bad_answer_is_refused(tmp_path, state, answers, says):
    result = run("train", write(tmp_path, LESSON), *answers)
    assert result.exit_code == 2 and says in result.stderr and result.stdout == ""
    assert not state.exists()


def test_no_progress_file_is_written_without_an_answer_or_a_challenge_met(tmp_path, state):
    assert run("train", write(tmp_path, GATE + '[[lesson.claim]]\nwhen = "epochs > 1"\n'), "--json").exit_code == 0
    assert not state.exists()


def test_lessons_lists_every_builtin_in_story_order(state):
    from nntui.experiment.presets import list_presets

    listed = json.loads(run("lessons", "--json").stdout)["lessons"]
    assert [row["name"] for row in listed] == [name for name, _ in list_presets()]
    assert all(row["asks"]["answered"] == 0 and row["asks"]["total"] >= 1 for row in listed)
    table = run("lessons").stdout
    assert "perceptron-and" in table and "answered" in table


def test_a_builtin_is_kept_by_name(state):
    assert run("train", "perceptron-xor", "--json", "--answer", "2").exit_code == 0
    assert "perceptron-xor" in json.loads(state.read_text())["lessons"]


@pytest.mark.parametrize("content", [b"{not json", b"\xff\xfe", b'{"version": 1, "lessons": []}', b"[]",
                                     b'{"version": 1, "lessons": {"x": {"asks": {"1": 5}, "challenges": {}}}}'])
def test_a_damaged_progress_file_is_set_aside_with_a_notice(tmp_path, state, content):
    state.parent.mkdir(parents=True)
    state.write_bytes(content)
    result = run("lessons", "--json")
    assert result.exit_code == 0
    assert result.stderr.count("\n") == 1 and "damaged; set aside as progress.json.damaged-1" in result.stderr
    assert (state.parent / "progress.json.damaged-1").read_bytes() == content
    assert not state.exists()
    # the next answer starts a fresh file beside the damaged one, which is never replaced
    state.write_bytes(content)
    result = run("train", write(tmp_path, LESSON), "--json", "--answer", "2")
    assert result.exit_code == 0 and "damaged-2" in result.stderr
    assert (state.parent / "progress.json.damaged-1").read_bytes() == content
    assert json.loads(state.read_text())["version"] == 1


@pytest.mark.skipif(os.geteuid() == 0, reason="root writes anywhere")
def test_a_progress_folder_that_cannot_be_written_is_a_notice_not_a_failure(tmp_path, state):
    state.parent.parent.mkdir(parents=True)
    state.parent.parent.chmod(stat.S_IRUSR | stat.S_IXUSR)
    try:
        result = run("train", write(tmp_path, LESSON), "--json", "--answer", "2")
    finally:
        state.parent.parent.chmod(stat.S_IRWXU)
    assert result.exit_code == 0
    assert json.loads(result.stdout)["asks"][0]["answered_right"] is True
    assert result.stderr.startswith("nntui: cannot keep progress") and result.stderr.count("\n") == 1


def test_relative_xdg_state_home_is_ignored(monkeypatch, tmp_path):
    from pathlib import Path

    from nntui.experiment.progress import progress_path

    monkeypatch.setenv("XDG_STATE_HOME", "relative/dir")
    monkeypatch.setenv("HOME", str(tmp_path))
    assert progress_path() == Path(tmp_path) / ".local" / "state" / "nntui" / "progress.json"


def test_lesson_text_from_a_file_carries_no_terminal_control(tmp_path):
    path = write(tmp_path, GATE + '[[lesson.ask]]\nquestion = "evil\\u001b]2;pwned\\u0007 q"\n'
                 'choices = [{ text = "a\\u001b[2J", when = "epochs > 1" }, { text = "b", when = "epochs < 1" }]\n')
    ask = load_preset(path).lesson.asks[0]
    assert ask.question == "evil]2;pwned q" and ask.choices[0].text == "a[2J"


def test_a_quiz_opens_each_ask_in_turn_and_judges_the_answers(tmp_path, state):
    from nntui.experiment.progress import Progress
    from nntui.experiment.quiz import Quiz

    config = load_preset(write(tmp_path, LESSON))
    quiz = Quiz(config.lesson)
    assert quiz.open_ask[0] == 1
    assert quiz.answer(3) == "question 1 has choices 1 to 2" and quiz.open_ask[0] == 1
    assert quiz.answer(1) is None and quiz.open_ask[0] == 2
    assert quiz.answer(3) is None and quiz.open_ask is None
    assert quiz.answer(1) == "every question is answered"
    trainer = Trainer(config)
    trainer.run()
    env = trainer_env(trainer)
    first, second = quiz.verdicts(env)
    assert (first.answer, first.right, first.right_choices) == (1, False, (2,))
    assert first.line() == "Q1 wrong: you said 1 (yes); the run says 2 (no): max(train_accuracy) = 0.75"
    assert second.right and second.line() == "Q2 right: 3 (three or fewer); the run: weights = 3"
    assert quiz.challenges(env) == [("Separate XOR with a perceptron", False, "last(train_accuracy) = 0.75"),
                                    ("Use at most three weights", True, "weights = 3")]
    assert quiz.keep(Progress(), "k", env) is None
    assert Progress().summary("k", config.lesson) == {"asks": {"answered": 2, "right": 1, "total": 2},
                                                      "challenges": {"met": 1, "total": 2}}


def test_the_app_quiz_judges_once_at_the_run_end_and_keeps_it(tmp_path, state):
    from nntui.app.lesson_quiz import LessonQuiz

    config = load_preset(write(tmp_path, LESSON))
    quiz = LessonQuiz(config)
    assert quiz.lines()[:3] == [("Q1/2 · Will the perceptron ever get all four rows right?  "
                                 "(1-2 answers, before you run it)", "ask"),
                                ("1 yes", "choice"), ("2 no", "choice")]
    assert quiz.answer(2) is None and quiz.lines()[0][0].startswith("Q2/2 · How many weights")
    trainer = Trainer(config)
    trainer.run(until_epochs=3)
    changed, notice = quiz.frame(trainer.snapshot())
    assert changed and notice is None and quiz.verdicts is None  # 3 of 20 epochs: not judged yet
    assert ("Challenge: Use at most three weights · met ✓", "met") in quiz.lines()
    assert quiz.answer(1) is None and quiz.open_ask is None
    assert quiz.lines()[0] == ("Answered (Q1 → 2 · Q2 → 1); judged when the run ends", "hint")
    trainer.run()
    assert quiz.frame(trainer.snapshot()) == (True, None)
    assert quiz.lines()[:3] == [("Q1 right: 2 (no); the run: max(train_accuracy) = 0.75", "right"),
                                ("   No straight line separates XOR's classes.", "explain"),
                                ("Q2 wrong: you said 1 (two); the run says 2 (three) or 3 (three or fewer): "
                                 "weights = 3", "wrong")]
    assert quiz.answer(1).startswith("the run is over")
    assert quiz.frame(trainer.snapshot()) == (False, None)  # judged once
    kept = json.loads(state.read_text())["lessons"][str((tmp_path / "lesson.toml").resolve())]
    assert kept["asks"]["1"]["right"] is True and kept["asks"]["2"]["right"] is False


def test_another_dataset_leaves_the_lesson_behind_and_other_edits_keep_it():
    from nntui.experiment.edits import edit

    config = load_preset("perceptron-and")
    assert edit(config, "train.learning_rate", "0.5").lesson == config.lesson
    assert edit(config, "data.dataset", "plane").lesson is None  # its asks read an accuracy


def test_best_epoch_is_early_stoppings_when_the_run_has_it():
    """`best_epoch` in a condition: early stopping's best epoch (here by validation accuracy,
    epoch 50), not the lowest validation loss's (epoch 47), when the run stops early."""
    from nntui.experiment.config import config_from_dict

    d = load_preset("overfit").to_dict()
    d["train"]["early_stopping"] = {"monitor": "val_accuracy"}
    trainer = Trainer(config_from_dict(d, "overfit.toml"))
    trainer.run()
    lowest_val_loss = int(np.argmin(trainer.history["val_loss"])) + 1
    assert trainer.stop.best_epoch + 1 != lowest_val_loss
    assert trainer_env(trainer)["best_epoch"] == trainer.stop.best_epoch + 1
    from nntui.app.lesson_quiz import snapshot_env

    assert snapshot_env(trainer.snapshot())["best_epoch"] == trainer.stop.best_epoch + 1  # the app's judge too
