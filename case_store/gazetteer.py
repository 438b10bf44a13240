"""Where a request is, from the Jinhua names it mentions: coordinates for "nearest" dispatch.

Open311 requests carry coordinates; phone, desk and web requests only name places
(义乌国际商贸城附近, 东阳市城东街道). The packaged gazetteer (``gazetteer.yaml``: districts,
streets and towns, well-known places, with aliases) gives approximate coordinates and the
region for those names. Names are compared on the squashed text (``places.squash``: width,
case, spaces and punctuation do not matter), so ASR spacing and digits do no harm.

The most specific name wins: a place beats a street, a street beats a district, and a
longer name beats a shorter one (义乌市中心医院 over 市中心医院). Two entries with the same
name (城西街道 in 婺城区 and in 义乌市) are told apart by a district the request names;
with none named, the one listed first in the file wins (the city's own districts).
A county's name followed by 江, 街, 路, 门 and the like is a river or a city street named
after it (武义江 flows through the city; 永康街 is in 婺城区), not the county, unless
another name follows (永康江南街道 is 永康's 江南街道).
"""

from __future__ import annotations

from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path

import yaml

from case_store.places import squash

GAZETTEER_PATH = Path(__file__).with_name("gazetteer.yaml")
KINDS = ("district", "street", "place")  # least to most specific
_NAMED_AFTER = ("江", "街", "路", "巷", "弄", "门", "大道")  # 武义江, 永康街, 兰溪门


@dataclass(frozen=True)
class Location:
    """One gazetteer entry: where a name is, and which region it belongs to."""

    name: str
    kind: str
    region: str
    parent: str
    lat: float
    lon: float


@dataclass(frozen=True)
class _Entry:
    location: Location
    rank: int  # index in KINDS
    order: int  # position in the file: the tie-break of last resort


@dataclass(frozen=True)
class _Index:
    entries: dict[str, tuple[_Entry, ...]]  # squashed name or alias -> the entries it names
    districts: frozenset[str]  # the names and aliases of districts


@lru_cache(maxsize=1)
def _index() -> _Index:
    """The gazetteer, loaded once per process."""
    data = yaml.safe_load(GAZETTEER_PATH.read_text(encoding="utf-8"))
    entries: dict[str, list[_Entry]] = {}
    districts: set[str] = set()
    for order, row in enumerate(data["places"]):
        loc = Location(str(row["name"]), row["kind"], row["region"], str(row["parent"]),
                       float(row["lat"]), float(row["lon"]))
        entry = _Entry(loc, KINDS.index(loc.kind), order)
        for name in {squash(n) for n in [loc.name, *(row.get("aliases") or [])]}:
            entries.setdefault(name, []).append(entry)
            if loc.kind == "district":
                districts.add(name)
    return _Index({name: tuple(group) for name, group in entries.items()},
                  frozenset(districts))


def _names_district(text: str, name: str, index: _Index) -> bool:
    """Whether ``name`` occurs in ``text`` as the district, not as something named after it."""
    start = text.find(name)
    while start >= 0:
        rest = text[start + len(name):]
        if not rest.startswith(_NAMED_AFTER) or any(map(rest.startswith, index.entries)):
            return True
        start = text.find(name, start + 1)
    return False


def _named(text: str) -> list[tuple[str, _Entry]]:
    """Every (name, entry) whose name occurs in the squashed ``text``."""
    index = _index()
    return [(name, entry) for name, group in index.entries.items()
            if name in text and (name not in index.districts
                                 or _names_district(text, name, index))
            for entry in group]


def locate(text: str, context: str = "") -> Location | None:
    """The most specific Jinhua location ``text`` names, or None.

    Districts named in ``text`` or ``context`` (e.g. the whole request, when ``text`` is
    the address the tagger took from it) decide between entries of the same name.
    """
    found = _named(squash(text))
    if not found:
        return None
    districts = {entry.location.region
                 for _, entry in found + (_named(squash(context)) if context else [])
                 if entry.location.kind == "district"}
    _, best = max(found, key=lambda hit: (hit[1].rank, len(hit[0]),
                                          hit[1].location.region in districts,
                                          -hit[1].order))
    return best.location
