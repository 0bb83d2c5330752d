"""bot/config.py: every setting read from the environment, its default, and a bad value."""

from __future__ import annotations

import pytest
from pydantic import ValidationError

from bot.config import GITHUB_PERMISSIONS, Settings, load_settings

DEFAULTS = {
    "mlflow_tracking_uri": "sqlite:///mlflow.db",
    "promobot_policy": "policies/",
    "promobot_actor": "",
    "promobot_github_min_permission": "write",
    "promobot_debug": "",
    "promobot_sweep_seconds": 60.0,
    "promobot_audit_seconds": 300.0,
    "promobot_mlflow_webhook_secret": None,
    "promobot_log_level": "INFO",
    "promobot_access_log": "",
    "promobot_lock_ttl_seconds": 120.0,
    "promobot_lock_wait_seconds": 30.0,
    "promobot_group_cache_seconds": 300.0,
    "promobot_mlflow_ui_url": "",
    "promobot_slack_channel": "",
    "promobot_prometheus_url": "",
    "promobot_prometheus_token": None,
    "promobot_prometheus_username": "",
    "promobot_prometheus_password": None,
    "promobot_prometheus_timeout_seconds": 5.0,
    "promobot_verify_seconds": 10.0,
    "promobot_board": "",
    "promobot_board_seconds": 3.0,
    "slack_bot_token": None,
    "slack_signing_secret": None,
    "slack_app_token": None,
    "slack_api_url": "https://slack.com/api/",
    "github_token": None,
    "github_repository": "",
    "github_event_path": "",
    "github_api_url": "https://api.github.com",
    "port": 3000,
    "web_concurrency": 1,
    "promobot_work_threads": 16,
    "promobot_server_url": "",
    "promobot_service_users": "",
    "mlflow_tracking_username": "",
    "mlflow_tracking_password": None,
    "promobot_signing_key": None,
    "promobot_trusted_keys": "",
}


@pytest.fixture(autouse=True)
def clean_env(monkeypatch: pytest.MonkeyPatch) -> pytest.MonkeyPatch:
    for name in Settings.model_fields:
        monkeypatch.delenv(name.upper(), raising=False)
    return monkeypatch


def test_every_setting_has_its_default():
    settings = load_settings()
    assert settings.model_dump() == DEFAULTS
    assert set(Settings.model_fields) == set(DEFAULTS)


def test_the_module_docstring_lists_every_variable():
    import bot.config

    for name in Settings.model_fields:
        assert f"\n    {name.upper()} " in bot.config.__doc__, name


@pytest.mark.parametrize(
    ("variable", "value", "field", "expected"),
    [
        ("MLFLOW_TRACKING_URI", "http://mlflow:5000", "mlflow_tracking_uri", "http://mlflow:5000"),
        ("PROMOBOT_POLICY", "/etc/promobot", "promobot_policy", "/etc/promobot"),
        ("PROMOBOT_ACTOR", "slack:U01BOB", "promobot_actor", "slack:U01BOB"),
        ("PROMOBOT_GITHUB_MIN_PERMISSION", "read", "promobot_github_min_permission", "read"),
        ("PROMOBOT_GITHUB_MIN_PERMISSION", " Admin ", "promobot_github_min_permission", "admin"),
        ("PROMOBOT_GITHUB_MIN_PERMISSION", "", "promobot_github_min_permission", "write"),
        ("PROMOBOT_DEBUG", "1", "promobot_debug", "1"),
        ("PROMOBOT_DEBUG", "0", "promobot_debug", "0"),  # any value turns it on, as ever
        ("PROMOBOT_SWEEP_SECONDS", "2.5", "promobot_sweep_seconds", 2.5),
        ("PROMOBOT_SWEEP_SECONDS", "0", "promobot_sweep_seconds", 0.0),
        ("PROMOBOT_SWEEP_SECONDS", "  ", "promobot_sweep_seconds", 60.0),
        ("PROMOBOT_AUDIT_SECONDS", "30", "promobot_audit_seconds", 30.0),
        ("PROMOBOT_AUDIT_SECONDS", "0", "promobot_audit_seconds", 0.0),
        ("PROMOBOT_AUDIT_SECONDS", "", "promobot_audit_seconds", 300.0),
        ("PROMOBOT_LOG_LEVEL", "debug", "promobot_log_level", "debug"),
        ("PROMOBOT_ACCESS_LOG", "-", "promobot_access_log", "-"),
        ("PROMOBOT_LOCK_TTL_SECONDS", "5", "promobot_lock_ttl_seconds", 5.0),
        ("PROMOBOT_LOCK_WAIT_SECONDS", "0.3", "promobot_lock_wait_seconds", 0.3),
        ("PROMOBOT_GROUP_CACHE_SECONDS", "60", "promobot_group_cache_seconds", 60.0),
        ("PROMOBOT_GROUP_CACHE_SECONDS", "0", "promobot_group_cache_seconds", 0.0),
        (
            "PROMOBOT_MLFLOW_UI_URL",
            "https://mlflow.example.com",
            "promobot_mlflow_ui_url",
            "https://mlflow.example.com",
        ),
        ("PROMOBOT_SLACK_CHANNEL", " C0123ABCD ", "promobot_slack_channel", "C0123ABCD"),
        ("PROMOBOT_SLACK_CHANNEL", "G0PRIVATE1", "promobot_slack_channel", "G0PRIVATE1"),
        ("SLACK_API_URL", "http://127.0.0.1:1/api/", "slack_api_url", "http://127.0.0.1:1/api/"),
        ("GITHUB_REPOSITORY", "acme/models", "github_repository", "acme/models"),
        ("GITHUB_EVENT_PATH", "/tmp/event.json", "github_event_path", "/tmp/event.json"),
        (
            "GITHUB_API_URL",
            "https://ghe.example.com/api/v3",
            "github_api_url",
            "https://ghe.example.com/api/v3",
        ),
        ("PORT", "8080", "port", 8080),
        ("WEB_CONCURRENCY", "4", "web_concurrency", 4),
        ("PROMOBOT_WORK_THREADS", "4", "promobot_work_threads", 4),
    ],
)
def test_a_setting_is_read_from_its_variable(clean_env, variable, value, field, expected):
    clean_env.setenv(variable, value)
    settings = load_settings()
    assert getattr(settings, field) == expected
    assert settings.problem(variable) == ""


@pytest.mark.parametrize(
    "variable",
    [
        "SLACK_BOT_TOKEN",
        "SLACK_SIGNING_SECRET",
        "SLACK_APP_TOKEN",
        "GITHUB_TOKEN",
        "PROMOBOT_MLFLOW_WEBHOOK_SECRET",
    ],
)
def test_secrets_are_read_and_never_shown(clean_env, variable):
    clean_env.setenv(variable, "xoxb-very-secret")
    settings = load_settings()
    secret = getattr(settings, variable.lower())
    assert secret.get_secret_value() == "xoxb-very-secret"
    assert "very-secret" not in repr(settings) and "very-secret" not in str(settings)


@pytest.mark.parametrize(
    ("value", "sentence"),
    [
        ("soon", "PROMOBOT_SWEEP_SECONDS must be a number of seconds, not 'soon'."),
        ("-1", "PROMOBOT_SWEEP_SECONDS must be 0 (off) or more, not '-1'."),
        ("nan", "PROMOBOT_SWEEP_SECONDS must be 0 (off) or more, not 'nan'."),
    ],
    ids=["not-a-number", "negative", "nan"],
)
def test_a_bad_sweep_interval_is_a_sentence_for_the_door(clean_env, value, sentence):
    clean_env.setenv("PROMOBOT_SWEEP_SECONDS", value)
    settings = load_settings()  # every other door still starts
    assert settings.problem("PROMOBOT_SWEEP_SECONDS") == sentence
    assert settings.promobot_sweep_seconds == 60.0


@pytest.mark.parametrize(
    ("value", "sentence"),
    [
        ("hourly", "PROMOBOT_AUDIT_SECONDS must be a number of seconds, not 'hourly'."),
        ("-300", "PROMOBOT_AUDIT_SECONDS must be 0 (off) or more, not '-300'."),
    ],
    ids=["not-a-number", "negative"],
)
def test_a_bad_audit_interval_is_a_sentence_for_the_door(clean_env, value, sentence):
    clean_env.setenv("PROMOBOT_AUDIT_SECONDS", value)
    settings = load_settings()
    assert settings.problem("PROMOBOT_AUDIT_SECONDS") == sentence
    assert settings.promobot_audit_seconds == 300.0


@pytest.mark.parametrize(
    ("value", "shown"), [("owner", "'owner'"), (" Owner ", "'owner'"), ("  ", "''")]
)
def test_an_unknown_minimum_permission_is_a_sentence_for_the_door(clean_env, value, shown):
    clean_env.setenv("PROMOBOT_GITHUB_MIN_PERMISSION", value)
    settings = load_settings()
    assert settings.problem("PROMOBOT_GITHUB_MIN_PERMISSION") == (
        "PROMOBOT_GITHUB_MIN_PERMISSION must be one of read, triage, write, maintain, admin, "
        f"not {shown}"
    )
    assert settings.promobot_github_min_permission == "write"
    assert GITHUB_PERMISSIONS == ("read", "triage", "write", "maintain", "admin")


@pytest.mark.parametrize("value", ["", "0", "-5", "nan", "two minutes"])
@pytest.mark.parametrize(
    ("variable", "default"),
    [("PROMOBOT_LOCK_TTL_SECONDS", 120.0), ("PROMOBOT_LOCK_WAIT_SECONDS", 30.0)],
)
def test_a_bad_lock_time_is_quietly_the_default(clean_env, variable, default, value):
    clean_env.setenv(variable, value)
    settings = load_settings()
    assert getattr(settings, variable.lower()) == default
    assert settings.problem(variable) == ""


@pytest.mark.parametrize(
    ("value", "expected"), [("", 1), ("0", 1), ("-3", 1), ("many", 1), ("2.5", 1), ("3", 3)]
)
def test_web_concurrency_is_at_least_one_worker(clean_env, value, expected):
    clean_env.setenv("WEB_CONCURRENCY", value)
    assert load_settings().web_concurrency == expected


@pytest.mark.parametrize(("value", "expected"), [("", 16), ("0", 1), ("many", 16), ("4", 4)])
def test_work_threads_are_at_least_one(clean_env, value, expected):
    clean_env.setenv("PROMOBOT_WORK_THREADS", value)
    assert load_settings().promobot_work_threads == expected


def test_a_malformed_port_fails_loading(clean_env):
    clean_env.setenv("PORT", "http")
    with pytest.raises(ValidationError):
        load_settings()


def test_settings_can_be_given_in_code():
    settings = Settings(promobot_sweep_seconds="-2", promobot_lock_ttl_seconds=0)
    assert settings.problem("promobot_sweep_seconds").startswith("PROMOBOT_SWEEP_SECONDS must be")
    assert settings.promobot_lock_ttl_seconds == 120.0
    assert Settings(promobot_sweep_seconds=5).promobot_sweep_seconds == 5.0


@pytest.mark.parametrize("value", ["", "-1", "nan", "five minutes"])
def test_a_bad_group_cache_time_is_quietly_the_default(clean_env, value):
    clean_env.setenv("PROMOBOT_GROUP_CACHE_SECONDS", value)
    settings = load_settings()
    assert settings.promobot_group_cache_seconds == 300.0
    assert settings.problem("PROMOBOT_GROUP_CACHE_SECONDS") == ""


@pytest.mark.parametrize("value", ["#releases", "releases", "c0123abcd", "U01BOB"])
def test_a_bad_slack_channel_is_a_sentence_and_no_default_channel(clean_env, value):
    clean_env.setenv("PROMOBOT_SLACK_CHANNEL", value)
    settings = load_settings()  # every door still starts; nothing is announced by default
    assert settings.promobot_slack_channel == ""
    assert settings.problem("PROMOBOT_SLACK_CHANNEL") == (
        "PROMOBOT_SLACK_CHANNEL must be a Slack channel ID such as C0123ABCD (from the "
        f"channel's details), not {value!r}; nothing is announced by default"
    )


@pytest.mark.parametrize(
    ("value", "problem"),
    [
        ("soon", "PROMOBOT_VERIFY_SECONDS must be a number of seconds, not 'soon'."),
        ("-1", "PROMOBOT_VERIFY_SECONDS must be 0 (off) or more, not '-1'."),
    ],
)
def test_a_bad_verify_interval_is_a_sentence_for_serve(
    clean_env: pytest.MonkeyPatch, value: str, problem: str
) -> None:
    clean_env.setenv("PROMOBOT_VERIFY_SECONDS", value)
    settings = load_settings()
    assert settings.problem("PROMOBOT_VERIFY_SECONDS") == problem
    assert settings.promobot_verify_seconds == 10.0  # the default; serve refuses to start


def test_prometheus_secrets_are_kept_secret(clean_env: pytest.MonkeyPatch) -> None:
    clean_env.setenv("PROMOBOT_PROMETHEUS_TOKEN", "t0ken")
    clean_env.setenv("PROMOBOT_PROMETHEUS_PASSWORD", "pa55")
    settings = load_settings()
    assert "t0ken" not in repr(settings) and "pa55" not in repr(settings)
    assert settings.promobot_prometheus_token is not None
    assert settings.promobot_prometheus_token.get_secret_value() == "t0ken"


@pytest.mark.parametrize(
    ("variable", "value", "found", "problem"),
    [
        ("PROMOBOT_BOARD", "on", "on", ""),
        ("PROMOBOT_BOARD", " OFF ", "off", ""),
        ("PROMOBOT_BOARD", "", "", ""),
        ("PROMOBOT_BOARD", "public", "", "127.0.0.1 only"),
        ("PROMOBOT_BOARD_SECONDS", "2.5", 2.5, ""),
        ("PROMOBOT_BOARD_SECONDS", "0", 0.0, ""),
        ("PROMOBOT_BOARD_SECONDS", "", 3.0, ""),
        ("PROMOBOT_BOARD_SECONDS", "soon", 3.0, "must be a number of seconds, not 'soon'."),
        ("PROMOBOT_BOARD_SECONDS", "-1", 3.0, "must be 0 (off) or more, not '-1'."),
    ],
)
def test_the_board_settings_and_their_mistakes(
    clean_env: pytest.MonkeyPatch, variable: str, value: str, found: object, problem: str
) -> None:
    clean_env.setenv(variable, value)
    settings = load_settings()
    assert getattr(settings, variable.lower()) == found
    assert problem in settings.problem(variable)
    assert bool(settings.problem(variable)) == bool(problem)
