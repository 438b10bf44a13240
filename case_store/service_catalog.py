"""Read the city's service catalog (kinds, topics, departments) into plain, frozen data.

The YAML belongs to the tagging side; routing only needs the codes and who handles
each topic, so this module turns the file into lookups and validates caller input.
"""

from __future__ import annotations

from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path

import yaml

from case_store.errors import InvalidCaseError

CATALOG_PATH = Path(__file__).with_name("catalog.yaml")


@dataclass(frozen=True)
class Topic:
    """One topic code: its usual kind and its handler (a department or a company trade)."""

    code: str
    name: str
    kind: str
    dept: str | None
    trade: str | None


@dataclass(frozen=True)
class Catalog:
    """Kinds, topics and city departments as the catalog defines them."""

    kinds: dict[str, str]
    topics: dict[str, Topic]
    departments: dict[str, str]

    def check(self, kind: str, topic: str | None) -> None:
        """Raise InvalidCaseError naming the valid codes when a code is unknown."""
        if kind not in self.kinds:
            raise InvalidCaseError(
                f"unknown kind {kind!r}; valid kinds: {', '.join(sorted(self.kinds))}"
            )
        self.check_topic(topic)

    def check_topic(self, topic: str | None) -> None:
        """Raise InvalidCaseError for a topic code the catalog does not have."""
        if topic is not None and topic not in self.topics:
            raise InvalidCaseError(f"unknown topic {topic!r}; see catalog.yaml for topic codes")


def parse_catalog(data: dict) -> Catalog:
    """Build a Catalog from the YAML mapping (kept separate so tests can pass a dict)."""
    kinds = {code: str(v.get("name", code)) for code, v in data["kinds"].items()}
    topics = {
        code: Topic(code, str(v.get("name", code)), v["kind"], v.get("dept"), v.get("company"))
        for code, v in data["topics"].items()
    }
    return Catalog(kinds=kinds, topics=topics, departments=dict(data["departments"]))


@lru_cache(maxsize=4)
def load_catalog(path: Path = CATALOG_PATH) -> Catalog:
    """The catalog shipped in the package (cached: it is read on every routing decision)."""
    return parse_catalog(yaml.safe_load(path.read_text(encoding="utf-8")))
