"""Saving the run (a runfile) or drawn data (a preset), and the gradient check:
work done off the screen's thread, reported by a notice or a dialog."""

from __future__ import annotations

import asyncio
import traceback
from pathlib import Path
from typing import TYPE_CHECKING

from nntui.app.screens.gradcheck import GradcheckScreen
from nntui.app.screens.save import SaveDialog, SavePreset
from nntui.engine import drawn
from nntui.engine.trainer import Trainer

if TYPE_CHECKING:
    from nntui.app.main_screen import MainScreen


class Saving:
    def __init__(self, screen: MainScreen) -> None:
        self.screen = screen

    def default_path(self) -> str:
        shown = self.screen.shown
        return f"./{self.screen.config.name or 'run'}-step{shown.step if shown is not None else 0}.npz"

    def ask(self) -> None:
        """ctrl+s: the dialog, offering drawn data as a preset too."""
        s = self.screen
        preset = f"./{s.config.name or 'my'}-drawn.toml" if drawn.is_drawn(s.dataset) else None
        s.app.push_screen(SaveDialog(self.default_path(), preset), self._chosen)

    def _chosen(self, answer: str | SavePreset | None) -> None:
        if isinstance(answer, SavePreset):
            self.screen.run_worker(self.save_drawn(answer.path), exclusive=False, group="save")
        elif answer:
            self.save_run(answer)

    def save_run(self, path: str) -> None:
        s = self.screen
        if drawn.is_drawn(s.dataset) and not len(s.dataset.x_train):
            s.show_error("Cannot save the run", "there are no points: a run needs at least one to train on")
            return
        s.run_worker(self._save_run(path), exclusive=False, group="save")

    async def _save_run(self, path: str) -> None:
        from nntui.engine.runfile import RunfileError, save_run

        s = self.screen
        target = Path(path).expanduser()
        try:
            written = await asyncio.wrap_future(s.runner.submit(lambda tr: save_run(tr, target)))
        except RunfileError as exc:  # one line that names the file already
            s.show_error("Cannot save the run", str(exc))
            return
        except Exception as exc:  # noqa: BLE001
            s.show_error("Cannot save the run", f"{target}: {exc}")
            return
        s.notify(f"Saved to {written or target}", title="Run saved", timeout=4)

    async def save_drawn(self, path: str) -> None:
        """The drawn points as a preset: a CSV and a TOML that reads it
        (experiment/drawn_preset.py), written off the screen's thread."""
        from nntui.engine.files import FileRefused
        from nntui.experiment.drawn_preset import DrawnSaveError, save_drawn_preset

        s = self.screen
        try:
            toml_path, csv_path = await asyncio.to_thread(save_drawn_preset, s.config, s.dataset, path)
        except (DrawnSaveError, FileRefused) as exc:
            s.show_error("Cannot save the drawn data", str(exc))
            return
        except Exception as exc:  # noqa: BLE001
            s.show_error("Cannot save the drawn data", f"{path}: {exc}", traceback.format_exc())
            return
        s.notify(f"Saved {len(s.dataset.x_train)} points: {toml_path} and {csv_path.name} beside it. "
                 f"Reopen with o or nntui --preset {toml_path}", title="Drawn data saved", timeout=6)

    def gradcheck(self) -> None:
        self.screen.run_worker(self._gradcheck(), exclusive=True, group="grad")

    async def _gradcheck(self) -> None:
        from nntui.engine.gradcheck import gradcheck

        def check(tr: Trainer) -> tuple[dict[str, float], int]:
            return gradcheck(tr), tr.step

        s = self.screen
        s.notify("Checking gradients…", timeout=1)
        try:
            errors, step = await asyncio.wrap_future(s.runner.submit(check))
        except Exception as exc:  # noqa: BLE001
            s.show_error("Gradient check failed", str(exc))
            return
        s.app.push_screen(GradcheckScreen(errors, step))
