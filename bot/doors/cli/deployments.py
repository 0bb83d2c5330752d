"""`promobot deployments check|repair [MODEL…]`: the GitHub deployment records of
promotions, from the terminal or a scheduled job (docs/contract.md, "Deployment
records"). A thin door over the service's use case; `promobot audit` (and `audit
--repair`) are to take these over.

Exit status: 0 nothing missing; 1 something missing (check) or was missing and is now
recorded (repair); 2 usage or set-up (repair without GITHUB_TOKEN); 3 MLflow, or GitHub
for a repair, unreachable or failing (what could not be sent stays missing).
"""

from __future__ import annotations

import json
import sys
from typing import TYPE_CHECKING

from bot.core.policy import Policy
from bot.core.ports.registry import RegistryError
from bot.core.results import envelope
from bot.doors.common import ExitCode, registry_exit
from bot.doors.setup import open_service, open_settings
from bot.render.ci import missing_deployment_line, repair_line

if TYPE_CHECKING:
    from bot.core.service import Service

HELP = """\
promobot deployments: the GitHub deployment record of every promotion.

Usage:
  promobot deployments check [MODEL…] [--json]    list the versions whose deployment is missing
  promobot deployments repair [MODEL…] [--json]   send each missing deployment, once

A version registered by CI (tags git_repository and git_commit) that holds a target
through promobot has a GitHub deployment of its commit to the environment
<model>/<target>. One is missing when it was never sent (no GITHUB_TOKEN where it was
promoted) or GitHub failed; without MODEL, every model is checked.

Environment: MLFLOW_TRACKING_URI; GITHUB_TOKEN (repair: deployments: write),
GITHUB_API_URL (default GitHub's), PROMOBOT_MLFLOW_UI_URL.
Exit status: 0 nothing missing; 1 missing (check) or repaired (repair); 2 usage, or
repair without GITHUB_TOKEN; 3 MLflow or GitHub unreachable.
"""

SUBCOMMANDS = ("check", "repair")


def run_deployments(args: list[str], as_json: bool) -> int:
    if not args or args[0] in ("-h", "--help") or any(a in ("-h", "--help") for a in args):
        print(HELP)
        return ExitCode.OK if args else ExitCode.USAGE
    sub, models = args[0], args[1:]
    flags = [m for m in models if m.startswith("-")]
    if sub not in SUBCOMMANDS or flags:
        what = f"unknown option {flags[0]!r}" if flags else f"unknown subcommand {sub!r}"
        return _usage(f"promobot deployments: {what} (check or repair, then model names)", as_json)

    settings, failure = open_settings()
    if settings is None:
        return failure.report(as_json) if failure else ExitCode.USAGE
    if sub == "repair" and not (settings.github_token and settings.github_token.get_secret_value()):
        return _usage(
            "promobot deployments repair: GITHUB_TOKEN is not set; it needs a token that "
            "may write deployments (deployments: write) in the versions' repositories",
            as_json,
        )
    # The records need no policy: nothing here is decided, only what was carried out.
    service, failure = open_service(settings, Policy(people={}, groups={}, models=()))
    if service is None:
        return failure.report(as_json) if failure else ExitCode.USAGE
    try:
        if sub == "check":
            return _check(service, models, as_json)
        return _repair(service, models, as_json)
    except RegistryError as exc:
        code = registry_exit(exc)
        status = "refused" if code == ExitCode.REFUSED else "error"
        return _emit(status, [], {}, as_json, code, str(exc))


def _check(service: Service, models: list[str], as_json: bool) -> int:

    found = service.deployment_check(models)
    lines = [missing_deployment_line(m) for m in found.missing]
    lines += [f"{name}: there is no registered model of that name" for name in found.unknown]
    data = {"missing": [m.to_json() for m in found.missing], "unknown": found.unknown}
    if not lines:
        return _emit("done", [], data, as_json, ExitCode.OK, "No GitHub deployment is missing.")
    headline = f"{len(found.missing)} GitHub deployment(s) missing:"
    return _emit("refused", lines, data, as_json, ExitCode.REFUSED, headline)


def _repair(service: Service, models: list[str], as_json: bool) -> int:

    repairs = service.repair_deployments(models)
    data = {"repaired": [r.to_json() for r in repairs]}
    if not repairs:
        return _emit("done", [], data, as_json, ExitCode.OK, "No GitHub deployment is missing.")
    lines = [repair_line(r) for r in repairs]
    if any(not r.recorded and not r.skipped for r in repairs):
        headline = "Some GitHub deployments are still missing:"
        return _emit("error", lines, data, as_json, ExitCode.UNAVAILABLE, headline)
    headline = f"{sum(r.recorded for r in repairs)} GitHub deployment(s) recorded:"
    return _emit("done", lines, data, as_json, ExitCode.REFUSED, headline)


def _emit(
    status: str,
    lines: list[str],
    data: dict[str, object],
    as_json: bool,
    code: ExitCode,
    headline: str = "",
) -> int:
    if as_json:
        reasons = [] if code == ExitCode.OK else (lines or [headline])
        print(json.dumps(envelope(status, reasons, action="deployments", data=data)))
        return code
    out = sys.stdout if code in (ExitCode.OK, ExitCode.REFUSED) else sys.stderr
    if headline:
        print(headline, file=out)
    for line in lines:
        print(f"  {line}", file=out)
    return code


def _usage(problem: str, as_json: bool) -> int:
    if as_json:
        print(json.dumps(envelope("error", [problem])))
    else:
        print(problem, file=sys.stderr)
        print("Run `promobot deployments --help` for the usage.", file=sys.stderr)
    return ExitCode.USAGE
