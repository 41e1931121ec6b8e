"""`nntui shot`: the app run headless, trained, and its screen saved."""

from __future__ import annotations

import pytest
from click.testing import CliRunner

from nntui.cli import main


def run(*args):
    return CliRunner().invoke(main, list(args))


def test_a_plain_text_shot_is_the_screen_after_the_epochs(tmp_path):
    out = tmp_path / "xor.txt"
    result = run("shot", "xor", "--epochs", "3", "--size", "100x30", "-o", str(out))
    assert result.exit_code == 0, result.stderr
    lines = out.read_text().splitlines()
    assert len(lines) == 30 and max(map(len, lines)) <= 100
    assert "xor" in lines[1] and "step 30" in lines[1]  # 3 epochs of 10 batches, on the status line
    assert "\x1b" not in out.read_text()
    assert "wrote" in result.stderr and "after 3 epochs" in result.stderr


def test_an_svg_shot_is_textuals_screenshot(tmp_path):
    out = tmp_path / "xor.svg"
    result = run("shot", "xor", "--epochs", "1", "--size", "80x24", "-o", str(out))
    assert result.exit_code == 0, result.stderr
    svg = out.read_text()
    assert svg.lstrip().startswith("<svg") and "rich-terminal" in svg and "xor" in svg


@pytest.mark.parametrize("args, words", [
    (["--view", "boundry"], ["--view boundry", "did you mean 'boundary'", "race"]),
    (["--view", "race"], ["declares no [compare] variants"]),
    (["--size", "160"], ["COLUMNSxROWS"]),
    (["--size", "30x10"], ["from 60x20"]),
    (["--epochs", "-1"], ["--epochs -1"]),
    (["--keys", "q"], ["--keys q", "quits the app"]),
    (["--keys", "n;rm -rf"], ["'n;rm' is not a key"]),
])
def test_bad_flags_are_one_line(tmp_path, args, words):
    result = run("shot", "xor", *args, "-o", str(tmp_path / "a.txt"))
    assert result.exit_code == 2, result.stderr
    assert result.stderr.startswith("nntui: error: ") and result.stderr.count("\n") == 1
    for w in words:
        assert w in result.stderr, result.stderr
    assert not (tmp_path / "a.txt").exists()


def test_the_picture_needs_an_svg_or_txt_name(tmp_path):
    result = run("shot", "xor", "-o", str(tmp_path / "a.png"))
    assert result.exit_code == 2 and ".svg" in result.stderr and ".txt" in result.stderr


# Each view, and what on the screen says it is there (its title, in plain text).
VIEW_SHOTS = {
    "status": ("xor", "step 20"), "network": ("xor", "network"), "inspector": ("xor", "step inspector"),
    "boundary": ("xor", "boundary"), "loss": ("xor", "loss"), "heatmaps": ("xor", "weights"),
    "confusion": ("xor", "confusion"), "gradients": ("xor", "gradients"), "hidden": ("xor", "hidden space"),
    "landscape": ("xor", "loss landscape"), "mistakes": ("digits", "mistakes"), "sample": ("digits", "sample"),
    "units": ("digits", "units"), "race": ("optimizers", "race · epoch 2/60"),
    "race-landscape": ("valley", "every variant from the same start"),
}


def test_every_view_is_named_here_and_in_the_help():
    from nntui.app.shots import view_names
    from nntui.cli.shot import VIEW_NAMES

    assert set(view_names()) == set(VIEW_SHOTS) and tuple(view_names()) == VIEW_NAMES
    assert ", ".join(VIEW_NAMES) in " ".join(run("shot", "--help").output.split())


@pytest.mark.parametrize("view", sorted(VIEW_SHOTS))
def test_every_view_can_be_shot(tmp_path, view):
    preset, shown = VIEW_SHOTS[view]
    out = tmp_path / f"{view}.txt"
    result = run("shot", preset, "--epochs", "2", "--view", view, "--size", "100x30", "-o", str(out))
    assert result.exit_code == 0, result.stderr
    text = out.read_text()
    assert shown in text, text
    assert f"the {view} view" in result.stderr


def test_the_race_landscape_shot_is_the_race_after_its_epochs(tmp_path):
    out = tmp_path / "valley.txt"
    result = run("shot", "valley", "--epochs", "40", "--view", "race-landscape", "--size", "100x30", "-o", str(out))
    assert result.exit_code == 0, result.stderr
    text = out.read_text()
    assert "epoch 40/100 · paused" in text and "→ W1[0,0]" in text and "↑ b1[0]" in text
    assert all(d in text for d in "123S")  # every variant's path in 16 colours: its digit


def test_keys_are_pressed_before_the_picture(tmp_path):
    """n five times from a step boundary: the forward passes, the loss, the output layer's backward."""
    out = tmp_path / "phases.txt"
    result = run("shot", "xor", "--epochs", "5", "--keys", "n n n n n", "--size", "100x30", "-o", str(out))
    assert result.exit_code == 0, result.stderr
    status = out.read_text().splitlines()[1]
    assert "step 51" in status and "backward 1" in status and "next update" in status
