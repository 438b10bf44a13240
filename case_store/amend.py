"""An agent's correction of a case, checked before anything is written.

Pure: given the case's current kind/topic/place/text and the fields the agent sent,
return what changes (before and after) or raise ``InvalidCaseError`` naming the bad
field. The store writes the change and its ``corrected`` event in one transaction.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from case_store.errors import InvalidCaseError
from case_store.service_catalog import Catalog

CORRECTABLE = ("kind", "topic", "place", "text")
PLACE_LIMIT = 300  # the column's size


def plan_correction(current: Mapping[str, Any], fields: Mapping[str, Any], catalog: Catalog,
                    text_limit: int) -> tuple[dict[str, Any], dict[str, Any]]:
    """(before, after) of the fields that really change; both empty when nothing does."""
    unknown = sorted(set(fields) - set(CORRECTABLE))
    if unknown:
        raise InvalidCaseError(f"cannot correct {', '.join(unknown)}; "
                               f"correctable: {', '.join(CORRECTABLE)}")
    wanted: dict[str, Any] = {}
    for name, value in fields.items():
        if value is not None and not isinstance(value, str):
            raise InvalidCaseError(f"{name} must be text, got {value!r}")
        value = (value or "").strip() or None
        if name == "text" and value is None:
            raise InvalidCaseError("the request text cannot be corrected to nothing")
        if name == "kind" and value is None:
            raise InvalidCaseError("a case needs a kind")
        if value is not None and "\x00" in value:
            raise InvalidCaseError(f"{name} contains a NUL character")
        wanted[name] = value
    if len(wanted.get("text") or "") > text_limit:
        raise InvalidCaseError(f"the request text has {len(wanted['text'])} characters; "
                               f"the limit is {text_limit}")
    if len(wanted.get("place") or "") > PLACE_LIMIT:
        raise InvalidCaseError(f"the place has more than {PLACE_LIMIT} characters")
    merged = {name: wanted.get(name, current.get(name)) for name in CORRECTABLE}
    catalog.check(merged["kind"], merged["topic"])
    changed = [n for n in CORRECTABLE if n in wanted and wanted[n] != current.get(n)]
    return ({n: current.get(n) for n in changed}, {n: wanted[n] for n in changed})
