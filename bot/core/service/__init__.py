"""The use cases, behind one facade.

    common.py       Context (who acts), Deps (registry, policy, clock, ids, events)
    proposal.py     the Proposal value and the Reads of one command
    deciding.py     the policy's decision on a proposal
    moves.py        promote and rollback
    requests.py     approve, deny, finding a request
    locks.py        lock and unlock a target, and the check promotions pass while locked
    execution.py    intent, apply, recover, roll forward, outcome records
    queries.py      status, history, policy, a request as it stands
    messages.py     where doors showed requests, and the pass that keeps them in step
    membership.py   the members of GitHub teams and Slack user groups, through the port
    trail.py        the audit trail for auditors (`promobot audit export`)
    board.py        the release board: every governed model, one model's page
    board_timeline.py  the board's timeline and the verification it charts (pure)
    board_read.py   the overview's read of every model, kept a few seconds; what was written
    archive.py      a model's ledger: compaction, and reading what moved there
    compact_on_write.py  an execution compacts a model grown past its bound, on a thread
    registration.py CI registration and the comparison with Production
    deployments.py  GitHub deployments of promotions: record, find the missing, repair
    pull_requests.py  a promote asked in a pull request: the version from its head commit
    cards.py        a new version's card, and announcing it
    webhooks.py     MLflow's webhook deliveries, and promobot's webhook in MLflow
    verification.py the watch after a promotion: passed, or rolled back / told
    registry_kind.py  stages or aliases only: the targets a command may name here

Each use case takes who acts and a parsed command and returns a Result. A person's
failure (not allowed, no such version) is a refused Result with sentences; only a
broken MLflow raises (RegistryError). No text is formatted for a channel here.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from datetime import datetime
from typing import Any

from bot.core.commands import (
    Approve,
    Command,
    Deny,
    Help,
    History,
    Lock,
    PolicyExplain,
    Promote,
    Rollback,
    Status,
    Unlock,
    help_text,
)
from bot.core.events import EventBus
from bot.core.policy import Policy
from bot.core.ports.registry import Registry, VersionInfo
from bot.core.results import (
    CardResult,
    DeploymentCheck,
    DeploymentRepair,
    HelpResult,
    MissingDeployment,
    MoveResult,
    Result,
)
from bot.core.service import archive
from bot.core.service.archive import Compacted
from bot.core.service.board import Board
from bot.core.service.board_read import Changes, Noting
from bot.core.service.cards import Cards
from bot.core.service.common import Context, Deps, Outside, new_request_id, utcnow
from bot.core.service.compact_on_write import Compactor
from bot.core.service.deployments import Deployments
from bot.core.service.drift_scan import DriftScan
from bot.core.service.execution import Executor
from bot.core.service.messages import Messages
from bot.core.service.moves import Moves
from bot.core.service.proposal import Reads
from bot.core.service.pull_requests import version_from_head
from bot.core.service.queries import Queries
from bot.core.service.registry_kind import fit
from bot.core.service.requests import Requests
from bot.core.service.signed_records import SignedRecords
from bot.core.service.target_locks import Locks
from bot.core.service.trail import Export
from bot.core.service.verification import Verifier, VerifyReport
from bot.core.service.webhooks import Deliveries, Delivery
from bot.core.state import REASON_MAX

__all__ = ["REASON_MAX", "Context", "Outside", "Service", "new_request_id"]


class Service:
    """The facade every door calls: `handle` dispatches a command to its use case."""

    def __init__(
        self,
        registry: Registry,
        policy: Policy,
        *,
        clock: Callable[[], datetime] = utcnow,
        new_id: Callable[[str], str] = new_request_id,
        events: EventBus | None = None,
        outside: Outside | None = None,
    ) -> None:
        """`outside`: the systems besides MLflow the rules read (GitHub teams and Slack
        user groups, GitHub's checks and deployments); none by default."""
        outside = outside or Outside()
        if outside.signatures is not None:
            registry = SignedRecords(registry, outside.signatures)
        # Which models this process wrote to: the board's kept read reads them again.
        self.changes = Changes()
        registry = Noting(registry, self.changes)
        self.deps = Deps(
            registry, policy, clock, new_id, events or EventBus(), directory=outside.directory
        )
        if outside.github is not None:
            self.deps.github = outside.github
        if outside.prometheus is not None:
            self.deps.prometheus = outside.prometheus
        self.deps.signatures = outside.signatures
        self.deployments = Deployments(self.deps)
        # Compacts a model an execution finds grown past its bound (compact_on_write.py).
        self.compactor = Compactor(self.deps.registry)
        executor = Executor(self.deps, self.deployments, self.compactor)
        self.drift_scan = DriftScan(self.deps)
        self.export = Export(self.deps, self.drift_scan)
        self.moves = Moves(self.deps, executor, self.drift_scan)
        self.requests = Requests(self.deps, executor)
        self.queries = Queries(self.deps, self.requests, self.drift_scan)
        self.messages = Messages(self.deps, self.queries)
        self.board = Board(self.deps, self.queries, self.drift_scan)
        self.locks = Locks(self.deps)
        self.cards = Cards(self.deps)
        # Looked up at each delivery, so the delivery always reaches the facade's method.
        self.deliveries = Deliveries(
            self.deps, self.drift_scan, lambda model, version: self.announce_version(model, version)
        )
        self.verifier = Verifier(self.deps, executor, self.drift_scan)
        self.queries.verifier = self.verifier
        # One entry per command type: the use case and what it is given.
        self._table: dict[type, Callable[[Any, Context, Reads], Result]] = {
            Promote: self.moves.promote,
            Rollback: self.moves.rollback,
            Approve: self.requests.approve,
            Deny: lambda cmd, ctx, reads: self.requests.deny(cmd, ctx),
            Status: lambda cmd, ctx, reads: self.queries.status(cmd, reads),
            History: lambda cmd, ctx, reads: self.queries.history(cmd),
            PolicyExplain: lambda cmd, ctx, reads: self.queries.explain_policy(cmd),
            Lock: lambda cmd, ctx, reads: self.locks.lock(cmd, ctx),
            Unlock: lambda cmd, ctx, reads: self.locks.unlock(cmd, ctx),
            Help: lambda cmd, ctx, reads: HelpResult(text=help_text(cmd.topic)),
        }

    @property
    def registry(self) -> Registry:
        return self.deps.registry

    @property
    def policy(self) -> Policy:
        return self.deps.policy

    @property
    def events(self) -> EventBus:
        assert self.deps.events is not None
        return self.deps.events

    def clock(self) -> datetime:
        return self.deps.clock()

    def handle(self, command: Command, ctx: Context, *, head_sha: str = "") -> Result:
        """`head_sha`: the commit the command was asked on, a pull request's head; a
        promote without a version takes the newest version registered from it."""
        command, refusal = fit(self.deps.policy, command)
        if refusal is not None:
            return refusal
        if head_sha:
            command, refusal = version_from_head(self.deps, command, head_sha)
            if refusal is not None:
                return refusal
        use_case = self._table.get(type(command))
        if use_case is None:  # pragma: no cover - the parser makes only these
            raise TypeError(f"unknown command {command!r}")
        # A fresh Reads per command: nothing read is trusted beyond the command.
        return use_case(command, ctx, Reads(self.deps.registry))

    # ---- for doors that show requests and keep those messages in step -------------------

    def request_view(self, request_id: str) -> MoveResult | None:
        """A request as it stands now (it writes nothing: expiry is the sweep's)."""
        return self.queries.request_view(request_id)

    def remember_message(self, model: str, request_id: str, door: str, ref: dict[str, str]) -> None:
        self.messages.remember(model, request_id, door, ref)

    def message_ref(self, model: str, request_id: str, door: str) -> dict[str, Any] | None:
        return self.messages.ref(model, request_id, door)

    def sweep(self, door: str) -> int:
        """One pass of the scheduled sweep over the requests `door` shows."""
        return self.messages.sweep(door)

    def verify(self) -> VerifyReport:
        """One verification pass: every due check once (`promobot verify`, serve's pass)."""
        return self.verifier.run_all()

    def version_for_commit(self, model: str, sha: str) -> int | None:
        return self.queries.version_for_commit(model, sha)

    def versions(self, model: str) -> list[VersionInfo]:
        return self.queries.versions(model)

    # ---- GitHub deployments of promotions (docs/contract.md, "Deployment records") -----

    def signs(self) -> bool:
        """Whether promobot signs its records and writes receipts (a signing key is set)."""
        return self.deps.receipts

    def verifies(self) -> bool:
        """Whether records and receipts are checked against trusted keys here (a signing
        key, or PROMOBOT_TRUSTED_KEYS alone)."""
        signatures = self.deps.signatures
        return signatures is not None and signatures.verifying

    def records_deployments(self) -> bool:
        """Whether promotions are recorded as GitHub deployments here (GITHUB_TOKEN)."""
        return self.deps.github.deployer is not None

    def missing_deployments(self, models: list[str]) -> list[MissingDeployment]:
        """Versions holding a target whose GitHub deployment is missing (never sent, or
        failed), for the named models or, with none named, every model."""
        return self.deployments.check(models).missing

    def deployment_check(self, models: list[str]) -> DeploymentCheck:
        """As missing_deployments, and the names given that are no registered model."""
        return self.deployments.check(models)

    def repair_deployments(self, models: list[str]) -> list[DeploymentRepair]:
        """Send each missing deployment exactly once (a second repair sends nothing)."""
        return self.deployments.repair(models)

    # ---- a new version -----------------------------------------------------------------

    def version_card(self, model: str, version: int | str) -> CardResult | None:
        """A version's card (action `registered`): its run, commit, pull request and CI
        run, its metrics against Production, the targets it may be promoted to next. None
        when the policy does not govern the model or the version does not exist."""
        return self.cards.card(model, version)

    def announce_version(self, model: str, version: int | str) -> CardResult | None:
        """The card, published as `version_registered` (the Slack announcer posts it in
        the model's channel); None, and nothing published, when there is no card."""
        return self.cards.announce(model, version)

    # ---- MLflow's webhook deliveries ----------------------------------------------------------

    def receive_webhook(self, delivery: Delivery) -> str:
        """One verified MLflow webhook delivery; returns what was done, for the log."""
        return self.deliveries.receive(delivery)

    def compact(
        self,
        models: list[str],
        *,
        wait: bool = False,
        waiting: Callable[[str, str], None] | None = None,
    ) -> Iterator[Compacted]:
        """Move each model's finished records to its ledger (every governed model when
        `models` is empty), one model at a time, as the caller iterates. A model another
        run is compacting: waited for if `wait` (`waiting(model, holder)` told once),
        else left to that run (Compacted.busy)."""
        for name in list(dict.fromkeys(models)) or self.drift_scan.governed():
            tell = (lambda holder, n=name: waiting(n, holder)) if waiting else None
            yield archive.compact(self.deps.registry, name, wait=wait, waiting=tell)
