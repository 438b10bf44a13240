"""The service catalog (kind and topic codes) as the tagger sees it.

Read from the packaged ``case_store/catalog.yaml`` so the product never needs the
shared data folder at run time.
"""

from __future__ import annotations

from dataclasses import dataclass
from functools import lru_cache
from importlib import resources

import yaml


@dataclass(frozen=True)
class Topic:
    """One catalog topic: its code, spoken name and the kind it usually is."""

    code: str
    name: str
    kind: str

    @property
    def short_name(self) -> str:
        """Name without the bracketed examples, for speech and read-back."""
        return self.name.split("(")[0].split("（")[0]


@dataclass(frozen=True)
class Catalog:
    """Kinds and topics in catalog order."""

    kinds: dict[str, str]
    topics: dict[str, Topic]


@lru_cache(maxsize=1)
def load_catalog() -> Catalog:
    """Parse the packaged catalog once per process."""
    text = resources.files("case_store").joinpath("catalog.yaml").read_text(encoding="utf-8")
    data = yaml.safe_load(text)
    kinds = {code: str(entry.get("name", code)) for code, entry in data["kinds"].items()}
    topics = {
        code: Topic(code=code, name=str(entry["name"]), kind=str(entry["kind"]))
        for code, entry in data["topics"].items()
    }
    return Catalog(kinds=kinds, topics=topics)
