"""The points rounding: integers, the sign kept, ~0 dropped, the strongest at the top."""

from __future__ import annotations

import numpy as np
import pytest
from hypothesis import given
from hypothesis import strategies as st

from leadgate.calibrate import PointsModel, to_points

coefs = st.lists(
    st.floats(min_value=-50, max_value=50, allow_nan=False, allow_infinity=False),
    min_size=1,
    max_size=40,
)


@given(coefs, st.integers(min_value=1, max_value=100))
def test_points_are_integers_with_the_sign_kept_and_the_top_at_top(values, top):
    points = to_points(values, top)
    assert len(points) == len(values)
    assert all(isinstance(p, int) for p in points)
    largest = max(abs(v) for v in values)
    if largest == 0:
        assert points == [0] * len(values)
        return
    assert max(abs(p) for p in points) == top
    for v, p in zip(values, points, strict=True):
        # a kept criterion keeps its sign; a dropped one was within half a point of zero
        assert p == 0 or np.sign(p) == np.sign(v)
        assert abs(p - v / largest * top) <= 0.5 + 1e-9
        if abs(v / largest * top) < 0.5:
            assert p == 0


@given(coefs)
def test_rounding_is_symmetric_in_sign(values):
    assert to_points([-v for v in values]) == [-p for p in to_points(values)]


def test_bad_input_is_an_error_not_a_guess():
    with pytest.raises(ValueError, match="finite"):
        to_points([1.0, float("nan")])
    with pytest.raises(ValueError, match="top"):
        to_points([1.0], top=0)


def test_the_points_model_follows_the_estimator_contract():
    rng = np.random.default_rng(0)
    X = rng.integers(0, 2, size=(400, 3)).astype(float)
    y = (rng.random(400) < 0.1 + 0.6 * X[:, 0] - 0.05 * X[:, 2]).astype(int)
    model = PointsModel(penalty="l1", C=1.0)
    assert model.fit(X, y) is model
    assert model.points_[0] == 30  # the strongest, positive criterion
    assert list(model.score_points(X[:2])) == list(X[:2] @ model.points_)
    with pytest.raises(ValueError, match="one value"):
        PointsModel().fit(X, np.zeros(400))


def test_init_only_stores_its_arguments_and_fit_adds_only_underscored_state():
    """scikit-learn's conventions, asserted one by one (PointsModel is no BaseEstimator, so
    ``check_estimator`` does not apply): ``__init__`` keeps its arguments as given and
    nothing else, ``fit`` returns self and every attribute it learns ends in ``_``, refitting
    replaces that state, and an unfitted model has none."""
    model = PointsModel(penalty="l2", C=0.5, top=20)
    assert vars(model) == {"penalty": "l2", "C": 0.5, "top": 20}
    assert not any(name.endswith("_") for name in vars(model))
    rng = np.random.default_rng(1)
    X = rng.integers(0, 2, size=(300, 4)).astype(float)
    y = (rng.random(300) < 0.2 + 0.5 * X[:, 1]).astype(int)
    assert model.fit(X, y) is model
    learned = set(vars(model)) - {"penalty", "C", "top"}
    assert learned and all(name.endswith("_") and not name.startswith("_") for name in learned)
    assert (model.penalty, model.C, model.top) == ("l2", 0.5, 20)  # fit changed no argument
    assert np.abs(model.points_).max() == 20
    first = model.points_.copy()
    model.fit(X, 1 - y)  # refit: the learned state is replaced, signs flip
    assert (np.sign(model.points_) == -np.sign(first)).all()
