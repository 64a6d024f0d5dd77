"""The notebook lint: each rule is proven on small examples it must catch and examples it must leave alone."""

from __future__ import annotations

import json
import textwrap
from pathlib import Path

import pytest

from helpers.notebooks import lint, lint_notebook, lint_source, main


def rules(code: str) -> list[str]:
    """The rules a snippet breaks, in order."""
    return [rule for _, rule, _ in lint_source(textwrap.dedent(code))]


@pytest.mark.parametrize("code", [
    "best_k = ks[int(np.argmax(test_acc))]",
    "best = max(test_acc)",
    "best = max(models, key=lambda m: results[m]['test_acc'])",
    "table.sort_values('test accuracy', ascending=False)",
    "winner = df['test_acc'].idxmax()",
    "df.nlargest(1, 'test_loss')",
    "sorted(runs, key=lambda r: r['test'])",
    "best_epoch = history.test_loss.argmin()",
    "torch.stack(test_losses).argmin()",
    "runs.sort(key=lambda r: r.acc_test)",
])
def test_selection_on_a_test_metric_is_caught(code: str) -> None:
    assert rules(code) == ["test-selection"], code


@pytest.mark.parametrize("code", [
    "best_k = ks[int(np.argmax(val_acc))]",
    "best = max(models, key=lambda m: results[m]['val_acc'])",
    "predicted = model(X_test).argmax(dim=1)",
    "print(f'test accuracy {test_acc:.1%}')",
    "probs = test_logits.softmax(dim=1).max(dim=1)",
    "y_pred = probabilities.argmax(dim=1)",
    "ranked = df.sort_values('val_loss')",
])
def test_choosing_on_validation_or_predicting_on_test_is_fine(code: str) -> None:
    assert rules(code) == [], code


@pytest.mark.parametrize("code", [
    """
    for step, (images, labels) in enumerate(val_loader):
        if step >= MAX_BATCHES:
            break
        correct += (model(images).argmax(1) == labels).sum()
    """,
    """
    seen = 0
    for images, labels in test_loader:
        seen += 1
        if seen == 20:
            break
    """,
    "for images, labels in itertools.islice(val_loader, 5): pass",
    "batches = islice(iter(test_loader), 10)",
    "for _, (x, y) in zip(range(10), loader): pass",
    "first = list(val_dl)[:4]",
])
def test_capping_an_evaluation_loader_by_hand_is_caught(code: str) -> None:
    assert rules(code) == ["capped-by-hand"], code


@pytest.mark.parametrize("code", [
    """
    for step, (images, labels) in enumerate(train_loader):   # shuffled training batches
        if step >= STEPS:
            break
    """,
    """
    for images, labels in val_loader:
        if torch.isnan(model(images)).any():
            break
    """,
    """
    for i, (x, y) in enumerate(val_loader):
        for j in range(3):
            if j == 2:
                break
    """,
    "result = engine.evaluate(model, data.capped(val_loader, 5), loss_fn, device)",
    "images, labels = next(iter(val_loader))",
    "for i in range(10):\n    if i > 3:\n        break",
])
def test_full_passes_sanctioned_caps_and_other_breaks_are_fine(code: str) -> None:
    assert rules(code) == [], code


@pytest.mark.parametrize("code", [
    "assert True",
    "assert 'always'",
    "assert x == x",
    "assert 0 <= frac <= 1",
    "assert 0.0 <= run['dead hidden units'] <= 1.0",
    "assert history['val_acc'].between(0, 1).all()",
    "assert 0 <= RESULTS['test_acc'] <= 100",
    "assert torch.all((test_probs >= 0) & (test_probs <= 1))",
    "assert probs.min() >= 0 and probs.max() <= 1",
    "assert len(loader) >= 0",
    "assert n_images >= 0",
    "assert 1 <= collapsed['distinct predicted classes'] <= len(class_names)",
    "assert all(speed > 0 for speed in speeds.values())",
    "assert elapsed > 0",
    "assert (history['epoch_time_s'] > 0).all()",
    "CHECK = config.pick(smoke=False, quick=False, full=True)\nassert not CHECK or gap < 0.05",
    "FULL = config.mode() == 'full'\nif FULL:\n    assert acc > 0.9",
])
def test_asserts_that_cannot_fail_are_caught(code: str) -> None:
    assert rules(code) == ["always-true"], code


@pytest.mark.parametrize("code", [
    "assert abs(acc - 0.5) < 0.1",
    "assert 0.4 < rate < 0.6",
    "assert val_acc > 2 * chance",
    "assert image.min() >= 0 and image.max() <= 1, 'ToTensor scales pixels to [0, 1]'",
    "assert len(loader) > 0",
    "assert speedup > 1",
    "assert loss_after < loss_before",
    "assert acc >= config.pick(smoke=0.5, quick=0.8, full=0.95)",
    "ENOUGH = config.pick(smoke=False, quick=True, full=True)\nif ENOUGH:\n    assert drop > 10",
    "CHECK = config.pick(smoke=0.1, quick=0.05, full=0.02)\nassert not CHECK or gap < CHECK",
])
def test_asserts_that_can_fail_are_fine(code: str) -> None:
    assert rules(code) == [], code


def test_messages_say_what_to_do_instead() -> None:
    (_, _, selection), = lint_source("best = max(test_acc)")
    assert "validation" in selection and "once on the test set" in selection
    (_, _, capped), = lint_source("batches = islice(val_loader, 3)")
    assert "helpers.data.capped" in capped and "max_batches" in capped
    (_, _, tautology), = lint_source("assert 0 <= acc <= 1")
    assert "would fail if the lesson were false" in tautology


def test_an_allow_comment_needs_the_rule_and_a_reason() -> None:
    allowed = "best = max(test_acc)  # course-lint: allow test-selection -- lists the test of every model"
    assert rules(allowed) == []
    wrong_rule = "best = max(test_acc)  # course-lint: allow always-true -- names the wrong rule"
    assert rules(wrong_rule) == ["test-selection"]
    assert rules("best = max(test_acc)  # course-lint: allow test-selection") == ["test-selection"]


def test_magics_are_skipped_and_lines_are_reported() -> None:
    code = "%matplotlib inline\n!ls\nx = 1\nassert True"
    assert lint_source(code)[0][:2] == (4, "always-true")
    assert lint_source("%%timeit\nassert True") == []


def _notebook(path: Path, *cells: str) -> Path:
    nb = {"cells": [{"cell_type": "markdown", "metadata": {}, "source": "# title"}]
          + [{"cell_type": "code", "metadata": {}, "source": c, "outputs": [], "execution_count": None}
             for c in cells],
          "metadata": {}, "nbformat": 4, "nbformat_minor": 5}
    path.write_text(json.dumps(nb), encoding="utf-8")
    return path


def test_flags_from_one_cell_count_in_the_next(tmp_path: Path) -> None:
    path = _notebook(tmp_path / "01_x.ipynb", "CHECK_GAP = config.pick(smoke=False, quick=False, full=True)",
                     "gap = 0.1\nassert not CHECK_GAP or gap < 0.05")
    (finding,) = lint_notebook(path)
    assert (finding.cell, finding.line, finding.rule) == (2, 2, "always-true")
    assert "01_x.ipynb cell 2 line 2: always-true" in str(finding)


def test_command_line_exit_codes(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    _notebook(tmp_path / "01_clean.ipynb", "assert 1 + 1 == 2")
    assert main(["lint", str(tmp_path)]) == 0
    assert "clean" in capsys.readouterr().out
    _notebook(tmp_path / "02_dirty.ipynb", "best = max(test_acc)", "assert True")
    assert main(["lint", str(tmp_path)]) == 1
    out = capsys.readouterr().out
    assert "02_dirty.ipynb cell 1 line 1: test-selection" in out and "2 finding(s) in 1 of 2 notebooks" in out
    assert [f.rule for f in lint(tmp_path)] == ["test-selection", "always-true"]
    assert main(["lint", str(tmp_path / "missing")]) == 2
    assert "not a folder" in capsys.readouterr().out


@pytest.mark.parametrize("code", [
    "BATCHES = config.pick(smoke=1, quick=10, full=40)\nassert all(n == BATCHES * 32 for n in timed)",
    "N_TRAIN = config.pick(smoke=200, quick=1000, full=2000)\nassert len(train_idx) == N_TRAIN",
    "PER_CLASS = config.pick(smoke=2, quick=20, full=None)\nassert counts.min() != PER_CLASS",
])
def test_an_equality_with_a_data_budget_the_data_may_not_hold_is_caught(code: str) -> None:
    assert rules(code) == ["unclamped-budget"]


@pytest.mark.parametrize("code", [
    # clamped to what the data holds, then compared with what was used
    "BATCHES = config.budget(config.pick(smoke=1, quick=10, full=40), available=n // 32, what='b')\n"
    "assert all(n == BATCHES * 32 for n in timed)",
    "N_TRAIN = config.pick(smoke=200, quick=1000, full=2000)\n"
    "N_TRAIN = config.budget(N_TRAIN, available=len(labels), what='images')\nassert len(idx) == N_TRAIN",
    # not a data budget, or not an equality
    "EPOCHS = config.pick(smoke=1, quick=6, full=4)\nassert len(history) == EPOCHS",
    "BATCHES = config.pick(smoke=1, quick=10, full=40)\nassert timed >= 1",
])
def test_clamped_budgets_and_other_budgets_are_fine(code: str) -> None:
    assert rules(code) == []


def test_a_budget_clamped_in_another_cell_counts(tmp_path: Path) -> None:
    cells = ["N_IMAGES = config.pick(smoke=2, quick=20, full=200)",
             "N_IMAGES = config.budget(N_IMAGES, available=len(ds), what='images')",
             "assert len(seen) == N_IMAGES"]
    path = tmp_path / "clamped.ipynb"
    path.write_text(json.dumps({"cells": [{"cell_type": "code", "source": c, "metadata": {}, "outputs": []}
                                          for c in cells], "metadata": {}, "nbformat": 4,
                                "nbformat_minor": 5}), encoding="utf-8")
    assert lint_notebook(path) == []
    path.write_text(path.read_text(encoding="utf-8").replace("config.budget", "min"), encoding="utf-8")
    assert [f.rule for f in lint_notebook(path)] == ["unclamped-budget"]
