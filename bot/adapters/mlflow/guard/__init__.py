"""promobot's guard: an MLflow server app that makes the registry itself refuse governed
changes that do not come from promobot (docs/security.md, docs/contract.md "The guard").

    mlflow server --app-name promobot-guard …      (the `mlflow.app` entry point)

It is MLflow's own basic-auth app (users, passwords, permissions and
MLFLOW_AUTH_CONFIG_PATH stay MLflow's) with one more check after basic-auth's: a request
that would change a model the policy governs, from an MLflow user who is not one of
promobot's service accounts (PROMOBOT_SERVICE_USERS), is answered 403 with
`{"error_code": "PERMISSION_DENIED", "message": …}`, which MLflow's client raises as
MlflowException. MLflow admins are refused too, unless PROMOBOT_GUARD_ADMINS=allow.
`GET /api/2.0/promobot/guard` tells any signed-in user what it enforces (`promobot
audit` asks it); `POST /api/2.0/promobot/registered-models/delete-state-tags` deletes
promobot's state tags of a model in one request, for its service accounts only (compaction:
state_tags.py says why).

    rules.py     what is refused, and the sentence it is refused with (pure)
    requests.py  which MLflow requests change the registry, read as MLflow reads them
    state_tags.py  the bulk delete of promobot's state tags (compaction)
    here         the app: settings and policy read once at start, the check, the answer

The policy is read once, when each server worker starts; an invalid one, or settings
the guard cannot work with, stop the server with the file, line and field.
"""

from __future__ import annotations

import contextlib
import logging
import os
import sys
from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any, NoReturn

from flask import Flask, Response, g, jsonify, request
from mlflow.exceptions import MlflowException
from mlflow.protos.databricks_pb2 import PERMISSION_DENIED
from mlflow.server import app as mlflow_app
from mlflow.server import auth
from mlflow.server.handlers import _add_static_prefix

from bot.adapters.mlflow.guard import rules, state_tags
from bot.adapters.mlflow.guard.requests import (
    Route,
    change_of,
    error_body,
    guarded_routes,
    malformed,
)
from bot.adapters.mlflow.guard_calls import GUARD_PATH, GUARD_REFUSED, STATE_TAGS_PATH
from bot.config import GuardSettings, load_guard_settings
from bot.core.policy import Policy, PolicyError, load_policy

log = logging.getLogger("promobot.guard")

# uvicorn stops the whole server when a worker exits with this status while starting
# (rather than starting it again, forever).
STARTUP_FAILURE = 3

# What the guard refuses, as `GET /api/2.0/promobot/guard` lists it.
REFUSES = (
    "moving a stage (transition-stage)",
    "setting or deleting an alias",
    "deleting or renaming the model, deleting a version",
    "changing a version's description",
    "setting or deleting promobot's state tags (mlflow.promobot.*, promobot.*)",
    "setting or deleting the audit tags promobot writes on versions",
    "changing the provenance tags of an existing version (git_*, ci_*, artifact_digest)",
    "creating a model or version with promobot's own tags",
    "anything on promobot's lock models (promobot-lock.*)",
    "anything on promobot's ledgers (promobot-ledger.*)",
    "managing webhooks, unless an MLflow admin",
)


def create_app(app: Flask | None = None) -> Any:
    """The `mlflow.app` entry point: MLflow's basic-auth app, then the guard's check."""
    flask_app = app if app is not None else mlflow_app
    guard = start(load_guard_settings())
    flask_app.before_request(guard.screen)  # a malformed registry write: 400, before all
    with _one_worker_at_a_time():
        served = auth.create_app(flask_app)  # then basic-auth's check: who, and MLflow's rights
    guard.install(flask_app)  # then the guard's
    return served


@contextlib.contextmanager
def _one_worker_at_a_time() -> Iterator[None]:
    """Hold a lock shared by the server's workers while MLflow's auth app sets up its
    database. `mlflow server` sets it up once before starting workers only for its own
    `--app-name basic-auth`; under another app name every worker does it on start, and two
    at once can both create the same table (`table … already exists`: the worker dies and
    is restarted only after the server's health-check timeout)."""
    import fcntl
    import hashlib
    import tempfile

    where = os.environ.get("MLFLOW_AUTH_CONFIG_PATH", "") + "|" + os.getcwd()
    name = f"promobot-guard-{hashlib.sha256(where.encode()).hexdigest()[:16]}.lock"
    with open(os.path.join(tempfile.gettempdir(), name), "a") as lock:
        fcntl.flock(lock, fcntl.LOCK_EX)
        try:
            yield
        finally:
            fcntl.flock(lock, fcntl.LOCK_UN)


@dataclass(frozen=True)
class Guard:
    verdict: rules.Verdict
    service_users: frozenset[str]
    admins_allowed: bool
    routes: dict[Route, type]
    summary: dict[str, Any]
    stages: bool = True  # the policy's registry.stages: the commands refusals show

    def install(self, app: Flask) -> None:
        path = _add_static_prefix(GUARD_PATH)
        app.add_url_rule(path, "promobot_guard", self.answer, methods=["GET"])
        # Any signed-in user may ask; basic-auth fails closed on a route it has no check for.
        auth.BEFORE_REQUEST_VALIDATORS[(path, "GET")] = _signed_in
        bulk = _add_static_prefix(STATE_TAGS_PATH)
        app.add_url_rule(bulk, "promobot_state_tags", self.delete_state_tags, methods=["POST"])
        # basic-auth's check of MLflow's own delete-tag: may the caller update the model.
        auth.BEFORE_REQUEST_VALIDATORS[(bulk, "POST")] = auth.validate_can_update_registered_model
        app.before_request(self.check)

    def answer(self) -> Response:
        return jsonify(self.summary)

    def delete_state_tags(self) -> Response:
        """POST STATE_TAGS_PATH (state_tags.py): after basic-auth's check and the body's
        (screen), promobot's service accounts only."""
        user = _username()
        if user not in self.service_users:
            return _refuse("deleting promobot's state tags", user)
        try:
            return jsonify(state_tags.delete(request.get_json(silent=True) or {}))
        except MlflowException as exc:
            return _answer(exc)

    def screen(self) -> Response | None:
        """Runs before basic-auth's check: a registry write whose body MLflow could not
        read is answered 400 here (basic-auth would read its `name` as it comes)."""
        rule = request.url_rule
        if rule is not None and rule.endpoint == "promobot_state_tags":
            problem = state_tags.malformed(request)
            return _answer(problem) if problem is not None else None
        message = self._message()
        problem = malformed(request, message) if message is not None else None
        return _answer(problem) if problem is not None else None

    def check(self) -> Response | None:
        """Runs after basic-auth's check on every request: None lets it through."""
        message = self._message()
        if message is None:
            return None
        user = _username()
        if user and user in self.service_users:
            return None
        try:
            change = change_of(request, message)
        except MlflowException as exc:
            return _answer(exc)
        reason = rules.refusal(change, self.verdict, stages=self.stages)
        if not reason:
            return None
        admin = _is_admin(user)
        if change.kind == rules.WEBHOOK:
            return None if admin else _refuse(reason, user, why="is not an MLflow admin")
        if admin and self.admins_allowed:
            log.warning(
                "break-glass: MLflow admin %s changed a governed model (%s %s); "
                "PROMOBOT_GUARD_ADMINS=allow lets it through, the audit reports it",
                user,
                change.kind,
                change.model,
            )
            return None
        return _refuse(reason, user, admin=admin)

    def _message(self) -> type | None:
        """The request message of a registry write or webhook change, else None. Matched by
        the Flask rule that serves the request; none for a path MLflow does not serve (its
        own 404 or 405 follows)."""
        rule = request.url_rule
        return self.routes.get((rule.rule, request.method)) if rule is not None else None


def start(settings: GuardSettings) -> Guard:
    """The guard, from the settings and the policy; stops the worker (and so the server)
    when either cannot be used."""
    problems = settings.problems()
    if problems:
        _stop("promobot's guard cannot start:", problems)
    try:
        policy = load_policy(settings.promobot_policy)
    except PolicyError as exc:
        _stop(
            f"The policy files are invalid ({settings.promobot_policy}); promobot's guard "
            "stops the MLflow server here.",
            exc.problems,
        )
    except OSError as exc:
        _stop(f"promobot's guard cannot read the policy ({settings.promobot_policy}):", [str(exc)])
    patterns = [entry.pattern for entry in policy.models]
    guard = Guard(
        verdict=rules.verdict_of(patterns),
        service_users=settings.service_users,
        admins_allowed=settings.admins_allowed,
        routes=guarded_routes(),
        summary=_summary(policy, settings),
        stages=policy.stages,
    )
    print(
        f"promobot's guard: {len(patterns)} policy entr{'y' if len(patterns) == 1 else 'ies'} "
        f"governed ({', '.join(policy.sources)}), {len(settings.service_users)} service "
        f"account(s), MLflow admins {'allowed' if settings.admins_allowed else 'refused'}",
        file=sys.stderr,
        flush=True,
    )
    return guard


def _stop(first: str, lines: list[str]) -> NoReturn:
    print(first, file=sys.stderr)
    for line in lines:
        print(f"  {line}", file=sys.stderr)
    sys.stderr.flush()
    # At once: an interpreter shutting down waits for the threads MLflow's server started,
    # and meanwhile uvicorn's supervisor waits on the worker's health ping.
    os._exit(STARTUP_FAILURE)


def _summary(policy: Policy, settings: GuardSettings) -> dict[str, Any]:
    return {
        "guard": "promobot",
        "governs": [entry.pattern for entry in policy.models],
        "policy": list(policy.sources),
        "service_users": len(settings.service_users),
        "admins": "allowed" if settings.admins_allowed else "refused",
        "refuses": list(REFUSES),
        "deletes_state_tags": STATE_TAGS_PATH,
    }


def _signed_in() -> bool:
    return True


def _username() -> str:
    """Who basic-auth (or the configured authorization function) signed in."""
    user = g.get("mlflow_authenticated_user")
    if not user and request.authorization is not None:
        user = request.authorization.username
    return str(user or "")


def _is_admin(user: str) -> bool:
    if not user:
        return False
    try:
        return bool(auth.store.get_user(user).is_admin)
    except MlflowException:
        return False  # no such user in MLflow's store: not an admin


def _refuse(
    reason: str,
    user: str,
    *,
    admin: bool = False,
    why: str = "is not one of promobot's service accounts",
) -> Response:
    who = f"MLflow user {user}" if user else "this request's MLflow user"
    why = f"{who} {why}"
    if admin:
        why += " (MLflow admins are refused too unless PROMOBOT_GUARD_ADMINS=allow)"
    return _answer(MlflowException(f"{GUARD_REFUSED}: {reason}. {why}.", PERMISSION_DENIED))


def _answer(exc: MlflowException) -> Response:
    body, status = error_body(exc)
    return Response(body, status=status, mimetype="application/json")
