"""``crmsync report``: funnel, conversions, dispositions, recycle queue, SLA breaches, drift.

``build_report(config, store)`` reads both systems and the state store into a :class:`Report`;
``render(report, fmt)`` turns it into text: ``table`` (Rich, for a terminal), ``json`` (stable
keys, for machines) or ``html`` (one self-contained page with inline SVG charts).
"""

from __future__ import annotations

from typing import Literal

from connector.errors import ConfigError
from connector.report.collect import build_report
from connector.report.model import Report
from connector.report.render_html import render_html
from connector.report.render_json import as_json, render_json
from connector.report.render_table import render_table

Format = Literal["table", "json", "html"]
FORMATS: tuple[Format, ...] = ("table", "json", "html")


def render(report: Report, fmt: str) -> str:
    """The report in one of ``FORMATS``."""
    if fmt == "table":
        return render_table(report)
    if fmt == "json":
        return render_json(report)
    if fmt == "html":
        return render_html(report)
    raise ConfigError("--format", f"{fmt!r} is not a format; expected table, json or html")


__all__ = [
    "FORMATS",
    "Format",
    "Report",
    "as_json",
    "build_report",
    "render",
    "render_html",
    "render_json",
    "render_table",
]
