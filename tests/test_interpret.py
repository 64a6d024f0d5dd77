"""helpers.interpret: receptive fields by the rule and by autograd, feature maps, Grad-CAM and its check."""

from __future__ import annotations

import pytest
import torch
from torch import nn

from helpers import interpret, models


def test_the_rule_on_stacks_counted_by_hand() -> None:
    assert interpret.receptive_fields(nn.Sequential(nn.Conv2d(1, 1, 3), nn.MaxPool2d(2))) == [
        {"stage": 1, "size": 4, "jump": 2}]
    two = nn.Sequential(nn.Conv2d(1, 1, 3), nn.MaxPool2d(2), nn.Conv2d(1, 1, 3), nn.MaxPool2d(2))
    assert [s["size"] for s in interpret.receptive_fields(two)] == [4, 4 + 2 * 2 + 1 * 2]  # 3x3 at jump 2: +4
    dilated = nn.Sequential(nn.Conv2d(1, 1, 3, dilation=2), nn.AvgPool2d(2))
    assert interpret.receptive_fields(dilated)[0]["size"] == 1 + 2 * 2 + 1


@pytest.mark.parametrize("stack", [
    nn.Sequential(nn.Conv2d(3, 8, 5, padding=2), nn.ReLU(), nn.MaxPool2d(2),
                  nn.Conv2d(8, 8, 3, padding=1), nn.BatchNorm2d(8), nn.MaxPool2d(2),
                  nn.Conv2d(8, 4, 3, stride=2, padding=1), nn.AvgPool2d(2)),
    nn.Sequential(nn.Conv2d(3, 4, 3, padding=2, dilation=2), nn.MaxPool2d(3, 2, 1),
                  nn.Conv2d(4, 4, 3, padding=1), nn.MaxPool2d(2)),
], ids=["conv-pool-stride", "dilated"])
def test_autograd_measures_what_the_rule_says(stack: nn.Module) -> None:
    rule = interpret.receptive_fields(stack)
    measured = interpret.measured_receptive_fields(stack, 128)
    assert [s["size"] for s in measured] == [s["size"] for s in rule]


def test_deep_cnn_sees_the_whole_image_from_block_6() -> None:
    sizes = [s["size"] for s in interpret.receptive_fields(models.DeepCNN().features)]
    assert sizes[:6] == [6, 16, 36, 76, 156, 316]
    measured = [s["size"] for s in interpret.measured_receptive_fields(models.DeepCNN().features, 256)]
    assert measured[:5] == sizes[:5] and max(measured) <= 256, "clipped by the image beyond"


class ColourDetector(nn.Module):
    """Class 0 = how red the image is, class 1 = how green: one detector channel per colour."""

    def __init__(self) -> None:
        super().__init__()
        self.detect = nn.Conv2d(3, 2, 1, bias=False)
        with torch.no_grad():
            self.detect.weight.zero_()
            self.detect.weight[0, 0] = self.detect.weight[1, 1] = 1.0
        self.act = nn.ReLU()

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return self.act(self.detect(x)).mean(dim=(2, 3))


def red_left_green_right() -> torch.Tensor:
    image = torch.zeros(1, 3, 32, 32)
    image[0, 0, 8:16, 2:10] = 1.0    # a red square on the left
    image[0, 1, 16:24, 22:30] = 1.0  # a green square on the right
    return image


def test_grad_cam_points_at_what_drives_each_class() -> None:
    model, image = ColourDetector(), red_left_green_right()
    for target, (rows, cols) in ((0, (slice(8, 16), slice(2, 10))), (1, (slice(16, 24), slice(22, 30)))):
        cam = interpret.grad_cam(model, model.act, image, torch.tensor([target]))
        assert cam.shape == (1, 32, 32) and float(cam.max()) == pytest.approx(1.0) and float(cam.min()) >= 0
        inside = torch.zeros(32, 32, dtype=torch.bool)
        inside[rows, cols] = True
        assert cam[0][inside].mean() > 0.9 and cam[0][~inside].mean() < 0.1, f"class {target}"
    assert interpret.grad_cam(model, model.act, image).shape == (1, 32, 32), "default: the predicted class"


def test_hiding_what_the_map_shows_costs_more_than_hiding_random_pixels() -> None:
    model, image = ColourDetector(), red_left_green_right().repeat(4, 1, 1, 1)
    classes = torch.zeros(4, dtype=torch.long)
    maps = interpret.grad_cam(model, model.act, image, classes)
    top, random = interpret.masked_drop(model, image, maps, classes, share=0.1)
    assert (top > random).all() and top.shape == (4,)


def test_feature_maps_are_the_layer_output() -> None:
    model = ColourDetector()
    maps = interpret.feature_maps(model, model.act, red_left_green_right())
    assert maps.shape == (1, 2, 32, 32) and maps[0, 0, 8:16, 2:10].eq(1).all() and maps[0, 1, :16].eq(0).all()
