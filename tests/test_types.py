"""The trial document's TypedDicts agree with Hyperopt's key lists and with what is stored.

Every backend checks its documents against ``TrialDoc`` in
``hopt.testing.backends.BackendConformance``; these tests check the schema itself.
"""

from __future__ import annotations

import typing

from hopt import Trials
from hopt._types import (
    TRIAL_KEYS,
    TRIAL_MISC_KEYS,
    RecordedError,
    TrialDoc,
    TrialMisc,
    TrialReport,
    TrialResult,
)
from hopt.testing.storage import new_docs, stored


def test_required_keys_are_hyperopts_trial_keys():
    assert TrialDoc.__required_keys__ == set(TRIAL_KEYS)
    assert TrialMisc.__required_keys__ == set(TRIAL_MISC_KEYS)


def test_the_typed_dicts_resolve_at_run_time():
    # get_type_hints evaluates every annotation, as documentation tools do
    for typed in (TrialDoc, TrialMisc, TrialResult, TrialReport, RecordedError):
        assert set(typing.get_type_hints(typed)) == set(typed.__annotations__)


def test_a_report_holds_the_keys_trial_report_declares():
    trials = Trials()
    (trial,) = stored(trials, new_docs(trials, [1.0]))
    trials.start_trial(trial)
    trials.add_report(trial, 0.5, 1)
    assert [set(r) for r in trial["reports"]] == [set(TrialReport.__annotations__)]
    assert set(trial) <= set(TrialDoc.__annotations__)
