"""rand.suggest: independent draws from the prior, as trial documents."""

import math

import numpy as np
import pytest
from scipy import stats

import hopt
from hopt import JOB_STATE_NEW, Domain, Trials, hp, rand
from hopt.algos import rand as algos_rand
from hopt.pyll import scope

CONDITIONAL = hp.choice(
    "model",
    [
        {"kind": "svm", "C": hp.lognormal("C", 0, 1)},
        {
            "kind": "tree",
            "depth": hp.uniformint("depth", 1, 12),
            "split": hp.choice("split", ["gini", {"min_leaf": hp.randint("min_leaf", 1, 20)}]),
        },
    ],
)


def domain_of(space):
    return Domain(lambda p: 0.0, space)


def suggest(space, n=20, seed=0, ids=None):
    ids = list(range(n)) if ids is None else ids
    return rand.suggest(ids, domain_of(space), Trials(), seed)


def column(docs, label):
    return [v for doc in docs for v in doc["misc"]["vals"][label]]


def test_returns_one_new_document_per_id():
    docs = suggest(hp.uniform("x", 0, 1), n=7)
    assert len(docs) == 7
    assert [doc["tid"] for doc in docs] == list(range(7))
    assert all(doc["state"] == JOB_STATE_NEW for doc in docs)
    assert all(doc["result"] == {"status": "new"} for doc in docs)


def test_uses_the_given_ids_in_order():
    ids = [42, 5, 17]
    docs = suggest(hp.uniform("x", 0, 1), ids=ids)
    assert [doc["tid"] for doc in docs] == ids
    assert [doc["misc"]["tid"] for doc in docs] == ids
    assert [doc["misc"]["idxs"]["x"] for doc in docs] == [[42], [5], [17]]


def test_empty_ids_give_no_documents():
    assert suggest(hp.uniform("x", 0, 1), ids=[]) == []


def test_documents_are_valid_for_insertion():
    trials = Trials()
    docs = rand.suggest(trials.new_trial_ids(5), domain_of(CONDITIONAL), trials, 0)
    assert trials.insert_trial_docs(docs) == [0, 1, 2, 3, 4]


def test_same_seed_gives_identical_documents():
    assert suggest(CONDITIONAL, seed=9) == suggest(CONDITIONAL, seed=9)


def test_different_seeds_give_different_documents():
    assert column(suggest(CONDITIONAL, seed=1), "model") != column(
        suggest(CONDITIONAL, seed=2), "model"
    )


def test_seed_may_be_a_bit_generator():
    first = suggest(hp.uniform("x", 0, 1), seed=np.random.PCG64(123))
    second = suggest(hp.uniform("x", 0, 1), seed=np.random.PCG64(123))
    assert first == second


def test_inactive_labels_have_empty_idxs_and_vals():
    docs = suggest(CONDITIONAL, n=50)
    for doc in docs:
        idxs, vals = doc["misc"]["idxs"], doc["misc"]["vals"]
        assert set(idxs) == set(vals) == {"model", "C", "depth", "split", "min_leaf"}
        for label in idxs:
            assert len(idxs[label]) == len(vals[label]) <= 1
            assert idxs[label] in ([], [doc["tid"]])


def test_conditional_params_active_only_on_their_branch():
    docs = suggest(CONDITIONAL, n=200)
    for doc in docs:
        vals = doc["misc"]["vals"]
        (model,) = vals["model"]
        assert bool(vals["C"]) == (model == 0)
        assert bool(vals["depth"]) == (model == 1)
        assert bool(vals["split"]) == (model == 1)
        assert bool(vals["min_leaf"]) == (model == 1 and vals["split"] == [1])
    models = column(docs, "model")
    assert 0 in models and 1 in models
    assert column(docs, "min_leaf")


def test_nested_choice_values_are_reached():
    docs = suggest(CONDITIONAL, n=200)
    assert set(column(docs, "split")) == {0, 1}


@pytest.mark.parametrize(
    "param, check",
    [
        (hp.uniform("v", -2, 3), lambda v: -2 <= v <= 3),
        (hp.loguniform("v", -3, 1), lambda v: math.exp(-3) <= v <= math.exp(1)),
        (hp.quniform("v", 0, 10, 2.5), lambda v: 0 <= v <= 10 and v / 2.5 == round(v / 2.5)),
        (hp.qloguniform("v", 0, 3, 1), lambda v: 1 <= v <= math.exp(3) and v == round(v)),
        (hp.uniformint("v", 3, 9), lambda v: type(v) is int and 3 <= v <= 9),
        (hp.randint("v", 4), lambda v: type(v) is int and 0 <= v < 4),
        (hp.randint("v", -3, 2), lambda v: type(v) is int and -3 <= v < 2),
        (hp.choice("v", ["a", "b", "c"]), lambda v: type(v) is int and 0 <= v < 3),
        (hp.pchoice("v", [(0.2, "a"), (0.8, "b")]), lambda v: v in (0, 1)),
        (hp.normal("v", 0, 1), math.isfinite),
        (hp.qnormal("v", 0, 5, 2), lambda v: v / 2 == round(v / 2)),
        (hp.lognormal("v", 0, 1), lambda v: v > 0),
        (hp.qlognormal("v", 1, 1, 0.5), lambda v: v >= 0 and v / 0.5 == round(v / 0.5)),
        (scope.int(hp.uniform("v", 0, 5)), lambda v: type(v) is int and 0 <= v <= 5),
    ],
    ids=[
        "uniform",
        "loguniform",
        "quniform",
        "qloguniform",
        "uniformint",
        "randint-upper",
        "randint-low-high",
        "choice",
        "pchoice",
        "normal",
        "qnormal",
        "lognormal",
        "qlognormal",
        "scope-int",
    ],
)
def test_samples_stay_in_support(param, check):
    values = column(suggest({"v": param}, n=300, seed=4), "v")
    assert len(values) == 300
    bad = [v for v in values if not check(v)]
    assert bad == []


def test_uniformint_reaches_both_bounds():
    values = set(column(suggest(hp.uniformint("v", 1, 4), n=300), "v"))
    assert values == {1, 2, 3, 4}


def test_choice_is_roughly_uniform_over_1000_draws():
    values = column(suggest(hp.choice("c", list("abcd")), n=1000, seed=12), "c")
    counts = np.bincount(values, minlength=4)
    assert counts.sum() == 1000
    assert stats.chisquare(counts).pvalue > 0.001
    assert all(200 < c < 300 for c in counts)


def test_pchoice_follows_its_probabilities():
    values = column(suggest(hp.pchoice("c", [(0.1, "a"), (0.9, "b")]), n=1000, seed=3), "c")
    assert 0.05 < values.count(0) / 1000 < 0.15


def test_uniform_mean_is_central():
    values = column(suggest(hp.uniform("x", 0, 1), n=1000, seed=5), "x")
    assert abs(np.mean(values) - 0.5) < 0.05


def test_values_are_python_types():
    docs = suggest({"x": hp.uniform("x", 0, 1), "c": hp.choice("c", [1, 2])}, n=3)
    for doc in docs:
        assert type(doc["misc"]["vals"]["x"][0]) is float
        assert type(doc["misc"]["vals"]["c"][0]) is int


def test_suggest_batch_returns_columns():
    domain = domain_of(CONDITIONAL)
    idxs, vals = rand.suggest_batch(list(range(30)), domain, Trials(), 0)
    docs = rand.suggest(list(range(30)), domain, Trials(), 0)
    assert vals["model"] == column(docs, "model")
    assert idxs["C"] == [doc["tid"] for doc in docs if doc["misc"]["vals"]["C"]]


def test_hopt_rand_module_is_the_algorithm():
    assert hopt.rand.suggest is algos_rand.suggest


def test_ignores_trial_history():
    domain = domain_of(hp.uniform("x", 0, 1))
    trials = Trials()
    trials.insert_trial_docs(rand.suggest([0, 1], domain, trials, 0))
    trials.refresh()
    assert (
        rand.suggest([5], domain, trials, 8)[0]["misc"]["vals"]
        == rand.suggest([5], domain, Trials(), 8)[0]["misc"]["vals"]
    )
