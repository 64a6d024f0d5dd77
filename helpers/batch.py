"""The batch of runs chapters 11-16 reuse: ``make runs`` (``python -m helpers.batch``).

It trains the report's models one after the other with the training command's own function
(:func:`helpers.train.train`), each into ``runs/<name>/``, with the settings of one file,
``helpers/batch_runs.toml`` (one table per run). A run whose ``results.json`` says it finished
with the same epochs and batch cap is skipped; any other run continues from its checkpoint
(``--resume``), so a batch killed at 3 a.m. (a culled job, a lost connection) is simply started
again. At the end a table gives each run's status, epochs, accuracies and time per epoch.

Examples::

    make runs                                              # everything, the file's settings (a GPU night)
    python -m helpers.batch --models resnet_minimal small_resnet_aug
    python -m helpers.batch --epochs 1 --max-batches 2     # a check of the whole batch in minutes
    python -m helpers.batch --list                         # the runs and their options, nothing trained

In full mode (``COURSE_MODE=full``) chapters 11-16 find these runs with
:func:`helpers.train.load_results` and show them instead of training inline.
"""

from __future__ import annotations

import argparse
import logging
import sys
import time
import tomllib
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
import torch

from helpers import config, train
from helpers.data import DataNotFoundError
from helpers.runs import CHECKPOINT_NAME, read_results

log = logging.getLogger("helpers.batch")

SETTINGS_FILE = Path(__file__).with_name("batch_runs.toml")
NOTE = "make runs"
"""What the batch writes in each run's ``results.json`` (``note``): chapters say who trained the run."""
MANAGED = ("run_dir", "run_name", "resume", "note", "recipe")
"""Training options the batch sets itself (or that would hide a run's settings): not allowed in the file."""


class BatchSettingsError(ValueError):
    """The settings file cannot be read or names an option the training command does not have."""


def train_options() -> dict[str, Any]:
    """The training command's options and their defaults (``dest`` names, underscores)."""
    return vars(train.build_parser().parse_args(["--model", "simple_cnn"]))


def load_settings(path: str | Path = SETTINGS_FILE) -> dict[str, dict[str, Any]]:
    """The runs of a settings file, in file order: ``{name: options}``, ``[defaults]`` merged in."""
    path = Path(path)
    try:
        data = tomllib.loads(path.read_text(encoding="utf-8"))
    except FileNotFoundError:
        raise BatchSettingsError(f"No settings file {path}: give an existing file with --settings "
                                 f"(the course's is {SETTINGS_FILE})") from None
    except tomllib.TOMLDecodeError as error:
        raise BatchSettingsError(f"{path} is not valid TOML: {error}") from None
    defaults, runs, recipes = data.get("defaults", {}), data.get("runs", {}), data.get("recipes", {})
    if not runs:
        raise BatchSettingsError(f"{path} has no [runs.NAME] table: nothing to train")
    known = train_options()
    merged = {}
    for name, options in runs.items():
        uses = options.get("uses")
        if uses is not None and uses not in recipes:
            raise BatchSettingsError(f"{path}, run {name!r}: uses = {uses!r}, but the file's recipes are "
                                     + (", ".join(recipes) or "none ([recipes.NAME] tables)"))
        entry = {**defaults, **recipes.get(uses, {}), **{k: v for k, v in options.items() if k != "uses"}}
        unknown = sorted(set(entry) - set(known))
        managed = sorted(set(entry) & set(MANAGED))
        if unknown or managed:
            raise BatchSettingsError(
                f"{path}, run {name!r}: " + (f"unknown option(s) {', '.join(unknown)}; " if unknown else "")
                + (f"{', '.join(managed)} are set by the batch itself; " if managed else "")
                + "a key is an option of python -m helpers.train with underscores "
                "(python -m helpers.train --help)")
        if entry.get("model") not in train.PLANTVILLAGE_MODELS:
            raise BatchSettingsError(f"{path}, run {name!r}: model = {entry.get('model')!r}; give one of "
                                     + ", ".join(train.PLANTVILLAGE_MODELS))
        merged[name] = entry
    return merged


RECIPE_KEYS = ("optimizer", "lr", "weight_decay", "scheduler", "grad_clip", "augment", "rotations", "init",
               "label_smoothing")
"""The settings that make a recipe: two runs with equal values here were trained the same way (for as
many epochs: :func:`same_recipe_results` compares only runs of one length)."""


def load_recipes(path: str | Path = SETTINGS_FILE) -> dict[str, dict[str, Any]]:
    """The file's named recipes, each as the full values of :data:`RECIPE_KEYS` a run using it trains with.

    A run's value comes from the training command's defaults, then the file's ``[defaults]``, then the
    ``[recipes.NAME]`` table, so ``plain`` (an empty table) is the defaults themselves.
    """
    data = tomllib.loads(Path(path).read_text(encoding="utf-8"))
    base = {**train_options(), **data.get("defaults", {})}
    recipes = data.get("recipes", {})
    for name, options in recipes.items():
        unknown = sorted(set(options) - set(base))
        if unknown:
            raise BatchSettingsError(f"{path}, recipe {name!r}: unknown option(s) {', '.join(unknown)}")
    return {name: {key: {**base, **options}[key] for key in RECIPE_KEYS} for name, options in recipes.items()}


def run_settings(name: str, path: str | Path = SETTINGS_FILE) -> dict[str, Any]:
    """The values of :data:`RECIPE_KEYS` the file's run ``name`` trains with: how a chapter recognises
    that run (or one trained the same way) among the results files, e.g.
    ``train.load_results("deep_cnn", where={**batch.run_settings("deep_cnn"), "image_size": 256})``."""
    runs = load_settings(path)
    if name not in runs:
        raise BatchSettingsError(f"no run {name!r} in {path}; its runs: {', '.join(runs)}")
    known = train_options()
    return {key: runs[name].get(key, known[key]) for key in RECIPE_KEYS}


def same_recipe_results(model_names: list[str], runs_dir: str | Path | None = None,
                        path: str | Path = SETTINGS_FILE) -> tuple[pd.DataFrame, dict[str, Any] | None]:
    """Every model under every recipe of the file: a table of finished runs, and what they share.

    Runs are compared only on one split file, data folder, image size and number of epochs
    (:func:`helpers.train.comparable_results` chooses the one most runs of a recipe share). For each model and
    recipe, the newest finished run with that setting and the recipe's values of :data:`RECIPE_KEYS`
    gives the test accuracy and balanced accuracy (%) and its folder's name; a missing run leaves NaN
    (and None for its folder).
    Returns ``(table indexed by model, the shared setting or None when no run is finished)``.
    """
    recipes = load_recipes(path)
    _, same = train.comparable_results(model_names, runs_dir, keys=(*train.COMPARABLE_KEYS, "epochs"),
                                       among=list(recipes.values()))
    rows = []
    for model in model_names:
        row: dict[str, Any] = {"model": model}
        for recipe, values in recipes.items():
            run = None if same is None else train.load_results(model, runs_dir, where={**same, **values})
            scores = (run or {}).get("test_acc"), (run or {}).get("test_balanced_acc")
            row[f"{recipe}: test acc (%)"] = np.nan if scores[0] is None else 100 * scores[0]
            row[f"{recipe}: balanced acc (%)"] = np.nan if scores[1] is None else 100 * scores[1]
            row[f"{recipe}: run"] = Path(run["run_dir"]).name if run else None
        rows.append(row)
    table = pd.DataFrame(rows).set_index("model")
    for column in table.filter(like=": run").columns:  # pandas turns a blank among names into NaN: keep None
        table[column] = pd.Series([name if isinstance(name, str) else None for name in table[column]],
                                  index=table.index, dtype=object)
    return table, same


def to_argv(options: dict[str, Any]) -> list[str]:
    """The command line of ``python -m helpers.train`` for a run's options, as the batch shows it (``--list``,
    the log); the runs themselves start from :func:`helpers.train.make_settings`."""
    parser = train.build_parser()
    switches = {s for action in parser._actions for s in action.option_strings}
    argv: list[str] = []
    for key, value in sorted(options.items(), key=lambda item: item[0] != "model"):  # --model first
        flag = "--" + key.replace("_", "-")
        if value is True:
            argv.append(flag)
        elif value is False:
            if f"--no-{key.replace('_', '-')}" in switches:
                argv.append(f"--no-{key.replace('_', '-')}")
        elif isinstance(value, list | tuple):
            argv += [flag, *map(str, value)]
        elif value is not None:
            argv += [flag, str(value)]
    return argv


def finished(run_dir: Path, epochs: int, max_batches: int | None) -> dict[str, Any] | None:
    """The run's ``results.json`` when it finished with these epochs and this batch cap, else None."""
    results = read_results(run_dir)
    if results is None:
        return None
    settings = results.get("settings") or {}
    if (results.get("complete") and settings.get("epochs") == epochs
            and settings.get("max_batches") == max_batches):
        return results
    return None


def select(runs: dict[str, dict[str, Any]], wanted: list[str] | None) -> dict[str, dict[str, Any]]:
    """The runs named in ``wanted`` (run names or model names; all when None), in the file's order."""
    if not wanted:
        return runs
    missing = [w for w in wanted if w not in runs and w not in {o["model"] for o in runs.values()}]
    if missing:
        raise BatchSettingsError(f"--models {' '.join(missing)}: not a run or model of the settings file; "
                                 f"its runs: {', '.join(runs)}")
    return {name: options for name, options in runs.items() if name in wanted or options["model"] in wanted}


def summary_row(name: str, status: str, results: dict[str, Any] | None, run_dir: Path) -> dict[str, Any]:
    """One line of the final table."""
    results = results or {}

    def pct(value: float | None) -> float | None:
        return None if value is None else round(100 * value, 2)

    return {"run": name, "model": results.get("model"), "status": status, "epochs": results.get("epochs"),
            "val acc (%)": pct(results.get("val_acc")), "test acc (%)": pct(results.get("test_acc")),
            "majority (%)": pct((results.get("baselines") or {}).get("majority_class_acc")),
            "s/epoch": None if results.get("time_per_epoch_s") is None
            else round(results["time_per_epoch_s"], 1),
            "run dir": str(run_dir)}


def run_batch(runs: dict[str, dict[str, Any]], runs_dir: Path, *, restart: bool = False,
              machine: dict[str, Any] | None = None) -> pd.DataFrame:
    """Train each run in turn (finished ones skipped, interrupted ones resumed); the summary table.

    Each run's options, with ``machine`` (settings of this machine: ``device``, ``workers``, ...),
    become a :class:`helpers.train.TrainSettings` (:func:`helpers.train.make_settings`).
    """
    rows = []
    for name, options in runs.items():
        run_dir = runs_dir / name
        done = None if restart else finished(run_dir, options["epochs"], options.get("max_batches"))
        if done is not None:
            log.info("%s: finished on %s, skipped (%s)", name, done.get("finished_at"), run_dir)
            rows.append(summary_row(name, "skipped: finished", done, run_dir))
            continue
        resume = not restart and (run_dir / CHECKPOINT_NAME).exists()
        settings = train.make_settings(**{**options, **(machine or {})}, run_dir=run_dir, note=NOTE,
                                       resume=resume)
        log.info("%s: %s: python -m helpers.train %s", name, "resuming" if resume else "training",
                 " ".join(to_argv({**options, **(machine or {}), "run_dir": run_dir, "resume": resume})))
        results = train.train(settings)
        if torch.cuda.is_available():
            torch.cuda.empty_cache()  # the next model starts with the memory free
        status = ("resumed" if resume else "trained") if results and results["complete"] else "interrupted"
        rows.append(summary_row(name, status, results, run_dir))
    return pd.DataFrame(rows)


def build_parser() -> argparse.ArgumentParser:
    """The command-line options (``python -m helpers.batch --help``)."""
    parser = argparse.ArgumentParser(prog="python -m helpers.batch", description=__doc__,
                                     formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--settings", type=Path, default=SETTINGS_FILE,
                        help="the runs and their options (default: helpers/batch_runs.toml)")
    parser.add_argument("--models", nargs="+", default=None, metavar="NAME",
                        help="only these runs (a run's name, or a model: all its runs)")
    parser.add_argument("--epochs", type=int, default=None, help="epochs of every run (overrides the file)")
    parser.add_argument("--batch-size", type=int, default=None, help="batch size of every run")
    parser.add_argument("--max-batches", type=int, default=None, help="cap batches per epoch (a quick check)")
    parser.add_argument("--data", type=Path, default=None,
                        help="PlantVillage folder (default: the one the chapters use)")
    parser.add_argument("--runs-dir", type=Path, default=None,
                        help="where the runs go (default: runs/ or COURSE_RUNS_DIR, where chapters look)")
    parser.add_argument("--restart", action="store_true", help="train every selected run from epoch 1 again")
    parser.add_argument("--device", default=None, help="cpu, cuda, mps (default: the best available)")
    parser.add_argument("--workers", type=int, default=None, help="DataLoader workers (default: per machine)")
    parser.add_argument("--threads", type=int, default=None, help="CPU threads for torch")
    parser.add_argument("--no-progress", action="store_true", help="no progress bars")
    parser.add_argument("--list", action="store_true", help="print the runs and their options, train nothing")
    return parser


def main(argv: list[str] | None = None) -> int:
    """``python -m helpers.batch``: 0 when every selected run finished, 1 otherwise."""
    args = build_parser().parse_args(argv)
    logging.basicConfig(level=logging.INFO, format="%(message)s", force=True)
    try:
        runs = select(load_settings(args.settings), args.models)
    except BatchSettingsError as error:
        print(f"error: {error}", file=sys.stderr)
        return 1
    for options in runs.values():
        for key in ("epochs", "batch_size", "max_batches", "data"):
            if getattr(args, key) is not None:
                options[key] = getattr(args, key)
    if args.list:
        for name, options in runs.items():
            print(f"{name}: python -m helpers.train {' '.join(to_argv(options))}")
        return 0
    runs_dir = args.runs_dir or config.runs_dir()
    machine = {key: getattr(args, key) for key in ("device", "workers", "threads", "no_progress")
               if getattr(args, key) not in (None, False)}
    started = time.perf_counter()
    try:
        table = run_batch(runs, runs_dir, restart=args.restart, machine=machine)
    except (DataNotFoundError, train.SettingsError) as error:
        print(f"error: {error}", file=sys.stderr)
        return 1
    print(f"\n{len(table)} runs in {runs_dir} ({time.perf_counter() - started:.0f} s):")
    print(table.drop(columns="run dir").to_string(index=False))
    return 0 if table["status"].isin(["trained", "resumed", "skipped: finished"]).all() else 1


if __name__ == "__main__":
    sys.exit(main())
