"""Runfiles: a saved run loads back equal and resumes bit-identically; a bad file
is refused with a clear message; a save is atomic."""

from __future__ import annotations

import json
import os
import zipfile

import numpy as np
import pytest

from nntui.experiment.config import config_from_dict
from nntui.engine import runfile
from nntui.engine.runfile import RunfileError, save_run
from nntui.experiment.runs import load_run
from nntui.engine.trainer import Trainer


def preset(data=None, model=None, train=None, source="test.toml"):
    d = {
        "data": {"dataset": "moons", "samples": 60, "noise": 0.1, "validation": 0.25, "seed": 4},
        "model": {"layers": [2, 6, 1], "activation": "tanh", "output": "sigmoid", "init": "xavier", "seed": 2},
        "train": {"loss": "bce", "optimizer": "adam", "learning_rate": 0.02, "batch_size": 10, "epochs": 500},
    }
    for key, over in (("data", data), ("model", model), ("train", train)):
        d[key] = {k: v for k, v in {**d[key], **(over or {})}.items() if v is not None}
    return config_from_dict(d, source)


OPTIMIZERS = {
    "adam": {"optimizer": "adam", "learning_rate": 0.02},
    "adamw-amsgrad": {"optimizer": "adamw", "learning_rate": 0.02, "amsgrad": True, "weight_decay": 0.1},
    "sgd-momentum": {"optimizer": "sgd", "learning_rate": 0.1, "momentum": 0.9, "nesterov": True},
    "rmsprop-centered": {"optimizer": "rmsprop", "learning_rate": 0.01, "centered": True, "momentum": 0.3},
    "adagrad": {"optimizer": "adagrad", "learning_rate": 0.1, "lr_decay": 0.01},
}


def same(p, q):
    return p.keys() == q.keys() and all(np.array_equal(p[k], q[k]) for k in p)


def flat_state(opt):
    return {f"{p}/{k}": v for p, st in opt.state.items() for k, v in st.items()}


def assert_same_run(a, b):
    assert (a.step, a.epoch, a.batch) == (b.step, b.epoch, b.batch)
    assert same(a.params, b.params)
    assert same(a.initial_params, b.initial_params)
    assert a.optimizer.t == b.optimizer.t
    assert same(flat_state(a.optimizer), flat_state(b.optimizer))
    assert a.history == b.history
    assert a.optimizer.lr == b.optimizer.lr and a.optimizer.options == b.optimizer.options


# ------------------------------------------------------------------ round trip


def test_round_trip_keeps_every_array_and_the_config(tmp_path):
    config = preset(train=OPTIMIZERS["rmsprop-centered"])
    tr = Trainer(config)
    tr.run_steps(17)  # mid-epoch: 5 batches an epoch
    path = save_run(tr, tmp_path / "run.npz")
    assert path == tmp_path / "run.npz" and path.is_file()
    back = load_run(path)
    assert_same_run(tr, back)
    assert back.config == config  # source included: the loaded run is still "test.toml"
    assert back.config.to_dict() == config.to_dict()
    d, e = tr.dataset, back.dataset
    for k in ("x_train", "y_train", "x_val", "y_val"):
        assert np.array_equal(getattr(d, k), getattr(e, k)) and getattr(d, k).dtype == getattr(e, k).dtype
    assert (d.task, d.classes, d.feature_names, d.name) == (e.task, e.classes, e.feature_names, e.name)
    # The file holds what DESIGN lists, under its names.
    with np.load(path, allow_pickle=False) as npz:
        names = set(npz.files)
    assert {"config", "x_train", "y_train", "x_val", "y_val", "init_W1", "init_b1", "init_W2", "init_b2",
            "W1", "b1", "W2", "b2", "history_train_loss", "history_val_loss",
            "history_train_accuracy", "history_val_accuracy"} <= names
    assert json.loads(str(np.load(path)["config"])) == config.to_dict()


def test_round_trip_of_multiclass_labels_and_live_changes(tmp_path):
    config = preset(data={"dataset": "blobs", "classes": 3},
                    model={"layers": [2, 5, 3], "activation": "relu", "output": "softmax", "init": "he"},
                    train={"loss": "cross_entropy", **OPTIMIZERS["sgd-momentum"]})
    tr = Trainer(config)
    tr.run_steps(8)
    tr.set_learning_rate(0.03)
    tr.set_option("momentum", 0.5)
    back = load_run(save_run(tr, tmp_path / "r.npz"))
    assert back.dataset.y_train.dtype == np.int64
    assert back.optimizer.lr == 0.03 and back.optimizer.options["momentum"] == 0.5
    tr.run_steps(9)
    back.run_steps(9)
    assert_same_run(tr, back)


# ------------------------------------------------------------ bit-identical resume


@pytest.mark.parametrize("opt", list(OPTIMIZERS))
@pytest.mark.parametrize("k", [0, 5, 13, 22])  # 5 batches an epoch: start, boundary, mid-epoch
def test_resumed_run_is_bit_identical(tmp_path, opt, k):
    config = preset(train=OPTIMIZERS[opt])
    m = 16
    straight = Trainer(config)
    straight.run_steps(k + m)
    first = Trainer(config)
    first.run_steps(k)
    resumed = load_run(save_run(first, tmp_path / "run.npz"))
    resumed.run_steps(m)
    assert_same_run(straight, resumed)
    # and a second stop, of a run that was itself resumed
    again = load_run(save_run(resumed, tmp_path / "run2.npz"))
    straight.run_steps(7)
    again.run_steps(7)
    assert_same_run(straight, again)


def test_resume_from_a_save_in_the_middle_of_a_step(tmp_path):
    config = preset(train=OPTIMIZERS["adam"])
    straight = Trainer(config)
    straight.run_steps(20)
    tr = Trainer(config)
    tr.run_steps(12)
    for _ in range(4):
        tr.next_phase()  # forward 1, forward 2, loss, backward 2: nothing applied yet
    back = load_run(save_run(tr, tmp_path / "mid.npz"))
    assert back.step == 12 and back.done == 0
    while True:  # the step starts over, in phase mode this time
        back.next_phase()
        if back.done == 0:
            break
    back.run_steps(7)
    assert_same_run(straight, back)


# ------------------------------------------------------------------- bad files


@pytest.fixture(scope="module")
def good_bytes(tmp_path_factory):
    tr = Trainer(preset())
    tr.run_steps(7)
    path = save_run(tr, tmp_path_factory.mktemp("good") / "good.npz")
    return path.read_bytes()


def _refused(path, *words):
    with pytest.raises(RunfileError) as info:
        load_run(path)
    msg = str(info.value)
    assert msg.count(str(path)) == 1 and "\n" not in msg  # names the file, once
    for w in words:
        assert w in msg, msg
    return msg


def test_truncated_runfiles_are_refused(tmp_path, good_bytes):
    n = len(good_bytes)
    cuts = sorted({0, 1, 4, 30, 100, 1000, n // 3, n // 2, n - 200, n - 23, n - 22, n - 1}
                  | set(np.random.default_rng(0).integers(1, n, 12).tolist()))
    for cut in cuts:
        path = tmp_path / f"cut{cut}.npz"
        path.write_bytes(good_bytes[:cut])
        _refused(path)


def test_corrupt_runfiles_are_refused(tmp_path, good_bytes):
    rng = np.random.default_rng(1)
    for i, at in enumerate(rng.integers(0, len(good_bytes), 12).tolist()):
        data = bytearray(good_bytes)
        data[at] ^= 0xFF
        path = tmp_path / f"flip{i}.npz"
        path.write_bytes(bytes(data))
        try:
            back = load_run(path)
        except RunfileError as e:
            assert str(path) in str(e)
        else:  # a flip in a byte nobody reads (a zip comment, a timestamp) changes nothing
            ref = load_run(_write(tmp_path / "ref.npz", good_bytes))
            assert_same_run(ref, back)


def _write(path, data):
    path.write_bytes(data)
    return path


def test_files_that_are_not_runfiles_are_refused(tmp_path):
    _refused(_write(tmp_path / "empty.npz", b""))
    _refused(_write(tmp_path / "text.npz", b"title = 'a preset, not a run'\n"))
    _refused(tmp_path / "missing.npz", "no such")
    np.save(tmp_path / "one.npy", np.arange(3.0))  # an .npy array, not an .npz archive
    _refused(_write(tmp_path / "one.npz", (tmp_path / "one.npy").read_bytes()))
    np.savez(tmp_path / "other.npz", a=np.zeros(3))  # an npz from something else
    _refused(tmp_path / "other.npz", "not an nntui runfile")
    with zipfile.ZipFile(tmp_path / "zip.npz", "w") as z:
        z.writestr("readme.txt", "hello")
    _refused(tmp_path / "zip.npz")
    np.savez(tmp_path / "pickled.npz", meta=np.array([{"format": "nntui-run"}], dtype=object))
    _refused(tmp_path / "pickled.npz")  # never unpickled


def _rewrite(src, dst, **changes):
    with np.load(src, allow_pickle=False) as npz:
        arrays = {k: npz[k] for k in npz.files}
    for k, v in changes.items():
        if v is None:
            del arrays[k]
        else:
            arrays[k] = v
    np.savez(dst, **arrays)
    return dst


def test_runfile_of_another_version_is_refused(tmp_path, good_bytes):
    good = _write(tmp_path / "good.npz", good_bytes)
    meta = json.loads(str(np.load(good)["meta"]))
    for version in (2, 0, "1"):
        bad = _rewrite(good, tmp_path / f"v{version}.npz", meta=np.array(json.dumps({**meta, "version": version})))
        _refused(bad, "version", str(version))
    other = _rewrite(good, tmp_path / "fmt.npz", meta=np.array(json.dumps({**meta, "format": "something"})))
    _refused(other, "not an nntui runfile")


@pytest.mark.parametrize("version, shown", [("1", '"1"'), (True, "true"), (1.5, "1.5"), (None, "null")])
def test_a_version_that_is_not_the_number_1_says_what_it_got_and_what_is_read(tmp_path, good_bytes, version, shown):
    good = _write(tmp_path / "good.npz", good_bytes)
    meta = json.loads(str(np.load(good)["meta"]))
    bad = _rewrite(good, tmp_path / "v.npz", meta=np.array(json.dumps({**meta, "version": version})))
    with pytest.raises(RunfileError) as info:
        load_run(bad)
    assert f"meta 'version' is {shown}; this nntui reads runfiles of version 1 (the whole number 1)" in str(info.value)


def test_incomplete_runfiles_are_refused(tmp_path, good_bytes):
    good = _write(tmp_path / "good.npz", good_bytes)
    _refused(_rewrite(good, tmp_path / "nometa.npz", meta=None))
    _refused(_rewrite(good, tmp_path / "noW1.npz", W1=None), "W1")
    _refused(_rewrite(good, tmp_path / "shape.npz", W2=np.zeros((3, 1))), "W2", "shape")
    _refused(_rewrite(good, tmp_path / "nohist.npz", history_train_loss=None))
    _refused(_rewrite(good, tmp_path / "badmeta.npz", meta=np.array("{not json")))
    bad_config = json.loads(str(np.load(good)["config"]))
    bad_config["model"]["activation"] = "relux"
    _refused(_rewrite(good, tmp_path / "cfg.npz", config=np.array(json.dumps(bad_config))), "relux")


# ----------------------------------------------------------------------- atomic


def test_save_is_atomic(tmp_path, monkeypatch):
    tr = Trainer(preset())
    target = save_run(tr, tmp_path / "run.npz")
    old = target.read_bytes()
    assert os.listdir(tmp_path) == ["run.npz"]  # no temporary file left

    def broken_savez(f, **arrays):
        f.write(b"PK\x03\x04 half a file")
        raise OSError("disk full")

    tr.run_steps(3)
    monkeypatch.setattr(runfile.np, "savez", broken_savez)
    with pytest.raises(RunfileError, match="disk full"):  # one line naming the file, no traceback
        save_run(tr, target)
    assert target.read_bytes() == old  # the old run, intact
    assert os.listdir(tmp_path) == ["run.npz"]
    with pytest.raises(RunfileError):
        save_run(tr, tmp_path / "new.npz")
    assert os.listdir(tmp_path) == ["run.npz"]  # nothing half-written under the new name either
    monkeypatch.undo()
    save_run(tr, target)  # a good save replaces it
    assert load_run(target).step == 3
    assert os.listdir(tmp_path) == ["run.npz"]


def test_save_makes_no_folder_silently(tmp_path):
    tr = Trainer(preset())
    with pytest.raises(RunfileError, match="folder .* does not exist"):
        save_run(tr, tmp_path / "a" / "b" / "run.npz")
    assert not (tmp_path / "a").exists()


@pytest.mark.parametrize("where, message", [
    (lambda d: d, "is a folder"),
    (lambda d: d / "file.txt" / "run.npz", "is a file, not a folder"),
])
def test_save_names_a_bad_target(tmp_path, where, message):
    (tmp_path / "file.txt").write_text("x")
    with pytest.raises(RunfileError, match=message):
        save_run(Trainer(preset()), where(tmp_path))


@pytest.mark.parametrize("content", [b"", b"title = 'not a run'\n", b"\x80\x04K\x01."])
def test_a_file_that_is_not_an_archive_is_refused_plainly(tmp_path, content):
    path = tmp_path / "run.npz"
    path.write_bytes(content)
    with pytest.raises(RunfileError, match="not an nntui runfile") as e:
        load_run(path)
    assert "unsafely" not in str(e.value) and "pickle" not in str(e.value)


def test_a_csv_run_loads_without_its_csv(tmp_path):
    rng = np.random.default_rng(0)
    rows = "\n".join(f"{rng.normal():.6f},{rng.normal():.6f},{'abc'[i % 3]}" for i in range(30))
    (tmp_path / "d.csv").write_text("u,v,kind\n" + rows + "\n")
    d = {"data": {"dataset": "csv", "path": "d.csv", "validation": 0.2, "seed": 1},
         "model": {"layers": [2, 4, 3], "activation": "tanh", "output": "softmax", "init": "xavier", "seed": 0},
         "train": {"loss": "cross_entropy", "optimizer": "sgd", "learning_rate": 0.1, "batch_size": 8,
                   "epochs": 5}}
    config = config_from_dict(d, str(tmp_path / "p.toml"), tmp_path)
    tr = Trainer(config)
    tr.run_steps(5)
    path = save_run(tr, tmp_path / "run.npz")
    (tmp_path / "d.csv").unlink()  # the runfile carries its data
    back = load_run(path)
    assert back.dataset.classes == ("a", "b", "c") and back.dataset.feature_names == ("u", "v")
    assert back.config.to_dict() == config.to_dict()
    tr.run_steps(6)
    back.run_steps(6)
    assert_same_run(tr, back)


def test_metadata_that_is_not_a_table_is_refused(tmp_path, good_bytes):
    good = _write(tmp_path / "good.npz", good_bytes)
    for i, meta in enumerate(("[1, 2]", "3", '"nntui-run"', "null")):
        _refused(_rewrite(good, tmp_path / f"m{i}.npz", meta=np.array(meta)), "not an nntui runfile")


def test_saved_runfile_has_an_ordinary_files_mode(tmp_path):
    umask = os.umask(0o022)
    try:
        path = save_run(Trainer(preset()), tmp_path / "run.npz")
    finally:
        os.umask(umask)
    assert path.stat().st_mode & 0o777 == 0o644  # not mkstemp's private 0600


def test_save_reaches_the_disk_before_the_rename(tmp_path, monkeypatch):
    calls = []
    real_fsync, real_replace = os.fsync, os.replace
    monkeypatch.setattr(os, "fsync", lambda fd: (calls.append(("fsync", os.fstat(fd).st_size)),
                                                         real_fsync(fd)))
    monkeypatch.setattr(os, "replace", lambda a, b: (calls.append(("replace", b)), real_replace(a, b)))
    path = save_run(Trainer(preset()), tmp_path / "run.npz")
    assert [c[0] for c in calls] == ["fsync", "replace"]
    assert calls[0][1] == path.stat().st_size  # the whole file was written when it was synced
