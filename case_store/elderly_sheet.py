"""Elderly profiles as care centres keep them in spreadsheets, and back.

Centres keep their lists in Excel, in Chinese: a sheet is CSV (UTF-8, UTF-8 with the
BOM Excel writes, or GB18030, what Chinese Excel saves as plain "CSV") or XLSX, with
Chinese or English column names (``COLUMNS``). Pure: bytes in, rows of text out; a row
of text in, the registry's fields out, and ``row_of`` back again (the console's form
uses the same text). Whether the values are acceptable is the registry's to say.

Text forms: a care plan is ``service days [time]`` entries separated by ``;``, e.g.
``meals mon,wed,fri 11:30; 助浴 周六 15:00``; check-in windows are ``[days] HH:MM-HH:MM``
entries, e.g. ``daily 09:00-10:00`` (days default to daily).
"""

from __future__ import annotations

import csv
import io
import re
import zipfile
from collections.abc import Mapping
from datetime import datetime, time
from typing import Any

from case_store.errors import InvalidProfileError

CONTACT_COLUMNS = 3
COLUMNS: dict[str, tuple[str, ...]] = {  # the registry's field -> names a header may use
    "terminal": ("终端号", "终端", "终端号码"),
    "name": ("姓名",),
    "address": ("地址", "住址"),
    "community": ("社区", "所属社区"),
    "lon": ("经度", "lng", "longitude"),
    "lat": ("纬度", "latitude"),
    "health_notes": ("健康状况",),
    "medicines": ("用药", "用药情况"),
    "mobility": ("行动能力",),
    "dialect": ("方言", "语言"),
    "worker_name": ("社区工作者", "社区工作者姓名"),
    "worker_phone": ("社区工作者电话",),
    "care_plan": ("服务计划",),
    "checkin_windows": ("签到时段", "checkin"),
    "active": ("在用", "启用"),
}
for _n in range(1, CONTACT_COLUMNS + 1):
    COLUMNS[f"contact{_n}_name"] = (f"紧急联系人{_n}", f"紧急联系人{_n}姓名", f"contact{_n}")
    COLUMNS[f"contact{_n}_phone"] = (f"紧急联系人{_n}电话",)
    COLUMNS[f"contact{_n}_relation"] = (f"关系{_n}", f"紧急联系人{_n}关系")
REQUIRED = ("terminal", "name")
LABELS = {field: f"{names[0]} ({field})" for field, names in COLUMNS.items()}
_PAREN = re.compile(r"^(.+?)[(（](.+)[)）]$")
_YES = {"yes", "y", "true", "1", "是", "在用", "启用"}
_NO = {"no", "n", "false", "0", "否", "停用"}
_ENTRY_SPLIT = re.compile(r"[;；\n]+")
_WINDOW = re.compile(r"^(\d{1,2}:\d{2})[-~～–至](\d{1,2}:\d{2})$")
_TEXT_FIELDS = ("name", "address", "community", "health_notes", "medicines", "mobility",
                "dialect", "worker_name", "worker_phone")


def _normal(header: str) -> str:
    return re.sub(r"\s+", "", str(header or "")).lower()


_ALIASES = {_normal(a): field for field, names in COLUMNS.items() for a in (field, *names)}


def column_of(header: str) -> str | None:
    """The field a header names: "姓名", "name", "姓名(name)" and "Name " all give "name"."""
    key = _normal(header)
    if key in _ALIASES:
        return _ALIASES[key]
    both = _PAREN.match(key)
    if both:
        return _ALIASES.get(both.group(1)) or _ALIASES.get(both.group(2))
    return None


def missing_columns(row: Mapping[str, Any]) -> str:
    """The required columns a header row lacks, for the report ("" when none)."""
    present = {column_of(k) for k in row}
    return ", ".join(LABELS[f] for f in REQUIRED if f not in present)


def unknown_columns(row: Mapping[str, Any]) -> list[str]:
    return [k for k in row if k and column_of(k) is None]


def terminal_of(row: Mapping[str, Any]) -> str:
    """The row's terminal as typed, for a report line."""
    return next((str(v or "").strip() for k, v in row.items() if column_of(k) == "terminal"), "")


def fields_of_row(row: Mapping[str, Any]) -> tuple[str, dict[str, Any]]:
    """(terminal, the registry's fields) of one row; only the columns the row has, so a
    sheet without, say, a care-plan column leaves care plans as they are."""
    if str(row.get("", "") or "").strip():
        raise InvalidProfileError("a value stands in a column without a header (a comma "
                                  "inside a CSV value must be quoted)")
    cells = {f: str(v or "").strip() for k, v in row.items() if (f := column_of(k))}
    fields: dict[str, Any] = {f: cells[f] for f in _TEXT_FIELDS if f in cells}
    for name in ("lat", "lon"):
        if name in cells:
            fields[name] = _number(cells[name], name)
    if "care_plan" in cells:
        fields["care_plan"] = care_plan_of(cells["care_plan"])
    if "checkin_windows" in cells:
        fields["checkin_windows"] = windows_of(cells["checkin_windows"])
    if "active" in cells:
        fields["active"] = _yes_no(cells["active"])
    contact_cells = [f for f in cells if f.startswith("contact")]
    if contact_cells:
        fields["contacts"] = [
            {"name": cells.get(f"contact{n}_name", ""),
             "relation": cells.get(f"contact{n}_relation", ""),
             "phone": cells.get(f"contact{n}_phone", "")}
            for n in range(1, CONTACT_COLUMNS + 1)
            if any(cells.get(f"contact{n}_{part}") for part in ("name", "relation", "phone"))]
    return cells.get("terminal", ""), fields


def row_of(profile: Any) -> dict[str, str]:
    """A profile (``case_store.elderly.ElderlyProfile``) as the text of one row."""
    row = {f: str(getattr(profile, f)) for f in _TEXT_FIELDS}
    row.update(terminal=profile.terminal,
               lat="" if profile.lat is None else str(profile.lat),
               lon="" if profile.lon is None else str(profile.lon),
               care_plan=care_plan_text(profile.care_plan),
               checkin_windows=windows_text(profile.checkin_windows),
               active="yes" if profile.active else "no")
    for n in range(1, CONTACT_COLUMNS + 1):
        contact = profile.contacts[n - 1] if n <= len(profile.contacts) else None
        for part in ("name", "relation", "phone"):
            row[f"contact{n}_{part}"] = getattr(contact, part) if contact else ""
    return row


def care_plan_of(text: str) -> list[dict[str, str]]:
    """'meals mon,wed,fri 11:30; 助浴 周六 15:00' -> entries (the service may hold spaces)."""
    entries = []
    for part in _entries(text):
        words = part.split()
        at = words.pop() if words and ":" in words[-1] else ""
        if len(words) < 2:
            raise InvalidProfileError(f"care_plan {part!r}: write 'service days time', "
                                      "e.g. 'meals mon,wed,fri 11:30'")
        entries.append({"service": " ".join(words[:-1]), "days": words[-1], "time": at})
    return entries


def care_plan_text(entries: Any) -> str:
    return "; ".join(" ".join(w for w in (e["service"], e["days"], e["time"]) if w)
                     for e in entries)


def windows_of(text: str) -> list[dict[str, str]]:
    """'daily 09:00-10:00; 周六 15:00-16:00' -> entries; days default to daily."""
    windows = []
    for part in _entries(text):
        words = part.split()
        found = _WINDOW.match(words[-1]) if len(words) in (1, 2) else None
        if not found:
            raise InvalidProfileError(f"checkin_windows {part!r}: write '[days] HH:MM-HH:MM',"
                                      " e.g. 'daily 09:00-10:00'")
        start, end = (t.zfill(5) for t in found.groups())
        windows.append({"days": words[0] if len(words) == 2 else "daily",
                        "start": start, "end": end})
    return windows


def windows_text(entries: Any) -> str:
    return "; ".join(f"{e['days']} {e['start']}-{e['end']}" for e in entries)


def _entries(text: str) -> list[str]:
    text = text.replace("：", ":").replace("，", ",").replace("、", ",")
    return [p.strip() for p in _ENTRY_SPLIT.split(text) if p.strip()]


def _number(text: str, name: str) -> float | None:
    if not text:
        return None
    try:
        return float(text)
    except ValueError:
        raise InvalidProfileError(f"{LABELS[name]} {text[:20]!r} is not a number") from None


def _yes_no(text: str) -> bool:
    word = text.lower()
    if not word or word in _YES:
        return True
    if word in _NO:
        return False
    raise InvalidProfileError(f"{LABELS['active']} {text[:10]!r} must be yes (是) or no (否)")


# -- files ------------------------------------------------------------------------------

def read_table(data: bytes) -> list[dict[str, str]]:
    """The first sheet's rows as {header: text}; empty rows stay (all cells ""), so the
    report's row numbers are the ones the centre sees in Excel."""
    if data.startswith(b"PK\x03\x04"):
        header, records = _xlsx(data)
    elif data.startswith(b"\xd0\xcf\x11\xe0"):
        raise InvalidProfileError("this is an old .xls workbook: save it as .xlsx or CSV")
    else:
        header, records = _csv(_decode(data))
    if not any(header):
        raise InvalidProfileError("the first row must name the columns (终端号, 姓名, …)")
    rows = []
    for cells in records:
        row = {h: cells[i] if i < len(cells) else "" for i, h in enumerate(header) if h}
        stray = [c for i, c in enumerate(cells) if c and (i >= len(header) or not header[i])]
        if stray:
            row[""] = " ".join(stray)
        rows.append(row)
    return rows


def _decode(data: bytes) -> str:
    try:
        return data.decode("utf-8-sig")  # with or without the BOM Excel writes
    except UnicodeDecodeError:
        pass
    try:
        return data.decode("gb18030")
    except UnicodeDecodeError:
        raise InvalidProfileError("the file is not CSV text in UTF-8 or GB18030, nor an "
                                  "XLSX workbook") from None


def _csv(text: str) -> tuple[list[str], list[list[str]]]:
    try:
        lines = list(csv.reader(io.StringIO(text, newline="")))
    except csv.Error as exc:
        raise InvalidProfileError(f"the CSV cannot be read: {exc}") from None
    if not lines:
        raise InvalidProfileError("the file is empty")
    return [h.strip() for h in lines[0]], [[c.strip() for c in line] for line in lines[1:]]


def _xlsx(data: bytes) -> tuple[list[str], list[list[str]]]:
    from openpyxl import load_workbook
    from openpyxl.utils.exceptions import InvalidFileException

    try:
        book = load_workbook(io.BytesIO(data), read_only=True, data_only=True)
    except (zipfile.BadZipFile, InvalidFileException, KeyError, OSError, ValueError):
        raise InvalidProfileError("the XLSX workbook cannot be read") from None
    try:
        lines = [[_cell(v) for v in line]
                 for line in book.worksheets[0].iter_rows(values_only=True)]
    finally:
        book.close()
    if not lines:
        raise InvalidProfileError("the workbook's first sheet is empty")
    return lines[0], lines[1:]


def _cell(value: Any) -> str:
    """A cell as the centre typed it: 13800138000 stays whole, 11:30 stays a time."""
    if value is None:
        return ""
    if isinstance(value, bool):
        return "yes" if value else "no"
    if isinstance(value, float) and value.is_integer() and abs(value) < 1e15:
        return str(int(value))
    if isinstance(value, datetime | time):
        return value.strftime("%H:%M") if isinstance(value, time) else value.isoformat(" ")
    return str(value).strip()
