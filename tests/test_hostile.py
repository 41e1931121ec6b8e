"""Hostile input and faults (issue 13): nothing hangs, nothing blows up,
nothing the user made is lost.

The corpus is generated here: damaged runfiles (two of them zip bombs), a
FIFO, /dev/zero and a folder as preset, CSV and save target, deep TOML, a
300-character name and a markup-laden path. Every CLI case runs the real
command in a subprocess, under a 3 GB address-space limit and a timeout, so a
hang or a runaway allocation fails the test instead of stalling it.
"""

from __future__ import annotations

import asyncio
import io
import json
import os
import resource
import shutil
import stat
import struct
import subprocess
import sys
import zipfile
import zlib
from pathlib import Path

import numpy as np
import pytest

from nntui.experiment.config import override
from nntui.engine.runfile import RunfileError, save_run
from nntui.engine.trainer import Trainer
from nntui.experiment.presets import load_preset
from nntui.experiment.runs import load_run

ADDRESS_SPACE = 3 * 2**30
TIMEOUT = 20


def _limits():  # in the child, before exec
    resource.setrlimit(resource.RLIMIT_AS, (ADDRESS_SPACE, ADDRESS_SPACE))


def nntui(*args: str, cwd=None, timeout: float = TIMEOUT, prefix: tuple[str, ...] = ()) -> subprocess.CompletedProcess:
    """The `nntui` console script in a fresh process, as a user runs it
    (`prefix`: a command to run it under, such as setpriv)."""
    env = dict(os.environ, NO_COLOR="1", COLUMNS="100")
    code = "import sys; sys.argv[0] = 'nntui'; from nntui.cli import run; run()"
    return subprocess.run([*prefix, sys.executable, "-c", code, *args], capture_output=True, text=True,
                          timeout=timeout, cwd=cwd, env=env, preexec_fn=_limits)


def refused(p: subprocess.CompletedProcess, *fragments: str) -> str:
    """Exit 2, one line on stderr, no traceback, each fragment in it."""
    err = p.stderr
    assert p.returncode == 2, (p.returncode, err[-2000:])
    assert "Traceback" not in err, err[-2000:]
    assert err.startswith("nntui: error: ") and err.count("\n") == 1, err
    for f in fragments:
        assert f in err, err
    return err


# --- the corpus -----------------------------------------------------------------------------


@pytest.fixture(scope="module")
def good_run(tmp_path_factory) -> Path:
    """A good runfile: xor with Adam (so there is optimizer state), mid-epoch."""
    config = override(load_preset("xor"), optimizer="adam", learning_rate=0.01, epochs=3)
    tr = Trainer(config)
    tr.run_steps(25)
    path = tmp_path_factory.mktemp("good") / "good.npz"
    save_run(tr, path)
    return path


def members(path: Path) -> dict:
    with np.load(path, allow_pickle=False) as z:
        return {k: z[k] for k in z.files}


def meta_with(a: dict, **changes) -> dict:
    meta = json.loads(str(a["meta"]))
    meta.update(changes)
    return {**a, "meta": np.array(json.dumps(meta))}


def config_with(a: dict, section: str, key: str, value) -> dict:
    config = json.loads(str(a["config"]))
    config[section][key] = value
    return {**a, "config": np.array(json.dumps(config))}


def without(a: dict, *prefixes: str) -> dict:
    """The members but those whose names start with one of `prefixes`."""
    return {k: v for k, v in a.items() if not k.startswith(prefixes)}


def _raw_zip(entries: list[tuple[str, bytes, int, int, int]]) -> bytes:
    """A zip archive from (name, data as stored, crc, size, method) entries, so a
    member's compressed stream can be built without inflating it first."""
    out, central = io.BytesIO(), io.BytesIO()
    for name, data, crc, size, method in entries:
        offset = out.tell()
        n = name.encode()
        out.write(struct.pack("<4s5H3L2H", b"PK\x03\x04", 20, 0, method, 0, 0, crc, len(data), size, len(n), 0))
        out.write(n)
        out.write(data)
        central.write(struct.pack("<4s6H3L5H2L", b"PK\x01\x02", 20, 20, 0, method, 0, 0, crc, len(data), size,
                                  len(n), 0, 0, 0, 0, 0, offset))
        central.write(n)
    cd = central.getvalue()
    count = len(entries)
    return out.getvalue() + cd + struct.pack("<4s4H2LH", b"PK\x05\x06", 0, 0, count, count, len(cd), out.tell(), 0)


def _stored(a: dict) -> list:
    entries = []
    for k, v in a.items():
        buf = io.BytesIO()
        np.lib.format.write_array(buf, np.asanyarray(v), allow_pickle=False)
        data = buf.getvalue()
        entries.append((f"{k}.npy", data, zlib.crc32(data), len(data), 0))
    return entries


def _zeros_deflated(size: int) -> tuple[bytes, int]:
    """A raw deflate stream of `size` zero bytes, built from one compressed
    block repeated (a full flush makes each block stand alone), and its CRC."""
    chunk = 2**24
    assert size % chunk == 0
    c = zlib.compressobj(9, zlib.DEFLATED, -15)
    block = c.compress(bytes(chunk)) + c.flush(zlib.Z_FULL_FLUSH)
    stream = block * (size // chunk) + zlib.compressobj(9, zlib.DEFLATED, -15).flush()
    crc, zeros = 0, bytes(chunk)
    for _ in range(size // chunk):
        crc = zlib.crc32(zeros, crc)
    return stream, crc


def zip_bomb_unused_member(a: dict) -> bytes:
    """A 2 GiB member of zeros that the format does not define, in a few MB."""
    stream, crc = _zeros_deflated(2**31 - 2**24)
    return _raw_zip(_stored(a) + [("padding.npy", stream, crc, 2**31 - 2**24, 8)])


def zip_bomb_history(a: dict) -> bytes:
    """history_batch_loss: 50 million zeros (400 MB) in a few hundred KB, for a run of 25 steps."""
    n = 50_000_000
    header = io.BytesIO()
    np.lib.format.write_array_header_1_0(header, {"descr": "<f8", "fortran_order": False, "shape": (n,)})
    head = header.getvalue()
    body = 8 * n
    pad = (-body) % 2**24
    c = zlib.compressobj(9, zlib.DEFLATED, -15)
    zeros_part = body + pad
    stream = c.compress(head)
    stream += c.flush(zlib.Z_FULL_FLUSH)
    block_c = zlib.compressobj(9, zlib.DEFLATED, -15)
    block = block_c.compress(bytes(2**24)) + block_c.flush(zlib.Z_FULL_FLUSH)
    stream += block * (zeros_part // 2**24) + zlib.compressobj(9, zlib.DEFLATED, -15).flush()
    crc = zlib.crc32(head)
    for _ in range(zeros_part // 2**24):
        crc = zlib.crc32(bytes(2**24), crc)
    entries = [e for e in _stored(a) if e[0] != "history_batch_loss.npy"]
    return _raw_zip(entries + [("history_batch_loss.npy", stream, crc, len(head) + zeros_part, 8)])


def damaged(a: dict) -> dict:
    """name -> (members or raw bytes, a word the refusal must contain)."""
    x = a["x_train"]
    y = a["y_train"]
    n = len(x)
    return {
        "nan-weight": ({**a, "W1": np.where(np.eye(*a["W1"].shape, dtype=bool), np.nan, a["W1"])}, "'W1'"),
        "inf-bias": ({**a, "b2": np.full_like(a["b2"], np.inf)}, "'b2'"),
        "inf-initial-weight": ({**a, "init_W2": a["init_W2"] * np.inf}, "'init_W2'"),
        "nan-data": ({**a, "x_train": np.where(np.arange(x.size).reshape(x.shape) == 3, np.nan, x)}, "'x_train'"),
        "inf-adam-state": ({**a, "optimizer/W1/exp_avg_sq": np.full_like(a["W1"], np.inf)}, "exp_avg_sq"),
        "inf-history": ({**a, "history_batch_loss": np.full_like(a["history_batch_loss"], np.inf)}, "history_batch_loss"),
        "three-columns": ({**a, "x_train": np.hstack([x, x[:, :1]]), "x_val": np.hstack([a["x_val"], a["x_val"][:, :1]])},
                          "3"),
        "empty-x-train": ({**a, "x_train": x[:0], "y_train": y[:0]}, "x_train"),
        "batch-999": (meta_with(a, batch=999), "'batch'"),
        "adam-state-wrong-shape": ({**a, "optimizer/W1/exp_avg": a["optimizer/W1/exp_avg"].T.copy()}, "shape"),
        "adam-state-unknown-parameter": ({**a, "optimizer/W7/exp_avg": a["W1"]}, "W7"),
        "adam-state-unknown-slot": ({**a, "optimizer/W1/momentum_buffer": a["W1"]}, "momentum_buffer"),
        "adam-state-missing": (without(a, "optimizer/W", "optimizer/b"), "optimizer/"),
        "adam-step-count-float": ({**a, "optimizer/t": np.array(2.5)}, "optimizer/t"),
        "label-7": ({**a, "y_train": np.where(np.arange(n)[:, None] == 0, 7.0, y)}, "label"),
        "label-half": ({**a, "y_train": np.full_like(y, 0.5)}, "label"),
        "four-class-names": (meta_with(a, classes=["a", "b", "c", "d"]), "classes"),
        "epoch-1e30": (meta_with(a, epoch=10**30), "'epoch'"),
        "history-short": (meta_with(a, epoch=7, step=75), "history_"),
        "step-not-epochs": (meta_with(a, epoch=7), "'step'"),
        "weights-as-strings": ({**a, "W1": a["W1"].astype(str)}, "text"),
        "weights-complex": ({**a, "W1": a["W1"] + 1j}, "complex"),
        "x-as-strings": ({**a, "x_train": x.astype(str)}, "text"),
        "unknown-member": ({**a, "evil": np.zeros(3)}, "unexpected member"),
        "meta-not-json": ({**a, "meta": np.array("{not json")}, "JSON"),
        "no-meta": (without(a, "meta"), "not an nntui runfile"),
        "layers-not-a-list": (config_with(a, "model", "layers", "2-4-1"), "model.layers"),
        "tally-nan": (meta_with(a, tally=[float("nan"), 0]), "tally"),
        "lr-negative": (meta_with(a, lr=-1.0), "'lr'"),
        "init-wrong-shape": ({**a, "init_W1": a["init_W1"][:1]}, "init_W1"),
        "rows-mismatch": ({**a, "y_train": y[:-1]}, "y_train"),
        "feature-names-count": (meta_with(a, feature_names=["x1"]), "feature_names"),
        "missing-weight": (without(a, "W2"), "W2"),  # (init_W2 stays)
        "truncated": (None, "truncated"),
        "zip-bomb-unused-2GiB": ("bomb1", "unexpected member"),
        "zip-bomb-history-50M": ("bomb2", "history_batch_loss"),
        # The same 400 MB history with a step count to match: 'step' disagrees with the
        # epochs, and is refused before the history (a list of 50 million floats) is read.
        "zip-bomb-history-50M-steps": ("bomb3", "'step'"),
    }


@pytest.fixture(scope="module")
def corpus(good_run, tmp_path_factory) -> dict[str, tuple[Path, str]]:
    folder = tmp_path_factory.mktemp("hostile")
    a = members(good_run)
    out = {}
    for name, (content, word) in damaged(a).items():
        path = folder / f"{name}.npz"
        if content is None:
            data = good_run.read_bytes()
            path.write_bytes(data[: len(data) // 2])
        elif content == "bomb1":
            path.write_bytes(zip_bomb_unused_member(a))
        elif content == "bomb2":
            path.write_bytes(zip_bomb_history(a))
        elif content == "bomb3":
            path.write_bytes(zip_bomb_history(meta_with(a, step=50_000_000)))
        else:
            np.savez(path, **content)
        out[name] = (path, word)
    return out


def test_the_corpus_has_thirty_damaged_runfiles_and_two_bombs(corpus):
    assert len(corpus) >= 30
    bomb = corpus["zip-bomb-unused-2GiB"][0]
    assert bomb.stat().st_size < 20 * 2**20
    with zipfile.ZipFile(bomb) as zf:
        assert sum(i.file_size for i in zf.infolist()) > 2**31 - 2**25  # what it would inflate to
    with zipfile.ZipFile(corpus["zip-bomb-history-50M"][0]) as zf:
        assert zf.getinfo("history_batch_loss.npy").file_size > 400_000_000


def test_the_good_runfile_is_accepted(good_run):
    tr = load_run(good_run)
    assert tr.step == 25


def test_every_damaged_runfile_is_refused_in_one_line(corpus):
    for name, (path, word) in corpus.items():
        with pytest.raises(RunfileError) as info:
            load_run(path)
        msg = str(info.value)
        assert str(path) in msg and "\n" not in msg, (name, msg)
        assert word in msg, (name, msg)


def test_every_damaged_runfile_is_refused_by_the_cli_within_limits(corpus):
    """The real command, under 3 GB of address space and 20 s each: exit 2,
    one line naming the file, for `nntui train RUN.npz` (the bombs under the
    app's --load too, which shares the loader)."""
    for name, (path, word) in corpus.items():
        refused(nntui("train", str(path), "--epochs", "1"), str(path), word)
    for name in ("zip-bomb-unused-2GiB", "zip-bomb-history-50M"):
        path, word = corpus[name]
        refused(nntui("--load", str(path)), word)


# --- files and paths ------------------------------------------------------------------------


def device_in(folder: Path) -> str:
    """A character device to save to. As root, a null device made in `folder`
    (were the check ever lost, a test run as root would replace /dev/null
    itself, as the issue found); otherwise /dev/null, which only root can replace."""
    if os.geteuid() != 0:
        return "/dev/null"
    path = folder / "null-device"
    os.mknod(path, stat.S_IFCHR | 0o666, os.makedev(1, 3))
    return str(path)


@pytest.fixture
def odd_files(tmp_path) -> Path:
    os.mkfifo(tmp_path / "fifo.toml")
    os.mkfifo(tmp_path / "fifo.csv")
    os.mkfifo(tmp_path / "fifo.npz")
    (tmp_path / "folder.toml").mkdir()
    (tmp_path / "folder.csv").mkdir()
    for name, path in (("csv-fifo", "fifo.csv"), ("csv-zero", "/dev/zero"), ("csv-folder", "folder.csv")):
        (tmp_path / f"{name}.toml").write_text(f'[data]\ndataset = "csv"\npath = "{path}"\n[model]\nlayers = [2, 1]\n')
    (tmp_path / "deep.toml").write_text("a = " + "[" * 500 + "]" * 500 + "\n")
    (tmp_path / "deep-table.toml").write_text("a = " + "{b = " * 300 + "1" + "}" * 300 + "\n")
    device = device_in(tmp_path)
    if device != str(tmp_path / "null-device"):
        (tmp_path / "null-device").symlink_to(device)
    return tmp_path


@pytest.mark.parametrize("args, words", [
    (("train", "fifo.toml"), ("fifo.toml", "FIFO", "regular file")),
    (("train", "/dev/zero"), ("/dev/zero", "character device")),
    (("train", "folder.toml"), ("folder.toml", "folder")),
    (("gradcheck", "fifo.toml"), ("FIFO",)),
    (("--preset", "fifo.toml"), ("FIFO",)),
    (("train", "csv-fifo.toml"), ("fifo.csv", "FIFO")),
    (("train", "csv-zero.toml"), ("/dev/zero", "character device")),
    (("train", "csv-folder.toml"), ("folder.csv", "folder")),
    (("train", "deep.toml"), ("deep.toml", "nested too deeply")),
    (("train", "deep-table.toml"), ("deep-table.toml", "nested too deeply")),
    (("--load", "fifo.npz"), ("fifo.npz", "FIFO")),
    (("--load", "/dev/zero"), ("/dev/zero", "character device")),
    (("--load", "folder.toml"), ("folder",)),
    (("train", "fifo.npz"), ("fifo.npz", "FIFO")),
    (("train", "xor", "--epochs", "1", "--save", "fifo.npz"), ("fifo.npz", "FIFO", "regular file or a new path")),
    (("train", "xor", "--epochs", "1", "--save", "folder.toml"), ("folder.toml", "folder")),
    (("train", "xor", "--epochs", "1", "--save", "null-device"), ("null-device", "character device")),
    (("train", "xor", "--epochs", "1", "--save", ""), ("empty path",)),
])
def test_fifos_devices_folders_and_deep_toml_are_refused_at_once(odd_files, args, words):
    refused(nntui(*args, cwd=odd_files), *words)
    assert (odd_files / "fifo.npz").exists() and not (odd_files / "fifo.npz").is_file()  # a FIFO still


def test_saving_to_a_device_leaves_it_a_device(tmp_path):
    """As root, `--save /dev/null` once replaced the device with a file."""
    device = device_in(tmp_path)
    before = os.stat(device)
    refused(nntui("train", "xor", "--epochs", "1", "--save", device, cwd=tmp_path), device, "device")
    after = os.stat(device)
    assert stat.S_ISCHR(after.st_mode) and after.st_rdev == before.st_rdev and after.st_ino == before.st_ino


def test_a_symlink_is_followed_and_its_target_replaced_atomically(tmp_path):
    target = tmp_path / "real.npz"
    target.write_bytes(b"old")
    link = tmp_path / "link.npz"
    link.symlink_to(target)
    refused = nntui("train", "xor", "--epochs", "2", "--json", "--save", "link.npz", cwd=tmp_path)
    assert refused.returncode == 2 and "--force" in refused.stderr and target.read_bytes() == b"old"
    p = nntui("train", "xor", "--epochs", "2", "--json", "--save", "link.npz", "--force", cwd=tmp_path)
    assert p.returncode == 0, p.stderr
    assert link.is_symlink() and os.readlink(link) == str(target)
    assert load_run(target).epoch == 2
    assert sorted(os.listdir(tmp_path)) == ["link.npz", "real.npz"]


LONG = "x" * 300


@pytest.mark.parametrize("args", [
    ("train", f"{LONG}.toml"),
    ("gradcheck", f"{LONG}.toml"),
    ("--preset", f"{LONG}.toml"),
    ("--load", f"{LONG}.npz"),
    ("train", f"{LONG}.npz"),
    ("train", "xor", "--epochs", "1", "--save", f"{LONG}.npz"),
])
def test_a_300_character_name_is_one_line(tmp_path, args):
    refused(nntui(*args, cwd=tmp_path), LONG[:50], "too long")


def test_an_unreadable_runfile_is_one_line(good_run, tmp_path):
    """Root reads any file: where the tests run as root, the command runs
    without the capabilities that override file permissions (setpriv)."""
    run = tmp_path / "secret.npz"
    run.write_bytes(good_run.read_bytes())
    run.chmod(0o000)
    prefix: tuple[str, ...] = ()
    if os.geteuid() == 0:
        setpriv = shutil.which("setpriv")
        if setpriv is None:
            pytest.skip("running as root without setpriv: every file is readable")
        prefix = (setpriv, "--bounding-set=-dac_override,-dac_read_search")
    refused(nntui("train", str(run), "--epochs", "1", cwd=tmp_path, prefix=prefix), str(run), "permission denied")
    refused(nntui("--load", str(run), cwd=tmp_path, prefix=prefix), str(run), "permission denied")


def test_stale_temp_files_of_a_killed_save_are_cleaned_by_the_next_save(tmp_path):
    from nntui.engine import files

    dead = tmp_path / f"{files._TMP_PREFIX}999999999-abc{files._TMP_SUFFIX}"
    dead.write_bytes(b"x" * 1000)
    mine = tmp_path / f"{files._TMP_PREFIX}{os.getpid()}-live{files._TMP_SUFFIX}"
    mine.write_bytes(b"a save in progress")
    other = tmp_path / ".something-else.tmp"
    other.write_bytes(b"not ours")
    save_run(Trainer(load_preset("xor")), tmp_path / "run.npz")
    assert not dead.exists()
    assert mine.exists() and other.exists()  # a live save and another program's file are left alone


def test_a_save_keeps_the_replaced_files_mode(tmp_path):
    target = tmp_path / "run.npz"
    target.write_bytes(b"old")
    target.chmod(0o640)
    save_run(Trainer(load_preset("xor")), target)
    assert target.stat().st_mode & 0o777 == 0o640


def test_a_diverged_run_saves_its_last_finite_state_and_says_so(tmp_path):
    p = nntui("train", "lr-too-high", "--save", "r.npz", cwd=tmp_path)
    assert p.returncode == 3, p.stderr
    assert "saved the last finite state" in p.stderr
    tr = load_run(tmp_path / "r.npz")  # accepted: every member finite
    assert all(np.isfinite(v).all() for v in tr.params.values())


def test_a_runfile_never_holds_nan_or_inf(tmp_path):
    tr = Trainer(override(load_preset("xor"), optimizer="adam"))
    tr.run_steps(3)
    st = tr.optimizer.state
    tr.optimizer.state = {**st, "W1": {**st["W1"], "exp_avg_sq": np.full_like(st["W1"]["exp_avg_sq"], np.inf)}}
    with pytest.raises(RunfileError, match="exp_avg_sq.*NaN or inf"):
        save_run(tr, tmp_path / "r.npz")
    assert not (tmp_path / "r.npz").exists()


# --- resuming headless ------------------------------------------------------------------------


def test_a_runfile_resumes_headless_bit_identically(tmp_path):
    """3 epochs, save, resume 4 more: the same run as 7 epochs straight."""
    assert nntui("train", "moons", "--epochs", "3", "--json", "--save", "a.npz", cwd=tmp_path).returncode == 0
    p = nntui("train", "a.npz", "--epochs", "4", "--json", "--save", "b.npz", cwd=tmp_path)
    assert p.returncode == 0, p.stderr
    assert json.loads(p.stdout)["epochs"] == 7
    assert nntui("train", "moons", "--epochs", "7", "--json", "--save", "c.npz", cwd=tmp_path).returncode == 0
    b, c = load_run(tmp_path / "b.npz"), load_run(tmp_path / "c.npz")
    assert b.step == c.step and b.epoch == c.epoch == 7
    for k in c.params:
        assert np.array_equal(b.params[k], c.params[k]), k
    assert b.history == c.history
    assert members(tmp_path / "b.npz").keys() == members(tmp_path / "c.npz").keys()


def test_resuming_refuses_flags_that_would_change_the_run(tmp_path):
    assert nntui("train", "xor", "--epochs", "1", "--json", "--save", "a.npz", cwd=tmp_path).returncode == 0
    refused(nntui("train", "a.npz", "--learning-rate", "0.5", cwd=tmp_path), "--learning-rate", "cannot change")


def test_a_runfile_carries_its_data_after_the_csv_moves(tmp_path):
    from nntui.experiment.edits import edit

    (tmp_path / "d.csv").write_text("a,b,y\n" + "".join(f"{i % 7},{i % 3},{i % 2}\n" for i in range(40)))
    (tmp_path / "p.toml").write_text('[data]\ndataset = "csv"\npath = "d.csv"\n[model]\nlayers = [2, 3, 1]\n')
    tr = Trainer(load_preset(tmp_path / "p.toml"))
    tr.run_steps(2)
    save_run(tr, tmp_path / "r.npz")
    (tmp_path / "d.csv").rename(tmp_path / "moved.csv")
    loaded = load_run(tmp_path / "r.npz")
    changed = edit(loaded.config, "train.learning_rate", "0.5", dataset=loaded.dataset)
    assert changed.train.learning_rate == 0.5
    Trainer(changed, dataset=loaded.dataset)


# --- memory and size --------------------------------------------------------------------------


def test_a_network_too_large_is_refused_naming_its_size(tmp_path):
    layers = [2] + [4096] * 19 + [1]
    (tmp_path / "huge.toml").write_text(f'[data]\ndataset = "xor"\n[model]\nlayers = {layers}\n')
    refused(nntui("train", "huge.toml", cwd=tmp_path), "GB", "layers")


def test_a_wide_net_with_adam_trains_two_epochs_headless_under_3GB(tmp_path):
    (tmp_path / "big.toml").write_text(
        '[data]\ndataset = "xor"\nsamples = 40\n[model]\nlayers = [2, 4096, 4096, 1]\nactivation = "relu"\n'
        '[train]\noptimizer = "adam"\nlearning_rate = 0.0001\nbatch_size = 20\nepochs = 2\n')
    p = nntui("train", "big.toml", "--json", "--no-plot", cwd=tmp_path, timeout=120)
    assert p.returncode == 0, p.stderr[-2000:]
    assert json.loads(p.stdout)["epochs"] == 2


def test_the_rewind_ring_is_bounded_by_memory():
    from nntui.engine.trainer import REWIND_BYTES

    small = Trainer(load_preset("xor"))
    assert small.rewind_depth == 1000
    config = override(load_preset("xor"), optimizer="adam")
    big = Trainer(config.__class__(**{**config.__dict__, "model": config.model.__class__(
        **{**config.model.__dict__, "layers": (2, 2048, 2048, 1)})}))
    entry = 4 * sum(p.nbytes for p in big.params.values())
    assert big.rewind_depth * entry <= max(REWIND_BYTES, entry)
    big.keep_rewind(1)
    assert big.rewind_depth == 1


def test_a_csv_is_parsed_once_per_load(tmp_path, monkeypatch):
    from nntui.engine import datasets

    (tmp_path / "d.csv").write_text("a,b,y\n" + "".join(f"{i % 7},{i % 3},{i % 2}\n" for i in range(40)))
    (tmp_path / "p.toml").write_text('[data]\ndataset = "csv"\npath = "d.csv"\n[model]\nlayers = [2, 3, 1]\n')
    calls = []
    real = datasets._load_csv
    monkeypatch.setattr(datasets, "_load_csv", lambda *a: calls.append(a) or real(*a))
    Trainer(load_preset(tmp_path / "p.toml"))
    assert len(calls) == 1
    (tmp_path / "d.csv").write_text("a,b,y\n" + "".join(f"{i % 5},{i % 3},{i % 2}\n" for i in range(41)))
    assert len(Trainer(load_preset(tmp_path / "p.toml")).dataset.x_train) + 0 > 0
    assert len(calls) == 2  # a changed file is read again


def test_a_csv_wider_than_the_limit_is_refused_once_clearly(tmp_path):
    from nntui.engine.datasets import MAX_INPUTS, DataError, load_csv

    n = MAX_INPUTS + 1
    (tmp_path / "w.csv").write_text(",".join(f"c{i}" for i in range(n)) + ",y\n" + ",".join(["1"] * n) + ",0\n")
    with pytest.raises(DataError, match=f"{n} input columns; nntui reads at most {MAX_INPUTS}"):
        load_csv(tmp_path / "w.csv")


def test_a_5000_column_csv_trains(tmp_path):
    rng = np.random.default_rng(0)
    rows = "".join(",".join(f"{v:.2f}" for v in rng.random(5000)) + f",{r % 2}\n" for r in range(12))
    (tmp_path / "w.csv").write_text(",".join(f"c{i}" for i in range(5000)) + ",y\n" + rows)
    (tmp_path / "w.toml").write_text('[data]\ndataset = "csv"\npath = "w.csv"\n[model]\nlayers = [5000, 1]\n'
                                     '[train]\nepochs = 2\n')
    p = nntui("train", "w.toml", "--json", "--no-plot", cwd=tmp_path)
    assert p.returncode == 0, p.stderr


# --- the app ----------------------------------------------------------------------------------

MARKUP = "r[x=^y]"


async def test_the_app_survives_saving_to_a_markup_laden_path_and_quits_0(tmp_path, monkeypatch):
    from nntui.app.app import make_app

    monkeypatch.chdir(tmp_path)
    app = make_app(load_preset("xor"))
    async with app.run_test(size=(160, 48)) as pilot:
        await app.settle()
        app.main.saving.save_run(f"{MARKUP}.npz")
        for _ in range(300):
            if (tmp_path / f"{MARKUP}.npz").exists() and app._notifications:
                break
            await asyncio.sleep(0.01)
        await pilot.pause()
        assert any(MARKUP in n.message for n in app._notifications)
        # every notice and dialog takes such text as it is
        app.notify(f"[b]{MARKUP}[/x] [", title=f"[{MARKUP}", severity="error")
        app.main.show_error(f"[{MARKUP}", f"{MARKUP} [/]", f"[{MARKUP}]")
        await pilot.pause()
        await pilot.press("escape")
        await pilot.pause()
        assert app.is_running
        await pilot.press("q")
    assert app.return_code in (0, None)
    assert load_run(tmp_path / f"{MARKUP}.npz").step == 0


async def test_the_app_survives_opening_a_fifo_and_quits_0(tmp_path):
    from textual.widgets import Input

    from nntui.app.app import make_app
    from nntui.app.screens.error import ErrorDialog

    os.mkfifo(tmp_path / "p.toml")
    app = make_app(load_preset("xor"))
    async with app.run_test(size=(160, 48)) as pilot:
        await app.settle()
        await pilot.press("o")
        app.screen.query_one(Input).focus()
        app.screen.query_one(Input).value = str(tmp_path / "p.toml")
        await asyncio.wait_for(pilot.press("enter"), 10)
        await app.opened(timeout=10)
        await pilot.pause()
        assert isinstance(app.screen, ErrorDialog)
        assert "FIFO" in str(app.screen.message)
        await pilot.press("escape")
        assert app.main.config.name == "xor"
        await pilot.press("q")
    assert app.return_code in (0, None)


async def test_the_app_refuses_a_damaged_runfile_and_keeps_running(corpus):
    """The app's loader is the CLI's: opening a damaged run shows the same one line."""
    from nntui.app.app import make_app

    for name in ("x-as-strings", "label-7", "zip-bomb-history-50M"):
        with pytest.raises(RunfileError):
            make_app(None, runfile=corpus[name][0])


async def test_opening_a_slow_preset_leaves_the_ui_answering_and_escape_cancels(monkeypatch):
    """A preset whose reading takes long (a 2-million-row CSV took 19 s) is
    opened in a thread: the screen answers meanwhile, and escape cancels."""
    import threading

    from nntui.experiment import sandbox as app_module
    from nntui.app.app import make_app

    release = threading.Event()

    def slow_load(name):
        release.wait(10)
        return load_preset(name)

    monkeypatch.setattr(app_module, "load_preset", slow_load)
    app = make_app(load_preset("xor"))
    async with app.run_test(size=(160, 48)) as pilot:
        await app.settle()
        app.main.opener.open("spiral")
        await pilot.press("s")  # the engine and the screen go on
        frame = await app.settle()
        assert frame.snapshot.step == 1
        await pilot.press("escape")
        release.set()
        await asyncio.sleep(0.3)
        await pilot.pause()
        assert app.main.config.name == "xor" and not app.main.opener.busy  # cancelled: the result is dropped
        # and an opening that completes replaces the experiment
        app.main.opener.open("spiral")
        await app.opened()
        await pilot.pause()
        assert app.main.config.data.dataset == "spiral"


async def test_the_app_refuses_to_save_over_a_fifo_in_one_line(tmp_path):
    from nntui.app.app import make_app
    from nntui.app.screens.error import ErrorDialog

    os.mkfifo(tmp_path / "p.npz")
    app = make_app(load_preset("xor"))
    async with app.run_test(size=(160, 48)) as pilot:
        await app.settle()
        app.main.saving.save_run(str(tmp_path / "p.npz"))
        for _ in range(300):
            if isinstance(app.screen, ErrorDialog):
                break
            await asyncio.sleep(0.01)
        message = str(app.screen.message)
        assert "FIFO" in message and message.count(str(tmp_path / "p.npz")) == 1
        await pilot.press("escape")
        await pilot.press("s")
        assert (await app.settle()).snapshot.step == 1  # the experiment goes on
    assert not (tmp_path / "p.npz").is_file()


# --- text from files is data, never terminal control ----------------------------------------

OSC_TITLE = "\x1b]2;PWNED-TITLE\x07"
CLEAR = "\x1b[2J"
CONTROL = ("\x1b", "\x07", "\x9b", "\x00")


def escape_csv_preset(folder: Path) -> Path:
    """A 3-class CSV whose labels and a column name hold an OSC title, a
    clear-screen and a C1 CSI, and a preset whose title holds one too."""
    rng = np.random.default_rng(0)
    labels = [f"{OSC_TITLE}cat", f"{CLEAR}dog", "\x9b31mbird"]
    lines = [f'a,"b{CLEAR}",label']
    for i in range(60):
        k = i % 3
        x = rng.normal(size=2) + [2 * k, -2 * k]
        lines.append(f'{x[0]:.3f},{x[1]:.3f},"{labels[k]}"')
    (folder / "e.csv").write_text("\n".join(lines) + "\n")
    (folder / "e.toml").write_text('title = "t\\u001b]2;PWNED-TITLE\\u0007"\n'
                                   '[data]\ndataset = "csv"\npath = "e.csv"\n'
                                   '[model]\nlayers = [2, 4, 3]\n[train]\nepochs = 3\n')
    return folder / "e.toml"


def escape_runfile(good_run: Path, folder: Path) -> Path:
    """The good run with an OSC title and a clear-screen in meta.classes."""
    path = folder / "esc.npz"
    np.savez(path, **meta_with(members(good_run), classes=[f"{OSC_TITLE}zero", f"{CLEAR}one"]))
    return path


def test_control_characters_are_dropped_where_file_text_enters(tmp_path, good_run):
    from nntui.engine.datasets import load_csv
    from nntui.engine.names import printable

    assert printable(f"a{OSC_TITLE}b{CLEAR}c\x9b\x85\n\td") == "a]2;PWNED-TITLEb[2Jc\n\td"
    assert printable("[bold]markup[/] stays") == "[bold]markup[/] stays"
    preset = escape_csv_preset(tmp_path)
    _, _, _, classes, names = load_csv(tmp_path / "e.csv")
    assert classes == ("31mbird", "[2Jdog", "]2;PWNED-TITLEcat") and names == ("a", "b[2J")
    assert load_preset(preset).title == "t]2;PWNED-TITLE"
    tr = load_run(escape_runfile(good_run, tmp_path))
    assert tr.dataset.classes == ("]2;PWNED-TITLEzero", "[2Jone")


def test_no_control_character_from_a_file_reaches_nntui_trains_output(tmp_path, good_run):
    escape_csv_preset(tmp_path)
    runs = [nntui("train", "e.toml", "--save", "e.npz", cwd=tmp_path),
            nntui("train", "e.npz", "--epochs", "4", cwd=tmp_path),
            nntui("train", str(escape_runfile(good_run, tmp_path)), "--epochs", "3", cwd=tmp_path)]
    for p in runs:
        assert p.returncode == 0, p.stderr
        out = p.stdout + p.stderr
        assert not [c for c in CONTROL if c in out], out
    assert "dog" in runs[0].stdout and "zero" in runs[2].stdout  # the labels are shown, as text


@pytest.mark.parametrize("source", ["csv", "runfile"])
async def test_no_control_character_from_a_file_reaches_the_apps_screen(tmp_path, good_run, source):
    from nntui.app.app import make_app

    if source == "csv":
        app, shown = make_app(load_preset(escape_csv_preset(tmp_path))), "dog"
    else:
        app, shown = make_app(None, runfile=escape_runfile(good_run, tmp_path)), "zero"
    async with app.run_test(size=(160, 48)) as pilot:
        await app.settle()
        await pilot.press("x")  # the confusion matrix: every class name
        await pilot.pause()
        screen = app.export_screenshot()
        assert shown in screen
        assert not [c for c in CONTROL if c in screen]
        assert not [c for c in CONTROL if c in "".join(app.main.dataset.classes) + app.main.config.title]


# --- every traceback the attack found is one line -------------------------------------------


def nested(depth: int):
    value: list = []
    for _ in range(depth):
        value = [value]
    return value


@pytest.mark.parametrize("where", ["meta", "config", "title"])
@pytest.mark.parametrize("depth", [30, 100_000])
def test_deeply_nested_json_in_a_runfile_is_one_line(good_run, tmp_path, where, depth):
    a = members(good_run)
    deep = "[" * depth + "]" * depth
    if where == "title":
        config = json.loads(str(a["config"]))
        text = json.dumps({**config, "title": "@@"}).replace('"@@"', deep)
        a = {**a, "config": np.array(text)}
    else:
        text = str(a[where])
        a = {**a, where: np.array(text[:-1] + f', "deep": {deep}}}')}
    path = tmp_path / "deep.npz"
    np.savez(path, **a)
    with pytest.raises(RunfileError, match="nests lists and tables too deeply"):
        load_run(path)
    refused(nntui("train", str(path)), str(path), "too deeply")


def test_a_nested_title_list_within_the_nesting_limit_is_one_line(good_run, tmp_path):
    a = members(good_run)
    config = json.loads(str(a["config"]))
    config["title"] = nested(15)
    path = tmp_path / "title.npz"
    np.savez(path, **{**a, "config": np.array(json.dumps(config))})
    refused(nntui("train", str(path)), "title", "must be a string")


@pytest.mark.parametrize("depth", [30, 30_000])  # 60 KB: an argument may hold at most 128 KB
def test_a_nested_option_value_is_one_line(depth):
    deep = "[" * depth + "]" * depth
    refused(nntui("train", "xor", "--option", f"momentum={deep}"), "--option momentum", "nested too deeply")
    refused(nntui("compare", "xor", "--vary", f"momentum={deep},0.9"), "--vary momentum", "nested too deeply")


def test_csv_paths_that_cannot_be_followed_are_one_line(tmp_path):
    (tmp_path / "loop1.csv").symlink_to("loop2.csv")
    (tmp_path / "loop2.csv").symlink_to("loop1.csv")
    cases = {"loop1.csv": "cannot be followed", "~nosuchuser9/x.csv": "home folder of a user",
             "a\\u0000b.csv": "no such file"}
    for i, (path, words) in enumerate(cases.items()):
        (tmp_path / f"p{i}.toml").write_text(f'[data]\ndataset = "csv"\npath = "{path}"\n')
        refused(nntui("train", f"p{i}.toml", cwd=tmp_path), f"p{i}.toml", words)


def test_the_csv_loader_refuses_a_nul_and_a_loop_in_one_line(tmp_path):
    from nntui.engine.datasets import DataError, load_csv

    (tmp_path / "loop1.csv").symlink_to("loop2.csv")
    (tmp_path / "loop2.csv").symlink_to("loop1.csv")
    with pytest.raises(DataError, match="NUL"):
        load_csv(str(tmp_path / "a\x00b.csv"))
    with pytest.raises(DataError, match="symbolic links"):
        load_csv(tmp_path / "loop1.csv")


async def test_a_nested_value_in_the_race_dialog_shows_the_error_and_stays_open():
    from textual.widgets import Input, Label

    from nntui.app.app import make_app
    from nntui.app.screens.vary import VaryDialog

    app = make_app(load_preset("xor"))
    async with app.run_test(size=(160, 48)) as pilot:
        await app.settle()
        await pilot.press("v")
        await pilot.pause()
        assert isinstance(app.screen, VaryDialog)
        box = app.screen.query_one(Input)
        box.value = "momentum=" + "[" * 5000 + "]" * 5000 + ",0.9"
        box.focus()
        await pilot.press("enter")
        await pilot.pause()
        assert isinstance(app.screen, VaryDialog)
        assert "nested too deeply" in str(app.screen.query_one("#problem", Label).render())
        await pilot.press("escape")
        await pilot.pause()
        assert not isinstance(app.screen, VaryDialog)
    assert app.return_code in (0, None)


# --- bounded work -----------------------------------------------------------------------------


def test_a_csv_of_100001_columns_is_refused_before_its_names_are_compared(tmp_path):
    """The header named the same column 100,001 times: the duplicate check
    (it was quadratic: 56 s) comes after the input limit."""
    n = 100_001
    (tmp_path / "w.csv").write_text(",".join(["c"] * n) + "\n" + ",".join(["1"] * n) + "\n")
    (tmp_path / "w.toml").write_text('[data]\ndataset = "csv"\npath = "w.csv"\n')
    refused(nntui("train", "w.toml", cwd=tmp_path), "w.csv", "100000 input columns", "at most 65536")


def test_a_duplicate_among_60000_columns_is_found_in_one_pass(tmp_path):
    from nntui.engine.datasets import DataError, load_csv

    names = [f"c{i}" for i in range(60_000)] + ["c7", "y"]
    (tmp_path / "w.csv").write_text(",".join(names) + "\n" + ",".join(["1"] * len(names)) + "\n")
    with pytest.raises(DataError, match="'c7' appears twice"):
        load_csv(tmp_path / "w.csv")


# What a CSV may cost while it is read and split (README, docs/ARCHITECTURE.md):
# at most this many times its size, for the worst case of one-digit cells.
CSV_PEAK_MULTIPLE = 10


@pytest.mark.parametrize("kind", ["one-digit cells", "six-digit numbers"])
def test_a_csvs_peak_memory_is_a_stated_multiple_of_its_size(tmp_path, kind):
    import tracemalloc
    from types import SimpleNamespace

    from nntui.engine import datasets

    path = tmp_path / "big.csv"
    if kind == "one-digit cells":
        path.write_text("c0,c1,c2,c3,c4,c5,c6,c7,c8,y\n" + "1,2,3,4,5,6,7,8,9,0\n1,2,3,4,5,6,7,8,9,1\n" * 50_000)
    else:
        rng = np.random.default_rng(0)
        x = rng.normal(size=(100_000, 2))
        path.write_text("x1,x2,label\n" + "".join(f"{a:.6f},{b:.6f},{int(a * b > 0)}\n" for a, b in x))
    size = path.stat().st_size
    datasets._last_csv = None
    tracemalloc.start()
    try:
        ds = datasets.make_dataset(SimpleNamespace(dataset="csv", path=str(path), target=None, validation=0.2,
                                                   seed=0))
        _, peak = tracemalloc.get_traced_memory()
    finally:
        tracemalloc.stop()
        datasets._last_csv = None
    assert len(ds.x_train) + len(ds.x_val) == 100_000
    assert peak <= CSV_PEAK_MULTIPLE * size, (peak / size, kind)


async def test_the_app_refuses_to_save_to_the_home_of_no_user_in_one_line():
    from nntui.app.app import make_app
    from nntui.app.screens.error import ErrorDialog

    app = make_app(load_preset("xor"))
    async with app.run_test(size=(160, 48)) as pilot:
        await app.settle()
        app.main.saving.save_run("~nosuchuser9/r.npz")
        for _ in range(300):
            if isinstance(app.screen, ErrorDialog):
                break
            await asyncio.sleep(0.01)
        assert "home folder of a user" in str(app.screen.message)
        await pilot.press("escape")
        await pilot.press("s")
        assert (await app.settle()).snapshot.step == 1  # the experiment goes on
    assert app.return_code in (0, None)


def test_a_drawn_preset_to_the_home_of_no_user_is_one_line(tmp_path):
    from nntui.engine import drawn
    from nntui.engine.files import FileRefused
    from nntui.experiment.drawn_preset import save_drawn_preset

    config = load_preset("xor")
    data = drawn.add_point(Trainer(config).dataset, 0.5, 0.5, 1)
    with pytest.raises(FileRefused, match="home folder of a user"):
        save_drawn_preset(config, data, "~nosuchuser9/mine")


def test_markup_in_a_title_is_shown_as_written(tmp_path):
    """Rich markup from a file is text: `[link=...]` would otherwise become a
    terminal hyperlink (an escape sequence) on a terminal."""
    title = "[bold]T[/] [link=http://evil.example]L"
    (tmp_path / "m.toml").write_text(f'title = "{title}"\n[data]\ndataset = "xor"\n[model]\nlayers = [2, 4, 1]\n'
                                     '[train]\nepochs = 2\n')
    for args in (("train", "m.toml", "--no-plot"), ("compare", "m.toml", "--vary", "lr=0.1,1", "--no-plot")):
        p = nntui(*args, cwd=tmp_path)
        assert p.returncode == 0, p.stderr
        assert "[bold]T[/]" in p.stdout and "[link=http://evil.example]L" in p.stdout, p.stdout


def test_gradcheck_shows_a_titles_brackets_as_written(tmp_path):
    preset = tmp_path / "m.toml"
    preset.write_text('title = "[red]X[/red] [link=http://e]y[/link]"\n[data]\ndataset = "xor"\n'
                      '[model]\nlayers = [2, 4, 1]\n[train]\nepochs = 2\n')
    from click.testing import CliRunner

    from nntui.cli import main

    out = CliRunner().invoke(main, ["gradcheck", str(preset)]).output
    assert "[red]X[/red]" in out and "[link=http://e]y[/link]" in out
