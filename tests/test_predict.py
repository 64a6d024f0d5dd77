"""Single-image prediction: any image file in (size, mode, format), top-k classes out, clear errors."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest
import torch
from PIL import Image
from torch import nn

from helpers import config, engine, models
from helpers.checkpoint import load_checkpoint
from helpers.data.datasets import PlantVillageDataset
from helpers.data.locate import find_plantvillage
from helpers.data.tiny import PLANTVILLAGE_CLASSES
from helpers.data.transforms import MEAN, STD
from helpers.predict import NotAnImageError, predict_image, prepare_image, trained_image_size


class ColourModel(nn.Module):
    """A tiny stand-in classifier: mean colour of the image -> 38 logits (fast, deterministic)."""

    def __init__(self) -> None:
        super().__init__()
        torch.manual_seed(0)
        self.net = nn.Sequential(nn.AdaptiveAvgPool2d(1), nn.Flatten(), nn.Linear(3, 38))

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        self.last_input_shape = tuple(x.shape)
        return self.net(x) * 10


@pytest.fixture()
def model() -> nn.Module:
    return ColourModel()


def _leafy(size: tuple[int, int], mode: str = "RGB") -> Image.Image:
    rng = np.random.default_rng(0)
    array = rng.integers(0, 255, size=(size[1], size[0], 3), dtype=np.uint8)
    array[..., 1] = 200  # green
    image = Image.fromarray(array, "RGB")
    return image.convert(mode)


def test_jpeg_of_any_size_gives_top5(tmp_path: Path, model: nn.Module) -> None:
    path = tmp_path / "leaf.jpg"
    _leafy((640, 480)).save(path, quality=90)
    top = predict_image(model, path, PLANTVILLAGE_CLASSES)
    assert len(top) == 5
    names, probs = zip(*top, strict=True)
    assert set(names) <= set(PLANTVILLAGE_CLASSES) and len(set(names)) == 5
    assert list(probs) == sorted(probs, reverse=True), "best first"
    assert all(0 <= p <= 1 for p in probs) and sum(probs) <= 1 + 1e-6
    assert prepare_image(path).shape == (1, 3, 256, 256), "resized like the validation images"


def test_probabilities_of_all_classes_sum_to_one(tmp_path: Path, model: nn.Module) -> None:
    path = tmp_path / "leaf.png"
    _leafy((100, 100)).save(path)
    top = predict_image(model, path, PLANTVILLAGE_CLASSES, top_k=100)
    assert len(top) == 38, "top_k larger than the number of classes gives them all"
    assert sum(p for _, p in top) == pytest.approx(1.0, abs=1e-5)


def test_rgba_png_is_composited_on_white(tmp_path: Path, model: nn.Module) -> None:
    rgba = _leafy((300, 300)).convert("RGBA")
    alpha = np.zeros((300, 300), dtype=np.uint8)
    alpha[50:250, 50:250] = 255                      # a transparent border
    rgba.putalpha(Image.fromarray(alpha, "L"))
    path = tmp_path / "leaf_rgba.png"
    rgba.save(path)
    on_white = Image.new("RGB", rgba.size, (255, 255, 255))
    on_white.paste(rgba, mask=rgba.getchannel("A"))
    assert torch.allclose(prepare_image(path), prepare_image(on_white), atol=1e-5)
    assert len(predict_image(model, path, PLANTVILLAGE_CLASSES)) == 5


@pytest.mark.parametrize("mode", ["L", "P", "LA"])
def test_greyscale_and_palette_images(tmp_path: Path, model: nn.Module, mode: str) -> None:
    path = tmp_path / f"leaf_{mode}.png"
    _leafy((64, 48), mode).save(path)
    x = prepare_image(path)
    assert x.shape == (1, 3, 256, 256) and torch.isfinite(x).all()
    assert len(predict_image(model, path, PLANTVILLAGE_CLASSES, top_k=3)) == 3


def test_pil_image_and_file_give_the_same_prediction(tmp_path: Path, model: nn.Module) -> None:
    image = _leafy((256, 256))
    path = tmp_path / "leaf.png"
    image.save(path)
    from_image = predict_image(model, image, PLANTVILLAGE_CLASSES)
    assert from_image == predict_image(model, path, PLANTVILLAGE_CLASSES)


def test_not_an_image_is_a_clear_error(tmp_path: Path, model: nn.Module) -> None:
    path = tmp_path / "notes.jpg"
    path.write_text("this is not a photo of a leaf\n")
    with pytest.raises(NotAnImageError, match="notes.jpg is not an image"):
        predict_image(model, path, PLANTVILLAGE_CLASSES)
    truncated = tmp_path / "broken.png"
    _leafy((64, 64)).save(tmp_path / "whole.png")
    truncated.write_bytes((tmp_path / "whole.png").read_bytes()[:200])
    with pytest.raises(NotAnImageError, match="broken.png"):
        predict_image(model, truncated, PLANTVILLAGE_CLASSES)
    assert issubclass(NotAnImageError, ValueError)


def test_missing_file(tmp_path: Path, model: nn.Module) -> None:
    with pytest.raises(FileNotFoundError, match="nothing.jpg"):
        predict_image(model, tmp_path / "nothing.jpg", PLANTVILLAGE_CLASSES)


def test_wrong_class_names_and_top_k(tmp_path: Path, model: nn.Module) -> None:
    image = _leafy((32, 32))
    with pytest.raises(ValueError, match="38 scores but 10 class names"):
        predict_image(model, image, PLANTVILLAGE_CLASSES[:10])
    with pytest.raises(ValueError, match="top_k"):
        predict_image(model, image, PLANTVILLAGE_CLASSES, top_k=0)


def test_model_is_left_in_eval_mode_and_dropout_does_not_change_the_answer() -> None:
    model = models.build_model("resnet_minimal", num_classes=38)
    model.train()
    image = _leafy((256, 256))
    first = predict_image(model, image, PLANTVILLAGE_CLASSES)
    assert not model.training
    assert predict_image(model, image, PLANTVILLAGE_CLASSES) == first, "deterministic in eval mode"


def test_same_preprocessing_as_the_validation_images() -> None:
    shared = config.shared_data_dir()
    if shared is None or not (shared / "plantvillage-mini").is_dir():
        pytest.skip("../shared/data/plantvillage-mini is not here")
    folder = find_plantvillage(shared / "plantvillage-mini")
    dataset = PlantVillageDataset(folder)
    x, _ = dataset[0]
    assert torch.allclose(prepare_image(folder / dataset.files[0])[0], x, atol=1e-6)


def test_prediction_defaults_to_the_size_the_model_was_trained_at(tmp_path: Path) -> None:
    """Chapter 15 trains at 128 px in quick mode: predict_image must not feed that model 256 px images."""
    model = ColourModel()
    image = _leafy((300, 200))
    predict_image(model, image, PLANTVILLAGE_CLASSES)
    assert model.last_input_shape == (1, 3, 256, 256), "nothing recorded: the data set's 256 px"
    dataset = torch.utils.data.TensorDataset(torch.rand(6, 3, 48, 48), torch.arange(6) % 38)
    loader = torch.utils.data.DataLoader(dataset, batch_size=3)
    path = tmp_path / "checkpoint.pt"
    engine.fit(model, loader, epochs=1, device=torch.device("cpu"), progress=False, checkpoint=path)
    assert trained_image_size(model) == 48
    top = predict_image(model, image, PLANTVILLAGE_CLASSES)
    assert model.last_input_shape == (1, 3, 48, 48) and len(top) == 5
    predict_image(model, image, PLANTVILLAGE_CLASSES, image_size=64)
    assert model.last_input_shape == (1, 3, 64, 64), "an explicit size wins"
    reloaded = ColourModel()
    load_checkpoint(path, reloaded)
    predict_image(reloaded, image, PLANTVILLAGE_CLASSES)
    assert reloaded.last_input_shape == (1, 3, 48, 48), "the checkpoint brings the size back"


def test_non_square_training_size_must_be_given() -> None:
    model = ColourModel()
    model.trained_input_size = (3, 64, 96)
    with pytest.raises(ValueError, match="64x96.*pass image_size"):
        predict_image(model, _leafy((32, 32)), PLANTVILLAGE_CLASSES)
    assert len(predict_image(model, _leafy((32, 32)), PLANTVILLAGE_CLASSES, image_size=64)) == 5


def test_prepare_image_uses_the_normalisation_given() -> None:
    image = _leafy((16, 16))
    default = prepare_image(image, 16)
    assert torch.allclose(default, prepare_image(image, 16, mean=MEAN, std=STD))
    plain = prepare_image(image, 16, mean=(0.0, 0.0, 0.0), std=(1.0, 1.0, 1.0))
    assert 0.0 <= plain.min() and plain.max() <= 1.0, "mean 0 and std 1: the pixels in [0, 1]"
    expected = (plain - torch.tensor(MEAN).view(1, 3, 1, 1)) / torch.tensor(STD).view(1, 3, 1, 1)
    assert torch.allclose(default, expected, atol=1e-5)


def test_a_file_is_read_with_the_decoder_the_run_used(tmp_path: Path) -> None:
    """``prepare_image(..., decoder=...)`` reads a JPEG like the run's training images (draft or full)."""
    from helpers.data.datasets import load_image
    from helpers.data.transforms import ToNormalizedTensor

    pixels = np.random.default_rng(0).integers(0, 255, (128, 128, 3), dtype=np.uint8)
    Image.fromarray(pixels).save(tmp_path / "leaf.jpg", quality=90)
    tensors = {d: prepare_image(tmp_path / "leaf.jpg", 32, decoder=d) for d in ("draft", "full")}
    for decoder, tensor in tensors.items():
        expected = ToNormalizedTensor(MEAN, STD)(load_image(tmp_path / "leaf.jpg", 32, decoder)).unsqueeze(0)
        assert torch.equal(tensor, expected), decoder
    assert not torch.allclose(tensors["draft"], tensors["full"]), "the two decoders give other pixels"
