"""Rendering the report: what each format promises whatever the records hold.

HTML escapes every value that came from a record and loads nothing; JSON keeps its keys and
gives record values verbatim; the table prints Rich markup in a name as text; the charts'
bars are as long as their numbers say.
"""

from __future__ import annotations

import json
import re
from datetime import UTC, date, datetime

import pytest

from connector.errors import ConfigError
from connector.model import Side
from connector.report import render
from connector.report.charts import FunnelRow, Series, funnel, grouped_bars
from connector.report.model import (
    ConversionStep,
    DriftRecord,
    DriftSummary,
    FieldDrift,
    Person,
    RecycleEntry,
    RecycleQueue,
    RenewalEntry,
    Report,
    SlaBreach,
    SlaState,
    SlaSummary,
    SourceDispositions,
    StateSummary,
    SystemConversions,
    SystemDispositions,
    SystemFunnel,
    UnmappedValue,
)

HOSTILE = "<img src=x onerror=alert(1)>\"'&"
ESCAPED = "&lt;img src=x onerror=alert(1)&gt;&quot;&#x27;&amp;"
MARKUP = "[bold red]Acme[/bold red] [/]"
NOW = datetime(2025, 3, 10, 9, 30, tzinfo=UTC)
STAGES = ("prospect", "mql", "sal", "sql", "opportunity", "customer", "disqualified", "unmapped")
REASONS = ("not_ready", "no_fit")


def person(name: str, company: str) -> Person:
    return Person(Side.SALESFORCE, "Lead", "00Q000000000001AAA", name, company, "a@example.com")


def conversions(side: Side, entered: int) -> SystemConversions:
    steps = (
        ConversionStep("mql", "sal", entered, entered // 2),
        ConversionStep("sal", "sql", entered // 2, 0),
        ConversionStep("sql", "opportunity", 0, 0),
        ConversionStep("opportunity", "customer", 0, 0),
    )
    reached = {"mql": entered, "sal": entered // 2, "sql": 0, "opportunity": 0, "customer": 0}
    return SystemConversions(side, reached, steps, ConversionStep("mql", "customer", entered, 0))


def make_report(*, text: str = HOSTILE, has_state: bool = True) -> Report:
    counts = dict(zip(STAGES, (5, 4, 2, 0, 0, 0, 3, 1), strict=True))
    funnels = tuple(
        SystemFunnel(side, (obj,), 15, counts, (UnmappedValue("Status", text, 1),))
        for side, obj in ((Side.SALESFORCE, "Lead"), (Side.HUBSPOT, "contacts"))
    )
    source = SourceDispositions(text, 7, 3, 2, {"not_ready": 1, "no_fit": 2})
    dispositions = tuple(
        SystemDispositions(side, {"not_ready": 1, "no_fit": 2}, (source,)) for side in Side
    )
    somebody = person(text, text)
    return Report(
        generated_at=NOW,
        today=NOW.date(),
        state=StateSummary(
            store="sqlite:///state.db",
            runs=3 if has_state else 0,
            last_run_at=NOW if has_state else None,
            links=9 if has_state else 0,
            open_dead_letters=1,
        ),
        notices=(f"a notice naming {text}",),
        funnel=funnels,
        conversions=(conversions(Side.SALESFORCE, 4), conversions(Side.HUBSPOT, 0)),
        dispositions=dispositions,
        recycle=RecycleQueue(
            returns=(RecycleEntry(somebody, "not_ready", date(2025, 6, 8), 90),),
            renewals=(RenewalEntry(somebody, "sql", date(2025, 4, 1), 22),),
            window_days=90,
        ),
        sla=SlaSummary(
            hours=24,
            measured=2,
            within=1,
            breaches=(
                SlaBreach(
                    "leads", f"Lead 00Q / {text}", 4, text, NOW, None, 30.0, SlaState.WAITING
                ),
            ),
        ),
        drift=DriftSummary(
            pairs_checked=9,
            records=1,
            by_field={"Company|company": 1},
            by_pipeline={"leads": 1},
            sample=(
                DriftRecord(
                    "leads",
                    "Lead 00Q",
                    "contacts 7",
                    text,
                    (FieldDrift("Company", "company", text, None),),
                ),
            ),
        ),
    )


# --- HTML ------------------------------------------------------------------------------------


def test_html_escapes_every_value_that_came_from_a_record() -> None:
    html = render(make_report(), "html")

    assert "<img" not in html
    assert "onerror=alert(1)>" not in html
    # The notice, the lead source (both systems), recycle and renewal names and companies, the
    # SLA breach's name and record, the drift sample's name and value: each escaped in place.
    assert html.count(ESCAPED) == 11
    # The unmapped value is shown as its repr, escaped too.
    assert "&#x27;&lt;img src=x onerror=alert(1)&gt;&quot;\\&#x27;&amp;&#x27;" in html


def test_html_loads_nothing_and_runs_nothing() -> None:
    html = render(make_report(text="Acme"), "html")

    assert html.startswith("<!DOCTYPE html>")
    assert "Content-Security-Policy" in html and "default-src 'none'" in html
    assert "<script" not in html.lower()
    for reference in ("src=", "href=", "<link", "@import", "url(", "https://"):
        assert reference not in html
    assert set(re.findall(r"http://[^\"' ]+", html)) == {"http://www.w3.org/2000/svg"}


def test_html_draws_every_chart() -> None:
    html = render(make_report(), "html")

    for chart in ("funnel-salesforce", "funnel-hubspot", "conversions-chart", "dispositions-chart"):
        assert f'<svg id="{chart}"' in html
    for section in ("funnel", "conversions", "dispositions", "recycle", "sla", "drift"):
        assert f'<section id="{section}">' in html


def test_html_without_state_still_shows_the_counts_and_says_why_the_rest_is_empty() -> None:
    report = make_report(text="Acme", has_state=False)
    html = render(report, "html")

    assert "a notice naming Acme" in html
    assert 'data-value="5"' in html  # the prospects of the funnel


# --- JSON ------------------------------------------------------------------------------------


def test_json_keeps_its_keys_and_gives_record_values_verbatim() -> None:
    data = json.loads(render(make_report(), "json"))

    assert list(data) == [
        "format_version",
        "generated_at",
        "today",
        "state",
        "notices",
        "funnel",
        "conversions",
        "dispositions",
        "recycle_queue",
        "sla",
        "drift",
    ]
    assert data["generated_at"] == "2025-03-10T09:30:00Z"
    assert list(data["funnel"]) == ["salesforce", "hubspot"]
    assert list(data["funnel"]["salesforce"]["stages"]) == list(STAGES)
    assert data["state"]["has_state"] is True
    # Machine-readable: a record's value is given as it is, for the consumer to escape.
    assert data["recycle_queue"]["returns"][0]["company"] == HOSTILE
    assert list(data["dispositions"]["salesforce"]["by_source"]) == [HOSTILE]
    assert data["drift"]["sample"][0]["fields"][0] == {
        "field": "Company|company",
        "salesforce_field": "Company",
        "hubspot_field": "company",
        "salesforce": HOSTILE,
        "hubspot": None,
    }
    assert data["sla"]["breaches"][0]["state"] == "waiting"
    assert data["sla"]["breaches"][0]["touched_at"] is None


def test_json_rate_is_null_when_nothing_entered_the_step() -> None:
    data = json.loads(render(make_report(), "json"))

    salesforce = data["conversions"]["salesforce"]["steps"]
    assert [s["rate"] for s in salesforce] == [0.5, 0.0, None, None]
    assert data["conversions"]["hubspot"]["overall"]["rate"] is None


def test_json_of_a_report_without_state_has_the_same_keys() -> None:
    with_state = json.loads(render(make_report(), "json"))
    without = json.loads(render(make_report(has_state=False), "json"))

    assert without["state"]["has_state"] is False
    assert without["state"]["last_run_at"] is None
    assert list(without) == list(with_state)
    assert list(without["state"]) == list(with_state["state"])


# --- table -----------------------------------------------------------------------------------


def test_table_prints_rich_markup_in_a_record_as_text() -> None:
    out = render(make_report(text=MARKUP), "table")

    assert "[bold red]Acme[/bold red]" in out
    assert "\x1b[" not in out  # no colour codes in text meant for a file or a pipe


def test_table_shows_rates_and_every_section() -> None:
    out = render(make_report(text="Acme"), "table")

    assert "mql → sal" in out and "2/4  50.0 %" in out
    assert "0/0  -" in out
    for heading in (
        "Records per stage",
        "Values the taxonomy does not map",
        "Dispositions by reason",
        "Recycle queue",
        "Contracts ending in the next 90 days",
        "SLA mql → first sales touch (24 h): 2 measured, 1 on time, 1 breach(es)",
        "Drift: 1 of 9 linked record(s) disagree (leads 1)",
    ):
        assert heading in out


def test_unknown_format_is_a_config_error() -> None:
    with pytest.raises(ConfigError, match="'csv' is not a format"):
        render(make_report(), "csv")


# --- charts ----------------------------------------------------------------------------------


def bar_widths(svg: str) -> list[float]:
    return [float(w) for w in re.findall(r'<rect class="bar"[^>]* width="([0-9.]+)"', svg)]


def test_funnel_bars_are_as_long_as_their_counts() -> None:
    svg = funnel(
        [
            FunnelRow("prospect", 100),
            FunnelRow("mql", 50),
            FunnelRow("sal", 0),
            FunnelRow("sql", 1),
        ],
        colour="#000",
        title="t",
        chart_id="f",
        width=460,
    )

    widest, half, none, one = bar_widths(svg)
    assert widest == 300.0  # the whole bar area: 460 less the label and count columns
    assert half == 150.0
    assert none == 0.0
    assert one >= 2.0  # a single record stays visible


def test_grouped_bars_scale_to_the_given_maximum() -> None:
    svg = grouped_bars(
        ["a", "b"],
        [Series("S", "#111", [0.5, 1.0]), Series("H", "#222", [0.25, 0.0])],
        title="t",
        chart_id="g",
        maximum=1.0,
        width=640,
    )

    assert bar_widths(svg) == [200.0, 100.0, 400.0, 0.0]


def test_chart_text_is_escaped() -> None:
    svg = funnel([FunnelRow(HOSTILE, 1)], colour="#000", title=HOSTILE, chart_id="x")

    assert "<img" not in svg
    assert svg.count(ESCAPED) == 3  # the label, the bar's tooltip, the chart's title
