"""A version's card: what a newly registered version is, and what may be asked for it next.

The webhook door (an MLflow `model_version.created` delivery) calls `announce`; the card
is also a plain query (`card`). Facts only: where the version came from (its run and the
git tags CI registration writes), its metrics against the version in Production, and
every target of the model's policy entry it does not hold yet, in policy order.
"""

from __future__ import annotations

from bot.core import events
from bot.core.results import CardResult, NextStep
from bot.core.service.common import Context, Deps, holder
from bot.core.service.deciding import metric_rows
from bot.core.service.drift import target_of_key
from bot.core.service.proposal import Reads
from bot.core.service.registry_kind import serving as serving_target

# Who announces a version: MLflow told promobot about it (no person acted).
ANNOUNCER = Context(actor="promobot", channel="mlflow")
# The version tags of CI registration (docs/contract.md) that the card shows.
CARD_TAGS = ("git_commit", "git_branch", "git_pull_request", "ci_run_url")


class Cards:
    def __init__(self, deps: Deps) -> None:
        self.deps = deps

    def card(self, model: str, number: int | str) -> CardResult | None:
        """The card of version `number` of `model` (action `registered`), or None when no
        policy entry names the model or MLflow has no such version.

        `extra` holds `run_id`, the card tags (empty when the version lacks them),
        `production_version` (None when nothing is in Production) and `next_targets`
        (target keys, in policy order); `next_steps` the promote command of each."""
        rules = self.deps.policy.rules_for(model)
        version_number = _number(number)
        if rules is None or version_number is None:
            return None
        registry = self.deps.registry
        info = registry.get_model(model)
        if info is None:
            return None
        reads = Reads(registry)
        version = reads.version(info, version_number)
        if version is None:
            return None
        serving = serving_target(self.deps.policy)
        production = holder(info, serving)
        compared = production if production != version.version else None
        rows = metric_rows(reads, info, rules.targets.get(serving.key), version, compared)
        next_targets = [
            key for key in rules.targets if holder(info, target_of_key(key)) != version.version
        ]
        return CardResult(
            model=model,
            version=version.version,
            metrics=tuple(rows),
            extra={
                "run_id": version.run_id,
                **{key: version.tags.get(key, "") for key in CARD_TAGS},
                "production_version": compared,
                "production_label": serving.label,
                "next_targets": next_targets,
            },
            next_steps=tuple(
                NextStep(
                    who="someone who may ask for it",
                    command=f"promote {model} v{version.version} {key}",
                    click=f"Promote to {target_of_key(key).label}",
                )
                for key in next_targets
            ),
        )

    def announce(
        self, model: str, number: int | str, ctx: Context = ANNOUNCER
    ) -> CardResult | None:
        """The card, published as `version_registered` for the notifiers (the Slack
        announcer posts it in the model's channel); None, and nothing published, when
        there is no card."""
        card = self.card(model, number)
        if card is None:
            return None
        self.deps.publish(events.VERSION_REGISTERED, card, ctx)
        return card


def _number(value: int | str) -> int | None:
    """A version number as a delivery may carry it ("5" or 5); None unless positive."""
    try:
        number = int(str(value).strip().lstrip("vV"))
    except ValueError:
        return None
    return number if number > 0 else None
