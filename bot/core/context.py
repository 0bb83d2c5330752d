"""Who acts, through which door, and where the conversation is: what every command and
every event carries."""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class Context:
    """`actor` is `github:<login>`, `slack:<user id>`, `cli:<name>` or an e-mail;
    `channel` the door (slack | github | cli | ci, or a pass: sweep, audit); `link` where
    the conversation is (a PR comment, a CI run)."""

    actor: str
    channel: str = "cli"
    link: str = ""
