"""tpe.suggest: determinism, batches, no repeats in discrete spaces, conditional spaces."""

from __future__ import annotations

import functools

import numpy as np
import pytest

from hopt import Trials, fmin, hp, rand, tpe
from hopt.algos.tpe import suggestion
from hopt.distributions import Categorical, RandInt, Uniform
from hopt.domain import Domain
from hopt.exceptions import InvalidArgumentError


def _vals(trials):
    return [doc["misc"]["vals"] for doc in trials.trials]


def _config_keys(trials):
    return [
        tuple(sorted((k, v[0]) for k, v in doc["misc"]["vals"].items() if v))
        for doc in trials.trials
    ]


def quadratic(p):
    return (p["x"] - 1.0) ** 2


def test_same_seed_gives_identical_trials():
    space = {"x": hp.uniform("x", -5, 5)}
    runs = []
    for _ in range(2):
        trials = Trials()
        fmin(quadratic, space, algo=tpe.suggest, max_evals=30, trials=trials, rstate=3,
             show_progressbar=False)  # fmt: skip
        runs.append(_vals(trials))
    assert runs[0] == runs[1]


def test_tpe_beats_random_search_on_a_quadratic():
    space = {"x": hp.uniform("x", -10, 10)}
    regrets = {}
    for name, algo in (("rand", rand.suggest), ("tpe", tpe.suggest)):
        best = []
        for seed in range(5):
            trials = Trials()
            fmin(quadratic, space, algo=algo, max_evals=60, trials=trials, rstate=seed,
                 show_progressbar=False)  # fmt: skip
            best.append(min(trials.losses()))
        regrets[name] = float(np.median(best))
    assert regrets["tpe"] < regrets["rand"]
    assert regrets["tpe"] < 0.01


def test_batch_call_returns_one_distinct_trial_per_id():
    space = {"x": hp.uniform("x", -5, 5), "c": hp.choice("c", ["a", "b", "c"])}
    trials = Trials()
    fmin(lambda p: p["x"] ** 2, space, algo=tpe.suggest, max_evals=30, trials=trials,
         rstate=0, show_progressbar=False)  # fmt: skip
    domain = Domain(lambda p: 0, space)
    ids = trials.new_trial_ids(8)
    docs = tpe.suggest(ids, domain, trials, seed=7)
    assert [doc["tid"] for doc in docs] == ids
    xs = [doc["misc"]["vals"]["x"][0] for doc in docs]
    assert len(set(xs)) == 8


# the shares seen: 0.95 exact, 0.84 noisy; a blind draw once covered gave about 0.3, and
# good-trial weights that shrank the group's total (giving the prior more) 0.84 and 0.79
@pytest.mark.parametrize("noise, share", [(0.0, 0.9), (0.5, 0.8)])
def test_a_covered_space_follows_the_model_and_repeats_the_best(noise, share):
    picks = []
    for seed in range(4):
        noisy = functools.partial(
            lambda p, rng: [1, 1, 1, 0][p["a"]] + rng.normal(0, noise) * (noise > 0),
            rng=np.random.default_rng(100 + seed),
        )
        trials = Trials()
        fmin(noisy, {"a": hp.choice("a", [0, 1, 2, 3])}, algo=tpe.suggest, max_evals=60,
             trials=trials, rstate=seed, show_progressbar=False)  # fmt: skip
        picks += [t["misc"]["vals"]["a"][0] == 3 for t in trials.trials[20:]]
    assert np.mean(picks) > share  # chance is 0.25


def test_an_unseen_candidate_wins_only_within_the_margin_of_a_better_repeat():
    from hopt.algos.tpe.history import SeenConfigs
    from hopt.algos.tpe.suggestion import UNSEEN_MARGIN, _best_unseen

    compiled = Domain(lambda p: 0, {"a": hp.choice("a", [0, 1, 2])}).compiled
    values = {"a": np.array([0, 1, 2])}
    masks = {"a": np.ones(3, dtype=bool)}
    seen = SeenConfigs({compiled.row_key(values, masks, 0)})  # option 0 was evaluated

    class Known:
        configs = seen

    def pick(scores, prior_scores=(0.0, 0.0, 0.0)):
        def rescore(draws, draw_masks):  # the model's score of each prior draw, by option
            return np.array([prior_scores[a] for a in draws["a"]])

        rng = np.random.default_rng(0)
        chosen, _ = _best_unseen(compiled, rng, Known, values, masks, np.array(scores), rescore)
        return int(chosen["a"][0])

    assert pick([5.0, 5.0 - UNSEEN_MARGIN / 2, -1.0]) == 1  # about as good: the new one
    assert pick([5.0, 5.0 - 2 * UNSEEN_MARGIN, -1.0]) == 0  # far better: the repeat
    assert pick([1.0, 3.0, 2.0]) == 1  # the best is new anyway
    Known.configs = SeenConfigs({compiled.row_key(values, masks, i) for i in (0, 1)})
    candidates_all_seen = [3.0, 4.0, 1.0]
    values["a"] = np.array([0, 1, 1])  # every candidate repeats option 0 or 1
    # option 2 is new: found among prior draws, taken when the model rates it about as high
    assert pick(candidates_all_seen, prior_scores=(3.0, 4.0, 3.5)) == 2
    assert pick(candidates_all_seen, prior_scores=(3.0, 4.0, 1.0)) == 1  # else the best repeat
    every = {"a": np.array([0, 1, 2])}
    Known.configs = SeenConfigs({compiled.row_key(every, masks, i) for i in range(3)})
    # the space is covered: the model's best repeat, not a blind prior draw
    assert pick([3.0, 4.0, 1.0], prior_scores=(9.0, 9.0, 9.0)) == 1


def test_conditional_parameters_only_active_in_their_branch():
    space = hp.choice(
        "m",
        [
            {"x": hp.uniform("x", -5, 5)},
            {"y": hp.loguniform("y", -5, 2), "z": hp.quniform("z", 0, 10, 2)},
        ],
    )
    trials = Trials()
    fmin(lambda p: p.get("x", 1.0) ** 2, space, algo=tpe.suggest, max_evals=40, trials=trials,
         rstate=1, show_progressbar=False)  # fmt: skip
    for vals in _vals(trials):
        if vals["m"][0] == 0:
            assert vals["x"] and not vals["y"] and not vals["z"]
        else:
            assert vals["y"] and vals["z"] and not vals["x"]
            assert isinstance(vals["z"][0], int) and vals["z"][0] % 2 == 0


@pytest.mark.parametrize(
    "param",
    [
        hp.quniform("p", 1.01, 10, 1),
        hp.qloguniform("p", 0, 3, 2),
        hp.randint("p", 3, 9),
        hp.uniformint("p", 2, 7),
        hp.qnormal("p", 0, 3, 0.5),
        hp.lognormal("p", 0, 1),
        hp.pchoice("p", [(0.2, "a"), (0.8, "b")]),
    ],
)
def test_suggestions_stay_in_support(param):
    trials = Trials()
    fmin(lambda p: 0.0 if isinstance(p, str) else float(p), param, algo=tpe.suggest,
         max_evals=35, trials=trials, rstate=2, show_progressbar=False)  # fmt: skip
    domain = Domain(lambda p: 0, param)
    dist = domain.compiled.params["p"].distribution
    values = [vals["p"][0] for vals in _vals(trials)]
    assert len(values) == 35
    for value in values:
        if isinstance(dist, (Categorical, RandInt)):
            assert value == int(value) and dist.low <= value < dist.high
        elif isinstance(dist, Uniform):
            low, high = dist.value_bounds()  # the grid stays inside the bounds too
            assert low <= value <= high, (dist.kind, value)
        elif dist.log:
            assert value > 0
        if getattr(dist, "q", None) is not None:
            assert abs(value / dist.q - round(value / dist.q)) < 1e-9, (dist.kind, value)


def test_tunables_pass_through_functools_partial():
    algo = functools.partial(tpe.suggest, n_startup_jobs=5, gamma=0.5, n_EI_candidates=8,
                             prior_weight=0.5, linear_forgetting=10)  # fmt: skip
    trials = Trials()
    fmin(quadratic, {"x": hp.uniform("x", -5, 5)}, algo=algo, max_evals=15, trials=trials,
         rstate=0, show_progressbar=False)  # fmt: skip
    assert len(trials) == 15


def test_in_flight_trials_push_suggestions_away():
    space = {"x": hp.uniform("x", 0, 1)}
    trials = Trials()
    fmin(lambda p: (p["x"] - 0.5) ** 2, space, algo=tpe.suggest, max_evals=40, trials=trials,
         rstate=4, show_progressbar=False)  # fmt: skip
    domain = Domain(lambda p: 0, space)
    docs = tpe.suggest(trials.new_trial_ids(4), domain, trials, seed=11)
    xs = sorted(doc["misc"]["vals"]["x"][0] for doc in docs)
    assert min(np.diff(xs)) > 1e-6


def test_multivariate_tpe_finds_a_correlated_valley():
    # The optimum lies on the line x == y; a joint model sees that, and must at least
    # clearly beat random search with the same seeds.
    space = {"x": hp.uniform("x", -5, 5), "y": hp.uniform("y", -5, 5)}

    def valley(p):
        return (p["x"] - p["y"]) ** 2 * 10 + (p["x"] + p["y"] - 2) ** 2 * 0.1

    results = {}
    for name, algo in (
        ("rand", rand.suggest),
        ("mv", functools.partial(tpe.suggest, multivariate=True)),
    ):
        best = []
        for seed in range(4):
            trials = Trials()
            fmin(valley, space, algo=algo, max_evals=80, trials=trials, rstate=seed,
                 show_progressbar=False)  # fmt: skip
            best.append(min(trials.losses()))
        results[name] = float(np.median(best))
    assert results["mv"] < results["rand"] / 2


def _with_running(n_done, n_running, seed=0):
    """Trials of a 1-d quadratic: ``n_done`` finished, then ``n_running`` still running."""
    from hopt import JOB_STATE_RUNNING

    space = {"x": hp.uniform("x", -5, 5)}
    trials = Trials()
    if n_done:
        fmin(quadratic, space, algo=rand.suggest, max_evals=n_done, trials=trials,
             rstate=seed, show_progressbar=False)  # fmt: skip
    domain = Domain(lambda p: 0, space)
    docs = rand.suggest(trials.new_trial_ids(n_running), domain, trials, seed + 1)
    trials.insert_trial_docs(docs)
    trials.refresh()
    for doc in trials.trials[-n_running:]:
        doc["state"] = JOB_STATE_RUNNING
    trials.refresh()
    return domain, trials


def test_in_flight_trials_count_towards_the_random_start(monkeypatch):
    # 2 results and 8 running: as many suggestions as a sequential run's 10 startup
    # jobs were made, so the model takes over; with no result at all it cannot
    calls = []
    real = suggestion._joint_pick
    monkeypatch.setattr(suggestion, "_joint_pick", lambda *a, **k: calls.append(1) or real(*a, **k))
    domain, trials = _with_running(2, 8)
    tpe.suggest(trials.new_trial_ids(1), domain, trials, seed=3, n_startup_jobs=10)
    assert calls == [1]
    domain, trials = _with_running(1, 8)
    tpe.suggest(trials.new_trial_ids(1), domain, trials, seed=3, n_startup_jobs=10)
    assert calls == [1]  # 9 < 10: still random
    domain, trials = _with_running(0, 12)
    tpe.suggest(trials.new_trial_ids(1), domain, trials, seed=3, n_startup_jobs=10)
    assert calls == [1]  # nothing finished: random


def test_in_flight_trials_weigh_a_tenth_in_their_group():
    domain, trials = _with_running(30, 5)
    from hopt.algos.tpe.history import collect

    history = collect(domain, trials, exclude_tids=set())
    rows = np.arange(len(history.losses))
    weights = suggestion._group_weights(history, rows, forgetting=25)
    plain = suggestion.forgetting_weights(len(rows), 25)
    assert history.pending.sum() == 5
    np.testing.assert_array_equal(weights[~history.pending], plain[~history.pending])
    np.testing.assert_allclose(
        weights[history.pending], suggestion.IN_FLIGHT_WEIGHT * plain[history.pending]
    )
    assert suggestion.IN_FLIGHT_WEIGHT < 1


def test_in_flight_trials_near_the_optimum_do_not_hide_it(monkeypatch):
    # 8 running trials sit around the optimum of a well-explored quadratic; the next
    # suggestions still go near it (a full-weight liar pushed them well away).  The
    # smaller good group while trials are in flight is switched off here: it sends
    # more picks far from all trials (its prior component weighs more)
    from hopt import JOB_STATE_RUNNING

    monkeypatch.setattr(suggestion, "IN_FLIGHT_GREED_PER_LABEL", 0.0)

    space = {"x": hp.uniform("x", -5, 5)}
    near = []
    for seed in range(6):
        trials = Trials()
        fmin(quadratic, space, algo=tpe.suggest, max_evals=60, trials=trials, rstate=seed,
             show_progressbar=False)  # fmt: skip
        domain = Domain(lambda p: 0, space)
        docs = rand.suggest(trials.new_trial_ids(8), domain, trials, seed)
        for k, doc in enumerate(docs):
            doc["misc"]["vals"]["x"] = [1.0 + (k - 3.5) * 0.02]
        trials.insert_trial_docs(docs)
        trials.refresh()
        for doc in trials.trials[-8:]:
            doc["state"] = JOB_STATE_RUNNING
        trials.refresh()
        picks = tpe.suggest(trials.new_trial_ids(4), domain, trials, seed=seed + 100)
        near += [abs(d["misc"]["vals"]["x"][0] - 1.0) for d in picks]
    assert float(np.median(near)) < 0.2


def test_good_group_is_greedier_while_trials_are_in_flight():
    from hopt.algos.tpe.history import collect, split_below

    domain, trials = _with_running(60, 8)
    history = collect(domain, trials, exclude_tids=set())
    gamma = suggestion.good_fraction(0.15, history)
    assert gamma < 0.15
    assert split_below(history.losses, gamma).sum() < split_below(history.losses, 0.15).sum()
    domain, trials = _with_running(60, 1)
    finished = collect(domain, trials, exclude_tids={trials.trials[-1]["tid"]})
    assert finished.pending.sum() == 0
    assert suggestion.good_fraction(0.15, finished) == 0.15


def put_eight_in_flight(trials, domain):
    """Eight more random trials, stored and marked RUNNING (as workers would have them)."""
    from hopt import JOB_STATE_RUNNING

    trials.insert_trial_docs(rand.suggest(trials.new_trial_ids(8), domain, trials, 1))
    trials.refresh()
    for doc in trials.trials[-8:]:
        doc["state"] = JOB_STATE_RUNNING
    trials.refresh()


def test_good_group_is_greedier_in_flight_the_more_labels_the_space_has():
    # with 8 running, 2 labels keep a larger share of good trials than 20 labels
    from hopt.algos.tpe.history import collect

    fractions = {}
    for d in (2, 20, 40):
        space = {f"x{i}": hp.uniform(f"x{i}", -5, 5) for i in range(d)}
        trials = Trials()
        fmin(lambda p: sum(v * v for v in p.values()), space, algo=rand.suggest,
             max_evals=30, trials=trials, rstate=0, show_progressbar=False)  # fmt: skip
        domain = Domain(lambda p: 0, space)
        put_eight_in_flight(trials, domain)
        fractions[d] = suggestion.good_fraction(0.15, collect(domain, trials, exclude_tids=set()))
    greed = suggestion.IN_FLIGHT_GREED_PER_LABEL
    assert fractions[2] == pytest.approx(0.15 / (1 + greed * 2 * 8))
    assert fractions[20] == pytest.approx(0.15 / (1 + greed * 20 * 8))
    assert fractions[20] < fractions[2] < 0.15
    # past the most labels measured (20), no greedier: 0.15 / 5, not 1 good trial in 100
    assert suggestion.IN_FLIGHT_GREED_MAX_LABELS == 20
    assert fractions[40] == fractions[20]


def test_branch_choice_uses_the_same_smaller_good_group_while_trials_are_in_flight(monkeypatch):
    space = hp.choice("arm", [{"a": hp.uniform("a", 0, 1)}, {"b": hp.uniform("b", 0, 1)}])
    trials = Trials()
    fmin(lambda p: p.get("a", 0.5) + p.get("b", 0.7), space, algo=tpe.suggest, max_evals=40,
         trials=trials, rstate=0, show_progressbar=False)  # fmt: skip
    domain = Domain(lambda p: 0, space)
    put_eight_in_flight(trials, domain)
    seen = []
    real = suggestion.split_below
    monkeypatch.setattr(
        suggestion,
        "split_below",
        lambda losses, g, **kwargs: seen.append(g) or real(losses, g, **kwargs),
    )
    tpe.suggest(trials.new_trial_ids(1), domain, trials, seed=5)
    assert len(seen) == 2  # the branch choice, then the model in that branch
    assert all(g < 0.15 for g in seen)


def test_in_flight_trials_are_believed_to_score_like_their_nearest_finished_trial():
    from hopt.algos.tpe.history import collect

    domain, trials = _with_running(30, 5)
    history = collect(domain, trials, exclude_tids=set())
    believed = suggestion.believed(domain.compiled, history)
    x = history.matrix[0]
    done = np.flatnonzero(~history.pending)
    for row in np.flatnonzero(history.pending):
        nearest = done[np.argmin(np.abs(x[done] - x[row]))]
        assert believed.losses[row] == history.losses[nearest]
    np.testing.assert_array_equal(believed.losses[done], history.losses[done])
    np.testing.assert_array_equal(believed.pending, history.pending)
    # with nothing in flight the history is left as it is
    finished = collect(domain, trials, exclude_tids={d["tid"] for d in trials.trials[-5:]})
    assert suggestion.believed(domain.compiled, finished) is finished
    # nor before 4 trials per in-flight one have finished: 30 results, 8 running
    domain, trials = _with_running(30, 8)
    early = collect(domain, trials, exclude_tids=set())
    assert suggestion.believed(domain.compiled, early) is early
    domain, trials = _with_running(32, 8)
    believed = suggestion.believed(domain.compiled, collect(domain, trials, exclude_tids=set()))
    assert np.isfinite(believed.losses).all()


def test_in_flight_trial_next_to_the_best_joins_the_good_group():
    # a trial running right next to the best finished one is believed good, so the
    # next picks also draw around it; one running far off counts as bad
    from hopt import JOB_STATE_RUNNING
    from hopt.algos.tpe.history import collect, split_below

    space = {"x": hp.uniform("x", -5, 5)}
    trials = Trials()
    fmin(quadratic, space, algo=rand.suggest, max_evals=40, trials=trials, rstate=2,
         show_progressbar=False)  # fmt: skip
    best_x = trials.best_trial["misc"]["vals"]["x"][0]
    domain = Domain(lambda p: 0, space)
    docs = rand.suggest(trials.new_trial_ids(2), domain, trials, 3)
    docs[0]["misc"]["vals"]["x"] = [best_x + 1e-3]
    docs[1]["misc"]["vals"]["x"] = [-5.0 if best_x > 0 else 5.0]
    trials.insert_trial_docs(docs)
    trials.refresh()
    for doc in trials.trials[-2:]:
        doc["state"] = JOB_STATE_RUNNING
    trials.refresh()
    history = suggestion.believed(domain.compiled, collect(domain, trials, exclude_tids=set()))
    below = split_below(history.losses, suggestion.good_fraction(0.15, history))
    assert below[-2] and not below[-1]


def test_fewer_candidates_while_trials_are_in_flight(monkeypatch):
    seen = []
    real = suggestion._joint_pick
    monkeypatch.setattr(
        suggestion, "_joint_pick", lambda *a, **k: seen.append(a[4]) or real(*a, **k)
    )
    domain, trials = _with_running(30, 8)
    tpe.suggest(trials.new_trial_ids(1), domain, trials, seed=3)
    assert seen == [12]  # 24 / (1 + 8 / 8)
    # the only running trial is the one asked for: nothing else in flight
    domain, trials = _with_running(30, 1)
    tpe.suggest([trials.trials[-1]["tid"]], domain, trials, seed=3)
    assert seen == [12, 24]


def test_in_flight_settings_leave_sequential_runs_unchanged(monkeypatch):
    # nothing is ever in flight in a sequential fmin: whatever the in-flight
    # settings, the same seed gives the same trials
    space = {"x": hp.uniform("x", -5, 5), "c": hp.choice("c", ["a", "b", "c"])}

    def run():
        trials = Trials()
        fmin(lambda p: quadratic(p) + (p["c"] != "b"), space, algo=tpe.suggest,
             max_evals=40, trials=trials, rstate=7, show_progressbar=False)  # fmt: skip
        return _vals(trials)

    before = run()
    monkeypatch.setattr(suggestion, "IN_FLIGHT_WEIGHT", 0.9)
    monkeypatch.setattr(suggestion, "IN_FLIGHT_GREED_PER_LABEL", 2.0)
    monkeypatch.setattr(suggestion, "IN_FLIGHT_NARROWING", 3.0)
    monkeypatch.setattr(suggestion, "believed", lambda compiled, history: history)
    assert run() == before


@pytest.mark.parametrize(
    ("tunables", "message"),
    [
        ({"gamma": 1.0}, r"gamma must be a number in \(0, 1\).*Hyperopt's gamma"),
        ({"gamma": 0}, r"gamma must be a number in \(0, 1\)"),
        (
            {"prior_weight": -1},
            "prior_weight must be a positive finite number; got prior_weight=-1",
        ),
        ({"prior_weight": float("inf")}, "prior_weight must be finite; got prior_weight=inf"),
        ({"n_EI_candidates": 0}, "n_EI_candidates must be an int >= 1"),
        ({"n_startup_jobs": -2}, "n_startup_jobs must be an int >= 0"),
        ({"linear_forgetting": -5}, "linear_forgetting must be an int >= 0"),
    ],
)
def test_bad_tunables_are_refused_by_name(tunables, message):
    algo = functools.partial(tpe.suggest, **tunables)
    with pytest.raises(InvalidArgumentError, match=message):
        fmin(lambda x: x, hp.uniform("x", 0, 1), algo=algo, max_evals=12, rstate=0,
             show_progressbar=False)  # fmt: skip


def test_tunables_accepted_once_are_still_refused_in_a_look_alike_type():
    # accepted values are remembered so fmin's calls skip the checks; True hashes
    # like 1 and 0.0 like 0, but they are other values here and must be refused
    domain = Domain(lambda x: x, hp.uniform("x", 0, 1))
    trials = Trials()
    tpe.suggest([0], domain, trials, 0, n_startup_jobs=1, n_EI_candidates=1)
    tpe.suggest([0], domain, trials, 0, n_startup_jobs=1, n_EI_candidates=1)  # remembered
    with pytest.raises(InvalidArgumentError, match="n_startup_jobs must be an int >= 0"):
        tpe.suggest([0], domain, trials, 0, n_startup_jobs=True, n_EI_candidates=1)
    with pytest.raises(InvalidArgumentError, match="n_EI_candidates must be an int >= 1"):
        tpe.suggest([0], domain, trials, 0, n_startup_jobs=1, n_EI_candidates=1.0)
    with pytest.raises(InvalidArgumentError, match="prior_weight must be"):
        tpe.suggest([0], domain, trials, 0, prior_weight=[1.0])  # unhashable: checked


def test_no_ids_give_no_trials():
    domain = Domain(lambda x: x, hp.uniform("x", 0, 1))
    assert tpe.suggest([], domain, Trials(), 0) == []


def test_an_exact_objective_is_not_asked_the_same_thing_twice_but_a_noisy_one_is():
    space = {"i": hp.randint("i", 4), "j": hp.randint("j", 5), "k": hp.randint("k", 6)}

    def bowl(p):
        return float((p["i"] - 2) ** 2 + (p["j"] - 1) ** 2 + (p["k"] - 4) ** 2)

    def distinct(objective):
        trials = Trials()
        fmin(objective, space, algo=tpe.suggest, max_evals=100, trials=trials, rstate=3,
             show_progressbar=False)  # fmt: skip
        return len(set(_config_keys(trials)))

    noise = np.random.default_rng(0)
    # the first repeat comes back with the same loss: from then on new points first
    assert distinct(bowl) >= 95
    # a noisy objective: repeating the good configurations is information
    assert distinct(lambda p: bowl(p) + noise.normal(0, 1.0)) < 80


def _rows_history(losses, steps=None, values=None):
    from hopt.algos.tpe.history import History, PrunedRows, SeenConfigs

    losses = np.asarray(losses, dtype=float)
    n = len(losses)
    pruned = None
    if steps is not None:
        steps = np.asarray(steps, dtype=float)
        pruned = PrunedRows(
            steps, np.asarray(values, dtype=float), np.where(steps == steps, 0.5, np.nan)
        )
    matrix = np.zeros((1, n))
    return History(["x"], losses, np.zeros(n, bool), matrix, SeenConfigs(set(), set()), pruned)


def test_good_trials_weigh_by_rank_the_best_most():
    history = _rows_history([0.3, 0.1, 0.2, 0.4])
    rows = np.arange(4)
    weights = suggestion.good_rank_weights(history, rows)
    # best (row 1), then rows 2, 0, 3: in proportion to 1, (3/4)^p, (2/4)^p, (1/4)^p
    power = suggestion.GOOD_RANK_POWER
    shape = np.array([(2 / 4) ** power, 1.0, (3 / 4) ** power, (1 / 4) ** power])
    np.testing.assert_allclose(weights, shape * 4 / shape.sum())
    # the group keeps the total weight of flat weights: the prior keeps its share
    assert weights.sum() == pytest.approx(4.0)
    # a subset is ranked within itself
    pair = suggestion.good_rank_weights(history, np.array([0, 3]))
    np.testing.assert_allclose(pair, np.array([1.0, 0.5**power]) * 2 / (1 + 0.5**power))
    assert suggestion.good_rank_weights(history, np.array([2])).tolist() == [1.0]


def test_pruned_good_trials_rank_after_completed_ones_furthest_first():
    nan = np.nan
    # rows 0, 2 completed; row 1 pruned at step 5, row 3 pruned at step 9 (a worse value)
    history = _rows_history(
        [0.5, np.inf, 0.6, np.inf], steps=[nan, 5, nan, 9], values=[nan, 0.1, nan, 0.9]
    )
    weights = suggestion.good_rank_weights(history, np.arange(4))
    order = np.argsort(-weights, kind="stable")
    assert order.tolist() == [0, 2, 3, 1]


def test_rank_weights_change_single_objective_picks_only():
    # the same history and seed give other picks with flat weights (one objective);
    # with several objectives the front's weights stay flat (the switch changes nothing)
    space = {"x": hp.uniform("x", 0, 1), "y": hp.uniform("y", 0, 1)}
    picks = {}
    for several in (False, True):
        trials = Trials()

        def objective(p, several=several):
            loss = (p["x"] - 0.3) ** 2 + (p["y"] - 0.6) ** 2
            return [loss, (p["x"] - 0.7) ** 2] if several else loss

        fmin(
            objective,
            space,
            algo=rand.suggest,
            max_evals=40,
            trials=trials,
            rstate=np.random.default_rng(0),
            show_progressbar=False,
        )
        domain = Domain(objective, space)
        for flat in (False, True):
            power = 0.0 if flat else suggestion.GOOD_RANK_POWER
            with pytest.MonkeyPatch.context() as mp:
                mp.setattr(suggestion, "GOOD_RANK_POWER", power)
                docs = tpe.suggest(trials.new_trial_ids(4), domain, trials, seed=5)
            picks[several, flat] = [d["misc"]["vals"]["x"][0] for d in docs]
    assert picks[False, False] != picks[False, True]
    assert picks[True, False] == picks[True, True]
