"""hopt.compat: code written for Hyperopt runs on hopt after one opt-in call.

Each test runs in a fresh interpreter, since the aliases change sys.modules.
"""

from __future__ import annotations

import importlib.util
import subprocess
import sys
import textwrap
from pathlib import Path

import pytest

HYPEROPT_SCRIPT = """
from hyperopt import STATUS_OK, Trials, fmin, hp, space_eval, tpe
from hyperopt.early_stop import no_progress_loss
from hyperopt.fmin import generate_trials_to_calculate
from hyperopt.pyll import scope
from hyperopt.pyll.stochastic import sample
import hyperopt
import numpy as np

space = {
    "x": hp.uniform("x", -5, 5),
    "n": scope.int(hp.quniform("n", 1, 10, 1)),
    "kind": hp.choice("kind", ["a", {"deep": hp.loguniform("deep", -3, 0)}]),
}

def objective(p):
    return {"loss": (p["x"] - 1) ** 2 + p["n"] / 10, "status": STATUS_OK}

trials = generate_trials_to_calculate([{"x": 1.0, "n": 1.0, "kind": 0}])
best = fmin(objective, space, algo=tpe.suggest, max_evals=30, trials=trials,
            rstate=np.random.default_rng(0), show_progressbar=False,
            early_stop_fn=no_progress_loss(50))
print("module", hyperopt.__name__, type(trials).__module__)
print("best", space_eval(space, best)["x"], len(trials.trials))
print("sample", sorted(sample(space, rng=np.random.default_rng(1))))
"""


def run_python(code: str, *args: str, cwd: Path | None = None) -> subprocess.CompletedProcess:
    return subprocess.run(
        [sys.executable, *args, "-c", code] if code else [sys.executable, *args],
        capture_output=True, text=True, timeout=300, cwd=cwd,
    )  # fmt: skip


def test_a_hyperopt_script_runs_unchanged_with_python_m_hopt_compat(tmp_path):
    script = tmp_path / "hyperopt_script.py"
    script.write_text(HYPEROPT_SCRIPT)
    done = run_python("", "-m", "hopt.compat", str(script))
    assert done.returncode == 0, done.stderr
    lines = dict(line.split(" ", 1) for line in done.stdout.strip().splitlines())
    assert lines["module"] == "hopt hopt.trials.base"
    x, count = lines["best"].split()
    assert float(x) == 1.0 and int(count) == 30  # the given point is the optimum
    assert lines["sample"] == "['kind', 'n', 'x']"


def test_aliases_are_the_hopt_modules_themselves():
    code = textwrap.dedent(
        """
        import hopt.compat
        hopt.compat.install()
        import hopt, hopt.fmin, hopt.pyll.stochastic
        import hyperopt, hyperopt.fmin, hyperopt.pyll.stochastic, hyperopt.base, hyperopt.mongoexp
        from hyperopt import fmin, Trials
        assert hyperopt is hopt and fmin is hopt.fmin and callable(hyperopt.fmin)
        assert hyperopt.pyll.stochastic is hopt.pyll.stochastic
        assert hyperopt.base.Trials is Trials is hopt.Trials
        assert hyperopt.mongoexp.MongoTrials is hopt.MongoTrials
        try:
            import hyperopt.atpe
        except ModuleNotFoundError as exc:
            assert "no hopt counterpart" in str(exc) and "hyperopt.tpe" in str(exc)
        else:
            raise AssertionError("hyperopt.atpe should not import")
        hopt.compat.uninstall()
        import sys
        assert "hyperopt" not in sys.modules and not hopt.compat.installed()
        print("ok")
        """
    )
    done = run_python(code)
    assert done.returncode == 0 and done.stdout.strip() == "ok", done.stderr


def test_install_after_hyperopt_itself_was_imported_says_what_to_do(tmp_path):
    # A stand-in "hyperopt" package on the path plays the installed Hyperopt.
    (tmp_path / "hyperopt").mkdir()
    (tmp_path / "hyperopt" / "__init__.py").write_text("")
    code = textwrap.dedent(
        f"""
        import sys
        sys.path.insert(0, {str(tmp_path)!r})
        import hyperopt
        import hopt.compat
        try:
            hopt.compat.install()
        except Exception as exc:
            print(type(exc).__name__, exc)
        """
    )
    done = run_python(code)
    assert "HoptError" in done.stdout and "before anything imports hyperopt" in done.stdout


HPSKLEARN_RUN = textwrap.dedent(
    """
    import sys
    import hopt.compat
    hopt.compat.install()
    from hpsklearn import HyperoptEstimator, any_preprocessing, k_neighbors_classifier
    from hyperopt import tpe
    from sklearn.datasets import load_breast_cancer
    from sklearn.model_selection import train_test_split

    X, y = load_breast_cancer(return_X_y=True)
    X_train, X_test, y_train, y_test = train_test_split(X, y, test_size=0.3, random_state=0)
    estimator = HyperoptEstimator(
        classifier=k_neighbors_classifier("knn"), preprocessing=any_preprocessing("pre"),
        algo=tpe.suggest, max_evals=6, trial_timeout=120, seed=1, verbose=False,
    )
    estimator.fit(X_train, y_train)
    real = [m for m, mod in sys.modules.items()
            if m.startswith("hyperopt") and "site-packages/hyperopt/" in (getattr(mod, "__file__", "") or "")]
    print(type(estimator.trials).__module__, len(estimator.trials.trials), real)
    print(estimator.score(X_test, y_test))
    print(type(estimator.best_model()["learner"]).__name__)
    """
)


def test_hyperopt_sklearn_runs_an_estimator_search_on_hopt():
    # find_spec, not import: hpsklearn imports hyperopt, which only resolves after install()
    if importlib.util.find_spec("hpsklearn") is None:
        pytest.fail(
            "hyperopt-sklearn is not installed: scripts/test.sh installs it "
            "(pip install --no-deps hyperopt-sklearn==1.1.1)"
        )
    done = run_python(HPSKLEARN_RUN)
    assert done.returncode == 0, done.stderr[-3000:]
    trials_line, score, learner = done.stdout.strip().splitlines()[-3:]
    assert trials_line == "hopt.trials.base 6 []", "trials from hopt, no real Hyperopt module"
    assert float(score) > 0.85
    assert learner == "KNeighborsClassifier"


# The calls Ray Tune's HyperOptSearch makes (ray/tune/search/hyperopt), in its order:
# an ask/tell loop that drives the suggest function and the Trials object by hand.
RAY_STYLE_LOOP = textwrap.dedent(
    """
    import copy
    import hopt.compat
    hopt.compat.install()
    import hyperopt as hpo
    from hyperopt.pyll import Apply
    import numpy as np

    space = {"x": hpo.hp.uniform("x", -5, 5), "kind": hpo.hp.choice("kind", ["a", "b"])}
    assert not isinstance(space, Apply) and isinstance(space["x"], Apply)
    domain = hpo.Domain(lambda spc: spc, space)
    trials = hpo.Trials()
    rstate = np.random.RandomState(0)
    algo = hpo.tpe.suggest
    for step in range(15):
        new_ids = trials.new_trial_ids(1)
        trials.refresh()
        new_trials = algo(new_ids, domain, trials, rstate.randint(2**31 - 1))
        trials.insert_trial_docs(new_trials)
        trials.refresh()
        new_trial = new_trials[0]
        config = hpo.base.spec_from_misc(new_trial["misc"])
        ctrl = hpo.base.Ctrl(trials, current_trial=new_trial)
        memo = domain.memo_from_config(config)
        hpo.utils.use_obj_for_literal_in_memo(domain.expr, ctrl, hpo.base.Ctrl, memo)
        suggested = hpo.pyll.rec_eval(
            domain.expr, memo=memo, print_node_on_error=domain.rec_eval_print_node_on_error
        )
        suggested = copy.deepcopy(suggested)
        (ho_trial,) = [t for t in trials.trials if t["tid"] == new_trial["tid"]]
        ho_trial["refresh_time"] = hpo.utils.coarse_utcnow()
        ho_trial["state"] = hpo.base.JOB_STATE_DONE
        ho_trial["result"] = {"loss": (suggested["x"] - 1) ** 2, "status": hpo.STATUS_OK}
        trials.refresh()
    hpo.base.validate_timeout(10)
    hpo.base.validate_loss_threshold(0.5)
    try:
        hpo.base.validate_timeout(-1)
    except Exception as exc:
        assert "timeout" in str(exc)
    else:
        raise AssertionError("a negative timeout passed")
    print(len(trials.trials), sorted(trials.argmin), round(min(trials.losses()), 3) < 1)
    """
)


def test_a_ray_tune_style_ask_tell_loop_runs_on_hopt():
    done = run_python(RAY_STYLE_LOOP)
    assert done.returncode == 0, done.stderr
    assert done.stdout.split() == ["15", "['kind',", "'x']", "True"]


def test_submodules_are_attributes_after_a_plain_import():
    code = textwrap.dedent(
        """
        import hopt
        print(hopt.pyll.stochastic.sample(hopt.hp.uniform("x", 2, 3), rng=0) >= 2,
              hopt.base.Ctrl is hopt.Ctrl, callable(hopt.utils.coarse_utcnow))
        """
    )
    done = run_python(code)
    assert done.returncode == 0, done.stderr
    assert done.stdout.split() == ["True", "True", "True"]


# Written by Hyperopt 0.3.0 itself: fmin(rand.suggest, max_evals=5) over
# {"x": hp.uniform("x", -5, 5), "k": hp.choice("k", ["a", "b"])} with
# rstate=np.random.default_rng(0), then trials.attachments["note"] = b"hi", pickled.
HYPEROPT_PICKLE = Path(__file__).parent / "data" / "hyperopt-0.3.0-trials.pkl"

RESUME_HYPEROPT_PICKLE = textwrap.dedent(
    """
    import pickle
    import hopt.compat
    hopt.compat.install()
    from hyperopt import fmin, hp, tpe, Trials
    with open(PICKLE, "rb") as f:
        trials = pickle.load(f)
    assert type(trials) is Trials and len(trials) == 5
    space = {"x": hp.uniform("x", -5, 5), "k": hp.choice("k", ["a", "b"])}
    best = fmin(lambda p: (p["x"] - 1) ** 2, space, algo=tpe.suggest, max_evals=12,
                trials=trials, rstate=0, show_progressbar=False)
    print(len(trials), sorted(trials.tids) == list(range(12)), trials.attachments["note"])
    """
)


def test_trials_pickled_by_hyperopt_resume_under_compat():
    done = run_python(f"PICKLE = {str(HYPEROPT_PICKLE)!r}\n" + RESUME_HYPEROPT_PICKLE)
    assert done.returncode == 0, done.stderr
    assert done.stdout.split() == ["12", "True", "b'hi'"]
