"""Where things are, and access to the test helpers the benchmarks share with the tests
(tests/servers.py, tests/slow_proxy.py, tests/fake_slack.py: real servers and fakes)."""

from __future__ import annotations

import sys
from pathlib import Path

BENCH = Path(__file__).resolve().parent
REPO = BENCH.parent
TESTS = REPO / "tests"
POLICY = BENCH / "policy.yaml"
RESULTS = BENCH / "results.json"
CACHE = BENCH / ".cache"
VENV_BIN = Path(sys.executable).parent


def add_tests() -> None:
    """Make `import servers`, `slow_proxy`, `fake_slack` work, as pytest's pythonpath does."""
    for path in (str(REPO), str(TESTS)):
        if path not in sys.path:
            sys.path.append(path)
