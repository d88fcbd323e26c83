"""Hyperparameter importance from finished trials: which labels mattered to the loss.

``param_importances(trials)`` ranks the labels of a search by PED-ANOVA (the
default: how differently the best trials are spread along each label; tens of
milliseconds for 10,000 trials) or by fANOVA (``evaluator="fanova"``: each
label's share of the variance of a random-forest model of the loss; needs
scikit-learn, ``pip install 'hopt[importance]'``).  It reads trials through
``trials.trials`` only, so every backend works.  See docs/importance.md.
"""

from ._evaluate import EVALUATORS, param_importances

__all__ = ["EVALUATORS", "param_importances"]
