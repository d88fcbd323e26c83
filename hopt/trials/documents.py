"""Trial documents: Hyperopt's schema, creation, validation and conversion."""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from typing import Any

import numpy as np

from .._types import JOB_STATE_NEW, TRIAL_KEYS, TRIAL_MISC_KEYS, TrialDoc, TrialMisc, TrialResult
from ..exceptions import InvalidTrialError

DEFAULT_CMD = ("domain_attachment", "FMinIter_Domain")


_PLAIN = (str, int, float, bool, type(None))


def to_python(value: Any) -> Any:
    """numpy scalars and arrays inside a document as plain Python (Hyperopt's SONify)."""
    if type(value) in _PLAIN:  # the common case, checked first: documents are mostly plain
        return value
    if isinstance(value, np.generic):
        return value.item()
    if isinstance(value, np.ndarray):
        if value.ndim == 0:  # tolist() of a 0-d array is a scalar, not a list
            return value.item()
        return [to_python(v) for v in value.tolist()]
    if isinstance(value, dict):
        return {k: v if type(v) in _PLAIN else to_python(v) for k, v in value.items()}
    if isinstance(value, list):
        return [v if type(v) in _PLAIN else to_python(v) for v in value]
    if isinstance(value, tuple):
        return tuple(to_python(v) for v in value)
    return value


SONify = to_python


def new_misc(tid: int, idxs: dict, vals: dict, workdir: str | None = None) -> TrialMisc:
    """A trial's ``misc`` with the default ``cmd`` (see ``TrialMisc``)."""
    return {"tid": tid, "cmd": DEFAULT_CMD, "workdir": workdir, "idxs": idxs, "vals": vals}


def new_trial_doc(
    tid: int, misc: TrialMisc, result: TrialResult, spec: Any = None, exp_key: str | None = None
) -> TrialDoc:
    """A NEW trial document (not stored); ``Trials.new_trial_docs`` makes them in bulk."""
    return {
        "state": JOB_STATE_NEW,
        "tid": tid,
        "spec": spec,
        "result": result,
        "misc": misc,
        "exp_key": exp_key,
        "owner": None,
        "version": 0,
        "book_time": None,
        "refresh_time": None,
    }


def validate_trial(doc: Any, exp_key: str | None = None) -> None:
    """Raise ``InvalidTrialError`` naming the first thing wrong with ``doc``."""
    if not isinstance(doc, Mapping):
        raise InvalidTrialError(f"trial document must be a dict; got {type(doc).__name__}.")
    missing = [key for key in TRIAL_KEYS if key not in doc]
    if missing:
        raise InvalidTrialError(
            f"trial document: missing keys {missing!r}; got keys {sorted(doc)!r}. "
            "Build documents with Trials.new_trial_docs."
        )
    misc = doc["misc"]
    if not isinstance(misc, Mapping):
        raise InvalidTrialError(f"trial {doc['tid']!r}: misc must be a dict; got {misc!r}.")
    missing = [key for key in TRIAL_MISC_KEYS if key not in misc]
    if missing:
        raise InvalidTrialError(f"trial {doc['tid']!r}: misc is missing keys {missing!r}.")
    if misc["tid"] != doc["tid"]:
        raise InvalidTrialError(
            f"trial {doc['tid']!r}: misc['tid'] must equal tid; got misc['tid']={misc['tid']!r}."
        )
    if not isinstance(doc["result"], Mapping) or "status" not in doc["result"]:
        raise InvalidTrialError(f"trial {doc['tid']!r}: result must be a dict with a 'status'.")
    if exp_key is not None and doc["exp_key"] != exp_key:
        raise InvalidTrialError(
            f"trial {doc['tid']!r}: exp_key must be {exp_key!r} to join these trials; "
            f"got exp_key={doc['exp_key']!r}."
        )


def miscs_to_idxs_vals(miscs: Iterable[Mapping], keys: Iterable[str] | None = None):
    """Column view of many miscs: ``({label: [tid...]}, {label: [value...]})``."""
    miscs = list(miscs)
    if keys is None:
        keys = []
        seen: set[str] = set()
        for misc in miscs:
            for key in misc["idxs"]:
                if key not in seen:
                    seen.add(key)
                    keys.append(key)
    idxs: dict[str, list] = {key: [] for key in keys}
    vals: dict[str, list] = {key: [] for key in keys}
    for misc in miscs:
        for key in keys:
            idxs[key].extend(misc["idxs"].get(key, []))
            vals[key].extend(misc["vals"].get(key, []))
    return idxs, vals


def miscs_update_idxs_vals(
    miscs: list[dict],
    idxs: Mapping[str, list],
    vals: Mapping[str, list],
    assert_all_vals_used: bool = True,
    idxs_map: Mapping[Any, Any] | None = None,
) -> list[dict]:
    """Write the column view back into ``miscs`` (the inverse of ``miscs_to_idxs_vals``).

    Hyperopt's helper for suggest functions: each misc gets ``idxs``/``vals`` with
    one entry per label, ``[tid]``/``[value]`` where ``idxs`` names its tid and
    empty where it does not.  ``idxs_map`` renames tids first.  A tid that no misc
    has is an error, unless ``assert_all_vals_used`` is False (then it is skipped).
    Returns ``miscs``, changed in place.
    """
    if set(idxs) != set(vals):
        raise InvalidTrialError(
            f"miscs_update_idxs_vals: idxs and vals must have the same labels; got "
            f"{sorted(idxs)!r} and {sorted(vals)!r}."
        )
    rename = idxs_map or {}
    by_tid = {misc["tid"]: misc for misc in miscs}
    for misc in miscs:
        misc["idxs"] = {label: [] for label in idxs}
        misc["vals"] = {label: [] for label in idxs}
    for label, tids in idxs.items():
        if len(tids) != len(vals[label]):
            raise InvalidTrialError(
                f"miscs_update_idxs_vals: label {label!r} has {len(tids)} tids but "
                f"{len(vals[label])} values; give one value per tid."
            )
        for tid, value in zip(tids, vals[label]):
            tid = rename.get(tid, tid)
            target = by_tid.get(tid)
            if target is None:
                if assert_all_vals_used:
                    raise InvalidTrialError(
                        f"miscs_update_idxs_vals: label {label!r} has a value for tid {tid!r}, "
                        "which none of the miscs has; pass assert_all_vals_used=False to "
                        "skip such values."
                    )
                continue
            target["idxs"][label] = [tid]
            target["vals"][label] = [value]
    return miscs


def config_key(config: Mapping[str, Any]) -> tuple:
    """A hashable identity of a configuration ``{label: value}`` (to spot repeats)."""
    return tuple(
        sorted(
            (label, value if isinstance(value, (int, float, str)) else repr(value))
            for label, value in config.items()
        )
    )


def spec_from_misc(misc: Mapping) -> dict[str, Any]:
    """``{label: value}`` for the labels active in one trial."""
    return {label: values[0] for label, values in misc["vals"].items() if len(values) == 1}
