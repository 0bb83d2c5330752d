"""An alias target is at most as long as a command can name it: the policy refuses a
longer one, with the file and line, so that no rule stands for a target nobody can type
(and no Slack button or block grows past Slack's limits for one)."""

from __future__ import annotations

from pathlib import Path

import pytest

from bot.cli import main
from bot.core.commands import Promote, parse
from bot.core.commands.words import ALIAS_MAX_LENGTH
from bot.core.policy import load_policy

POLICY = """\
people:
  alice: {{email: alice@example.com, github: alice}}
groups:
  leads: [alice]
models:
  - name: m
    targets:
      "@{alias}":
        requesters: [leads]
        approvals: 0
"""


def policy_file(tmp_path: Path, alias: str) -> Path:
    path = tmp_path / "policy.yaml"
    path.write_text(POLICY.format(alias=alias), encoding="utf-8")
    return path


def test_the_longest_alias_a_command_names_is_a_target_the_policy_takes(tmp_path: Path) -> None:
    alias = "a" * ALIAS_MAX_LENGTH

    rules = load_policy(policy_file(tmp_path, alias)).rules_for("m")

    assert rules is not None and list(rules.targets) == [f"@{alias}"]
    command = parse(f"promote m v1 @{alias}").command
    assert isinstance(command, Promote) and command.target.key == f"@{alias}"


def test_a_longer_alias_is_refused_by_policy_check_with_file_and_line(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    alias = "a" * (ALIAS_MAX_LENGTH + 1)
    path = policy_file(tmp_path, alias)
    assert parse(f"promote m v1 @{alias}").command is None  # no command could name it

    assert main(["policy", "check", str(path)]) == 1

    shown = capsys.readouterr()
    assert f"{path}:8: " in shown.out + shown.err
    assert "is 65 characters long; an alias is at most 64 characters" in shown.out + shown.err
