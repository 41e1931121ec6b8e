"""The loss landscape around a run's final weights, on a 2-D slice.

The slice is the plane theta(alpha, beta) = theta_end + alpha d1 + beta d2 in
the space of every parameter (W1, b1, W2, ...), all of them flattened into one
vector in the network's own order. The loss on it is the training set's loss,
the loss curve's loss (no weight decay or L1 term: they belong to the
optimizer, not to the loss), measured on a G x G grid of offsets in [-S, S].

Two kinds of direction:

- `axis_directions`: two named weights, W1[0,0] and W2[1,0]: unit vectors, so
  alpha is exactly what is added to the first weight and beta to the second.
- `pca_directions`: the two principal directions of the path (Li et al. 2018,
  "Visualizing the Loss Landscape of Neural Nets", section 7): the top two
  right singular vectors of the centred matrix of theta_t - theta_end, one row
  per recorded point of the path.

The path (every epoch's end, from the start) is drawn as its offsets from the
end, projected on the two directions: (theta_t - theta_end) . d, so the end
is at (0, 0) exactly.
"""

from __future__ import annotations

import re
import time
from dataclasses import dataclass

import numpy as np

MAX_GRID = 101  # points a side: G^2 forward passes of the training set
_CHUNK = 2**22  # floats a batched forward may hold at once (32 MB)
_AXIS = re.compile(r"\s*([Wb])([1-9][0-9]*)\[\s*([0-9]+)\s*(?:,\s*([0-9]+)\s*)?\]\s*")


@dataclass(frozen=True)
class Slice:
    """A measured slice: `loss[i, j]` is the loss at (alpha[i], beta[j])."""

    axes: tuple[str, str]  # "W1[0,0]" or "PC1"
    explained: tuple[float, float]  # each direction's share of the path's variance
    alpha: np.ndarray
    beta: np.ndarray
    loss: np.ndarray  # (G, G)
    path: np.ndarray  # (T, 2): the path's offsets from the end, start first


# ------------------------------------------------------------------ vectors


def names_of(params: dict) -> tuple[str, ...]:
    """The parameters in flattening order (the network's own: W1, b1, W2, ...)."""
    return tuple(params)


def flatten(params: dict, names) -> np.ndarray:
    return np.concatenate([np.asarray(params[k], dtype=np.float64).ravel() for k in names])


def unflatten(vec: np.ndarray, like: dict, names) -> dict:
    out, start = {}, 0
    for k in names:
        shape = np.shape(like[k])
        size = int(np.prod(shape))
        out[k] = vec[start:start + size].reshape(shape)
        start += size
    return out


# --------------------------------------------------------------- directions


def parse_axes(text: str, params: dict) -> list[tuple[str, tuple[int, ...]]]:
    """"W1[0,0],W2[1,0]" -> [("W1", (0, 0)), ("W2", (1, 0))]; ValueError naming
    the part that is wrong and what is allowed."""
    shapes = {k: np.shape(v) for k, v in params.items()}
    allowed = ", ".join(f"{k}{list(s)}" for k, s in shapes.items())
    parts, pos = [], 0
    while pos < len(text):
        m = _AXIS.match(text, pos)
        if m is None:
            raise ValueError(f"'{text[pos:pos + 20]}': name a weight as W1[row,column] or a bias as b1[unit], "
                             f"two of them separated by a comma, e.g. W1[0,0],W2[1,0]")
        pos = m.end()
        if pos < len(text):
            if text[pos] != ",":
                raise ValueError(f"'{text[:pos + 1]}': separate the two weights with a comma")
            pos += 1
        name = m.group(1) + m.group(2)
        index = tuple(int(g) for g in m.group(3, 4) if g is not None)
        if name not in shapes:
            raise ValueError(f"{name}: the network has {', '.join(shapes)}")
        shape = shapes[name]
        if len(index) != len(shape):
            form = f"{name}[row,column]" if len(shape) == 2 else f"{name}[unit]"
            raise ValueError(f"{m.group(0).strip()}: {name} has shape {list(shape)}; write {form}")
        if any(i >= n for i, n in zip(index, shape)):
            last = ",".join(str(n - 1) for n in shape)
            raise ValueError(f"{m.group(0).strip()}: {name} has shape {list(shape)}, indices from "
                             f"{name}[{','.join('0' * len(shape))}] to {name}[{last}]")
        parts.append((name, index))
    if len(parts) != 2:
        raise ValueError(f"name exactly two weights (got {len(parts)}), e.g. W1[0,0],W2[1,0]; the network has {allowed}")
    if parts[0] == parts[1]:
        raise ValueError("name two different weights: a slice needs two directions")
    return parts


def axis_label(name: str, index: tuple[int, ...]) -> str:
    return f"{name}[{','.join(map(str, index))}]"


def axis_directions(axes, params: dict) -> tuple[np.ndarray, np.ndarray]:
    """The unit vectors of two named weights, in flattening order."""
    names = names_of(params)
    out = []
    for name, index in axes:
        d = {k: np.zeros(np.shape(params[k])) for k in names}
        d[name][index] = 1.0
        out.append(flatten(d, names))
    return out[0], out[1]


def pca_directions(offsets: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """The path's two principal directions (unit, orthogonal), each turned so
    that the start lies at a negative coordinate: the path walks towards +.
    A path with fewer than two independent moves gets a second direction
    orthogonal to the first (its share of the variance is then 0)."""
    n, p = offsets.shape
    centred = offsets - offsets.mean(axis=0)
    _, s, vt = np.linalg.svd(centred, full_matrices=False)
    dirs = [vt[i] if i < len(s) and s[i] > 1e-12 * max(s[0], 1e-300) else None for i in range(2)]
    rng = np.random.default_rng(0)
    for i in range(2):
        if dirs[i] is None:
            v = rng.normal(size=p)
            for d in dirs[:i]:
                v -= (v @ d) * d
            dirs[i] = v / np.linalg.norm(v)
    for i in range(2):
        if offsets[0] @ dirs[i] > 0:
            dirs[i] = -dirs[i]
    return dirs[0], dirs[1]


def explained(offsets: np.ndarray, d1: np.ndarray, d2: np.ndarray) -> tuple[float, float]:
    """Each direction's share of the path's variance (its total: the sum over
    every parameter); 0 for a path that does not move."""
    centred = offsets - offsets.mean(axis=0)
    total = float((centred * centred).sum())
    if total == 0.0:
        return 0.0, 0.0
    return tuple(float(((centred @ d) ** 2).sum() / total) for d in (d1, d2))


# --------------------------------------------------------------- the surface


def offsets_grid(span: float, grid: int) -> np.ndarray:
    """`grid` offsets from -span to span; with an odd count the middle one is 0 exactly."""
    half = (grid - 1) / 2
    return span * ((np.arange(grid) - half) / half)


def surface(net, loss, params: dict, X: np.ndarray, y, d1: np.ndarray, d2: np.ndarray,
            alpha: np.ndarray, beta: np.ndarray) -> np.ndarray:
    """The loss of theta + alpha_i d1 + beta_j d2 on (X, y), for every i, j: one
    batched forward pass over a row's (or a part of a row's) parameter sets."""
    names = names_of(params)
    theta = flatten(params, names)
    out = np.empty((len(alpha), len(beta)))
    widest = max(net.sizes)
    per = max(1, _CHUNK // max(1, len(X) * widest))
    for i, a in enumerate(alpha):
        base = theta + a * d1
        for lo in range(0, len(beta), per):
            bs = beta[lo:lo + per]
            thetas = base[None, :] + bs[:, None] * d2[None, :]
            out[i, lo:lo + len(bs)] = batch_losses(net, loss, thetas, params, names, X, y)
    return out


def batch_losses(net, loss, thetas: np.ndarray, like: dict, names, X: np.ndarray, y) -> np.ndarray:
    """The loss on (X, y) of each parameter vector in `thetas` (rows): the
    hidden layers as one stacked matmul, the output and loss one set at a time
    (softmax and the losses work on one batch)."""
    k = len(thetas)
    stacked, start = {}, 0
    for name in names:
        shape = np.shape(like[name])
        size = int(np.prod(shape))
        stacked[name] = thetas[:, start:start + size].reshape((k, *shape))
        start += size
    a = X[None, :, :]
    for l in range(1, net.L):
        z = a @ stacked[net.W[l]] + stacked[net.b[l]][:, None, :]
        a = net.hidden.f(z)
        if net.keep[l] is not None:
            a = a * net.keep[l]  # units switched off stay at 0 on the whole slice
    L = net.L
    z = a @ stacked[net.W[L]] + stacked[net.b[L]][:, None, :]
    out = np.empty(k)
    for j in range(k):
        zj = np.ascontiguousarray(z[j])
        out[j] = loss.value(zj, net.output.f(zj), y)
    return out


def loss_at(net, loss, params: dict, X, y) -> float:
    z, a = net.forward_output(params, X)
    return loss.value(z, a, y)


def default_span(path: np.ndarray) -> float:
    """A quarter more than the path's reach on either axis, so the whole path is
    on the map (at least 0.5: a path that hardly moved still shows its ground)."""
    reach = float(np.abs(path).max()) if path.size else 0.0
    return max(0.5, 1.25 * reach)


def measure(net, loss, path_params: list[dict], X, y, axes=None, grid: int = 41,
            span: float | None = None) -> Slice:
    """The slice around the path's last point: along `axes` (parse_axes's
    result) or, without, the path's principal directions."""
    end = path_params[-1]
    names = names_of(end)
    theta_end = flatten(end, names)
    offsets = np.stack([flatten(p, names) for p in path_params]) - theta_end
    if axes:
        d1, d2 = axis_directions(axes, end)
        labels = (axis_label(*axes[0]), axis_label(*axes[1]))
    else:
        d1, d2 = pca_directions(offsets)
        labels = ("PC1", "PC2")
    path = np.column_stack([offsets @ d1, offsets @ d2])
    span = default_span(path) if span is None else float(span)
    alpha = offsets_grid(span, grid)
    beta = offsets_grid(span, grid)
    with np.errstate(over="ignore", invalid="ignore", divide="ignore"):
        values = surface(net, loss, end, X, y, d1, d2, alpha, beta)
    return Slice(labels, explained(offsets, d1, d2), alpha, beta, values, path)


# ------------------------------------------------------------------- the path


def record(trainer, until_epochs: int) -> list[dict]:
    """Train to `until_epochs`, keeping the parameters now and at every epoch's
    end (references: the trainer never changes an array in place)."""
    path = [dict(trainer.params)]
    trainer.run(until_epochs=until_epochs, callback=lambda tr: path.append(dict(tr.params)))
    if any(trainer.params[k] is not path[-1][k] for k in trainer.params):
        path.append(dict(trainer.params))  # a run that did not stop at an epoch's end
    return path


def replay(trainer, make_trainer) -> list[dict] | None:
    """The path of a run read from a runfile, by running it again from its
    start (`make_trainer()` builds a fresh one from the same config and data):
    every epoch's end, then its parameters now. None when the replay does not
    land on the saved parameters bit for bit (the run was changed while it
    trained: a learning rate, its data), so no path is made up."""
    fresh = make_trainer()
    if not all(np.array_equal(fresh.params[k], trainer.initial_params[k]) for k in fresh.params):
        return None
    fresh.keep_rewind(1)
    path = [dict(fresh.params)]
    try:
        fresh.run(until_epochs=trainer.epoch, callback=lambda tr: path.append(dict(tr.params)), explode=None,
                  target_loss=float("-inf"))
        if fresh.step < trainer.step:
            fresh.run_steps(trainer.step - fresh.step)
            path.append(dict(fresh.params))
    except ArithmeticError:  # Diverged: this is not the run that was saved
        return None
    if fresh.step != trainer.step or not all(np.array_equal(fresh.params[k], trainer.params[k])
                                              for k in trainer.params):
        return None
    return path


# ------------------------------------------------ a slice measured in pieces


class SliceJob:
    """A slice measured a piece at a time, for a caller (a live view) that can
    spare only a few milliseconds at once: the loss of centre + alpha_i d1 +
    beta_j d2 on (X, y), row by row, `loss[i, j]` NaN until measured.

    `flops` bounds a piece: about that many multiply-adds (a few ms), at
    least one parameter set."""

    def __init__(self, net, loss, centre: dict, d1: np.ndarray, d2: np.ndarray, alpha: np.ndarray,
                 beta: np.ndarray, X, y, flops: int = 2_000_000):
        self.net, self.loss, self.centre, self.X, self.y = net, loss, centre, X, y
        self.names = names_of(centre)
        self.theta = flatten(centre, self.names)
        self.d1, self.d2, self.alpha, self.beta = d1, d2, alpha, beta
        self.loss_grid = np.full((len(alpha), len(beta)), np.nan)
        self.row = self.col = 0
        self.seconds = 0.0  # spent measuring so far
        sizes = net.sizes
        per_set = len(X) * sum(a * b for a, b in zip(sizes[:-1], sizes[1:]))
        self.per = max(1, min(len(beta), flops // max(per_set, 1)))

    @property
    def done(self) -> bool:
        return self.row >= len(self.alpha)

    def work(self, budget_s: float) -> None:
        """Measure pieces of rows until `budget_s` has passed (one piece at least)."""
        start = time.perf_counter()
        end = start + budget_s
        G = len(self.beta)
        while not self.done:
            lo, hi = self.col, min(G, self.col + self.per)
            base = self.theta + self.alpha[self.row] * self.d1
            thetas = base[None, :] + self.beta[lo:hi, None] * self.d2[None, :]
            with np.errstate(all="ignore"):
                self.loss_grid[self.row, lo:hi] = batch_losses(self.net, self.loss, thetas, self.centre,
                                                               self.names, self.X, self.y)
            self.row, self.col = (self.row + 1, 0) if hi == G else (self.row, hi)
            if time.perf_counter() >= end:
                break
        self.seconds += time.perf_counter() - start

    def project(self, path: list[dict], flat: "Flattened | None" = None) -> np.ndarray:
        """The path's points as (alpha, beta) coordinates on this slice."""
        if not path:
            return np.zeros((0, 2))
        flat = flat or Flattened()
        offsets = np.stack([flat(p, self.names) for p in path]) - self.theta
        return np.column_stack([offsets @ self.d1, offsets @ self.d2])


class Flattened:
    """Parameter sets as vectors, each flattened once: a live view projects the
    same path again every frame. Keyed by the dict's identity (the trainer
    never changes one in place), which the entry keeps alive; emptied when
    it holds more than `most`."""

    def __init__(self, most: int = 4096):
        self.most = most
        self._vectors: dict[int, tuple[dict, np.ndarray]] = {}

    def __call__(self, params: dict, names) -> np.ndarray:
        hit = self._vectors.get(id(params))
        if hit is not None and hit[0] is params:
            return hit[1]
        if len(self._vectors) >= self.most:
            self._vectors.clear()
        vector = flatten(params, names)
        self._vectors[id(params)] = (params, vector)
        return vector


# ------------------------------------------------- several paths, one slice


def thin(path: list, most: int) -> list:
    """At most `most` points of a path, evenly spread, the first and the last kept."""
    if len(path) <= most:
        return list(path)
    keep = np.unique(np.rint(np.linspace(0, len(path) - 1, most)).astype(int))
    return [path[i] for i in keep]


def same_ground(trainers) -> str | None:
    """Why the runs of `trainers` cannot share one landscape (None when they
    can): one slice holds several paths only when every run is the same
    function of the same parameters (network, its units off, features, loss
    and training data) from the same start."""
    first = trainers[0]
    for tr in trainers[1:]:
        if tr.net.sizes != first.net.sizes:
            return "their networks differ in size"
        if (tr.net.activation_name, tr.net.output_name) != (first.net.activation_name, first.net.output_name):
            return "their activations differ"
        if tr.loss is not first.loss:
            return "their losses differ"
        if tr.dataset is not first.dataset and not (
                np.array_equal(tr.x_train, first.x_train) and np.array_equal(tr.dataset.y_train, first.dataset.y_train)):
            return "their training data differ"
        if tr.net.off != first.net.off:
            return "different units are switched off"
        if any(not np.array_equal(tr.initial_params[k], first.initial_params[k]) for k in first.initial_params):
            return "they start from different weights (init or seed)"
    return None


@dataclass(frozen=True)
class Plane:
    """A slice through a shared start: theta(alpha, beta) = start + alpha d1 + beta d2."""

    start: dict
    d1: np.ndarray
    d2: np.ndarray
    axes: tuple[str, str]
    explained: tuple[float, float]


def weight_axes(params: dict) -> tuple[str, ...]:
    """Every parameter's own name in flattening order: W1[0,0], ..., b1[0]."""
    return tuple(axis_label(k, index) for k in names_of(params) for index in np.ndindex(*np.shape(params[k])))


def plane_of_paths(paths: list[list[dict]], flat: Flattened | None = None, most: int = 400) -> Plane:
    """The plane through the paths' shared start that best holds them all: with
    exactly two parameters, the parameters themselves (the slice is the whole
    surface, exact); otherwise the two principal directions of every path's
    points together (Li et al. 2018, over all the runs), each turned so that
    the paths' ends lie on its positive side on average."""
    start = paths[0][0]
    names = names_of(start)
    flat = flat or Flattened()
    theta0 = flat(start, names)
    # The directions from at most `most` points in all, evenly spread along each path.
    each = max(2, most // len(paths))
    offsets = np.concatenate([np.stack([flat(p, names) for p in thin(path, each)]) for path in paths]) - theta0
    offsets = offsets[np.isfinite(offsets).all(axis=1)]  # a diverged run's last points: no direction
    if theta0.size == 2:
        d1, d2 = np.eye(2)
        return Plane(start, d1, d2, weight_axes(start), explained(offsets, d1, d2))
    d1, d2 = pca_directions(np.concatenate([np.zeros((1, theta0.size)), offsets]))
    ends = np.stack([flat(path[-1], names) for path in paths]) - theta0
    ends = ends[np.isfinite(ends).all(axis=1)]
    if len(ends) and (ends @ d1).mean() < 0:
        d1 = -d1
    if len(ends) and (ends @ d2).mean() < 0:
        d2 = -d2
    return Plane(start, d1, d2, ("PC1", "PC2"), explained(offsets, d1, d2))


def project_on(plane: Plane, path: list[dict], flat: Flattened | None = None) -> np.ndarray:
    """The path's points as (alpha, beta) on the plane: (theta - start) . d."""
    names = names_of(plane.start)
    flat = flat or Flattened()
    offsets = np.stack([flat(p, names) for p in path]) - flat(plane.start, names)
    return np.column_stack([offsets @ plane.d1, offsets @ plane.d2])


def extent(points: np.ndarray, grid: int, margin: float = 0.15, least: float = 0.05) -> tuple[np.ndarray, np.ndarray]:
    """Alpha and beta grids covering `points` ((n, 2), the start (0, 0) among
    them) with a margin on each side: each axis its own range, so a long
    narrow spread of paths still fills the map."""
    points = points[np.isfinite(points).all(axis=1)]
    out = []
    for k in range(2):
        lo, hi = float(min(points[:, k].min(initial=0.0), 0.0)), float(max(points[:, k].max(initial=0.0), 0.0))
        pad = max(margin * (hi - lo), least)
        out.append(np.linspace(lo - pad, hi + pad, grid))
    return out[0], out[1]
