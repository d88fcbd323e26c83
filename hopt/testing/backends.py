"""``BackendConformance``: the contract every Trials backend keeps, as pytest tests.

Subclass it in a test module and provide a ``make_trials`` fixture: a callable
``make_trials(exp_key) -> Trials`` giving a fresh, empty trials object of the
backend with whatever evaluates its trials already running (workers, a Spark
session).  A backend whose trials live in a store other processes open (a file,
a database) also overrides ``open_reader(exp_key, trials)`` to open a second
Trials object on that store.  The same tests then run on in-memory ``Trials``,
``FileTrials``, ``MongoTrials`` and ``SparkTrials`` (tests/trials, tests/file,
tests/mongo, tests/spark), so a new backend proves itself against exactly what
fmin users rely on; several objectives and constraints included
(``hopt.testing.several_objectives``).

The objectives live in this installed module, so remote workers can import them.
"""

from __future__ import annotations

import re
import threading
import time
from typing import Any

import numpy as np
import pytest

from .. import hp, rand, tpe
from .._types import (
    JOB_STATE_DONE,
    JOB_STATE_RUNNING,
    STATUS_FAIL,
    STATUS_OK,
    STATUS_PRUNED,
    RecordedError,
    TrialDoc,
    TrialMisc,
)
from ..exceptions import AllTrialsFailedError, InvalidLossError
from ..fmin import fmin
from .reporting import AboveOthersBest, reports_then_waits_to_be_stopped, reports_until_pruned
from .several_objectives import SeveralObjectivesConformance, run_search

SPACE = hp.uniform("x", -10, 10)


def shifted_square(x: float) -> float:
    """``(x - 3)**2``: its minimum, 0, is at x = 3."""
    return (x - 3.0) ** 2


def fails_below_zero(x: float) -> float:
    """``x``, or a ``ValueError`` when x < 0."""
    if x < 0:
        raise ValueError(f"x={x} is below zero")
    return x


def with_extras(x: float) -> dict:
    """A result with a key of its own (``note``) and an attachment (``blob``)."""
    return {
        "loss": abs(x),
        "status": STATUS_OK,
        "note": f"x is {x:.4f}",
        "attachments": {"blob": f"{x:.4f}".encode()},
    }


def with_its_own_error_field(x: float) -> dict:
    """Results that use "error" for the objective's own purposes, and a 0-d array."""
    if x < 0:
        return {"status": STATUS_FAIL, "error": "x is negative"}
    return {"loss": x, "status": STATUS_OK, "error": 0.12, "scale": np.array(2.0)}


def returns_nothing_below_zero(x: float) -> float | None:
    """``x``, or ``None`` when x < 0 (a missing ``return``: a bug in the script)."""
    if x < 0:
        return None
    return x


def sleeps_half_a_second(x: float) -> float:
    """``x**2`` after half a second (for timeouts)."""
    time.sleep(0.5)
    return x**2


def reports_three_epochs(x: float) -> float:
    """Reports ``abs(x) + 2 - epoch`` at epochs 0, 1, 2 with ``hopt.report``; returns ``abs(x)``."""
    from ..running import report, should_stop

    for epoch in range(3):
        report(abs(x) + 2 - epoch, step=epoch)
        if should_stop():  # nobody asks here: the flag must stay down
            return -1.0
    return abs(x)


def _run(make_trials: Any, exp_key: str, fn: Any, max_evals: int, **kwargs: Any):
    return run_search(make_trials, exp_key, fn, max_evals, SPACE, **kwargs)


class BackendConformance(SeveralObjectivesConformance):
    """Mixin of pytest tests; the subclass provides the ``make_trials`` fixture.

    It includes ``SeveralObjectivesConformance`` (several losses and constraints).

    Example:
        ```python
        class TestMyBackend(BackendConformance):
            @pytest.fixture
            def make_trials(self, my_cluster):
                return lambda exp_key: MyTrials(my_cluster, exp_key=exp_key)
        ```
    """

    #: how long fmin may take to return after its timeout (seconds)
    stop_grace = 8.0

    @pytest.fixture
    def open_reader(self):
        """``open_reader(exp_key, trials)``: another reader of the store ``trials``
        writes to.  By default ``trials`` itself, read from another thread: an
        in-process backend keeps the documents in fmin's process."""
        return lambda exp_key, trials: trials

    def test_fmin_finds_the_minimum_and_the_trials_answer_like_trials(self, make_trials):
        trials, best = _run(make_trials, "conf-basic", shifted_square, 20, algo=tpe.suggest)
        assert len(trials) == 20
        assert len(set(trials.tids)) == 20, "trial ids are unique"
        assert all(t["state"] == JOB_STATE_DONE for t in trials.trials)
        assert trials.statuses() == [STATUS_OK] * 20
        assert trials.argmin == best
        assert trials.best_trial["result"]["loss"] == min(trials.losses())
        assert abs(best["x"] - 3.0) < 2.0
        assert trials.vals["x"] == [t["misc"]["vals"]["x"][0] for t in trials.trials]

    def test_a_failing_objective_becomes_a_failed_trial_and_the_search_goes_on(self, make_trials):
        trials, best = _run(
            make_trials, "conf-fail", fails_below_zero, 16, catch_eval_exceptions=True
        )
        failed = [t for t in trials.trials if t["result"]["status"] == STATUS_FAIL]
        assert 0 < len(failed) < 16 and len(trials) == 16
        error = failed[0]["result"]["error"]
        assert error["type"] == "ValueError" and "below zero" in error["message"]
        assert "fails_below_zero" in error.get("traceback", "")
        assert best["x"] >= 0

    def test_every_trial_failing_gives_all_trials_failed(self, make_trials):
        try:
            _run(make_trials, "conf-allfail", fails_below_zero, 3, catch_eval_exceptions=True,
                 points_to_evaluate=[{"x": -1.0}, {"x": -2.0}, {"x": -3.0}])  # fmt: skip
        except AllTrialsFailedError as exc:
            assert "below zero" in str(exc)
        else:
            raise AssertionError("fmin should raise AllTrialsFailedError")

    def test_a_result_that_can_never_be_a_loss_stops_fmin_at_the_first_one_seen(self, make_trials):
        # a worker cannot stop fmin: fmin stops when it reads the result; trials that
        # were running then may finish, queued ones are cancelled
        trials = make_trials("conf-script-bug")
        with pytest.raises(InvalidLossError) as raised:
            fmin(returns_nothing_below_zero, SPACE, algo=rand.suggest, max_evals=40,
                 trials=trials, rstate=0, show_progressbar=False, catch_eval_exceptions=True,
                 points_to_evaluate=[{"x": 1.0}, {"x": -1.0}])  # fmt: skip
        message = str(raised.value)
        match = re.match(r"fmin stopped at trial (\d+): the objective returned None \(does it "
                         r"end without a return statement\?\); return a number", message)  # fmt: skip
        assert match, message
        trials.refresh()
        done = {t["tid"]: t for t in trials.trials if t["state"] == JOB_STATE_DONE}
        assert len(done) < 40, "fmin stopped long before max_evals"
        bug = done[int(match.group(1))]  # recorded, nothing lost
        assert bug["misc"]["vals"]["x"][0] < 0
        assert bug["result"]["error"]["type"] == "InvalidLossError"
        assert bug["result"]["error"]["fatal"] is True

    def test_failed_trials_are_logged_while_the_run_goes_on(self, make_trials, caplog):
        with caplog.at_level("WARNING", logger="hopt"):
            trials, _ = _run(make_trials, "conf-fail-log", fails_below_zero, 6,
                             catch_eval_exceptions=True,
                             points_to_evaluate=[{"x": -1.0}, {"x": 1.0}])  # fmt: skip
        lines = [r.getMessage() for r in caplog.records if r.name == "hopt"]
        trials.refresh()
        failed = {t["tid"]: t for t in trials.trials if t["result"].get("status") == "fail"}
        assert failed, "the point x=-1.0 fails"
        # the first failure is logged at once, whichever trial it was (workers finish in
        # any order), naming the trial and its error
        first = re.match(r"trial (\d+) failed: ValueError: x=\S+ is below zero \[1 failed so far\]$",
                         lines[0] if lines else "")  # fmt: skip
        assert first and int(first.group(1)) in failed, lines
        # and the last line accounts for every failure (closing line or the trial's own)
        counts = re.findall(r"\[(\d+) failed so far\]|\((\d+) failed in all", lines[-1])
        assert counts and int(next(c for c in counts[-1] if c)) == len(failed), lines

    def test_a_second_fmin_on_the_same_trials_resumes(self, make_trials):
        trials = make_trials("conf-resume")
        fmin(shifted_square, SPACE, algo=rand.suggest, max_evals=5, trials=trials, rstate=0,
             show_progressbar=False)  # fmt: skip
        first_tids = list(trials.tids)
        fmin(shifted_square, SPACE, algo=tpe.suggest, max_evals=8, trials=trials, rstate=0,
             show_progressbar=False)  # fmt: skip
        trials.refresh()
        assert len(trials) == 8 and set(first_tids) <= set(trials.tids)

    def test_results_keep_their_extra_keys_and_attachments(self, make_trials):
        trials, _ = _run(make_trials, "conf-extras", with_extras, 3)
        for trial in trials.trials:
            x = trial["misc"]["vals"]["x"][0]
            assert trial["result"]["note"] == f"x is {x:.4f}"
            assert "attachments" not in trial["result"]
            assert trials.trial_attachments(trial)["blob"] == f"{x:.4f}".encode()

    def test_an_error_field_of_the_objectives_own_is_stored_as_given(self, make_trials):
        trials, _ = _run(make_trials, "conf-own-error", with_its_own_error_field, 2,
                         points_to_evaluate=[{"x": -1.0}, {"x": 1.0}])  # fmt: skip
        by_x = {t["misc"]["vals"]["x"][0]: t for t in trials.trials}
        assert by_x[-1.0]["result"] == {"status": STATUS_FAIL, "error": "x is negative"}
        assert by_x[1.0]["result"] == {
            "loss": 1.0,
            "status": STATUS_OK,
            "error": 0.12,
            "scale": 2.0,
        }
        assert all(t["state"] == JOB_STATE_DONE and "error" not in t["misc"] for t in trials.trials)

    def test_documents_hold_only_the_keys_the_schema_declares(self, make_trials):
        # hopt._types.TrialDoc names every key a backend stores: a new key goes there first
        trials, _ = _run(make_trials, "conf-schema", fails_below_zero, 6, catch_eval_exceptions=True,
                         points_to_evaluate=[{"x": -1.0}, {"x": 1.0}])  # fmt: skip
        declared = set(TrialDoc.__annotations__)
        for trial in trials.trials:
            assert set(trial) <= declared, f"undeclared keys {set(trial) - declared}"
            assert set(trial["misc"]) <= set(TrialMisc.__annotations__)
            error = trial["result"].get("error")
            assert error is None or set(error) <= set(RecordedError.__annotations__)

    def test_hopt_report_records_intermediate_losses_on_every_trial(self, make_trials):
        trials, _ = _run(make_trials, "conf-reports", reports_three_epochs, 4)
        for trial in trials.trials:
            x = trial["misc"]["vals"]["x"][0]
            assert trial["result"]["loss"] == abs(x), "should_stop() was True with no request"
            reports = trial["reports"]
            assert [r["step"] for r in reports] == [0, 1, 2]
            assert [r["value"] for r in reports] == [abs(x) + 2, abs(x) + 1, abs(x)]

    def test_points_to_evaluate_come_first(self, make_trials):
        trials, _ = _run(make_trials, "conf-points", shifted_square, 4,
                         points_to_evaluate=[{"x": 3.0}, {"x": -7.5}])  # fmt: skip
        assert [t["misc"]["vals"]["x"][0] for t in trials.trials[:2]] == [3.0, -7.5]
        assert trials.best_trial["result"]["loss"] == 0.0

    def test_loss_threshold_stops_the_search(self, make_trials):
        trials, _ = _run(make_trials, "conf-threshold", shifted_square, 200, loss_threshold=4.0)
        # a trial still running elsewhere when fmin stopped has no loss yet
        finished = [loss for loss in trials.losses() if loss is not None]
        assert min(finished) <= 4.0 and len(trials) < 200

    def test_plots_draw_every_finished_trial(self, make_trials):
        import matplotlib

        matplotlib.use("Agg")
        from .. import plotting

        trials, _ = _run(make_trials, "conf-plots", shifted_square, 5)
        figure = plotting.plot_history(trials)
        points = sum(len(c.get_offsets()) for ax in figure.axes for c in ax.collections)
        assert points == 5, "one point per finished trial"
        figure = plotting.plot_params(trials, SPACE)
        assert [ax.get_title().split()[0] for ax in figure.axes[:1]] == ["x"]

    def test_fmin_returns_soon_after_its_timeout(self, make_trials):
        started = time.monotonic()
        trials, _ = _run(make_trials, "conf-timeout", sleeps_half_a_second, 100, timeout=2,
                         return_argmin=False)  # fmt: skip
        assert time.monotonic() - started < 2 + self.stop_grace
        assert 1 <= len(trials) < 100

    def test_a_pruner_reading_other_trials_prunes_the_worse_ones(self, make_trials):
        # x=0 and x=0.5 come first (the lowest tids) and are never above the others'
        # best + 1; x=5 and x=6 are (6 and 7 against 1 at step 1) and wait, asking the
        # pruner, until the better trials' reports reach its decision
        points = [{"x": 0.0}, {"x": 0.5}, {"x": 5.0}, {"x": 6.0}]
        trials, best = _run(make_trials, "conf-prune", reports_until_pruned, 4,
                            points_to_evaluate=points, pruner=AboveOthersBest())  # fmt: skip
        by_x = {t["misc"]["vals"]["x"][0]: t for t in trials.trials}
        for x in (5.0, 6.0):
            trial = by_x[x]
            assert trial["result"] == {"loss": x + 1, "status": STATUS_PRUNED, "pruned_step": 1}
            assert [(r["step"], r["value"]) for r in trial["reports"]] == [(0, x), (1, x + 1)]
            assert trial["state"] == JOB_STATE_DONE and "error" not in trial["misc"]
        for x in (0.0, 0.5):
            assert by_x[x]["result"] == {"loss": x + 2, "status": STATUS_OK}
            assert [r["step"] for r in by_x[x]["reports"]] == [0, 1, 2]
        statuses = trials.statuses()
        assert sorted(statuses) == [STATUS_OK, STATUS_OK, STATUS_PRUNED, STATUS_PRUNED]
        assert trials.count_by_state_unsynced(JOB_STATE_DONE) == 4
        assert trials.best_trial["tid"] == by_x[0.0]["tid"] and best == {"x": 0.0}

    def test_reports_are_read_by_another_reader_while_the_trial_runs(
        self, make_trials: Any, open_reader: Any
    ) -> None:
        trials = make_trials("conf-live")
        seen: dict[str, Any] = {}

        def watch() -> None:
            reader = open_reader("conf-live", trials)
            deadline = time.monotonic() + 60
            while time.monotonic() < deadline and "reports" not in seen:
                reader.refresh()
                for trial in reader.trials:
                    reports = trial.get("reports") or []
                    if trial["state"] == JOB_STATE_RUNNING and len(reports) >= 2:
                        seen["reports"] = [(r["step"], r["value"]) for r in reports]
                        reader.request_stop(trial["tid"])  # ends the wait early
                time.sleep(0.05)

        watcher = threading.Thread(target=watch, daemon=True)
        watcher.start()
        fmin(reports_then_waits_to_be_stopped, SPACE, algo=rand.suggest, max_evals=1,
             trials=trials, rstate=0, show_progressbar=False)  # fmt: skip
        watcher.join(10)
        assert seen.get("reports") == [(0, 2.0), (1, 1.0)], "no reader saw the reports"
        trials.refresh()
        (trial,) = trials.trials
        assert [(r["step"], r["value"]) for r in trial["reports"]] == [(0, 2.0), (1, 1.0)]
