"""slack/manifest.yaml creates the app the server expects: the vocabulary's slash commands
(each command's own with its usage as the hint), every URL on /slack/events, the three
scopes, interactivity on, Socket Mode off."""

from __future__ import annotations

import yaml
from conftest import REPO

from bot.core.commands.vocabulary import SLASH_COMMANDS, SPEC
from bot.doors.slack.http_app import EVENTS_PATH

MANIFEST = REPO / "slack" / "manifest.yaml"


def test_the_manifest_matches_the_server() -> None:
    manifest = yaml.safe_load(MANIFEST.read_text())
    commands = manifest["features"]["slash_commands"]
    settings = manifest["settings"]

    assert [c["command"] for c in commands] == list(SLASH_COMMANDS)
    assert all(c["usage_hint"] and c["description"] for c in commands)
    for command in commands:
        name = SLASH_COMMANDS[command["command"]]
        if name:  # the command's own slash command: its arguments are the usage's
            assert command["usage_hint"] == SPEC[name].usage.removeprefix(f"{name} ")
    urls = [c["url"] for c in commands] + [settings["interactivity"]["request_url"]]
    assert urls == [f"https://promobot.example.com{EVENTS_PATH}"] * 4
    assert settings["interactivity"]["is_enabled"] is True
    assert settings["socket_mode_enabled"] is False
    assert manifest["oauth_config"]["scopes"]["bot"] == [
        "commands",
        "chat:write",
        "chat:write.public",
        "usergroups:read",
    ]
