"""Who signed in: the MLflow account behind a pair of credentials, as MLflow's own
authentication knows it (`GET /api/2.0/mlflow/users/current`). The command door acts as
`mlflow:<username>`; the CLI checks that `--as` is allowed for the account it runs with."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Literal, Protocol

# Why no account was found:
#   "wrong"        MLflow refused the credentials (401), or none were given
#   "no-auth"      the tracking server signs nobody in (a plain `mlflow server`: 404)
#   "local"        the registry is a local store: there is no server to ask
#   "unavailable"  MLflow could not be reached, or failed on its side
IdentityProblem = Literal["wrong", "no-auth", "local", "unavailable"]

MLFLOW_PREFIX = "mlflow:"


@dataclass(frozen=True)
class SignedIn:
    """An MLflow account that MLflow has just accepted the password of."""

    username: str
    is_admin: bool = False

    @property
    def actor(self) -> str:
        return f"{MLFLOW_PREFIX}{self.username}"


class IdentityError(Exception):
    def __init__(self, message: str, problem: IdentityProblem) -> None:
        super().__init__(message)
        self.problem: IdentityProblem = problem


class Identity(Protocol):
    def signed_in(self, username: str, password: str) -> SignedIn:
        """The account these credentials sign in as; IdentityError when there is none."""
        ...
