"""Notebook housekeeping: strip outputs, list notebooks that have them, and lint the lessons.

    python -m helpers.notebooks strip notebooks/    # remove outputs in place
    python -m helpers.notebooks check notebooks/    # exit 1 if any notebook has outputs
    python -m helpers.notebooks lint notebooks/     # exit 1 if any code cell breaks a rule below

The lint reads every code cell with Python's ``ast`` and reports three mistakes that make a lesson
untrue (CONTRIBUTING.md, "Honest numbers"):

``test-selection``
    ``max``/``min``/``sorted``/``argmax``/``argmin``/``idxmax``/``idxmin``/``sort_values``/
    ``nlargest``/``nsmallest``/``argsort``/``topk`` or a ``key=`` applied to something named like a
    test metric (``test_acc``, ``test_loss``, ``"test accuracy"``, a ``"test"`` key...). Choosing on the
    test set makes the reported test number optimistic: choose on validation, test once.
``capped-by-hand``
    An evaluation loader cut short by hand: a ``break`` on a batch counter inside a ``for`` loop over
    a loader, ``itertools.islice(loader, n)``, ``zip(range(n), loader)``, ``list(loader)[:n]``.
    Validation and test files are sorted by class, so the first batches hold the first classes
    only. Use ``helpers.data.capped(loader, n)`` (a seeded, representative subset) or
    ``engine.evaluate(..., max_batches=n)``. Loaders named like ``train`` are exempt (shuffled).
``always-true``
    An ``assert`` that cannot fail: ``assert True`` (or any non-empty constant); a value compared
    with itself; a value named like an accuracy, a fraction or a probability compared with its own
    bounds (``0 <= acc <= 1``, ``probs >= 0 and probs <= 1``, percentages up to 100), or any
    ``.between(0, 1)``; a count or a length
    ``>= 0`` (or between 0/1 and an upper bound); a time or a speed ``> 0``; and an assert that only
    runs in full mode: ``assert not FLAG or ...`` or ``if FLAG: assert ...`` where ``FLAG`` is
    ``config.pick(smoke=False, quick=False, ...)`` or ``config.mode() == "full"``.

``unclamped-budget``
    An ``assert`` that checks an equality against a data budget taken straight from
    ``config.pick`` (a name like ``BATCHES``, ``IMAGES``, ``PER_CLASS``, ``N_TRAIN``, ``CLASSES``):
    the mode asks for it, but a smaller data copy (the drawn set, the mini set) may not hold it, and
    the check fails on a student's clone (chapter 10 did). Clamp the budget with
    ``config.budget(asked, available=..., what=...)`` and compare with what was used.

A finding that is deliberate can be kept with a comment on its first line that names the rule and
gives the reason: ``# course-lint: allow test-selection -- the final report lists every model``.
"""

from __future__ import annotations

import ast
import json
import re
import sys
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

RULES = ("test-selection", "capped-by-hand", "always-true", "unclamped-budget")

_TEST_METRIC = re.compile(
    r"test_?(acc|loss|score|err|f1|mse|mae|auc|metric|result|perf|top\d)"
    r"|(acc|accuracy|loss|score|error|mse)_test(_|$)")
_SELECT_BUILTINS = {"max", "min", "sorted"}
_SELECT_METHODS = {"max", "min", "argmax", "argmin", "idxmax", "idxmin", "sort_values", "nlargest",
                   "nsmallest", "argsort", "sort", "topk", "sorted"}
_LOADER = re.compile(r"(?i)(loader|^dl$|_dl$)")
_COUNT_NAME = re.compile(r"(?i)^(n|num|count|length|size)$|^(n|num)_|_(count|len|length|num)$|count_"
                         r"|distinct")
_COUNT_CALLS = {"len", "numel", "nunique", "count_nonzero", "count"}
_TIME_NAME = re.compile(r"(?i)(time|seconds|elapsed|duration|speed|throughput|latency|fps|per_s|_s$|_ms$)")
_FRACTION_NAME = re.compile(r"(?i)(acc|frac|prob|ratio|share|percent|pct|dead|proportion|^p$)")
_BUDGET_NAME = re.compile(r"(?i)(batches|images|samples|per_class|classes|photos|files|^n_(train|val|test)"
                          r"|_(train|val|test)$)")
_ALLOW = re.compile(r"#\s*course-lint:\s*allow\s+([\w-]+)\s+--\s*(\S.{7,})")

MESSAGES = {
    "test-selection": "selects on a test metric ({code}): choose on the validation set, then evaluate the "
                      "chosen setting once on the test set",
    "unclamped-budget": "{code} checks an equality with {name}, a budget straight from config.pick: a "
                        "smaller data copy may not hold it; clamp it with config.budget(asked, "
                        "available=..., what=...) and compare with what was used",
    "capped-by-hand": "caps an evaluation loader by hand ({code}): the first batches of a class-sorted split "
                      "hold the first classes only; use helpers.data.capped(loader, n) or "
                      "engine.evaluate(..., max_batches=n)",
}


@dataclass(frozen=True)
class Finding:
    """One rule broken at one place: ``path`` cell ``cell`` (index among all cells), ``line`` in it."""

    path: str
    cell: int
    line: int
    rule: str
    message: str

    def __str__(self) -> str:
        return f"{self.path} cell {self.cell} line {self.line}: {self.rule}: {self.message}"


def _names(node: ast.AST) -> Iterator[str]:
    """Identifiers, attribute names and string constants inside ``node``."""
    for sub in ast.walk(node):
        if isinstance(sub, ast.Name):
            yield sub.id
        elif isinstance(sub, ast.Attribute):
            yield sub.attr
        elif isinstance(sub, ast.Constant) and isinstance(sub.value, str):
            yield sub.value


def mentions_test_metric(node: ast.AST) -> bool:
    """True when ``node`` refers to something named like a test metric (``test_acc``, ``"test"``...)."""
    for name in _names(node):
        text = name.strip().lower().replace(" ", "_").replace("-", "_")
        if text == "test" or _TEST_METRIC.search(text):
            return True
    return False


def _label(node: ast.AST) -> str:
    """The name a value is known by: ``x``, ``obj.x``, ``df["x"]``, ``len(...)`` -> ``len``."""
    if isinstance(node, ast.Name):
        return node.id
    if isinstance(node, ast.Attribute):
        return node.attr
    if isinstance(node, ast.Subscript) and isinstance(node.slice, ast.Constant):
        return str(node.slice.value)
    if isinstance(node, ast.Call):
        return _label(node.func)
    return ""


def _is_loader(node: ast.AST) -> bool:
    """A loader that is not a training loader: ``val_loader``, ``iter(test_loader)``, ``enumerate(dl)``."""
    if isinstance(node, ast.Call):
        func = _label(node.func)
        if func in {"DataLoader", "make_loader"}:
            return True
        if func in {"iter", "enumerate", "tqdm", "progress"} and node.args:
            return _is_loader(node.args[0])
        return False
    label = _label(node)
    return bool(label) and bool(_LOADER.search(label)) and "train" not in label.lower()


def _is_constant(node: ast.AST, values: tuple[float, ...]) -> bool:
    return (isinstance(node, ast.Constant) and isinstance(node.value, int | float)
            and not isinstance(node.value, bool) and node.value in values)


def _named(node: ast.AST, pattern: re.Pattern[str]) -> bool:
    return isinstance(node, ast.Name | ast.Attribute | ast.Subscript) and bool(pattern.search(_label(node)))


def _is_count(node: ast.AST) -> bool:
    if isinstance(node, ast.Call) and _label(node.func) in _COUNT_CALLS:
        return True
    return _named(node, _COUNT_NAME)


def _is_time(node: ast.AST) -> bool:
    return _named(node, _TIME_NAME)


def _is_fraction(node: ast.AST) -> bool:
    """Named like an accuracy, a fraction or a probability (``x.min()``/``x.max()`` count as ``x``)."""
    while (isinstance(node, ast.Call) and isinstance(node.func, ast.Attribute) and not node.args
           and node.func.attr in {"min", "max", "item", "all"}):
        node = node.func.value
    return _named(node, _FRACTION_NAME)


def _base(node: ast.AST) -> str:
    """``x.min()`` and ``x.max()`` stand for ``x`` when bounds are compared."""
    if (isinstance(node, ast.Call) and isinstance(node.func, ast.Attribute) and not node.args
            and node.func.attr in {"min", "max", "item", "all"}):
        return _base(node.func.value)
    return ast.dump(node)


def _flip(op: ast.cmpop) -> ast.cmpop:
    return {ast.Lt: ast.Gt(), ast.LtE: ast.GtE(), ast.Gt: ast.Lt(), ast.GtE: ast.LtE()}.get(type(op), op)


def _always_true(test: ast.expr) -> str | None:
    """Why the expression of an ``assert`` cannot be false, or None."""
    if isinstance(test, ast.Constant) and test.value:
        return "asserts a constant"
    lower: set[str] = set()   # values compared >= 0 (or > 0) in this assert
    upper: set[str] = set()   # values compared <= 1 or 100
    for node in ast.walk(test):
        if isinstance(node, ast.Call) and _label(node.func) == "between" and len(node.args) == 2:
            if _is_constant(node.args[0], (0,)) and _is_constant(node.args[1], (1, 100)):
                return "checks a fraction with `.between(0, 1)`: it is in [0, 1] by construction"
        if not isinstance(node, ast.Compare):
            continue
        operands = [node.left, *node.comparators]
        for left, op, right in zip(operands, node.ops, operands[1:], strict=False):
            if ast.dump(left) == ast.dump(right) and isinstance(op, ast.Eq | ast.LtE | ast.GtE | ast.Is):
                return "compares a value with itself"
        if len(operands) == 3 and all(isinstance(op, ast.Lt | ast.LtE) for op in node.ops):
            low, middle, high = operands
            if _is_constant(low, (0,)) and _is_constant(high, (1, 100)) and _is_fraction(middle):
                return "compares a fraction with its own bounds (0 and 1, or 100)"
            if _is_constant(low, (0, 1)) and _is_count(middle):
                return "compares a count with its own bounds"
        if len(operands) != 2:
            continue
        value, op, bound = node.left, node.ops[0], node.comparators[0]
        if isinstance(value, ast.Constant):
            value, op, bound = bound, _flip(op), value
        if _is_constant(bound, (0,)) and isinstance(op, ast.GtE) and _is_count(value):
            return "checks that a count or a length is >= 0"
        if _is_constant(bound, (0,)) and isinstance(op, ast.Gt | ast.GtE) and _is_time(value):
            return "checks that a time or a speed is > 0"
        if _is_constant(bound, (0,)) and isinstance(op, ast.Gt | ast.GtE) and _is_fraction(value):
            lower.add(_base(value))
        if _is_constant(bound, (1, 100)) and isinstance(op, ast.Lt | ast.LtE) and _is_fraction(value):
            upper.add(_base(value))
    if lower & upper:
        return "compares a value with 0 and 1 (or 100), the bounds a fraction always has"
    return None


def _full_only_flags(trees: list[ast.Module]) -> set[str]:
    """Names bound to ``config.pick(smoke=False, quick=False, ...)`` or ``config.mode() == "full"``."""
    flags = set()
    for tree in trees:
        for node in ast.walk(tree):
            if not (isinstance(node, ast.Assign) and len(node.targets) == 1
                    and isinstance(node.targets[0], ast.Name)):
                continue
            value = node.value
            if isinstance(value, ast.Call) and _label(value.func) == "pick":
                falsy = {k.arg for k in value.keywords
                         if isinstance(k.value, ast.Constant) and not k.value.value}
                if {"smoke", "quick"} <= falsy:
                    flags.add(node.targets[0].id)
            elif (isinstance(value, ast.Compare) and isinstance(value.left, ast.Call)
                  and _label(value.left.func) == "mode" and isinstance(value.ops[0], ast.Eq)
                  and isinstance(value.comparators[0], ast.Constant)
                  and value.comparators[0].value == "full"):
                flags.add(node.targets[0].id)
    return flags


def _data_budgets(trees: list[ast.Module]) -> set[str]:
    """Names bound to ``config.pick(...)``, named like a data budget (``BATCHES``, ``N_TRAIN``) and never
    clamped by ``config.budget(...)`` in the notebook."""
    bound: dict[str, set[str]] = {"pick": set(), "budget": set()}
    for tree in trees:
        for node in ast.walk(tree):
            if (isinstance(node, ast.Assign) and len(node.targets) == 1
                    and isinstance(node.targets[0], ast.Name) and isinstance(node.value, ast.Call)
                    and _label(node.value.func) in bound):
                bound[_label(node.value.func)].add(node.targets[0].id)
    return {name for name in bound["pick"] - bound["budget"] if _BUDGET_NAME.search(name)}


def _budget_equality(test: ast.expr, budgets: set[str]) -> str | None:
    """The budget name when ``test`` holds an ``==``/``!=`` comparison that mentions it."""
    for node in ast.walk(test):
        if isinstance(node, ast.Compare) and any(isinstance(op, ast.Eq | ast.NotEq) for op in node.ops):
            for name in ast.walk(node):
                if isinstance(name, ast.Name) and name.id in budgets:
                    return name.id
    return None


def _guarded_by(test: ast.expr, flags: set[str]) -> str | None:
    """The flag when ``test`` is ``FLAG`` (or ``FLAG and ...``) with FLAG false outside full mode."""
    parts = test.values if isinstance(test, ast.BoolOp) and isinstance(test.op, ast.And) else [test]
    for part in parts:
        if isinstance(part, ast.Name) and part.id in flags:
            return part.id
    return None


def _counter_break(loop: ast.For) -> bool:
    """True when the loop body breaks on a comparison with its enumerate index or a counter it increments."""
    counters: set[str] = set()
    if (isinstance(loop.iter, ast.Call) and _label(loop.iter.func) == "enumerate"
            and isinstance(loop.target, ast.Tuple) and isinstance(loop.target.elts[0], ast.Name)):
        counters.add(loop.target.elts[0].id)

    def own_nodes(body: list[ast.stmt]) -> Iterator[ast.AST]:
        """Nodes of the body, not descending into inner loops or functions (their break is theirs)."""
        stack: list[ast.AST] = list(body)
        while stack:
            node = stack.pop()
            yield node
            if not isinstance(node, ast.For | ast.While | ast.FunctionDef | ast.Lambda | ast.AsyncFor):
                stack.extend(ast.iter_child_nodes(node))

    for node in own_nodes(loop.body):
        if isinstance(node, ast.AugAssign) and isinstance(node.target, ast.Name):
            counters.add(node.target.id)
    for node in own_nodes(loop.body):
        if isinstance(node, ast.If) and any(isinstance(s, ast.Break) for s in node.body):
            compared = {n.id for c in ast.walk(node.test) if isinstance(c, ast.Compare)
                        for n in ast.walk(c) if isinstance(n, ast.Name)}
            if compared & counters:
                return True
    return False


def _snippet(source: str, node: ast.AST) -> str:
    text = " ".join((ast.get_source_segment(source, node) or ast.unparse(node)).split())
    return f"`{text if len(text) <= 70 else text[:67] + '...'}`"


def lint_source(source: str, *, full_only_flags: set[str] | None = None,
                budgets: set[str] | None = None) -> list[tuple[int, str, str]]:
    """Findings in one cell's code as ``(line, rule, message)``; magics (``%``, ``!``) are skipped."""
    if source.lstrip().startswith("%%"):
        return []
    lines = [("pass" if line.lstrip().startswith(("%", "!")) else line) for line in source.split("\n")]
    source = "\n".join(lines)
    tree = ast.parse(source)
    flags = full_only_flags if full_only_flags is not None else _full_only_flags([tree])
    budgets = budgets if budgets is not None else _data_budgets([tree])
    found: list[tuple[int, str, str]] = []

    def report(node: ast.AST, rule: str, message: str) -> None:
        found.append((node.lineno, rule, message))

    for node in ast.walk(tree):
        if isinstance(node, ast.Call):
            func, parts = node.func, [*node.args, *(k.value for k in node.keywords)]
            selecting = ((isinstance(func, ast.Name) and func.id in _SELECT_BUILTINS and any(map(
                mentions_test_metric, parts)))
                or (isinstance(func, ast.Attribute) and func.attr in _SELECT_METHODS
                    and (mentions_test_metric(func.value) or any(map(mentions_test_metric, parts))))
                or any(k.arg == "key" and mentions_test_metric(k.value) for k in node.keywords))
            if selecting:
                report(node, "test-selection", MESSAGES["test-selection"].format(code=_snippet(source, node)))
            if _label(func) == "islice" and node.args and _is_loader(node.args[0]):
                report(node, "capped-by-hand", MESSAGES["capped-by-hand"].format(code=_snippet(source, node)))
            if (_label(func) == "zip" and any(_is_loader(a) for a in node.args)
                    and any(isinstance(a, ast.Call) and _label(a.func) == "range" for a in node.args)):
                report(node, "capped-by-hand", MESSAGES["capped-by-hand"].format(code=_snippet(source, node)))
        elif (isinstance(node, ast.Subscript) and isinstance(node.slice, ast.Slice)
              and isinstance(node.value, ast.Call) and _label(node.value.func) == "list"
              and node.value.args and _is_loader(node.value.args[0])):
            report(node, "capped-by-hand", MESSAGES["capped-by-hand"].format(code=_snippet(source, node)))
        elif isinstance(node, ast.For) and _is_loader(node.iter) and _counter_break(node):
            report(node, "capped-by-hand", MESSAGES["capped-by-hand"].format(
                code=_snippet(source, node.iter) + " with a `break` on a batch counter"))
        elif isinstance(node, ast.Assert):
            why = _always_true(node.test)
            if why is None and isinstance(node.test, ast.BoolOp) and isinstance(node.test.op, ast.Or):
                first = node.test.values[0]
                if (isinstance(first, ast.UnaryOp) and isinstance(first.op, ast.Not)
                        and isinstance(first.operand, ast.Name) and first.operand.id in flags):
                    why = (f"`assert not {first.operand.id} or ...` is `assert True` outside full mode, "
                           "where the course is tested")
            budget = _budget_equality(node.test, budgets)
            if budget:
                report(node, "unclamped-budget", MESSAGES["unclamped-budget"].format(
                    code=_snippet(source, node.test), name=f"`{budget}`"))
            if why:
                report(node, "always-true", f"{_snippet(source, node.test)} {why}: assert something that "
                       "would fail if the lesson were false (a measured gap, a value against a baseline)")
        elif isinstance(node, ast.If):
            flag = _guarded_by(node.test, flags)
            if flag and any(isinstance(n, ast.Assert) for s in node.body for n in ast.walk(s)):
                report(node, "always-true", f"the asserts under `if {flag}:` never run outside full "
                       "mode, where the course is tested: find a budget where the claim holds in every mode, "
                       "or key the threshold to the mode with config.pick")
    allowed = {i + 1: m.group(1) for i, line in enumerate(lines) if (m := _ALLOW.search(line))}
    return sorted({f for f in found if allowed.get(f[0]) != f[1]})


def _code_cells(path: Path) -> list[tuple[int, str]]:
    cells = json.loads(Path(path).read_text(encoding="utf-8")).get("cells", [])
    return [(i, "".join(c.get("source", ""))) for i, c in enumerate(cells) if c.get("cell_type") == "code"]


def lint_notebook(path: Path) -> list[Finding]:
    """Every finding of the rules in one notebook (flags are collected over all its cells)."""
    cells, trees, findings = _code_cells(path), [], []
    for _, source in cells:
        try:
            trees.append(ast.parse("\n".join("pass" if ln.lstrip().startswith(("%", "!")) else ln
                                             for ln in source.split("\n"))))
        except SyntaxError:
            continue
    flags, budgets = _full_only_flags(trees), _data_budgets(trees)
    for index, source in cells:
        try:
            results = lint_source(source, full_only_flags=flags, budgets=budgets)
        except SyntaxError as error:
            results = [(error.lineno or 0, "syntax", f"the cell does not parse: {error.msg}")]
        findings += [Finding(str(path), index, line, rule, message) for line, rule, message in results]
    return findings


def lint(folder: Path) -> list[Finding]:
    """Findings over every notebook of a folder, in learning order."""
    return [finding for path in notebook_paths(Path(folder)) for finding in lint_notebook(path)]


def notebook_paths(folder: Path) -> list[Path]:
    """The course notebooks in a folder, in learning order."""
    return sorted(p for p in Path(folder).glob("*.ipynb") if not p.name.startswith("."))


def has_outputs(path: Path) -> bool:
    """True when any code cell of the notebook stores outputs or an execution count, or widgets a state."""
    nb = json.loads(Path(path).read_text(encoding="utf-8"))
    code = [c for c in nb.get("cells", []) if c.get("cell_type") == "code"]
    saved = any(c.get("outputs") or c.get("execution_count") for c in code)
    return saved or "widgets" in nb.get("metadata", {})


def strip(path: Path) -> bool:
    """Remove outputs, execution counts and saved widget state in place; return True if the file changed."""
    text = Path(path).read_text(encoding="utf-8")
    nb = json.loads(text)
    for cell in nb.get("cells", []):
        if cell.get("cell_type") == "code":
            cell["outputs"], cell["execution_count"] = [], None
        cell.get("metadata", {}).pop("execution", None)
    nb.get("metadata", {}).pop("widgets", None)  # progress-bar widget state JupyterLab may save
    new = json.dumps(nb, indent=1, ensure_ascii=False) + "\n"
    if new != text:
        Path(path).write_text(new, encoding="utf-8")
        return True
    return False


def main(argv: list[str] | None = None) -> int:
    """Command line: ``strip``, ``check`` or ``lint`` a folder of notebooks."""
    args = argv if argv is not None else sys.argv[1:]
    if len(args) != 2 or args[0] not in {"strip", "check", "lint"}:
        print(__doc__)
        return 2
    folder = Path(args[1])
    if not folder.is_dir():
        print(f"{folder} is not a folder of notebooks "
              f"(try: python -m helpers.notebooks {args[0]} notebooks/)")
        return 2
    paths = notebook_paths(folder)
    if args[0] == "strip":
        changed = [p.name for p in paths if strip(p)]
        print(f"stripped {len(changed)} of {len(paths)} notebooks")
        return 0
    if args[0] == "lint":
        findings = lint(folder)
        for finding in findings:
            print(finding)
        print(f"{len(findings)} finding(s) in {len({f.path for f in findings})} of {len(paths)} notebooks"
              + ("" if findings else ": clean"))
        return 1 if findings else 0
    dirty = [p.name for p in paths if has_outputs(p)]
    if dirty:
        print("notebooks with outputs, e.g. saved by JupyterLab after a run (strip them before committing: "
              f"`make strip` or `python -m helpers.notebooks strip {folder}`):", ", ".join(dirty))
    return 1 if dirty else 0


if __name__ == "__main__":
    sys.exit(main())
