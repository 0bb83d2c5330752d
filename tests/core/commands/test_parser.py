"""The command parser: text in, a typed command or a reply out (docs/contract.md, "Commands")."""

from __future__ import annotations

import re
from datetime import timedelta

import pytest

from bot.core.commands import (
    COMMANDS,
    HELP,
    USAGE,
    Approve,
    Command,
    Deny,
    Help,
    History,
    Lock,
    ParseResult,
    PolicyExplain,
    Promote,
    Rollback,
    Status,
    Target,
    Unlock,
    VersionSpec,
    help_text,
    parse,
    parse_comment,
)

M = "sentiment-classifier"
STAGING = Target("stage", "Staging")
PRODUCTION = Target("stage", "Production")
ARCHIVED = Target("stage", "Archived")
CHAMPION = Target("alias", "champion")


def number(value: str) -> VersionSpec:
    return VersionSpec("number", value)


def alias(name: str) -> VersionSpec:
    return VersionSpec("alias", name)


def stage(name: str) -> VersionSpec:
    return VersionSpec("stage", name)


LATEST = VersionSpec("latest", "latest")

# (id, text, the command parse must return)
GOOD: list[tuple[str, str, Command]] = [
    # --- promote: the README example and every version form
    (
        "promote-readme-example",
        f"promote {M} v3 production passed shadow test, F1 0.89",
        Promote(M, number("3"), PRODUCTION, "passed shadow test, F1 0.89"),
    ),
    ("version-v3", "promote m v3 staging", Promote("m", number("3"), STAGING)),
    ("version-V3-upper", "promote m V3 staging", Promote("m", number("3"), STAGING)),
    ("version-bare-number", "promote m 3 staging", Promote("m", number("3"), STAGING)),
    ("version-leading-zeros", "promote m v007 staging", Promote("m", number("7"), STAGING)),
    ("version-bare-leading-zeros", "promote m 0012 staging", Promote("m", number("12"), STAGING)),
    (
        "version-18-digits",
        "promote m v123456789012345678 staging",
        Promote("m", number("123456789012345678"), STAGING),
    ),
    (
        "version-18-digits-after-zeros",
        "promote m 000123456789012345678 staging",
        Promote("m", number("123456789012345678"), STAGING),
    ),
    ("version-latest", "promote m latest staging", Promote("m", LATEST, STAGING)),
    ("version-LATEST-upper", "promote m LATEST staging", Promote("m", LATEST, STAGING)),
    (
        "version-alias",
        "promote m @challenger @champion",
        Promote("m", alias("challenger"), CHAMPION),
    ),
    (
        "version-alias-upper",
        "promote m @Challenger production",
        Promote("m", alias("challenger"), PRODUCTION),
    ),
    (
        "version-stage-mirror-alias",
        "promote m @staging production",
        Promote("m", alias("staging"), PRODUCTION),
    ),
    ("version-stage", "promote m staging production", Promote("m", stage("Staging"), PRODUCTION)),
    (
        "version-stage-upper",
        "promote m STAGING Production",
        Promote("m", stage("Staging"), PRODUCTION),
    ),
    (
        "version-stage-production",
        "promote m production archived",
        Promote("m", stage("Production"), ARCHIVED),
    ),
    # --- every target form
    ("target-staging", "promote m v1 staging", Promote("m", number("1"), STAGING)),
    ("target-production", "promote m v1 production", Promote("m", number("1"), PRODUCTION)),
    ("target-archived", "promote m v1 archived", Promote("m", number("1"), ARCHIVED)),
    ("target-mixed-case", "promote m v1 PrOdUcTiOn", Promote("m", number("1"), PRODUCTION)),
    ("target-alias", "promote m v1 @champion", Promote("m", number("1"), CHAMPION)),
    ("target-alias-upper", "promote m v1 @CHAMPION", Promote("m", number("1"), CHAMPION)),
    (
        "target-alias-underscore-dash",
        "promote m v1 @shadow_eu-2",
        Promote("m", number("1"), Target("alias", "shadow_eu-2")),
    ),
    (
        "target-alias-digit-first",
        "promote m v1 @2024q1",
        Promote("m", number("1"), Target("alias", "2024q1")),
    ),
    (
        "target-alias-64-chars",
        "promote m v1 @" + "a" * 64,
        Promote("m", number("1"), Target("alias", "a" * 64)),
    ),
    (
        "target-alias-not-reserved-vx",
        "promote m v1 @v2b",
        Promote("m", number("1"), Target("alias", "v2b")),
    ),
    # --- model names keep their case; the allowed alphabet
    (
        "model-keeps-case",
        "promote Sentiment.Classifier_2-b v1 staging",
        Promote("Sentiment.Classifier_2-b", number("1"), STAGING),
    ),
    ("model-digit-first", "promote 3d-model v1 staging", Promote("3d-model", number("1"), STAGING)),
    ("model-256-chars", f"status {'m' * 256}", Status("m" * 256)),
    (
        "model-named-like-stage",
        "promote production v1 staging",
        Promote("production", number("1"), STAGING),
    ),
    # --- reasons keep case, punctuation and quotes; whitespace collapses to one space
    (
        "reason-punctuation",
        "promote m v3 production Fixes #42: F1 0.89 (+0.02), p95 < 80ms; \"ok\" 'yes' 50% @bob",
        Promote(
            "m",
            number("3"),
            PRODUCTION,
            "Fixes #42: F1 0.89 (+0.02), p95 < 80ms; \"ok\" 'yes' 50% @bob",
        ),
    ),
    (
        "reason-collapses-whitespace",
        "promote m v3 production  a \t b   c ",
        Promote("m", number("3"), PRODUCTION, "a b c"),
    ),
    (
        "reason-unicode",
        "promote m v3 production ✅ größer — passt",
        Promote("m", number("3"), PRODUCTION, "✅ größer — passt"),
    ),
    (
        "reason-lone-dashes",
        "promote m v3 production -- urgent -> now -1",
        Promote("m", number("3"), PRODUCTION, "-- urgent -> now -1"),
    ),
    (
        "reason-more-lines",
        "promote m v3 production shadow ok\nsecond line\r\n  third line  \n",
        Promote("m", number("3"), PRODUCTION, "shadow ok\nsecond line\n  third line"),
    ),
    (
        "reason-only-on-later-lines",
        "promote m v3 production\n\nLong story.",
        Promote("m", number("3"), PRODUCTION, "Long story."),
    ),
    (
        "reason-later-lines-keep-flag-text",
        "promote m v3 production\n--dry-run is not a flag here",
        Promote("m", number("3"), PRODUCTION, "--dry-run is not a flag here"),
    ),
    # --- --dry-run anywhere after the command word
    (
        "dry-run-end",
        "promote m v3 production ok --dry-run",
        Promote("m", number("3"), PRODUCTION, "ok", True),
    ),
    (
        "dry-run-first",
        "promote --dry-run m v3 production ok",
        Promote("m", number("3"), PRODUCTION, "ok", True),
    ),
    (
        "dry-run-middle-of-reason",
        "promote m v3 production ok --dry-run then",
        Promote("m", number("3"), PRODUCTION, "ok then", True),
    ),
    (
        "dry-run-upper",
        "promote m v3 production --DRY-RUN",
        Promote("m", number("3"), PRODUCTION, "", True),
    ),
    (
        "dry-run-twice",
        "promote m v3 production --dry-run --dry-run",
        Promote("m", number("3"), PRODUCTION, "", True),
    ),
    (
        "dry-run-em-dash",
        "promote m v3 production —dry-run",
        Promote("m", number("3"), PRODUCTION, "", True),
    ),
    (
        "dry-run-en-dash",
        "promote m v3 production –dry-run",
        Promote("m", number("3"), PRODUCTION, "", True),
    ),
    # --- promote without a version (a pull request's door fills it in)
    ("pr-promote-target-only", "promote m production", Promote("m", None, PRODUCTION)),
    (
        "pr-promote-with-reason",
        "promote m staging shadow test passed",
        Promote("m", None, STAGING, "shadow test passed"),
    ),
    (
        "pr-promote-alias",
        "promote m @champion great results",
        Promote("m", None, CHAMPION, "great results"),
    ),
    (
        "pr-promote-dry-run",
        "promote m --dry-run production",
        Promote("m", None, PRODUCTION, "", True),
    ),
    (
        "pr-promote-reason-word-product",
        "promote m production product launch",
        Promote("m", None, PRODUCTION, "product launch"),
    ),
    # --- rollback forms
    ("rollback-bare", f"rollback {M}", Rollback(M, PRODUCTION, default_target=True)),
    ("rollback-target", "rollback m staging", Rollback("m", STAGING)),
    ("rollback-alias", "rollback m @champion", Rollback("m", CHAMPION)),
    # The stages' aliases parse as aliases: the registry decides whether they may be
    # targets (tests/core/service/test_registry_kind.py).
    (
        "rollback-stage-alias",
        "rollback m @production",
        Rollback("m", Target("alias", "production")),
    ),
    (
        "promote-stage-alias",
        "promote m v3 @production",
        Promote("m", number("3"), Target("alias", "production")),
    ),
    (
        "rollback-to",
        "rollback m to v2",
        Rollback("m", PRODUCTION, number("2"), default_target=True),
    ),
    (
        "rollback-TO-upper",
        "rollback m TO 2",
        Rollback("m", PRODUCTION, number("2"), default_target=True),
    ),
    (
        "rollback-target-to-reason",
        "rollback m production to v2 bad latency",
        Rollback("m", PRODUCTION, number("2"), "bad latency"),
    ),
    (
        "rollback-alias-to-number-reason",
        "rollback m @champion to 4 reason",
        Rollback("m", CHAMPION, number("4"), "reason"),
    ),
    (
        "rollback-to-stage",
        "rollback m to staging",
        Rollback("m", PRODUCTION, stage("Staging"), default_target=True),
    ),
    (
        "rollback-to-alias",
        "rollback m production to @challenger",
        Rollback("m", PRODUCTION, alias("challenger")),
    ),
    (
        "rollback-to-latest",
        "rollback m to latest",
        Rollback("m", PRODUCTION, LATEST, default_target=True),
    ),
    (
        "rollback-reason-only",
        "rollback m latency doubled at 03:00",
        Rollback("m", PRODUCTION, None, "latency doubled at 03:00", default_target=True),
    ),
    (
        "rollback-later-to-is-reason",
        "rollback m due to latency",
        Rollback("m", PRODUCTION, None, "due to latency", default_target=True),
    ),
    (
        "rollback-dry-run",
        "rollback m --dry-run staging to v1 test",
        Rollback("m", STAGING, number("1"), "test", True),
    ),
    (
        "rollback-multiline-reason",
        "rollback m\npaged at 3am",
        Rollback("m", PRODUCTION, None, "paged at 3am", default_target=True),
    ),
    # --- approve / deny
    ("approve", "approve req-7f3a2c", Approve("req-7f3a2c")),
    ("approve-upper-id", "approve REQ-7F3A2C", Approve("req-7f3a2c")),
    (
        "approve-comment",
        "approve req-7f3a2c Looks good! F1 0.89",
        Approve("req-7f3a2c", "Looks good! F1 0.89"),
    ),
    ("approve-32-hex", "approve req-" + "ab" * 16, Approve("req-" + "ab" * 16)),
    (
        "approve-comment-lines",
        "approve req-7f3a2c ok\nchecked the dashboards",
        Approve("req-7f3a2c", "ok\nchecked the dashboards"),
    ),
    ("deny", "deny req-7f3a2c", Deny("req-7f3a2c")),
    (
        "deny-reason",
        "deny req-7f3a2c accuracy dropped, see #12",
        Deny("req-7f3a2c", "accuracy dropped, see #12"),
    ),
    # --- status / history / policy
    ("status", f"status {M}", Status(M)),
    ("status-extra-lines-ignored", "status m\nthanks!", Status("m")),
    ("history-default-limit", "history m", History("m", 20)),
    ("history-limit-space", "history m --limit 5", History("m", 5)),
    ("history-limit-equals", "history m --limit=5", History("m", 5)),
    ("history-limit-before-model", "history --limit 7 m", History("m", 7)),
    ("history-limit-1", "history m --limit 1", History("m", 1)),
    ("history-limit-1000", "history m --limit 1000", History("m", 1000)),
    ("history-limit-leading-zero", "history m --limit 050", History("m", 50)),
    ("history-limit-upper", "history m --LIMIT 3", History("m", 3)),
    ("policy", f"policy {M}", PolicyExplain(M)),
    # --- lock / unlock
    ("lock-every-target", f"lock {M}", Lock(M, None)),
    ("lock-target", f"lock {M} production", Lock(M, PRODUCTION)),
    (
        "lock-target-reason-for",
        f"lock {M} Production incident 4711 --for 2h",
        Lock(M, PRODUCTION, "incident 4711", timedelta(hours=2)),
    ),
    ("lock-alias", "lock m @Champion", Lock("m", CHAMPION)),
    (
        "lock-reason-without-target",
        "lock m quarter-end close",
        Lock("m", None, "quarter-end close"),
    ),
    ("lock-for-equals", "lock m --for=1h30m", Lock("m", None, "", timedelta(minutes=90))),
    ("lock-for-first", "lock --for 1d m staging", Lock("m", STAGING, "", timedelta(days=1))),
    ("lock-for-upper", "lock m --FOR 45M", Lock("m", None, "", timedelta(minutes=45))),
    ("lock-for-em-dash", "lock m x —for 30s", Lock("m", None, "x", timedelta(seconds=30))),
    ("lock-for-365d", "lock m --for 365d", Lock("m", None, "", timedelta(days=365))),
    (
        "lock-extra-lines",
        "lock m production\nsee the incident",
        Lock("m", PRODUCTION, "see the incident"),
    ),
    ("unlock-every-target", "unlock m", Unlock("m", None)),
    ("unlock-target", "unlock m @champion", Unlock("m", CHAMPION)),
    # --- help
    ("help", "help", Help("")),
    ("help-topic", "help promote", Help("promote")),
    ("help-topic-upper", "help ROLLBACK", Help("rollback")),
    ("help-topic-slash", "help /approve", Help("approve")),
    ("help-help", "help help", Help("help")),
    ("help-extra-words-ignored", "help history please", Help("history")),
    ("help-flag", "promote --help", Help("promote")),
    ("help-flag-wins-over-errors", "history m --limit 0 --help", Help("history")),
    # --- leniency: slash, promobot prefix, case, whitespace
    ("leading-slash", "/promote m v3 production", Promote("m", number("3"), PRODUCTION)),
    ("promobot-prefix", "promobot status m", Status("m")),
    (
        "slash-promobot-prefix",
        "/promobot rollback m",
        Rollback("m", PRODUCTION, default_target=True),
    ),
    ("promobot-then-slash-command", "promobot /status m", Status("m")),
    ("promobot-alone", "promobot help", Help("")),
    ("command-word-upper", "PROMOTE m v3 Production", Promote("m", number("3"), PRODUCTION)),
    ("surrounding-whitespace", "  \n\t status \t m  \n", Status("m")),
    ("tabs-between-words", "promote\tm\tv3\tstaging", Promote("m", number("3"), STAGING)),
]


@pytest.mark.parametrize(
    ("text", "expected"), [(t, e) for _, t, e in GOOD], ids=[i for i, _, _ in GOOD]
)
def test_good_input_parses_to_the_command(text: str, expected: Command) -> None:
    assert parse(text) == ParseResult(command=expected)


# (id, text, a phrase the reply must contain)
BAD: list[tuple[str, str, str]] = [
    # --- empty and unknown
    ("empty", "", "No command given."),
    ("whitespace", " \n\t ", "`promote <model> <version> <target> [reason…] [--dry-run]`"),
    ("slash-only", "/", "No command given."),
    ("promobot-only", "promobot", "`help [command]`"),
    ("unknown-command", "deploy m", "Unknown command `deploy`."),
    ("unknown-command-lists-commands", "deploy m", "`rollback <model> [<target>] [to <version>]"),
    ("unknown-command-did-you-mean", "promot m v3 production", "Did you mean `promote`?"),
    ("unknown-command-try", "promot m v3 production", "Try: `promote m v3 production`"),
    ("unknown-command-rollbak", "rollbak m", "Did you mean `rollback`?"),
    ("unknown-command-non-ascii", "prоmote m v3 staging", "Unknown command"),  # Cyrillic о
    # --- targets
    (
        "target-typo",
        "promote m v3 prodution",
        "`prodution` is not a target. Did you mean `production`?",
    ),
    (
        "target-typo-hint",
        "promote m v3 prodution",
        "Targets are staging, production, archived or an alias like @champion.",
    ),
    ("target-typo-try", "promote m v3 prodution", "Try: `promote m v3 production`"),
    (
        "target-typo-try-keeps-reason",
        "promote m v3 prodution ok --dry-run",
        "Try: `promote m v3 production ok --dry-run`",
    ),
    ("target-abbreviation", "promote m v3 prod", "Did you mean `production`?"),
    ("target-stage-word", "promote m v3 stage", "Did you mean `staging`?"),
    ("target-unknown", "promote m v3 moon", "`moon` is not a target. Targets are"),
    ("target-missing", "promote m v3", "`promote m v3` is missing the target"),
    (
        "target-missing-usage",
        "promote m latest",
        "Usage: `promote <model> <version> <target> [reason…] [--dry-run]`",
    ),
    ("target-empty-alias", "promote m v3 @", "`@` needs an alias name"),
    ("target-alias-reserved-latest", "promote m v3 @latest", "`@latest` cannot be an alias"),
    ("target-alias-reserved-vN", "promote m v3 @V7", "`@v7` cannot be an alias"),
    ("target-alias-bad-char", "promote m v3 @champ!on", "`@champ!on` is not a valid alias."),
    ("target-alias-too-long", "promote m v3 @" + "a" * 65, "is not a valid alias"),
    ("target-alias-leading-dash", "promote m v3 @-x", "start with a letter or digit"),
    ("target-alias-non-ascii", "promote m v3 @\u212aey", "is not a valid alias"),  # Kelvin sign
    ("pr-promote-typo-second-target", "promote m staging prodution", "Did you mean `production`?"),
    (
        "pr-promote-typo-second-try",
        "promote m staging prodution",
        "Try: `promote m staging production`",
    ),
    ("pr-promote-bad-alias-second", "promote m production @latest", "`@latest` cannot be an alias"),
    (
        "pr-promote-version-after-target",
        "promote m production v3",
        "The version comes before the target",
    ),
    (
        "pr-promote-version-after-target-try",
        "promote m production v3 ok",
        "Try: `promote m v3 production ok`",
    ),
    # --- versions
    ("version-zero", "promote m 0 staging", "versions start at 1"),
    ("version-v0", "promote m v0 staging", "`v0` is not a version: versions start at 1."),
    ("version-zeros", "promote m v000 staging", "versions start at 1"),
    ("version-negative", "promote m -1 staging", "`-1` is not a version: versions start at 1."),
    ("version-v-negative", "promote m v-2 staging", "versions start at 1"),
    (
        "version-19-digits",
        "promote m 1234567890123456789 staging",
        "the version number is too large",
    ),
    ("version-huge", "promote m v" + "9" * 5000 + " staging", "the version number is too large"),
    (
        "version-typo",
        "promote m lastest staging",
        "`lastest` is not a version. Did you mean `latest`?",
    ),
    ("version-typo-try", "promote m lastest staging", "Try: `promote m latest staging`"),
    ("version-dotted", "promote m v3.1 staging", "`v3.1` is not a version."),
    ("version-hint", "promote m three staging", "Versions are `v3` or `3`, `latest`"),
    ("version-non-ascii-digits", "promote m ٣ staging", "is not a version"),
    ("version-alias-reserved", "promote m @latest production", "Did you mean `latest`?"),
    ("version-alias-reserved-vN-try", "promote m @v3 production", "Try: `promote m v3 production`"),
    ("version-empty-alias", "promote m @ production", "`@` needs an alias name"),
    (
        "version-and-target-missing",
        "promote m",
        "`promote` needs a version and a target after `m`.",
    ),
    # --- model names
    ("model-missing", "promote", "`promote` needs a model name."),
    ("model-missing-status", "status", "`status` needs a model name."),
    ("model-percent", "promote m%20x v3 staging", "`%` is not allowed"),
    ("model-quote", 'status "m"', '`"` is not allowed'),
    ("model-single-quote", "status m'--", "`'` is not allowed"),
    ("model-sql", "status m';DROP", "`'` is not allowed"),
    ("model-colon", "status models:/m", "`:` is not allowed"),
    ("model-slash", "status team/m", "`/` is not allowed"),
    ("model-backtick", "status m`x", "the backtick is not allowed"),
    ("model-non-ascii", "status modèle", "`è` (U+00E8) is not allowed"),
    ("model-invisible", "status m\u200bx", "the invisible character U+200B is not allowed"),
    ("model-nul", "status m\x00x", "the invisible character U+0000 is not allowed"),
    ("model-at-sign", "status @m", "`@` is not allowed"),
    ("model-dot-dot", "status a..b", "`..` is not allowed"),
    ("model-leading-dot", "status .m", "it starts with `.`"),
    ("model-leading-dash", "status -m", "it starts with `-`"),
    ("model-too-long", "status " + "m" * 257, "it is 257 characters long"),
    ("model-rule", "status m!", "Model names use letters, digits, `.`, `_` and `-`"),
    ("model-usage", "rollback m! to v2", "Usage: `rollback <model> [<target>] [to <version>]"),
    # --- rollback
    ("rollback-to-missing-version", "rollback m to", "`to` needs a version after it."),
    ("rollback-target-to-missing-version", "rollback m staging to", "`to` needs a version"),
    ("rollback-to-bad-version", "rollback m to v0", "versions start at 1"),
    ("rollback-to-typo", "rollback m to lates", "Did you mean `latest`?"),
    (
        "rollback-typo-target",
        "rollback m stagin",
        "`stagin` is not a target. Did you mean `staging`?",
    ),
    ("rollback-typo-target-try", "rollback m stagin bad", "Try: `rollback m staging bad`"),
    ("rollback-abbreviated-target", "rollback m stage", "Did you mean `staging`?"),
    ("rollback-bad-alias", "rollback m @latest", "`@latest` cannot be an alias"),
    ("rollback-version-without-to", "rollback m v2", "write `to` before it"),
    (
        "rollback-version-without-to-try",
        "rollback m production 2 slow",
        "Try: `rollback m production to 2 slow`",
    ),
    ("rollback-models-missing", "rollback", "`rollback` needs a model name."),
    # --- request ids
    ("approve-missing-id", "approve", "`approve` needs the request id."),
    ("approve-bad-id", "approve 42", "`42` is not a request id."),
    ("approve-bad-id-form", "approve 42", "`approve req-7f3a2c91bd`"),
    ("deny-bad-id-form", "deny req-xyz123", "`deny req-7f3a2c91bd`"),
    ("approve-short-id", "approve req-7f3a2", "is not a request id"),
    ("approve-long-id", "approve req-" + "a" * 33, "is not a request id"),
    ("approve-missing-prefix", "approve 7f3a2c lgtm", "Did you mean `req-7f3a2c`?"),
    ("approve-missing-prefix-try", "approve 7f3a2c lgtm", "Try: `approve req-7f3a2c lgtm`"),
    ("approve-underscore", "approve req_7f3a2c", "is not a request id"),
    # --- status, policy, history shape
    (
        "status-extra-words",
        "status m production",
        "`status` takes only a model name; `production` is extra.",
    ),
    ("status-extra-try", "status m production", "Try: `status m`"),
    ("policy-extra-words", "policy check policies/", "`policy` takes only a model name"),
    ("history-bare-number", "history m 5", "Try: `history m --limit 5`"),
    ("history-extra-words", "history m and more", "`history` takes one model name"),
    (
        "history-limit-zero",
        "history m --limit 0",
        "`--limit` must be a whole number from 1 to 1000, not `0`.",
    ),
    ("history-limit-too-big", "history m --limit 1001", "from 1 to 1000"),
    ("history-limit-huge", "history m --limit=" + "9" * 5000, "from 1 to 1000"),
    ("history-limit-negative", "history m --limit -5", "not `-5`"),
    ("history-limit-word", "history m --limit ten", "not `ten`"),
    ("history-limit-float", "history m --limit 2.5", "not `2.5`"),
    ("history-limit-empty-equals", "history m --limit=", "not empty"),
    ("history-limit-missing", "history m --limit", "`--limit` needs a number"),
    ("history-limit-followed-by-flag", "history --limit --dry-run m", "`--limit` needs a number"),
    ("history-limit-twice", "history m --limit 5 --limit 6", "`--limit` is given twice."),
    # --- flags
    (
        "unknown-flag",
        "promote m v3 production --force",
        "`--force` is not a flag of `promote`; it takes `--dry-run`.",
    ),
    ("flag-typo", "promote m v3 production --dryrun", "Did you mean `--dry-run`?"),
    (
        "flag-typo-try",
        "promote m v3 production --dryrun",
        "Try: `promote m v3 production --dry-run`",
    ),
    ("flag-limit-on-promote", "promote m v3 production --limit 5", "it takes `--dry-run`"),
    (
        "flag-dry-run-on-history",
        "history m --dry-run",
        "`--dry-run` is not a flag of `history`; it takes `--limit`.",
    ),
    ("flag-on-approve", "approve req-7f3a2c --dry-run", "which takes no flags"),
    ("flag-on-status", "status m --verbose", "`--verbose` is not a flag of `status`"),
    (
        "flag-dry-run-with-value",
        "promote m v3 production --dry-run=yes",
        "`--dry-run` takes no value.",
    ),
    (
        "flag-equals-shown-without-value",
        "rollback m --force=yes",
        "`--force` is not a flag of `rollback`",
    ),
    # --- lock / unlock
    ("lock-no-model", "lock", "`lock` needs a model name."),
    ("lock-bad-model", "lock ../etc production", "is not a valid model name"),
    ("lock-target-typo", "lock m prodution x", "Try: `lock m production x`"),
    ("lock-short-target", "lock m prod", "Did you mean `production`?"),
    ("lock-bad-alias", "lock m @latest", "MLflow reserves"),
    ("lock-for-nonsense", "lock m --for soon", "`--for` takes a duration such as `30m`"),
    ("lock-for-words", "lock m --for two hours", "not `two`"),
    ("lock-for-negative", "lock m --for -2h", "not `-2h`"),
    ("lock-for-order", "lock m --for 30m2h", "in that order"),
    ("lock-for-zero", "lock m --for 0h", "is no time at all"),
    ("lock-for-too-long", "lock m --for 366d", "longer than 365 days"),
    ("lock-for-missing", "lock m production --for", "`--for` needs a duration"),
    ("lock-for-twice", "lock m --for 1h --for 2h", "`--for` is given twice."),
    ("lock-dry-run", "lock m --dry-run", "it takes `--for`."),
    ("unlock-extra", "unlock m production now", "Try: `unlock m production`"),
    ("unlock-for", "unlock m --for 1h", "`--for` is not a flag of `unlock`, which takes no flags"),
    ("unlock-no-model", "unlock", "`unlock` needs a model name."),
    # --- help
    ("help-unknown-topic", "help deploy", "There is no command `deploy`."),
    ("help-topic-typo", "help promot", "Try: `help promote`"),
]


@pytest.mark.parametrize(
    ("text", "phrase"), [(t, p) for _, t, p in BAD], ids=[i for i, _, _ in BAD]
)
def test_bad_input_gets_a_reply_saying_what_is_wrong(text: str, phrase: str) -> None:
    result = parse(text)
    assert result.command is None
    assert result.ignore is False
    assert result.reply is not None
    assert phrase in result.reply


@pytest.mark.parametrize("text", [t for _, t, _ in BAD], ids=[i for i, _, _ in BAD])
def test_every_reply_ends_with_what_to_type(text: str) -> None:
    reply = parse(text).reply
    assert reply is not None
    usage = [f"Usage: `{line}`" for line in USAGE.values()]
    assert reply.splitlines()[-1] in usage or "Commands:\n  `promote" in reply


def test_target_typo_reply_reads_like_the_design() -> None:
    assert parse("promote m v3 prodution").reply == (
        "`prodution` is not a target. Did you mean `production`? Targets are staging, "
        "production, archived or an alias like @champion.\n"
        "Try: `promote m v3 production`\n"
        "Usage: `promote <model> <version> <target> [reason…] [--dry-run]`"
    )


@pytest.mark.parametrize(
    "text",
    [
        "status m`x",
        "promote m v3 `prod`",
        "deploy `rm -rf`",
        "promote m v3 produ`tion ok`",
        "help `x`",
    ],
    ids=["backtick-model", "backtick-target", "backtick-command", "backtick-typo", "backtick-help"],
)
def test_user_backticks_cannot_break_the_code_quoting(text: str) -> None:
    reply = parse(text).reply
    assert reply is not None
    for line in reply.splitlines():
        assert line.count("`") % 2 == 0, line


def test_long_echoes_are_shortened_but_long_reasons_kept_whole() -> None:
    reply = parse("status " + "x" * 300).reply
    assert reply is not None
    assert "x" * 100 not in reply
    reason = "r" * 200_000
    assert parse(f"promote m v3 production {reason}") == ParseResult(
        command=Promote("m", number("3"), PRODUCTION, reason)
    )


def test_usage_lines_follow_the_grammar() -> None:
    assert list(USAGE) == list(COMMANDS)
    assert USAGE == {
        "promote": "promote <model> <version> <target> [reason…] [--dry-run]",
        "rollback": "rollback <model> [<target>] [to <version>] [reason…] [--dry-run]",
        "approve": "approve <request-id> [comment…]",
        "deny": "deny <request-id> [reason…]",
        "status": "status <model>",
        "history": "history <model> [--limit N]",
        "policy": "policy <model>",
        "lock": "lock <model> [<target>] [reason…] [--for DURATION]",
        "unlock": "unlock <model> [<target>]",
        "help": "help [command]",
    }


@pytest.mark.parametrize("command", COMMANDS, ids=list(COMMANDS))
def test_help_of_each_command_has_two_to_four_lines_and_an_example_that_parses(
    command: str,
) -> None:
    lines = HELP[command].splitlines()
    assert 2 <= len(lines) <= 4
    example = re.fullmatch(r"Example: `([^`]+)`", lines[-1])
    assert example is not None
    parsed = parse(example.group(1))
    assert parsed.command is not None, parsed.reply
    assert help_text(command) == f"Usage: `{USAGE[command]}`\n{HELP[command]}"


@pytest.mark.parametrize("topic", ["", "nonsense", "  "], ids=["empty", "unknown", "blank"])
def test_overall_help_lists_every_command(topic: str) -> None:
    text = help_text(topic)
    for command in COMMANDS:
        assert f"`{USAGE[command]}`" in text


@pytest.mark.parametrize(
    "topic", ["PROMOTE", "/promote", " promote "], ids=["upper", "slash", "spaces"]
)
def test_help_text_topic_is_lenient(topic: str) -> None:
    assert help_text(topic) == help_text("promote")


# ---- GitHub comments: only a first line starting with a comment word is a command ----------

# (id, comment body, the command it is; None: it is addressed to promobot but gets a reply)
COMMENTS: list[tuple[str, str, Command | None]] = [
    ("promote", "/promote m v3 staging", Promote("m", number("3"), STAGING)),
    ("upper-case-word", "/PROMOTE m v3 staging", Promote("m", number("3"), STAGING)),
    ("leading-blank-lines", "\n  \n/status m", Status("m")),
    (
        "prose-after-first-line",
        "/deny req-7f3a2c no\nsee the thread",
        Deny("req-7f3a2c", "no\nsee the thread"),
    ),
    ("promobot-word", "/promobot history m --limit 5", History("m", 5)),
    ("promobot-help", "/promobot help promote", Help("promote")),
    (
        "lock",
        "/lock m production incident --for 2h",
        Lock("m", PRODUCTION, "incident", timedelta(hours=2)),
    ),
    ("unlock", "/UNLOCK m", Unlock("m", None)),
    ("word-needs-more", "/approve", None),
    ("promobot-alone", "/promobot", None),
    ("promobot-unknown-command", "/promobot deploy m", None),
]

# (id, comment body) of comments that are none of promobot's business
IGNORED: list[tuple[str, str]] = [
    ("empty", ""),
    ("blank", "  \n\t\n"),
    ("prose", "Looks good to me!"),
    ("command-on-second-line", "Looks good!\n/promote m v3 staging"),
    ("command-mid-line", "thanks /promote m v3 staging"),
    ("no-slash", "promote m v3 staging"),
    ("near-word", "/promotes m"),
    ("help-is-not-a-comment-word", "/help"),
    ("unknown-slash-word", "/deploy m"),
    ("quoted-command", "> /promote m v3 staging"),
]


@pytest.mark.parametrize(
    ("body", "expected"), [(b, e) for _, b, e in COMMENTS], ids=[i for i, _, _ in COMMENTS]
)
def test_a_comment_starting_with_a_command_word_is_parsed(
    body: str, expected: Command | None
) -> None:
    result = parse_comment(body)
    assert result == parse(body)
    assert result.ignore is False
    assert result.command == expected
    assert (result.reply is None) == (expected is not None)


@pytest.mark.parametrize("body", [b for _, b in IGNORED], ids=[i for i, _ in IGNORED])
def test_any_other_comment_is_ignored_silently(body: str) -> None:
    assert parse_comment(body) == ParseResult(ignore=True)
