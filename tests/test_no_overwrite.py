"""Writes never replace a file unasked: every verb that writes a file
(train --save, export -o, shot -o) refuses one already there, in one line
naming it and --force, and leaves it byte for byte; --force replaces it
atomically; a resumed runfile saved back into itself needs no --force.
The rule itself is engine/files.py's (write_target, write_atomic)."""

from __future__ import annotations

import os

import pytest
from click.testing import CliRunner

from nntui.cli import main
from nntui.engine.files import FileExists, FileRefused, write_atomic, write_target
from nntui.experiment.runs import load_run

MINE = b"my own file, not to be lost\n"

# Each verb that writes a file, as (arguments before the path, the path's flag, a name for the file,
# a check that the file holds what the verb writes).
VERBS = {
    "train": (("train", "xor", "--epochs", "1", "--json"), "--save", "run.npz",
              lambda p: load_run(p).epoch == 1),
    "export": (("export", "xor", "--to", "pytorch", "--epochs", "3"), "-o", "train.py",
               lambda p: "import torch" in p.read_text()),
    "shot": (("shot", "xor", "--epochs", "0", "--size", "80x24"), "-o", "screen.txt",
             lambda p: "xor" in p.read_text() and len(p.read_text().splitlines()) == 24),
}


def run(*args: str):
    return CliRunner().invoke(main, list(args))


def one_line_error(result, *fragments: str) -> str:
    assert result.exit_code == 2, (result.exit_code, result.stderr, result.output)
    err = result.stderr
    assert err.startswith("nntui: error: ") and err.count("\n") == 1, err
    assert "Traceback" not in err and result.stdout == ""
    for fragment in fragments:
        assert fragment in err, err
    return err


@pytest.mark.parametrize("verb", VERBS)
def test_an_existing_file_is_refused_in_one_line_and_left_as_it_was(tmp_path, verb):
    args, flag, name, _ = VERBS[verb]
    path = tmp_path / name
    path.write_bytes(MINE)
    path.chmod(0o640)
    before = path.stat()
    err = one_line_error(run(*args, flag, str(path)), str(path), "already there", "--force")
    assert err == f"nntui: error: {path}: a file is already there; give --force to replace it\n"
    after = path.stat()
    assert path.read_bytes() == MINE
    assert (after.st_ino, after.st_mtime_ns, after.st_mode) == (before.st_ino, before.st_mtime_ns, before.st_mode)
    assert sorted(os.listdir(tmp_path)) == [name]  # no temporary file left beside it


@pytest.mark.parametrize("verb", VERBS)
def test_force_replaces_it_atomically(tmp_path, verb):
    args, flag, name, holds = VERBS[verb]
    path = tmp_path / name
    path.write_bytes(MINE)
    path.chmod(0o640)
    old_inode = path.stat().st_ino
    keep = tmp_path / "hard-link-to-the-old-file"
    os.link(path, keep)  # a rename gives the name a new file: the old one, still linked here, is whole
    result = run(*args, flag, str(path), "--force")
    assert result.exit_code == 0, result.stderr
    assert holds(path) and path.read_bytes() != MINE
    assert path.stat().st_ino != old_inode and keep.read_bytes() == MINE  # renamed over, never written in place
    assert path.stat().st_mode & 0o777 == 0o640  # the replaced file's mode is kept
    assert sorted(os.listdir(tmp_path)) == sorted([name, keep.name])


@pytest.mark.parametrize("verb", VERBS)
def test_a_new_file_is_written_as_before(tmp_path, verb):
    args, flag, name, holds = VERBS[verb]
    path = tmp_path / name
    result = run(*args, flag, str(path))
    assert result.exit_code == 0, result.stderr
    assert holds(path) and f"{path}" in result.stderr


@pytest.mark.parametrize("verb", VERBS)
def test_every_verb_names_the_same_flag(verb):
    args, _, _, _ = VERBS[verb]
    result = run(args[0], "--help")
    assert result.exit_code == 0
    assert "--force" in result.stdout and "Replace the file if it is already there" in " ".join(result.stdout.split())


def test_a_resumed_runfile_saves_back_into_itself_without_force(tmp_path):
    run_file = tmp_path / "run.npz"
    assert run("train", "xor", "--epochs", "2", "--json", "--save", str(run_file)).exit_code == 0
    # The same file by another spelling: `..`, and a symlink to it.
    (tmp_path / "sub").mkdir()
    link = tmp_path / "link.npz"
    link.symlink_to(run_file)
    for spelling, epoch in ((str(run_file), 3), (str(tmp_path / "sub" / ".." / "run.npz"), 4), (str(link), 5)):
        result = run("train", str(run_file), "--epochs", "1", "--json", "--save", spelling)
        assert result.exit_code == 0, result.stderr
        assert load_run(run_file).epoch == epoch
    assert link.is_symlink() and sorted(os.listdir(tmp_path)) == ["link.npz", "run.npz", "sub"]


def test_a_resumed_runfile_saved_over_another_file_still_needs_force(tmp_path):
    run_file, other = tmp_path / "run.npz", tmp_path / "other.npz"
    assert run("train", "xor", "--epochs", "2", "--json", "--save", str(run_file)).exit_code == 0
    assert run("train", "moons", "--epochs", "1", "--json", "--save", str(other)).exit_code == 0
    kept = other.read_bytes()
    one_line_error(run("train", str(run_file), "--epochs", "1", "--json", "--save", str(other)), str(other), "--force")
    assert other.read_bytes() == kept
    # A preset named like the runfile is no resume: it needs --force too.
    one_line_error(run("train", "xor", "--epochs", "1", "--save", str(run_file)), "--force")
    assert load_run(run_file).epoch == 2


def test_a_device_is_refused_as_one_with_or_without_force(tmp_path):
    for extra in ((), ("--force",)):
        err = one_line_error(run("export", "xor", "--to", "pytorch", "-o", "/dev/null", *extra), "/dev/null")
        assert "character device" in err and "--force" not in err


# --- the rule, in engine/files.py -------------------------------------------------------


def test_write_target_refuses_anything_at_the_path_unless_asked(tmp_path):
    there, dangling = tmp_path / "there.txt", tmp_path / "dangling.txt"
    there.write_bytes(MINE)
    dangling.symlink_to(tmp_path / "nowhere")
    for path in (there, dangling):
        with pytest.raises(FileExists, match="already there"):
            write_target(path, replace=False)
        assert write_target(path, replace=True)
    assert write_target(tmp_path / "new.txt", replace=False) == tmp_path / "new.txt"
    assert issubclass(FileExists, FileRefused)  # every caller that catches FileRefused still does


def test_a_file_made_while_writing_is_not_replaced(tmp_path):
    """The check before writing is not the rule's only guard: the new file
    takes its name by a hard link, which fails if a file appeared meanwhile."""
    path = tmp_path / "out.txt"

    def write(f):
        path.write_bytes(MINE)  # another program saves there while ours writes
        f.write(b"ours")

    with pytest.raises(FileExists):
        write_atomic(path, write, replace=False)
    assert path.read_bytes() == MINE and sorted(os.listdir(tmp_path)) == ["out.txt"]
    write_atomic(path, lambda f: f.write(b"ours"), replace=True)
    assert path.read_bytes() == b"ours"


def test_without_hard_links_a_new_file_is_still_placed(tmp_path, monkeypatch):
    import errno

    def no_links(*_):
        raise OSError(errno.EPERM, "Operation not permitted")

    monkeypatch.setattr(os, "link", no_links)
    path = tmp_path / "out.txt"
    write_atomic(path, lambda f: f.write(b"ours"), replace=False)
    assert path.read_bytes() == b"ours" and sorted(os.listdir(tmp_path)) == ["out.txt"]
    with pytest.raises(FileExists):
        write_atomic(path, lambda f: f.write(b"again"), replace=False)
    assert path.read_bytes() == b"ours"
