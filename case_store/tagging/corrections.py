"""Agents' corrections teach the tagger: the lexicon learns words, the model the request.

A correction (text, kind, topic) adds the request's content words that the lexicon
did not know to the corrected topic (weight 2: a strong hint, not a verdict), and keeps
the request itself as a training example of its corrected kind and topic, so the next
caller who says it the same way is tagged right. Additions live in a JSON file next to
the deployment, never in the packaged lexicon.
"""

from __future__ import annotations

import json
import os
import tempfile
from collections.abc import Iterable
from pathlib import Path
from typing import Any

from case_store.tagging.catalog import load_catalog
from case_store.tagging.lexicon import load_lexicon, read_additions
from case_store.tagging.model import tokenizer, words
from case_store.tagging.text import normalise, strip_fillers

LEARNED_WEIGHT = 2.0
# Words this common in jieba's dictionary say nothing about a topic (看看, 东西, 一下).
COMMON_FREQ = 3000
Correction = tuple[str, str, str]


def lexicon_additions(corrections: Iterable[Correction],
                      known: Iterable[str] = ()) -> dict[str, Any]:
    """New {topics: {topic: {word: weight}}} entries from (text, kind, topic) corrections."""
    catalog = load_catalog()
    lexicon = load_lexicon()
    seen = set(known)
    freq = tokenizer().FREQ
    topics: dict[str, dict[str, float]] = {}
    for text, kind, topic in corrections:
        if topic not in catalog.topics:
            raise ValueError(f"unknown topic {topic!r}")
        if kind not in catalog.kinds:
            raise ValueError(f"unknown kind {kind!r}")
        clean = strip_fillers(normalise(text), lexicon.fillers)  # as the tagger reads it
        for word in words(clean):
            common = (freq.get(word) or 0) > COMMON_FREQ
            if len(word) >= 2 and not common and word not in lexicon.terms and word not in seen:
                topics.setdefault(topic, {})[word] = LEARNED_WEIGHT
                seen.add(word)
    return {"topics": topics}


def learn_corrections(corrections: Iterable[Correction], path: Path | str) -> dict[str, Any]:
    """Merge corrections into the JSON additions file at ``path``; returns what was added."""
    path = Path(path)
    corrections = list(corrections)
    stored = read_additions(path)
    stored_topics: dict[str, dict[str, float]] = stored.setdefault("topics", {})
    known = {w for table in stored_topics.values() for w in table}
    added = lexicon_additions(corrections, known)
    for topic, table in added["topics"].items():
        stored_topics.setdefault(topic, {}).update(table)
    stored_examples: list[list[str]] = stored.setdefault("examples", [])
    for text, kind, topic in corrections:
        if [kind, topic, text] not in stored_examples:
            stored_examples.append([kind, topic, text])
    path.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(dir=path.parent, prefix=path.name, suffix=".tmp")
    with os.fdopen(fd, "w", encoding="utf-8") as handle:
        json.dump(stored, handle, ensure_ascii=False, indent=1, sort_keys=True)
    os.replace(tmp, path)
    return added
