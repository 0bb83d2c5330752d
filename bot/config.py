"""One Settings object, read from the environment (docs/contract.md, "Settings").

This is the only module that reads promobot's environment variables; every door and
the wiring in app.py take them from a `Settings`. The variables, their defaults and
what they are:

    MLFLOW_TRACKING_URI             sqlite:///mlflow.db  the MLflow tracking server (and registry)
    PROMOBOT_POLICY                 policies/     the policy file, or a folder of .yaml files
    PROMOBOT_ACTOR                  (empty)       `promobot`'s actor when --as is not given
                                                  (empty: mlflow:<username> with MLflow
                                                  credentials for a server, else cli:$USER)
    PROMOBOT_SERVER_URL             (empty)       `promobot serve`'s URL: the command words go
                                                  through its command door (like --server)
    PROMOBOT_SERVICE_USERS          (empty)       promobot's own MLflow usernames: only they
                                                  may act for someone else (--as, "as")
    PROMOBOT_SIGNING_KEY            (none)        the Ed25519 private key (a PEM path, or the
                                                  PEM) promobot signs its records and receipts
                                                  with (secret); none: nothing is signed
    PROMOBOT_TRUSTED_KEYS           (empty)       the public keys whose signatures count (PEM
                                                  paths or PEMs, several: rotation); the
                                                  signing key's own public key always counts
    MLFLOW_TRACKING_USERNAME        (empty)       the MLflow account the CLI signs in with
    MLFLOW_TRACKING_PASSWORD        (none)        its password (secret)
    PROMOBOT_GITHUB_MIN_PERMISSION  write         the least repository permission a commenter
                                                  needs: read, triage, write, maintain, admin
    PROMOBOT_DEBUG                  (empty)       any value: `promobot github` prints the
                                                  traceback of an internal error
    PROMOBOT_SWEEP_SECONDS          60            how often `promobot serve` closes expired
                                                  requests and updates their messages; 0: off
    PROMOBOT_AUDIT_SECONDS          300           how often `promobot serve` audits the governed
                                                  models for drift (stage moves send no
                                                  webhook); 0: off
    PROMOBOT_MLFLOW_WEBHOOK_SECRET  (none)        the secret MLflow signs its webhook
                                                  deliveries with (`promobot webhooks install`
                                                  gives it to MLflow); unset: deliveries get 401
    PROMOBOT_LOG_LEVEL              INFO          `promobot serve`'s log level (and gunicorn's)
    PROMOBOT_ACCESS_LOG             (empty)       gunicorn's access log (`-`: stdout); empty: none
    PROMOBOT_LOCK_TTL_SECONDS       120           a target's lock expires after this long, so a
                                                  crashed process's lock is recovered
    PROMOBOT_LOCK_WAIT_SECONDS      30            how long a command waits for a busy lock
    PROMOBOT_GROUP_CACHE_SECONDS    300           how long the members of a GitHub team or
                                                  Slack user group are kept; 0: no cache
    PROMOBOT_MLFLOW_UI_URL          (empty)       the MLflow UI people open: a GitHub deployment
                                                  links the version's page there
    PROMOBOT_SLACK_CHANNEL          (empty)       the Slack channel ID (C…/G…) where requests,
                                                  promotions, drift and new versions of models
                                                  whose policy entry names no slack_channel
                                                  are announced; empty: only those named
    SLACK_BOT_TOKEN                 (none)        the Slack app's Bot User OAuth Token (xoxb-…)
    SLACK_SIGNING_SECRET            (none)        the Slack app's Signing Secret (HTTP)
    SLACK_APP_TOKEN                 (none)        an app-level token (xapp-…) for Socket Mode
    SLACK_API_URL                   https://slack.com/api/  Slack's Web API (tests: a fake)
    GITHUB_TOKEN                    (none)        the comment door's token; in any door, it
                                                  reads checks and records deployments
    GITHUB_REPOSITORY               (empty)       owner/name (default: the event's repository)
    GITHUB_EVENT_PATH               (empty)       the issue_comment payload (set by Actions)
    GITHUB_API_URL                  https://api.github.com  GitHub's REST API
    PROMOBOT_PROMETHEUS_URL         (empty)       the Prometheus that live gates and verification
                                                  query (empty: none; their checks have no data)
    PROMOBOT_PROMETHEUS_TOKEN       (none)        a bearer token for it (secret)
    PROMOBOT_PROMETHEUS_USERNAME    (empty)       basic-auth user for it, with
    PROMOBOT_PROMETHEUS_PASSWORD    (none)        its password (secret)
    PROMOBOT_PROMETHEUS_TIMEOUT_SECONDS  5        the longest one query may take
    PROMOBOT_VERIFY_SECONDS         10            how often `promobot serve` runs the verification
                                                  pass; 0: off
    PROMOBOT_BOARD                  (empty)       the release board (GET /releases) over a registry
                                                  that is not guarded: empty, it answers only
                                                  127.0.0.1; on: anyone who reaches serve; off:
                                                  no board (guarded: MLflow credentials always)
    PROMOBOT_BOARD_SECONDS          3             how old the overview's read of MLflow may
                                                  be (changes made through this process show
                                                  at once); 0: read afresh for every overview
    PORT                            3000          `promobot serve`'s port
    WEB_CONCURRENCY                 1             `promobot serve`'s gunicorn worker processes
    PROMOBOT_WORK_THREADS           16            commands each `promobot serve` worker carries
                                                  out at once after their acks (the rest wait
                                                  in line, holding no lock)

The guard (`mlflow server --app-name promobot-guard`, bot/adapters/mlflow/guard/) runs on
the MLflow host and reads its own few, as `GuardSettings`:

    PROMOBOT_POLICY                 policies/     the policy: the models it names are governed
    PROMOBOT_SERVICE_USERS          (empty)       promobot's own MLflow usernames, comma-separated:
                                                  only they change governed models (required)
    PROMOBOT_GUARD_ADMINS           refuse        refuse: MLflow admins are refused like anyone;
                                                  allow: admins may change governed models
                                                  (break-glass while promobot is down)

A malformed value stops only the door that needs it, as it always has, never every
command: PORT (and the secrets) are checked by pydantic, so a bad one fails
`load_settings()`; a bad PROMOBOT_SWEEP_SECONDS, PROMOBOT_AUDIT_SECONDS or
PROMOBOT_GITHUB_MIN_PERMISSION leaves the default in place and a sentence in
`Settings.problem(variable)`, which `promobot serve` and `promobot github` report at the
point they always did (a bad PROMOBOT_SLACK_CHANNEL likewise: no default channel, and
app.py logs the sentence); a malformed or non-positive lock time, a malformed or negative
group cache time, WEB_CONCURRENCY or PROMOBOT_WORK_THREADS, is quietly the default.
"""

from __future__ import annotations

import math
import os
from collections.abc import Callable
from typing import Any

from pydantic import PrivateAttr, SecretStr, ValidationInfo, field_validator, model_validator
from pydantic_settings import BaseSettings, SettingsConfigDict

from bot.core.policy.schema_types import SLACK_CHANNEL_PATTERN

# The repository roles GitHub names, weakest first, that a minimum permission can be.
GITHUB_PERMISSIONS = ("read", "triage", "write", "maintain", "admin")


# The name people set, as help text and messages quote it.
MIN_PERMISSION_VARIABLE = "PROMOBOT_GITHUB_MIN_PERMISSION"


class Settings(BaseSettings):
    model_config = SettingsConfigDict(extra="ignore", populate_by_name=True)

    mlflow_tracking_uri: str = "sqlite:///mlflow.db"
    promobot_policy: str = "policies/"
    promobot_actor: str = ""
    promobot_server_url: str = ""
    promobot_service_users: str = ""
    mlflow_tracking_username: str = ""
    mlflow_tracking_password: SecretStr | None = None
    promobot_signing_key: SecretStr | None = None
    promobot_trusted_keys: str = ""
    promobot_github_min_permission: str = "write"
    promobot_debug: str = ""
    promobot_sweep_seconds: float = 60.0
    promobot_audit_seconds: float = 300.0
    promobot_mlflow_webhook_secret: SecretStr | None = None
    promobot_log_level: str = "INFO"
    promobot_access_log: str = ""
    promobot_lock_ttl_seconds: float = 120.0
    promobot_lock_wait_seconds: float = 30.0
    promobot_group_cache_seconds: float = 300.0
    promobot_mlflow_ui_url: str = ""
    promobot_slack_channel: str = ""
    slack_bot_token: SecretStr | None = None
    slack_signing_secret: SecretStr | None = None
    slack_app_token: SecretStr | None = None
    slack_api_url: str = "https://slack.com/api/"
    github_token: SecretStr | None = None
    github_repository: str = ""
    github_event_path: str = ""
    github_api_url: str = "https://api.github.com"
    promobot_prometheus_url: str = ""
    promobot_prometheus_token: SecretStr | None = None
    promobot_prometheus_username: str = ""
    promobot_prometheus_password: SecretStr | None = None
    promobot_prometheus_timeout_seconds: float = 5.0
    promobot_verify_seconds: float = 10.0
    promobot_board: str = ""
    promobot_board_seconds: float = 3.0
    port: int = 3000
    web_concurrency: int = 1
    promobot_work_threads: int = 16

    _problems: dict[str, str] = PrivateAttr(default_factory=dict)

    @property
    def service_users(self) -> frozenset[str]:
        """promobot's own MLflow usernames (the Slack app, the GitHub Action, automation):
        the only accounts whose `--as` is honoured against an MLflow server."""
        return usernames(self.promobot_service_users)

    def problem(self, variable: str) -> str:
        """What is wrong with the value of `variable` (e.g. "PROMOBOT_SWEEP_SECONDS"), as a
        sentence for the person who set it; "" when it is fine. The field then holds its
        default."""
        return self._problems.get(variable.upper(), "")

    @model_validator(mode="wrap")
    @classmethod
    def _set_aside_bad_values(cls, data: Any, handler: Any) -> Any:
        problems: dict[str, str] = {}
        if isinstance(data, dict):
            data = dict(data)
            for name, read in _CHECKED.items():
                if name in data:
                    value, problem = read(data.pop(name))
                    if problem:
                        problems[name.upper()] = problem
                    else:
                        data[name] = value
        settings = handler(data)
        settings._problems = problems
        return settings

    @field_validator(
        "promobot_lock_ttl_seconds",
        "promobot_lock_wait_seconds",
        "promobot_prometheus_timeout_seconds",
        mode="before",
    )
    @classmethod
    def _positive_seconds(cls, value: Any, info: ValidationInfo) -> Any:
        """The registry's lock times and Prometheus' timeout: a malformed or non-positive
        value is the default."""
        default = cls.model_fields[str(info.field_name)].default
        try:
            seconds = float(value or default)
        except (TypeError, ValueError):
            return default
        return seconds if seconds > 0 else default

    @field_validator("promobot_group_cache_seconds", mode="before")
    @classmethod
    def _cache_seconds(cls, value: Any) -> Any:
        """0 turns the cache off; a malformed or negative value is the default, 300."""
        try:
            seconds = float(value)
        except (TypeError, ValueError):
            return 300.0
        return seconds if seconds >= 0 and not math.isnan(seconds) else 300.0

    @field_validator("web_concurrency", "promobot_work_threads", mode="before")
    @classmethod
    def _worker_count(cls, value: Any, info: ValidationInfo) -> int:
        """At least one; a value that is not a whole number is the default."""
        default = int(cls.model_fields[str(info.field_name)].default)
        try:
            return max(1, int(value or default))
        except (TypeError, ValueError):
            return default


def _interval(variable: str, default: float) -> Callable[[Any], tuple[float, str]]:
    """The reader of a pass's interval in seconds: a number ≥ 0, 0 turning the pass off."""

    def read(text: Any) -> tuple[float, str]:
        if text is None or not str(text).strip():
            return default, ""
        try:
            value = float(text)
        except (TypeError, ValueError):
            return 0.0, f"{variable} must be a number of seconds, not {text!r}."
        if value < 0 or math.isnan(value):
            return 0.0, f"{variable} must be 0 (off) or more, not {text!r}."
        return value, ""

    return read


_sweep_seconds = _interval("PROMOBOT_SWEEP_SECONDS", 60.0)
_audit_seconds = _interval("PROMOBOT_AUDIT_SECONDS", 300.0)
_verify_seconds = _interval("PROMOBOT_VERIFY_SECONDS", 10.0)
_board_seconds = _interval("PROMOBOT_BOARD_SECONDS", 3.0)


def _min_permission(text: Any) -> tuple[str, str]:
    level = str(text or "write").strip().lower()
    if level not in GITHUB_PERMISSIONS:
        return "", (
            f"PROMOBOT_GITHUB_MIN_PERMISSION must be one of "
            f"{', '.join(GITHUB_PERMISSIONS)}, not {level!r}"
        )
    return level, ""


def _slack_channel(text: Any) -> tuple[str, str]:
    import re

    channel = str(text or "").strip()
    if channel and not re.match(SLACK_CHANNEL_PATTERN, channel):
        return "", (
            f"PROMOBOT_SLACK_CHANNEL must be a Slack channel ID such as C0123ABCD (from the "
            f"channel's details), not {channel[:40]!r}; nothing is announced by default"
        )
    return channel, ""


# The values PROMOBOT_BOARD takes ("": the board answers only 127.0.0.1 when the registry
# is not guarded).
BOARD_MODES = ("", "on", "off")


def _board(text: Any) -> tuple[str, str]:
    mode = str(text or "").strip().lower()
    if mode not in BOARD_MODES:
        return "", (
            f"PROMOBOT_BOARD must be on, off or empty (the board answers only 127.0.0.1 "
            f"unless the registry is guarded), not {mode[:20]!r}; it answers 127.0.0.1 only"
        )
    return mode, ""


# The values whose mistakes are reported by the door that needs them, not by pydantic.
_CHECKED = {
    "promobot_board": _board,
    "promobot_board_seconds": _board_seconds,
    "promobot_sweep_seconds": _sweep_seconds,
    "promobot_audit_seconds": _audit_seconds,
    "promobot_verify_seconds": _verify_seconds,
    "promobot_github_min_permission": _min_permission,
    "promobot_slack_channel": _slack_channel,
}


def load_settings() -> Settings:
    return Settings()


# The values PROMOBOT_GUARD_ADMINS takes.
GUARD_ADMIN_MODES = ("refuse", "allow")


class GuardSettings(BaseSettings):
    """What the guard reads on the MLflow host (the module's docstring lists them)."""

    model_config = SettingsConfigDict(extra="ignore")

    promobot_policy: str = "policies/"
    promobot_service_users: str = ""
    promobot_guard_admins: str = "refuse"

    @property
    def service_users(self) -> frozenset[str]:
        """The MLflow usernames of promobot's own accounts, exactly as MLflow spells them."""
        return usernames(self.promobot_service_users)

    @property
    def admins_allowed(self) -> bool:
        return self.promobot_guard_admins.strip().lower() == "allow"

    def problems(self) -> list[str]:
        """What keeps the guard from starting, one sentence each; [] when it can."""
        found: list[str] = []
        mode = self.promobot_guard_admins.strip().lower() or "refuse"
        if mode not in GUARD_ADMIN_MODES:
            found.append(
                f"PROMOBOT_GUARD_ADMINS must be refuse (the default) or allow, not "
                f"{self.promobot_guard_admins[:40]!r}"
            )
        if not self.service_users:
            found.append(
                "PROMOBOT_SERVICE_USERS is empty: name promobot's own MLflow usernames "
                "(comma-separated), or nobody, promobot included, could change a governed model"
            )
        return found


# MLflow's client settings promobot defaults when they are unset (docs/contract.md,
# "Settings"). A chat command has seconds, not minutes: MLflow's own defaults (7 retries,
# 120 s timeout) would keep Slack and the on-call engineer waiting for minutes on a dead
# server. With these, one call to a server that does not answer gives up after about
# 3 x 10 s + 2-4 s of backoff (docs/reliability.md). The environment still wins.
MLFLOW_CLIENT_DEFAULTS = {
    "MLFLOW_HTTP_REQUEST_MAX_RETRIES": "2",
    "MLFLOW_HTTP_REQUEST_BACKOFF_FACTOR": "1",
    "MLFLOW_HTTP_REQUEST_TIMEOUT": "10",
    # Room for the writes an execution makes at once (bot/adapters/mlflow/at_once.py):
    # MLflow's pool keeps 10 connections and would open and drop the rest on every command.
    "MLFLOW_HTTP_POOL_MAXSIZE": "32",
}


def patient_mlflow_client() -> None:
    """Set MLFLOW_CLIENT_DEFAULTS where the environment does not say otherwise."""
    for key, value in MLFLOW_CLIENT_DEFAULTS.items():
        os.environ.setdefault(key, value)


def usernames(text: str) -> frozenset[str]:
    """Comma-separated MLflow usernames, exactly as MLflow spells them."""
    return frozenset(name.strip() for name in text.split(",") if name.strip())


def load_guard_settings() -> GuardSettings:
    return GuardSettings()
