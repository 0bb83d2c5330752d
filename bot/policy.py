"""Policy, step two: normalized rules, and the decisions made with them.

`load_policy` reads files through `bot.policy_schema` (strict raw schema, file:line
errors), then builds the frozen rules below with every default filled. The decision
functions are pure: no I/O, `now` is passed in. A refusal is a sentence in the
returned `Decision`, never an exception (design.md, "Style").
"""

from __future__ import annotations

import datetime
import math
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from fnmatch import fnmatchcase
from pathlib import Path
from zoneinfo import ZoneInfo

from bot.policy_schema import (
    DAYS,
    PolicyError,
    RawFreeze,
    RawModel,
    RawPerson,
    RawRollback,
    RawTarget,
    parse_duration,
    parse_hhmm,
    parse_metric,
    read_policy_files,
    write_json_schema,
)

__all__ = [
    "Check",
    "Decision",
    "FreezeWindow",
    "MetricGate",
    "ModelRules",
    "Person",
    "Policy",
    "PolicyError",
    "RequestFacts",
    "TargetRule",
    "approval_check",
    "check",
    "count_approvals",
    "decide",
    "explain",
    "load_policy",
    "target_label",
    "write_json_schema",
]

ROLLBACK = "rollback"
_SYMBOLS = {">=": "≥", "<=": "≤", ">": ">", "<": "<", "==": "="}
_DAY_NAMES = {
    "mon": "Monday",
    "tue": "Tuesday",
    "wed": "Wednesday",
    "thu": "Thursday",
    "fri": "Friday",
    "sat": "Saturday",
    "sun": "Sunday",
}


# ---------------------------------------------------------------- rules


@dataclass(frozen=True)
class Person:
    key: str  # the name used in the YAML ("bob")
    email: str | None = None
    github: str | None = None
    slack: str | None = None
    cli: str | None = None


@dataclass(frozen=True)
class MetricGate:
    metric: str
    op: str  # one of ">=", ">", "<=", "<", "=="
    threshold: float | None  # absolute gate, e.g. 0.80
    relative_to: str | None  # canonical stage, for "production - 0.01"
    offset: float = 0.0  # "production - 0.01" → -0.01
    text: str = ""  # as written, e.g. ">= production - 0.01"

    @property
    def label(self) -> str:
        """As people read it: `f1 ≥ production − 0.01`, `accuracy ≥ 0.80`."""
        parsed = parse_metric(self.text) if self.text else None
        if parsed is not None and parsed.threshold is not None:
            rhs = parsed.number_text
        elif parsed is not None:
            sign = " − " if parsed.offset < 0 else " + "
            rhs = str(parsed.relative_to) + (sign + parsed.number_text if parsed.offset else "")
        elif self.threshold is not None:
            rhs = f"{self.threshold:g}"
        else:
            stage = (self.relative_to or "").lower()
            sign = " − " if self.offset < 0 else " + "
            rhs = stage + (f"{sign}{abs(self.offset):g}" if self.offset else "")
        return f"{self.metric} {_SYMBOLS[self.op]} {rhs}"


@dataclass(frozen=True)
class FreezeWindow:
    days: tuple[str, ...]  # "mon".."sun"; empty = every day
    start: datetime.time  # "from"
    end: datetime.time  # "to", inclusive minute; end < start crosses midnight
    timezone: str
    reason: str = ""

    @property
    def label(self) -> str:
        """`fri 16:00–23:59 Europe/Berlin: no Friday-evening releases`."""
        days = ", ".join(self.days) if self.days else "daily"
        text = f"{days} {self.start:%H:%M}–{self.end:%H:%M} {self.timezone}"
        return f"{text}: {self.reason}" if self.reason else text


@dataclass(frozen=True)
class TargetRule:
    target_key: str  # "production", "@champion" or "rollback"
    requesters: tuple[str, ...]  # group or person names as written
    approvers: tuple[str, ...] = ()
    approvals: int = 0
    self_approval: bool = False
    require_stage: str | None = None  # canonical "Staging"/"Production"
    require_reason: bool = False
    metrics: tuple[MetricGate, ...] = ()
    freeze: tuple[FreezeWindow, ...] = ()
    request_ttl: datetime.timedelta = datetime.timedelta(hours=24)
    model: str = ""  # the entry's name or glob, for messages that quote the rule

    @property
    def label(self) -> str:
        return target_label(self.target_key)


@dataclass(frozen=True)
class ModelRules:
    pattern: str  # exact name or glob (fnmatchcase)
    targets: dict[str, TargetRule]  # keyed by Target.key
    rollback: TargetRule | None
    source: str  # "path:line" where the entry starts


def target_label(key: str) -> str:
    """Target.key → Target.label: `production` → `Production`; `@champion` stays."""
    return key.capitalize() if not key.startswith("@") and key != ROLLBACK else key


def _norm_actor(actor: str) -> str:
    """Compare handles the way their systems do: GitHub logins and e-mails ignore case."""
    kind, _, rest = actor.partition(":")
    if kind == "github" and rest:
        return f"github:{rest.lower()}"
    if kind == "slack" and rest:
        return f"slack:{rest.upper()}"
    if "@" in actor and ":" not in actor:
        return actor.lower()
    return actor


@dataclass(frozen=True)
class Policy:
    people: dict[str, Person]
    groups: dict[str, tuple[str, ...]]  # group → person keys
    models: tuple[ModelRules, ...]
    sources: tuple[str, ...] = ()  # files loaded
    _handles: dict[str, Person] = field(init=False, repr=False, compare=False)

    def __post_init__(self) -> None:
        handles: dict[str, Person] = {}
        for person in self.people.values():
            for handle in (
                f"github:{person.github}" if person.github else None,
                f"slack:{person.slack}" if person.slack else None,
                f"cli:{person.cli or person.key}",
                person.email,
            ):
                if handle:
                    handles.setdefault(_norm_actor(handle), person)
        object.__setattr__(self, "_handles", handles)

    def person_for(self, actor: str) -> Person | None:
        """The person an actor (`github:bob`, `slack:U01BOB`, `cli:bob`, e-mail) is."""
        return self._handles.get(_norm_actor(actor.strip()))

    def display(self, actor: str) -> str:
        """How tags and messages name whoever acts (design.md, "Identities"): by the
        e-mail the policy gives the person, else by the handle they acted with
        (`github:dave`)."""
        person = self.person_for(actor)
        return person.email if person and person.email else actor

    def same_person(self, a: str, b: str) -> bool:
        if _norm_actor(a.strip()) == _norm_actor(b.strip()):
            return True
        person_a, person_b = self.person_for(a), self.person_for(b)
        return person_a is not None and person_b is not None and person_a.key == person_b.key

    def members(self, names: Iterable[str]) -> set[str]:
        found: set[str] = set()
        for name in names:
            if name in self.groups:
                found.update(self.groups[name])
            elif name in self.people:
                found.add(name)
        return found

    def rules_for(self, model: str) -> ModelRules | None:
        return next((rules for rules in self.models if fnmatchcase(model, rules.pattern)), None)

    def _name(self, actor: str) -> str:
        """How a check names someone: the person's key ("bob"), else the handle."""
        person = self.person_for(actor)
        return person.key if person else actor

    def _key(self, actor: str) -> str:
        person = self.person_for(actor)
        return person.key if person else _norm_actor(actor.strip())


# ---------------------------------------------------------------- loading


def load_policy(path: str | Path) -> Policy:
    """Load a policy file, or every *.yaml/*.yml in a folder (merged, in name order).

    Raises PolicyError listing every problem found, each with file, line and field.
    """
    files = read_policy_files(path)
    people: dict[str, Person] = {}
    groups: dict[str, tuple[str, ...]] = {}
    models: list[ModelRules] = []
    for file in files:
        raw = file.raw
        if raw is None:  # pragma: no cover - read_policy_files raises first
            raise PolicyError([f"{file.name}: could not be read"])
        for key, person in raw.people.items():
            people.setdefault(key, _person(key, person))
        for key, names in raw.groups.items():
            groups.setdefault(key, tuple(dict.fromkeys(names)))
        for index, entry in enumerate(raw.models):
            models.append(_model(entry, f"{file.name}:{file.lines.line(('models', index))}"))
    return Policy(people, groups, tuple(models), tuple(file.name for file in files))


def check(path: str | Path) -> list[str]:
    """The problems `load_policy` would raise, or [] when the files are valid."""
    try:
        load_policy(path)
    except PolicyError as error:
        return error.problems
    return []


def _person(key: str, raw: RawPerson) -> Person:
    return Person(key, raw.email, raw.github, raw.slack, raw.cli)


def _model(raw: RawModel, source: str) -> ModelRules:
    targets = {key: _rule(key, rule, raw.name) for key, rule in raw.targets.items()}
    rollback = _rule(ROLLBACK, raw.rollback, raw.name) if raw.rollback else None
    return ModelRules(raw.name, targets, rollback, source)


def _rule(key: str, raw: RawTarget | RawRollback, model: str) -> TargetRule:
    days, hours, minutes = parse_duration(raw.request_ttl) or (1, 0, 0)
    common = {
        "target_key": key,
        "requesters": tuple(raw.requesters),
        "approvers": tuple(raw.approvers),
        "approvals": raw.approvals,
        "self_approval": raw.self_approval,
        "require_reason": raw.require_reason,
        "request_ttl": datetime.timedelta(days=days, hours=hours, minutes=minutes),
        "model": model,
    }
    if not isinstance(raw, RawTarget):
        return TargetRule(**common)
    return TargetRule(
        **common,
        require_stage=raw.require_stage.capitalize() if raw.require_stage else None,
        metrics=tuple(_gate(metric, text) for metric, text in raw.metrics.items()),
        freeze=tuple(_window(window) for window in raw.freeze),
    )


def _gate(metric: str, text: str) -> MetricGate:
    parsed = parse_metric(text)
    if parsed is None:  # pragma: no cover - the schema refused it already
        raise PolicyError([f"metrics.{metric}: {text!r} is not a metric gate"])
    relative = parsed.relative_to.capitalize() if parsed.relative_to else None
    return MetricGate(metric, parsed.op, parsed.threshold, relative, parsed.offset, text.strip())


def _window(raw: RawFreeze) -> FreezeWindow:
    start = parse_hhmm(raw.start) or (0, 0)
    end = parse_hhmm(raw.end) or (23, 59)
    return FreezeWindow(
        tuple(raw.days), datetime.time(*start), datetime.time(*end), raw.timezone, raw.reason
    )


# ---------------------------------------------------------------- decisions


@dataclass(frozen=True)
class Check:
    name: str  # "requester", "stage order", "reason", "accuracy ≥ 0.80", "freeze", "approvals"
    status: str  # "pass" | "fail" | "pending"
    detail: str  # "bob is in ml-engineers", "0.890 vs 0.874 (v2)"
    fix: str = ""  # for failures: how to get past it


@dataclass(frozen=True)
class RequestFacts:
    model: str
    action: str  # "promote" | "rollback"
    target_key: str  # Target.key
    target_label: str  # Target.label
    actor: str
    reason: str
    version: int  # the candidate
    version_stage: str  # "None"/"Staging"/"Production"/"Archived"
    version_metrics: dict[str, float]
    holders: dict[str, tuple[int, dict[str, float]]]  # stage → (version, metrics) now
    now: datetime.datetime  # aware, UTC


@dataclass(frozen=True)
class Decision:
    outcome: str  # "allowed" | "needs_approval" | "refused"
    checks: tuple[Check, ...]
    reasons: tuple[str, ...]  # one sentence per failed check; empty unless refused
    rule: TargetRule | None
    approvals_required: int = 0
    approvers: tuple[str, ...] = ()
    expires_at: datetime.datetime | None = None


def _join(names: Sequence[str], word: str = "or") -> str:
    names = list(names)
    if len(names) <= 1:
        return "".join(names)
    return f"{', '.join(names[:-1])} {word} {names[-1]}"


def _fmt(value: float) -> str:
    return f"{value:.3f}"


def _fmt_beside(value: float, op: str, threshold: float) -> str:
    """Three decimals, unless rounding would make a failing value look like a pass."""
    shown = _fmt(value)
    if not _compare(value, op, threshold) and _compare(float(shown), op, threshold):
        return f"{value:.6g}"
    return shown


def _compare(value: float, op: str, threshold: float) -> bool:
    # A gate like "production - 0.02" is computed in floating point; a tolerance keeps
    # 0.854 ≥ 0.874 − 0.02 true.
    if math.isnan(value) or math.isnan(threshold):
        return False
    eps = 1e-9 * max(1.0, abs(threshold))
    if op == ">=":
        return value >= threshold - eps
    if op == ">":
        return value > threshold + eps
    if op == "<=":
        return value <= threshold + eps
    if op == "<":
        return value < threshold - eps
    return abs(value - threshold) <= eps


def _verb(facts: RequestFacts) -> str:
    if facts.action == ROLLBACK:
        return f"roll back {facts.model}" + (
            f" {facts.target_label}" if facts.target_key != "production" else ""
        )
    return f"promote {facts.model} to {facts.target_label}"


def _command(facts: RequestFacts, reason: str = "") -> str:
    if facts.action == ROLLBACK:
        target = f" {facts.target_key}" if facts.target_key != "production" else ""
        return f"rollback {facts.model}{target}" + (f" {reason}" if reason else "")
    return f"promote {facts.model} v{facts.version} {facts.target_key}" + (
        f" {reason}" if reason else ""
    )


def _refuse(check: Check, reason: str) -> Decision:
    return Decision("refused", (check,), (reason,), None)


def decide(policy: Policy, facts: RequestFacts) -> Decision:
    """Allowed now, needs approvals (from whom, how many), or refused with every reason.

    Fail closed: a model or target no policy names is refused.
    """
    if facts.action not in ("promote", ROLLBACK):
        raise ValueError(f"unknown action {facts.action!r}")
    rules = policy.rules_for(facts.model)
    if rules is None:
        reason = (
            f"No policy names model `{facts.model}`; add it to a file in policies/ "
            "(see `promobot policy check`)."
        )
        fix = "add the model to a file in policies/"
        return _refuse(Check("policy", "fail", f"no policy names {facts.model}", fix), reason)
    rule = _rule_for(rules, facts)
    if isinstance(rule, Decision):
        return rule

    results: list[tuple[Check, str]] = [_requester(policy, rule, facts)]
    if rule.require_stage:
        results.append(_stage_order(rule, facts))
    if rule.require_reason:
        results.append(_reason(facts))
    results.extend(_metric(gate, facts) for gate in rule.metrics)
    if facts.action != ROLLBACK and rule.freeze:
        # A freeze stops releases; a rollback is how people get out of a bad release.
        results.append(_freeze(rule, facts))
    results.append(_approvals(policy, rule, facts))

    checks = tuple(check for check, _ in results)
    reasons = tuple(reason for check, reason in results if check.status == "fail")
    if reasons:
        return Decision("refused", checks, reasons, rule, rule.approvals, rule.approvers)
    if rule.approvals > 0:
        expires = facts.now + rule.request_ttl
        return Decision("needs_approval", checks, (), rule, rule.approvals, rule.approvers, expires)
    return Decision("allowed", checks, (), rule, 0, rule.approvers)


def _rule_for(rules: ModelRules, facts: RequestFacts) -> TargetRule | Decision:
    if facts.action == ROLLBACK:
        if rules.rollback is not None:
            return rules.rollback
        reason = (
            f"The policy for `{facts.model}` ({rules.source}) has no rollback rule, so "
            f"nobody may roll it back; add `rollback:` with requesters to that entry."
        )
        fix = f"add `rollback:` to the entry at {rules.source}"
        return _refuse(Check("policy", "fail", "no rollback rule", fix), reason)
    rule = rules.targets.get(facts.target_key)
    if rule is not None:
        return rule
    allowed = _join([target_label(key) for key in rules.targets], "and") or "no target"
    reason = (
        f"The policy for `{facts.model}` ({rules.source}) has no rule for "
        f"{facts.target_label}, so promotions there are refused; it has rules for "
        f"{allowed}. Add `{facts.target_key}` under its targets to allow it."
    )
    fix = f"promote to {allowed}, or add `{facts.target_key}` to the targets at {rules.source}"
    detail = f"no rule for {facts.target_label}"
    return _refuse(Check("policy", "fail", detail, fix), reason)


def _who(policy: Policy, names: Sequence[str]) -> str:
    """`ml-leads (alice, dave)` for groups; people as themselves."""
    parts = []
    for name in names:
        if name in policy.groups:
            parts.append(f"{name} ({', '.join(policy.groups[name]) or 'nobody'})")
        else:
            parts.append(name)
    return _join(parts)


def _requester(policy: Policy, rule: TargetRule, facts: RequestFacts) -> tuple[Check, str]:
    person = policy.person_for(facts.actor)
    name = person.key if person else facts.actor
    if person is not None:
        for listed in rule.requesters:
            if listed == person.key:
                return Check("requester", "pass", f"{name} is a listed requester"), ""
            if person.key in policy.groups.get(listed, ()):
                return Check("requester", "pass", f"{name} is in {listed}"), ""
    askers = sorted(policy.members(rule.requesters))
    if person is None:
        detail = f"{facts.actor} is not in the policy's people"
    elif len(rule.requesters) == 1:
        detail = f"{name} is not in {rule.requesters[0]}"
    else:
        detail = f"{name} is not in {_join(rule.requesters)}"
    fix = f"ask {_join(askers)}" if askers else "ask the policy owners to add requesters"
    if person is None:
        fix += f", or add {facts.actor} to people in policies/"
    reason = f"Only {_join(rule.requesters)} may {_verb(facts)}, and {detail}"
    return Check("requester", "fail", detail, fix), f"{reason}; {fix}."


def _stage_order(rule: TargetRule, facts: RequestFacts) -> tuple[Check, str]:
    need = rule.require_stage or ""
    version = f"v{facts.version}"
    if facts.version_stage == need:
        return Check("stage order", "pass", f"{version} is in {need}"), ""
    where = (
        "has no stage yet"
        if facts.version_stage in ("", "None")
        else (f"is in {facts.version_stage}")
    )
    command = f"promote {facts.model} {version} {need.lower()}"
    fix = f"promote {version} to {need.lower()} first: `{command}`"
    reason = (
        f"{version} must be in {need} before it goes to {facts.target_label}, and it {where}; "
        f"{fix}."
    )
    return Check("stage order", "fail", f"{version} {where}", fix), reason


def _reason(facts: RequestFacts) -> tuple[Check, str]:
    given = facts.reason.strip()
    if given:
        shown = given if len(given) <= 60 else given[:57] + "..."
        return Check("reason", "pass", f'"{shown}"'), ""
    fix = f"add a reason after the target: `{_command(facts, '<why>')}`"
    if facts.action == ROLLBACK:
        fix = f"add a reason: `{_command(facts, '<why>')}`"
        reason = f"A reason is required to roll back {facts.model}; {fix}."
    else:
        reason = f"A reason is required to promote to {facts.target_label}; {fix}."
    return Check("reason", "fail", "no reason given", fix), reason


def _metric(gate: MetricGate, facts: RequestFacts) -> tuple[Check, str]:
    version = f"v{facts.version}"
    value = facts.version_metrics.get(gate.metric)
    if value is None:
        fix = f"log `{gate.metric}` in the training run of {version}"
        reason = f"{version} has no metric `{gate.metric}`; log it in the training run."
        return Check(gate.label, "fail", f"{version} has no `{gate.metric}`", fix), reason
    if gate.relative_to is None:
        threshold = gate.threshold if gate.threshold is not None else math.nan
        shown = _fmt_beside(value, gate.op, threshold)
        if _compare(value, gate.op, threshold):
            return Check(gate.label, "pass", shown), ""
        fix = f"promote a version with {gate.label}"
        reason = f"{gate.metric} of {version} is {shown}, which fails the gate {gate.label}; {fix}."
        return Check(gate.label, "fail", shown, fix), reason

    holder = facts.holders.get(gate.relative_to)
    if holder is None:
        return Check(gate.label, "pass", f"no version in {gate.relative_to} to compare"), ""
    holder_version, holder_metrics = holder
    base = holder_metrics.get(gate.metric)
    if base is None:
        detail = f"v{holder_version} in {gate.relative_to} has no `{gate.metric}` to compare"
        return Check(gate.label, "pass", detail), ""
    threshold = base + gate.offset
    shown = _fmt_beside(value, gate.op, threshold)
    detail = f"{shown} vs {_fmt(base)} (v{holder_version})"
    if _compare(value, gate.op, threshold):
        return Check(gate.label, "pass", detail), ""
    needed = f"{gate.metric} {_SYMBOLS[gate.op]} {_fmt(threshold)}"
    fix = f"promote a version with {needed}"
    reason = (
        f"{gate.metric} of {version} is {shown}, but the gate {gate.label} needs {needed} "
        f"(v{holder_version} in {gate.relative_to} has {_fmt(base)}); {fix}."
    )
    return Check(gate.label, "fail", detail, fix), reason


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


def _freeze(rule: TargetRule, facts: RequestFacts) -> tuple[Check, str]:
    now = facts.now if facts.now.tzinfo else facts.now.replace(tzinfo=datetime.UTC)
    for window in rule.freeze:
        zone = ZoneInfo(window.timezone)
        end = _window_end(window, now.astimezone(zone))
        if end is None:
            continue
        until = f"{end:%a %H:%M} {window.timezone}"
        fix = f"try again from {until}"
        detail = f"frozen {window.label}"
        reason = (
            f"Promotions of {facts.model} to {facts.target_label} are frozen "
            f"({window.label}); {fix}."
        )
        return Check("freeze", "fail", detail, fix), reason
    return Check("freeze", "pass", "not in a freeze window"), ""


def _approvals(policy: Policy, rule: TargetRule, facts: RequestFacts) -> tuple[Check, str]:
    if rule.approvals == 0:
        return Check("approvals", "pass", "none needed"), ""
    base = f"0 of {rule.approvals} from {_join(rule.approvers)}"
    approvers = policy.members(rule.approvers)
    requester = policy._key(facts.actor)
    own = requester in approvers and not rule.self_approval
    if own:
        base += f" ({policy._name(facts.actor)} cannot approve their own request)"
    able = approvers - {requester} if own else approvers
    if len(able) >= rule.approvals:
        return Check("approvals", "pending", base), ""
    fix = f"add people to {_join(rule.approvers, 'and')} in the policy"
    plural = "approval" if rule.approvals == 1 else "approvals"
    reason = (
        f"{facts.target_label} needs {rule.approvals} {plural} from {_join(rule.approvers)}, "
        f"but only {len(able)} of them may approve this request; {fix}."
    )
    return Check("approvals", "fail", base, fix), reason


def approval_check(policy: Policy, rule: TargetRule, requester: str, approver: str) -> str | None:
    """None if `approver` may approve `requester`'s request under `rule`, else why not."""
    name = policy._name(approver)
    if not rule.self_approval and policy.same_person(requester, approver):
        return f"{name} cannot approve their own request"
    if policy._key(approver) not in policy.members(rule.approvers):
        action = "rollbacks" if rule.target_key == ROLLBACK else rule.label
        model = f" for {rule.model}" if rule.model else ""
        if not rule.approvers:
            return f"nobody approves {action}{model}"
        return f"{name} is not in {_join(rule.approvers)}, who approve {action}{model}"
    return None


def count_approvals(
    policy: Policy, rule: TargetRule, requester: str, approvers: Iterable[str]
) -> list[str]:
    """The distinct people whose approval counts, in first-seen order.

    One person approving from Slack and again from GitHub counts once.
    """
    counted: dict[str, str] = {}
    for approver in approvers:
        if approval_check(policy, rule, requester, approver) is None:
            key = policy._key(approver)
            person = policy.person_for(approver)
            counted.setdefault(key, person.key if person else approver)
    return list(counted.values())


# ---------------------------------------------------------------- explain


def _ttl_text(ttl: datetime.timedelta) -> str:
    """`30m`, `24h`, `1h30m`, `7d`: whole days only from two days on, as people say it."""
    minutes = int(ttl.total_seconds() // 60)
    if minutes >= 2 * 24 * 60 and minutes % (24 * 60) == 0:
        return f"{minutes // (24 * 60)}d"
    hours, minutes = divmod(minutes, 60)
    return (f"{hours}h" if hours else "") + (f"{minutes}m" if minutes or not hours else "")


def _explain_rule(policy: Policy, rule: TargetRule) -> list[str]:
    lines = [f"requested by {_who(policy, rule.requesters)}"]
    if rule.approvals == 0:
        lines.append("no approval needed")
    else:
        plural = "approval" if rule.approvals == 1 else "approvals"
        own = (
            "the requester may approve their own request"
            if rule.self_approval
            else "nobody approves their own request"
        )
        lines.append(f"needs {rule.approvals} {plural} from {_who(policy, rule.approvers)}; {own}")
    if rule.require_stage:
        lines.append(f"must be in {rule.require_stage} first")
    if rule.require_reason:
        lines.append("a reason is required")
    lines.extend(gate.label for gate in rule.metrics)
    lines.extend(f"frozen {window.label}" for window in rule.freeze)
    if rule.approvals > 0:
        lines.append(f"requests expire after {_ttl_text(rule.request_ttl)}")
    return lines


def explain(policy: Policy, model: str) -> list[tuple[str, list[str]]] | None:
    """The rules for a model as sentences, per target label, then "rollback"."""
    rules = policy.rules_for(model)
    if rules is None:
        return None
    out = [(rule.label, _explain_rule(policy, rule)) for rule in rules.targets.values()]
    if rules.rollback is not None:
        out.append(
            (
                ROLLBACK,
                [*_explain_rule(policy, rules.rollback), "freeze windows never block a rollback"],
            )
        )
    return out
