"""The MLflow gateway against a real SQLite registry."""

from __future__ import annotations

import os
import subprocess
import sys
import threading
from pathlib import Path

import pytest
from conftest import REPO, SERVICE_POLICY

from bot.adapters.mlflow.gateway import Registry, RegistryError


def test_concurrent_writes_of_one_tag_all_succeed(tracking_uri, models):
    """Two clicks on Approve write the same approval tag at once; MLflow's SQL store fails
    the loser of the insert with a unique-constraint error, which the gateway retries."""
    models.version("m", accuracy=0.9)
    registry = Registry(tracking_uri)
    registry.get_model("m")  # make the client before the threads start
    errors: list[BaseException] = []
    barrier = threading.Barrier(8)

    def write(n: int) -> None:
        try:
            barrier.wait()
            registry.set_model_tag("m", "mlflow.promobot.request.req-abcdef.approval.alice", str(n))
        except BaseException as exc:  # collected, asserted below
            errors.append(exc)

    threads = [threading.Thread(target=write, args=(n,)) for n in range(8)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert errors == []
    assert models.model_tags("m")["mlflow.promobot.request.req-abcdef.approval.alice"] in {
        str(n) for n in range(8)
    }


def test_making_a_registry_opens_no_database(tmp_path):
    """help and policy build a Registry but never call it: making one must not create
    (or migrate) the SQLite file."""
    db = tmp_path / "never.db"
    registry = Registry(f"sqlite:///{db}")
    assert registry.tracking_uri.endswith("never.db")
    assert not db.exists()


def test_missing_things_are_none_not_errors(tracking_uri, models):
    models.version("m", accuracy=0.9)
    registry = Registry(tracking_uri)
    assert registry.get_model("nope") is None
    assert registry.get_version("m", 99) is None
    assert registry.find_model_with_tag("mlflow.promobot.request.req-abcdef") is None
    assert registry.find_model_with_tag("x' OR name='y") is None
    assert registry.run_info("0" * 32) is None
    assert registry.versions_for_commit("m", "not-a-sha") == []


def test_a_version_tag_is_removed_and_removing_it_again_is_fine(tracking_uri, models):
    v = models.version("m", accuracy=0.9)
    models.client.set_model_version_tag("m", str(v), "archived_by", "bob@example.com")
    models.client.set_model_version_tag("m", str(v), "git_commit", "abc")
    registry = Registry(tracking_uri)
    registry.delete_version_tag("m", v, "archived_by")
    registry.delete_version_tag("m", v, "archived_by")  # a retry
    registry.delete_version_tag("m", v, "replaced_by")  # never written
    assert models.tags("m", v) == {"git_commit": "abc"}


def test_models_are_found_by_keys_of_either_layout(tracking_uri, models):
    """promobot's keys go into search filters: the current `mlflow.promobot.` keys and the
    legacy `promobot.` ones both pass the gateway's check and MLflow's search."""
    models.version("new", accuracy=0.9)
    models.version("old", accuracy=0.9)
    models.client.set_registered_model_tag("new", "mlflow.promobot.request.req-8b4e000001", "{}")
    models.client.set_registered_model_tag("old", "promobot.request.req-8b4e000002", "{}")
    models.client.set_registered_model_tag("new", "mlflow.promobot.slack.posted", "1")
    models.client.set_registered_model_tag("old", "promobot.slack.posted", "1")
    registry = Registry(tracking_uri)
    found = registry.find_model_with_tag("mlflow.promobot.request.req-8b4e000001")
    assert found is not None and found.name == "new"
    found = registry.find_model_with_tag("promobot.request.req-8b4e000002")
    assert found is not None and found.name == "old"
    assert registry.find_model_with_tag("mlflow.promobot.request.req-8b4e000002") is None
    assert registry.models_tagged("mlflow.promobot.slack.posted") == ["new"]
    assert registry.models_tagged("promobot.slack.posted") == ["old"]


@pytest.mark.parametrize(
    "patterns",
    [
        ("gov-*",),
        ("gov-a?c", "gov-x_y", "gov-[bd]ef"),
        ("Gov-ABC", "gov-abc"),
        ("*",),
        ("gov-it's",),  # a quote: the whole list is read
    ],
)
def test_a_listing_narrowed_by_the_policys_names_finds_every_match(tracking_uri, models, patterns):
    """MLflow's `name LIKE` finds at least every model a pattern names (more is fine:
    callers match exactly), and leaves out the others where it can, ledgers included."""
    from fnmatch import fnmatchcase

    names = [
        "gov-abc",
        "Gov-ABC",
        "gov-x_y",
        "gov-xzy",
        "gov-bef",
        "other",
        "promobot-ledger.0a1b2c3d",
    ]
    for name in names:
        models.client.create_registered_model(name)
    registry = Registry(tracking_uri)
    wanted = {n for n in names if any(fnmatchcase(n, p) for p in patterns)}
    listed = set(registry.model_names(patterns))
    assert wanted <= listed
    assert wanted <= {info.name for info in registry.models(patterns)}
    if patterns != ("*",) and "'" not in "".join(patterns):
        assert "other" not in listed and "promobot-ledger.0a1b2c3d" not in listed
    assert set(registry.model_names()) >= set(names)


# ---- what a failure is: MLflow refusing (exit 1) or not answering (exit 3) ------------------


def test_mlflow_refusing_is_a_refusal_with_its_code_its_message_and_what_to_do(
    tracking_uri, models
):
    models.version("m", accuracy=0.9)
    registry = Registry(tracking_uri)

    with pytest.raises(RegistryError) as missing:
        registry.set_model_tag("no-such-model", "team", "nlp")
    with pytest.raises(RegistryError) as invalid:
        registry.set_alias("m", "not an alias!", 1)

    assert (missing.value.kind, missing.value.code) == ("refused", "RESOURCE_DOES_NOT_EXIST")
    assert missing.value.is_refusal
    assert str(missing.value).startswith(
        f"MLflow at {tracking_uri} refused to write tag team on no-such-model: "
        "RESOURCE_DOES_NOT_EXIST: Registered Model with name=no-such-model not found."
    )
    assert str(missing.value).endswith(
        "Check the name or id, and that MLFLOW_TRACKING_URI is the MLflow that holds it."
    )
    assert (invalid.value.kind, invalid.value.code) == ("refused", "INVALID_PARAMETER_VALUE")
    assert "put right what it names, then run it again" in str(invalid.value)


def test_no_answer_is_unavailable(monkeypatch):
    monkeypatch.setenv("MLFLOW_HTTP_REQUEST_MAX_RETRIES", "0")
    registry = Registry("http://127.0.0.1:9")

    with pytest.raises(RegistryError) as caught:
        registry.get_version("m", 1)

    assert (caught.value.kind, caught.value.code, caught.value.is_refusal) == (
        "unavailable",
        "",
        False,
    )
    assert str(caught.value).startswith(
        "MLflow is unreachable at http://127.0.0.1:9 (read m v1): connection refused."
    )


@pytest.mark.parametrize(
    ("code", "kind"),
    [
        ("INTERNAL_ERROR", "unavailable"),
        ("TEMPORARILY_UNAVAILABLE", "unavailable"),
        ("PERMISSION_DENIED", "permission"),
        ("UNAUTHENTICATED", "permission"),
        ("BAD_REQUEST", "refused"),
        ("ENDPOINT_NOT_FOUND", "refused"),
    ],
)
def test_an_answer_is_a_refusal_unless_mlflow_failed_on_its_side(code, kind, tracking_uri):
    """What the client raises for an answer it got: a 5xx is MLflow's own failure (try
    again), any other code MLflow refusing what it was asked."""
    from mlflow.exceptions import MlflowException
    from mlflow.protos.databricks_pb2 import ErrorCode

    registry = Registry(tracking_uri)
    with pytest.raises(RegistryError) as caught, registry.calls("read model m"):
        raise MlflowException(f"{code}: what MLflow said", error_code=ErrorCode.Value(code))

    assert (caught.value.kind, caught.value.code) == (kind, code)
    assert caught.value.is_refusal == (kind != "unavailable")
    assert f"{code}: what MLflow said" in str(caught.value)


def test_a_local_store_finds_a_logged_model_through_mlflow_tracking_uri(
    tracking_uri, models, tmp_path, monkeypatch
):
    """MLflow's SQL registry store reads a `models:/m-…` source's logged model through the
    process's tracking URI (MLFLOW_TRACKING_URI), not the client's; a server reads its own
    store. promobot's Registry therefore points where MLFLOW_TRACKING_URI does: the CLI
    reads both from that variable, the demo sets it (docs/reliability.md)."""
    from bot.core.ports.registry import LoggedModel

    experiment = models.experiment()
    run = models.client.create_run(experiment).info.run_id
    made = models.client.create_logged_model(experiment, name="model", source_run_id=run)
    logged = LoggedModel(made.model_id, "model")
    registry = Registry(tracking_uri)

    monkeypatch.setenv("MLFLOW_TRACKING_URI", f"sqlite:///{tmp_path / 'elsewhere.db'}")
    with pytest.raises(RegistryError, match="Unable to fetch model from model URI"):
        registry.register("m", logged, run, {})
    monkeypatch.setenv("MLFLOW_TRACKING_URI", tracking_uri)
    assert registry.register("m", logged, run, {}).source == f"models:/{made.model_id}"


# ---- the tracking URI's secrets are never shown -----------------------------------------------

SECRET_URI = "http://bot:hunter2@127.0.0.1:9/?token=tok-s3cret&password=pw-s3cret"
MASKED_URI = "http://***@127.0.0.1:9/?token=***&password=***"


@pytest.mark.parametrize(
    "args",
    [["status", "m"], ["--json", "status", "m"], ["audit", "export"]],
    ids=["status", "status-json", "audit-export"],
)
def test_the_cli_shows_an_unreachable_tracking_uri_without_its_secrets(
    tmp_path: Path, args: list[str]
) -> None:
    """`promobot` as a real process, MLflow unreachable: the message names the server
    (so the platform team knows which) with its password, token and password parameter
    masked, wherever the CLI writes it."""
    env = {
        **os.environ,
        "PYTHONPATH": str(REPO),
        "MLFLOW_TRACKING_URI": SECRET_URI,
        "PROMOBOT_POLICY": str(SERVICE_POLICY),
        "MLFLOW_HTTP_REQUEST_MAX_RETRIES": "0",
        "MLFLOW_HTTP_REQUEST_TIMEOUT": "2",
    }
    done = subprocess.run(
        [sys.executable, "-m", "bot", *args],
        env=env,
        cwd=tmp_path,
        capture_output=True,
        text=True,
        timeout=120,
    )
    shown = done.stdout + done.stderr
    assert done.returncode == 3, shown
    assert f"MLflow is unreachable at {MASKED_URI}" in shown
    assert "hunter2" not in shown and "s3cret" not in shown


def test_an_mlflow_error_that_quotes_the_url_is_masked_too() -> None:
    """requests and urllib3 put the URL they called, query and all, into their errors;
    the sentence the gateway makes of one masks it as it masks the server's address."""
    registry = Registry(SECRET_URI)
    try:
        with registry.calls("read model m"):
            raise OSError(f"Max retries exceeded with url: {SECRET_URI}/api/2.0/mlflow/x (refused)")
    except RegistryError as exc:
        said = str(exc)
    assert said.startswith(f"MLflow is unreachable at {MASKED_URI} (read model m): ")
    assert "hunter2" not in said and "s3cret" not in said
