"""The data a network learns from: toy generators, a CSV loader, the split.

Every generator takes ``(n, noise, rng)`` and returns ``(x, y)`` with ``x`` of
shape (n, 2) and ``y`` in nntui's label convention:

    binary      float64 (n, 1) in {0, 1}
    multiclass  int64 (n,) in 0..k-1
    regression  float64 (n, k)

The six TensorFlow Playground sets (circle, xor, gaussian, spiral, plane,
multigauss) follow Playground's ``src/dataset.ts``: same formulas, same
coordinates, same meaning of ``noise`` (0 to 0.5). Playground labels are -1/+1;
its +1 is nntui's 1. Where Playground computes a label from a noisy copy of the
point but stores the clean point, so do we: noise there means label noise near
the boundary, not jitter of the points.

``make_dataset`` draws everything from one ``np.random.default_rng(seed)``:
first the generator, then the train/validation split, so one seed fixes both.
"""

from __future__ import annotations

import codecs
import csv
import inspect
from array import array
import io
import math
import os
from contextvars import ContextVar
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from nntui.engine.names import did_you_mean, printable

from .files import FileRefused, open_regular

CSV_LIMIT = 200 * 2**20  # a CSV's size; it is read as a stream, each number into 8 bytes
MAX_INPUTS = 65536  # input columns a CSV (and a network's input layer) may have

Array = np.ndarray
DataGenerator = Callable[..., tuple[Array, Array]]

TASKS = ("binary", "multiclass", "regression")


class DataError(ValueError):
    """Data that cannot be read or used; the one-line message names file and line.

    Raised with `DataError.at(where, problem, line=..., key=...)`, it also
    carries its parts, so a caller can tell it in its own terms (a preset's
    key and "line N") without parsing the text: `key` is "target" when the
    target columns are at fault, else "path"."""

    where: str | None = None
    problem: str | None = None
    line: int | None = None
    key: str = "path"

    @classmethod
    def at(cls, where: str, problem: str, line: int | None = None, key: str = "path") -> DataError:
        e = cls(f"{where}:{line}: {problem}" if line is not None else f"{where}: {problem}")
        e.where, e.problem, e.line, e.key = where, problem, line, key
        return e


@dataclass(frozen=True)
class Dataset:
    """A split data set, ready for the trainer. Arrays are float64 except
    multiclass labels (int64). ``classes`` is () for regression."""

    x_train: Array
    y_train: Array
    x_val: Array
    y_val: Array
    task: str
    classes: tuple[str, ...]
    feature_names: tuple[str, ...]
    name: str

    def __post_init__(self) -> None:
        # Catch a mismatched build early (a runfile rebuilds Datasets too),
        # rather than as a broadcasting error deep inside a training step.
        if self.task not in TASKS:
            raise ValueError(f"task must be one of {TASKS}, not {self.task!r}")
        for x, y, part in ((self.x_train, self.y_train, "train"), (self.x_val, self.y_val, "val")):
            if x.ndim != 2 or len(x) != len(y):
                raise ValueError(f"x_{part} {x.shape} and y_{part} {y.shape} do not match")
        if self.x_val.shape[1] != self.x_train.shape[1]:
            raise ValueError(f"x_train {self.x_train.shape} and x_val {self.x_val.shape} differ in width")

    @property
    def n_inputs(self) -> int:
        return self.x_train.shape[1]

    @property
    def n_outputs(self) -> int:
        """Width of the network's output layer this data needs."""
        if self.task == "multiclass":
            return len(self.classes)
        return self.y_train.shape[1]


# --- registry -------------------------------------------------------------------

DATASETS: dict[str, DataGenerator] = {}
_TASK_OF: dict[str, str] = {}


def _register(task: str) -> Callable[[DataGenerator], DataGenerator]:
    """Add a generator to DATASETS under its own name, with its task."""

    def add(fn: DataGenerator) -> DataGenerator:
        DATASETS[fn.__name__] = fn
        _TASK_OF[fn.__name__] = task
        return fn

    return add


# --- helpers --------------------------------------------------------------------


def _halves(n: int) -> tuple[int, int]:
    # Playground loops `i < numSamples / 2` for each half, so with an odd count
    # the first half gets the extra point; here the total stays exactly n.
    return n - n // 2, n // 2


def _binary(labels: Array) -> Array:
    """Booleans (True = Playground's +1) as a float64 (n, 1) column."""
    return np.asarray(labels, dtype=np.float64).reshape(-1, 1)


def _on_circle(r: Array, angle: Array) -> Array:
    # Playground puts sin on x and cos on y; keep it so pictures match.
    return np.column_stack([r * np.sin(angle), r * np.cos(angle)])


def _playground_variance(noise: float) -> float:
    # d3.scale.linear().domain([0, .5]).range([0.5, 4]), unclamped.
    return 0.5 + noise * (4 - 0.5) / 0.5


# --- TensorFlow Playground: classification --------------------------------------


@_register("binary")
def circle(n: int, noise: float, rng: np.random.Generator) -> tuple[Array, Array]:
    """A disc of class 1 (r < 2.5) inside a ring of class 0 (3.5 <= r <= 5)."""
    radius = 5.0
    n_in, n_out = _halves(n)
    r = np.concatenate([rng.uniform(0, radius * 0.5, n_in), rng.uniform(radius * 0.7, radius, n_out)])
    x = _on_circle(r, rng.uniform(0, 2 * np.pi, n))
    # The label is decided at a noisy copy of the point; the clean point is kept.
    noisy = x + rng.uniform(-radius, radius, (n, 2)) * noise
    return x, _binary(np.hypot(noisy[:, 0], noisy[:, 1]) < radius * 0.5)


@_register("binary")
def xor(n: int, noise: float, rng: np.random.Generator) -> tuple[Array, Array]:
    """The four quadrants: class 1 where x*y >= 0, points kept 0.3 off the axes."""
    padding = 0.3
    x = rng.uniform(-5, 5, (n, 2))
    x += np.where(x > 0, padding, -padding)
    noisy = x + rng.uniform(-5, 5, (n, 2)) * noise
    return x, _binary(noisy[:, 0] * noisy[:, 1] >= 0)


@_register("binary")
def gaussian(n: int, noise: float, rng: np.random.Generator) -> tuple[Array, Array]:
    """Two Gaussian clouds: class 1 at (2, 2), class 0 at (-2, -2); noise widens them."""
    std = math.sqrt(_playground_variance(noise))
    n_pos, n_neg = _halves(n)
    x = np.concatenate([rng.normal((2, 2), std, (n_pos, 2)), rng.normal((-2, -2), std, (n_neg, 2))])
    return x, _binary(np.arange(n) < n_pos)


@_register("binary")
def spiral(n: int, noise: float, rng: np.random.Generator) -> tuple[Array, Array]:
    """Two interleaved spirals of 1.75 turns out to r = 5; class 1 starts at angle 0."""

    def arm(count: int, delta_t: float) -> Array:
        i = np.arange(count)
        r = i / count * 5
        t = 1.75 * i / count * 2 * np.pi + delta_t
        return _on_circle(r, t) + rng.uniform(-1, 1, (count, 2)) * noise

    n_pos, n_neg = _halves(n)
    x = np.concatenate([arm(n_pos, 0.0), arm(n_neg, np.pi)])
    return x, _binary(np.arange(n) < n_pos)


# --- TensorFlow Playground: regression ------------------------------------------


def _square_with_noisy_copy(n: int, noise: float, rng: np.random.Generator) -> tuple[Array, Array]:
    """Points uniform in [-6, 6]^2 and the noisy copies their labels are read at."""
    radius = 6.0
    x = rng.uniform(-radius, radius, (n, 2))
    return x, x + rng.uniform(-radius, radius, (n, 2)) * noise


@_register("regression")
def plane(n: int, noise: float, rng: np.random.Generator) -> tuple[Array, Array]:
    """A tilted plane: target (x1 + x2) / 10, in [-1.2, 1.2]."""
    x, noisy = _square_with_noisy_copy(n, noise, rng)
    return x, (noisy.sum(axis=1) / 10).reshape(-1, 1)


# Playground's six bumps: centre x, centre y, sign.
_BUMPS = np.array([[-4, 2.5, 1], [0, 2.5, -1], [4, 2.5, 1], [-4, -2.5, -1], [0, -2.5, 1], [4, -2.5, -1]])


@_register("regression")
def multigauss(n: int, noise: float, rng: np.random.Generator) -> tuple[Array, Array]:
    """Six signed bumps on a 3x2 grid; the target is the strongest bump at the point."""
    x, noisy = _square_with_noisy_copy(n, noise, rng)
    dist = np.hypot(noisy[:, None, 0] - _BUMPS[:, 0], noisy[:, None, 1] - _BUMPS[:, 1])
    # d3 linear scale [0, 2] -> [1, 0], clamped: a cone of height 1 and radius 2.
    bumps = _BUMPS[:, 2] * np.clip(1 - dist / 2, 0, 1)
    # Playground keeps the first bump of largest |value| (strict >), as argmax does.
    strongest = np.take_along_axis(bumps, np.abs(bumps).argmax(axis=1)[:, None], axis=1)
    return x, strongest + 0.0  # + 0.0 turns -0.0 (no bump nearby) into 0.0


# --- more classics ----------------------------------------------------------------


@_register("binary")
def moons(n: int, noise: float, rng: np.random.Generator) -> tuple[Array, Array]:
    """Two interleaving half circles (sklearn's make_moons); noise is a Gaussian std."""
    n_outer, n_inner = n // 2, n - n // 2  # sklearn's split of an odd count
    t_outer = np.linspace(0, np.pi, n_outer)
    t_inner = np.linspace(0, np.pi, n_inner)
    outer = np.column_stack([np.cos(t_outer), np.sin(t_outer)])
    inner = np.column_stack([1 - np.cos(t_inner), 1 - np.sin(t_inner) - 0.5])
    x = np.concatenate([outer, inner]) + rng.normal(0, noise, (n, 2))
    return x, _binary(np.arange(n) >= n_outer)


@_register("binary")
def linear(n: int, noise: float, rng: np.random.Generator) -> tuple[Array, Array]:
    """Two classes on either side of a random line, kept 0.3 away from it.

    With noise 0 a perceptron separates them; noise moves labels near the line,
    as in Playground's xor. The line's angle and offset come from the seed.
    """
    padding = 0.3
    angle = rng.uniform(0, 2 * np.pi)
    normal = np.array([np.cos(angle), np.sin(angle)])
    offset = rng.uniform(-1, 1)  # so the bias has something to learn
    x = rng.uniform(-5, 5, (n, 2))
    side = x @ normal - offset > 0
    x += np.where(side, padding, -padding)[:, None] * normal
    noisy = x + rng.uniform(-5, 5, (n, 2)) * noise
    return x, _binary(noisy @ normal - offset >= 0)


@_register("multiclass")
def blobs(n: int, noise: float, rng: np.random.Generator, classes: int = 3) -> tuple[Array, Array]:
    """k Gaussian clusters on a circle of radius 4, one per class (classes = k).

    Class j sits at angle 90 + 360 j / k degrees; noise widens the clusters as
    in Playground's gaussian. Multiclass for any k >= 2.
    """
    if classes < 2:
        raise ValueError(f"blobs needs classes >= 2, not {classes}")
    # Balanced: the first n % classes classes get one point more.
    y = np.arange(n) % classes
    y.sort()
    angle = np.pi / 2 + 2 * np.pi * y / classes  # class 0 on top
    centres = 4.0 * np.column_stack([np.cos(angle), np.sin(angle)])
    std = math.sqrt(_playground_variance(noise))
    return centres + rng.normal(0, std, (n, 2)), y.astype(np.int64)


# --- logic gates --------------------------------------------------------------------

_GATE_INPUTS = np.array([[0, 0], [0, 1], [1, 0], [1, 1]], dtype=np.float64)


# Each gate's outputs for the inputs (0,0), (0,1), (1,0), (1,1). A gate is its
# 4 rows: samples, noise and validation do not apply. No single perceptron can
# learn xor_gate.
GATE_TABLES: dict[str, tuple[int, int, int, int]] = {
    "and_gate": (0, 0, 0, 1),
    "or_gate": (0, 1, 1, 1),
    "nand_gate": (1, 1, 1, 0),
    "xor_gate": (0, 1, 1, 0),
}
GATES = frozenset(GATE_TABLES)


def _gate(outputs: tuple[int, int, int, int]) -> DataGenerator:
    def truth_table(n: int = 4, noise: float = 0.0, rng: np.random.Generator | None = None) -> tuple[Array, Array]:
        return _GATE_INPUTS.copy(), _binary(outputs)

    return truth_table


for _name, _outputs in GATE_TABLES.items():
    DATASETS[_name] = _gate(_outputs)
    DATASETS[_name].__doc__ = f"{_name[:-5].upper()}'s truth table: 4 points, all for training."
    _TASK_OF[_name] = "binary"

DATASET_NAMES: tuple[str, ...] = (*DATASETS, "csv")


def dataset_task(name: str, classes: int = 2) -> str:
    """"binary", "multiclass" or "regression" for a generator; ``classes`` only
    matters to blobs, which is multiclass for any k. A CSV's task depends on its
    file: use ``load_csv``."""
    return _TASK_OF[_generator_name(name)]


def dataset_dims(name: str, classes: int = 2) -> tuple[int, int]:
    """(n_inputs, n_outputs) of a generator's data: 2 inputs; 1 output for binary
    and regression sets, ``classes`` outputs for blobs."""
    if dataset_task(name) == "multiclass":
        return 2, classes
    return 2, 1


def dataset_takes(name: str) -> frozenset[str]:
    """The [data] keys a data set takes besides dataset and seed: a generator
    its samples, noise and validation (and classes, if it has a class count);
    a gate none, being its 4 truth-table rows; a CSV its path, target,
    validation and image (its inputs' shape as a picture)."""
    if name == "csv":
        return frozenset(("path", "target", "validation", "image"))
    if name in GATES:
        return frozenset()
    keys = {"samples", "noise", "validation"}
    if "classes" in inspect.signature(DATASETS[_generator_name(name)]).parameters:
        keys.add("classes")
    return frozenset(keys)


# The class count of a generator that takes one (blobs), when none is given.
DEFAULT_CLASSES = 3


def _generator_name(name: str) -> str:
    if name in DATASETS:
        return name
    if name == "csv":
        raise ValueError("a CSV data set's shape depends on its file: read it with load_csv")
    raise ValueError(f"unknown dataset {name!r}{did_you_mean(name, DATASET_NAMES)}")


# --- CSV ----------------------------------------------------------------------------------


Target = str | Sequence[str] | None
CsvData = tuple[Array, Array, str, tuple[str, ...], tuple[str, ...]]


# The last CSV read, by its identity on disk: checking a preset and building
# its trainer read the same file, which is parsed once (a 2-million-row file
# took 19 s, twice). Arrays are never changed in place, so sharing them is safe.
_last_csv: tuple[tuple, CsvData] | None = None


def _csv_identity(path, target) -> tuple | None:
    try:
        st = os.stat(path)
    except (OSError, ValueError):
        return None
    return (os.path.realpath(path), st.st_dev, st.st_ino, st.st_size, st.st_mtime_ns,
            tuple(target) if isinstance(target, (list, tuple)) else target)


def load_csv(path: str | Path, target: Target = None) -> CsvData:
    """Read a CSV (see _load_csv), or give back the last one read if it is the
    same file, unchanged, with the same target."""
    global _last_csv
    key = _csv_identity(path, target)
    if key is not None and _last_csv is not None and _last_csv[0] == key:
        return _last_csv[1]
    data = _load_csv(path, target)
    _last_csv = (key, data) if key is not None else None
    return data


def _load_csv(path: str | Path, target: Target = None) -> CsvData:
    """Read a comma-separated file with a header row: ``(x, y, task, classes, feature_names)``.

    ``target`` names the target column (default: the last one); every other
    column is an input and must hold numbers. A list of column names (even of
    one) makes a regression with one output per column. A single target column
    is read as class labels when all its values are integers or when any is
    not a number (class names are then the strings, sorted); two classes make a
    binary task (1 = the second name), more a multiclass one. A column with a
    fractional number is a regression target. Blank lines are skipped.

    The file is read as a stream, row by row, into arrays of float64: its
    numbers take 8 bytes each, never a Python object, so the peak memory is a
    small multiple of the file's size (docs/ARCHITECTURE.md states it). Column
    names and class labels are made `printable` as they are read.

    Raises DataError with a one-line ``file:line: what`` message (the header is
    line 1).
    """
    where = str(path)
    try:
        with open_regular(path, CSV_LIMIT, "CSV file") as raw:
            text = io.TextIOWrapper(raw, encoding="utf-8-sig", newline="")
            reader = csv.reader(text)
            try:
                return _parse_csv(where, reader, raw, target)
            except UnicodeDecodeError as e:
                raise DataError.at(where, f"cannot be read as UTF-8 text ({e.reason} at byte "
                                          f"{_bad_utf8_at(raw)})") from None
            except csv.Error as e:
                raise DataError.at(where, f"{e}", line=reader.line_num) from None
            except OSError as e:
                raise DataError.at(where, f"cannot be read: {e.strerror or e}") from None
    except FileRefused as e:
        raise DataError(str(e)) from None


# Who hears how far a CSV's reading has got (a fraction, 0 to 1): the app sets
# it in the thread that opens a preset, to show progress on a large file.
csv_progress: ContextVar[Callable[[float], None] | None] = ContextVar("csv_progress", default=None)
_PROGRESS_EVERY = 20_000  # rows between two reports
# A class-label column with more distinct labels than this is refused as it is
# read (its labels are the only text kept per row); no network has that many outputs.
MAX_CLASSES = 4096


def _bad_utf8_at(raw) -> int:
    """The offset of the first byte that is not UTF-8 (the text reader only
    knows its place in a chunk): the file read again, only when it fails."""
    raw.seek(0)
    decoder = codecs.getincrementaldecoder("utf-8")()
    offset = 0
    for chunk in iter(lambda: raw.read(2**20), b""):
        pending = len(decoder.getstate()[0])
        try:
            decoder.decode(chunk)
        except UnicodeDecodeError as e:
            return offset - pending + e.start
        offset += len(chunk)
    return offset


def _parse_csv(where: str, reader, raw, target: Target) -> CsvData:
    header = [printable(name).strip() for name in next(reader, [])]
    single = target is None or isinstance(target, str)
    n_targets = 1 if single else len(target)
    if len(header) - n_targets > MAX_INPUTS:  # before any check that looks at every name
        raise DataError.at(where, f"{len(header) - n_targets} input columns; nntui reads at most {MAX_INPUTS}",
                           line=1)
    if not any(header):
        if any(any(cell.strip() for cell in row) for row in reader):
            raise DataError.at(where, "the first line is blank; it must be the header row", line=1)
        raise DataError.at(where, "the file is empty; it needs a header row, then rows of data")
    _check_header(where, header)
    targets = _target_columns(where, header, target)
    is_target = set(targets)
    inputs = [j for j in range(len(header)) if j not in is_target]
    if not inputs:
        raise DataError.at(where, "every column is a target, none is left as an input", line=1, key="target")
    names = [header[j] for j in inputs]
    labels = _Labels(where, header[targets[0]]) if single else None
    x, ys = array("d"), array("d")
    width, n = len(header), 0
    report = csv_progress.get()
    size = max(1, os.fstat(raw.fileno()).st_size)
    for row in reader:
        if not any(cell.strip() for cell in row):  # blank or ",,," lines
            continue
        line = reader.line_num
        if len(row) != width:
            raise DataError.at(where, f"{len(row)} values, but the header has {width} columns", line=line)
        for j, name in zip(inputs, names):
            x.append(_number(where, line, name, row[j].strip()))
        if labels is not None:
            labels.add(line, row[targets[0]].strip())
        else:
            for j in targets:
                ys.append(_number(where, line, header[j], row[j].strip()))
        n += 1
        if report is not None and n % _PROGRESS_EVERY == 0:
            report(raw.tell() / size)
    if report is not None:
        report(1.0)
    if not n:
        raise DataError.at(where, "no rows of data after the header")
    xs = np.frombuffer(x, dtype=np.float64).reshape(n, len(inputs))
    if labels is None:
        return xs, np.frombuffer(ys, dtype=np.float64).reshape(n, len(targets)), "regression", (), tuple(names)
    y, task, classes = labels.result()
    return xs, y, task, classes, tuple(names)


def _check_header(where: str, header: list[str]) -> None:
    if len(header) == 1:
        raise DataError.at(where, f"only one column ({header[0]!r}); the file needs commas between columns", line=1)
    seen = set()
    for j, name in enumerate(header):
        if not name:
            raise DataError.at(where, f"column {j + 1} has no name in the header", line=1)
        if name in seen:
            raise DataError.at(where, f"column {name!r} appears twice in the header", line=1)
        seen.add(name)


def _target_columns(where: str, header: list[str], target: Target) -> list[int]:
    if target is None:
        return [len(header) - 1]
    names = [target] if isinstance(target, str) else list(target)
    if not names:
        raise DataError.at(where, "the target list is empty; name at least one column", key="target")
    index = {name: j for j, name in enumerate(header)}
    for name in names:
        if name not in index:
            # did_you_mean compares with every name: on a very wide file, only the first few.
            shown = ", ".join(header[:20]) + (f", ... ({len(header)} in all)" if len(header) > 20 else "")
            raise DataError.at(where, f"no column {name!r}{did_you_mean(name, header[:1000])}; "
                               f"the columns are {shown}", line=1, key="target")
    if len(set(names)) != len(names):
        raise DataError.at(where, f"a target column is named twice in {names}", key="target")
    return [index[name] for name in names]


def _number(where: str, line: int, column: str, cell: str) -> float:
    if not cell:
        raise DataError.at(where, f"column {column!r} is empty, not a number", line=line)
    try:
        value = float(cell)
    except ValueError:
        raise DataError.at(where, f"column {column!r} has {printable(cell)!r}, not a number", line=line) from None
    if not math.isfinite(value):
        raise DataError.at(where, f"column {column!r} has {cell!r}, not a finite number", line=line)
    return value


def _as_number(cell: str) -> float | None:
    try:
        return float(cell)
    except ValueError:
        return None


class _Labels:
    """One target column, read row by row: classes if integers or strings,
    else a regression. Each row keeps its value (8 bytes) and a code for its
    text (8 bytes); each distinct text is kept once."""

    def __init__(self, where: str, column: str):
        self.where, self.column = where, column
        self.values, self.codes = array("d"), array("q")
        self.texts: dict[str, int] = {}
        self.word: tuple[int, str] | None = None  # the first label that is not a number
        self.fraction: tuple[int, str] | None = None  # the first fractional number

    def add(self, line: int, cell: str) -> None:
        where, column = self.where, self.column
        if not cell:
            raise DataError.at(where, f"column {column!r} is empty, it needs a label", line=line)
        v = _as_number(cell)
        if v is None:
            self.word = self.word or (line, cell)
            v = math.nan
        elif not math.isfinite(v):
            raise DataError.at(where, f"column {column!r} has {cell!r}, not a finite number", line=line)
        elif not v.is_integer():
            self.fraction = self.fraction or (line, cell)
        if self.word and self.fraction:
            # A typo in a column of measurements must not turn it into class names.
            (w_line, w_cell), (f_line, f_cell) = self.word, self.fraction
            raise DataError.at(where, f"column {column!r} has {printable(w_cell)!r}, not a number like "
                               f"{f_cell!r} on line {f_line}", line=w_line)
        self.values.append(v)
        if self.fraction:
            return
        code = self.texts.get(cell)
        if code is None:
            if len(self.texts) >= MAX_CLASSES and self.word:
                raise DataError.at(where, f"column {column!r} has more than {MAX_CLASSES} different labels; "
                                   f"nntui reads at most {MAX_CLASSES} classes", line=line, key="target")
            code = -1  # whole numbers past the limit: their values decide (result)
            if len(self.texts) < MAX_CLASSES:
                code = self.texts[cell] = len(self.texts)
        self.codes.append(code)

    def result(self) -> tuple[Array, str, tuple[str, ...]]:
        values = np.frombuffer(self.values, dtype=np.float64)
        if self.fraction:
            return values.reshape(-1, 1), "regression", ()
        if self.word:
            # Labels that differ only in control characters are one class once made printable.
            shown = [printable(text) for text in self.texts]
            classes = tuple(sorted(set(shown)))
            index = {name: k for k, name in enumerate(classes)}
            labels = np.array([index[name] for name in shown], dtype=np.int64)[np.frombuffer(self.codes, np.int64)]
        else:
            numbers, labels = np.unique(values, return_inverse=True)
            if len(numbers) > MAX_CLASSES:
                raise DataError.at(self.where, f"column {self.column!r} has {len(numbers)} different whole numbers: "
                                   f"as class labels, more than the {MAX_CLASSES} classes nntui reads "
                                   "(a regression target needs a fractional number)", key="target")
            classes = tuple(str(int(v)) for v in numbers)
            labels = labels.astype(np.int64).reshape(-1)
        if len(classes) < 2:
            raise DataError.at(self.where, f"column {self.column!r} has one class only ({classes[0]!r}); "
                               "a classifier needs two or more", key="target")
        if len(classes) == 2:
            return _binary(labels), "binary", classes
        return labels, "multiclass", classes


# --- the split ---------------------------------------------------------------------------


def split_indices(y: Array, task: str, validation: float, rng: np.random.Generator) -> tuple[Array, Array]:
    """Shuffled (train, val) row indices; the val part has round(validation * n) rows.

    For classification it is stratified: each class lands in the validation set
    in (close to) the overall proportion, so a small validation set still holds
    every class.
    """
    if not 0 <= validation < 1:
        raise ValueError(f"validation must be a fraction in [0, 1), not {validation}")
    n = len(y)
    n_val = round(validation * n)
    if n_val >= n and n > 0:
        raise DataError(f"validation = {validation} leaves no rows to train on ({n} rows in all)")
    order = rng.permutation(n)
    if task != "regression" and n_val:
        labels = y.reshape(n, -1)[order, 0]
        # Spread each class evenly along the order: the k-th of a class's c rows
        # sits at (k + 0.5) / c; a stable sort keeps the random order within ties.
        position = np.empty(n)
        for label in np.unique(labels):
            members = labels == label
            position[members] = (np.arange(members.sum()) + 0.5) / members.sum()
        order = order[np.argsort(position, kind="stable")]
    train, val = order[: n - n_val], order[n - n_val :]
    # Re-shuffle each part so the spreading above leaves no pattern in the row order.
    return rng.permutation(train), rng.permutation(val)


def make_dataset(data) -> Dataset:
    """Build the data a DataConfig describes, split into train and validation.

    ``data`` needs ``dataset, samples, noise, validation, seed`` and, where they
    apply, ``classes`` (blobs), ``path`` and ``target`` (csv). One
    ``np.random.default_rng(data.seed)`` draws the points, then the split.
    A logic gate's 4 rows are all training rows, in truth-table order, and its
    validation set is empty whatever ``validation`` says: there is nothing to
    hold out.
    """
    rng = np.random.default_rng(data.seed)
    if data.dataset == "csv":
        if not getattr(data, "path", None):
            raise DataError("dataset = 'csv' needs a path to the file")
        x, y, task, classes, features = load_csv(data.path, getattr(data, "target", None))
        name = Path(data.path).name
    else:
        x, y = _generate(data, rng)
        task, name, features = dataset_task(data.dataset), data.dataset, ("x1", "x2")
        classes = _class_names(task, getattr(data, "classes", None) or DEFAULT_CLASSES)
    if data.dataset in GATES:
        train, val = np.arange(len(x)), np.arange(0)
    else:
        train, val = split_indices(y, task, data.validation, rng)
    return Dataset(x[train], y[train], x[val], y[val], task, classes, features, name)


def _generate(data, rng: np.random.Generator) -> tuple[Array, Array]:
    generator = DATASETS[_generator_name(data.dataset)]
    if data.samples < 1:
        raise ValueError(f"samples must be at least 1, not {data.samples}")
    if data.noise < 0:
        raise ValueError(f"noise must be 0 or more, not {data.noise}")
    if "classes" in dataset_takes(data.dataset):
        return generator(data.samples, data.noise, rng, classes=getattr(data, "classes", None) or DEFAULT_CLASSES)
    return generator(data.samples, data.noise, rng)


def _class_names(task: str, classes: int) -> tuple[str, ...]:
    # Count from the config, not from y: a tiny sample may miss a class.
    count = {"binary": 2, "multiclass": classes, "regression": 0}[task]
    return tuple(str(k) for k in range(count))
