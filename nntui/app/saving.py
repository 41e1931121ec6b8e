"""Saving the run (a runfile), the experiment or drawn data (a preset), and the gradient check:
work done off the screen's thread, reported by a notice or a dialog."""

from __future__ import annotations

import asyncio
import traceback
from typing import TYPE_CHECKING

from nntui.app.screens.gradcheck import GradcheckScreen
from nntui.app.screens.save import SaveDialog, SavePreset
from nntui.engine import drawn
from nntui.engine.trainer import Trainer
from nntui.experiment import sandbox

if TYPE_CHECKING:
    from nntui.app.main_screen import MainScreen


class Saving:
    def __init__(self, screen: MainScreen) -> None:
        self.screen = screen

    def default_path(self) -> str:
        shown = self.screen.shown
        return f"./{self.screen.config.name or 'run'}-step{shown.step if shown is not None else 0}.npz"

    def ask(self) -> None:
        """ctrl+s: the dialog: the run, or the experiment as a preset (drawn
        data: its points too)."""
        s = self.screen
        is_drawn = drawn.is_drawn(s.dataset)
        preset = f"./{s.config.name or 'my'}-{'drawn' if is_drawn else 'mine'}.toml"
        s.app.push_screen(SaveDialog(self.default_path(), preset, drawn=is_drawn), self._chosen)

    def _chosen(self, answer: str | SavePreset | None) -> None:
        if isinstance(answer, SavePreset):
            if drawn.is_drawn(self.screen.dataset):
                self.screen.run_worker(self.save_drawn(answer.path), exclusive=False, group="save")
            else:
                self.screen.run_worker(self.save_preset(answer), exclusive=False, group="save")
        elif answer:
            self.save_run(answer)

    async def save_preset(self, answer: SavePreset, replace: bool = False) -> None:
        """The experiment, every edit included, as a preset that reopens the
        same run (experiment/preset_file.py), written off the screen's thread.
        A file already there is replaced only once the user says so."""
        from nntui.app.screens.replace import ReplaceDialog
        from nntui.engine.files import FileRefused
        from nntui.experiment.preset_file import PresetExists, save_preset

        s = self.screen
        try:
            with sandbox.save_target(answer.path, (".toml",)) as target:  # classroom mode: in the tab's own folder
                # Sandboxed, the target is an empty file made for this save: filling it replaces nothing.
                replace = replace or sandbox.current() is not None
                path = await asyncio.to_thread(save_preset, s.config, target, replace=replace)
        except PresetExists as exc:
            s.app.push_screen(ReplaceDialog(str(exc)), lambda yes: yes and s.run_worker(
                self.save_preset(answer, replace=True), exclusive=False, group="save"))
            return
        except (FileRefused, sandbox.SandboxRefused) as exc:  # one line naming the file
            s.show_error("Cannot save the preset", str(exc))
            return
        except Exception as exc:  # noqa: BLE001
            s.show_error("Cannot save the preset", f"{answer.path}: {exc}", traceback.format_exc())
            return
        s.notify(f"Saved {s.config.title or s.config.name} to {path}. Reopen with o or nntui --preset {path}",
                 title="Preset saved", timeout=6)

    def save_run(self, path: str) -> None:
        s = self.screen
        if drawn.is_drawn(s.dataset) and not len(s.dataset.x_train):
            s.show_error("Cannot save the run", "there are no points: a run needs at least one to train on")
            return
        s.run_worker(self._save_run(path), exclusive=False, group="save")

    async def _save_run(self, path: str, replace: bool = False) -> None:
        """A runfile already there is replaced only once the user says so."""
        from nntui.app.screens.replace import ReplaceDialog
        from nntui.engine.files import FileExists, FileRefused
        from nntui.engine.runfile import RunfileError, save_run

        s = self.screen
        try:
            with sandbox.save_target(path, (".npz",)) as target:  # classroom mode: in the tab's own folder
                # Sandboxed, the target is an empty file made for this save: filling it replaces nothing.
                replace = replace or sandbox.current() is not None
                written = await asyncio.wrap_future(s.runner.submit(lambda tr: save_run(tr, target, replace=replace)))
        except FileExists as exc:
            s.app.push_screen(ReplaceDialog(str(exc)), lambda yes: yes and s.run_worker(
                self._save_run(path, replace=True), exclusive=False, group="save"))
            return
        except (RunfileError, FileRefused, sandbox.SandboxRefused) as exc:  # one line that names the file
            s.show_error("Cannot save the run", str(exc))
            return
        except Exception as exc:  # noqa: BLE001
            s.show_error("Cannot save the run", f"{path}: {exc}")
            return
        s.notify(f"Saved to {written or target}", title="Run saved", timeout=4)

    async def save_drawn(self, path: str, replace: bool = False) -> None:
        """The drawn points as a preset: a CSV and a TOML that reads it
        (experiment/drawn_preset.py), written off the screen's thread. Files
        already there are replaced only once the user says so."""
        from nntui.app.screens.replace import ReplaceDialog
        from nntui.engine.files import FileRefused
        from nntui.experiment.drawn_preset import DrawnExists, DrawnSaveError, save_drawn_preset

        s = self.screen
        try:
            with sandbox.save_target(path, (".toml", ".csv")) as target:  # classroom mode: in the tab's own folder
                # Sandboxed, the target is a pair of empty files made for this save: filling them replaces nothing.
                replace = replace or sandbox.current() is not None
                toml_path, csv_path = await asyncio.to_thread(save_drawn_preset, s.config, s.dataset, target, replace)
        except DrawnExists as exc:
            s.app.push_screen(ReplaceDialog(str(exc)), lambda yes: yes and self._replace_drawn(path))
            return
        except (DrawnSaveError, FileRefused, sandbox.SandboxRefused) as exc:
            s.show_error("Cannot save the drawn data", str(exc))
            return
        except Exception as exc:  # noqa: BLE001
            s.show_error("Cannot save the drawn data", f"{path}: {exc}", traceback.format_exc())
            return
        s.notify(f"Saved {len(s.dataset.x_train)} points: {toml_path} and {csv_path.name} beside it. "
                 f"Reopen with o or nntui --preset {toml_path}", title="Drawn data saved", timeout=6)

    def _replace_drawn(self, path: str) -> None:
        self.screen.run_worker(self.save_drawn(path, replace=True), exclusive=False, group="save")

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
