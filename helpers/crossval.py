"""Cross-validation of training recipes: ``python -m helpers.crossval``.

Examples::

    python -m helpers.crossval --recipe small-data --folds 5              # the shipped recipe
    python -m helpers.crossval --candidates ls-64 r112-e30 --folds 3 --publish   # compare, publish
    python -m helpers.crossval --smoke                                     # seconds, generated tiny set

Each candidate (a recipe or screening candidate of :mod:`helpers.recipes`) is trained once per
fold by the training command itself (``helpers.train`` with ``--split-file``), so what is
measured is exactly what ``python -m helpers.train --recipe ...`` does. The folds are
stratified and grouped by leaf (:func:`helpers.data.splits.kfold_splits`): no leaf has photos
on both sides, so a fold's score is not inflated by near-duplicates. Every candidate sees the
same folds and the same seed. The held-out fold is the run's test set, evaluated once at the
end; nothing is chosen on it inside a run (the epochs are fixed), and candidates are compared
by their mean over folds.

Output, under ``runs/crossval/`` (``--out``):

* ``<name>/fold<i>/``: the fold's training run (checkpoint after every epoch, ``results.json``)
  and ``fold.json``: accuracy on the held-out fold as the recipe evaluates it, plus the same
  model with and without weight averaging and test-time flips (these cost no training);
* ``<name>.csv`` (one row per fold) and ``<name>.json`` (mean and sample standard deviation).

It is resumable: a finished fold is never trained again, an interrupted one continues from its
last checkpoint. ``--jobs 2 --threads 1`` (the default) runs two folds at a time, one thread
each: on a 2-core machine that uses both cores best.
"""

from __future__ import annotations

import argparse
import json
import logging
import platform
import statistics
import sys
import time
from collections.abc import Sequence
from concurrent.futures import FIRST_COMPLETED, ProcessPoolExecutor, wait
from multiprocessing import get_context
from pathlib import Path
from typing import Any

import pandas as pd
import torch

from helpers import config, doc_tables, engine, recipes, train
from helpers.checkpoint import load_checkpoint
from helpers.data.cache import folder_cache
from helpers.data.locate import find_plantvillage
from helpers.data.splits import kfold_path, kfold_splits, save_split
from helpers.data.tiny import make_tiny_plantvillage
from helpers.models import build_model
from helpers.runs import CHECKPOINT_NAME, write_json

log = logging.getLogger("helpers.crossval")

TTA_FLIPS = ("hflip", "vflip", "hvflip")
"""The test-time views every fold is also scored with (whatever the recipe's own ``tta``)."""
SMOKE = {"epochs": 1, "max_batches": 2, "image_size": 32, "batch_size": 8}
"""``--smoke``: option overrides that make every fold take seconds (on the generated tiny set)."""
FOLD_FILE = "fold.json"


def out_dir(out: str | Path | None = None) -> Path:
    """Where cross-validation results go: ``--out``, else ``runs/crossval``."""
    return Path(out) if out is not None else config.runs_dir() / "crossval"


def write_folds(folder: Path, k: int, seed: int, folds_dir: Path) -> list[Path]:
    """The ``k`` leaf-grouped stratified folds of ``folder`` as split files: fold ``i`` holds out its
    part as ``test`` (evaluated once at the end of a run), trains on the rest, and has no ``val``."""
    files = []
    for fold in kfold_splits(folder, k=k, seed=seed, grouping="leaf"):
        split = {**fold, "train": fold["train"], "val": [], "test": fold["val"]}
        path = folds_dir / kfold_path(folder, k, fold["fold"], seed, "leaf").name
        if path.exists():  # a fold file is only rewritten when its content changed (same folds: same bytes)
            old = json.loads(path.read_text(encoding="utf-8"))
            if all(old.get(key) == split[key] for key in ("train", "val", "test", "classes", "fingerprint")):
                files.append(path)
                continue
        files.append(save_split(split, path))
    return files


def fold_settings(name: str, folder: Path, split_file: Path, run_dir: Path, seed: int, threads: int,
                  overrides: dict[str, Any]) -> train.TrainSettings:
    """The training settings of one fold of candidate ``name``: its recipe, then ``overrides``.

    Every fold trains on train+val of its split, so the held-out fold stays out.
    """
    return train.make_settings(recipe=name, data=folder, split_file=split_file, run_dir=run_dir, seed=seed,
                               threads=threads, resume=True, no_progress=True, workers=0,
                               **{"train_on": "train+val", **overrides})


def _accuracy(model: torch.nn.Module, loader: Any, tta: Sequence[str], max_batches: int | None) -> float:
    y_true, y_pred, _ = engine.predict(model, loader, torch.device("cpu"), tta=tta, max_batches=max_batches)
    return float((y_true == y_pred).float().mean()) if len(y_true) else float("nan")


def score_variants(args: train.TrainSettings, run_dir: Path) -> dict[str, float]:
    """Held-out accuracy of the fold's model: averaged weights or not (when the run kept an average),
    each without and with test-time flips (:data:`TTA_FLIPS`)."""
    state = load_checkpoint(run_dir / CHECKPOINT_NAME)
    settings = state["settings"]
    folder = Path(settings["data"])
    split = json.loads(Path(settings["split_file"]).read_text(encoding="utf-8"))
    split["path"] = settings["split_file"]
    _, _, test_set, classes = train.make_datasets(args, folder, settings.get("data_source", "custom"), split)
    loader = train.make_loader_for(args, test_set, torch.device("cpu"), distributed=False)
    weights = {"final": state["model"]}
    if state["extra"].get(engine.TRAINING_WEIGHTS) is not None:
        weights = {"ema": state["model"], "raw": state["extra"][engine.TRAINING_WEIGHTS]}
    scores = {}
    for label, state_dict in weights.items():
        model = build_model(settings["model"], num_classes=len(classes))
        model.load_state_dict(state_dict)
        scores[f"acc_{label}"] = _accuracy(model, loader, (), args.max_batches)
        scores[f"acc_{label}_tta"] = _accuracy(model, loader, TTA_FLIPS, args.max_batches)
    return scores


def run_fold(name: str, fold: int, folder: str, split_file: str, run_dir: str, seed: int, threads: int,
             overrides: dict[str, Any]) -> dict[str, Any]:
    """Train and score one fold (in this process); writes and returns its ``fold.json`` record."""
    torch.set_num_threads(threads)
    run_path = Path(run_dir)
    args = fold_settings(name, Path(folder), Path(split_file), run_path, seed, threads, overrides)
    results = train.train(args)
    if results is None or not results.get("complete"):
        raise RuntimeError(f"{name} fold {fold} did not finish; run the command again to resume it")
    record = {
        "candidate": name, "fold": fold, "acc": results["test_acc"], **score_variants(args, run_path),
        "test_images": results["test_images"], "train_images": results["images"]["train"],
        "epochs": results["epochs"], "image_size": results["image_size"], "model": results["model"],
        "wall_time_s": results["wall_time_s"], "cpu_time_s": results["cpu_time_s"],
        "time_per_epoch_s": results["time_per_epoch_s"], "threads": threads,
        "load_average": results.get("load_average"), "seed": seed, "split_file": split_file,
        "settings": {key: getattr(args, key) for key in recipes.recipe_settings(name)} | overrides,
        "torch": torch.__version__, "finished_at": time.strftime("%Y-%m-%dT%H:%M:%S"),
    }
    write_json(run_path / FOLD_FILE, record)
    return record


def read_folds(root: Path, name: str) -> list[dict[str, Any]]:
    """The finished folds of candidate ``name`` under ``root`` (their ``fold.json``), by fold number."""
    records = []
    for path in sorted((root / name).glob(f"fold*/{FOLD_FILE}")):
        try:
            records.append(json.loads(path.read_text(encoding="utf-8")))
        except (OSError, json.JSONDecodeError):
            continue
    return sorted(records, key=lambda r: r["fold"])


def summarize(root: Path, name: str, k: int, command: str = "") -> dict[str, Any] | None:
    """Write ``<name>.csv`` (one row per finished fold) and ``<name>.json`` (mean, sd); return the latter."""
    records = read_folds(root, name)
    if not records:
        return None
    table = pd.DataFrame([{key: value for key, value in r.items() if key not in ("settings", "load_average")}
                          for r in records])
    table.to_csv(root / f"{name}.csv", index=False)
    summary: dict[str, Any] = {"candidate": name, "k": k, "folds_done": [r["fold"] for r in records],
                               "settings": records[0]["settings"]}
    for column in [c for c in table.columns if c.startswith("acc")]:
        values = table[column].dropna().tolist()
        summary[f"{column}_mean"] = statistics.fmean(values) if values else None
        summary[f"{column}_sd"] = statistics.stdev(values) if len(values) > 1 else None
    for column in ("epochs", "image_size", "train_images", "test_images", "threads", "model", "torch"):
        summary[column] = records[0].get(column)
    summary["cpu_time_s_mean"] = statistics.fmean(r["cpu_time_s"] for r in records)
    summary["wall_time_s_mean"] = statistics.fmean(r["wall_time_s"] for r in records)
    summary.update(machine=_machine(), command=command, written_at=time.strftime("%Y-%m-%dT%H:%M:%S"))
    write_json(root / f"{name}.json", summary)
    return summary


def _machine() -> str:
    cpus = config.cpu_count()
    return f"{platform.processor() or platform.machine()}, {cpus} CPUs, {platform.system()}"


def crossval_table(root: str | Path | None = None, names: Sequence[str] | None = None) -> pd.DataFrame:
    """One row per candidate summarised under ``root`` (default ``runs/crossval``): accuracies in %.

    Columns: ``candidate, folds, acc, sd`` (the recipe's own evaluation), ``ema, ema_tta, raw,
    raw_tta`` (means of the variants, when present), ``epochs, image_size, model``, mean CPU
    minutes per fold. Empty when nothing has been run.
    """
    root = out_dir(root)
    rows = []
    for path in sorted(root.glob("*.json")):
        try:
            s = json.loads(path.read_text(encoding="utf-8"))
        except (OSError, json.JSONDecodeError):
            continue
        if "candidate" not in s or (names is not None and s["candidate"] not in names):
            continue
        pct = {key: (100 * s[key] if s.get(key) is not None else None) for key in s if key.startswith("acc")}
        rows.append({"candidate": s["candidate"], "folds": len(s["folds_done"]), "k": s["k"],
                     "acc": pct.get("acc_mean"), "sd": pct.get("acc_sd"),
                     "ema": pct.get("acc_ema_mean"), "ema_tta": pct.get("acc_ema_tta_mean"),
                     "raw": pct.get("acc_raw_mean", pct.get("acc_final_mean")),
                     "raw_tta": pct.get("acc_raw_tta_mean", pct.get("acc_final_tta_mean")),
                     "epochs": s.get("epochs"), "image_size": s.get("image_size"), "model": s.get("model"),
                     "cpu_min_per_fold": s["cpu_time_s_mean"] / 60})
    return pd.DataFrame(rows)


PUBLISHED = config.project_root() / "docs" / "small-data-crossval.json"
"""The cross-validation that chose the ``small-data`` recipe, as published (``--publish``)."""
README = config.project_root() / "README.md"
TABLE = "small-data-crossval"
"""The name of the table's markers in the README (:mod:`helpers.doc_tables`)."""


def publish(root: Path, names: Sequence[str], command: str, path: Path = PUBLISHED) -> dict[str, Any]:
    """Save the table of ``names`` (every fold of each must be done) for the README and chapters 15-16.

    The rows of ``names`` are added, or replace the published ones of the same name; the other candidates
    already published stay, with the command and date that measured them (the folds are the same: same
    data, ``k`` and seed; a published row with another ``k`` is an error, publish them together instead).
    """
    date = time.strftime("%Y-%m-%d")
    rows = []
    for name in names:
        summary = json.loads((root / f"{name}.json").read_text(encoding="utf-8"))
        if len(summary["folds_done"]) < summary["k"]:
            raise ValueError(f"{name}: {len(summary['folds_done'])} of {summary['k']} folds done; run the "
                             "cross-validation to the end before publishing it")
        kept = ("acc_mean", "acc_sd", "acc_raw_mean", "acc_raw_tta_mean", "acc_ema_mean", "acc_ema_tta_mean",
                "epochs", "image_size", "model", "train_images", "test_images", "cpu_time_s_mean",
                "wall_time_s_mean")
        per_fold = {r["fold"]: r["acc"] for r in read_folds(root, name)}
        rows.append({"candidate": name, "folds": summary["k"], **{key: summary.get(key) for key in kept},
                     "acc_by_fold": [per_fold.get(i) for i in range(summary["k"])] if per_fold else None,
                     "settings": summary["settings"], "machine": summary.get("machine"),
                     "command": command, "date": date})
    earlier = load_published(path)
    for row in earlier.get("rows", []):
        if row["candidate"] in names:
            continue
        if rows and row["folds"] != rows[0]["folds"]:
            raise ValueError(f"{row['candidate']} was published with {row['folds']} folds, not "
                             f"{rows[0]['folds']}: cross-validate it again with the others and publish them "
                             "together")
        rows.append({"command": earlier.get("command"), "date": earlier.get("date"), **row})
    saved = {"rows": rows, "command": command, "date": date,
             "note": "accuracy on each held-out fold of a leaf-grouped k-fold split of the mini set; "
                     "mean and sample standard deviation over folds"}
    path.write_text(json.dumps(saved, indent=1) + "\n", encoding="utf-8")
    return saved


def load_published(path: Path = PUBLISHED) -> dict[str, Any]:
    """The published cross-validation (empty when none was published)."""
    return json.loads(path.read_text(encoding="utf-8")) if path.is_file() else {}


def published_table(saved: dict[str, Any] | None = None) -> pd.DataFrame:
    """One row per candidate, best mean first: accuracies in %, CPU minutes per fold.

    ``mean %`` and ``sd`` are the recipe as shipped (weight averaging and flipped views); ``plain %`` is
    the same models without either, ``averaging`` and ``flips`` the points each adds (means over folds).
    """
    saved = load_published() if saved is None else saved
    rows = []
    for r in saved.get("rows", []):
        raw, ema, ema_tta = (100 * (r.get(key) or float("nan"))
                             for key in ("acc_raw_mean", "acc_ema_mean", "acc_ema_tta_mean"))
        rows.append({"candidate": r["candidate"], "image px": r["image_size"], "epochs": r["epochs"],
                     "mean %": 100 * r["acc_mean"], "sd": 100 * (r["acc_sd"] or 0.0), "folds": r["folds"],
                     "plain %": raw, "averaging": ema - raw, "flips": ema_tta - ema,
                     "CPU min/fold": r["cpu_time_s_mean"] / 60})
    table = pd.DataFrame(rows)
    return table.sort_values("mean %", ascending=False, ignore_index=True) if len(table) else table


def by_fold(saved: dict[str, Any] | None = None) -> pd.DataFrame:
    """Accuracy (%) of each published candidate on each held-out fold: one column per candidate, one row
    per fold (the same folds for all: compare candidates fold by fold). Candidates published before the
    per-fold scores were kept are left out."""
    saved = load_published() if saved is None else saved
    columns = {r["candidate"]: [100 * a if a is not None else float("nan") for a in r["acc_by_fold"]]
               for r in saved.get("rows", []) if r.get("acc_by_fold")}
    return pd.DataFrame(columns).rename_axis("fold")


def markdown_table(saved: dict[str, Any] | None = None) -> str:
    """The README's table of the published cross-validation."""
    saved = load_published() if saved is None else saved
    table = published_table(saved)
    if not len(table):
        return "(not published yet: `python -m helpers.crossval ... --publish`)"
    lines = ["| candidate | image px | epochs | accuracy, mean ± sd over folds (%) | without averaging "
             "and flips (%) | averaging adds | flips add | CPU min per fold |",
             "|---|---:|---:|---|---:|---:|---:|---:|"]
    for row in table.to_dict("records"):
        lines.append(f"| `{row['candidate']}` | {row['image px']} | {row['epochs']} | {row['mean %']:.1f} ± "
                     f"{row['sd']:.1f} ({row['folds']} folds) | {row['plain %']:.1f} | "
                     f"{row['averaging']:+.1f} | {row['flips']:+.1f} | {row['CPU min/fold']:.0f} |")
    lines.append("")
    measured = dict.fromkeys((r.get("command", saved["command"]), r.get("date", saved["date"]))
                             for r in saved["rows"])
    by = " and ".join(f"`{command}` on {date}" for command, date in measured)
    lines.append(f"Measured by {by} ({saved['rows'][0].get('machine')}; "
                 "one thread per fold, the machine shared with other work; a fold resumed after an "
                 "interruption counts the CPU time of its last part only). " + saved["note"] + ".")
    return "\n".join(lines)


def build_parser() -> argparse.ArgumentParser:
    """The command-line options (``python -m helpers.crossval --help``)."""
    parser = argparse.ArgumentParser(prog="python -m helpers.crossval", description=__doc__,
                                     formatter_class=argparse.RawDescriptionHelpFormatter)
    names = tuple(recipes.RECIPES) + tuple(recipes.CANDIDATES)
    parser.add_argument("--recipe", nargs="+", default=[], choices=names, metavar="NAME",
                        help=f"recipe(s) to cross-validate: {', '.join(recipes.RECIPES)}")
    parser.add_argument("--candidates", nargs="+", default=[], choices=names, metavar="NAME",
                        help="screening candidates (helpers.recipes.CANDIDATES): "
                             + ", ".join(recipes.CANDIDATES))
    parser.add_argument("--folds", type=int, default=5, help="k of the k-fold split (default 5)")
    parser.add_argument("--only-folds", type=int, nargs="+", default=None, metavar="I",
                        help="run only these folds (0-based), e.g. 0 1 2 to screen on three of five")
    parser.add_argument("--data", type=Path, default=None, help="image folder (default: the mini set)")
    parser.add_argument("--seed", type=int, default=42, help="seeds the folds and every run")
    parser.add_argument("--jobs", type=int, default=2, help="folds trained at the same time (processes)")
    parser.add_argument("--threads", type=int, default=1, help="torch threads per process")
    parser.add_argument("--epochs", type=int, default=None, help="override the candidates' epochs")
    parser.add_argument("--out", type=Path, default=None, help="results folder (default runs/crossval)")
    parser.add_argument("--publish", action="store_true",
                        help=f"save the table of the candidates run (every fold done) in {PUBLISHED.name} "
                             "and the README (what chapters 15 and 16 show)")
    parser.add_argument("--smoke", action="store_true",
                        help="seconds: the generated tiny set, 2 folds, 1 epoch of 2 batches at 32 px")
    return parser


def main(argv: list[str] | None = None) -> int:
    """``python -m helpers.crossval ...``: 0 when every requested fold finished, 1 otherwise."""
    args = build_parser().parse_args(argv)
    logging.basicConfig(level=logging.INFO, format="%(message)s", force=True)
    names = list(dict.fromkeys(args.recipe + args.candidates))
    if not names:
        names = ["small-data"]
    overrides: dict[str, Any] = {}
    k = args.folds
    if args.smoke:
        overrides.update(SMOKE)
        k = 2 if args.folds == 5 else args.folds
    if args.epochs is not None:
        overrides["epochs"] = args.epochs
    if args.data is not None:
        folder = find_plantvillage(args.data)
    elif args.smoke:
        smoke_data = config.work_dir() / "crossval-smoke"
        folder = smoke_data / "color"
        if not folder.is_dir():
            folder = make_tiny_plantvillage(smoke_data, n_per_class=4)
    else:
        folder, _ = train.recipe_data()
    root = out_dir(args.out)
    root.mkdir(parents=True, exist_ok=True)
    fold_files = write_folds(folder, k, args.seed, root / "folds")
    folds = args.only_folds if args.only_folds is not None else list(range(k))
    bad = [f for f in folds if not 0 <= f < k]
    if bad:
        print(f"error: --only-folds {bad} outside 0..{k - 1}", file=sys.stderr)
        return 1
    sizes = {overrides.get("image_size", recipes.recipe_settings(n).get("image_size")) for n in names}
    for size in sorted(s for s in sizes if s):  # built once here, before parallel runs read it
        folder_cache(folder, size, progress=False)
    tasks = []
    for name in names:
        done = {r["fold"] for r in read_folds(root, name)}
        for fold in folds:
            if fold not in done:
                tasks.append((name, fold, str(folder), str(fold_files[fold]),
                              str(root / name / f"fold{fold}"), args.seed, args.threads, overrides))
    command = "python -m helpers.crossval " + " ".join(argv if argv is not None else sys.argv[1:])
    log.info("Cross-validating %s on %s: %d folds, %d to run (%d at a time, %d thread(s) each)",
             ", ".join(names), folder, len(folds), len(tasks), args.jobs, args.threads)
    failed = 0
    if args.jobs <= 1 or len(tasks) <= 1:
        for task in tasks:
            record = run_fold(*task)
            log.info("%s fold %d: %.1f%%", record["candidate"], record["fold"], 100 * record["acc"])
            summarize(root, task[0], k, command)
    else:
        with ProcessPoolExecutor(max_workers=args.jobs, mp_context=get_context("spawn")) as pool:
            pending = {pool.submit(run_fold, *task): task for task in tasks}
            while pending:
                finished, _ = wait(pending, return_when=FIRST_COMPLETED)
                for future in finished:
                    task = pending.pop(future)
                    try:
                        record = future.result()
                        log.info("%s fold %d: %.1f%%", task[0], task[1], 100 * record["acc"])
                    except Exception as error:  # one fold failing must not lose the others' results
                        failed += 1
                        log.error("%s fold %d failed: %s", task[0], task[1], error)
                    summarize(root, task[0], k, command)
    for name in names:
        summarize(root, name, k, command)
    table = crossval_table(root, names)
    if len(table):
        print(table.round(1).to_string(index=False))
    if args.publish and not failed:
        try:
            saved = publish(root, names, command)
        except ValueError as error:
            print(f"error: {error}", file=sys.stderr)
            return 1
        doc_tables.write_table(README, TABLE, markdown_table(saved))
        print(f"published: {config.shown_path(PUBLISHED)} and the README's table")
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
