"""Opening a door from the terminal or a job: the settings, the wired service, and every
failure on the way as the exit status it means (docs/contract.md, "The CLI").

Every CLI entry (the command words, `register`, `audit`, `audit export`, `deployments`,
`verify`, `webhooks install`) opens here, so an invalid setting, an invalid policy, or
an MLflow that refuses or cannot be reached reads the same in each of them: one
headline, its details indented, the same exit status, and with `--json` the one
envelope.
"""

from __future__ import annotations

import os
from dataclasses import dataclass

from pydantic import ValidationError

from bot.app import build_service
from bot.config import Settings, load_settings
from bot.core.policy import Policy, PolicyError
from bot.core.ports.registry import RegistryError
from bot.core.ports.signing import KeysProblem
from bot.core.service import Service
from bot.doors.answer import Answer, stop_answer
from bot.doors.common import ExitCode, registry_exit

INVALID_POLICY = "The policy files are invalid; promobot stops here."


@dataclass(frozen=True)
class Failure:
    """Why a door stopped before (or while) the service answered."""

    code: ExitCode
    headline: str
    details: tuple[str, ...] = ()

    def answer(self) -> Answer:
        return stop_answer(self.code, self.headline, self.details)

    def report(self, as_json: bool = False) -> ExitCode:
        """Say it where the door speaks (stderr, or the `--json` envelope on stdout)."""
        return self.answer().show(as_json)


def registry_failure(exc: RegistryError, what: str = "") -> Failure:
    """MLflow refusing (exit 1) or out of reach (exit 3), said with MLflow's words."""
    return Failure(registry_exit(exc), f"{what}: {exc}" if what else str(exc))


def open_settings() -> tuple[Settings | None, Failure | None]:
    """The settings from the environment, or why they cannot be read (a usage error)."""
    # MLflow's INFO lines (database migrations and the like) are noise in a terminal.
    os.environ.setdefault("MLFLOW_LOGGING_LEVEL", "WARNING")
    try:
        return load_settings(), None
    except ValidationError as exc:
        problem = exc.errors()[0]
        where = ".".join(str(part) for part in problem.get("loc", ())) or "a setting"
        return None, Failure(
            ExitCode.USAGE, f"invalid settings in the environment: {where}: {problem['msg']}"
        )


def open_service(
    settings: Settings | None = None, policy: Policy | None = None
) -> tuple[Service | None, Failure | None]:
    """The wired service, or why there is none (invalid settings; an invalid policy,
    with its file:line problems). `policy`: use this one instead of reading the files
    (a door that decides nothing)."""
    if settings is None:
        settings, failure = open_settings()
        if settings is None:
            return None, failure
    try:
        return build_service(settings, policy), None
    except PolicyError as exc:
        return None, Failure(ExitCode.REFUSED, INVALID_POLICY, tuple(exc.problems))
    except KeysProblem as exc:
        return None, Failure(ExitCode.USAGE, str(exc))
