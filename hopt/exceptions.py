"""Every error hopt raises on purpose.

Each class derives from :class:`HoptError` and from the builtin a caller would
naturally catch (``ValueError`` for bad input, ``RuntimeError`` for a run that
cannot go on).  Hyperopt's names stay available as aliases so ``except
hyperopt.exceptions.AllTrialsFailed`` keeps working after the import swap.
"""

from __future__ import annotations


class HoptError(Exception):
    """Base class of all hopt errors."""


class InvalidSpaceError(HoptError, ValueError):
    """A search space is malformed (bad bounds, bad label, bad structure)."""


class InvalidLabelTypeError(InvalidSpaceError, TypeError):
    """An ``hp`` label is not a string (a TypeError too, as Hyperopt raised one)."""


class DuplicateLabelError(InvalidSpaceError):
    """Two different hyperparameters share one label."""


class InvalidTrialError(HoptError, ValueError):
    """A trial document does not follow the trial schema."""


class InvalidResultStatusError(HoptError, ValueError):
    """An objective returned a status outside ``STATUS_STRINGS``."""


class InvalidLossError(HoptError, ValueError):
    """An objective returned a loss that is missing, not a number, NaN or infinite."""


class AllTrialsFailedError(HoptError, RuntimeError):
    """No trial finished with status ``ok``, so there is no best trial."""


class InvalidAnnotatedParameterError(HoptError, ValueError):
    """``space="annotated"`` was used but an annotation is not an ``hp`` expression."""


class InvalidArgumentError(HoptError, ValueError):
    """An argument of a public function has a bad value."""


class MissingDependencyError(HoptError, ImportError):
    """An optional dependency (pymongo, pyspark, matplotlib) is not installed."""


class BackendConnectionError(HoptError, ConnectionError):
    """A trials backend (a MongoDB server) cannot be reached, within a bounded time."""


class UntrustedPayloadError(HoptError, PermissionError):
    """A stored objective is unsigned or its signature does not match the shared key."""


class StoreCorruptError(HoptError, OSError):
    """A trials file is truncated, corrupt or not a hopt store (its message names the file)."""


# Hyperopt 0.3.0 names, kept so existing ``except`` clauses still match.
BadSearchSpace = InvalidSpaceError
DuplicateLabel = DuplicateLabelError
InvalidTrial = InvalidTrialError
InvalidResultStatus = InvalidResultStatusError
InvalidLoss = InvalidLossError
AllTrialsFailed = AllTrialsFailedError
InvalidAnnotatedParameter = InvalidAnnotatedParameterError
