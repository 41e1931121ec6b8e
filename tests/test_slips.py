"""Small slips a learner met, each fixed: what the screen said was not so."""

from __future__ import annotations

import nntui  # noqa: F401,I001  first: it pins BLAS to one thread before numpy loads

import nntui.app.worker as worker
from nntui.app.widgets.status import steps_per_second
from nntui.app.worker import EngineRunner
from nntui.engine.trainer import Trainer
from nntui.experiment.presets import load_preset


def test_a_phase_a_second_measures_steps_by_their_phases(monkeypatch):
    """At 1 phase/s the status line said '0.0 steps/s': a step of xor takes
    several seconds, and only whole steps were counted."""
    clock = [100.0]
    monkeypatch.setattr(worker.time, "perf_counter", lambda: clock[0])
    runner = EngineRunner(Trainer(load_preset("xor")), playing=True)
    runner.speed = 0  # a phase a second
    n_phases = len(runner.trainer.phases)
    rates = []
    for _ in range(3 * n_phases):
        runner._play(lambda: False)
        rates.append(runner._rate())
        clock[0] += 1.0
    assert all(r > 0 for r in rates[2:])
    assert abs(rates[-1] - 1 / n_phases) < 1e-9
    assert steps_per_second(rates[-1]) == f"{1 / n_phases:.2g} steps/s" != "0.0 steps/s"


def test_steps_per_second_keeps_its_figures():
    assert steps_per_second(0.0) == "0.0 steps/s"
    assert steps_per_second(0.1667) == "0.17 steps/s"
    assert steps_per_second(4.5) == "4.5 steps/s"
    assert steps_per_second(1234.4) == "1,234 steps/s"


async def test_adam_shows_v_max_only_with_amsgrad():
    """The inspector's update listed vₘₐₓ (all zeros) for Adam without amsgrad,
    a state that rule never reads."""
    from test_widgets import SIZE, One, _update_phase_snapshot

    from nntui.app.widgets.inspector import StepInspector

    for amsgrad in (False, True):
        snap = _update_phase_snapshot("adam", {"amsgrad": amsgrad}, steps=2)
        w = StepInspector()
        async with One(w).run_test(size=SIZE) as pilot:
            w.show(snap)
            await pilot.pause()
            text = "\n".join(w.lines_text())
            assert ("vₘₐₓ" in text) == amsgrad, text
            assert "v̂ = " in text and "m = " in text  # the inputs the rule reads stay


def test_cut_matrices_number_their_columns_from_0_as_the_units():
    """'columns 1–6 and 12 of 12' was 1-based, while units are numbered from 0
    everywhere else (h1[0], W1[:,0]). Rows and columns shown are now named by
    their indices, from 0."""
    import numpy as np

    from nntui.app.widgets._common import fmt_mat

    rows = fmt_mat(np.arange(60.0).reshape(5, 12), max_rows=4, max_cols=8)
    assert rows[-1] == "… rows 0–3 of 5, columns 0–5 and 11 of 12 shown"
    assert len(rows) == 5 and rows[0] == "[ 0,  1,  2,  3,  4,  5, …, 11]"


async def test_a_perceptron_has_no_hidden_activation_row():
    """perceptron-and's controls showed 'activation tanh' for a network with
    no hidden layer, whose one unit steps. The row shows only while there is
    a hidden layer for it to act in."""
    from dataclasses import replace

    from textual.app import App

    from nntui.app.widgets.controls import ControlsPanel

    config = load_preset("perceptron-and")
    panel = ControlsPanel(config)

    class One(App):
        def compose(self):
            yield panel

    async with One().run_test(size=(60, 60)) as pilot:
        await pilot.pause()
        row = panel.query_one("#ctl-model-activation").parent
        assert not row.display
        panel.load(replace(config, model=replace(config.model, layers=[2, 4, 1])))
        await pilot.pause()
        assert row.display
