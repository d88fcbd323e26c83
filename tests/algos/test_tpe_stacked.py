"""The stacked TPE kernels give bit for bit what one label or one mixture gives alone.

Stacking labels and mixtures only changes how many numpy calls a suggestion
makes, never the numbers: suggestions must not move when the arithmetic is
reorganised for speed.
"""

from __future__ import annotations

import math

import numpy as np
import pytest
from scipy.special import ndtr

from hopt import Trials, fmin, hp, rand
from hopt.algos.tpe import history, joint, kernels, parzen
from hopt.domain import Domain


def test_gap_widths_by_row_match_the_per_label_rule_with_ties_and_padding():
    rng = np.random.default_rng(0)
    rows, expected, counts = [], [], []
    for n in (0, 1, 2, 7, 30):
        x = rng.choice([0.0, 0.5, 1.0, 2.0, 2.5], size=n)  # many ties
        prior_mu = 1.0
        widths = parzen.gap_bandwidths(x, prior_mu, 10.0, 0.0)
        # unclipped widths of the real points; the prior's own width is set apart
        row = np.full(41, np.inf)
        row[:n] = x
        row[n] = prior_mu
        rows.append(row)
        counts.append(n + 1)
        expected.append(widths[:-1])
    got = joint.gap_widths_by_row(np.array(rows), np.array(counts))
    for row, want, n in zip(got, expected, counts):
        assert np.array_equal(np.clip(row[: n - 1], 0.0, 10.0), want)


def test_exact_ndtr_is_ndtr_everywhere():
    z = np.concatenate(
        [
            np.linspace(-60, 60, 200_001),
            [-np.inf, np.inf, 8.3, np.nextafter(8.3, 0), -38.5, np.nextafter(-38.5, 0)],
        ]
    )
    assert np.array_equal(kernels.exact_ndtr(z), ndtr(z))


def test_logsumexp_with_underflow_clamp_matches_the_plain_formula():
    rng = np.random.default_rng(1)
    a = rng.normal(0, 400, (50, 300))
    a[3] = -np.inf
    peak = a.max(axis=1)
    peak = np.where(np.isfinite(peak), peak, 0.0)
    with np.errstate(divide="ignore"):
        plain = np.log(np.exp(a - peak[:, None]).sum(axis=1)) + peak
        got = parzen.logsumexp_rows(a.copy())
    assert np.array_equal(got, plain, equal_nan=True)


SPACE = {
    "x": hp.uniform("x", -5, 5),
    "lr": hp.loguniform("lr", -8, 0),
    "units": hp.quniform("units", 1, 50, 1),
    "batch": hp.qloguniform("batch", math.log(8), math.log(256), 8),
    "layers": hp.randint("layers", 0, 6),
    "z": hp.normal("z", 0, 2),
    "act": hp.choice("act", ["a", "b", "c"]),
    "model": hp.choice("model", [{"c": hp.uniform("c", 0, 1)}, {"d": hp.qnormal("d", 0, 3, 1)}]),
}


def _history(n=60):
    trials = Trials()
    fmin(lambda p: p["x"] ** 2, SPACE, algo=rand.suggest, max_evals=n, trials=trials, rstate=3,
         show_progressbar=False)  # fmt: skip
    domain = Domain(lambda p: 0, SPACE)
    return domain.compiled, history.collect(domain, trials, set())


def test_two_mixtures_side_by_side_score_like_each_alone():
    compiled, hist = _history()
    layout = joint.layout_of(compiled)
    good = (hist.matrix[:, :9], np.ones(9))
    bad = (hist.matrix[:, 9:], parzen.forgetting_weights(hist.matrix.shape[1] - 9, 25))
    both = joint.JointParzen(layout, [good, bad], 1.0)
    values = both.sample(np.random.default_rng(2), 64)
    masks = compiled.active_masks(values, 64)
    together = both.log_pdf(values, masks)
    for g, group in enumerate((good, bad)):
        alone = joint.JointParzen(layout, [group], 1.0).log_pdf(values, masks)[0]
        assert np.array_equal(together[g], alone)


def test_a_label_in_the_stack_scores_like_its_own_truncated_normals():
    compiled, hist = _history()
    layout = joint.layout_of(compiled)
    model = joint.JointParzen(layout, [(hist.matrix, np.ones(hist.matrix.shape[1]))], 1.0)
    values = model.sample(np.random.default_rng(4), 32)
    numeric = np.array([values[layout.labels[i]] for i in layout.numeric], dtype=float)
    rows = layout.rows
    cont = rows.continuous_rows
    x = rows.to_model(numeric[cont], cont)
    dense = [model.kernels.log_density(d, x[d], np.empty((32, 61))) for d in range(len(cont))]
    cells, index = model.kernels.log_cell_masses(numeric.copy())
    for r, dist in enumerate(rows.dists):
        one = kernels.TruncatedNormals(
            kernels.numeric_rows((dist,)),
            model.kernels.mus[r : r + 1],
            model.kernels.sigmas[r : r + 1],
        )
        single = numeric[r : r + 1].copy()
        if rows.quantized[r]:
            table, idx = one.log_cell_masses(single)
            q = list(rows.quantized_rows).index(r)
            assert np.array_equal(table[idx[0]], cells[index[q]])
        else:
            d = list(cont).index(r)
            alone = one.log_density(0, one.rows.to_model(single)[0], np.empty((32, 61)))
            assert np.array_equal(alone, dense[d])


def test_cell_terms_of_distinct_kernels_equal_the_per_kernel_cell_masses():
    # Two quantized rows whose kernels repeat, within a row and across rows (the
    # same centre and width in both), as in a long run on a small grid.
    rows = kernels.numeric_rows((hp_dist("quniform", 0, 10, 1), hp_dist("randint", 0, 11)))
    rng = np.random.default_rng(7)
    mus = rng.integers(0, 11, size=(2, 40)).astype(float)
    sigmas = rng.choice([0.5, 1.0, 3.0], size=(2, 40))
    mus[1, :10], sigmas[1, :10] = mus[0, :10], sigmas[0, :10]
    stack = kernels.TruncatedNormals(rows, mus, sigmas)
    values = rng.integers(0, 11, size=(2, 25)).astype(float)
    table, index = stack.log_cell_masses(values.copy())
    terms = stack.cell_terms(values.copy())
    assert terms.log_mass.shape[1] < 2 * 40  # fewer distinct kernels than kernels
    for j in range(2):
        assert np.array_equal(terms.term(j, np.empty((25, 40))), table[index[j]])


def test_distinct_kernels_keep_pairs_apart_whose_sort_keys_collide():
    # pairs are grouped by sorting mu + c * sigma; (c, 0) and (0, 1) share that key
    c = kernels._PAIR_KEY_SIGMA
    rng = np.random.default_rng(3)
    mus = rng.choice([0.0, 1.0, 2.0, c], size=(3, 60))
    sigmas = rng.choice([0.0, 0.5, 1.0], size=(3, 60))
    mus[0, :4], sigmas[0, :4] = [c, 0.0, c, 0.0], [0.0, 1.0, 0.0, 1.0]
    distinct_mus, distinct_sigmas, index = kernels._distinct_kernels(mus, sigmas)
    assert np.array_equal(distinct_mus[index], mus)
    assert np.array_equal(distinct_sigmas[index], sigmas)
    # without colliding keys, each distinct pair is computed once
    mus[mus == c] = 2.0
    distinct_mus, distinct_sigmas, index = kernels._distinct_kernels(mus, sigmas)
    assert len(distinct_mus) == len(set(zip(mus.ravel(), sigmas.ravel())))
    assert np.array_equal(distinct_mus[index], mus)
    assert np.array_equal(distinct_sigmas[index], sigmas)


def test_exact_ndtr_with_a_used_mask_is_ndtr_where_used():
    z = np.linspace(-50, 50, 4001).reshape(1, -1)
    used = np.random.default_rng(0).random(z.shape) < 0.3
    got = kernels.exact_ndtr(z, used)
    assert np.array_equal(got[used], ndtr(z[used]))


def hp_dist(kind, *args):
    """The prior of a one-label space ``hp.<kind>("v", *args)``."""
    return Domain(lambda p: 0, getattr(hp, kind)("v", *args)).compiled.params["v"].distribution


@pytest.mark.parametrize("n_columns", [200, 300])  # below and above 255 per group
def test_tied_kernels_get_the_floor_set_by_the_label_count_of_observations(n_columns):
    rows = kernels.numeric_rows((hp_dist("uniform", 0, 10),))
    x = np.full((1, n_columns), np.nan)
    x[0, :50] = 3.0  # 50 observations, all tied: every gap is 0, so widths hit the floor
    mus, sigmas = joint._numeric_kernels(rows, x, [slice(0, n_columns)])
    assert np.all(mus[0, :50] == 3.0) and np.all(mus[0, 50:] == 5.0)  # inactive: the prior
    assert np.allclose(sigmas[0, 1:49], 10.0 / 51)  # prior width / min(100, n + 1)
    assert np.all(sigmas[0, 50:] == 10.0)


def test_history_matrix_matches_its_columns_and_is_read_only():
    compiled, hist = _history(20)
    assert hist.matrix.shape == (len(compiled.params), 20)
    assert not hist.matrix.flags.writeable
    for label, column in hist.values.items():
        assert np.array_equal(np.isnan(column), ~hist.active[label])
    with pytest.raises(ValueError):
        hist.losses[0] = 0.0
