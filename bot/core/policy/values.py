"""The typed values policy text stands for: durations, times of day, metric gates.

Each parser takes the text as written and returns the value, or raises ValueError with
the sentence a person reads (`"1 day" is not a duration (write it like ...)`). The
schema's validators call them, so a value is parsed once, when the file is read; the
rules and decisions only ever see the typed value.
"""

from __future__ import annotations

import datetime
import math
import re
import zoneinfo
from dataclasses import dataclass

DAYS = ("mon", "tue", "wed", "thu", "fri", "sat", "sun")
MAX_TTL_DAYS = 365

TIME_PATTERN = r"^([01]?[0-9]|2[0-3]):[0-5][0-9]$"
# Units in the order d h m s, each at most once, at least one: "90s", "1h30m", "2d12h".
DURATION_PATTERN = (
    r"^(?=[0-9])(?:([0-9]{1,5})d)?(?:([0-9]{1,5})h)?(?:([0-9]{1,5})m)?(?:([0-9]{1,5})s)?$"
)
# Metric gate: "<op> <number>" or "<op> production|staging [+|- <number>]".
# The Unicode forms are accepted so a line copied from `policy <model>` output reads back.
_NUM = r"[-+]?(?:[0-9]+(?:\.[0-9]*)?|\.[0-9]+)(?:[eE][-+]?[0-9]+)?"
_UNUM = r"(?:[0-9]+(?:\.[0-9]*)?|\.[0-9]+)(?:[eE][-+]?[0-9]+)?"
METRIC_PATTERN = (
    rf"^\s*(>=|<=|==|>|<|≥|≤)\s*(?:({_NUM})|(production|staging)(?:\s*([-+−])\s*({_UNUM}))?)\s*$"
)
_METRIC_RE = re.compile(METRIC_PATTERN)
_OPS = {">=": ">=", "<=": "<=", "==": "==", ">": ">", "<": "<", "≥": ">=", "≤": "<="}
SYMBOLS = {">=": "≥", "<=": "≤", ">": ">", "<": "<", "==": "="}

_DAY = datetime.timedelta(days=1)
_SECOND = datetime.timedelta(seconds=1)


@dataclass(frozen=True)
class MetricExpr:
    """A parsed gate such as `>= production - 0.01`: compare with a number or a stage."""

    op: str  # ASCII: ">=", ">", "<=", "<", "=="
    threshold: float | None  # absolute gate, e.g. 0.80
    relative_to: str | None  # canonical stage, "Production" / "Staging"
    offset: float  # "production - 0.01" → -0.01
    shown: str  # the right-hand side as people read it: "0.80", "production − 0.01"

    @property
    def label(self) -> str:
        """`≥ production − 0.01`, `≥ 0.80`: the numbers as written."""
        return f"{SYMBOLS[self.op]} {self.shown}"


def _metric_or_none(text: str) -> MetricExpr | None:
    match = _METRIC_RE.match(text)
    if match is None:
        return None
    op_text, number, stage, sign, offset_text = match.groups()
    op = _OPS[op_text]
    if number is not None:
        return MetricExpr(op, float(number), None, 0.0, number)
    value = float(offset_text) if offset_text else 0.0
    offset = -value if sign in ("-", "−") else value
    shown = stage + ((" − " if offset < 0 else " + ") + offset_text if offset else "")
    return MetricExpr(op, None, stage.capitalize(), offset, shown)


def metric_expr(text: str) -> MetricExpr:
    parsed = _metric_or_none(text)
    if parsed is not None:
        return parsed
    hint = ""
    if re.search(r"[A-Z]", text) and _metric_or_none(text.lower()):
        hint = "write production or staging in lower case; "
    raise ValueError(
        f'"{text}" is not a metric gate ({hint}write a comparison such as ">= 0.80", '
        f'or ">= production - 0.01" to compare with the version now in production)'
    )


def duration(text: str) -> datetime.timedelta:
    """`90s`, `30m`, `24h`, `7d`, `1h30m`, `2d12h`: units d h m s, in that order."""
    match = re.match(DURATION_PATTERN, text)
    if match is None:
        raise ValueError(
            f'"{text}" is not a duration (write it like "30s", "30m", "24h", "7d" or "1h30m")'
        )
    days, hours, minutes, seconds = (int(part) if part else 0 for part in match.groups())
    return datetime.timedelta(days=days, hours=hours, minutes=minutes, seconds=seconds)


def request_ttl(text: str) -> datetime.timedelta:
    """A duration a request can wait for approval: more than nothing, at most a year."""
    return _within_a_year(text, 'a request needs some time to be approved, e.g. "24h"')


def _within_a_year(text: str, if_zero: str) -> datetime.timedelta:
    """A duration more than nothing and at most MAX_TTL_DAYS; `if_zero` says what to
    write instead of a zero one."""
    value = duration(text)
    if not value:
        raise ValueError(f'"{text}" is zero ({if_zero})')
    if value > MAX_TTL_DAYS * _DAY:
        raise ValueError(
            f'"{text}" is longer than {MAX_TTL_DAYS} days (write "{MAX_TTL_DAYS}d" at most)'
        )
    return value


def duration_text(value: datetime.timedelta) -> str:
    """`30s`, `1m30s`, `30m`, `24h`, `1h30m`, `7d`: whole days only from two days on, as
    people say it."""
    seconds = value // _SECOND
    if seconds >= 2 * (_DAY // _SECOND) and seconds % (_DAY // _SECOND) == 0:
        return f"{seconds // (_DAY // _SECOND)}d"
    hours, rest = divmod(seconds, 3600)
    minutes, seconds = divmod(rest, 60)
    parts = [(hours, "h"), (minutes, "m"), (seconds, "s")]
    return "".join(f"{number}{unit}" for number, unit in parts if number) or "0m"


def time_of_day(text: str) -> datetime.time:
    if re.match(TIME_PATTERN, text) is None:
        raise ValueError(
            f'"{text}" is not a time of day (write 24-hour "HH:MM" in quotes, e.g. "16:00")'
        )
    hours, minutes = text.split(":")
    return datetime.time(int(hours), int(minutes))


def time_zone(text: str) -> str:
    """An IANA name the system's tz database knows, kept as written."""
    try:
        zoneinfo.ZoneInfo(text)
    except (ValueError, KeyError, OSError):
        # ZoneInfoNotFoundError is a KeyError; names such as "../x" or "Europe" (a
        # folder) raise ValueError or OSError depending on the platform's tz database.
        raise ValueError(
            f'"{text}" is not a time zone (write an IANA name such as Europe/Berlin or UTC)'
        ) from None
    return text


# A check's name as GitHub shows it (a check run's name or a commit status's context).
CHECK_NAME_MAX = 200
_CHECKS_HINT = 'write a list of check names, e.g. [test, "lint / ruff"], or all'


@dataclass(frozen=True)
class RequiredChecks:
    """`require_checks`: the checks a version's commit must have passed on GitHub, by
    name (check runs or commit-status contexts), or every check reported on it."""

    names: tuple[str, ...] = ()
    every: bool = False

    @property
    def label(self) -> str:
        """`test, lint / ruff` or `all`, as written."""
        return "all" if self.every else ", ".join(self.names)


def required_checks(value: object) -> RequiredChecks:
    """`all`, or a list of distinct, non-empty check names."""
    if isinstance(value, str):
        if value.strip().lower() == "all":
            return RequiredChecks(every=True)
        raise ValueError(f'"{value}" is neither all nor a list of checks ({_CHECKS_HINT})')
    if isinstance(value, list) and not value:
        raise ValueError(f"an empty list names no check ({_CHECKS_HINT}, or leave it out)")
    if not isinstance(value, list):
        got = "a mapping" if isinstance(value, dict) else f"{type(value).__name__} {value!r}"
        raise ValueError(f"expected all or a list of check names, got {got} ({_CHECKS_HINT})")
    names: list[str] = []
    for name in value:
        if not isinstance(name, str) or not name.strip() or len(name) > CHECK_NAME_MAX:
            shown = f'"{name}"' if isinstance(name, str) else repr(name)
            raise ValueError(
                f"{shown} is not a check name (a check is named by text of 1 to "
                f"{CHECK_NAME_MAX} characters; {_CHECKS_HINT})"
            )
        if name.strip() in names:
            raise ValueError(f'"{name}" is listed twice (name each check once)')
        names.append(name.strip())
    return RequiredChecks(names=tuple(names))


def threshold_expr(text: str) -> MetricExpr:
    """A live figure's `pass`: a comparison with a number (`< 0.02`). A live figure has
    no version in a stage to be compared with, so `production - 0.01` is refused."""
    parsed = _metric_or_none(text)
    if parsed is not None and parsed.threshold is not None:
        return parsed
    raise ValueError(
        f'"{text}" is not a threshold (write a comparison with a number, such as "< 0.02" '
        f'or ">= 0.95")'
    )


def positive_duration(text: str) -> datetime.timedelta:
    """A duration more than nothing and at most a year (soak, verify's for and every)."""
    return _within_a_year(text, 'write a duration such as "30s", "30m" or "24h"')


def passes(value: float, expr: MetricExpr) -> bool:
    """Whether a figure meets an absolute threshold (NaN never does)."""
    if expr.threshold is None or math.isnan(value) or math.isnan(expr.threshold):
        return False
    eps = 1e-9 * max(1.0, abs(expr.threshold))
    limits = {
        ">=": value >= expr.threshold - eps,
        ">": value > expr.threshold + eps,
        "<=": value <= expr.threshold + eps,
        "<": value < expr.threshold - eps,
        "==": abs(value - expr.threshold) <= eps,
    }
    return limits[expr.op]
