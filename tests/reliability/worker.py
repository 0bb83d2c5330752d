"""One OS process of a race: runs commands through the core, each in its own thread.

Reads one JSON line from stdin: a list of {"actor": ..., "text": ...} commands. Builds
the service the way the CLI does (settings from the environment: MLFLOW_TRACKING_URI,
PROMOBOT_POLICY), one Service and MLflow client per thread as separate bot replicas
would have, then prints "ready". On "go" every thread runs its command at once. Prints
a JSON list of outcomes: what the command reported, or the error it raised.

Commands may carry a "round" (0 when they do not): the rounds run one after another,
each on its own "go", and "round" is printed when one ends and another follows, so the
processes of a race release each round together (tests/reliability/conftest.py,
`run_workers`).
"""

from __future__ import annotations

import json
import sys
import threading
import time
import traceback
from typing import Any


def main() -> int:
    commands: list[dict[str, str]] = json.loads(sys.stdin.readline())

    from bot.app import build_policy, build_service
    from bot.config import load_settings
    from bot.core.commands import parse
    from bot.core.ports.registry import RegistryError
    from bot.core.service import Context

    settings = load_settings()
    policy = build_policy(settings)
    services = [build_service(settings, policy) for _ in commands]
    parsed = [parse(c["text"]).command for c in commands]
    results: list[dict[str, Any]] = [{} for _ in commands]
    go = threading.Event()

    def run(i: int) -> None:
        go.wait()
        command, spec = parsed[i], commands[i]
        started = time.time()
        out: dict[str, Any] = {"text": spec["text"], "actor": spec["actor"]}
        try:
            if command is None:
                raise ValueError(f"does not parse: {spec['text']}")
            result = services[i].handle(command, Context(actor=spec["actor"], channel="cli"))
            out.update(result.to_json())
            out["already"] = result.already
            out["message"] = result.message
        except RegistryError as exc:
            out.update(status="error", kind=exc.kind, error=str(exc))
        except Exception as exc:  # counted by the test as a traceback
            out.update(status="traceback", error=repr(exc), tb=traceback.format_exc())
        out["started"], out["ended"] = started, time.time()
        results[i] = out

    rounds = sorted({int(c.get("round", 0)) for c in commands})
    print("ready", flush=True)
    for n, number in enumerate(rounds):
        mine = [i for i, c in enumerate(commands) if int(c.get("round", 0)) == number]
        threads = [threading.Thread(target=run, args=(i,)) for i in mine]
        for thread in threads:
            thread.start()
        if sys.stdin.readline().strip() != "go":
            return 2
        go.set()
        for thread in threads:
            thread.join()
        go.clear()
        if n < len(rounds) - 1:
            print("round", flush=True)
    print(json.dumps(results))
    return 0


if __name__ == "__main__":
    sys.exit(main())
