"""The in-memory Trials: views of the documents, best trial, insertion, counting, attachments."""

import math

import cloudpickle
import numpy as np
import pytest

from hopt import (
    JOB_STATE_CANCEL,
    JOB_STATE_DONE,
    JOB_STATE_ERROR,
    JOB_STATE_NEW,
    JOB_STATE_RUNNING,
    Ctrl,
    Domain,
    Trials,
    fmin,
    generate_trials_to_calculate,
    hp,
    rand,
    tpe,
    trials_from_docs,
)
from hopt.exceptions import AllTrialsFailedError, InvalidArgumentError, InvalidTrialError
from hopt.trials import TrialAttachments

CMD = ("domain_attachment", "FMinIter_Domain")


def misc(tid, **vals):
    """A misc dict; a label given None is inactive."""
    return {
        "tid": tid,
        "cmd": CMD,
        "workdir": None,
        "idxs": {k: ([] if v is None else [tid]) for k, v in vals.items()},
        "vals": {k: ([] if v is None else [v]) for k, v in vals.items()},
    }


def ok(loss, **extra):
    return {"loss": loss, "status": "ok", **extra}


def fail(message="boom"):
    return {"status": "fail", "error": {"type": "ValueError", "message": message}}


def done_docs(trials, results, state=JOB_STATE_DONE, xs=None):
    """Finished documents for ``results``, with x = tid unless ``xs`` is given."""
    tids = trials.new_trial_ids(len(results))
    xs = [float(tid) for tid in tids] if xs is None else xs
    miscs = [misc(tid, x=x) for tid, x in zip(tids, xs)]
    docs = trials.new_trial_docs(tids, [None] * len(tids), results, miscs)
    for doc in docs:
        doc["state"] = state
    return docs


def make_trials(results, **kwargs):
    trials = Trials(**kwargs)
    trials.insert_trial_docs(done_docs(trials, results))
    trials.refresh()
    return trials


# -- the views ------------------------------------------------------------------------------


def test_empty_trials():
    trials = Trials()
    assert len(trials) == 0
    assert trials.trials == [] and trials.results == [] and trials.tids == []
    assert trials.losses() == [] and trials.statuses() == []
    assert trials.vals == {} and trials.idxs == {}


def test_list_views_follow_document_order():
    trials = make_trials([ok(3.0), ok(1.0), fail()])
    assert trials.tids == [0, 1, 2]
    assert trials.specs == [None, None, None]
    assert trials.results == [ok(3.0), ok(1.0), fail()]
    assert trials.miscs == [t["misc"] for t in trials.trials]


def test_losses_and_statuses_include_failures_as_none_loss():
    trials = make_trials([ok(3.0), fail(), ok(1.0)])
    assert trials.losses() == [3.0, None, 1.0]
    assert trials.statuses() == ["ok", "fail", "ok"]


def test_losses_and_statuses_with_a_domain_as_bandit():
    trials = make_trials([ok(3.0), fail()])
    domain = Domain(lambda x: x, hp.uniform("x", 0, 1))
    assert trials.losses(bandit=domain) == [3.0, None]
    assert trials.statuses(bandit=domain) == ["ok", "fail"]


def test_vals_and_idxs_are_columns_over_active_trials():
    trials = Trials()
    tids = trials.new_trial_ids(3)
    miscs = [misc(0, c=0, a=0.5, b=None), misc(1, c=1, a=None, b=2.0), misc(2, c=0, a=0.7, b=None)]
    trials.insert_trial_docs(trials.new_trial_docs(tids, [None] * 3, [ok(1.0)] * 3, miscs))
    trials.refresh()
    assert trials.idxs == {"c": [0, 1, 2], "a": [0, 2], "b": [1]}
    assert trials.vals == {"c": [0, 1, 0], "a": [0.5, 0.7], "b": [2.0]}
    assert trials.idxs_vals == (trials.idxs, trials.vals)


def test_len_iteration_and_indexing():
    trials = make_trials([ok(3.0), ok(1.0), ok(2.0)])
    assert len(trials) == 3
    assert [t["tid"] for t in trials] == [0, 1, 2]
    assert trials[0] is trials.trials[0]
    assert trials[-1]["result"]["loss"] == 2.0


# -- best trial, argmin, average_best_error ---------------------------------------------------


def test_best_trial_is_lowest_ok_loss():
    trials = make_trials([ok(3.0), fail(), ok(-1.0), ok(2.0)])
    assert trials.best_trial["tid"] == 2


def test_best_trial_ignores_nan_losses():
    trials = make_trials([ok(float("nan")), ok(2.0)])
    assert trials.best_trial["tid"] == 1


def test_best_trial_ignores_unfinished_trials():
    trials = Trials()
    docs = done_docs(trials, [ok(2.0)]) + done_docs(
        trials, [{"status": "new"}], state=JOB_STATE_NEW
    )
    trials.insert_trial_docs(docs)
    trials.refresh()
    assert trials.best_trial["tid"] == 0


def test_best_trial_of_empty_trials_raises():
    with pytest.raises(AllTrialsFailedError, match="no trials have finished yet"):
        _ = Trials().best_trial


def test_best_trial_when_all_failed_names_count_and_first_error():
    trials = make_trials([fail("first"), fail("second")])
    with pytest.raises(
        AllTrialsFailedError, match=r"all 2 trials failed.*tid 0\): ValueError: first"
    ):
        _ = trials.best_trial


def test_argmin_is_best_trial_values_without_inactive_labels():
    trials = Trials()
    tids = trials.new_trial_ids(2)
    miscs = [misc(0, c=0, a=0.5, b=None), misc(1, c=1, a=None, b=2.0)]
    trials.insert_trial_docs(trials.new_trial_docs(tids, [None] * 2, [ok(5.0), ok(1.0)], miscs))
    trials.refresh()
    assert trials.argmin == {"c": 1, "b": 2.0}


def test_argmin_of_empty_trials_raises():
    with pytest.raises(AllTrialsFailedError):
        _ = Trials().argmin


def test_average_best_error_without_variance_is_best_true_loss():
    trials = make_trials([ok(2.0, true_loss=20.0), ok(1.0, true_loss=10.0), fail()])
    assert trials.average_best_error() == 10.0


def test_average_best_error_without_true_loss_is_best_loss():
    trials = make_trials([ok(2.0), ok(1.0)])
    assert trials.average_best_error() == 1.0


def test_average_best_error_with_variance_weights_close_trials():
    trials = make_trials(
        [
            ok(1.0, loss_variance=1.0, true_loss=10.0),
            ok(1.01, loss_variance=1.0, true_loss=20.0),
            ok(100.0, loss_variance=1.0, true_loss=1000.0),
        ]
    )
    error = trials.average_best_error()
    assert 12.0 < error < 18.0


def test_average_best_error_with_domain_matches_plain():
    trials = make_trials(
        [ok(1.0, loss_variance=0.5, true_loss=3.0), ok(1.2, loss_variance=0.5, true_loss=5.0)]
    )
    domain = Domain(lambda x: x, hp.uniform("x", 0, 1))
    assert trials.average_best_error(bandit=domain) == trials.average_best_error()


def test_average_best_error_with_no_ok_trial_raises():
    with pytest.raises(AllTrialsFailedError):
        make_trials([fail()]).average_best_error()


# -- inserting ------------------------------------------------------------------------------


def test_insert_does_not_refresh():
    trials = Trials()
    trials.insert_trial_docs(done_docs(trials, [ok(1.0)]))
    assert len(trials) == 0
    trials.refresh()
    assert len(trials) == 1


def test_insert_trial_doc_returns_tid():
    trials = Trials()
    (doc,) = done_docs(trials, [ok(1.0)])
    assert trials.insert_trial_doc(doc) == 0


def test_insert_converts_numpy_values_to_python():
    trials = Trials()
    (doc,) = done_docs(trials, [ok(np.float64(1.5))], xs=[np.float32(0.25)])
    trials.insert_trial_docs([doc])
    trials.refresh()
    assert type(trials.results[0]["loss"]) is float
    assert type(trials.vals["x"][0]) is float


def invalid_docs():
    trials = Trials()

    def doc():
        return done_docs(trials, [ok(1.0)])[0]

    missing_key = doc()
    del missing_key["spec"]
    missing_misc_key = doc()
    del missing_misc_key["misc"]["vals"]
    tid_mismatch = doc()
    tid_mismatch["misc"]["tid"] = 99
    no_status = doc()
    no_status["result"] = {"loss": 1.0}
    return [
        (missing_key, r"missing keys \['spec'\]"),
        (missing_misc_key, r"misc is missing keys \['vals'\]"),
        (tid_mismatch, r"misc\['tid'\] must equal tid; got misc\['tid'\]=99"),
        (no_status, "result must be a dict with a 'status'"),
        ("not a doc", "trial document must be a dict; got str"),
    ]


@pytest.mark.parametrize(
    "doc, message",
    invalid_docs(),
    ids=["missing-key", "misc-key", "tid-mismatch", "no-status", "not-dict"],
)
def test_insert_rejects_invalid_document(doc, message):
    with pytest.raises(InvalidTrialError, match=message):
        Trials().insert_trial_docs([doc])


def test_insert_rejects_wrong_exp_key():
    other = Trials(exp_key="other")
    docs = done_docs(other, [ok(1.0)])
    with pytest.raises(
        InvalidTrialError, match="exp_key must be 'mine' to join these trials; got exp_key='other'"
    ):
        Trials(exp_key="mine").insert_trial_docs(docs)


def test_insert_of_a_batch_with_one_bad_document_inserts_nothing():
    trials = Trials()
    good, bad = done_docs(trials, [ok(1.0), ok(2.0)])
    del bad["misc"]
    with pytest.raises(InvalidTrialError):
        trials.insert_trial_docs([good, bad])
    assert trials.count_by_state_unsynced(JOB_STATE_DONE) == 0


def test_new_trial_docs_rejects_mismatched_lengths():
    with pytest.raises(InvalidArgumentError, match="got lengths 2, 1, 2, 2"):
        Trials().new_trial_docs([0, 1], [None], [ok(1.0)] * 2, [misc(0), misc(1)])


def test_new_trial_ids_never_repeat():
    trials = Trials()
    first = trials.new_trial_ids(3)
    second = trials.new_trial_ids(2)
    assert first == [0, 1, 2]
    assert second == [3, 4]


def test_new_trial_ids_skip_past_inserted_tids():
    trials = Trials()
    doc = trials.new_trial_docs([10], [None], [ok(1.0)], [misc(10, x=1.0)])[0]
    trials.insert_trial_docs([doc])
    assert trials.new_trial_ids(1) == [11]


def test_new_trial_ids_unique_across_a_view_and_its_parent():
    trials = Trials()
    view = trials.view(exp_key="a")
    assert set(trials.new_trial_ids(2)).isdisjoint(view.new_trial_ids(2))


# -- refresh, view, delete_all, counting --------------------------------------------------------


def test_refresh_keeps_only_new_running_done():
    trials = Trials()
    docs = []
    for state in (
        JOB_STATE_NEW,
        JOB_STATE_RUNNING,
        JOB_STATE_DONE,
        JOB_STATE_ERROR,
        JOB_STATE_CANCEL,
    ):
        docs += done_docs(trials, [ok(1.0)], state=state)
    trials.insert_trial_docs(docs)
    trials.refresh()
    assert trials.tids == [0, 1, 2]


def exp_key_trials():
    trials = Trials()
    docs = done_docs(trials, [ok(1.0), ok(2.0), ok(3.0)])
    docs[0]["exp_key"] = docs[2]["exp_key"] = "a"
    docs[1]["exp_key"] = "b"
    trials.insert_trial_docs(docs)
    trials.refresh()
    return trials


def test_view_shows_only_its_exp_key():
    trials = exp_key_trials()
    assert trials.view(exp_key="a").tids == [0, 2]
    assert trials.view(exp_key="b").tids == [1]
    assert trials.tids == [0, 1, 2]


def test_view_shares_storage_with_its_parent():
    trials = exp_key_trials()
    view = trials.view(exp_key="b")
    docs = view.new_trial_docs([7], [None], [ok(0.5)], [misc(7, x=0.0)])
    view.insert_trial_docs(docs)
    trials.refresh()
    assert 7 in trials.tids


def test_view_without_refresh_keeps_parent_list():
    trials = exp_key_trials()
    assert trials.view(exp_key="a", refresh=False).tids == [0, 1, 2]


def test_delete_all_clears_trials_ids_and_attachments():
    trials = make_trials([ok(1.0), ok(2.0)])
    trials.attachments["k"] = b"v"
    trials.delete_all()
    assert len(trials) == 0
    assert trials.attachments == {}
    assert trials.count_by_state_unsynced(JOB_STATE_DONE) == 0
    assert trials.new_trial_ids(1) == [0]


def test_count_by_state_synced_single_and_iterable():
    trials = Trials()
    docs = done_docs(trials, [ok(1.0), ok(2.0)]) + done_docs(
        trials, [{"status": "new"}], state=JOB_STATE_NEW
    )
    trials.insert_trial_docs(docs)
    trials.refresh()
    assert trials.count_by_state_synced(JOB_STATE_DONE) == 2
    assert trials.count_by_state_synced([JOB_STATE_DONE, JOB_STATE_NEW]) == 3
    assert trials.count_by_state_synced(JOB_STATE_DONE, trials=trials.trials[:1]) == 1


def test_count_by_state_unsynced_sees_unrefreshed_documents():
    trials = make_trials([ok(1.0)])
    trials.insert_trial_docs(done_docs(trials, [ok(2.0)]))
    assert trials.count_by_state_synced(JOB_STATE_DONE) == 1
    assert trials.count_by_state_unsynced(JOB_STATE_DONE) == 2


def test_count_by_state_unsynced_counts_hidden_states():
    trials = Trials()
    trials.insert_trial_docs(done_docs(trials, [fail()], state=JOB_STATE_ERROR))
    trials.refresh()
    assert len(trials) == 0
    assert trials.count_by_state_unsynced(JOB_STATE_ERROR) == 1


def test_count_by_state_unsynced_respects_exp_key():
    trials = exp_key_trials()
    assert trials.view(exp_key="a").count_by_state_unsynced(JOB_STATE_DONE) == 2


# -- attachments ---------------------------------------------------------------------------


def test_experiment_attachments_are_a_dict():
    trials = Trials()
    trials.attachments["config"] = b"data"
    assert trials.attachments == {"config": b"data"}


def test_trial_attachments_mapping_protocol():
    trials = make_trials([ok(1.0), ok(2.0)])
    view = trials.trial_attachments(trials.trials[1])
    assert isinstance(view, TrialAttachments)
    assert "blob" not in view
    view["blob"] = b"abc"
    assert "blob" in view
    assert view["blob"] == b"abc"
    assert trials.attachments == {"ATTACH::1::blob": b"abc"}
    assert list(view) == ["blob"]
    assert len(view) == 1
    del view["blob"]
    assert "blob" not in view
    assert trials.attachments == {}


def test_trial_attachments_are_separate_per_trial():
    trials = make_trials([ok(1.0)] * 11)
    trials.trial_attachments(trials.trials[1])["a"] = 1
    trials.trial_attachments(trials.trials[10])["b"] = 2
    assert list(trials.trial_attachments(trials.trials[1])) == ["a"]
    assert list(trials.trial_attachments(trials.trials[10])) == ["b"]
    assert list(trials.trial_attachments(trials.trials[0])) == []


def test_trial_attachment_missing_raises_key_error():
    trials = make_trials([ok(1.0)])
    with pytest.raises(KeyError):
        trials.trial_attachments(trials.trials[0])["nope"]


def test_aname_uses_hyperopt_format():
    assert Trials().aname({"tid": 4}, "weights") == "ATTACH::4::weights"


# -- trials_from_docs, generate_trials_to_calculate, pickling ------------------------------------


def test_trials_from_docs_is_refreshed():
    source = make_trials([ok(1.0), ok(2.0)])
    trials = trials_from_docs(source.trials)
    assert trials.tids == [0, 1]
    assert trials.losses() == [1.0, 2.0]


def test_trials_from_docs_validates_by_default():
    (doc,) = done_docs(Trials(), [ok(1.0)])
    doc["misc"]["tid"] = 5
    with pytest.raises(InvalidTrialError):
        trials_from_docs([doc])
    assert trials_from_docs([doc], validate=False).tids == [0]


def test_trials_from_docs_passes_exp_key():
    docs = done_docs(Trials(exp_key="e"), [ok(1.0)])
    assert trials_from_docs(docs, exp_key="e").tids == [0]
    with pytest.raises(InvalidTrialError, match="exp_key must be 'f'"):
        trials_from_docs(docs, exp_key="f")


def test_trials_from_docs_does_not_alias_validated_documents():
    source = make_trials([ok(1.0)])
    trials = trials_from_docs(source.trials)
    source.trials[0]["result"]["loss"] = 99.0
    assert trials.losses() == [1.0]


def test_generate_trials_to_calculate_builds_new_documents():
    trials = generate_trials_to_calculate([{"x": 0.5, "c": 1}, {"x": -0.5, "c": 0}])
    assert len(trials) == 2
    assert [t["state"] for t in trials] == [JOB_STATE_NEW, JOB_STATE_NEW]
    first = trials.trials[0]
    assert first["tid"] == 0
    assert first["misc"]["idxs"] == {"x": [0], "c": [0]}
    assert first["misc"]["vals"] == {"x": [0.5], "c": [1]}
    assert first["misc"]["cmd"] == CMD
    assert trials.trials[1]["misc"]["idxs"] == {"x": [1], "c": [1]}


def test_generate_trials_to_calculate_rejects_non_list():
    with pytest.raises(InvalidArgumentError, match="must be a list of"):
        generate_trials_to_calculate({"x": 1.0})


def test_cloudpickle_round_trip_keeps_everything():
    trials = Trials()
    fmin(
        lambda x: {"loss": x**2, "status": "ok", "attachments": {"blob": b"z"}},
        hp.uniform("x", -1, 1),
        rand.suggest,
        4,
        trials=trials,
        rstate=0,
        show_progressbar=False,
    )
    copy = cloudpickle.loads(cloudpickle.dumps(trials))
    assert copy.trials == trials.trials
    assert copy.attachments == trials.attachments
    assert copy.argmin == trials.argmin
    assert copy.new_trial_ids(1) == [4]


def test_unpickled_trials_resume_in_fmin():
    trials = make_trials([ok(1.0), ok(2.0)])
    copy = cloudpickle.loads(cloudpickle.dumps(trials))
    fmin(
        lambda x: 0.5,
        hp.uniform("x", 0, 1),
        rand.suggest,
        4,
        trials=copy,
        rstate=0,
        show_progressbar=False,
    )
    assert copy.tids == [0, 1, 2, 3]
    assert len(trials) == 2


# -- Ctrl ----------------------------------------------------------------------------------------


def test_ctrl_requires_trials():
    with pytest.raises(InvalidArgumentError, match="trials must be a Trials object"):
        Ctrl(None)


def test_ctrl_checkpoint_updates_current_result():
    trials = Trials()
    (doc,) = done_docs(trials, [{"status": "running"}], state=JOB_STATE_RUNNING)
    Ctrl(trials, current_trial=doc).checkpoint({"status": "running", "loss": 0.3})
    assert doc["result"] == {"status": "running", "loss": 0.3}


def test_ctrl_attachments_belong_to_current_trial():
    trials = make_trials([ok(1.0)])
    Ctrl(trials, current_trial=trials.trials[0]).attachments["log"] = b"x"
    Ctrl(trials).attachments["global"] = b"y"
    assert trials.attachments == {"ATTACH::0::log": b"x", "global": b"y"}


def test_ctrl_inject_results_adds_done_trials_from_current():
    trials = make_trials([ok(1.0)])
    ctrl = Ctrl(trials, current_trial=trials.trials[0])
    tids = ctrl.inject_results([None], [ok(0.25)], [misc(5, x=0.1)], new_tids=[5])
    trials.refresh()
    injected = trials.trials[-1]
    assert tids == [5]
    assert injected["state"] == JOB_STATE_DONE
    assert injected["misc"]["from_tid"] == 0
    assert math.isclose(trials.best_trial["result"]["loss"], 0.25)


def test_a_view_stays_tied_to_its_parent_after_discarding_queued_trials():
    parent = Trials()
    view = parent.view(exp_key="a")
    fmin(lambda x: x, hp.uniform("x", 0, 1), algo=tpe.suggest, max_evals=10, trials=view,
         max_queue_len=3, loss_threshold=2.0, rstate=0, show_progressbar=False)  # fmt: skip
    parent.refresh()
    assert parent.tids == view.tids and all(t["state"] == JOB_STATE_DONE for t in parent.trials)
    fmin(lambda x: x, hp.uniform("x", 0, 1), algo=tpe.suggest, max_evals=5, trials=view,
         rstate=1, show_progressbar=False)  # fmt: skip
    parent.refresh()
    assert len(view) == 5 and parent.tids == view.tids


def test_delete_all_on_a_view_deletes_only_its_experiment():
    trials = exp_key_trials()  # tids 0 and 2 in "a", 1 in "b"
    trials.attachments["ATTACH::0::k"] = b"a's"
    trials.attachments["ATTACH::1::k"] = b"b's"
    trials.view(exp_key="a").delete_all()
    trials.refresh()
    assert trials.tids == [1] and list(trials.attachments) == ["ATTACH::1::k"]
    (new_id,) = trials.new_trial_ids(1)
    assert new_id > 2, "tids stay unique after a view's delete_all"
