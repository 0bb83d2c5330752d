"""What this installation of MLflow can read. promobot's base install carries only MLflow's
client (mlflow-skinny): enough for a tracking server (http, https) and a local file store,
but a database URI (sqlite:///, postgresql://, …) needs the full MLflow, which the
`server` extra brings. Say so in one line instead of MLflow's "unsupported URI"."""

from __future__ import annotations

from importlib.util import find_spec

from bot.core.ports.registry import RegistryError

_DATABASES = ("sqlite", "postgresql", "mysql", "mssql")


def check_store(tracking_uri: str, shown_as: str) -> None:
    """RegistryError (kind "unsupported") when the URI is a database this install cannot
    open; nothing otherwise."""
    scheme = tracking_uri.partition(":")[0].partition("+")[0].lower()
    if scheme in _DATABASES and (find_spec("sqlalchemy") is None or find_spec("alembic") is None):
        raise RegistryError(
            f"MLFLOW_TRACKING_URI {shown_as} is a database, which only the full MLflow opens "
            "and this installation has MLflow's client alone: install promobot[server] "
            "(pip install 'promobot[server]'), or set MLFLOW_TRACKING_URI to your MLflow "
            "server (https://…).",
            kind="unsupported",
        )
