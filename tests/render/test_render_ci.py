"""The words of what CI and the deployment records produce (bot/render/ci.py): the job
summary of `promobot register` (Markdown for $GITHUB_STEP_SUMMARY), with tags whoever
registered the version (or named the pull request's branch) wrote read as GitHub shows
it (tests/markdown_seen.py); and the lines of `promobot deployments`."""

from __future__ import annotations

import re
from datetime import UTC, datetime

from markdown_seen import seen, visible

from bot.core.results import Comparison, DeploymentRepair, MissingDeployment, MoveResult, Registered
from bot.render.ci import ci_summary, missing_deployment_line, repair_line
from bot.render.message import to_markdown

MODEL = "sentiment-classifier"
SHA = "a1b2c3d4e5f60718293a4b5c6d7e8f9012345678"
GIT = {
    "git_repository": "acme/models",
    "git_commit": SHA,
    "git_branch": "main",
    "git_pull_request": "7",
    "ci_run_url": "https://github.com/acme/models/actions/runs/9876",
    "ci_actor": "alice",
}


# ---- the job summary ---------------------------------------------------------------------------


REGISTERED = Registered(
    model=MODEL,
    version=3,
    run_id="r" * 32,
    model_uri=f"models:/{MODEL}/3",
    source="models:/m-1",
    tags={**GIT, "git_branch": "feat|x `y`"},
)


def test_summary_against_production() -> None:
    comparison = Comparison({"f1": 0.9, "accuracy": 0.91, "auc": 0.5}, 2, {"accuracy": 0.85})

    assert ci_summary(REGISTERED, comparison) == "\n".join(
        [
            f"### 📦 {MODEL} v3 registered",
            "",
            "| | |",
            "| --- | --- |",
            f"| model URI | `models:/{MODEL}/3` |",
            f"| run | `{'r' * 32}` |",
            f"| commit | `{SHA}` |",
            "| branch | `feat\\|x 'y'` |",
            "| pull request | #7 |",
            "| workflow run | https://github.com/acme/models/actions/runs/9876 |",
            "| actor | `alice` |",
            "",
            "| metric | v3 (new) | v2 (Production) | change |",
            "| --- | --- | --- | --- |",
            "| accuracy | 0.910 | 0.850 | +0.060 |",
            "| f1 | 0.900 | — | — |",
            "| auc | 0.500 | — | — |",
            "",
        ]
    )


def test_summary_without_production_or_metrics_and_a_failed_request() -> None:
    bare = Registered(MODEL, 1, "r" * 32, f"models:/{MODEL}/1", "models:/m-1", {})

    assert ci_summary(bare, Comparison({}, None, {}), "Staging", None) == "\n".join(
        [
            f"### 📦 {MODEL} v1 registered",
            "",
            "| | |",
            "| --- | --- |",
            f"| model URI | `models:/{MODEL}/1` |",
            f"| run | `{'r' * 32}` |",
            "",
            "The run logged no metrics.",
            "",
            "No version is in Production yet, so there is nothing to compare with.",
            "",
            "#### Request: Staging",
            "",
            "⚠️ The request could not be made; see the step log.",
            "",
        ]
    )


def test_summary_in_a_registry_without_stages_compares_with_the_alias() -> None:
    comparison = Comparison({"accuracy": 0.91}, 2, {"accuracy": 0.85}, "@production")
    assert "| metric | v3 (new) | v2 (@production) | change |" in ci_summary(REGISTERED, comparison)

    nothing = ci_summary(REGISTERED, Comparison({}, None, {}, "@production"))
    assert "Nothing holds @production yet, so there is nothing to compare with." in nothing


def test_summary_shows_at_most_twelve_metrics() -> None:
    metrics = {f"m{n:02d}": float(n) for n in range(15)}
    summary = ci_summary(REGISTERED, Comparison(metrics, None, {}))

    rows = [line for line in summary.splitlines() if re.match(r"\| m\d\d \|", line)]
    assert [row.split()[1] for row in rows] == [f"m{n:02d}" for n in range(12)]
    assert rows[0] == "| m00 | 0.000 |"


def test_the_request_made_with_the_version_closes_the_summary() -> None:
    asked = MoveResult(
        status="pending",
        action="promote",
        model=MODEL,
        version=3,
        target="Staging",
        request_id="req-8b4e495d52",
    )
    summary = ci_summary(REGISTERED, Comparison({}, None, {}), "Staging", asked)
    assert summary.endswith(f"\n#### Request: Staging\n\n{to_markdown(asked)}\n")


# ---- the lines of `promobot deployments` ------------------------------------------------------

GAP = MissingDeployment(
    model=MODEL,
    version=3,
    target="Production",
    target_key="production",
    request_id="req-8b4e495d52",
    at=datetime(2026, 11, 25, 10, 0, tzinfo=UTC),
    why="never sent",
    repository="acme/models",
    commit=SHA,
    environment=f"{MODEL}/Production",
)
SUBJECT = f"{MODEL} v3 → Production (req-8b4e495d52)"


def test_a_deployment_never_sent() -> None:
    assert missing_deployment_line(GAP) == (
        f"{MODEL} v3 → Production (req-8b4e495d52, 2026-11-25 10:00 UTC): the GitHub "
        f"deployment to {MODEL}/Production in acme/models was never sent"
    )


def test_a_deployment_that_failed_says_why_on_one_line_and_no_time_when_none_is_known() -> None:
    failed = MissingDeployment(
        **{
            **GAP.__dict__,
            "at": None,
            "why": "failed: GitHub answered 502\n  (create a deployment)",
        }
    )
    assert missing_deployment_line(failed) == (
        f"{SUBJECT}: the GitHub deployment to {MODEL}/Production in acme/models failed: "
        "GitHub answered 502 (create a deployment)"
    )


def test_what_a_repair_did() -> None:
    assert repair_line(DeploymentRepair(GAP, deployment_id=1001)) == (
        f"{SUBJECT}: recorded as GitHub deployment 1001 in {MODEL}/Production"
    )
    assert repair_line(DeploymentRepair(GAP, skipped=True)) == (
        f"{SUBJECT}: recorded meanwhile; nothing sent"
    )
    assert repair_line(DeploymentRepair(GAP, why="GitHub answered 502\nagain")) == (
        f"{SUBJECT}: still not recorded: GitHub answered 502 again"
    )
    assert repair_line(DeploymentRepair(GAP, deployment_id=1001, why="its status is missing")) == (
        f"{SUBJECT}: still not recorded: its status is missing"
    )


# ---- text people wrote, as GitHub shows it ----------------------------------------------------

RUN_URL = "https://github.com/acme/models/actions/runs/9876/attempts/2"


def registered(**tags: str) -> Registered:
    return Registered(
        model="m",
        version=3,
        run_id="r" * 32,
        model_uri="models:/m/3",
        source="models:/m-1",
        tags={"git_commit": "0" * 40, "ci_run_url": RUN_URL, **tags},
    )


def test_hostile_tags_and_metric_names_are_shown_as_typed() -> None:
    tags = {
        "git_branch": "x` @acme/everyone <img src=https://evil.example/p.png> |",
        "git_pull_request": "7 [Approve](https://evil.example/approve)",
        "ci_actor": "@acme/everyone",
        "ci_run_url": "https://evil.example/approve) [Approve here](https://evil.example",
    }
    metrics = {"<img src=https://evil.example/q.png>": 0.5, "@acme/everyone": 0.1}
    summary = ci_summary(registered(**tags), Comparison(metrics, None, {}))
    shown = seen(summary)

    assert shown.links == []
    assert "img" not in shown.tags
    assert shown.mentions == [] and shown.references == ["7"]  # "#7": the pull request
    text = visible(summary)
    assert "x' @acme/everyone <img src=https://evil.example/p.png> |" in text
    assert "#7 [Approve](https://evil.example/approve)" in text
    assert "<img src=https://evil.example/q.png> 0.500" in text


def test_the_workflow_run_promobot_made_is_a_link() -> None:
    shown = seen(ci_summary(registered(), Comparison({}, None, {})))
    assert shown.links == [RUN_URL]
