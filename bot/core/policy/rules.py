"""Policy, step two: the normalized rules, with every default filled (raw → valid).

`bot.core.policy.loading` reads the files through `bot.core.policy.files` (safe YAML, the
strict schema, the cross-file checks; file:line errors) and builds the frozen rules below
from the schema's typed values, so nothing is parsed twice. Deciding with them is
`bot.core.policy.decisions`; explaining them is `bot.core.policy.explanations`.
"""

from __future__ import annotations

import datetime
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from fnmatch import fnmatchcase

from bot.core.policy.groups import Membership
from bot.core.policy.values import MetricExpr, RequiredChecks
from bot.core.policy.watching import LiveCheck, VerifyRule

ROLLBACK = "rollback"


@dataclass(frozen=True)
class Person:
    key: str  # the name used in the YAML ("bob")
    email: str | None = None
    github: str | None = None
    slack: str | None = None
    cli: str | None = None
    mlflow: str | None = None  # MLflow username: `mlflow:<username>`


@dataclass(frozen=True)
class MetricGate:
    metric: str
    expr: MetricExpr  # parsed once, by the schema

    # Without stages, a relative gate compares with the alias of that name.
    aliases_only: bool = False

    @property
    def relative_to(self) -> str | None:
        """What a relative gate compares with: the stage ("Production"), or without stages
        the alias ("@production"); else None."""
        stage = self.expr.relative_to
        if stage is None or not self.aliases_only:
            return stage
        return f"@{stage.lower()}"

    @property
    def label(self) -> str:
        """As people read it: `f1 ≥ production − 0.01`, `accuracy ≥ 0.80`."""
        return f"{self.metric} {self.expr.label}"


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
    # What the version must hold first: the stage, "Staging"/"Production"; without stages,
    # the alias as labelled, "@staging".
    require_stage: str | None = None
    require_reason: bool = False
    metrics: tuple[MetricGate, ...] = ()
    require_checks: RequiredChecks | None = None  # GitHub checks on the version's commit
    freeze: tuple[FreezeWindow, ...] = ()
    request_ttl: datetime.timedelta = datetime.timedelta(hours=24)
    model: str = ""  # the entry's name or glob, for messages that quote the rule
    deny_requires_reason: bool = False
    respect_locks: bool = False  # rollback rule only: a lock stops rollbacks too
    # With one count per group (`approvals: {ml-leads: 1, sre: 1}`): (group, count) as
    # written; `approvals` is then their sum and `approvers` those groups.
    quorum: tuple[tuple[str, int], ...] = ()
    soak: datetime.timedelta | None = None  # how long the candidate held require_stage
    live: tuple[LiveCheck, ...] = ()  # gates on live figures (Prometheus)
    verify: VerifyRule | None = None  # watched after it takes the target

    @property
    def label(self) -> str:
        return target_label(self.target_key)


@dataclass(frozen=True)
class ModelRules:
    pattern: str  # exact name or glob (fnmatchcase)
    targets: dict[str, TargetRule]  # keyed by Target.key
    rollback: TargetRule | None
    source: str  # "path:line" where the entry starts
    # Who may lock and unlock its targets (`locks.requesters`); empty: each target's
    # requesters and approvers (bot/core/policy/locking.py).
    lock_requesters: tuple[str, ...] = ()
    slack_channel: str | None = None  # where its requests are announced (else the setting)


def join_names(names: Sequence[str], word: str = "or") -> str:
    """`a, b or c`: several groups or people as a sentence names them."""
    names = list(names)
    if len(names) <= 1:
        return "".join(names)
    return f"{', '.join(names[:-1])} {word} {names[-1]}"


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
    # group → its GitHub teams and Slack user groups (`github-team:acme/sre`), whose
    # members are looked up (bot/core/policy/groups.py); `groups` holds the people listed.
    external: dict[str, tuple[str, ...]] = field(default_factory=dict)
    # `registry: {stages: false}`: the registry has no stages, every target is an alias and
    # promobot never moves a stage (docs/contract.md, "Stages and aliases").
    stages: bool = True
    _handles: dict[str, Person] = field(init=False, repr=False, compare=False)

    def __post_init__(self) -> None:
        handles: dict[str, Person] = {}
        for person in self.people.values():
            for handle in (
                f"github:{person.github}" if person.github else None,
                f"slack:{person.slack}" if person.slack else None,
                f"cli:{person.cli or person.key}",
                f"mlflow:{person.mlflow}" if person.mlflow else None,
                person.email,
            ):
                if handle:
                    handles.setdefault(_norm_actor(handle), person)
        object.__setattr__(self, "_handles", handles)

    def person_for(self, actor: str) -> Person | None:
        """The person an actor (`github:bob`, `slack:U01BOB`, `cli:bob`, e-mail) is."""
        return self._handles.get(_norm_actor(actor.strip()))

    def display(self, actor: str) -> str:
        """How tags and messages name whoever acts (docs/contract.md, "Identities"): by the
        e-mail the policy gives the person, else by the handle they acted with
        (`github:dave`)."""
        person = self.person_for(actor)
        return person.email if person and person.email else actor

    def same_person(self, a: str, b: str) -> bool:
        if _norm_actor(a.strip()) == _norm_actor(b.strip()):
            return True
        person_a, person_b = self.person_for(a), self.person_for(b)
        return person_a is not None and person_b is not None and person_a.key == person_b.key

    def members(self, names: Iterable[str], membership: Membership | None = None) -> set[str]:
        """The people the names stand for, by key; with `membership`, also the members
        of the groups' teams and user groups as found, each matched to a person by handle
        or else standing as their own handle (`github:zed`)."""
        found: set[str] = set()
        for name in names:
            if name in self.groups:
                found.update(self.groups[name])
                for source in self.external.get(name, ()) if membership else ():
                    found.update(self.key_for(handle) for handle in membership.handles(source))
            elif name in self.people:
                found.add(name)
        return found

    def sources_for(self, names: Iterable[str]) -> tuple[str, ...]:
        """The teams and user groups the named groups hold, in the order written."""
        return tuple(
            dict.fromkeys(source for name in names for source in self.external.get(name, ()))
        )

    def patterns(self) -> tuple[str, ...]:
        """The names (fnmatch patterns) of the models the policy governs."""
        return tuple(rules.pattern for rules in self.models)

    def rules_for(self, model: str) -> ModelRules | None:
        return next((rules for rules in self.models if fnmatchcase(model, rules.pattern)), None)

    def name_for(self, actor: str) -> str:
        """How a check names someone: the person's key ("bob"), else the handle."""
        person = self.person_for(actor)
        return person.key if person else actor

    def key_for(self, actor: str) -> str:
        """One key per person whatever handle they use; an unknown actor is their handle."""
        person = self.person_for(actor)
        return person.key if person else _norm_actor(actor.strip())
