"""The report as one self-contained HTML file a manager opens in any browser.

Styles and SVG charts are inline; nothing is loaded from anywhere (a Content-Security-Policy
says so, and forbids scripts outright). Every value that comes from a record is escaped where
it enters the page: text cells go through ``_cell``, which escapes anything that is not
``Markup`` built in this module, so escaping cannot be forgotten one cell at a time.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

from connector.report.charts import COLOURS, FunnelRow, Series, esc, funnel, grouped_bars
from connector.report.funnel import STAGE_COLUMNS
from connector.report.model import UNMAPPED, Report, SystemFunnel
from connector.report.style import STYLE
from connector.report.wording import (
    in_days,
    instant,
    percent,
    reason_name,
    system_name,
    value_text,
)
from connector.taxonomy import FUNNEL

CSP = "default-src 'none'; style-src 'unsafe-inline'; img-src data:"


@dataclass(frozen=True)
class Markup:
    """HTML built in this module from escaped parts: placed into the page as it is."""

    html: str


Cell = str | int | Markup
Column = tuple[str, bool]  # heading, numeric (right-aligned)


def render_html(report: Report) -> str:
    state = report.state
    meta = (
        f"Generated {instant(report.generated_at)} · today {report.today.isoformat()} · "
        f"state {state.store} · {state.runs} run(s), last {instant(state.last_run_at)} · "
        f"{state.links} link(s)"
    )
    body = "".join(
        (
            _notices(report),
            _cards(report),
            _funnel(report),
            _conversions(report),
            _dispositions(report),
            _recycle(report),
            _sla(report),
            _drift(report),
        )
    )
    return (
        "<!DOCTYPE html>\n"
        '<html lang="en"><head><meta charset="utf-8">'
        f'<meta http-equiv="Content-Security-Policy" content="{CSP}">'
        '<meta name="viewport" content="width=device-width, initial-scale=1">'
        f"<title>crmsync report {esc(report.today.isoformat())}</title>"
        f"<style>{STYLE}</style></head><body>"
        f"<header><h1>Lead funnel report</h1><p>{esc(meta)}</p></header>"
        f"<main>{body}</main>"
        "<footer>crmsync report · one file: no scripts, fonts or images are loaded</footer>"
        "</body></html>\n"
    )


def _notices(report: Report) -> str:
    if not report.notices:
        return ""
    items = "".join(f"<li>{esc(n)}</li>" for n in report.notices)
    return (
        f'<section class="notices" id="notices"><h2>Before you read</h2><ul>{items}</ul></section>'
    )


def _cards(report: Report) -> str:
    cards: list[tuple[str, str, str]] = []
    for f in report.funnel:
        what = f"{system_name(f.system)} records ({', '.join(f.objects)})"
        cards.append((str(f.records), what, ""))
    if report.conversions:
        overall = report.conversions[0].overall
        cards.append(
            (
                percent(overall.rate),
                f"mql → customer ({system_name(report.conversions[0].system)})",
                "",
            )
        )
    breaches = len(report.sla.breaches)
    cards.append((str(breaches), f"SLA breaches (> {report.sla.hours:g} h)", _tone(breaches)))
    drift = report.drift.records
    cards.append((str(drift), "records that disagree (drift)", _tone(drift)))
    letters = report.state.open_dead_letters
    cards.append((str(letters), "open dead letters", _tone(letters)))
    html = "".join(
        f'<div class="card {tone}"><div class="value">{esc(value)}</div>'
        f'<div class="what">{esc(what)}</div></div>'
        for value, what, tone in cards
    )
    return f'<div class="cards" id="summary">{html}</div>'


def _tone(problems: int) -> str:
    return "bad" if problems else "good"


def _funnel(report: Report) -> str:
    charts = "".join(
        f"<div><h3>{esc(system_name(f.system))} ({esc(', '.join(f.objects))})</h3>"
        f"{_funnel_chart(f)}</div>"
        for f in report.funnel
    )
    columns: list[Column] = [("stage", False)]
    columns += [(f"{system_name(f.system)}", True) for f in report.funnel]
    rows: list[list[Cell]] = [
        [stage, *(f.stages.get(stage, 0) for f in report.funnel)] for stage in STAGE_COLUMNS
    ]
    rows.append([Markup("<strong>total</strong>"), *(f.records for f in report.funnel)])
    unmapped = [(f.system, u) for f in report.funnel for u in f.unmapped]
    extra = ""
    if unmapped:
        extra = "<h3>Values the taxonomy does not map</h3>" + _table(
            [("system", False), ("field", False), ("value", False), ("records", True)],
            [[system_name(s), u.field, repr(u.value), u.records] for s, u in unmapped],
        )
    return _section(
        "funnel",
        "Funnel by canonical stage",
        '<p class="note">Records in each system, read live, each placed on the shared '
        "taxonomy's stages.</p>"
        f'<div class="pair">{charts}</div>' + _table(columns, rows) + extra,
    )


def _funnel_chart(f: SystemFunnel) -> str:
    rows = [FunnelRow(s.value, f.stages.get(s.value, 0)) for s in FUNNEL]
    rows += [
        FunnelRow(name, f.stages.get(name, 0), aside=True) for name in ("disqualified", UNMAPPED)
    ]
    return funnel(
        rows,
        colour=COLOURS[f.system],
        title=f"{system_name(f.system)}: records per stage",
        chart_id=f"funnel-{f.system.value}",
    )


def _conversions(report: Report) -> str:
    if not report.conversions:
        return ""
    first = report.conversions[0]
    steps = [*first.steps, first.overall]
    categories = [f"{s.source} → {s.target}" for s in steps]
    series = [
        Series(
            system_name(c.system),
            COLOURS[c.system],
            [step.rate or 0.0 for step in (*c.steps, c.overall)],
        )
        for c in report.conversions
    ]
    chart = grouped_bars(
        categories,
        series,
        title="Conversion rate of each step",
        chart_id="conversions-chart",
        maximum=1.0,
        fmt=lambda v: percent(v),
    )
    columns: list[Column] = [("step", False)]
    for c in report.conversions:
        columns += [(f"{system_name(c.system)} reached", True), ("rate", True)]
    rows: list[list[Cell]] = []
    for index, category in enumerate(categories):
        row: list[Cell] = [category]
        for c in report.conversions:
            step = (*c.steps, c.overall)[index]
            row += [f"{step.advanced} of {step.entered}", percent(step.rate)]
        rows.append(row)
    return _section(
        "conversions",
        "Conversion rates",
        '<p class="note">A record counts for every stage it reached: where it stands now, and '
        "the stages the audit trail shows it passed (a lead disqualified at sal still reached "
        "mql and sal).</p>" + chart + _table(columns, rows),
    )


def _dispositions(report: Report) -> str:
    if not report.dispositions:
        return ""
    reasons = list(report.dispositions[0].by_reason)
    chart = grouped_bars(
        [reason_name(r) for r in reasons],
        [
            Series(
                system_name(d.system),
                COLOURS[d.system],
                [float(d.by_reason.get(r, 0)) for r in reasons],
            )
            for d in report.dispositions
        ],
        title="Disqualified records by disposition reason",
        chart_id="dispositions-chart",
    )
    tables = ""
    for d in report.dispositions:
        rows: list[list[Cell]] = [
            [
                s.source,
                s.records,
                s.disqualified,
                s.not_a_lead,
                ", ".join(f"{reason_name(r)} {n}" for r, n in s.by_reason.items() if n) or "-",
            ]
            for s in d.by_source
        ]
        tables += f"<h3>By lead source ({esc(system_name(d.system))})</h3>" + _table(
            [
                ("lead source", False),
                ("records", True),
                ("disqualified", True),
                ("not a lead", True),
                ("reasons", False),
            ],
            rows,
            empty="no records",
        )
    return _section(
        "dispositions",
        "Dispositions",
        '<p class="note">Why records were disqualified. "Not a lead" (no fit, bad data, '
        "duplicate, unresponsive) is never recycled and counts against its lead source.</p>"
        + chart
        + tables,
    )


def _recycle(report: Report) -> str:
    queue = report.recycle
    returns = _table(
        [
            ("recycle date", False),
            ("when", False),
            ("name", False),
            ("company", False),
            ("reason", False),
            ("record", False),
        ],
        [
            [
                e.recycle_on.isoformat(),
                _when(e.days),
                e.person.name,
                e.person.company,
                reason_name(e.reason),
                f"{system_name(e.person.system)} {e.person.object} {e.person.id}",
            ]
            for e in queue.returns
        ],
        empty="No disqualified record has a recycle date.",
    )
    renewals = _table(
        [
            ("contract end", False),
            ("when", False),
            ("name", False),
            ("company", False),
            ("stage", False),
            ("record", False),
        ],
        [
            [
                e.contract_end.isoformat(),
                _when(e.days),
                e.person.name,
                e.person.company,
                e.stage,
                f"{system_name(e.person.system)} {e.person.object} {e.person.id}",
            ]
            for e in queue.renewals
        ],
        empty=f"No contract ends in the next {queue.window_days} days.",
    )
    return _section(
        "recycle",
        "Recycle queue",
        '<p class="note">Disqualified records return to prospect, in both systems, on their '
        "recycle date.</p>"
        + returns
        + f"<h3>Contracts ending in the next {queue.window_days} days</h3>"
        + renewals,
    )


def _when(days: int) -> Markup:
    tone = "overdue" if days < 0 else ""
    return Markup(f'<span class="tag {tone}">{esc(in_days(days))}</span>')


def _sla(report: Report) -> str:
    sla = report.sla
    summary = (
        f"{sla.measured} mql period(s) measured, {sla.within} touched within {sla.hours:g} h; "
        f"{len(sla.breaches)} breach(es)."
    )
    rows: list[list[Cell]] = [
        [
            Markup(f'<span class="tag {b.state.value}">{esc(b.state.value)}</span>'),
            f"{b.hours:.1f}",
            instant(b.mql_at),
            instant(b.touched_at),
            b.name,
            f"{b.pipeline}: {b.record}",
        ]
        for b in sla.breaches
    ]
    table = _table(
        [
            ("state", False),
            ("hours", True),
            ("mql at", False),
            ("first touch", False),
            ("name", False),
            ("record", False),
        ],
        rows,
        empty="No breaches.",
    )
    return _section(
        "sla",
        f"SLA: mql → first sales touch ({sla.hours:g} h)",
        f'<p class="note">{esc(summary)} Late: touched after the SLA. Waiting: still untouched '
        "past it.</p>" + table,
    )


def _drift(report: Report) -> str:
    drift = report.drift
    summary = (
        f"{drift.records} of {drift.pairs_checked} linked record(s) disagree between "
        "Salesforce and HubSpot."
    )
    pipelines = _table(
        [("pipeline", False), ("records that disagree", True)],
        [[name, n] for name, n in drift.by_pipeline.items()],
        empty="No pipeline.",
    )
    fields = ""
    if drift.by_field:
        fields = "<h3>By field</h3>" + _table(
            [("field", False), ("records", True)], [[k, n] for k, n in drift.by_field.items()]
        )
    sample = ""
    if drift.sample:
        rows: list[list[Cell]] = [
            [
                record.pipeline,
                record.name,
                field.key,
                value_text(field.salesforce),
                value_text(field.hubspot),
                f"{record.salesforce} / {record.hubspot}",
            ]
            for record in drift.sample
            for field in record.fields
        ]
        sample = f"<h3>Sample ({len(drift.sample)} record(s))</h3>" + _table(
            [
                ("pipeline", False),
                ("name", False),
                ("field", False),
                ("Salesforce", False),
                ("HubSpot", False),
                ("records", False),
            ],
            rows,
        )
    return _section(
        "drift",
        "Drift",
        f'<p class="note">{esc(summary)} Compared as the sync compares them; after a clean '
        "sync there is none.</p>" + pipelines + fields + sample,
    )


def _section(section_id: str, title: str, inner: str) -> str:
    return f'<section id="{esc(section_id)}"><h2>{esc(title)}</h2>{inner}</section>'


def _table(columns: Sequence[Column], rows: Sequence[Sequence[Cell]], empty: str = "") -> str:
    head = "".join(
        f'<th class="n">{esc(name)}</th>' if numeric else f"<th>{esc(name)}</th>"
        for name, numeric in columns
    )
    if not rows:
        return (
            f"<table><thead><tr>{head}</tr></thead><tbody><tr>"
            f'<td class="empty" colspan="{len(columns)}">{esc(empty or "None.")}</td>'
            "</tr></tbody></table>"
        )
    body = "".join(
        "<tr>"
        + "".join(
            f'<td class="n">{_cell(value)}</td>' if numeric else f"<td>{_cell(value)}</td>"
            for value, (_, numeric) in zip(row, columns, strict=True)
        )
        + "</tr>"
        for row in rows
    )
    return f"<table><thead><tr>{head}</tr></thead><tbody>{body}</tbody></table>"


def _cell(value: Cell) -> str:
    if isinstance(value, Markup):
        return value.html
    return esc(value)
