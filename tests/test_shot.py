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
