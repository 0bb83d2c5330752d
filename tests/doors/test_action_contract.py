"""The actions and workflows agree with the code, and follow the security rules.

Static checks over actions/*/action.yml and .github/workflows/*.yml: every input reaches
the CLI as a flag or variable it reads, every declared output is one `promobot register`
writes, the reusable workflow passes its inputs and outputs straight through, and the
rules of docs/contract.md ("GitHub") hold: no expressions inside `run:`, third-party actions
pinned by commit SHA, least permissions, the default branch checked out without
persisted credentials, and chatops jobs only for the repository's people, none cancelled.
"""

from __future__ import annotations

import json
import re
from pathlib import Path
from typing import Any

import pytest
import yaml
from conftest import REPO

from bot.adapters.github.comments import PERMISSION_LEVELS
from bot.config import Settings
from bot.doors.cli import register as register_cli
from bot.doors.github import comment as github_door

ACTIONS = sorted((REPO / "actions").glob("*/action.yml"))
WORKFLOWS = sorted((REPO / ".github" / "workflows").glob("*.yml"))
TRAIN_REGISTER = REPO / "actions" / "train-register" / "action.yml"
CHATOPS = REPO / "actions" / "chatops" / "action.yml"
WORKFLOW = {path.stem: path for path in WORKFLOWS}

_EXPR = re.compile(r"\$\{\{\s*(.*?)\s*\}\}", re.DOTALL)
_SHA_PIN = re.compile(r"^[\w.-]+/[\w.-]+(/[\w./-]+)?@[0-9a-f]{40}$")
_FLAG = re.compile(r"(?<![\w-])(--[a-z][a-z-]*)")
_SHELL_VAR = re.compile(r"\$\{?([A-Z_][A-Z0-9_]*)")


def load(path: Path) -> dict[str, Any]:
    data = yaml.safe_load(path.read_text(encoding="utf-8"))
    assert isinstance(data, dict), path
    return data


def triggers(workflow: dict[str, Any]) -> dict[str, Any]:
    # YAML 1.1 reads the key `on` as True.
    on = workflow.get("on", workflow.get(True))
    return on if isinstance(on, dict) else {name: None for name in on or ()}


def steps_of(path: Path) -> list[dict[str, Any]]:
    data = load(path)
    if "runs" in data:
        return list(data["runs"].get("steps", []))
    return [step for job in data["jobs"].values() for step in job.get("steps", [])]


def every_step() -> list[tuple[str, dict[str, Any]]]:
    return [
        (f"{path.relative_to(REPO)}:{step.get('name', '?')}", step)
        for path in [*ACTIONS, *WORKFLOWS]
        for step in steps_of(path)
    ]


def expressions(value: Any) -> list[str]:
    return _EXPR.findall(value) if isinstance(value, str) else []


def read_by_promobot() -> set[str]:
    """Environment variables promobot reads (pydantic-settings and the doors)."""
    names = {name.upper() for name in Settings.model_fields}
    extra = {github_door.ENV_MIN_PERMISSION, "MLFLOW_TRACKING_USERNAME", "MLFLOW_TRACKING_PASSWORD"}
    return names | extra


def test_the_expected_files_exist() -> None:
    assert ACTIONS == [CHATOPS, TRAIN_REGISTER]
    assert set(WORKFLOW) == {"audit", "chatops", "ci", "register-on-merge", "train-register"}


# ---- train-register: action ↔ `promobot register` ---------------------------------------------


def test_train_register_inputs_reach_the_cli() -> None:
    action = load(TRAIN_REGISTER)
    register, start = register_cli.build_parsers()
    accepted = {
        "start-run": {o for a in start._actions for o in a.option_strings},
        "register": {o for a in register._actions for o in a.option_strings},
    }
    used_inputs: set[str] = set()
    for step in action["runs"]["steps"]:
        env = step.get("env") or {}
        for value in [*env.values(), step.get("working-directory", ""), step.get("if", "")]:
            used_inputs |= set(re.findall(r"inputs\.([\w-]+)", str(value)))
        script = step["run"]
        for name in env:
            # Each variable the step sets is used by its script or read by promobot.
            assert re.search(rf"\${{?{name}\b", script) or name in read_by_promobot(), name
        if "promobot register" in script:
            which = "start-run" if "start-run" in script else "register"
            flags = set(_FLAG.findall(script))
            assert flags <= accepted[which], flags - accepted[which]
    assert used_inputs == set(action["inputs"]), "every input is used, and only those"


def test_train_register_outputs_are_what_promobot_register_writes() -> None:
    action = load(TRAIN_REGISTER)
    steps = {step.get("id"): step for step in action["runs"]["steps"]}
    assert "promobot register start-run" in steps["start"]["run"]
    assert re.search(r"promobot register (?!start-run)", steps["register"]["run"])
    assert set(action["outputs"]) == set(register_cli.REGISTER_OUTPUTS)
    for name, spec in action["outputs"].items():
        assert spec["value"] == f"${{{{ steps.register.outputs.{name} }}}}"
        assert spec["description"]
    # The register step takes the run id from start-run's outputs, which start-run writes.
    run_id = steps["register"]["env"]["PROMOBOT_RUN_ID"]
    assert run_id == "${{ steps.start.outputs.run-id }}"
    assert "run-id" in register_cli.START_RUN_OUTPUTS


def test_train_register_defaults_match_the_code() -> None:
    from examples.sentiment_classifier import train

    inputs = load(TRAIN_REGISTER)["inputs"]
    register, _ = register_cli.build_parsers()
    defaults = {a.dest: a.default for a in register._actions}
    assert inputs["model"]["required"] is True
    assert inputs["train-command"]["default"] == "python examples/sentiment_classifier/train.py"
    assert (REPO / "examples" / "sentiment_classifier" / "train.py").is_file()
    assert inputs["artifact"]["default"] == defaults["artifact"] == train.ARTIFACT_NAME
    assert inputs["policy"]["default"] == Settings.model_fields["promobot_policy"].default
    assert inputs["request"]["default"] == "" and inputs["reason"]["default"] == ""
    assert inputs["install-promobot"]["default"] == "auto"


# ---- chatops: action ↔ `promobot github` -------------------------------------------------------


def test_chatops_action_runs_promobot_github_with_its_inputs_as_variables() -> None:
    action = load(CHATOPS)
    inputs = action["inputs"]
    [handle] = [s for s in action["runs"]["steps"] if "promobot github" in s["run"]]
    assert handle["run"].strip() == "promobot github"
    assert handle["env"] == {
        "GITHUB_TOKEN": "${{ inputs.github-token }}",
        github_door.ENV_MIN_PERMISSION: "${{ inputs.min-permission }}",
        "PROMOBOT_POLICY": "${{ inputs.policy }}",
    }
    assert set(handle["env"]) <= read_by_promobot()
    assert inputs["min-permission"]["default"] == github_door.DEFAULT_MIN_PERMISSION
    for level in PERMISSION_LEVELS[1:]:
        assert level in inputs["min-permission"]["description"]
    assert inputs["github-token"]["default"] == "${{ github.token }}"
    assert inputs["policy"]["default"] == Settings.model_fields["promobot_policy"].default
    assert "outputs" not in action


# ---- the workflows wire the actions up -----------------------------------------------------------


def _action_step(workflow: dict[str, Any], action: str) -> dict[str, Any]:
    found = [
        step
        for job in workflow["jobs"].values()
        for step in job.get("steps", [])
        if str(step.get("uses", "")).endswith(f"/actions/{action}")
    ]
    assert len(found) == 1, found
    return found[0]


def test_reusable_workflow_passes_inputs_and_outputs_through() -> None:
    workflow = load(WORKFLOW["train-register"])
    action = load(TRAIN_REGISTER)
    call = triggers(workflow)["workflow_call"]
    step = _action_step(workflow, "train-register")
    own = {"python-version", "install-command"}  # used by the workflow's own steps
    assert set(call["inputs"]) - own <= set(action["inputs"])
    for name, spec in call["inputs"].items():
        assert spec["type"] == "string" and spec["description"], name
        if name in own:
            continue
        assert step["with"][name] == f"${{{{ inputs.{name} }}}}", name
        if "default" in spec:
            assert spec["default"] == action["inputs"][name]["default"], name
        assert bool(spec.get("required")) == bool(action["inputs"][name].get("required")), name
    [(job_name, job)] = workflow["jobs"].items()
    assert set(call["outputs"]) == set(action["outputs"])
    for name, spec in call["outputs"].items():
        assert spec["value"] == f"${{{{ jobs.{job_name}.outputs.{name} }}}}"
        assert job["outputs"][name] == f"${{{{ steps.{step['id']}.outputs.{name} }}}}"
    assert call["secrets"]["MLFLOW_TRACKING_URI"]["required"] is True
    for secret in call["secrets"]:
        assert step["env"][secret] == f"${{{{ secrets.{secret} }}}}"


def test_register_on_merge_calls_the_reusable_workflow_on_pushes_to_main() -> None:
    caller = load(WORKFLOW["register-on-merge"])
    called = triggers(load(WORKFLOW["train-register"]))["workflow_call"]
    assert triggers(caller) == {"push": {"branches": ["main"]}}
    [job] = caller["jobs"].values()
    assert job["uses"].endswith(".github/workflows/train-register.yml")
    assert set(job["with"]) <= set(called["inputs"])
    required = {n for n, s in called["inputs"].items() if s.get("required")}
    assert required <= set(job["with"])
    assert job["with"]["model"] == "sentiment-classifier"
    assert set(job["secrets"]) <= set(called["secrets"])
    assert {n for n, s in called["secrets"].items() if s.get("required")} <= set(job["secrets"])
    assert job["permissions"] == {"contents": "read"}


def test_chatops_workflow_runs_default_branch_code_and_cancels_no_command() -> None:
    workflow = load(WORKFLOW["chatops"])
    assert triggers(workflow) == {"issue_comment": {"types": ["created"]}}
    [job] = workflow["jobs"].values()
    assert "github.event.issue.pull_request" in job["if"]
    assert job["permissions"] == {
        "contents": "read",
        "issues": "write",
        "pull-requests": "read",
        "checks": "read",
        "statuses": "read",
        "deployments": "write",
    }
    # No group: GitHub keeps one pending run per group and cancels the one before it, so
    # any later comment would drop an /approve waiting its turn (issue 20).
    assert "concurrency" not in job and "concurrency" not in workflow
    [checkout] = [s for s in job["steps"] if str(s.get("uses", "")).startswith("actions/checkout")]
    assert checkout["with"]["ref"] == "${{ github.event.repository.default_branch }}"
    step = _action_step(workflow, "chatops")
    assert set(step["with"]) <= set(load(CHATOPS)["inputs"])
    assert step["with"]["github-token"] == "${{ github.token }}"
    assert "MLFLOW_TRACKING_URI" in step["env"]


def test_ci_workflow_runs_the_ci_script() -> None:
    workflow = load(WORKFLOW["ci"])
    runs = [step.get("run", "") for step in steps_of(WORKFLOW["ci"])]
    assert "bash .ci/run" in runs
    assert (REPO / ".ci" / "run").is_file()
    assert {"push", "pull_request"} <= set(triggers(workflow))


def test_audit_workflow_runs_the_audit_on_a_schedule_and_keeps_the_trail() -> None:
    workflow = load(WORKFLOW["audit"])
    on = triggers(workflow)
    assert set(on) == {"schedule", "workflow_dispatch"}
    assert on["schedule"] and all(entry["cron"] for entry in on["schedule"])
    [job] = workflow["jobs"].values()
    assert job["permissions"] == {"contents": "read"}
    [checkout] = [s for s in job["steps"] if str(s.get("uses", "")).startswith("actions/checkout")]
    assert checkout["with"]["ref"].startswith("${{ github.event.repository.default_branch")
    promobot = [s for s in job["steps"] if "promobot audit" in s.get("run", "")]
    audit, export = promobot
    # The audit's exit status is the step's: drift (1) or MLflow unreachable (3) fail it.
    assert not audit.get("continue-on-error") and "|| true" not in audit["run"]
    assert 'exit "$status"' in audit["run"] and audit["shell"] == "bash"
    assert re.search(r"^promobot audit > ", audit["run"], re.MULTILINE)
    assert "promobot audit export" in export["run"]
    assert set(_FLAG.findall(export["run"])) <= {"--format", "--since"}
    for step in promobot:
        assert step["env"]["MLFLOW_TRACKING_URI"] == "${{ secrets.MLFLOW_TRACKING_URI }}"
        assert step["env"]["PROMOBOT_POLICY"] == "policies/"
        assert set(step["env"]) <= read_by_promobot()
    # The secrets reach only promobot's own steps (not pip, not the third-party actions).
    for step in job["steps"]:
        if step not in promobot:
            assert "secrets." not in str(step), step.get("name")
    [upload] = [s for s in job["steps"] if "upload-artifact" in str(s.get("uses", ""))]
    written = re.search(r"> (\S+)$", export["run"].strip())
    assert written and upload["with"]["path"] == written.group(1)


# ---- security rules, over every file -------------------------------------------------------------


@pytest.mark.parametrize(
    ("where", "step"), every_step(), ids=lambda v: v if isinstance(v, str) else ""
)
def test_no_expression_inside_run(where: str, step: dict[str, Any]) -> None:
    assert "${{" not in str(step.get("run", "")), f"{where}: pass it through env: instead"


def test_comment_text_reaches_no_script() -> None:
    for path in [*ACTIONS, *WORKFLOWS]:
        for step in steps_of(path):
            for key in ("env", "with"):
                for value in (step.get(key) or {}).values():
                    for expression in expressions(value):
                        assert "github.event.comment" not in expression, path
                        assert "github.event.issue.title" not in expression, path
                        assert "github.event.issue.body" not in expression, path


@pytest.mark.parametrize("path", [*ACTIONS, *WORKFLOWS], ids=lambda p: p.name)
def test_third_party_uses_are_pinned_to_a_commit_with_its_version(path: Path) -> None:
    lines = path.read_text(encoding="utf-8").splitlines()
    uses_lines = [line for line in lines if re.match(r"\s*(-\s+)?uses:", line)]
    for line in uses_lines:
        ref = line.split("uses:", 1)[1].split("#", 1)[0].strip()
        if ref.startswith(("./", "$/")):
            continue
        assert _SHA_PIN.match(ref), f"{path.name}: {ref} is not pinned to a 40-hex commit"
        assert re.search(r"#\s*v\d+(\.\d+)*\s*$", line), f"{path.name}: {ref} has no # vX.Y.Z"


@pytest.mark.parametrize("path", WORKFLOWS, ids=lambda p: p.name)
def test_workflows_grant_least_permissions(path: Path) -> None:
    workflow = load(path)
    assert workflow.get("permissions") == {}, "top level: nothing; each job asks for its own"
    for name, job in workflow["jobs"].items():
        assert isinstance(job.get("permissions"), dict), f"{path.name}: job {name}"
        assert "write-all" not in str(job["permissions"])
        granted_write = {k for k, v in job["permissions"].items() if v == "write"}
        allowed = {"issues", "deployments"}  # the reply, and the release record
        assert granted_write <= allowed, f"{path.name}: job {name} writes {granted_write}"


@pytest.mark.parametrize("path", WORKFLOWS, ids=lambda p: p.name)
def test_no_dangerous_triggers_inherited_secrets_or_persisted_credentials(path: Path) -> None:
    workflow = load(path)
    assert not {"pull_request_target", "workflow_run"} & set(triggers(workflow))
    for job in workflow["jobs"].values():
        assert job.get("secrets") != "inherit"
        for step in job.get("steps", []):
            if str(step.get("uses", "")).startswith("actions/checkout@"):
                assert step["with"]["persist-credentials"] is False
                ref = str(step["with"].get("ref", ""))
                assert "pull_request" not in ref and "head" not in ref


def test_the_copy_paste_workflows_in_the_docs_follow_the_same_rules() -> None:
    text = (REPO / "docs" / "github.md").read_text(encoding="utf-8")
    blocks = re.findall(r"```yaml\n(.*?)```", text, re.DOTALL)
    workflows = [yaml.safe_load(block) for block in blocks]
    jobs = [job for wf in workflows if isinstance(wf, dict) for job in wf.get("jobs", {}).values()]
    assert len(jobs) == 3
    for job in jobs:
        assert isinstance(job.get("permissions"), dict)
        if "uses" in job:
            assert _SHA_PIN.match(job["uses"]), job["uses"]
        for step in job.get("steps", []):
            assert "${{" not in str(step.get("run", ""))
            uses = str(step.get("uses", ""))
            if uses:
                assert _SHA_PIN.match(uses), uses
            if uses.startswith("actions/checkout@"):
                assert step["with"]["persist-credentials"] is False
    documented_inputs = set(re.findall(r"^\| `([\w-]+)` \| ", text, re.MULTILINE))
    assert set(load(TRAIN_REGISTER)["inputs"]) <= documented_inputs
    assert set(load(CHATOPS)["inputs"]) <= documented_inputs
    assert set(load(TRAIN_REGISTER)["outputs"]) <= documented_inputs


# ---- chatops: who starts a job ---------------------------------------------------------------


def _comment(body: str, association: str, *, pull_request: bool = True) -> dict[str, Any]:
    issue: dict[str, Any] = {"number": 7}
    if pull_request:
        issue["pull_request"] = {"url": "https://api.github.com/repos/acme/models/pulls/7"}
    return {"event": {"issue": issue, "comment": {"body": body, "author_association": association}}}


@pytest.mark.parametrize(
    ("body", "association", "pull_request", "runs"),
    [
        ("/approve req-7f3a2c91bd", "OWNER", True, True),
        ("/approve req-7f3a2c91bd", "MEMBER", True, True),
        ("/approve req-7f3a2c91bd", "COLLABORATOR", True, True),
        ("/x", "NONE", True, False),
        ("/approve req-7f3a2c91bd", "CONTRIBUTOR", True, False),
        ("/approve req-7f3a2c91bd", "FIRST_TIME_CONTRIBUTOR", True, False),
        ("/approve req-7f3a2c91bd", "FIRST_TIMER", True, False),
        ("/approve req-7f3a2c91bd", "MANNEQUIN", True, False),
        ("looks good", "OWNER", True, False),
        ("/status m", "OWNER", False, False),
    ],
    ids=[
        "owner",
        "member",
        "collaborator",
        "outsider",
        "contributor",
        "first-time-contributor",
        "first-timer",
        "mannequin",
        "not-a-command",
        "not-a-pull-request",
    ],
)
def test_only_the_repositorys_people_start_a_chatops_job(
    body: str, association: str, pull_request: bool, runs: bool
) -> None:
    """The job's `if:`, evaluated as GitHub evaluates its expressions: an outsider's
    comment starts no job, so it costs no runner and cannot cancel or delay anyone's."""
    [job] = load(WORKFLOW["chatops"])["jobs"].values()
    context = {"github": _comment(body, association, pull_request=pull_request)}
    assert _truthy(_Expression(job["if"], context).value()) is runs


class _Expression:
    """The part of GitHub's expression language the chatops `if:` uses: `&&`, `||`, `!`,
    parentheses, 'strings', property paths, startsWith, contains and fromJSON (strings
    compared without regard to case, as GitHub does)."""

    _TOKEN = re.compile(r"\s*('(?:[^']|'')*'|&&|\|\||!|\(|\)|,|[A-Za-z_][\w.-]*)")

    def __init__(self, text: str, context: dict[str, Any]) -> None:
        self.tokens = self._TOKEN.findall(text.strip())
        assert "".join(self.tokens).replace(" ", "") == re.sub(r"\s", "", text), text
        self.context = context

    def value(self) -> Any:
        found = self._or()
        assert not self.tokens, self.tokens
        return found

    def _take(self, expected: str | None = None) -> str:
        token = self.tokens.pop(0)
        assert expected is None or token == expected, (token, expected)
        return token

    def _or(self) -> Any:
        left = self._and()
        while self.tokens and self.tokens[0] == "||":
            self._take()
            right = self._and()
            left = left if _truthy(left) else right
        return left

    def _and(self) -> Any:
        left = self._not()
        while self.tokens and self.tokens[0] == "&&":
            self._take()
            right = self._not()
            left = right if _truthy(left) else left
        return left

    def _not(self) -> Any:
        if self.tokens[0] == "!":
            self._take()
            return not _truthy(self._not())
        return self._atom()

    def _atom(self) -> Any:
        token = self._take()
        if token == "(":
            inner = self._or()
            self._take(")")
            return inner
        if token.startswith("'"):
            return token[1:-1].replace("''", "'")
        if self.tokens and self.tokens[0] == "(":
            self._take("(")
            args = [self._or()]
            while self.tokens[0] == ",":
                self._take()
                args.append(self._or())
            self._take(")")
            return _FUNCTIONS[token.lower()](*args)
        found: Any = self.context
        for part in token.split("."):
            found = found.get(part) if isinstance(found, dict) else None
        return found


def _truthy(value: Any) -> bool:
    return value not in (None, False, 0, "")


def _same(a: Any, b: Any) -> bool:
    if isinstance(a, str) and isinstance(b, str):
        return a.lower() == b.lower()
    return bool(a == b)


_FUNCTIONS = {
    "startswith": lambda text, prefix: str(text or "").lower().startswith(str(prefix).lower()),
    "contains": lambda where, what: (
        any(_same(item, what) for item in where)
        if isinstance(where, list)
        else str(what).lower() in str(where or "").lower()
    ),
    "fromjson": json.loads,
}
