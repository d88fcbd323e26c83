#!/usr/bin/env bash
# The benchmark command: bash scripts/bench.sh [overhead.py args...]
# Sets up .venv with the `bench` extra (hyperopt==0.3.0, optuna; see
# scripts/_venv.sh) and runs benchmarks/overhead.py, which prints a table and
# updates docs/benchmarks.md and benchmarks/results/overhead.json.
# Examples: bash scripts/bench.sh --quick    (smoke run, writes nothing)
#           bash scripts/bench.sh --n 100 1000 3000 --seeds 0 1 2 3 4
set -euo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")/.."
# shellcheck source=scripts/_venv.sh
source scripts/_venv.sh
hopt_venv bench

# One thread for BLAS/OpenMP pools, so CPU times compare like with like
# (overhead.py sets the same defaults itself when run directly).
export OMP_NUM_THREADS=1 OPENBLAS_NUM_THREADS=1 MKL_NUM_THREADS=1
export NUMEXPR_NUM_THREADS=1 VECLIB_MAXIMUM_THREADS=1
export PYTHONHASHSEED=0

exec "$VENV_PY" benchmarks/overhead.py "$@"
