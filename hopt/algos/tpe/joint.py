"""Multivariate (joint) Parzen estimator over all labels of a space.

Component ``k`` is a product of one kernel per label, centred on trial ``k``'s
values (labels inactive in that trial use the prior there), plus one prior
component.  Candidates are drawn whole from one component, so parameters that
work together are proposed together; the density of a candidate multiplies the
kernels of the labels active in it.  This captures interactions that per-label
estimators (Hyperopt's TPE) cannot.

All numeric labels share one ``TruncatedNormals`` stack (a row per label), so
fitting, sampling and scoring cost a few numpy calls whatever the number of
labels; categorical labels look their kernels up in tables made once per space.
"""

from __future__ import annotations

import weakref
from typing import Any

import numpy as np

from ...distributions import Categorical
from .kernels import NumericRows, TruncatedNormals, draw_index, numeric_rows, scratch
from .parzen import NEGLIGIBLE_BELOW

#: weight of the uniform-prior part inside each categorical kernel
CATEGORICAL_SMOOTHING = 0.6


class CategoricalTable:
    """The kernels a categorical label can have: one per observed option, and the prior.

    Row ``o`` is mostly option ``o`` with a little of the prior; the last row is
    the prior alone (a component where the label was inactive, or the prior
    component).  A component's kernel is then a row index, its ``code``.
    """

    def __init__(self, dist: Categorical) -> None:
        prior = np.asarray(dist.probabilities, dtype=float)
        self.n_options = len(prior)
        table = np.tile(prior, (self.n_options + 1, 1))
        observed = np.arange(self.n_options)
        table[observed] *= CATEGORICAL_SMOOTHING
        table[observed, observed] += 1.0 - CATEGORICAL_SMOOTHING
        self.cumulative = np.cumsum(table, axis=1)
        self.log_table = np.log(np.maximum(table, 1e-300))
        # (options, kernels): what a candidate's option scores under each kernel row
        self.log_table_by_option = np.ascontiguousarray(self.log_table.T)


class SpaceLayout:
    """Which labels are numeric, which categorical, which can be inactive; made once per space."""

    def __init__(self, compiled: Any) -> None:
        params = compiled.params
        self.labels = list(params)
        dists = [p.distribution for p in params.values()]
        is_cat = [isinstance(d, Categorical) for d in dists]
        self.numeric = np.flatnonzero(~np.asarray(is_cat, dtype=bool))
        self.rows: NumericRows = numeric_rows(tuple(dists[i] for i in self.numeric))
        self.tables = {i: CategoricalTable(d) for i, d in enumerate(dists) if is_cat[i]}
        # the categorical labels' rows, and each one's prior row (its option count)
        self.categorical_rows = np.array(list(self.tables), dtype=np.intp)
        self.prior_codes = np.array([[t.n_options] for t in self.tables.values()], dtype=float)
        # a label of an exact space with a route of None is active in every candidate
        self.conditional = [not (compiled.exact and p.always_active) for p in params.values()]
        self.numeric_row = {int(i): r for r, i in enumerate(self.numeric)}
        # a prior component's column: every label inactive
        self.prior_column = np.full((len(self.labels), 1), np.nan)
        self.prior_column.flags.writeable = False
        # where each label's scores come from: a row of the dense stack, a quantized
        # numeric row, or a categorical table
        dense_index = {int(r): d for d, r in enumerate(self.rows.continuous_rows)}
        cell_index = {int(r): c for c, r in enumerate(self.rows.quantized_rows)}
        self.slots: list[tuple[str, int]] = []
        for i in range(len(self.labels)):
            if i in self.tables:
                self.slots.append(("categorical", i))
            elif self.numeric_row[i] in dense_index:
                self.slots.append(("density", dense_index[self.numeric_row[i]]))
            else:
                self.slots.append(("cell", cell_index[self.numeric_row[i]]))


_layouts: weakref.WeakKeyDictionary = weakref.WeakKeyDictionary()


def layout_of(compiled: Any) -> SpaceLayout:
    layout = _layouts.get(compiled)
    if layout is None or layout.labels != list(compiled.params):
        layout = _layouts[compiled] = SpaceLayout(compiled)
    return layout


class JointParzen:
    """Mixtures of product kernels, one per group of history rows (TPE's good and bad).

    ``groups`` holds, per mixture, ``values`` (labels, rows) in layout order, nan
    where a label was inactive, and a weight per row.  ``clip_counts`` may give,
    per mixture, the number of observations per label that sets its narrowest
    kernel (None: the mixture's own count; see ``_numeric_kernels``).  The mixtures' kernels sit
    side by side in one set of arrays, group after group, each followed by its
    prior component, so fitting and scoring both mixtures costs one pass.
    """

    def __init__(self, layout: SpaceLayout, groups, prior_weight: float, clip_counts=None):
        self.layout = layout
        self.log_weights = []
        for _, weights in groups:
            w = np.empty(len(weights) + 1)
            w[:-1], w[-1] = weights, prior_weight
            w /= w.sum()
            self.log_weights.append(np.log(w, out=w))
        self.columns, start = [], 0
        for w in self.log_weights:
            self.columns.append(slice(start, start + len(w)))
            start += len(w)
        self.starts = [c.start for c in self.columns]
        self.log_weight_row = np.concatenate(self.log_weights)
        # one column per component, group after group; a prior component is a column
        # of nan: like a label inactive in a trial, it gets the prior's kernel
        pieces = []
        for values, _ in groups:
            pieces += [values, layout.prior_column]
        matrix = np.concatenate(pieces, axis=1)
        if clip_counts is not None:
            clip_counts = [
                None if c is None else np.asarray(c)[layout.numeric] for c in clip_counts
            ]
        mus, sigmas = _numeric_kernels(
            layout.rows, matrix[layout.numeric], self.columns, clip_counts
        )
        self.kernels = TruncatedNormals(layout.rows, mus, sigmas)
        self.codes = {}
        self.categorical = {}  # per categorical label, (options, components): log kernel values
        if layout.tables:
            # each component's row of its label's table: its option, or the prior's where nan
            options = matrix[layout.categorical_rows]
            codes = np.where(options != options, layout.prior_codes, options).astype(np.intp)
            for (i, table), label_codes in zip(layout.tables.items(), codes):
                self.codes[i] = label_codes
                self.categorical[i] = table.log_table_by_option.take(label_codes, axis=1)

    def sample(
        self, rng: np.random.Generator, size: int, group: int = 0, recombine: bool = False
    ) -> dict[str, np.ndarray]:
        """``size`` configurations drawn whole from one group's mixture; with
        ``recombine``, each label from a component drawn for that label alone."""
        log_weights = self.log_weights[group]
        n_labels = len(self.layout.labels)
        if recombine:
            components = draw_index(rng, np.exp(log_weights), size * n_labels)
            components = components.reshape(n_labels, size)
        else:
            components = draw_index(rng, np.exp(log_weights), size)
        components += self.columns[group].start
        # one row of uniforms per label, in label order (the stream per-label draws used)
        uniforms = rng.random((n_labels, size))
        numeric_components = components[self.layout.numeric] if recombine else components
        numeric = self.kernels.sample(uniforms[self.layout.numeric], numeric_components)
        out: dict[str, np.ndarray] = {}
        for i, label in enumerate(self.layout.labels):
            table = self.layout.tables.get(i)
            if table is None:
                out[label] = numeric[self.layout.numeric_row[i]]
            else:
                chosen = components[i] if recombine else components
                cumulative = table.cumulative[self.codes[i][chosen]]
                drawn = count_per_row(uniforms[i][:, None] > cumulative)
                out[label] = np.minimum(drawn, table.n_options - 1)
        return out

    def _candidates(self, values: dict[str, np.ndarray]):
        """(n, continuous values in model space, quantized rows' cell terms) of candidates."""
        layout = self.layout
        n = len(values[layout.labels[0]])
        numeric = np.array([values[layout.labels[i]] for i in layout.numeric], dtype=float)
        numeric = numeric.reshape(len(layout.numeric), n)
        rows = layout.rows
        dense = numeric[rows.continuous_rows]
        log = rows.continuous_log_rows  # to model space (rows.to_model, indices made once)
        if len(log):
            dense[log] = np.log(np.maximum(dense[log], 1e-300))
        return n, dense, self.kernels.cell_terms(numeric)

    def log_pdf(self, values: dict[str, np.ndarray], masks: dict[str, np.ndarray]) -> np.ndarray:
        """(groups, n): each mixture's log density of each configuration."""
        layout = self.layout
        n, dense, cells = self._candidates(values)
        total = scratch("total", (n, self.columns[-1].stop))
        started = False  # total holds the log weights plus the labels added so far
        densities = scratch("densities", (len(dense),) + total.shape)
        self.kernels.log_densities(dense, densities)
        block = scratch("block", total.shape)
        # labels are added one by one in a fixed order, so the sums do not depend on
        # how the terms were computed; an inactive label adds nothing (ufunc ``where``).
        # np.take with mode="clip" writes straight into ``block``; the default mode
        # buffers a copy (the indices are always in range)
        for i, label in enumerate(layout.labels):
            mask = masks[label] if layout.conditional[i] else None
            if mask is not None and not mask.any():
                continue
            kind, index = layout.slots[i]
            if kind == "density":
                term = densities[index]
            elif kind == "cell":
                term = cells.term(index, out=block)
            else:
                options = np.asarray(values[label], dtype=np.intp)
                term = self.categorical[i].take(options, axis=0, out=block, mode="clip")
            if mask is None and not started:  # weight + term: addition commutes exactly
                np.add(term, self.log_weight_row, out=total)
                started = True
                continue
            if not started:
                total[:] = self.log_weight_row
                started = True
            if mask is None:
                total += term
            else:
                np.add(total, term, out=total, where=mask[:, None])
        if not started:
            total[:] = self.log_weight_row
        return self._logsumexp(total)

    def log_pdf_by_label(
        self, values: dict[str, np.ndarray], masks: dict[str, np.ndarray]
    ) -> np.ndarray:
        """(groups, n): per mixture, the sum over the active labels of each label's own
        mixture log density: the per-label (factorized) model on these kernels."""
        layout = self.layout
        n, dense, cells = self._candidates(values)
        width = self.columns[-1].stop
        # every label's kernel terms, (labels, n, components): the continuous ones in one
        # call, the others one by one
        terms = np.empty((len(layout.labels), n, width))
        dense_labels = [i for i, (kind, _) in enumerate(layout.slots) if kind == "density"]
        if dense_labels:
            densities = scratch("densities", (len(dense), n, width))
            self.kernels.log_densities(dense, densities)
            terms[dense_labels] = densities[[layout.slots[i][1] for i in dense_labels]]
        for i, label in enumerate(layout.labels):
            kind, index = layout.slots[i]
            if kind == "cell":
                cells.term(index, out=terms[i])
            elif kind == "categorical":
                options = np.asarray(values[label], dtype=np.intp)
                self.categorical[i].take(options, axis=0, out=terms[i], mode="clip")
        terms += self.log_weight_row
        # per group, log-sum-exp over its components: (groups, labels, n)
        per_label = np.empty((len(self.columns), len(layout.labels), n))
        for g, columns in enumerate(self.columns):
            part = terms[:, :, columns]
            peak = part.max(axis=2)
            peak[~np.isfinite(peak)] = 0.0
            part -= peak[:, :, None]
            np.exp(part, out=part)
            np.log(part.sum(axis=2), out=per_label[g])
            per_label[g] += peak
        scores = np.zeros((len(self.columns), n))
        for i, label in enumerate(layout.labels):  # an inactive label adds nothing
            mask = masks[label] if layout.conditional[i] else None
            if mask is None:
                scores += per_label[:, i]
            else:
                np.add(scores, per_label[:, i], out=scores, where=mask[None, :])
        return scores

    def _logsumexp(self, total: np.ndarray) -> np.ndarray:
        """(groups, n): per mixture, log(sum(exp)) over its columns of ``total`` (overwritten).

        What ``parzen.logsumexp_rows`` gives per mixture, bit for bit, with the
        elementwise steps done once over all mixtures' columns.
        """
        peak = np.maximum.reduceat(total, self.starts, axis=1)  # (n, groups); max is exact
        peak[~np.isfinite(peak)] = 0.0
        for g, columns in enumerate(self.columns):
            np.subtract(total[:, columns], peak[:, g : g + 1], out=total[:, columns])
        # terms that cannot change the sums' last bit are left out (parzen.NEGLIGIBLE_BELOW)
        np.putmask(total, total < NEGLIGIBLE_BELOW, -np.inf)
        np.exp(total, out=total)
        # sums per mixture: np.add.reduceat would not sum pairwise as sum() does
        sums = np.stack([total[:, columns].sum(axis=1) for columns in self.columns], axis=1)
        np.log(sums, out=sums)
        sums += peak
        return sums.T


def count_per_row(mask: np.ndarray) -> np.ndarray:
    """``mask.sum(axis=1)`` as intp; summed as uint8 when exact (a bool sum is buffered)."""
    if mask.shape[1] < 256:
        return np.add.reduce(mask.view(np.uint8), axis=1, dtype=np.uint8).astype(np.intp)
    return mask.sum(axis=1)


def _numeric_kernels(
    rows: NumericRows, x: np.ndarray, columns: list[slice], clip_counts=None
) -> tuple[np.ndarray, np.ndarray]:
    """(mus, sigmas), (labels, components): a kernel per trial, and the prior's.

    ``x`` holds the numeric labels' values of every component, nan where a label
    was inactive in that trial and in each group's prior component, which is the
    last column of its group's slice in ``columns``.

    Each kernel is as wide as the larger gap to its neighbours along its label
    within its group (Hyperopt's per-label rule, which Optuna's joint TPE also
    uses): narrow where trials crowd, wide where they are sparse.  A fixed
    Scott's rule width was clearly worse in our runs (docs/algorithms.md).  A
    trial that did not use a label gets the prior's kernel there.

    Widths are clipped below at Hyperopt's floor, the prior's width over
    ``min(100, n + 1)``, where ``n`` is the label's count of observations in the
    group, or ``clip_counts[g]`` (per label) when given for group ``g``.
    """
    prior_mu = rows.prior_mu[:, None]
    prior_sigma = rows.prior_sigma[:, None]
    active = ~np.isnan(x)
    rows.to_model(x)
    # the sort keys: inactive values (nan, which fmin turns into +inf) last and then
    # ignored, each group's prior centre after its trials (ties keep this order)
    keys = np.fmin(x, np.inf)
    all_widths = np.empty_like(x)
    # observations per label and group: a uint8 sum costs a fraction of a bool sum
    # (which numpy buffers through a cast) and is exact below 256 columns per group
    if max(c.stop - c.start for c in columns) < 256:
        group_counts = np.add.reduceat(active.view(np.uint8), [c.start for c in columns], axis=1)
    else:
        group_counts = np.stack([active[:, c].sum(axis=1) for c in columns], axis=1)
    for g, c in enumerate(columns):  # each group at its own width: no padding to sort
        keys[:, c.stop - 1] = rows.prior_mu
        counts = group_counts[:, g].astype(float)
        widths = gap_widths_by_row(keys[:, c], counts + 1)
        # the narrowest kernel allowed: Hyperopt's rule, from the number of observations
        given = None if clip_counts is None else clip_counts[g]
        n = counts if given is None else given
        min_sigma = rows.prior_sigma / np.minimum(100.0, n + 1.0)
        # np.clip, without its slower three-operand broadcast (min_sigma <= prior_sigma)
        np.maximum(widths, min_sigma[:, None], out=widths)
        np.minimum(widths, prior_sigma, out=all_widths[:, c])
    return np.where(active, x, prior_mu), np.where(active, all_widths, prior_sigma)


def gap_widths_by_row(points: np.ndarray, n_finite: np.ndarray) -> np.ndarray:
    """Per row, each point's larger gap to its sorted neighbours (unclipped).

    Row ``r`` has ``n_finite[r]`` real points (at least one); the others are +inf
    and are ignored.  Ties keep their order (a stable sort), so a row gives exactly
    what ``parzen.gap_bandwidths`` gives for its real points alone.
    """
    n_rows, n_points = points.shape
    order = points.argsort(axis=1, kind="stable")
    # flat positions: take and a flat scatter cost a fraction of take/put_along_axis
    offsets = np.arange(n_rows) * n_points
    order += offsets[:, None]
    ranked = points.take(order)
    # the +inf past the real points, lowered to the largest real point, leave gaps of 0
    # (no inf - inf to silence, no mask to build)
    largest = ranked.take(offsets + (np.asarray(n_finite, dtype=np.intp) - 1))
    np.minimum(ranked, largest[:, None], out=ranked)
    # gaps[:, i] lies left of sorted point i; none left of the first or right of the last
    gaps = np.zeros((n_rows, n_points + 1))
    np.subtract(ranked[:, 1:], ranked[:, :-1], out=gaps[:, 1:-1])
    widths = np.empty((n_rows, n_points))
    widths.reshape(-1)[order] = np.maximum(gaps[:, :-1], gaps[:, 1:])  # faster than put
    return widths
