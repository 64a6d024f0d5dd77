"""MixUp and CutMix: training batches blended with a shifted copy of themselves, with soft targets.

MixUp (Zhang et al., 2018) blends two whole examples, ``lam * x_i + (1 - lam) * x_j``; CutMix
(Yun et al., 2019) pastes a rectangle of one image into another, ``lam`` being the share of the
image left uncovered. Either way the target is the same blend of the two one-hot labels, e.g.
0.7 "Apple scab" + 0.3 "Tomato healthy": a model cannot simply memorise a 20-image class, and
learns from the space between examples. ``lam`` is drawn from Beta(alpha, alpha) once per
batch, and example ``i`` is mixed with example ``i - 1`` of the (shuffled) batch, as in
torchvision's ``transforms.v2.MixUp``.

``engine.fit(..., mix=make_mix(num_classes, mixup=0.2, cutmix=1.0))`` applies it to training
batches only; ``nn.CrossEntropyLoss`` takes the soft targets as they are (also with
``label_smoothing``).
"""

from __future__ import annotations

import torch
import torch.nn.functional as F


def _beta(alpha: float) -> float:
    """One draw of Beta(alpha, alpha) from torch's generator (seeded by ``seed_everything``)."""
    a = torch.tensor(float(alpha))
    return float(torch.distributions.Beta(a, a).sample())


def mixup_with(inputs: torch.Tensor, targets: torch.Tensor, lam: float) -> tuple[torch.Tensor, torch.Tensor]:
    """MixUp with a given ``lam``: example ``i`` blended with example ``i - 1``, targets likewise."""
    return (lam * inputs + (1 - lam) * inputs.roll(1, 0),
            lam * targets + (1 - lam) * targets.roll(1, 0))


def mixup(inputs: torch.Tensor, targets: torch.Tensor, alpha: float) -> tuple[torch.Tensor, torch.Tensor]:
    """MixUp of a batch (any shape (N, ...)) and its soft targets (N, classes), lam ~ Beta(alpha, alpha)."""
    return mixup_with(inputs, targets, _beta(alpha))


def cutmix(inputs: torch.Tensor, targets: torch.Tensor, alpha: float) -> tuple[torch.Tensor, torch.Tensor]:
    """CutMix of an image batch (N, C, H, W): a box of about ``1 - lam`` of the area from the partner."""
    if inputs.dim() != 4:
        raise ValueError(f"CutMix needs image batches (N, C, H, W), got shape {tuple(inputs.shape)}")
    height, width = inputs.shape[-2:]
    side = (1 - _beta(alpha)) ** 0.5
    cy, cx = (int(torch.randint(n, ())) for n in (height, width))
    y0, y1 = max(cy - int(height * side / 2), 0), min(cy + int(height * side / 2), height)
    x0, x1 = max(cx - int(width * side / 2), 0), min(cx + int(width * side / 2), width)
    mixed = inputs.clone()
    mixed[..., y0:y1, x0:x1] = inputs.roll(1, 0)[..., y0:y1, x0:x1]
    lam = 1 - (y1 - y0) * (x1 - x0) / (height * width)  # the share actually left uncovered
    return mixed, lam * targets + (1 - lam) * targets.roll(1, 0)


class BatchMix:
    """With probability ``prob``, MixUp or CutMix (chosen at random when both are on) on a batch.

    Called with ``(inputs, class indices)``, returns ``(inputs, probabilities (N, classes))``:
    one-hot for the batches left unmixed, so the targets always have one type.
    """

    def __init__(self, num_classes: int, mixup: float = 0.0, cutmix: float = 0.0, prob: float = 1.0) -> None:
        if mixup < 0 or cutmix < 0 or not 0.0 <= prob <= 1.0:
            raise ValueError(f"mixup and cutmix are Beta(alpha, alpha) parameters (>= 0, 0 = off) and prob "
                             f"a probability; got mixup={mixup}, cutmix={cutmix}, prob={prob}")
        self.num_classes, self.mixup, self.cutmix, self.prob = num_classes, mixup, cutmix, prob

    def __call__(self, inputs: torch.Tensor, labels: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor]:
        targets = F.one_hot(labels, self.num_classes).to(inputs.dtype if inputs.is_floating_point()
                                                         else torch.float32)
        methods = [(mixup, self.mixup)] * (self.mixup > 0) + [(cutmix, self.cutmix)] * (self.cutmix > 0)
        if not methods or float(torch.rand(())) >= self.prob:
            return inputs, targets
        method, alpha = methods[int(torch.randint(len(methods), ()))]
        return method(inputs, targets, alpha)

    def __repr__(self) -> str:
        return f"{type(self).__name__}(mixup={self.mixup}, cutmix={self.cutmix}, prob={self.prob})"


def make_mix(num_classes: int, mixup: float = 0.0, cutmix: float = 0.0, prob: float = 1.0) -> BatchMix | None:
    """A :class:`BatchMix` for ``engine.fit(mix=...)``, or None when both alphas are 0 (nothing to mix)."""
    if mixup == 0 and cutmix == 0:
        return None
    return BatchMix(num_classes, mixup, cutmix, prob)
