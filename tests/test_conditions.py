"""The lessons' condition language: what it reads, what it judges, and what it refuses."""

from __future__ import annotations

import math
import sys

import pytest

from nntui.experiment.conditions import MAX_DEPTH, MAX_LENGTH, ConditionError, evaluate, format_values, parse

ENV = {
    "train_loss": [1.0, 0.5, 0.25, 0.3], "val_loss": [1.2, 0.8, 0.9, 1.4],
    "train_accuracy": [0.5, 0.75, 0.75, 1.0], "val_accuracy": [0.5, 0.5, 0.75, 0.5], "lr": [],
    "epochs": 4, "steps": 40, "weights": 9, "best_epoch": 2,
}


def judge(text, env=ENV):
    return evaluate(parse(text), env)


@pytest.mark.parametrize("text, expected", [
    ("max(train_accuracy) == 1", True),
    ("min(train_loss) == 0.25 and argmin(train_loss) == 3", True),
    ("argmax(val_loss) == 4", True),
    ("first(val_loss) == 1.2 and last(val_loss) == 1.4", True),
    ("mean(train_accuracy) == 0.75", True),
    ("at(val_loss, 2) == 0.8", True),
    ("at(val_loss, 5) == 0.8 or at(val_loss, 0) < 9", False),  # outside the run: nan, never holds
    ("len(val_loss) == epochs", True),
    ("abs(-2) == 2 and log10(1000) == 3", True),
    ("min(1, 2, weights) == 1 and max(epochs, steps) == 40", True),
    ("2 ** 3 ** 2 == 512", True),  # right-associative, as in maths
    ("-2 ** 2 == -4", True),
    ("(1 + 2) * 3 - 4 / 2 == 7", True),
    ("1 < epochs <= 4 < steps", True),
    ("not (epochs > 4)", True),
    ("last(val_loss) > 1.5 * min(val_loss) and argmin(val_loss) > 1", True),
    ("weights != 9", False),
    ("best_epoch == argmin(val_loss)", True),
    ("min(lr) > 0 or max(lr) <= 0", False),  # a series the run lacks: nan, neither side holds
    ("1 / 0 > 1e308", True),  # IEEE: inf
])
def test_it_judges_as_written(text, expected):
    assert judge(text)[0] is expected


def test_it_reports_the_numbers_each_judgement_used():
    holds, values = judge("last(val_loss) > 1.5 * min(val_loss) and weights <= 30")
    assert holds is True
    assert values == {"last(val_loss)": 1.4, "1.5 * min(val_loss)": pytest.approx(1.2),
                      "min(val_loss)": 0.8, "weights": 9}
    assert format_values({"max(train_accuracy)": 0.75, "epochs": 30}) == "max(train_accuracy) = 0.75, epochs = 30"


def test_names_read_are_listed():
    assert parse("argmin(val_loss) > 10 and weights < epochs").names == ("val_loss", "weights", "epochs")
    assert parse("last(grad_norm_W1) < 1").names == ("grad_norm_W1",)


def test_gradient_norms_and_lr_are_read_when_the_history_has_them():
    env = dict(ENV, lr=[0.1, 0.1, 0.05], grad_norm_W2=[3.0, 1.0])
    assert judge("last(lr) == 0.05 and first(grad_norm_W2) == 3", env)[0] is True


@pytest.mark.parametrize("text, says", [
    ("__import__('os').system('touch /tmp/owned')", "unknown function"),
    ("().__class__.__bases__[0].__subclasses__()", "allowed"),
    ("train_loss.__class__", "not allowed"),
    ("open('/etc/passwd')", "unknown function"),
    ("eval('1')", "unknown function"),
    ("__builtins__ == 1", "unknown name"),
    ("'a' == 'a'", "only numbers"),
    ("b'x' == 1", "only numbers"),
    ("f'{epochs}' == 1", "not allowed"),
    ("(lambda: 1)() == 1", "unknown function"),
    ("lambda: 1", "not allowed"),
    ("[x for x in train_loss]", "not allowed"),
    ("train_loss[0] < 1", "not allowed"),
    ("(x := 1) == 1", "not allowed"),
    ("1 if epochs else 2", "not allowed"),
    ("epochs in [1, 2]", "unknown comparison"),
    ("epochs is 1", "unknown comparison"),
    ("epochs // 2 == 1", "unknown operator"),
    ("epochs % 2 == 1", "unknown operator"),
    ("~epochs == 1", "unknown operator"),
    ("True", "write a comparison"),
    ("accuracy > 0.9", "unknown name"),
    ("min(train_loss, key=abs) < 1", "plain arguments"),
    ("min(*train_loss) < 1", "plain arguments"),
    ("epochs", "not a truth"),
    ("max(train_loss)", "not a truth"),
    ("train_loss < 1", "must be a number"),
    ("train_loss + 1 < 2", "must be a number"),
    ("min(epochs) < 1", "must be a series"),
    ("abs(train_loss) < 1", "must be a number"),
    ("at(1, 2) < 1", "must be a series"),
    ("at(train_loss) < 1", "two arguments"),
    ("epochs > 1 and 2", "must be a truth"),
    ("not epochs", "must be a truth"),
    ("epochs >", "cannot be read"),
    ("", "is empty"),
    ("epochs > 1\x1b[2J", "control character"),
    ("epochs == 1; import os", "cannot be read"),
])
def test_anything_else_is_refused_and_says_what_is_allowed(text, says):
    with pytest.raises(ConditionError) as e:
        parse(text)
    message = str(e.value)
    assert says in message
    assert "\n" not in message


@pytest.mark.parametrize("value", [1, 1.5, True, None, ["epochs > 1"], {"when": "x"}])
def test_a_condition_must_be_text(value):
    with pytest.raises(ConditionError, match="in quotes"):
        parse(value)


def test_nothing_is_executed(tmp_path, monkeypatch):
    """Hostile text never reaches eval, exec or an import, and is compiled only
    to a syntax tree (ast.parse), never to code."""
    import ast
    import builtins

    called = []

    def spy(name):
        real = getattr(builtins, name)

        def wrapper(*args, **kwargs):
            flags = args[3] if len(args) > 3 else kwargs.get("flags", 0)
            called.append((name, bool(flags & ast.PyCF_ONLY_AST) if name == "compile" else None))
            return real(*args, **kwargs)
        return wrapper

    for name in ("eval", "exec", "compile"):
        monkeypatch.setattr(builtins, name, spy(name))
    marker = tmp_path / "owned"
    for text in (f"__import__('os').system('touch {marker}') == 0", f"open('{marker}', 'w') == 1",
                 "().__class__.__base__.__subclasses__() == 1"):
        with pytest.raises(ConditionError):
            parse(text)
    c = parse("max(train_accuracy) == 1 and weights < 10")
    evaluate(c, ENV)
    assert not marker.exists()
    assert called and all(name == "compile" and only_ast for name, only_ast in called)


def test_huge_numbers_are_inf_at_once_never_a_hang():
    assert judge("9 ** 9 ** 9 > 1e308")[0] is True
    assert judge("(10 ** 400) * 0 != 0")[0] is True  # inf * 0 is nan: nan != 0
    assert judge("-(9 ** 9 ** 9) < 0 and 2 ** -9999 == 0")[0] is True
    big = "9" * 390
    assert judge(f"{big} > 1e308")[0] is True
    assert judge("(-8) ** 0.5 == (-8) ** 0.5")[0] is False  # nan, as IEEE says


@pytest.mark.parametrize("text", [
    "(" * (MAX_DEPTH + 1) + "1" + ")" * (MAX_DEPTH + 1) + " > 0",
    "(" * 100_000 + "1" + ")" * 100_000 + " > 0",
    "epochs > " + "-" * 390 + "1",
    "not " * 99 + "epochs > 1",
    "abs(" * 60 + "1" + ")" * 60 + " > 0",
    "epochs " + "+ 1 " * 150 + "> 0",  # a long flat sum nests as deeply as it is long
])
def test_deep_nesting_is_refused_before_it_can_exhaust_the_parser(text):
    before = sys.getrecursionlimit()
    with pytest.raises(ConditionError, match="deep|long|at most"):
        parse(text)
    assert sys.getrecursionlimit() == before


def test_length_is_bounded():
    with pytest.raises(ConditionError, match=f"at most {MAX_LENGTH}"):
        parse("epochs > 1 and " * 40 + "epochs > 1")


def test_nan_in_a_series_is_skipped_by_min_and_argmin_but_not_by_last():
    env = dict(ENV, train_loss=[1.0, math.nan, 0.5, math.inf])
    assert judge("min(train_loss) == 0.5 and argmin(train_loss) == 3", env)[0] is True
    assert judge("last(train_loss) > 1e308", env)[0] is True
