"""Chapter 10a exercises: the majority baseline on the test part, sampling weights that draw every class
equally often, and the per-channel statistics that normalisation uses."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import numpy as np
import torch

from helpers.exercises.core import Exercise, Wrong, as_number, expect_callable
from helpers.i18n import mark, tr

# --- q1: the majority baseline on the test part ------------------------------------------------------


def _labels(files: list[str], classes: list[str]) -> np.ndarray:
    return np.array([classes.index(f.split("/")[0]) for f in files], dtype=np.int64)


def solve_majority_on_test(split: dict[str, Any]) -> float:
    classes = split["classes"]
    train = [classes.index(f.split("/")[0]) for f in split["train"]]
    test = np.array([classes.index(f.split("/")[0]) for f in split["test"]])
    majority = np.bincount(train, minlength=len(classes)).argmax()  # chosen on the training labels
    return float((test == majority).mean())


def _test_majority_share(split: dict[str, Any]) -> float:
    test = _labels(split["test"], split["classes"])
    return float(np.bincount(test).max() / len(test))


def _overall_share(split: dict[str, Any]) -> float:
    everything = _labels(split["train"] + split["val"] + split["test"], split["classes"])
    return float(np.bincount(everything).max() / len(everything))


def check_majority_on_test(answer: Any, split: dict[str, Any]) -> str:
    got = as_number(answer, tr("your accuracy"))
    if got > 1:
        raise Wrong(tr("{got:g} looks like a percentage: give the accuracy as a fraction between 0 and 1",
                       got=got))
    expected = solve_majority_on_test(split)
    if abs(got - expected) <= 1e-9:
        return (tr("{expected:.1%} on the test part, against {overall_share_split:.1%} for the largest "
                   "class over all images: stratification keeps every class's share in each part.",
                   expected=expected, overall_share_split=_overall_share(split)))
    if abs(got - _test_majority_share(split)) <= 1e-9:
        raise Wrong(tr("{got:.4f} is what the most frequent TEST class scores: you chose the class by "
                       "looking at the test labels. Choose it on the training labels "
                       "(np.bincount(train).argmax()), then count how often the test labels equal it",
                       got=got))
    if abs(got - _overall_share(split)) <= 1e-9:
        raise Wrong(tr("{got:.4f} is the largest class's share of ALL images; the question is the test "
                       "part: compare the test labels with the training majority class", got=got))
    raise Wrong(tr("your accuracy is {got:.4f}, expected {expected:.4f}: take the class that is most "
                   "frequent in split['train'] and the share of split['test'] that belongs to it", got=got,
                   expected=expected))


def _split_context() -> dict[str, Any]:
    """A small stand-in split in which the three plausible numbers differ."""
    def files(cls: str, n: int, start: int = 0) -> list[str]:
        return [f"{cls}/img_{start + i:03d}.jpg" for i in range(n)]

    split = {"classes": ["Apple___healthy", "Grape___healthy", "Tomato___healthy"],
             "train": (files("Apple___healthy", 12) + files("Grape___healthy", 9)
                       + files("Tomato___healthy", 6)),
             "val": files("Apple___healthy", 1, 50) + files("Tomato___healthy", 1, 50),
             "test": files("Apple___healthy", 1, 60) + files("Grape___healthy", 1, 60)
             + files("Tomato___healthy", 3, 60)}
    return {"split": split}


q1 = Exercise(
    chapter="10a", name="q1", title="The majority baseline on the test part",
    checker=check_majority_on_test, solver=solve_majority_on_test,
    hints=["Turn file names into labels: split['classes'].index(f.split('/')[0]) for each file.",
           "majority = np.bincount(train_labels).argmax() on the TRAINING labels; the answer is "
           "(test_labels == majority).mean()."],
    wrong_answers=[lambda split: _test_majority_share(split), lambda split: _overall_share(split),
                   lambda split: 100 * solve_majority_on_test(split)],
    context=_split_context,
)


# --- q2: draw every class equally often -------------------------------------------------------------------


def solve_sampler_weights() -> Callable[[Any], torch.Tensor]:
    def sampler_weights(labels: Any) -> torch.Tensor:
        """One weight per image, 1 / (the size of its class): every class is drawn equally often."""
        labels = torch.as_tensor(labels, dtype=torch.long)
        counts = torch.bincount(labels)
        return 1.0 / counts[labels].double()

    return sampler_weights


def _label_cases() -> dict[str, np.ndarray]:
    """Made-up training labels, unbalanced like PlantVillage (and one class missing from the middle)."""
    rng = np.random.default_rng(7)
    cases = {mark("four classes, 152 to 5,507 images"): ([0, 1, 2, 3], [152, 5_507, 1_000, 400]),
             mark("three classes, one of them a single image"): ([0, 1, 2], [20, 1, 9]),
             mark("class 1 has no image"): ([0, 2, 3], [6, 3, 12])}
    return {case: rng.permutation(np.repeat(classes, sizes)) for case, (classes, sizes) in cases.items()}


def _class_shares(weights: np.ndarray, labels: np.ndarray) -> dict[int, float]:
    """The expected share of the draws that each class present gets with these per-image weights."""
    total = weights.sum()
    return {int(c): float(weights[labels == c].sum() / total) for c in np.unique(labels)}


def _weights(answer: Any, labels: np.ndarray, case: str) -> np.ndarray:
    try:
        got = np.asarray(answer(torch.as_tensor(labels)), dtype=np.float64).ravel()
    except (TypeError, ValueError) as error:
        raise Wrong(tr("sampler_weights must return numbers (a tensor, an array or a list), one per image: "
                       "{error}", error=error)) from None
    present = len(np.unique(labels))
    if got.size in (present, int(labels.max()) + 1) and got.size != len(labels):
        raise Wrong(tr("you returned {size} weights, one per class; the sampler wants one per IMAGE "
                       "({n} here): index your class weights with the labels (w[labels])", size=got.size,
                       n=len(labels)))
    if got.size != len(labels):
        raise Wrong(tr("for '{case}' you returned {size} weights for {n} images: one weight per image",
                       case=case, size=got.size, n=len(labels)))
    if not np.isfinite(got).all() or (got < 0).any() or got.sum() <= 0:
        raise Wrong(tr("the weights must be finite, not negative, and not all zero"))
    return got


def check_sampler_weights(answer: Any) -> str:
    expect_callable(answer, "sampler_weights")
    for case, labels in _label_cases().items():
        shares = _class_shares(_weights(answer, labels, case), labels)
        want = 1 / len(shares)
        worst = max(shares, key=lambda c: abs(shares[c] - want))
        if abs(shares[worst] - want) > 1e-6:
            frequencies = {c: float((labels == c).mean()) for c in shares}
            if all(abs(shares[c] - frequencies[c]) < 1e-6 for c in shares):
                raise Wrong(tr("with your weights every image is equally likely: the sampler draws the "
                               "classes as unbalanced as the data ({share:.1%} for class {worst} in "
                               "'{case}'). Give the images of small classes more weight", share=shares[worst],
                               worst=worst, case=case))
            largest = max(frequencies, key=frequencies.get)
            if shares[largest] > frequencies[largest] + 1e-6:
                raise Wrong(tr("your weights grow with the class size: in '{case}' the largest class would "
                               "get {share:.1%} of the draws (it holds {frequency:.1%} of the images). The "
                               "weight of an image is 1 / (the size of its class)", case=case,
                               share=shares[largest], frequency=frequencies[largest]))
            raise Wrong(tr("in '{case}' your weights draw class {worst} {share:.1%} of the time instead of "
                           "{want:.1%} (1 / {classes} classes)", case=case, worst=worst, share=shares[worst],
                           want=want, classes=len(shares)))
    from helpers.data.locate import EXPECTED_COUNTS  # the full set's images per class, as published

    counts = np.array(list(EXPECTED_COUNTS.values()))
    ratio = counts.max() / counts.min()
    draws = counts.sum() / len(counts) / counts.min()
    return tr("every class gets 1/{classes} of the draws. On the full set an image of the smallest class "
              "({smallest} images) is drawn {ratio:.1f} times as often as one of the largest ({largest:,}); "
              "an epoch of {total:,} draws shows each of its images about {draws:.0f} times, which is why "
              "such sampling goes with augmentation. torch.utils.data.WeightedRandomSampler(weights, "
              "num_samples=len(weights)) uses them.", classes=len(counts), smallest=int(counts.min()),
              ratio=ratio, largest=int(counts.max()), total=int(counts.sum()), draws=draws)


def _uniform() -> Any:
    return lambda labels: torch.ones(len(labels))


def _per_class() -> Any:
    return lambda labels: 1.0 / torch.bincount(torch.as_tensor(labels)).clamp(min=1).double()


def _by_size() -> Any:
    return lambda labels: torch.bincount(torch.as_tensor(labels))[torch.as_tensor(labels)].double()


q2 = Exercise(
    chapter="10a", name="q2", title="Draw every class equally often",
    checker=check_sampler_weights, solver=solve_sampler_weights,
    hints=["torch.bincount(labels) counts the images of each class; counts[labels] gives, for every image, "
           "the size of its own class.",
           "weights = 1.0 / counts[labels].double(): each class's weights then add up to 1, the same for "
           "every class."],
    wrong_answers=[_uniform, _per_class, _by_size],
)


# --- q3: the statistics that normalisation uses -----------------------------------------------------------


def solve_channel_stats() -> Callable[[torch.Tensor], tuple[torch.Tensor, torch.Tensor]]:
    def channel_stats(images: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor]:
        """Mean and standard deviation of each channel over a uint8 batch (N, 3, H, W), on the 0-1 scale."""
        x = images.double() / 255
        return x.mean(dim=(0, 2, 3)), x.std(dim=(0, 2, 3))

    return channel_stats


def _stat_batches() -> dict[str, torch.Tensor]:
    """uint8 batches whose channels differ, and whose images differ in brightness from one to the next."""
    gen = torch.Generator().manual_seed(3)
    tint = torch.tensor([40, 110, 20]).view(1, 3, 1, 1)   # more green than red or blue
    leafy = torch.randint(0, 120, (8, 3, 24, 24), generator=gen) + tint
    brightness = torch.arange(6).view(6, 1, 1, 1) * 35       # each image brighter than the one before
    dim_and_bright = torch.randint(0, 60, (6, 3, 16, 16), generator=gen) + brightness
    flat = torch.full((4, 3, 8, 8), 200)
    return {mark("green leaves"): leafy.clamp(0, 255).to(torch.uint8),
            mark("dim and bright images"): dim_and_bright.clamp(0, 255).to(torch.uint8),
            mark("one flat colour"): flat.to(torch.uint8)}


def _pair(answer: Any, images: torch.Tensor) -> tuple[np.ndarray, np.ndarray]:
    got = answer(images.clone())
    if not isinstance(got, tuple | list) or len(got) != 2:
        raise Wrong(tr("channel_stats must return two things, (mean, std), got {got_type}",
                       got_type=type(got).__name__))
    mean, std = (np.asarray(v.detach().cpu() if isinstance(v, torch.Tensor) else v, dtype=np.float64)
                 for v in got)
    for name, value in ((mark("mean"), mean), (mark("std"), std)):
        if value.size != 3:
            raise Wrong(tr("your {name} has {size} value(s), expected 3, one per colour channel: reduce over "
                           "the images and the pixels, dim=(0, 2, 3)", name=name, size=value.size))
    return mean.ravel(), std.ravel()


def check_channel_stats(answer: Any) -> str:
    expect_callable(answer, "channel_stats")
    for case, images in _stat_batches().items():
        mean, std = _pair(answer, images)
        x = images.double() / 255
        right_mean, right_std = x.mean(dim=(0, 2, 3)).numpy(), x.std(dim=(0, 2, 3)).numpy()
        if (mean > 1.5).any() or (std > 1.5).any():
            raise Wrong(tr("your statistics are on the 0-255 scale ({mean}); the course's images are floats "
                           "in 0-1 when they are normalised: divide by 255 first",
                           mean=np.round(mean, 1).tolist()))
        if not np.allclose(mean, right_mean, atol=1e-4):
            raise Wrong(tr("for '{case}' your means are {mean}, expected {right}: one mean per channel over "
                           "every pixel of every image", case=case, mean=np.round(mean, 4).tolist(),
                           right=np.round(right_mean, 4).tolist()))
        # the unbiased and the population std differ by far less than this on thousands of pixels
        if not np.allclose(std, right_std, atol=2e-3):
            per_image = x.std(dim=(2, 3)).mean(dim=0).numpy()
            if np.allclose(std, per_image, atol=2e-3):
                raise Wrong(tr("for '{case}' you averaged the spread of each image on its own ({std}); the "
                               "spread that normalisation divides by is over all the pixels of all the "
                               "images at once ({right}): the differences between images count too",
                               case=case, std=np.round(std, 4).tolist(),
                               right=np.round(right_std, 4).tolist()))
            raise Wrong(tr("for '{case}' your standard deviations are {std}, expected {right}", case=case,
                           std=np.round(std, 4).tolist(), right=np.round(right_std, 4).tolist()))
    from helpers.data.transforms import MEAN, STD

    return tr("right. The course normalises with pv.MEAN = {mean} and pv.STD = {std}, the statistics of "
              "ImageNet's photos (what pretrained networks expect); run your function on a batch of raw "
              "training images to see how far PlantVillage's own are.", mean=list(MEAN), std=list(STD))


def _on_0_255() -> Any:
    return lambda images: (images.double().mean(dim=(0, 2, 3)), images.double().std(dim=(0, 2, 3)))


def _one_number() -> Any:
    return lambda images: ((images.double() / 255).mean(), (images.double() / 255).std())


def _per_image_spread() -> Any:
    def stats(images: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor]:
        x = images.double() / 255
        return x.mean(dim=(0, 2, 3)), x.std(dim=(2, 3)).mean(dim=0)

    return stats


q3 = Exercise(
    chapter="10a", name="q3", title="The statistics that normalisation uses",
    checker=check_channel_stats, solver=solve_channel_stats,
    hints=["x = images.double() / 255 puts the pixels on the 0-1 scale; dim=(0, 2, 3) reduces over the "
           "images (0), the rows (2) and the columns (3), leaving one value per channel (1).",
           "return x.mean(dim=(0, 2, 3)), x.std(dim=(0, 2, 3))"],
    wrong_answers=[_on_0_255, _one_number, _per_image_spread],
)
