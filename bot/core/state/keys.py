"""Every name promobot gives its state in MLflow: tag keys, prefixes and lock names.

One tag per fact, written once, so concurrent writers never overwrite one another:

    mlflow.promobot.request.<id>                    the request, as asked (JSON, never
                                                    rewritten)
    mlflow.promobot.request.<id>.approval.<person>  one per approving person
    mlflow.promobot.request.<id>.state              its outcome: done, denied, expired,
                                                    refused, failed (JSON: who, when, why)
    mlflow.promobot.request.<id>.<door>             where a door showed the request (`.slack`)
    mlflow.promobot.event.<ms>.<ns>.<id>            one per promotion or rollback (history);
                                                    it is also the execution's intent
    mlflow.promobot.slack.posted                    "this model has requests shown in Slack"
    mlflow.promobot.drift.<target>                  the drift last reported on a target
    mlflow.promobot.finding.<ms>.<ns>.<target>      one per drift found on a target: the
                                                    trail's record of it, never removed
    mlflow.promobot.target-lock.<ms>.<ns>.<target>  one per `lock` or `unlock` of a target:
                                                    the newest says whether it is locked
    mlflow.promobot.webhook.<delivery id>           an MLflow webhook delivery handled (its
                                                    time), so a replayed one is ignored
    mlflow.promobot.verification.<request id>       how far the verification an execution
                                                    started got (bot/core/state/watch.py)

On a model version (an interface people read, docs/contract.md):

    github_deployment.<target>                 the GitHub deployment recorded for the
                                               version's promotion to that target (JSON)

The MLflow UI leaves registered-model tags beginning `mlflow.` out of a model's Tags
table, so the people's own tags are what that table shows (docs/contract.md, "promobot's
own state"). Registries written before this layout hold the request, event and Slack tags
under `promobot.` instead of `mlflow.promobot.`: every reader here accepts both (LEGACY_*
and the `*_keys` functions), every writer writes only the new keys.

Finished requests and older records move to the model's ledger (bot/core/state/compaction.py):
a registered model of its own, `promobot-ledger.<8 hex of the model name's hash>`, whose
versions are the pages, each holding archived records under their original keys. On the
model, one mark says a ledger exists and how far it reaches:

    mlflow.promobot.ledger.<ms>                     every record newer than <ms> is on the
                                                    model; older ones may be in the ledger

Execution locks are registered models of their own, `promobot-lock.<4 hex>`, carrying
`promobot.lock.*` tags (bot/adapters/mlflow/mutex.py). They keep their names: replicas of two
releases running side by side during an upgrade still exclude one another. They are not
the locks people put on a target with `lock` (`mlflow.promobot.target-lock.…` tags).
"""

from __future__ import annotations

import hashlib
import re
import time
from datetime import datetime
from functools import lru_cache

STATE_PREFIX = "mlflow.promobot."
REQUEST_PREFIX = f"{STATE_PREFIX}request."
# The shape of a request id (`req-` + 10 hex digits today; 6 to 32 are read), checked
# before an id goes into a key that goes into a search.
REQUEST_ID = re.compile(r"req-[0-9a-f]{6,32}")
EVENT_PREFIX = f"{STATE_PREFIX}event."
SLACK_POSTED_TAG = f"{STATE_PREFIX}slack.posted"

# The layout before `mlflow.promobot.`: read, never written.
LEGACY_STATE_PREFIX = "promobot."
LEGACY_REQUEST_PREFIX = f"{LEGACY_STATE_PREFIX}request."
LEGACY_EVENT_PREFIX = f"{LEGACY_STATE_PREFIX}event."
LEGACY_SLACK_POSTED_TAG = f"{LEGACY_STATE_PREFIX}slack.posted"
REQUEST_PREFIXES = (REQUEST_PREFIX, LEGACY_REQUEST_PREFIX)
SLACK_POSTED_TAGS = (SLACK_POSTED_TAG, LEGACY_SLACK_POSTED_TAG)
TARGET_LOCK_PREFIX = f"{STATE_PREFIX}target-lock."
# What drift the audit last reported on a target (so each finding is reported once).
DRIFT_PREFIX = f"{STATE_PREFIX}drift."
# One per drift found on a target, kept for the trail after it is put right.
FINDING_PREFIX = f"{STATE_PREFIX}finding."
# The model-version tag that records a promotion's GitHub deployment, one per target:
# `github_deployment.Production` (a stage, as labelled), `github_deployment.champion` (an
# alias, without the `@` a tag key may not hold). Stage labels are capitalised and aliases
# lower case, so the two never meet.
DEPLOYMENT_TAG_PREFIX = "github_deployment."
# The MLflow webhook deliveries handled on a model (so that a replayed one is ignored).
WEBHOOK_PREFIX = f"{STATE_PREFIX}webhook."
# One per verification after a promotion: its progress and outcome.
VERIFICATION_PREFIX = f"{STATE_PREFIX}verification."

# The archive of a model's finished records (bot/core/state/compaction.py): a registered
# model named by 8 hex digits of the model name's hash, carrying a tag naming its model
# (a collision, 1 in 4 billion, is caught there: its pages name their model too).
LEDGER_MODEL_PREFIX = "promobot-ledger."
LEDGER_MODEL_TAG = "promobot.ledger.model"
LEDGER_HEX = 8
# On the model: "records older than <ms> may be in the ledger" (the newest mark wins).
LEDGER_MARK_PREFIX = f"{STATE_PREFIX}ledger."
# promobot's own models: execution locks and ledgers; never governed, never scanned.
OWN_MODEL_PREFIXES = ("promobot-lock.", LEDGER_MODEL_PREFIX)

LOCK_MODEL_PREFIX = "promobot-lock."
LOCK_OWNER_TAG = "promobot.lock.owner"
LOCK_EXPIRES_TAG = "promobot.lock.expires"
LOCK_MODEL_TAG = "promobot.lock.model"
LOCK_TARGET_TAG = "promobot.lock.target"
LOCK_BROKEN_TAG = "promobot.lock.broken"
# A target's lock is named by 4 hex digits of a hash of (model, target), and request ids
# begin with the same 4 digits, so `approve <id>` can take the right lock before its first
# read. Two targets whose digits collide (1 in 65,536) share a lock: their executions take
# turns, nothing more.
LOCK_BUCKET_HEX = 4

# MLflow's limits (docs/contract.md): key ≤ 250 chars of [A-Za-z0-9_\-. /]; value ≤ 100,000.
TAG_VALUE_MAX = 100_000
_TAG_KEY_UNSAFE = re.compile(r"[^A-Za-z0-9_\-. /]")


def mutex_bucket(model: str, target_key: str) -> str:
    """The 4 hex digits naming the lock of (model, target)."""
    digest = hashlib.sha1(f"{model}\0{target_key}".encode("utf-8", "surrogatepass"))
    return digest.hexdigest()[:LOCK_BUCKET_HEX]


def lock_model_name(bucket: str) -> str:
    return LOCK_MODEL_PREFIX + bucket


def ledger_model_name(model: str) -> str:
    digest = hashlib.sha1(model.encode("utf-8", "surrogatepass")).hexdigest()
    return LEDGER_MODEL_PREFIX + digest[:LEDGER_HEX]


def compaction_bucket(model: str) -> str:
    """The lock one model's compaction runs take turns on, `promobot-lock.ledger.<8 hex>`
    (the hex of its ledger's name): apart from every target's lock."""
    return "ledger." + ledger_model_name(model).removeprefix(LEDGER_MODEL_PREFIX)


def ledger_mark_key(ms: int) -> str:
    return f"{LEDGER_MARK_PREFIX}{ms:013d}"


# A compaction under way: set before its first ledger page, deleted with the records it
# moved. Left behind, it tells the next run to look for the pages that run wrote.
LEDGER_COPYING_PREFIX = f"{LEDGER_MARK_PREFIX}copying."


def ledger_copying_key(run: str) -> str:
    return f"{LEDGER_COPYING_PREFIX}{run}"


def ledger_mark(tags: dict[str, str]) -> int | None:
    """How far the model's ledger reaches (ms: every record newer is on the model), or
    None when the model has no ledger (never compacted: the model holds everything)."""
    marks = [k.removeprefix(LEDGER_MARK_PREFIX) for k in tags if k.startswith(LEDGER_MARK_PREFIX)]
    found = [int(m) for m in marks if m.isdigit()]
    return max(found) if found else None


def request_bucket(request_id: str) -> str | None:
    """The lock a request id names (`req-` + 4 hex digits of its target's lock + 6 random),
    or None for an id of another shape (typed by hand)."""
    digits = request_id.removeprefix("req-")
    return digits[:LOCK_BUCKET_HEX] if len(digits) == 10 else None


def safe_tag_part(text: str) -> str:
    """Make `text` usable inside a tag key, keeping it recognisable and unique."""
    cleaned = _TAG_KEY_UNSAFE.sub("_", text)
    if cleaned == text and len(text) <= 80:
        return text
    digest = hashlib.sha1(text.encode("utf-8", "surrogatepass")).hexdigest()[:10]
    return f"{cleaned[:60]}_{digest}"


def request_key(request_id: str) -> str:
    return f"{REQUEST_PREFIX}{request_id}"


# The readers ask for a request's keys, its state's keys and an event's order again for
# every target a page or a pass looks at (the release board's overview: tens of thousands
# of times); each is a pure function of one string, so each is worked out once.
_MEMO = 8192


@lru_cache(maxsize=_MEMO)
def request_keys(request_id: str) -> tuple[str, ...]:
    """Where a request may be stored: its key now, then its key in the legacy layout."""
    return tuple(f"{prefix}{request_id}" for prefix in REQUEST_PREFIXES)


def approval_prefix(request_id: str) -> str:
    return f"{REQUEST_PREFIX}{request_id}.approval."


def approval_prefixes(request_id: str) -> tuple[str, ...]:
    return tuple(f"{key}.approval." for key in request_keys(request_id))


def approval_key(request_id: str, person: str) -> str:
    return f"{approval_prefix(request_id)}{safe_tag_part(person)}"


def state_key(request_id: str) -> str:
    return f"{REQUEST_PREFIX}{request_id}.state"


@lru_cache(maxsize=_MEMO)
def state_keys(request_id: str) -> tuple[str, ...]:
    return tuple(f"{key}.state" for key in request_keys(request_id))


def message_key(request_id: str, door: str) -> str:
    """Where a door keeps the message it posted about a request (`….slack`)."""
    return f"{REQUEST_PREFIX}{request_id}.{door}"


def message_keys(request_id: str, door: str) -> tuple[str, ...]:
    return tuple(f"{key}.{door}" for key in request_keys(request_id))


def message_request(key: str, door: str) -> str | None:
    """The request id of a door's message key (either layout), or None when `key` is not
    one."""
    suffix = f".{door}"
    for prefix in REQUEST_PREFIXES:
        if key.startswith(prefix) and key.endswith(suffix):
            rid = key[len(prefix) : -len(suffix)]
            return rid if rid and "." not in rid else None
    return None


def request_id_of(key: str) -> str | None:
    """The request id of a request's own key (`…request.<id>`, either layout), else None."""
    for prefix in REQUEST_PREFIXES:
        if key.startswith(prefix):
            rest = key[len(prefix) :]
            return rest if rest and "." not in rest else None
    return None


def event_keys(tags: dict[str, str]) -> list[str]:
    """The history events' keys in either layout, oldest first: ordered by what follows
    the prefix (milliseconds, then the host's nanoseconds), so events written before and
    after the change of layout interleave in the order they happened."""

    found = [k for k in tags if k.startswith((EVENT_PREFIX, LEGACY_EVENT_PREFIX))]
    return sorted(found, key=_event_order)


@lru_cache(maxsize=_MEMO)
def _event_order(key: str) -> tuple[str, str]:
    return key.removeprefix(EVENT_PREFIX).removeprefix(LEGACY_EVENT_PREFIX), key


def drift_key(target_key: str) -> str:
    return f"{DRIFT_PREFIX}{safe_tag_part(target_key)}"


def delivery_key(delivery_id: str) -> str:
    return f"{WEBHOOK_PREFIX}{safe_tag_part(delivery_id)}"


def event_key(at: datetime, request_id: str) -> str:
    # The host's nanosecond clock breaks ties between events in the same millisecond,
    # so keys sort in the order the events happened on one host.
    return f"{EVENT_PREFIX}{int(at.timestamp() * 1000):013d}.{time.time_ns():020d}.{request_id}"


def target_lock_key(at: datetime, target_key: str) -> str:
    """The key of one `lock` or `unlock` of a target; keys sort in the order they happened,
    as event keys do. `@` may not stand in a tag key: `@champion` is written `alias-champion`
    (no stage is called that)."""
    part = target_key.replace("@", "alias-", 1)
    return f"{TARGET_LOCK_PREFIX}{int(at.timestamp() * 1000):013d}.{time.time_ns():020d}.{part}"


def finding_key(at: datetime, target_key: str) -> str:
    """The key of one drift found on a target (`@champion` written `alias-champion`, as in
    a target-lock key); keys sort in the order they were written."""
    part = safe_tag_part(target_key.replace("@", "alias-", 1))
    return f"{FINDING_PREFIX}{int(at.timestamp() * 1000):013d}.{time.time_ns():020d}.{part}"


def sequence(key: str) -> tuple[int, int]:
    """(ms, ns) of an event, target-lock or finding key (either layout): the order in
    which it was written."""
    for prefix in (EVENT_PREFIX, LEGACY_EVENT_PREFIX, TARGET_LOCK_PREFIX, FINDING_PREFIX):
        if key.startswith(prefix):
            parts = key[len(prefix) :].split(".")
            try:
                return int(parts[0]), int(parts[1])
            except (IndexError, ValueError):
                return 0, 0
    return 0, 0


def deployment_tag(target_label: str) -> str:
    """The model-version tag holding the GitHub deployment of a promotion to the target
    labelled `target_label` (`Production`, `@champion`)."""
    return DEPLOYMENT_TAG_PREFIX + target_label.lstrip("@")


def verification_key(request_id: str) -> str:
    """What the runs of the verification an execution started found."""
    return f"{VERIFICATION_PREFIX}{safe_tag_part(request_id)}"
