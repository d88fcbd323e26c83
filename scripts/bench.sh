#!/usr/bin/env bash
# The benchmark command: bash scripts/bench.sh [overhead|quality|parallel|tpe-overhead|pruning|multiobjective|importance|spark|mongo|fleet|report-cost|all] [args...]
# Sets up .venv with the `bench` and `mongo` extras (hyperopt==0.3.0, optuna, scikit-learn,
# pymongo; see scripts/_venv.sh) and runs one benchmark (default: overhead) or all of them; each
# prints its tables and updates its section of docs/benchmarks.md.
# Examples: bash scripts/bench.sh --quick            (overhead smoke run, writes nothing)
#           bash scripts/bench.sh quality --quick
#           bash scripts/bench.sh mongo                (MongoTrials + hopt-workers; about 3 minutes)
#           bash scripts/bench.sh fleet                (Optuna journal/SQLite vs hopt fleets; about 12 minutes)
#           nice -n 5 bash scripts/bench.sh pruning    (hopt's pruners vs Optuna's; about 30 minutes)
#           bash scripts/bench.sh pruning --quick      (2 seeds, 12 trials; writes nothing)
#           nice -n 5 bash scripts/bench.sh multiobjective  (several objectives vs Optuna; about 4 minutes)
#           bash scripts/bench.sh importance   (PED-ANOVA and fANOVA vs Optuna's; about 6 minutes)
#           bash scripts/bench.sh all                  (overhead, quality, parallel, tpe-overhead, mongo; about 18 minutes on 2 cores)
set -euo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")/.."
# shellcheck source=scripts/_venv.sh
source scripts/_venv.sh
hopt_venv bench,mongo

# One thread for BLAS/OpenMP pools, so CPU times compare like with like
# (overhead.py sets the same defaults itself when run directly).
export OMP_NUM_THREADS=1 OPENBLAS_NUM_THREADS=1 MKL_NUM_THREADS=1
export NUMEXPR_NUM_THREADS=1 VECLIB_MAXIMUM_THREADS=1
export PYTHONHASHSEED=0

which=overhead
case "${1:-}" in
    overhead | quality | parallel | tpe-overhead | pruning | multiobjective | importance | spark | mongo | fleet | report-cost | all)
        which=$1
        shift
        ;;
esac
case "$which" in
    overhead) exec "$VENV_PY" benchmarks/overhead.py "$@" ;;
    quality) exec "$VENV_PY" benchmarks/quality.py "$@" ;;
    parallel) exec "$VENV_PY" benchmarks/quality.py --parallel 8 "$@" ;;
    tpe-overhead) exec "$VENV_PY" benchmarks/tpe_overhead.py "$@" ;;
    pruning) exec "$VENV_PY" benchmarks/pruning.py "$@" ;;
    multiobjective) exec "$VENV_PY" benchmarks/multiobjective.py "$@" ;;
    importance) exec "$VENV_PY" benchmarks/importance.py "$@" ;;
    spark)
        # local-cluster, then a standalone master + 8-slot worker started (and always
        # stopped) here; both libraries' SparkTrials on each.
        export SPARK_LOCAL_IP=127.0.0.1 PYSPARK_PYTHON="$VENV_PY" PYSPARK_DRIVER_PYTHON="$VENV_PY"
        export HOPT_SPARK_WORKER_CORES=8
        # shellcheck source=scripts/spark_standalone.sh
        source scripts/spark_standalone.sh
        trap spark_standalone_stop EXIT
        spark_standalone_start
        "$VENV_PY" benchmarks/spark_throughput.py \
            --masters 'local-cluster[2,4,1024]' "$SPARK_STANDALONE_URL" \
            --labels 'local-cluster[2,4,1024] (2 executor JVMs, 4 slots each)' \
            'standalone master + 1 worker (--cores 8) on 127.0.0.1' "$@"
        ;;
    mongo)
        # a fresh SecantusDB server (scripts/mongo_server.sh; always stopped), then
        # fmin with MongoTrials and 1, 2, 4 hopt-worker processes on it
        # shellcheck source=scripts/mongo_server.sh
        source scripts/mongo_server.sh
        trap mongo_server_stop EXIT
        mongo_server_start
        "$VENV_PY" benchmarks/mongo_throughput.py --url "$HOPT_TEST_MONGO_URL" "$@"
        ;;
    fleet)
        # Optuna's journal-file and SQLite storages next to hopt's MongoTrials (on a fresh
        # SecantusDB server; always stopped) and FileTrials: throughput with 1, 2 and 4
        # worker processes, then bookkeeping cost per trial (only that with --bookkeeping)
        # shellcheck source=scripts/mongo_server.sh
        source scripts/mongo_server.sh
        trap mongo_server_stop EXIT
        mongo_server_start
        case " $* " in
            *" --bookkeeping "*) ;;
            *) "$VENV_PY" benchmarks/fleet_throughput.py --url "$HOPT_TEST_MONGO_URL" "$@" ;;
        esac
        "$VENV_PY" benchmarks/fleet_throughput.py --url "$HOPT_TEST_MONGO_URL" "$@" --bookkeeping
        ;;
    report-cost)
        # hopt.report + hopt.should_prune per call: in memory, FileTrials, and MongoDB
        # on a fresh SecantusDB server (always stopped)
        # shellcheck source=scripts/mongo_server.sh
        source scripts/mongo_server.sh
        trap mongo_server_stop EXIT
        mongo_server_start
        "$VENV_PY" benchmarks/report_cost.py --url "$HOPT_TEST_MONGO_URL" "$@"
        ;;
    all)
        "$VENV_PY" benchmarks/overhead.py "$@"
        "$VENV_PY" benchmarks/quality.py "$@"
        "$VENV_PY" benchmarks/quality.py --parallel 8 "$@"
        "$VENV_PY" benchmarks/tpe_overhead.py "$@"
        # shellcheck source=scripts/mongo_server.sh
        source scripts/mongo_server.sh
        trap mongo_server_stop EXIT
        mongo_server_start
        "$VENV_PY" benchmarks/mongo_throughput.py --url "$HOPT_TEST_MONGO_URL" "$@"
        ;;
esac
