"""The receipts part (bench/receipts_bench.py, bench/receipts_report.py) without its
server: the figures made from paired timings and call lists, what signing adds once the
artifact check's calls and the receipt writes are taken away, the targets and the table.
No timings asserted."""

from __future__ import annotations

from bench import receipts_report
from bench.receipts_load import endpoint
from bench.report import evaluate, table

CHECK = [
    "GET registered-models/get",
    "GET model-versions/get-download-uri",
    "GET mlflow-artifacts/artifacts (list)",
    "GET mlflow-artifacts/artifacts/<file>",
]
UNSIGNED = ["GET registered-models/search [name =]", "POST model-versions/set-tag"]


def test_an_artifacts_file_and_a_logged_models_id_become_placeholders() -> None:
    files = "/api/2.0/mlflow-artifacts/artifacts/1/models/m-" + "0a" * 16 + "/artifacts/MLmodel"
    assert endpoint(f"GET {files}") == "GET mlflow-artifacts/artifacts/<file>"
    assert endpoint("GET /api/2.0/mlflow-artifacts/artifacts") == (
        "GET mlflow-artifacts/artifacts (list)"
    )
    assert endpoint("GET logged-models/m-" + "b1" * 16) == "GET logged-models/<id>"
    assert endpoint("POST model-versions/set-tag") == "POST model-versions/set-tag"


def test_signing_adds_what_is_left_after_the_check_and_the_receipt() -> None:
    signed = [*UNSIGNED[:1], *CHECK, *UNSIGNED[1:], "POST model-versions/set-tag"]
    calls = receipts_report.calls_of(UNSIGNED, signed, CHECK, receipts=1)
    assert (calls["unsigned"], calls["signed"], calls["artifact_check"]) == (2, 7, 4)
    assert calls["signing_adds"] == {}
    assert receipts_report.signing_adds(calls) == 0
    assert calls["signed_minus_unsigned"]["POST model-versions/set-tag"] == 1

    # A call of signing's own, and one the signed side no longer makes, both count.
    odd = [*signed, "GET registered-models/get"]
    odd.remove("GET registered-models/search [name =]")
    calls = receipts_report.calls_of(UNSIGNED, odd, CHECK, receipts=1)
    assert calls["signing_adds"] == {
        "GET registered-models/get": 1,
        "GET registered-models/search [name =]": -1,
    }
    assert receipts_report.signing_adds(calls) == 2


def part_from_made_up_timings() -> dict[str, object]:
    facts = {
        "files": {"count": 7, "bytes": 50 * 2**20 + 2048},
        "calls": {
            "pyfunc": ["POST registered-models/get-latest-versions", "GET server-info"],
            "promobot": ["GET registered-models/get", "POST registered-models/get-latest-versions"],
        },
        "parts_ms": {"reads": 30.0, "receipt_check": 0.4, "fetch": 260.0, "mlflow_download": 250.0},
        "loads_per_repeat": 3,
    }
    load = receipts_report.summarise_loads(
        {"pyfunc": [0.30, 0.32, 0.31], "promobot": [0.36, 0.37, 0.34]}, facts
    )
    seconds = {
        "promote": {"unsigned": [1.0, 1.2, 1.1], "signed": [1.2, 1.3, 1.2]},
        "request": {"unsigned": [0.1, 0.1, 0.1], "signed": [0.2, 0.25, 0.2]},
    }
    checks = {"promote": [0.1, 0.1, 0.1], "request": [0.09, 0.1, 0.1]}
    counts = {
        "promote": receipts_report.calls_of(UNSIGNED, [*UNSIGNED, *CHECK, UNSIGNED[1]], CHECK, 1),
        "request": receipts_report.calls_of(UNSIGNED[:1], [*UNSIGNED[:1], *CHECK], CHECK, 0),
    }
    return {"load": load, **receipts_report.summarise_commands(seconds, checks, counts)}


def test_figures_targets_and_table_from_paired_timings() -> None:
    part = part_from_made_up_timings()
    load = part["load"]
    assert isinstance(load, dict)
    assert (load["pyfunc_ms"], load["promobot_ms"], load["ratio"]) == (310.0, 360.0, 1.156)
    assert load["extra_ms"] == 50.0
    assert load["promobot_minus_pyfunc_calls"] == {
        "GET registered-models/get": 1,
        "GET server-info": -1,
    }
    rows = part["commands"]
    assert isinstance(rows, dict)
    assert rows["promote"] == {
        "unsigned_ms": 1100.0,
        "signed_ms": 1200.0,
        "ratio": 1.091,
        "extra_ms": 100.0,
        "artifact_check_ms": 100.0,
        "extra_beyond_check_ms": 0.0,
        "repeats": 3,
        "unsigned_runs_ms": [1000.0, 1200.0, 1100.0],
        "signed_runs_ms": [1200.0, 1300.0, 1200.0],
        "check_runs_ms": [100.0, 100.0, 100.0],
    }
    checks = {name: met for name, _, _, met in receipts_report.targets(part)}
    assert checks == {
        "receipts: load_model / mlflow.pyfunc.load_model (50.0 MB in 7 files)": False,
        "receipts: promote: MLflow calls signing adds": True,
        "receipts: request: MLflow calls signing adds": True,
        "receipts: promote signed / unsigned": None,
        "receipts: request signed / unsigned": None,
    }
    part["twin_files"] = {"count": 7, "bytes": 68_000}
    part["records"] = {"signed_records": 40, "sign_us": 60.0, "check_us": 150.0}
    part["mlflow_worker_deaths"] = 1
    results = {"receipts": part, "machine": {}, "config": {}}
    results["targets"] = evaluate(results)
    printed = table(results)
    assert "(50.0 MB in 7 files), each into a fresh folder, in turn (3 of each a repeat)" in printed
    assert "     310.0 ms   360.0 ms  1.156    50.0 ms\n" in printed
    assert "promobot − pyfunc: GET registered-models/get +1, GET server-info -1" in printed
    assert (
        "  promote    1,100.0 ms 1,200.0 ms  1.091  100.0 ms    0.0 ms      2       7      4"
        "        1        0\n"
    ) in printed
    assert "the artifact check's calls: GET registered-models/get, " in printed
    assert "40 signed records at the end, all checked on each read of the model: ~6.0 ms" in printed
    assert "MISSED receipts: load_model / mlflow.pyfunc.load_model (50.0 MB in 7 files)" in printed
    assert (
        "met    receipts: promote: MLflow calls signing adds: 0 (signed 7 = unsigned 2 + "
        "artifact check 4 + receipt 1) (0)"
    ) in printed
    assert "  MLflow worker deaths during the run: 1 (the server's log)\n" in printed
