"""Answer consultations from the knowledge base: word-level search with jieba.

Scoring is the share of the question's informative words (weighted by inverse document
frequency over the knowledge base) that an entry contains, so a score of 1.0 means every
informative word matched and the threshold reads as "covers at least this much".
"""

from __future__ import annotations

import math
import re
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from functools import lru_cache

import jieba

jieba.setLogLevel(60)

MIN_SCORE = 0.35
_WORD = re.compile(r"[\w\u4e00-\u9fff]")
_STOP = frozenset(
    "的 了 吗 呢 啊 吧 我 你 他 她 是 在 有 和 就 都 要 想 能 可以 怎么 什么 如何 哪里 请问 "
    "一下 请 帮 这个 那个 还 也 去 到 给 个 问 办".split()
)


@dataclass(frozen=True)
class Entry:
    """One knowledge-base answer."""

    id: int
    topic: str | None
    question: str
    answer: str


@dataclass(frozen=True)
class Hit:
    entry: Entry
    score: float


@lru_cache(maxsize=4096)
def words(text: str) -> frozenset[str]:
    """Informative words of ``text`` (search-mode segmentation, stop words removed)."""
    return frozenset(
        w.lower() for w in jieba.cut_for_search(text)
        if _WORD.search(w) and w not in _STOP and not w.isdigit()
    )


def search(
    entries: Sequence[Entry], query: str, topic: str | None = None, limit: int = 3
) -> list[Hit]:
    """Entries that answer ``query``, best first, with scores in 0..1 (above MIN_SCORE)."""
    asked = words(query)
    if not asked or not entries:
        return []
    docs = [words(e.question + " " + e.answer) | words(e.question) for e in entries]
    n = len(entries)
    df = {w: sum(w in d for d in docs) for w in asked}
    idf = {w: math.log(1 + n / (1 + df[w])) + (0.2 if df[w] == 0 else 1.0) for w in asked}
    total = sum(idf.values())
    hits = []
    for entry, doc in zip(entries, docs, strict=True):
        score = sum(idf[w] for w in asked if w in doc) / total
        if topic is not None and entry.topic == topic:
            score = min(1.0, score + 0.1)
        if score >= MIN_SCORE:
            hits.append(Hit(entry, round(score, 4)))
    hits.sort(key=lambda h: (-h.score, h.entry.id))
    return hits[:limit]


def best(entries: Iterable[Entry], query: str, topic: str | None = None) -> Hit | None:
    """The single best answer, or None when nothing fits well enough."""
    found = search(list(entries), query, topic, limit=1)
    return found[0] if found else None
