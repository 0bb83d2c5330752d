"""What every door shares: the exit status it ends with, and the link to its workflow run.

Kept free of heavy imports (no pydantic, no mlflow): `promobot --help` imports it.
"""

from __future__ import annotations

from collections.abc import Mapping
from enum import IntEnum
from typing import TYPE_CHECKING

from bot.core.status import Status

if TYPE_CHECKING:
    from bot.core.ports.registry import RegistryError
    from bot.core.results import Result


class ExitCode(IntEnum):
    """The exit status of every promobot command (docs/contract.md, "The CLI").

    0 done, or pending approval (and, for the doors that ignore events, ignored);
    1 refused or invalid: the message says why (a policy refusal, an invalid policy
      file or setting, no such run, MLflow refusing what was asked or who asked);
    2 usage error: the words or options could not be read, or the set-up is incomplete;
    3 MLflow or another service (Slack, GitHub) unreachable or failing (no answer, or its
      own 5xx), or the target's lock still held: the same command may work later.
    """

    OK = 0
    REFUSED = 1
    USAGE = 2
    UNAVAILABLE = 3


def exit_code(result: Result) -> ExitCode:
    """A use case's result as an exit status: refused → 1, error → 3, else (done,
    pending) 0."""
    if result.status == Status.REFUSED:
        return ExitCode.REFUSED
    if result.status == Status.ERROR:
        return ExitCode.UNAVAILABLE
    return ExitCode.OK


def registry_exit(exc: RegistryError) -> ExitCode:
    """A RegistryError as an exit status: MLflow answered and refused (a bad source, no
    such run, a missing permission, wrong credentials) → 1, with MLflow's message; it could
    not be reached, failed on its side, or a target's lock is still held → 3."""
    return ExitCode.REFUSED if exc.is_refusal else ExitCode.UNAVAILABLE


def run_url(env: Mapping[str, str], *, attempt: bool = False) -> str:
    """The GitHub Actions workflow run this process is part of, from the variables the
    runner sets (GITHUB_SERVER_URL, GITHUB_REPOSITORY, GITHUB_RUN_ID); "" outside Actions.

    With `attempt`, a re-run links its own attempt (`…/attempts/2`, from
    GITHUB_RUN_ATTEMPT): a version's `ci_run_url` tag names the attempt that trained it."""
    server = env.get("GITHUB_SERVER_URL", "")
    repo = env.get("GITHUB_REPOSITORY", "")
    run = env.get("GITHUB_RUN_ID", "")
    if not (server and repo and run):
        return ""
    url = f"{server.rstrip('/')}/{repo}/actions/runs/{run}"
    number = env.get("GITHUB_RUN_ATTEMPT", "") if attempt else ""
    return f"{url}/attempts/{number}" if number and number != "1" else url


def normalise_actor(actor: str) -> str:
    """A name typed with `--as` as an actor: `bob` → `cli:bob`; handles pass as given."""
    actor = actor.strip()
    if ":" in actor or "@" in actor:
        return actor
    return f"cli:{actor}"
