"""The engine's GPU paths on a real CUDA device (skipped without one; CI has none).

Precision ``auto`` (bfloat16 where the GPU has it), channels-last, ``cudnn.benchmark``
during ``fit``, pinned batches that make ``non_blocking`` copies asynchronous, checksummed
checkpoints loaded onto the GPU, the training command and prediction at the trained size.
"""

from __future__ import annotations

import json
import time
from pathlib import Path

import pytest
import torch
from PIL import Image
from torch import nn
from torch.utils.data import DataLoader, TensorDataset

from helpers import config, engine, train
from helpers.checkpoint import load_checkpoint, previous_path
from helpers.data.loaders import make_loader
from helpers.data.tiny import make_tiny_plantvillage
from helpers.predict import predict_image
from helpers.runs import load_run

pytestmark = pytest.mark.skipif(not torch.cuda.is_available(), reason="needs a CUDA GPU")
CUDA = torch.device("cuda")


def expected_precision() -> str:
    """What ``precision="auto"`` must choose on this GPU."""
    return "bf16" if torch.cuda.is_bf16_supported(including_emulation=False) else "fp16"


class Probe(nn.Module):
    """A small conv net that records, per forward pass, its conv's output dtype, the input layout
    and whether cudnn.benchmark was on."""

    def __init__(self) -> None:
        super().__init__()
        torch.manual_seed(0)
        self.conv = nn.Conv2d(3, 16, 3, padding=1)
        self.head = nn.Sequential(nn.BatchNorm2d(16), nn.ReLU(), nn.AdaptiveAvgPool2d(1), nn.Flatten(),
                                  nn.Linear(16, 3))
        self.seen: list[tuple[torch.dtype, bool, bool]] = []

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        y = self.conv(x)
        layout = x.is_contiguous(memory_format=torch.channels_last) and not x.is_contiguous()
        self.seen.append((y.dtype, layout, torch.backends.cudnn.benchmark))
        return self.head(y)


def image_loader(n: int = 64, size: int = 64, seed: int = 0) -> DataLoader:
    """Three classes told apart by their brightest channel, in the course's loader (pinned on CUDA)."""
    g = torch.Generator().manual_seed(seed)
    y = torch.arange(n) % 3
    x = 0.3 * torch.randn(n, 3, size, size, generator=g)
    x[torch.arange(n), y] += 1.0
    return make_loader(TensorDataset(x, y), 16, shuffle=True, device=CUDA, workers=0)


def test_fit_auto_is_bfloat16_channels_last_with_cudnn_benchmark(tmp_path: Path) -> None:
    model = Probe()
    path = tmp_path / "checkpoint.pt"
    before = torch.backends.cudnn.benchmark
    history = engine.fit(model, image_loader(), image_loader(32, seed=1), epochs=3, lr=0.01, device=CUDA,
                         checkpoint=path, progress=False)
    dtype = {"bf16": torch.bfloat16, "fp16": torch.float16}[expected_precision()]
    assert {d for d, _, _ in model.seen} == {dtype}
    assert all(layout for _, layout, _ in model.seen), "channels-last by default on CUDA"
    assert all(bench for _, _, bench in model.seen), "cudnn.benchmark is on during fit"
    assert torch.backends.cudnn.benchmark == before, "and restored afterwards"
    assert model.conv.weight.is_contiguous(memory_format=torch.channels_last)
    assert history["train_loss"].iloc[-1] < history["train_loss"].iloc[0]
    state = load_checkpoint(path, map_location=CUDA)
    settings = state["settings"]
    assert settings["precision"] == expected_precision() and settings["channels_last"] is True
    assert settings["cudnn_benchmark"] is True and settings["input_size"] == [3, 64, 64]
    assert (state["scaler"] is None) == (expected_precision() == "bf16"), "a scaler only for float16"


def test_fp16_on_cuda_keeps_a_gradient_scaler(tmp_path: Path) -> None:
    model = Probe()
    path = tmp_path / "checkpoint.pt"
    engine.fit(model, image_loader(), epochs=1, device=CUDA, precision="fp16", checkpoint=path,
               progress=False)
    assert {d for d, _, _ in model.seen} == {torch.float16}
    assert load_checkpoint(path)["scaler"]["scale"] > 0


def test_pinned_batches_make_non_blocking_copies_asynchronous() -> None:
    inputs, _ = next(iter(image_loader()))
    assert inputs.is_pinned(), "make_loader pins batches on CUDA, so non_blocking copies overlap"
    host = torch.empty(512 * 2**20, dtype=torch.uint8).pin_memory()
    on_gpu = torch.empty_like(host, device=CUDA)
    for _ in range(2):  # the second round is the measured one
        torch.cuda.synchronize()
        started = time.perf_counter()
        on_gpu.copy_(host, non_blocking=True)
        returned = time.perf_counter() - started
        torch.cuda.synchronize()
        done = time.perf_counter() - started
    print(f"pinned 512 MB: call returned after {1e3 * returned:.2f} ms, copy done after {1e3 * done:.2f} ms")
    assert on_gpu.is_cuda and returned < 0.5 * done, "from pinned memory the call returns before the copy"


def test_training_command_resume_and_prediction_on_cuda(tmp_path: Path,
                                                       monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv(config.DATA_VARIABLE, str(tmp_path / "data"))
    data = make_tiny_plantvillage(tmp_path / "tiny", n_per_class=5)
    run = tmp_path / "run"
    args = ["--model", "resnet_minimal", "--image-size", "64", "--batch-size", "8", "--max-batches", "2",
            "--workers", "0", "--no-progress", "--data", str(data), "--run-dir", str(run), "--device", "cuda"]
    assert train.main([*args, "--epochs", "2"]) == 0
    results = json.loads((run / "results.json").read_text())
    assert results["precision"] == expected_precision() and results["channels_last"] is True
    assert results["input_size"] == [3, 64, 64] and results["settings"]["drop_last"] is True
    newest = run / "checkpoint.pt"
    weight = torch.load(newest, weights_only=True, map_location="cpu")["model"]["stem.0.weight"]
    raw = bytearray(newest.read_bytes())
    at = raw.find(weight.as_strided((weight.numel(),), (1,)).numpy().tobytes())
    assert at >= 0
    raw[at + 5] ^= 0x08
    newest.write_bytes(bytes(raw))
    assert train.main([*args, "--epochs", "3", "--resume"]) == 0
    assert (run / "checkpoint.corrupt.pt").is_file() and previous_path(newest).is_file()
    assert torch.load(newest, weights_only=True)["epoch"] == 3
    loaded = load_run(run, device=CUDA)
    assert loaded.image_size == 64 and next(loaded.model.parameters()).is_cuda
    shapes: list[tuple[int, ...]] = []
    loaded.model.register_forward_hook(lambda module, inputs, output: shapes.append(tuple(inputs[0].shape)))
    top = predict_image(loaded.model, Image.new("RGB", (500, 400), (30, 150, 40)), loaded.class_names)
    assert shapes == [(1, 3, 64, 64)] and len(top) == 5


def test_predict_on_cuda_gives_float32_probabilities() -> None:
    model = Probe().to(CUDA)
    y_true, y_pred, probs = engine.predict(model, image_loader(32), CUDA)
    assert probs.dtype == torch.float32 and torch.allclose(probs.sum(1), torch.ones(32), atol=1e-4)
    dtype = torch.bfloat16 if expected_precision() == "bf16" else torch.float16
    assert {d for d, _, _ in model.seen} == {dtype}
