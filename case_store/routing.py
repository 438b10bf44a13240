"""Which rule a case follows, decided from its kind and topic alone (no I/O).

consult -> knowledge base at once, else the topic's department within 1 working day;
life -> a partner company of the topic's trade (see ``dispatch``); affairs -> department,
5 working days; complaint / suggestion -> department, 15 working days; emergency -> a person
and the elderly centre at once, never queued; praise -> recorded and forwarded.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass

from case_store.service_catalog import Catalog

DEFAULT_DEPT = "supervision_office"  # oversees whatever no topic names a department for
EMERGENCY_DEPT = "elderly_center"


@dataclass(frozen=True)
class Rule:
    """How a case is handled: ``kb`` / ``company`` / ``department`` / ``emergency`` /
    ``forward``, with the department or trade that applies."""

    name: str
    dept: str
    trade: str | None = None


def rule_for(catalog: Catalog, kind: str, topic: str | None) -> Rule:
    """The handling rule of a (validated) kind and topic."""
    t = catalog.topics.get(topic) if topic else None
    dept = (t.dept if t and t.dept else None) or DEFAULT_DEPT
    if kind == "emergency":
        return Rule("emergency", EMERGENCY_DEPT)
    if kind == "praise":
        return Rule("forward", dept)
    if kind == "consult":
        return Rule("kb", dept)
    if kind == "life" and t is not None and t.trade:
        return Rule("company", dept, t.trade)
    return Rule("department", dept)


@dataclass(frozen=True)
class DeptNode:
    code: str
    parent: str | None
    level: str
    region: str | None


def local_department(dept: str, region: str | None, tree: Iterable[DeptNode]) -> str:
    """The unit that handles ``dept``'s work in ``region``.

    A district execution department under ``dept`` for that region wins; otherwise the
    county sub-centre of that region (counties run their own 8890 centre); otherwise the
    city department itself.
    """
    if not region:
        return dept
    nodes = list(tree)
    for node in nodes:
        if node.parent == dept and node.region == region:
            return node.code
    for node in nodes:
        if node.level == "county" and node.region == region:
            return node.code
    return dept
