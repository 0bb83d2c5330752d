"""A Slack user group's members: Slack's `usergroups.users.list` (the bot token needs
the `usergroups:read` scope); the Directory port (bot/core/ports/directory.py) for the
`slack-group:` entries of a policy.

The call goes through the directory's one JSON call (bot/adapters/directory/http.py)
rather than slack_sdk: it follows no redirect (one would carry the bot token wherever it
points), caps the answer's size and turns every failure into a sentence; a lookup that
fails grants nothing."""

from __future__ import annotations

import re
import urllib.parse
import urllib.request

from bot.adapters.directory.http import TIMEOUT_S, LookupFailed, fetch_json
from bot.adapters.slack.client import api_base_url
from bot.core.ports.directory import Lookup

_USER = re.compile(r"^[A-Z0-9]{2,}$")
_HINTS = {
    "invalid_auth": "check SLACK_BOT_TOKEN",
    "not_authed": "check SLACK_BOT_TOKEN",
    "token_revoked": "check SLACK_BOT_TOKEN",
    "account_inactive": "check SLACK_BOT_TOKEN",
    "missing_scope": "the app needs the usergroups:read scope",
    "no_such_subteam": "no user group has this id",
}


class SlackGroups:
    def __init__(self, api_url: str, token: str | None, *, timeout: float = TIMEOUT_S) -> None:
        self.api_url = api_base_url(api_url)
        self.token = token
        self.timeout = timeout

    def members(self, source: str) -> Lookup:
        """`slack-group:S0SRE` → its members as `slack:<user id>`."""
        usergroup = source.partition(":")[2]
        if not self.token:
            return Lookup(
                source, error="SLACK_BOT_TOKEN is not set, so Slack user groups cannot be read"
            )
        request = urllib.request.Request(
            self.api_url + "usergroups.users.list",
            data=urllib.parse.urlencode({"usergroup": usergroup}).encode(),
            headers={
                "Authorization": f"Bearer {self.token}",
                "Content-Type": "application/x-www-form-urlencoded",
                "User-Agent": "promobot",
            },
        )
        try:
            answer = fetch_json(request, service="Slack", timeout=self.timeout)
            users = _users(answer.data)
        except LookupFailed as failed:
            return Lookup(source, error=str(failed))
        return Lookup(source, tuple(f"slack:{user}" for user in dict.fromkeys(users)))


def _users(data: object) -> list[str]:
    if not isinstance(data, dict) or not isinstance(data.get("ok"), bool):
        raise LookupFailed("Slack's answer was not a usergroups.users.list answer")
    if not data["ok"]:
        error = str(data.get("error") or "an error")[:100]
        hint = _HINTS.get(error)
        raise LookupFailed(f"Slack answered {error}" + (f" ({hint})" if hint else ""))
    users = data.get("users")
    if not isinstance(users, list) or not all(
        isinstance(user, str) and _USER.fullmatch(user) for user in users
    ):
        raise LookupFailed("Slack's answer was not a list of user ids")
    return users
