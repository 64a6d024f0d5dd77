"""Tests for helpers.metrics against numbers computed by hand."""

from __future__ import annotations

import numpy as np
import pytest
import torch

from helpers.metrics import (
    accuracy,
    balanced_accuracy,
    baselines,
    confusion_matrix,
    format_scores,
    macro_f1,
    mcnemar,
    most_confused,
    per_class_accuracy,
    scores,
)

NAMES = ["cat", "dog", "bird"]
Y_TRUE = [0, 0, 0, 1, 1, 2, 2, 2, 2]
Y_PRED = [0, 1, 1, 1, 0, 2, 0, 2, 2]
# Rows are true classes, columns predicted ones, counted by hand from the two lists above.
HAND_CM = np.array([[1, 2, 0],
                    [1, 1, 0],
                    [1, 0, 3]])


def test_accuracy_from_logits_and_from_labels() -> None:
    logits = torch.tensor([[2.0, 0.1], [0.0, 1.0], [3.0, -1.0], [0.2, 0.1]])
    targets = torch.tensor([0, 1, 1, 1])
    assert accuracy(logits, targets) == pytest.approx(0.5)
    assert accuracy(torch.tensor(Y_PRED), torch.tensor(Y_TRUE)) == pytest.approx(5 / 9)


def test_accuracy_of_nothing_is_an_error() -> None:
    with pytest.raises(ValueError, match="empty"):
        accuracy(torch.empty(0, 3), torch.empty(0, dtype=torch.long))


def test_confusion_matrix_matches_hand_count() -> None:
    cm = confusion_matrix(Y_TRUE, Y_PRED, num_classes=3)
    np.testing.assert_array_equal(cm, HAND_CM)
    assert cm.sum() == len(Y_TRUE)
    assert np.trace(cm) / cm.sum() == pytest.approx(accuracy(torch.tensor(Y_PRED), torch.tensor(Y_TRUE)))


def test_confusion_matrix_accepts_tensors_and_unseen_classes() -> None:
    cm = confusion_matrix(torch.tensor(Y_TRUE), torch.tensor(Y_PRED), num_classes=4)
    assert cm.shape == (4, 4)
    np.testing.assert_array_equal(cm[:3, :3], HAND_CM)
    assert cm[3].sum() == cm[:, 3].sum() == 0


def test_confusion_matrix_rejects_bad_labels() -> None:
    with pytest.raises(ValueError, match="outside 0..2"):
        confusion_matrix([0, 3], [0, 1], num_classes=3)
    with pytest.raises(ValueError, match="y_pred has 1"):
        confusion_matrix([0, 1], [0], num_classes=3)


def test_per_class_accuracy_is_recall_worst_first() -> None:
    table = per_class_accuracy(HAND_CM, NAMES)
    assert table["class"].tolist() == ["cat", "dog", "bird"]  # 1/3, 1/2, 3/4
    assert table["accuracy"].tolist() == pytest.approx([1 / 3, 1 / 2, 3 / 4])
    assert table["support"].tolist() == [3, 2, 4]


def test_per_class_accuracy_of_an_absent_class_is_nan() -> None:
    cm = confusion_matrix([0, 1], [0, 0], num_classes=3)
    table = per_class_accuracy(cm, NAMES).set_index("class")
    assert np.isnan(table.loc["bird", "accuracy"]) and table.loc["bird", "support"] == 0
    assert table.loc["dog", "accuracy"] == 0.0


def test_most_confused_orders_the_mistakes() -> None:
    table = most_confused(HAND_CM, NAMES, top=3)
    assert list(table.columns) == ["true", "predicted", "count"]
    assert table.iloc[0].tolist() == ["cat", "dog", 2]
    assert table["count"].tolist() == [2, 1, 1]
    assert set(map(tuple, table[["true", "predicted"]].to_numpy()[1:])) == {("dog", "cat"), ("bird", "cat")}
    assert len(most_confused(HAND_CM, NAMES, top=10)) == 3, "only pairs with at least one mistake"


def test_most_confused_symmetric_adds_both_directions() -> None:
    table = most_confused(HAND_CM, NAMES, symmetric=True)
    assert list(table.columns) == ["class_a", "class_b", "count"]
    assert table.iloc[0].tolist() == ["cat", "dog", 3]  # 2 cats called dogs + 1 dog called a cat
    assert table.iloc[1].tolist() == ["cat", "bird", 1]
    assert len(table) == 2


def test_most_confused_without_mistakes_is_empty_with_columns() -> None:
    table = most_confused(np.eye(3, dtype=int) * 5, NAMES)
    assert table.empty and list(table.columns) == ["true", "predicted", "count"]


def test_baselines_random_and_majority() -> None:
    scores = baselines([0, 0, 0, 1, 2, 2], num_classes=4)
    assert scores["random_guess"] == pytest.approx(0.25)
    assert scores["majority_class"] == pytest.approx(0.5)
    balanced = baselines(torch.arange(10) % 10, num_classes=10)
    assert balanced["majority_class"] == pytest.approx(balanced["random_guess"]) == pytest.approx(0.1)


def test_mcnemar_exact_p_value_by_hand() -> None:
    # 10 images: both right on 2, both wrong on 1, A alone right on 1, B alone right on 6.
    a = [1, 1, 0, 1, 0, 0, 0, 0, 0, 0]
    b = [1, 1, 0, 0, 1, 1, 1, 1, 1, 1]
    test = mcnemar(a, b)
    assert (test["a_only"], test["b_only"], test["discordant"]) == (1, 6, 7)
    # By hand: 2 * P(X <= 1), X ~ Binomial(7, 1/2) = 2 * (1 + 7) / 128 = 0.125.
    assert test["p_value"] == pytest.approx(0.125)
    assert mcnemar(b, a)["p_value"] == pytest.approx(0.125), "symmetric in A and B"


def test_mcnemar_without_discordant_images_finds_no_difference() -> None:
    same = [True, False, True]
    assert mcnemar(same, same) == {"a_only": 0, "b_only": 0, "discordant": 0, "p_value": 1.0}
    # 0 against 10 discordant images: 2 / 1024.
    assert mcnemar([0] * 10, [1] * 10)["p_value"] == pytest.approx(2 / 1024)
    with pytest.raises(ValueError, match="same images"):
        mcnemar([True, False], [True])
def test_balanced_accuracy_and_macro_f1_match_hand_computed_values() -> None:
    # Recalls 1/3, 1/2, 3/4. F1 = 2TP / (support + predicted): cat 2/6, dog 2/5, bird 6/7.
    assert balanced_accuracy(HAND_CM) == pytest.approx((1 / 3 + 1 / 2 + 3 / 4) / 3)   # 19/36
    assert macro_f1(HAND_CM) == pytest.approx((2 / 6 + 2 / 5 + 6 / 7) / 3)            # 167/315
    found = scores(HAND_CM)
    assert found == pytest.approx({"accuracy": 5 / 9, "balanced_accuracy": 19 / 36, "macro_f1": 167 / 315})
    assert format_scores(HAND_CM) == "accuracy 55.6%, balanced accuracy 52.8%, macro-F1 53.0%"


def test_a_class_never_predicted_scores_zero_and_a_class_seen_nowhere_is_left_out() -> None:
    # Class 2 occurs once and is never predicted; class 3 is neither true nor predicted.
    cm = confusion_matrix([0, 0, 1, 1, 2], [0, 0, 0, 1, 0], num_classes=4)
    assert scores(cm) == pytest.approx({"accuracy": 3 / 5, "balanced_accuracy": (1 + 1 / 2 + 0) / 3,
                                        "macro_f1": (4 / 6 + 2 / 3 + 0) / 3})


def test_a_class_predicted_but_never_true_counts_in_macro_f1_not_in_balanced_accuracy() -> None:
    cm = confusion_matrix([0, 0, 1], [0, 2, 1], num_classes=3)
    assert balanced_accuracy(cm) == pytest.approx((1 / 2 + 1) / 2)
    assert macro_f1(cm) == pytest.approx((2 / 3 + 1 + 0) / 3)


def test_the_majority_answer_scores_its_share_but_one_class_in_balanced_accuracy() -> None:
    # 8 of 10 images in class 0 and a model that always says 0: 80% accurate, no better than chance per class.
    cm = confusion_matrix([0] * 8 + [1, 2], [0] * 10, num_classes=3)
    assert scores(cm) == pytest.approx({"accuracy": 0.8, "balanced_accuracy": 1 / 3,
                                        "macro_f1": (2 * 8 / (8 + 10)) / 3})


def test_scores_of_an_empty_matrix_are_an_error() -> None:
    for score in (balanced_accuracy, macro_f1, scores):
        with pytest.raises(ValueError, match="empty"):
            score(np.zeros((3, 3), dtype=int))
