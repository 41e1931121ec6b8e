"""Save and load a run as one .npz, so it can be resumed bit-identically.

The file is written to a temporary name and renamed, so a crash never leaves
half a file; it is read with allow_pickle=False, so a runfile never runs code.
"""

from __future__ import annotations

import json
import os
import tempfile
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from .datasets import Dataset

FORMAT = "nntui-run"
VERSION = 1
_HISTORY = ("train_loss", "val_loss", "train_accuracy", "val_accuracy", "batch_loss")


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
        **{k: state[k] for k in _META_STATE},
        "task": d.task, "classes": list(d.classes), "feature_names": list(d.feature_names),
        "dataset_name": d.name, "source": getattr(trainer.config, "source", ""),
    }


def check_writable(path) -> None:
    """Raise RunfileError unless `path` names a file that can be written, so a
    caller can ask before spending minutes on training. No folder is made silently."""
    path = Path(path)
    parent = path.parent
    if path.is_dir():
        raise RunfileError(f"{path}: is a folder; give a file name such as {path / 'run.npz'}")
    if not parent.exists():
        raise RunfileError(f"{path}: the folder {parent} does not exist")
    if not parent.is_dir():
        raise RunfileError(f"{path}: {parent} is a file, not a folder")
    if not os.access(parent, os.W_OK):
        raise RunfileError(f"{path}: the folder {parent} is not writable")


def save_run(trainer, path) -> Path:
    """Write the run to `path` atomically; returns the path written."""
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
    arrays.update({f"optimizer/{k}": v for k, v in state["optimizer"].items()})
    arrays.update({f"history_{k}": np.array(v, dtype=np.float64) for k, v in state["history"].items()})
    check_writable(path)
    fd, tmp = tempfile.mkstemp(prefix=f".{path.name}.", suffix=".tmp", dir=path.parent)
    try:
        # mkstemp makes the file private (0600); give it the mode any new file gets.
        umask = os.umask(0)
        os.umask(umask)
        os.chmod(tmp, 0o666 & ~umask)
        with os.fdopen(fd, "wb") as f:
            np.savez(f, **arrays)
            f.flush()
            os.fsync(f.fileno())  # on disk before the rename, or a power cut can leave it empty
        os.replace(tmp, path)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise
    return path


def _jsonable(value):
    if isinstance(value, (np.generic,)):
        return value.item()
    if isinstance(value, tuple):
        return list(value)
    raise TypeError(f"cannot store {type(value).__name__} in a runfile")


def _read(path: Path) -> dict[str, np.ndarray]:
    if not path.is_file():
        raise RunfileError(f"{path}: no such runfile")
    with open(path, "rb") as f:
        magic = f.read(4)
    # Anything that is not a zip would reach numpy's pickle path, whose refusal
    # advises loading "unsafely": say plainly what the file is not instead.
    if magic != b"PK\x03\x04":
        raise RunfileError(f"{path}: not an nntui runfile (a runfile is an .npz archive"
                           f"{', and this file is empty' if not magic else ''})")
    try:
        npz = np.load(path, allow_pickle=False)
    except Exception as e:  # bytes from anywhere: zipfile, numpy and pickle refusals all land here
        raise RunfileError(f"{path}: not a readable nntui runfile (truncated or corrupt: {e})") from None
    if not isinstance(npz, np.lib.npyio.NpzFile):  # a lone .npy array
        raise RunfileError(f"{path}: not an nntui runfile (a single array, not an .npz archive)")
    try:
        with npz:
            return {k: npz[k] for k in npz.files}
    except Exception as e:  # a damaged member: bad CRC, compression method, header, ...
        raise RunfileError(f"{path}: not a readable nntui runfile (truncated or corrupt: {e})") from None


def read_run(path) -> SavedRun:
    """Read a runfile: RunfileError if it is not one, or is damaged or
    incomplete. The preset inside is returned as a dict: checking it is the
    config's job (see nntui.runs.load_run)."""
    path = Path(path)
    a = _read(path)
    try:
        meta = json.loads(str(a["meta"]))
    except (KeyError, ValueError):
        raise RunfileError(f"{path}: not an nntui runfile (no metadata)") from None
    if not isinstance(meta, dict) or meta.get("format") != FORMAT:
        raise RunfileError(f"{path}: not an nntui runfile")
    if meta.get("version") != VERSION:
        raise RunfileError(f"{path}: runfile version {meta.get('version')} is not supported "
                           f"(this nntui reads version {VERSION})")
    try:
        config = json.loads(str(a["config"]))
        dataset = Dataset(a["x_train"], a["y_train"], a["x_val"], a["y_val"], meta["task"],
                          tuple(meta["classes"]), tuple(meta["feature_names"]), meta["dataset_name"])
        state = {k: meta[k] for k in _META_STATE}
        params = {k: v for k, v in a.items() if k[:1] in "Wb" and k[1:].isdigit()}
        state["params"] = params
        state["initial_params"] = {k[len("init_"):]: v for k, v in a.items() if k.startswith("init_")}
        state["optimizer"] = {k[len("optimizer/"):]: v for k, v in a.items() if k.startswith("optimizer/")}
        state["history"] = {k[len("history_"):]: v for k, v in a.items() if k.startswith("history_")}
        missing = [f"history_{k}" for k in _HISTORY if k not in state["history"]]
        if missing:
            raise RunfileError(f"{path}: missing array '{missing[0]}'")
    except RunfileError:
        raise
    except (KeyError, ValueError, TypeError) as e:
        raise RunfileError(f"{path}: incomplete or inconsistent runfile ({e})") from None
    if not isinstance(config, dict):
        raise RunfileError(f"{path}: incomplete or inconsistent runfile (its preset is not a table)")
    return SavedRun(config, str(meta.get("source") or "preset"), dataset, state)


def restore(saved: SavedRun, config, path) -> "Trainer":
    """The trainer a read runfile holds, for its checked config, ready to go on."""
    from .trainer import Trainer

    try:
        trainer = Trainer(config, saved.dataset)
        trainer.load_state_dict(saved.state)
    except (KeyError, ValueError, TypeError) as e:
        raise RunfileError(f"{path}: incomplete or inconsistent runfile ({e})") from None
    return trainer
