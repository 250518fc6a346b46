"""Inline SVG charts for the HTML report, drawn in Python: no script, no library, no font file.

A chart is a string of SVG markup to place inside the page. Every text is escaped here; colours
are attributes (not only CSS) so a chart looks the same when its markup is copied elsewhere.
Bars are ``<rect class="bar">`` with a ``data-value``, which is what tests look for.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass
from html import escape

from connector.model import Side

COLOURS = {Side.SALESFORCE: "#0b75c9", Side.HUBSPOT: "#ff7a59"}
MUTED = "#9aa5b1"
INK = "#1f2933"
GRID = "#e4e7eb"


@dataclass(frozen=True)
class Series:
    """One system's values across a chart's categories."""

    name: str
    colour: str
    values: Sequence[float]


@dataclass(frozen=True)
class FunnelRow:
    """One bar of a funnel: a stage name, its count, and whether it stands beside the funnel."""

    label: str
    value: int
    aside: bool = False


def esc(text: object) -> str:
    return escape(str(text), quote=True)


def funnel(
    rows: Sequence[FunnelRow], *, colour: str, title: str, chart_id: str, width: int = 460
) -> str:
    """Centred bars, widest at the top: the funnel's shape at a glance.

    Rows marked ``aside`` (disqualified, unmapped) follow a gap, in grey: they are not a step
    of the funnel but must be seen next to it.
    """
    label_w, count_w, row_h, bar_h, gap = 104, 56, 30, 22, 14
    area = width - label_w - count_w
    top = 8
    biggest = max((r.value for r in rows), default=0) or 1
    parts: list[str] = []
    y = top
    previous_aside = False
    for row in rows:
        if row.aside and not previous_aside:
            y += gap
        previous_aside = row.aside
        w = _length(row.value, biggest, area)
        x = label_w + (area - w) / 2
        fill = MUTED if row.aside else colour
        parts.append(
            f'<text x="{label_w - 8}" y="{y + bar_h / 2 + 4:.1f}" text-anchor="end" '
            f'class="label">{esc(row.label)}</text>'
            f'<rect class="bar" data-value="{row.value}" x="{x:.1f}" y="{y}" width="{w:.1f}" '
            f'height="{bar_h}" rx="3" fill="{fill}"><title>{esc(row.label)}: {row.value}</title>'
            f"</rect>"
            f'<text x="{width - 4}" y="{y + bar_h / 2 + 4:.1f}" text-anchor="end" '
            f'class="count">{row.value}</text>'
        )
        y += row_h
    height = y + top
    return _svg(chart_id, title, width, height, "".join(parts))


def grouped_bars(
    categories: Sequence[str],
    series: Sequence[Series],
    *,
    title: str,
    chart_id: str,
    maximum: float | None = None,
    fmt: Callable[[float], str] = lambda v: f"{v:g}",
    width: int = 640,
) -> str:
    """Horizontal bars, one group per category and one bar per series, with a legend."""
    label_w, value_w, bar_h, inner, gap, legend_h = 170, 70, 14, 3, 12, 26
    area = width - label_w - value_w
    biggest = maximum or max((v for s in series for v in s.values), default=0) or 1
    parts: list[str] = [_legend(series, label_w)]
    y = legend_h
    for index, category in enumerate(categories):
        group_h = len(series) * (bar_h + inner) - inner
        parts.append(
            f'<text x="{label_w - 8}" y="{y + group_h / 2 + 4:.1f}" text-anchor="end" '
            f'class="label">{esc(category)}</text>'
        )
        for s in series:
            value = s.values[index]
            w = _length(value, biggest, area)
            parts.append(
                f'<rect class="bar" data-value="{esc(fmt(value))}" x="{label_w}" y="{y}" '
                f'width="{w:.1f}" height="{bar_h}" rx="2" fill="{s.colour}">'
                f"<title>{esc(s.name)}, {esc(category)}: {esc(fmt(value))}</title></rect>"
                f'<text x="{label_w + w + 4:.1f}" y="{y + bar_h - 3}" class="count">'
                f"{esc(fmt(value))}</text>"
            )
            y += bar_h + inner
        y += gap - inner
    axis = f'<line x1="{label_w}" y1="{legend_h - 4}" x2="{label_w}" y2="{y}" stroke="{GRID}"/>'
    return _svg(chart_id, title, width, y + 4, axis + "".join(parts))


def _legend(series: Sequence[Series], x0: int) -> str:
    parts = []
    x = x0
    for s in series:
        parts.append(
            f'<rect x="{x}" y="4" width="12" height="12" rx="2" fill="{s.colour}"/>'
            f'<text x="{x + 17}" y="14" class="label">{esc(s.name)}</text>'
        )
        x += 30 + 8 * len(s.name)
    return "".join(parts)


def _length(value: float, biggest: float, area: float) -> float:
    """A bar's length; any non-zero value stays visible (at least 2 px)."""
    if value <= 0:
        return 0.0
    return max(2.0, area * value / biggest)


def _svg(chart_id: str, title: str, width: int, height: float, body: str) -> str:
    return (
        f'<svg id="{esc(chart_id)}" class="chart" xmlns="http://www.w3.org/2000/svg" '
        f'role="img" aria-labelledby="{esc(chart_id)}-title" width="{width}" '
        f'height="{height:.0f}" viewBox="0 0 {width} {height:.0f}" '
        f'font-family="system-ui, -apple-system, Segoe UI, Roboto, sans-serif" '
        f'font-size="12" fill="{INK}">'
        f'<title id="{esc(chart_id)}-title">{esc(title)}</title>{body}</svg>'
    )
