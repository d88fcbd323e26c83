"""The trial document schema (Hyperopt's), as fmin writes it, and the document helpers."""

import datetime

import numpy as np
import pytest

import hopt
from hopt import JOB_STATE_DONE, JOB_STATE_NEW, Trials, fmin, hp, rand
from hopt._types import JOB_VALID_STATES, STATUS_STRINGS, TRIAL_KEYS, TRIAL_MISC_KEYS
from hopt._utils import worker_name
from hopt.exceptions import InvalidTrialError
from hopt.trials import (
    SONify,
    miscs_to_idxs_vals,
    miscs_update_idxs_vals,
    spec_from_misc,
    to_python,
    validate_trial,
)

CMD = ("domain_attachment", "FMinIter_Domain")
SPACE = {
    "x": hp.uniform("x", -1, 1),
    "model": hp.choice(
        "model", [{"kind": "a", "a": hp.uniform("a", 0, 1)}, {"kind": "b", "b": hp.randint("b", 5)}]
    ),
}


@pytest.fixture(scope="module")
def run_trials():
    trials = Trials()
    fmin(
        lambda p: p["x"] ** 2,
        SPACE,
        rand.suggest,
        8,
        trials=trials,
        rstate=3,
        show_progressbar=False,
    )
    return trials


def test_schema_constants_match_hyperopt():
    assert TRIAL_KEYS == [
        "tid",
        "spec",
        "result",
        "misc",
        "state",
        "owner",
        "book_time",
        "refresh_time",
        "exp_key",
    ]
    assert TRIAL_MISC_KEYS == ["tid", "cmd", "idxs", "vals"]
    assert STATUS_STRINGS == ("new", "running", "suspended", "ok", "fail")
    assert hopt.JOB_STATES == [0, 1, 2, 3, 4]
    assert JOB_VALID_STATES == {0, 1, 2}


def test_fmin_trial_has_every_trial_key(run_trials):
    for doc in run_trials.trials:
        assert set(TRIAL_KEYS) <= set(doc)


def test_fmin_trial_misc_has_every_misc_key_and_workdir(run_trials):
    for doc in run_trials.trials:
        assert set(TRIAL_MISC_KEYS) | {"workdir"} <= set(doc["misc"])
        assert doc["misc"]["cmd"] == CMD
        assert doc["misc"]["workdir"] is None


def test_fmin_trial_header_fields(run_trials):
    for tid, doc in enumerate(run_trials.trials):
        assert doc["tid"] == doc["misc"]["tid"] == tid
        assert doc["spec"] is None
        assert doc["state"] == JOB_STATE_DONE
        assert doc["owner"] == worker_name(), "the process that ran it (Hyperopt left None)"
        assert doc["exp_key"] is None
        assert doc["version"] == 0


def test_fmin_trial_times_are_naive_utc_milliseconds(run_trials):
    for doc in run_trials.trials:
        for key in ("book_time", "refresh_time", "end_time"):
            stamp = doc[key]
            assert isinstance(stamp, datetime.datetime)
            assert stamp.tzinfo is None
            assert stamp.microsecond % 1000 == 0
        assert doc["book_time"] <= doc["end_time"] == doc["refresh_time"]
    now = datetime.datetime.now(datetime.timezone.utc).replace(tzinfo=None)
    assert abs(now - run_trials.trials[0]["book_time"]) < datetime.timedelta(minutes=5)


def test_fmin_trial_idxs_and_vals_follow_active_branch(run_trials):
    for doc in run_trials.trials:
        tid, idxs, vals = doc["tid"], doc["misc"]["idxs"], doc["misc"]["vals"]
        assert set(idxs) == set(vals) == {"x", "model", "a", "b"}
        branch = vals["model"][0]
        active = {"x", "model", "a" if branch == 0 else "b"}
        for label in idxs:
            expected = [tid] if label in active else []
            assert idxs[label] == expected
            assert len(vals[label]) == len(expected)


def test_fmin_trial_result_is_ok_loss_float(run_trials):
    for doc in run_trials.trials:
        assert doc["result"]["status"] == "ok"
        assert type(doc["result"]["loss"]) is float


def test_failed_trial_document():
    def objective(x):
        raise ZeroDivisionError("nope")

    trials = Trials()
    with pytest.raises(ZeroDivisionError):
        fmin(
            objective,
            hp.uniform("x", 0, 1),
            rand.suggest,
            1,
            trials=trials,
            rstate=0,
            show_progressbar=False,
        )
    (doc,) = trials.trials
    assert doc["state"] == JOB_STATE_DONE
    assert set(doc["result"]) == {"status", "error"}
    assert doc["result"]["status"] == "fail"
    assert set(doc["result"]["error"]) == {"type", "message", "traceback"}
    assert doc["misc"]["error"] == ("ZeroDivisionError", "nope")


def test_new_trial_docs_are_new_with_given_parts():
    trials = Trials(exp_key="e")
    misc = {"tid": 3, "cmd": CMD, "workdir": None, "idxs": {}, "vals": {}}
    (doc,) = trials.new_trial_docs([3], ["spec"], [{"status": "new"}], [misc])
    assert doc["state"] == JOB_STATE_NEW
    assert (doc["tid"], doc["spec"], doc["result"], doc["misc"]) == (
        3,
        "spec",
        {"status": "new"},
        misc,
    )
    assert doc["exp_key"] == "e"
    assert (doc["owner"], doc["book_time"], doc["refresh_time"], doc["version"]) == (
        None,
        None,
        None,
        0,
    )


def test_source_trial_docs_records_from_tid():
    trials = Trials()
    misc = {"tid": 1, "cmd": CMD, "workdir": None, "idxs": {}, "vals": {}}
    (doc,) = trials.source_trial_docs([1], [None], [{"status": "new"}], [misc], [{"tid": 0}])
    assert doc["misc"]["from_tid"] == 0


def test_to_python_converts_numpy_recursively():
    value = {
        "a": np.int64(3),
        "b": [np.float32(0.5), np.array([1, 2])],
        "c": (np.bool_(True), "s"),
        "d": None,
    }
    converted = to_python(value)
    assert converted == {"a": 3, "b": [0.5, [1, 2]], "c": (True, "s"), "d": None}
    assert type(converted["a"]) is int
    assert type(converted["b"][0]) is float
    assert type(converted["b"][1][0]) is int
    assert type(converted["c"][0]) is bool


def test_to_python_leaves_other_objects_alone():
    marker = object()
    assert to_python(marker) is marker


def test_sonify_is_hyperopt_name_for_to_python():
    assert SONify is to_python


def test_miscs_to_idxs_vals_collects_columns():
    miscs = [
        {"idxs": {"x": [0], "y": []}, "vals": {"x": [0.1], "y": []}},
        {"idxs": {"x": [1], "y": [1]}, "vals": {"x": [0.2], "y": [5]}},
    ]
    assert miscs_to_idxs_vals(miscs) == ({"x": [0, 1], "y": [1]}, {"x": [0.1, 0.2], "y": [5]})


def test_miscs_to_idxs_vals_with_keys_includes_absent_labels():
    miscs = [{"idxs": {"x": [0]}, "vals": {"x": [0.1]}}]
    assert miscs_to_idxs_vals(miscs, keys=["x", "z"]) == (
        {"x": [0], "z": []},
        {"x": [0.1], "z": []},
    )


def test_spec_from_misc_keeps_active_labels():
    misc = {"vals": {"x": [0.5], "y": []}}
    assert spec_from_misc(misc) == {"x": 0.5}


def test_validate_trial_accepts_a_fresh_document():
    trials = Trials()
    misc = {"tid": 0, "cmd": CMD, "workdir": None, "idxs": {}, "vals": {}}
    (doc,) = trials.new_trial_docs([0], [None], [{"status": "new"}], [misc])
    assert validate_trial(doc) is None
    doc["misc"]["tid"] = 1  # the same document, made inconsistent, is refused
    with pytest.raises(InvalidTrialError, match=r"misc\['tid'\] must equal tid"):
        validate_trial(doc)


def test_validate_trial_rejects_non_dict_misc():
    doc = {key: None for key in TRIAL_KEYS}
    doc.update(tid=0, misc=[1], result={"status": "new"})
    with pytest.raises(InvalidTrialError, match=r"trial 0: misc must be a dict; got \[1\]"):
        validate_trial(doc)


def test_miscs_update_idxs_vals_writes_the_columns_back():
    miscs = [{"tid": 0}, {"tid": 1}]
    idxs, vals = {"x": [0, 1], "y": [1]}, {"x": [0.1, 0.2], "y": [5]}
    assert miscs_update_idxs_vals(miscs, idxs, vals) is miscs
    assert miscs[0]["idxs"] == {"x": [0], "y": []} and miscs[0]["vals"] == {"x": [0.1], "y": []}
    assert miscs[1]["vals"] == {"x": [0.2], "y": [5]}
    assert miscs_to_idxs_vals(miscs) == (idxs, vals)  # the round trip
    renamed = miscs_update_idxs_vals([{"tid": 7}], {"x": [0]}, {"x": [3.0]}, idxs_map={0: 7})
    assert renamed[0]["idxs"] == {"x": [7]}


def test_miscs_update_idxs_vals_names_what_does_not_fit():
    with pytest.raises(InvalidTrialError, match="same labels"):
        miscs_update_idxs_vals([{"tid": 0}], {"x": [0]}, {"y": [1]})
    with pytest.raises(InvalidTrialError, match="'x' has 2 tids but 1 values"):
        miscs_update_idxs_vals([{"tid": 0}], {"x": [0, 1]}, {"x": [1]})
    with pytest.raises(InvalidTrialError, match="tid 5, which none of the miscs has"):
        miscs_update_idxs_vals([{"tid": 0}], {"x": [5]}, {"x": [1]})
    skipped = miscs_update_idxs_vals(
        [{"tid": 0}], {"x": [5]}, {"x": [1]}, assert_all_vals_used=False
    )
    assert skipped[0]["vals"] == {"x": []}


def test_a_hyperopt_style_custom_algorithm_runs_in_fmin():
    import numpy as np

    from hopt import Trials, fmin, hp
    from hopt.base import miscs_update_idxs_vals as update

    def grid_suggest(new_ids, domain, trials, seed):
        docs = []
        for new_id in new_ids:
            misc = {"tid": new_id, "cmd": domain.cmd, "workdir": domain.workdir}
            update([misc], {"x": [new_id]}, {"x": [float(new_id) / 10]})
            docs += trials.new_trial_docs([new_id], [None], [domain.new_result()], [misc])
        return docs

    trials = Trials()
    fmin(lambda x: (x - 0.3) ** 2, hp.uniform("x", 0, 1), algo=grid_suggest, max_evals=6,
         trials=trials, show_progressbar=False)  # fmt: skip
    assert trials.vals["x"] == [0.0, 0.1, 0.2, 0.3, 0.4, 0.5]
    assert trials.argmin == {"x": 0.3} and np.isclose(trials.best_trial["result"]["loss"], 0.0)
