"""Tests for helpers.checkpoint: round trips, atomic writes and clear errors on bad files."""

from __future__ import annotations

import logging
from pathlib import Path

import pandas as pd
import pytest
import torch
from torch import nn

from helpers.checkpoint import (
    TRAINED_INPUT_SIZE,
    CheckpointCorruptError,
    CheckpointError,
    load_checkpoint,
    load_latest_checkpoint,
    previous_path,
    save_checkpoint,
    state_checksum,
    unwrap,
)


def trained_objects(seed: int = 0):
    """A small model, an Adam optimizer with state, a stepped scheduler and a history."""
    torch.manual_seed(seed)
    model = nn.Sequential(nn.Linear(4, 8), nn.BatchNorm1d(8), nn.ReLU(), nn.Linear(8, 3))
    optimizer = torch.optim.Adam(model.parameters(), lr=0.01)
    scheduler = torch.optim.lr_scheduler.StepLR(optimizer, step_size=1, gamma=0.5)
    for _ in range(3):
        loss = model(torch.randn(16, 4)).logsumexp(1).mean()
        optimizer.zero_grad()
        loss.backward()
        optimizer.step()
        scheduler.step()
    history = pd.DataFrame({"epoch": [1, 2, 3], "train_loss": [1.0, 0.5, 0.25], "val_acc": [0.5, 0.6, 0.7]})
    return model, optimizer, scheduler, history


def fresh_objects():
    """The same kinds of objects, untrained and with other weights."""
    torch.manual_seed(99)
    model = nn.Sequential(nn.Linear(4, 8), nn.BatchNorm1d(8), nn.ReLU(), nn.Linear(8, 3))
    optimizer = torch.optim.Adam(model.parameters(), lr=0.01)
    scheduler = torch.optim.lr_scheduler.StepLR(optimizer, step_size=1, gamma=0.5)
    return model, optimizer, scheduler


@pytest.fixture
def saved(tmp_path: Path):
    """A course checkpoint on disk and the objects it was saved from."""
    model, optimizer, scheduler, history = trained_objects()
    path = save_checkpoint(tmp_path / "runs" / "ckpt.pt", model=model, epoch=3, optimizer=optimizer,
                           scheduler=scheduler, history=history,
                           settings={"lr": 0.01, "data": tmp_path, "device": torch.device("cpu")},
                           extra={"best_loss": 0.25})
    return path, model, optimizer, scheduler, history


def test_round_trip_restores_everything(saved) -> None:
    path, model, optimizer, scheduler, history = saved
    new_model, new_opt, new_sched = fresh_objects()
    state = load_checkpoint(path, new_model, optimizer=new_opt, scheduler=new_sched)
    for (key, a), b in zip(model.state_dict().items(), new_model.state_dict().values(), strict=True):
        assert torch.equal(a, b), f"{key} differs after loading"
    assert new_opt.state_dict()["state"].keys() == optimizer.state_dict()["state"].keys()
    for i, entry in optimizer.state_dict()["state"].items():
        assert torch.equal(entry["exp_avg"], new_opt.state_dict()["state"][i]["exp_avg"])
    assert new_opt.param_groups[0]["lr"] == pytest.approx(0.01 * 0.5**3)
    assert new_sched.last_epoch == scheduler.last_epoch == 3
    pd.testing.assert_frame_equal(state["history"], history)
    assert state["epoch"] == 3 and state["extra"] == {"best_loss": 0.25}
    assert state["settings"]["lr"] == 0.01
    assert state["settings"]["data"] == str(path.parent.parent), "paths are stored as strings"
    assert state["settings"]["device"] == "cpu"


def test_save_is_atomic_and_creates_folders(saved) -> None:
    path = saved[0]
    assert path.is_file()
    assert [p.name for p in path.parent.iterdir()] == [path.name], "no temporary file is left behind"


def test_load_without_model_and_empty_history(tmp_path: Path) -> None:
    path = save_checkpoint(tmp_path / "bare.pt", model=nn.Linear(2, 2), epoch=0)
    state = load_checkpoint(path)
    assert state["epoch"] == 0 and state["history"].empty and state["optimizer"] is None


def test_missing_file_raises_with_advice(tmp_path: Path) -> None:
    with pytest.raises(CheckpointError, match="No checkpoint at .*Train first"):
        load_checkpoint(tmp_path / "nope.pt", nn.Linear(2, 2))
    with pytest.raises(CheckpointError, match="No checkpoint"):
        load_checkpoint(tmp_path, nn.Linear(2, 2))  # a folder is not a checkpoint either


def test_random_bytes_raise_corrupt(tmp_path: Path) -> None:
    path = tmp_path / "random.pt"
    path.write_bytes(torch.randint(0, 256, (4096,), dtype=torch.uint8).numpy().tobytes())
    with pytest.raises(CheckpointError, match="corrupt or not a course checkpoint.*train again"):
        load_checkpoint(path, nn.Linear(2, 2))


def test_empty_file_raises_corrupt(tmp_path: Path) -> None:
    path = tmp_path / "empty.pt"
    path.write_bytes(b"")
    with pytest.raises(CheckpointError, match="corrupt"):
        load_checkpoint(path)


def test_truncated_file_raises_corrupt(saved, tmp_path: Path) -> None:
    data = saved[0].read_bytes()
    path = tmp_path / "truncated.pt"
    path.write_bytes(data[: len(data) // 2])  # e.g. a kernel killed mid-copy
    with pytest.raises(CheckpointError, match="corrupt"):
        load_checkpoint(path, fresh_objects()[0])


def test_a_bare_state_dict_is_not_a_course_checkpoint(tmp_path: Path) -> None:
    path = tmp_path / "weights.pt"
    torch.save(nn.Linear(2, 2).state_dict(), path)
    with pytest.raises(CheckpointError, match="not a course checkpoint.*bare state_dict"):
        load_checkpoint(path, nn.Linear(2, 2))


def test_a_tensor_file_is_not_a_course_checkpoint(tmp_path: Path) -> None:
    path = tmp_path / "tensor.pt"
    torch.save(torch.zeros(3), path)
    with pytest.raises(CheckpointError, match="not a course checkpoint.*Tensor"):
        load_checkpoint(path)


def test_wrong_architecture_raises_with_the_mismatch(saved) -> None:
    """The message names the layers that differ (and, when known, the model it was saved from)."""
    other = nn.Sequential(nn.Linear(4, 16), nn.BatchNorm1d(16), nn.ReLU(), nn.Linear(16, 3))
    with pytest.raises(CheckpointError, match="(?s)does not match this model's architecture.*size mismatch"):
        load_checkpoint(saved[0], other)
    with pytest.raises(CheckpointError, match="(?s)architecture.*Missing key"):
        load_checkpoint(saved[0], nn.Sequential(nn.Linear(4, 8), nn.ReLU(), nn.Linear(8, 3), nn.Linear(3, 3)))


def test_wrong_optimizer_raises_checkpoint_error(saved) -> None:
    model = fresh_objects()[0]
    sgd = torch.optim.SGD([model[0].weight], lr=0.1)  # one parameter group of a different size
    with pytest.raises(CheckpointError, match="optimizer state that does not fit this SGD"):
        load_checkpoint(saved[0], model, optimizer=sgd)


class _Payload:
    """An object whose unpickling would run code: weights_only loading must refuse it."""

    def __init__(self, marker: Path) -> None:
        self.marker = marker

    def __reduce__(self):
        return (Path.touch, (self.marker,))


def test_weights_only_refuses_arbitrary_objects(tmp_path: Path) -> None:
    marker = tmp_path / "code_ran"
    path = tmp_path / "unsafe.pt"
    torch.save({"model": {}, "epoch": 1, "extra": _Payload(marker)}, path)
    with pytest.raises(CheckpointError, match="corrupt or not a course checkpoint"):
        load_checkpoint(path)
    assert not marker.exists(), "loading must not execute code stored in the file"


def test_checkpoint_loads_with_plain_torch_weights_only(saved) -> None:
    """A course checkpoint holds only tensors and primitives, so torch's safe loader reads it."""
    state = torch.load(saved[0], weights_only=True)
    assert set(state) >= {"model", "epoch", "optimizer", "scheduler", "history", "settings", "extra"}


def test_unwrap_removes_wrappers() -> None:
    inner = nn.Linear(2, 2)

    class Wrapper(nn.Module):  # the shape of DataParallel / DistributedDataParallel
        def __init__(self, module: nn.Module) -> None:
            super().__init__()
            self.module = module

    assert unwrap(Wrapper(Wrapper(inner))) is inner
    assert unwrap(inner) is inner
    compiled = torch.compile(inner, backend="eager")
    assert unwrap(compiled) is inner
    assert unwrap(nn.Sequential(inner)) is not inner, "a Sequential holding a module is not a wrapper"


def test_save_a_wrapped_model_stores_plain_keys(tmp_path: Path) -> None:
    model = nn.Linear(2, 2)
    path = save_checkpoint(tmp_path / "c.pt", model=torch.compile(model, backend="eager"), epoch=1)
    load_checkpoint(path, nn.Linear(2, 2))  # would fail on "_orig_mod." prefixes


def test_wrong_architecture_names_the_saved_model(tmp_path: Path) -> None:
    path = save_checkpoint(tmp_path / "c.pt", model=nn.Linear(2, 2), epoch=1, settings={"model": "Linear"})
    with pytest.raises(CheckpointError, match="saved from a Linear; build that model"):
        load_checkpoint(path, nn.Linear(3, 2))


# --- Checksums and the previous epoch's file --------------------------------------------------


def flip_a_weight_byte(path: Path, weight: torch.Tensor) -> None:
    """Flip one byte in the middle of ``weight``'s bytes inside the saved file (a silent disk error)."""
    data = bytearray(path.read_bytes())
    raw = weight.detach().contiguous().numpy().tobytes()
    at = data.find(raw)
    assert at >= 0 and data.find(raw, at + 1) < 0, "the weight's bytes must appear once in the file"
    data[at + len(raw) // 2] ^= 0x10
    path.write_bytes(bytes(data))


def test_a_flipped_byte_in_the_weights_fails_the_checksum(saved) -> None:
    path, model = saved[0], saved[1]
    flip_a_weight_byte(path, model[0].weight)
    raw = torch.load(path, weights_only=True)  # torch itself notices nothing: the weights just changed
    assert not torch.equal(raw["model"]["0.weight"], model[0].weight.detach())
    with pytest.raises(CheckpointCorruptError, match=f"(?s){path.name} fails its checksum.*prev.pt"):
        load_checkpoint(path, fresh_objects()[0])
    assert issubclass(CheckpointCorruptError, CheckpointError)


def test_the_checksum_covers_tensors_and_settings_and_ignores_key_order() -> None:
    weights = {"b": torch.arange(4, dtype=torch.bfloat16), "a": torch.ones(2, 2)}
    state = {"model": weights, "epoch": 3, "settings": {"lr": 0.1, "size": [3, 64, 64]}, "extra": {0: None}}
    base = state_checksum(state)
    assert base == state_checksum({**state, "model": dict(reversed(list(weights.items())))})
    assert base == state_checksum({**state, "checksum": "anything"}), "the checksum entry is left out"
    changed = [
        {**state, "model": {**weights, "a": torch.tensor([[1.0, 1.0], [1.0, 1.0 + 2**-20]])}},  # one value
        {**state, "model": {**weights, "a": torch.ones(4)}},                       # same bytes, other shape
        {**state, "model": {**weights, "a": torch.ones(2, 2, dtype=torch.float64)}},  # other dtype
        {**state, "epoch": 4},
        {**state, "settings": {"lr": 0.1, "size": [3, 64, 65]}},
        {**state, "extra": {"0": None}},                                            # int key vs str key
    ]
    assert len({base, *(state_checksum(c) for c in changed)}) == len(changed) + 1


def test_an_old_checkpoint_without_checksum_loads_with_a_warning(saved, tmp_path: Path) -> None:
    path, model = saved[0], saved[1]
    state = torch.load(path, weights_only=True)
    del state["checksum"]
    old = tmp_path / "old.pt"
    torch.save(state, old)
    new_model = fresh_objects()[0]
    with pytest.warns(UserWarning, match="old.pt has no checksum"):
        load_checkpoint(old, new_model)
    assert torch.equal(new_model[0].weight, model[0].weight)


def test_keep_previous_rotates_atomically(tmp_path: Path) -> None:
    path = tmp_path / "checkpoint.pt"
    for epoch in (1, 2, 3):
        save_checkpoint(path, model=nn.Linear(2, 2), epoch=epoch, keep_previous=True)
    assert previous_path(path).name == "checkpoint.prev.pt"
    assert load_checkpoint(path)["epoch"] == 3 and load_checkpoint(previous_path(path))["epoch"] == 2
    assert sorted(p.name for p in tmp_path.iterdir()) == ["checkpoint.prev.pt", "checkpoint.pt"]
    save_checkpoint(path, model=nn.Linear(2, 2), epoch=4)  # keep_previous=False: the previous stays as it was
    assert load_checkpoint(previous_path(path))["epoch"] == 2


def two_epochs(tmp_path: Path) -> tuple[Path, nn.Module, nn.Module]:
    """checkpoint.pt (epoch 2) and checkpoint.prev.pt (epoch 1), each with its own weights."""
    path = tmp_path / "checkpoint.pt"
    first, second = fresh_objects()[0], trained_objects()[0]
    save_checkpoint(path, model=first, epoch=1, keep_previous=True)
    save_checkpoint(path, model=second, epoch=2, keep_previous=True)
    return path, first, second


def test_load_latest_falls_back_to_the_previous_file_and_says_so(tmp_path: Path, caplog) -> None:
    path, first, second = two_epochs(tmp_path)
    model = fresh_objects()[0]
    assert load_latest_checkpoint(path, model)["loaded_from"] == str(path)
    flip_a_weight_byte(path, second[0].weight)
    with caplog.at_level(logging.WARNING, logger="helpers.checkpoint"):
        state = load_latest_checkpoint(path, model)
    assert state["epoch"] == 1 and state["loaded_from"] == str(previous_path(path))
    assert torch.equal(model[0].weight, first[0].weight)
    message = caplog.text
    assert str(path) in message and str(previous_path(path)) in message and "fails its checksum" in message


def test_load_latest_uses_the_previous_file_when_the_newest_is_missing(tmp_path: Path) -> None:
    path, first, _ = two_epochs(tmp_path)
    path.unlink()  # a save interrupted between its two renames
    assert load_latest_checkpoint(path, fresh_objects()[0])["epoch"] == 1


def test_load_latest_gives_up_clearly_when_both_are_bad(tmp_path: Path) -> None:
    path, first, second = two_epochs(tmp_path)
    flip_a_weight_byte(path, second[0].weight)
    flip_a_weight_byte(previous_path(path), first[0].weight)
    with pytest.raises(CheckpointCorruptError, match=r"(?s)Neither .*checkpoint.pt nor .*checkpoint.prev.pt"):
        load_latest_checkpoint(path, fresh_objects()[0])


def test_load_latest_does_not_hide_an_architecture_mismatch(tmp_path: Path) -> None:
    path, _, _ = two_epochs(tmp_path)
    with pytest.raises(CheckpointError, match="does not match this model's architecture") as info:
        load_latest_checkpoint(path, nn.Linear(3, 3))
    assert not isinstance(info.value, CheckpointCorruptError)


def test_load_restores_the_trained_input_size(tmp_path: Path) -> None:
    path = save_checkpoint(tmp_path / "a.pt", model=nn.Linear(2, 2), epoch=1,
                           settings={"input_size": [3, 128, 128], "image_size": 256})
    model = nn.Linear(2, 2)
    load_checkpoint(path, model)
    assert getattr(model, TRAINED_INPUT_SIZE) == (3, 128, 128), "the recorded input size beats image_size"
    older = save_checkpoint(tmp_path / "b.pt", model=nn.Linear(2, 2), epoch=1, settings={"image_size": 64})
    load_checkpoint(older, model)
    assert getattr(model, TRAINED_INPUT_SIZE) == (3, 64, 64), "older runs recorded only image_size"
    bare = nn.Linear(2, 2)
    load_checkpoint(save_checkpoint(tmp_path / "c.pt", model=nn.Linear(2, 2), epoch=1), bare)
    assert not hasattr(bare, TRAINED_INPUT_SIZE)
