"""A CSV's cost to read and split, against its size: peak memory (RSS of a
fresh process) and seconds, for the stream reader (engine/datasets.py), on
generated files in a temporary folder that is removed afterwards.

    python benchmarks/csv_memory.py [MB ...]      (default: 20)

Two kinds of file: typical numbers (`0.123456,-1.234567,1`, 21 bytes a row)
and the worst case for memory, one-digit cells (`1,2,...,9,0`: 2 bytes a
value, each kept as 8). Prints the peak RSS over the file's size.
"""

from __future__ import annotations

import os
import subprocess
import sys
import tempfile

_MEASURE = """
import resource, sys, time
from types import SimpleNamespace
from nntui.engine.datasets import make_dataset
base = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss * 1024
t = time.perf_counter()
ds = make_dataset(SimpleNamespace(dataset="csv", path=sys.argv[1], target=None, validation=0.2, seed=0))
print(time.perf_counter() - t, base, resource.getrusage(resource.RUSAGE_SELF).ru_maxrss * 1024,
      len(ds.x_train) + len(ds.x_val))
"""


def write(path: str, mb: float, kind: str) -> None:
    import numpy as np

    target = int(mb * 2**20)
    with open(path, "w") as f:
        if kind == "one-digit":
            f.write(",".join(f"c{i}" for i in range(9)) + ",y\n")
            rows = "1,2,3,4,5,6,7,8,9,0\n1,2,3,4,5,6,7,8,9,1\n"
            f.write(rows * (target // len(rows)))
            return
        f.write("x1,x2,label\n")
        rng, written = np.random.default_rng(0), 0
        while written < target:
            x = rng.normal(size=(min(100_000, (target - written) // 21 + 1), 2))
            chunk = "".join(f"{a:.6f},{b:.6f},{int(a * b > 0)}\n" for a, b in x)
            f.write(chunk)
            written += len(chunk)


def main() -> None:
    sizes = [float(a) for a in sys.argv[1:]] or [20.0]
    print(f"{'kind':<10} {'file MB':>8} {'rows':>10} {'seconds':>8} {'peak MB':>8} {'peak - start':>12} {'/ size':>7}")
    with tempfile.TemporaryDirectory() as folder:
        for mb in sizes:
            for kind in ("typical", "one-digit"):
                path = os.path.join(folder, f"{kind}.csv")
                write(path, mb, kind)
                size = os.path.getsize(path)
                out = subprocess.run([sys.executable, "-c", _MEASURE, path], capture_output=True, text=True,
                                     check=True).stdout.split()
                seconds, base, peak, rows = float(out[0]), int(out[1]), int(out[2]), int(out[3])
                print(f"{kind:<10} {size / 2**20:8.1f} {rows:10d} {seconds:8.1f} {peak / 2**20:8.0f} "
                      f"{(peak - base) / 2**20:12.0f} {(peak - base) / size:7.2f}")
                os.unlink(path)


if __name__ == "__main__":
    main()
