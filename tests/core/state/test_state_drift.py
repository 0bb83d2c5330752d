"""A finding of drift and its sentence (bot/core/state/drift.py): the same words in status,
a refusal, history and an announcement; and what makes two findings the same drift."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest

from bot.core.results import NextStep
from bot.core.state.drift import Finding, describe

AT = datetime(2026, 11, 25, 10, 0, tzinfo=UTC)
BY = {"recorded_by": "bob@example.com", "recorded_at": AT}


@pytest.mark.parametrize(
    ("finding", "sentence"),
    [
        (
            Finding("m", "production", "Production", "outside", 1, 2, **BY),
            "Production holds v1, but promobot last put v2 there (bob@example.com, "
            "2026-11-25 10:00 UTC): it was changed outside promobot.",
        ),
        (
            Finding("m", "production", "Production", "outside", 1, 2),
            "Production holds v1, but promobot last put v2 there: it was changed outside promobot.",
        ),
        (
            Finding("m", "production", "Production", "outside", 1, None),
            "Production holds v1, but promobot never moved Production: it was set outside "
            "promobot.",
        ),
        (
            Finding("m", "production", "Production", "mirror", 1, 2),
            "Production holds v1 but its alias @production names nothing: "
            "`models:/m/Production` and `models:/m@production` load different things.",
        ),
        (
            Finding("m", "staging", "Staging", "mirror", None, 2, alias=3),
            "Staging holds nothing but its alias @staging names v3: "
            "`models:/m/Staging` and `models:/m@staging` load different things.",
        ),
        (
            Finding("m", "@champion", "@champion", "orphan", None, 2, **BY),
            "Nothing holds @champion, but promobot last put v2 there (bob@example.com, "
            "2026-11-25 10:00 UTC).",
        ),
        (
            Finding("m", "@champion", "@champion", "orphan", None, 2, recorded_at=AT),
            "Nothing holds @champion, but promobot last put v2 there.",
        ),
    ],
    ids=[
        "outside-with-who-and-when",
        "outside",
        "outside-never-moved-by-promobot",
        "mirror-alias-empty",
        "mirror-stage-empty",
        "orphan-with-who-and-when",
        "orphan-when-without-who-is-not-said",
    ],
)
def test_each_finding_is_one_sentence(finding: Finding, sentence: str) -> None:
    assert describe(finding) == sentence


def test_the_same_drift_has_the_same_signature_whoever_recorded_it_and_however_fixed() -> None:
    one = Finding("m", "production", "Production", "mirror", 1, 2, alias=3, **BY)
    fixes = (NextStep("a member of ml-leads", "rollback m production <reason>"),)
    same = Finding("m", "production", "Production", "mirror", 1, 2, alias=3, fixes=fixes)
    other = Finding("m", "production", "Production", "mirror", 1, 2, alias=4)
    assert one.signature == same.signature == "mirror:1:2:3"
    assert other.signature != one.signature


def test_a_finding_as_json_says_target_kind_holder_and_recorded() -> None:
    finding = Finding("m", "@champion", "@champion", "orphan", None, 2, **BY)
    assert finding.to_json() == {
        "target": "@champion",
        "kind": "orphan",
        "holder": None,
        "recorded": 2,
    }
