"""promobot's state, laid out in MLflow tags, and the pure functions that read it.

    keys.py     every tag key, prefix and lock name
    codec.py    the JSON and time formats of tag values
    records.py  requests, approvals, outcomes; the history events on a model
    history_event.py  the history event: one type, written and read (old layouts too)
    history.py  the history walk (rollback) and unfinished executions
    drift.py    a finding of drift, and its sentence
    audit.py    what an execution writes: version tags, description line, outcomes
    locks.py    the locks people put on targets (`lock`, `unlock`)
    deployments.py  the GitHub deployment recorded on a version, and what it is built from
    trail.py    the audit trail of a model, record by record (`promobot audit export`)

An execution is under way (or was cut short) while its event has no outcome tag: the
outcome is the execution's last write. Two writes frame every execution, both of them
facts the history needs anyway, so the intent costs no extra MLflow call.
"""

from bot.core.state.codec import dumps, format_time, loads, maybe_time, parse_time
from bot.core.state.deployments import (
    RECORD_FAILED,
    RECORD_INACTIVE,
    RECORD_SUCCESS,
    DeploymentRecord,
    deployment_record,
    environment_name,
    execution_of,
    git_source,
    latest_executions,
    new_record,
)
from bot.core.state.execution_tags import (
    MOVED_OUT_TAGS,
    REASON_MAX,
    audit_tags,
    description_line,
    done_outcome,
    outcome_record,
    stale_tags,
)
from bot.core.state.history import inflight, rollback_candidate
from bot.core.state.history_event import HistoryEvent
from bot.core.state.keys import (
    DEPLOYMENT_TAG_PREFIX,
    DRIFT_PREFIX,
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
    TARGET_LOCK_PREFIX,
    WEBHOOK_PREFIX,
    approval_key,
    delivery_key,
    deployment_tag,
    drift_key,
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
    sequence,
    state_key,
    verification_key,
)
from bot.core.state.records import (
    FINAL_STATES,
    Approval,
    Outcome,
    Request,
    all_events,
    approvals,
    deliveries_before,
    events,
    has_request,
    message_ref,
    open_requests,
    outcome,
    request,
    requests,
)
from bot.core.state.target_locks import TargetLock, locks_in_force, target_lock_record, target_locks

__all__ = [
    "DEPLOYMENT_TAG_PREFIX",
    "DRIFT_PREFIX",
    "EVENT_PREFIX",
    "FINAL_STATES",
    "LEGACY_EVENT_PREFIX",
    "LEGACY_REQUEST_PREFIX",
    "LEGACY_SLACK_POSTED_TAG",
    "LOCK_MODEL_PREFIX",
    "MOVED_OUT_TAGS",
    "REASON_MAX",
    "RECORD_FAILED",
    "RECORD_INACTIVE",
    "RECORD_SUCCESS",
    "REQUEST_ID",
    "REQUEST_PREFIX",
    "SLACK_POSTED_TAG",
    "SLACK_POSTED_TAGS",
    "TAG_VALUE_MAX",
    "TARGET_LOCK_PREFIX",
    "WEBHOOK_PREFIX",
    "Approval",
    "DeploymentRecord",
    "HistoryEvent",
    "Outcome",
    "Request",
    "TargetLock",
    "all_events",
    "approval_key",
    "approvals",
    "audit_tags",
    "deliveries_before",
    "delivery_key",
    "deployment_record",
    "deployment_tag",
    "description_line",
    "done_outcome",
    "drift_key",
    "dumps",
    "environment_name",
    "event_key",
    "event_keys",
    "events",
    "execution_of",
    "format_time",
    "git_source",
    "has_request",
    "inflight",
    "latest_executions",
    "loads",
    "lock_bucket",
    "lock_model_name",
    "locks_in_force",
    "maybe_time",
    "message_key",
    "message_ref",
    "message_request",
    "new_record",
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
    "sequence",
    "stale_tags",
    "state_key",
    "target_lock_record",
    "target_locks",
    "verification_key",
]
