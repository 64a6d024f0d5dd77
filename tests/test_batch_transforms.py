"""Batch augmentation on tensors draws from the same distributions as the per-image PIL transforms."""

from __future__ import annotations

import numpy as np
import pytest
import torch
from PIL import Image

from helpers.data.batch_transforms import BatchAugment, BatchNormalize, normalize_batch
from helpers.data.transforms import MEAN, ROTATION_FILL, STD, eval_transform, train_transform

DRAWS = 400
NO_GPU = pytest.mark.skipif(not torch.cuda.is_available(), reason="no GPU")
DEVICES = ["cpu", pytest.param("cuda", marks=NO_GPU)]


def leaf(size: int = 32) -> Image.Image:
    """A test image that looks different flipped either way, with no mid-grey pixel."""
    y, x = np.mgrid[0:size, 0:size] / size
    red = 40 + 180 * x
    green = 200 - 150 * y
    blue = 60 + 100 * (x * y)
    pixels = np.stack([red, green, blue], axis=-1)
    pixels[: size // 4, : size // 3] = (230, 220, 30)  # a yellow spot in one corner
    return Image.fromarray(pixels.astype(np.uint8))


def per_image(augment: bool, rotations: bool, seed: int = 0) -> torch.Tensor:
    torch.manual_seed(seed)
    transform = train_transform(augment=augment, rotations=rotations)
    image = leaf()
    return torch.stack([transform(image) for _ in range(DRAWS)])


def batched(augment: bool, rotations: bool, device: str, seed: int = 1) -> torch.Tensor:
    batch = torch.from_numpy(np.array(leaf())).permute(2, 0, 1).unsqueeze(0).repeat(DRAWS, 1, 1, 1)
    out = BatchAugment(augment, rotations, generator=torch.Generator().manual_seed(seed))(batch.to(device))
    assert out.device.type == device and out.dtype == torch.float32
    return out.cpu()


def _zscore(t: torch.Tensor) -> torch.Tensor:
    flat = t.flatten(1)
    return (flat - flat.mean(1, keepdim=True)) / flat.std(1, keepdim=True)


def flips(outputs: torch.Tensor) -> tuple[float, float]:
    """How often the images were flipped left-right and top-bottom: the best-correlated flip of the leaf."""
    template = eval_transform()(leaf()).unsqueeze(0)
    variants = torch.cat([template, template.flip(3), template.flip(2), template.flip(2).flip(3)])
    best = (_zscore(outputs) @ _zscore(variants).T).argmax(dim=1)  # none, left-right, top-bottom, both
    left_right = (best == 1) | (best == 3)
    top_bottom = (best == 2) | (best == 3)
    return left_right.float().mean().item(), top_bottom.float().mean().item()


def jitter_mismatch(reference: torch.Tensor, candidate: torch.Tensor) -> float:
    """Largest gap between the 10/50/90% quantiles of the images' means and contrasts, in spreads."""
    gaps = []
    for statistic in (lambda t: t.mean(dim=(1, 2, 3)), lambda t: t.std(dim=(1, 2, 3))):
        a, b = statistic(reference).numpy(), statistic(candidate).numpy()
        gap = np.abs(np.quantile(a, [0.1, 0.5, 0.9]) - np.quantile(b, [0.1, 0.5, 0.9])).max()
        gaps.append(gap / a.std())
    return max(gaps)


@pytest.mark.parametrize("device", DEVICES)
def test_flip_rates_and_colour_jitter_match_the_per_image_transform(device: str) -> None:
    reference, candidate = per_image(True, False), batched(True, False, device)
    for rate in (*flips(reference), *flips(candidate)):
        assert abs(rate - 0.5) < 0.1, "each flip with probability 1/2"
    assert jitter_mismatch(reference, candidate) < 0.25, "brightness and contrast vary alike"
    plain = torch.from_numpy(np.array(leaf())).permute(2, 0, 1).repeat(DRAWS, 1, 1, 1)
    assert jitter_mismatch(reference, BatchNormalize()(plain)) > 1, "the statistic notices missing jitter"
    # Saturation: the spread between the three channels, averaged over pixels.
    sat = [t.std(dim=1).mean(dim=(1, 2)).numpy() for t in (reference, candidate)]
    assert abs(sat[0].mean() - sat[1].mean()) < 0.1 * sat[0].std()
    assert abs(sat[0].std() - sat[1].std()) < 0.2 * sat[0].std()


@pytest.mark.parametrize("device", DEVICES)
def test_rotations_fill_with_the_same_grey_as_often(device: str) -> None:
    reference, candidate = per_image(False, True), batched(False, True, device)
    grey = normalize_batch(torch.tensor(ROTATION_FILL, dtype=torch.uint8).view(1, 3, 1, 1))
    shares = [((t - grey).abs().amax(dim=1) < 1e-3).float().mean(dim=(1, 2)).numpy()
              for t in (reference, candidate)]
    assert shares[0].mean() > 0.05, "rotations by up to 30 degrees uncover the corners"
    assert abs(shares[0].mean() - shares[1].mean()) < 0.1 * shares[0].mean(), [s.mean() for s in shares]
    assert abs(np.quantile(shares[0], 0.9) - np.quantile(shares[1], 0.9)) < 0.15 * np.quantile(shares[0], 0.9)
    # The per-pixel mean image over all draws (the average rotated leaf) is the same.
    gap = (reference.mean(0) - candidate.mean(0)).abs().mean().item()
    assert gap < 0.05, gap
    unrotated = per_image(False, False)
    assert (reference.mean(0) - unrotated.mean(0)).abs().mean().item() > 4 * gap, "the test can tell"


def test_normalisation_matches_the_eval_transform_for_uint8_and_float() -> None:
    image = leaf()
    reference = eval_transform()(image).unsqueeze(0)
    uint8 = torch.from_numpy(np.array(image)).permute(2, 0, 1).unsqueeze(0)
    assert torch.allclose(BatchNormalize()(uint8), reference, atol=1e-5)
    assert torch.allclose(BatchNormalize()(uint8.float() / 255), reference, atol=1e-5)
    expected_mean = (np.asarray(image, dtype=np.float32).mean((0, 1)) / 255 - MEAN) / STD
    assert np.allclose(BatchNormalize()(uint8).mean(dim=(0, 2, 3)).numpy(), expected_mean, atol=1e-4)


def test_crops_zoom_in_and_keep_the_size() -> None:
    ramp = torch.linspace(0, 1, 64).view(1, 1, 1, 64).repeat(50, 3, 64, 1)  # brightness = x position
    full = BatchAugment(False, crop_scale=(1.0, 1.0), crop_ratio=(1.0, 1.0), normalize=False)(ramp)
    assert torch.allclose(full, ramp, atol=1e-5), "a crop of the whole image is the image"
    zoomed = BatchAugment(False, crop_scale=(0.25, 0.25), crop_ratio=(1.0, 1.0), normalize=False)(ramp)
    assert zoomed.shape == ramp.shape
    ranges = zoomed[:, 0, 0].amax(dim=1) - zoomed[:, 0, 0].amin(dim=1)
    assert torch.allclose(ranges, torch.full_like(ranges, 0.5), atol=0.03), "a quarter of the area"
    with pytest.raises(ValueError, match="expects a"):
        BatchAugment()(torch.zeros(2, 1, 8, 8))
