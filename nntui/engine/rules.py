"""An update rule written once, as formulas that are both computed and shown.

An optimizer explains its update as a list of rows, each ``target = formula``
in Python syntax over the names that came before it (``g``, ``W``, ``buf``,
``lr``, ``mu``, ...). The row's number is the formula *evaluated*, and the
text the inspector shows is the same formula *printed* (``mu*buf`` becomes
``μ·buf``). So the text and the numbers on screen cannot disagree: there is
no second copy of the rule to drift, and a test checks the last row against
the update the optimizer actually applied.

Only the engine writes formulas (never user input); they are evaluated with
no builtins, over NumPy arrays and floats.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from functools import lru_cache

import numpy as np

# What a formula may call, besides + - * / ** and parentheses.
_FUNCTIONS = {"sqrt": np.sqrt, "sign": np.sign, "maximum": np.maximum}

# How a name is printed (math's own symbols, torch's documentation's names).
SYMBOLS = {
    "mu": "μ", "lam": "λ", "alpha": "α", "eps": "ε", "beta1": "β₁", "beta2": "β₂",
    "damp": "τ", "m_hat": "m̂", "v_hat": "v̂", "v_max": "vₘₐₓ", "gbar": "ḡ", "acc": "sum",
    "maximum": "max", "sqrt": "√",
}
_TOKEN = re.compile(r"\*\*2|\*\*t|\*\*|[A-Za-z_][A-Za-z_0-9]*|\d+\.?\d*(?:e-?\d+)?|\s+|.")
_OPERATORS = {"**2": "²", "**t": "ᵗ", "**": "^", "*": "·", "-": "−"}


@dataclass(frozen=True)
class Row:
    """One line of a rule: ``target = formula`` and the number it comes to.

    ``target`` may repeat an earlier name (``g = g + lam*W``): the row then
    replaces it, as torch's code does (``grad = grad.add(param, alpha=wd)``).
    """

    target: str
    formula: str
    value: np.ndarray | float
    note: str = ""

    def text(self, param: str) -> str:
        """``ΔW1 = −lr·g``: the row as printed for parameter ``param``."""
        return f"{show(self.target, param)} = {show(self.formula, param)}"


@dataclass(frozen=True)
class Rule:
    """How one parameter's update is computed: its inputs, then its rows.

    ``inputs`` are the arrays the rule starts from (``g`` the batch gradient,
    ``W`` the parameter, the optimizer's state before the step), ``scalars``
    the numbers it uses (``lr``, ``mu``, ``t``...). The last row is always
    ``dW``, the update the optimizer applies.
    """

    param: str
    inputs: dict[str, np.ndarray] = field(default_factory=dict)
    scalars: dict[str, float] = field(default_factory=dict)
    rows: tuple[Row, ...] = ()

    @property
    def delta(self) -> np.ndarray:
        return self.rows[-1].value


def evaluate(param: str, inputs: dict, scalars: dict, formulas) -> Rule:
    """Compute each ``(target, formula[, note])`` in turn over the names so far."""
    env = {**scalars, **inputs}
    rows = []
    with np.errstate(all="ignore"):  # a diverging step is shown, not warned about
        for target, formula, *note in formulas:
            value = eval(_compiled(formula), {"__builtins__": {}, **_FUNCTIONS}, env)  # noqa: S307
            value = value if isinstance(value, np.ndarray) else float(value)
            env[target] = value
            rows.append(Row(target, formula, value, note[0] if note else ""))
    used = {name for r in rows for name in _names(r.formula)}
    return Rule(param, dict(inputs), {k: float(v) for k, v in scalars.items() if k in used}, tuple(rows))


@lru_cache(maxsize=256)
def _compiled(formula: str):
    return compile(formula, "<rule>", "eval")


@lru_cache(maxsize=256)
def _names(formula: str) -> frozenset[str]:
    return frozenset(re.findall(r"[A-Za-z_][A-Za-z_0-9]*", formula))


def show(formula: str, param: str = "W", symbols: dict[str, str] | None = None) -> str:
    """A formula as a learner reads it: ``-lr*m_hat/(sqrt(v_hat) + eps)`` ->
    ``−lr·m̂/(√(v̂) + ε)``; ``W`` is the parameter's own name (W1, b2, ...)."""
    out = []
    for tok in _TOKEN.findall(formula):
        if tok == "W":
            out.append(param)
        elif tok == "dW":
            out.append(f"Δ{param}")
        elif symbols and tok in symbols:
            out.append(symbols[tok])
        else:
            out.append(_OPERATORS.get(tok) or SYMBOLS.get(tok, tok))
    return "".join(out)
