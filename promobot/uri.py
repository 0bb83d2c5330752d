"""Which registered version a `models:/` URI names, and which receipt must vouch for it.

    models:/<model>/<stage>     staging, production, archived (any case): the stage's
                                newest version, as MLflow resolves it
    models:/<model>@<alias>     the version the alias points at
    models:/<model>/<version>   that version number

Anything else names no registered version (a run, a path, a logged model `models:/m-…`,
`latest`) and so no receipt can vouch for it.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from promobot.refusals import BAD_URI, UnapprovedModel
from promobot.signatures import STAGE_LABELS

SCHEME = "models:/"
STAGES = {label.lower(): label for label in STAGE_LABELS}
VERSION = re.compile(r"[1-9][0-9]{0,17}")
ALIAS = re.compile(r"[A-Za-z0-9_-][A-Za-z0-9_.-]*")
WRITE = (
    "write models:/<model>/<stage> (Staging, Production), models:/<model>@<alias> or "
    "models:/<model>/<version number>"
)


@dataclass(frozen=True)
class Wanted:
    """What a URI asks for: a stage, an alias or a version of a registered model."""

    model: str
    kind: str  # "stage" | "alias" | "version"
    name: str  # "Production", "champion", "3"

    @property
    def target(self) -> str:
        """The target label whose receipt vouches for the version: `Production` for a
        stage and for the alias promobot mirrors it to (`@production`), `@champion`
        for another alias; "" for a version number (any of its receipts may)."""
        if self.kind == "stage":
            return self.name
        if self.kind == "alias":
            return STAGES.get(self.name, f"@{self.name}")
        return ""

    @property
    def targets(self) -> tuple[str, ...]:
        """Every target label whose receipt may vouch for it: for `@production`, the
        Production stage's (promobot mirrors the stage to it) and, in a registry without
        stages (`registry: {stages: false}`), the `@production` alias's own."""
        target = self.target
        if self.kind == "alias" and target != f"@{self.name}":
            return (target, f"@{self.name}")
        return (target,) if target else ()


def parse(uri: object) -> Wanted:
    """The registered version `uri` names, or UnapprovedModel (bad-uri) saying what to
    write."""
    if not isinstance(uri, str) or not uri.startswith(SCHEME):
        shown = repr(uri) if not isinstance(uri, str) else f"`{_short(uri)}`"
        raise UnapprovedModel(BAD_URI, f"{shown} names no registered model version: {WRITE}")
    rest = uri[len(SCHEME) :].strip("/")
    if "@" in rest:
        model, _, alias = rest.partition("@")
        if model and "/" not in model and ALIAS.fullmatch(alias):
            return Wanted(model, "alias", alias)
    else:
        model, _, tail = rest.partition("/")
        if model and tail.lower() in STAGES:
            return Wanted(model, "stage", STAGES[tail.lower()])
        if model and VERSION.fullmatch(tail):
            return Wanted(model, "version", tail)
    raise UnapprovedModel(BAD_URI, f"`{_short(uri)}` names no registered model version: {WRITE}")


def _short(text: str) -> str:
    text = " ".join(text.split())
    return text if len(text) <= 120 else text[:119] + "…"
