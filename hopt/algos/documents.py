"""Turn sampled columns of values into new trial documents (shared by algorithms)."""

from __future__ import annotations

from collections.abc import Sequence
from typing import TYPE_CHECKING

import numpy as np

from .._types import TrialDoc

if TYPE_CHECKING:  # annotations only: no import at run time
    from ..domain import Domain
    from ..trials.base import Trials


def docs_from_columns(
    new_ids: Sequence[int],
    domain: Domain,
    trials: Trials,
    values: dict[str, np.ndarray],
    masks: dict[str, np.ndarray],
) -> list[TrialDoc]:
    """One NEW trial document per id; row ``i`` of every column belongs to ``new_ids[i]``.

    Values become plain Python numbers (integer-valued labels ``int``), converted
    a group of labels at a time: the float labels in one ``tolist``, the rounded
    and the truncated integer ones in one each.
    """
    compiled = domain.compiled
    n = len(new_ids)
    python_values: dict[str, list] = {}
    for convert, labels in compiled.labels_by_conversion.items():
        if not labels:
            continue
        block = np.array([values[label] for label in labels], dtype=float).reshape(len(labels), n)
        if convert is not float:
            rounded = np.rint(block) if convert is not int else np.trunc(block)
            block = rounded.astype(np.int64)
        python_values.update(zip(labels, block.tolist()))
    labels = list(compiled.params)
    stacked = np.array([masks[label] for label in labels], dtype=bool).reshape(len(labels), n)
    active = dict(zip(labels, stacked.tolist()))
    miscs = []
    for row, tid in enumerate(new_ids):
        idxs: dict[str, list] = {}
        vals: dict[str, list] = {}
        for label in labels:
            if active[label][row]:
                idxs[label] = [tid]
                vals[label] = [python_values[label][row]]
            else:
                idxs[label] = []
                vals[label] = []
        miscs.append(
            {"tid": tid, "cmd": domain.cmd, "workdir": domain.workdir, "idxs": idxs, "vals": vals}
        )
    return trials.new_trial_docs(
        list(new_ids), [None] * n, [domain.new_result() for _ in range(n)], miscs
    )
