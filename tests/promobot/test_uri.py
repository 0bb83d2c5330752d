"""Which version a models:/ URI names, and which receipt must vouch for it
(promobot/uri.py)."""

from __future__ import annotations

import pytest

from promobot.refusals import UnapprovedModel
from promobot.uri import parse


@pytest.mark.parametrize(
    ("uri", "kind", "name", "target"),
    [
        ("models:/m/Production", "stage", "Production", "Production"),
        ("models:/m/production", "stage", "Production", "Production"),
        ("models:/m/STAGING", "stage", "Staging", "Staging"),
        ("models:/m/archived", "stage", "Archived", "Archived"),
        ("models:/m@production", "alias", "production", "Production"),
        ("models:/m@staging", "alias", "staging", "Staging"),
        ("models:/m@champion", "alias", "champion", "@champion"),
        ("models:/m@Production", "alias", "Production", "@Production"),
        ("models:/m/3", "version", "3", ""),
        ("models:/sentiment-classifier/12", "version", "12", ""),
    ],
)
def test_what_a_uri_names(uri: str, kind: str, name: str, target: str) -> None:
    wanted = parse(uri)
    assert (wanted.kind, wanted.name, wanted.target) == (kind, name, target)
    assert wanted.model in ("m", "sentiment-classifier")


@pytest.mark.parametrize(
    "uri",
    [
        "runs:/0123456789abcdef0123456789abcdef/model",
        "/srv/models/sentiment",
        "models:/",
        "models:/m",
        "models:/m/latest",
        "models:/m/0",
        "models:/m/v3",
        "models:/m-0123456789abcdef",
        "models:/m/Production/model.pkl",
        "models:/m@",
        "models:/@champion",
        "models:/m/x@champion",
        "",
        None,
        3,
    ],
)
def test_anything_else_is_a_bad_uri_saying_what_to_write(uri: object) -> None:
    with pytest.raises(UnapprovedModel) as caught:
        parse(uri)
    assert caught.value.reason == "bad-uri"
    assert "models:/<model>/<stage>" in str(caught.value)
    assert "models:/<model>@<alias>" in str(caught.value)


def test_a_mirrored_alias_is_vouched_for_by_its_stage_or_by_itself() -> None:
    from promobot.uri import parse

    assert parse("models:/m@production").targets == ("Production", "@production")
    assert parse("models:/m@champion").targets == ("@champion",)
    assert parse("models:/m/Production").targets == ("Production",)
    assert parse("models:/m/3").targets == ()
