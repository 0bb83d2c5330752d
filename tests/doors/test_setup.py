"""Opening a door from the terminal or a job (bot/doors/setup.py): the settings, the wired
service, and every failure on the way as the exit status it means, said on stderr or in
the one `--json` envelope."""

from __future__ import annotations

import json

import pytest
from conftest import SERVICE_POLICY

from bot.core.policy import load_policy
from bot.core.ports.registry import RegistryError
from bot.doors.common import ExitCode
from bot.doors.setup import INVALID_POLICY, Failure, open_service, open_settings, registry_failure

PROBLEMS = ("p.yaml:3: models[0].name: must not be empty", "p.yaml:7: groups.x: unknown")


def test_a_failure_is_its_headline_then_each_detail_indented_on_stderr(capsys) -> None:
    code = Failure(ExitCode.REFUSED, INVALID_POLICY, PROBLEMS).report()
    out, err = capsys.readouterr()
    assert (code, out) == (ExitCode.REFUSED, "")
    assert err.splitlines() == [INVALID_POLICY, f"  {PROBLEMS[0]}", f"  {PROBLEMS[1]}"]


@pytest.mark.parametrize(
    ("code", "status"),
    [(ExitCode.REFUSED, "refused"), (ExitCode.USAGE, "error"), (ExitCode.UNAVAILABLE, "error")],
    ids=["refused", "usage", "unavailable"],
)
def test_with_json_a_failure_is_the_one_envelope_on_stdout(
    capsys, code: ExitCode, status: str
) -> None:
    assert Failure(code, "headline", ("detail",)).report(as_json=True) == code
    out, err = capsys.readouterr()
    assert err == ""
    said = json.loads(out)
    assert (said["status"], said["reasons"]) == (status, ["headline", "detail"])


@pytest.mark.parametrize(
    ("kind", "code"),
    [
        ("refused", ExitCode.REFUSED),
        ("permission", ExitCode.REFUSED),
        ("unavailable", ExitCode.UNAVAILABLE),
    ],
    ids=["refused", "permission", "unavailable"],
)
def test_mlflow_refusing_or_out_of_reach_in_mlflows_words(kind: str, code: ExitCode) -> None:
    failure = registry_failure(RegistryError("MLflow said no", kind=kind), "promobot verify")
    assert (failure.code, failure.headline, failure.details) == (
        code,
        "promobot verify: MLflow said no",
        (),
    )
    assert registry_failure(RegistryError("MLflow said no", kind=kind)).headline == "MLflow said no"


def test_a_setting_that_cannot_be_read_is_a_usage_error_naming_it(monkeypatch) -> None:
    monkeypatch.setenv("PORT", "eighty")
    settings, failure = open_settings()
    assert settings is None and failure is not None
    assert (failure.code, failure.headline) == (
        ExitCode.USAGE,
        "invalid settings in the environment: port: Input should be a valid integer, unable "
        "to parse string as an integer",
    )
    assert open_service() == (None, failure)


def test_an_invalid_policy_stops_with_every_problem(monkeypatch, tmp_path) -> None:
    bad = tmp_path / "p.yaml"
    bad.write_text("models:\n  - name: ''\n    targets: {}\n")
    monkeypatch.setenv("PROMOBOT_POLICY", str(bad))
    service, failure = open_service()
    assert service is None and failure is not None
    assert (failure.code, failure.headline) == (ExitCode.REFUSED, INVALID_POLICY)
    assert [line.split(": ")[0] for line in failure.details] == [f"{bad}:2"]


def test_the_service_opens_on_the_settings_and_a_policy_given_reads_no_files(
    monkeypatch, tmp_path
) -> None:
    monkeypatch.setenv("MLFLOW_TRACKING_URI", f"sqlite:///{tmp_path / 'mlflow.db'}")  # not opened
    monkeypatch.setenv("PROMOBOT_POLICY", str(SERVICE_POLICY))
    service, failure = open_service()
    assert failure is None and service is not None
    assert service.policy.sources == (str(SERVICE_POLICY),)

    monkeypatch.setenv("PROMOBOT_POLICY", "/nowhere")
    given = load_policy(SERVICE_POLICY)
    service, failure = open_service(policy=given)
    assert failure is None and service is not None and service.policy is given
    assert not (tmp_path / "mlflow.db").exists()  # opening a door reads no registry
