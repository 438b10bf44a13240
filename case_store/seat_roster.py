"""The roster of seats: which seat numbers exist, as data instead of a configured range.

One job: add, remove, enable/disable, list and import seats (table ``seats``, migration
0013). A seat number is its PJSIP endpoint and dialplan extension, so it is 2-8 ASCII
digits and never a number something else answers to: an elderly terminal (the
registry's, checked here in the same transaction, and the configured ones the caller
passes in ``reserved``) or a hotline number. ``enabled_numbers`` says which seats the
hotline serves: None while the table is empty (or not migrated yet), so an install that
never lists a seat keeps its configured range.
"""

from __future__ import annotations

import csv
import re
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path

from sqlalchemy import Engine, func, inspect, select
from sqlalchemy.orm import Session

from case_store.db import make_engine
from case_store.errors import InvalidSeatError, SeatNotFoundError
from case_store.models import ElderlyTerminal, SeatRow
from case_store.unit import Clock, UnitOfWork, utc_now

_NUMBER = re.compile(r"^[0-9]{2,8}$")
NAME_LIMIT = 100
SITE_LIMIT = 40
MAX_IMPORT_ROWS = 5000
IMPORT_COLUMNS = ("number", "name", "site")


@dataclass(frozen=True)
class Seat:
    number: str
    name: str
    site: str | None
    enabled: bool
    created_at: datetime


@dataclass(frozen=True)
class _Wanted:
    number: str
    name: str
    site: str | None


class SeatRoster:
    """Seats on the case store's database. ``reserved`` maps numbers that are not
    seats' to what they are (configured terminals, the hotline numbers)."""

    def __init__(self, url: str | Engine, reserved: Mapping[str, str] | None = None,
                 clock: Clock = utc_now) -> None:
        self.engine = make_engine(url) if isinstance(url, str) else url
        self.uow = UnitOfWork(self.engine, clock)
        self.reserved = dict(reserved or {})

    # -- reads -------------------------------------------------------------------------

    def list_seats(self) -> list[Seat]:
        """Every seat, enabled or not, by number."""
        with self.uow.tx() as s:
            rows = s.scalars(select(SeatRow).order_by(func.length(SeatRow.number),
                                                      SeatRow.number))
            return [_seat(r) for r in rows]

    def enabled_numbers(self) -> list[str] | None:
        """The enabled seats' numbers in order; None when the roster lists no seat at
        all (an empty table, or a database not migrated to 0013 yet). A database that
        cannot be reached raises: no caller should guess the seats then."""
        if not inspect(self.engine).has_table(SeatRow.__tablename__):
            return None
        seats = self.list_seats()
        return [s.number for s in seats if s.enabled] if seats else None

    # -- writes ------------------------------------------------------------------------

    def add(self, number: str, name: str = "", site: str | None = None) -> Seat:
        wanted = self._clean(number, name, site)
        with self.uow.tx() as s:
            if s.get(SeatRow, wanted.number) is not None:
                raise InvalidSeatError(f"seat {wanted.number} exists already")
            self._check_free(s, [wanted.number])
            row = SeatRow(number=wanted.number, name=wanted.name, site=wanted.site,
                          enabled=True, created_at=self.uow.clock())
            s.add(row)
            return _seat(row)

    def remove(self, number: str) -> None:
        with self.uow.tx() as s:
            s.delete(self._row(s, number))

    def set_enabled(self, number: str, enabled: bool) -> Seat:
        """A disabled seat stays listed but is neither rendered nor served."""
        with self.uow.tx() as s:
            row = self._row(s, number)
            row.enabled = enabled
            return _seat(row)

    def import_csv(self, path: Path) -> list[Seat]:
        """Add or update (name, site) the seats of a ``number,name,site`` file (a header
        line naming those columns is skipped), all or nothing: a bad row refuses the file
        and InvalidSeatError names every bad row."""
        with path.open(newline="", encoding="utf-8-sig") as handle:
            rows = list(csv.reader(handle))
        first_line = 1
        if rows and rows[0] and rows[0][0].strip().lower() == IMPORT_COLUMNS[0]:
            rows, first_line = rows[1:], 2
        if len(rows) > MAX_IMPORT_ROWS:
            raise InvalidSeatError(f"at most {MAX_IMPORT_ROWS} seats a file")
        wanted, problems = self._parse(rows, first_line)
        with self.uow.tx() as s:
            try:
                self._check_free(s, [w.number for w in wanted])
            except InvalidSeatError as exc:
                problems.append(str(exc))
            if problems:
                raise InvalidSeatError(f"{path.name}: nothing imported; " + "; ".join(problems))
            now = self.uow.clock()
            existing = {r.number: r for r in s.scalars(select(SeatRow).where(
                SeatRow.number.in_([w.number for w in wanted])))}
            for w in wanted:
                row = existing.get(w.number)
                if row is None:
                    s.add(SeatRow(number=w.number, name=w.name, site=w.site, enabled=True,
                                  created_at=now))
                else:
                    row.name, row.site = w.name, w.site
        return [s for s in self.list_seats() if s.number in {w.number for w in wanted}]

    # -- rules -------------------------------------------------------------------------

    def _parse(self, rows: list[list[str]], first_line: int) -> tuple[list[_Wanted], list[str]]:
        wanted: list[_Wanted] = []
        problems: list[str] = []
        seen: set[str] = set()
        for line, row in enumerate(rows, start=first_line):
            if not any(cell.strip() for cell in row):
                continue
            cells = [*row, "", ""][:3]
            try:
                w = self._clean(*cells)
            except InvalidSeatError as exc:
                problems.append(f"line {line}: {exc}")
                continue
            if w.number in seen:
                problems.append(f"line {line}: seat {w.number} is in the file twice")
                continue
            seen.add(w.number)
            wanted.append(w)
        return wanted, problems

    @staticmethod
    def _clean(number: str, name: str = "", site: str | None = None) -> _Wanted:
        number = (number or "").strip()
        if not _NUMBER.match(number):
            raise InvalidSeatError(f"a seat number is 2 to 8 digits, not {number[:20]!r}")
        name = (name or "").strip()
        if len(name) > NAME_LIMIT:
            raise InvalidSeatError(f"seat {number}: the name is longer than {NAME_LIMIT}")
        site = (site or "").strip() or None
        if site is not None and len(site) > SITE_LIMIT:
            raise InvalidSeatError(f"seat {number}: the site is longer than {SITE_LIMIT}")
        return _Wanted(number, name, site)

    def _check_free(self, s: Session, numbers: Iterable[str]) -> None:
        """Refuse numbers that a terminal or a hotline number answers to."""
        numbers = list(numbers)
        taken = {n: self.reserved[n] for n in numbers if n in self.reserved}
        for terminal in s.scalars(select(ElderlyTerminal.terminal).where(
                ElderlyTerminal.terminal.in_(numbers))):
            taken.setdefault(terminal, "a registered elderly terminal")
        if taken:
            raise InvalidSeatError("not a seat number: " + ", ".join(
                f"{n} is {what}" for n, what in sorted(taken.items())))

    @staticmethod
    def _row(s: Session, number: str) -> SeatRow:
        row = s.get(SeatRow, (number or "").strip())
        if row is None:
            raise SeatNotFoundError(f"no seat {number[:20]!r}")
        return row


def _seat(row: SeatRow) -> Seat:
    return Seat(row.number, row.name or "", row.site, bool(row.enabled), row.created_at)
