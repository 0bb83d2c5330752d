"""The pure readers of promobot's tag layout (bot/core/state.py): the history walk behind
`rollback`, in-flight detection, and the order of events. The tags are written by hand,
as MLflow holds them, so each table row reads as the history it stands for."""

from __future__ import annotations

import json
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta

import pytest

from bot.core import state

T0 = datetime(2026, 11, 25, 10, 0, tzinfo=UTC)
LABELS = {"production": "Production", "staging": "Staging"}


@dataclass(frozen=True)
class Step:
    """One promotion or rollback in a target's history, and how its execution ended."""

    kind: str
    version: int
    previous: int | None
    target: str
    outcome: str | None  # the request's state tag; None: the execution has not ended
    line: bool  # events carry their description line since they are also the intent


def promote(
    version: int,
    previous: int | None = None,
    target: str = "production",
    outcome: str | None = "done",
    line: bool = True,
) -> Step:
    return Step("promote", version, previous, target, outcome, line)


def rollback(
    version: int,
    previous: int | None,
    target: str = "production",
    outcome: str | None = "done",
) -> Step:
    return Step("rollback", version, previous, target, outcome, True)


def request_id(n: int) -> str:
    return f"req-{n:010x}"


def event_key(n: int, at: datetime | None = None, tick: int | None = None) -> str:
    """The n-th event's key: mlflow.promobot.event.<ms>.<ns>.<request id>, a minute apart."""
    at = at or T0 + timedelta(minutes=n)
    ms = int(at.timestamp() * 1000)
    return f"mlflow.promobot.event.{ms:013d}.{tick if tick is not None else n:020d}.{request_id(n)}"


def event_value(step: Step, n: int) -> dict[str, object]:
    at = (T0 + timedelta(minutes=n)).strftime("%Y-%m-%dT%H:%M:%SZ")
    label = LABELS.get(step.target, step.target)
    reason = "rollback: it broke" if step.kind == "rollback" else f"step {n}"
    value: dict[str, object] = {
        "kind": step.kind,
        "target_key": step.target,
        "target_label": label,
        "version": step.version,
        "previous": step.previous,
        "by": "carol@example.com" if step.kind == "rollback" else "bob@example.com",
        "approved_by": "" if step.kind == "rollback" else "alice@example.com",
        "at": at,
        "reason": reason,
        "request": request_id(n),
        "channel": "cli",
    }
    if step.line:
        value["line"] = f"{at} → {label} by {value['by']}: {reason}"
    return value


def outcome_tag(n: int, outcome: str) -> tuple[str, str]:
    detail = {"state": outcome, "by": "alice@example.com", "at": "2026-11-25T11:00:00Z"}
    return f"mlflow.promobot.request.{request_id(n)}.state", json.dumps({**detail, "detail": ""})


def history(*steps: Step) -> dict[str, str]:
    """The registered-model tags of these steps, in order, a minute apart."""
    tags: dict[str, str] = {}
    for n, step in enumerate(steps, start=1):
        tags[event_key(n)] = json.dumps(event_value(step, n))
        if step.outcome is not None:
            key, value = outcome_tag(n, step.outcome)
            tags[key] = value
    return tags


# ---- the history walk ---------------------------------------------------------------------

ROLLBACK_CANDIDATES = [
    ("no history", [], 3, None),
    ("one promotion: nothing before it", [promote(1)], 1, None),
    ("v1 → v2: back to v1", [promote(1), promote(2, 1)], 2, 1),
    ("v1 → v2 → v3: back to v2", [promote(1), promote(2, 1), promote(3, 2)], 3, 2),
    (
        "v1 → v2 → v3, rolled back: again goes to v1",
        [promote(1), promote(2, 1), promote(3, 2), rollback(2, 3)],
        2,
        1,
    ),
    (
        "two rollbacks in a row: nothing left",
        [promote(1), promote(2, 1), promote(3, 2), rollback(2, 3), rollback(1, 2)],
        1,
        None,
    ),
    (
        "a rollback to a named version pops what it rolled back",
        [promote(1), promote(2, 1), promote(3, 2), rollback(1, 3)],
        1,
        2,
    ),
    (
        "a promotion after a rollback",
        [promote(1), promote(2, 1), promote(3, 2), rollback(2, 3), promote(4, 2)],
        4,
        2,
    ),
    (
        "the same version promoted twice counts once",
        [promote(1), promote(2, 1), promote(2, 2)],
        2,
        1,
    ),
    (
        "other targets are ignored",
        [promote(1), promote(5, None, "staging"), promote(2, 1), promote(6, 5, "staging")],
        2,
        1,
    ),
    (
        "an alias target has a history of its own",
        [promote(1, None, "@champion"), promote(2), promote(3, 1, "@champion")],
        2,
        None,
    ),
    ("a failed execution is left out", [promote(1), promote(2, 1, outcome="failed")], 1, None),
    (
        "a failed execution in the middle is left out",
        [promote(1), promote(2, 1, outcome="failed"), promote(3, 1)],
        3,
        1,
    ),
    (
        "only a failed outcome leaves an event out",
        [promote(1), promote(2, 1, outcome="expired")],
        2,
        1,
    ),
    ("the current version not in the history", [promote(1), promote(2, 1)], 7, 2),
    ("an empty target", [promote(1), promote(2, 1)], None, 2),
]


@pytest.mark.parametrize(
    ("steps", "current", "expected"),
    [row[1:] for row in ROLLBACK_CANDIDATES],
    ids=[row[0] for row in ROLLBACK_CANDIDATES],
)
def test_rollback_candidate(steps: list[Step], current: int | None, expected: int | None) -> None:
    assert state.rollback_candidate(history(*steps), "production", current) == expected


def test_rollback_candidate_on_an_alias_target() -> None:
    tags = history(promote(1, None, "@champion"), promote(2), promote(3, 1, "@champion"))
    assert state.rollback_candidate(tags, "@champion", 3) == 1
    assert state.rollback_candidate(tags, "staging", None) is None


def test_a_stage_history_is_its_mirrored_aliases_history() -> None:
    """A stage move also pointed the stage's alias at the version, so a registry that
    dropped its stages (`registry: {stages: false}`) rolls @production back through
    Production's history, then its own; an alias's history is not a stage's."""
    tags = history(promote(1), promote(2, 1), promote(3, 2, "@production"))
    assert state.rollback_candidate(tags, "@production", 3) == 2
    assert state.held_versions(tags, "@production") == [3, 2, 1]
    assert state.held_versions(tags, "production") == [2, 1]
    assert state.rollback_candidate(tags, "@champion", None) is None


# ---- in-flight executions -------------------------------------------------------------------

INFLIGHT = [
    ("no events", [], "production", None),
    ("the latest event has no outcome", [promote(1), promote(2, 1, outcome=None)], "production", 2),
    ("every event has an outcome", [promote(1), promote(2, 1)], "production", None),
    ("a failed outcome ends it too", [promote(1, outcome="failed")], "production", None),
    (
        "an event without a line is history only",
        [promote(1), promote(2, 1, outcome=None, line=False)],
        "production",
        None,
    ),
    (
        "only the target's latest event is looked at",
        [promote(1, outcome=None), promote(2, 1)],
        "production",
        None,
    ),
    (
        "an open event on another target",
        [promote(1), promote(5, None, "staging", outcome=None)],
        "production",
        None,
    ),
    (
        "the open event of this target behind another target's",
        [promote(1, outcome=None), promote(5, None, "staging")],
        "production",
        1,
    ),
    (
        "a rollback under way",
        [promote(1), promote(2, 1), rollback(1, 2, outcome=None)],
        "production",
        3,
    ),
]


@pytest.mark.parametrize(
    ("steps", "target", "expected"),
    [row[1:] for row in INFLIGHT],
    ids=[row[0] for row in INFLIGHT],
)
def test_inflight(steps: list[Step], target: str, expected: int | None) -> None:
    """`expected` is the step number (1-based) of the execution in flight, or None."""
    found = state.inflight(history(*steps), target)
    if expected is None:
        assert found is None
    else:
        assert found is not None
        assert found.key == event_key(expected)
        value = json.dumps(event_value(steps[expected - 1], expected))
        assert found == state.HistoryEvent.from_tag(event_key(expected), value)


# ---- events -----------------------------------------------------------------------------------


def test_events_are_oldest_first_whatever_order_the_tags_come_in() -> None:
    tags = history(promote(1), promote(2, 1), rollback(1, 2), promote(3, 1))
    shuffled = dict(reversed(list(tags.items())))
    assert [(e.kind, e.version) for e in state.events(shuffled)] == [
        ("promote", 1),
        ("promote", 2),
        ("rollback", 1),
        ("promote", 3),
    ]


def test_events_in_the_same_millisecond_keep_the_order_they_happened_in() -> None:
    same = T0 + timedelta(minutes=5)
    tags = {
        event_key(n, at=same, tick=tick): json.dumps(event_value(promote(n), n))
        for n, tick in [(3, 30), (1, 10), (2, 20)]
    }
    assert [e.version for e in state.events(tags)] == [1, 2, 3]


def test_an_event_reads_back_every_field() -> None:
    (event,) = state.events(history(rollback(2, 3)))
    assert event.key == event_key(1)
    assert event == state.HistoryEvent(
        kind="rollback",
        target_key="production",
        target_label="Production",
        version=2,
        previous=3,
        by="carol@example.com",
        approved_by="",
        at=T0 + timedelta(minutes=1),
        reason="rollback: it broke",
        request=request_id(1),
        channel="cli",
        target_name="Production",  # an event without one names its target by the label
        line=str(event_value(rollback(2, 3), 1)["line"]),
    )


EVENT_ROWS = [
    ("failed executions are left out", history(promote(1), promote(2, 1, outcome="failed")), [1]),
    ("an execution in flight is history", history(promote(1), promote(2, 1, outcome=None)), [1, 2]),
    (
        "an event that is not JSON is skipped",
        {**history(promote(1)), event_key(2): "{not json"},
        [1],
    ),
    (
        "an event without a version is skipped",
        {**history(promote(1)), event_key(2): json.dumps({"kind": "promote", "target_key": "x"})},
        [1],
    ),
    (
        "tags that are not events are ignored",
        {**history(promote(1)), "mlflow.promobot.request.req-1": "{}", "owner": "ml"},
        [1],
    ),
]


@pytest.mark.parametrize(
    ("tags", "versions"),
    [row[1:] for row in EVENT_ROWS],
    ids=[row[0] for row in EVENT_ROWS],
)
def test_events(tags: dict[str, str], versions: list[int]) -> None:
    assert [e.version for e in state.events(tags)] == versions


def test_an_event_without_a_label_or_previous_falls_back() -> None:
    tags = {event_key(1): json.dumps({"kind": "promote", "target_key": "@champion", "version": 4})}
    (event,) = state.events(tags)
    assert (event.target_label, event.previous, event.at, event.by) == ("@champion", None, None, "")


# ---- the description line -------------------------------------------------------------------


@pytest.mark.parametrize(
    ("approvers", "shown"),
    [
        ("", "by bob@example.com: passed (accuracy 0.91)"),
        ("alice@example.com", "by bob@example.com, approved by alice@example.com: passed"),
        ([], "by bob@example.com: passed (accuracy 0.91)"),
        (
            [("alice@example.com", "dashboards\n checked"), ("erin@example.com", "")],
            'approved by alice@example.com ("dashboards checked"), erin@example.com: passed',
        ),
        (
            [("alice@example.com", "x" * 150)],
            'approved by alice@example.com ("' + "x" * 99 + '…"): passed',
        ),
    ],
    ids=["none", "as-a-string", "no-pairs", "pairs-with-comments", "long-comment-clipped"],
)
def test_the_description_line_quotes_what_approvers_said(approvers: object, shown: str) -> None:
    line = state.description_line(
        T0, "Production", ("bob@example.com", approvers), "passed", {"accuracy": 0.91}, []
    )
    assert line.startswith("2026-11-25 10:00 UTC → Production ")
    assert shown in line


# ---- the locks people put on targets ----------------------------------------------------------


def lock_tag(
    n: int, kind: str, target: str = "production", until: datetime | None = None
) -> tuple[str, str]:
    placed = state.TargetLock(
        key="",
        kind=kind,
        target_key=target,
        target_label=LABELS.get(target, target),
        by="alice@example.com",
        actor="github:alice",
        at=T0 + timedelta(minutes=n),
        reason=f"step {n}",
        until=until,
        channel="cli",
    )
    return state.target_lock_record(placed)


def test_the_newest_lock_or_unlock_of_a_target_says_whether_it_holds() -> None:
    tags = dict(
        [
            lock_tag(1, "lock"),
            lock_tag(2, "unlock"),
            lock_tag(3, "lock", "staging", until=T0 + timedelta(minutes=30)),
            lock_tag(4, "lock", "@champion"),
            # Not written by promobot: ignored.
            ("promobot.target-lock.0000000000001.00000000000000000001.x", "{not json"),
            ("promobot.target-lock.0000000000002.00000000000000000002.y", '{"kind": "hold"}'),
        ]
    )

    held = state.locks_in_force(tags, T0 + timedelta(minutes=10))
    assert list(held) == ["staging", "@champion"]
    assert held["@champion"].reason == "step 4"
    assert [lock.kind for lock in state.target_locks(tags)] == ["lock", "unlock", "lock", "lock"]
    # A lock with an end is over once it passes; nothing is written for that.
    assert list(state.locks_in_force(tags, T0 + timedelta(minutes=30))) == ["@champion"]
    key, _ = lock_tag(4, "lock", "@champion")
    assert key.endswith(".alias-champion") and "@" not in key
    # History readers of promotions never see them.
    assert state.events(tags) == []
    assert state.inflight({**tags, **history(promote(1, outcome=None))}, "production") is not None


# ---- the legacy layout: `promobot.` before `mlflow.promobot.` ------------------------------


def legacy(tags: dict[str, str]) -> dict[str, str]:
    """The same tags as a release before `mlflow.promobot.` wrote them."""
    return {k.removeprefix("mlflow."): v for k, v in tags.items()}


def test_the_state_lives_where_the_mlflow_ui_does_not_list_it() -> None:
    """The MLflow UI leaves tags beginning `mlflow.` out of a model's Tags table."""
    keys = [
        state.request_key("req-1"),
        state.approval_key("req-1", "alice"),
        state.state_key("req-1"),
        state.message_key("req-1", "slack"),
        state.event_key(T0, "req-1"),
        state.SLACK_POSTED_TAG,
    ]
    assert all(k.startswith("mlflow.promobot.") for k in keys), keys


def test_a_legacy_history_reads_as_it_did() -> None:
    steps = (promote(1), promote(2, 1), rollback(1, 2), promote(3, 1, outcome=None))
    old = legacy(history(*steps))
    assert [k.split(".")[0] for k in old] == ["promobot"] * len(old)
    assert [(e.kind, e.version) for e in state.events(old)] == [
        (e.kind, e.version) for e in state.events(history(*steps))
    ]
    assert state.rollback_candidate(old, "production", 3) == 1
    found = state.inflight(old, "production")
    assert found is not None and found.key == event_key(4).removeprefix("mlflow.")


def test_events_of_both_layouts_interleave_in_the_order_they_happened() -> None:
    """Sorted by the keys alone, every `mlflow.promobot.event.` would come before every
    `promobot.event.`: the prefix must not decide the order."""
    tags = history(promote(1), promote(2, 1), promote(3, 2), rollback(2, 3))
    mixed = {**legacy(dict(list(tags.items())[:4])), **dict(list(tags.items())[4:])}
    assert sorted({k.split(".")[0] for k in mixed}) == ["mlflow", "promobot"]
    assert [(e.kind, e.version) for e in state.events(mixed)] == [
        ("promote", 1),
        ("promote", 2),
        ("promote", 3),
        ("rollback", 2),
    ]
    assert state.rollback_candidate(mixed, "production", 2) == 1


def request_tags(created: str = "2026-11-25T10:00:00Z") -> str:
    return json.dumps(
        {
            "id": "req-8b4e000001",
            "action": "promote",
            "model": "m",
            "version": 2,
            "target_key": "production",
            "target_label": "Production",
            "actor": "slack:U01BOB",
            "created_at": created,
            "expires_at": "2026-11-26T10:00:00Z",
        }
    )


def test_a_legacy_request_its_approvals_and_outcome_are_read() -> None:
    rid = "req-8b4e000001"
    approval = {"actor": "github:alice", "person": "alice", "at": "2026-11-25T10:05:00Z"}
    old = {
        f"promobot.request.{rid}": request_tags(),
        f"promobot.request.{rid}.approval.alice": json.dumps(approval),
    }
    (req,) = state.open_requests(old)
    assert (req.id, req.version, state.request(old, rid)) == (rid, 2, req)
    assert state.has_request(old, rid)
    # An approval given after the upgrade lands under the current key; both count.
    erin = {**approval, "actor": "slack:U01ERIN", "person": "erin", "at": "2026-11-25T10:06:00Z"}
    upgraded = {**old, state.approval_key(rid, "erin"): json.dumps(erin)}
    assert [a.person for a in state.approvals(upgraded, rid)] == ["alice", "erin"]
    done = {**upgraded, state.state_key(rid): state.outcome_record("done", "x", T0)}
    assert state.outcome(done, rid) is not None and state.outcome(done, rid).state == "done"
    assert state.open_requests(done) == []
    assert [r.id for r in state.requests(done)] == [rid]


def test_a_request_in_both_layouts_is_one_request_and_the_current_key_wins() -> None:
    rid = "req-8b4e000001"
    both = {
        f"promobot.request.{rid}": request_tags("2026-11-25T09:00:00Z"),
        state.request_key(rid): request_tags(),
        f"promobot.request.{rid}.slack": json.dumps({"channel": "C1", "ts": "1"}),
        state.message_key(rid, "slack"): json.dumps({"channel": "C1", "ts": "1", "final": "x"}),
    }
    (req,) = state.requests(both)
    assert req.created_at == T0
    assert state.message_ref(both, rid, "slack") == {"channel": "C1", "ts": "1", "final": "x"}


MESSAGE_KEYS = [
    ("current", "mlflow.promobot.request.req-1.slack", "req-1"),
    ("legacy", "promobot.request.req-1.slack", "req-1"),
    ("another door", "mlflow.promobot.request.req-1.teams", None),
    ("an approval", "mlflow.promobot.request.req-1.approval.slack", None),
    ("the request itself", "mlflow.promobot.request.req-1", None),
    ("not promobot's", "team.request.req-1.slack", None),
]


@pytest.mark.parametrize(
    ("key", "expected"), [r[1:] for r in MESSAGE_KEYS], ids=[r[0] for r in MESSAGE_KEYS]
)
def test_message_request(key: str, expected: str | None) -> None:
    assert state.message_request(key, "slack") == expected


# ---- the tags a version sheds when it takes a target again ---------------------------------

MOVED_OUT = {
    "replaced_by": "v2",
    "archived_at": "2026-11-25T10:00:00Z",
    "archived_by": "bob@example.com",
    "rolled_back_at": "2026-11-25T11:00:00Z",
    "rolled_back_by": "carol@example.com",
    "rollback_reason": "latency",
}
PROMOTED = {"promoted_to": "Production", "promotion_channel": "github", "git_commit": "abc"}
LINK = "https://github.com/acme/models/pull/7#issuecomment-1"

STALE_TAGS = [
    ("a fresh version", {}, {"link": ""}, []),
    ("a version never moved out", PROMOTED, {"link": ""}, []),
    (
        "archived by a promotion",
        {**PROMOTED, **dict(list(MOVED_OUT.items())[:3])},
        {"link": ""},
        ["archived_at", "archived_by", "replaced_by"],
    ),
    ("rolled back", {**PROMOTED, **MOVED_OUT}, {"link": ""}, sorted(MOVED_OUT)),
    (
        "a link this promotion does not replace",
        {**PROMOTED, "promotion_link": LINK},
        {"link": ""},
        ["promotion_link"],
    ),
    ("a link this promotion replaces", {**PROMOTED, "promotion_link": LINK}, {"link": LINK}, []),
]


@pytest.mark.parametrize(
    ("tags", "event", "expected"), [r[1:] for r in STALE_TAGS], ids=[r[0] for r in STALE_TAGS]
)
def test_stale_tags(tags: dict[str, str], event: dict[str, str], expected: list[str]) -> None:
    assert state.stale_tags(event["link"], tags) == tuple(expected)


def test_the_stale_tags_are_the_ones_a_move_out_writes() -> None:
    event = {
        "kind": "rollback",
        "target_kind": "stage",
        "version": 1,
        "previous": 2,
        "by": "carol@example.com",
        "at": "2026-11-25T11:00:00Z",
        "rollback_reason": "latency",
    }
    value = {
        **event,
        "target_key": "production",
        "approved_by": "",
        "target_label": "Production",
        "reason": "rollback: latency",
        "request": "req-1",
        "channel": "cli",
    }
    written = state.HistoryEvent.from_tag("", json.dumps(value))
    assert written is not None
    _, old_tags = state.version_tags_of(written)
    assert set(old_tags) == set(state.MOVED_OUT_TAGS)
