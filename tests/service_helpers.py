"""What the service tests share: the model they use, and commands typed as a person would."""

from __future__ import annotations

from bot.commands import parse
from bot.results import Result
from bot.service import Context, Service

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
