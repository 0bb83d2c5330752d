"""The one shape every result is worded in (docs/contract.md, "What people see"), and the
pieces the renderers share: the outcome in the first line, then what the policy checked,
then the numbers, then what to do next. bot/render/message.py builds a Message from a
result and lays it out; cards.py and verification.py word their own kinds in it.

A Message's only marks are **bold**, `code` and, in a Message for GitHub, <URL> (`link`);
text people wrote goes in through `bot.core.neutral.words`, so it carries none of them,
and the layouts (bot/render/markup.py) show everything else as typed."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any

from bot.core.neutral import PLAIN_URL, words
from bot.core.results import MetricRow, NextStep
from bot.core.state.drift import Finding, describe
from bot.core.text import one_line


@dataclass
class Table:
    header: list[str]
    rows: list[list[str]]


@dataclass
class Message:
    headline: str  # marks: **bold**, `code`, <URL> only (text people wrote: through `words`)
    byline: str = ""
    tables: list[Table] = field(default_factory=list)
    lines: list[str] = field(default_factory=list)  # reasons, notes
    next: list[str] = field(default_factory=list)
    footer: str = ""


def nothing_in(label: str) -> str:
    """`No version is in Production yet`; `Nothing holds @production yet` in a registry
    without stages."""
    if label.startswith("@"):
        return f"Nothing holds {label} yet"
    return f"No version is in {label} yet"


def link(url: str, door: str = "cli") -> str:
    """A URL promobot recorded itself (where a request was asked or promoted, a workflow
    run). On GitHub, where only promobot's own links are links, it is marked as one while
    it is plain (http(s), a host, no character any place acts on: what is shown is where
    it leads); elsewhere, and when it is not plain, it is text as typed (Slack and
    terminals link a URL they see by themselves)."""
    url = one_line(url)
    return f"<{url}>" if door == "github" and PLAIN_URL.fullmatch(url) else words(url)


def step_text(step: NextStep, door: str = "cli") -> str:
    """`a member of ml-leads types `approve req-…` (or clicks Approve in Slack)`."""
    verb, slash = ("comments", "/") if door == "github" else ("types", "")
    text = f"{words(step.who)} {verb} `{slash}{words(step.command)}`"
    return f"{text} (or clicks {step.click} in Slack)" if step.click else text


def metrics_table(metrics: Sequence[MetricRow], header: list[str], other: str | None) -> Table:
    """The candidate's metrics, and beside them (column `other`, when given) those of
    the version it is weighed against."""
    columns = [*header, other] if other else header
    rows = [
        [words(m.name), num(m.candidate), *([num(m.current)] if other else [])] for m in metrics
    ]
    return Table(columns, rows)


def drift_lines(findings: Sequence[Finding | Any], door: str = "cli") -> list[str]:
    """Each finding as a ⚠ line and the commands that put it right."""
    lines = []
    for finding in findings:
        lines.append(f"⚠ {describe(finding)}")
        ways = " or ".join(step_text(step, door) for step in finding.fixes)
        if ways:
            lines.append(f"   To put it right: {ways}.")
    return lines


def num(value: float | None) -> str:
    return "—" if value is None else f"{value:.3f}"
