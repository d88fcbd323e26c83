"""Imported first by every benchmark: one thread per BLAS/OpenMP pool.

Set before numpy loads, so no library gets hidden parallel help and CPU times
compare like with like on this 2-core machine.
"""

import os

for _var in (
    "OMP_NUM_THREADS",
    "OPENBLAS_NUM_THREADS",
    "MKL_NUM_THREADS",
    "NUMEXPR_NUM_THREADS",
    "VECLIB_MAXIMUM_THREADS",
):
    os.environ.setdefault(_var, "1")
