"""What deployment code installs promobot for imports only the standard library,
`cryptography` and (serving only) `mlflow`, and never `bot`."""

from __future__ import annotations

import ast
import subprocess
import sys
from pathlib import Path

PACKAGE = Path(__file__).resolve().parents[2] / "promobot"
# Where mlflow may be imported: the loader and its MLflow calls.
MLFLOW_MODULES = {"serving.py", "registry.py"}


def imported(path: Path) -> set[str]:
    names: set[str] = set()
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
        if isinstance(node, ast.Import):
            names.update(alias.name.split(".")[0] for alias in node.names)
        elif isinstance(node, ast.ImportFrom) and node.level == 0 and node.module:
            names.add(node.module.split(".")[0])
    return names


def test_every_module_imports_only_what_deployment_code_has() -> None:
    allowed = set(sys.stdlib_module_names) | {"cryptography", "promobot", "__future__"}
    for path in sorted(PACKAGE.glob("*.py")):
        extra = allowed | ({"mlflow"} if path.name in MLFLOW_MODULES else set())
        assert imported(path) <= extra, f"{path.name} imports {imported(path) - extra}"


def test_the_signatures_load_without_mlflow_or_bot() -> None:
    code = (
        "import sys, promobot.signatures, promobot.receipts, promobot.uri;"
        "print(sorted({m.split('.')[0] for m in sys.modules} & {'mlflow', 'bot'}))"
    )
    out = subprocess.run(
        [sys.executable, "-c", code],
        capture_output=True,
        text=True,
        check=True,
        timeout=60,
        cwd=PACKAGE.parent,
    )
    assert out.stdout.strip() == "[]"
