"""Chapter 10b exercises: an average hash for near-duplicates, leaf-grouped folds by hand, and blanking
the corners that the background-only classifier reads."""

from __future__ import annotations

from collections import Counter
from collections.abc import Callable, Sequence
from typing import Any

import numpy as np
import torch
from PIL import Image

from helpers.exercises.core import Exercise, Wrong, expect_callable, expect_type
from helpers.i18n import mark, tr

# --- q1: an average hash ------------------------------------------------------------------------------

FILTERS = (Image.Resampling.NEAREST, Image.Resampling.BOX, Image.Resampling.BILINEAR,
           Image.Resampling.HAMMING, Image.Resampling.BICUBIC, Image.Resampling.LANCZOS)


def solve_average_hash() -> Any:
    def average_hash(image: Image.Image) -> np.ndarray:
        """64 booleans: the 8 x 8 grey thumbnail, True where a pixel is brighter than the thumbnail's mean."""
        small = np.asarray(image.convert("L").resize((8, 8)), dtype=np.float32)
        return (small > small.mean()).ravel()

    return average_hash


def _hashes(image: Image.Image) -> list[np.ndarray]:
    """The right hash under every resampling filter a student might use."""
    found = []
    for resample in FILTERS:
        small = np.asarray(image.convert("L").resize((8, 8), resample), dtype=np.float32)
        found.append((small > small.mean()).ravel())
    return found


def _test_images() -> dict[str, Image.Image]:
    rng = np.random.default_rng(10)
    coarse = rng.integers(30, 170, (8, 8, 3)).astype(np.uint8)  # a blocky picture, away from 0 and 255
    base = np.kron(coarse, np.ones((16, 16, 1), dtype=np.uint8))
    two_tone = np.full((64, 64, 3), 40, dtype=np.uint8)
    two_tone[:, 32:] = 200
    return {mark("blocks"): Image.fromarray(base), mark("brighter"): Image.fromarray(base + 40),
            mark("two halves"): Image.fromarray(two_tone),
            mark("upside down"): Image.fromarray(base[::-1].copy())}


def _bits(answer: Any, image: Image.Image) -> np.ndarray:
    bits = np.asarray(answer(image))
    if bits.size != 64:
        raise Wrong(tr("your hash has {bits_size} values, expected 64 (an 8 x 8 thumbnail in grey): "
                       "convert with .convert('L') and resize to (8, 8) before comparing with the mean",
                       bits_size=bits.size))
    if not np.isin(bits, (0, 1)).all():
        raise Wrong(tr("your hash should hold booleans (pixel > mean), not the pixel values themselves"))
    return bits.astype(bool).ravel()


def check_average_hash(answer: Any) -> str:
    expect_callable(answer, "average_hash")
    images = _test_images()
    got = {name: _bits(answer, image) for name, image in images.items()}
    if not np.array_equal(got["blocks"], got["brighter"]):
        raise Wrong(tr("your hash changed when the whole picture got 40 levels brighter: compare each "
                       "pixel with the mean of the 64 thumbnail pixels, not with a fixed level such as 128"))
    for name, image in images.items():
        right = _hashes(image)
        if any(np.array_equal(got[name], h) for h in right):
            continue
        if any(np.array_equal(got[name], ~h) for h in right):
            raise Wrong(tr("your bits are inverted: True must mean 'brighter than the mean'"))
        raise Wrong(tr("your hash of the '{name}' test picture differs from the average hash in {value} of "
                       "64 bits", name=name, value=int(min((got[name] != h).sum() for h in right))))
    if np.array_equal(got["blocks"], got["upside down"]):
        raise Wrong(tr("your hash is the same for a picture and its upside-down copy: keep the pixels in "
                       "place"))
    return (tr("the same 64 bits for a brighter copy: near-duplicates (another photo of the same leaf) "
               "differ in few bits, which is how a leak can be estimated without the leaf maps."))


def _fixed_threshold() -> Any:
    return lambda image: (np.asarray(image.convert("L").resize((8, 8))) > 128).ravel()


def _colour() -> Any:
    def colour_hash(image: Image.Image) -> np.ndarray:
        small = np.asarray(image.resize((8, 8)), dtype=np.float32)  # forgot .convert("L"): 192 values
        return (small > small.mean()).ravel()

    return colour_hash


def _too_fine() -> Any:
    def fine_hash(image: Image.Image) -> np.ndarray:
        small = np.asarray(image.convert("L").resize((16, 16)), dtype=np.float32)
        return (small > small.mean()).ravel()

    return fine_hash


q1 = Exercise(
    chapter="10b", name="q1", title="An average hash for near-duplicates",
    checker=check_average_hash, solver=solve_average_hash,
    hints=["image.convert('L').resize((8, 8)) is the grey 8 x 8 thumbnail; "
           "np.asarray(..., dtype=np.float32) gives its 64 values.",
           "Return (small > small.mean()).ravel(): 64 booleans, True where a pixel is brighter than the "
           "mean."],
    wrong_answers=[_fixed_threshold, _colour, _too_fine],
)


# --- q2: leaf-grouped folds by hand -----------------------------------------------------------------------


def solve_group_folds() -> Callable[[Sequence[Any], int], list[int]]:
    def group_folds(groups: Sequence[Any], k: int) -> list[int]:
        """A fold (0 to k-1) per photo: the photos of a group in one fold, the folds near-equal."""
        sizes = Counter(groups)
        load = [0] * k
        fold_of = {}
        for group, size in sorted(sizes.items(), key=lambda item: -item[1]):   # the largest groups first
            fold = load.index(min(load))                                      # to the emptiest fold
            fold_of[group] = fold
            load[fold] += size
        return [fold_of[g] for g in groups]

    return group_folds


def _group_cases() -> dict[str, tuple[list[str], int]]:
    """Group ids, one per photo, and the number of folds; the orders are chosen so that shortcuts fail."""
    rng = np.random.default_rng(5)
    sizes = [5, 4, 4, 3, 3, 2, 2, 1, 1, 1, 1, 1]
    mixed = [f"leaf{g}" for g, n in enumerate(sizes) for _ in range(n)]
    in_turn = [f"leaf{g}" for g, n in enumerate([8, 1, 1, 8, 1, 1, 8, 1, 1]) for _ in range(n)]
    return {mark("photos in a random order"): ([str(g) for g in rng.permutation(mixed)], 3),
            mark("big and small leaves in turn"): (in_turn, 3),
            mark("one photo per leaf"): ([f"leaf{i}" for i in range(10)], 4)}


def check_group_folds(answer: Any) -> str:
    expect_callable(answer, "group_folds")
    for case, (groups, k) in _group_cases().items():
        got = answer(list(groups), k)
        folds = [int(f) for f in np.asarray(got).ravel()] if got is not None else []
        if len(folds) != len(groups):
            raise Wrong(tr("for '{case}' you returned {size} folds for {n} photos: one fold number per photo",
                           case=case, size=len(folds), n=len(groups)))
        if any(not 0 <= f < k for f in folds):
            raise Wrong(tr("fold numbers go from 0 to k - 1 = {last}, got {folds}", last=k - 1,
                           folds=sorted(set(folds))))
        seen: dict[str, set[int]] = {}
        for group, fold in zip(groups, folds, strict=True):
            seen.setdefault(group, set()).add(fold)
        split = next((g for g, where in seen.items() if len(where) > 1), None)
        if split is not None:
            raise Wrong(tr("in '{case}' the photos of {group} are in folds {where}: a model would be scored "
                           "on a leaf it trained on. Deal out whole groups, not photos", case=case,
                           group=split, where=sorted(seen[split])))
        load = np.bincount(folds, minlength=k)
        largest = max(Counter(groups).values())
        if load.max() - load.min() > largest:
            raise Wrong(tr("in '{case}' the folds hold {load} photos: more than the largest group "
                           "({largest}) apart. Deal the largest groups first, each to the fold with the "
                           "fewest photos so far", case=case, load=load.tolist(), largest=largest))
    return tr("no leaf in two folds, and folds as even as whole leaves allow: each fold is scored on leaves "
              "its model never saw. pv.kfold_splits(root, k=5, grouping='leaf') deals the groups the same "
              "way, class by class.")


def _photo_by_photo() -> Any:
    return lambda groups, k: [i % k for i in range(len(groups))]


def _groups_in_turn() -> Any:
    def folds(groups: Sequence[Any], k: int) -> list[int]:
        order = list(dict.fromkeys(groups))   # each group once, in the order it first appears
        return [order.index(g) % k for g in groups]

    return folds


def _everything_in_one() -> Any:
    return lambda groups, k: [0] * len(groups)


q2 = Exercise(
    chapter="10b", name="q2", title="Leaf-grouped folds by hand",
    checker=check_group_folds, solver=solve_group_folds,
    hints=["collections.Counter(groups) gives each group's number of photos; give every GROUP a fold, then "
           "read each photo's fold from its group.",
           "Keep a list of photos per fold, load = [0] * k; for the groups from the largest down, "
           "fold = load.index(min(load)), then load[fold] += size."],
    wrong_answers=[_photo_by_photo, _groups_in_turn, _everything_in_one],
)


# --- q3: blank the corners the background classifier reads --------------------------------------------

GREY = 127
"""The course's grey (``pv.augmentations``' rotations fill with it)."""


def solve_blank_corners() -> Any:
    def blank_corners(images: torch.Tensor, size: int = 2) -> torch.Tensor:
        """A copy of the uint8 batch (N, 3, H, W), its four size x size corner squares painted grey (127)."""
        out = images.clone()
        for rows in (slice(0, size), slice(-size, None)):
            for cols in (slice(0, size), slice(-size, None)):
                out[:, :, rows, cols] = 127
        return out

    return blank_corners


def _biased_set(seed: int = 0, classes: int = 8, per_class: int = 30,
                side: int = 32) -> tuple[torch.Tensor, torch.Tensor]:
    """Images whose BACKGROUND gives the class away and whose centre (the 'leaf') is random."""
    gen = torch.Generator().manual_seed(seed)
    tints = torch.randint(60, 200, (classes, 3, 1, 1), generator=gen)
    labels = torch.arange(classes).repeat_interleave(per_class)
    images = tints[labels] + torch.randint(-12, 13, (len(labels), 3, side, side), generator=gen)
    images[:, :, side // 4: -side // 4, side // 4: -side // 4] = torch.randint(
        0, 256, (len(labels), 3, 1, 1), generator=gen)
    return images.clamp(0, 255).to(torch.uint8), labels


def corner_accuracy(train: torch.Tensor, y_train: torch.Tensor, test: torch.Tensor, y_test: torch.Tensor,
                    size: int = 2) -> float:
    """Nearest class centroid on the corner squares only: the chapter's background classifier in miniature."""
    def corners(x: torch.Tensor) -> torch.Tensor:
        parts = [x[:, :, r, c] for r in (slice(0, size), slice(-size, None)) for c in (slice(0, size),
                                                                                      slice(-size, None))]
        return torch.cat([p.flatten(1) for p in parts], dim=1).float()

    features, queries = corners(train), corners(test)
    centroids = torch.stack([features[y_train == k].mean(0) for k in range(int(y_train.max()) + 1)])
    return float((torch.cdist(queries, centroids).argmin(1) == y_test).float().mean())


def check_blank_corners(answer: Any) -> str:
    expect_callable(answer, "blank_corners")
    images, labels = _biased_set()
    train, test = torch.arange(len(labels)) % 3 != 0, torch.arange(len(labels)) % 3 == 0
    original = images.clone()
    out = answer(images, 2)
    if not torch.equal(images, original):
        raise Wrong(tr("your function changed the images it was given: work on a copy (images.clone()) and "
                       "return it"))
    expect_type(out, torch.Tensor, "blank_corners(...)")
    if out.shape != images.shape or out.dtype != torch.uint8:
        raise Wrong(tr("blank_corners must return a uint8 batch shaped like its input "
                       "{tuple_images_shape}, got {out_dtype} {tuple_out_shape}",
                       tuple_images_shape=tuple(images.shape), out_dtype=out.dtype,
                       tuple_out_shape=tuple(out.shape)))
    chance = 1 / (int(labels.max()) + 1)
    before = corner_accuracy(images[train], labels[train], images[test], labels[test])
    after = corner_accuracy(out[train], labels[train], out[test], labels[test])
    names = {(0, 0): "top-left", (0, -1): "top-right", (-1, 0): "bottom-left", (-1, -1): "bottom-right"}
    if after > 2 * chance:
        showing = [name for (r, c), name in names.items() if not (out[:, :, r, c] == GREY).all()]
        raise Wrong(tr("the corner classifier still scores {after:.0%} (chance {chance:.0%}) on your "
                       "images: the {corners} square(s) still show the background",
                       after=after, chance=chance, corners=', '.join(showing) or 'corner'))
    for (r, c), name in names.items():
        if not (out[:, :, r, c] == GREY).all():
            raise Wrong(tr("the {name} corner is {pixel}, not the course's grey {GREY_3} (the "
                           "fill of pv.augmentations' rotations)", name=name,
                           pixel=out[0, :, r, c].tolist(), GREY_3=[GREY] * 3))
    inside = torch.ones(images.shape[-2:], dtype=torch.bool)
    for rows in (slice(0, 2), slice(-2, None)):
        for cols in (slice(0, 2), slice(-2, None)):
            inside[rows, cols] = False
    changed = (out != images).any(dim=(0, 1)) & inside
    if changed.any():
        r, c = (int(v) for v in changed.nonzero()[0])
        raise Wrong(tr("you changed pixels outside the four 2 x 2 corner squares (e.g. row {r}, column "
                       "{c}): the leaf and the rest of the picture must stay as they were", r=r, c=c))
    wider = answer(images[:2], 3)
    if not (wider[:, :, :3, :3] == GREY).all():
        raise Wrong(tr("blank_corners(images, size=3) left part of the 3 x 3 corner squares: use `size`"))
    return (tr("the corner classifier scored {before:.0%} on these pictures and {after:.0%} once the "
               "corners are grey (chance {chance:.0%}): it was reading the background, not the leaf.",
               before=before, after=after, chance=chance))


def _top_left_only() -> Any:
    def blank(images: torch.Tensor, size: int = 2) -> torch.Tensor:
        out = images.clone()
        out[:, :, :size, :size] = GREY
        return out

    return blank


def _in_place() -> Any:
    def blank(images: torch.Tensor, size: int = 2) -> torch.Tensor:
        for rows in (slice(0, size), slice(-size, None)):
            for cols in (slice(0, size), slice(-size, None)):
                images[:, :, rows, cols] = GREY
        return images

    return blank


def _whole_border_rows() -> Any:
    def blank(images: torch.Tensor, size: int = 2) -> torch.Tensor:
        out = images.clone()
        out[:, :, :size, :] = GREY
        out[:, :, -size:, :] = GREY
        return out

    return blank


q3 = Exercise(
    chapter="10b", name="q3", title="Blank the corners the background classifier reads",
    checker=check_blank_corners, solver=solve_blank_corners,
    hints=["images[:, :, :size, :size] is the top-left size x size square of every image and every "
           "channel; images[:, :, -size:, -size:] the bottom-right one.",
           "out = images.clone(); set the four squares (rows :size or -size:, columns :size or -size:) to "
           "127; return out."],
    wrong_answers=[_top_left_only, _in_place, _whole_border_rows],
)
