"""Figure 3: how fast `promobot serve` acknowledges slash commands while MLflow is slow.

A real `promobot serve` process (gunicorn, as in production) gets signed slash commands
over HTTP; its Slack Web API is the fake on 127.0.0.1 (tests/fake_slack.py) and every
MLflow call it makes waits 500 ms in a proxy first (tests/slow_proxy.py). 50 commands
go 10 at a time; the figure is the time from sending a request to its HTTP 200 — what
Slack's 3-second rule is about. The work after the ack (the answers posted to the
response_url) is waited for too, so a round ends idle, and its duration is recorded.

The commands are read-only or dry runs (status, history, policy, promote --dry-run,
rollback --dry-run), so rounds can be repeated on the same registry.
"""

from __future__ import annotations

import hashlib
import hmac
import json
import os
import time
import urllib.parse
import urllib.request
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from typing import Any

from bench import paths
from bench.stats import median, ms, percentile

paths.add_tests()

from fake_slack import FakeSlack  # noqa: E402  (tests/fake_slack.py)
from servers import PromobotServe  # noqa: E402
from slow_proxy import SlowProxy  # noqa: E402

SECRET = "bench-signing-secret"
DELAY_MS = 500


def commands(model: str, roles: dict[str, int]) -> list[tuple[str, str, str]]:
    """(slash command, text, user id): the mix sent, cycled."""
    return [
        ("/promobot", f"status {model}", "U01BOB"),
        ("/promote", f"{model} v{roles['C']} production --dry-run ack bench", "U01BOB"),
        ("/promobot", f"history {model}", "U01BOB"),
        ("/rollback", f"{model} staging to v{roles['B']} --dry-run ack bench", "U01CAROL"),
        ("/promobot", f"policy {model}", "U01ALICE"),
    ]


def signed(body: bytes, secret: str = SECRET) -> dict[str, str]:
    ts = str(int(time.time()))
    base = b"v0:" + ts.encode() + b":" + body
    sig = "v0=" + hmac.new(secret.encode(), base, hashlib.sha256).hexdigest()
    return {
        "X-Slack-Request-Timestamp": ts,
        "X-Slack-Signature": sig,
        "Content-Type": "application/x-www-form-urlencoded",
    }


def slash_body(
    command: str, text: str, user: str, response_url: str, channel: str = "C0BENCH"
) -> bytes:
    return urllib.parse.urlencode(
        {
            "token": "unused",
            "team_id": "T0FAKE",
            "team_domain": "fake",
            "channel_id": channel,
            "channel_name": "releases",
            "user_id": user,
            "user_name": user.lower(),
            "command": command,
            "text": text,
            "api_app_id": "A0BENCH",
            "response_url": response_url,
            "trigger_id": "1.2.3",
        }
    ).encode()


def post(url: str, body: bytes) -> tuple[int, float]:
    request = urllib.request.Request(url, data=body, headers=signed(body), method="POST")
    t0 = time.perf_counter()
    with urllib.request.urlopen(request, timeout=30) as resp:
        resp.read()
        status = resp.status
    return status, time.perf_counter() - t0


def run(
    mlflow_url: str,
    model: str,
    roles: dict[str, int],
    workdir: Path,
    *,
    rounds: int = 3,
    count: int = 50,
    concurrency: int = 10,
    progress: Any = print,
) -> dict[str, Any]:
    mix = commands(model, roles)
    with FakeSlack() as fake, SlowProxy(mlflow_url, delay_ms=DELAY_MS) as proxy:
        env = {
            **os.environ,
            "SLACK_BOT_TOKEN": "xoxb-bench",
            "SLACK_SIGNING_SECRET": SECRET,
            "SLACK_API_URL": fake.api_url,
            "MLFLOW_TRACKING_URI": proxy.url,
            "PROMOBOT_POLICY": str(paths.POLICY),
            "PROMOBOT_SWEEP_SECONDS": "0",
            "PROMOBOT_LOG_LEVEL": "WARNING",
        }
        serve = PromobotServe(env, workdir)
        started = time.perf_counter()
        serve.start(timeout=90)
        boot_s = time.perf_counter() - started
        try:
            events = f"{serve.url}/slack/events"
            # Warm-up: one command answered end to end (the worker has built its Service).
            body = slash_body(*mix[0], fake.response_url("warm"))
            status, _ = post(events, body)
            if status != 200:
                raise RuntimeError(f"promobot serve answered {status} to a signed command")
            fake.wait_for_response("warm", timeout=120)
            out_rounds = []
            sample: list[str] = []
            for r in range(rounds):
                keys = [f"r{r}-{i}" for i in range(count)]
                bodies = [
                    slash_body(*mix[i % len(mix)], fake.response_url(k)) for i, k in enumerate(keys)
                ]
                calls_before = proxy.requests
                t0 = time.perf_counter()
                with ThreadPoolExecutor(max_workers=concurrency) as pool:
                    answers = list(pool.map(lambda b: post(events, b), bodies))
                sent_s = time.perf_counter() - t0
                bad = [s for s, _ in answers if s != 200]
                if bad:
                    raise RuntimeError(f"promobot serve answered {bad[:3]} to signed commands")
                answered = _wait_all(fake, keys, timeout=180)
                done_s = time.perf_counter() - t0
                acks = [t for _, t in answers]
                if r == 0:
                    sample = _answers(fake, keys, len(mix))
                out_rounds.append(
                    {
                        "p50_ms": ms(percentile(acks, 50)),
                        "p99_ms": ms(percentile(acks, 99)),
                        "max_ms": ms(max(acks)),
                        "acks_ms": [ms(t) for t in acks],
                        "all_sent_s": round(sent_s, 2),
                        "all_answered_s": round(done_s, 2) if answered else None,
                        "answered": answered,
                        "mlflow_calls": proxy.requests - calls_before,
                    }
                )
                progress(
                    f"    slack round {r + 1}/{rounds}: p50 {out_rounds[-1]['p50_ms']} ms, "
                    f"p99 {out_rounds[-1]['p99_ms']} ms, answers after {done_s:.1f} s"
                )
        finally:
            serve.stop()
    pooled = [t / 1000 for rd in out_rounds for t in rd["acks_ms"]]
    return {
        "commands": count,
        "concurrency": concurrency,
        "mlflow_delay_ms": DELAY_MS,
        "rounds": out_rounds,
        "p50_ms": ms(median([rd["p50_ms"] / 1000 for rd in out_rounds])),
        "p99_ms": ms(median([rd["p99_ms"] / 1000 for rd in out_rounds])),
        "pooled_p50_ms": ms(percentile(pooled, 50)),
        "pooled_p99_ms": ms(percentile(pooled, 99)),
        "serve_boot_s": round(boot_s, 2),
        "mix": [f"{c} {t}" for c, t, _ in mix],
        "answers": sample,
    }


def _answers(fake: FakeSlack, keys: list[str], n: int) -> list[str]:
    """The first line of the answer to each command of the mix: a check that the
    commands did what they were meant to (not a refusal or an error)."""
    texts = {c.method: c.text for c in fake.responses()}
    return [texts.get(k, "(no answer)").splitlines()[0][:120] for k in keys[:n]]


def _wait_all(fake: FakeSlack, keys: list[str], timeout: float) -> int:
    """Wait until every command has been answered through its response_url (or time out);
    returns how many were."""
    wanted = set(keys)
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        seen = {c.method for c in fake.responses() if c.method in wanted}
        if seen == wanted:
            return len(seen)
        time.sleep(0.2)
    return len({c.method for c in fake.responses() if c.method in wanted})


def summary_json(result: dict[str, Any]) -> str:
    return json.dumps({k: v for k, v in result.items() if k != "rounds"})
