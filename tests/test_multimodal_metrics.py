"""Tests of the few-label metrics and scorers (rows labelled -1 are ignored)."""

import pickle

import numpy as np
import pytest
from sklearn.dummy import DummyClassifier
from sklearn.metrics import accuracy_score, f1_score, log_loss

from skstc.metrics import (
    labelled_accuracy_score,
    labelled_accuracy_scorer,
    labelled_f1_macro_scorer,
    labelled_f1_score,
    labelled_score,
    make_labelled_scorer,
)


def test_labelled_scores_by_hand():
    y_true = np.array([0, 0, 1, 1, -1, -1])
    y_pred = np.array([0, 0, 1, 0, 1, 1])
    # labelled rows: 3 of 4 right
    assert labelled_accuracy_score(y_true, y_pred) == 0.75
    # class 0: P=2/3 R=1 F1=0.8; class 1: P=1 R=1/2 F1=2/3 -> macro 11/15
    assert labelled_f1_score(y_true, y_pred) == pytest.approx(11 / 15)
    # predictions on unlabelled rows do not matter
    assert labelled_f1_score(y_true, np.r_[y_pred[:4], 0, 0]) == pytest.approx(11 / 15)
    # weights are restricted to the labelled rows
    w = np.array([1, 1, 1, 3, 100, 100])
    assert labelled_accuracy_score(y_true, y_pred, sample_weight=w) == pytest.approx(3 / 6)
    assert labelled_score(y_true, y_pred, metric=accuracy_score, unlabelled=1) == 0.5


def test_labelled_score_labels_kinds_and_errors():
    assert labelled_accuracy_score(np.array(["a", "b"]), np.array(["a", "a"])) == 0.5
    obj = np.array(["a", -1, "b"], dtype=object)
    assert labelled_accuracy_score(obj, np.array(["a", "b", "b"], dtype=object)) == 1.0
    with pytest.raises(ValueError, match="no labelled row"):
        labelled_accuracy_score([-1, -1], [0, 1])
    with pytest.raises(ValueError, match="rows"):
        labelled_accuracy_score([0, 1, -1], [0, 1])
    with pytest.raises(ValueError, match="1-D"):
        labelled_accuracy_score([[0, 1]], [[0, 1]])


def test_scorers_ignore_unlabelled_rows_and_pickle():
    X = np.zeros((6, 1))
    y_fit = np.array([0, 0, 0, 1, 1, 1])
    est = DummyClassifier(strategy="constant", constant=0).fit(X, y_fit)
    y = np.array([0, 1, -1, -1, -1, -1])        # 1 of 2 labelled rows right
    assert labelled_accuracy_scorer(est, X, y) == 0.5
    assert labelled_f1_macro_scorer(est, X, y) == pytest.approx(f1_score([0, 1], [0, 0],
                                                                         average="macro"))
    scorer = make_labelled_scorer(f1_score, average="macro")
    assert scorer(est, X, y) == pytest.approx(labelled_f1_macro_scorer(est, X, y))
    assert pickle.loads(pickle.dumps(scorer))(est, X, y) == scorer(est, X, y)
    # probability-based losses: only the labelled rows' probabilities are scored
    prior = DummyClassifier(strategy="prior").fit(X, y_fit)
    nll = make_labelled_scorer(log_loss, response_method="predict_proba",
                               greater_is_better=False, labels=[0, 1])
    assert nll(prior, X, y) == pytest.approx(-np.log(2))
