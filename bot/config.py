"""One Settings object, read from the environment (design.md, "Settings")."""

from __future__ import annotations

from pydantic import SecretStr
from pydantic_settings import BaseSettings, SettingsConfigDict


class Settings(BaseSettings):
    model_config = SettingsConfigDict(extra="ignore", populate_by_name=True)

    mlflow_tracking_uri: str = "sqlite:///mlflow.db"
    promobot_policy: str = "policies/"
    promobot_actor: str = ""
    slack_bot_token: SecretStr | None = None
    slack_signing_secret: SecretStr | None = None
    slack_app_token: SecretStr | None = None
    slack_api_url: str = "https://slack.com/api/"
    github_token: SecretStr | None = None
    github_repository: str = ""
    github_event_path: str = ""
    github_api_url: str = "https://api.github.com"
    port: int = 3000
    promobot_lock_ttl_seconds: float = 120.0
    promobot_lock_wait_seconds: float = 30.0


def load_settings() -> Settings:
    return Settings()
