"""Multi-objective benchmark problems, each written once from its published definition.

Every objective is minimised.  A problem is a name, a list of parameter specs in
the format of ``problems.py`` (so the same builders make the hopt space and the
Optuna ``suggest_*`` calls), an objective on a flat dict that returns
``(losses, constraints)`` (``constraints`` is ``None`` for an unconstrained problem;
a point is feasible when every constraint value is <= 0), a fixed hypervolume
reference point and, where the true Pareto front is known, that front's
hypervolume against the reference (so a result can be given as a share of it).

Sources (the definitions below are written from these papers):

* ZDT1, ZDT2, ZDT3: E. Zitzler, K. Deb, L. Thiele, "Comparison of Multiobjective
  Evolutionary Algorithms: Empirical Results", Evolutionary Computation 8(2),
  173-195, 2000.  The paper uses n = 30 variables; here n = 10, so that a run of
  200 evaluations stays short.  The front (g = 1) does not depend on n.
* DTLZ2, DTLZ7: K. Deb, L. Thiele, M. Laumanns, E. Zitzler, "Scalable Test Problems
  for Evolutionary Multiobjective Optimization", TIK-Report 112, ETH Zurich, 2001;
  also in "Evolutionary Multiobjective Optimization", Springer, 2005, 105-145 (and
  CEC 2002).  n = M - 1 + k variables; here n = 10 for both (DTLZ2 with M = 3,
  k = 8; DTLZ7 with M = 2, k = 9; the paper suggests k = 10 and k = 20).  DTLZ7
  has 2 objectives here so that it adds a disconnected front in two dimensions
  next to the connected 3-objective DTLZ2.
* SRN: N. Srinivas, K. Deb, "Multiobjective Optimization Using Nondominated
  Sorting in Genetic Algorithms", Evolutionary Computation 2(3), 221-248, 1994
  (their constrained test problem, taken from V. Chankong, Y. Y. Haimes, "Multiobjective Decision
  Making: Theory and Methodology", North-Holland, 1983).  Two variables in
  [-20, 20], two constraints (inside a circle of radius 15, on one side of a line);
  16% of the box is feasible.  The Pareto set usually quoted, x1 = -2.5 and
  x2 in [2.5, sqrt(225 - 6.25)] (K. Deb, "Multi-Objective Optimization using
  Evolutionary Algorithms", Wiley, 2001), is where no constraint is active, a
  straight segment f1 + f2 = -0.25 in objective space; within the reference box
  the front continues along both constraints' boundaries (see ``_srn_front``).
* ``tree_digits``: a real trade-off.  3-fold cross-validated error of a
  scikit-learn ``DecisionTreeClassifier`` on ``load_digits`` (1,797 images)
  against the size of the model, the mean number of nodes of the three fitted
  trees.  Deterministic (fixed folds, ``random_state=0``); about 20-30 ms per
  evaluation.  Its true front is unknown.

Run this file to check the fronts' hypervolumes (closed forms against the grids,
and the grids against ``hopt.pareto.hypervolume``)::

    PYTHONPATH=. python benchmarks/mo_problems.py
"""

from __future__ import annotations

import math
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from typing import Any

import numpy as np

N_VARIABLES = 10  # ZDT and DTLZ


@dataclass(frozen=True)
class MOProblem:
    name: str
    params: list[tuple]  # specs as in problems.py
    objective: Callable[[dict], tuple[list[float], list[float] | None]]
    n_objectives: int
    reference: tuple[float, ...]
    front_hypervolume: float | None  # of the true front against ``reference``
    description: str
    n_constraints: int = 0
    tags: Sequence[str] = field(default_factory=tuple)

    @property
    def dimension(self) -> int:
        return len(self.params)


def _x(p: dict, n: int) -> np.ndarray:
    return np.array([float(p[f"x{i}"]) for i in range(n)])


def _unit_box(n: int) -> list[tuple]:
    return [(f"x{i}", "uniform", 0.0, 1.0) for i in range(n)]


# -- ZDT (Zitzler, Deb, Thiele 2000) ------------------------------------------------------
# f1 = x1;  g = 1 + 9 * sum(x2..xn) / (n - 1);  f2 = g * h(f1, g);  the front is g = 1.
def _zdt_g(x: np.ndarray) -> float:
    return 1.0 + 9.0 * float(np.sum(x[1:])) / (len(x) - 1)


def zdt1(p: dict) -> tuple[list[float], None]:
    x = _x(p, N_VARIABLES)
    f1, g = float(x[0]), _zdt_g(x)
    return [f1, g * (1.0 - math.sqrt(f1 / g))], None


def zdt2(p: dict) -> tuple[list[float], None]:
    x = _x(p, N_VARIABLES)
    f1, g = float(x[0]), _zdt_g(x)
    return [f1, g * (1.0 - (f1 / g) ** 2)], None


def zdt3(p: dict) -> tuple[list[float], None]:
    x = _x(p, N_VARIABLES)
    f1, g = float(x[0]), _zdt_g(x)
    h = 1.0 - math.sqrt(f1 / g) - (f1 / g) * math.sin(10.0 * math.pi * f1)
    return [f1, g * h], None


# -- DTLZ (Deb, Thiele, Laumanns, Zitzler 2002/2005) -----------------------------------
DTLZ2_OBJECTIVES = 3
DTLZ7_OBJECTIVES = 2


def dtlz2(p: dict) -> tuple[list[float], None]:
    """f_i = (1 + g) * prod cos(x_j pi/2) over the first M-i angles, times sin of the next;
    g = sum over the last k variables of (x - 0.5)^2.  The front is the unit sphere's
    positive part."""
    m = DTLZ2_OBJECTIVES
    x = _x(p, N_VARIABLES)
    angles, rest = x[: m - 1] * (math.pi / 2), x[m - 1 :]
    radius = 1.0 + float(np.sum((rest - 0.5) ** 2))
    losses = []
    for i in range(m):
        value = radius
        for angle in angles[: m - 1 - i]:
            value *= math.cos(angle)
        if i > 0:
            value *= math.sin(angles[m - 1 - i])
        losses.append(value)
    return losses, None


def dtlz7(p: dict) -> tuple[list[float], None]:
    """f_i = x_i for i < M;  g = 1 + 9 * mean of the last k variables;
    f_M = (1 + g) * (M - sum_i f_i / (1 + g) * (1 + sin(3 pi f_i)))."""
    m = DTLZ7_OBJECTIVES
    x = _x(p, N_VARIABLES)
    head, rest = x[: m - 1], x[m - 1 :]
    g = 1.0 + 9.0 * float(np.mean(rest))
    h = m - float(np.sum(head / (1.0 + g) * (1.0 + np.sin(3.0 * math.pi * head))))
    return [*map(float, head), (1.0 + g) * h], None


# -- SRN (Srinivas & Deb 1994, after Chankong & Haimes 1983) ---------------------------
def srn(p: dict) -> tuple[list[float], list[float]]:
    x1, x2 = float(p["x1"]), float(p["x2"])
    f1 = 2.0 + (x1 - 2.0) ** 2 + (x2 - 1.0) ** 2
    f2 = 9.0 * x1 - (x2 - 1.0) ** 2
    inside_circle = x1**2 + x2**2 - 225.0  # x1^2 + x2^2 <= 225
    half_plane = x1 - 3.0 * x2 + 10.0  # x1 - 3 x2 + 10 <= 0
    return [f1, f2], [inside_circle, half_plane]


# -- a real trade-off: decision-tree error against size on load_digits ----------------
_TREE_DATA: dict[str, Any] = {}


def _tree_data() -> dict[str, Any]:
    if not _TREE_DATA:
        from sklearn.datasets import load_digits
        from sklearn.model_selection import StratifiedKFold

        X, y = load_digits(return_X_y=True)
        folds = list(StratifiedKFold(3, shuffle=True, random_state=0).split(X, y))
        _TREE_DATA.update(X=X, y=y, folds=folds)
    return _TREE_DATA


def tree_digits(p: dict) -> tuple[list[float], None]:
    from sklearn.tree import DecisionTreeClassifier

    d = _tree_data()
    X, y = d["X"], d["y"]
    errors, nodes = [], []
    for train, test in d["folds"]:
        model = DecisionTreeClassifier(
            criterion=p["criterion"],
            max_depth=int(p["max_depth"]),
            min_samples_leaf=int(p["min_samples_leaf"]),
            max_features=float(p["max_features"]),
            ccp_alpha=float(p["ccp_alpha"]),
            random_state=0,
        ).fit(X[train], y[train])
        errors.append(float(np.mean(model.predict(X[test]) != y[test])))
        nodes.append(model.tree_.node_count)
    return [float(np.mean(errors)), float(np.mean(nodes))], None


# -- true fronts' hypervolumes ----------------------------------------------------------
GRID = 1_000_001


def curve_hypervolume(f1: np.ndarray, f2: np.ndarray, reference: Sequence[float]) -> float:
    """Hypervolume of a densely sampled 2-objective curve (any order; dominated samples
    add nothing): the area between the running minimum of f2 along increasing f1 and
    the reference, for f1 up to the reference.  O(n log n), so a million samples are
    fine (``hopt.pareto.hypervolume`` first sorts all points pairwise, O(n^2))."""
    r1, r2 = float(reference[0]), float(reference[1])
    order = np.argsort(f1, kind="stable")
    f1, f2 = f1[order], f2[order]
    keep = (f1 <= r1) & (f2 <= r2)
    f1, f2 = f1[keep], f2[keep]
    if len(f1) == 0:
        return 0.0
    best = np.minimum.accumulate(f2)
    widths = np.diff(np.append(f1, r1))
    return float(np.sum(widths * (r2 - best)))


def _zdt_front(name: str, n: int = GRID) -> tuple[np.ndarray, np.ndarray]:
    f1 = np.linspace(0.0, 1.0, n)
    if name == "zdt1":
        return f1, 1.0 - np.sqrt(f1)
    if name == "zdt2":
        return f1, 1.0 - f1**2
    return f1, 1.0 - np.sqrt(f1) - f1 * np.sin(10.0 * np.pi * f1)


def _dtlz7_front(n: int = GRID) -> tuple[np.ndarray, np.ndarray]:
    f1 = np.linspace(0.0, 1.0, n)
    return f1, 4.0 - f1 * (1.0 + np.sin(3.0 * np.pi * f1))  # g = 1: (1 + g) h, h = 2 - ...


def _srn_front(n: int = GRID) -> tuple[np.ndarray, np.ndarray]:
    """Candidates for SRN's front: the segment x1 = -2.5, x2 in [2.5, sqrt(218.75)] where
    no constraint is active (f1 + f2 = x1^2 + 5 x1 + 6 does not depend on x2 and is
    least at x1 = -2.5), and both constraints' boundaries, where the front continues
    past the segment's ends (along the line x1 = 3 x2 - 10 down to f1 = 10.1, along
    the circle beyond f1 = 212.35).  Dominated candidates add nothing to the
    hypervolume of the union."""
    segment = np.linspace(2.5, math.sqrt(225.0 - 6.25), n)
    x1 = [np.full(n, -2.5)]
    x2 = [segment]
    line = np.linspace(3.0 - math.sqrt(21.5), 3.0 + math.sqrt(21.5), n)  # inside the circle
    x1.append(3.0 * line - 10.0)
    x2.append(line)
    angle = np.linspace(0.0, 2.0 * math.pi, n)
    arc1, arc2 = 15.0 * np.cos(angle), 15.0 * np.sin(angle)
    on_side = arc1 - 3.0 * arc2 + 10.0 <= 0.0
    x1.append(arc1[on_side])
    x2.append(arc2[on_side])
    a, b = np.concatenate(x1), np.concatenate(x2)
    return 2.0 + (a - 2.0) ** 2 + (b - 1.0) ** 2, 9.0 * a - (b - 1.0) ** 2


# Reference points, fixed: for each loss a round number at or above both its 90th
# percentile over 2,000 uniformly random points (the feasible ones for SRN) and 1.1
# times its largest value on the front, so that most of what random search finds
# counts and the whole front lies inside the box.  tree_digits: error 1 (the worst
# possible) and 300 nodes (above every tree seen; an unpruned tree has about 260).
REFERENCES: dict[str, tuple[float, ...]] = {
    "zdt1": (1.1, 6.0),
    "zdt2": (1.1, 7.0),
    "zdt3": (1.1, 6.0),
    "dtlz2": (2.0, 2.0, 2.0),
    "dtlz7": (1.1, 15.0),
    "srn": (250.0, 20.0),
    "tree_digits": (1.0, 300.0),
}


def zdt1_front_hypervolume(reference: Sequence[float] = REFERENCES["zdt1"]) -> float:
    """Closed form: the box minus the area under 1 - sqrt(f1) on [0, 1], which is 1/3."""
    return reference[0] * reference[1] - 1.0 / 3.0


def zdt2_front_hypervolume(reference: Sequence[float] = REFERENCES["zdt2"]) -> float:
    """Closed form: the box minus the area under 1 - f1^2 on [0, 1], which is 2/3."""
    return reference[0] * reference[1] - 2.0 / 3.0


def dtlz2_front_hypervolume(reference: Sequence[float] = REFERENCES["dtlz2"]) -> float:
    """Closed form: the box minus the unit ball's positive octant, pi / 6 (reference >= 1)."""
    return float(np.prod(reference)) - math.pi / 6.0


def front_hypervolumes() -> dict[str, float]:
    """Every known front's hypervolume: closed forms where there are, grids elsewhere."""
    return {
        "zdt1": zdt1_front_hypervolume(),
        "zdt2": zdt2_front_hypervolume(),
        "zdt3": curve_hypervolume(*_zdt_front("zdt3"), REFERENCES["zdt3"]),
        "dtlz2": dtlz2_front_hypervolume(),
        "dtlz7": curve_hypervolume(*_dtlz7_front(), REFERENCES["dtlz7"]),
        "srn": curve_hypervolume(*_srn_front(), REFERENCES["srn"]),
    }


# -- the problem set -------------------------------------------------------------------
def _problems() -> dict[str, MOProblem]:
    hv = front_hypervolumes()
    box = _unit_box(N_VARIABLES)
    zdt_what = f"{N_VARIABLES} variables in [0, 1]"
    problems = [
        MOProblem("zdt1", box, zdt1, 2, REFERENCES["zdt1"], hv["zdt1"],
                  f"ZDT1, {zdt_what}; convex front f2 = 1 - sqrt(f1)"),
        MOProblem("zdt2", box, zdt2, 2, REFERENCES["zdt2"], hv["zdt2"],
                  f"ZDT2, {zdt_what}; concave front f2 = 1 - f1^2"),
        MOProblem("zdt3", box, zdt3, 2, REFERENCES["zdt3"], hv["zdt3"],
                  f"ZDT3, {zdt_what}; front in 5 disconnected pieces"),
        MOProblem("dtlz2", box, dtlz2, 3, REFERENCES["dtlz2"], hv["dtlz2"],
                  f"DTLZ2, 3 objectives, {zdt_what} (k = 8); front: the unit sphere's "
                  "positive octant"),
        MOProblem("dtlz7", box, dtlz7, 2, REFERENCES["dtlz7"], hv["dtlz7"],
                  f"DTLZ7, 2 objectives, {zdt_what} (k = 9); front in 2 disconnected pieces"),
        MOProblem("srn", [("x1", "uniform", -20.0, 20.0), ("x2", "uniform", -20.0, 20.0)],
                  srn, 2, REFERENCES["srn"], hv["srn"],
                  "SRN (Chankong & Haimes), 2 variables in [-20, 20], 2 constraints "
                  "(16% of the box feasible); both shape the front", n_constraints=2),
        MOProblem(
            "tree_digits",
            [
                ("criterion", "choice", ["gini", "entropy"]),
                ("max_depth", "quniform", 1, 20, 1),
                ("min_samples_leaf", "quniform", 1, 30, 1),
                ("max_features", "uniform", 0.1, 1.0),
                ("ccp_alpha", "loguniform", math.log(1e-5), math.log(1e-1)),
            ],
            tree_digits, 2, REFERENCES["tree_digits"], None,
            "3-fold CV error of a DecisionTreeClassifier on load_digits against its "
            "mean node count (criterion, max_depth 1-20, min_samples_leaf 1-30, "
            "max_features 0.1-1, ccp_alpha 1e-5-0.1 loguniform); front unknown",
            tags=("real",),
        ),
    ]  # fmt: skip
    return {p.name: p for p in problems}


PROBLEMS: dict[str, MOProblem] = _problems()


def problem_fingerprint(problem: MOProblem) -> str:
    """A short hash of what defines a problem (specs, reference and objective source)."""
    import hashlib
    import inspect

    text = repr((problem.name, problem.params, problem.n_objectives, problem.reference))
    text += inspect.getsource(problem.objective)
    return hashlib.sha256(text.encode()).hexdigest()[:12]


def _check() -> None:
    """Closed forms against grids, grids against hopt.pareto.hypervolume."""
    from hopt.pareto import hypervolume

    for name, closed in (("zdt1", zdt1_front_hypervolume()), ("zdt2", zdt2_front_hypervolume())):
        grid = curve_hypervolume(*_zdt_front(name), REFERENCES[name])
        print(f"{name}: closed form {closed:.6f}, grid {grid:.6f}")
    fronts = {
        "zdt1": _zdt_front("zdt1", 2001),
        "zdt3": _zdt_front("zdt3", 2001),
        "dtlz7": _dtlz7_front(2001),
        "srn": _srn_front(2001),
    }
    for name, (f1, f2) in fronts.items():
        ref = REFERENCES[name]
        inside = (f1 <= ref[0]) & (f2 <= ref[1])
        points = np.column_stack([f1, f2])[inside]
        print(
            f"{name} on {len(f1)} points: curve_hypervolume {curve_hypervolume(f1, f2, ref):.6f}, "
            f"hopt.pareto.hypervolume {hypervolume(points, ref):.6f}; "
            f"front (grid of {GRID}) {PROBLEMS[name].front_hypervolume:.6f}"
        )
    # SRN: a million random feasible points approach the front's value from below
    rng = np.random.default_rng(0)
    x1, x2 = rng.uniform(-20.0, 20.0, (2, 4_000_000))
    ok = (x1**2 + x2**2 <= 225.0) & (x1 - 3.0 * x2 + 10.0 <= 0.0)
    f1 = 2.0 + (x1[ok] - 2.0) ** 2 + (x2[ok] - 1.0) ** 2
    f2 = 9.0 * x1[ok] - (x2[ok] - 1.0) ** 2
    print(
        f"srn: {ok.sum()} random feasible points {curve_hypervolume(f1, f2, REFERENCES['srn']):.3f}"
        f" <= front {PROBLEMS['srn'].front_hypervolume:.3f}"
    )
    # DTLZ2: points on the sphere (a grid of angles) approach the closed form from below
    t = np.linspace(0.0, math.pi / 2, 41)
    a, b = np.meshgrid(t, t)
    a, b = a.ravel(), b.ravel()
    sphere = np.column_stack([np.cos(a) * np.cos(b), np.cos(a) * np.sin(b), np.sin(a)])
    print(
        f"dtlz2: closed form {dtlz2_front_hypervolume():.6f}, 41x41 angle grid "
        f"{hypervolume(sphere, REFERENCES['dtlz2']):.6f}"
    )
    # every problem's objective at a fixed point: shapes and constraint counts
    rng = np.random.default_rng(0)
    for p in PROBLEMS.values():
        point = {}
        for name, kind, *args in p.params:
            if kind == "uniform":
                point[name] = rng.uniform(args[0], args[1])
            elif kind == "loguniform":
                point[name] = math.exp(rng.uniform(args[0], args[1]))
            elif kind == "quniform":
                point[name] = round(rng.uniform(args[0], args[1]) / args[2]) * args[2]
            else:
                point[name] = args[0][0]
        losses, constraints = p.objective(point)
        assert len(losses) == p.n_objectives, p.name
        assert (constraints is None) == (p.n_constraints == 0), p.name
        print(f"{p.name}: losses {np.round(losses, 4).tolist()}, constraints {constraints}")


if __name__ == "__main__":
    _check()
