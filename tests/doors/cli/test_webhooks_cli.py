"""`promobot webhooks install` in-process against real registries (SQLite, a file store,
nothing listening): what it says, its exit status, and the webhook MLflow then holds."""

from __future__ import annotations

import pytest
from mlflow import MlflowClient

from bot.cli import main

URL = "https://promobot.example.com/mlflow/webhook"
SECRET = "a-long-random-secret-0123456789abcdef"
EVENTS = "model_version.created, model_version_alias.created, model_version_alias.deleted"


@pytest.fixture
def env(tracking_uri, monkeypatch) -> MlflowClient:
    monkeypatch.setenv("PROMOBOT_MLFLOW_WEBHOOK_SECRET", SECRET)
    # The SQLite store checks the URL's host in this process, which has no DNS.
    monkeypatch.setenv("MLFLOW_WEBHOOK_ALLOW_PRIVATE_IPS", "true")
    return MlflowClient(tracking_uri=tracking_uri)


def test_help_says_what_it_does_and_needs(capsys) -> None:
    for args in (["webhooks"], ["webhooks", "--help"], ["webhooks", "install", "-h"]):
        assert main(args) == 0
        out = capsys.readouterr().out
        assert out.startswith("usage: promobot webhooks install --url URL\n")
        assert "PROMOBOT_MLFLOW_WEBHOOK_SECRET" in out
        assert "SQL-backed tracking server" in out
    assert main(["--help"]) == 0
    assert "promobot webhooks install --url URL" in capsys.readouterr().out


@pytest.mark.parametrize(
    ("args", "said"),
    [
        (["install"], "--url is required: where MLflow's server reaches `promobot serve`'s"),
        (["install", "--url"], "--url needs a value"),
        (["install", "--url", "promobot:3000"], "'promobot:3000' is not an http(s) URL"),
        (["install", "--url=ftp://x/mlflow/webhook"], "is not an http(s) URL"),
        (["install", "--url", URL, "--force"], "unknown option '--force'"),
        (["uninstall"], "unknown subcommand 'uninstall'"),
    ],
)
def test_usage_errors_exit_2_with_a_sentence(env, capsys, args, said) -> None:
    assert main(["webhooks", *args]) == 2
    err = capsys.readouterr().err
    assert said in err
    assert "Run `promobot webhooks --help` for the usage." in err
    assert list(env.list_webhooks()) == []


def test_without_the_secret_it_refuses(env, monkeypatch, capsys) -> None:
    monkeypatch.delenv("PROMOBOT_MLFLOW_WEBHOOK_SECRET")
    assert main(["webhooks", "install", "--url", URL]) == 1
    assert capsys.readouterr().err.startswith(
        "promobot webhooks install: PROMOBOT_MLFLOW_WEBHOOK_SECRET is not set: MLflow signs "
        "each delivery with it"
    )
    assert list(env.list_webhooks()) == []


def test_created_then_already_so_then_updated(env, monkeypatch, capsys) -> None:
    assert main(["webhooks", "install", "--url", URL]) == 0
    [hook] = env.list_webhooks()
    out = capsys.readouterr().out.splitlines()
    assert out[0] == f"Created the MLflow webhook `promobot` ({hook.webhook_id}): {EVENTS} → {URL}."
    assert out[1].startswith("MLflow's server caches its webhooks for MLFLOW_WEBHOOK_CACHE_TTL")
    assert out[2].startswith("Note: MLFLOW_TRACKING_URI is not a tracking server.")

    assert main(["webhooks", "install", f"--url={URL}"]) == 0
    out = capsys.readouterr().out.splitlines()
    assert out[0] == (
        f"The MLflow webhook `promobot` ({hook.webhook_id}) is already so: {EVENTS} → {URL}."
    )
    assert not any("caches" in line for line in out)

    monkeypatch.setenv("PROMOBOT_MLFLOW_WEBHOOK_SECRET", "rotated-" + SECRET)
    assert main(["webhooks", "install", "--url", URL]) == 0
    assert capsys.readouterr().out.splitlines()[0] == (
        f"Updated the MLflow webhook `promobot` ({hook.webhook_id}): secret → {URL}."
    )
    [after] = env.list_webhooks()
    assert after.secret == "rotated-" + SECRET


def test_a_file_store_is_refused_with_what_is_needed(monkeypatch, tmp_path, capsys) -> None:
    monkeypatch.setenv("MLFLOW_TRACKING_URI", (tmp_path / "mlruns").as_uri())
    monkeypatch.setenv("MLFLOW_ALLOW_FILE_STORE", "true")
    monkeypatch.setenv("PROMOBOT_MLFLOW_WEBHOOK_SECRET", SECRET)
    assert main(["webhooks", "install", "--url", URL]) == 1
    err = capsys.readouterr().err
    assert err.startswith(
        "promobot webhooks install: webhooks need a SQL-backed tracking server: file://"
    )


def test_mlflow_refusing_the_url_is_explained(env, monkeypatch, capsys) -> None:
    assert main(["webhooks", "install", "--url", "http://127.0.0.1:3000/mlflow/webhook"]) == 1
    err = capsys.readouterr().err.splitlines()
    assert err == [
        "promobot webhooks install: MLflow refused to create the webhook promobot: Invalid "
        "webhook URL scheme: 'http'. Allowed schemes are: https.",
        "  MLflow's server accepts only https webhook URLs unless it runs with "
        "MLFLOW_WEBHOOK_ALLOWED_SCHEMES=http,https.",
    ]


def test_mlflow_unreachable_exits_3(monkeypatch, capsys) -> None:
    monkeypatch.setenv("MLFLOW_TRACKING_URI", "http://127.0.0.1:9")
    monkeypatch.setenv("MLFLOW_HTTP_REQUEST_MAX_RETRIES", "0")
    monkeypatch.setenv("MLFLOW_HTTP_REQUEST_TIMEOUT", "2")
    monkeypatch.setenv("PROMOBOT_MLFLOW_WEBHOOK_SECRET", SECRET)
    assert main(["webhooks", "install", "--url", URL]) == 3
    assert "MLflow is unreachable at http://127.0.0.1:9" in capsys.readouterr().err
