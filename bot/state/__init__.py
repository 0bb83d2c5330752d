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
    REASON_MAX,
    audit_tags,
    description_line,
    done_outcome,
    outcome_record,
)
from bot.state.codec import dumps, format_time, loads, maybe_time, parse_time
from bot.state.history import inflight, rollback_candidate
from bot.state.keys import (
    DRIFT_PREFIX,
    EVENT_PREFIX,
    LOCK_MODEL_PREFIX,
    REQUEST_ID,
    REQUEST_PREFIX,
    SLACK_POSTED_TAG,
    TAG_VALUE_MAX,
    approval_key,
    drift_key,
    event_key,
    lock_bucket,
    lock_model_name,
    message_key,
    message_request,
    request_bucket,
    request_key,
    safe_tag_part,
    state_key,
    verification_key,
)
from bot.state.records import (
    FINAL_STATES,
    Approval,
    Event,
    Outcome,
    Request,
    approvals,
    events,
    open_requests,
    outcome,
    request,
    requests,
)

__all__ = [
    "DRIFT_PREFIX",
    "EVENT_PREFIX",
    "FINAL_STATES",
    "LOCK_MODEL_PREFIX",
    "REASON_MAX",
    "REQUEST_ID",
    "REQUEST_PREFIX",
    "SLACK_POSTED_TAG",
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
    "drift_key",
    "dumps",
    "event_key",
    "events",
    "format_time",
    "inflight",
    "loads",
    "lock_bucket",
    "lock_model_name",
    "maybe_time",
    "message_key",
    "message_request",
    "open_requests",
    "outcome",
    "outcome_record",
    "parse_time",
    "request",
    "request_bucket",
    "request_key",
    "requests",
    "rollback_candidate",
    "safe_tag_part",
    "state_key",
    "verification_key",
]
