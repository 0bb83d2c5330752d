"""The critical path of promote, approve and rollback, and the calls in a row, measured.

The critical path is the fewest rounds of REST calls a command must make one after
another: a call waits for another when it needs what that one returns (or whether it is
needed at all depends on it), or when the execution protocol orders them (the lock
before any read; the history event, the intent, before any change; the request's
outcome after every change; the lock's release last; docs/architecture.md, "The
execution protocol"). Calls in one round depend on none of each other. It is written
down here as data, per command, as the benchmark's registry has it (bench/seed.py:
the candidate is never among the model's latest versions, so it is read on its own).

What a run did is measured, not assumed: the proxy records when each call arrived and
when it was answered (bench/rest_calls.py), and `in_a_row` finds the longest chain of
calls each of which began after the one before it had been answered. A command that
makes every call in turn has all its calls in a row; one that issues its independent
writes at once has one per round of its critical path.
"""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass

from bench.rest_calls import Call


@dataclass(frozen=True)
class Step:
    calls: tuple[str, ...]  # the REST calls of this round, as the proxy names them
    why: str  # why the round cannot begin before the one before it has ended


LOCK = Step(
    ("POST registered-models/create",),
    "take the target's lock: every read after it is the one the execution works from",
)
READ_MODEL = Step(
    ("GET registered-models/search [name =]",),
    "the model under the lock: the holder, the history (an unfinished execution is "
    "finished first), the aliases, the latest version of each stage",
)
METRICS = Step(
    ("GET runs/get",),
    "the candidate's metrics (the gates, the description line): its run id comes with the version",
)
INTENT = Step(
    ("POST registered-models/set-tag",),
    "the history event, the intent, first: it holds everything the change writes, "
    "worked out from every read above, so that a later command can finish it",
)
# Each independent of the others given the intent: one round when issued at once.
CHANGE = Step(
    (
        "POST model-versions/transition-stage",
        "POST registered-models/alias",
        "DELETE registered-models/alias",
        "POST model-versions/set-tag",
        "DELETE model-versions/delete-tag",
        "PATCH model-versions/update",
    ),
    "the change: the stage move (archiving the holder), the mirrored alias, the stale "
    "aliases, the audit tags on both versions, the stale tags, the description line; "
    "none needs another's answer",
)
OUTCOME = Step(
    ("POST registered-models/set-tag",),
    "the request's outcome, last: written once every write of the change has landed",
)
RELEASE = Step(("DELETE registered-models/delete",), "release the lock, after the outcome")

CRITICAL_PATH: dict[str, tuple[Step, ...]] = {
    "promote": (
        LOCK,
        READ_MODEL,
        Step(
            ("GET model-versions/get",),
            "the candidate, read only when the model's read did not bring it: whether "
            "the call is needed depends on that read (reading it alongside would cost a "
            "call whenever it came with the model)",
        ),
        METRICS,
        INTENT,
        CHANGE,
        OUTCOME,
        RELEASE,
    ),
    "rollback": (
        LOCK,
        READ_MODEL,
        Step(
            ("GET model-versions/get",),
            "the version to restore: which one comes from the history in the model's tags",
        ),
        METRICS,
        INTENT,
        CHANGE,
        OUTCOME,
        RELEASE,
    ),
    "approve": (
        Step(
            ("POST registered-models/create",),
            "take the lock the request id names, before the first read",
        ),
        Step(
            ("GET registered-models/search [tag mlflow.promobot.request.<id>]",),
            "find the request; the model it returns, with the candidate among its latest "
            "versions, is the read the execution works from",
        ),
        Step(
            ("POST registered-models/set-tag", "GET runs/get"),
            "the approval (it needs the request found) and the candidate's metrics (its "
            "run id comes with the read): neither needs the other",
        ),
        Step(INTENT.calls, "the intent, once the approval it carries out is recorded"),
        CHANGE,
        OUTCOME,
        RELEASE,
    ),
}


def in_a_row(calls: list[Call]) -> list[Call]:
    """The longest chain of calls each of which arrived after the one before it was
    answered: the calls the command made one after another."""
    spans = sorted(calls, key=lambda c: (c.end, c.start))
    best: list[list[Call]] = []
    for i, call in enumerate(spans):
        before = [best[j] for j in range(i) if spans[j].end <= call.start]
        best.append([*max(before, key=len, default=[]), call])
    return max(best, key=len, default=[])


def most_in_flight(calls: list[Call]) -> int:
    """The most calls the proxy held at one time."""
    edges = sorted([(c.start, 1) for c in calls] + [(c.end, -1) for c in calls])
    now = most = 0
    for _, step in edges:  # at equal times an end (-1) sorts before a start
        now += step
        most = max(most, now)
    return most


def unlisted(command: str, calls: list[str]) -> dict[str, int]:
    """The calls a run made that no step of its critical path names (the path is out of
    date when there are any): kind → how many."""
    named = {call for step in CRITICAL_PATH[command] for call in step.calls}
    return dict(sorted(Counter(c for c in calls if c not in named).items()))


def as_data(command: str) -> list[dict[str, object]]:
    return [{"calls": list(s.calls), "why": s.why} for s in CRITICAL_PATH[command]]


def shown(command: str) -> str:
    """One line: the rounds in order, the calls of a round joined by ` ‖ `."""
    rounds = []
    for step in CRITICAL_PATH[command]:
        if step is CHANGE:
            rounds.append("the change (every write at once)")
        else:
            rounds.append(" ‖ ".join(step.calls))
    return " → ".join(f"{i}. {r}" for i, r in enumerate(rounds, 1))
