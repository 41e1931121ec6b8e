"""The data sets: Playground's formulas, the classics, gates, CSV, the split."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from nntui.engine.datasets import (
    DATASET_NAMES,
    DATASETS,
    DataError,
    Dataset,
    dataset_dims,
    dataset_task,
    load_csv,
    make_dataset,
)

IRIS = Path(__file__).resolve().parent.parent / "presets" / "data" / "iris.csv"
GATES = ("and_gate", "or_gate", "nand_gate", "xor_gate")
GENERATED = tuple(name for name in DATASETS if name not in GATES)
SETTINGS = settings(max_examples=25, deadline=None)


@dataclass(frozen=True)
class Data:
    """Stands in for config.DataConfig: the same attributes, nothing more."""

    dataset: str = "circle"
    samples: int = 200
    noise: float = 0.0
    validation: float = 0.0
    seed: int = 0
    classes: int = 3
    path: str | None = None
    target: str | list[str] | None = None


def generate(name: str, n: int = 200, noise: float = 0.0, seed: int = 0, **kw):
    return DATASETS[name](n, noise, np.random.default_rng(seed), **kw)


def all_rows(ds: Dataset) -> tuple[np.ndarray, np.ndarray]:
    return np.concatenate([ds.x_train, ds.x_val]), np.concatenate([ds.y_train, ds.y_val])


# --- registry and metadata ---------------------------------------------------------


def test_registry_lists_every_name_of_the_design_and_csv_last():
    assert set(DATASETS) == {
        "circle", "xor", "gaussian", "spiral", "plane", "multigauss",
        "moons", "linear", "blobs", *GATES,
    }  # fmt: skip
    assert DATASET_NAMES == (*DATASETS, "csv")


@pytest.mark.parametrize(
    ("name", "task", "dims"),
    [("circle", "binary", (2, 1)), ("plane", "regression", (2, 1)), ("multigauss", "regression", (2, 1)),
     ("xor_gate", "binary", (2, 1)), ("blobs", "multiclass", (2, 4))],
)  # fmt: skip
def test_task_and_dims_per_name(name, task, dims):
    assert dataset_task(name, classes=4) == task
    assert dataset_dims(name, classes=4) == dims


@pytest.mark.parametrize("name", ["circel", "csv"])
def test_task_of_unknown_name_or_csv_is_a_clear_error(name):
    with pytest.raises(ValueError, match="circle" if name == "circel" else "load_csv"):
        dataset_task(name)


# --- shapes, dtypes, labels -----------------------------------------------------------


@pytest.mark.parametrize("name", DATASETS)
def test_shapes_dtypes_and_labels_follow_the_task(name):
    ds = make_dataset(Data(dataset=name, samples=50, noise=0.1, validation=0.2, classes=4))
    task = dataset_task(name)
    n_in, n_out = dataset_dims(name, classes=4)
    x, y = all_rows(ds)
    assert ds.task == task and ds.name == name
    assert ds.feature_names == ("x1", "x2")
    assert x.dtype == np.float64 and x.shape == (4 if name in GATES else 50, n_in)
    assert ds.x_val.shape[1] == n_in and ds.n_inputs == n_in and ds.n_outputs == n_out
    if task == "binary":
        assert y.dtype == np.float64 and y.shape == (len(x), 1)
        assert set(np.unique(y)) <= {0.0, 1.0}
        assert ds.classes == ("0", "1")
    elif task == "multiclass":
        assert y.dtype == np.int64 and y.shape == (len(x),)
        assert set(np.unique(y)) == {0, 1, 2, 3}
        assert ds.classes == ("0", "1", "2", "3")
    else:
        assert y.dtype == np.float64 and y.shape == (len(x), 1)
        assert ds.classes == ()


@pytest.mark.parametrize("name", ["circle", "gaussian", "spiral", "moons"])
@pytest.mark.parametrize("n", [200, 7])
def test_two_class_sets_are_balanced_at_noise_0(name, n):
    _, y = generate(name, n=n)
    assert abs(int(y.sum()) - (n - y.sum())) <= 1


def test_xor_is_roughly_balanced():
    _, y = generate("xor", n=2000)
    assert 0.45 < y.mean() < 0.55


@pytest.mark.parametrize("k", [2, 3, 5])
def test_blobs_has_k_balanced_classes_around_a_circle(k):
    x, y = generate("blobs", n=20 * k + 1, classes=k)
    counts = np.bincount(y)
    assert len(counts) == k and counts.max() - counts.min() <= 1
    angles = np.pi / 2 + 2 * np.pi * np.arange(k) / k
    centres = np.array([[x[y == j].mean(axis=0) for j in range(k)]])[0]
    np.testing.assert_allclose(centres, 4 * np.column_stack([np.cos(angles), np.sin(angles)]), atol=0.6)


def test_blobs_refuses_fewer_than_two_classes():
    with pytest.raises(ValueError, match="classes >= 2"):
        generate("blobs", classes=1)


@pytest.mark.parametrize(("field", "value"), [("samples", 0), ("noise", -0.1)])
def test_out_of_range_arguments_are_refused(field, value):
    with pytest.raises(ValueError, match=field):
        make_dataset(Data(**{field: value}))


# --- determinism ---------------------------------------------------------------------------


@SETTINGS
@given(name=st.sampled_from(list(DATASETS)), seed=st.integers(0, 2**32 - 1), noise=st.floats(0, 0.5))
def test_same_seed_gives_identical_arrays(name, seed, noise):
    a, b = (make_dataset(Data(dataset=name, samples=30, noise=noise, validation=0.3, seed=seed)) for _ in "ab")
    for field in ("x_train", "y_train", "x_val", "y_val"):
        assert np.array_equal(getattr(a, field), getattr(b, field))


@pytest.mark.parametrize("name", GENERATED)
def test_different_seeds_give_different_data(name):
    a, b = (make_dataset(Data(dataset=name, samples=30, noise=0.1, validation=0.3, seed=s)) for s in (1, 2))
    assert not np.array_equal(a.x_train, b.x_train)


# --- Playground's geometry at noise 0 ------------------------------------------------------


def test_circle_noise_0_is_split_by_radius():
    x, y = generate("circle", n=500)
    r = np.hypot(x[:, 0], x[:, 1])
    assert np.array_equal(y[:, 0] == 1, r < 2.5)
    assert not np.any((r >= 2.5) & (r < 3.5)) and r.max() <= 5


def test_circle_noise_moves_labels_not_points():
    x, y = generate("circle", n=500, noise=0.5)
    r = np.hypot(x[:, 0], x[:, 1])
    assert not np.any((r >= 2.5) & (r < 3.5)) and r.max() <= 5  # points stay clean
    assert np.any((y[:, 0] == 1) != (r < 2.5))  # some labels were decided elsewhere


def test_circle_noise_flips_labels_only_near_the_radius_2_5_boundary():
    # noise 0.05 moves the labelling point by at most 5 * 0.05 * sqrt(2)
    x, y = generate("circle", n=1000, noise=0.05)
    r, reach = np.hypot(x[:, 0], x[:, 1]), 5 * 0.05 * np.sqrt(2)
    assert np.all(y[r < 2.5 - reach, 0] == 1) and np.all(y[r > 2.5 + reach, 0] == 0)
    assert np.any(y[r < 2.5, 0] == 0)  # the inside edge does flip


def test_xor_noise_0_is_the_sign_of_x_times_y_with_padding():
    x, y = generate("xor", n=500)
    assert np.array_equal(y[:, 0] == 1, x[:, 0] * x[:, 1] >= 0)
    assert np.abs(x).min() >= 0.3 and np.abs(x).max() <= 5.3


def test_gaussian_noise_0_is_split_by_the_diagonal():
    for seed in range(5):
        x, y = generate("gaussian", seed=seed)
        assert np.array_equal(y[:, 0] == 1, x.sum(axis=1) > 0)


def test_gaussian_noise_widens_the_clouds_as_playground_does():
    # variance goes linearly from 0.5 at noise 0 to 4 at noise 0.5
    for noise, variance in ((0.0, 0.5), (0.5, 4.0)):
        x, y = generate("gaussian", n=20000, noise=noise)
        assert x[y[:, 0] == 1].var(axis=0) == pytest.approx([variance] * 2, rel=0.05)


def test_spiral_noise_0_arms_are_point_reflections_of_each_other():
    x, y = generate("spiral", n=100)
    np.testing.assert_allclose(x[y[:, 0] == 0], -x[y[:, 0] == 1], atol=1e-12)
    arm = x[y[:, 0] == 1]
    np.testing.assert_allclose(np.hypot(*arm.T), np.arange(50) / 50 * 5, atol=1e-12)
    # Playground: x = r sin t, y = r cos t, t from 0 to 1.75 turns
    turned = np.unwrap(np.arctan2(arm[1:, 0], arm[1:, 1]))
    assert turned[-1] - turned[0] == pytest.approx(1.75 * 2 * np.pi * 48 / 50)


def test_plane_noise_0_is_x1_plus_x2_over_10():
    x, y = generate("plane")
    np.testing.assert_allclose(y[:, 0], x.sum(axis=1) / 10)
    assert np.abs(x).max() <= 6


def test_multigauss_noise_0_is_a_cone_of_height_1_radius_2_per_bump():
    x, y = generate("multigauss", n=2000)
    bumps = [(-4, 2.5, 1), (0, 2.5, -1), (4, 2.5, 1), (-4, -2.5, -1), (0, -2.5, 1), (4, -2.5, -1)]
    far_from_all = np.ones(len(x), bool)
    for cx, cy, sign in bumps:
        d = np.hypot(x[:, 0] - cx, x[:, 1] - cy)
        near = d < 2  # the bumps are at least 4 apart, so cones do not overlap
        np.testing.assert_allclose(y[near, 0], sign * (1 - d[near] / 2))
        far_from_all &= ~near
    assert np.all(y[far_from_all] == 0)


def test_moons_noise_0_are_sklearns_half_circles():
    x, y = generate("moons", n=101)
    outer, inner = x[y[:, 0] == 0], x[y[:, 0] == 1]
    np.testing.assert_allclose(np.hypot(*outer.T), 1)
    np.testing.assert_allclose(np.hypot(inner[:, 0] - 1, inner[:, 1] - 0.5), 1)
    assert outer[:, 1].min() >= 0 and inner[:, 1].max() <= 0.5 + 1e-12
    assert (len(outer), len(inner)) == (50, 51)


def perceptron_separates(x: np.ndarray, y: np.ndarray, epochs: int = 2000) -> bool:
    """Rosenblatt's rule with a bias; converges iff the data is linearly separable."""
    xb = np.column_stack([x, np.ones(len(x))])
    w = np.zeros(3)
    target = y[:, 0]
    for _ in range(epochs):
        mistakes = 0
        for xi, ti in zip(xb, target):
            guess = float(xi @ w >= 0)
            if guess != ti:
                w += (ti - guess) * xi
                mistakes += 1
        if mistakes == 0:
            return True
    return False


@pytest.mark.parametrize("seed", [0, 1, 2])
def test_linear_noise_0_is_linearly_separable(seed):
    x, y = generate("linear", n=200, seed=seed)
    assert 0 < y.mean() < 1
    assert perceptron_separates(x, y)
    # each side keeps 0.3 from the line, so the classes stay 0.6 apart
    gaps = np.hypot(*(x[y[:, 0] == 1][:, None, :] - x[y[:, 0] == 0][None, :, :]).transpose(2, 0, 1))
    assert gaps.min() >= 0.6 - 1e-12


def test_xor_is_not_linearly_separable():
    # the perceptron helper above must be able to say no
    x, y = generate("xor", n=40)
    assert not perceptron_separates(x, y, epochs=50)


@pytest.mark.parametrize(
    ("name", "table"),
    [("and_gate", [0, 0, 0, 1]), ("or_gate", [0, 1, 1, 1]), ("nand_gate", [1, 1, 1, 0]), ("xor_gate", [0, 1, 1, 0])],
)
def test_gates_are_their_exact_truth_tables_and_have_no_validation_set(name, table):
    ds = make_dataset(Data(dataset=name, samples=500, noise=0.5, validation=0.5, seed=3))
    assert np.array_equal(ds.x_train, [[0, 0], [0, 1], [1, 0], [1, 1]])
    assert np.array_equal(ds.y_train, np.array(table, float).reshape(4, 1))
    assert ds.x_val.shape == (0, 2) and ds.y_val.shape == (0, 1)


# --- the split -------------------------------------------------------------------------------


@SETTINGS
@given(
    name=st.sampled_from(GENERATED),
    n=st.integers(2, 120),
    validation=st.sampled_from([0.0, 0.1, 0.2, 0.25, 1 / 3, 0.5]),
    seed=st.integers(0, 1000),
)
def test_split_sizes_and_it_loses_no_row(name, n, validation, seed):
    data = Data(dataset=name, samples=n, noise=0.2, validation=validation, seed=seed)
    ds = make_dataset(data)
    assert len(ds.x_val) == len(ds.y_val) == round(validation * n)
    assert len(ds.x_train) == len(ds.y_train) == n - round(validation * n)
    # the split is a permutation of the generated rows, pairs kept together
    x, y = generate(name, n=n, noise=0.2, seed=seed, **({"classes": 3} if name == "blobs" else {}))
    xs, ys = all_rows(ds)
    key = lambda a, b: sorted(map(tuple, np.column_stack([a, b.reshape(len(b), -1)])))  # noqa: E731
    assert key(xs, ys) == key(x, y)


def test_validation_0_gives_empty_arrays_of_the_right_width():
    ds = make_dataset(Data(dataset="blobs", validation=0.0))
    assert ds.x_val.shape == (0, 2) and ds.y_val.shape == (0,) and len(ds.x_train) == 200


@pytest.mark.parametrize(("name", "n", "k"), [("circle", 200, 2), ("spiral", 100, 2), ("blobs", 90, 3)])
def test_classification_split_is_stratified(name, n, k):
    ds = make_dataset(Data(dataset=name, samples=n, validation=0.2, classes=k))
    counts = np.bincount(ds.y_val.reshape(-1).astype(int), minlength=k)
    assert counts.max() - counts.min() <= 1 and counts.sum() == round(0.2 * n)


def test_training_rows_come_out_shuffled():
    ds = make_dataset(Data(dataset="gaussian", validation=0.2))
    labels = ds.y_train[:, 0]
    assert 0 < labels[:80].mean() < 1  # not class 1 first, then class 0
    changes = np.count_nonzero(labels[1:] != labels[:-1])
    assert changes < 0.75 * len(labels)  # nor the classes taking turns


def test_a_validation_that_leaves_nothing_to_train_on_is_refused():
    with pytest.raises(DataError, match="no rows to train on"):
        make_dataset(Data(samples=3, validation=0.9))


@pytest.mark.parametrize("validation", [-0.1, 1.0])
def test_a_validation_outside_0_to_1_is_refused(validation):
    with pytest.raises(ValueError, match="validation"):
        make_dataset(Data(validation=validation))


def test_mismatched_arrays_are_refused_by_dataset():
    with pytest.raises(ValueError, match="do not match"):
        Dataset(np.zeros((3, 2)), np.zeros((2, 1)), np.zeros((0, 2)), np.zeros((0, 1)),
                "binary", ("0", "1"), ("a", "b"), "x")  # fmt: skip


# --- CSV ----------------------------------------------------------------------------------------


def test_iris_loads_150_rows_4_features_3_classes_of_50():
    x, y, task, classes, features = load_csv(IRIS)
    assert x.shape == (150, 4) and x.dtype == np.float64
    assert features == ("sepal_length", "sepal_width", "petal_length", "petal_width")
    assert task == "multiclass" and classes == ("setosa", "versicolor", "virginica")
    assert y.dtype == np.int64 and np.array_equal(np.bincount(y), [50, 50, 50])
    np.testing.assert_array_equal(x[0], [5.1, 3.5, 1.4, 0.2])


def test_iris_through_make_dataset_keeps_classes_in_proportion():
    ds = make_dataset(Data(dataset="csv", path=str(IRIS), validation=0.2, seed=7))
    assert ds.name == "iris.csv" and ds.x_train.shape == (120, 4)
    assert np.array_equal(np.bincount(ds.y_val), [10, 10, 10])


def write(tmp_path: Path, text: str, name: str = "data.csv") -> Path:
    path = tmp_path / name
    path.write_text(text, encoding="utf-8")
    return path


def test_string_labels_of_two_classes_are_binary_in_sorted_order(tmp_path):
    path = write(tmp_path, "a,b,answer\n1,2,yes\n3,4,no\n5,6,yes\n")
    x, y, task, classes, features = load_csv(path)
    assert task == "binary" and classes == ("no", "yes") and features == ("a", "b")
    assert y.dtype == np.float64 and np.array_equal(y, [[1.0], [0.0], [1.0]])


def test_integer_labels_are_classes_sorted_by_value(tmp_path):
    path = write(tmp_path, "a,label\n0.5,10\n1.5,2\n2.5,2\n3.5,9\n")
    _, y, task, classes, _ = load_csv(path)
    assert task == "multiclass" and classes == ("2", "9", "10")
    assert np.array_equal(y, [2, 0, 0, 1])


def test_a_fractional_target_is_a_regression(tmp_path):
    path = write(tmp_path, "a,b,price\n1,2,3\n3,4,5.5\n")
    _, y, task, classes, _ = load_csv(path)
    assert task == "regression" and classes == () and np.array_equal(y, [[3.0], [5.5]])


def test_a_list_of_targets_is_a_regression_with_one_output_each(tmp_path):
    path = write(tmp_path, "u,v,a,b\n1,2,3,4\n5,6,7,8\n")
    x, y, task, _, features = load_csv(path, ["u", "b"])
    assert task == "regression" and features == ("v", "a")
    assert np.array_equal(y, [[1, 4], [5, 8]]) and np.array_equal(x, [[2, 3], [6, 7]])


def test_a_named_target_column_may_be_anywhere(tmp_path):
    path = write(tmp_path, "kind,a,b\ncat,1,2\ndog,3,4\n")
    x, y, task, classes, features = load_csv(path, "kind")
    assert features == ("a", "b") and classes == ("cat", "dog") and np.array_equal(y, [[0], [1]])


def test_blank_lines_and_a_byte_order_mark_are_tolerated(tmp_path):
    path = tmp_path / "bom.csv"
    path.write_bytes("\ufeffa, b ,y\n1,2,0\n\n3,4,1\n,,\n".encode())
    x, _, _, _, features = load_csv(path)
    assert features == ("a", "b") and x.shape == (2, 2)


@pytest.mark.parametrize(
    ("text", "target", "message"),
    [
        ("a,b,y\n1,2,0\n3,abc,1\n", None, r"data\.csv:3: column 'b' has 'abc', not a number"),
        ("a,b,y\n1,2,0\n\n3,,1\n", None, r"data\.csv:4: column 'b' is empty"),
        ("a,b,y\n1,2,0\n3,inf,1\n", None, r"data\.csv:3: column 'b' has 'inf', not a finite number"),
        ("a,b,y\n1,2,0\n3,4\n", None, r"data\.csv:3: 2 values, but the header has 3 columns"),
        ("a,b,y\n1,2,0\n", "z", r"data\.csv:1: no column 'z'; the columns are a, b, y"),
        ("a,b,label\n1,2,0\n", "lable", r"no column 'lable' \(did you mean 'label'\?\)"),
        ("a,b,y\n1,2,0.5\n3,4,oops\n", None, r"data\.csv:3: column 'y' has 'oops', not a number like '0.5' on line 2"),
        ("a,b,y\n1,2,x\n3,4,x\n", None, r"column 'y' has one class only \('x'\)"),
        ("a,b,y\n1,2,0\n3,4,\n", None, r"data\.csv:3: column 'y' is empty"),
        ("a,b,y\n1,2,3\n", ["a", "b", "y"], r"none is left as an input"),
        ("a,a,y\n1,2,3\n", None, r"data\.csv:1: column 'a' appears twice"),
        ("a;b;y\n1;2;3\n", None, r"data\.csv:1: only one column"),
        ("a,b,y\n", None, r"data\.csv: no rows of data"),
        ("", None, r"data\.csv: the file is empty"),
        ("\n\n", None, r"data\.csv: the file is empty"),
        ("\na,b\n1,2\n", None, r"data\.csv:1: the first line is blank"),
    ],
)
def test_csv_errors_name_the_file_and_line(tmp_path, text, target, message):
    path = write(tmp_path, text)
    with pytest.raises(DataError, match=message) as caught:
        load_csv(path, target)
    assert "\n" not in str(caught.value)


def test_a_missing_file_is_named(tmp_path):
    with pytest.raises(DataError, match=r"nope\.csv: no such file"):
        load_csv(tmp_path / "nope.csv")


def test_a_folder_or_binary_file_is_unreadable(tmp_path):
    with pytest.raises(DataError, match="is a folder"):
        load_csv(tmp_path)
    binary = tmp_path / "x.csv"
    binary.write_bytes(b"a,b\n\xff\xfe,1\n")
    with pytest.raises(DataError, match="UTF-8"):
        load_csv(binary)


def test_data_error_is_a_value_error():
    assert issubclass(DataError, ValueError)


def test_csv_without_a_path_is_refused():
    with pytest.raises(DataError, match="needs a path"):
        make_dataset(Data(dataset="csv"))
