"""The progress bar: a resumed run shows the stored best loss from the start."""

from __future__ import annotations

import contextlib

from hopt import Trials, fmin, hp, rand

SPACE = hp.uniform("x", -1, 1)


def first_run(path=""):
    trials = None if path else Trials()
    fmin(lambda x: x**2, SPACE, algo=rand.suggest, max_evals=5, trials=trials, rstate=0,
         trials_save_file=path, show_progressbar=False)  # fmt: skip
    return trials


def test_a_resumed_bar_starts_with_the_stored_best_loss(tmp_path, capsys):
    path = str(tmp_path / "trials.pkl")
    first_run(path)
    capsys.readouterr()
    trials_best = fmin(lambda x: x**2, SPACE, algo=rand.suggest, max_evals=5, rstate=0,
                       trials_save_file=path)  # fmt: skip
    err = capsys.readouterr().err
    assert "5/5" in err, err  # nothing left to run: the bar only shows what is stored
    assert "best loss: ?" not in err
    assert f"best loss: {trials_best['x'] ** 2:.6g}" in err


def test_a_resumed_bar_shows_the_best_loss_before_the_first_new_trial(capsys):
    trials = first_run()
    best = trials.best_trial["result"]["loss"]
    capsys.readouterr()
    fmin(lambda x: x**2, SPACE, algo=rand.suggest, max_evals=7, trials=trials, rstate=0)
    first_draw = capsys.readouterr().err.split("\r")[1]  # tqdm's first line
    assert first_draw.startswith(" 71%") and f"best loss: {best:.6g}" in first_draw


def test_a_bar_of_the_users_own_gets_the_stored_best_at_once():
    trials = first_run()
    seen = {}

    class Bar:
        postfix = None

        def update(self, n):
            seen.setdefault("at first update", self.postfix)

    @contextlib.contextmanager
    def progress(initial, total):
        bar = Bar()
        yield bar
        seen["at the end"] = bar.postfix

    fmin(lambda x: x**2, SPACE, algo=rand.suggest, max_evals=5, trials=trials, rstate=0,
         show_progressbar=progress)  # fmt: skip
    best = trials.best_trial["result"]["loss"]
    assert seen == {"at the end": f"best loss: {best:.6g}"}


def test_a_fresh_bar_still_says_it_has_no_loss_yet(capsys):
    fmin(lambda x: x**2, SPACE, algo=rand.suggest, max_evals=2, rstate=0)
    err = capsys.readouterr().err
    assert err.split("\r")[1].startswith("  0%") and "best loss: ?" in err.split("\r")[1]
