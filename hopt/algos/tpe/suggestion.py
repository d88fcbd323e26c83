"""Tree-structured Parzen Estimator suggestions.

For each label, fit one density to the good trials (``below``) and one to the
rest (``above``, which also holds failed trials).  Completed trials rank first,
pruned ones after them (``split_below``).  Whole candidate
configurations are drawn from the good densities, scored by the sum over their
active labels of ``log l(x) - log g(x)``, and the best one that is not an exact
repeat of a known configuration wins.  Several ids per call are filled one
after another, each new pick joining the in-flight set.

A trial in flight is believed to score what its nearest finished trial scored
(once enough trials have finished): it joins the good or the bad group by that
loss, at a tenth of a trial's weight (see ``believed``), so parallel workers
neither crowd onto points already being evaluated nor lose the good region.
With trials in flight the good group is also smaller and fewer candidates are
drawn (``good_fraction``, ``candidates_in_flight``).  A sequential run never
has a trial in flight.
"""

from __future__ import annotations

import functools
import weakref
from collections.abc import Callable, Sequence
from typing import TYPE_CHECKING

import numpy as np

from ..._types import TrialDoc
from ..._validate import check_int, check_number, check_positive_number
from ...exceptions import InvalidArgumentError
from ..documents import docs_from_columns
from .history import History, PrunedRows, collect, split_below
from .joint import JointParzen, count_per_row, layout_of
from .kernels import draw_index
from .parzen import even_spacing, forgetting_weights, make_parzen

if TYPE_CHECKING:  # annotations only: no import at run time
    from ...domain import Domain
    from ...trials.base import Trials

DEFAULTS: dict[str, float | str | None] = {
    "prior_weight": 1.0,
    "n_startup_jobs": 10,
    "n_EI_candidates": 24,
    "gamma": 0.15,
    "linear_forgetting": 25,
    "multivariate": None,
    "pruned_count": "progress",
}

#: how a pruned trial counts in the good group's n: the fraction of a full run it
#: trained, or one whole trial (Optuna's rule)
PRUNED_COUNTS = ("progress", "whole")


def suggest(
    new_ids: Sequence[int],
    domain: Domain,
    trials: Trials,
    seed: int,
    prior_weight: float = 1.0,
    n_startup_jobs: int = 10,
    n_EI_candidates: int = 24,
    gamma: float = 0.15,
    linear_forgetting: int = 25,
    multivariate: bool | None = None,
    pruned_count: str = "progress",
    verbose: bool = False,
) -> list[TrialDoc]:
    """Suggest ``len(new_ids)`` trials with TPE (Hyperopt's signature and tunables).

    ``gamma`` is the fraction of finished trials in the good group (at most 25);
    ``multivariate=True`` models all labels jointly (see ``joint.py``), ``False`` each
    label alone; the default (``None``) models jointly with one objective and per
    label with several (on the joint model's kernels), where drawing each label
    from a different good trial recombines the front (docs/multi-objective.md).  Pruned trials rank after completed ones;
    ``pruned_count`` says how much each counts in the good group's size: the fraction
    of a full run it trained (``"progress"``) or one trial (``"whole"``, Optuna's rule).
    Defaults come from benchmarks/ (docs/algorithms.md).
    """
    _check_tunables(n_startup_jobs, n_EI_candidates, gamma, prior_weight, linear_forgetting)
    if pruned_count not in PRUNED_COUNTS:
        _refuse_pruned_count(pruned_count)
    if len(new_ids) == 0:
        return []
    rng = np.random.default_rng(seed)
    compiled = domain.compiled
    history = collect(domain, trials, exclude_tids=set(new_ids))
    pick: Callable[..., tuple]
    if multivariate is None:  # several objectives: per-label scores on the joint kernels
        pick = functools.partial(_joint_pick, factorized=True) if history.several else _joint_pick
    else:
        pick = _joint_pick if multivariate else _tpe_pick
    # (later Histories do not carry these flags: they are read here, once)
    pick = functools.partial(pick, exact=history.exact, rank_weighted=not history.several)
    if pruned_count == "whole" and history.pruned is not None:
        history = History(
            history.labels,
            history.losses,
            history.pending,
            history.matrix,
            history.configs,
            history.pruned.counted_whole(),
        )
    picks = []  # per id, (values, masks): one-row columns per label
    for i in range(len(new_ids)):
        if _starting(history, n_startup_jobs):
            values, masks = _random_unseen(compiled, rng, history)
        else:
            n_candidates = candidates_in_flight(n_EI_candidates, history)
            values, masks = pick(
                compiled, rng, history, prior_weight, n_candidates, gamma, linear_forgetting
            )
        picks.append((values, masks))
        if i + 1 < len(new_ids):  # the next pick treats this one as in flight
            history = _add_pending(history, values, masks, compiled.row_key(values, masks, 0))
    if len(picks) == 1:
        columns, active = picks[0]
    else:
        columns = {label: np.concatenate([v[label] for v, _ in picks]) for label in compiled.params}
        active = {label: np.concatenate([m[label] for _, m in picks]) for label in compiled.params}
    return docs_from_columns(new_ids, domain, trials, columns, active)


def _check_tunables(n_startup_jobs, n_EI_candidates, gamma, prior_weight, linear_forgetting):
    """Clear errors for tunables that would make TPE fail deep inside, or quietly not work.

    Each set of values is checked once: fmin passes the same ones on every call, and
    the checks cost 2% of a suggestion.  Values are told apart by type too (``1`` and
    ``True`` hash alike, but ``True`` is refused).
    """
    values = (n_startup_jobs, n_EI_candidates, gamma, prior_weight, linear_forgetting)
    try:
        key = tuple((type(v), v) for v in values)
        if key in _accepted_tunables:
            return
    except TypeError:  # an unhashable value: checked (and refused) below
        key = None
    _validate_tunables(*values)
    if key is not None:
        if len(_accepted_tunables) >= 64:
            _accepted_tunables.clear()
        _accepted_tunables.add(key)


#: tunable sets that passed ``_validate_tunables``, as (type, value) pairs
_accepted_tunables: set = set()


def _validate_tunables(n_startup_jobs, n_EI_candidates, gamma, prior_weight, linear_forgetting):
    where = "tpe.suggest"
    check_int(n_startup_jobs, "n_startup_jobs", where, minimum=0)
    check_int(n_EI_candidates, "n_EI_candidates", where, minimum=1)
    check_int(linear_forgetting, "linear_forgetting", where, minimum=0)
    check_number(
        gamma,
        "gamma",
        where,
        low=0,
        high=1,
        low_open=True,
        high_open=True,
        fix="gamma is the fraction of finished trials in the good group (default 0.15); "
        "Hyperopt's gamma multiplied sqrt(n) instead (its 0.25 meant about 3 of 100 trials).",
    )
    check_positive_number(prior_weight, "prior_weight", where, allow_inf=False)


def _refuse_pruned_count(pruned_count) -> None:
    raise InvalidArgumentError(
        f"tpe.suggest: pruned_count must be one of {list(PRUNED_COUNTS)}; got "
        f"pruned_count={pruned_count!r}. 'progress' (the default) counts a pruned trial "
        "as the fraction of a full run it trained, 'whole' as one trial."
    )


#: weight of an in-flight trial in its group (good or bad), relative to a finished one
IN_FLIGHT_WEIGHT = 0.1
#: with n trials in flight in a space of d labels, the good group is
#: ``gamma / (1 + IN_FLIGHT_GREED_PER_LABEL * d * n)``
IN_FLIGHT_GREED_PER_LABEL = 0.025
#: spaces with more labels are treated as having this many: 20 is the most measured,
#: and the rule unbounded would leave 1 good trial in 100 with 8 in flight at 100 labels
IN_FLIGHT_GREED_MAX_LABELS = 20


def good_fraction(gamma: float, history: History) -> float:
    """``gamma``, smaller while trials are in flight, the more so the more labels.

    With 8 in flight and ``gamma=0.15``: 0.11 for 2 labels, 0.068 for 6, 0.03 for
    20 or more.  Fewer good trials make each good kernel and the good mixture's prior
    component weigh more, so picks both stay closer to the very best trials and
    more often go far from all trials.  In few dimensions the picks made around
    the same few good trials crowd each other, so there the group stays larger; in
    many, they hardly meet, and a greedier group paid off (20 labels).  With 8 in
    flight this cut the regret after 100 evaluations (docs/algorithms.md).  With
    nothing in flight (a sequential run) it is ``gamma``.
    """
    n_pending = history.n_pending
    if not n_pending:
        return gamma
    greed = IN_FLIGHT_GREED_PER_LABEL * min(len(history.labels), IN_FLIGHT_GREED_MAX_LABELS)
    return gamma / (1.0 + greed * n_pending)


#: with n trials in flight, ``n_EI_candidates / (1 + IN_FLIGHT_NARROWING * n)`` candidates
IN_FLIGHT_NARROWING = 0.125


def candidates_in_flight(n_candidates: int, history: History) -> int:
    """``n_candidates``, fewer while trials are in flight (half of them with 8).

    The best of fewer candidates is a less certain pick, so the picks made while
    earlier ones are still running differ more from each other: a cheap kind of
    Thompson sampling.  With nothing in flight it is ``n_candidates``.
    """
    n_pending = history.n_pending
    if not n_pending:
        return n_candidates
    return max(1, int(round(n_candidates / (1.0 + IN_FLIGHT_NARROWING * n_pending))))


#: in-flight trials are believed once this many trials per in-flight one have finished
FINISHED_PER_BELIEF = 4


def believed(compiled, history: History) -> History:
    """The history with each in-flight trial given the loss of its nearest finished trial.

    In-flight trials then rank among finished ones for the good/bad split (and
    weigh ``IN_FLIGHT_WEIGHT`` in their group): one drawn next to a good trial is
    believed good, so the next picks also look around it, as they would once its
    result is back in a sequential run; one drawn elsewhere lightly marks its
    region as bad.  Distances count each numeric label in prior widths (in the
    space the kernels live in: log for log priors) and each categorical label,
    or a label active in only one of two trials, as 1 when they differ.

    Only once ``FINISHED_PER_BELIEF`` trials per in-flight one have finished (32
    with 8 in flight): among fewer, the nearest finished trial says little, and
    believing it made the early picks worse.  Until then, and with nothing in
    flight, the history is returned unchanged: in-flight trials have no loss, so
    they go to the bad group (a light constant liar).
    """
    if history.n_pending == 0 or history.n_ok < FINISHED_PER_BELIEF * history.n_pending:
        return history  # (the counts are cached: a sequential run pays nothing here)
    pending = np.flatnonzero(history.pending)
    finished = np.flatnonzero(np.isfinite(history.losses))
    distances = _distances(compiled, history.matrix, pending, finished)
    losses = np.array(history.losses, dtype=float)
    losses[pending] = losses[finished[np.argmin(distances, axis=1)]]
    return History(
        history.labels, losses, history.pending, history.matrix, history.configs, history.pruned
    )


def _distances(compiled, matrix: np.ndarray, a: np.ndarray, b: np.ndarray) -> np.ndarray:
    """(len(a), len(b)): distances between history columns ``a`` and ``b`` (see ``believed``)."""
    layout = layout_of(compiled)
    x = np.array(matrix[:, np.concatenate([a, b])], dtype=float)
    numeric = layout.rows.to_model(x[layout.numeric])
    x[layout.numeric] = numeric / layout.rows.prior_sigma[:, None]
    left, right = x[:, : len(a), None], x[:, None, len(a) :]
    with np.errstate(invalid="ignore"):  # nan - nan where a label is inactive in both
        gaps = np.abs(left - right)
    for i in layout.tables:
        gaps[i] = left[i] != right[i]
    left_off, right_off = np.isnan(left), np.isnan(right)
    gaps = np.where(left_off | right_off, np.where(left_off & right_off, 0.0, 1.0), gaps)
    return np.sqrt((gaps**2).sum(axis=0))


def _starting(history: History, n_startup_jobs: int) -> bool:
    """Still in the random start: fewer than ``n_startup_jobs`` trials finished or in flight.

    Finished means completed or pruned: both are ranked.  In-flight trials count,
    so the model takes over after as many suggestions as in a sequential run; with
    8 workers, waiting for 10 results meant 18 random draws.  At least one
    finished trial is needed.
    """
    n_finished = history.n_ok if history.pruned is None else history.n_ranked
    return n_finished == 0 or n_finished + history.n_pending < n_startup_jobs


def _group_weights(history: History, rows: np.ndarray, forgetting: int) -> np.ndarray:
    """Forgetting weights of a group's rows, in-flight rows at IN_FLIGHT_WEIGHT."""
    weights = forgetting_weights(len(rows), forgetting)
    if not history.n_pending:  # a sequential run: nothing to look up
        return weights
    flying = history.pending[rows]
    if flying.any():
        weights = np.where(flying, weights * IN_FLIGHT_WEIGHT, weights)
    return weights


#: a good trial's weight is in proportion to ``((n - rank) / n) ** GOOD_RANK_POWER`` (times
#: its forgetting weight), ``rank`` 0 for the best of the ``n`` good trials
GOOD_RANK_POWER = 2.0


def good_rank_weights(history: History, rows: np.ndarray) -> np.ndarray:
    """Weights that favour the better of the good trials ``rows``: in proportion to
    ``((n - rank) / n) ** GOOD_RANK_POWER`` (rank 0 the best of ``n``), scaled to sum to
    ``n`` as flat weights do.

    With every good trial weighing the same, as many candidates are drawn around
    the 25th best trial as around the best, and late in a search the picks
    wander between the good trials instead of refining the best.  Weighting by
    rank (the order ``split_below`` ranks in: completed trials by loss, then
    pruned ones, the furthest first, then by their value there) halved the
    median regret on hartmann6 and rosenbrock5 after 200 trials and took more
    hartmann6 runs to the global basin (docs/algorithms.md, "Rank weights").
    With several objectives the good trials are a front whose spread matters,
    so ``suggest`` leaves their weights flat there.
    """
    n = len(rows)
    if n < 2:
        return np.ones(n)
    losses = history.losses[rows]
    completed = np.isfinite(losses)
    by_loss = np.where(completed, losses, np.inf)
    if history.pruned is None or completed.all():
        order = np.argsort(by_loss, kind="stable")
    else:  # np.lexsort: the last key is the first compared
        steps = np.nan_to_num(history.pruned.steps[rows], nan=-np.inf)
        order = np.lexsort((history.pruned.values[rows], -steps, by_loss, ~completed))
    ranks = np.empty(n)
    ranks[order] = np.arange(n)
    weights = ((n - ranks) / n) ** GOOD_RANK_POWER
    # the group keeps its total weight (n), so the prior component keeps its share: with
    # the total shrunk to about n / 3, the prior's larger share sent a 4-way choice's
    # picks to its bad options twice as often (17% of trials against 11%)
    weights *= n / weights.sum()
    return weights


def _first_unseen(compiled, values, masks, order, history: History) -> int | None:
    """The first row in ``order`` that repeats no known configuration, if any."""
    for row in order:
        if compiled.row_key(values, masks, row) not in history.configs:
            return int(row)
    return None


def _random_unseen(compiled, rng, history: History, tries: int = 16):
    """A prior draw that repeats no known configuration, when one turns up quickly."""
    values, masks = compiled.sample(rng, tries)
    row = _first_unseen(compiled, values, masks, range(tries), history)
    if row is None:
        if tries < 1024:  # a small discrete space nearly exhausted: look harder
            return _random_unseen(compiled, rng, history, tries=tries * 8)
        row = 0
    return _take(values, masks, row)


#: an unseen candidate is preferred to a better-scoring repeat while its score is within
#: this much (log density ratio) of the repeat's
UNSEEN_MARGIN = 1.0


def _best_unseen(
    compiled, rng, history: History, values, masks, scores: np.ndarray, rescore, exact=False
):
    """The best-scoring candidate, preferring a new configuration while the model rates
    one about as high (``UNSEEN_MARGIN``) as the best, which repeats a known one.

    When every candidate repeats a known configuration, new ones are looked for
    among prior draws and scored by the model (``rescore(values, masks)``) the same
    way.  Once a small discrete space is covered the model's own ranking decides,
    repeats included: a repeat of the best configuration is information when the
    objective is noisy (cross-validation, seeds), and the blind prior draw this
    made before threw the model away just when it knew the most.  Once repeated
    configurations have come back with exactly the loss they had (``exact``, from
    ``History.exact``),
    any new configuration is preferred to a repeat.
    """
    order = (-scores).argsort(kind="stable")
    best = int(order[0])
    if compiled.row_key(values, masks, best) not in history.configs:
        return _take(values, masks, best)
    # an objective seen to give the same loss again gains nothing from a repeat
    bar = -np.inf if exact else scores[best] - UNSEEN_MARGIN
    row = _first_unseen(compiled, values, masks, order[1:], history)
    if row is not None:
        return _take(values, masks, row if scores[row] >= bar else best)
    drawn = _unseen_draws(compiled, rng, history)
    if drawn is not None:
        new_values, new_masks, rows = drawn
        new_scores = rescore(new_values, new_masks)[rows]
        if new_scores.max() >= bar:
            return _take(new_values, new_masks, int(rows[new_scores.argmax()]))
    return _take(values, masks, best)


def _unseen_draws(compiled, rng, history: History, tries: int = 64):
    """(values, masks, rows): prior draws and the rows of them that are new; None when
    none is (a space nearly covered: up to 512 draws are looked at)."""
    while True:
        values, masks = compiled.sample(rng, tries)
        rows = [
            row
            for row in range(tries)
            if compiled.row_key(values, masks, row) not in history.configs
        ]
        if rows:
            return values, masks, np.array(rows)
        if tries >= 512:
            return None
        tries *= 8


def _take(values: dict, masks: dict, row: int):
    return (
        {label: col[row : row + 1] for label, col in values.items()},
        {label: m[row : row + 1] for label, m in masks.items()},
    )


#: share of branch draws that follow the prior instead of the good trials' branches
BRANCH_PRIOR_SHARE = 0.5


def gating_label(compiled) -> str | None:
    """The first always-active choice that switches other labels on and off, if any."""
    try:
        return _gating_labels[compiled]
    except (KeyError, TypeError):
        pass
    label = None
    if compiled.exact:
        selectors = {route[0] for p in compiled.params.values() for route in p.routes if route}
        label = next(
            (lb for lb, p in compiled.params.items() if lb in selectors and p.always_active),
            None,
        )
    try:
        _gating_labels[compiled] = label
    except TypeError:  # not weak-referenceable: worked out on every call
        pass
    return label


#: gating label per compiled space (a space is compiled once and never changes)
_gating_labels: weakref.WeakKeyDictionary = weakref.WeakKeyDictionary()


def branch_probabilities(options: np.ndarray, below: np.ndarray, prior, prior_weight: float):
    """Each branch's chance: the good trials' branch counts with prior pseudo-counts,
    mixed with the prior itself (``BRANCH_PRIOR_SHARE``), so no branch starves."""
    prior = np.asarray(prior, dtype=float)
    good = options[below]
    good = good[good == good].astype(np.intp)  # not nan: the label was active
    counts = np.bincount(good, minlength=len(prior)) + prior_weight * len(prior) * prior
    p = (1.0 - BRANCH_PRIOR_SHARE) * counts / counts.sum() + BRANCH_PRIOR_SHARE * prior
    return p / p.sum()


def _in_branch(compiled, rng, history: History, prior_weight, gamma):
    """(label, option, history of that branch's trials), or (None, None, history).

    In a space that starts with a choice of branches, the branch is drawn first
    (``branch_probabilities``) and TPE then looks only at the trials of that branch,
    good and bad split among them: a branch whose trials are all worse than
    another branch's best still has its better and worse regions told apart.
    """
    label = gating_label(compiled)
    if label is None:
        return None, None, history
    options = history.matrix[history.labels.index(label)]
    prior = compiled.params[label].distribution.probabilities
    below = split_below(history.losses, good_fraction(gamma, history), pruned=history.pruned)
    p = branch_probabilities(options, below, prior, prior_weight)
    option = int(draw_index(rng, p))  # rng.choice(len(p), p=p), without its checks
    rows = (options == option).nonzero()[0]
    sub = History(
        history.labels,
        history.losses[rows],
        history.pending[rows],
        history.matrix.take(rows, axis=1),  # take: faster than [:, rows]
        history.configs,
        None if history.pruned is None else history.pruned.take(rows),
    )
    return label, option, sub


def _set_branch(compiled, values, n, label, option):
    """Candidates put in the drawn branch, and their active masks."""
    if label is not None:
        values[label] = np.full(n, option, dtype=np.asarray(values[label]).dtype)
    return compiled.active_masks(values, n)


def _tpe_pick(
    compiled,
    rng,
    history: History,
    prior_weight,
    n_candidates,
    gamma,
    forgetting,
    exact=False,
    rank_weighted=True,
):
    history = believed(compiled, history)
    branch_label, option, history = _in_branch(compiled, rng, history, prior_weight, gamma)
    below = split_below(history.losses, good_fraction(gamma, history), pruned=history.pruned)
    above = ~below
    # each good trial's rank weight, by row (see good_rank_weights)
    good_all = np.flatnonzero(below)
    rank_weight = np.ones(len(below))
    if rank_weighted:
        rank_weight[good_all] = good_rank_weights(history, good_all)
    # Candidates: each label drawn from its "below" density.
    models = {}
    cand_values: dict[str, np.ndarray] = {}
    for label, param in compiled.params.items():
        active = history.active[label]
        good_rows = np.flatnonzero(active & below)
        good = history.values[label][good_rows]
        bad_rows = np.flatnonzero(active & above)
        bad = history.values[label][bad_rows]
        good_weights = _group_weights(history, good_rows, forgetting) * rank_weight[good_rows]
        good_model = make_parzen(param.distribution, good, good_weights, prior_weight)
        bad_model = make_parzen(
            param.distribution, bad, _group_weights(history, bad_rows, forgetting), prior_weight
        )
        models[label] = (good_model, bad_model)
        cand_values[label] = good_model.sample(rng, n_candidates)
    cand_masks = _set_branch(compiled, cand_values, n_candidates, branch_label, option)

    def rescore(values: dict, masks: dict) -> np.ndarray:
        """Sum over each configuration's active labels of log l(x) - log g(x)."""
        out = np.zeros(len(next(iter(values.values()))))
        for label, (good_model, bad_model) in models.items():
            mask = masks[label]
            if mask.any():
                x = values[label][mask]
                out[mask] += good_model.log_pdf(x) - bad_model.log_pdf(x)
        return out

    scores = rescore(cand_values, cand_masks)
    return _best_unseen(compiled, rng, history, cand_values, cand_masks, scores, rescore, exact)


def _joint_pick(
    compiled,
    rng,
    history: History,
    prior_weight,
    n_candidates,
    gamma,
    forgetting,
    factorized=False,
    exact=False,
    rank_weighted=True,
):
    """The joint model's pick; ``factorized``: each label of a candidate drawn from its
    own good trial and scored by each label's own mixture (the per-label model, on
    the joint model's kernels), which recombines the trials of a Pareto front.
    ``exact``: the objective was seen to repeat its losses (see ``_best_unseen``);
    ``rank_weighted``: the good trials weigh by rank (see ``good_rank_weights``)."""
    history = believed(compiled, history)
    branch_label, option, history = _in_branch(compiled, rng, history, prior_weight, gamma)
    below = split_below(history.losses, good_fraction(gamma, history), pruned=history.pruned)
    layout = layout_of(compiled)
    good_rows, bad_rows = below.nonzero()[0], (~below).nonzero()[0]
    groups = []
    good_weights = _group_weights(history, good_rows, forgetting)
    if rank_weighted:
        good_weights *= good_rank_weights(history, good_rows)
    for rows, weights in (
        (good_rows, good_weights),
        (bad_rows, _group_weights(history, bad_rows, forgetting)),
    ):
        rows, weights = _thin_components(rows, weights)
        groups.append((history.matrix.take(rows, axis=1), weights))
    # the good group holds at most 25 trials: were its narrowest kernel set by its own
    # count, kernels would never get narrower than 1/26 of the range, however long the
    # search; it is set by the count of all observations of each label instead
    n_observed = observed_per_label(history.matrix)
    # the good and the bad mixture
    model = JointParzen(layout, groups, prior_weight, clip_counts=[n_observed, None])
    cand_values = model.sample(rng, n_candidates, group=0, recombine=factorized)
    cand_masks = _set_branch(compiled, cand_values, n_candidates, branch_label, option)
    score = model.log_pdf_by_label if factorized else model.log_pdf

    def rescore(values: dict, masks: dict) -> np.ndarray:
        good, bad = score(values, masks)
        return good - bad

    scores = rescore(cand_values, cand_masks)
    return _best_unseen(compiled, rng, history, cand_values, cand_masks, scores, rescore, exact)


def observed_per_label(matrix: np.ndarray) -> np.ndarray:
    """Non-nan values per row of ``matrix`` (labels, trials): ``matrix == matrix`` is
    False exactly at nan."""
    return count_per_row(matrix == matrix)


#: most product kernels in one joint estimator; past it, older trials are thinned
MAX_JOINT_COMPONENTS = 192


def _thin_components(rows: np.ndarray, weights: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """At most MAX_JOINT_COMPONENTS rows: the newest half whole, an even sample of the rest.

    The sampled older rows carry the total weight of all older rows, so the
    mixture keeps its shape while scoring a candidate costs the same at 2000
    trials as at 256.  Only the bad group is ever this large.
    """
    if len(rows) <= MAX_JOINT_COMPONENTS:
        return rows, weights
    keep_new = MAX_JOINT_COMPONENTS // 2
    n_old = len(rows) - keep_new
    picked = even_spacing(0, n_old - 1, MAX_JOINT_COMPONENTS - keep_new).round().astype(int)
    old_weights = weights[picked] * (weights[:n_old].sum() / weights[picked].sum())
    return (
        np.concatenate([rows[picked], rows[n_old:]]),
        np.concatenate([old_weights, weights[n_old:]]),
    )


def _add_pending(history: History, values: dict, masks: dict, key: tuple) -> History:
    """The history with one more in-flight trial (the one just picked, ``key`` its config_key)."""
    column = [float(values[label][0]) if masks[label][0] else np.nan for label in history.labels]
    pruned = history.pruned
    if pruned is not None:  # the new row was not pruned
        pruned = PrunedRows(
            np.append(pruned.steps, np.nan),
            np.append(pruned.values, np.inf),
            np.append(pruned.counts, np.nan),
        )
    return History(
        history.labels,
        np.append(history.losses, np.inf),
        np.append(history.pending, True),
        np.concatenate([history.matrix, np.array(column, dtype=float)[:, None]], axis=1),
        history.configs.plus(key),
        pruned,
    )


# several losses: good and bad split by non-domination rank (see history.ranking_keys)
suggest.several_objectives = True  # type: ignore[attr-defined]
