"""Chapter 02 exercises: feature scale in KNN, standardising with training statistics, the elbow, LOF's k."""

from __future__ import annotations

from typing import Any

import torch
import torch.nn.functional as F

from helpers.exercises.core import Exercise, Wrong, as_number, expect_callable, expect_function
from helpers.i18n import tr

CENTRES = torch.tensor([[0.0, 0.0], [2.5, 0.5], [1.0, 2.5]])


def _knn_accuracy(X_ref: torch.Tensor, y_ref: torch.Tensor, X: torch.Tensor, y: torch.Tensor,
                  k: int) -> float:
    neighbours = torch.cdist(X, X_ref).topk(k, dim=1, largest=False).indices
    votes = F.one_hot(y_ref[neighbours], int(y_ref.max()) + 1).sum(dim=1)
    return (votes.argmax(dim=1) == y).float().mean().item()


def _blobs_context() -> dict[str, Any]:
    gen = torch.Generator().manual_seed(0)

    def blobs(n: int) -> tuple[torch.Tensor, torch.Tensor]:
        X = torch.cat([c + 0.9 * torch.randn(n, 2, generator=gen) for c in CENTRES])
        return X, torch.arange(len(CENTRES)).repeat_interleave(n)

    (X_train, y_train), (X_val, y_val) = blobs(50), blobs(100)
    return {"X_train": X_train, "y_train": y_train, "X_val": X_val, "y_val": y_val}


# --- q1: scale matters -------------------------------------------------------------------------------


def solve_scaled_accuracy(X_train: torch.Tensor, y_train: torch.Tensor, X_val: torch.Tensor,
                          y_val: torch.Tensor) -> float:
    scale = torch.tensor([1.0, 100.0])
    neighbours = torch.cdist(X_val * scale, X_train * scale).topk(15, dim=1, largest=False).indices
    votes = F.one_hot(y_train[neighbours], 3).sum(dim=1)
    return (votes.argmax(dim=1) == y_val).float().mean().item()


def check_scaled_accuracy(answer: Any, X_train: torch.Tensor, y_train: torch.Tensor, X_val: torch.Tensor,
                          y_val: torch.Tensor) -> str:
    got = as_number(answer, tr("your accuracy"))
    if got > 1:
        raise Wrong(tr("{got:g} is a percentage: give the accuracy as a fraction between 0 and 1", got=got))
    scale = torch.tensor([1.0, 100.0])
    expected = _knn_accuracy(X_train * scale, y_train, X_val * scale, y_val, 15)
    plain = _knn_accuracy(X_train, y_train, X_val, y_val, 15)
    if abs(got - plain) < 1e-6:
        raise Wrong(tr("{got:.4f} is the accuracy without scaling: multiply the second column of both sets "
                       "by 100", got=got))
    if abs(got - expected) > 1e-6:
        queries_only = _knn_accuracy(X_train, y_train, X_val * scale, y_val, 15)
        hint = (tr(" You scaled the validation points but not the training points they are compared with.")
                if abs(got - queries_only) < 1e-6 else tr(" Scale both sets by torch.tensor([1.0, 100.0])."))
        raise Wrong(tr("your accuracy is {got:.4f}, expected {expected:.4f}.{hint}", got=got,
                       expected=expected, hint=hint))
    return (tr("{expected:.1%} against {plain:.1%} unscaled: distances now measure almost only feature 2, "
               "so the classes that differ along feature 1 get mixed up.", expected=expected, plain=plain))


q1 = Exercise(
    chapter="02", name="q1", title="Scale matters",
    checker=check_scaled_accuracy, solver=solve_scaled_accuracy,
    hints=["scale = torch.tensor([1.0, 100.0]) multiplies column 2 by 100 when you write X * scale.",
           "votes = knn_votes(X_val * scale, 15, X_ref=X_train * scale, y_ref=y_train); compare "
           "votes.argmax(1) with y_val and take the mean of the matches as floats."],
    wrong_answers=[lambda X_train, y_train, X_val, y_val: _knn_accuracy(X_train, y_train, X_val, y_val, 15),
                   lambda X_train, y_train, X_val, y_val: _knn_accuracy(
                       X_train, y_train, X_val * torch.tensor([1.0, 100.0]), y_val, 15)],
    context=_blobs_context,
)


# --- q2: standardise with the training statistics -----------------------------------------------------


def solve_standardise() -> Any:
    def standardise(reference: torch.Tensor, points: torch.Tensor) -> torch.Tensor:
        """(points - mean of reference) / std of reference, per feature (column)."""
        return (points - reference.mean(dim=0)) / reference.std(dim=0)

    return standardise


def _standardised(reference: torch.Tensor, points: torch.Tensor, correction: int) -> torch.Tensor:
    return (points - reference.mean(dim=0)) / reference.std(dim=0, correction=correction)


def check_standardise(answer: Any) -> str:
    expect_callable(answer, "standardise")
    reference = torch.tensor([[1.0, 100.0], [3.0, 300.0], [5.0, 500.0], [7.0, 200.0]])
    shifted = torch.tensor([[3.0, 300.0], [7.0, 700.0], [-1.0, 0.0]])
    cases = [(reference, reference), (reference, shifted),
             (torch.tensor([[0.0], [2.0], [7.0]]), torch.tensor([[1.0]]))]
    for ref, points in cases:
        got = answer(ref, points)
        if not torch.is_tensor(got) or got.shape != points.shape:
            raise Wrong(tr("standardise must return a tensor shaped like `points` {tuple_points_shape}, "
                           "got {value}", tuple_points_shape=tuple(points.shape),
                           value=tuple(got.shape) if torch.is_tensor(got) else type(got).__name__))
        if any(torch.allclose(got, _standardised(ref, points, c), atol=1e-5) for c in (0, 1)):
            continue   # either standard deviation (n or n - 1 in the denominator) is fine
        if torch.allclose(got, _standardised(points, points, 1), atol=1e-5) or torch.allclose(
                got, _standardised(points, points, 0), atol=1e-5):
            raise Wrong(tr("your function uses the statistics of `points` itself: use the mean and "
                           "standard deviation of `reference` (the training set), or you leak information "
                           "from the data you evaluate"))
        if torch.allclose(got, (points - ref.mean(dim=0)) / ref.var(dim=0), atol=1e-5):
            raise Wrong(tr("you divided by the variance: divide by the standard deviation (its square root)"))
        if torch.allclose(got, (points - ref.mean()) / ref.std(), atol=1e-5):
            raise Wrong(tr("you used one mean and one std for the whole table: compute them per feature, "
                           "with dim=0 (down the rows)"))
        raise Wrong(tr("standardise(reference, points) returned {got_tolist} for reference {ref_tolist} "
                       "and points {points_tolist}; expected {value}", got_tolist=got.tolist(),
                       ref_tolist=ref.tolist(), points_tolist=points.tolist(),
                       value=_standardised(ref, points, 1).tolist()))
    return tr("every feature now has mean 0 and standard deviation 1 on the training set: each counts "
              "equally.")


q2 = Exercise(
    chapter="02", name="q2", title="Standardise with training statistics",
    checker=check_standardise, solver=solve_standardise,
    hints=["reference.mean(dim=0) gives one mean per column (feature); reference.std(dim=0) one standard "
           "deviation per column.",
           "Subtract the reference's mean from `points` and divide by the reference's std: broadcasting does "
           "the rest."],
    wrong_answers=[lambda: lambda reference, points: (points - points.mean(dim=0)) / points.std(dim=0),
                   lambda: lambda reference, points: (points - reference.mean(dim=0)) / reference.var(dim=0),
                   lambda: lambda reference, points: (points - reference.mean()) / reference.std()],
)


# --- q3: the elbow ----------------------------------------------------------------------------------


def solve_elbow() -> Any:
    def elbow(inertias: list[float]) -> int:
        """The K (counting from 1) where drop before / drop after is largest."""
        drops = [inertias[i] - inertias[i + 1] for i in range(len(inertias) - 1)]   # drops[i]: K=i+1 -> K=i+2
        ratios = [drops[i - 1] / drops[i] for i in range(1, len(drops))]          # at K = i + 1
        return ratios.index(max(ratios)) + 2

    return elbow


def check_elbow(answer: Any) -> str:
    cases = [(([100.0, 60.0, 30.0, 10.0, 8.0, 6.5, 5.0],), 4),
             (([50.0, 10.0, 8.0, 6.0, 4.5],), 2),
             (([200.0, 150.0, 100.0, 52.0, 40.0, 30.0, 22.0, 15.0],), 4),
             (([90.0, 60.0, 45.0, 35.0, 8.0, 6.0, 4.5],), 5)]
    expect_function(answer, cases, name="elbow")
    return tr("the elbow is the last K that still buys a big drop.")


q3 = Exercise(
    chapter="02", name="q3", title="The elbow as a number",
    checker=check_elbow, solver=solve_elbow,
    hints=["drops[i] = inertias[i] - inertias[i + 1] is the gain from K = i + 1 to K = i + 2 clusters.",
           "At K = i + 2 the ratio is drops[i] / drops[i + 1]; return the K of the largest ratio "
           "(mind the +2)."],
    wrong_answers=[lambda: lambda inertias: 1 + max(range(len(inertias) - 1),
                                                    key=lambda i: inertias[i] - inertias[i + 1]),
                   lambda: lambda inertias: solve_elbow()(inertias) - 1],
)


# --- q4: the k of LOF --------------------------------------------------------------------------------


def _lof(X: torch.Tensor, k: int) -> torch.Tensor:
    distances = torch.cdist(X, X)
    distances.fill_diagonal_(float("inf"))
    knn_dist, knn_idx = distances.topk(k, dim=1, largest=False)
    reach = torch.maximum(knn_dist, knn_dist[:, -1][knn_idx])
    lrd = 1 / reach.mean(dim=1)
    return lrd[knn_idx].mean(dim=1) / lrd


def _top_planted(X: torch.Tensor, is_planted: torch.Tensor, k: int) -> int:
    n = int(is_planted.sum())
    return int(is_planted[_lof(X, k).argsort(descending=True)[:n]].sum())


def solve_lof_k3(X_lof: torch.Tensor, is_planted: torch.Tensor) -> int:
    distances = torch.cdist(X_lof, X_lof)
    distances.fill_diagonal_(float("inf"))
    knn_dist, knn_idx = distances.topk(3, dim=1, largest=False)
    reach = torch.maximum(knn_dist, knn_dist[:, -1][knn_idx])
    lrd = 1 / reach.mean(dim=1)
    lof = lrd[knn_idx].mean(dim=1) / lrd
    top = lof.argsort(descending=True)[: int(is_planted.sum())]
    return int(is_planted[top].sum())


def check_lof_k3(answer: Any, X_lof: torch.Tensor, is_planted: torch.Tensor) -> str:
    got = as_number(answer, tr("your count"))
    n = int(is_planted.sum())
    found = {k: _top_planted(X_lof, is_planted, k) for k in (3, 10)}
    if got == found[10] and found[10] != found[3]:
        raise Wrong(tr("{got:g} is the count with k = 10 (the notebook's); recompute with k = 3", got=got))
    if got != found[3]:
        raise Wrong(tr("you found {got:g} of the {n} planted outliers in the top {n}; with k = 3 it is "
                       "{found_3}. Take the {n} highest scores with argsort(descending=True)[:{n}] and "
                       "count how many are planted (is_planted)", got=got, n=n, found_3=found[3]))
    return (tr("{found_3} of {n} with k = 3, against {found_10} with k = 10: tiny neighbourhoods make "
               "noisy densities, and a pair of nearby outliers hides each other.", found_3=found[3], n=n,
               found_10=found[10]))


def _lof_context() -> dict[str, Any]:
    gen = torch.Generator().manual_seed(3)
    dense = 0.3 * torch.randn(150, 2, generator=gen)
    sparse = torch.tensor([6.0, 1.0]) + 1.5 * torch.randn(100, 2, generator=gen)
    planted = torch.tensor([[1.6, 1.2], [-1.5, -1.0], [0.4, -1.8], [-1.0, 6.0], [11.5, -5.0], [-5.0, -4.0]])
    X = torch.cat([dense, sparse, planted])
    return {"X_lof": X, "is_planted": torch.arange(len(X)) >= 250}


q4 = Exercise(
    chapter="02", name="q4", title="The k of LOF",
    checker=check_lof_k3, solver=solve_lof_k3,
    hints=["scores, _ = local_outlier_factor(X_lof, k=3) recomputes every score with 3 neighbours.",
           "top = scores.argsort(descending=True)[:6]; then is_planted[top].sum() counts the planted ones."],
    wrong_answers=[lambda X_lof, is_planted: _top_planted(X_lof, is_planted, 10),   # the notebook's k
                   lambda X_lof, is_planted: int(is_planted[_lof(X_lof, 3).argsort()[:6]].sum())],  # lowest
    context=_lof_context,
)
