"""Who a command acts as, when the caller signed in to MLflow (docs/security.md).

MLflow authenticates an account; promobot's people are handles. A person's account acts
as that person (`mlflow:<username>`, or any handle the policy gives the same person);
only promobot's own accounts (PROMOBOT_SERVICE_USERS: the Slack app, the GitHub Action,
automation) act for someone else. Where nobody signs in (a local store, the demo, a
server without authentication) the caller's word is taken, as MLflow takes it.
"""

from __future__ import annotations

from dataclasses import dataclass

from bot.core.policy import Policy
from bot.core.ports.identity import MLFLOW_PREFIX


@dataclass(frozen=True)
class ActingAs:
    """The actor a command runs as, or why it may not run (`refusal`, one sentence)."""

    actor: str = ""
    refusal: str = ""


def acting_as(
    asked: str, username: str, *, service_users: frozenset[str], policy: Policy
) -> ActingAs:
    """`asked`: the actor named by `--as` (or the command door's "as"), "" for none;
    `username`: the MLflow account the credentials belong to ("" when nobody signed in).
    Pure."""
    if not username:
        return ActingAs(asked)
    own = f"{MLFLOW_PREFIX}{username}"
    if not asked or username in service_users or policy.same_person(asked, own):
        return ActingAs(asked or own)
    person = policy.person_for(own)
    way_out = (
        "Leave out --as."
        if person is not None
        else f"Leave out --as (or add `mlflow: {username}` to your entry in the policy's people)."
    )
    who = f"{own} ({person.key} in the policy)" if person is not None else own
    return ActingAs(
        refusal=(
            f"You are signed in to MLflow as {username}, so you act as {who}: only promobot's "
            f"service accounts (PROMOBOT_SERVICE_USERS) act for someone else, and {asked} "
            f"is not you in the policy. {way_out} Nothing was done."
        )
    )
