"""`promobot board` over a registry URI that names no SQLite file: one line, exit 2, and
no empty registry created in its place."""

from __future__ import annotations

from pathlib import Path

import pytest

from bot.doors.cli.board import missing_sqlite_file, run_board


def test_a_missing_sqlite_registry_is_refused_and_not_created(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    db = tmp_path / "typo" / "mlflow.db"
    code = run_board(["--registry", f"sqlite:///{db}", "--port", "0"])
    err = capsys.readouterr().err
    assert code == 2
    assert err.strip() == f"promobot board: no registry at {db} (no such SQLite file)"
    assert not db.parent.exists()


def test_only_sqlite_files_that_exist_pass(tmp_path: Path) -> None:
    db = tmp_path / "mlflow.db"
    db.touch()
    assert missing_sqlite_file(f"sqlite:///{db}") is None
    assert missing_sqlite_file("http://127.0.0.1:5000") is None
    assert missing_sqlite_file(f"sqlite:///{tmp_path}/no.db") == tmp_path / "no.db"
