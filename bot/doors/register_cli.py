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
logged model, the request refused by policy); 2 usage error; 3 MLflow unreachable.
"""

from __future__ import annotations

import argparse
import json
import os
import re
import sys
import uuid
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from bot.service import Comparison

EXIT_OK, EXIT_REFUSED, EXIT_USAGE, EXIT_UNAVAILABLE = 0, 1, 2, 3

CI_ACTOR = "cli:ci"
CI_CHANNEL = "ci"
# The model-version (and run) tags that tie a version to its commit (design.md).
GIT_TAGS = ("git_commit", "git_branch", "git_pull_request", "ci_run_url", "ci_actor")
# What `promobot register` writes to $GITHUB_OUTPUT (actions/train-register declares these).
REGISTER_OUTPUTS = ("version", "run-id", "model-uri", "request-status", "request-id")
START_RUN_OUTPUTS = ("run-id", "experiment-id")
START_RUN_ENV = ("MLFLOW_RUN_ID", "MLFLOW_EXPERIMENT_ID")

_MODEL_RE = re.compile(r"[A-Za-z0-9][A-Za-z0-9._-]{0,255}")
_RUN_ID_RE = re.compile(r"[0-9a-fA-F]{32}")
_TAG_KEY_RE = re.compile(r"[A-Za-z0-9_\-. /]{1,250}")
_SHA_RE = re.compile(r"[0-9a-fA-F]{40}")
_PR_IN_MESSAGE = (re.compile(r"^Merge pull request #(\d+)\b"), re.compile(r"\(#(\d+)\)\s*$"))

REGISTER_USAGE = (
    "promobot register --model NAME [--run-id ID] [--artifact NAME] [--request TARGET]\n"
    "                         [--reason TEXT] [--tag KEY=VALUE]..."
)
START_USAGE = "promobot register start-run --experiment NAME [--run-name NAME] [--tag KEY=VALUE]..."
EPILOG = """\
Environment: MLFLOW_TRACKING_URI (and MLFLOW_TRACKING_USERNAME/PASSWORD for a server),
PROMOBOT_POLICY for --request, and the GITHUB_* variables Actions sets.
Exit status: 0 registered; 1 refused (no such run, no logged model, request refused);
2 usage error; 3 MLflow unreachable."""


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
        return EXIT_USAGE


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
    tags = {
        "git_commit": sha.lower() if _SHA_RE.fullmatch(sha) else "",
        "git_branch": env.get("GITHUB_HEAD_REF") or env.get("GITHUB_REF_NAME") or "",
        "git_pull_request": _pull_request_number(event),
        "ci_run_url": _run_url(env),
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


def _run_url(env: Mapping[str, str]) -> str:
    server, repo, run = (
        env.get("GITHUB_SERVER_URL", ""),
        env.get("GITHUB_REPOSITORY", ""),
        env.get("GITHUB_RUN_ID", ""),
    )
    if not (server and repo and run):
        return ""
    url = f"{server.rstrip('/')}/{repo}/actions/runs/{run}"
    attempt = env.get("GITHUB_RUN_ATTEMPT", "")
    return f"{url}/attempts/{attempt}" if attempt and attempt != "1" else url


# ---- start-run ------------------------------------------------------------------------------


def _start_run(options: argparse.Namespace) -> int:
    from bot.config import load_settings
    from bot.registry import Registry, RegistryError

    extra = _tags(options.tag)
    if not options.experiment.strip():
        raise _UsageError("promobot register start-run: --experiment needs a name")
    meta = git_metadata()
    tags = {**meta, **extra}
    if meta.get("git_commit"):
        tags.setdefault("mlflow.source.git.commit", meta["git_commit"])
    if meta.get("git_branch"):
        tags.setdefault("mlflow.source.git.branch", meta["git_branch"])
    if options.run_name:
        tags["mlflow.runName"] = options.run_name
    settings = load_settings()
    try:
        registry = Registry(settings.mlflow_tracking_uri)
        run_id = registry.create_run(options.experiment, tags)
        experiment_id = str(registry.run_info(run_id)["experiment_id"])
    except RegistryError as exc:
        print(f"promobot register start-run: {exc}", file=sys.stderr)
        return EXIT_UNAVAILABLE
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
    return EXIT_OK


# ---- register -------------------------------------------------------------------------------


@dataclass
class _Registered:
    model: str
    version: int
    run_id: str
    model_uri: str
    source: str
    tags: dict[str, str]


def _register(options: argparse.Namespace) -> int:
    from bot.config import load_settings
    from bot.registry import Registry, RegistryError
    from bot.service import Comparison, compare_with_production

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
    try:
        registry = Registry(settings.mlflow_tracking_uri)
        registered = _register_version(registry, model, run_id, options.artifact.strip(), extra)
        if isinstance(registered, str):
            print(f"promobot register: {registered}", file=sys.stderr)
            return EXIT_REFUSED
    except RegistryError as exc:
        print(f"promobot register: {exc}", file=sys.stderr)
        return EXIT_UNAVAILABLE
    try:
        comparison = compare_with_production(registry, model, run_id)
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
    code = EXIT_OK
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


def _register_version(
    registry: Any, model: str, run_id: str, artifact: str, extra: dict[str, str]
) -> _Registered | str:
    """Register the run's model, or say (as a sentence) why there is nothing to register."""
    from bot.registry import RegistryError
    from bot.service import register_version

    try:
        run = registry.run_info(run_id)
    except RegistryError as exc:
        if getattr(exc.__cause__, "error_code", "") == "RESOURCE_DOES_NOT_EXIST":
            return f"there is no MLflow run {run_id} at this tracking server"
        raise
    source = registry.logged_model_uri(run_id, artifact)
    if source.startswith("runs:/"):
        return (
            f"run {run_id} logged no model, so there is nothing to register. Log one "
            f"in the training command (e.g. mlflow.sklearn.log_model(model, "
            f"name={artifact!r})), or pass --artifact with the name it was logged under."
        )
    run_tags = run.get("tags") or {}
    meta = git_metadata()
    # The run's tags record what was trained; the environment fills what they lack.
    tags = {key: run_tags.get(key) or meta.get(key, "") for key in GIT_TAGS}
    tags = {key: value for key, value in {**tags, **extra}.items() if value}
    info = register_version(registry, model, run_id, artifact=artifact, tags=tags, source=source)
    return _Registered(
        model=model,
        version=info.version,
        run_id=run_id,
        model_uri=f"models:/{model}/{info.version}",
        source=info.source,
        tags=tags,
    )


def _request_target(model: str, text: str) -> Any:
    from bot.commands import Promote, parse

    parsed = parse(f"promote {model} v1 {text.strip()}")
    command = parsed.command
    if not isinstance(command, Promote) or command.reason or command.dry_run:
        problem = (parsed.reply or "").splitlines()[0] if parsed.reply else ""
        raise _UsageError(
            f"promobot register: --request {text.strip()[:60]!r} is not a "
            f"target. {problem or 'Give one target, e.g. --request staging.'}"
        )
    return command.target


def _request(settings: Any, registered: _Registered, target: Any, reason: str) -> tuple[Any, int]:
    from bot.app import build_service
    from bot.commands import Promote, VersionSpec
    from bot.policy import PolicyError
    from bot.registry import RegistryError
    from bot.render import to_text
    from bot.results import ERROR, REFUSED
    from bot.service import Context

    commit = registered.tags.get("git_commit", "")
    reason = reason.strip() or (
        f"registered by CI from commit {commit[:12]}" if commit else "registered by CI"
    )
    try:
        service = build_service(settings)
    except PolicyError as exc:
        print(
            "promobot register: the policy files are invalid; nothing was requested:",
            file=sys.stderr,
        )
        for line in exc.problems:
            print(f"  {line}", file=sys.stderr)
        return None, EXIT_REFUSED
    command = Promote(
        registered.model, VersionSpec("number", str(registered.version)), target, reason
    )
    ctx = Context(actor=CI_ACTOR, channel=CI_CHANNEL, link=registered.tags.get("ci_run_url", ""))
    try:
        result = service.handle(command, ctx)
    except RegistryError as exc:
        print(f"promobot register: the {target.label} request failed: {exc}", file=sys.stderr)
        return None, EXIT_UNAVAILABLE
    print(to_text(result))
    if result.status == REFUSED:
        return result, EXIT_REFUSED
    return result, EXIT_UNAVAILABLE if result.status == ERROR else EXIT_OK


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


def summary_markdown(
    registered: _Registered, comparison: Comparison, target: Any, result: Any
) -> str:
    from bot.render import to_markdown

    v = f"v{registered.version}"
    lines = [
        f"### 📦 {registered.model} {v} registered",
        "",
        "| | |",
        "| --- | --- |",
        f"| model URI | `{registered.model_uri}` |",
        f"| run | `{registered.run_id}` |",
    ]
    labels = {
        "git_commit": "commit",
        "git_branch": "branch",
        "git_pull_request": "pull request",
        "ci_run_url": "workflow run",
        "ci_actor": "actor",
    }
    for key, label in labels.items():
        value = registered.tags.get(key)
        if not value:
            continue
        if key == "git_pull_request":
            shown = f"#{_cell(value)}"
        elif key == "ci_run_url":
            shown = _cell(value)
        else:
            shown = f"`{_cell(value)}`"
        lines.append(f"| {label} | {shown} |")
    lines.append("")
    names = _metric_order(comparison.metrics, comparison.production_metrics)
    production = comparison.production
    if names:
        header = f"| metric | {v} (new) |"
        rule = "| --- | --- |"
        if production is not None:
            header += f" v{production} (Production) | change |"
            rule += " --- | --- |"
        lines += [header, rule]
        for name in names:
            new = comparison.metrics.get(name)
            row = f"| {_cell(name)} | {_num(new)} |"
            if production is not None:
                old = comparison.production_metrics.get(name)
                change = "—" if new is None or old is None else f"{new - old:+.3f}"
                row += f" {_num(old)} | {change} |"
            lines.append(row)
    else:
        lines.append("The run logged no metrics.")
    if production is None:
        lines += ["", "No version is in Production yet, so there is nothing to compare with."]
    if target is not None:
        lines += ["", f"#### Request: {target.label}", ""]
        lines.append(
            to_markdown(result)
            if result is not None
            else "⚠️ The request could not be made; see the step log."
        )
    return "\n".join(lines) + "\n"


def _write_summary(
    registered: _Registered, comparison: Comparison, target: Any, result: Any
) -> None:
    path = os.environ.get("GITHUB_STEP_SUMMARY", "")
    if not path:
        return
    with open(path, "a", encoding="utf-8") as fh:
        fh.write(summary_markdown(registered, comparison, target, result))


def _metric_order(*sets: dict[str, float]) -> list[str]:
    names = sorted(set().union(*sets))
    first = [m for m in ("accuracy", "f1", "precision", "recall") if m in names]
    return (first + [m for m in names if m not in first])[:12]


def _num(value: float | None) -> str:
    return "—" if value is None else f"{value:.3f}"


def _cell(text: str) -> str:
    return " ".join(str(text).split()).replace("|", "\\|").replace("`", "'")


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
