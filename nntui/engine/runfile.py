"""Save and load a run as one .npz, so it can be resumed bit-identically.

The file is written to a temporary name and renamed, so a crash never leaves
half a file; it is read with allow_pickle=False, so a runfile never runs code.
"""

from __future__ import annotations

import json
import math
import re
import zipfile
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from .datasets import Dataset
from .drawn import DRAWN
from . import gradnorm
from .features import is_plane
from .network import units_off
from .files import FileExists, FileRefused, open_regular, size_text, write_atomic
from .names import nesting, printable_tree

FORMAT = "nntui-run"
VERSION = 1
_HISTORY = ("train_loss", "val_loss", "train_accuracy", "val_accuracy", "batch_loss", "lr")
_OPTIONAL_HISTORY = ("lr",)  # absent from runfiles written before it was kept


class RunfileError(ValueError):
    """A runfile that cannot be used; the message names the file and the reason."""


# Scalars of Trainer.state_dict() kept in the metadata; its arrays are members.
_META_STATE = ("step", "epoch", "batch", "tally", "lr", "options")


@dataclass(frozen=True)
class SavedRun:
    """A runfile, read and checked as a file: the preset it holds (a dict,
    for the config to check), its data, and the trainer's state_dict()."""

    config: dict
    source: str  # the preset it came from, for its name and messages
    dataset: Dataset
    state: dict


def _meta(trainer, state: dict) -> dict:
    d = trainer.dataset
    return {
        "format": FORMAT, "version": VERSION,
        **{k: state[k] for k in _META_STATE}, "off": state["off"], "edits": state["edits"],
        **{k: state[k] for k in ("schedule", "stop") if k in state},
        **({"timeline": {k: v for k, v in state["timeline"].items() if k != "arrays"}} if "timeline" in state else {}),
        "task": d.task, "classes": list(d.classes), "feature_names": list(d.feature_names),
        "dataset_name": d.name, "source": getattr(trainer.config, "source", ""),
    }


def save_run(trainer, path, *, replace: bool = True) -> Path:
    """Write the run to `path` atomically; returns the path written. A file
    already there is replaced (the app's save and library callers), unless
    `replace` is False: then FileExists (the CLI, whose --force says it)."""
    path = Path(path)
    d = trainer.dataset
    state = trainer.state_dict()
    arrays = {
        "meta": np.array(json.dumps(_meta(trainer, state), default=_jsonable)),
        "config": np.array(json.dumps(trainer.config.to_dict())),
        "x_train": d.x_train, "y_train": d.y_train, "x_val": d.x_val, "y_val": d.y_val,
    }
    arrays.update({f"init_{k}": v for k, v in state["initial_params"].items()})
    arrays.update(state["params"])
    arrays.update({f"best_{k}": v for k, v in state.get("best_params", {}).items()})
    if "timeline" in state:  # the app's timeline: every kept epoch's end
        arrays.update({f"timeline/{k}": v for k, v in state["timeline"]["arrays"].items()})
    arrays.update({f"optimizer/{k}": v for k, v in state["optimizer"].items()})
    arrays.update({f"history_{k}": np.array(v, dtype=np.float64) for k, v in state["history"].items()})
    _check_finite_state(arrays, path)
    try:
        write_atomic(path, lambda f: np.savez(f, **arrays), replace=replace)
    except FileExists:
        raise
    except FileRefused as e:
        raise RunfileError(str(e)) from None
    return path


def _check_finite_state(arrays: dict, path) -> None:
    """No runfile holds NaN or inf: a run that diverged keeps its last finite
    parameters (the trainer rolls the bad step back), but an optimizer's
    state or a history can still hold an overflow; that is refused by name."""
    for name, a in arrays.items():
        if a.dtype.kind in "fc" and a.size and not np.isfinite(a).all():
            raise RunfileError(f"{path}: not saved: '{name}' holds NaN or inf (the run diverged); "
                               "step back to before the divergence, or reset, and save again")


def _jsonable(value):
    if isinstance(value, (np.generic,)):
        return value.item()
    if isinstance(value, tuple):
        return list(value)
    raise TypeError(f"cannot store {type(value).__name__} in a runfile")


# --- reading ----------------------------------------------------------------------
#
# A runfile comes from anywhere, so it is read defensively: only the members
# the format defines, each within a size the stored config implies (declared
# sizes are checked before anything is decompressed, and zipfile never
# inflates a member past its declared size), only real numbers, and then every
# member is checked against the config before a trainer is built from it.

RUNFILE_LIMIT = 2 * 2**30  # the file on disk, and the total its members declare
TEXT_LIMIT = 2**20  # meta and config (JSON)
DATA_LIMIT = 512 * 2**20  # x_train, y_train, x_val and y_val together
MAX_STEPS = 10**12
MAX_EPOCHS = 10**7
MAX_NESTING = 20  # lists and tables inside each other in meta and config; a run needs 4
_HEADER = 4096  # a .npy header's bytes, at most
_HISTORY_RE = "|".join(_HISTORY)
_MEMBER = re.compile(
    r"(?P<name>meta|config|[xy]_(?:train|val)"
    r"|(?:init_|best_)?[Wb](?P<layer>[1-9][0-9]{0,3})"
    r"|optimizer/t|optimizer/[Wb](?P<olayer>[1-9][0-9]{0,3})/[a-z_]{1,40}"
    rf"|history_(?:{_HISTORY_RE}|{gradnorm.PREFIX}W(?P<glayer>[1-9][0-9]{{0,3}}))"
    r"|timeline/[0-9]{1,8}/(?:(?:best_)?[Wb](?P<tlayer>[1-9][0-9]{0,3})"
    r"|optimizer/[Wb](?P<tolayer>[1-9][0-9]{0,3})/[a-z_]{1,40}))\.npy"
)


def _grad_norm_keys(n_weights: int) -> tuple[str, ...]:
    return gradnorm.keys(f"W{l}" for l in range(1, n_weights + 1))


def _refuse(path, problem: str) -> RunfileError:
    return RunfileError(f"{path}: {problem}")


def _zip(path: Path, f) -> zipfile.ZipFile:
    magic = f.read(4)
    f.seek(0)
    # Anything that is not a zip would reach numpy's pickle path, whose refusal
    # advises loading "unsafely": say plainly what the file is not instead.
    if magic != b"PK\x03\x04":
        raise _refuse(path, "not an nntui runfile (a runfile is an .npz archive"
                            f"{', and this file is empty' if not magic else ''})")
    try:
        return zipfile.ZipFile(f)
    except (zipfile.BadZipFile, zipfile.LargeZipFile, OSError, ValueError, EOFError) as e:
        raise _refuse(path, f"not a readable nntui runfile (truncated or corrupt: {e})") from None


def _members(path: Path, zf: zipfile.ZipFile) -> dict[str, zipfile.ZipInfo]:
    """The members by name (without .npy); anything the format does not define is refused."""
    members: dict[str, zipfile.ZipInfo] = {}
    total = 0
    for info in zf.infolist():
        m = _MEMBER.fullmatch(info.filename)
        if m is None:
            raise _refuse(path, f"not an nntui runfile, or a damaged one: unexpected member "
                                f"'{info.filename[:80]}' (a runfile holds only meta, config, the data, "
                                "the parameters, the optimizer state and the history)")
        name = info.filename[:-len(".npy")]
        if name in members:
            raise _refuse(path, f"member '{name}' is given twice")
        members[name] = info
        total += info.file_size
    if total > RUNFILE_LIMIT:
        raise _refuse(path, f"its members would take {size_text(total)} once decompressed "
                            f"(a runfile may hold at most {size_text(RUNFILE_LIMIT)})")
    return members


def _array(path: Path, zf: zipfile.ZipFile, info: zipfile.ZipInfo, limit: int, what: str = "") -> np.ndarray:
    """One member as an array, refused before it is read if its declared size
    or its header's shape exceeds `limit` bytes, or if it holds anything but
    real numbers (what = "text" for meta and config)."""
    name = info.filename[:-len(".npy")]
    if info.file_size > limit + _HEADER:
        raise _refuse(path, f"member '{name}' declares {size_text(info.file_size)}, more than its "
                            f"config allows ({size_text(limit + _HEADER)})")
    try:
        with zf.open(info) as f:
            version = np.lib.format.read_magic(f)
            if version == (1, 0):
                shape, fortran, dtype = np.lib.format.read_array_header_1_0(f, max_header_size=_HEADER)
            else:
                shape, fortran, dtype = np.lib.format.read_array_header_2_0(f, max_header_size=_HEADER)
            if dtype.hasobject:
                raise _refuse(path, f"member '{name}' holds Python objects; a runfile holds numbers only")
            kind = dtype.kind
            if what == "text":
                if kind not in "US" or shape != ():
                    raise _refuse(path, f"member '{name}' is not text")
            elif kind in "US":
                raise _refuse(path, f"member '{name}' holds text ({dtype.str}); it must hold real numbers (float64)")
            elif kind == "c":
                raise _refuse(path, f"member '{name}' holds complex numbers; it must hold real numbers (float64)")
            elif kind not in "fiub" or dtype.itemsize > 8:
                raise _refuse(path, f"member '{name}' has dtype {dtype.str}; it must hold real numbers (float64)")
            nbytes = math.prod(shape) * dtype.itemsize
            if nbytes > limit:
                raise _refuse(path, f"member '{name}' has shape {shape} ({size_text(nbytes)}), more than "
                                    f"its config allows ({size_text(limit)})")
        with zf.open(info) as f:
            return np.lib.format.read_array(f, allow_pickle=False, max_header_size=_HEADER)
    except RunfileError:
        raise
    except Exception as e:  # a damaged member: bad CRC, compression method, header, ...
        raise _refuse(path, f"member '{name}' is truncated or corrupt ({e})") from None


def _json(path: Path, zf: zipfile.ZipFile, members: dict, name: str) -> object:
    if name not in members:
        raise _refuse(path, f"not an nntui runfile (no {'metadata' if name == 'meta' else name})")
    try:
        value = json.loads(str(_array(path, zf, members[name], TEXT_LIMIT, "text")))
        too_deep = nesting(value) > MAX_NESTING
    except ValueError:
        raise _refuse(path, f"member '{name}' is not valid JSON") from None
    except RecursionError:  # the parser recurses once per level
        too_deep = True
    if too_deep:
        raise _refuse(path, f"member '{name}' nests lists and tables too deeply "
                            f"(a runfile needs a few levels; at most {MAX_NESTING} are read)")
    return printable_tree(value)  # its text is data: no terminal control reaches a screen


def _count(path, meta: dict, key: str, hi: int) -> int:
    v = meta.get(key)
    if isinstance(v, bool) or not isinstance(v, int) or not 0 <= v <= hi:
        raise _refuse(path, f"meta '{key}' must be a whole number from 0 to {hi:.0e}, not {str(v)[:40]}")
    return v


# Drawn data changes its size as it is drawn, so an epoch of the past may have
# had more batches than the data has now: at most this many, or the data's size.
DRAWN_EPOCH_BATCHES = 10_000


def _check_step(path, meta: dict, config: dict, x_train: np.ndarray, step: int, epoch: int) -> bool:
    """`step` against the epochs and batches it counts, before a history of
    `step` losses is read: each epoch takes ceil(n / batch size) steps."""
    n = len(x_train) if x_train.ndim else 0
    train = config.get("train") if isinstance(config.get("train"), dict) else {}
    size = train.get("batch_size")
    batch = meta.get("batch")
    exact = (meta.get("dataset_name") != DRAWN and isinstance(size, int) and not isinstance(size, bool)
             and size >= 1 and isinstance(batch, int) and not isinstance(batch, bool) and n >= 1)
    if exact:
        per_epoch = math.ceil(n / min(size, n))
        if not 0 <= batch < per_epoch:
            raise _refuse(path, f"meta 'batch' must be a batch number from 0 to {per_epoch - 1} "
                                f"({n} samples in batches of {size}), not {batch}")
        if step != epoch * per_epoch + batch:
            raise _refuse(path, f"meta 'step' is {step}; {epoch} epochs of {per_epoch} batches "
                                f"({n} samples in batches of {size}) and {batch} more make "
                                f"{epoch * per_epoch + batch}")
        return True
    most = (epoch + 1) * max(n, DRAWN_EPOCH_BATCHES)
    if not epoch <= step <= most:
        raise _refuse(path, f"meta 'step' is {step}; {epoch} epochs of at most {max(n, DRAWN_EPOCH_BATCHES)} "
                            f"batches make from {epoch} to {most} steps")
    return True


def _layer_sizes(path, config: dict) -> list[int]:
    """model.layers from the stored preset, enough to bound the members (the
    config checks the preset itself later)."""
    layers = config.get("model", {}).get("layers") if isinstance(config.get("model"), dict) else None
    if (not isinstance(layers, list) or not 2 <= len(layers) <= 1000
            or not all(isinstance(n, int) and not isinstance(n, bool) and 1 <= n <= 10**6 for n in layers)):
        raise _refuse(path, "config 'model.layers' must be a list of at least two positive sizes")
    return layers


def read_run(path) -> SavedRun:
    """Read a runfile: RunfileError if it is not one, or is damaged or
    incomplete. The preset inside is returned as a dict: checking it is the
    config's job (see nntui.experiment.runs.load_run); checking the state against the
    checked config is `restore`'s."""
    path = Path(path)
    try:
        with open_regular(path, RUNFILE_LIMIT, "runfile") as f:
            with _zip(path, f) as zf:
                return _read_members(path, zf)
    except FileRefused as e:
        raise RunfileError(str(e)) from None
    except RunfileError:
        raise
    except (OSError, zipfile.BadZipFile, EOFError) as e:
        raise _refuse(path, f"not a readable nntui runfile (truncated or corrupt: {e})") from None


def _read_members(path: Path, zf: zipfile.ZipFile) -> SavedRun:
    members = _members(path, zf)
    meta = _json(path, zf, members, "meta")
    if not isinstance(meta, dict) or meta.get("format") != FORMAT:
        raise _refuse(path, "not an nntui runfile")
    version = meta.get("version")
    if version != VERSION or isinstance(version, bool):
        raise _refuse(path, f"meta 'version' is {json.dumps(version)[:20]}; this nntui reads "
                            f"runfiles of version {VERSION} (the whole number {VERSION})")
    config = _json(path, zf, members, "config")
    if not isinstance(config, dict):
        raise _refuse(path, "incomplete or inconsistent runfile (its preset is not a table)")
    layers = _layer_sizes(path, config)
    step = _count(path, meta, "step", MAX_STEPS)
    epoch = _count(path, meta, "epoch", MAX_EPOCHS)
    missing = [k for k in ("meta", "config", "x_train", "y_train", "x_val", "y_val")
               + tuple(f"history_{k}" for k in _HISTORY + _grad_norm_keys(len(layers) - 1)
                       if k not in _OPTIONAL_HISTORY) if k not in members]
    if missing:
        raise _refuse(path, f"missing member '{missing[0]}'")
    # What each member may hold, from the config's shapes and the meta's counts.
    sizes = {}
    for l in range(1, len(layers)):
        sizes[f"W{l}"] = layers[l - 1] * layers[l] * 8
        sizes[f"b{l}"] = layers[l] * 8
    arrays: dict[str, np.ndarray] = {}
    data_left = DATA_LIMIT
    checked_step = False
    # The history last, once the data's size bounds the step count it may hold.
    for name, info in sorted(members.items(), key=lambda item: item[0].startswith("history_")):
        if name in ("meta", "config"):
            continue
        if name.startswith("history_") and "x_train" in arrays and not checked_step:
            checked_step = _check_step(path, meta, config, arrays["x_train"], step, epoch)
        m = _MEMBER.fullmatch(info.filename)
        if name.startswith("history_"):
            limit = 8 * (step if name == "history_batch_loss" else epoch)
        elif name == "optimizer/t":
            limit = 8
        elif m.group("tlayer") or m.group("tolayer"):
            pname = name.split("/")[-2 if m.group("tolayer") else -1].removeprefix("best_")
            if pname not in sizes:
                raise _refuse(path, f"member '{name}': the network has no parameter {pname} (layers {layers})")
            limit = sizes[pname]
        elif m.group("layer") or m.group("olayer"):
            pname = name.removeprefix("init_").removeprefix("best_").removeprefix("optimizer/").split("/")[0]
            if pname not in sizes:
                raise _refuse(path, f"member '{name}': the network has no parameter {pname} "
                                    f"(layers {layers})")
            limit = sizes[pname]
        else:  # the data
            limit = data_left
        arrays[name] = a = _array(path, zf, info, limit)
        if name[:2] in ("x_", "y_"):
            data_left -= a.nbytes
    try:
        x_train, y_train, x_val, y_val = (_data(path, arrays, k) for k in ("x_train", "y_train", "x_val", "y_val"))
        task, classes = meta.get("task"), meta.get("classes")
        features = meta.get("feature_names")
        if not isinstance(classes, list) or not all(isinstance(c, str) for c in classes):
            raise _refuse(path, "meta 'classes' must be a list of class names")
        if not isinstance(features, list) or not all(isinstance(c, str) for c in features):
            raise _refuse(path, "meta 'feature_names' must be a list of names")
        y_train, y_val = (_labels(path, task, classes, y, k) for y, k in ((y_train, "y_train"), (y_val, "y_val")))
        if len(x_train) == 0:
            raise _refuse(path, "member 'x_train' is empty; a run needs at least one training sample")
        if len(features) != x_train.shape[1]:
            raise _refuse(path, f"meta 'feature_names' names {len(features)} inputs, 'x_train' has {x_train.shape[1]}")
        dataset = Dataset(x_train, y_train, x_val, y_val, task, tuple(classes), tuple(features),
                          str(meta.get("dataset_name", "")))
        state = {k: meta[k] for k in _META_STATE}
        state["off"] = meta.get("off", [])  # units switched off: none in a runfile without the key
        state["edits"] = meta.get("edits", [])  # weights set by hand, likewise
        state["params"] = {k: v for k, v in arrays.items() if re.fullmatch(r"[Wb][0-9]+", k)}
        best = {k[len("best_"):]: v for k, v in arrays.items() if k.startswith("best_")}
        if best:
            state["best_params"] = best
        state.update({k: meta[k] for k in ("schedule", "stop") if k in meta})
        if "timeline" in meta:
            if not isinstance(meta["timeline"], dict):
                raise _refuse(path, "meta 'timeline' must be a table")
            state["timeline"] = {**meta["timeline"], "arrays": {
                k[len("timeline/"):]: v for k, v in arrays.items() if k.startswith("timeline/")}}
        state["initial_params"] = {k[len("init_"):]: v for k, v in arrays.items() if k.startswith("init_")}
        state["optimizer"] = {k[len("optimizer/"):]: v for k, v in arrays.items() if k.startswith("optimizer/")}
        state["history"] = {k[len("history_"):]: v for k, v in arrays.items() if k.startswith("history_")}
    except RunfileError:
        raise
    except (KeyError, ValueError, TypeError) as e:
        raise _refuse(path, f"incomplete or inconsistent runfile ({e})") from None
    return SavedRun(config, str(meta.get("source") or "preset"), dataset, state)


def _real(path, name: str, a: np.ndarray) -> np.ndarray:
    """`a` as float64, refused unless every value converts exactly and is finite."""
    if a.dtype.kind in "iu" and a.size and np.abs(a).max() > 2**53:
        raise _refuse(path, f"member '{name}' holds integers too large to be stored exactly as float64")
    out = a.astype(np.float64)
    if out.size and not np.isfinite(out).all():
        raise _refuse(path, f"member '{name}' holds NaN or inf; a runfile holds finite numbers only")
    return out


def _data(path, arrays: dict, name: str) -> np.ndarray:
    a = arrays[name]
    if name.startswith("x_"):
        if a.ndim != 2:
            raise _refuse(path, f"member '{name}' must be a table (samples × inputs), not shape {a.shape}")
        return _real(path, name, a)
    return a


def _labels(path, task, classes: list, y: np.ndarray, name: str) -> np.ndarray:
    if task == "binary":
        if len(classes) != 2:
            raise _refuse(path, f"meta 'classes' names {len(classes)} classes; binary data has 2")
        if y.ndim != 2 or y.shape[1] != 1:
            raise _refuse(path, f"member '{name}' must have shape (samples, 1) for binary data, not {y.shape}")
        y = _real(path, name, y)
        if not np.isin(y, (0.0, 1.0)).all():
            raise _refuse(path, f"member '{name}' holds a label other than 0 or 1 (binary data)")
        return y
    if task == "multiclass":
        k = len(classes)
        if k < 2:
            raise _refuse(path, f"meta 'classes' names {k} classes; multiclass data has at least 2")
        if y.ndim != 1:
            raise _refuse(path, f"member '{name}' must have shape (samples,) of class numbers, not {y.shape}")
        if y.dtype.kind == "f" and y.size and not (np.isfinite(y).all() and (y == np.round(y)).all()):
            raise _refuse(path, f"member '{name}' holds a label that is not a class number")
        if y.size and (y.min() < 0 or y.max() >= k):
            raise _refuse(path, f"member '{name}' holds a label outside 0..{k - 1} ({k} classes)")
        return y.astype(np.int64)
    if task == "regression":
        if classes:
            raise _refuse(path, "meta 'classes' must be empty for regression data")
        if y.ndim != 2:
            raise _refuse(path, f"member '{name}' must have shape (samples, outputs), not {y.shape}")
        return _real(path, name, y)
    raise _refuse(path, f"meta 'task' must be binary, multiclass or regression, not {str(task)[:40]}")


def check_state(saved: SavedRun, config, path) -> None:
    """Everything in a read runfile against its checked config: the data's
    width and outputs, every parameter's shape, finite values, the optimizer
    state for this optimizer, and the counters against the history."""
    layers = list(config.model.layers)
    d, st = saved.dataset, saved.state
    features = config.data.features
    if not is_plane(features):
        # The data keeps its 2-D points; the network takes their features.
        if d.x_train.shape[1] != 2:
            raise _refuse(path, f"member 'x_train' has {d.x_train.shape[1]} columns; the preset's features "
                                f"({', '.join(features)}) are computed from 2")
        if len(features) != layers[0]:
            raise _refuse(path, f"the preset has {len(features)} features; the network takes {layers[0]} inputs")
    elif d.x_train.shape[1] != layers[0]:
        raise _refuse(path, f"member 'x_train' has {d.x_train.shape[1]} columns; the network takes {layers[0]} inputs")
    if d.n_outputs != layers[-1]:
        raise _refuse(path, f"the data has {d.n_outputs} outputs ({d.task}"
                            f"{', classes ' + ', '.join(d.classes[:6]) if d.task != 'regression' else ''}); "
                            f"the network has {layers[-1]}")
    names = [f"{p}{l}" for l in range(1, len(layers)) for p in "Wb"]
    shapes = {f"W{l}": (layers[l - 1], layers[l]) for l in range(1, len(layers))}
    shapes.update({f"b{l}": (layers[l],) for l in range(1, len(layers))})
    for which, prefix in (("initial_params", "init_"), ("params", ""), ("best_params", "best_")):
        if which not in st:
            continue
        given = st[which]
        for k in names:
            if k not in given:
                raise _refuse(path, f"missing member '{prefix}{k}'")
            if given[k].shape != shapes[k]:
                raise _refuse(path, f"member '{prefix}{k}' has shape {given[k].shape}; the network needs {shapes[k]}")
            given[k] = _real(path, prefix + k, given[k])
        extra = sorted(set(given) - set(names))
        if extra:
            raise _refuse(path, f"member '{prefix}{extra[0]}': the network has no such parameter")
    _check_optimizer(path, config.train.optimizer, st["optimizer"], shapes, st["step"])
    if "timeline" in st:
        _check_timeline(path, config.train.optimizer, st["timeline"]["arrays"], shapes)
    _check_counters(path, saved, config)
    _check_edits(path, st["edits"], shapes, st["step"])


def _check_edits(path, edits, shapes: dict, step: int) -> None:
    """meta 'edits': [step, name, [index...], old value, new value] for each
    weight set by hand, in order, none after the run's step."""
    what = ("meta 'edits' must be a list of [step, parameter, [index, ...], old value, new value], "
            "the weights set by hand")
    if not isinstance(edits, list):
        raise _refuse(path, what)
    last = 0
    for e in edits:
        if not (isinstance(e, list) and len(e) == 5 and isinstance(e[0], int) and not isinstance(e[0], bool)
                and isinstance(e[1], str) and isinstance(e[2], list)
                and all(isinstance(i, int) and not isinstance(i, bool) for i in e[2])
                and all(isinstance(v, (int, float)) and not isinstance(v, bool) and math.isfinite(v) for v in e[3:])):
            raise _refuse(path, what)
        st, name, index = e[0], e[1], e[2]
        if name not in shapes:
            raise _refuse(path, f"meta 'edits': no parameter '{name[:20]}'; the network has "
                                f"{', '.join(shapes)}")
        shape = shapes[name]
        if len(index) != len(shape) or not all(0 <= i < n for i, n in zip(index, shape)):
            raise _refuse(path, f"meta 'edits': {name}{index} is outside {name}, of shape {shape}")
        if not last <= st <= step:
            raise _refuse(path, f"meta 'edits': an edit at step {st} is out of order or after the run's step {step}")
        last = st


def _check_timeline(path, optimizer: str, arrays: dict, shapes: dict) -> None:
    """Each kept epoch's arrays: shapes of the network's, slots the optimizer keeps, finite."""
    from .optimizers import OPTIMIZERS

    allowed = set(OPTIMIZERS[optimizer].state_keys)
    for key, a in arrays.items():
        parts = key.split("/")
        pname = parts[2] if parts[1] == "optimizer" else parts[1].removeprefix("best_")
        if parts[1] == "optimizer" and parts[3] not in allowed:
            raise _refuse(path, f"member 'timeline/{key}': {optimizer} keeps no '{parts[3]}'")
        if a.shape != shapes[pname]:
            raise _refuse(path, f"member 'timeline/{key}' has shape {a.shape}; {pname} has {shapes[pname]}")
        arrays[key] = _real(path, f"timeline/{key}", a)


def _required_slots(optimizer: str) -> set[str]:
    """The state an optimizer keeps for every parameter from its first step
    with its default options (slots that an option switches on, such as
    momentum's buffer, may start later)."""
    from .optimizers import make_optimizer

    opt = make_optimizer(optimizer, 0.1, {})
    p = {"W1": np.zeros((1, 1)), "b1": np.zeros(1)}
    _, pending = opt.compute(p, {"W1": np.ones((1, 1)), "b1": np.ones(1)})
    opt.commit(pending)
    return {k.split("/", 1)[1] for k in opt.get_state() if k.startswith("W1/")}


def _check_optimizer(path, optimizer: str, flat: dict, shapes: dict, step: int) -> None:
    from .optimizers import OPTIMIZERS

    allowed = set(OPTIMIZERS[optimizer].state_keys)
    if "t" not in flat:
        raise _refuse(path, "missing member 'optimizer/t' (the optimizer's step count)")
    t = flat["t"]
    if t.shape != () or t.dtype.kind not in "iu" or not 0 <= int(t) <= step:
        raise _refuse(path, f"member 'optimizer/t' must be one whole number from 0 to the step ({step})")
    seen: dict[str, set[str]] = {}
    for key, a in flat.items():
        if key == "t":
            continue
        pname, slot = key.split("/", 1)
        if slot not in allowed:
            raise _refuse(path, f"member 'optimizer/{key}': {optimizer} keeps no '{slot}' "
                                f"(it keeps {', '.join(sorted(allowed)) or 'no state'})")
        if pname not in shapes:
            raise _refuse(path, f"member 'optimizer/{key}': the network has no parameter {pname}")
        if a.shape != shapes[pname]:
            raise _refuse(path, f"member 'optimizer/{key}' has shape {a.shape}; {pname} has {shapes[pname]}")
        flat[key] = _real(path, f"optimizer/{key}", a)
        seen.setdefault(pname, set()).add(slot)
    if int(t) > 0:
        need = _required_slots(optimizer)
        for pname in shapes:
            missing = sorted(need - seen.get(pname, set()))
            if missing:
                raise _refuse(path, f"missing member 'optimizer/{pname}/{missing[0]}': {optimizer} has taken "
                                    f"{int(t)} steps, so its state is needed to resume exactly")
    if len({frozenset(s) for s in seen.values()}) > 1 or (seen and len(seen) != len(shapes)):
        raise _refuse(path, "the optimizer state covers some parameters and not others")


def _check_counters(path, saved: SavedRun, config) -> None:
    st, d = saved.state, saved.dataset
    step, epoch, batch = st["step"], st["epoch"], st["batch"]
    n = len(d.x_train)
    per_epoch = math.ceil(n / max(1, min(config.train.batch_size, n)))
    if isinstance(batch, bool) or not isinstance(batch, int) or not 0 <= batch < per_epoch:
        raise _refuse(path, f"meta 'batch' must be a batch number from 0 to {per_epoch - 1} "
                            f"({n} samples in batches of {config.train.batch_size}), not {str(batch)[:40]}")
    h = st["history"]
    classify = d.task != "regression"
    if "lr" in h:
        a = h["lr"]
        if a.ndim != 1 or len(a) != epoch:
            raise _refuse(path, f"member 'history_lr' has {a.size} values; an epoch count of {epoch} needs {epoch}")
        h["lr"] = _real(path, "history_lr", a)
    L = len(config.model.layers) - 1
    want = {"train_loss": epoch, "batch_loss": step,
            "val_loss": epoch if len(d.x_val) else 0,
            "train_accuracy": epoch if classify else 0,
            "val_accuracy": epoch if classify and len(d.x_val) else 0,
            **{k: epoch for k in _grad_norm_keys(L)}}
    extra = sorted(set(h) - set(want) - {"lr"})  # history_lr is checked above
    if extra:
        raise _refuse(path, f"member 'history_{extra[0]}': the network has no such weight matrix (layers {L})")
    # Drawn data drops the validation set mid-run (engine/drawn.py): its
    # validation history stops where the drawing began, anywhere up to now.
    stopped = {"val_loss", "val_accuracy"} if not len(d.x_val) and d.name == DRAWN else set()
    for k, n_want in want.items():
        a = h[k]
        if k in stopped and a.ndim == 1 and len(a) <= (epoch if k == "val_loss" or classify else 0):
            pass
        elif a.ndim != 1 or len(a) != n_want:
            raise _refuse(path, f"member 'history_{k}' has {a.size} values; "
                                f"{'a step' if k == 'batch_loss' else 'an epoch'} count of "
                                f"{step if k == 'batch_loss' else epoch} needs {n_want}")
        h[k] = _real(path, f"history_{k}", a)
        if k.endswith("accuracy") and a.size and not ((a >= 0) & (a <= 1)).all():
            raise _refuse(path, f"member 'history_{k}' holds an accuracy outside 0..1")
    if step < epoch:
        raise _refuse(path, f"meta 'step' ({step}) is below the epoch count ({epoch}); each epoch takes a step")
    tally = st["tally"]
    if (not isinstance(tally, list) or len(tally) != 3
            or not all(isinstance(v, (int, float)) and not isinstance(v, bool) for v in tally[:2])
            or not math.isfinite(tally[0]) or not isinstance(tally[1], int) or not 0 <= tally[1] <= n
            or not isinstance(tally[2], list) or len(tally[2]) != L
            or not all(isinstance(v, (int, float)) and not isinstance(v, bool) and math.isfinite(v) and v >= 0
                       for v in tally[2])):
        raise _refuse(path, "meta 'tally' must be [sum of batch losses, samples right, [sum of gradient norms, "
                            f"one for each of the {L} weight matrices]] for the epoch so far")
    off = st["off"]
    if not isinstance(off, list) or not all(
            isinstance(p, list) and len(p) == 2 and all(isinstance(v, int) and not isinstance(v, bool) for v in p)
            for p in off):
        raise _refuse(path, "meta 'off' must be a list of [layer, unit] pairs, the hidden units switched off")
    try:
        units_off(config.model.layers, off)
    except ValueError as e:
        raise _refuse(path, f"meta 'off': {e}") from None
    lr = st["lr"]
    scheduled = config.train.schedule is not None  # a schedule may reach 0 (cosine's eta_min)
    if (isinstance(lr, bool) or not isinstance(lr, (int, float)) or not math.isfinite(lr) or lr < 0
            or (lr == 0 and not scheduled)):
        raise _refuse(path, f"meta 'lr' must be a positive number, not {str(lr)[:40]}")
    if not isinstance(st["options"], dict):
        raise _refuse(path, "meta 'options' must be a table of optimizer options")
    _check_rules(path, st, config)


def _check_rules(path, st: dict, config) -> None:
    """The schedule's and early stopping's saved state: present exactly when the
    preset has them, and the same shape of plain numbers as a fresh one's."""
    from .schedules import Schedule

    t = config.train
    for key, has in (("schedule", t.schedule is not None), ("stop", t.early_stopping is not None)):
        if has and key not in st:
            raise _refuse(path, f"missing meta '{key}': the preset has [train.{'schedule' if key == 'schedule' else 'early_stopping'}]")
        if not has and key in st:
            raise _refuse(path, f"meta '{key}' given, but the preset has no [train.{'schedule' if key == 'schedule' else 'early_stopping'}]")
    if "best_params" in st and (t.early_stopping is None or not t.early_stopping.restore_best):
        raise _refuse(path, "members 'best_...' given, but the preset does not restore the best weights")
    if t.schedule is None and t.early_stopping is None:
        return
    sc = t.schedule
    if sc is not None and not _same_shape(
            Schedule(1.0, sc.kind, dict(sc.args), sc.warmup, sc.warmup_start).state(), st["schedule"]):
        raise _refuse(path, "meta 'schedule' does not hold the state of the preset's schedule")
    if t.early_stopping is not None:
        stop = st["stop"]
        ok = (isinstance(stop, dict) and set(stop) == {"best", "best_epoch", "wait", "stopped_epoch"}
              and _number(stop["best"]) and all(_whole(stop[k]) for k in ("best_epoch", "wait"))
              and (stop["stopped_epoch"] is None or _whole(stop["stopped_epoch"])))
        if not ok:
            raise _refuse(path, "meta 'stop' must be {best, best_epoch, wait, stopped_epoch} of numbers")


def _number(v) -> bool:
    return isinstance(v, (int, float)) and not isinstance(v, bool) and not math.isnan(v)


def _whole(v) -> bool:
    return isinstance(v, int) and not isinstance(v, bool) and 0 <= v <= MAX_EPOCHS


def _same_shape(fresh, given) -> bool:
    """`given` has `fresh`'s keys and lengths, with a number wherever it has one."""
    if isinstance(fresh, dict):
        return isinstance(given, dict) and set(given) == set(fresh) and all(
            _same_shape(fresh[k], given[k]) for k in fresh)
    if isinstance(fresh, list):
        return isinstance(given, list) and len(given) == len(fresh) and all(
            _same_shape(a, b) for a, b in zip(fresh, given))
    if isinstance(fresh, bool) or fresh is None:
        return given == fresh
    if isinstance(fresh, int):
        return _whole(given) or (isinstance(given, int) and not isinstance(given, bool) and abs(given) <= MAX_EPOCHS)
    return _number(given)


def restore(saved: SavedRun, config, path) -> "Trainer":
    """The trainer a read runfile holds, for its checked config, ready to go on."""
    from .optimizers import OptionError
    from .trainer import Trainer

    check_state(saved, config, path)
    try:
        trainer = Trainer(config, saved.dataset)
        trainer.load_state_dict(saved.state)
    except OptionError as e:
        raise _refuse(path, f"meta 'options': {e}") from None
    except (KeyError, ValueError, TypeError) as e:
        raise _refuse(path, f"incomplete or inconsistent runfile ({e})") from None
    return trainer
