"""The words of what promobot announces on its own, in the one shape (bot/render/shape.py):
a new version's card (`registered`) and drift found (`drift`). (The line that points an
announced request back at where it was asked is message.asked_line.)"""

from __future__ import annotations

from bot.core.neutral import words
from bot.core.results import CardResult, DriftResult
from bot.core.text import one_line
from bot.render.shape import Message, drift_lines, link, metrics_table, nothing_in


def registered(r: CardResult, door: str = "cli") -> Message:
    """📦 sentiment-classifier v5 registered: where it came from, its metrics against the
    version in Production, and the targets it may be asked for next."""
    # The tags come from whoever registered the version: text people wrote.
    extra = {k: words(one_line(v)) if isinstance(v, str) else v for k, v in r.extra.items()}
    model = words(r.model)
    msg = Message(headline=f"📦 **{model} v{r.version}** registered")
    facts = []
    if extra.get("run_id"):
        facts.append(f"run `{extra['run_id']}`")
    if extra.get("git_commit"):
        branch = f" on `{extra['git_branch']}`" if extra.get("git_branch") else ""
        facts.append(f"commit `{extra['git_commit'][:12]}`{branch}")
    if extra.get("git_pull_request"):
        facts.append(f"pull request #{extra['git_pull_request']}")
    if r.extra.get("ci_run_url"):
        facts.append(f"CI run {link(str(r.extra['ci_run_url']), door)}")
    msg.byline = " · ".join(facts)
    production = extra.get("production_version")
    serving = str(extra.get("production_label") or "Production")
    if r.metrics:
        other = f"v{production} ({serving})" if production else None
        msg.tables.append(metrics_table(r.metrics, ["metric", f"v{r.version} (new)"], other))
    else:
        msg.lines.append("Its run logged no metrics.")
    if not production:
        msg.lines.append(f"{nothing_in(serving)}, so there is nothing to compare with.")
    targets = [words(key) for key in extra.get("next_targets") or ()]
    if targets:
        verb, slash = ("comments", "/") if door == "github" else ("types", "")
        command = f"{slash}promote {model} v{r.version} <target> [reason]"
        click = " (or clicks its button below)" if door == "slack" else ""
        msg.next = [
            f"Next: someone who may ask for it {verb} `{command}` with <target> one of "
            f"{', '.join(targets)}{click}."
        ]
    return msg


def drift(r: DriftResult, door: str = "cli") -> Message:
    """⚠️ sentiment-classifier: Production changed outside promobot, each finding and the
    commands that put it right."""
    labels = list(dict.fromkeys(words(finding.target) for finding in r.drift))
    where = ", ".join(labels) or "a target"
    msg = Message(headline=f"⚠️ **{words(r.model)}**: {where} changed outside promobot")
    msg.lines = drift_lines(r.drift, door)
    msg.footer = "promobot reports each finding once; `status` shows it until it is put right."
    return msg
