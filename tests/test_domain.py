"""Domain, space_eval and normalize_result: from a trial's values to a result document."""

import math
import re
import types

import numpy as np
import pytest

from hopt import Domain, Trials, fmin, generate_trials_to_calculate, hp, rand, space_eval
from hopt.pyll import scope
from hopt.results import normalize_result

SPACE = {
    "lr": hp.loguniform("lr", -5, 0),
    "model": hp.choice(
        "model",
        [
            {"kind": "svm", "C": hp.lognormal("C", 0, 1)},
            {"kind": "tree", "depth": hp.uniformint("depth", 1, 12)},
        ],
    ),
}


# --------------------------------------------------------------------------- space_eval


def test_space_eval_turns_a_choice_index_into_the_option():
    point = space_eval(SPACE, {"lr": 0.01, "model": 1, "depth": 4})
    assert point == {"lr": 0.01, "model": {"kind": "tree", "depth": 4}}


def test_space_eval_matches_hyperopts_documented_example():
    space = hp.choice(
        "a", [("case 1", 1 + hp.lognormal("c1", 0, 1)), ("case 2", hp.uniform("c2", -10, 10))]
    )
    assert space_eval(space, {"a": 0, "c1": 1.0}) == ("case 1", 2.0)


def test_space_eval_ignores_values_of_inactive_labels():
    point = space_eval(SPACE, {"lr": 0.01, "model": 0, "C": 2.0, "depth": 4})
    assert point["model"] == {"kind": "svm", "C": 2.0}


@pytest.mark.parametrize(
    "index", [np.int64(1), np.int32(1), np.uint16(1)], ids=["int64", "int32", "uint16"]
)
def test_space_eval_accepts_numpy_int_choice_index(index):
    # Hyperopt issue #949: ('switch argument was', 1) for numpy ints.
    point = space_eval(SPACE, {"lr": 0.01, "model": index, "depth": 4})
    assert point["model"]["kind"] == "tree"


def test_space_eval_accepts_a_whole_float_choice_index():
    point = space_eval(SPACE, {"lr": 0.01, "model": 1.0, "depth": 4})
    assert point["model"]["kind"] == "tree"


def test_space_eval_unwraps_trials_vals_style_lists():
    point = space_eval(SPACE, {"lr": [0.01], "model": [1], "depth": [4]})
    assert point == {"lr": 0.01, "model": {"kind": "tree", "depth": 4}}


def test_space_eval_accepts_a_trials_misc_vals_dict_with_inactive_labels():
    point = space_eval(SPACE, {"lr": [0.01], "model": [1], "C": [], "depth": [4]})
    assert point == {"lr": 0.01, "model": {"kind": "tree", "depth": 4}}


@pytest.mark.parametrize(
    ("space", "value", "expected"),
    [
        (hp.quniform("k", 0, 10, 1), 3.0, 3),
        (hp.uniformint("k", 0, 10), np.float64(3.0), 3),
        (scope.int(hp.uniform("k", 0, 10)), 3.7, 3),
        (hp.uniform("k", 0, 10), 3, 3.0),
        (hp.normal("k", 0, 1), np.float32(0.5), 0.5),
    ],
    ids=["quniform", "uniformint", "scope.int", "uniform-int-value", "normal-float32"],
)
def test_space_eval_gives_python_numbers_of_the_params_type(space, value, expected):
    result = space_eval(space, {"k": value})
    assert result == expected and type(result) is type(expected)


def test_space_eval_of_fmins_argmin_gives_the_best_point():
    seen = []

    def objective(point):
        seen.append(point)
        return point["lr"] + (point["model"].get("C", 0) or point["model"].get("depth", 0))

    trials = Trials()
    best = fmin(
        objective,
        SPACE,
        algo=rand.suggest,
        max_evals=15,
        trials=trials,
        rstate=3,
        show_progressbar=False,
    )
    best_point = seen[trials.losses().index(min(trials.losses()))]
    assert space_eval(SPACE, best) == best_point


# --------------------------------------------------------------------------- Domain


def test_domain_params_map_labels_to_sampler_nodes():
    domain = Domain(lambda p: 0, SPACE)
    assert set(domain.params) == {"lr", "model", "C", "depth"}
    assert domain.params["lr"].name == "loguniform"
    assert domain.params["model"].name == "categorical"


def test_domain_point_equals_space_eval():
    domain = Domain(lambda p: 0, SPACE)
    config = {"lr": 0.1, "model": 0, "C": 1.5}
    assert domain.point(config) == space_eval(SPACE, config)


def test_domain_evaluate_calls_fn_on_the_point_and_normalises():
    domain = Domain(lambda p: p["lr"] * 2, SPACE)
    result = domain.evaluate({"lr": 0.25, "model": 0, "C": 1.0}, ctrl=None)
    assert result == {"loss": 0.5, "status": "ok"}


def test_domain_evaluate_with_pass_expr_memo_ctrl_gets_the_graph():
    received = {}

    def fn(expr, memo, ctrl):
        received.update(expr=expr, ctrl=ctrl)
        return 1.0

    domain = Domain(fn, SPACE, pass_expr_memo_ctrl=True)
    domain.evaluate({"lr": 0.5, "model": 0, "C": 1.0}, ctrl="the-ctrl")
    assert received == {"expr": domain.expr, "ctrl": "the-ctrl"}


def test_domain_evaluate_moves_attachments_to_the_ctrl():
    ctrl = types.SimpleNamespace(attachments={})
    domain = Domain(lambda p: {"loss": 1.0, "attachments": {"blob": b"xyz"}}, SPACE)
    result = domain.evaluate({"lr": 0.5, "model": 0, "C": 1.0}, ctrl)
    assert "attachments" not in result
    assert ctrl.attachments == {"blob": b"xyz"}


def test_domain_keeps_hyperopt_attributes():
    domain = Domain(lambda p: 0, SPACE, name="demo", loss_target=0.5)
    assert (domain.name, domain.loss_target) == ("demo", 0.5)
    assert domain.cmd == ("domain_attachment", "FMinIter_Domain")
    assert domain.new_result() == {"status": "new"}


# --------------------------------------------------------------------------- results

OK_RESULTS = [
    pytest.param(1, 1.0, id="int"),
    pytest.param(2.5, 2.5, id="float"),
    pytest.param(-3.0, -3.0, id="negative"),
    pytest.param(np.float64(1.5), 1.5, id="numpy-float64"),
    pytest.param(np.float32(0.5), 0.5, id="numpy-float32"),
    pytest.param(np.int64(3), 3.0, id="numpy-int"),
    pytest.param(np.array(2.0), 2.0, id="numpy-0d-array"),
    pytest.param({"loss": 1, "status": "ok"}, 1.0, id="dict-ok"),
    pytest.param({"loss": np.float64(0.25), "status": "ok"}, 0.25, id="dict-numpy-loss"),
    pytest.param({"loss": 0.5}, 0.5, id="dict-without-status"),
]


@pytest.mark.parametrize(("returned", "loss"), OK_RESULTS)
def test_normalize_result_accepts_a_loss(returned, loss):
    result = normalize_result(returned)
    assert result["status"] == "ok"
    assert result["loss"] == loss and type(result["loss"]) is float


FAILED_RESULTS = [
    pytest.param(
        {"loss": float("nan"), "status": "ok"},
        "InvalidLossError",
        r"loss=nan, which is NaN; a loss must be a finite number, or a flat list of finite "
        r"numbers for several objectives \(return status 'fail'",
        id="nan-loss",
    ),
    pytest.param(
        float("nan"),
        "InvalidLossError",
        r"which is NaN; a loss must be a finite number",
        id="bare-nan",
    ),
    pytest.param(
        {"loss": float("inf")},
        "InvalidLossError",
        r"loss=inf, which is infinite; a loss must be a finite number",
        id="inf-loss",
    ),
    pytest.param(
        -math.inf,
        "InvalidLossError",
        r"loss=-inf, which is infinite",
        id="bare-minus-inf",
    ),
    pytest.param(
        {"status": "ok"},
        "InvalidLossError",
        r"status 'ok' without a 'loss'; add the loss to the dict",
        id="ok-without-loss",
    ),
    pytest.param(
        {"loss": "low", "status": "ok"},
        "InvalidLossError",
        r"loss='low', which is str, not a number; a loss must be a finite number",
        id="loss-not-a-number",
    ),
    pytest.param(
        {"loss": 1.0, "status": "great"},
        "InvalidResultStatusError",
        r"status='great'; a finished trial's status must be one of \['ok', 'fail', 'pruned'\]",
        id="unknown-status",
    ),
    pytest.param(
        {"loss": 1.0, "status": "new"},
        "InvalidResultStatusError",
        r"status='new'; a finished trial's status must be one of \['ok', 'fail', 'pruned'\]",
        id="unfinished-status",
    ),
    pytest.param(
        {},
        "InvalidResultStatusError",
        r"neither 'loss' nor 'status'; add 'loss' \(and 'status': 'ok'\), or 'status': 'fail'",
        id="empty-dict",
    ),
    pytest.param(
        None,
        "InvalidLossError",
        r"returned None \(does it end without a return statement\?\); return a number "
        r"\(the loss\) or a dict with 'loss' and 'status'",
        id="none",
    ),
    pytest.param(
        "0.5",
        "InvalidLossError",
        r"returned str '0\.5'; return a number \(the loss\) or a dict",
        id="string",
    ),
    pytest.param(
        [[0.5, 1.0]],
        "InvalidLossError",
        r"loss=\[\[0\.5, 1\.0\]\], whose item 0 is a nested list, not a number",
        id="nested-list",
    ),
]


@pytest.mark.parametrize(("returned", "error_type", "pattern"), FAILED_RESULTS)
def test_normalize_result_turns_a_bad_return_into_a_failed_result(returned, error_type, pattern):
    result = normalize_result(returned)
    assert result["status"] == "fail"
    assert result["error"]["type"] == error_type
    assert re.search(pattern, result["error"]["message"]), result["error"]["message"]


def test_normalize_result_keeps_status_fail_as_is():
    assert normalize_result({"status": "fail", "note": "x"}) == {"status": "fail", "note": "x"}


def test_normalize_result_keeps_extra_keys():
    result = normalize_result({"loss": 1, "status": "ok", "loss_variance": 0.1, "info": [1]})
    assert result == {"loss": 1.0, "status": "ok", "loss_variance": 0.1, "info": [1]}


def test_normalize_result_keeps_extra_keys_of_a_failed_result():
    result = normalize_result({"loss": float("nan"), "status": "ok", "info": "kept"})
    assert result["info"] == "kept"


def test_normalize_result_does_not_modify_the_returned_dict():
    returned = {"loss": 1}
    normalize_result(returned)
    assert returned == {"loss": 1}


def test_a_real_valued_label_given_as_an_int_reaches_the_objective_as_a_float():
    seen = []
    trials = generate_trials_to_calculate([{"x": 10, "n": 3}])
    space = {"x": hp.uniform("x", 0, 20), "n": hp.quniform("n", 1, 5, 1)}
    fmin(lambda p: seen.append(p) or 0.0, space, trials=trials, algo=rand.suggest,
         max_evals=1, show_progressbar=False)  # fmt: skip
    assert seen == [{"x": 10.0, "n": 3}]
    assert type(seen[0]["x"]) is float and type(seen[0]["n"]) is int


def test_space_eval_keeps_a_value_off_an_integer_grid_as_given():
    space = hp.quniform("x", 0, 10, 2)
    assert space_eval(space, {"x": 3.3}) == 3.3
    value = space_eval(space, {"x": 4.0})
    assert value == 4 and type(value) is int
