"""HTML built by small functions in which escaping is the default, not a habit.

``h(template, *args)`` escapes every argument unless it is already ``Safe`` (built by
``h`` itself), so citizen text can only reach a page escaped. Templates are trusted
literals in this package; values never become templates.
"""

from __future__ import annotations

import html
from collections.abc import Iterable
from typing import Any


class Safe(str):
    """Markup that has been built from escaped parts; inserted as is."""

    __slots__ = ()


def esc(value: Any) -> Safe:
    """Escape anything for text or a quoted attribute; ``None`` becomes empty."""
    if isinstance(value, Safe):
        return value
    return Safe(html.escape("" if value is None else str(value), quote=True))


def h(template: str, *args: Any, **kwargs: Any) -> Safe:
    """Format a trusted template with escaped arguments."""
    return Safe(template.format(*(esc(a) for a in args),
                                **{k: esc(v) for k, v in kwargs.items()}))


def join(parts: Iterable[Any], sep: str = "") -> Safe:
    """Concatenate escaped parts."""
    return Safe(sep.join(esc(p) for p in parts))


def options(choices: Iterable[tuple[str, str]], selected: str | None) -> Safe:
    """<option> elements for a select, marking the selected value."""
    return join(h('<option value="{}"{}>{}</option>', value,
                  Safe(" selected") if value == selected else Safe(""), label)
                for value, label in choices)


def table(headers: Iterable[Any], rows: Iterable[Iterable[Any]],
          row_classes: Iterable[str] | None = None, table_class: str = "grid") -> Safe:
    """A plain table; cells are escaped unless Safe."""
    head = join(h("<th>{}</th>", c) for c in headers)
    classes = list(row_classes) if row_classes is not None else None
    body = []
    for i, row in enumerate(rows):
        cls = classes[i] if classes and i < len(classes) else ""
        cells = join(h("<td>{}</td>", c) for c in row)
        body.append(h('<tr class="{}">{}</tr>', cls, cells))
    return h('<table class="{}"><thead><tr>{}</tr></thead><tbody>{}</tbody></table>',
             table_class, head, join(body))


def mask_phone(phone: str | None) -> str:
    """Keep the first 3 and last 4 digits (138****8000), as Chinese services print them."""
    if not phone:
        return ""
    if len(phone) <= 7:
        return phone[:2] + "*" * max(0, len(phone) - 2)
    return phone[:3] + "*" * (len(phone) - 7) + phone[-4:]
