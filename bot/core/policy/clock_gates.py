"""The gates the clock decides: a freeze window, and how long a candidate has soaked in
the stage a target requires. Pure: `now` comes with the facts."""

from __future__ import annotations

import datetime
from zoneinfo import ZoneInfo

from bot.core.policy.check import Check
from bot.core.policy.facts import RequestFacts
from bot.core.policy.rules import FreezeWindow, TargetRule
from bot.core.policy.values import DAYS, duration_text


def _utc(at: datetime.datetime) -> str:
    return at.astimezone(datetime.UTC).strftime("%Y-%m-%d %H:%M UTC")


def soak_gate(rule: TargetRule, facts: RequestFacts) -> tuple[Check, str]:
    """The candidate has held require_stage for `soak` (docs/contract.md, "Soak")."""
    need, soak = rule.require_stage or "", rule.soak or datetime.timedelta(0)
    version, name = f"v{facts.version}", f"soak {duration_text(soak)}"
    key = need if need.startswith("@") else need.lower()
    if facts.stage_since is None:
        fix = f"promote {version} to {key} through promobot, then wait {duration_text(soak)}"
        reason = (
            f"promobot has no record of when {version} entered {need}, and "
            f"{facts.target_label} needs {duration_text(soak)} there; {fix}."
        )
        return Check(name, "fail", f"no record of when {version} entered {need}", fix), reason
    ready = facts.stage_since + soak
    entered = f"{version} entered {need} {_utc(facts.stage_since)}"
    if facts.now >= ready:
        return Check(name, "pass", entered), ""
    fix = f"try again from {_utc(ready)}"
    reason = (
        f"{entered}; {facts.target_label} needs {duration_text(soak)} there: from {_utc(ready)}."
    )
    return Check(name, "fail", f"{entered}; from {_utc(ready)}", fix), reason


def _window_end(window: FreezeWindow, local: datetime.datetime) -> datetime.datetime | None:
    """When the window holding `local` ends (the minute after `to`), or None if outside."""
    minute = local.replace(second=0, microsecond=0)
    now = minute.time()

    def day_ok(day: datetime.datetime) -> bool:
        return not window.days or DAYS[day.weekday()] in window.days

    def end_on(day: datetime.datetime) -> datetime.datetime:
        end = datetime.datetime.combine(day.date(), window.end, tzinfo=local.tzinfo)
        return end + datetime.timedelta(minutes=1)

    if window.start <= window.end:
        if day_ok(minute) and window.start <= now <= window.end:
            return end_on(minute)
        return None
    # Crosses midnight: `days` name the day the window starts.
    if now >= window.start and day_ok(minute):
        return end_on(minute + datetime.timedelta(days=1))
    yesterday = minute - datetime.timedelta(days=1)
    if now <= window.end and day_ok(yesterday):
        return end_on(minute)
    return None


def freeze_in_force(
    rule: TargetRule, now: datetime.datetime
) -> tuple[FreezeWindow, datetime.datetime] | None:
    """The freeze window that holds at `now`, and when it ends; None outside every one
    (the gate below, and the release board's "frozen until")."""
    now = now if now.tzinfo else now.replace(tzinfo=datetime.UTC)
    for window in rule.freeze:
        end = _window_end(window, now.astimezone(ZoneInfo(window.timezone)))
        if end is not None:
            return window, end
    return None


def freeze_gate(rule: TargetRule, facts: RequestFacts) -> tuple[Check, str]:
    found = freeze_in_force(rule, facts.now)
    if found is not None:
        window, end = found
        until = f"{end:%a %H:%M} {window.timezone}"
        fix = f"try again from {until}"
        detail = f"frozen {window.label}"
        reason = (
            f"Promotions of {facts.model} to {facts.target_label} are frozen "
            f"({window.label}); {fix}."
        )
        return Check("freeze", "fail", detail, fix), reason
    return Check("freeze", "pass", "not in a freeze window"), ""
