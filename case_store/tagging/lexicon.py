"""The domain lexicon: which words point to which topic or kind, and how strongly.

The packaged ``lexicon.yaml`` is the base; agents' corrections add entries kept in
a JSON file (see ``corrections.py``). Matching is a dictionary scan over substrings,
which tolerates jieba segmentation slips in ASR text and stays fast.
"""

from __future__ import annotations

import json
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from functools import lru_cache
from importlib import resources
from pathlib import Path
from typing import Any

import yaml

# A lexicon entry is (axis, label, weight); axis is "topic", "kind", "danger",
# "request", "construction" or "safe".
Entry = tuple[str, str, float]


@dataclass(frozen=True)
class Match:
    """One lexicon word found in a text, with its position."""

    term: str
    start: int
    end: int
    entries: tuple[Entry, ...]


@dataclass
class Lexicon:
    """Terms with their entries, plus the few word lists the rules need."""

    terms: dict[str, list[Entry]] = field(default_factory=dict)
    negators: tuple[str, ...] = ()
    negator_window: int = 4
    fillers: tuple[str, ...] = ()
    max_len: int = 1
    prefixes: set[str] = field(default_factory=set)  # of every term: a scan stops early

    def add(self, term: str, axis: str, label: str, weight: float) -> None:
        """Register a term; a repeated (axis, label) keeps the larger weight."""
        term = term.strip()
        if not term:
            return
        entries = self.terms.setdefault(term, [])
        for i, (a, lab, w) in enumerate(entries):
            if a == axis and lab == label:
                entries[i] = (a, lab, max(w, weight))
                break
        else:
            entries.append((axis, label, weight))
        self.max_len = max(self.max_len, len(term))
        self.prefixes.update(term[:i] for i in range(1, len(term) + 1))

    def scan(self, text: str) -> list[Match]:
        """All lexicon words in ``text``; a match inside a longer match is dropped."""
        found: list[Match] = []
        terms, prefixes = self.terms, self.prefixes
        n = len(text)
        max_len = self.max_len
        for start in range(n):
            for end in range(start + 1, min(n, start + max_len) + 1):
                piece = text[start:end]
                if piece not in prefixes:
                    break
                entries = terms.get(piece)
                if entries is not None:
                    found.append(Match(piece, start, end, tuple(entries)))
        if len(found) < 2:
            return found
        # Longest first, then keep those not covered by an already kept longer match.
        found.sort(key=lambda m: (m.start - m.end, m.start))
        kept: list[Match] = []
        for m in found:
            if not any(k.start <= m.start and m.end <= k.end for k in kept):
                kept.append(m)
        kept.sort(key=lambda m: m.start)
        return kept


def _tiers(table: Mapping[Any, Iterable[str]] | None) -> Iterable[tuple[str, float]]:
    for weight, words in (table or {}).items():
        for word in words or ():
            yield str(word), float(weight)


def build_lexicon(data: Mapping[str, Any]) -> Lexicon:
    """Turn the YAML structure into a Lexicon (kept separate from I/O for tests)."""
    lex = Lexicon()
    for topic, table in data.get("topics", {}).items():
        for word, weight in _tiers(table):
            lex.add(word, "topic", topic, weight)
    for kind, table in data.get("kind_cues", {}).items():
        axis = "request" if kind == "request" else "kind"
        for word, weight in _tiers(table):
            lex.add(word, axis, kind, weight)
    danger = data.get("danger", {})
    for word in danger.get("words", ()):
        lex.add(str(word), "danger", "emergency", 3.0)
    for word in danger.get("safe_phrases", ()):
        lex.add(str(word), "safe", "", 0.0)
    building = [str(w) for w in data.get("construction", ())]
    for word in building:
        lex.add(word, "construction", "city_suggestion", 1.0)
    _inherit_cues(lex)
    lex.negators = tuple(str(w) for w in danger.get("negators", ()))
    lex.negator_window = int(danger.get("negator_window", 4))
    lex.fillers = tuple(sorted((str(w) for w in data.get("fillers", ())), key=len, reverse=True))
    return lex


_INHERITED = ("kind", "request", "construction")


def _inherit_cues(lex: Lexicon) -> None:
    """A longer word hides shorter ones inside it; keep their kind cues unless it has its own.

    So 非常满意 (a topic word) still counts as praise via 满意, while 不满意 (its own
    complaint cue) does not, and 打不着火 never inherits the danger of 着火.
    """
    for term, entries in list(lex.terms.items()):
        own = {axis for axis, _, _ in entries}
        extra: list[Entry] = []
        for i in range(len(term)):
            for j in range(i + 1, len(term) + 1):
                if (i, j) == (0, len(term)):
                    continue
                for axis, label, weight in lex.terms.get(term[i:j], ()):
                    if axis in _INHERITED and axis not in own:
                        extra.append((axis, label, weight))
        for axis, label, weight in extra:
            lex.add(term, axis, label, weight)


def apply_additions(lex: Lexicon, additions: Mapping[str, Any]) -> Lexicon:
    """Merge learned additions ({"topics": {code: {term: weight}}, "kinds": ...})."""
    for topic, words in additions.get("topics", {}).items():
        for word, weight in words.items():
            lex.add(word, "topic", topic, float(weight))
    for kind, words in additions.get("kinds", {}).items():
        for word, weight in words.items():
            lex.add(word, "kind", kind, float(weight))
    return lex


def read_additions(path: Path | str | None) -> dict[str, Any]:
    """Learned additions from a JSON file; a missing file means none yet."""
    if path is None:
        return {}
    p = Path(path)
    if not p.exists():
        return {}
    data = json.loads(p.read_text(encoding="utf-8"))
    return data if isinstance(data, dict) else {}


@lru_cache(maxsize=1)
def base_lexicon_data() -> dict[str, Any]:
    """The packaged lexicon.yaml, parsed once."""
    text = resources.files(__package__).joinpath("lexicon.yaml").read_text(encoding="utf-8")
    return yaml.safe_load(text)


def load_lexicon(additions_path: Path | str | None = None) -> Lexicon:
    """Base lexicon plus any learned additions."""
    lex = build_lexicon(base_lexicon_data())
    return apply_additions(lex, read_additions(additions_path))
