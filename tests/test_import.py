"""`import hopt` stays light, and its public names exist."""

import importlib
import json
import os
import pkgutil
import subprocess
import sys
from pathlib import Path

import pytest

import hopt

REPO = Path(__file__).resolve().parents[1]
HEAVY = ["pymongo", "pyspark", "py4j", "matplotlib", "sklearn", "pandas", "pyarrow", "grpc"]

# Run in a fresh interpreter; report which heavy packages got imported and which
# were even looked for (a guarded ``try: import pymongo`` counts: with pymongo
# installed it would load it).
PROBE = """
import importlib.abc, json, sys
HEAVY = {heavy!r}
looked_for = []

class Recorder(importlib.abc.MetaPathFinder):
    def find_spec(self, name, path=None, target=None):
        if name.split(".")[0] in HEAVY:
            looked_for.append(name)
        return None

sys.meta_path.insert(0, Recorder())
{statement}
print(json.dumps({{
    "imported": sorted(m for m in sys.modules if m.split(".")[0] in HEAVY),
    "looked_for": sorted(set(looked_for)),
}}))
"""


def run_probe(statement, tmp_path):
    # Stand-in packages on the path, so an import of them succeeds and shows up in
    # sys.modules even on a machine where the real ones are not installed.
    for name in HEAVY:
        (tmp_path / name).mkdir()
        (tmp_path / name / "__init__.py").write_text("")
    env = dict(os.environ, PYTHONPATH=os.pathsep.join([str(REPO), str(tmp_path)]))
    completed = subprocess.run(
        [sys.executable, "-c", PROBE.format(heavy=HEAVY, statement=statement)],
        cwd=REPO,
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
        check=True,
    )
    return json.loads(completed.stdout.strip().splitlines()[-1])


def test_probe_detects_an_import_of_a_heavy_package(tmp_path):
    report = run_probe("import pymongo", tmp_path)
    assert report == {"imported": ["pymongo"], "looked_for": ["pymongo"]}


@pytest.mark.parametrize(
    "statement",
    [
        "import hopt",
        "from hopt import *",
        "import hopt.pyll.stochastic, hopt.space, hopt.domain",
        "import hopt.worker, hopt.mongoexp, hopt.trials.mongo; hopt.MongoTrials",
        "import hopt.plotting, hopt.compat, hopt.base",
        "import hopt.trials.spark.connect",
    ],
    ids=[
        "import-hopt",
        "star-import",
        "space-modules",
        "mongo-modules",
        "plotting-compat",
        "spark-connect",
    ],
)
def test_import_does_not_touch_mongo_spark_or_matplotlib(statement, tmp_path):
    assert run_probe(statement, tmp_path) == {"imported": [], "looked_for": []}


@pytest.mark.parametrize("name", hopt.__all__)
def test_every_name_in_all_exists(name):
    assert getattr(hopt, name) is not None


def test_all_has_no_duplicates():
    assert len(hopt.__all__) == len(set(hopt.__all__))


def test_hyperopt_top_level_names_are_exported():
    expected = {
        "STATUS_STRINGS",
        "STATUS_NEW",
        "STATUS_RUNNING",
        "STATUS_SUSPENDED",
        "STATUS_OK",
        "STATUS_FAIL",
        "JOB_STATES",
        "JOB_STATE_NEW",
        "JOB_STATE_RUNNING",
        "JOB_STATE_DONE",
        "JOB_STATE_ERROR",
        "Ctrl",
        "Trials",
        "trials_from_docs",
        "Domain",
        "fmin",
        "fmin_pass_expr_memo_ctrl",
        "FMinIter",
        "partial",
        "space_eval",
        "hp",
        "exceptions",
        "rand",
        "tpe",
    }
    assert expected <= set(hopt.__all__)


def test_sparktrials_is_reachable_from_the_top_level_without_importing_pyspark_early():
    code = (
        "import sys, hopt; cls = hopt.SparkTrials; "
        "assert cls.__name__ == 'SparkTrials'; "
        "assert 'pyspark' not in sys.modules, 'pyspark imported before a SparkTrials exists'"
    )
    subprocess.run([sys.executable, "-c", code], check=True)


def test_sparktrials_without_pyspark_says_how_to_install_it():
    code = (
        "import sys; sys.modules['pyspark'] = None\n"  # as if pyspark were not installed
        "import hopt\n"
        "from hopt.exceptions import MissingDependencyError\n"
        "try:\n"
        "    hopt.SparkTrials(parallelism=2)\n"
        "except MissingDependencyError as exc:\n"
        "    print(exc)\n"
    )
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert "SparkTrials needs pyspark" in done.stdout
    # from a package index, and in a clone of the repository (an editable install)
    assert (
        "pip install 'hopt[spark]' (in a hopt checkout: pip install -e '.[spark]')" in done.stdout
    )


def test_tpe_suggest_is_the_function_and_its_module_has_its_own_name():
    import hopt.algos.tpe
    import hopt.algos.tpe.suggestion as suggestion
    import hopt.tpe

    assert callable(hopt.tpe.suggest) and hopt.tpe.suggest is hopt.algos.tpe.suggest
    assert suggestion.__name__ == "hopt.algos.tpe.suggestion"
    assert suggestion.suggest is hopt.tpe.suggest


#: modules that a name exported by their package hides, and why that is kept
HIDDEN_MODULES = {
    "hopt.fmin": "Hyperopt's layout: hyperopt.fmin is both the function and its module",
}


def test_every_module_is_reachable_by_its_own_name():
    # `import a.b as m` gives the attribute b of a: a function or object exported by
    # the package under the module's name would be returned instead of the module
    hidden = []
    for info in pkgutil.walk_packages(hopt.__path__, "hopt."):
        module = importlib.import_module(info.name)
        parent, _, leaf = info.name.rpartition(".")
        if getattr(importlib.import_module(parent), leaf) is not module:
            hidden.append(info.name)
    assert sorted(hidden) == sorted(HIDDEN_MODULES)
