"""The floor: the fewest raw MlflowClient calls that make the same change as a promobot
command, or read the same facts.

"The same change" is checked, not assumed: tests/bench/test_bench_smoke.py runs a
promobot command and its floor on two identical models and compares everything MLflow
holds afterwards (stages, aliases, every version tag, descriptions, every model tag).
So the floor writes all that promobot leaves behind — the stage move (archiving the
holder in the same call), the mirrored alias, the audit tags on the new and the old
version, the description line, the history event (with the plan promobot keeps in
it) and the request's outcome — removes what promobot removes for good (the stale
mirrored aliases, the tags of an earlier move out on the version put in place), and
nothing promobot removes again before it returns (its lock).

What the floor does not do is promobot's own work: no policy decision, no lock.

Registry calls go through MLflow's ModelRegistryClient (what MlflowClient wraps),
as promobot's do: MlflowClient's public write methods first read the whole registered
model (`GET registered-models/get`, to refuse writes to prompts), one hidden call per
write. A floor paying those would flatter promobot; a script using MlflowClient's
public methods makes 15 more calls per promotion than this floor.

Pure formatting reuses promobot's pure helpers (bot.core.state keys, the policy's display
names) so that the values are byte-identical; that is CPU the floor would need anyway
and costs microseconds.

Reads: one search by name gives the model's tags, aliases and the latest version of
every stage with its tags and run id. It is the call a careful engineer picks:
`get_registered_model` returns the same facts but MLflow 3.17's SQL store loads every
version of the model to compute them (see docs/performance.md).
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Any

from bot.core import state
from bot.core.policy import Policy
from bot.core.state import dumps

STAGE_ALIASES = ("staging", "production", "archived")
STAGES = {"staging": "Staging", "production": "Production", "archived": "Archived"}


@dataclass
class Model:
    name: str
    tags: dict[str, str]
    aliases: dict[str, int]
    latest: dict[str, Any]  # stage → ModelVersion (with tags, run id, description)

    def version(self, rc: Any, number: int) -> Any:
        """A version: from the model's read when it came with it (the latest of its
        stage), else one call."""
        for mv in self.latest.values():
            if int(mv.version) == number:
                return mv
        return rc.get_model_version(self.name, str(number))

    def holder(self, stage: str) -> int | None:
        if stage == "Archived":
            return self.aliases.get("archived")
        mv = self.latest.get(stage)
        return int(mv.version) if mv is not None else None


class Floor:
    def __init__(self, client: Any, policy: Policy) -> None:
        self.client = client  # runs (metrics)
        self.rc = client._get_registry_client()  # the registry, without hidden reads
        self.policy = policy

    # ---- reads ------------------------------------------------------------------------

    def read_model(self, name: str) -> Model:
        found = self.rc.search_registered_models(filter_string=f"name = '{name}'", max_results=1)
        return _model(found[0])

    def status(self, name: str, now: datetime) -> dict[str, Any]:
        """Holders of Production, Staging and every other alias (version, who, when) and
        the open requests with their approvals: what `status` shows."""
        model = self.read_model(name)
        by_number = {int(mv.version): mv for mv in model.latest.values()}
        holders = []
        for stage in ("Production", "Staging"):
            mv = model.latest.get(stage)
            if mv is not None:
                holders.append((stage, _holder(mv)))
        for alias, number in sorted(model.aliases.items()):
            if alias in STAGE_ALIASES:
                continue
            mv = by_number.get(number) or self.rc.get_model_version(name, str(number))
            by_number[number] = mv
            holders.append((f"@{alias}", _holder(mv)))
        pending = []
        for req in state.open_requests(model.tags):
            if req.expires_at < now:
                continue
            approvers = {a.person or a.actor for a in state.approvals(model.tags, req.id)}
            pending.append((req.id, req.version, req.target_label, len(approvers)))
        return {"holders": holders, "pending": pending}

    # ---- changes ----------------------------------------------------------------------

    def promote(
        self,
        name: str,
        number: int,
        target_key: str,
        actor: str,
        reason: str,
        *,
        now: datetime,
        request_id: str,
        channel: str = "cli",
        link: str = "",
    ) -> None:
        """A promotion that needs no approval, to a stage."""
        model = self.read_model(name)
        stage = STAGES[target_key]
        mv = model.version(self.rc, number)
        self._execute(
            model,
            mv,
            action="promote",
            target_key=target_key,
            stage=stage,
            actor=actor,
            approvers=[],
            reason=reason,
            request_id=request_id,
            channel=channel,
            link=link,
            now=now,
        )

    def approve(self, request_id: str, actor: str, comment: str, *, now: datetime) -> None:
        """The approval that completes a request: record it, then carry the request out."""
        found = self.rc.search_registered_models(
            filter_string=f"tags.`{state.request_key(request_id)}` LIKE '%'", max_results=2
        )
        model = _model(found[0])
        req = state.request(model.tags, request_id)
        assert req is not None, request_id
        person = self.policy.person_for(actor)
        person_key = person.key if person else actor
        self.rc.set_registered_model_tag(
            model.name,
            state.approval_key(req.id, person_key),
            dumps(
                {
                    "actor": actor,
                    "person": person_key,
                    "at": state.format_time(now),
                    "comment": comment,
                    "channel": "cli",
                }
            ),
        )
        mv = model.version(self.rc, req.version)
        self._execute(
            model,
            mv,
            action=req.action,
            target_key=req.target_key,
            stage=req.target_label,
            actor=req.actor,
            approvers=[(actor, comment)],
            reason=req.reason,
            request_id=req.id,
            channel=req.channel,
            link=req.link,
            now=now,
        )

    def rollback(
        self, name: str, target_key: str, actor: str, reason: str, *, now: datetime, request_id: str
    ) -> None:
        """Restore the version that held the stage before the current one (history replay)."""
        model = self.read_model(name)
        stage = STAGES[target_key]
        current = model.holder(stage)
        number = state.rollback_candidate(model.tags, target_key, current)
        assert number is not None, "nothing to roll back to"
        mv = model.version(self.rc, number)
        self._execute(
            model,
            mv,
            action="rollback",
            target_key=target_key,
            stage=stage,
            actor=actor,
            approvers=[],
            reason=reason,
            request_id=request_id,
            channel="cli",
            link="",
            now=now,
        )

    def _execute(
        self,
        model: Model,
        mv: Any,
        *,
        action: str,
        target_key: str,
        stage: str,
        actor: str,
        approvers: list[tuple[str, str]],
        reason: str,
        request_id: str,
        channel: str,
        link: str,
        now: datetime,
    ) -> None:
        rc, name, number = self.rc, model.name, int(mv.version)
        current = model.holder(stage)
        metrics = dict(self.client.get_run(mv.run_id).data.metrics) if mv.run_id else {}
        by = self.policy.display(actor)
        approved = ", ".join(self.policy.display(a) for a, _ in approvers)
        # What each approver said, as promobot's event and description line carry it.
        notes = [(self.policy.display(a), said) for a, said in approvers]
        shown_reason = reason
        if action == "rollback":
            shown_reason = (
                f"rollback: {reason}"
                if reason
                else (f"rollback: from v{current}" if current else "rollback")
            )
        line = self._line(name, target_key, stage, (by, notes), shown_reason, metrics, now)
        at = state.format_time(now)

        # The new version in (the holder archived by the same call), the alias mirrored.
        rc.transition_model_version_stage(
            name, str(number), stage, archive_existing_versions=stage in ("Staging", "Production")
        )
        rc.set_registered_model_alias(name, stage.lower(), str(number))
        stale = [a for a in STAGE_ALIASES if a != stage.lower() and model.aliases.get(a) == number]
        for alias in stale:
            rc.delete_registered_model_alias(name, alias)
        new_tags = {
            "requested_by": by,
            "approved_by": approved,
            "promoted_to": stage,
            "promoted_at": at,
            "promotion_reason": shown_reason,
            "promotion_request": request_id,
            "promotion_channel": channel or "cli",
        }
        if link:
            new_tags["promotion_link"] = link
        for key, value in new_tags.items():
            rc.set_model_version_tag(name, str(number), key, value)
        # The tags of an earlier move out that the version read with the model still has
        # (promobot's pure helper picks the same keys; a fresh version has none).
        stale_tags = state.stale_tags({"link": link}, dict(mv.tags or {}))
        for key in stale_tags:
            rc.delete_model_version_tag(name, str(number), key)
        if current is not None:
            old_tags = {"replaced_by": f"v{number}", "archived_at": at, "archived_by": by}
            if action == "rollback":
                old_tags.update(
                    {"rolled_back_at": at, "rolled_back_by": by, "rollback_reason": reason}
                )
            for key, value in old_tags.items():
                rc.set_model_version_tag(name, str(current), key, value)
        description = mv.description or ""
        if line not in description.splitlines():
            text = f"{description.rstrip()}\n{line}" if description.strip() else line
            rc.update_model_version(name, str(number), description=text)
        event = {
            "kind": action,
            "target_key": target_key,
            "target_label": stage,
            "version": number,
            "previous": current,
            "by": by,
            "actor": actor,
            "approved_by": approved,
            "comments": [{"by": who, "comment": said} for who, said in notes if said],
            "at": at,
            "reason": shown_reason,
            "request": request_id,
            "channel": channel or "cli",
            # promobot's event also carries what the execution writes (it doubles as the
            # execution's intent); the floor leaves the same tag behind.
            "target_kind": "stage",
            "target_name": stage,
            "link": link,
            "line": line,
            "stale_aliases": stale,
        }
        if action == "rollback":
            event["rollback_reason"] = reason
        event["stale_tags"] = stale_tags
        rc.set_registered_model_tag(name, state.event_key(now, request_id), dumps(event))
        rc.set_registered_model_tag(
            name,
            state.state_key(request_id),
            dumps({"state": "done", "by": approved or by, "at": at, "detail": line}),
        )

    def _line(
        self,
        name: str,
        target_key: str,
        label: str,
        people: tuple[str, list[tuple[str, str]]],
        reason: str,
        metrics: dict[str, float],
        now: datetime,
    ) -> str:
        """promobot's own pure description-line builder: the same bytes."""
        rules = self.policy.rules_for(name)
        rule = rules.targets.get(target_key) if rules else None
        gated = [g.metric for g in rule.metrics] if rule else []
        return state.description_line(now, label, people, reason, metrics, gated)


def _model(rm: Any) -> Model:
    return Model(
        name=rm.name,
        tags=dict(rm.tags or {}),
        aliases={k: int(v) for k, v in (rm.aliases or {}).items()},
        latest={mv.current_stage: mv for mv in rm.latest_versions or []},
    )


def _holder(mv: Any) -> tuple[int, str, str, str]:
    tags = mv.tags or {}
    return (
        int(mv.version),
        tags.get("promoted_at", ""),
        tags.get("requested_by", ""),
        tags.get("approved_by", ""),
    )
