"""The Prometheus queries a policy writes (bot/core/policy/promql.py): only `{model}`,
`{version}` and `{target}`, only inside a quoted label value, and what is put in escaped
for the string it stands in, so nothing but the policy's author can change a query."""

from __future__ import annotations

import pytest

from bot.core.policy.promql import fill, query_problem

REGEX = (
    "stands in a regular-expression matcher (=~ or !~), where a `.` would match any "
    "character; match it exactly with = or !="
)


@pytest.mark.parametrize(
    ("query", "problem"),
    [
        pytest.param('x{model="{model}"}', None, id="label-value"),
        pytest.param("x{model='{model}', target='{target}'}", None, id="single-quotes"),
        pytest.param('sum by (le) (rate(x{v="{ version }"}[5m]))', None, id="spaces-inside"),
        pytest.param('x{model="{modle}"}', "`{modle}` is not a placeholder", id="unknown"),
        pytest.param('x{m="{env}"}', "`{env}` is not a placeholder", id="env"),
        pytest.param("x{model={model}}", "stands outside a quoted label value", id="unquoted"),
        pytest.param("x > {version}", "stands outside a quoted label value", id="bare-number"),
        pytest.param("{model}", "stands outside a quoted label value", id="whole-query"),
        pytest.param('x{model=~"{model}"}', "regular-expression matcher", id="regex"),
        pytest.param("x{model=`{model}`}", "backtick", id="backtick"),
        pytest.param("   ", "the query is empty", id="empty"),
        pytest.param("x" * 3000, "characters long", id="huge"),
    ],
)
def test_a_query_may_hold_only_the_three_placeholders_inside_quotes(
    query: str, problem: str | None
) -> None:
    found = query_problem(query)
    if problem is None:
        assert found is None
    else:
        assert found is not None and problem in found


@pytest.mark.parametrize(
    ("model", "expected"),
    [
        pytest.param("m", 'x{model="m",version="3"}', id="plain"),
        pytest.param(
            'a"} or vector(1) #', r'x{model="a\"} or vector(1) #",version="3"}', id="quote"
        ),
        pytest.param("a\\", r'x{model="a\\",version="3"}', id="backslash"),
        pytest.param("a\nb", r'x{model="a\nb",version="3"}', id="newline"),
    ],
)
def test_filling_escapes_for_the_string_literal_so_nothing_breaks_out(
    model: str, expected: str
) -> None:
    assert fill('x{model="{model}",version="{version}"}', model=model, version=3, target="p") == (
        expected
    )


def test_single_quoted_values_escape_the_single_quote() -> None:
    assert fill("x{m='{model}'}", model="a'b", version=1, target="p") == r"x{m='a\'b'}"


@pytest.mark.parametrize(
    ("query", "problem"),
    [
        ("", "the query is empty (write a PromQL expression)"),
        ("x" * 2001, "the query is 2,001 characters long (keep it under 2,000)"),
        (
            'x{m="{foo}"}',
            "`{foo}` is not a placeholder (the only ones are {model}, {version}, {target})",
        ),
        (
            "x{m={model}}",
            "`{model}` stands outside a quoted label value (write it inside quotes, e.g. "
            'model="{model}")',
        ),
        (
            "x{m=`{version}`}",
            '`{version}` stands in a backtick string, which cannot be escaped (use "…")',
        ),
        ('x{m=~"{model}"}', f"`{{model}}` {REGEX}"),
        ('x{m!~ "{target}"}', f"`{{target}}` {REGEX}"),
    ],
    ids=["empty", "too-long", "unknown", "unquoted", "backtick", "regex", "negated-regex-spaced"],
)
def test_a_refused_query_says_exactly_what_to_write_instead(query: str, problem: str) -> None:
    assert query_problem(query) == problem


@pytest.mark.parametrize(
    "query",
    [
        "up",
        'x{a="\\"{model}"}',
        'sum(x{m="{model}",v="{version}",t="{target}"})',
        "x" * 2000,
    ],
    ids=["no-placeholder", "after-an-escaped-quote", "all-three", "at-the-limit"],
)
def test_an_accepted_query(query: str) -> None:
    assert query_problem(query) is None


def test_every_placeholder_is_filled_the_version_as_its_number() -> None:
    query = 'sum(x{m="{model}",v="{ version }",t=\'{target}\'})'
    assert fill(query, model="m.v2", version=7, target="@champion") == (
        'sum(x{m="m.v2",v="7",t=\'@champion\'})'
    )


def test_a_carriage_return_is_written_escaped_too() -> None:
    assert fill('x{m="{model}"}', model="a\rb", version=1, target="p") == r'x{m="a\rb"}'
