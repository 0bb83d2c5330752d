"""The words of an outcome: its status and the action it answers (docs/contract.md, "The
CLI"). StrEnums, so `--json` and every comparison with the contract's strings stay as
they were. Imports nothing: a door that only needs an exit status stays light (`promobot
--help` imports no pydantic)."""

from __future__ import annotations

from enum import StrEnum


class Status(StrEnum):
    DONE = "done"
    PENDING = "pending"
    REFUSED = "refused"
    ERROR = "error"


class Action(StrEnum):
    PROMOTE = "promote"
    ROLLBACK = "rollback"
    APPROVE = "approve"
    DENY = "deny"
    STATUS = "status"
    HISTORY = "history"
    POLICY = "policy"
    LOCK = "lock"
    UNLOCK = "unlock"
    HELP = "help"
    REGISTERED = "registered"  # a new version's card
    DRIFT = "drift"  # drift found by the audit
    VERIFY = "verify"  # a verification's outcome
    COMMAND = "command"  # a door refused the command before any use case read it
