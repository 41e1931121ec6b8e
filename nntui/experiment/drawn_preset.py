"""Drawn data saved as a preset: a CSV of the points and a TOML preset that
reads it, so an experiment drawn in the app reopens with `o` or
`nntui --preset FILE` and can be shared.

`save_drawn_preset(config, dataset, "my.toml")` writes `my.csv` (a header
row, the two inputs, the target) and `my.toml` (the current model and
training, `[data] dataset = "csv"`, `path = "my.csv"`, `validation = 0`:
drawn data has no validation set), each atomically through engine/files.py.
The CSV is written first, so a preset never names a CSV that is not there.
"""

from __future__ import annotations

import csv
import io
from pathlib import Path
from typing import Any

from nntui.experiment.config import Config
from nntui.engine.datasets import Dataset
from nntui.engine.drawn import missing_classes, why_not
from nntui.engine.files import FileExists, expand_user, write_atomic, write_target
from nntui.experiment.preset_file import toml_text


class DrawnSaveError(ValueError):
    """Drawn data that cannot be saved as a preset; the message says why."""


class DrawnExists(DrawnSaveError):
    """The preset or its CSV is already there: saving would replace it, which
    needs the caller's `replace=True` (the app asks first)."""

    def __init__(self, paths: list[Path]):
        self.paths = paths
        names = " and ".join(str(p) for p in paths)
        super().__init__(f"{names} already exist{'s' * (len(paths) == 1)}; "
                         f"saving would replace {'it' if len(paths) == 1 else 'them'}")


def preset_paths(path: str | Path) -> tuple[Path, Path]:
    """(preset.toml, preset.csv) for the path typed: '.toml' added if missing."""
    p = expand_user(path)
    if p.suffix != ".toml":
        p = p.with_name(p.name + ".toml")
    return p, p.with_suffix(".csv")


def target_column(dataset: Dataset) -> str:
    """The CSV's target column: 'label' (classes) or 'y' (regression), or
    'target' if an input already has that name."""
    name = "y" if dataset.task == "regression" else "label"
    return name if name not in dataset.feature_names else "target"


def csv_text(dataset: Dataset) -> str:
    """The training points as CSV: the inputs (repr: they read back exactly)
    and the target (class names for classes), every field quoted as the csv
    module quotes it, so a name holding a comma, a quote or a newline reads back."""
    out = io.StringIO(newline="")
    w = csv.writer(out, lineterminator="\n")
    w.writerow([*dataset.feature_names, target_column(dataset)])
    y = dataset.y_train.reshape(len(dataset.y_train), -1)[:, 0]
    for x, t in zip(dataset.x_train.tolist(), y.tolist()):
        label = repr(float(t)) if dataset.task == "regression" else dataset.classes[int(t)]
        w.writerow([*(repr(float(v)) for v in x), label])
    return out.getvalue()


def preset_dict(config: Config, dataset: Dataset, csv_name: str) -> dict[str, Any]:
    """The preset of the run now, reading the drawn points from csv_name."""
    d = config.to_dict()
    d.pop("compare", None)  # the variants raced other data
    d.pop("lesson", None)  # and the lesson's questions were about it
    target: Any = [target_column(dataset)] if dataset.task == "regression" else target_column(dataset)
    d["data"] = {"dataset": "csv", "path": csv_name, "target": target, "validation": 0.0,
                 "seed": config.data.seed}
    d["title"] = f"{config.title} (drawn data)"
    d["description"] = (f"{len(dataset.x_train)} points drawn in nntui, starting from "
                        f"{config.name or 'a preset'}'s data. {config.description}").strip()
    return d


def save_drawn_preset(config: Config, dataset: Dataset, path: str | Path,
                      replace: bool = False) -> tuple[Path, Path]:
    """Write the drawn points (CSV) and a preset reading them (TOML); returns
    both paths. DrawnSaveError for data a CSV preset could not give back
    (a class with no point, no points at all, not 2-input), DrawnExists if
    either file is there and `replace` is not set, FileRefused for a path
    that cannot be written."""
    problem = why_not(dataset)
    if problem:
        raise DrawnSaveError(problem)
    if not len(dataset.x_train):
        raise DrawnSaveError("there are no points to save: draw some first")
    missing = missing_classes(dataset)
    if missing:
        names = ", ".join(missing)
        raise DrawnSaveError(f"class{'es' * (len(missing) > 1)} {names} {'have' if len(missing) > 1 else 'has'} "
                             "no point: a CSV would read as other classes; draw one of each first")
    toml_path, csv_path = preset_paths(path)
    write_target(toml_path)  # fail before anything is written
    there = [p for p in (toml_path, csv_path) if _there(p, replace)]
    if there:
        raise DrawnExists(there)
    text = toml_text(preset_dict(config, dataset, csv_path.name))
    try:
        write_atomic(csv_path, lambda f: f.write(csv_text(dataset).encode()), replace=replace)
        write_atomic(toml_path, lambda f: f.write(text.encode()), replace=replace)
    except FileExists as e:  # made by someone else since the check above
        raise DrawnExists([Path(e.path)]) from None
    return toml_path, csv_path


def _there(path: Path, replace: bool) -> bool:
    """Whether a save would refuse to replace `path` (files.write_target's rule)."""
    try:
        write_target(path, replace)
    except FileExists:
        return True
    return False
