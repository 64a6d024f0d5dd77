"""Tests for helpers.engine: the loop every chapter from 7 on trains with (tiny data, seconds)."""

from __future__ import annotations

import logging
import os

import numpy as np
import pandas as pd
import pytest
import torch
from torch import nn
from torch.utils.data import DataLoader, TensorDataset

from helpers import engine
from helpers.checkpoint import TRAINED_INPUT_SIZE, load_checkpoint, previous_path

CPU = torch.device("cpu")
COLUMNS = ["epoch", "train_loss", "train_acc", "val_loss", "val_acc", "lr", "epoch_time_s", "peak_memory_mb"]
RESULT_COLUMNS = ["epoch", "train_loss", "train_acc", "val_loss", "val_acc", "lr"]


def blobs(n: int = 96, classes: int = 3, seed: int = 0) -> TensorDataset:
    """Three well-separated Gaussian blobs in 2-D: learnable in a few epochs."""
    g = torch.Generator().manual_seed(seed)
    y = torch.arange(n) % classes
    centres = torch.tensor([[3.0, 0.0], [-3.0, 3.0], [-3.0, -3.0]])[:classes]
    x = centres[y] + 0.7 * torch.randn(n, 2, generator=g)
    return TensorDataset(x, y)


def loaders(batch_size: int = 16, shuffle: bool = False) -> tuple[DataLoader, DataLoader]:
    """Train and validation loaders over two draws of the blobs (deterministic order by default)."""
    return (DataLoader(blobs(seed=0), batch_size=batch_size, shuffle=shuffle),
            DataLoader(blobs(48, seed=1), batch_size=batch_size))


def small_model(seed: int = 0) -> nn.Module:
    """A tiny MLP with a fixed initialisation."""
    torch.manual_seed(seed)
    return nn.Sequential(nn.Linear(2, 16), nn.ReLU(), nn.Linear(16, 3))


def quiet_fit(model: nn.Module, train: DataLoader, val: DataLoader | None, **kwargs) -> pd.DataFrame:
    """``engine.fit`` on the CPU without progress bars."""
    return engine.fit(model, train, val, device=CPU, progress=False, **kwargs)


class CountingSGD(torch.optim.SGD):
    """SGD that records the global gradient norm it sees at every step (after any clipping)."""

    def __init__(self, params, lr: float) -> None:
        super().__init__(params, lr=lr)
        self.norms: list[float] = []

    def step(self, closure=None):  # type: ignore[override]
        grads = [p.grad for group in self.param_groups for p in group["params"] if p.grad is not None]
        self.norms.append(torch.linalg.vector_norm(torch.stack([g.norm() for g in grads])).item())
        return super().step(closure)


def test_train_one_epoch_and_evaluate_return_loss_and_accuracy() -> None:
    train, val = loaders()
    model = small_model()
    optimizer = torch.optim.Adam(model.parameters(), lr=0.05)
    loss_fn = nn.CrossEntropyLoss()
    before = engine.evaluate(model, val, loss_fn, CPU, progress=False)
    for _ in range(5):
        stats = engine.train_one_epoch(model, train, loss_fn, optimizer, CPU, progress=False)
    after = engine.evaluate(model, val, loss_fn, CPU, progress=False)
    assert set(stats) == {"loss", "acc"} and 0.0 <= stats["acc"] <= 1.0
    assert after["loss"] < before["loss"], "five epochs on separable blobs must lower the validation loss"
    assert after["acc"] > 0.9, f"blobs are separable, accuracy {after['acc']:.2f} should exceed 0.9"
    assert not model.training, "evaluate leaves the model in eval mode"


def test_evaluate_computes_exact_mean_loss_and_accuracy() -> None:
    """The mean is over samples, not over batches (the last batch here is smaller)."""
    x, y = torch.randn(10, 2), torch.randint(0, 3, (10,))
    model = small_model()
    loss_fn = nn.CrossEntropyLoss()
    loader = DataLoader(TensorDataset(x, y), batch_size=4)
    stats = engine.evaluate(model, loader, loss_fn, CPU, progress=False)
    with torch.no_grad():
        logits = model(x)
    assert stats["loss"] == pytest.approx(loss_fn(logits, y).item(), rel=1e-5)
    assert stats["acc"] == pytest.approx((logits.argmax(1) == y).float().mean().item())


def test_binary_single_logit_accuracy() -> None:
    """One logit per sample (BCEWithLogitsLoss) counts logit > 0 as class 1."""
    x = torch.tensor([[1.0], [-1.0], [2.0], [-3.0]])
    y = torch.tensor([1.0, 0.0, 0.0, 0.0])
    model = nn.Identity()
    loader = DataLoader(TensorDataset(x, y.unsqueeze(1)), batch_size=2)
    stats = engine.evaluate(model, loader, nn.BCEWithLogitsLoss(), CPU, progress=False)
    assert stats["acc"] == pytest.approx(0.75)


def test_fit_lowers_the_loss_and_returns_the_documented_history() -> None:
    train, val = loaders()
    history = quiet_fit(small_model(), train, val, epochs=4, lr=0.05)
    assert list(history.columns) == COLUMNS
    assert history["epoch"].tolist() == [1, 2, 3, 4]
    assert history["train_loss"].iloc[-1] < history["train_loss"].iloc[0]
    assert history["val_loss"].iloc[-1] < history["val_loss"].iloc[0]
    assert (history["epoch_time_s"] > 0).all() and (history["peak_memory_mb"] > 0).all()
    assert history["lr"].eq(0.05).all()


def test_fit_without_validation_fills_nan() -> None:
    train, _ = loaders()
    history = quiet_fit(small_model(), train, None, epochs=2, lr=0.05)
    assert history["val_loss"].isna().all() and history["train_loss"].notna().all()


def test_early_stopping_stops_before_epochs_and_restores_the_best_weights() -> None:
    """Validation labels are the training labels shifted: training makes validation worse."""
    train, _ = loaders()
    x, y = blobs(48, seed=1).tensors
    val = DataLoader(TensorDataset(x, (y + 1) % 3), batch_size=16)
    model = small_model()
    history = quiet_fit(model, train, val, epochs=20, lr=0.05, patience=2)
    best = int(history["val_loss"].idxmin())
    assert len(history) < 20, "patience=2 must stop long before 20 epochs"
    assert len(history) == best + 1 + 2, "stops exactly `patience` epochs after the best one"
    restored = engine.evaluate(model, val, nn.CrossEntropyLoss(), CPU, progress=False)
    assert restored["loss"] == pytest.approx(history["val_loss"].iloc[best], rel=1e-6)


def test_no_early_stopping_without_patience() -> None:
    train, _ = loaders()
    x, y = blobs(48, seed=1).tensors
    val = DataLoader(TensorDataset(x, (y + 1) % 3), batch_size=16)
    assert len(quiet_fit(small_model(), train, val, epochs=5, lr=0.05)) == 5


def test_grad_clip_bounds_the_gradient_norm() -> None:
    x, y = blobs().tensors
    train = DataLoader(TensorDataset(100 * x, y), batch_size=16)  # large inputs: large gradients
    free = small_model()
    free_opt = CountingSGD(free.parameters(), lr=1e-4)
    quiet_fit(free, train, None, epochs=1, optimizer=free_opt)
    assert max(free_opt.norms) > 1.0, "the test needs gradients larger than the clip value"
    clipped = small_model()
    clip_opt = CountingSGD(clipped.parameters(), lr=1e-4)
    quiet_fit(clipped, train, None, epochs=1, optimizer=clip_opt, grad_clip=0.5)
    assert len(clip_opt.norms) == len(train)
    assert max(clip_opt.norms) <= 0.5 + 1e-5


def test_per_epoch_scheduler_changes_the_lr_column() -> None:
    train, val = loaders()
    model = small_model()
    optimizer = torch.optim.SGD(model.parameters(), lr=0.1)
    scheduler = torch.optim.lr_scheduler.StepLR(optimizer, step_size=1, gamma=0.5)
    history = quiet_fit(model, train, val, epochs=3, optimizer=optimizer, scheduler=scheduler)
    assert history["lr"].tolist() == pytest.approx([0.1, 0.05, 0.025])


def test_reduce_on_plateau_gets_the_validation_loss() -> None:
    train, _ = loaders()
    val = DataLoader(TensorDataset(blobs(48, seed=1).tensors[0], (blobs(48, seed=1).tensors[1] + 1) % 3),
                     batch_size=16)
    model = small_model()
    optimizer = torch.optim.SGD(model.parameters(), lr=0.1)
    scheduler = torch.optim.lr_scheduler.ReduceLROnPlateau(optimizer, factor=0.1, patience=0)
    history = quiet_fit(model, train, val, epochs=4, optimizer=optimizer, scheduler=scheduler)
    assert history["lr"].iloc[-1] < 0.1, "a worsening validation loss must cut the learning rate"


def test_per_batch_scheduler_steps_every_batch() -> None:
    train, val = loaders()  # 96 samples / 16 = 6 batches per epoch
    model = small_model()
    optimizer = torch.optim.SGD(model.parameters(), lr=0.1)
    scheduler = torch.optim.lr_scheduler.OneCycleLR(optimizer, max_lr=0.1, total_steps=3 * len(train))
    history = quiet_fit(model, train, val, epochs=3, optimizer=optimizer, scheduler=scheduler,
                        scheduler_interval="batch")
    assert scheduler.last_epoch == 3 * len(train), "one scheduler step per training batch"
    assert history["lr"].nunique() == 3, "the LR at the start of each epoch differs under OneCycle"
    assert history["lr"].iloc[1] == pytest.approx(max(history["lr"])), "OneCycle peaks mid-run"


def test_max_batches_caps_each_epoch() -> None:
    train, val = loaders()
    assert len(train) > 2
    model = small_model()
    optimizer = CountingSGD(model.parameters(), lr=0.01)
    history = quiet_fit(model, train, val, epochs=2, optimizer=optimizer, max_batches=2)
    assert len(optimizer.norms) == 2 * 2, "two epochs of two batches"
    assert len(history) == 2
    stats = engine.evaluate(model, val, nn.CrossEntropyLoss(), CPU, max_batches=1, progress=False)
    assert 0.0 <= stats["acc"] <= 1.0


def test_on_epoch_end_is_called_with_the_history() -> None:
    train, val = loaders()
    seen: list[tuple[int, int]] = []
    quiet_fit(small_model(), train, val, epochs=2, on_epoch_end=lambda e, h: seen.append((e, len(h))))
    assert seen == [(1, 1), (2, 2)]


def test_predict_returns_labels_predictions_and_probabilities() -> None:
    train, val = loaders()
    y_true, y_pred, probs = engine.predict(small_model(), val, CPU)
    assert y_true.shape == y_pred.shape == (48,) and probs.shape == (48, 3)
    assert torch.allclose(probs.sum(1), torch.ones(48), atol=1e-5)
    assert torch.equal(probs.argmax(1), y_pred)
    assert len(engine.predict(small_model(), val, CPU, max_batches=1)[0]) == 16


def test_resume_continues_where_the_checkpoint_stopped(tmp_path) -> None:
    """2 epochs + resume to 4 equals 4 epochs straight (fixed data order, optimizer state restored)."""
    train, val = loaders()
    path = tmp_path / "run" / "checkpoint.pt"
    first = quiet_fit(small_model(), train, val, epochs=2, lr=0.02, checkpoint=path)
    assert path.is_file() and load_checkpoint(path)["epoch"] == 2

    resumed_model = small_model(seed=123)  # a fresh model with other weights: resume must overwrite them
    resumed = quiet_fit(resumed_model, train, val, epochs=4, lr=0.02, checkpoint=path, resume=True)
    assert resumed["epoch"].tolist() == [1, 2, 3, 4]
    pd.testing.assert_frame_equal(resumed.iloc[:2], first, check_dtype=False)
    assert load_checkpoint(path)["epoch"] == 4

    straight = quiet_fit(small_model(), train, val, epochs=4, lr=0.02)
    np.testing.assert_allclose(resumed[RESULT_COLUMNS].to_numpy(), straight[RESULT_COLUMNS].to_numpy(),
                               rtol=1e-5)


def test_resume_with_shuffled_data_and_dropout_equals_a_straight_run(tmp_path) -> None:
    """The random generators are checkpointed: the resumed epochs shuffle and drop out as a straight run's."""
    def model() -> nn.Module:
        torch.manual_seed(0)
        return nn.Sequential(nn.Linear(2, 32), nn.ReLU(), nn.Dropout(0.3), nn.Linear(32, 3))

    path = tmp_path / "checkpoint.pt"
    train, val = loaders(shuffle=True)
    first = model()
    torch.manual_seed(1)
    quiet_fit(first, train, val, epochs=2, lr=0.02, checkpoint=path)
    torch.manual_seed(123)  # a new process: another random state, which the checkpoint replaces
    resumed = quiet_fit(model(), train, val, epochs=4, lr=0.02, checkpoint=path, resume=True)
    straight_model = model()
    torch.manual_seed(1)
    straight = quiet_fit(straight_model, train, val, epochs=4, lr=0.02)
    np.testing.assert_allclose(resumed[RESULT_COLUMNS].to_numpy(), straight[RESULT_COLUMNS].to_numpy(),
                               rtol=1e-5)


def test_resume_when_already_finished_trains_no_more(tmp_path) -> None:
    train, val = loaders()
    path = tmp_path / "checkpoint.pt"
    trained = small_model()
    first = quiet_fit(trained, train, val, epochs=3, lr=0.02, checkpoint=path)
    stamp = os.stat(path).st_mtime_ns
    fresh = small_model(seed=7)
    again = quiet_fit(fresh, train, val, epochs=2, lr=0.02, checkpoint=path, resume=True)
    pd.testing.assert_frame_equal(again, first, check_dtype=False)
    assert os.stat(path).st_mtime_ns == stamp, "nothing trained, so nothing is saved"
    for a, b in zip(fresh.state_dict().values(), trained.state_dict().values(), strict=True):
        assert torch.equal(a, b), "the finished run's weights are loaded"


def test_resume_without_a_checkpoint_starts_fresh(tmp_path) -> None:
    train, val = loaders()
    history = quiet_fit(small_model(), train, val, epochs=2, checkpoint=tmp_path / "new.pt", resume=True)
    assert history["epoch"].tolist() == [1, 2]


def test_resume_keeps_early_stopping_state_and_best_weights(tmp_path) -> None:
    """Early stopping after a resume still restores the best weights, even from before the resume."""
    train, _ = loaders()
    x, y = blobs(48, seed=1).tensors
    val = DataLoader(TensorDataset(x, (y + 1) % 3), batch_size=16)
    path = tmp_path / "checkpoint.pt"
    quiet_fit(small_model(), train, val, epochs=2, lr=0.05, patience=3, checkpoint=path)
    model = small_model(seed=5)
    history = quiet_fit(model, train, val, epochs=20, lr=0.05, patience=3, checkpoint=path, resume=True)
    best = int(history["val_loss"].idxmin())
    assert len(history) == best + 1 + 3
    restored = engine.evaluate(model, val, nn.CrossEntropyLoss(), CPU, progress=False)
    assert restored["loss"] == pytest.approx(history["val_loss"].iloc[best], rel=1e-6)


def test_progress_bars_are_quiet_under_ci(monkeypatch, capsys) -> None:
    train, val = loaders()
    monkeypatch.setenv("CI", "true")
    quiet = engine.fit(small_model(), train, val, epochs=1, device=CPU)
    assert "epoch 1/1" not in capsys.readouterr().err
    monkeypatch.setenv("CI", "")
    engine.fit(small_model(), train, val, epochs=1, device=CPU)
    assert "epoch 1/1" in capsys.readouterr().err
    assert len(quiet) == 1


def test_fit_with_compile_unwraps_for_checkpoints(tmp_path, monkeypatch) -> None:
    """``compile=True`` goes through torch.compile; the fast ``aot_eager`` backend keeps this test quick."""
    real_compile = torch.compile
    calls: list[nn.Module] = []

    def fast_compile(model: nn.Module, **kwargs):
        calls.append(model)
        return real_compile(model, backend="aot_eager", **kwargs)

    monkeypatch.setattr(torch, "compile", fast_compile)
    train, val = loaders()
    model = small_model()
    path = tmp_path / "checkpoint.pt"
    history = quiet_fit(model, train, val, epochs=2, lr=0.05, compile=True, checkpoint=path)
    assert calls == [model]
    assert history["val_loss"].iloc[-1] < history["val_loss"].iloc[0]
    state = load_checkpoint(path, small_model(seed=3))  # plain keys, no "_orig_mod." prefix
    assert not any(key.startswith("_orig_mod") for key in state["model"])
    assert state["settings"]["compile"] is True


@pytest.mark.skipif(os.environ.get("COURSE_SLOW_TESTS") != "1",
                    reason="torch.compile's default (inductor) backend builds C++ for ~25 s on a cold CPU "
                           "cache; set COURSE_SLOW_TESTS=1 to run it")
def test_fit_with_compile_inductor_on_cpu() -> None:
    train, val = loaders()
    history = quiet_fit(small_model(), train, val, epochs=2, lr=0.05, compile=True)
    assert history["val_loss"].iloc[-1] < history["val_loss"].iloc[0]


def test_peak_memory_and_main_process() -> None:
    assert engine.peak_memory_mb(CPU) > 10, "a Python process with torch uses more than 10 MB"
    assert engine.is_main_process()


def test_predict_handles_a_single_logit_binary_model() -> None:
    """One output column means sigmoid probabilities and a 0.5 threshold, not softmax."""
    model = torch.nn.Linear(1, 1)
    with torch.no_grad():
        model.weight.fill_(1.0)
        model.bias.zero_()
    x = torch.tensor([[-2.0], [-0.5], [0.5], [3.0]])
    y = torch.tensor([[0.0], [0.0], [1.0], [1.0]])
    y_true, y_pred, probs = engine.predict(model, DataLoader(TensorDataset(x, y), batch_size=2),
                                    torch.device("cpu"))
    assert y_pred.tolist() == [0, 0, 1, 1]
    assert y_true.tolist() == [0, 0, 1, 1]
    assert torch.allclose(probs, torch.sigmoid(x.reshape(-1)))


# --- Precision, channels-last, input size (the GPU settings, exercised on the CPU) ---------------


def images(n: int = 32, size: int = 12, seed: int = 0) -> TensorDataset:
    """Three classes of small RGB images told apart by their brightest channel: learnable by a tiny CNN."""
    g = torch.Generator().manual_seed(seed)
    y = torch.arange(n) % 3
    x = 0.3 * torch.randn(n, 3, size, size, generator=g)
    x[torch.arange(n), y] += 1.0
    return TensorDataset(x, y)


class TinyCNN(nn.Module):
    """Conv -> BatchNorm -> ReLU -> pool -> Linear; records the dtype and layout its conv sees and gives."""

    def __init__(self) -> None:
        super().__init__()
        torch.manual_seed(0)
        self.conv = nn.Conv2d(3, 8, 3, padding=1)
        self.head = nn.Sequential(nn.BatchNorm2d(8), nn.ReLU(), nn.AdaptiveAvgPool2d(1), nn.Flatten(),
                                  nn.Linear(8, 3))
        self.seen: list[tuple[torch.dtype, bool]] = []

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        y = self.conv(x)
        self.seen.append((y.dtype, x.is_contiguous(memory_format=torch.channels_last)
                          and not x.is_contiguous()))
        return self.head(y)


def image_loaders(size: int = 12) -> tuple[DataLoader, DataLoader]:
    return DataLoader(images(size=size), batch_size=8), DataLoader(images(16, size, seed=1), batch_size=8)


def test_resolve_precision_follows_the_device(monkeypatch) -> None:
    cuda = torch.device("cuda")
    assert engine.resolve_precision("auto", CPU) == "fp32"
    assert engine.resolve_precision("auto", torch.device("mps")) == "fp32"
    monkeypatch.setattr(torch.cuda, "is_bf16_supported", lambda including_emulation=True: True)
    assert engine.resolve_precision("auto", cuda) == "bf16"
    emulated_only = lambda including_emulation=True: including_emulation  # noqa: E731 - a T4 or a V100
    monkeypatch.setattr(torch.cuda, "is_bf16_supported", emulated_only)
    assert engine.resolve_precision("auto", cuda) == "fp16", "emulated bfloat16 (older GPUs) is not used"
    assert engine.resolve_precision("bf16", CPU) == "bf16"
    assert engine.resolve_precision("fp32", cuda) == "fp32"
    with pytest.raises(ValueError, match="'half' is not one of auto, fp32, bf16, fp16"):
        engine.resolve_precision("half", CPU)
    assert engine.resolve_channels_last(None, cuda) and engine.resolve_channels_last(None, CPU)
    assert not engine.resolve_channels_last(None, torch.device("mps")), "Apple GPUs: off unless asked"
    assert engine.resolve_channels_last(True, CPU) and not engine.resolve_channels_last(False, cuda)
    assert isinstance(engine.make_scaler("fp16", CPU), torch.amp.GradScaler)
    assert engine.make_scaler("bf16", CPU) is None and engine.make_scaler("fp32", CPU) is None


@pytest.mark.parametrize("precision, dtype", [("bf16", torch.bfloat16), ("fp32", torch.float32),
                                              ("auto", torch.float32)])
def test_fit_evaluate_and_predict_run_in_the_asked_precision(tmp_path, precision, dtype) -> None:
    train, val = image_loaders()
    model = TinyCNN()
    path = tmp_path / "checkpoint.pt"
    history = quiet_fit(model, train, val, epochs=3, lr=0.05, precision=precision, checkpoint=path)
    assert {d for d, _ in model.seen} == {dtype}, "training and validation forward passes"
    assert history["train_loss"].iloc[-1] < history["train_loss"].iloc[0]
    state = load_checkpoint(path)
    assert state["settings"]["precision"] == engine.resolve_precision(precision, CPU)
    assert state["scaler"] is None, "bfloat16 and float32 need no gradient scaler"
    model.seen.clear()
    stats = engine.evaluate(model, val, nn.CrossEntropyLoss(), CPU, precision=precision, progress=False)
    y_true, y_pred, probs = engine.predict(model, val, CPU, precision=precision)
    assert {d for d, _ in model.seen} == {dtype}
    assert probs.dtype == torch.float32 and torch.allclose(probs.sum(1), torch.ones(len(probs)), atol=1e-5)
    assert stats["acc"] == pytest.approx((y_true == y_pred).float().mean().item())


def test_fp16_training_uses_a_gradient_scaler(tmp_path) -> None:
    train, val = image_loaders()
    model = TinyCNN()
    path = tmp_path / "checkpoint.pt"
    quiet_fit(model, train, val, epochs=1, lr=0.05, precision="fp16", checkpoint=path)
    assert {d for d, _ in model.seen} == {torch.float16}
    scaler_state = load_checkpoint(path)["scaler"]
    assert scaler_state is not None and scaler_state["scale"] > 0, "the scaler's state is saved for resuming"


def test_channels_last_converts_conv_inputs_and_weights_by_default_on_a_cpu_and_when_asked() -> None:
    train, val = image_loaders()
    model = TinyCNN()
    quiet_fit(model, train, val, epochs=1, channels_last=True)
    assert all(layout for _, layout in model.seen), "every 4-D batch arrives channels-last"
    assert model.conv.weight.is_contiguous(memory_format=torch.channels_last)
    model.seen.clear()
    engine.predict(model, val, CPU, channels_last=True)
    assert model.seen and all(layout for _, layout in model.seen)
    default = TinyCNN()
    quiet_fit(default, train, val, epochs=1)  # None: on for a CPU
    assert all(layout for _, layout in default.seen) and not default.conv.weight.is_contiguous()
    plain = TinyCNN()
    quiet_fit(plain, train, val, epochs=1, channels_last=False)
    assert not any(layout for _, layout in plain.seen) and plain.conv.weight.is_contiguous()
    history = quiet_fit(small_model(), *loaders(), epochs=1, channels_last=True)  # 2-D inputs: untouched
    assert len(history) == 1


def test_fit_records_the_input_size_on_the_model_and_in_the_checkpoint(tmp_path) -> None:
    train, val = image_loaders(size=20)
    model = TinyCNN()
    path = tmp_path / "checkpoint.pt"
    quiet_fit(model, train, val, epochs=1, checkpoint=path)
    assert engine.trained_input_size(model) == (3, 20, 20) == getattr(model, TRAINED_INPUT_SIZE)
    assert load_checkpoint(path)["settings"]["input_size"] == [3, 20, 20]
    fresh = TinyCNN()
    load_checkpoint(path, fresh)
    assert engine.trained_input_size(fresh) == (3, 20, 20)
    engine.evaluate(fresh, DataLoader(images(8, size=16), batch_size=8), nn.CrossEntropyLoss(), CPU,
                    progress=False)
    assert engine.trained_input_size(fresh) == (3, 20, 20), "evaluating at another size changes nothing"
    engine.train_one_epoch(fresh, DataLoader(images(8, size=16), batch_size=8), nn.CrossEntropyLoss(),
                           torch.optim.SGD(fresh.parameters(), lr=0.01), CPU, progress=False)
    assert engine.trained_input_size(fresh) == (3, 16, 16), "training at another size is recorded"


def test_fit_leaves_cudnn_benchmark_as_it_found_it_on_a_cpu() -> None:
    before = torch.backends.cudnn.benchmark
    try:
        torch.backends.cudnn.benchmark = False
        quiet_fit(small_model(), *loaders(), epochs=1)
        assert torch.backends.cudnn.benchmark is False
    finally:
        torch.backends.cudnn.benchmark = before


def flip_a_byte_of(path, tensor: torch.Tensor) -> None:
    """Change one byte of ``tensor``'s data inside the file ``path`` (as a failing disk would)."""
    data = bytearray(path.read_bytes())
    at = data.find(tensor.detach().contiguous().numpy().tobytes())
    assert at >= 0
    data[at + 1] ^= 0x01
    path.write_bytes(bytes(data))


def test_resume_falls_back_to_the_previous_epoch_when_the_newest_is_corrupt(tmp_path, caplog) -> None:
    """A corrupt newest checkpoint: resume from the previous epoch, say so, end where a straight run ends."""
    train, val = loaders()
    path = tmp_path / "run" / "checkpoint.pt"
    model = small_model()
    quiet_fit(model, train, val, epochs=3, lr=0.02, checkpoint=path)
    assert load_checkpoint(previous_path(path))["epoch"] == 2
    flip_a_byte_of(path, model[0].weight)
    with caplog.at_level(logging.WARNING):
        resumed = quiet_fit(small_model(seed=9), train, val, epochs=4, lr=0.02, checkpoint=path, resume=True)
    assert str(path) in caplog.text and str(previous_path(path)) in caplog.text
    assert "fails its checksum" in caplog.text
    assert (tmp_path / "run" / "checkpoint.corrupt.pt").is_file(), "the bad file is kept aside, not reused"
    assert resumed["epoch"].tolist() == [1, 2, 3, 4]
    straight = quiet_fit(small_model(), train, val, epochs=4, lr=0.02)
    np.testing.assert_allclose(resumed[RESULT_COLUMNS].to_numpy(), straight[RESULT_COLUMNS].to_numpy(),
                               rtol=1e-5)
    assert load_checkpoint(path)["epoch"] == 4
    assert load_checkpoint(previous_path(path))["epoch"] == 3, "the rotation goes on from the good file"


def test_a_new_run_never_falls_back_to_an_older_runs_file(tmp_path) -> None:
    train, val = loaders()
    path = tmp_path / "checkpoint.pt"
    quiet_fit(small_model(), train, val, epochs=3, checkpoint=path)  # an older run: epochs 2 and 3 on disk
    quiet_fit(small_model(), train, val, epochs=1, checkpoint=path)  # starting over
    assert not previous_path(path).exists(), "the older run's epoch 2 is gone"
    quiet_fit(small_model(), train, val, epochs=2, checkpoint=path)
    assert load_checkpoint(previous_path(path))["epoch"] == 1


class WithIdleWeights(nn.Module):
    """The tiny MLP plus weights that never receive a gradient from the loss (they are multiplied by 0)."""

    def __init__(self) -> None:
        super().__init__()
        self.net = small_model()
        self.idle = nn.Parameter(torch.full((4,), 2.0))

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return self.net(x) + 0.0 * self.idle.sum()


def test_weight_decay_builds_adamw_that_multiplies_each_weight_by_one_minus_lr_lambda(tmp_path) -> None:
    train, val = loaders()
    lr, decay, epochs = 0.01, 0.5, 2
    steps = epochs * len(train)
    model = WithIdleWeights()
    path = tmp_path / "decay.pt"
    quiet_fit(model, train, val, epochs=epochs, lr=lr, weight_decay=decay, checkpoint=path)
    settings = load_checkpoint(path)["settings"]
    assert settings["optimizer"] == "AdamW" and settings["weight_decay"] == decay
    # Decoupled decay: a weight the loss ignores shrinks by exactly (1 - lr * decay) per step. Adam's
    # L2 penalty would instead take steps of about lr each (its gradient decay * w, normalised).
    expected = 2.0 * (1 - lr * decay) ** steps
    assert torch.allclose(model.idle.detach(), torch.full((4,), expected), rtol=1e-5)
    assert isinstance(engine.default_optimizer(small_model(), lr, decay), torch.optim.AdamW)
    plain = engine.default_optimizer(small_model(), lr)
    assert type(plain) is torch.optim.Adam and plain.param_groups[0]["weight_decay"] == 0.0


def test_optimizer_step_clips_the_global_norm_and_steps_once() -> None:
    """The one scaled-step owner: backward, clip to ``grad_clip``, then exactly one optimiser step."""
    weight = nn.Parameter(torch.tensor([3.0, 4.0]))
    optimizer = torch.optim.SGD([weight], lr=1.0)
    engine.optimizer_step((weight * torch.tensor([3.0, 4.0])).sum(), optimizer, None, grad_clip=1.0)
    assert torch.allclose(weight.detach(), torch.tensor([2.4, 3.2])), "gradient (3, 4) clipped to norm 1"
    disabled = torch.amp.GradScaler("cpu", enabled=False)
    weight.grad = None
    engine.optimizer_step(weight.sum(), optimizer, disabled)
    assert torch.allclose(weight.detach(), torch.tensor([1.4, 2.2])), "a disabled scaler: a plain step"


def test_cudnn_tuning_is_on_for_cuda_only_and_restored() -> None:
    before = torch.backends.cudnn.benchmark
    try:
        torch.backends.cudnn.benchmark = False
        with engine.cudnn_tuning(torch.device("cuda")):
            assert torch.backends.cudnn.benchmark is True
        with engine.cudnn_tuning(torch.device("cpu")):
            assert torch.backends.cudnn.benchmark is False
        assert torch.backends.cudnn.benchmark is False
    finally:
        torch.backends.cudnn.benchmark = before
