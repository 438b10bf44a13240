"""Horizontal bar charts as SVG built on the server: no script, no external asset, no
inline style (the CSP allows neither), so a printed report and a locked-down browser
show the same picture. Colours come from classes in static/app.css."""

from __future__ import annotations

from collections.abc import Iterable

from hotline.web.html import Safe, h, join

ROW = 22  # px per bar
LABEL = 190  # px for the names on the left
BAR = 300  # px for a rate of 100%
VALUE = 60  # px for the figure on the right


def percent(rate: float | None) -> str:
    """0.9813 -> "98.1%"; no rate -> "—"."""
    return "—" if rate is None else f"{rate * 100:.1f}%"


def bar_chart(title: str, bars: Iterable[tuple[str, float | None]], chart_id: str,
              goal: float | None = None) -> Safe:
    """One bar per (label, rate in 0..1); a missing rate draws no bar; ``goal`` draws a
    marked line (the platform's 98%) that bars below it are told apart from."""
    rows = list(bars)
    width, height = LABEL + BAR + VALUE, ROW * max(1, len(rows)) + 24
    parts = []
    for i, (label, rate) in enumerate(rows):
        y = 20 + i * ROW
        cls = "bar" if goal is None or rate is None or rate >= goal else "bar low"
        length = round(BAR * max(0.0, min(1.0, rate or 0.0)), 1)
        bar = "" if rate is None else h(
            '<rect x="{}" y="{}" width="{}" height="{}" class="{}"><title>{}: {}</title>'
            "</rect>", LABEL, y + 3, length, ROW - 6, cls, label, percent(rate))
        parts.append(h('<text x="{}" y="{}" class="label" text-anchor="end">{}</text>{}'
                       '<text x="{}" y="{}" class="value">{}</text>',
                       LABEL - 6, y + 14, label, bar, LABEL + BAR + 6, y + 14, percent(rate)))
    if goal is not None:
        x = LABEL + round(BAR * goal, 1)
        parts.append(h('<line x1="{}" x2="{}" y1="14" y2="{}" class="goal"/>'
                       '<text x="{}" y="11" class="goal-label" text-anchor="middle">{}</text>',
                       x, x, height - 4, x, percent(goal)))
    return h('<figure class="bars-figure"><figcaption>{}</figcaption>'
             '<svg xmlns="http://www.w3.org/2000/svg" class="bars" id="{}" role="img" '
             'viewBox="0 0 {} {}" width="{}" height="{}" aria-label="{}">{}</svg></figure>',
             title, chart_id, width, height, width, height, title, join(parts))
