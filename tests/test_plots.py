"""Tests for helpers.plots: every figure has a title and labelled axes, and the decision boundary
colours the plane by the class the model predicts (checked on linearly separable toy models)."""

from __future__ import annotations

import matplotlib

matplotlib.use("Agg")  # no display in tests

import matplotlib.pyplot as plt
import numpy as np
import pandas as pd
import pytest
import torch
from matplotlib.axes import Axes
from matplotlib.contour import ContourSet
from matplotlib.figure import Figure
from torch import nn

from helpers import plots


@pytest.fixture(autouse=True)
def close_figures():
    """Close every figure a test opened, so figures never pile up across tests."""
    yield
    plt.close("all")


def square_points(n: int = 200, seed: int = 0) -> torch.Tensor:
    """Points spread over the square [-1, 1]²."""
    return 2 * torch.rand(n, 2, generator=torch.Generator().manual_seed(seed)) - 1


def contour_set(ax: Axes) -> ContourSet:
    """The one filled contour set that plot_decision_boundary draws."""
    if int(matplotlib.__version__.split(".")[1]) < 8 and matplotlib.__version__.startswith("3."):
        pytest.skip("ContourSet is an Axes collection from matplotlib 3.8 on")
    sets = [c for c in ax.collections if isinstance(c, ContourSet)]
    assert len(sets) == 1, f"expected one filled contour set, found {len(sets)}"
    return sets[0]


def region_value(ax: Axes, point: tuple[float, float]) -> tuple[float, float]:
    """The (low, high) contour levels of the filled band that contains ``point`` (data coordinates)."""
    cs = contour_set(ax)
    bands = [i for i, path in enumerate(cs.get_paths())
             if len(path.vertices) and path.contains_point(point)]
    assert len(bands) == 1, f"{point} lies in {len(bands)} filled bands"
    return float(cs.levels[bands[0]]), float(cs.levels[bands[0] + 1])


def assert_class_at(ax: Axes, point: tuple[float, float], label: int) -> None:
    """The band containing ``point`` is the band of class ``label`` (levels bracket the label)."""
    low, high = region_value(ax, point)
    assert low <= label <= high and high - low < 1, (
        f"at {point} the plot shows values in [{low}, {high}], expected class {label}")


def labelled(ax: Axes) -> bool:
    """True when the axes has a title and both axis labels."""
    return bool(ax.get_title() and ax.get_xlabel() and ax.get_ylabel())


# ----------------------------------------------------------------------------- decision boundary

def test_binary_decision_boundary_follows_a_linear_model() -> None:
    """One logit, threshold 0: class 1 above the line x2 = 0, class 0 below (axes not swapped)."""
    model = nn.Linear(2, 1)
    with torch.no_grad():
        model.weight.copy_(torch.tensor([[0.0, 1.0]]))
        model.bias.zero_()
    X = square_points()
    y = (X[:, 1] > 0).long()
    ax = plots.plot_decision_boundary(model, X, y, title="binary")
    assert isinstance(ax, Axes) and labelled(ax) and ax.get_title() == "binary"
    assert_class_at(ax, (0.8, -0.8), 0)
    assert_class_at(ax, (-0.8, 0.8), 1)
    assert_class_at(ax, (0.8, 0.8), 1)
    assert_class_at(ax, (-0.8, -0.8), 0)


def test_binary_decision_boundary_accepts_a_callable_with_flat_logits() -> None:
    """A plain function returning (N,) logits works too: class 1 right of x1 = 0.2."""
    X = square_points()
    ax = plots.plot_decision_boundary(lambda grid: grid[:, 0] - 0.2, X, (X[:, 0] > 0.2).long())
    assert_class_at(ax, (-0.5, 0.9), 0)
    assert_class_at(ax, (0.7, -0.9), 1)


def test_multiclass_decision_boundary_uses_the_argmax() -> None:
    """Three logits whose argmax splits the plane into vertical thirds: classes 0, 1, 2 left to right."""
    centres = torch.tensor([-2 / 3, 0.0, 2 / 3])

    def three_bands(grid: torch.Tensor) -> torch.Tensor:
        return -(grid[:, :1] - centres) ** 2  # nearest centre wins

    X = square_points()
    y = three_bands(X).argmax(dim=1)
    assert set(y.tolist()) == {0, 1, 2}
    ax = plots.plot_decision_boundary(three_bands, X, y, title="three classes")
    for x1, label in [(-0.85, 0), (0.0, 1), (0.85, 2)]:
        for x2 in (-0.8, 0.0, 0.8):
            assert_class_at(ax, (x1, x2), label)


def test_decision_boundary_draws_on_the_given_axes_with_the_data() -> None:
    """With ``ax=``, it draws there: the plane covers the data and the points are scattered on top."""
    fig, axes = plt.subplots(1, 2)
    X = square_points(50)
    y = (X[:, 0] > 0).long()
    returned = plots.plot_decision_boundary(lambda g: g[:, :1], X, y, ax=axes[1], title="right panel")
    assert returned is axes[1] and axes[1].get_title() == "right panel" and not axes[0].collections
    scatter = [c for c in returned.collections if not isinstance(c, ContourSet)]
    assert len(scatter) == 1 and np.allclose(scatter[0].get_offsets(), X.numpy())
    (x_lo, x_hi), (y_lo, y_hi) = returned.get_xlim(), returned.get_ylim()
    assert x_lo <= X[:, 0].min() and X[:, 0].max() <= x_hi and y_lo <= X[:, 1].min() and X[:, 1].max() <= y_hi


def test_decision_boundary_puts_a_training_module_in_eval_mode() -> None:
    """Dropout must be off while the plane is coloured, so the regions are deterministic."""
    model = nn.Sequential(nn.Linear(2, 8), nn.Dropout(0.5), nn.Linear(8, 1))
    model.train()
    plots.plot_decision_boundary(model, square_points(20), torch.zeros(20))
    assert not model.training


# ----------------------------------------------------------------------------- figures

def history_frame(with_val: bool = True) -> pd.DataFrame:
    """A three-epoch history shaped like engine.fit's output."""
    nan = float("nan")
    return pd.DataFrame({
        "epoch": [1, 2, 3], "train_loss": [1.0, 0.6, 0.4], "train_acc": [0.5, 0.7, 0.8],
        "val_loss": [1.1, 0.7, 0.5] if with_val else [nan] * 3,
        "val_acc": [0.45, 0.65, 0.75] if with_val else [nan] * 3, "lr": [0.1, 0.05, 0.01],
    })


def test_plot_history_has_titles_labels_and_both_curves() -> None:
    """Loss and accuracy panels, train and validation lines, accuracy in percent."""
    fig = plots.plot_history(history_frame(), title="my run")
    assert isinstance(fig, Figure) and fig._suptitle.get_text() == "my run"
    ax_loss, ax_acc = fig.axes
    assert labelled(ax_loss) and labelled(ax_acc) and "%" in ax_acc.get_ylabel()
    assert [len(ax.get_lines()) for ax in fig.axes] == [2, 2]
    assert np.allclose(ax_acc.get_lines()[0].get_ydata(), [50, 70, 80]), "accuracy is plotted in percent"
    assert {t.get_text() for t in ax_loss.get_legend().get_texts()} == {"train", "val"}


def test_plot_history_without_validation_draws_train_only() -> None:
    """A run without a validation loader (NaN columns) gets only the training curves."""
    fig = plots.plot_history(history_frame(with_val=False))
    assert [len(ax.get_lines()) for ax in fig.axes] == [1, 1]


def test_plot_lr_has_title_and_labels() -> None:
    """The learning rate per epoch, one point per epoch."""
    fig = plots.plot_lr(history_frame())
    ax = fig.axes[0]
    assert labelled(ax) and np.allclose(ax.get_lines()[0].get_ydata(), [0.1, 0.05, 0.01])


def test_plot_confusion_matrix_counts_and_normalised() -> None:
    """Class names on both axes, the counts as cells, rows summing to 1 when normalised."""
    cm = np.array([[5, 1, 0], [2, 3, 1], [0, 0, 4]])
    names = ["cat", "dog", "bird"]
    fig = plots.plot_confusion_matrix(cm, names, title="pets")
    ax = fig.axes[0]
    assert (ax.get_title(), ax.get_xlabel(), ax.get_ylabel()) == ("pets", "predicted class", "true class")
    assert [t.get_text() for t in ax.get_xticklabels()] == names
    assert [t.get_text() for t in ax.get_yticklabels()] == names
    assert np.array_equal(np.asarray(ax.collections[0].get_array()).reshape(3, 3), cm)
    assert "5" in {t.get_text() for t in ax.texts}, "small matrices are annotated with their counts"

    fig = plots.plot_confusion_matrix(cm, names, normalize=True)
    cells = np.asarray(fig.axes[0].collections[0].get_array()).reshape(3, 3)
    assert np.allclose(cells.sum(axis=1), 1.0) and np.isclose(cells[0, 0], 5 / 6)


def test_plot_predictions_colours_right_and_wrong() -> None:
    """One titled panel per image, green when the prediction is right and red when it is wrong."""
    images = torch.rand(6, 1, 8, 8)
    y_true, y_pred = [0, 1, 2, 0, 1, 2], [0, 1, 0, 0, 2, 2]
    names = ["a", "b", "c"]
    fig = plots.plot_predictions(images, y_true, y_pred, names, ncols=3, title="grid")
    assert fig._suptitle.get_text() == "grid"
    titled = [ax for ax in fig.axes if ax.get_title()]
    assert len(titled) == 6 and all(ax.images for ax in titled)
    colours = [ax.title.get_color() for ax in titled]
    assert colours == ["green" if t == p else "red" for t, p in zip(y_true, y_pred, strict=True)]
    assert titled[2].get_title() == "pred: a\ntrue: c"


def test_show_images_titles_and_empty_panels() -> None:
    """Images of any layout (C×H×W, H×W, NumPy) with their titles; leftover panels stay empty."""
    images = [torch.rand(3, 8, 8), torch.rand(8, 8), np.random.default_rng(0).random((8, 8))]
    fig = plots.show_images(images, ["rgb", "grey", "numpy"], ncols=2, title="samples")
    assert fig._suptitle.get_text() == "samples" and len(fig.axes) == 4
    with_images = [ax for ax in fig.axes if ax.images]
    assert [ax.get_title() for ax in with_images] == ["rgb", "grey", "numpy"]
    assert with_images[0].images[0].get_array().shape == (8, 8, 3), "channels moved last for imshow"


def test_plot_comparison_bars_match_the_metric() -> None:
    """One bar per model, heights equal to the metric, title and labels set."""
    results = pd.DataFrame({"model": ["linear", "mlp", "cnn"], "test_acc": [0.83, 0.75, 0.88]})
    fig = plots.plot_comparison(results, "test_acc", title="FashionMNIST", ylabel="test accuracy")
    ax = fig.axes[0]
    assert (ax.get_title(), ax.get_xlabel(), ax.get_ylabel()) == ("FashionMNIST", "model", "test accuracy")
    assert np.allclose([bar.get_height() for bar in ax.patches], [0.83, 0.75, 0.88])
    assert [t.get_text() for t in ax.get_xticklabels()] == ["linear", "mlp", "cnn"]
