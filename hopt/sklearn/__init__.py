"""scikit-learn integration: :class:`HoptSearchCV`, a search estimator over an hp space.

    from hopt import hp, tpe
    from hopt.sklearn import HoptSearchCV
    search = HoptSearchCV(SVC(), {"C": hp.loguniform("C", -3, 3)}, max_evals=20, cv=5)
    search.fit(X, y).predict(X_test)

``HyperoptSearchCV`` is the same class under Hyperopt's name (``hyperopt.sklearn``
maps here through :mod:`hopt.compat`).  Needs scikit-learn; ``import hopt`` does
not import this module.  See docs/sklearn.md.
"""

from __future__ import annotations

try:
    import sklearn  # noqa: F401
except ImportError as exc:  # pragma: no cover - exercised only without scikit-learn
    from ..exceptions import MissingDependencyError

    raise MissingDependencyError(
        "hopt.sklearn needs scikit-learn; install it with: pip install scikit-learn"
    ) from exc

from ._objective import CrossValidationObjective
from ._search import AllFitsFailedError, HoptSearchCV, TrialFailedError

#: Hyperopt's name for the same estimator (``hyperopt.sklearn.HyperoptSearchCV``).
HyperoptSearchCV = HoptSearchCV

__all__ = [
    "AllFitsFailedError",
    "CrossValidationObjective",
    "HoptSearchCV",
    "HyperoptSearchCV",
    "TrialFailedError",
]
