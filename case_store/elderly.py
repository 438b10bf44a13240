"""The registry of elderly terminals and the people behind them.

One job: each elderly person's profile, keyed by the terminal their calls come from (a
SIP endpoint, or a PSTN line's caller ID), their emergency contacts in calling order,
and a log of every time a person saw a profile. ``profile`` is the machine read (the
ACD: priority, dialect) and logs nothing; every human read goes through ``view``, which
writes its log row in the same transaction as the read, so no profile is shown unlogged.

Phone numbers are checked by ``check_number`` (the callback dial plan: the composition
root passes ``acd.callback_numbers.NumberPlan.national``, since case_store may not import
acd) and stored in the national form it returns, so whatever is stored can be dialled.
Synchronous like ``CaseStore``; aiohttp handlers use ``asyncio.to_thread``.
"""

from __future__ import annotations

import math
import re
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path
from typing import Any

from sqlalchemy import Engine, delete, select
from sqlalchemy.orm import Session

from case_store import elderly_sheet
from case_store.db import make_engine, upsert_insert
from case_store.errors import InvalidProfileError, ProfileNotFoundError
from case_store.models import ElderlyContact, ElderlyTerminal, ProfileView
from case_store.unit import Clock, UnitOfWork, utc_now

NumberCheck = Callable[[str], str | None]  # raw text -> national form, None: not dialled

DIALECTS = ("mandarin", "jinhua")
PURPOSES = ("desk pop", "page", "api", "export")
MAX_CONTACTS = 3
MAX_PLAN_ENTRIES = 20
MAX_IMPORT_ROWS = 10000
WEEKDAYS = ("mon", "tue", "wed", "thu", "fri", "sat", "sun")
_DAY_SETS_OF = {"daily": set(WEEKDAYS), "weekdays": set(WEEKDAYS[:5]),
                "weekends": set(WEEKDAYS[5:])}
# What upsert takes besides the terminal (the JSON API refuses anything else).
FIELDS = ("name", "address", "community", "lat", "lon", "health_notes", "medicines",
          "mobility", "dialect", "worker_name", "worker_phone", "care_plan",
          "checkin_windows", "active", "contacts")
_TEXT_LIMITS = {"name": 100, "address": 300, "community": 100, "health_notes": 2000,
                "medicines": 2000, "mobility": 200, "worker_name": 100}
_TERMINAL = re.compile(r"^\d{3,20}$")
_TIME = re.compile(r"^([01]\d|2[0-3]):[0-5]\d$")
END_OF_DAY = "24:00"  # a check-in window's end only: through the day's last minute
_DAY_SETS = {"daily": "daily", "每天": "daily", "每日": "daily", "weekdays": "weekdays",
             "工作日": "weekdays", "weekends": "weekends", "周末": "weekends"}
_CN_WEEKDAYS = "一二三四五六日"
_DIALECT_WORDS = {"mandarin": "mandarin", "普通话": "mandarin", "jinhua": "jinhua",
                  "金华话": "jinhua", "金华方言": "jinhua"}


@dataclass(frozen=True)
class EmergencyContact:
    name: str
    relation: str
    phone: str  # national form


@dataclass(frozen=True)
class ElderlyProfile:
    terminal: str
    name: str
    address: str
    community: str
    lat: float | None
    lon: float | None
    health_notes: str
    medicines: str
    mobility: str
    dialect: str  # mandarin | jinhua: which the agent should speak
    worker_name: str
    worker_phone: str
    care_plan: tuple[dict[str, str], ...]  # {"service", "days", "time"}
    checkin_windows: tuple[dict[str, str], ...]  # {"days", "start", "end"}
    active: bool
    created_at: datetime
    updated_at: datetime
    contacts: tuple[EmergencyContact, ...]  # in calling order

    def fields(self) -> dict[str, Any]:
        """What ``upsert`` takes to write this profile again."""
        return {name: getattr(self, name) for name in FIELDS}


@dataclass(frozen=True)
class ViewRecord:
    at: datetime
    viewer: str
    role: str
    terminal: str
    purpose: str


@dataclass(frozen=True)
class BadRow:
    row: int  # as a spreadsheet numbers it: the header is row 1
    terminal: str
    reason: str


@dataclass(frozen=True)
class ImportReport:
    imported: tuple[str, ...]  # terminals written, in file order
    bad_rows: tuple[BadRow, ...]
    ignored_columns: tuple[str, ...]  # headers the registry does not know


@dataclass(frozen=True)
class _Record:
    """A profile that passed every check, ready to write."""

    terminal: str
    values: dict[str, Any]
    contacts: tuple[EmergencyContact, ...]


class ElderlyRegistry:
    """Elderly profiles on the case store's database (migration 0007 adds the tables)."""

    def __init__(self, url: str | Engine, *, check_number: NumberCheck | None = None,
                 clock: Clock = utc_now) -> None:
        self.engine = make_engine(url) if isinstance(url, str) else url
        self.uow = UnitOfWork(self.engine, clock)
        self.check_number = check_number

    # -- reads -------------------------------------------------------------------------

    def profile(self, terminal: str) -> ElderlyProfile | None:
        """The profile of the terminal (active or not), unlogged: for machines only."""
        with self.uow.tx() as s:
            row = _row(s, terminal)
            return None if row is None else _profile_of(s, row)

    def view(self, terminal: str, viewer: str, role: str, purpose: str) -> ElderlyProfile | None:
        """The profile as a person sees it, with the view logged in the same transaction
        (the desk calls ``view(terminal, agent, "agent", "desk pop")``)."""
        if purpose not in PURPOSES:
            raise InvalidProfileError(f"purpose must be one of {', '.join(PURPOSES)}")
        if not viewer or len(viewer) > 64 or not role or len(role) > 16:
            raise InvalidProfileError("a view needs the viewer (64) and their role (16)")
        with self.uow.tx() as s:
            row = _row(s, terminal)
            if row is None:
                return None
            s.add(ProfileView(at=self.uow.clock(), viewer=viewer, role=role,
                              terminal=row.terminal, purpose=purpose))
            return _profile_of(s, row)

    def list_profiles(self) -> list[ElderlyProfile]:
        """Every profile, active or not, by terminal (unlogged: callers show summaries)."""
        with self.uow.tx() as s:
            rows = list(s.scalars(select(ElderlyTerminal).order_by(ElderlyTerminal.terminal)))
            contacts = _contacts(s, [r.id for r in rows])
            return [_profile_of(s, r, contacts.get(r.id, ())) for r in rows]

    def terminals(self) -> list[str]:
        """The active terminals' numbers (the calls that get elderly priority)."""
        with self.uow.tx() as s:
            return list(s.scalars(select(ElderlyTerminal.terminal)
                                  .where(ElderlyTerminal.active.is_(True))
                                  .order_by(ElderlyTerminal.terminal)))

    def views(self, terminal: str) -> list[ViewRecord]:
        """Who saw the terminal's profile, newest first."""
        with self.uow.tx() as s:
            rows = s.scalars(select(ProfileView).where(ProfileView.terminal == terminal)
                             .order_by(ProfileView.at.desc(), ProfileView.id.desc()))
            return [ViewRecord(r.at, r.viewer, r.role, r.terminal, r.purpose) for r in rows]

    # -- writes ------------------------------------------------------------------------

    def upsert(self, terminal: str, *, name: str, address: str = "", community: str = "",
               lat: float | None = None, lon: float | None = None, health_notes: str = "",
               medicines: str = "", mobility: str = "", dialect: str = "mandarin",
               worker_name: str = "", worker_phone: str = "",
               care_plan: Sequence[Mapping[str, str]] = (),
               checkin_windows: Sequence[Mapping[str, str]] = (), active: bool = True,
               contacts: Sequence[EmergencyContact | Mapping[str, str]] = ()) -> ElderlyProfile:
        """Create or replace the whole profile and its contacts (InvalidProfileError says
        which field is wrong; nothing is written then)."""
        record = self._clean(terminal, dict(
            name=name, address=address, community=community, lat=lat, lon=lon,
            health_notes=health_notes, medicines=medicines, mobility=mobility,
            dialect=dialect, worker_name=worker_name, worker_phone=worker_phone,
            care_plan=care_plan, checkin_windows=checkin_windows, active=active,
            contacts=contacts))
        with self.uow.tx() as s:
            return _profile_of(s, s.get(ElderlyTerminal, self._write(s, record)))

    def deactivate(self, terminal: str) -> ElderlyProfile:
        """The terminal stops counting as elderly; the profile and its log stay."""
        with self.uow.tx() as s:
            row = _row(s, terminal)
            if row is None:
                raise ProfileNotFoundError(f"no elderly profile for terminal {terminal!r}")
            row.active = False
            row.updated_at = self.uow.clock()
            return _profile_of(s, row)

    def import_file(self, path: str | Path) -> ImportReport:
        """``import_bytes`` of a CSV or XLSX file."""
        return self.import_bytes(Path(path).read_bytes())

    def import_bytes(self, data: bytes) -> ImportReport:
        """A CSV (UTF-8, UTF-8 with BOM, GB18030) or XLSX sheet; InvalidProfileError when
        the file itself cannot be read."""
        return self.import_rows(elderly_sheet.read_table(data))

    def import_rows(self, rows: Iterable[Mapping[str, str]]) -> ImportReport:
        """Write every good row (one transaction), report each bad one with its row number.

        Rows map column names (Chinese or English, ``elderly_sheet.COLUMNS``) to text; the
        first is row 2. Columns absent from the sheet keep what a profile already has."""
        parsed: list[tuple[int, str, dict[str, Any]]] = []
        bad: list[BadRow] = []
        ignored: dict[str, None] = {}
        for number, row in enumerate(rows, start=2):
            if number == 2:
                missing = elderly_sheet.missing_columns(row)
                if missing:
                    return ImportReport((), (BadRow(1, "", f"the header row has no {missing}"
                                                       " column"),), ())
            if number > MAX_IMPORT_ROWS + 1:
                bad.append(BadRow(number, "", f"stopped: at most {MAX_IMPORT_ROWS} rows"))
                break
            if not any(str(v or "").strip() for v in row.values()):
                continue
            ignored.update(dict.fromkeys(elderly_sheet.unknown_columns(row)))
            try:
                parsed.append((number, *elderly_sheet.fields_of_row(row)))
            except InvalidProfileError as exc:
                bad.append(BadRow(number, elderly_sheet.terminal_of(row), str(exc)))
        imported: list[str] = []
        first_row: dict[str, int] = {}
        with self.uow.tx() as s:
            for number, terminal, fields in parsed:
                try:
                    key = _terminal_key(terminal)
                    if key in first_row:
                        raise InvalidProfileError(f"terminal {key} is on row {first_row[key]}"
                                                  " already")
                    existing = _row(s, key)
                    base = _profile_of(s, existing).fields() if existing else {}
                    record = self._clean(key, {**base, **fields})
                except InvalidProfileError as exc:
                    bad.append(BadRow(number, terminal, str(exc)))
                    continue
                first_row[key] = number
                self._write(s, record)
                imported.append(key)
        bad.sort(key=lambda b: b.row)
        return ImportReport(tuple(imported), tuple(bad), tuple(ignored))

    # -- checks and the write itself -----------------------------------------------------

    def _clean(self, terminal: str, fields: Mapping[str, Any]) -> _Record:
        """Every field checked and normalised, or InvalidProfileError naming the field."""
        values: dict[str, Any] = {name: _text(fields.get(name), name, limit,
                                              required=name == "name")
                                  for name, limit in _TEXT_LIMITS.items()}
        values["lat"] = _coordinate(fields.get("lat"), "lat", 90)
        values["lon"] = _coordinate(fields.get("lon"), "lon", 180)
        values["dialect"] = _dialect(fields.get("dialect"))
        phone = _text(fields.get("worker_phone"), "worker_phone", 32)
        values["worker_phone"] = self._phone(phone, "worker_phone") if phone else ""
        values["care_plan"] = _care_plan(fields.get("care_plan") or ())
        values["checkin_windows"] = _windows(fields.get("checkin_windows") or ())
        active = fields.get("active", True)
        if not isinstance(active, bool):
            raise InvalidProfileError("active must be true or false")
        values["active"] = active
        return _Record(_terminal_key(terminal), values,
                       self._contacts(fields.get("contacts") or ()))

    def _contacts(self, given: Any) -> tuple[EmergencyContact, ...]:
        if isinstance(given, str | Mapping) or not isinstance(given, Sequence):
            raise InvalidProfileError("contacts must be a list")
        if len(given) > MAX_CONTACTS:
            raise InvalidProfileError(f"at most {MAX_CONTACTS} emergency contacts")
        out = []
        for n, contact in enumerate(given, start=1):
            if isinstance(contact, EmergencyContact):
                contact = vars(contact)
            if not isinstance(contact, Mapping) or set(contact) - {"name", "relation", "phone"}:
                raise InvalidProfileError(f"contact {n} must have name, relation and phone")
            name = _text(contact.get("name"), f"contact {n} name", 100, required=True)
            relation = _text(contact.get("relation"), f"contact {n} relation", 50)
            phone = _text(contact.get("phone"), f"contact {n} phone", 32, required=True)
            out.append(EmergencyContact(name, relation, self._phone(phone, f"contact {n} phone")))
        return tuple(out)

    def _phone(self, raw: str, what: str) -> str:
        if self.check_number is None:
            raise InvalidProfileError("this registry has no dial plan to check numbers with")
        number = self.check_number(raw)
        if number is None:
            raise InvalidProfileError(f"{what} {raw} is outside the callback dial plan")
        return number

    def _write(self, s: Session, record: _Record) -> int:
        """Insert or replace the profile (one atomic statement) and its contacts."""
        now = self.uow.clock()
        values = {**record.values, "updated_at": now}
        terminal_id = s.execute(
            upsert_insert(s, ElderlyTerminal)
            .values(terminal=record.terminal, created_at=now, **values)
            .on_conflict_do_update(index_elements=[ElderlyTerminal.terminal], set_=values)
            .returning(ElderlyTerminal.id)).scalar_one()
        s.execute(delete(ElderlyContact).where(ElderlyContact.terminal_id == terminal_id))
        s.add_all(ElderlyContact(terminal_id=terminal_id, position=n, name=c.name,
                                 relation=c.relation, phone=c.phone)
                  for n, c in enumerate(record.contacts, start=1))
        s.flush()
        s.expire_all()  # the row was written by a Core statement: read it afresh
        return terminal_id


def _row(s: Session, terminal: str) -> ElderlyTerminal | None:
    key = _compact(terminal)
    if not _TERMINAL.match(key):
        return None
    return s.scalar(select(ElderlyTerminal).where(ElderlyTerminal.terminal == key))


def _contacts(s: Session, ids: list[int]) -> dict[int, tuple[EmergencyContact, ...]]:
    found: dict[int, list[EmergencyContact]] = {}
    if ids:
        for c in s.scalars(select(ElderlyContact).where(ElderlyContact.terminal_id.in_(ids))
                           .order_by(ElderlyContact.terminal_id, ElderlyContact.position)):
            found.setdefault(c.terminal_id, []).append(
                EmergencyContact(c.name, c.relation, c.phone))
    return {k: tuple(v) for k, v in found.items()}


def _profile_of(s: Session, row: ElderlyTerminal,
                contacts: tuple[EmergencyContact, ...] | None = None) -> ElderlyProfile:
    if contacts is None:
        contacts = _contacts(s, [row.id]).get(row.id, ())
    return ElderlyProfile(
        terminal=row.terminal, name=row.name, address=row.address, community=row.community,
        lat=row.lat, lon=row.lon, health_notes=row.health_notes, medicines=row.medicines,
        mobility=row.mobility, dialect=row.dialect, worker_name=row.worker_name,
        worker_phone=row.worker_phone, care_plan=tuple(row.care_plan or ()),
        checkin_windows=tuple(row.checkin_windows or ()), active=row.active,
        created_at=row.created_at, updated_at=row.updated_at, contacts=contacts)


def _compact(text: str) -> str:
    return re.sub(r"[\s\-]", "", str(text or ""))


def _terminal_key(terminal: str) -> str:
    """A terminal is digits as the hotline sees the caller: 9001, or 057982345678."""
    key = _compact(terminal)
    if not _TERMINAL.match(key):
        raise InvalidProfileError(f"terminal {str(terminal)[:30]!r} must be 3-20 digits (a SIP"
                                  " endpoint, or a phone line in national form)")
    return key


def _text(value: Any, what: str, limit: int, required: bool = False) -> str:
    if value is None:
        value = ""
    if not isinstance(value, str):
        raise InvalidProfileError(f"{what} must be text")
    value = value.strip()
    if required and not value:
        raise InvalidProfileError(f"{what} is required")
    if len(value) > limit:
        raise InvalidProfileError(f"{what} is longer than {limit} characters")
    if "\x00" in value:
        raise InvalidProfileError(f"{what} contains a NUL character")
    return value


def _coordinate(value: Any, what: str, limit: float) -> float | None:
    if value is None or value == "":
        return None
    if isinstance(value, bool) or not isinstance(value, int | float) \
            or not math.isfinite(value) or abs(value) > limit:
        raise InvalidProfileError(f"{what} must be a number between -{limit} and {limit}")
    return float(value)


def _dialect(value: Any) -> str:
    if value is None or value == "":
        return "mandarin"
    found = _DIALECT_WORDS.get(str(value).strip().lower())
    if found is None:
        raise InvalidProfileError(f"dialect must be mandarin (普通话) or jinhua (金华话), "
                                  f"not {str(value)[:20]!r}")
    return found


def _days(value: Any, what: str) -> str:
    """'daily', 'weekdays', 'weekends' or weekdays in week order, e.g. 'mon,wed,fri';
    Chinese words (每天, 工作日, 周一…) are understood too."""
    text = value.strip().lower() if isinstance(value, str) else ""
    parts = [p for p in re.split(r"[,，、\s]+", text) if p]
    if len(parts) == 1 and parts[0] in _DAY_SETS:
        return _DAY_SETS[parts[0]]
    days = {_weekday(p) for p in parts}
    if not days or None in days:
        raise InvalidProfileError(f"{what} {str(value)[:30]!r} must be daily, weekdays, "
                                  "weekends or days such as mon,wed,fri")
    return ",".join(d for d in WEEKDAYS if d in days)


def _weekday(word: str) -> str | None:
    if word in WEEKDAYS:
        return word
    for prefix in ("周", "星期"):
        rest = word.removeprefix(prefix).replace("天", "日")
        if rest != word and len(rest) == 1 and rest in _CN_WEEKDAYS:
            return WEEKDAYS[_CN_WEEKDAYS.index(rest)]
    return None


def _time(value: Any, what: str) -> str:
    text = value.strip() if isinstance(value, str) else ""
    if not _TIME.match(text):
        raise InvalidProfileError(f"{what} {str(value)[:10]!r} must be a time like 09:30")
    return text


def _entries(given: Any, what: str, keys: set[str]) -> list[Mapping[str, Any]]:
    if isinstance(given, str | Mapping) or not isinstance(given, Sequence):
        raise InvalidProfileError(f"{what} must be a list")
    if len(given) > MAX_PLAN_ENTRIES:
        raise InvalidProfileError(f"{what} has more than {MAX_PLAN_ENTRIES} entries")
    for n, entry in enumerate(given, start=1):
        if not isinstance(entry, Mapping) or set(entry) - keys:
            raise InvalidProfileError(f"{what} entry {n} may have only {', '.join(sorted(keys))}")
    return list(given)


def _care_plan(given: Any) -> list[dict[str, str]]:
    """[{"service": "meals", "days": "mon,wed,fri", "time": "11:30"}]; time may be ""."""
    out = []
    for n, entry in enumerate(_entries(given, "care_plan", {"service", "days", "time"}), 1):
        what = f"care_plan entry {n}"
        time = entry.get("time") or ""
        out.append({"service": _text(entry.get("service"), f"{what} service", 50,
                                     required=True),
                    "days": _days(entry.get("days"), f"{what} days"),
                    "time": _time(time, f"{what} time") if time else ""})
    return out


def _windows(given: Any) -> list[dict[str, str]]:
    """[{"days": "daily", "start": "09:00", "end": "10:00"}]: when the person checks in."""
    out = []
    for n, entry in enumerate(_entries(given, "checkin_windows", {"days", "start", "end"}), 1):
        what = f"checkin_windows entry {n}"
        start = _time(entry.get("start"), f"{what} start")
        end = entry.get("end")
        end = END_OF_DAY if end == END_OF_DAY else _time(end, f"{what} end")
        if end <= start:
            raise InvalidProfileError(f"{what} ends ({end}) before it starts ({start})")
        out.append({"days": _days(entry.get("days") or "daily", f"{what} days"),
                    "start": start, "end": end})
    return out


def falls_on(days: str, when: datetime) -> bool:
    """Does a plan's or a window's `days` ("daily", "weekdays", "mon,wed"...) include the
    (local) date of WHEN?"""
    today = WEEKDAYS[when.weekday()]
    return today in (_DAY_SETS_OF.get(days) or set(days.split(",")))
