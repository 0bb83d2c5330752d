"""Every name promobot gives its state in MLflow: tag keys, prefixes and lock names.

One tag per fact, written once, so concurrent writers never overwrite one another:

    promobot.request.<id>                      the request, as asked (JSON, never rewritten)
    promobot.request.<id>.approval.<person>    one per approving person
    promobot.request.<id>.state                its outcome: done, denied, expired, refused,
                                               failed (JSON with who, when, why)
    promobot.request.<id>.<door>               where a door showed the request (`.slack`)
    promobot.event.<ms>.<ns>.<id>              one per promotion or rollback (history); it
                                               is also the execution's intent
    promobot.slack.posted                      "this model has requests shown in Slack"
    promobot.drift.<target>                    the drift last reported on a target
    promobot.verification.<id>                 how far the verification an execution
                                               started got (bot/state/watch.py)

Locks are registered models of their own, `promobot-lock.<4 hex>`, carrying
`promobot.lock.*` tags (bot/registry_lock.py).
"""

from __future__ import annotations

import hashlib
import re
import time
from datetime import datetime

REQUEST_PREFIX = "promobot.request."
# The shape of a request id (`req-` + 10 hex digits today; 6 to 32 are read), checked
# before an id goes into a key that goes into a search.
REQUEST_ID = re.compile(r"req-[0-9a-f]{6,32}")
EVENT_PREFIX = "promobot.event."
SLACK_POSTED_TAG = "promobot.slack.posted"
# What drift the audit last reported on a target (so each finding is reported once).
DRIFT_PREFIX = "promobot.drift."
VERIFICATION_PREFIX = "promobot.verification."

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


def lock_bucket(model: str, target_key: str) -> str:
    """The 4 hex digits naming the lock of (model, target)."""
    digest = hashlib.sha1(f"{model}\0{target_key}".encode("utf-8", "surrogatepass"))
    return digest.hexdigest()[:LOCK_BUCKET_HEX]


def lock_model_name(bucket: str) -> str:
    return LOCK_MODEL_PREFIX + bucket


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


def approval_prefix(request_id: str) -> str:
    return f"{REQUEST_PREFIX}{request_id}.approval."


def approval_key(request_id: str, person: str) -> str:
    return f"{approval_prefix(request_id)}{safe_tag_part(person)}"


def state_key(request_id: str) -> str:
    return f"{REQUEST_PREFIX}{request_id}.state"


def message_key(request_id: str, door: str) -> str:
    """Where a door keeps the message it posted about a request (`….slack`)."""
    return f"{REQUEST_PREFIX}{request_id}.{door}"


def message_request(key: str, door: str) -> str | None:
    """The request id of a door's message key, or None when `key` is not one."""
    suffix = f".{door}"
    if not (key.startswith(REQUEST_PREFIX) and key.endswith(suffix)):
        return None
    rid = key[len(REQUEST_PREFIX) : -len(suffix)]
    return rid if rid and "." not in rid else None


def drift_key(target_key: str) -> str:
    return f"{DRIFT_PREFIX}{safe_tag_part(target_key)}"


def event_key(at: datetime, request_id: str) -> str:
    # The host's nanosecond clock breaks ties between events in the same millisecond,
    # so keys sort in the order the events happened on one host.
    return f"{EVENT_PREFIX}{int(at.timestamp() * 1000):013d}.{time.time_ns():020d}.{request_id}"


def verification_key(request_id: str) -> str:
    """What the runs of the verification an execution started found."""
    return f"{VERIFICATION_PREFIX}{safe_tag_part(request_id)}"
