"""The report as Rich tables, for a terminal.

Every value that comes from a record (names, companies, reasons, field values) enters a table
as ``rich.text.Text``, never as a markup string: a company called ``[bold]Acme[/]`` prints as
written, and one called ``[/]`` cannot break the output.
"""

from __future__ import annotations

import io

from rich.console import Console, Group, RenderableType
from rich.table import Table
from rich.text import Text

from connector.report.funnel import STAGE_COLUMNS
from connector.report.model import Report
from connector.report.wording import (
    in_days,
    instant,
    percent,
    reason_name,
    system_name,
    value_text,
)

DEFAULT_WIDTH = 120


def render_table(report: Report, width: int = DEFAULT_WIDTH) -> str:
    buffer = io.StringIO()
    console = Console(
        file=buffer, width=width, color_system=None, highlight=False, emoji=False, soft_wrap=False
    )
    for part in _parts(report):
        console.print(part)
        console.print()
    return buffer.getvalue().rstrip() + "\n"


def _parts(report: Report) -> list[RenderableType]:
    state = report.state
    header = Text(
        f"crmsync report: {instant(report.generated_at)} (today {report.today.isoformat()})\n"
        f"State: {state.store}; {state.runs} run(s), last {instant(state.last_run_at)}; "
        f"{state.links} link(s); {state.open_dead_letters} open dead letter(s)"
    )
    parts: list[RenderableType] = [header]
    if report.notices:
        parts.append(Group(*(Text(f"! {notice}") for notice in report.notices)))
    parts += [
        _funnel(report),
        *_unmapped(report),
        _conversions(report),
        _reasons(report),
        *_sources(report),
        _returns(report),
        _renewals(report),
        _sla(report),
        *_drift(report),
    ]
    return parts


def _funnel(report: Report) -> Group:
    title = "Records per stage"
    table = Table()
    table.add_column("stage")
    for funnel in report.funnel:
        objects = ", ".join(funnel.objects)
        table.add_column(Text(f"{system_name(funnel.system)} ({objects})"), justify="right")
    for stage in STAGE_COLUMNS:
        table.add_row(stage, *(str(f.stages.get(stage, 0)) for f in report.funnel))
    table.add_row("total", *(str(f.records) for f in report.funnel), style="bold")
    return _titled(title, table)


def _unmapped(report: Report) -> list[Group]:
    rows = [(f.system, u) for f in report.funnel for u in f.unmapped]
    if not rows:
        return []
    title = "Values the taxonomy does not map"
    table = Table()
    for column in ("system", "field", "value", "records"):
        table.add_column(column, justify="right" if column == "records" else "left")
    for system, value in rows:
        table.add_row(
            system_name(system), Text(value.field), Text(repr(value.value)), str(value.records)
        )
    return [_titled(title, table)]


def _conversions(report: Report) -> Group:
    title = "Conversion rates (a record counts for every stage it reached)"
    table = Table()
    table.add_column("step")
    for conv in report.conversions:
        table.add_column(system_name(conv.system), justify="right")
    if report.conversions:
        first = report.conversions[0]
        for index, step in enumerate((*first.steps, first.overall)):
            cells = []
            for conv in report.conversions:
                same = (*conv.steps, conv.overall)[index]
                cells.append(f"{same.advanced}/{same.entered}  {percent(same.rate)}")
            table.add_row(f"{step.source} → {step.target}", *cells)
    return _titled(title, table)


def _reasons(report: Report) -> Group:
    title = "Dispositions by reason"
    table = Table()
    table.add_column("reason")
    for disp in report.dispositions:
        table.add_column(system_name(disp.system), justify="right")
    if report.dispositions:
        for reason in report.dispositions[0].by_reason:
            table.add_row(
                reason_name(reason), *(str(d.by_reason.get(reason, 0)) for d in report.dispositions)
            )
    return _titled(title, table)


def _sources(report: Report) -> list[Group]:
    tables: list[Group] = []
    for disp in report.dispositions:
        title = f"Dispositions by lead source ({system_name(disp.system)})"
        table = Table()
        for column in ("lead source", "records", "disqualified", "not a lead", "reasons"):
            table.add_column(
                column, justify="left" if column in ("lead source", "reasons") else "right"
            )
        for row in disp.by_source:
            reasons = ", ".join(
                f"{reason_name(reason)} {n}" for reason, n in row.by_reason.items() if n
            )
            table.add_row(
                Text(row.source),
                str(row.records),
                str(row.disqualified),
                str(row.not_a_lead),
                Text(reasons or "-"),
            )
        tables.append(_titled(title, table))
    return tables


def _returns(report: Report) -> Group:
    title = "Recycle queue: back to nurture"
    table = Table()
    for column in ("recycle date", "when", "name", "company", "reason", "record"):
        table.add_column(column, overflow="fold")
    for entry in report.recycle.returns:
        p = entry.person
        table.add_row(
            entry.recycle_on.isoformat(),
            in_days(entry.days),
            Text(p.name),
            Text(p.company),
            Text(reason_name(entry.reason)),
            Text(f"{system_name(p.system)} {p.object} {p.id}"),
        )
    if not report.recycle.returns:
        table.add_row("-", "no disqualified record has a recycle date", "", "", "", "")
    return _titled(title, table)


def _renewals(report: Report) -> Group:
    window = report.recycle.window_days
    title = f"Contracts ending in the next {window} days"
    table = Table()
    for column in ("contract end", "when", "name", "company", "stage", "record"):
        table.add_column(column, overflow="fold")
    for entry in report.recycle.renewals:
        p = entry.person
        table.add_row(
            entry.contract_end.isoformat(),
            in_days(entry.days),
            Text(p.name),
            Text(p.company),
            Text(entry.stage),
            Text(f"{system_name(p.system)} {p.object} {p.id}"),
        )
    if not report.recycle.renewals:
        table.add_row("-", "none", "", "", "", "")
    return _titled(title, table)


def _sla(report: Report) -> Group:
    sla = report.sla
    title = (
        f"SLA mql → first sales touch ({sla.hours:g} h): {sla.measured} measured, "
        f"{sla.within} on time, {len(sla.breaches)} breach(es)"
    )
    table = Table()
    for column in ("state", "hours", "mql at", "touched at", "name", "record"):
        table.add_column(column, overflow="fold")
    for breach in sla.breaches:
        table.add_row(
            breach.state.value,
            f"{breach.hours:.1f}",
            instant(breach.mql_at),
            instant(breach.touched_at),
            Text(breach.name),
            Text(f"{breach.pipeline}: {breach.record}"),
        )
    if not sla.breaches:
        table.add_row("-", "", "", "", "no breaches", "")
    return _titled(title, table)


def _drift(report: Report) -> list[RenderableType]:
    drift = report.drift
    summary = Text(
        f"Drift: {drift.records} of {drift.pairs_checked} linked record(s) disagree"
        + (
            " (" + ", ".join(f"{name} {n}" for name, n in drift.by_pipeline.items()) + ")"
            if drift.by_pipeline
            else ""
        )
    )
    if not drift.sample:
        return [summary]
    title = "Drift sample"
    table = Table()
    for column in ("pipeline", "name", "field", "Salesforce", "HubSpot", "records"):
        table.add_column(column, overflow="fold")
    for record in drift.sample:
        for field in record.fields:
            table.add_row(
                Text(record.pipeline),
                Text(record.name),
                Text(field.key),
                Text(value_text(field.salesforce)),
                Text(value_text(field.hubspot)),
                Text(f"{record.salesforce} / {record.hubspot}"),
            )
    return [summary, _titled(title, table)]


def _titled(title: str, table: Table) -> Group:
    """A heading line above its table: a long heading wraps at the page, not at the table."""
    return Group(Text(title, style="bold"), table)
