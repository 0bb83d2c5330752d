"""The words of a command line (bot/core/commands/words.py): model names, versions,
targets, aliases and request ids, each read into its value or refused with why and the
word to put in its place."""

from __future__ import annotations

import pytest

from bot.core.commands import Target, VersionSpec
from bot.core.commands.context import Bad, Ctx, Invalid
from bot.core.commands.words import (
    is_plain_version,
    looks_like_target,
    lower_ascii,
    model_problem,
    read_target,
    read_version,
    request_id,
    suggest,
)

MODEL_RULE = (
    "Model names use letters, digits, `.`, `_` and `-`, start with a letter or digit, "
    "contain no `..` and are at most 256 characters."
)
TARGETS = "Targets are staging, production, archived or an alias like @champion."
VERSIONS = (
    "Versions are `v3` or `3`, `latest`, an alias like `@champion`, or a stage such as `staging`."
)
RESERVED = "cannot be an alias: MLflow reserves `latest` and `v<number>` for versions."
STAGES = ("staging", "production", "archived")


@pytest.mark.parametrize(
    "name",
    ["sentiment-classifier", "fraud_v2.1", "A", "a" * 256],
    ids=["dashes", "dots-underscores", "one-letter", "longest"],
)
def test_a_good_model_name_has_no_problem(name: str) -> None:
    assert model_problem(name) is None


@pytest.mark.parametrize(
    ("name", "shown", "why"),
    [
        ("a" * 257, f"`{'a' * 59}…`", "it is 257 characters long"),
        ("m/x", "`m/x`", "`/` is not allowed"),
        ("m é", "`m é`", "` ` is not allowed"),
        ("mé", "`mé`", "`é` (U+00E9) is not allowed"),
        ("-m", "`-m`", "it starts with `-`"),
        ("_m", "`_m`", "it starts with `_`"),
        ("a..b", "`a..b`", "`..` is not allowed"),
    ],
    ids=["too-long", "slash", "space", "non-ascii", "dash-first", "underscore-first", "dot-dot"],
)
def test_a_bad_model_name_says_what_is_wrong_and_the_rule(name: str, shown: str, why: str) -> None:
    assert model_problem(name) == f"{shown} is not a valid model name: {why}. {MODEL_RULE}"


@pytest.mark.parametrize(
    ("word", "read"),
    [
        ("production", Target("stage", "Production")),
        ("PRODUCTION", Target("stage", "Production")),
        ("Staging", Target("stage", "Staging")),
        ("archived", Target("stage", "Archived")),
        ("@Champion", Target("alias", "champion")),
        ("@shadow-2", Target("alias", "shadow-2")),
        ("@production", Target("alias", "production")),
        ("@latest", Bad(f"`@latest` {RESERVED} {TARGETS}")),
        ("@v3", Bad(f"`@v3` {RESERVED} {TARGETS}")),
        ("@", Bad("`@` needs an alias name after it, like `@champion`.")),
        (
            "@bad!",
            Bad(
                "`@bad!` is not a valid alias. Alias names use letters, digits, `_` and `-`, "
                "start with a letter or digit and are at most 64 characters."
            ),
        ),
        (
            "prod",
            Bad(f"`prod` is not a target. Did you mean `production`? {TARGETS}", "production"),
        ),
        ("stagin", Bad(f"`stagin` is not a target. Did you mean `staging`? {TARGETS}", "staging")),
        ("foo", Bad(f"`foo` is not a target. {TARGETS}")),
    ],
    ids=[
        "stage",
        "stage-upper-case",
        "stage-capitalised",
        "archived",
        "alias-lower-cased",
        "alias-with-dash",
        "mirrored-alias",
        "reserved-latest",
        "reserved-v-number",
        "bare-at",
        "bad-alias",
        "abbreviation",
        "typo",
        "unknown",
    ],
)
def test_read_target(word: str, read: Target | Bad) -> None:
    assert read_target(word) == read


@pytest.mark.parametrize(
    ("word", "read"),
    [
        ("v3", VersionSpec("number", "3")),
        ("3", VersionSpec("number", "3")),
        ("V03", VersionSpec("number", "3")),
        ("1" * 18, VersionSpec("number", "1" * 18)),
        ("latest", VersionSpec("latest", "latest")),
        ("LATEST", VersionSpec("latest", "latest")),
        ("staging", VersionSpec("stage", "Staging")),
        ("@Champion", VersionSpec("alias", "champion")),
        (
            "@latest",
            Bad(f"`@latest` {RESERVED} Did you mean `latest`?", "latest"),
        ),
        ("v0", Bad("`v0` is not a version: versions start at 1.")),
        ("0", Bad("`0` is not a version: versions start at 1.")),
        ("-1", Bad("`-1` is not a version: versions start at 1.")),
        ("v-2", Bad("`v-2` is not a version: versions start at 1.")),
        (
            "1" * 19,
            Bad(
                f"`{'1' * 19}` is not a version: the version number is too large "
                "(at most 18 digits)."
            ),
        ),
        (
            "lastest",
            Bad(f"`lastest` is not a version. Did you mean `latest`? {VERSIONS}", "latest"),
        ),
        ("x", Bad(f"`x` is not a version. {VERSIONS}")),
    ],
    ids=[
        "v-number",
        "bare-number",
        "leading-zero",
        "18-digits",
        "latest",
        "latest-upper-case",
        "stage",
        "alias",
        "reserved-alias-means-the-word",
        "v0",
        "zero",
        "negative",
        "negative-v",
        "19-digits",
        "typo",
        "unknown",
    ],
)
def test_read_version(word: str, read: VersionSpec | Bad) -> None:
    assert read_version(word) == read


def approve(words: str) -> Ctx:
    return Ctx("approve", words.split(), "")


def test_a_request_id_is_read_lower_cased() -> None:
    assert request_id(approve("REQ-7F3A2C91BD looks good")) == "req-7f3a2c91bd"


@pytest.mark.parametrize(
    ("words", "problem", "try_line"),
    [
        (
            "7f3a2c91bd ok",
            "`7f3a2c91bd` is not a request id. Did you mean `req-7f3a2c91bd`?",
            "approve req-7f3a2c91bd ok",
        ),
        (
            "req-xyz",
            "`req-xyz` is not a request id. A request id is `req-` and 6 to 32 hex digits, "
            "as shown in the request message, e.g. `approve req-7f3a2c91bd`.",
            None,
        ),
        (
            "",
            "`approve` needs the request id. A request id is `req-` and 6 to 32 hex digits, "
            "as shown in the request message, e.g. `approve req-7f3a2c91bd`.",
            None,
        ),
    ],
    ids=["bare-hex", "not-hex", "missing"],
)
def test_a_bad_request_id_is_refused_with_what_to_type(
    words: str, problem: str, try_line: str | None
) -> None:
    with pytest.raises(Invalid) as raised:
        request_id(approve(words))
    assert (raised.value.problem, raised.value.try_line) == (problem, try_line)


@pytest.mark.parametrize(
    ("word", "choices", "meant"),
    [
        ("prod", STAGES, "production"),
        ("PRD", STAGES, "production"),
        ("stg", STAGES, "staging"),
        ("archive", STAGES, "archived"),
        ("prodution", STAGES, "production"),
        ("prod", ("staging", "archived"), None),
        ("zzz", STAGES, None),
        ("p" * 65, ("p",), None),
    ],
    ids=[
        "abbreviation",
        "abbreviation-upper-case",
        "stg",
        "archive",
        "typo",
        "abbreviation-not-a-choice",
        "nothing-close",
        "too-long-to-be-a-typo",
    ],
)
def test_suggest(word: str, choices: tuple[str, ...], meant: str | None) -> None:
    assert suggest(word, choices) == meant


@pytest.mark.parametrize(
    ("word", "looks"),
    [("@x", True), ("stagin", True), ("prod", True), ("production", True), ("reason", False)],
    ids=["alias", "near-miss", "abbreviation", "stage", "prose"],
)
def test_looks_like_target(word: str, looks: bool) -> None:
    assert looks_like_target(word) is looks


@pytest.mark.parametrize(
    ("word", "plain"),
    [("v2", True), ("2", True), ("LATEST", True), ("@a", False), ("staging", False)],
    ids=["v-number", "number", "latest", "alias", "stage"],
)
def test_is_plain_version(word: str, plain: bool) -> None:
    assert is_plain_version(word) is plain


@pytest.mark.parametrize(
    ("word", "key"),
    [("PROMOTE", "promote"), ("PRÖMOTE", "PRÖMOTE"), ("\u212aelvin", "\u212aelvin")],
    ids=["ascii", "non-ascii-kept", "kelvin-sign-kept"],
)
def test_lower_ascii_lowers_only_ascii_words(word: str, key: str) -> None:
    assert lower_ascii(word) == key
