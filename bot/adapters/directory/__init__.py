"""The directory adapters: who is in a GitHub team or a Slack user group.

    http.py          one JSON call with a short timeout, its failures as sentences
    (Slack's usergroups.users.list is bot/adapters/slack/groups.py)
    cached.py        the cache in front of both (PROMOBOT_GROUP_CACHE_SECONDS)

A GitHub team is read by GitHub's adapter, bot/adapters/github/teams.py, like every
other call to GitHub.

`Directories` sends each policy entry to the adapter of its system; bot/app.py builds
it. They implement the port of bot/core/ports/directory.py, which is all the core sees.
"""

from __future__ import annotations

import logging

from bot.core.policy.groups import GITHUB_TEAM, SLACK_GROUP
from bot.core.ports.directory import Directory, Lookup

log = logging.getLogger(__name__)


class Directories:
    """Routes `github-team:…` to GitHub's adapter and `slack-group:…` to Slack's."""

    def __init__(self, github: Directory, slack: Directory) -> None:
        self._by_prefix = {GITHUB_TEAM: github, SLACK_GROUP: slack}

    def members(self, source: str) -> Lookup:
        adapter = self._by_prefix.get(source.partition(":")[0])
        if adapter is None:
            return Lookup(source, error="promobot reads only github-team: and slack-group:")
        try:
            return adapter.members(source)
        except Exception as exc:  # a bug here must not decide for the group: fail closed
            log.exception("looking up %s failed", source)
            return Lookup(source, error=f"the lookup failed unexpectedly ({type(exc).__name__})")
