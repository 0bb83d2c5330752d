"""The structure rules of bot/ (issue 10, "What it must show"), measured.

    python tests/structure.py [ROOT]        ROOT defaults to this repository's bot/

Prints one line per violation, `path:line: rule: detail`, then a summary line; exits 1
when any rule is broken, 0 when bot/ is clean (2 when ROOT is not a folder). Standard
library only, so it runs before anything is installed.

The rules, and exactly what each one looks at (paths below are relative to ROOT):

params           no function or method takes more than 6 parameters besides a first
                 `self` or `cls`; positional, keyword-only, *args and **kwargs each count
                 as one.
module-length    no module longer than 500 lines.
class-length     no class longer than 300 lines (the `class` line to its last line).
function-length  no function or method longer than 80 lines (the `def` line, decorators
                 excluded, to the last line of its body).
mlflow-import    only registry.py and registry_lock.py import mlflow: any `import mlflow…`
                 or `from mlflow… import`, at the top or inside a function.
door-registry    no door (doors/…, cli.py, demo.py) calls the registry: it neither imports
                 bot.registry or bot.registry_lock, nor reaches through an attribute
                 called `registry` (`service.registry.x`), nor calls a method on a name
                 `registry` (`registry.get_model(…)`), nor calls `Registry(…)`.
door-tag-key     no door spells a promobot tag key: no string literal (an f-string's
                 literal parts included) starting with `promobot.` (or `mlflow.promobot.`,
                 where the state lives now) and a letter.
                 Docstrings and logger names (`getLogger("promobot.slack")`) are not keys.
env-read         no module but config.py reads a PROMOBOT_* variable: flagged is a string
                 literal that is exactly a variable name (`"PROMOBOT_DEBUG"`), wherever it
                 stands, and a literal starting with `PROMOBOT_` used as a subscript or as
                 the first argument of `.get(`, `getenv(`, `setdefault(` or `pop(`.
                 Prose that names a variable (help text, messages, docstrings, comments)
                 is left alone. Not caught: names built at run time, `os.environ` passed
                 around.
repeated-block   no block of 6 or more lines repeated inside ROOT (in one file or two).
                 Lines are compared stripped; blank lines, comment-only lines, lines made
                 only of brackets, commas and colons (`)`, `],`, `}:`) and the lines of
                 import statements (anywhere in the module: import lists repeat
                 legitimately) are left out first. Docstring lines count. One repeated
                 region is reported once per pair of places.
"""

from __future__ import annotations

import ast
import re
import sys
import tokenize
from collections import defaultdict
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

MAX_PARAMS = 6
MAX_MODULE_LINES = 500
MAX_CLASS_LINES = 300
MAX_FUNCTION_LINES = 80
REPEAT_LINES = 6

MLFLOW_MODULES = {"registry.py", "registry_lock.py"}
REGISTRY_MODULES = {"bot.registry", "bot.registry_lock"}
DOOR_MODULES = {"cli.py", "demo.py"}
DOOR_FOLDER = "doors/"
CONFIG_MODULE = "config.py"

TAG_KEY = re.compile(r"(?:mlflow\.)?promobot\.[A-Za-z]")
ENV_NAME = re.compile(r"PROMOBOT_[A-Z0-9_]+")
ENV_READERS = {"get", "getenv", "setdefault", "pop"}
BRACKETS_ONLY = re.compile(r"[()\[\]{},:]+")


@dataclass(frozen=True, order=True)
class Violation:
    path: str  # as shown: relative to ROOT's parent, e.g. "bot/service.py"
    line: int
    rule: str
    detail: str

    def __str__(self) -> str:
        return f"{self.path}:{self.line}: {self.rule}: {self.detail}"


@dataclass
class Module:
    rel: str  # relative to ROOT, posix: "doors/slack_app.py"
    shown: str  # relative to ROOT's parent: "bot/doors/slack_app.py"
    text: str
    tree: ast.Module

    @property
    def is_door(self) -> bool:
        return self.rel.startswith(DOOR_FOLDER) or self.rel in DOOR_MODULES

    @property
    def package(self) -> list[str]:
        """The dotted package this module sits in, for resolving relative imports."""
        return ["bot", *Path(self.rel).parent.parts]


# ---- sizes and signatures -------------------------------------------------------------------


def check_sizes(mod: Module) -> Iterator[Violation]:
    lines = len(mod.text.splitlines())
    if lines > MAX_MODULE_LINES:
        yield Violation(mod.shown, 1, "module-length", f"{lines} lines (max {MAX_MODULE_LINES})")
    for node in ast.walk(mod.tree):
        if isinstance(node, ast.ClassDef):
            length = _span(node)
            if length > MAX_CLASS_LINES:
                detail = f"class {node.name} is {length} lines (max {MAX_CLASS_LINES})"
                yield Violation(mod.shown, node.lineno, "class-length", detail)
        elif isinstance(node, ast.FunctionDef | ast.AsyncFunctionDef):
            length = _span(node)
            if length > MAX_FUNCTION_LINES:
                detail = f"{node.name} is {length} lines (max {MAX_FUNCTION_LINES})"
                yield Violation(mod.shown, node.lineno, "function-length", detail)
            count = parameter_count(node.args)
            if count > MAX_PARAMS:
                detail = f"{node.name} takes {count} parameters (max {MAX_PARAMS} besides self)"
                yield Violation(mod.shown, node.lineno, "params", detail)


def parameter_count(args: ast.arguments) -> int:
    positional = [*args.posonlyargs, *args.args]
    count = len(positional) + len(args.kwonlyargs)
    count += (args.vararg is not None) + (args.kwarg is not None)
    if positional and positional[0].arg in ("self", "cls"):
        count -= 1
    return count


def _span(node: ast.stmt) -> int:
    return (node.end_lineno or node.lineno) - node.lineno + 1


# ---- imports and who may talk to what ---------------------------------------------------------


def imported_modules(mod: Module, node: ast.Import | ast.ImportFrom) -> list[str]:
    """The absolute dotted names an import statement brings in."""
    if isinstance(node, ast.Import):
        return [alias.name for alias in node.names]
    base = node.module or ""
    if node.level:
        package = mod.package[: len(mod.package) - (node.level - 1)]
        base = ".".join([*package, *([base] if base else [])])
    return [base, *(f"{base}.{alias.name}" for alias in node.names)]


def _is_under(name: str, roots: set[str]) -> bool:
    return any(name == root or name.startswith(f"{root}.") for root in roots)


def check_imports(mod: Module) -> Iterator[Violation]:
    for node in ast.walk(mod.tree):
        if not isinstance(node, ast.Import | ast.ImportFrom):
            continue
        names = imported_modules(mod, node)
        if mod.rel not in MLFLOW_MODULES and any(_is_under(n, {"mlflow"}) for n in names):
            yield Violation(mod.shown, node.lineno, "mlflow-import", "imports mlflow")
        if mod.is_door:
            hit = next((n for n in names if _is_under(n, REGISTRY_MODULES)), None)
            if hit:
                yield Violation(mod.shown, node.lineno, "door-registry", f"imports {hit}")


def check_door_calls(mod: Module) -> Iterator[Violation]:
    if not mod.is_door:
        return
    for node in ast.walk(mod.tree):
        if (
            isinstance(node, ast.Attribute)
            and isinstance(node.value, ast.Attribute)
            and node.value.attr == "registry"
        ):
            detail = f"reaches the registry: .registry.{node.attr}"
            yield Violation(mod.shown, node.lineno, "door-registry", detail)
        elif isinstance(node, ast.Call):
            func = node.func
            if isinstance(func, ast.Attribute) and _name_of(func.value) == "registry":
                detail = f"calls the registry: registry.{func.attr}(…)"
                yield Violation(mod.shown, node.lineno, "door-registry", detail)
            elif _name_of(func) == "Registry" or (
                isinstance(func, ast.Attribute) and func.attr == "Registry"
            ):
                yield Violation(mod.shown, node.lineno, "door-registry", "builds a Registry(…)")


def _name_of(node: ast.expr) -> str | None:
    return node.id if isinstance(node, ast.Name) else None


# ---- string literals: tag keys and environment variables ---------------------------------------


def docstrings(tree: ast.Module) -> set[int]:
    """ids of the Constant nodes that are docstrings (module, class, function)."""
    found: set[int] = set()
    for node in ast.walk(tree):
        if (
            isinstance(node, ast.Module | ast.ClassDef | ast.FunctionDef | ast.AsyncFunctionDef)
            and node.body
        ):
            first = node.body[0]
            if isinstance(first, ast.Expr) and isinstance(first.value, ast.Constant):
                found.add(id(first.value))
    return found


def _read_contexts(tree: ast.Module) -> tuple[set[int], set[int]]:
    """ids of Constant nodes used as a subscript or an env-reading call's first argument,
    and of those that name a logger (`getLogger(<literal>)`)."""
    reads: set[int] = set()
    loggers: set[int] = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.Subscript):
            reads.add(id(node.slice))
        elif isinstance(node, ast.Call) and node.args:
            func = node.func
            name = func.attr if isinstance(func, ast.Attribute) else _name_of(func)
            if name in ENV_READERS:
                reads.add(id(node.args[0]))
            elif name == "getLogger":
                loggers.add(id(node.args[0]))
    return reads, loggers


def check_literals(mod: Module) -> Iterator[Violation]:
    skip = docstrings(mod.tree)
    reads, loggers = _read_contexts(mod.tree)
    for node in ast.walk(mod.tree):
        if not (isinstance(node, ast.Constant) and isinstance(node.value, str)):
            continue
        if id(node) in skip:
            continue
        text = node.value
        if mod.is_door and TAG_KEY.match(text) and id(node) not in loggers:
            detail = f"spells a tag key {_show(text)}"
            yield Violation(mod.shown, node.lineno, "door-tag-key", detail)
        if mod.rel == CONFIG_MODULE:
            continue
        if ENV_NAME.fullmatch(text) or (text.startswith("PROMOBOT_") and id(node) in reads):
            detail = f"reads {_show(text)} (only config.py reads PROMOBOT_* variables)"
            yield Violation(mod.shown, node.lineno, "env-read", detail)


def _show(text: str) -> str:
    return repr(text if len(text) <= 60 else text[:59] + "…")


# ---- repeated blocks ---------------------------------------------------------------------------


def significant_lines(mod: Module) -> list[tuple[int, str]]:
    """(line number, stripped text) of the lines the repeat rule compares."""
    skipped: set[int] = set()
    for node in ast.walk(mod.tree):
        if isinstance(node, ast.Import | ast.ImportFrom):
            skipped.update(range(node.lineno, (node.end_lineno or node.lineno) + 1))
    skipped.update(_comment_only_lines(mod.text))
    kept = []
    for number, line in enumerate(mod.text.splitlines(), start=1):
        text = line.strip()
        if number in skipped or not text or BRACKETS_ONLY.fullmatch(text):
            continue
        kept.append((number, text))
    return kept


def _comment_only_lines(text: str) -> set[int]:
    """Lines whose only token is a comment (tokenize knows a `#` inside a string is not)."""
    found: set[int] = set()
    lines = text.splitlines(keepends=True)
    try:
        for tok in tokenize.generate_tokens(iter(lines).__next__):
            if tok.type == tokenize.COMMENT and not lines[tok.start[0] - 1][: tok.start[1]].strip():
                found.add(tok.start[0])
    except (tokenize.TokenError, SyntaxError):
        pass
    return found


def check_repeats(modules: list[Module]) -> Iterator[Violation]:
    lines = {m.shown: significant_lines(m) for m in modules}
    places: dict[tuple[str, ...], list[tuple[str, int]]] = defaultdict(list)
    for shown, kept in lines.items():
        texts = [t for _, t in kept]
        for i in range(len(texts) - REPEAT_LINES + 1):
            places[tuple(texts[i : i + REPEAT_LINES])].append((shown, i))
    pairs: set[tuple[str, int, str, int]] = set()
    for found in places.values():
        for n, (a, i) in enumerate(found):
            for b, j in found[n + 1 :]:
                pairs.add((a, i, b, j))
    for a, i, b, j in sorted(pairs):
        if (a, i - 1, b, j - 1) in pairs:
            continue  # inside a region already reported from its start
        length = 0
        while (a, i + length, b, j + length) in pairs:
            length += 1
        count = length + REPEAT_LINES - 1
        start, end = lines[a][i][0], lines[a][i + count - 1][0]
        other, other_end = lines[b][j][0], lines[b][j + count - 1][0]
        detail = f"{count} lines ({start}-{end}) repeated at {b}:{other}-{other_end}"
        yield Violation(a, start, "repeated-block", detail)


# ---- running it --------------------------------------------------------------------------------


def load(root: Path) -> tuple[list[Module], list[Violation]]:
    modules, broken = [], []
    for path in sorted(root.rglob("*.py")):
        rel = path.relative_to(root).as_posix()
        shown = path.relative_to(root.parent).as_posix()
        text = path.read_text(encoding="utf-8")
        try:
            tree = ast.parse(text, filename=str(path))
        except SyntaxError as exc:
            broken.append(Violation(shown, exc.lineno or 1, "syntax", str(exc.msg)))
            continue
        modules.append(Module(rel, shown, text, tree))
    return modules, broken


def check(root: Path) -> list[Violation]:
    """Every violation of the rules under `root` (a bot/ folder), sorted by place."""
    modules, found = load(root)
    for mod in modules:
        for checker in (check_sizes, check_imports, check_door_calls, check_literals):
            found.extend(checker(mod))
    found.extend(check_repeats(modules))
    return sorted(set(found))


def summary(violations: list[Violation], root: Path) -> str:
    if not violations:
        return f"structure: {root.name}/ meets every rule"
    by_rule: dict[str, int] = defaultdict(int)
    for v in violations:
        by_rule[v.rule] += 1
    counts = ", ".join(f"{rule} {n}" for rule, n in sorted(by_rule.items()))
    files = len({v.path for v in violations})
    return f"structure: {len(violations)} violations in {files} files ({counts})"


def main(argv: list[str] | None = None) -> int:
    args = sys.argv[1:] if argv is None else argv
    default = Path(__file__).resolve().parent.parent / "bot"
    root = Path(args[0]).resolve() if args else default
    if not root.is_dir():
        print(f"structure: {root} is not a folder", file=sys.stderr)
        return 2
    violations = check(root)
    for v in violations:
        print(v)
    print(summary(violations, root))
    return 1 if violations else 0


if __name__ == "__main__":
    sys.exit(main())
