"""Turn sampled columns of values into new trial documents (shared by algorithms)."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import numpy as np


def docs_from_columns(
    new_ids: Sequence[Any],
    domain: Any,
    trials: Any,
    values: dict[str, np.ndarray],
    masks: dict[str, np.ndarray],
) -> list[dict]:
    """One NEW trial document per id; row ``i`` of every column belongs to ``new_ids[i]``.

    Values are converted to Python numbers column by column (``tolist`` once per
    label), and integer-valued labels to ``int``, so documents hold plain types.
    """
    params = domain.compiled.params
    columns: list[tuple[str, list, list]] = []
    for label, param in params.items():
        column = values[label]
        if param.is_integer:
            column = np.rint(column) if param.distribution.is_integer else np.trunc(column)
            py_values = column.astype(np.int64).tolist()
        else:
            py_values = np.asarray(column, dtype=float).tolist()
        columns.append((label, py_values, masks[label].tolist()))
    miscs = []
    for row, tid in enumerate(new_ids):
        idxs: dict[str, list] = {}
        vals: dict[str, list] = {}
        for label, py_values, active in columns:
            if active[row]:
                idxs[label] = [tid]
                vals[label] = [py_values[row]]
            else:
                idxs[label] = []
                vals[label] = []
        miscs.append(
            {"tid": tid, "cmd": domain.cmd, "workdir": domain.workdir, "idxs": idxs, "vals": vals}
        )
    n = len(new_ids)
    return trials.new_trial_docs(
        list(new_ids), [None] * n, [domain.new_result() for _ in range(n)], miscs
    )
