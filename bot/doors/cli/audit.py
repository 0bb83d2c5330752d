"""`promobot audit`: drift on every governed model, for people and for a scheduled job;
and `promobot audit export`: the audit trail, record by record, for auditors.

    promobot audit [MODEL…] [--repair] [--json]
    promobot audit export [MODEL…] [--since ISO-DATE] [--format jsonl|csv]

`audit`: one line per finding; where GITHUB_TOKEN is set, also one line per version
holding a target whose GitHub deployment record is missing (`--repair` sends each
missing one, once). Exit 0 when clean, 1 when anything drifted or a record is missing
(or a model named does not exist), 3 when MLflow is unreachable. `--json` prints
`{"models_checked": N, "findings": [{"model", "target", "kind", "holder", "recorded"}]}`,
with `deployments_missing` (and `deployments_repaired`) where GITHUB_TOKEN is set.

`audit export`: every request, approval, denial, expiry, failure, promotion and
rollback, oldest first, one record each, written as it is produced; exit 0 (even with
no records), 1 when a model named does not exist, 2 usage, 3 MLflow unreachable. The
records hold text people wrote (reasons, comments): a CSV cell never starts a formula
and a JSON line is one line for every line splitter (bot/core/neutral.py).
"""

from __future__ import annotations

import json
import sys
from datetime import UTC, datetime
from typing import TYPE_CHECKING, Any

from bot.core.ports.registry import RegistryError
from bot.core.service.trail import EVENTS, FIELDS
from bot.doors.common import ExitCode
from bot.doors.setup import open_service, registry_failure
from bot.render.ci import missing_deployment_line, repair_line
from bot.render.message import drift_lines
from bot.render.trail_export import write_records

if TYPE_CHECKING:
    from bot.core.service import Service

AUDIT_HELP = """\
usage: promobot audit [MODEL…] [--repair] [--json]
       promobot audit export [MODEL…] [--since ISO-DATE] [--format jsonl|csv]

audit: compare what MLflow holds with what promobot last recorded, on every registered
model the policy names (or only those given): a holder changed outside promobot
(outside), a stage and its mirrored alias that disagree (mirror), a target emptied
behind promobot's back (orphan). Each finding comes with the commands that put it right.
Where GITHUB_TOKEN is set it also lists the versions holding a target whose GitHub
deployment was never recorded (GitHub failed at the time); --repair sends each one, once.
Exit status: 0 nothing drifted and nothing missing, 1 something drifted or a deployment
record is missing (or a model given does not exist), 2 usage error, 3 MLflow unreachable.

audit export: write every request, approval, denial, expiry, failure, promotion and
rollback promobot recorded, oldest first, one record each, as JSON lines or CSV.
`promobot audit export --help` for its options and fields.
"""

EXPORT_HELP = """\
usage: promobot audit export [MODEL…] [--since ISO-DATE] [--format jsonl|csv]

Write the audit trail of every registered model the policy names (or only those given),
read from the registry alone: every request, approval, denial, expiry, failure,
promotion and rollback, oldest first across the models, one record each, to stdout as
they are produced.

Options:
  --since ISO-DATE   only records at or after it: a date (2026-11-25, midnight UTC) or a
                     date and time (2026-11-25T10:00:00Z; UTC unless it names an offset)
  --format FORMAT    jsonl (the default): one JSON object per line; csv: a header row,
                     then one row per record (RFC 4180 quoting)
  -h, --help         this help

Fields: {fields}.
event is one of {events}.

Exit status: 0 written (even when there is nothing to write), 1 a model given does not
exist (the others are still written) or the policy is invalid, 2 usage error, 3 MLflow
unreachable.
"""

FORMATS = ("jsonl", "csv")
NOT_GUARDED = (
    "the registry is not guarded ({why}): anyone with MLflow write access can act as "
    "anyone. docs/security.md says how to guard it."
)

NOT_SIGNED = (
    "promobot's records are not signed (PROMOBOT_SIGNING_KEY is not set): a record written "
    "straight into MLflow counts like promobot's own, and deployment code has no receipt "
    "to check. docs/security.md says how to set the keys."
)
# A reader (audit.yml, a laptop) with the public keys alone: what it checks is signed,
# and saying "not signed" there would be wrong; what it would write is the problem.
NOT_SIGNING_HERE = (
    "promobot signs nothing here (PROMOBOT_SIGNING_KEY is not set): records and receipts "
    "are checked against PROMOBOT_TRUSTED_KEYS, but what a command run here writes is "
    "unsigned and is not counted where keys are trusted. Set PROMOBOT_SIGNING_KEY where "
    'promobot carries out promotions (docs/contract.md, "Keys").'
)


def run_audit(args: list[str], as_json: bool) -> int:
    if args and args[0] == "export":
        return run_export(args[1:], as_json)
    if any(a in ("-h", "--help") for a in args):
        print(AUDIT_HELP, end="")
        return ExitCode.OK
    repair = "--repair" in args
    args = [a for a in args if a != "--repair"]
    flags = [a for a in args if a.startswith("-")]
    if flags:
        print(f"promobot audit: unknown option {flags[0]!r}", file=sys.stderr)
        print("Run `promobot audit --help` for the options.", file=sys.stderr)
        return ExitCode.USAGE

    service, failure = open_service()
    if service is None:
        return failure.report() if failure else ExitCode.USAGE
    try:
        report = service.drift_scan.scan(args)
        repaired, missing = _deployment_records(service, args, repair)
        guard = service.drift_scan.guard()
    except RegistryError as exc:
        return registry_failure(exc, "promobot audit").report()
    if not guard.guarded:
        print(f"⚠ {NOT_GUARDED.format(why=guard.why)}", file=sys.stderr)
    if not service.signs():
        print(f"⚠ {NOT_SIGNING_HERE if service.verifies() else NOT_SIGNED}", file=sys.stderr)
    if as_json:
        findings = [{"model": f.model, **f.to_json()} for f in report.findings]
        out: dict[str, Any] = {"models_checked": report.models_checked, "findings": findings}
        if service.records_deployments():  # else the object is only the drift's
            out["deployments_missing"] = [m.to_json() for m in missing]
        if repair:
            out["deployments_repaired"] = [r.to_json() for r in repaired]
        print(json.dumps(out))
    else:
        _print_deployments(repaired, missing)
        for name in report.unknown:
            print(f"{name}: there is no registered model of that name in MLflow")
        for finding in report.findings:
            first, *rest = drift_lines([finding])
            print(f"{finding.model}: {first}")
            for line in rest:
                print(f"{' ' * len(finding.model)}  {line.strip()}")
        clean = not report.findings and not report.unknown
        word = "model" if report.models_checked == 1 else "models"
        verdict = "nothing drifted" if clean else f"{len(report.findings)} finding(s)"
        print(f"audit: {report.models_checked} {word} checked, {verdict}")
    clean = not report.findings and not report.unknown and not missing
    return ExitCode.OK if clean else ExitCode.REFUSED


def _deployment_records(service: Service, models: list[str], repair: bool) -> tuple[Any, Any]:
    """(what --repair sent, the deployment records still missing), where GitHub
    deployments are recorded at all (GITHUB_TOKEN set); else nothing to say."""
    if not service.records_deployments():
        return [], []
    repaired = service.repair_deployments(models) if repair else []
    return repaired, service.missing_deployments(models)


def _print_deployments(repaired: Any, missing: Any) -> None:

    for done in repaired:
        print(repair_line(done))
    for gap in missing:
        print(f"⚠ {missing_deployment_line(gap)}")


# ---- audit export ------------------------------------------------------------------------


def run_export(args: list[str], as_json: bool) -> int:
    if any(a in ("-h", "--help") for a in args):
        print(EXPORT_HELP.format(fields=", ".join(FIELDS), events=", ".join(EVENTS)), end="")
        return ExitCode.OK
    options, problem = export_options(args, as_json)
    if problem:
        print(f"promobot audit export: {problem}", file=sys.stderr)
        print("Run `promobot audit export --help` for the options.", file=sys.stderr)
        return ExitCode.USAGE
    models, since, fmt = options

    service, failure = open_service()
    if service is None:
        return failure.report() if failure else ExitCode.USAGE
    try:
        trail = service.export.trail(models, since)
        written = write_records(trail, fmt, sys.stdout)
    except RegistryError as exc:
        return registry_failure(exc, "promobot audit export").report()
    for name in trail.unknown:
        print(f"{name}: there is no registered model of that name in MLflow", file=sys.stderr)
    word = "model" if trail.models_read == 1 else "models"
    print(f"audit export: {written} record(s) from {trail.models_read} {word}", file=sys.stderr)
    return ExitCode.REFUSED if trail.unknown else ExitCode.OK


Options = tuple[list[str], datetime | None, str]


def export_options(args: list[str], as_json: bool) -> tuple[Options, str]:
    """The models, --since and --format of `audit export`, or the usage problem."""
    models: list[str] = []
    values: dict[str, str] = {}
    words = iter(args)
    for word in words:
        name, eq, value = word.partition("=")
        if name in ("--since", "--format"):
            if not eq:
                value = next(words, "")
            if not value or value.startswith("--"):
                return ([], None, ""), f"{name} needs a value, e.g. {_EXAMPLE[name]}"
            values[name] = value
        elif word.startswith("-"):
            return ([], None, ""), f"unknown option {word!r}"
        else:
            models.append(word)
    fmt = values.get("--format", "").lower() or "jsonl"
    if fmt not in FORMATS:
        return ([], None, ""), f"--format is jsonl or csv, not {values['--format']!r}"
    if as_json and fmt != "jsonl":
        return ([], None, ""), "--json asks for JSON lines and --format csv for CSV: give one"
    since = None
    if "--since" in values:
        since = parse_since(values["--since"])
        if since is None:
            return ([], None, ""), (
                f"--since takes an ISO date or date and time, e.g. `--since 2026-11-25` "
                f"or `--since 2026-11-25T10:00:00Z` (UTC unless it names an offset); "
                f"{values['--since']!r} is neither"
            )
    return (models, since, fmt), ""


_EXAMPLE = {"--since": "`--since 2026-11-25`", "--format": "`--format csv`"}


def parse_since(text: str) -> datetime | None:
    """An ISO date (midnight UTC) or date and time (UTC unless it names an offset)."""
    try:
        at = datetime.fromisoformat(text.strip())
    except ValueError:
        return None
    return at if at.tzinfo else at.replace(tzinfo=UTC)
