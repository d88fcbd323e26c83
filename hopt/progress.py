"""Progress reporting for fmin: a tqdm bar, or nothing."""

from __future__ import annotations

import contextlib
import sys
from collections.abc import Callable, Iterator
from typing import Any


class _NoProgress:
    postfix: Any = None

    def update(self, n: int = 1) -> None:
        pass

    def set_postfix_str(self, text: str, refresh: bool = True) -> None:
        pass


@contextlib.contextmanager
def no_progress_callback(initial: int, total: int) -> Iterator[_NoProgress]:
    yield _NoProgress()


@contextlib.contextmanager
def tqdm_progress_callback(initial: int, total: int, postfix: str | None = None) -> Iterator[Any]:
    """A tqdm bar on stderr; ``postfix`` is its first text (fmin gives a resumed run's
    best loss, so the bar never shows ``best loss: ?`` when the trials have one)."""
    from tqdm.auto import tqdm

    bar = tqdm(
        total=total, initial=initial, unit="trial", file=sys.stderr, dynamic_ncols=True,
        postfix=postfix or "best loss: ?",
    )  # fmt: skip
    try:
        yield bar
    finally:
        bar.close()


def progress_factory(show_progressbar: Any, verbose: bool) -> Callable[..., Any]:
    """Pick the progress context manager fmin uses: tqdm, none, or the caller's own."""
    if not verbose or show_progressbar is False or show_progressbar is None:
        return no_progress_callback
    if show_progressbar is True:
        return tqdm_progress_callback
    if callable(show_progressbar):
        return show_progressbar
    from .exceptions import InvalidArgumentError

    raise InvalidArgumentError(
        "fmin: show_progressbar must be True, False or a callable (initial, total) -> "
        f"context manager; got show_progressbar={show_progressbar!r}."
    )


default_callback = tqdm_progress_callback
