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
mlflow-import    only the MLflow adapter (adapters/mlflow/) imports mlflow: any `import
                 mlflow…` or `from mlflow… import`, at the top or inside a function.
door-registry    no door (doors/…, cli.py) calls the registry: it neither imports
                 bot.adapters.mlflow (or anything under it), nor reaches through an
                 attribute called `registry` (`service.registry.x`), nor calls a method on a
                 name `registry` (`registry.get_model(…)`), nor calls `Registry(…)`.
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
top-entries      at most 8 entries (modules and packages) at the top of ROOT, besides
                 `__init__.py` and `__main__.py`: the entry points, the one wiring place,
                 and one folder per question.
import-cycle     no cycle of imports between modules of ROOT. Every import counts: at the
                 top, under `if TYPE_CHECKING:`, inside a function. `from bot.a import b`
                 is an arrow to bot/a/b.py when that is a module, else to bot/a. The parent
                 packages an import runs first are not arrows of their own.
function-import  no import of a `bot.` module inside a function or method, except the
                 places FUNCTION_IMPORTS allows, each with its reason.
core-arrows      the core (core/…) imports no door, notifier, adapter, renderer, nor the
                 wiring (bot.doors, bot.notifiers, bot.adapters, bot.render, bot.app,
                 bot.cli); notifiers never import the service (bot.core.service).
github-home      only the GitHub adapter (adapters/github/) talks to GitHub: no other
                 module imports PyGithub (`github`) or spells GitHub's API host; and the
                 adapter itself uses one HTTP library (one of requests, urllib.request,
                 http.client, httpx, urllib3, github).
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

MLFLOW_FOLDER = "adapters/mlflow/"
REGISTRY_MODULES = {"bot.adapters.mlflow"}
DOOR_MODULES = {"cli.py"}
MAX_TOP_ENTRIES = 8
NOT_ENTRIES = {"__init__.py", "__main__.py", "__pycache__"}
GITHUB_FOLDER = "adapters/github/"
GITHUB_HOST = "api.github.com"
HTTP_LIBRARIES = {"requests", "urllib.request", "http.client", "httpx", "urllib3", "github"}
CORE_FOLDER = "core/"
NOT_FROM_CORE = {"bot.doors", "bot.notifiers", "bot.adapters", "bot.render", "bot.app", "bot.cli"}
NOT_FROM_NOTIFIERS = {"bot.core.service"}
# Imports of bot modules that may stay inside a function: (module, imported module) → why.
FUNCTION_IMPORTS: dict[tuple[str, str], str] = {
    # `promobot --help` and `promobot policy check` must not import mlflow, pydantic or
    # bolt (a tenth of a second against several): the CLI imports a door when it runs it.
    ("cli.py", "bot.app"): "the CLI loads the wiring only for a command that needs it",
    ("cli.py", "bot.config"): "settings (pydantic) only for a command that needs them",
    ("cli.py", "bot.doors"): "each door is imported when its command runs",
}
DOOR_FOLDER = "doors/"
CONFIG_MODULE = "config.py"  # also the one place that names GitHub's default API URL

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
        if not mod.rel.startswith(MLFLOW_FOLDER) and any(_is_under(n, {"mlflow"}) for n in names):
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


# ---- the house: its top, its arrows, its cycles ------------------------------------------------


def dotted(mod: Module) -> str:
    parts = list(Path(mod.rel).with_suffix("").parts)
    if parts[-1] == "__init__":
        parts = parts[:-1]
    return ".".join(["bot", *parts])


def arrows(mod: Module, node: ast.Import | ast.ImportFrom, known: set[str]) -> set[str]:
    """The modules of ROOT an import statement brings in (see import-cycle)."""
    found: set[str] = set()
    if isinstance(node, ast.Import):
        candidates = [alias.name for alias in node.names]
    else:
        base, *members = imported_modules(mod, node)
        candidates = [m if m in known else base for m in members] or [base]
    for name in candidates:
        while name and name not in known:
            name = name.rpartition(".")[0]
        if name:
            found.add(name)
    return found


def imports_in_functions(tree: ast.Module) -> list[ast.Import | ast.ImportFrom]:
    seen: dict[int, ast.Import | ast.ImportFrom] = {}
    for node in ast.walk(tree):
        if isinstance(node, ast.FunctionDef | ast.AsyncFunctionDef):
            for inner in ast.walk(node):
                if isinstance(inner, ast.Import | ast.ImportFrom):
                    seen[id(inner)] = inner
    return sorted(seen.values(), key=lambda n: n.lineno)


def check_function_imports(mod: Module) -> Iterator[Violation]:
    for node in imports_in_functions(mod.tree):
        for name in (
            imported_modules(mod, node)[:1]
            if isinstance(node, ast.ImportFrom)
            else [alias.name for alias in node.names]
        ):
            if not _is_under(name, {"bot"}):
                continue
            allowed = any(
                rel == mod.rel and _is_under(name, {target}) for rel, target in FUNCTION_IMPORTS
            )
            if not allowed:
                detail = f"imports {name} inside a function"
                yield Violation(mod.shown, node.lineno, "function-import", detail)


def check_arrows(mod: Module) -> Iterator[Violation]:
    forbidden: set[str] = set()
    if mod.rel.startswith(CORE_FOLDER):
        forbidden = NOT_FROM_CORE
    elif mod.rel.startswith("notifiers/"):
        forbidden = NOT_FROM_NOTIFIERS
    for node in ast.walk(mod.tree):
        if not isinstance(node, ast.Import | ast.ImportFrom):
            continue
        names = imported_modules(mod, node)
        hit = next((n for n in names if _is_under(n, forbidden)), None)
        if hit:
            yield Violation(mod.shown, node.lineno, "core-arrows", f"imports {hit}")


def check_github(mod: Module) -> Iterator[Violation]:
    inside = mod.rel.startswith(GITHUB_FOLDER)
    for node in ast.walk(mod.tree):
        if isinstance(node, ast.Import | ast.ImportFrom) and not inside:
            names = imported_modules(mod, node)
            if any(_is_under(n, {"github"}) for n in names):
                yield Violation(mod.shown, node.lineno, "github-home", "imports PyGithub")
        elif (
            not inside
            and mod.rel != CONFIG_MODULE
            and isinstance(node, ast.Constant)
            and isinstance(node.value, str)
            and GITHUB_HOST in node.value
        ):
            yield Violation(mod.shown, node.lineno, "github-home", f"spells {GITHUB_HOST}")


def check_github_libraries(modules: list[Module]) -> Iterator[Violation]:
    used: dict[str, tuple[str, int]] = {}
    for mod in modules:
        if not mod.rel.startswith(GITHUB_FOLDER):
            continue
        for node in ast.walk(mod.tree):
            if isinstance(node, ast.Import | ast.ImportFrom):
                for name in (
                    imported_modules(mod, node)[:1]
                    if isinstance(node, ast.ImportFrom)
                    else [alias.name for alias in node.names]
                ):
                    library = next((lib for lib in HTTP_LIBRARIES if _is_under(name, {lib})), None)
                    if library and library not in used:
                        used[library] = (mod.shown, node.lineno)
    if len(used) > 1:
        for library, (shown, line) in sorted(used.items()):
            detail = f"uses {library}; the GitHub adapter uses one HTTP library ({len(used)} seen)"
            yield Violation(shown, line, "github-home", detail)


def check_top(root: Path) -> Iterator[Violation]:
    entries = sorted(
        p.name
        for p in root.iterdir()
        if p.name not in NOT_ENTRIES and (p.is_dir() or p.suffix == ".py")
    )
    if len(entries) > MAX_TOP_ENTRIES:
        detail = f"{len(entries)} entries (max {MAX_TOP_ENTRIES}): {', '.join(entries)}"
        yield Violation(f"{root.name}/", 1, "top-entries", detail)


def check_cycles(modules: list[Module]) -> Iterator[Violation]:
    by_name = {dotted(m): m for m in modules}
    known = set(by_name)
    graph: dict[str, set[str]] = {name: set() for name in known}
    lines: dict[tuple[str, str], int] = {}
    for name, mod in by_name.items():
        for node in ast.walk(mod.tree):
            if isinstance(node, ast.Import | ast.ImportFrom):
                for target in arrows(mod, node, known) - {name}:
                    graph[name].add(target)
                    lines.setdefault((name, target), node.lineno)
    for component in strongly_connected(graph):
        if len(component) < 2:
            continue
        first = min(component)
        ring = " → ".join(sorted(component))
        target = min(t for t in graph[first] if t in component)
        shown = by_name[first].shown
        detail = f"{len(component)} modules import one another: {ring}"
        yield Violation(shown, lines[(first, target)], "import-cycle", detail)


def strongly_connected(graph: dict[str, set[str]]) -> list[set[str]]:
    """Tarjan's components, iteratively (no recursion limit on a large house)."""
    index: dict[str, int] = {}
    low: dict[str, int] = {}
    stack: list[str] = []
    on_stack: set[str] = set()
    found: list[set[str]] = []
    counter = 0
    for start in sorted(graph):
        if start in index:
            continue
        work = [(start, iter(sorted(graph[start])))]
        index[start] = low[start] = counter
        counter += 1
        stack.append(start)
        on_stack.add(start)
        while work:
            node, children = work[-1]
            child = next(children, None)
            if child is not None:
                if child not in index:
                    index[child] = low[child] = counter
                    counter += 1
                    stack.append(child)
                    on_stack.add(child)
                    work.append((child, iter(sorted(graph[child]))))
                elif child in on_stack:
                    low[node] = min(low[node], index[child])
                continue
            work.pop()
            if work:
                low[work[-1][0]] = min(low[work[-1][0]], low[node])
            if low[node] == index[node]:
                component = set()
                while True:
                    member = stack.pop()
                    on_stack.discard(member)
                    component.add(member)
                    if member == node:
                        break
                found.append(component)
    return found


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
        for checker in (
            check_sizes,
            check_imports,
            check_door_calls,
            check_literals,
            check_function_imports,
            check_arrows,
            check_github,
        ):
            found.extend(checker(mod))
    found.extend(check_repeats(modules))
    found.extend(check_cycles(modules))
    found.extend(check_github_libraries(modules))
    found.extend(check_top(root))
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
