"""promobot's state, laid out in MLflow tags, and the pure functions that read it.

    keys.py     every tag key, prefix and lock name
    codec.py    the JSON and time formats of tag values
    records.py  requests, approvals, outcomes, history events
    history.py  the history walk (rollback) and unfinished executions
    audit.py    what an execution writes: version tags, description line, outcomes
    locks.py    the locks people put on targets (`lock`, `unlock`)
    deployments.py  the GitHub deployment recorded on a version, and what it is built from

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
from bot.state.deployments import (
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
from bot.state.history import inflight, rollback_candidate
from bot.state.keys import (
    DEPLOYMENT_TAG_PREFIX,
    DRIFT_PREFIX,
    EVENT_PREFIX,
    LOCK_MODEL_PREFIX,
    REQUEST_ID,
    REQUEST_PREFIX,
    SLACK_POSTED_TAG,
    TAG_VALUE_MAX,
    TARGET_LOCK_PREFIX,
    approval_key,
    deployment_tag,
    drift_key,
    event_key,
    lock_bucket,
    lock_model_name,
    message_key,
    message_request,
    request_bucket,
    request_key,
    safe_tag_part,
    sequence,
    state_key,
)
from bot.state.locks import TargetLock, locks_in_force, target_lock_record, target_locks
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
    "DEPLOYMENT_TAG_PREFIX",
    "DRIFT_PREFIX",
    "EVENT_PREFIX",
    "FINAL_STATES",
    "LOCK_MODEL_PREFIX",
    "REASON_MAX",
    "RECORD_FAILED",
    "RECORD_INACTIVE",
    "RECORD_SUCCESS",
    "REQUEST_ID",
    "REQUEST_PREFIX",
    "SLACK_POSTED_TAG",
    "TAG_VALUE_MAX",
    "TARGET_LOCK_PREFIX",
    "Approval",
    "DeploymentRecord",
    "Event",
    "Outcome",
    "Request",
    "TargetLock",
    "approval_key",
    "approvals",
    "audit_tags",
    "deployment_record",
    "deployment_tag",
    "description_line",
    "done_outcome",
    "drift_key",
    "dumps",
    "environment_name",
    "event_key",
    "events",
    "execution_of",
    "format_time",
    "git_source",
    "inflight",
    "latest_executions",
    "loads",
    "lock_bucket",
    "lock_model_name",
    "locks_in_force",
    "maybe_time",
    "message_key",
    "message_request",
    "new_record",
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
    "sequence",
    "state_key",
    "target_lock_record",
    "target_locks",
]
