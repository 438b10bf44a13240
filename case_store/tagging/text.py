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
