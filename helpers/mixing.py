"""MixUp and CutMix: training batches blended with a shuffled copy of themselves, with soft targets.

MixUp (Zhang et al., 2018) blends two whole images, ``lam * x_i + (1 - lam) * x_j``; CutMix
(Yun et al., 2019) pastes a rectangle of one image into another. Either way the target is the
same blend of the two one-hot labels, e.g. 0.7 "Apple scab" + 0.3 "Tomato healthy": the model
cannot memorise a 20-image class, and learns from the space between examples. ``lam`` is drawn
from Beta(alpha, alpha) once per batch. The images come from torchvision's
``transforms.v2.MixUp`` / ``CutMix``; :class:`BatchMix` adds the choice between them and the
probability of mixing at all, and keeps the targets' type fixed (always probabilities).

``engine.fit(..., mix=make_mix(num_classes, mixup=0.2, cutmix=1.0))`` applies it to training
batches only; ``nn.CrossEntropyLoss`` takes the soft targets as they are (also with
``label_smoothing``).
"""

from __future__ import annotations

import torch
import torch.nn.functional as F
from torchvision.transforms import v2


class BatchMix:
    """With probability ``prob``, MixUp or CutMix (chosen at random when both are on) on a batch."""

    def __init__(self, num_classes: int, mixup: float = 0.0, cutmix: float = 0.0, prob: float = 1.0) -> None:
        if mixup < 0 or cutmix < 0 or not 0.0 <= prob <= 1.0:
            raise ValueError(f"mixup and cutmix are Beta(alpha, alpha) parameters (>= 0, 0 = off) and prob "
                             f"a probability; got mixup={mixup}, cutmix={cutmix}, prob={prob}")
        self.num_classes, self.mixup, self.cutmix, self.prob = num_classes, mixup, cutmix, prob
        self.choices = ([v2.MixUp(alpha=mixup, num_classes=num_classes)] if mixup > 0 else []) + \
                       ([v2.CutMix(alpha=cutmix, num_classes=num_classes)] if cutmix > 0 else [])

    def __call__(self, inputs: torch.Tensor, labels: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor]:
        """``(images (N, C, H, W), class indices (N,))`` -> ``(images, probabilities (N, classes))``."""
        if self.choices and torch.rand(()) < self.prob:
            chosen = self.choices[int(torch.randint(len(self.choices), ()))]
            return chosen(inputs, labels)
        return inputs, F.one_hot(labels, self.num_classes).to(inputs.dtype)

    def __repr__(self) -> str:
        return f"{type(self).__name__}(mixup={self.mixup}, cutmix={self.cutmix}, prob={self.prob})"


def make_mix(num_classes: int, mixup: float = 0.0, cutmix: float = 0.0, prob: float = 1.0) -> BatchMix | None:
    """A :class:`BatchMix` for ``engine.fit(mix=...)``, or None when both alphas are 0 (nothing to mix)."""
    if mixup == 0 and cutmix == 0:
        return None
    return BatchMix(num_classes, mixup, cutmix, prob)
