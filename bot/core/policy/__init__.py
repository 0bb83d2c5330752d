"""Policy: YAML files → typed rules → decisions (docs/contract.md, "Policy files").

yaml_safe     read a file's YAML within limits, and the line of every field
values        the typed values text stands for: durations, times, metric gates
schema        the strict raw schema (pydantic), and its JSON Schema
problems      friendly `file:line: field: ...` sentences, PolicyError
remainder     the valid part of a file that failed the schema
cross_checks  checks across files, on the typed models
registry_checks  `registry: {stages: …}`: the files agreeing, the targets it allows
files         read every file a path names; all problems in one report
rules         normalized rules (Person, TargetRule, Policy)
loading       load_policy: the checked files → the rules
decisions     decide, approval_check, counted_approvers
locking       who may lock and unlock a target (`lock`, `unlock`)
decisions     decide, approval_check, counted_approvers, quorum_counts
commit_checks the checks gate: GitHub's checks on a version's commit, judged
explanations  explain: the rules as sentences
groups        GitHub teams and Slack user groups in groups: their syntax, Membership
quorum        one count per group: which approval counts toward which group
"""

from bot.core.policy.commit_checks import ChecksSnapshot, CommitCheck
from bot.core.policy.decisions import (
    Check,
    Decision,
    RequestFacts,
    approval_check,
    counted_approvers,
    decide,
    quorum_counts,
    unnamed_target,
)
from bot.core.policy.explanations import explain, lookups, model_sources
from bot.core.policy.groups import NO_LOOKUPS, Membership
from bot.core.policy.loading import check, load_policy
from bot.core.policy.locking import lock_refusal, lockers
from bot.core.policy.problems import PolicyError
from bot.core.policy.quorum import QuorumCount
from bot.core.policy.rules import (
    FreezeWindow,
    MetricGate,
    ModelRules,
    Person,
    Policy,
    TargetRule,
    target_label,
)
from bot.core.policy.schema import write_json_schema
from bot.core.policy.values import RequiredChecks

__all__ = [
    "NO_LOOKUPS",
    "Check",
    "ChecksSnapshot",
    "CommitCheck",
    "Decision",
    "FreezeWindow",
    "Membership",
    "MetricGate",
    "ModelRules",
    "Person",
    "Policy",
    "PolicyError",
    "QuorumCount",
    "RequestFacts",
    "RequiredChecks",
    "TargetRule",
    "approval_check",
    "check",
    "counted_approvers",
    "decide",
    "explain",
    "load_policy",
    "lock_refusal",
    "lockers",
    "lookups",
    "model_sources",
    "quorum_counts",
    "target_label",
    "unnamed_target",
    "write_json_schema",
]
