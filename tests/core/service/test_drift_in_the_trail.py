"""A change made behind promobot's back is part of the trail (issue #20), as someone at a
terminal sees it on a plain SQLite registry: the lesson's raw rollback, made with MLflow's
own client, is found by `promobot audit`, put right with `promobot rollback`, and then
`history` and `audit export` (JSON lines and CSV) still list it, with when it was found
and what held the target. The commands run through `bot.cli.main`, as `promobot` does."""

from __future__ import annotations

import csv
import io
import json
from datetime import UTC, datetime

import pytest
from conftest import SERVICE_POLICY
from service_helpers import M, to_production

from bot.cli import main


@pytest.fixture(autouse=True)
def policy(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("PROMOBOT_POLICY", str(SERVICE_POLICY))


def cli(capsys: pytest.CaptureFixture[str], *words: str) -> tuple[int, str]:
    code = main(list(words))
    return code, capsys.readouterr().out


def test_the_lessons_raw_rollback_stays_in_history_and_the_export(
    service, models, two_versions, capsys
) -> None:
    v1, v2 = two_versions
    assert to_production(service, v1).status == "done"
    assert to_production(service, v2).status == "done"
    # The lesson's emergency script, outside promobot.
    models.client.transition_model_version_stage(
        M, str(v1), "Production", archive_existing_versions=True
    )

    before = datetime.now(UTC).replace(microsecond=0)
    code, out = cli(capsys, "audit", M)
    assert code == 1
    assert f"{M}: ⚠ Production holds v{v1}, but promobot last put v{v2} there" in out
    code, out = cli(capsys, "rollback", M, "production", "put", "right", "--as", "carol", "--json")
    assert code == 0, out
    assert json.loads(out)["version"] == v2
    assert cli(capsys, "audit", M)[0] == 0  # nothing drifts any more
    assert models.stage(M, v2) == "Production"

    code, out = cli(capsys, "history", M, "--json")
    assert code == 0
    history = json.loads(out)["data"]["history"]
    assert [(h["kind"], h["version"]) for h in history[:2]] == [
        ("rollback", v2),
        ("drift-found:outside", v1),
    ]
    found = history[1]
    assert (found["target"], found["previous"], found["by"]) == (
        "Production",
        v2,
        "outside promobot",
    )
    assert datetime.fromisoformat(found["at"]) >= before
    assert found["reason"].endswith("Found by `promobot audit`.")
    code, out = cli(capsys, "history", M)
    assert f"⚠ v{v1} on Production outside promobot (promobot: v{v2})" in out

    code, out = cli(capsys, "audit", "export", M)
    assert code == 0
    lines = [json.loads(line) for line in out.splitlines()]
    assert [r["event"] for r in lines][-2:] == ["drift", "rollback"]
    drift = lines[-2]
    assert {k: drift[k] for k in ("action", "version", "previous", "target", "by", "channel")} == {
        "action": "outside",
        "version": v1,
        "previous": v2,
        "target": "Production",
        "by": "outside promobot",
        "channel": "audit",
    }
    assert drift["at"] == found["at"].replace("+00:00", "Z")
    assert drift["reason"].startswith(
        f"Production held v{v1}, but promobot had last put v{v2} there (bob@example.com, "
    )

    code, out = cli(capsys, "audit", "export", M, "--format", "csv")
    assert code == 0
    rows = list(csv.DictReader(io.StringIO(out, newline="")))
    assert [{k: "" if v is None else str(v) for k, v in r.items()} for r in lines] == rows
    assert [r["event"] for r in rows].count("drift") == 1
