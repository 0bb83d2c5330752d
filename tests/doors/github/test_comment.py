"""`promobot github`: pull-request comments in, reactions and one reply out.

MLflow is a real SQLite registry (never mocked). GitHub is faked at the HTTP level:
`responses` answers PyGithub's exact URLs in-process, and a small http.server on
127.0.0.1 stands in for the API when `promobot github` runs as a real process.
"""

from __future__ import annotations

import json
import os
import re
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
import requests
from conftest import REPO
from fake_github import FakeGitHubServer
from github_door_helpers import (
    API,
    HEAD_SHA,
    MODEL,
    OTHER_SHA,
    PERMISSIONS,
    PR,
    REACTIONS,
    REPO_PATH,
    UNREACHABLE,
    FakeGitHub,
    actions_env,
    answered_github,
    comment_event,
    version_with_metrics,
)
from markdown_seen import visible

from bot.doors.github.comment import is_command, run_github


@pytest.fixture
def github_env(tracking_uri: str, monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> Path:
    return actions_env(tracking_uri, monkeypatch, tmp_path)


@pytest.fixture
def github(github_env: Path) -> Iterator[FakeGitHub]:
    with answered_github() as fake:
        yield fake


@pytest.mark.parametrize(
    ("body", "expected"),
    [
        ("/promote sentiment-classifier v1 staging", True),
        ("  /STATUS sentiment-classifier", True),
        ("/promobot help", True),
        ("/approve req-7f3a2c\nlooks good", True),
        ("Looks good!\n/promote sentiment-classifier v1 staging", False),
        ("/promotes sentiment-classifier", False),
        ("/help", False),
        ("promote sentiment-classifier v1 staging", False),
        ("", False),
    ],
    ids=[
        "promote",
        "case-and-space",
        "promobot",
        "multiline",
        "not-first-line",
        "near-word",
        "help-alone",
        "no-slash",
        "empty",
    ],
)
def test_only_a_first_line_command_word_makes_a_command(body: str, expected: bool) -> None:
    assert is_command(body) is expected


# ---- the happy path ------------------------------------------------------------------------


def test_write_user_promotes_to_staging(
    github: FakeGitHub, models: Any, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    version = version_with_metrics(models)
    event = comment_event(tmp_path, monkeypatch)

    assert run_github([]) == 0

    assert models.stage(MODEL, version) == "Staging"
    assert models.aliases(MODEL) == {"staging": version}
    tags = models.tags(MODEL, version)
    assert tags["promotion_link"] == event["comment"]["html_url"]
    assert tags["promotion_channel"] == "github"
    assert tags["requested_by"] == "bob@example.com"
    assert tags["promotion_reason"] == "ready for QA"
    assert github.reactions() == ["eyes", "rocket"]
    # The gate came first, before the 👀.
    assert github.calls()[0] == ("GET", f"{API}{REPO_PATH}/collaborators/bob/permission")
    [reply] = github.replies()
    assert reply.splitlines()[0].startswith(f"🚀 **{MODEL} v{version} → Staging** done")
    assert "| metric |" in reply
    assert f"`models:/{MODEL}/Staging`" in reply


def test_help_is_answered_without_touching_the_registry(
    github: FakeGitHub, models: Any, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("MLFLOW_TRACKING_URI", UNREACHABLE)
    comment_event(tmp_path, monkeypatch, body="/promobot help promote")

    assert run_github([]) == 0

    [reply] = github.replies()
    assert "Usage: `promote <model> <version> <target>" in reply
    assert github.reactions() == ["eyes", "rocket"]
    assert all(url.startswith(API) for _, url in github.calls())


# ---- the permission gate -------------------------------------------------------------------


@pytest.mark.parametrize(
    ("login", "permission", "says"),
    [
        ("carol", "read", "@carol has read access"),
        ("eve", None, "@eve is not a collaborator"),
    ],
    ids=["read-only", "non-collaborator-404"],
)
def test_below_write_is_refused_before_any_registry_call(
    github: FakeGitHub,
    models: Any,
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
    login: str,
    permission: str | None,
    says: str,
) -> None:
    version = version_with_metrics(models)
    before = models.snapshot(MODEL)
    if permission is None:
        github.permission(login, None)
    # Any MLflow call would now fail, or show up among the HTTP calls below.
    monkeypatch.setenv("MLFLOW_TRACKING_URI", UNREACHABLE)
    comment_event(tmp_path, monkeypatch, body=f"/promote {MODEL} v{version} staging", login=login)

    assert run_github([]) == 1

    assert models.snapshot(MODEL) == before
    assert all(url.startswith(f"{API}{REPO_PATH}/") for _, url in github.calls())
    assert github.reactions() == ["eyes", "-1"]
    [reply] = github.replies()
    assert reply.startswith("❌ Refused")
    assert says in visible(reply)  # as GitHub shows it (the @ mentions no one)
    assert "write access or higher" in reply
    assert "To get past it:" in reply


def test_the_minimum_permission_is_configurable(
    github: FakeGitHub, models: Any, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    version_with_metrics(models)
    monkeypatch.setenv("PROMOBOT_GITHUB_MIN_PERMISSION", "read")
    comment_event(tmp_path, monkeypatch, body=f"/status {MODEL}", login="carol")

    assert run_github([]) == 0

    [reply] = github.replies()
    assert reply.startswith(f"📦 **{MODEL}**")
    assert github.reactions() == ["eyes", "rocket"]


def test_an_unknown_minimum_permission_is_a_setup_error_before_any_call(
    github: FakeGitHub, tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: Any
) -> None:
    monkeypatch.setenv("PROMOBOT_GITHUB_MIN_PERMISSION", "owner")
    comment_event(tmp_path, monkeypatch)

    assert run_github([]) == 2

    assert github.calls() == []
    assert "PROMOBOT_GITHUB_MIN_PERMISSION must be one of read, triage" in capsys.readouterr().err


def test_an_unknown_minimum_permission_does_not_stop_an_ignored_comment(
    github: FakeGitHub, tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: Any
) -> None:
    monkeypatch.setenv("PROMOBOT_GITHUB_MIN_PERMISSION", "owner")
    comment_event(tmp_path, monkeypatch, body="Looks good to me")

    assert run_github([]) == 0

    assert github.calls() == []
    assert "nothing to do" in capsys.readouterr().out


@pytest.mark.parametrize("debug", ["", "1"], ids=["quiet", "PROMOBOT_DEBUG"])
def test_an_internal_error_is_one_line_unless_debugging(
    github: FakeGitHub,
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
    capsys: Any,
    debug: str,
) -> None:
    from bot.doors.github import comment as github_door

    def broken(path: str) -> Any:
        raise RuntimeError("boom")

    comment_event(tmp_path, monkeypatch)
    monkeypatch.setenv("PROMOBOT_DEBUG", debug)
    monkeypatch.setattr(github_door, "read_event", broken)

    assert run_github([]) == 3

    err = capsys.readouterr().err
    assert "promobot github: internal error: RuntimeError: boom" in err
    assert ("Traceback" in err) is bool(debug)
    assert github.calls() == []


# ---- what is ignored -----------------------------------------------------------------------


@pytest.mark.parametrize(
    "fixture",
    [
        "issue_comment_plain_issue.json",
        "pr_comment_edited.json",
        "pr_comment_not_command.json",
    ],
    ids=["plain-issue", "edited", "not-a-command"],
)
def test_ignored_comments_make_no_call_at_all(
    github: FakeGitHub,
    models: Any,
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
    fixture: str,
) -> None:
    version_with_metrics(models)
    before = models.all_models()
    monkeypatch.setenv("MLFLOW_TRACKING_URI", UNREACHABLE)
    comment_event(tmp_path, monkeypatch, fixture=fixture)

    assert run_github([]) == 0

    assert github.calls() == []
    assert models.all_models() == before


# ---- hostile text is data ------------------------------------------------------------------


def test_a_hostile_comment_is_only_text_for_the_parser(
    github: FakeGitHub,
    github_env: Path,
    models: Any,
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    version_with_metrics(models)
    before = models.all_models()
    event = comment_event(tmp_path, monkeypatch, fixture="pr_comment_hostile.json", login="mallory")
    assert "$(touch PWNED_BY_DOLLAR)" in event["comment"]["body"]

    assert run_github([]) == 1

    [reply] = github.replies()
    assert reply.startswith("❓ **promobot could not read that command.**")
    assert "is not a valid model name" in reply
    assert "Usage: `promote <model> <version> <target>" in reply
    assert github.reactions() == ["eyes", "-1"]
    assert models.all_models() == before
    # Nothing the comment names was run: no file appeared where a shell would have made it.
    assert sorted(p.name for p in github_env.iterdir()) == []
    assert "ghs_test_token" not in reply


# ---- approvals across comments -------------------------------------------------------------


def test_a_second_person_approves_a_pending_request_from_the_same_pr(
    github: FakeGitHub, models: Any, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    old = version_with_metrics(models, accuracy=0.88, f1=0.86)
    models.client.transition_model_version_stage(MODEL, str(old), "Production")
    new = version_with_metrics(models, accuracy=0.92, f1=0.90)
    comment_event(tmp_path, monkeypatch, body=f"/promote {MODEL} v{new} staging", comment_id=14)
    assert run_github([]) == 0
    assert models.stage(MODEL, new) == "Staging"

    comment_event(
        tmp_path,
        monkeypatch,
        body=f"/promote {MODEL} v{new} production passed shadow test",
        comment_id=21,
    )
    assert run_github([]) == 0
    request_reply = github.replies()[-1]
    assert request_reply.startswith(f"⏳ **{MODEL} v{new} → Production** is waiting for 1 approval")
    request_id = re.search(r"request `(req-[0-9a-f]+)`", request_reply)
    assert request_id is not None
    assert f"comments `/approve {request_id.group(1)}`" in request_reply
    assert models.stage(MODEL, new) == "Staging"

    # bob cannot approve his own request …
    comment_event(tmp_path, monkeypatch, body=f"/approve {request_id.group(1)}", comment_id=22)
    assert run_github([]) == 1
    assert models.stage(MODEL, new) == "Staging"

    # … alice can.
    approval = comment_event(
        tmp_path,
        monkeypatch,
        body=f"/approve {request_id.group(1)} lgtm",
        login="alice",
        comment_id=23,
    )
    assert run_github([]) == 0

    assert models.stage(MODEL, new) == "Production"
    assert models.stage(MODEL, old) == "Archived"
    tags = models.tags(MODEL, new)
    assert tags["requested_by"] == "bob@example.com"
    assert tags["approved_by"] == "alice@example.com"
    assert tags["promotion_request"] == request_id.group(1)
    # The link is where the request was made, not where it was approved.
    assert tags["promotion_link"].endswith("#issuecomment-21")
    assert approval["comment"]["html_url"].endswith("#issuecomment-23")
    done = github.replies()[-1]
    assert done.startswith(f"🚀 **{MODEL} v{new} → Production** done (v{old} moved out)")
    assert github.reactions()[-4:] == ["eyes", "-1", "eyes", "rocket"]


def test_lock_and_unlock_from_comments(
    github: FakeGitHub,
    models: Any,
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
    tracking_uri: str,
) -> None:
    from service_helpers import run

    from bot.adapters.mlflow.gateway import Registry
    from bot.core.policy import load_policy
    from bot.core.service import Service

    # Both promoted through promobot: a break-glass rollback restores only what it put there.
    service = Service(Registry(tracking_uri), load_policy(os.environ["PROMOBOT_POLICY"]))
    old = version_with_metrics(models, accuracy=0.88, f1=0.86)
    current = version_with_metrics(models, accuracy=0.89, f1=0.87)
    for v in (old, current):
        run(service, "github:bob", f"promote {MODEL} v{v} staging candidate")
        asked = run(service, "github:bob", f"promote {MODEL} v{v} production shadow ok")
        assert run(service, "github:alice", f"approve {asked.request_id}").status == "done"
    version = version_with_metrics(models)
    models.client.transition_model_version_stage(MODEL, str(version), "Staging")
    comment_event(
        tmp_path,
        monkeypatch,
        body=f"/lock {MODEL} production incident 4711\nsee the status page",
        login="alice",
        comment_id=41,
    )

    assert run_github([]) == 0

    locked = github.replies()[-1]
    assert locked.splitlines()[0] == f"🔒 **{MODEL} → Production** locked"
    assert "by alice@example.com" in locked and "until unlocked" in locked
    assert f"comments `/unlock {MODEL} production`" in locked
    (record,) = [
        json.loads(v)
        for k, v in models.model_tags(MODEL).items()
        if k.startswith("mlflow.promobot.target-lock.")
    ]
    assert (record["kind"], record["by"], record["channel"]) == (
        "lock",
        "alice@example.com",
        "github",
    )
    assert record["reason"] == "incident 4711\nsee the status page"
    before = models.snapshot(MODEL)

    comment_event(
        tmp_path,
        monkeypatch,
        body=f"/promote {MODEL} v{version} production passed shadow test",
        comment_id=42,
    )
    assert run_github([]) == 1

    refused = github.replies()[-1]
    assert refused.startswith(f"❌ **{MODEL} v{version} → Production** refused")
    assert "is locked by alice@example.com since" in refused
    assert "incident 4711 see the status page" in refused
    assert f"`unlock {MODEL} production`" in refused
    assert models.snapshot(MODEL) == before

    # mallory may comment (write access) but is nobody the policy names.
    comment_event(
        tmp_path, monkeypatch, body=f"/unlock {MODEL} production", login="mallory", comment_id=43
    )
    assert run_github([]) == 1
    assert "github:mallory is not in the policy's people" in github.replies()[-1]
    assert models.snapshot(MODEL) == before

    # alice (a lead) rolls back through the lock: break-glass.
    comment_event(
        tmp_path,
        monkeypatch,
        body=f"/rollback {MODEL} production to v{old} latency doubled",
        login="alice",
        comment_id=46,
    )
    assert run_github([]) == 0
    rolled = github.replies()[-1]
    assert rolled.startswith(
        f"⏪ **{MODEL} v{old} → Production** rolled back (v{current} moved out)"
    )
    assert "a rollback passes a lock" in rolled
    assert models.stage(MODEL, old) == "Production"

    comment_event(tmp_path, monkeypatch, body=f"/unlock {MODEL} production", comment_id=44)
    assert run_github([]) == 0
    assert github.replies()[-1].startswith(f"🔓 **{MODEL} → Production** unlocked")
    assert github.reactions()[-8:] == [
        "eyes",
        "-1",
        "eyes",
        "-1",
        "eyes",
        "rocket",
        "eyes",
        "rocket",
    ]

    comment_event(tmp_path, monkeypatch, body=f"/lock {MODEL} production --for soon", comment_id=45)
    assert run_github([]) == 1
    assert "`--for` takes a duration" in github.replies()[-1]


def test_a_decision_updates_slack_and_a_slack_failure_never_fails_the_comment(
    github: FakeGitHub, models: Any, tmp_path: Path, monkeypatch: pytest.MonkeyPatch, caplog: Any
) -> None:
    """With SLACK_BOT_TOKEN set, the Slack notifier hears of a decision made here; Slack
    failing is logged and the comment is answered all the same."""
    import logging

    from bot.notifiers import slack

    version = version_with_metrics(models)
    models.client.transition_model_version_stage(MODEL, str(version), "Staging")
    calls: list[tuple[Any, Any]] = []

    def update_request_message(service: Any, client: Any, result: Any, **_: Any) -> None:
        calls.append((result.action, result.request_id))
        raise RuntimeError("Slack is down")

    monkeypatch.setattr(slack, "update_request_message", update_request_message)
    monkeypatch.setenv("SLACK_BOT_TOKEN", "xoxb-test")
    comment_event(tmp_path, monkeypatch, body=f"/promote {MODEL} v{version} production ok")
    assert run_github([]) == 0
    request_id = re.search(r"request `(req-[0-9a-f]+)`", github.replies()[-1])
    assert request_id is not None
    assert calls == []  # a request is not a decision

    comment_event(
        tmp_path,
        monkeypatch,
        body=f"/deny {request_id.group(1)} not yet",
        login="alice",
        comment_id=31,
    )
    with caplog.at_level(logging.WARNING, logger="promobot.events"):
        assert run_github([]) == 0

    assert calls == [("deny", request_id.group(1))]
    assert f"a notifier failed on request_decided of {request_id.group(1)}" in caplog.text
    assert "Slack is down" in caplog.text
    assert github.replies()[-1].startswith(f"🛑 **{MODEL} v{version} → Production** denied")


def test_a_request_made_here_is_posted_in_the_models_slack_channel_and_a_click_completes_it(
    github: FakeGitHub, models: Any, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """With SLACK_BOT_TOKEN and a channel for the model, what is asked in a comment is
    announced where the approvers are; a lead's click in Slack carries it out."""
    from bolt_helpers import BoltSlack
    from fake_slack import FakeSlack

    from bot.app import build_service
    from bot.config import Settings

    version = version_with_metrics(models)
    with FakeSlack() as slack:
        monkeypatch.setenv("SLACK_BOT_TOKEN", "xoxb-test")
        monkeypatch.setenv("SLACK_API_URL", slack.api_url)
        monkeypatch.setenv("PROMOBOT_SLACK_CHANNEL", "C0MODELS")
        staged = comment_event(tmp_path, monkeypatch, comment_id=14)
        assert run_github([]) == 0
        asked = comment_event(
            tmp_path,
            monkeypatch,
            body=f"/promote {MODEL} v{version} production passed shadow test",
            comment_id=21,
        )
        assert run_github([]) == 0

        done, request = slack.api_calls("chat.postMessage")
        assert done.body["channel"] == request.body["channel"] == "C0MODELS"
        assert f"*{MODEL} v{version} → Staging* done" in done.text
        assert f"Asked in a pull-request comment: {staged['comment']['html_url']}" in done.text
        assert f"*{MODEL} v{version} → Production* is waiting for 1 approval" in request.text
        assert f"Asked in a pull-request comment: {asked['comment']['html_url']}" in request.text
        request_id = re.search(r"request `(req-[0-9a-f]+)`", github.replies()[-1])
        assert request_id is not None
        assert [(b["action_id"], b["value"]) for b in request.actions()] == [
            ("promobot_approve", request_id.group(1)),
            ("promobot_approve_comment", request_id.group(1)),
            ("promobot_deny", request_id.group(1)),
        ]

        BoltSlack(build_service(Settings()), slack).click(
            "U01ALICE", request, "promobot_approve", "approve"
        )

        assert models.stage(MODEL, version) == "Production"
        tags = models.tags(MODEL, version)
        assert (tags["requested_by"], tags["approved_by"]) == (
            "bob@example.com",
            "alice@example.com",
        )
        assert tags["promotion_link"] == asked["comment"]["html_url"]
        [update] = slack.api_calls("chat.update")
        assert (update.body["channel"], update.body["ts"]) == ("C0MODELS", request.answer["ts"])
        assert f"*{MODEL} v{version} → Production* done" in update.text
        assert len(slack.api_calls("chat.postMessage")) == 2


# ---- a version from the pull request's head --------------------------------------------------


def test_promote_without_a_version_takes_the_one_built_from_the_pr_head(
    github: FakeGitHub, models: Any, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    from_head = version_with_metrics(models)
    models.client.set_model_version_tag(MODEL, str(from_head), "git_commit", HEAD_SHA)
    later_other = version_with_metrics(models)
    models.client.set_model_version_tag(MODEL, str(later_other), "git_commit", OTHER_SHA)
    comment_event(tmp_path, monkeypatch, body=f"/promote {MODEL} staging try the PR build")

    assert run_github([]) == 0

    assert (
        "GET",
        f"{API}{REPO_PATH}/pulls/{PR}",
    ) in github.calls()
    assert models.stage(MODEL, from_head) == "Staging"
    assert models.stage(MODEL, later_other) == "None"
    assert github.replies()[0].startswith(f"🚀 **{MODEL} v{from_head} → Staging** done")


def test_promote_without_a_version_says_so_when_the_head_has_none(
    github: FakeGitHub, models: Any, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    version = version_with_metrics(models)
    models.client.set_model_version_tag(MODEL, str(version), "git_commit", OTHER_SHA)
    before = models.snapshot(MODEL)
    comment_event(tmp_path, monkeypatch, body=f"/promote {MODEL} staging")

    assert run_github([]) == 1

    assert models.snapshot(MODEL) == before
    [reply] = github.replies()
    assert f"head commit `{HEAD_SHA[:12]}`" in reply
    assert f"`/promote {MODEL} v3 staging`" in reply
    assert github.reactions() == ["eyes", "-1"]


# ---- systems that fail -------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("method", "url", "status", "says"),
    [
        (
            "POST",
            REACTIONS,
            403,
            "), the token lacks `issues: write` or the rate limit is used up: simulated",
        ),
        ("POST", REACTIONS, 404, "GitHub answered HTTP 404 (react eyes to comment "),
        (
            "POST",
            f"{API}{REPO_PATH}/issues/{PR}/comments",
            500,
            "GitHub answered HTTP 500 (comment on #7 in acme/models), GitHub had a problem",
        ),
        ("POST", f"{API}{REPO_PATH}/issues/{PR}/comments", 502, "HTTP 502 (comment on #7"),
        (
            "GET",
            f"{API}{REPO_PATH}/collaborators/bob/permission",
            503,
            "GitHub answered HTTP 503 (read the repository permission of @bob in acme/models)",
        ),
        (
            "GET",
            f"{API}{REPO_PATH}/collaborators/bob/permission",
            requests.ConnectionError("connection reset by peer"),
            "GitHub could not be reached at https://api.github.com (read the repository "
            "permission of @bob in acme/models): connection reset by peer",
        ),
    ],
    ids=[
        "reaction-403",
        "reaction-404",
        "comment-500",
        "comment-502",
        "permission-503",
        "network",
    ],
)
def test_github_api_errors_exit_3_with_a_clear_message(
    github: FakeGitHub,
    models: Any,
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
    capsys: Any,
    method: str,
    url: Any,
    status: int | Exception,
    says: str,
) -> None:
    version_with_metrics(models)
    github.fail(method, url, status)
    comment_event(tmp_path, monkeypatch)

    assert run_github([]) == 3

    err = capsys.readouterr().err
    assert says in err
    assert "promobot github: GitHub" in err
    assert "Traceback" not in err
    assert github.reactions()[-1] == "-1"  # the 👎 was at least attempted


def test_mlflow_unreachable_is_said_in_the_reply(
    github: FakeGitHub, tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: Any
) -> None:
    monkeypatch.setenv("MLFLOW_TRACKING_URI", UNREACHABLE)
    monkeypatch.setenv("GITHUB_SERVER_URL", "https://github.com")
    monkeypatch.setenv("GITHUB_RUN_ID", "555")
    comment_event(tmp_path, monkeypatch)

    assert run_github([]) == 3

    [reply] = github.replies()
    assert reply.startswith("⚠️ promobot could not reach MLflow")
    assert "https://github.com/acme/models/actions/runs/555" in visible(reply)
    assert "127.0.0.1:9" not in reply  # where MLflow lives stays in the log
    assert github.reactions() == ["eyes", "-1"]
    err = capsys.readouterr().err
    assert "MLflow" in err and "Traceback" not in err


def test_mlflow_refusing_is_said_in_the_reply_and_exits_1(
    github: FakeGitHub,
    mlflow_auth_server: Any,
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
    capsys: Any,
) -> None:
    """MLflow answered, and refused (here the credentials: 401 from its basic-auth): not
    "could not reach", and exit 1, not 3."""
    github.rsps.add_passthru(mlflow_auth_server.url)  # the real MLflow server answers
    monkeypatch.setenv("MLFLOW_TRACKING_URI", mlflow_auth_server.url)
    monkeypatch.setenv("MLFLOW_TRACKING_USERNAME", "admin")
    monkeypatch.setenv("MLFLOW_TRACKING_PASSWORD", "not-the-password")
    comment_event(tmp_path, monkeypatch)

    assert run_github([]) == 1

    [reply] = github.replies()
    assert reply.startswith(
        "⚠️ MLflow refused what promobot asked of it (UNAUTHENTICATED); the command was not "
        "carried out"
    )
    assert "put right what MLflow named" in reply and "try again in a minute" not in reply
    assert mlflow_auth_server.url not in reply and "not-the-password" not in reply
    assert github.reactions() == ["eyes", "-1"]
    err = capsys.readouterr().err
    assert "it did not accept the credentials promobot sent (UNAUTHENTICATED" in err
    assert "not-the-password" not in err and "Traceback" not in err


def test_setup_errors_exit_2_without_a_call(
    github: FakeGitHub, tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: Any
) -> None:
    comment_event(tmp_path, monkeypatch)
    monkeypatch.delenv("GITHUB_TOKEN")
    assert run_github([]) == 2
    assert "GITHUB_TOKEN is not set" in capsys.readouterr().err

    monkeypatch.setenv("GITHUB_TOKEN", "t")
    monkeypatch.setenv("GITHUB_EVENT_PATH", str(tmp_path / "missing.json"))
    assert run_github([]) == 2
    assert "cannot read the event file" in capsys.readouterr().err

    assert run_github(["--bogus"]) == 2
    assert run_github(["--help"]) == 0
    assert "PROMOBOT_GITHUB_MIN_PERMISSION" in capsys.readouterr().out
    assert github.calls() == []


# ---- a real process against a fake GitHub on 127.0.0.1 -------------------------------------------


@pytest.fixture
def fake_github_server() -> Iterator[tuple[str, list[tuple[str, str, Any]]]]:
    with FakeGitHubServer(
        "acme/models",
        PR,
        head_sha=HEAD_SHA,
        permissions=PERMISSIONS,
        comment_url="https://github.com/acme/models/pull/7",
    ) as github:
        yield github.url, github.calls


def _promobot() -> list[str]:
    script = Path(sys.executable).with_name("promobot")
    return [str(script)] if script.exists() else [sys.executable, "-m", "bot"]


def test_promobot_github_as_a_real_process(
    github_env: Path,
    models: Any,
    tracking_uri: str,
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
    fake_github_server: tuple[str, list[tuple[str, str, Any]]],
) -> None:
    url, calls = fake_github_server
    version = version_with_metrics(models)
    env = {
        **os.environ,
        "GITHUB_API_URL": url,
        "MLFLOW_TRACKING_URI": tracking_uri,
        "PYTHONPATH": str(REPO),
    }

    hostile = comment_event(
        tmp_path, monkeypatch, fixture="pr_comment_hostile.json", login="mallory"
    )
    env["GITHUB_EVENT_PATH"] = os.environ["GITHUB_EVENT_PATH"]
    done = subprocess.run(
        [*_promobot(), "github"],
        env=env,
        cwd=github_env,
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert done.returncode == 1, done.stderr
    assert "Traceback" not in done.stderr
    assert list(github_env.iterdir()) == []  # no PWNED_* file: nothing was executed
    posted = [body["body"] for method, path, body in calls if path.endswith("/comments")]
    assert len(posted) == 1 and "is not a valid model name" in posted[0]
    assert hostile["comment"]["body"] not in posted[0]

    calls.clear()
    comment_event(tmp_path, monkeypatch, comment_id=41)
    env["GITHUB_EVENT_PATH"] = os.environ["GITHUB_EVENT_PATH"]
    done = subprocess.run(
        [*_promobot(), "github"],
        env=env,
        cwd=github_env,
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert done.returncode == 0, done.stderr

    assert models.stage(MODEL, version) == "Staging"
    assert models.tags(MODEL, version)["promotion_link"].endswith("#issuecomment-41")
    assert [(method, path) for method, path, _ in calls] == [
        ("GET", f"{REPO_PATH}/collaborators/bob/permission"),
        ("POST", f"{REPO_PATH}/issues/comments/41/reactions"),
        ("POST", f"{REPO_PATH}/issues/{PR}/comments"),
        ("POST", f"{REPO_PATH}/issues/comments/41/reactions"),
    ]
    assert [body["content"] for _, path, body in calls if path.endswith("/reactions")] == [
        "eyes",
        "rocket",
    ]
