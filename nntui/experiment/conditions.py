"""Conditions a lesson checks on its run: a small language, read once, never executed.

    max(train_accuracy) == 1
    argmin(val_loss) > 10 and last(val_loss) > 1.5 * min(val_loss)
    last(val_accuracy) >= 0.95 and weights <= 30

What it has:
  numbers; the run's series (per epoch): train_loss, val_loss, train_accuracy,
  val_accuracy, and lr and grad_norm_W1, grad_norm_b1, ... when the history holds them;
  scalars: epochs, steps, weights (trainable parameters), best_epoch;
  functions: first last min max mean argmin argmax (of a series; argmin/argmax count
  epochs from 1), at(series, epoch), len(series), abs(x), log10(x), and min/max of numbers;
  + - * / **, comparisons (chained as in maths), and / or / not, parentheses.

The text goes through Python's own parser (`ast.parse(mode="eval")`) and then
through a walk that accepts only the node types above, checking each name and
each function's arguments: an attribute, a string, a lambda, a subscript, a call
of anything but the table's functions are refused, so nothing reaches eval,
compile or attribute access. Text length and nesting are bounded before the
parser sees them (deep parentheses make CPython's parser recurse). Arithmetic is
IEEE float64 (numpy), so `9 ** 9 ** 9` is inf at once, and x / 0 is inf or nan.
"""

from __future__ import annotations

import ast
import math
import re
from dataclasses import dataclass, field
from typing import Any

import numpy as np

MAX_LENGTH = 400  # characters: a condition is a line
MAX_DEPTH = 24  # nested parentheses, and nested nodes of the parsed tree

SERIES = ("train_loss", "val_loss", "train_accuracy", "val_accuracy", "lr")
GRAD_NORM = re.compile(r"grad_norm_[Wb][1-9][0-9]?")  # one layer's gradient norm per epoch
SCALARS = ("epochs", "steps", "weights", "best_epoch")
OF_SERIES = ("first", "last", "min", "max", "mean", "argmin", "argmax", "len")
OF_NUMBER = ("abs", "log10")
FUNCTIONS = ("first", "last", "min", "max", "mean", "argmin", "argmax", "at", "len", "abs", "log10")

ALLOWED = ("numbers; the series " + ", ".join(SERIES) + ", grad_norm_W1, ...; the scalars " + ", ".join(SCALARS)
           + "; the functions " + ", ".join(FUNCTIONS)
           + "; + - * / **, comparisons, and, or, not, parentheses")


class ConditionError(ValueError):
    """A condition that cannot be read; the message says what is wrong and what is allowed."""


def is_series(name: str) -> bool:
    return name in SERIES or GRAD_NORM.fullmatch(name) is not None


# --- reading ------------------------------------------------------------------------

_BIN = {ast.Add: "+", ast.Sub: "-", ast.Mult: "*", ast.Div: "/", ast.Pow: "**"}
_CMP = {ast.Lt: "<", ast.LtE: "<=", ast.Gt: ">", ast.GtE: ">=", ast.Eq: "==", ast.NotEq: "!="}
_NUMBER, _TRUTH, _SERIES = "a number", "a truth (a comparison)", "a series"


@dataclass(frozen=True)
class Condition:
    """A checked condition: its text, and the series and scalars it reads."""

    text: str
    tree: Any = field(repr=False, compare=False)
    names: tuple[str, ...] = ()

    def __str__(self) -> str:
        return self.text


def parse(text: Any) -> Condition:
    """Check `text` as a condition (a truth); ConditionError says why not."""
    if not isinstance(text, str):
        raise ConditionError("must be a condition in quotes, e.g. \"max(train_accuracy) == 1\"")
    if len(text) > MAX_LENGTH:
        raise ConditionError(f"is {len(text)} characters long; a condition has at most {MAX_LENGTH}")
    if not text.strip():
        raise ConditionError(f"is empty; write a comparison, e.g. \"last(val_loss) < 0.1\"; allowed: {ALLOWED}")
    depth = deepest = 0
    for ch in text:
        depth += ch in "([{"
        depth -= ch in ")]}"
        deepest = max(deepest, depth)
    if deepest > MAX_DEPTH:
        raise ConditionError(f"nests parentheses {deepest} deep; at most {MAX_DEPTH}")
    if any(ord(ch) < 32 and ch not in "\t\n" for ch in text):
        raise ConditionError("holds a control character; allowed: " + ALLOWED)
    try:
        tree = ast.parse(text.strip(), mode="eval")
    except (SyntaxError, ValueError) as e:
        raise ConditionError(f"cannot be read ({getattr(e, 'msg', None) or e}); allowed: {ALLOWED}") from None
    except (RecursionError, MemoryError):
        raise ConditionError(f"nests too deeply; at most {MAX_DEPTH} levels") from None
    checker = _Check(text.strip())
    kind = checker.kind(tree.body, 1)
    if kind != _TRUTH:
        raise ConditionError(f"is {kind}, not a truth: compare it, e.g. \"{text.strip()} < 1\"")
    return Condition(text.strip(), tree.body, tuple(dict.fromkeys(checker.names)))


class _Check:
    """The whitelist walk: the kind of each node (number, truth, series), or ConditionError."""

    def __init__(self, text: str):
        self.text = text
        self.names: list[str] = []

    def refuse(self, node, problem: str):
        part = ast.get_source_segment(self.text, node) or ""
        shown = f" '{part}'" if part and len(part) <= 60 else ""
        raise ConditionError(f"{problem}{shown}; allowed: {ALLOWED}")

    def want(self, node, depth: int, kind: str, role: str) -> None:
        got = self.kind(node, depth)
        if got != kind:
            part = ast.get_source_segment(self.text, node) or ""
            raise ConditionError(f"{role} must be {kind}; '{part}' is {got}")

    def kind(self, node, depth: int) -> str:
        if depth > MAX_DEPTH:
            raise ConditionError(f"nests too deeply; at most {MAX_DEPTH} levels")
        d = depth + 1
        if isinstance(node, ast.Constant):
            if isinstance(node.value, bool):
                self.refuse(node, "write a comparison, not")
            if not isinstance(node.value, (int, float)):
                self.refuse(node, "only numbers may be written as values, not")
            return _NUMBER
        if isinstance(node, ast.Name):
            if is_series(node.id):
                self.names.append(node.id)
                return _SERIES
            if node.id in SCALARS:
                self.names.append(node.id)
                return _NUMBER
            if node.id in ("true", "false", "True", "False"):
                self.refuse(node, "write a comparison, not")
            self.refuse(node, "unknown name")
        if isinstance(node, ast.UnaryOp):
            if isinstance(node.op, ast.Not):
                self.want(node.operand, d, _TRUTH, "what 'not' negates")
                return _TRUTH
            if isinstance(node.op, (ast.USub, ast.UAdd)):
                self.want(node.operand, d, _NUMBER, "a sign's operand")
                return _NUMBER
            self.refuse(node, "unknown operator in")
        if isinstance(node, ast.BinOp):
            if type(node.op) not in _BIN:
                self.refuse(node, "unknown operator in")
            self.want(node.left, d, _NUMBER, "arithmetic's operand")
            self.want(node.right, d, _NUMBER, "arithmetic's operand")
            return _NUMBER
        if isinstance(node, ast.BoolOp):
            for v in node.values:
                self.want(v, d, _TRUTH, "each side of 'and'/'or'")
            return _TRUTH
        if isinstance(node, ast.Compare):
            if any(type(op) not in _CMP for op in node.ops):
                self.refuse(node, "unknown comparison in (use < <= > >= == !=)")
            for v in (node.left, *node.comparators):
                self.want(v, d, _NUMBER, "what a comparison compares")
            return _TRUTH
        if isinstance(node, ast.Call):
            return self.call(node, d)
        self.refuse(node, "not allowed:")

    def call(self, node: ast.Call, d: int) -> str:
        if not isinstance(node.func, ast.Name) or node.func.id not in FUNCTIONS:
            self.refuse(node.func, "unknown function")
        name, args = node.func.id, node.args
        if node.keywords or any(isinstance(a, ast.Starred) for a in args):
            self.refuse(node, f"{name}() takes plain arguments, not")
        if name == "at":
            if len(args) != 2:
                self.refuse(node, "at(series, epoch) takes two arguments:")
            self.want(args[0], d, _SERIES, "at()'s first argument")
            self.want(args[1], d, _NUMBER, "at()'s epoch")
            return _NUMBER
        if name in ("min", "max") and len(args) >= 2:  # min/max of numbers
            for a in args:
                self.want(a, d, _NUMBER, f"{name}() of several values: each")
            return _NUMBER
        if len(args) != 1:
            self.refuse(node, f"{name}() takes one argument:")
        if name in OF_SERIES:
            self.want(args[0], d, _SERIES, f"{name}()'s argument")
        else:
            self.want(args[0], d, _NUMBER, f"{name}()'s argument")
        return _NUMBER


# --- judging ------------------------------------------------------------------------


def evaluate(condition: Condition, env: dict[str, Any]) -> tuple[bool, dict[str, float]]:
    """Judge a condition on a run: (holds, the values it used, by their text:
    each function call, series-free scalar and sub-expression a comparison compares).
    `env` maps series names to per-epoch lists and scalar names to numbers; a series
    the run does not have is empty (its first, min, ... are nan, so no comparison holds)."""
    values: dict[str, float] = {}
    with np.errstate(all="ignore"):
        holds = bool(_Eval(condition.text, env, values).value(condition.tree))
    return holds, values


class _Eval:
    def __init__(self, text: str, env: dict[str, Any], values: dict[str, float]):
        self.text, self.env, self.values = text, env, values

    def note(self, node, v):
        part = ast.get_source_segment(self.text, node)
        if part is not None and not isinstance(node, ast.Constant):
            self.values[part] = _plain(v)
        return v

    def series(self, node) -> np.ndarray:
        return np.asarray(self.env.get(node.id, ()), dtype=np.float64)

    def value(self, node):
        if isinstance(node, ast.Constant):
            try:
                return np.float64(float(node.value))
            except OverflowError:  # an integer literal beyond float64
                return np.float64(math.inf)
        if isinstance(node, ast.Name):
            return self.note(node, np.float64(self.env.get(node.id, math.nan)))
        if isinstance(node, ast.UnaryOp):
            v = self.value(node.operand)
            return (not v) if isinstance(node.op, ast.Not) else (-v if isinstance(node.op, ast.USub) else v)
        if isinstance(node, ast.BinOp):
            a, b = self.value(node.left), self.value(node.right)
            op = type(node.op)
            if op is ast.Add:
                return a + b
            if op is ast.Sub:
                return a - b
            if op is ast.Mult:
                return a * b
            if op is ast.Div:
                return np.divide(a, b)
            return np.power(a, b)
        if isinstance(node, ast.BoolOp):
            truths = [self.value(v) for v in node.values]  # every side, for the values it shows
            return all(truths) if isinstance(node.op, ast.And) else any(truths)
        if isinstance(node, ast.Compare):
            left = self.note(node.left, self.value(node.left))
            for op, right_node in zip(node.ops, node.comparators):
                right = self.note(right_node, self.value(right_node))
                if not _compare(type(op), left, right):
                    return False
                left = right
            return True
        return self.note(node, self.call(node))

    def call(self, node: ast.Call):
        name, args = node.func.id, node.args
        if name in ("min", "max") and len(args) >= 2:
            vs = [self.value(a) for a in args]
            return np.float64(np.min(vs) if name == "min" else np.max(vs))
        if name == "at":
            s = self.series(args[0])
            epoch = self.value(args[1])
            if not math.isfinite(epoch) or epoch != int(epoch) or not 1 <= epoch <= len(s):
                return np.float64(math.nan)
            return s[int(epoch) - 1]
        if name in ("abs", "log10"):
            v = self.value(args[0])
            return np.abs(v) if name == "abs" else np.log10(v)
        s = self.series(args[0])
        if name == "len":
            return np.float64(len(s))
        finite = s[np.isfinite(s)] if len(s) else s
        if len(s) == 0 or (name != "first" and name != "last" and len(finite) == 0):
            return np.float64(math.nan)
        if name == "first":
            return s[0]
        if name == "last":
            return s[-1]
        if name == "mean":
            return np.float64(np.mean(s))
        if name in ("min", "max"):
            return np.float64(np.nanmin(s) if name == "min" else np.nanmax(s))
        # argmin/argmax: the first epoch (from 1) that reaches it; a NaN epoch never does
        return np.float64((np.nanargmin(s) if name == "argmin" else np.nanargmax(s)) + 1)


def _compare(op, a, b) -> bool:
    if op is ast.Lt:
        return bool(a < b)
    if op is ast.LtE:
        return bool(a <= b)
    if op is ast.Gt:
        return bool(a > b)
    if op is ast.GtE:
        return bool(a >= b)
    if op is ast.Eq:
        return bool(a == b)
    return bool(a != b)


def _plain(v) -> float:
    v = float(v)
    return int(v) if v.is_integer() and abs(v) < 2**53 else v


def format_values(values: dict[str, float]) -> str:
    """"max(train_accuracy) = 0.75, epochs = 30": the numbers a judgement used."""
    return ", ".join(f"{k} = {_fmt(v)}" for k, v in values.items())


def _fmt(v: float) -> str:
    if isinstance(v, int):
        return str(v)
    return f"{v:.4g}"
