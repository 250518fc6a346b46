"""``crmsync report`` end to end: a known data set, synced, then reported as a user runs it.

Both emulators run in-process with a small data set whose numbers are worked out by hand in
``Expected`` below; three sync cycles at chosen times leave an audit trail with one SLA met,
one missed and one still waiting. The report then runs as a subprocess with ``CRMSYNC_NOW``
pinned, and its JSON must give exactly those numbers; its HTML is opened in headless
Chromium, and the charts must be in the page and painted.
"""

from __future__ import annotations

import json
import shutil
import struct
import subprocess
import zlib
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from html.parser import HTMLParser
from pathlib import Path
from typing import Any

import pytest

from connector.config import config_from_text
from connector.emulators.run import RunningEmulators, config_text, emulators
from connector.engine.runner import sync_pipelines
from connector.report import Report, build_report, render
from connector.state import StateStore
from tests.e2e.cli import Result, crmsync

HOSTILE_COMPANY = '<script>alert("pwned")</script> & Sons'

T0 = datetime.now(UTC).replace(microsecond=0) - timedelta(days=2)
REPORT_AT = T0 + timedelta(hours=30)
TODAY = REPORT_AT.date()
DAY0 = T0.date()


def lead(first: str, last: str, status: str, source: str | None, **extra: Any) -> dict[str, Any]:
    return {
        "FirstName": first,
        "LastName": last,
        "Email": f"{first.lower()}.{last.lower()}@example.com",
        "Company": extra.pop("Company", f"{last} Ltd"),
        "Title": "Buyer",
        "Status": status,
        "LeadSource": source,
        **extra,
    }


def contact(first: str, last: str, stage: str, score: int, source: str | None) -> dict[str, Any]:
    # Last modified a day before the first cycle: HubSpot search only shows changes older
    # than its lag, and these must be found at once.
    return {
        "updatedAt": (T0 - timedelta(days=1)).isoformat().replace("+00:00", "Z"),
        "properties": {
            "email": f"{first.lower()}.{last.lower()}@example.com",
            "firstname": first,
            "lastname": last,
            "company": f"{last} GmbH",
            "jobtitle": "Head of Ops",
            "hubspotscore": str(score),
            "lifecyclestage": stage,
            "lead_source": source,
        },
    }


DISQUALIFIED = "Closed - Not Converted"
LEADS = [
    lead("Pat", "Prospect", "Nurture", "Web"),
    lead("Max", "Mql", "Open - Not Contacted", "Web"),
    # Sally is disqualified by sales before the second cycle: the audit trail keeps sal.
    lead("Sally", "Sal", "Working - Contacted", "Event"),
    lead("Quinn", "Sql", "Qualified", "Event", Contract_End_Date__c=str(DAY0 + timedelta(30))),
    lead("Nora", "Nofit", DISQUALIFIED, "Web", Disposition_Reason__c="No Fit"),
    lead(
        "Ned",
        "Notready",
        DISQUALIFIED,
        "Partner",
        Disposition_Reason__c="Not Ready",
        Company=HOSTILE_COMPANY,
    ),
    lead(
        "Mia",
        "Midcontract",
        DISQUALIFIED,
        "Partner",
        Disposition_Reason__c="Mid-Contract with Competitor",
        Contract_End_Date__c=str(DAY0 + timedelta(150)),
    ),
    # Converted before the first cycle: an open opportunity, a won one, a lost one.
    lead("Olly", "Opp", "Qualified", "Event"),
    lead("Cora", "Customer", "Qualified", "Event"),
    lead("Luke", "Lost", "Qualified", "Event"),
    lead("Lee", "Legacy", "Legacy", "Web"),
    # Prospects in Salesforce whose HubSpot contact meets the lead definition: mql at T0.
    lead("Fay", "Fast", "Nurture", "Webinar"),
    lead("Sam", "Slow", "Nurture", "Webinar"),
    lead("Walt", "Wait", "Nurture", "Webinar"),
]
CONTACTS = [
    contact("Hank", "Hot", "lead", 80, "Ads"),
    contact("Cole", "Cold", "lead", 10, "Ads"),
    contact("Oscar", "Odd", "weird", 10, None),
    contact("Fay", "Fast", "lead", 80, None),
    contact("Sam", "Slow", "lead", 80, None),
    contact("Walt", "Wait", "lead", 80, None),
]


class Expected:
    """The report's numbers, worked out from the data set above.

    Salesforce Leads (15): the 14 seeded and Hank, handed over at mql. HubSpot contacts (16):
    every lead but Lee (its status maps to no stage, so it is never handed over) and the six
    seeded contacts. Cole stays a prospect in HubSpot only; Oscar's lifecycle stage maps to
    nothing. Fay and Sam were touched (sal); Sally and the lost deal Luke are disqualified.
    """

    stages_salesforce = {
        "prospect": 1,  # Pat
        "mql": 3,  # Max, Hank, Walt
        "sal": 2,  # Fay, Sam
        "sql": 1,  # Quinn
        "opportunity": 1,  # Olly
        "customer": 1,  # Cora
        "disqualified": 5,  # Nora, Ned, Mia, Sally, Luke
        "unmapped": 1,  # Lee
    }
    stages_hubspot = {**stages_salesforce, "prospect": 2, "unmapped": 1}  # + Cole; Oscar not Lee
    # Reached: mql 10 (every lead from mql on, Sally through the audit trail, Luke as a lost
    # deal), sal 7, sql 4 (Quinn, Olly, Cora, Luke), opportunity 3, customer 1.
    steps = [
        ("mql", "sal", 10, 7),
        ("sal", "sql", 7, 4),
        ("sql", "opportunity", 4, 3),
        ("opportunity", "customer", 3, 1),
    ]
    by_reason = {
        "not_ready": 1,
        "mid_contract_competitor": 1,
        "lost_deal": 1,
        "no_fit": 1,
        "bad_data": 0,
        "duplicate": 0,
        "unresponsive": 1,
    }
    # source: (records, disqualified, not a lead)
    sources_salesforce = {
        "Ads": (1, 0, 0),
        "Event": (5, 2, 1),  # Sally unresponsive (not a lead), Luke lost deal (recycled)
        "Partner": (2, 2, 0),
        "Web": (4, 1, 1),
        "Webinar": (3, 0, 0),
    }
    sources_hubspot = {
        **sources_salesforce,
        "Ads": (2, 0, 0),
        "Web": (3, 1, 1),
        "(none)": (1, 0, 0),
    }
    # leads: 14 linked (all but Lee); contacts and opportunities: the 3 conversions each.
    pairs = 20


@dataclass
class World:
    running: RunningEmulators
    config_path: Path
    root: Path

    def report(self, *args: str) -> Result:
        """``crmsync report`` as a user runs it, with today pinned by ``CRMSYNC_NOW``."""
        result = crmsync(
            "report",
            "--config",
            str(self.config_path),
            *args,
            cwd=self.root,
            env={"CRMSYNC_NOW": REPORT_AT.isoformat()},
        )
        assert result.code == 0, result.output
        return result

    def build(self, config_path: Path | None = None) -> Report:
        """The same report in-process (no interpreter start-up), at the same instant."""
        path = config_path or self.config_path
        config = config_from_text(path.read_text(), path, environ={})
        with StateStore.open(config.file.state.url) as store:
            return build_report(config, store, clock=lambda: REPORT_AT)

    def report_json(self, config_path: Path | None = None) -> dict[str, Any]:
        data: dict[str, Any] = json.loads(render(self.build(config_path), "json"))
        return data

    def lead_id(self, first: str) -> str:
        for record in self.running.admin(self.running.salesforce, "records/Lead"):
            if record.get("FirstName") == first:
                return str(record["Id"])
        raise AssertionError(f"no lead {first}")

    def edit_lead(self, first: str, **fields: Any) -> None:
        payload = {"object": "Lead", "id": self.lead_id(first), "fields": fields}
        self.running.admin(self.running.salesforce, "update", payload)

    def sync(self, at: datetime) -> None:
        config = config_from_text(self.config_path.read_text(), self.config_path, environ={})
        results = sync_pipelines(config, config.file.pipelines, clock=lambda: at)
        assert all(r.counts for r in results)


def state_config(running: RunningEmulators, state: Path) -> str:
    return config_text(running, f"sqlite:///{state}")


@pytest.fixture(scope="module")
def world(tmp_path_factory: pytest.TempPathFactory) -> Iterator[World]:
    root = tmp_path_factory.mktemp("report")
    with emulators(tls_dir=root / "tls") as running:
        running.admin(running.hubspot, "settings", {"search_per_second": 1000})
        ids = running.admin(running.salesforce, "seed", {"objects": {"Lead": LEADS}})["ids"]
        running.admin(running.hubspot, "seed", {"objects": {"contacts": CONTACTS}})
        by_name = {
            lead["FirstName"]: lead_id for lead, lead_id in zip(LEADS, ids["Lead"], strict=True)
        }
        for first, stage in (("Olly", None), ("Cora", "Closed Won"), ("Luke", "Closed Lost")):
            payload = {"lead_id": by_name[first], "stage": stage, "amount": 5000}
            running.admin(running.salesforce, "convert-lead", payload)
        config_path = root / "crmsync.toml"
        config_path.write_text(state_config(running, root / "crmsync.db"))
        world = World(running, config_path, root)
        world.sync(T0)
        world.edit_lead("Fay", Status="Working - Contacted")
        world.edit_lead("Sally", Status=DISQUALIFIED, Disposition_Reason__c="Unresponsive")
        world.sync(T0 + timedelta(hours=2))
        world.edit_lead("Sam", Status="Working - Contacted")
        world.sync(T0 + timedelta(hours=30))
        yield world


def test_json_gives_the_numbers_of_the_data_set(world: World) -> None:
    report = json.loads(world.report("--format", "json").stdout)

    assert report["today"] == TODAY.isoformat()
    assert report["state"]["has_state"] is True
    funnel = report["funnel"]
    assert funnel["salesforce"]["objects"] == ["Lead"]
    assert funnel["salesforce"]["stages"] == Expected.stages_salesforce
    assert funnel["hubspot"]["stages"] == Expected.stages_hubspot
    assert funnel["salesforce"]["records"] == 15
    assert funnel["hubspot"]["records"] == 16
    assert funnel["salesforce"]["unmapped_values"] == [
        {"field": "Status", "value": "Legacy", "records": 1}
    ]
    assert funnel["hubspot"]["unmapped_values"] == [
        {"field": "lifecyclestage", "value": "weird", "records": 1}
    ]

    for system in ("salesforce", "hubspot"):
        conv = report["conversions"][system]
        steps = [(s["from"], s["to"], s["entered"], s["advanced"]) for s in conv["steps"]]
        assert steps == Expected.steps, system
        assert [s["rate"] for s in conv["steps"]] == [0.7, round(4 / 7, 4), 0.75, round(1 / 3, 4)]
        assert conv["overall"] == {
            "from": "mql",
            "to": "customer",
            "entered": 10,
            "advanced": 1,
            "rate": 0.1,
        }
        assert report["dispositions"][system]["by_reason"] == Expected.by_reason

    for system, expected in (
        ("salesforce", Expected.sources_salesforce),
        ("hubspot", Expected.sources_hubspot),
    ):
        by_source = report["dispositions"][system]["by_source"]
        got = {k: (v["records"], v["disqualified"], v["not_a_lead"]) for k, v in by_source.items()}
        assert got == expected, system
    assert (
        report["dispositions"]["salesforce"]["by_source"]["Event"]["by_reason"]["unresponsive"] == 1
    )


def test_recycle_queue_lists_who_returns_when(world: World) -> None:
    queue = world.report_json()["recycle_queue"]

    # Not ready: 90 days after the disposition (seen at the first cycle); mid-contract: 90
    # days before the contract ends. No fit and unresponsive never return.
    mia, ned = DAY0 + timedelta(60), DAY0 + timedelta(90)
    assert [(r["name"], r["reason"], r["recycle_on"], r["days"]) for r in queue["returns"]] == [
        ("Mia Midcontract", "mid_contract_competitor", mia.isoformat(), (mia - TODAY).days),
        ("Ned Notready", "not_ready", ned.isoformat(), (ned - TODAY).days),
    ]
    assert queue["returns"][1]["company"] == HOSTILE_COMPANY
    quinn_end = DAY0 + timedelta(30)
    assert [(r["name"], r["stage"], r["contract_end"]) for r in queue["renewals"]] == [
        ("Quinn Sql", "sql", quinn_end.isoformat())
    ]
    assert queue["window_days"] == 90


def test_sla_breaches_come_from_the_audit_trail(world: World) -> None:
    sla = world.report_json()["sla"]

    # Fay touched after 2 h (on time), Sam after 30 h (late). Walt was never touched; nor were
    # Max (handed to HubSpot at mql) and Hank (handed to Salesforce at mql) at the first cycle.
    assert (sla["hours"], sla["measured"], sla["within"]) == (24, 2, 1)
    late, *waiting = sla["breaches"]
    assert (late["state"], late["hours"], late["name"]) == ("late", 30.0, "Sam Slow")
    assert late["record"].startswith(f"Lead {world.lead_id('Sam')} / contacts ")
    assert sorted((b["state"], b["hours"], b["name"]) for b in waiting) == [
        ("waiting", 30.0, "Hank Hot"),
        ("waiting", 30.0, "Max Mql"),
        ("waiting", 30.0, "Walt Wait"),
    ]
    assert {b["mql_at"] for b in sla["breaches"]} == {T0.isoformat().replace("+00:00", "Z")}


def test_drift_is_zero_after_a_clean_cycle_and_shows_an_edit_on_one_side(world: World) -> None:
    clean = world.report_json()["drift"]
    assert clean["pairs_checked"] == Expected.pairs
    assert clean["records"] == 0
    assert clean["by_pipeline"] == {"leads": 0, "contacts": 0, "opportunities": 0}

    world.edit_lead("Quinn", Company="Quinn Holdings")
    edited = world.report_json()

    drift = edited["drift"]
    assert drift["records"] == 1
    assert drift["by_pipeline"] == {"leads": 1, "contacts": 0, "opportunities": 0}
    assert drift["by_field"] == {"Company|company": 1}
    (sample,) = drift["sample"]
    assert sample["name"] == "Quinn Sql"
    assert sample["fields"] == [
        {
            "field": "Company|company",
            "salesforce_field": "Company",
            "hubspot_field": "company",
            "salesforce": "Quinn Holdings",
            "hubspot": "Sql Ltd",
        }
    ]
    assert any("disagree" in notice for notice in edited["notices"])

    world.sync(REPORT_AT)
    assert world.report_json()["drift"]["records"] == 0


def test_table_format_prints_every_section(world: World) -> None:
    out = render(world.build(), "table")

    for title in (
        "Records per stage",
        "Conversion rates",
        "Dispositions by reason",
        "Dispositions by lead source (Salesforce)",
        "Recycle queue",
        "Contracts ending in the next 90 days",
        "SLA mql → first sales touch (24 h): 2 measured, 1 on time, 4 breach(es)",
        "Drift: 0 of 20 linked record(s) disagree",
    ):
        assert title in out
    assert "mql → sal" in out and "7/10  70.0 %" in out


def test_no_state_yet_says_so_and_still_counts_the_systems(world: World, tmp_path: Path) -> None:
    fresh = tmp_path / "fresh.toml"
    fresh.write_text(state_config(world.running, tmp_path / "empty.db"))

    report = world.report_json(fresh)

    assert report["state"]["has_state"] is False
    assert report["notices"][0].startswith("No sync has run yet")
    assert report["funnel"]["salesforce"]["stages"] == Expected.stages_salesforce
    assert report["drift"]["pairs_checked"] == 0
    assert report["sla"]["breaches"] == []
    # Without the audit trail Sally counts only where she stands now: disqualified.
    assert report["conversions"]["salesforce"]["reached"]["mql"] == 9
    assert "No sync has run yet" in render(world.build(fresh), "table")


# --- the HTML report in a real browser ------------------------------------------------------

SALESFORCE_BLUE = (0x0B, 0x75, 0xC9)
HUBSPOT_ORANGE = (0xFF, 0x7A, 0x59)


def chromium(*args: str, profile: Path) -> subprocess.CompletedProcess[str]:
    binary = shutil.which("chromium") or "/usr/bin/chromium"
    assert Path(binary).exists(), "headless Chromium is needed: apt-get install -y chromium"
    return subprocess.run(
        [
            binary,
            "--headless",
            "--no-sandbox",
            "--disable-gpu",
            "--disable-quic",
            "--no-first-run",
            "--disable-background-networking",
            "--disable-component-update",
            "--disable-sync",
            f"--user-data-dir={profile}",
            *args,
        ],
        capture_output=True,
        text=True,
        timeout=60,
        check=True,
    )


class Dom(HTMLParser):
    """The elements of a dumped DOM that the checks need: charts, their bars, scripts."""

    def __init__(self) -> None:
        super().__init__()
        self.svgs: dict[str, dict[str, str]] = {}
        self.bars: dict[str, list[dict[str, str]]] = {}
        self.scripts = 0
        self.sections: list[str] = []
        self._svg: str | None = None

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        values = {k: v or "" for k, v in attrs}
        if tag == "svg":
            self._svg = values.get("id", "")
            self.svgs[self._svg] = values
            self.bars[self._svg] = []
        elif tag == "rect" and self._svg is not None and values.get("class") == "bar":
            self.bars[self._svg].append(values)
        elif tag == "script":
            self.scripts += 1
        elif tag == "section":
            self.sections.append(values.get("id", ""))

    def handle_endtag(self, tag: str) -> None:
        if tag == "svg":
            self._svg = None


def test_html_report_renders_in_chromium(world: World, tmp_path: Path) -> None:
    page = tmp_path / "report.html"
    world.report("--format", "html", "--output", str(page))
    html = page.read_text(encoding="utf-8")

    # One self-contained file: nothing to fetch, nothing to run, the hostile name escaped.
    assert "<script" not in html.lower()
    assert "&lt;script&gt;alert(&quot;pwned&quot;)&lt;/script&gt; &amp; Sons" in html
    assert "Content-Security-Policy" in html
    for reference in ("src=", "href=", "<link", "@import", "url("):
        assert reference not in html
    assert "https://" not in html
    assert html.count("http://") == html.count('xmlns="http://www.w3.org/2000/svg"')

    shot = tmp_path / "report.png"
    dumped = chromium(
        "--dump-dom",
        f"--screenshot={shot}",
        "--window-size=1200,2000",
        page.as_uri(),
        profile=tmp_path / "profile",
    ).stdout
    dom = Dom()
    dom.feed(dumped)
    assert dom.scripts == 0
    assert dom.sections == [
        "notices",
        "funnel",
        "conversions",
        "dispositions",
        "recycle",
        "sla",
        "drift",
    ]
    assert "&lt;script&gt;" in dumped
    for chart in ("funnel-salesforce", "funnel-hubspot", "conversions-chart", "dispositions-chart"):
        assert float(dom.svgs[chart]["width"]) > 0 and float(dom.svgs[chart]["height"]) > 0
        bars = dom.bars[chart]
        assert bars, chart
        assert any(float(b["width"]) > 0 for b in bars), chart
    funnel_bars = dom.bars["funnel-salesforce"]
    assert [b["data-value"] for b in funnel_bars] == [
        str(n) for n in Expected.stages_salesforce.values()
    ]
    assert all(float(b["width"]) > 0 for b in funnel_bars)
    assert len(dom.bars["dispositions-chart"]) == 2 * len(Expected.by_reason)

    # The charts are painted: the funnels near the top of the page hold thousands of pixels
    # in each system's colour.
    counts = count_colours(png_rows(shot.read_bytes()), (SALESFORCE_BLUE, HUBSPOT_ORANGE), 3000)
    assert counts[SALESFORCE_BLUE] >= 3000
    assert counts[HUBSPOT_ORANGE] >= 3000


Pixel = tuple[int, int, int]


def count_colours(
    rows: Iterator[list[Pixel]], colours: tuple[Pixel, ...], enough: int
) -> dict[Pixel, int]:
    """Pixels of each colour, reading rows only until every colour has ``enough``."""
    counts = dict.fromkeys(colours, 0)
    for row in rows:
        for colour in colours:
            counts[colour] += row.count(colour)
        if all(n >= enough for n in counts.values()):
            break
    return counts


def png_rows(data: bytes) -> Iterator[list[Pixel]]:
    """The RGB pixel rows of an 8-bit, non-interlaced PNG (what Chromium writes), top down."""
    assert data[:8] == b"\x89PNG\r\n\x1a\n"
    pos, idat = 8, b""
    width = height = channels = 0
    while pos < len(data):
        (length,) = struct.unpack(">I", data[pos : pos + 4])
        kind, body = data[pos + 4 : pos + 8], data[pos + 8 : pos + 8 + length]
        if kind == b"IHDR":
            width, height, depth, colour, _, _, interlace = struct.unpack(">IIBBBBB", body)
            assert depth == 8 and interlace == 0
            channels = {2: 3, 6: 4}[colour]
        elif kind == b"IDAT":
            idat += body
        pos += 12 + length
    raw = zlib.decompress(idat)
    stride = width * channels
    previous = bytes(stride)
    for y in range(height):
        start = y * (stride + 1)
        line = _unfilter(raw[start], raw[start + 1 : start + 1 + stride], previous, channels)
        yield [(line[i], line[i + 1], line[i + 2]) for i in range(0, stride, channels)]
        previous = line


def _unfilter(kind: int, line: bytes, previous: bytes, channels: int) -> bytes:
    if kind == 0:
        return line
    if kind == 2:
        return _add_bytes(line, previous)
    out = bytearray(line)
    for i in range(len(out)):
        left = out[i - channels] if i >= channels else 0
        up = previous[i]
        if kind == 1:
            out[i] = (out[i] + left) & 0xFF
        elif kind == 3:
            out[i] = (out[i] + (left + up) // 2) & 0xFF
        else:
            corner = previous[i - channels] if i >= channels else 0
            p = left + up - corner
            pa, pb, pc = abs(p - left), abs(p - up), abs(p - corner)
            best = left if pa <= pb and pa <= pc else up if pb <= pc else corner
            out[i] = (out[i] + best) & 0xFF
    return bytes(out)


def _add_bytes(a: bytes, b: bytes) -> bytes:
    """Bytewise ``(a + b) % 256`` as two big-integer sums whose lanes leave room for carries."""
    n = len(a)
    even = int.from_bytes(b"\xff\x00" * (n // 2) + b"\xff" * (n % 2), "big")
    odd = even ^ ((1 << (8 * n)) - 1)
    x, y = int.from_bytes(a, "big"), int.from_bytes(b, "big")
    total = (((x & even) + (y & even)) & even) | (((x & odd) + (y & odd)) & odd)
    return total.to_bytes(n, "big")


@pytest.mark.parametrize("kind", [0, 1, 2, 3, 4])
def test_png_reader_undoes_every_filter(kind: int) -> None:
    pixels = [[(250, 7, 128), (3, 255, 64), (90, 90, 90)], [(1, 2, 3), (255, 255, 0), (17, 200, 9)]]
    raw, previous = b"", bytes(9)
    for row in pixels:
        line = bytes(v for pixel in row for v in pixel)
        raw += bytes([kind]) + _filter(kind, line, previous)
        previous = line

    def chunk(name: bytes, body: bytes) -> bytes:
        crc = struct.pack(">I", zlib.crc32(name + body))
        return struct.pack(">I", len(body)) + name + body + crc

    ihdr = struct.pack(">IIBBBBB", 3, 2, 8, 2, 0, 0, 0)
    data = b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", ihdr) + chunk(b"IDAT", zlib.compress(raw))
    assert list(png_rows(data + chunk(b"IEND", b""))) == pixels


def _filter(kind: int, line: bytes, previous: bytes) -> bytes:
    """What a PNG encoder writes for ``line`` with filter ``kind`` (3 bytes a pixel)."""
    out = bytearray()
    for i, value in enumerate(line):
        left = line[i - 3] if i >= 3 else 0
        up = previous[i]
        corner = previous[i - 3] if i >= 3 else 0
        p = left + up - corner
        pa, pb, pc = abs(p - left), abs(p - up), abs(p - corner)
        paeth = left if pa <= pb and pa <= pc else up if pb <= pc else corner
        predictor = (0, left, up, (left + up) // 2, paeth)[kind]
        out.append((value - predictor) & 0xFF)
    return bytes(out)
