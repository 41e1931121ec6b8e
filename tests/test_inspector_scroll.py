"""The key line of a phase is in view: at 80×24, xor's backward phase put its
worked δ (the chain rule with its numbers) below the inspector's fold."""

from __future__ import annotations

import nntui  # noqa: F401,I001  first: it pins BLAS to one thread before numpy loads

from nntui.app.app import make_app
from nntui.app.widgets.inspector import StepInspector
from nntui.app.worker import FinishStep, NextPhase
from nntui.experiment.presets import load_preset

async def test_the_worked_delta_of_a_backward_phase_is_in_view_at_80x24():
    app = make_app(load_preset("xor"))
    async with app.run_test(size=(80, 24)) as pilot:
        await app.settle()
        inspector = app.query_one(StepInspector)
        assert inspector.region.height > 0  # 80×24 opens on the inspector (i: the network)
        app.runner.send(FinishStep())
        for _ in range(4):  # forward 1, forward 2, loss, backward 2
            app.runner.send(NextPhase())
        await app.settle()
        await pilot.pause(0.2)
        assert app.runner.latest().snapshot.last_phase.label() == "backward 2"
        key = next(i for i, t in enumerate(inspector.lines_text()) if t.startswith("  δ1["))
        first, rows = inspector._key_rows
        assert first >= key  # (wrapped rows: at least one a line)
        top, height = inspector.scroll_offset.y, inspector.scrollable_content_region.height
        assert first + rows > height, "the test's case: below the fold unscrolled"
        assert top <= first and first + rows <= top + height, (top, height, first, rows)
        # What the terminal shows holds the worked δ.
        shown = [inspector.render_line(y).text for y in range(height)]
        assert any("δ1[" in line and "×" in line for line in shown), shown
        # The next phase opens at its own key line (backward 1: dW1 whole batch), the
        # user's own scrolling within a phase is left alone.
        inspector.scroll_to(y=0, animate=False, immediate=True)
        inspector.invalidate()
        assert inspector.scroll_offset.y == 0
