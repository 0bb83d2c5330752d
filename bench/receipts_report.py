"""The receipts part's figures (bench/receipts_bench.py): made from its timings and call
lists, the targets it is checked against, and its lines of the printed table. Pure."""

from __future__ import annotations

from collections import Counter
from collections.abc import Mapping, Sequence
from typing import Any

from bench.report import extra_calls
from bench.stats import median, median_ratio, ms, r2, run_notes
from bench.stats import shown as _shown

MODEL = "bench-receipts-50mb"
LOAD_TARGET = 1.1  # load_model / mlflow.pyfunc.load_model (the issue)
RECEIPT_WRITE = "POST model-versions/set-tag"  # one receipt tag: one call


def calls_of(
    unsigned: Sequence[str], signed: Sequence[str], check: Sequence[str], receipts: int
) -> dict[str, Any]:
    """One command's calls each side, and what is left of signed − unsigned once the
    artifact check's calls and the receipt writes are taken away: signing's own (by
    endpoint; negative: a call the unsigned side makes more often)."""
    left = Counter(signed)
    left.subtract(unsigned)
    left.subtract(check)
    left.subtract({RECEIPT_WRITE: receipts})
    return {
        "unsigned": len(unsigned),
        "signed": len(signed),
        "artifact_check": len(check),
        "receipt_writes": receipts,
        "signing_adds": {k: v for k, v in sorted(left.items()) if v},
        "signed_minus_unsigned": extra_calls(list(signed), list(unsigned)),
        "artifact_check_calls": dict(Counter(check)),  # in the order first made
        "unsigned_calls": list(unsigned),
        "signed_calls": list(signed),
    }


def summarise_loads(
    seconds: Mapping[str, Sequence[float]], facts: Mapping[str, Any]
) -> dict[str, Any]:
    """Median ms of each loader, promobot ÷ pyfunc and promobot − pyfunc (medians of the
    pairs run side by side), with the facts beside them (files, calls, parts); the calls
    promobot makes beyond pyfunc's (negative: pyfunc's it does not make)."""
    pyfunc, promobot = seconds["pyfunc"], seconds["promobot"]
    calls = facts.get("calls", {})
    return {
        "pyfunc_ms": ms(median(pyfunc)),
        "promobot_ms": ms(median(promobot)),
        "ratio": r2(median_ratio(promobot, pyfunc)),
        "extra_ms": ms(median([p - f for p, f in zip(promobot, pyfunc, strict=True)])),
        "repeats": len(pyfunc),
        "pyfunc_runs_ms": [ms(x) for x in pyfunc],
        "promobot_runs_ms": [ms(x) for x in promobot],
        **facts,
        "promobot_minus_pyfunc_calls": extra_calls(
            list(calls.get("promobot", [])), list(calls.get("pyfunc", []))
        ),
    }


def summarise_commands(
    seconds: Mapping[str, Mapping[str, Sequence[float]]],
    checks: Mapping[str, Sequence[float]],
    counts: Mapping[str, Any],
) -> dict[str, Any]:
    """Per command: median ms unsigned and signed, signed ÷ unsigned, signed − unsigned,
    the median ms the signed run spent in the artifact check, and signed − unsigned −
    artifact check (signing, the receipt's write, the records' checks); its calls."""
    rows: dict[str, Any] = {}
    for command, by_side in seconds.items():
        unsigned, signed = by_side["unsigned"], by_side["signed"]
        check = checks[command]
        rows[command] = {
            "unsigned_ms": ms(median(unsigned)),
            "signed_ms": ms(median(signed)),
            "ratio": r2(median_ratio(signed, unsigned)),
            "extra_ms": ms(median([s - u for s, u in zip(signed, unsigned, strict=True)])),
            "artifact_check_ms": ms(median(check)),
            "extra_beyond_check_ms": ms(
                median([s - u - c for s, u, c in zip(signed, unsigned, check, strict=True)])
            ),
            "repeats": len(unsigned),
            "unsigned_runs_ms": [ms(x) for x in unsigned],
            "signed_runs_ms": [ms(x) for x in signed],
            "check_runs_ms": [ms(x) for x in check],
        }
    return {"commands": rows, "calls": dict(counts)}


def signing_adds(calls: Mapping[str, Any]) -> int:
    """How many MLflow calls signing itself adds to a command (either way)."""
    return sum(abs(n) for n in calls.get("signing_adds", {}).values())


def targets(part: dict[str, Any]) -> list[tuple[str, Any, str, bool | None]]:
    """(target, figure, limit, met) for bench/report.py: load ≤ 1.1× pyfunc's; no MLflow
    call of signing's own per command; the commands' times as figures only."""
    checks: list[tuple[str, Any, str, bool | None]] = []
    load = part.get("load", {})
    if load.get("ratio") is not None:
        checks.append(
            (
                f"receipts: load_model / mlflow.pyfunc.load_model ({_mb(load)})",
                f"{load['ratio']} ({load['promobot_ms']} vs {load['pyfunc_ms']} ms)",
                f"≤ {LOAD_TARGET}",
                load["ratio"] <= LOAD_TARGET,
            )
        )
    for command, calls in part.get("calls", {}).items():
        own = signing_adds(calls)
        rest = f" + {_grouped(calls['signing_adds'])}" if own else ""
        checks.append(
            (
                f"receipts: {command}: MLflow calls signing adds",
                f"{own} (signed {calls['signed']} = unsigned {calls['unsigned']} + artifact "
                f"check {calls['artifact_check']} + receipt {calls['receipt_writes']}{rest})",
                "0",
                own == 0,
            )
        )
    for command, row in part.get("commands", {}).items():
        checks.append(
            (
                f"receipts: {command} signed / unsigned",
                f"{row['ratio']} ({row['signed_ms']} vs {row['unsigned_ms']} ms; artifact "
                f"check {row['artifact_check_ms']} ms)",
                "—",
                None,
            )
        )
    return checks


def _mb(load: Mapping[str, Any]) -> str:
    files = load.get("files", {})
    return f"{files.get('bytes', 0) / 2**20:.1f} MB in {files.get('count')} files"


def table_lines(part: dict[str, Any] | None) -> list[str]:
    """The receipts part's lines of the printed table."""
    if not part:
        return []
    load = part.get("load", {})
    steps = load.get("parts_ms", {})
    lines = [
        f"[receipts] promobot.serving.load_model vs mlflow.pyfunc.load_model of "
        f"models:/{MODEL}/Production ({_mb(load)}), each into a fresh folder, in turn "
        f"({load.get('loads_per_repeat')} of each a repeat); median ms over "
        f"{load.get('repeats')} repeats",
        f"  {'pyfunc':>11}{'promobot':>11}{'ratio':>7}{'extra':>11}",
        f"  {_ms(load.get('pyfunc_ms')):>11}{_ms(load.get('promobot_ms')):>11}"
        f"{_shown(load.get('ratio')):>7}{_ms(load.get('extra_ms')):>11}",
        f"  promobot's steps alone: reads {_ms(steps.get('reads'))}, receipt checked "
        f"{_ms(steps.get('receipt_check'), 2)}, fetch (download, digest as it arrives) "
        f"{_ms(steps.get('fetch'))}, pyfunc from the folder "
        f"{_ms(steps.get('pyfunc_from_folder'))}; MLflow's download alone "
        f"{_ms(steps.get('mlflow_download'))}, a folder's digest after it "
        f"{_ms(steps.get('digest_after'))}",
    ]
    for loader, calls in load.get("calls", {}).items():
        lines.append(f"    {loader} ({len(calls)} calls): {_grouped(calls)}")
    more = load.get("promobot_minus_pyfunc_calls")
    if more:
        shown = ", ".join(f"{call} {n:+d}" for call, n in more.items())
        lines.append(f"    promobot − pyfunc: {shown}")
    lines.extend(_command_lines(part))
    lines.extend(run_notes(part))
    lines.append("")
    return lines


def _command_lines(part: Mapping[str, Any]) -> list[str]:
    twin = part.get("twin_files", {})
    lines = [
        f"  signing's cost per command: twin models ({twin.get('count')} files, "
        f"{twin.get('bytes', 0) / 1024:.0f} KB) without and with the key; median ms; beyond = "
        "signed − unsigned − the artifact check; calls counted at the HTTP level",
        f"  {'command':<10}{'unsigned':>11}{'signed':>11}{'ratio':>7}{'check':>10}{'beyond':>10}"
        f"{'calls':>7}{'signed':>8}{'check':>7}{'receipt':>9}{'signing':>9}",
    ]
    for command, row in part.get("commands", {}).items():
        calls = part.get("calls", {}).get(command, {})
        lines.append(
            f"  {command:<10}{_ms(row.get('unsigned_ms')):>11}{_ms(row.get('signed_ms')):>11}"
            f"{_shown(row.get('ratio')):>7}{_ms(row.get('artifact_check_ms')):>10}"
            f"{_ms(row.get('extra_beyond_check_ms')):>10}"
            f"{_shown(calls.get('unsigned')):>7}{_shown(calls.get('signed')):>8}"
            f"{_shown(calls.get('artifact_check')):>7}{_shown(calls.get('receipt_writes')):>9}"
            f"{_shown(signing_adds(calls) if calls else None):>9}"
        )
    checked = next((c for c in part.get("calls", {}).values() if c["artifact_check_calls"]), None)
    if checked:
        lines.append(f"    the artifact check's calls: {_grouped(checked['artifact_check_calls'])}")
    records = part.get("records", {})
    if records:
        every = (records.get("signed_records") or 0) * (records.get("check_us") or 0) / 1000
        lines.append(
            f"  Ed25519 per record: sign {_shown(records.get('sign_us'), ' µs')}, check "
            f"{_shown(records.get('check_us'), ' µs')}; the signed twin held "
            f"{records.get('signed_records')} signed records at the end, all checked on each "
            f"read of the model: ~{every:.1f} ms a read"
        )
    return lines


def _grouped(calls: Sequence[str] | Mapping[str, int]) -> str:
    """`GET a ×2, POST b`: calls by endpoint, in first-seen order."""
    counted = Counter(calls) if not isinstance(calls, Mapping) else Counter(dict(calls))
    return ", ".join(f"{call}{f' ×{n}' if n > 1 else ''}" for call, n in counted.items())


def _ms(value: float | None, digits: int = 1) -> str:
    return "—" if value is None else f"{value:,.{digits}f} ms"
