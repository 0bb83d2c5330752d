"""`promobot compact [MODEL…]`: move each model's finished records to its ledger
(docs/contract.md, "promobot's own state"), for registries written before compaction
or between serve's passes. A thin door over the service's `compact`.

Exit status: 0 every model compact (or already so); 1 a model named that MLflow does not
have, or MLflow refused; 2 usage or set-up; 3 MLflow unreachable or failing, or another
run still compacting a model after 30 minutes (run it again: it finishes what was
started, moving nothing twice).
"""

from __future__ import annotations

import json
import sys

from bot.core.neutral import terminal
from bot.core.ports.registry import RegistryError
from bot.core.results import envelope
from bot.doors.common import ExitCode, registry_exit
from bot.doors.setup import open_service

HELP = """\
promobot compact: keep promobot's records on each registered model bounded.

Usage:
  promobot compact [MODEL…] [--json]

Moves each model's finished requests and older events to its ledger, the registered
model promobot-ledger.<8 hex> (docs/contract.md, "promobot's own state"); history,
audit export and rollback read it there. Without MODEL, every model the policy governs.
Safe to run at any time, from any number of places at once, and again after a crash:
runs take turns on a model (this one waits for the others, and says so).

Environment: MLFLOW_TRACKING_URI (and its credentials: promobot's service account on a
guarded registry), PROMOBOT_POLICY.
Exit status: 0 done; 1 no such model, or MLflow refused; 2 usage; 3 MLflow unreachable.
"""


def run_compact(args: list[str], as_json: bool) -> int:
    if any(a in ("-h", "--help") for a in args):
        print(HELP)
        return ExitCode.OK
    flags = [a for a in args if a.startswith("-")]
    if flags:
        return _usage(f"promobot compact: unknown option {flags[0]!r}", as_json)
    service, failure = open_service()
    if service is None:
        return failure.report(as_json) if failure else ExitCode.USAGE
    done: list[dict[str, object]] = []
    unknown: list[str] = []
    busy: list[str] = []

    def waiting(model: str, holder: str) -> None:
        _say(f"{model}: another run is compacting it ({holder}); waiting for it…", as_json)

    try:
        for result in service.compact(args, wait=True, waiting=waiting):
            if not result.found:
                unknown.append(result.model)
                _say(f"{result.model}: there is no registered model of that name", as_json)
                continue
            if result.busy:
                busy.append(f"{result.model}: another run ({result.busy}) is still compacting it")
                _say(f"{busy[-1]}; run `promobot compact {result.model}` again later", as_json)
                continue
            done.append({"model": result.model, "moved": result.moved, "left": result.left})
            _say(_line(result.model, result.moved, result.left), as_json)
    except RegistryError as exc:
        code = registry_exit(exc)
        return _emit(
            "error" if code != ExitCode.REFUSED else "refused", [str(exc)], done, as_json, code
        )
    reasons = [f"{name}: there is no registered model of that name" for name in unknown]
    if busy:
        return _emit("error", [*reasons, *busy], done, as_json, ExitCode.UNAVAILABLE)
    code = ExitCode.REFUSED if unknown else ExitCode.OK
    return _emit("refused" if unknown else "done", reasons, done, as_json, code)


def _line(model: str, moved: int, left: int) -> str:
    if not moved:
        return f"{model}: nothing to move ({left} of promobot's records on the model)"
    return f"{model}: {moved} records moved to its ledger, {left} left on the model"


def _say(line: str, as_json: bool) -> None:
    """A progress line as each model is done (not with --json: one document at the end).
    Names come from MLflow, and a lock's holder from a tag anyone may write: no control
    sequence reaches the terminal."""
    if not as_json:
        print(terminal(line), flush=True)


def _emit(
    status: str, reasons: list[str], done: list[dict[str, object]], as_json: bool, code: int
) -> int:
    if as_json:
        print(json.dumps(envelope(status, reasons, action="compact", data={"models": done})))
    elif code not in (ExitCode.OK, ExitCode.REFUSED):
        for reason in reasons:
            print(terminal(reason), file=sys.stderr)
    return code


def _usage(problem: str, as_json: bool) -> int:
    """Usage goes to stderr, except the --json document, which is the output."""
    said = json.dumps(envelope("error", [problem])) if as_json else None
    hint = f"{problem}\nRun `promobot compact --help` for the usage."
    print(said or hint, file=sys.stdout if as_json else sys.stderr)
    return ExitCode.USAGE
