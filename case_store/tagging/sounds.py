"""Danger words heard wrong: a sound-alike match for the few words that must never be missed.

Speech recognition writes 晕倒 as 云倒 or 晕到, 着火 as 着伙, 煤气味 as 煤器味. A span whose
characters can each be read (toneless pinyin, any reading) as the danger word's, and
keeps at least half its characters exactly, counts as that word. The list is short on
purpose: sound-alikes of 失火 or 跌倒 (是火, 跌到) are everyday words.
"""

from __future__ import annotations

from dataclasses import dataclass
from functools import lru_cache

from pypinyin import Style, lazy_pinyin, pinyin

SOUND_DANGER = ("煤气味", "燃气味", "天然气味", "着火", "晕倒", "昏倒", "摔倒", "救命")


@lru_cache(maxsize=8192)
def readings(ch: str) -> frozenset[str]:
    """Every toneless reading of one character (itself if it is not Chinese)."""
    got = pinyin(ch, style=Style.NORMAL, heteronym=True)
    return frozenset(got[0]) if got and got[0] else frozenset((ch,))


@dataclass(frozen=True)
class SoundSpan:
    """A span heard as a danger word."""

    word: str
    start: int
    end: int


class SoundMatcher:
    """Finds sound-alikes of ``words``; an exact occurrence is the lexicon's business."""

    def __init__(self, words: tuple[str, ...] = SOUND_DANGER) -> None:
        self._words = [(w, lazy_pinyin(w, style=Style.NORMAL)) for w in words]
        # per character, the words it can begin (most characters begin none)
        self._starting: dict[str, tuple[tuple[str, list[str]], ...]] = {}

    def _words_starting(self, ch: str) -> tuple[tuple[str, list[str]], ...]:
        got = self._starting.get(ch)
        if got is None:
            heard = readings(ch)
            got = self._starting[ch] = tuple((w, s) for w, s in self._words if s[0] in heard)
        return got

    def find(self, text: str) -> list[SoundSpan]:
        found: list[SoundSpan] = []
        starting = self._words_starting
        for i, ch in enumerate(text):
            for word, syl in starting(ch):
                span = text[i:i + len(word)]
                if len(span) < len(word) or span == word:
                    continue
                if all(s in readings(c) for s, c in zip(syl, span, strict=True)):
                    same = sum(a == b for a, b in zip(word, span, strict=True))
                    if 2 * same >= len(word):
                        found.append(SoundSpan(word, i, i + len(word)))
        return found


@lru_cache(maxsize=1)
def sound_matcher() -> SoundMatcher:
    return SoundMatcher()
