"""`promobot audit`: drift on every governed model, for people and for a scheduled job.

    promobot audit [MODEL…] [--json]

One line per finding; exit 0 when clean, 1 when anything drifted (or a model named does
not exist), 3 when MLflow is unreachable. `--json` prints
`{"models_checked": N, "findings": [{"model", "target", "kind", "holder", "recorded"}]}`.
"""

from __future__ import annotations

import json
import sys

from bot.doors.common import ExitCode

AUDIT_HELP = """\
usage: promobot audit [MODEL…] [--json]

Compare what MLflow holds with what promobot last recorded, on every registered model
the policy names (or only those given): a holder changed outside promobot (outside), a
stage and its mirrored alias that disagree (mirror), a target emptied behind promobot's
back (orphan). Each finding comes with the commands that put it right.

Exit status: 0 nothing drifted, 1 something drifted (or a model given does not exist),
2 usage error, 3 MLflow unreachable.
"""


def run_audit(args: list[str], as_json: bool) -> int:
    if any(a in ("-h", "--help") for a in args):
        print(AUDIT_HELP, end="")
        return ExitCode.OK
    flags = [a for a in args if a.startswith("-")]
    if flags:
        print(f"promobot audit: unknown option {flags[0]!r}", file=sys.stderr)
        print("Run `promobot audit --help` for the options.", file=sys.stderr)
        return ExitCode.USAGE
    from bot.app import build_service
    from bot.config import load_settings
    from bot.policy import PolicyError
    from bot.ports import RegistryError
    from bot.render import drift_lines

    try:
        service = build_service(load_settings())
    except PolicyError as exc:
        print("The policy files are invalid; promobot stops here.", file=sys.stderr)
        for line in exc.problems:
            print(f"  {line}", file=sys.stderr)
        return ExitCode.REFUSED
    try:
        report = service.audit.audit(args)
    except RegistryError as exc:
        print(f"promobot audit: {exc}", file=sys.stderr)
        return ExitCode.UNAVAILABLE
    if as_json:
        findings = [{"model": f.model, **f.to_json()} for f in report.findings]
        print(json.dumps({"models_checked": report.models_checked, "findings": findings}))
    else:
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
    return ExitCode.OK if not report.findings and not report.unknown else ExitCode.REFUSED
