"""`promobot register`: CI's door. Trains nothing itself; it brackets the user's training.

    promobot register start-run --experiment NAME [--run-name NAME] [--tag KEY=VALUE]…
        creates an MLflow run tagged with the git metadata of the workflow run, prints
        its id and exports it (MLFLOW_RUN_ID to $GITHUB_ENV, run-id to $GITHUB_OUTPUT),
        so the training command that follows logs into that run.

    promobot register --model NAME [--run-id ID] [--artifact model] [--request TARGET]
                      [--reason TEXT] [--tag KEY=VALUE]…
        registers the model the run logged as a new version, tags the version with the
        same git metadata, writes the step outputs (version, run-id, model-uri,
        request-status, request-id) and a job summary ($GITHUB_STEP_SUMMARY) with the
        metrics against the version now in Production; with --request, asks for the
        target at once as `cli:ci` (channel `ci`), under the policy like anyone else.

The git metadata comes from the variables Actions sets (GITHUB_SHA, GITHUB_REF_NAME,
GITHUB_HEAD_REF, GITHUB_EVENT_PATH, GITHUB_SERVER_URL, GITHUB_REPOSITORY, GITHUB_RUN_ID,
GITHUB_ACTOR); outside Actions they are simply absent. The composite action
actions/train-register is only these two commands around the training command.

Exit status: 0 registered (and the request done or pending); 1 refused (no such run, no
logged model, the request refused by policy, MLflow refusing what it was asked or whose
credentials: its message says what, and this door what to do); 2 usage error; 3 MLflow
unreachable (no answer, or its own 5xx failure: the same command may work later).
"""

from __future__ import annotations

import argparse
import json
import os
import re
import sys
import uuid
from collections.abc import Mapping
from dataclasses import replace
from pathlib import Path
from typing import TYPE_CHECKING, Any

from bot.app import build_registration
from bot.config import load_settings
from bot.core.commands import Promote, VersionSpec, parse
from bot.core.ports.registry import RegistryError
from bot.core.results import Comparison
from bot.core.service import Context
from bot.doors.common import ExitCode, exit_code, registry_exit, run_url
from bot.doors.setup import open_service
from bot.render.ci import ci_summary
from bot.render.message import to_text

if TYPE_CHECKING:
    from bot.config import Settings
    from bot.core.commands import Target
    from bot.core.results import Comparison, Registered, Result

CI_ACTOR = "cli:ci"
CI_CHANNEL = "ci"
# What `promobot register` writes to $GITHUB_OUTPUT (actions/train-register declares these).
REGISTER_OUTPUTS = ("version", "run-id", "model-uri", "request-status", "request-id")
START_RUN_OUTPUTS = ("run-id", "experiment-id")
START_RUN_ENV = ("MLFLOW_RUN_ID", "MLFLOW_EXPERIMENT_ID")

_MODEL_RE = re.compile(r"[A-Za-z0-9][A-Za-z0-9._-]{0,255}")
_RUN_ID_RE = re.compile(r"[0-9a-fA-F]{32}")
_TAG_KEY_RE = re.compile(r"[A-Za-z0-9_\-. /]{1,250}")
_SHA_RE = re.compile(r"[0-9a-fA-F]{40}")
_REPO_RE = re.compile(r"[A-Za-z0-9_.-]+/[A-Za-z0-9_.-]+")
_PR_IN_MESSAGE = (re.compile(r"^Merge pull request #(\d+)\b"), re.compile(r"\(#(\d+)\)\s*$"))

REGISTER_USAGE = (
    "promobot register --model NAME [--run-id ID] [--artifact NAME] [--request TARGET]\n"
    "                         [--reason TEXT] [--tag KEY=VALUE]..."
)
START_USAGE = "promobot register start-run --experiment NAME [--run-name NAME] [--tag KEY=VALUE]..."
EPILOG = """\
Environment: MLFLOW_TRACKING_URI (and MLFLOW_TRACKING_USERNAME/PASSWORD for a server),
PROMOBOT_POLICY for --request, and the GITHUB_* variables Actions sets.
Exit status: 0 registered; 1 refused (no such run, no logged model, request refused,
MLflow refused, e.g. a missing permission); 2 usage error; 3 MLflow unreachable."""


class _UsageError(Exception):
    pass


class _Parser(argparse.ArgumentParser):
    """argparse that reports a mistake as exit 2 with a hint, never SystemExit mid-run."""

    def error(self, message: str) -> Any:  # type: ignore[override]
        raise _UsageError(f"{self.prog}: {message}")


def build_parsers() -> tuple[argparse.ArgumentParser, argparse.ArgumentParser]:
    register = _Parser(
        prog="promobot register",
        allow_abbrev=False,
        usage=REGISTER_USAGE,
        description=(
            "Register the model an MLflow run logged as a new version, tagged with the git\n"
            "metadata of the workflow run; optionally request a target for it at once.\n"
            "`promobot register start-run --help` explains the step before training."
        ),
        epilog=EPILOG,
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    register.add_argument("--model", required=True, metavar="NAME", help="registered model name")
    register.add_argument(
        "--run-id",
        default=None,
        metavar="ID",
        help="the run that logged the model (default $MLFLOW_RUN_ID)",
    )
    register.add_argument(
        "--artifact",
        default="model",
        metavar="NAME",
        help="the name the model was logged under (default: model)",
    )
    register.add_argument(
        "--request",
        default="",
        metavar="TARGET",
        help="ask for this target at once as cli:ci, e.g. staging",
    )
    register.add_argument(
        "--reason",
        default="",
        metavar="TEXT",
        help="the reason given with --request (default: names the commit)",
    )
    register.add_argument(
        "--tag",
        action="append",
        default=[],
        metavar="KEY=VALUE",
        help="an extra model-version tag (repeatable)",
    )

    start = _Parser(
        prog="promobot register start-run",
        allow_abbrev=False,
        usage=START_USAGE,
        description=(
            "Create an MLflow run tagged with the commit, branch, pull request, workflow run\n"
            "URL and actor; print its id and export it as MLFLOW_RUN_ID ($GITHUB_ENV) and\n"
            "run-id ($GITHUB_OUTPUT), so the training command that follows logs into it."
        ),
        epilog=EPILOG,
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    start.add_argument(
        "--experiment", required=True, metavar="NAME", help="MLflow experiment (created if missing)"
    )
    start.add_argument("--run-name", default=None, metavar="NAME", help="MLflow run name")
    start.add_argument(
        "--tag",
        action="append",
        default=[],
        metavar="KEY=VALUE",
        help="an extra run tag (repeatable)",
    )
    return register, start


def run_register(args: list[str]) -> int:
    register, start = build_parsers()
    sub = args[0] if args and not args[0].startswith("-") else ""
    parser = start if sub == "start-run" else register
    rest = args[1:] if sub == "start-run" else args
    try:
        if sub and sub != "start-run":
            raise _UsageError(
                f"promobot register: unknown subcommand {sub!r} "
                "(the subcommand is `start-run`; registering takes flags only)"
            )
        try:
            options = parser.parse_args(rest)
        except SystemExit as done:  # --help
            return int(done.code or 0)
        if parser is start:
            return _start_run(options)
        return _register(options)
    except _UsageError as exc:
        print(exc, file=sys.stderr)
        print(f"Run `{parser.prog} --help` for the options.", file=sys.stderr)
        return ExitCode.USAGE


# ---- git metadata --------------------------------------------------------------------------


def git_metadata(env: Mapping[str, str] | None = None) -> dict[str, str]:
    """The git_* and ci_* tags for this workflow run, from the GITHUB_* variables.

    In a pull_request event the commit is the pull request's head (GITHUB_SHA is a merge
    commit there), so that `/promote <model> <target>` in that pull request finds it."""
    env = os.environ if env is None else env
    event = _event(env.get("GITHUB_EVENT_PATH", ""))
    pull = event.get("pull_request") if isinstance(event.get("pull_request"), dict) else {}
    head = pull.get("head") if isinstance(pull.get("head"), dict) else {}
    sha = str(head.get("sha") or env.get("GITHUB_SHA") or "")
    repository = env.get("GITHUB_REPOSITORY", "").strip()
    tags = {
        # owner/name, so the version's commit can be found again on GitHub (deployments,
        # the checks gate): GitHub Enterprise hosts are GITHUB_API_URL's business.
        "git_repository": repository if _REPO_RE.fullmatch(repository) else "",
        "git_commit": sha.lower() if _SHA_RE.fullmatch(sha) else "",
        "git_branch": env.get("GITHUB_HEAD_REF") or env.get("GITHUB_REF_NAME") or "",
        "git_pull_request": _pull_request_number(event),
        "ci_run_url": run_url(env, attempt=True),
        "ci_actor": env.get("GITHUB_TRIGGERING_ACTOR") or env.get("GITHUB_ACTOR") or "",
    }
    return {key: value[:5000] for key, value in tags.items() if value}


def _event(path: str) -> dict[str, Any]:
    if not path:
        return {}
    try:
        loaded = json.loads(Path(path).read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return {}
    return loaded if isinstance(loaded, dict) else {}


def _pull_request_number(event: dict[str, Any]) -> str:
    pull = event.get("pull_request")
    if isinstance(pull, dict) and pull.get("number"):
        return str(int(pull["number"]))
    issue = event.get("issue")
    if isinstance(issue, dict) and issue.get("pull_request") and issue.get("number"):
        return str(int(issue["number"]))
    # A push of a merged pull request: GitHub's merge and squash messages name it.
    head = event.get("head_commit")
    message = head.get("message") if isinstance(head, dict) else None
    if isinstance(message, str) and message.strip():
        first = message.strip().splitlines()[0]
        for pattern in _PR_IN_MESSAGE:
            if found := pattern.search(first):
                return found.group(1)
    return ""


# ---- start-run ------------------------------------------------------------------------------


def _start_run(options: argparse.Namespace) -> int:

    extra = _tags(options.tag)
    if not options.experiment.strip():
        raise _UsageError("promobot register start-run: --experiment needs a name")
    meta = git_metadata()
    registration = build_registration(load_settings())
    try:
        run_id, experiment_id = registration.start_run(
            options.experiment, meta, extra, options.run_name
        )
    except RegistryError as exc:
        print(f"promobot register start-run: {exc}", file=sys.stderr)
        return registry_exit(exc)
    # The training command resumes this run: mlflow.start_run() reads MLFLOW_RUN_ID, and
    # MLFLOW_EXPERIMENT_ID keeps a script that sets no experiment in the run's own.
    write_github_file("GITHUB_ENV", dict(zip(START_RUN_ENV, (run_id, experiment_id), strict=True)))
    write_github_file(
        "GITHUB_OUTPUT", dict(zip(START_RUN_OUTPUTS, (run_id, experiment_id), strict=True))
    )
    print(run_id)
    print(
        f"Started MLflow run {run_id} in experiment {options.experiment!r} "
        f"({', '.join(f'{k}={v}' for k, v in meta.items()) or 'no git metadata'})",
        file=sys.stderr,
    )
    return ExitCode.OK


# ---- register -------------------------------------------------------------------------------


def _register(options: argparse.Namespace) -> int:

    model = options.model.strip()
    if not _MODEL_RE.fullmatch(model) or ".." in model:
        raise _UsageError(
            f"promobot register: {model[:80]!r} is not a valid model name "
            "(letters, digits, `.`, `_`, `-`; starting with a letter or digit)"
        )
    run_id = (options.run_id or os.environ.get("MLFLOW_RUN_ID") or "").strip()
    if not run_id:
        raise _UsageError(
            "promobot register: --run-id is required (or set MLFLOW_RUN_ID, "
            "as `promobot register start-run` does)"
        )
    if not _RUN_ID_RE.fullmatch(run_id):
        raise _UsageError(
            f"promobot register: {run_id[:80]!r} is not an MLflow run id (32 hex characters)"
        )
    if not options.artifact.strip():
        raise _UsageError("promobot register: --artifact needs a name")
    extra = _tags(options.tag)
    target = _request_target(model, options.request) if options.request else None

    settings = load_settings()
    registration = build_registration(settings)
    try:
        registered = registration.register(
            model, run_id, options.artifact.strip(), extra, git_metadata()
        )
        if isinstance(registered, str):
            print(f"promobot register: {registered}", file=sys.stderr)
            return ExitCode.REFUSED
    except RegistryError as exc:
        print(f"promobot register: {exc}", file=sys.stderr)
        return registry_exit(exc)
    try:
        comparison = registration.compare_with_production(model, run_id)
    except RegistryError as exc:  # registered all the same: say so, and carry on
        print(f"promobot register: could not read the metrics to compare: {exc}", file=sys.stderr)
        comparison = Comparison({}, None, {})

    outputs = {
        "version": str(registered.version),
        "run-id": run_id,
        "model-uri": registered.model_uri,
        "request-status": "",
        "request-id": "",
    }
    print(f"Registered {model} v{registered.version} ({registered.model_uri}) from run {run_id}")
    result = None
    code = ExitCode.OK
    if target is not None:
        result, code = _request(settings, registered, target, options.reason)
        if result is not None:
            outputs["request-status"] = result.status
            outputs["request-id"] = result.request_id or ""
        else:
            outputs["request-status"] = "error"
    write_github_file("GITHUB_OUTPUT", outputs)
    _write_summary(registered, comparison, target, result)
    return code


def _request_target(model: str, text: str) -> Target:

    parsed = parse(f"promote {model} v1 {text.strip()}")
    command = parsed.command
    if not isinstance(command, Promote) or command.reason or command.dry_run:
        problem = (parsed.reply or "").splitlines()[0] if parsed.reply else ""
        raise _UsageError(
            f"promobot register: --request {text.strip()[:60]!r} is not a "
            f"target. {problem or 'Give one target, e.g. --request staging.'}"
        )
    return command.target


def _request(
    settings: Settings, registered: Registered, target: Target, reason: str
) -> tuple[Result | None, int]:

    commit = registered.tags.get("git_commit", "")
    reason = reason.strip() or (
        f"registered by CI from commit {commit[:12]}" if commit else "registered by CI"
    )
    service, failure = open_service(settings)
    if service is None:
        if failure and failure.code == ExitCode.REFUSED:
            headline = "promobot register: the policy files are invalid; nothing was requested:"
            failure = replace(failure, headline=headline)
        return None, failure.report() if failure else ExitCode.USAGE
    command = Promote(
        registered.model, VersionSpec("number", str(registered.version)), target, reason
    )
    ctx = Context(actor=CI_ACTOR, channel=CI_CHANNEL, link=registered.tags.get("ci_run_url", ""))
    try:
        result = service.handle(command, ctx)
    except RegistryError as exc:
        print(f"promobot register: the {target.label} request failed: {exc}", file=sys.stderr)
        return None, registry_exit(exc)
    print(to_text(result))
    return result, exit_code(result)


# ---- outputs and summary --------------------------------------------------------------------


def write_github_file(variable: str, values: Mapping[str, str]) -> None:
    """Append `name=value` lines to the file Actions names in `variable` (GITHUB_OUTPUT,
    GITHUB_ENV); a value with a line break uses the delimiter form."""
    path = os.environ.get(variable, "")
    if not path:
        return
    with open(path, "a", encoding="utf-8") as fh:
        for name, value in values.items():
            if "\n" in value or "\r" in value:
                delimiter = f"promobot_{uuid.uuid4().hex}"
                fh.write(f"{name}<<{delimiter}\n{value}\n{delimiter}\n")
            else:
                fh.write(f"{name}={value}\n")


def _write_summary(
    registered: Registered, comparison: Comparison, target: Target | None, result: Result | None
) -> None:

    path = os.environ.get("GITHUB_STEP_SUMMARY", "")
    if not path:
        return
    with open(path, "a", encoding="utf-8") as fh:
        fh.write(ci_summary(registered, comparison, target.label if target else None, result))


def _tags(pairs: list[str]) -> dict[str, str]:
    tags: dict[str, str] = {}
    for pair in pairs:
        key, sep, value = pair.partition("=")
        key = key.strip()
        if not sep or not _TAG_KEY_RE.fullmatch(key) or key.startswith("/"):
            raise _UsageError(
                f"promobot register: --tag {pair[:80]!r} is not KEY=VALUE with a "
                "key of letters, digits, `_ - . /` and spaces"
            )
        tags[key] = value
    return tags
