"""The Parzen estimators behind TPE: proper densities, masses and supports."""

from __future__ import annotations

import math

import numpy as np
import pytest
from scipy.integrate import quad

from hopt.algos.tpe import parzen
from hopt.algos.tpe.parzen import CategoricalParzen, NumericParzen, forgetting_weights
from hopt.distributions import Categorical, Normal, RandInt, Uniform


def _fit(dist, observed, prior_weight=1.0):
    observed = np.asarray(observed, dtype=float)
    return NumericParzen(dist, observed, forgetting_weights(len(observed), 25), prior_weight)


def _density(model, x):
    return float(np.exp(model.log_pdf(np.array([x])))[0])


@pytest.mark.parametrize("n_obs", [0, 1, 5, 300])
def test_bounded_density_integrates_to_one(n_obs):
    rng = np.random.default_rng(n_obs)
    dist = Uniform.build("x", low=-2.0, high=3.0)
    model = _fit(dist, rng.uniform(-2, 3, n_obs))
    total, _ = quad(lambda x: _density(model, x), -2, 3, limit=400, points=[-1, 0, 1, 2])
    assert total == pytest.approx(1.0, abs=2e-3)


def test_log_scale_density_integrates_to_one_in_value_space():
    rng = np.random.default_rng(1)
    dist = Uniform.build("lr", low=math.log(1e-4), high=math.log(1.0), log=True)
    model = _fit(dist, np.exp(rng.uniform(math.log(1e-4), 0, 40)))
    # log_pdf is a density of log(value): integrate over log space
    total, _ = quad(lambda t: _density(model, math.exp(t)), math.log(1e-4), 0.0, limit=400)
    assert total == pytest.approx(1.0, abs=2e-3)


def test_unbounded_normal_density_integrates_to_one():
    rng = np.random.default_rng(2)
    dist = Normal.build("z", mu=1.0, sigma=2.0)
    model = _fit(dist, rng.normal(1, 2, 30))
    total, _ = quad(lambda x: _density(model, x), -40, 40, limit=400)
    assert total == pytest.approx(1.0, abs=2e-3)


@pytest.mark.parametrize(
    "dist, grid",
    [
        (Uniform.build("units", low=1, high=20, q=1), np.arange(1, 21)),
        (Uniform.build("step", low=0, high=1, q=0.25), np.arange(0, 1.01, 0.25)),
        (RandInt.build("layers", low=0, high=7), np.arange(0, 7)),
    ],
)
def test_quantized_mass_sums_to_one_over_the_grid(dist, grid):
    rng = np.random.default_rng(3)
    model = _fit(dist, rng.choice(grid, 200))
    mass = np.exp(model.log_pdf(grid.astype(float)))
    assert mass.sum() == pytest.approx(1.0, abs=1e-6)
    assert (mass > 0).all()


def test_quantized_log_scale_mass_sums_to_one():
    dist = Uniform.build("batch", low=math.log(8), high=math.log(512), q=8, log=True)
    grid = np.arange(8, 513, 8, dtype=float)
    model = _fit(dist, [16.0, 64.0, 64.0, 256.0])
    assert np.exp(model.log_pdf(grid)).sum() == pytest.approx(1.0, abs=1e-6)


@pytest.mark.parametrize(
    "dist",
    [
        Uniform.build("x", low=0.0, high=1.0),
        Uniform.build("lr", low=math.log(1e-5), high=0.0, log=True),
        Uniform.build("units", low=1, high=100, q=1),
        RandInt.build("k", low=3, high=9),
    ],
)
def test_samples_stay_inside_the_bounds(dist):
    lo, hi = dist.value_bounds() if hasattr(dist, "value_bounds") else (dist.low, dist.high - 1)
    # observations piled on both edges pull kernels over the bounds
    model = _fit(dist, [lo] * 10 + [hi] * 10)
    values = model.sample(np.random.default_rng(4), 5000)
    assert values.min() >= lo
    assert values.max() <= hi


def test_binned_history_gives_nearly_the_same_density(monkeypatch):
    """Past MERGE_ABOVE observations kernels are binned; the density barely moves."""
    rng = np.random.default_rng(5)
    dist = Uniform.build("x", low=-5.0, high=5.0)
    # a converged search: most observations crowd near 1, the rest spread out
    observed = np.concatenate([rng.normal(1.0, 0.3, 700), rng.uniform(-5, 5, 300)])
    observed = np.clip(observed, -5, 5)
    binned = _fit(dist, observed)
    assert len(binned.mus) < 250  # the point of binning: fewer kernels
    monkeypatch.setattr(parzen, "MERGE_ABOVE", 10**9)
    exact = _fit(dist, observed)
    assert len(exact.mus) == len(observed) + 1
    grid = np.linspace(-5, 5, 2001)
    ratio = np.exp(binned.log_pdf(grid) - exact.log_pdf(grid))
    error = np.abs(ratio - 1)
    # the gap rule itself is jumpy where observations are sparse: two close points
    # merged into one take the wider of their widths there
    assert error.max() < 0.25
    assert np.median(error) < 0.02


def test_categorical_with_pchoice_prior_is_a_distribution():
    dist = Categorical.build("c", probabilities=[0.7, 0.2, 0.1])
    model = CategoricalParzen(dist, np.array([2, 2, 2, 1]), np.ones(4), prior_weight=1.0)
    p = np.exp(model.log_pdf(np.arange(3)))
    assert p.sum() == pytest.approx(1.0)
    assert p[2] > p[1]  # observed three times
    assert p[0] > 0  # never observed, kept alive by the prior
    draws = model.sample(np.random.default_rng(6), 4000)
    assert abs((draws == 2).mean() - p[2]) < 0.03


def test_prior_weight_controls_how_much_the_prior_counts():
    dist = Uniform.build("x", low=0.0, high=1.0)
    weak = _fit(dist, [0.5] * 5, prior_weight=0.01)
    strong = _fit(dist, [0.5] * 5, prior_weight=20.0)
    edge = np.array([0.02])
    assert strong.log_pdf(edge)[0] > weak.log_pdf(edge)[0]


def test_joint_estimator_keeps_a_bounded_number_of_components():
    from hopt.algos.tpe.suggestion import MAX_JOINT_COMPONENTS, _thin_components

    rows = np.arange(2000)
    weights = forgetting_weights(2000, 25)
    kept, kept_weights = _thin_components(rows, weights)
    assert len(kept) == MAX_JOINT_COMPONENTS
    assert kept_weights.sum() == pytest.approx(weights.sum())
    # the newest trials are all kept, with their own weights
    half = MAX_JOINT_COMPONENTS // 2
    assert (kept[-half:] == rows[-half:]).all()
    assert (kept_weights[-half:] == weights[-half:]).all()
    # the older ones are spread over the whole past, oldest included
    assert kept[0] == 0 and len(set(kept)) == len(kept)
    small_rows, small_weights = _thin_components(rows[:100], weights[:100])
    assert (small_rows == rows[:100]).all() and (small_weights == weights[:100]).all()
