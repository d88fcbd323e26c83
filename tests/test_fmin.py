"""fmin: every argument, its stopping rules, and how it records failures."""

import contextlib
import inspect
import math
import os
import time
import warnings

import numpy as np
import pytest

import hopt
import hopt.trials.persistence as persistence
from hopt import (
    JOB_STATE_DONE,
    STATUS_FAIL,
    STATUS_OK,
    Ctrl,
    Trials,
    fmin,
    fmin_pass_expr_memo_ctrl,
    generate_trials_to_calculate,
    hp,
    rand,
    space_eval,
)
from hopt.exceptions import (
    AllTrialsFailed,
    AllTrialsFailedError,
    InvalidAnnotatedParameterError,
    InvalidArgumentError,
)
from hopt.pyll import rec_eval, scope

X_SPACE = hp.uniform("x", -1, 1)


def quadratic(x):
    return (x - 0.3) ** 2


def run(fn=quadratic, space=X_SPACE, **kwargs):
    """fmin with quiet, seeded defaults; returns (result, trials)."""
    kwargs.setdefault("algo", rand.suggest)
    kwargs.setdefault("max_evals", 5)
    kwargs.setdefault("rstate", 0)
    kwargs.setdefault("show_progressbar", False)
    trials = kwargs.setdefault("trials", Trials())
    result = fmin(fn, space, **kwargs)
    return result, trials


def history_aware(new_ids, domain, trials, seed):
    """rand.suggest without its ``ignores_history`` flag, as a model-based algo looks to fmin."""
    return rand.suggest(new_ids, domain, trials, seed)


def vals_of(trials):
    return [t["misc"]["vals"] for t in trials.trials]


def failing_on(calls_to_fail, exc_type=ValueError):
    """An objective that raises ``exc_type("boom")`` on the given (1-based) calls, else x**2."""
    calls = []

    def objective(x):
        calls.append(x)
        if len(calls) in calls_to_fail:
            raise exc_type("boom")
        return x**2

    objective.calls = calls
    return objective


# -- signature and imports ----------------------------------------------------------------


def test_signature_follows_hyperopt_parameter_order():
    assert inspect.getfullargspec(hopt.fmin).args == [
        "fn",
        "space",
        "algo",
        "max_evals",
        "timeout",
        "loss_threshold",
        "trials",
        "rstate",
        "allow_trials_fmin",
        "pass_expr_memo_ctrl",
        "catch_eval_exceptions",
        "verbose",
        "return_argmin",
        "points_to_evaluate",
        "max_queue_len",
        "show_progressbar",
        "early_stop_fn",
        "trials_save_file",
    ]


def test_rstate_is_a_named_argument_as_hyperopt_sklearn_checks():
    assert "rstate" in inspect.getfullargspec(hopt.fmin).args


def test_fmin_module_exports_hyperopt_names():
    from hopt.fmin import fmin as module_fmin
    from hopt.fmin import generate_trials_to_calculate as module_generate
    from hopt.fmin import space_eval as module_space_eval

    assert module_fmin is hopt.fmin
    assert module_generate is generate_trials_to_calculate
    assert module_space_eval is space_eval


def test_positional_call_in_hyperopt_order():
    trials = Trials()
    best = fmin(
        quadratic, X_SPACE, rand.suggest, 4, None, None, trials, 3, True, None, False, False
    )
    assert len(trials) == 4
    assert best == trials.argmin


def test_algo_none_uses_a_default_and_warns(caplog):
    trials = Trials()
    with caplog.at_level("WARNING", logger="hopt"):
        fmin(quadratic, X_SPACE, max_evals=3, trials=trials, rstate=0, show_progressbar=False)
    assert len(trials) == 3
    assert any("tpe" in record.getMessage().lower() for record in caplog.records)


def test_trials_fmin_method_runs_on_those_trials():
    trials = Trials()
    best = trials.fmin(quadratic, X_SPACE, algo=rand.suggest, max_evals=3, rstate=0)
    assert len(trials) == 3
    assert best == trials.argmin


# -- max_evals ------------------------------------------------------------------------------


def test_max_evals_runs_that_many_trials_all_done():
    _, trials = run(max_evals=6)
    assert len(trials) == 6
    assert [t["state"] for t in trials.trials] == [JOB_STATE_DONE] * 6
    assert trials.tids == list(range(6))


def test_max_evals_counts_existing_trials_when_resuming():
    trials = Trials()
    run(max_evals=5, trials=trials)
    run(max_evals=8, trials=trials, rstate=1)
    assert len(trials) == 8
    assert trials.tids == list(range(8))


def test_max_evals_below_existing_count_adds_nothing():
    trials = Trials()
    run(max_evals=5, trials=trials)
    before = vals_of(trials)
    run(max_evals=3, trials=trials, rstate=1)
    assert vals_of(trials) == before


def test_max_evals_zero_on_empty_trials_raises_no_argmin():
    objective = failing_on(set())
    with pytest.raises(AllTrialsFailedError, match="there are no trials"):
        run(fn=objective, max_evals=0)
    assert objective.calls == []


def test_max_evals_zero_with_return_argmin_false_returns_none():
    result, trials = run(max_evals=0, return_argmin=False)
    assert result is None
    assert len(trials) == 0


def test_max_evals_zero_on_existing_trials_returns_their_argmin():
    trials = Trials()
    best, _ = run(max_evals=4, trials=trials)
    again, _ = run(max_evals=0, trials=trials)
    assert again == best
    assert len(trials) == 4


# -- timeout ----------------------------------------------------------------------------------


def sleepy(x):
    time.sleep(0.01)
    return x**2


def test_timeout_returns_soon_after_the_limit():
    start = time.monotonic()
    _, trials = run(fn=sleepy, max_evals=None, timeout=0.15)
    elapsed = time.monotonic() - start
    assert 0.15 <= elapsed < 1.5
    assert 2 <= len(trials) < 100


def test_timeout_never_interrupts_a_running_evaluation():
    def slow(x):
        time.sleep(0.1)
        return x**2

    _, trials = run(fn=slow, max_evals=10, timeout=0.02)
    assert len(trials) == 1
    assert trials.statuses() == [STATUS_OK]


def test_timeout_leaves_no_unevaluated_trials_behind():
    _, trials = run(fn=sleepy, max_evals=1000, timeout=0.1)
    assert len(trials) < 1000
    assert all(t["state"] == JOB_STATE_DONE for t in trials.trials)
    assert trials.count_by_state_unsynced(hopt.JOB_STATE_NEW) == 0


# -- loss_threshold -------------------------------------------------------------------------


def test_loss_threshold_stops_at_first_loss_at_or_below_it():
    _, trials = run(fn=lambda x: x, space=hp.uniform("x", 0, 1), max_evals=200, loss_threshold=0.1)
    losses = trials.losses()
    assert losses[-1] <= 0.1
    assert all(loss > 0.1 for loss in losses[:-1])
    assert len(trials) < 200


def test_loss_threshold_equal_to_loss_stops():
    _, trials = run(fn=lambda x: 1.0, max_evals=20, loss_threshold=1.0)
    assert len(trials) == 1


def test_loss_threshold_counts_existing_trials():
    trials = Trials()
    run(fn=lambda x: 1.0, max_evals=2, trials=trials)
    run(fn=lambda x: 1.0, max_evals=20, trials=trials, loss_threshold=1.0)
    assert len(trials) == 2


# -- early_stop_fn --------------------------------------------------------------------------


def test_early_stop_fn_gets_trials_and_its_own_args_back():
    seen = []

    def stop_after_three(trials, *args):
        seen.append((trials, args))
        count = args[0] + 1 if args else 1
        return count >= 3, [count, "token"]

    trials = Trials()
    run(max_evals=50, trials=trials, early_stop_fn=stop_after_three)
    assert len(trials) == 3
    assert [args for _, args in seen] == [(), (1, "token"), (2, "token")]
    assert all(t is trials for t, _ in seen)


def test_early_stop_fn_sees_every_finished_trial():
    done_counts = []

    def record(trials, *args):
        done_counts.append(trials.count_by_state_synced(JOB_STATE_DONE))
        return False, []

    run(max_evals=4, early_stop_fn=record)
    assert done_counts == [1, 2, 3, 4]


# -- points_to_evaluate ---------------------------------------------------------------------


def test_points_to_evaluate_without_trials_are_evaluated_first():
    seen = []

    def objective(x):
        seen.append(x)
        return x**2

    fmin(
        objective,
        X_SPACE,
        algo=rand.suggest,
        max_evals=5,
        rstate=0,
        show_progressbar=False,
        points_to_evaluate=[{"x": 0.1}, {"x": -0.2}],
    )
    assert seen[:2] == [0.1, -0.2]
    assert len(seen) == 5


def test_points_to_evaluate_with_trials_count_toward_max_evals():
    _, trials = run(max_evals=5, points_to_evaluate=[{"x": 0.1}, {"x": -0.2}])
    assert len(trials) == 5
    assert trials.vals["x"][:2] == [0.1, -0.2]
    assert trials.losses()[:2] == pytest.approx([0.04, 0.25])


def test_points_to_evaluate_choice_given_as_index():
    space = {"c": hp.choice("c", ["a", "b"]), "x": X_SPACE}
    seen = []
    run(
        fn=lambda p: seen.append(p) or 0.0,
        space=space,
        max_evals=1,
        points_to_evaluate=[{"c": 1, "x": 0.5}],
    )
    assert seen == [{"c": "b", "x": 0.5}]


def test_points_to_evaluate_drops_inactive_labels():
    space = hp.choice("c", [{"a": hp.uniform("a", 0, 1)}, {"b": hp.uniform("b", 0, 1)}])
    _, trials = run(
        fn=lambda p: 0.0,
        space=space,
        max_evals=1,
        points_to_evaluate=[{"c": 0, "a": 0.5, "b": 0.7}],
    )
    assert trials.trials[0]["misc"]["vals"] == {"c": [0], "a": [0.5]}


def test_points_to_evaluate_unknown_label_is_named():
    with pytest.raises(InvalidArgumentError, match=r"labels \['y'\] are not in the space"):
        run(points_to_evaluate=[{"x": 0.1, "y": 2}])


def test_points_to_evaluate_mistyped_label_names_the_near_miss():
    with pytest.raises(
        InvalidArgumentError,
        match=r"are not in the space; its labels are \['x'\]\. Did you mean 'x'\?$",
    ):
        run(points_to_evaluate=[{"xx": 0.1}])


def test_points_to_evaluate_missing_active_label_is_named():
    space = hp.choice("c", [{"a": hp.uniform("a", 0, 1)}, {"b": hp.uniform("b", 0, 1)}])
    with pytest.raises(
        InvalidArgumentError, match=r"points_to_evaluate\[0\]: no value for \['b'\]"
    ):
        run(fn=lambda p: 0.0, space=space, points_to_evaluate=[{"c": 1}])


def test_points_to_evaluate_choice_index_out_of_range():
    space = {"c": hp.choice("c", ["a", "b"])}
    with pytest.raises(
        InvalidArgumentError, match=r"'c' takes an option index in \[0, 2\); got c=5"
    ):
        run(fn=lambda p: 0.0, space=space, points_to_evaluate=[{"c": 5}])


def test_points_to_evaluate_randint_takes_a_whole_float_and_says_what_it_takes():
    seen = []
    space = {"r": hp.randint("r", 5), "c": hp.choice("c", ["a", "b"])}
    run(fn=lambda p: seen.append(p) or 0.0, space=space, max_evals=1,
        points_to_evaluate=[{"r": 2.0, "c": 1.0}])  # fmt: skip
    assert seen == [{"r": 2, "c": "b"}] and type(seen[0]["r"]) is int
    with pytest.raises(
        InvalidArgumentError,
        match=r"'r' \(hp\.randint\) takes a whole number in \[0, 5\); got r=2\.5",
    ):
        run(fn=lambda p: 0.0, space=space, points_to_evaluate=[{"r": 2.5, "c": 0}])


def test_points_to_evaluate_outside_a_uniformint_range_names_hp_uniformint():
    space = {"depth": hp.uniformint("depth", 1, 10)}
    with pytest.warns(
        UserWarning, match=r"outside the range of hp\.uniformint\('depth'\), \[1, 10\]"
    ):
        run(fn=lambda p: 0.0, space=space, points_to_evaluate=[{"depth": 30}])


def test_points_to_evaluate_outside_a_range_warns_and_is_evaluated_as_given():
    space = {"x": hp.uniform("x", 0, 1), "lr": hp.loguniform("lr", -3, 0)}
    trials = Trials()
    with pytest.warns(
        UserWarning, match=r"x=5\.0 is outside the range of hp\.uniform\('x'\), \[0, 1\]"
    ):
        fmin(lambda p: p["x"], space, algo=rand.suggest, max_evals=3, trials=trials,
             points_to_evaluate=[{"x": 5.0, "lr": 0.5}], rstate=0, show_progressbar=False)  # fmt: skip
    assert trials.vals["x"][0] == 5.0
    with warnings.catch_warnings():
        warnings.simplefilter("error")  # a point inside every range: no warning
        fmin(lambda p: p["x"], space, algo=rand.suggest, max_evals=1, show_progressbar=False,
             points_to_evaluate=[{"x": 1.0, "lr": 1.0}], rstate=0)  # fmt: skip


def test_points_to_evaluate_choice_given_as_option_value_says_use_index():
    space = {"c": hp.choice("c", ["a", "b"])}
    with pytest.raises(InvalidArgumentError, match="Give hp.choice values as indices"):
        run(fn=lambda p: 0.0, space=space, points_to_evaluate=[{"c": "b"}])


def test_points_to_evaluate_must_be_a_list_of_dicts():
    with pytest.raises(InvalidArgumentError, match="points_to_evaluate must be a list"):
        run(points_to_evaluate={"x": 0.1})
    with pytest.raises(InvalidArgumentError, match=r"points_to_evaluate\[0\] must be a dict"):
        run(points_to_evaluate=[0.1])


def test_bad_point_inserts_nothing():
    trials = Trials()
    with pytest.raises(InvalidArgumentError):
        run(trials=trials, points_to_evaluate=[{"x": 0.1}, {"y": 1}])
    assert trials.count_by_state_unsynced(hopt.JOB_STATE_NEW) == 0


# -- trials_save_file ---------------------------------------------------------------------


def test_trials_save_file_holds_every_trial_at_the_end(tmp_path):
    path = str(tmp_path / "trials.pkl")
    _, trials = run(max_evals=5, trials_save_file=path)
    saved = persistence.load(path)
    assert vals_of(saved) == vals_of(trials)


def test_trials_save_file_resumes_when_trials_is_none(tmp_path):
    path = str(tmp_path / "trials.pkl")
    fmin(
        quadratic, X_SPACE, rand.suggest, 4, rstate=0, show_progressbar=False, trials_save_file=path
    )
    first = vals_of(persistence.load(path))
    objective = failing_on(set())
    fmin(
        objective, X_SPACE, rand.suggest, 6, rstate=1, show_progressbar=False, trials_save_file=path
    )
    resumed = persistence.load(path)
    assert len(resumed) == 6
    assert vals_of(resumed)[:4] == first
    assert len(objective.calls) == 2


def test_trials_save_file_survives_a_crash_mid_write(tmp_path, monkeypatch):
    path = tmp_path / "trials.pkl"
    fmin(
        quadratic,
        X_SPACE,
        rand.suggest,
        3,
        rstate=0,
        show_progressbar=False,
        trials_save_file=str(path),
    )
    good = vals_of(persistence.load(str(path)))

    def crashing_dump(obj, file, *args, **kwargs):
        file.write(b"\x80\x05partial")
        raise OSError("disk full")

    monkeypatch.setattr(persistence.cloudpickle, "dump", crashing_dump)
    with pytest.raises(OSError, match="disk full"):
        fmin(
            quadratic,
            X_SPACE,
            rand.suggest,
            6,
            rstate=1,
            show_progressbar=False,
            trials_save_file=str(path),
        )
    monkeypatch.undo()
    assert vals_of(persistence.load(str(path))) == good
    assert os.listdir(tmp_path) == ["trials.pkl"]


def test_trials_save_file_accepts_a_path_object(tmp_path):
    path = tmp_path / "trials.pkl"
    run(max_evals=2, trials_save_file=path)
    assert len(persistence.load(str(path))) == 2


def test_trials_save_file_written_before_reraising_objective_error(tmp_path):
    path = str(tmp_path / "trials.pkl")
    with pytest.raises(ValueError, match="boom"):
        run(fn=failing_on({3}), max_evals=5, trials_save_file=path)
    saved = persistence.load(path)
    assert len(saved) == 3
    assert saved.statuses() == [STATUS_OK, STATUS_OK, STATUS_FAIL]


# -- rstate -----------------------------------------------------------------------------------


@pytest.mark.parametrize(
    "make_rstate",
    [
        lambda: 7,
        lambda: np.random.default_rng(7),
        lambda: np.random.RandomState(7),
        lambda: np.random.PCG64(7),
        lambda: None,
    ],
    ids=["int", "Generator", "RandomState", "BitGenerator", "None"],
)
def test_rstate_forms_accepted(make_rstate):
    _, trials = run(max_evals=3, rstate=make_rstate())
    assert len(trials) == 3


@pytest.mark.parametrize(
    "make_rstate",
    [lambda: 7, lambda: np.random.default_rng(7), lambda: np.random.RandomState(7)],
    ids=["int", "Generator", "RandomState"],
)
def test_same_seed_gives_identical_trials(make_rstate):
    _, first = run(max_evals=6, rstate=make_rstate())
    _, second = run(max_evals=6, rstate=make_rstate())
    assert vals_of(first) == vals_of(second)


def test_int_seed_matches_generator_of_that_seed():
    _, from_int = run(max_evals=4, rstate=11)
    _, from_generator = run(max_evals=4, rstate=np.random.default_rng(11))
    assert vals_of(from_int) == vals_of(from_generator)


def test_different_seeds_give_different_trials():
    _, first = run(max_evals=4, rstate=1)
    _, second = run(max_evals=4, rstate=2)
    assert vals_of(first) != vals_of(second)


def test_rstate_none_uses_hopt_fmin_seed_env(monkeypatch):
    monkeypatch.setenv("HOPT_FMIN_SEED", "5")
    _, first = run(max_evals=4, rstate=None)
    _, second = run(max_evals=4, rstate=None)
    assert vals_of(first) == vals_of(second)


def test_rstate_none_honours_hyperopt_fmin_seed_env(monkeypatch):
    monkeypatch.delenv("HOPT_FMIN_SEED", raising=False)
    monkeypatch.setenv("HYPEROPT_FMIN_SEED", "6")
    _, first = run(max_evals=4, rstate=None)
    _, second = run(max_evals=4, rstate=None)
    assert vals_of(first) == vals_of(second)


# -- catch_eval_exceptions and bad objective results ---------------------------------------


def test_exception_is_recorded_then_reraised_by_default():
    trials = Trials()
    with pytest.raises(ValueError, match="boom"):
        run(fn=failing_on({2}), trials=trials)
    assert len(trials) == 2
    failed = trials.trials[1]
    assert failed["state"] == JOB_STATE_DONE
    assert failed["result"]["status"] == STATUS_FAIL
    assert failed["result"]["error"]["type"] == "ValueError"
    assert failed["result"]["error"]["message"] == "boom"
    assert "Traceback" in failed["result"]["error"]["traceback"]
    assert failed["misc"]["error"] == ("ValueError", "boom")


def test_catch_eval_exceptions_continues_and_counts_failures():
    trials = Trials()
    run(fn=failing_on({2, 4}), trials=trials, max_evals=5, catch_eval_exceptions=True)
    assert len(trials) == 5
    assert trials.statuses() == ["ok", "fail", "ok", "fail", "ok"]
    assert trials.losses()[1] is None


def test_every_trial_failing_raises_all_trials_failed_with_first_error():
    with pytest.raises(AllTrialsFailed, match=r"all 3 trials failed.*ValueError: boom"):
        run(fn=failing_on({1, 2, 3}), max_evals=3, catch_eval_exceptions=True)


def test_all_trials_failed_is_a_runtime_error_and_hyperopt_alias():
    assert AllTrialsFailed is AllTrialsFailedError
    assert issubclass(AllTrialsFailedError, RuntimeError)
    assert issubclass(AllTrialsFailedError, hopt.exceptions.HoptError)


def first_returns(bad):
    calls = []

    def objective(x):
        calls.append(x)
        return bad if len(calls) == 1 else 1.0

    return objective


@pytest.mark.parametrize(
    "bad",
    [float("nan"), float("inf"), {"loss": float("nan"), "status": "ok"}],
    ids=["nan", "inf", "nan-in-dict"],
)
def test_a_bad_loss_of_one_configuration_becomes_a_failed_trial_and_the_search_goes_on(bad):
    _, trials = run(fn=first_returns(bad), max_evals=2)
    failed = trials.trials[0]
    assert failed["state"] == JOB_STATE_DONE
    assert failed["result"]["status"] == STATUS_FAIL
    assert failed["result"]["error"]["type"] == "InvalidLossError"
    assert trials.results[1] == {"loss": 1.0, "status": STATUS_OK}


def test_status_fail_without_loss_is_accepted():
    _, trials = run(fn=first_returns({"status": "fail", "why": "diverged"}), max_evals=2)
    assert trials.results[0] == {"status": "fail", "why": "diverged"}


def test_dict_with_loss_and_no_status_counts_as_ok():
    _, trials = run(fn=lambda x: {"loss": 2.0}, max_evals=1)
    assert trials.results[0] == {"loss": 2.0, "status": STATUS_OK}


def test_single_element_array_is_a_loss():
    _, trials = run(fn=lambda x: np.array([0.5]), max_evals=1)
    assert trials.results[0] == {"loss": 0.5, "status": STATUS_OK}


def test_numpy_loss_stored_as_python_float():
    _, trials = run(fn=lambda x: np.float32(0.5), max_evals=1)
    assert type(trials.results[0]["loss"]) is float


# -- return_argmin ----------------------------------------------------------------------------

CHOICE_SPACE = {"c": hp.choice("c", ["a", "b"]), "x": hp.uniform("x", -1, 1)}


def choice_loss(p):
    return p["x"] ** 2 + (0.0 if p["c"] == "b" else 1.0)


def test_return_argmin_true_gives_raw_values_with_choice_index():
    best, trials = run(fn=choice_loss, space=CHOICE_SPACE, max_evals=8)
    assert best == trials.argmin
    assert best["c"] in (0, 1)
    assert type(best["c"]) is int


def test_return_argmin_false_gives_space_eval_of_best():
    best, trials = run(fn=choice_loss, space=CHOICE_SPACE, max_evals=8, return_argmin=False)
    assert best == space_eval(CHOICE_SPACE, trials.argmin)
    assert best["c"] in ("a", "b")


# -- show_progressbar and verbose -------------------------------------------------------------


def test_show_progressbar_false_prints_nothing(capsys):
    run(show_progressbar=False)
    out, err = capsys.readouterr()
    assert out == "" and err == ""


def test_show_progressbar_true_draws_a_tqdm_bar(capsys):
    run(max_evals=3, show_progressbar=True)
    err = capsys.readouterr().err
    assert "3/3" in err
    assert "trial" in err


def test_verbose_false_silences_the_progressbar(capsys):
    run(max_evals=3, show_progressbar=True, verbose=False)
    out, err = capsys.readouterr()
    assert out == "" and err == ""


class RecordingBar:
    def __init__(self, initial, total):
        self.initial, self.total, self.updates, self.postfix = initial, total, [], None

    def update(self, n=1):
        self.updates.append(n)

    def set_postfix_str(self, text, refresh=True):
        self.postfix = text


def recording_progress():
    bars = []

    @contextlib.contextmanager
    def factory(initial, total):
        bar = RecordingBar(initial, total)
        bars.append(bar)
        yield bar

    return factory, bars


def test_show_progressbar_callable_gets_initial_total_and_updates():
    factory, bars = recording_progress()
    trials = Trials()
    run(max_evals=2, trials=trials)
    run(max_evals=5, trials=trials, show_progressbar=factory)
    (bar,) = bars
    assert (bar.initial, bar.total) == (2, 5)
    assert sum(bar.updates) == 3
    assert bar.postfix.startswith("best loss: ")


def test_show_progressbar_callable_hyperopt_protocol_update_and_postfix():
    class HyperoptStyleBar:
        postfix = None

        def __init__(self):
            self.n = 0

        def update(self, n):
            self.n += n

    bars = []

    @contextlib.contextmanager
    def factory(initial, total):
        bars.append(HyperoptStyleBar())
        yield bars[-1]

    run(max_evals=3, show_progressbar=factory)
    assert bars[0].n == 3
    assert "best loss" in str(bars[0].postfix)


def test_a_progress_callable_gets_keywords_and_sees_the_newest_best_loss_on_update():
    # Hyperopt's protocol: progress(initial=..., total=...), postfix set before update()
    seen = []

    class Bar:
        postfix = None

        def update(self, n):
            seen.append(self.postfix)

    @contextlib.contextmanager
    def progress(total, initial):  # keyword order differs from fmin's
        seen.append(("open", initial, total))
        yield Bar()

    losses = iter([3.0, 2.0, 1.0])
    run(fn=lambda x: next(losses), max_evals=3, show_progressbar=progress)
    assert seen == [("open", 0, 3), "best loss: 3", "best loss: 2", "best loss: 1"]


# -- max_queue_len ------------------------------------------------------------------------------


def test_max_queue_len_asks_algo_for_up_to_that_many_trials():
    sizes = []

    def algo(new_ids, domain, trials, seed):
        sizes.append(len(new_ids))
        return history_aware(new_ids, domain, trials, seed)

    _, trials = run(algo=algo, max_evals=7, max_queue_len=3)
    assert len(trials) == 7
    assert max(sizes) == 3
    assert sum(sizes) == 7


def test_max_queue_len_evaluates_every_queued_trial():
    _, trials = run(algo=history_aware, max_evals=7, max_queue_len=3)
    assert [t["state"] for t in trials.trials] == [JOB_STATE_DONE] * 7
    assert all(loss is not None for loss in trials.losses())


def test_algo_returning_no_trials_stops_the_loop():
    calls = []

    def exhausted(new_ids, domain, trials, seed):
        calls.append(new_ids)
        return []

    _, trials = run(algo=exhausted, max_evals=5, points_to_evaluate=[{"x": 0.0}])
    assert len(trials) == 1
    assert len(calls) == 1


# -- space='annotated', pass_expr_memo_ctrl -------------------------------------------------------


def test_space_annotated_calls_fn_with_keywords():
    seen = []

    def objective(x: hp.uniform("x", 0, 1), c: hp.choice("c", ["a", "b"])):
        seen.append((x, c))
        return x

    best = fmin(
        objective, "annotated", algo=rand.suggest, max_evals=3, rstate=0, show_progressbar=False
    )
    assert set(best) == {"x", "c"}
    assert len(seen) == 3
    assert all(0 <= x <= 1 and c in ("a", "b") for x, c in seen)


def test_space_annotated_rejects_non_hp_annotation():
    def objective(x: hp.uniform("x", 0, 1), y: int):
        return x

    with pytest.raises(InvalidAnnotatedParameterError, match="parameter 'y' is annotated with"):
        fmin(objective, "annotated", algo=rand.suggest, max_evals=1, show_progressbar=False)


def test_pass_expr_memo_ctrl_gives_expr_memo_and_ctrl():
    seen = []

    def objective(expr, memo, ctrl):
        point = rec_eval(expr, memo=memo)
        seen.append((point, ctrl))
        return point**2

    _, trials = run(fn=objective, max_evals=2, pass_expr_memo_ctrl=True)
    assert [point for point, _ in seen] == trials.vals["x"]
    assert all(isinstance(ctrl, Ctrl) and ctrl.trials is trials for _, ctrl in seen)


def test_fmin_pass_expr_memo_ctrl_decorator():
    @fmin_pass_expr_memo_ctrl
    def objective(expr, memo, ctrl):
        return ctrl.current_trial["tid"] + 0.5

    _, trials = run(fn=objective, max_evals=2)
    assert trials.losses() == [0.5, 1.5]


# -- results: extra keys, attachments, integer argmin -----------------------------------------


def test_extra_result_keys_are_kept():
    _, trials = run(
        fn=lambda x: {"loss": x**2, "status": "ok", "acc": 0.9, "tags": ["a"]}, max_evals=1
    )
    assert trials.results[0]["acc"] == 0.9
    assert trials.results[0]["tags"] == ["a"]


def test_returned_attachments_are_stored_per_trial():
    _, trials = run(
        fn=lambda x: {"loss": 1.0, "status": "ok", "attachments": {"blob": b"abc"}}, max_evals=2
    )
    assert trials.attachments["ATTACH::0::blob"] == b"abc"
    assert trials.trial_attachments(trials.trials[1])["blob"] == b"abc"
    assert "attachments" not in trials.results[0]


@pytest.mark.parametrize(
    "param",
    [
        hp.uniformint("v", 1, 12),
        hp.quniform("v", 0, 10, 1),
        hp.randint("v", 5),
        hp.randint("v", 2, 9),
        scope.int(hp.quniform("v", 0, 10, 2)),
        scope.int(hp.uniform("v", 0, 10)),
        hp.choice("v", ["a", "b", "c"]),
    ],
    ids=[
        "uniformint",
        "quniform-q1",
        "randint-upper",
        "randint-low-high",
        "scope-int-q2",
        "scope-int-uniform",
        "choice",
    ],
)
def test_argmin_holds_python_ints_for_integer_params(param):
    best, trials = run(fn=lambda v: 0.0, space={"v": param}, max_evals=3)
    assert type(best["v"]) is int
    assert all(type(v) is int for v in trials.vals["v"])


# -- argument validation -----------------------------------------------------------------------


def test_a_whole_float_max_evals_is_taken_as_an_int():
    best, trials = run(fn=lambda v: 0.0, space={"v": hp.uniform("v", 0, 1)}, max_evals=3.0)
    assert len(trials) == 3


@pytest.mark.parametrize(
    "kwargs, message",
    [
        (
            {"max_evals": -1},
            "fmin: max_evals must be None or an int >= 0; got max_evals=-1.",
        ),
        ({"max_evals": True}, "max_evals must be None or an int >= 0; got max_evals=True."),
        ({"max_evals": 2.5}, "max_evals must be None or an int >= 0; got max_evals=2.5."),
        (
            {"timeout": 0},
            "fmin: timeout must be None or a positive number of seconds; got timeout=0.",
        ),
        ({"timeout": -1}, "timeout must be None or a positive number of seconds; got timeout=-1."),
        (
            {"timeout": float("nan")},
            "timeout must be None or a positive number of seconds; got timeout=nan.",
        ),
        (
            {"timeout": True},
            "timeout must be None or a positive number of seconds; got timeout=True.",
        ),
        (
            {"timeout": "10"},
            "timeout must be None or a positive number of seconds; got timeout='10'.",
        ),
        (
            {"loss_threshold": "0.1"},
            "fmin: loss_threshold must be None or a number; got loss_threshold='0.1'.",
        ),
        (
            {"loss_threshold": float("nan")},
            "loss_threshold must be None or a number; got loss_threshold=nan.",
        ),
        (
            {"loss_threshold": True},
            "loss_threshold must be None or a number; got loss_threshold=True.",
        ),
        ({"max_queue_len": 0}, "fmin: max_queue_len must be an int >= 1; got max_queue_len=0."),
        ({"max_queue_len": 1.5}, "max_queue_len must be an int >= 1; got max_queue_len=1.5."),
        (
            {"early_stop_fn": 5},
            "fmin: early_stop_fn must be callable or None; got early_stop_fn=5.",
        ),
        ({"fn": 5}, "fmin: fn must be callable; got fn=5."),
        (
            {"algo": "tpe"},
            "fmin: algo must be a suggest function such as tpe.suggest; got algo='tpe'.",
        ),
        (
            {"rstate": "42"},
            "fmin: rstate must be None, an int seed, a numpy Generator or a RandomState; got rstate='42'.",
        ),
        ({"rstate": -1}, "fmin: rstate must be a non-negative int; got rstate=-1."),
        ({"show_progressbar": "yes"}, "fmin: show_progressbar must be True, False or a callable"),
    ],
    ids=lambda v: repr(v) if isinstance(v, dict) else "",
)
def test_bad_argument_is_rejected_with_message(kwargs, message):
    calls = []
    kwargs = dict(kwargs)
    fn = kwargs.pop("fn", lambda x: calls.append(x) or 0.0)
    arguments = {"algo": rand.suggest, "max_evals": 3, "rstate": 0, "show_progressbar": False}
    arguments.update(kwargs)
    trials = Trials()
    with pytest.raises(InvalidArgumentError) as info:
        fmin(fn, X_SPACE, trials=trials, **arguments)
    assert message in str(info.value)
    assert isinstance(info.value, ValueError)
    assert calls == []
    assert len(trials) == 0


def test_max_evals_none_with_timeout_is_allowed():
    _, trials = run(fn=sleepy, max_evals=None, timeout=0.05)
    assert len(trials) >= 1


def test_numpy_integer_max_evals_is_accepted():
    _, trials = run(max_evals=np.int64(3))
    assert len(trials) == 3


def test_loss_threshold_is_numeric_even_if_int():
    _, trials = run(fn=lambda x: 0, max_evals=10, loss_threshold=0)
    assert len(trials) == 1
    assert math.isclose(trials.best_trial["result"]["loss"], 0.0)


def test_space_without_hyperparameters_runs():
    best, trials = run(fn=lambda p: p["a"], space={"a": 1.0}, max_evals=3)
    assert best == {}
    assert trials.losses() == [1.0, 1.0, 1.0]


def test_keyboard_interrupt_propagates_even_when_catching():
    trials = Trials()
    with pytest.raises(KeyboardInterrupt):
        run(fn=failing_on({2}, KeyboardInterrupt), trials=trials, catch_eval_exceptions=True)
    # the interrupted trial is cancelled (not in trials), its point queued again
    assert trials.statuses() == [STATUS_OK, "new"]


def test_generated_points_count_toward_max_evals():
    trials = generate_trials_to_calculate([{"x": 0.5}, {"x": -0.5}])
    run(max_evals=5, trials=trials)
    assert len(trials) == 5
    assert trials.vals["x"][:2] == [0.5, -0.5]


def test_resume_from_save_file_does_not_reevaluate_points(tmp_path):
    path = str(tmp_path / "trials.pkl")
    points = [{"x": 0.1}, {"x": 0.2}]
    common = {"show_progressbar": False, "trials_save_file": path, "points_to_evaluate": points}
    fmin(quadratic, X_SPACE, rand.suggest, 3, rstate=0, **common)
    fmin(quadratic, X_SPACE, rand.suggest, 6, rstate=1, **common)
    xs = persistence.load(path).vals["x"]
    assert len(xs) == 6
    assert xs.count(0.1) == 1 and xs.count(0.2) == 1


def test_generated_point_missing_a_label_names_it():
    trials = generate_trials_to_calculate([{"y": 1.0}])
    with pytest.raises(InvalidArgumentError, match=r"no value for \['x'\], which its choices"):
        run(trials=trials, max_evals=1)


def test_fmin_iter_can_be_driven_directly():
    trials = Trials()
    domain = hopt.Domain(quadratic, X_SPACE)
    runner = hopt.FMinIter(
        rand.suggest,
        domain,
        trials,
        rstate=np.random.default_rng(0),
        max_evals=4,
        show_progressbar=False,
    )
    runner.exhaust()
    assert len(trials) == 4
    assert all(loss is not None for loss in trials.losses())


def test_batched_random_search_never_shows_more_than_max_queue_len_queued_trials():
    seen = []

    def stop_fn(trials, *args):
        seen.append(sum(1 for t in trials.trials if t["state"] == 0))
        last = trials.trials[-1]["result"]  # Hyperopt-style rules read the last trial
        assert "loss" in last
        return False, []

    hopt.fmin(lambda x: x, hopt.hp.uniform("x", 0, 1), algo=hopt.rand.suggest, max_evals=30,
              rstate=0, early_stop_fn=stop_fn, show_progressbar=False)  # fmt: skip
    assert len(seen) == 30 and max(seen) == 0


def test_resuming_with_the_same_int_seed_draws_new_points():
    trials = hopt.Trials()
    space = hopt.hp.uniform("x", 0, 1)
    hopt.fmin(lambda x: x, space, algo=hopt.rand.suggest, max_evals=5, trials=trials, rstate=7,
              show_progressbar=False)  # fmt: skip
    hopt.fmin(lambda x: x, space, algo=hopt.rand.suggest, max_evals=10, trials=trials, rstate=7,
              show_progressbar=False)  # fmt: skip
    xs = [t["misc"]["vals"]["x"][0] for t in trials.trials]
    assert len(xs) == 10 and len(set(xs)) == 10


def test_negative_seed_on_resume_gets_the_clear_rstate_error():
    trials = hopt.Trials()
    space = hopt.hp.uniform("x", 0, 1)
    hopt.fmin(lambda x: x, space, algo=hopt.rand.suggest, max_evals=2, trials=trials, rstate=1,
              show_progressbar=False)  # fmt: skip
    with pytest.raises(hopt.exceptions.InvalidArgumentError, match="rstate must be a non-negative"):
        hopt.fmin(lambda x: x, space, algo=hopt.rand.suggest, max_evals=4, trials=trials,
                  rstate=-3, show_progressbar=False)  # fmt: skip


# -- results an objective may return (found by a bug hunt) -----------------------------------
@pytest.mark.parametrize(
    "result, status",
    [
        ({"loss": 0.5, "status": "ok", "error": 0.12}, "ok"),  # an error *rate*
        ({"status": "fail", "error": "boom"}, "fail"),  # an error as plain text
        ({"loss": 0.5, "status": "ok", "extra": np.array(3.0)}, "ok"),  # a 0-d array
        ({"loss": np.array(0.5), "status": "fail"}, "fail"),
    ],
)
def test_results_the_objective_shapes_its_own_way_are_stored(result, status):
    trials = Trials()
    all_failed = pytest.raises(AllTrialsFailedError)  # fmin then has no best point
    with all_failed if status == "fail" else contextlib.nullcontext():
        run(fn=lambda x: dict(result), max_evals=3, trials=trials)
    assert trials.statuses() == [status] * 3
    assert all(t["state"] == JOB_STATE_DONE for t in trials.trials)
    assert all("error" not in t["misc"] for t in trials.trials)  # not hopt's own record
    stored = trials.trials[0]["result"]
    if "extra" in result:
        assert stored["extra"] == 3.0 and type(stored["extra"]) is float
    if "error" in result:
        assert stored["error"] == result["error"]


def test_serial_run_without_blocking_still_evaluates_what_it_drew():
    trials = Trials()
    runner = hopt.FMinIter(rand.suggest, hopt.Domain(quadratic, X_SPACE), trials,
                           rstate=np.random.default_rng(0), show_progressbar=False)  # fmt: skip
    runner.run(6, block_until_done=False)  # random search draws all 6 in one call
    assert len(trials) == 6 and all(t["state"] == JOB_STATE_DONE for t in trials.trials)


def test_new_points_to_evaluate_are_evaluated_when_resuming_from_a_file(tmp_path):
    path = str(tmp_path / "run.pkl")
    common = dict(trials_save_file=path, show_progressbar=False, rstate=0)
    fmin(quadratic, X_SPACE, rand.suggest, 3, points_to_evaluate=[{"x": 0.1}], **common)
    fmin(quadratic, X_SPACE, rand.suggest, 6,
         points_to_evaluate=[{"x": 0.1}, {"x": 0.123}], **common)  # fmt: skip
    xs = persistence.load(path).vals["x"]
    assert len(xs) == 6 and xs.count(0.1) == 1 and xs.count(0.123) == 1


def test_fmin_iter_steps_one_trial_at_a_time_as_in_hyperopt():
    trials = Trials()
    runner = hopt.FMinIter(rand.suggest, hopt.Domain(quadratic, X_SPACE), trials, rstate=0,
                           max_evals=3, show_progressbar=False)  # fmt: skip
    sizes = [len(step) for step in runner]
    assert sizes == [1, 2, 3] and isinstance(runner.rstate, np.random.Generator)
    assert next(iter(runner), None) is None


def test_the_progress_front_skips_results_with_another_number_of_losses():
    # a queue worker that had not seen the first result may store another count
    from hopt.testing.storage import new_docs

    trials = Trials()
    results = [{"loss": loss, "status": "ok"} for loss in ([1.0, 2.0], [0.0, 0.0, 0.0], 0.5)]
    trials.insert_trial_docs(new_docs(trials, [0.1, 0.2, 0.3], JOB_STATE_DONE, results))
    trials.refresh()
    runner = hopt.FMinIter(hopt.tpe.suggest, hopt.Domain(quadratic, X_SPACE), trials, rstate=0,
                           show_progressbar=False)  # fmt: skip
    runner.update_best_from_trials()
    assert runner.front.points == [(1.0, 2.0)] and runner.best_loss == math.inf
