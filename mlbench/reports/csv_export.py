"""Long-format CSV: one row per record, every record column; nested values as JSON text.

Cells that a spreadsheet would run as a formula (starting with = + - @, tab or CR) get a leading apostrophe.
"""

from __future__ import annotations

import csv
import io
import json
from typing import Any

from mlbench.results import ResultRecord

COLUMNS = list(ResultRecord.__dataclass_fields__)
_FORMULA_START = ("=", "+", "-", "@", "\t", "\r")


def _cell(value: Any) -> Any:
    if isinstance(value, dict | list):
        value = json.dumps(value, sort_keys=True)
    if isinstance(value, str) and value.startswith(_FORMULA_START):
        return "'" + value
    return value


def records_to_csv(records: list[dict[str, Any]]) -> str:
    out = io.StringIO()
    writer = csv.DictWriter(out, fieldnames=COLUMNS, extrasaction="ignore", lineterminator="\n")
    writer.writeheader()
    for record in records:
        writer.writerow({k: _cell(record.get(k)) for k in COLUMNS})
    return out.getvalue()
