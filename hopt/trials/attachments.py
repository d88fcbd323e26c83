"""Attachments: binary blobs stored next to an experiment or a single trial."""

from __future__ import annotations

from collections.abc import Iterator, Mapping, MutableMapping
from typing import Any


def attachment_name(trial: Mapping[str, Any], name: str) -> str:
    """Key of a trial's attachment in the experiment-wide store (Hyperopt's format)."""
    return f"ATTACH::{trial['tid']}::{name}"


class TrialAttachments(MutableMapping):
    """Dict-like view of one trial's attachments inside ``store``."""

    def __init__(self, store: MutableMapping, trial: Mapping[str, Any]) -> None:
        self._store = store
        self._trial = trial
        self._prefix = attachment_name(trial, "")

    def __contains__(self, name: object) -> bool:
        return isinstance(name, str) and attachment_name(self._trial, name) in self._store

    def __getitem__(self, name: str) -> Any:
        return self._store[attachment_name(self._trial, name)]

    def __setitem__(self, name: str, value: Any) -> None:
        self._store[attachment_name(self._trial, name)] = value

    def __delitem__(self, name: str) -> None:
        del self._store[attachment_name(self._trial, name)]

    def __iter__(self) -> Iterator[str]:
        prefix = self._prefix
        return iter([key[len(prefix) :] for key in self._store if key.startswith(prefix)])

    def __len__(self) -> int:
        return sum(1 for _ in self)
