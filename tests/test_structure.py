"""The structure checker (tests/structure.py) on small synthetic bot/ folders, then on
the real one."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest
import structure

REPO = Path(__file__).resolve().parent.parent


def lines(n: int, indent: str = "    ", tag: str = "x") -> str:
    """n distinct statements, one a line."""
    return "".join(f"{indent}{tag}{i} = compute({i})\n" for i in range(n))


def function(body_lines: int, decorator: bool = False) -> str:
    """A function whose def line and body together are 1 + body_lines lines."""
    head = "@decorated\n" if decorator else ""
    return f"{head}def work():\n{lines(body_lines)}"


def block(n: int, tag: str) -> str:
    """n lines that occur only where this block is placed."""
    return lines(n, indent="", tag=tag)


def padded(n: int) -> str:
    """2 + n lines that count, with a bracket line, a blank line and a comment among them."""
    return "a = f(\n    0,\n)\n\n# why\n" + block(n, "p")


def tight(n: int) -> str:
    """The same 2 + n lines that count, with the bracket elsewhere and nothing else."""
    return "a = f(\n    0,\n    )\n" + block(n, "p")


def found(root: Path) -> set[tuple[str, int, str]]:
    return {(v.path, v.line, v.rule) for v in structure.check(root)}


def make_bot(tmp_path: Path, files: dict[str, str]) -> Path:
    root = tmp_path / "bot"
    root.mkdir()
    for rel, text in files.items():
        path = root / rel
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(text)
    return root


SVC = "bot/service.py"
DOOR = "bot/doors/slack_app.py"

CASES = [
    # ---- parameters
    (
        "7 parameters",
        {"service.py": "def f(a, b, c, d, e, f, g):\n    pass\n"},
        {(SVC, 1, "params")},
    ),
    ("6 parameters", {"service.py": "def f(a, b, c, d, e, f):\n    pass\n"}, set()),
    (
        "self and 6 more",
        {"service.py": "class S:\n    def f(self, a, b, c, d, e, f):\n        pass\n"},
        set(),
    ),
    (
        "self and 7 more",
        {"service.py": "class S:\n    def f(self, a, b, c, d, e, f, g):\n        pass\n"},
        {(SVC, 2, "params")},
    ),
    (
        "cls and 6 more",
        {"service.py": "class S:\n    def f(cls, a, b, c, d, e, f):\n        pass\n"},
        set(),
    ),
    (
        "keyword-only, *args and **kwargs count",
        {"service.py": "def f(a, b, *args, c, d, e, **kw):\n    pass\n"},
        {(SVC, 1, "params")},
    ),
    (
        "6 counting *args and **kwargs",
        {"service.py": "def f(a, /, b, *args, c, d, **kw):\n    pass\n"},
        set(),
    ),
    (
        "a lambda is not a function def",
        {"service.py": "f = lambda a, b, c, d, e, f, g: a\n"},
        set(),
    ),
    # ---- lengths
    ("501-line module", {"service.py": block(501, "m")}, {(SVC, 1, "module-length")}),
    ("500-line module", {"service.py": block(500, "m")}, set()),
    ("81-line function", {"service.py": function(80)}, {(SVC, 1, "function-length")}),
    ("80-line function", {"service.py": function(79)}, set()),
    ("decorators are not counted", {"service.py": function(79, decorator=True)}, set()),
    (
        "81-line method",
        {"service.py": "class S:\n    def work(self):\n" + lines(80, indent="        ")},
        {(SVC, 2, "function-length")},
    ),
    ("301-line class", {"service.py": "class S:\n" + lines(300)}, {(SVC, 1, "class-length")}),
    ("300-line class", {"service.py": "class S:\n" + lines(299)}, set()),
    # ---- mlflow
    ("import mlflow in service.py", {"service.py": "import mlflow\n"}, {(SVC, 1, "mlflow-import")}),
    (
        "from mlflow.x import inside a function",
        {"service.py": "def f():\n    from mlflow.exceptions import MlflowException\n"},
        {(SVC, 2, "mlflow-import")},
    ),
    (
        "import mlflow in the MLflow adapter",
        {"adapters/mlflow/gateway.py": "import mlflow\n"},
        set(),
    ),
    (
        "from mlflow anywhere in the MLflow adapter",
        {"adapters/mlflow/mutex.py": "from mlflow import MlflowClient\n"},
        set(),
    ),
    (
        "import mlflow in another adapter",
        {"adapters/prometheus.py": "import mlflow\n"},
        {("bot/adapters/prometheus.py", 1, "mlflow-import")},
    ),
    ("import mlflowish is not mlflow", {"service.py": "import mlflowish\n"}, set()),
    # ---- doors and the registry
    (
        "a door imports bot.adapters.mlflow.gateway",
        {"doors/slack_app.py": "from bot.adapters.mlflow.gateway import X\n"},
        {(DOOR, 1, "door-registry")},
    ),
    (
        "a door imports the MLflow adapter relatively",
        {"doors/slack_app.py": "from ..adapters.mlflow import mutex\n"},
        {(DOOR, 1, "door-registry")},
    ),
    (
        "cli.py does `from bot.adapters import mlflow`",
        {"cli.py": "from bot.adapters import mlflow\n"},
        {("bot/cli.py", 1, "door-registry")},
    ),
    (
        "a door reaches through service.registry",
        {"doors/slack_app.py": "def f(service):\n    return service.registry.get_model('m')\n"},
        {(DOOR, 2, "door-registry")},
    ),
    (
        "the demo door builds a Registry and calls it",
        {
            "doors/demo/story.py": (
                "def f(Registry, uri):\n    registry = Registry(uri)\n    registry.get_model('m')\n"
            )
        },
        {
            ("bot/doors/demo/story.py", 2, "door-registry"),
            ("bot/doors/demo/story.py", 3, "door-registry"),
        },
    ),
    (
        "the core may use the registry",
        {
            "app.py": "from bot.adapters.mlflow.gateway import Registry\n\n"
            "r = Registry('uri')\nr.registry.x()\n"
        },
        set(),
    ),
    # ---- doors and tag keys
    (
        "a door with a promobot.request. literal",
        {"doors/slack_app.py": "PREFIX = 'promobot.request.'\n"},
        {(DOOR, 1, "door-tag-key")},
    ),
    (
        "a door with an mlflow.promobot. literal",
        {"doors/slack_app.py": "KEY = 'mlflow.promobot.slack.posted'\n"},
        {(DOOR, 1, "door-tag-key")},
    ),
    (
        "a door with a promobot. f-string",
        {"doors/slack_app.py": "def f(x):\n    return f'promobot.request.{x}.slack'\n"},
        {(DOOR, 2, "door-tag-key")},
    ),
    (
        "a door's words that are not keys",
        {
            "doors/slack_app.py": (
                '"""Reads promobot.request.<id>.slack, as the docstring says."""\n'
                "import logging\n"
                "log = logging.getLogger('promobot.slack')\n"
                "NAME, SERVE = 'promobot', 'promobot serve'\n"
                "SEE = 'see promobot.request.x'\n"
                "VERSION = 'promobot.2'\n"
            )
        },
        set(),
    ),
    ("the core may spell tag keys", {"state.py": "PREFIX = 'promobot.request.'\n"}, set()),
    # ---- PROMOBOT_* variables
    (
        "PROMOBOT_X read with os.environ.get outside config",
        {"doors/slack_server.py": "import os\nx = os.environ.get('PROMOBOT_X', '')\n"},
        {("bot/doors/slack_server.py", 2, "env-read")},
    ),
    (
        "PROMOBOT_X read as a subscript",
        {"service.py": "import os\nx = os.environ['PROMOBOT_X']\n"},
        {(SVC, 2, "env-read")},
    ),
    (
        "PROMOBOT_X read with getenv",
        {"service.py": "import os\nx = os.getenv('PROMOBOT_X')\n"},
        {(SVC, 2, "env-read")},
    ),
    (
        "PROMOBOT_X named in a constant",
        {"service.py": "ENV = 'PROMOBOT_X'\n"},
        {(SVC, 1, "env-read")},
    ),
    (
        "PROMOBOT_X read in config.py",
        {"config.py": "import os\nx = os.environ.get('PROMOBOT_X')\nENV = 'PROMOBOT_Y'\n"},
        set(),
    ),
    (
        "PROMOBOT_X in help text and docstrings",
        {
            "cli.py": (
                '"""Reads PROMOBOT_X."""\n'
                "HELP = 'set PROMOBOT_X to the policy folder'\n"
                "def f(x):\n"
                "    return f'PROMOBOT_X must be a number, not {x!r}'\n"
            )
        },
        set(),
    ),
    # ---- the top of the house
    (
        "9 entries at the top",
        {f"m{i}.py": "x = 1\n" for i in range(9)},
        {("bot/", 1, "top-entries")},
    ),
    (
        "8 entries, __init__ and __main__ not counted",
        {
            **{f"m{i}.py": "x = 1\n" for i in range(7)},
            "core/__init__.py": "",
            "__init__.py": "",
            "__main__.py": "",
        },
        set(),
    ),
    # ---- cycles
    (
        "two modules import one another",
        {"a.py": "from bot.b import x\n", "b.py": "import bot.a\n"},
        {("bot/a.py", 1, "import-cycle")},
    ),
    (
        "a cycle through TYPE_CHECKING is a cycle",
        {
            "a.py": (
                "from typing import TYPE_CHECKING\nif TYPE_CHECKING:\n    from bot.b import x\n"
            ),
            "b.py": "from bot.a import y\n",
        },
        {("bot/a.py", 3, "import-cycle")},
    ),
    (
        "a package and its module: `from bot.p import m` is an arrow to the module",
        {
            "p/__init__.py": "from bot.p.m import x\n",
            "p/m.py": "x = 1\n",
            "q.py": "from bot.p import m\n",
        },
        set(),
    ),
    (
        "three modules in a ring",
        {"a.py": "import bot.b\n", "b.py": "import bot.c\n", "c.py": "import bot.a\n"},
        {("bot/a.py", 1, "import-cycle")},
    ),
    # ---- imports inside functions
    (
        "a bot module imported inside a function",
        {"service.py": "def f():\n    from bot.state import x\n    return x\n"},
        {(SVC, 2, "function-import")},
    ),
    (
        "another library inside a function is fine",
        {"service.py": "def f():\n    import json\n    return json\n"},
        set(),
    ),
    (
        "the allowlist: the CLI imports a door when its command runs",
        {"cli.py": "def f():\n    from bot.doors.cli.audit import run_audit\n"},
        set(),
    ),
    # ---- the core's arrows
    (
        "the core imports a door",
        {"core/service.py": "from bot.doors.common import ExitCode\n"},
        {("bot/core/service.py", 1, "core-arrows")},
    ),
    (
        "the core imports an adapter",
        {"core/service.py": "import bot.adapters.mlflow.gateway\n"},
        {("bot/core/service.py", 1, "core-arrows")},
    ),
    (
        "a notifier imports the service",
        {"notifiers/slack.py": "from bot.core.service import Service\n"},
        {("bot/notifiers/slack.py", 1, "core-arrows")},
    ),
    (
        "a door imports the core",
        {"doors/x.py": "from bot.core.service import Service\n"},
        set(),
    ),
    # ---- GitHub's one home
    (
        "PyGithub outside the GitHub adapter",
        {"doors/x.py": "import github\n"},
        {("bot/doors/x.py", 1, "github-home")},
    ),
    (
        "GitHub's API host spelled outside the adapter",
        {"notifiers/x.py": "URL = 'https://api.github.com/repos'\n"},
        {("bot/notifiers/x.py", 1, "github-home")},
    ),
    (
        "config.py names the default URL",
        {"config.py": "URL = 'https://api.github.com'\n"},
        set(),
    ),
    (
        "two HTTP libraries in the GitHub adapter",
        {"adapters/github/a.py": "import github\n", "adapters/github/b.py": "import requests\n"},
        {
            ("bot/adapters/github/a.py", 1, "github-home"),
            ("bot/adapters/github/b.py", 1, "github-home"),
        },
    ),
    (
        "one HTTP library in the GitHub adapter",
        {
            "adapters/github/a.py": "import github\n",
            "adapters/github/b.py": "from github import X\n",
        },
        set(),
    ),
    # ---- repeated blocks
    (
        "a repeated 6-line block",
        {"service.py": block(6, "r") + block(2, "a") + block(6, "r")},
        {(SVC, 1, "repeated-block")},
    ),
    (
        "a repeated 5-line block",
        {"service.py": block(5, "r") + block(2, "a") + block(5, "r")},
        set(),
    ),
    (
        "a 6-line block repeated in another file",
        {"service.py": block(6, "r"), "doors/slack_app.py": block(2, "b") + block(6, "r")},
        {(DOOR, 3, "repeated-block")},
    ),
    (
        "a longer repeat is reported once",
        {"service.py": block(9, "r") + block(1, "a") + block(9, "r")},
        {(SVC, 1, "repeated-block")},
    ),
    (
        "blank, comment and bracket lines do not count",
        {"service.py": padded(3) + "x = 0\n" + tight(3)},
        set(),
    ),
    (
        "but do not hide a repeat either",
        {"service.py": padded(4) + "x = 0\n" + tight(4)},
        {(SVC, 1, "repeated-block")},
    ),
    (
        "import lists do not count",
        {
            "service.py": "from a import (\n    b,\n    c,\n    d,\n    e,\n    f,\n)\nimport g\n",
            "state.py": "from a import (\n    b,\n    c,\n    d,\n    e,\n    f,\n)\nimport g\n",
        },
        set(),
    ),
    (
        "a repeated docstring is a repeat",
        {
            "service.py": 'def f():\n    """' + block(6, "d") + '"""\n',
            "state.py": 'def g():\n    """' + block(6, "d") + '"""\n',
        },
        {(SVC, 2, "repeated-block")},
    ),
]


@pytest.mark.parametrize(("files", "expected"), [c[1:] for c in CASES], ids=[c[0] for c in CASES])
def test_rule(tmp_path: Path, files: dict[str, str], expected: set[tuple[str, int, str]]) -> None:
    assert found(make_bot(tmp_path, files)) == expected


def test_a_repeat_names_both_places(tmp_path: Path) -> None:
    root = make_bot(tmp_path, {"a.py": block(7, "r"), "b.py": "x = 1\n" + block(7, "r")})
    (repeat,) = structure.check(root)
    assert str(repeat) == "bot/a.py:1: repeated-block: 7 lines (1-7) repeated at bot/b.py:2-8"


@pytest.mark.parametrize(
    ("files", "code", "output"),
    [
        ({"service.py": "x = 1\n"}, 0, ["structure: bot/ meets every rule"]),
        (
            {"service.py": "def f(a, b, c, d, e, f, g):\n    pass\n", "cli.py": "import mlflow\n"},
            1,
            [
                "bot/cli.py:1: mlflow-import: imports mlflow",
                "bot/service.py:1: params: f takes 7 parameters (max 6 besides self)",
                "structure: 2 violations in 2 files (mlflow-import 1, params 1)",
            ],
        ),
        ({"service.py": "def f(:\n"}, 1, None),
    ],
    ids=["clean", "violations", "a syntax error"],
)
def test_the_script_prints_one_line_per_violation_and_exits_1(
    tmp_path: Path, files: dict[str, str], code: int, output: list[str] | None
) -> None:
    root = make_bot(tmp_path, files)
    run = subprocess.run(
        [sys.executable, str(REPO / "tests" / "structure.py"), str(root)],
        capture_output=True,
        text=True,
        check=False,
    )
    assert run.returncode == code, run.stderr
    shown = run.stdout.splitlines()
    if output is None:
        assert shown[0].startswith("bot/service.py:1: syntax: ")
    else:
        assert shown == output


def test_bot_meets_the_structure_rules() -> None:
    violations = structure.check(REPO / "bot")
    assert [str(v) for v in violations] == []
