"""The key two reports of the same place share, for merging duplicates across callers.

Places come from the tagger (``case_store.tagging.details.find_place``: e.g. 宾虹路128号,
丹溪小区5幢) or from a form. Matching is exact on a normalised string: full-width and
half-width forms, letter case, spaces and punctuation do not matter, anything else does
(宾虹路128号 and 宾虹路128号楼 are different places). Fuzzy or geographic matching would
merge reports a department must see separately; a missed merge only costs a second case.
"""

from __future__ import annotations

import re
import unicodedata

_SQUASH = re.compile(r"[\s\W_]+", re.UNICODE)


def squash(text: str) -> str:
    """``text`` without width, case, spaces or punctuation (宾虹路 128 号 -> 宾虹路128号)."""
    return _SQUASH.sub("", unicodedata.normalize("NFKC", text).lower())


def place_key(place: str | None) -> str | None:
    """The normalised place, or None when there is no usable place."""
    if not place:
        return None
    return squash(place)[:300] or None
