"""The members of the GitHub teams and Slack user groups a command needs, looked up
through the directory port and handed to the policy as data (`Membership`)."""

from __future__ import annotations

from collections.abc import Iterable

from bot.core.policy import NO_LOOKUPS, Membership
from bot.core.ports.directory import Directory


def resolve(directory: Directory | None, sources: Iterable[str]) -> Membership:
    """Look each source up once; a failure is kept with its reason (it grants nothing)."""
    sources = tuple(dict.fromkeys(sources))
    if not sources:
        return NO_LOOKUPS
    found: dict[str, tuple[str, ...]] = {}
    failed: dict[str, str] = {}
    for source in sources:
        if directory is None:
            failed[source] = "promobot runs without GitHub and Slack lookups here"
            continue
        lookup = directory.members(source)
        if lookup.ok:
            found[source] = lookup.handles
        else:
            failed[source] = lookup.error
    return Membership(found, failed)
