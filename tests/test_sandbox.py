"""Classroom mode's rules for a served tab's app (nntui/experiment/sandbox.py):
what it may open, where and under which names it saves."""

from __future__ import annotations

import asyncio
import os
from pathlib import Path

import pytest

from nntui.experiment.presets import load_preset
from nntui.experiment import sandbox
from nntui.experiment.sandbox import ENV_PRESETS, ENV_SAVES, MAX_SAVES, Sandbox, SandboxRefused

LESSON = '''title = "Week 3"
[data]
dataset = "xor"
[model]
layers = [2, 3, 1]
'''


@pytest.fixture
def room(tmp_path: Path) -> Sandbox:
    presets = tmp_path / "presets"
    presets.mkdir()
    (presets / "week3.toml").write_text(LESSON)
    (tmp_path / "outside.toml").write_text(LESSON.replace("Week 3", "secret"))
    (presets / "escape.toml").symlink_to(tmp_path / "outside.toml")
    saves = tmp_path / "saves" / "tab-1"
    saves.mkdir(parents=True)
    return Sandbox(saves, presets)


def test_the_environment_carries_it_to_the_app(room):
    env = room.environ()
    assert Sandbox.from_environ(env) == room
    assert Sandbox.from_environ({}) is None
    assert Sandbox.from_environ({ENV_SAVES: "", ENV_PRESETS: "/x"}) is None
    assert Sandbox.from_environ({ENV_SAVES: str(room.saves)}).presets is None


def test_it_opens_the_lessons_and_the_teachers_folder(room):
    assert room.resolve("xor") == "xor"
    week3 = room.resolve("week3.toml")
    assert week3 == str(room.presets / "week3.toml")
    assert room.resolve("week3") == week3
    assert room.resolve(str(room.presets / "week3.toml")) == week3
    assert load_preset(week3).title == "Week 3"
    names = [name for name, _ in room.preset_titles()]
    assert "xor" in names and "week3.toml" in names
    assert "escape.toml" not in names  # a symlink out of the folder is not its preset
    assert ("week3.toml", "Week 3") in room.preset_titles()


@pytest.mark.parametrize("typed", ["../outside.toml", "escape.toml", "/etc/passwd", "/etc/hostname.toml",
                                   "/no/such/file.toml", "~/x.toml", "saves/tab-1/x.toml", "x\x00.toml", "",
                                   "presets/../outside.toml"])
def test_anything_else_is_refused_the_same_way(room, typed, tmp_path):
    os.chdir(tmp_path)  # relative paths would otherwise find the files beside
    with pytest.raises(SandboxRefused) as refused:
        room.resolve(typed)
    message = str(refused.value)
    assert "this classroom opens only its lessons, by name: " in message
    assert "secret" not in message and "no such" not in message and "exist" not in message


def test_without_a_folder_only_the_lessons_open(tmp_path):
    room = Sandbox(tmp_path)
    assert room.resolve("spiral") == "spiral"
    with pytest.raises(SandboxRefused):
        room.resolve("week3.toml")


def test_a_missing_preset_in_the_folder_is_named(room):
    with pytest.raises(SandboxRefused, match="week4.toml: no such preset in this classroom"):
        room.resolve("week4")


def test_saves_are_named_by_nntui_in_the_tabs_folder_and_never_replace(room):
    first = room.save_paths("../../etc/cron.d/x.npz", (".npz",))
    assert first == (room.saves / "x.npz",)
    second, = room.save_paths("/home/teacher/x.npz", (".npz",))
    assert second == room.saves / "x-2.npz"
    assert first[0].exists() and second.exists()
    weird, = room.save_paths(' ;rm -rf "$HOME"\n.npz', (".npz",))
    assert weird.parent == room.saves and weird.name == "rm--rf-HOME.npz"
    assert room.save_paths("...", (".npz",)) == (room.saves / "run.npz",)


def test_a_drawn_preset_takes_two_names_free_together(room):
    (room.saves / "mine.csv").write_text("taken")
    toml, csv = room.save_paths("mine.toml", (".toml", ".csv"))
    assert (toml.name, csv.name) == ("mine-2.toml", "mine-2.csv")
    assert not (room.saves / "mine.toml").exists()  # the half-free name was given back
    assert (room.saves / "mine.csv").read_text() == "taken"


def test_a_failed_save_gives_its_names_back(room):
    path, = room.save_paths("r.npz", (".npz",))
    room.release(path)
    assert not path.exists()
    kept = room.saves / "kept.npz"
    kept.write_bytes(b"a run")
    room.release(kept, Path("/etc/passwd"))
    assert kept.exists()


def test_a_tab_cannot_fill_the_disk(room):
    for i in range(MAX_SAVES):
        (room.saves / f"f{i}").touch()
    with pytest.raises(SandboxRefused, match=f"the most a tab may keep \\({MAX_SAVES}\\)"):
        room.save_paths("r.npz", (".npz",))


def test_a_symlink_planted_in_the_folder_is_not_followed(room, tmp_path):
    target = tmp_path / "victim.npz"
    target.write_bytes(b"precious")
    (room.saves / "run.npz").symlink_to(target)
    path, = room.save_paths("run.npz", (".npz",))
    assert path == room.saves / "run-2.npz"
    assert target.read_bytes() == b"precious"


@pytest.fixture
def served(room, monkeypatch):
    """This process as a classroom tab's app: the sandbox in its environment."""
    for key, value in room.environ().items():
        monkeypatch.setenv(key, value)
    sandbox.current.cache_clear()
    yield room
    sandbox.current.cache_clear()


def test_what_the_app_calls_without_a_sandbox(tmp_path, monkeypatch):
    monkeypatch.delenv(ENV_SAVES, raising=False)
    sandbox.current.cache_clear()
    assert sandbox.current() is None
    outside = tmp_path / "mine.toml"
    outside.write_text(LESSON)
    assert sandbox.open_preset(str(outside)).title == "Week 3"
    assert [n for n, _ in sandbox.picker_titles()][:1] == ["perceptron-and"]
    with sandbox.save_target("~/x.npz", (".npz",)) as target:
        assert target == Path("~/x.npz").expanduser()


def test_what_the_app_calls_in_a_classroom_tab(served, tmp_path):
    assert sandbox.current() == served
    assert sandbox.open_preset("week3").title == "Week 3"
    with pytest.raises(SandboxRefused):
        sandbox.open_preset(str(tmp_path / "outside.toml"))
    assert ("week3.toml", "Week 3") in sandbox.picker_titles()
    with sandbox.save_target(str(tmp_path / "evil.toml"), (".toml", ".csv")) as target:
        assert target == served.saves / "evil.toml" and (served.saves / "evil.csv").exists()
        target.write_text("saved")
    with pytest.raises(RuntimeError), sandbox.save_target("evil.toml", (".toml", ".csv")) as target:
        assert target.name == "evil-2.toml"
        raise RuntimeError("the save failed")
    assert sorted(p.name for p in served.saves.iterdir()) == ["evil.csv", "evil.toml"]  # evil-2.* given back


async def _wait_saved(path: Path) -> None:
    for _ in range(500):
        if path.is_file() and path.stat().st_size > 0:
            return
        await asyncio.sleep(0.01)
    raise AssertionError(f"{path} was never saved; its folder has {sorted(p.name for p in path.parent.iterdir())}")


async def test_a_classroom_tab_saves_drawn_data_in_its_folder_without_asking(served, tmp_path):
    """ctrl+s on drawn data, typed to a path outside: the preset and its CSV go
    to the tab's folder under the name typed, and a second save of the same name
    is numbered (no question: nothing would be replaced)."""
    from nntui.app.screens.replace import ReplaceDialog
    from tests.test_drawn import SIZE, app_for, click, save_drawn_in_app

    outside = tmp_path / "outside"
    outside.mkdir()
    app = app_for("xor")
    async with app.run_test(size=SIZE) as pilot:
        await app.settle()
        await click(pilot, 5, 3)
        for name in ("mine.toml", "mine-2.toml"):
            await save_drawn_in_app(pilot, outside / "mine.toml")
            await _wait_saved(served.saves / name)
            await _wait_saved((served.saves / name).with_suffix(".csv"))
            await pilot.pause()
            assert not isinstance(app.screen, ReplaceDialog)
        drawn = len(app.main.dataset.x_train)
    assert list(outside.iterdir()) == []
    assert len(load_preset(served.saves / "mine.toml").title) > 0
    from nntui.engine.trainer import Trainer

    assert len(Trainer(load_preset(served.saves / "mine-2.toml")).dataset.x_train) == drawn


async def test_a_classroom_tab_saves_the_experiment_as_a_preset_in_its_folder(served, tmp_path):
    """ctrl+s's preset of the experiment, typed to a path outside, goes to the
    tab's folder, as the drawn data's does."""
    from nntui.app.screens.save import SaveDialog
    from tests.test_drawn import SIZE, app_for

    outside = tmp_path / "outside"
    outside.mkdir()
    app = app_for("xor")
    async with app.run_test(size=SIZE) as pilot:
        await app.settle()
        await pilot.press("ctrl+s")
        await pilot.pause()
        assert isinstance(app.screen, SaveDialog)
        field = app.screen.query_one("#preset-path")
        field.value = str(outside / "mine.toml")
        field.focus()
        await pilot.press("enter")
        await _wait_saved(served.saves / "mine.toml")
    assert list(outside.iterdir()) == []
    assert load_preset(served.saves / "mine.toml").model == load_preset("xor").model
