"""One policy file as read (bot/core/policy/parsed.py): a field of the part that was
checked, named by its file, line and path as written in the file, even where invalid
entries before it were taken out."""

from __future__ import annotations

from pathlib import Path

from bot.core.policy.files import parse_file

GOOD_MODEL = "  - name: good\n    targets:\n      staging: {requesters: [eng], approvals: 0}\n"


def test_a_valid_file_points_at_its_fields(tmp_path: Path) -> None:
    path = tmp_path / "p.yaml"
    path.write_text("models:\n" + GOOD_MODEL)
    parsed, _ = parse_file(path)
    assert parsed is not None
    assert parsed.where(("models", 0, "targets", "staging")) == f"{path}:4"
    assert parsed.problem(
        ("models", 0, "targets", "staging", "requesters", 0), "no such group"
    ) == (f"{path}:4: models[0].targets.staging.requesters[0]: no such group")


def test_after_an_invalid_entry_is_taken_out_fields_are_named_as_written(tmp_path: Path) -> None:
    path = tmp_path / "p.yaml"
    path.write_text('models:\n  - name: ""\n    targets: {}\n' + GOOD_MODEL)
    parsed, problems = parse_file(path)
    assert parsed is not None and len(problems) == 1
    # The checked part holds the good entry alone, first; the file has it second.
    assert [model.name for model in parsed.checked.raw.models] == ["good"]
    assert parsed.where(("models", 0, "targets", "staging")) == f"{path}:6"
    assert parsed.problem(("models", 0, "name"), "is odd") == f"{path}:4: models[1].name: is odd"
