"""Save and load a run as one .npz, so it can be resumed bit-identically.

The file is written to a temporary name and renamed, so a crash never leaves
half a file; it is read with allow_pickle=False, so a runfile never runs code.
"""

from __future__ import annotations

import json
import os
import tempfile
from pathlib import Path

import numpy as np

from .datasets import Dataset

FORMAT = "nntui-run"
VERSION = 1
_HISTORY = ("train_loss", "val_loss", "train_accuracy", "val_accuracy", "batch_loss")


class RunfileError(ValueError):
    """A runfile that cannot be used; the message names the file and the reason."""


def _meta(trainer) -> dict:
    d = trainer.dataset
    return {
        "format": FORMAT, "version": VERSION,
        "step": trainer.step, "epoch": trainer.epoch, "batch": trainer.batch,
        # The epoch so far (sum of batch loss x size, samples right): its train
        # loss and accuracy are means over all its batches, before and after a save.
        "tally": [float(trainer._tally[0]), int(trainer._tally[1])],
        "task": d.task, "classes": list(d.classes), "feature_names": list(d.feature_names),
        "dataset_name": d.name,
        "source": getattr(trainer.config, "source", ""),  # the preset it came from, for its name and messages
        "lr": trainer.optimizer.lr, "options": trainer.optimizer.options,
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
    arrays = {
        "meta": np.array(json.dumps(_meta(trainer), default=_jsonable)),
        "config": np.array(json.dumps(trainer.config.to_dict())),
        "x_train": d.x_train, "y_train": d.y_train, "x_val": d.x_val, "y_val": d.y_val,
    }
    arrays.update({f"init_{k}": v for k, v in trainer.initial_params.items()})
    arrays.update(trainer.params)
    arrays.update({f"optimizer/{k}": v for k, v in trainer.optimizer.get_state().items()})
    arrays.update({f"history_{k}": np.array(v, dtype=np.float64) for k, v in trainer.history.items()})
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


def load_run(path):
    """Rebuild the trainer a runfile holds, ready to continue where it stopped."""
    from nntui.config import ConfigError, config_from_dict  # config validates the stored preset
    from .trainer import Trainer

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
        # check_data=False: the runfile carries its data, so a CSV preset's file
        # need not exist any more (nor be re-read).
        config = config_from_dict(json.loads(str(a["config"])), source=str(meta.get("source") or "preset"),
                                  check_data=False)
        dataset = Dataset(a["x_train"], a["y_train"], a["x_val"], a["y_val"], meta["task"],
                          tuple(meta["classes"]), tuple(meta["feature_names"]), meta["dataset_name"])
        trainer = Trainer(config, dataset)
        names = trainer.net.param_names
        trainer.initial_params = {k: _param(a, f"init_{k}", trainer.initial_params[k], path) for k in names}
        trainer.params = {k: _param(a, k, trainer.params[k], path) for k in names}
        trainer.optimizer.lr = meta["lr"]
        # All at once: pairs such as momentum and nesterov are only valid together.
        trainer.optimizer.set_options({k: tuple(v) if isinstance(v, list) else v for k, v in meta["options"].items()})
        trainer.optimizer.set_state({k[len("optimizer/"):]: v for k, v in a.items() if k.startswith("optimizer/")})
        for k in _HISTORY:
            trainer.history[k] = [float(v) for v in a[f"history_{k}"]]
        trainer.step, trainer.batch = int(meta["step"]), int(meta["batch"])
        trainer.epoch = int(meta["epoch"])
        trainer._tally = (float(meta["tally"][0]), int(meta["tally"][1]))
        trainer._shuffle(trainer.epoch)  # the epoch's order and its pre-gathered rows
    except RunfileError:
        raise  # already says what is wrong (a RunfileError is a ValueError too)
    except ConfigError as e:
        raise RunfileError(f"{path}: its stored preset is invalid: {e}") from None
    except (KeyError, ValueError, TypeError) as e:
        raise RunfileError(f"{path}: incomplete or inconsistent runfile ({e})") from None
    return trainer


def _param(a, key, like, path) -> np.ndarray:
    if key not in a:
        raise RunfileError(f"{path}: missing array '{key}'")
    v = a[key]
    if v.shape != like.shape:
        raise RunfileError(f"{path}: array '{key}' has shape {v.shape}, the model needs {like.shape}")
    return v.astype(np.float64)
