"""nntui: watch a neural network learn, one phase at a time, in the terminal."""

import os

# On small machines a threaded BLAS makes the tiny matmuls of these nets many
# times slower; pin it to one thread before numpy loads, unless the user chose.
for _var in ("OPENBLAS_NUM_THREADS", "OMP_NUM_THREADS", "MKL_NUM_THREADS"):
    os.environ.setdefault(_var, "1")

__version__ = "0.1.0"
