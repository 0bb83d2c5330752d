"""The trail as a file (`promobot audit export`, the board's CSV and JSONL downloads):
the fields of bot/core/service/trail.py, each value neutralised for where it goes."""

from __future__ import annotations

import csv
import json
from collections.abc import Iterable
from typing import IO, Any

from bot.core.neutral import csv_cell, jsonl
from bot.core.service.trail import FIELDS


def write_records(records: Iterable[Any], fmt: str, out: IO[str]) -> int:
    """Write each record as it comes; the number written. A CSV cell that a spreadsheet
    would take for a formula (`=`, `+`, `-`, `@`, tab, CR first) starts with `'`; a JSON
    line has NEL, U+2028 and U+2029 escaped, so `splitlines()` reads one record a line."""
    count = 0
    if fmt == "csv":
        writer = csv.writer(out)  # quotes commas, quotes and newlines (RFC 4180)
        writer.writerow(FIELDS)
        for record in records:
            row = record.to_json()
            writer.writerow(["" if row[f] is None else csv_cell(row[f]) for f in FIELDS])
            count += 1
    else:
        for record in records:
            out.write(jsonl(json.dumps(record.to_json(), ensure_ascii=False)) + "\n")
            count += 1
    out.flush()
    return count
