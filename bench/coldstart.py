"""Figure 4: cold start. Wall times of fresh processes, side by side in the same run:

    python -c "import mlflow"       the yardstick
    promobot --help                 must not import mlflow at all
    promobot github                 one `/promote … staging` comment event, end to end:
                                    GitHub (a fake on 127.0.0.1), policy, MLflow calls

and, measured in-process right after each `promobot github` run, the same command
through a warm Service ("its MLflow calls"), so that the target reads
github ≤ 1.3 × (import mlflow + its MLflow calls).

`python -X importtime` runs once per command and the heaviest imports are recorded, so
a missed target comes with what the process spent its start on.
"""

from __future__ import annotations

import json
import os
import re
import subprocess
import sys
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

from bench import paths
from bench.rest_calls import CountingProxy
from bench.stats import median, ms, r2

paths.add_tests()

from fake_github import FakeGitHubServer  # noqa: E402  (tests/fake_github.py)

REPO_NAME = "acme/models"
PR = 7
LOGIN = "bob"


def event(path: Path, body: str, comment_id: int) -> Path:
    payload = {
        "action": "created",
        "issue": {"number": PR, "pull_request": {"url": f"https://github.test/pulls/{PR}"}},
        "comment": {
            "id": comment_id,
            "body": body,
            "html_url": f"https://github.test/{REPO_NAME}/pull/{PR}#issuecomment-{comment_id}",
            "user": {"login": LOGIN},
        },
        "repository": {"full_name": REPO_NAME},
        "sender": {"login": LOGIN},
    }
    path.write_text(json.dumps(payload))
    return path


def _run(cmd: list[str], env: dict[str, str], expect: int = 0) -> float:
    t0 = time.perf_counter()
    done = subprocess.run(cmd, env=env, cwd=paths.REPO, capture_output=True, timeout=180)
    took = time.perf_counter() - t0
    if done.returncode != expect:
        raise RuntimeError(
            f"{' '.join(cmd)} exited {done.returncode}: {done.stderr.decode()[-800:]}"
        )
    return took


@contextmanager
def _quiet_env(extra: dict[str, str]) -> Iterator[dict[str, str]]:
    env = {k: v for k, v in os.environ.items() if not k.startswith(("SLACK_", "GITHUB_"))}
    env.update(extra)
    env.pop("PYTHONPROFILEIMPORTTIME", None)
    yield env


def importtime(cmd: list[str], env: dict[str, str], top: int = 8) -> list[dict[str, Any]]:
    """The heaviest top-level imports (cumulative µs) of one run under -X importtime."""
    done = subprocess.run(
        [sys.executable, "-X", "importtime", *cmd],
        env=env,
        cwd=paths.REPO,
        capture_output=True,
        text=True,
        timeout=180,
    )
    rows = []
    for line in done.stderr.splitlines():
        m = re.match(r"import time:\s+(\d+) \|\s+(\d+) \|( *)(\S+)", line)
        if m and len(m.group(3)) <= 1:  # top-level imports only
            rows.append({"module": m.group(4), "cumulative_ms": int(m.group(2)) / 1000})
    rows.sort(key=lambda r: r["cumulative_ms"], reverse=True)
    return [{"module": r["module"], "cumulative_ms": round(r["cumulative_ms"], 1)} for r in rows][
        :top
    ]


def run(reg: Any, workdir: Path, *, repeats: int = 7, progress: Any = print) -> dict[str, Any]:
    """`reg`: a bench.env.Registry (the small SQLite one)."""
    from bench.registry_bench import REQUESTER, Bench
    from bot.core.policy import load_policy

    workdir.mkdir(parents=True, exist_ok=True)
    mlflow_url, model, roles = reg.url, reg.seeded.model, reg.seeded.roles
    promobot = str(paths.VENV_BIN / "promobot")
    pair = (roles["A"], roles["B"])
    times: dict[str, list[float]] = {"import_mlflow": [], "help": [], "github": [], "calls": []}
    bench = Bench(reg, load_policy(paths.POLICY))

    with FakeGitHubServer(REPO_NAME, PR) as github:
        base = {
            "GITHUB_API_URL": github.url,
            "GITHUB_TOKEN": "ghs_bench",
            "GITHUB_REPOSITORY": REPO_NAME,
            "MLFLOW_TRACKING_URI": mlflow_url,
            "PROMOBOT_POLICY": str(paths.POLICY),
        }
        with _quiet_env(base) as env:
            comment_id = 1000

            def github_env() -> dict[str, str]:
                nonlocal comment_id
                comment_id += 1
                number = bench.other(pair, "Staging")
                path = event(
                    workdir / f"event-{comment_id}.json",
                    f"/promote {model} v{number} staging cold start {comment_id}",
                    comment_id,
                )
                return {**env, "GITHUB_EVENT_PATH": str(path)}

            jobs = {
                "import_mlflow": lambda: _run([sys.executable, "-c", "import mlflow"], env),
                "help": lambda: _run([promobot, "--help"], env),
                "github": lambda: _run([promobot, "github"], github_env()),
            }
            # Warm the page cache and .pyc files first; these runs are not counted.
            for job in jobs.values():
                job()
            names = list(jobs)
            for i in range(repeats):
                order = names[i % len(names) :] + names[: i % len(names)]
                for name in order:
                    times[name].append(jobs[name]())
                    if name == "github":
                        number = bench.other(pair, "Staging")
                        text = f"promote {model} v{number} staging warm {bench.reason('cold')}"
                        t0 = time.perf_counter()
                        bench.run(text, REQUESTER)
                        times["calls"].append(time.perf_counter() - t0)
                progress(f"    cold start repeat {i + 1}/{repeats}")
            comments = [b for m, p, b in github.calls if m == "POST" and p.endswith("/comments")]
            last_reply = (comments[-1] or {}).get("body", "") if comments else ""

            # The MLflow REST calls of one `promobot github` run, counted at the HTTP level.
            with CountingProxy(mlflow_url) as proxy:
                counted_env = {**github_env(), "MLFLOW_TRACKING_URI": proxy.url}
                with proxy.recording() as calls:
                    _run([promobot, "github"], counted_env)
            top_github = importtime([promobot, "github"], github_env())
            top_help = importtime([promobot, "--help"], env)

    imp, helps, gh, calls_t = (times[k] for k in ("import_mlflow", "help", "github", "calls"))
    help_ratio = [h / i for h, i in zip(helps, imp, strict=True)]
    github_ratio = [g / (i + c) for g, i, c in zip(gh, imp, calls_t, strict=True)]
    return {
        "repeats": repeats,
        "import_mlflow_ms": ms(median(imp)),
        "help_ms": ms(median(helps)),
        "github_ms": ms(median(gh)),
        "github_mlflow_calls_ms": ms(median(calls_t)),
        "help_over_import": r2(median(help_ratio)),
        "github_over_import_plus_calls": r2(median(github_ratio)),
        "github_mlflow_rest_calls": len(calls),
        "github_mlflow_calls_list": [c.call for c in calls],
        "github_first_reply_line": last_reply.splitlines()[0][:160] if last_reply else "",
        "runs_ms": {k: [ms(x) for x in v] for k, v in times.items()},
        "importtime_github_top": top_github,
        "importtime_help_top": top_help,
    }
