"""A small runner for composite actions, run here the way the Actions runner runs them.

`run_composite` reads an action.yml and runs its steps in order, as written: each `run:`
as a script file with `bash --noprofile --norc -eo pipefail {0}` (Actions' `shell: bash`),
its `env:` and `if:` evaluated from the inputs, in its `working-directory`, with fresh
GITHUB_OUTPUT, GITHUB_ENV, GITHUB_PATH and GITHUB_STEP_SUMMARY files, which are read
between steps as the runner reads them: outputs for `steps.<id>.outputs`, the GITHUB_ENV
pairs into the environment of the steps that follow, GITHUB_PATH lines in front of PATH,
and every step's summary appended to the job summary.

`runner_env` is what a runner gives a job on a push to main. `read_pairs` parses the
files.
"""

from __future__ import annotations

import os
import re
import subprocess
import sys
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import yaml

REPO = Path(__file__).resolve().parents[1]
FIXTURES = Path(__file__).resolve().parent / "fixtures"
PUSH_EVENT = FIXTURES / "github" / "push_main.json"
SHA = "a1b2c3d4e5f60718293a4b5c6d7e8f9012345678"  # push_main.json's head commit
RUN_URL = "https://github.com/acme/models/actions/runs/9876"
# What the push in push_main.json tags a version with (the pull request from its
# squash-merge message "… (#7)").
GIT_TAGS = {
    "git_repository": "acme/models",
    "git_commit": SHA,
    "git_branch": "main",
    "git_pull_request": "7",
    "ci_run_url": RUN_URL,
    "ci_actor": "alice",
}

CI_POLICY = FIXTURES / "github" / "policy.yaml"  # `cli:ci` may ask for staging at once


def policy_for(model: str, folder: Path) -> Path:
    """The CI tests' policy (tests/fixtures/github/policy.yaml), its rules given to `model`."""
    path = folder / "policy.yaml"
    rules = CI_POLICY.read_text().replace("- name: sentiment-classifier\n", f"- name: {model}\n")
    path.write_text(rules)
    return path


_EXPRESSION = re.compile(r"\$\{\{\s*(.*?)\s*\}\}")
_CONDITION = re.compile(r"inputs\.([\w-]+)\s*(==|!=)\s*'([^']*)'")
STEP_FILES = ("GITHUB_OUTPUT", "GITHUB_ENV", "GITHUB_PATH", "GITHUB_STEP_SUMMARY")


class StepFailed(AssertionError):
    pass


@dataclass
class Ran:
    """What a composite action left: its outputs, each step's files, the environment the
    last step saw, and the job summary."""

    outputs: dict[str, str]
    files: dict[str, dict[str, Path]]
    env: dict[str, str]
    summary: str
    logs: dict[str, str]


def bin_dir(tmp_path: Path) -> Path:
    """Where `promobot` and `python` are found, as after `pip install` on a runner."""
    venv_bin = Path(sys.executable).parent
    if (venv_bin / "promobot").exists():
        return venv_bin
    shim = tmp_path / "bin"
    shim.mkdir(exist_ok=True)
    (shim / "promobot").write_text(f'#!/bin/sh\nexec "{sys.executable}" -m bot "$@"\n')
    (shim / "promobot").chmod(0o755)
    (shim / "python").symlink_to(sys.executable)
    return shim


def runner_env(tmp_path: Path, workspace: Path, **settings: str) -> dict[str, str]:
    """What the runner gives a job on a push to main (the GITHUB_* variables, CI, the
    runner's temp folder), nothing of this process's own MLflow, GitHub, Slack or promobot
    settings, and `settings` (MLFLOW_TRACKING_URI, credentials)."""
    runner_temp = tmp_path / "runner-temp"
    runner_temp.mkdir(exist_ok=True)
    kept = {
        k: v
        for k, v in os.environ.items()
        if k in ("HOME", "LANG", "PYTHONPATH", "MLFLOW_DISABLE_TELEMETRY", "DO_NOT_TRACK")
    }
    return {
        **kept,
        "PATH": f"{bin_dir(tmp_path)}{os.pathsep}{os.environ.get('PATH', '/usr/bin:/bin')}",
        "HOME": os.environ.get("HOME", str(tmp_path)),
        # The steps run the promobot this process imported (the tree under test).
        "PYTHONPATH": os.pathsep.join(p for p in (_code_root(), kept.get("PYTHONPATH")) if p),
        "CI": "true",
        "GITHUB_ACTIONS": "true",
        "GITHUB_WORKSPACE": str(workspace),
        "RUNNER_TEMP": str(runner_temp),
        "RUNNER_OS": "Linux",
        "GITHUB_WORKFLOW": "register on merge",
        "GITHUB_JOB": "train-register",
        "GITHUB_EVENT_NAME": "push",
        "GITHUB_EVENT_PATH": str(PUSH_EVENT),
        "GITHUB_SHA": SHA,
        "GITHUB_REF": "refs/heads/main",
        "GITHUB_REF_NAME": "main",
        "GITHUB_RUN_ID": "9876",
        "GITHUB_RUN_ATTEMPT": "1",
        "GITHUB_SERVER_URL": "https://github.com",
        "GITHUB_API_URL": "https://api.github.com",
        "GITHUB_REPOSITORY": "acme/models",
        "GITHUB_ACTOR": "alice",
        **settings,
    }


def _code_root() -> str:
    import bot

    return str(Path(bot.__file__).resolve().parents[1])


def read_pairs(path: Path) -> dict[str, str]:
    """Parse a GITHUB_OUTPUT / GITHUB_ENV file: name=value and name<<DELIM … DELIM."""
    pairs: dict[str, str] = {}
    lines = path.read_text(encoding="utf-8").splitlines() if path.exists() else []
    i = 0
    while i < len(lines):
        line = lines[i]
        if "<<" in line and ("=" not in line or line.index("<<") < line.index("=")):
            name, delimiter = line.split("<<", 1)
            end = lines.index(delimiter, i + 1)
            pairs[name] = "\n".join(lines[i + 1 : end])
            i = end + 1
            continue
        name, _, value = line.partition("=")
        pairs[name] = value
        i += 1
    return pairs


def _evaluate(
    expression: str, inputs: dict[str, str], steps: dict[str, dict[str, str]], action_path: Path
) -> str:
    if expression.startswith("inputs."):
        return inputs[expression.removeprefix("inputs.")]
    if expression == "github.action_path":
        return str(action_path)
    found = re.fullmatch(r"steps\.([\w-]+)\.outputs\.([\w-]+)", expression)
    if found:
        return steps.get(found.group(1), {}).get(found.group(2), "")
    raise AssertionError(f"the test runner does not know the expression {expression!r}")


def _inputs(action: dict[str, Any], given: dict[str, str]) -> dict[str, str]:
    declared = action["inputs"]
    unknown = set(given) - set(declared)
    assert not unknown, f"inputs the action does not declare: {unknown}"
    inputs = {
        name: given.get(name, str(spec.get("default", ""))) for name, spec in declared.items()
    }
    missing = [name for name, spec in declared.items() if spec.get("required") and not inputs[name]]
    assert not missing, f"required inputs missing: {missing}"
    return inputs


def _skipped(step: dict[str, Any], inputs: dict[str, str]) -> bool:
    condition = step.get("if")
    if condition is None:
        return False
    test = _CONDITION.fullmatch(condition.strip())
    assert test, f"the test runner cannot evaluate if: {condition!r}"
    return (inputs[test.group(1)] == test.group(3)) != (test.group(2) == "==")


def run_composite(
    action_file: Path, given: dict[str, str], env: dict[str, str], workspace: Path, runner_dir: Path
) -> Ran:
    """Run a composite action's steps; StepFailed (with the step's output) if one fails."""
    action = yaml.safe_load(action_file.read_text(encoding="utf-8"))
    inputs = _inputs(action, given)
    env = dict(env)
    steps: dict[str, dict[str, str]] = {}
    files: dict[str, dict[str, Path]] = {}
    logs: dict[str, str] = {}
    summary: list[str] = []

    def expand(text: str) -> str:
        return _EXPRESSION.sub(
            lambda m: _evaluate(m.group(1), inputs, steps, action_file.parent), str(text)
        )

    for number, step in enumerate(action["runs"]["steps"]):
        if _skipped(step, inputs):
            continue
        assert step.get("shell") == "bash", "a composite action's run step names its shell"
        assert "${{" not in step["run"], "expressions belong in env:, never in run:"
        step_id = step.get("id", f"step{number}")
        step_files = {name: runner_dir / f"{number:02d}-{step_id}.{name}" for name in STEP_FILES}
        for path in step_files.values():
            path.touch()
        files[step_id] = step_files
        script = runner_dir / f"{number:02d}-{step_id}.sh"
        script.write_text(step["run"], encoding="utf-8")
        step_env = {
            **env,
            **{k: str(p) for k, p in step_files.items()},
            "GITHUB_ACTION_PATH": str(action_file.parent),
        }
        step_env.update({k: expand(v) for k, v in (step.get("env") or {}).items()})
        done = subprocess.run(
            ["bash", "--noprofile", "--norc", "-eo", "pipefail", str(script)],
            cwd=workspace / expand(step.get("working-directory", ".")),
            env=step_env,
            capture_output=True,
            text=True,
            timeout=300,
        )
        logs[step_id] = done.stdout + done.stderr
        if done.returncode != 0:
            raise StepFailed(
                f"step {step.get('name')!r} exited {done.returncode}\n"
                f"stdout:\n{done.stdout}\nstderr:\n{done.stderr}"
            )
        steps[step_id] = read_pairs(step_files["GITHUB_OUTPUT"])
        env.update(read_pairs(step_files["GITHUB_ENV"]))
        added = step_files["GITHUB_PATH"].read_text(encoding="utf-8").split()
        if added:
            env["PATH"] = os.pathsep.join([*reversed(added), env.get("PATH", "")])
        summary.append(step_files["GITHUB_STEP_SUMMARY"].read_text(encoding="utf-8"))
    outputs = {name: expand(spec["value"]) for name, spec in action.get("outputs", {}).items()}
    return Ran(outputs, files, env, "".join(summary), logs)
