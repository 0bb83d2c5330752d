"""How promobot's tag values are written (bot/core/state/codec.py): compact JSON objects
with sorted keys, and ISO-8601 UTC times to the second; what cannot be read is nothing,
never an exception."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta, timezone

import pytest

from bot.core.state.codec import dumps, format_time, loads, maybe_time, parse_time

AT = datetime(2026, 11, 25, 10, 2, 3, tzinfo=UTC)


def test_an_object_is_written_compact_with_its_keys_sorted_and_text_as_is() -> None:
    assert dumps({"b": 1, "a": "é", "c": [1, None]}) == '{"a":"é","b":1,"c":[1,null]}'


@pytest.mark.parametrize(
    ("value", "read"),
    [
        ('{"a":1}', {"a": 1}),
        (None, {}),
        ("", {}),
        ("{not json", {}),
        ("[1, 2]", {}),
        ('"text"', {}),
    ],
    ids=["object", "none", "empty", "malformed", "a-list", "a-string"],
)
def test_loads_reads_an_object_or_nothing(value: str | None, read: dict[str, object]) -> None:
    assert loads(value) == read


def test_a_time_is_written_in_utc_to_the_second() -> None:
    berlin = datetime(2026, 11, 25, 11, 2, 3, 999_999, tzinfo=timezone(timedelta(hours=1)))
    assert format_time(berlin) == "2026-11-25T10:02:03Z"


@pytest.mark.parametrize(
    "text",
    ["2026-11-25T10:02:03Z", "2026-11-25T10:02:03", "2026-11-25T11:02:03+01:00"],
    ids=["z", "naive-is-utc", "offset"],
)
def test_parse_time_reads_every_way_it_was_written_as_the_same_instant(text: str) -> None:
    parsed = parse_time(text)
    assert parsed == AT and parsed.tzinfo is not None


def test_parse_time_refuses_what_is_not_a_time() -> None:
    with pytest.raises(ValueError):
        parse_time("yesterday")


@pytest.mark.parametrize(
    ("value", "read"),
    [("2026-11-25T10:02:03Z", AT), (None, None), ("", None), (0, None), ("nonsense", None)],
    ids=["time", "none", "empty", "zero", "nonsense"],
)
def test_maybe_time_is_a_time_or_none(value: object, read: datetime | None) -> None:
    assert maybe_time(value) == read


def test_what_is_written_reads_back() -> None:
    assert parse_time(format_time(AT)) == AT
    assert loads(dumps({"at": format_time(AT)})) == {"at": "2026-11-25T10:02:03Z"}
