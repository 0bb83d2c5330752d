"""What the service tests share: the model they use, and commands typed as a person would."""

from __future__ import annotations

import json
from typing import Any

from bot.core.commands import parse
from bot.core.results import Result
from bot.core.service import Context, Service

M = "sentiment-classifier"


def run(service: Service, actor: str, text: str, channel: str = "cli", link: str = "") -> Result:
    parsed = parse(text)
    assert parsed.command is not None, parsed.reply
    return service.handle(parsed.command, Context(actor=actor, channel=channel, link=link))


def to_production(service: Service, version: int, approver: str = "github:alice") -> Result:
    run(service, "slack:U01BOB", f"promote {M} v{version} staging candidate")
    pending = run(service, "slack:U01BOB", f"promote {M} v{version} production shadow ok")
    assert pending.status == "pending", pending.reasons
    return run(service, approver, f"approve {pending.request_id}")


def to_legacy_layout(client: Any, model: str) -> dict[str, str]:
    """Rewrite promobot's registered-model tags as the releases before `mlflow.promobot.`
    wrote them: the same keys under `promobot.`, and history events without the list of
    stale tags (which they did not carry). Returns the model's tags afterwards."""
    for key, value in client.get_registered_model(model).tags.items():
        if not key.startswith("mlflow.promobot."):
            continue
        old = key.removeprefix("mlflow.")
        if old.startswith("promobot.event."):
            event = json.loads(value)
            event.pop("stale_tags", None)
            value = json.dumps(event)
        client.set_registered_model_tag(model, old, value)
        client.delete_registered_model_tag(model, key)
    tags = dict(client.get_registered_model(model).tags)
    assert not [k for k in tags if k.startswith("mlflow.")], tags
    return tags
