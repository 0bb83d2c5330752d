"""Property-based fuzzing of the parser: no input raises, every reply says what to type."""

from __future__ import annotations

import re

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from bot.core.commands import COMMANDS, Help, ParseResult, parse, parse_comment
from bot.core.commands.vocabulary import COMMENT_WORDS

FUZZ = settings(max_examples=300, deadline=None, suppress_health_check=[HealthCheck.too_slow])
CODE = re.compile(r"`[^`\n]+`")

MODEL_CHARS = "abcXYZ019._-"
STAGE_WORDS = ["staging", "production", "archived", "Staging", "PRODUCTION", "prodution", "prod"]
VERSION_WORDS = ["v3", "V3", "3", "007", "0", "v0", "-1", "latest", "LATEST", "lastest", "v3.1"]
ALIASES = ["@champion", "@Challenger", "@", "@latest", "@v2", "@production", "@bad!", "@a-b_c"]
FLAGS = ["--dry-run", "--DRY-RUN", "—dry-run", "--limit", "--limit=5", "--limit=0", "--force"]
NOISE = ["to", "TO", "req-7f3a2c", "7f3a2c", "req-zz", "promobot", "--", "-->", "`", "\x00", "é"]

models = st.one_of(
    st.text(alphabet=MODEL_CHARS, min_size=1, max_size=20),
    st.sampled_from(["sentiment-classifier", "m", "a..b", ".m", "m%x", "m'--", "x" * 300]),
    st.text(max_size=10).filter(lambda s: s.strip() != "" and not any(c.isspace() for c in s)),
)
words = st.one_of(
    st.sampled_from(STAGE_WORDS + VERSION_WORDS + ALIASES + FLAGS + NOISE),
    st.integers(min_value=-5, max_value=10**20).map(str),
    st.text(max_size=12),
    models,
)
command_words = st.one_of(
    st.sampled_from(COMMANDS),
    st.sampled_from([c.upper() for c in COMMANDS]),
    st.sampled_from(["promot", "rollbak", "aprove", "stat", "hist", "/promote", "deploy"]),
)
separators = st.sampled_from([" ", "  ", "\t", " \t "])


@st.composite
def near_valid_commands(draw: st.DrawFn) -> str:
    """A command word, a model, then a mix of versions, targets, flags and noise."""
    prefix = draw(st.sampled_from(["", "/", "promobot ", "/promobot ", "  "]))
    parts = [draw(command_words), draw(models), *draw(st.lists(words, max_size=7))]
    sep = draw(separators)
    line = prefix + sep.join(parts)
    trailer = draw(st.one_of(st.just(""), st.text(max_size=30).map(lambda t: "\n" + t)))
    return line + trailer


good_models = st.from_regex(
    r"[A-Za-z0-9][A-Za-z0-9_-]{0,15}(\.[A-Za-z0-9_-]{1,8})?", fullmatch=True
)
good_versions = st.sampled_from(
    ["v3", "V12", "4", "0042", "latest", "Latest", "@champion", "staging"]
)
good_targets = st.sampled_from(["staging", "Production", "ARCHIVED", "@champion", "@shadow_2"])
reason_words = st.lists(st.sampled_from(["ok", "F1", "0.89,", "(+2%)", "#42", "Ünïcode", "to"]))
request_ids = st.sampled_from(["req-7f3a2c", "REQ-ABCDEF12", "req-" + "0" * 32])


def maybe(strategy: st.SearchStrategy[str], good: st.SearchStrategy[str]) -> st.SearchStrategy[str]:
    """Mostly a well-formed word, sometimes anything from the wider pool."""
    return st.one_of(good, good, good, strategy)


@st.composite
def grammar_commands(draw: st.DrawFn) -> str:
    """Commands shaped by the grammar, each word usually valid, so both outcomes occur."""
    command = draw(st.sampled_from(COMMANDS))
    model = draw(maybe(models, good_models))
    if command == "promote":
        body = [model, draw(maybe(words, good_versions)), draw(maybe(words, good_targets))]
        body += draw(reason_words)
    elif command == "rollback":
        body = [model]
        if draw(st.booleans()):
            body.append(draw(maybe(words, good_targets)))
        if draw(st.booleans()):
            body += ["to", draw(maybe(words, good_versions))]
        body += draw(reason_words)
    elif command in ("approve", "deny"):
        body = [draw(maybe(words, request_ids)), *draw(reason_words)]
    elif command == "history":
        limit = st.integers(min_value=-1, max_value=1001).map(str)
        body = [
            model,
            *draw(st.sampled_from([[], ["--limit", draw(limit)], [f"--limit={draw(limit)}"]])),
        ]
    elif command == "help":
        body = draw(st.lists(st.sampled_from([*COMMANDS, "nope"]), max_size=1))
    else:
        body = [model]
    if command in ("promote", "rollback") and draw(st.booleans()):
        body.insert(draw(st.integers(0, len(body))), "--dry-run")
    return " ".join([command, *body])


def check(result: ParseResult) -> None:
    assert isinstance(result, ParseResult)
    assert (result.command is None) != (result.reply is None)
    assert result.ignore is False
    if result.reply is not None:
        assert isinstance(result.reply, str)
        assert result.reply.strip()
        assert CODE.search(result.reply), result.reply
        # Every door sends UTF-8: the reply must never carry a lone surrogate from input.
        result.reply.encode("utf-8")
        for line in result.reply.splitlines():
            assert line.count("`") % 2 == 0, line


def assert_safe_model(result: ParseResult) -> None:
    # A model name that gets through reaches MLflow: it is always in the safe alphabet.
    model = getattr(result.command, "model", None)
    if model is not None:
        assert re.fullmatch(r"[A-Za-z0-9][A-Za-z0-9._-]{0,255}", model)
        assert ".." not in model


@FUZZ
@given(st.text())
def test_arbitrary_text_never_raises(text: str) -> None:
    check(parse(text))


@FUZZ
@given(
    st.text(
        alphabet=st.one_of(
            st.characters(codec=None, exclude_categories=()),
            st.characters(min_codepoint=0xD800, max_codepoint=0xDFFF),
            st.sampled_from("\x00\x1c\x85\u2028\u200b\u202e\r\n\t `@"),
        ),
        max_size=80,
    )
)
def test_any_code_point_including_surrogates_and_controls(text: str) -> None:
    check(parse("promote " + text))
    check(parse(text))


@FUZZ
@given(near_valid_commands())
def test_near_valid_commands_never_raise(text: str) -> None:
    result = parse(text)
    check(result)
    assert_safe_model(result)


@FUZZ
@given(grammar_commands())
def test_grammar_shaped_commands_never_raise(text: str) -> None:
    result = parse(text)
    check(result)
    assert_safe_model(result)


@FUZZ
@given(st.sampled_from(COMMANDS), st.text(min_size=1, max_size=20))
def test_help_flag_always_gives_help(command: str, rest: str) -> None:
    result = parse(f"{command} {rest} --help")
    if "\n" not in rest and "\r" not in rest:
        assert result == ParseResult(command=Help(command))
    else:
        check(result)


@settings(max_examples=5, deadline=None)
@given(st.sampled_from(["promote m v3 production ", "approve req-7f3a2c ", "status ", ""]))
def test_huge_inputs(prefix: str) -> None:
    for filler in ("x" * 200_000, "\x00" * 200_000, "9" * 200_000, "é " * 100_000):
        check(parse(prefix + filler))


comment_bodies = st.one_of(
    st.text(),
    st.builds(
        lambda lead, body: lead + body,
        st.sampled_from(["", "\n", "  ", "> ", "thanks ", "\u2028", "\x0c"]),
        near_valid_commands(),
    ),
)


@FUZZ
@given(comment_bodies)
def test_a_comment_is_ignored_exactly_when_its_first_word_is_no_command_word(body: str) -> None:
    result = parse_comment(body)
    lines = body.strip().splitlines()
    first = lines[0].split()[:1] if lines else []
    assert result.ignore is not (bool(first) and first[0].lower() in COMMENT_WORDS)
    if result.ignore:
        assert result == ParseResult(ignore=True)
    else:
        check(result)
