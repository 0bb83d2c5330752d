"""The words of what CI and the deployment records produce: the job summary of
`promobot register` (Markdown for $GITHUB_STEP_SUMMARY) and the lines of
`promobot deployments`. Built on bot/render/message.py's one shape.

The summary shows the version's tags, and the branch (a pull request's head branch) is
named by whoever opened the pull request: each is shown as typed (bot/core/neutral.py
`markdown`), or inside a code span that it cannot end. The one link is the workflow run,
which `promobot register` made from the runner's own variables, and only while it is a
plain https URL."""

from __future__ import annotations

from bot.core.neutral import PLAIN_URL, markdown
from bot.core.results import Comparison, DeploymentRepair, MissingDeployment, Registered, Result
from bot.core.text import metric_order, one_line, when
from bot.render.message import num, to_markdown
from bot.render.shape import nothing_in

# ---- CI's job summary ---------------------------------------------------------------------

# The registered version's tags the summary shows, with their labels, in this order.
_CI_FACTS = {
    "git_commit": "commit",
    "git_branch": "branch",
    "git_pull_request": "pull request",
    "ci_run_url": "workflow run",
    "ci_actor": "actor",
}
_CI_METRICS_MAX = 12


def ci_summary(
    registered: Registered,
    comparison: Comparison,
    requested: str | None = None,
    result: Result | None = None,
) -> str:
    """The job summary of `promobot register`: the version and where it came from, its
    metrics against Production, and the request for `requested` (a target label) made
    with it (`result`; None when it could not be made)."""
    v = f"v{registered.version}"
    lines = [
        f"### 📦 {_ci_text(registered.model)} {v} registered",
        "",
        "| | |",
        "| --- | --- |",
        f"| model URI | `{_ci_code(registered.model_uri)}` |",
        f"| run | `{_ci_code(registered.run_id)}` |",
    ]
    for key, label in _CI_FACTS.items():
        if value := registered.tags.get(key):
            lines.append(f"| {label} | {_ci_fact(key, value)} |")
    lines.append("")
    lines += _ci_metrics(v, comparison)
    if comparison.production is None:
        lines += ["", f"{nothing_in(comparison.label)}, so there is nothing to compare with."]
    if requested is not None:
        lines += ["", f"#### Request: {_ci_text(requested)}", ""]
        lines.append(
            to_markdown(result)
            if result is not None
            else "⚠️ The request could not be made; see the step log."
        )
    return "\n".join(lines) + "\n"


def _ci_fact(key: str, value: str) -> str:
    if key == "git_pull_request":
        return f"#{_ci_text(value)}"
    if key == "ci_run_url":
        return value if PLAIN_URL.fullmatch(value) else _ci_text(value)
    return f"`{_ci_code(value)}`"


def _ci_metrics(v: str, comparison: Comparison) -> list[str]:
    new_metrics, old_metrics = comparison.metrics, comparison.production_metrics
    names = metric_order((), new_metrics, old_metrics, limit=_CI_METRICS_MAX)
    if not names:
        return ["The run logged no metrics."]
    production = comparison.production
    header = f"| metric | {v} (new) |"
    rule = "| --- | --- |"
    if production is not None:
        header += f" v{production} ({comparison.label}) | change |"
        rule += " --- | --- |"
    lines = [header, rule]
    for name in names:
        new = new_metrics.get(name)
        row = f"| {_ci_text(name)} | {num(new)} |"
        if production is not None:
            old = old_metrics.get(name)
            change = "—" if new is None or old is None else f"{new - old:+.3f}"
            row += f" {num(old)} | {change} |"
        lines.append(row)
    return lines


def _ci_text(text: str) -> str:
    """A tag's value in the summary's text or a table cell: on one line, shown as typed
    (no `|` breaks the row, no mention, link or HTML)."""
    return markdown(one_line(text))


def _ci_code(text: str) -> str:
    """A tag's value inside a code span of a table cell: on one line, no backtick to end
    the span, no `|` to break the row (GitHub splits a row at a `|` inside code too)."""
    return one_line(text).replace("`", "'").replace("|", "\\|")


# ---- deployment records -------------------------------------------------------------------


def missing_deployment_line(m: MissingDeployment) -> str:
    """One line per version whose GitHub deployment is missing, e.g.
    `sentiment-classifier v3 → Production (req-8b4e495d52, 2026-11-25 10:00 UTC): the GitHub
    deployment to sentiment-classifier/Production in acme/models was never sent`."""
    at = f", {when(m.at)}" if m.at else ""
    subject = f"{m.model} v{m.version} → {m.target} ({m.request_id}{at})"
    where = f"the GitHub deployment to {m.environment} in {m.repository}"
    if m.why == "never sent":
        return f"{subject}: {where} was never sent"
    return f"{subject}: {where} {one_line(m.why)}"


def repair_line(r: DeploymentRepair) -> str:
    """What a repair did about one missing deployment, on one line."""
    m = r.missing
    subject = f"{m.model} v{m.version} → {m.target} ({m.request_id})"
    if r.skipped:
        return f"{subject}: recorded meanwhile; nothing sent"
    if r.recorded:
        return f"{subject}: recorded as GitHub deployment {r.deployment_id} in {m.environment}"
    return f"{subject}: still not recorded: {one_line(r.why)}"
