"""`promobot verify`: one verification pass, for cron or a scheduled workflow.

    promobot verify [--json]

Runs every due check of every running verification once and exits: 0 nothing failed,
1 a verification failed and was acted on (rolled back, or told), 3 MLflow unreachable.
Prometheus unreachable is no data, which each verification's `no_data` decides on;
never a traceback. `--json` prints `{"outcomes": [{"model", "target", "version",
"state", "detail", "rolled_back_to"}]}`.
"""

from __future__ import annotations

import json
import sys
from dataclasses import asdict
from typing import TYPE_CHECKING

from bot.core.ports.registry import RegistryError
from bot.doors.common import ExitCode
from bot.doors.setup import open_service, registry_failure

if TYPE_CHECKING:
    from bot.core.service.verification import VerifyOutcome

VERIFY_HELP = """\
usage: promobot verify [--json]

Run every due check of every running verification once (a version that took a target
whose rule has `verify:`), then exit. A version watched for its whole `for` without a
check failing `failures` times in a row is marked passed; one that fails is rolled back
to the version it replaced (on_failure: rollback) or told (on_failure: notify).
Run it from cron or a scheduled workflow as often as the shortest `every`;
`promobot serve` runs the same pass on its own (PROMOBOT_VERIFY_SECONDS).

Exit status: 0 nothing failed, 1 a verification failed and was acted on, 2 usage error,
3 MLflow unreachable.
"""


def outcome_line(o: VerifyOutcome) -> str:
    """`❌ m v2 on Production: failed: verification failed: …`, one verification's run."""
    icon = {"passed": "✅", "failed": "❌", "ended": "⏹"}.get(o.state, "🔎")
    return f"{icon} {o.model} v{o.version} on {o.target}: {o.state}: {o.detail}"


def run_verify(args: list[str], as_json: bool) -> int:
    if any(a in ("-h", "--help") for a in args):
        print(VERIFY_HELP, end="")
        return ExitCode.OK
    if args:
        print(f"promobot verify: unexpected {args[0]!r}", file=sys.stderr)
        print("Run `promobot verify --help` for the options.", file=sys.stderr)
        return ExitCode.USAGE

    service, failure = open_service()
    if service is None:
        return failure.report() if failure else ExitCode.USAGE
    try:
        report = service.verify()
    except RegistryError as exc:
        return registry_failure(exc, "promobot verify").report()
    if as_json:
        print(json.dumps({"outcomes": [asdict(o) for o in report.outcomes]}))
    else:
        for o in report.outcomes:
            print(outcome_line(o))
        print(f"verify: {len(report.outcomes)} verification(s) run, {len(report.failed)} failed")
    return ExitCode.REFUSED if report.failed else ExitCode.OK
