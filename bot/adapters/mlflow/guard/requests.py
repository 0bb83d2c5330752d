"""Which MLflow requests change the registry, and what each one would change.

The routes come from MLflow's own table (`mlflow.server.handlers.get_endpoints`, the one
basic-auth builds its permission checks from), so every prefix MLflow serves them under
(`/api/2.0/mlflow/…`, `/ajax-api/2.0/mlflow/…`, a `--static-prefix`, and any version a
later MLflow adds) is covered. A request is matched by the Flask rule that will serve it,
not by its raw path, and its body is read by MLflow's own parser, so the guard judges
exactly what the handler will then do.
"""

from __future__ import annotations

from typing import Any

from flask import Request
from google.protobuf.descriptor import FieldDescriptor
from mlflow.exceptions import MlflowException
from mlflow.protos import model_registry_pb2 as registry
from mlflow.protos import webhooks_pb2 as webhooks
from mlflow.protos.databricks_pb2 import INVALID_PARAMETER_VALUE
from mlflow.server.handlers import (
    _get_normalized_request_json,
    _get_request_message,
    get_endpoints,
)

from bot.adapters.mlflow.guard import rules

# A registry write is a few kilobytes (a tag value is at most 100,000 characters); a
# body far larger is refused before it is parsed.
MAX_BODY_BYTES = 16 * 1024 * 1024

# MLflow's request message → the kind of change it asks for.
KINDS: dict[type, str] = {
    registry.TransitionModelVersionStage: rules.TRANSITION,
    registry.SetRegisteredModelAlias: rules.SET_ALIAS,
    registry.DeleteRegisteredModelAlias: rules.DELETE_ALIAS,
    registry.DeleteRegisteredModel: rules.DELETE_MODEL,
    registry.RenameRegisteredModel: rules.RENAME_MODEL,
    registry.UpdateRegisteredModel: rules.UPDATE_MODEL,
    registry.CreateRegisteredModel: rules.CREATE_MODEL,
    registry.DeleteModelVersion: rules.DELETE_VERSION,
    registry.UpdateModelVersion: rules.UPDATE_VERSION,
    registry.CreateModelVersion: rules.CREATE_VERSION,
    registry.SetRegisteredModelTag: rules.SET_MODEL_TAG,
    registry.DeleteRegisteredModelTag: rules.DELETE_MODEL_TAG,
    registry.SetModelVersionTag: rules.SET_VERSION_TAG,
    registry.DeleteModelVersionTag: rules.DELETE_VERSION_TAG,
    webhooks.CreateWebhook: rules.WEBHOOK,
    webhooks.UpdateWebhook: rules.WEBHOOK,
    webhooks.DeleteWebhook: rules.WEBHOOK,
    webhooks.TestWebhook: rules.WEBHOOK,
}

Route = tuple[str, str]  # (Flask rule, HTTP method)


def guarded_routes() -> dict[Route, type]:
    """Every (rule, method) MLflow serves a registry write or webhook change on, with its
    request message. Read when the app is made (the static prefix is known by then)."""
    found: dict[Route, type] = {}
    for path, message, methods in get_endpoints(lambda cls: cls if cls in KINDS else None):
        if message in KINDS:
            for method in methods:
                found[(path, method)] = message
    return found


def malformed(request: Request, message: type) -> MlflowException | None:
    """Why MLflow could not read a registry write's body as its request message (400), or
    None. Checked before basic-auth's own check, which reads `name` and `version` from the
    body as they come (MLflow 3.17 answers 500 to a `name` that is a list)."""
    if KINDS[message] == rules.WEBHOOK or request.method == "GET":
        return None
    size = request.content_length
    if size is not None and size > MAX_BODY_BYTES:
        return _invalid(
            f"The request body is {size} bytes; promobot's guard reads at most "
            f"{MAX_BODY_BYTES} for a registry change."
        )
    try:
        body = _get_normalized_request_json(request)
    except MlflowException as exc:
        return exc  # MLflow's own answer, as the handler would give it
    except Exception as exc:  # json.loads of a double-encoded body, and the like
        return _invalid(
            f"The body of a {message.__name__} request could not be read ({type(exc).__name__})."
        )
    if not isinstance(body, dict):
        return _invalid(f"The body of a {message.__name__} request must be a JSON object.")
    return _wrong_field(body, message)


def _wrong_field(body: dict[str, Any], message: type) -> MlflowException | None:
    for field in message.DESCRIPTOR.fields:
        for spelling in {field.name, field.json_name}:
            value = body.get(spelling)
            if value is None:
                continue
            if field.type == FieldDescriptor.TYPE_STRING and not isinstance(value, str):
                return _invalid(f"'{spelling}' of {message.__name__} must be a string.")
            if field.type == FieldDescriptor.TYPE_MESSAGE and not _tag_list(value):
                return _invalid(
                    f"'{spelling}' of {message.__name__} must be a list of "
                    '{"key": …, "value": …} strings.'
                )
    return None


def _tag_list(value: Any) -> bool:
    """A list of tags as MLflow's JSON writes them (the only message fields of the
    registry's write requests)."""
    return isinstance(value, list) and all(
        isinstance(item, dict) and all(isinstance(item.get(k, ""), str) for k in ("key", "value"))
        for item in value
    )


def change_of(request: Request, message: type) -> rules.Change:
    """What the request asks for, read by MLflow's own parser (`malformed` first).
    MlflowException (400) for a body MLflow's parser refuses."""
    kind = KINDS[message]
    if kind == rules.WEBHOOK:
        return rules.Change(kind)
    problem = malformed(request, message)
    if problem is not None:
        raise problem
    parsed = _get_request_message(message(), flask_request=request)

    def text(field: str) -> str:
        value = getattr(parsed, field, "")
        return value if isinstance(value, str) else str(value)

    tags = getattr(parsed, "tags", None)
    return rules.Change(
        kind,
        model=text("name"),
        version=text("version"),
        key=text("key"),
        tag_keys=tuple(tag.key for tag in tags) if tags is not None else (),
        stage=text("stage"),
        alias=text("alias"),
        new_name=text("new_name"),
    )


def _invalid(text: str) -> MlflowException:
    return MlflowException(text, INVALID_PARAMETER_VALUE)


def error_body(exc: MlflowException) -> tuple[str, int]:
    """MLflow's own JSON error body and HTTP status for an exception."""
    return exc.serialize_as_json(), exc.get_http_status_code()
