"""How every listing command prints: TSV with a header line, or one JSON document.

A listing gives its rows as dicts whose keys are the column names, in order. The plain
output is the header (the keys, tab-separated) and then one line a row, a missing value
as ``-``; ``--json`` prints the rows as one JSON list of objects with the same keys,
times as ISO 8601 strings and missing values as ``null`` (for ``jq``).
"""

from __future__ import annotations

import argparse
import json
import sys
from collections.abc import Callable, Mapping, Sequence
from datetime import date, datetime
from typing import Any, TextIO

Row = Mapping[str, Any]


def add_json_flag(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--json", action="store_true",
                        help="one JSON list of objects instead of TSV with a header")


def json_value(value: Any) -> Any:
    if isinstance(value, datetime | date):
        return value.isoformat()
    return value


def tsv_cell(value: Any) -> str:
    if value is None:
        return "-"
    if isinstance(value, datetime | date):
        return value.isoformat()
    # a tab or line break inside a value would shift the columns or split the row
    return str(value).replace("\t", " ").replace("\r", " ").replace("\n", " ")


def emit(columns: Sequence[str], rows: Sequence[Row], *, as_json: bool,
         cells: Mapping[str, Callable[[Any], str]] | None = None,
         out: TextIO | None = None) -> None:
    """Print ``rows`` (keys ``columns``) as TSV with a header, or as one JSON list.

    ``cells`` may format a column's TSV cell (a missing value is ``-`` before it is
    asked); the JSON keeps the value itself.
    """
    out = out or sys.stdout
    if as_json:
        data = [{c: json_value(r[c]) for c in columns} for r in rows]
        out.write(json.dumps(data, ensure_ascii=False, indent=2) + "\n")
        return
    cells = cells or {}
    lines = ["\t".join(columns)]
    for r in rows:
        lines.append("\t".join(
            "-" if r[c] is None else tsv_cell(cells[c](r[c]) if c in cells else r[c])
            for c in columns))
    out.write("\n".join(lines) + "\n")
