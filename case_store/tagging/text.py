"""Text clean-up shared by the tagger: ASR spacing, punctuation, fillers, width."""

from __future__ import annotations

import re
import unicodedata

_DROP = re.compile(r"[\s\u3000,，.。!！?？;；:：、\"'“”‘’()（）\[\]【】<>《》…~～—\-]+")


def compact(text: str) -> str:
    """Drop spaces and punctuation (vosk writes Chinese words space-separated)."""
    return _DROP.sub("", unicodedata.normalize("NFKC", text))


def strip_fillers(text: str, fillers: tuple[str, ...]) -> str:
    """Remove filler words (longest first) so names and numbers sit together."""
    for filler in fillers:
        if filler in text:
            text = text.replace(filler, "")
    return text


# Jinhua (Wu) words callers use, as the Mandarin the lexicon and model know: 弗 is 不.
_DIALECT = {
    "弗": "不", "呒没": "没有", "啥西": "什么", "屋里": "家里", "今朝": "今天", "明朝": "明天",
    "交关": "很", "睏": "睡", "落雨": "下雨", "小人": "小孩", "夜快": "傍晚", "上半日": "上午",
    "下半日": "下午", "老倌": "老公", "姆妈": "妈妈", "覅": "不要",
}
_DIALECT_RE = re.compile("|".join(sorted(map(re.escape, _DIALECT), key=len, reverse=True)))


def normalise(text: str) -> str:
    """``compact`` text with Jinhua dialect words in Mandarin (弗来 -> 不来, 叫弗醒 -> 叫不醒)."""
    return _DIALECT_RE.sub(lambda m: _DIALECT[m.group(0)], compact(text))
