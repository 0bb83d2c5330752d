"""promobot's state, laid out in MLflow tags, and the pure functions that read it.

    keys.py     every tag key, prefix and lock name
    codec.py    the JSON and time formats of tag values
    records.py  requests, approvals, outcomes, history events
    history.py  the history walk (rollback) and unfinished executions
    audit.py    what an execution writes: version tags, description line, outcomes

An execution is under way (or was cut short) while its event has no outcome tag: the
outcome is the execution's last write. Two writes frame every execution, both of them
facts the history needs anyway, so the intent costs no extra MLflow call.
"""

from bot.state.audit import (
    MOVED_OUT_TAGS,
    REASON_MAX,
    audit_tags,
    description_line,
    done_outcome,
    outcome_record,
    stale_tags,
)
from bot.state.codec import dumps, format_time, loads, maybe_time, parse_time
from bot.state.history import inflight, rollback_candidate
from bot.state.keys import (
    EVENT_PREFIX,
    LEGACY_EVENT_PREFIX,
    LEGACY_REQUEST_PREFIX,
    LEGACY_SLACK_POSTED_TAG,
    LOCK_MODEL_PREFIX,
    REQUEST_ID,
    REQUEST_PREFIX,
    SLACK_POSTED_TAG,
    SLACK_POSTED_TAGS,
    TAG_VALUE_MAX,
    approval_key,
    event_key,
    event_keys,
    lock_bucket,
    lock_model_name,
    message_key,
    message_request,
    request_bucket,
    request_key,
    request_keys,
    safe_tag_part,
    state_key,
)
from bot.state.records import (
    FINAL_STATES,
    Approval,
    Event,
    Outcome,
    Request,
    approvals,
    events,
    has_request,
    message_ref,
    open_requests,
    outcome,
    request,
    requests,
)

__all__ = [
    "EVENT_PREFIX",
    "FINAL_STATES",
    "LEGACY_EVENT_PREFIX",
    "LEGACY_REQUEST_PREFIX",
    "LEGACY_SLACK_POSTED_TAG",
    "LOCK_MODEL_PREFIX",
    "MOVED_OUT_TAGS",
    "REASON_MAX",
    "REQUEST_ID",
    "REQUEST_PREFIX",
    "SLACK_POSTED_TAG",
    "SLACK_POSTED_TAGS",
    "TAG_VALUE_MAX",
    "Approval",
    "Event",
    "Outcome",
    "Request",
    "approval_key",
    "approvals",
    "audit_tags",
    "description_line",
    "done_outcome",
    "dumps",
    "event_key",
    "event_keys",
    "events",
    "format_time",
    "has_request",
    "inflight",
    "loads",
    "lock_bucket",
    "lock_model_name",
    "maybe_time",
    "message_key",
    "message_ref",
    "message_request",
    "open_requests",
    "outcome",
    "outcome_record",
    "parse_time",
    "request",
    "request_bucket",
    "request_key",
    "request_keys",
    "requests",
    "rollback_candidate",
    "safe_tag_part",
    "stale_tags",
    "state_key",
]
