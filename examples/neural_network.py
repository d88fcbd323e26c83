"""A neural network with a conditional space, on the digits data set (ships with scikit-learn).

The space: 1 to 3 hidden layers, and for each layer its own number of units and
dropout rate (a layer's labels exist only in trials that have that many layers);
the optimizer, SGD with momentum (its momentum is only sampled when SGD is chosen)
or Adam; a log-scale learning rate; the batch size.  The network is a small numpy
multi-layer perceptron, because scikit-learn's MLPClassifier has no dropout.

    python examples/neural_network.py --max-evals 40
"""

from __future__ import annotations

import argparse
import math

import numpy as np
from _plots import save_plots  # examples/_plots.py
from sklearn.datasets import load_digits
from sklearn.model_selection import train_test_split

from hopt import STATUS_OK, Trials, fmin, hp, space_eval, tpe
from hopt.pyll import scope


def hidden_layer(depth: int, index: int) -> dict:
    """Units and dropout of layer ``index`` in a ``depth``-layer network (labels unique)."""
    return {
        "units": scope.int(
            hp.qloguniform(f"units_{depth}_{index}", math.log(16), math.log(256), 8)
        ),
        "dropout": hp.uniform(f"dropout_{depth}_{index}", 0.0, 0.5),
    }


SPACE = {
    "layers": hp.choice(
        "layers",
        [[hidden_layer(depth, i) for i in range(1, depth + 1)] for depth in (1, 2, 3)],
    ),
    "optimizer": hp.choice(
        "optimizer",
        [
            {"name": "sgd", "momentum": hp.uniform("momentum", 0.5, 0.99)},
            {"name": "adam"},
        ],
    ),
    "learning_rate": hp.loguniform("learning_rate", math.log(1e-4), math.log(3e-1)),
    "batch_size": hp.choice("batch_size", [32, 64, 128]),
}

EPOCHS = 12


class Network:
    """A ReLU multi-layer perceptron with inverted dropout and a softmax output."""

    def __init__(self, sizes: list[int], dropouts: list[float], rng: np.random.Generator):
        self.weights = [rng.normal(0, math.sqrt(2 / n_in), (n_in, n_out))  # He initialisation
                        for n_in, n_out in zip(sizes[:-1], sizes[1:])]  # fmt: skip
        self.biases = [np.zeros(n_out) for n_out in sizes[1:]]
        self.dropouts = dropouts
        self.rng = rng

    def forward(self, x: np.ndarray, train: bool) -> tuple[np.ndarray, list]:
        cache = []
        for layer, (w, b) in enumerate(zip(self.weights, self.biases)):
            z = x @ w + b
            if layer == len(self.weights) - 1:
                cache.append((x, None))
                z -= z.max(axis=1, keepdims=True)
                probs = np.exp(z)
                return probs / probs.sum(axis=1, keepdims=True), cache
            keep = 1.0 - self.dropouts[layer]
            mask = (self.rng.random(z.shape) < keep) / keep if train else None
            cache.append((x, (z > 0) if mask is None else (z > 0) * mask))
            x = np.maximum(z, 0) if mask is None else np.maximum(z, 0) * mask
        raise AssertionError("unreachable: the output layer returns")

    def gradients(self, probs: np.ndarray, labels: np.ndarray, cache: list):
        delta = probs.copy()
        delta[np.arange(len(labels)), labels] -= 1.0
        delta /= len(labels)
        grads = []
        for layer in range(len(self.weights) - 1, -1, -1):
            x, gate = cache[layer]
            grads.append((x.T @ delta, delta.sum(axis=0)))
            if layer > 0:
                delta = (delta @ self.weights[layer].T) * cache[layer - 1][1]
        return grads[::-1]


def train_and_score(params: dict, data: tuple, seed: int) -> float:
    """Validation accuracy after EPOCHS epochs of training."""
    x_train, x_valid, y_train, y_valid = data
    rng = np.random.default_rng(seed)
    sizes = [x_train.shape[1], *[layer["units"] for layer in params["layers"]], 10]
    net = Network(sizes, [layer["dropout"] for layer in params["layers"]], rng)
    optimizer, lr = params["optimizer"], params["learning_rate"]
    params_list = [p for pair in zip(net.weights, net.biases) for p in pair]
    first = [np.zeros_like(p) for p in params_list]  # momentum / Adam's first moment
    second = [np.zeros_like(p) for p in params_list]  # Adam's second moment
    step = 0
    for _ in range(EPOCHS):
        order = rng.permutation(len(x_train))
        for start in range(0, len(order), params["batch_size"]):
            batch = order[start : start + params["batch_size"]]
            probs, cache = net.forward(x_train[batch], train=True)
            grads = [g for pair in net.gradients(probs, y_train[batch], cache) for g in pair]
            step += 1
            for p, g, m, v in zip(params_list, grads, first, second):
                if optimizer["name"] == "sgd":
                    m *= optimizer["momentum"]
                    m -= lr * g
                    p += m
                else:
                    m += (1 - 0.9) * (g - m)
                    v += (1 - 0.999) * (g * g - v)
                    m_hat, v_hat = m / (1 - 0.9**step), v / (1 - 0.999**step)
                    p -= lr * m_hat / (np.sqrt(v_hat) + 1e-8)
    probs, _ = net.forward(x_valid, train=False)
    return float(np.mean(probs.argmax(axis=1) == y_valid))


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--max-evals", type=int, default=40, help="number of trials (default 40)")
    parser.add_argument("--seed", type=int, default=0, help="random seed (default 0)")
    parser.add_argument("--plots", default="examples/output/neural_network",
                        help="directory for the plots (default %(default)s)")  # fmt: skip
    args = parser.parse_args()

    x, y = load_digits(return_X_y=True)
    data = train_test_split(x / 16.0, y, test_size=0.25, random_state=0, stratify=y)

    def objective(params: dict) -> dict:
        accuracy = train_and_score(params, data, args.seed)
        return {"loss": 1.0 - accuracy, "status": STATUS_OK, "accuracy": accuracy}

    trials = Trials()
    best = fmin(objective, SPACE, algo=tpe.suggest, max_evals=args.max_evals, trials=trials,
                rstate=args.seed)  # fmt: skip
    best_params = space_eval(SPACE, best)
    layers = ", ".join(
        f"{layer['units']} units / dropout {layer['dropout']:.2f}"
        for layer in best_params["layers"]
    )
    print(f"best validation accuracy: {trials.best_trial['result']['accuracy']:.3f}")
    print(f"best network: {layers}; optimizer {best_params['optimizer']['name']}, "
          f"learning rate {best_params['learning_rate']:.2g}, batch {best_params['batch_size']}")  # fmt: skip
    save_plots(trials, SPACE, args.plots)


if __name__ == "__main__":
    main()
