"""CI's job summary (bot/render/ci.py) with tags whoever registered the version (or named
the pull request's branch) wrote: read as GitHub shows it (tests/markdown_seen.py)."""

from __future__ import annotations

from markdown_seen import seen, visible

from bot.core.results import Comparison, Registered
from bot.render.ci import ci_summary

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
