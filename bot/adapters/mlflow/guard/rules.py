"""What the guard refuses, and the sentence it refuses with. Pure: a change and the
policy's verdict on the names in it, in; a refusal (or nothing), out.

A change to a governed model (one a policy entry's `name` matches) is refused unless it
comes from promobot when it would move what promobot decides (a stage, an alias), remove
or rename what promobot keeps records on, or rewrite a record promobot keeps or trusts:
its state tags on the model, the audit tags and description it writes on a version,
and the provenance tags its checks and the pull-request lookup read. promobot's own
lock and ledger models are its state as a whole. Everything else (registering a version, people's
own tags, the model's own description) stays open. docs/security.md is the reasoning.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from dataclasses import dataclass
from fnmatch import fnmatchcase
from functools import lru_cache

from bot.core.service.registration import GIT_TAGS
from bot.core.state.execution_tags import MOVED_OUT_TAGS
from bot.core.state.keys import (
    DEPLOYMENT_TAG_PREFIX,
    LEDGER_MODEL_PREFIX,
    LEGACY_STATE_PREFIX,
    LOCK_MODEL_PREFIX,
    STATE_PREFIX,
)
from bot.core.state.signed import ARTIFACT_DIGEST_TAG

# The kinds of change the guard looks at, one per MLflow request.
TRANSITION = "transition-stage"
SET_ALIAS = "set-alias"
DELETE_ALIAS = "delete-alias"
DELETE_MODEL = "delete-model"
RENAME_MODEL = "rename-model"
UPDATE_MODEL = "update-model"
CREATE_MODEL = "create-model"
DELETE_VERSION = "delete-version"
UPDATE_VERSION = "update-version"
CREATE_VERSION = "create-version"
SET_MODEL_TAG = "set-model-tag"
DELETE_MODEL_TAG = "delete-model-tag"
SET_VERSION_TAG = "set-version-tag"
DELETE_VERSION_TAG = "delete-version-tag"
WEBHOOK = "webhook"

# promobot's state on a registered model, in both layouts (bot/core/state/keys.py).
STATE_PREFIXES = (STATE_PREFIX, LEGACY_STATE_PREFIX)
# The audit tags an execution writes on versions (docs/contract.md, "What is written onto
# MLflow"; bot/core/state/execution_tags.py and the verification's, bot/core/state/watch.py).
AUDIT_TAGS = frozenset(
    {
        "requested_by",
        "approved_by",
        "promoted_to",
        "promoted_at",
        "promotion_reason",
        "promotion_request",
        "promotion_channel",
        "promotion_link",
        "verification",
        "verified_at",
        "verification_failed_at",
        "verification_figures",
        *MOVED_OUT_TAGS,
    }
)
AUDIT_PREFIXES = (DEPLOYMENT_TAG_PREFIX,)
# What CI's registration writes and promobot's decisions trust: the checks gate reads
# git_repository and git_commit, the pull-request lookup git_commit, the cards the rest
# (bot/core/service/registration.py's GIT_TAGS), and the digest of the files CI registered,
# which a request checks. Written when a version is created, never changed afterwards.
PROVENANCE_TAGS = frozenset({*GIT_TAGS, ARTIFACT_DIGEST_TAG})


@dataclass(frozen=True)
class Change:
    """One request to change the registry, as the guard reads it."""

    kind: str
    model: str = ""
    version: str = ""
    key: str = ""  # the tag set or deleted
    tag_keys: tuple[str, ...] = ()  # the tags given at creation
    stage: str = ""
    alias: str = ""
    new_name: str = ""


# What the policy says of a name: "lock" (promobot's own lock model), "ledger" (a model's
# archived records), "governed", or "".
Verdict = Callable[[str], str]


def verdict_of(patterns: Iterable[str]) -> Verdict:
    """The verdict on a name, given the policy's entry names (exact names or globs). Names
    are also compared in lower case without surrounding spaces: a MySQL store's default
    collation finds `Sentiment-Classifier ` when asked for it, so that spelling is the
    same model there. Verdicts are remembered: the policy is read once."""
    exact = tuple(patterns)
    folded_patterns = tuple(pattern.lower() for pattern in exact)

    @lru_cache(maxsize=4096)
    def verdict(name: str) -> str:
        folded = name.strip().lower()
        if folded.startswith(LOCK_MODEL_PREFIX):
            return "lock"
        if folded.startswith(LEDGER_MODEL_PREFIX):
            return "ledger"
        if any(fnmatchcase(name, pattern) for pattern in exact) or any(
            fnmatchcase(folded, pattern) for pattern in folded_patterns
        ):
            return "governed"
        return ""

    return verdict


def refusal(change: Change, verdict: Verdict, *, stages: bool = True) -> str:
    """Why a change must come from promobot, as the message MLflow's client shows; "" when
    anyone with MLflow's permission may make it. Webhooks are judged by the caller (MLflow
    admins only). `stages`: the policy's `registry.stages` (without stages, the command
    shown names an alias, `@production`, never a stage)."""
    if change.kind == WEBHOOK:
        return (
            "managing MLflow webhooks is for MLflow admins (promobot webhooks install, "
            "run with an admin's credentials)"
        )
    names = [change.model, change.new_name] if change.kind == RENAME_MODEL else [change.model]
    verdicts = [(name, verdict(name)) for name in names if name]
    for name, found in verdicts:
        if found == "lock":
            return (
                f"{name} is one of promobot's execution locks, part of the state promobot "
                "keeps: only promobot's service accounts may create, change or delete it"
            )
        if found == "ledger":
            return (
                f"{name} is one of promobot's ledgers, the archive of the records it "
                "keeps: only promobot's service accounts may create, change or delete it"
            )
    governed = [name for name, found in verdicts if found == "governed"]
    if not governed:
        return ""
    reason = _governed_refusal(change, governed[0], stages)
    if not reason:
        return ""
    return f"{governed[0]} is governed by promobot, so {reason}"


def _governed_refusal(change: Change, name: str, stages: bool) -> str:
    kind = change.kind
    if kind in (SET_MODEL_TAG, DELETE_MODEL_TAG):
        return _state_tag(change.key, name) if is_state_key(change.key) else ""
    if kind in (SET_VERSION_TAG, DELETE_VERSION_TAG):
        return _version_tag(change, name)
    if kind in (CREATE_MODEL, CREATE_VERSION):
        return _created_with(change, name)
    if kind == UPDATE_MODEL:
        return ""  # the model's own description belongs to its owners (docs/contract.md)
    if kind == TRANSITION:
        return _transition(change, name, stages)
    if kind == SET_ALIAS:
        return _set_alias(change, name, stages)
    words = _MOVES.get(kind)
    return words(change, name) if words else ""


def is_state_key(key: str) -> bool:
    return _fold(key).startswith(STATE_PREFIXES)


def is_audit_key(key: str) -> bool:
    folded = _fold(key)
    return folded in AUDIT_TAGS or folded.startswith(AUDIT_PREFIXES)


def is_provenance_key(key: str) -> bool:
    return _fold(key) in PROVENANCE_TAGS


def _fold(key: str) -> str:
    # MySQL's default collation compares keys ignoring case and trailing spaces, so
    # `GIT_COMMIT ` would overwrite `git_commit` there.
    return key.strip().lower()


def _state_tag(key: str, name: str) -> str:
    return (
        f"the tag {key} is promobot's own state (requests, approvals, history, locks), "
        f"written only by promobot. Use promobot's commands (status {name} shows it; "
        "approve, deny, lock, unlock change it)"
    )


def _version_tag(change: Change, name: str) -> str:
    key, version = change.key, change.version
    if is_state_key(key):
        return _state_tag(key, name)
    if is_audit_key(key):
        return (
            f"the tag {key} of v{version} is part of promobot's audit trail, written only "
            f"when promobot promotes or rolls back (history {name} shows it)"
        )
    if is_provenance_key(key):
        return (
            f"the tag {key} of v{version} records where the version came from, and "
            "promobot's checks trust it: it is written when the version is registered "
            "and never changed. Register a new version from the right commit instead "
            "(promobot register)"
        )
    return ""


def _created_with(change: Change, name: str) -> str:
    keys = _keys_in(change.tag_keys, is_state_key)
    if change.kind == CREATE_VERSION:
        keys += _keys_in(change.tag_keys, is_audit_key)
    if not keys:
        return ""
    what = "a version" if change.kind == CREATE_VERSION else "the model"
    return (
        f"{what} may not be created with promobot's own tags ({', '.join(keys)}): "
        "promobot writes those itself. Register it without them (promobot register)"
    )


def _keys_in(keys: Iterable[str], test: Callable[[str], bool]) -> list[str]:
    return sorted({key for key in keys if test(key)})


def _transition(change: Change, name: str, stages: bool) -> str:
    stage = change.stage.strip().lower()
    version = change.version or "<version>"
    if not stages:
        # The policy says the registry has no stages: promobot moves aliases only.
        target = stage if stage in ("staging", "production") else "<alias>"
        return (
            "promobot keeps no stages here (the policy's registry.stages is false): "
            f"releases are aliases. Use: promote {name} {version} @{target} <reason>{_WHERE}"
        )
    if stage in ("staging", "production", "archived"):
        command = f"promote {name} {version} {stage} <reason>"
    else:
        command = f"promote {name} {version} archived <reason> (to take it out of its stage)"
    return f"its stages move only through promobot. Use: {command}{_WHERE}"


def _set_alias(change: Change, name: str, stages: bool) -> str:
    alias = change.alias.strip().lower()
    version = change.version or "<version>"
    # With stages, `promote … production` moves the stage and its mirrored alias at once.
    mirrored = stages and alias in ("staging", "production", "archived")
    target = alias if mirrored else f"@{alias}"
    return (
        f"its aliases move only through promobot. Use: promote {name} {version} "
        f"{target} <reason>{_WHERE}"
    )


def _delete_alias(change: Change, name: str) -> str:
    alias = change.alias.strip().lower()
    return (
        f"its aliases move only through promobot. Use: rollback {name} @{alias} <reason> "
        f"(or promote another version onto @{alias}){_WHERE}"
    )


def _remove(change: Change, name: str) -> str:
    what = {
        DELETE_MODEL: "deleted",
        RENAME_MODEL: "renamed",
        DELETE_VERSION: f"deleted (v{change.version})" if change.version else "deleted",
    }[change.kind]
    subject = "its versions are not" if change.kind == DELETE_VERSION else "it is not"
    return (
        f"{subject} {what} while promobot keeps its records. Retire a version with "
        f"promote {name} <version> archived <reason>; to delete or rename the model, take "
        "it out of the policy (PROMOBOT_POLICY on the MLflow host) and restart the server"
    )


def _description(change: Change, name: str) -> str:
    return (
        f"the description of v{change.version} is promobot's record of each promotion "
        "and rollback, appended only by promobot. Keep notes in a tag of your own "
        f"(MlflowClient().set_model_version_tag({name!r}, {change.version!r}, 'notes', …))"
    )


_WHERE = " (in Slack, in a pull-request comment, or with the promobot CLI)"

_MOVES: dict[str, Callable[[Change, str], str]] = {
    DELETE_ALIAS: _delete_alias,
    DELETE_MODEL: _remove,
    RENAME_MODEL: _remove,
    DELETE_VERSION: _remove,
    UPDATE_VERSION: _description,
}
