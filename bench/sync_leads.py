"""Syncing many changed leads: API calls against their lower bound, records per second, memory.

Run by hand (never by the test suite)::

    .venv/bin/python bench/sync_leads.py --records 10000

Both emulators start in this process; each measured cycle is ``crmsync sync --pipeline leads``
run as its own process, exactly as an admin runs it, so its wall time and peak memory (its own
``ru_maxrss``) are the connector's alone, not the emulators'. API calls are counted from the
emulators' request logs, i.e. what the vendors would count, never from crmsync's own counters.

Three cycles of ``n`` changed leads are measured:

1. **new**: ``n`` leads in Salesforce become ``n`` HubSpot contacts (upserted by e-mail,
   ``ceil(n/100)`` batch calls), then learn their contact ids (``ceil(n/200)`` collections);
2. **edited in Salesforce**: every lead's title changed: ``ceil(n/100)`` HubSpot batch updates;
3. **edited in HubSpot**: every contact's first name changed: ``ceil(n/200)`` collections.

Between them an unmeasured cycle reads back crmsync's own writes (echoes: nothing written), and
the edits are made through the emulators' admin API (as people editing in the UIs would).
Reads are listed per endpoint with the pages their batch sizes allow: a change read pages 2,000
records a query in Salesforce and 200 a search page in HubSpot; reading partners by id takes
200 per SOQL ``IN`` list and 100 per HubSpot batch read.
"""

from __future__ import annotations

import argparse
import math
import sys
import tempfile
from collections import Counter
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from bench.scene import AHEAD, CliRun, Site, is_auth, is_write, machine, run_cli, site

SF_COLLECTION = 200
HS_BATCH = 100
SF_QUERY_PAGE = 2_000
HS_SEARCH_PAGE = 200


@dataclass
class Phase:
    """One measured cycle: what it was asked to do and what the emulators saw."""

    name: str
    records: int
    bounds: dict[str, int]
    run: CliRun
    calls: dict[str, list[dict[str, Any]]] = field(default_factory=dict)

    def writes(self, side: str) -> Counter[str]:
        return Counter(f"{e['method']} {e['path']}" for e in self.calls[side] if is_write(e))

    def reads(self, side: str) -> Counter[str]:
        return Counter(
            f"{e['method']} {e['path']}"
            for e in self.calls[side]
            if not is_write(e) and not is_auth(e)
        )


def cli_env(here: Site) -> dict[str, str]:
    # Wide output, so the summary line is not folded; "now" past the search-lag margin.
    return {"CRMSYNC_NOW": (here.emulator_now() + AHEAD).isoformat(), "COLUMNS": "240"}


def measure(here: Site, name: str, records: int, bounds: dict[str, int]) -> Phase:
    here.clear_logs()
    env = cli_env(here)
    run = run_cli(
        ["sync", "--pipeline", "leads", "--config", str(here.config_path)], here.root, env
    )
    phase = Phase(name, records, bounds, run)
    phase.calls = {"salesforce": here.sf.requests(), "hubspot": here.hs.requests()}
    if run.code not in (0, 1):
        raise SystemExit(f"{name}: crmsync sync exited {run.code}\n{run.output}")
    return phase


def settle(here: Site) -> None:
    """The cycle after a measured one: crmsync's own writes come back and change nothing."""
    here.clear_logs()
    env = cli_env(here)
    run = run_cli(
        ["sync", "--pipeline", "leads", "--config", str(here.config_path)], here.root, env
    )
    writes = [e for side in (here.sf, here.hs) for e in side.requests() if is_write(e)]
    here.clear_logs()
    if run.code != 0 or writes:
        seen = Counter(f"{e['method']} {e['path']}" for e in writes)
        raise SystemExit(
            f"the echo cycle wrote {len(writes)} times (exit {run.code}): {dict(seen)}\n"
            f"{run.output}"
        )


def edit_leads(here: Site) -> None:
    for n, record in enumerate(here.sf.get("/records/Lead")):
        here.sf.post(
            "/update", {"object": "Lead", "id": record["Id"], "fields": {"Title": f"Buyer {n}"}}
        )


def edit_contacts(here: Site) -> None:
    for record in here.hs.get("/records/contacts"):
        first = record["properties"].get("firstname") or ""
        body = {"object": "contacts", "id": record["id"], "properties": {"firstname": f"R {first}"}}
        here.hs.post("/update", body)


def report(phases: list[Phase], n: int) -> None:
    print(f"\nSync engine benchmark, {n:,} leads; {machine()}")
    print(
        "\n| cycle | write calls (lower bound) | read calls (pages the batch sizes allow) "
        "| seconds | records/s | peak RSS |"
    )
    print("| --- | --- | --- | ---: | ---: | ---: |")
    for phase in phases:
        writes = []
        for side, label in (("salesforce", "SF"), ("hubspot", "HS")):
            for path, count in sorted(phase.writes(side).items()):
                bound = phase.bounds.get(f"{side} write", 0)
                writes.append(f"{label} {path}: {count} ({bound})")
        reads = []
        for side, label in (("salesforce", "SF"), ("hubspot", "HS")):
            for path, count in sorted(phase.reads(side).items()):
                reads.append(f"{label} {path}: {count}")
        rate = phase.records / phase.run.seconds if phase.run.seconds else 0.0
        print(
            f"| {phase.name} | {'; '.join(writes) or 'none'} | {'; '.join(reads)} "
            f"| {phase.run.seconds:.1f} | {rate:,.0f} | {phase.run.max_rss_kib / 1024:.0f} MiB |"
        )
    print("\nRead bounds per cycle:")
    for phase in phases:
        parts = ", ".join(f"{k} {v}" for k, v in phase.bounds.items() if "write" not in k)
        total_writes = sum(len([e for e in c if is_write(e)]) for c in phase.calls.values())
        bound_writes = sum(v for k, v in phase.bounds.items() if "write" in k)
        print(
            f"- {phase.name}: {total_writes} write calls for a lower bound of {bound_writes}; "
            f"read pages at least: {parts}"
        )
    for phase in phases:
        summary = [line for line in phase.run.output.splitlines() if line.startswith("leads:")]
        print(f"- {phase.name} summary: {' '.join(summary)}")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n", 1)[0])
    parser.add_argument("--records", type=int, default=10_000, help="leads to sync (10000)")
    args = parser.parse_args()
    n: int = args.records
    sf_pages = math.ceil(n / SF_COLLECTION)
    hs_pages = math.ceil(n / HS_BATCH)
    with tempfile.TemporaryDirectory(prefix="crmsync-bench-sync-") as tmp, site(Path(tmp)) as here:
        here.seed_leads(n)
        print(f"Seeded {n:,} leads; measuring three cycles of {n:,} changes each ...")
        phases = [
            measure(
                here,
                "new leads",
                n,
                {
                    "hubspot write": hs_pages,
                    "salesforce write": sf_pages,
                    "SF change query pages": math.ceil(n / SF_QUERY_PAGE),
                    "HS lookups by e-mail": hs_pages,
                },
            )
        ]
        settle(here)
        edit_leads(here)
        phases.append(
            measure(
                here,
                "edited in Salesforce",
                n,
                {
                    "hubspot write": hs_pages,
                    "SF change query pages": math.ceil(n / SF_QUERY_PAGE),
                    "HS partner batch reads": hs_pages,
                },
            )
        )
        settle(here)
        edit_contacts(here)
        phases.append(
            measure(
                here,
                "edited in HubSpot",
                n,
                {
                    "salesforce write": sf_pages,
                    "HS search pages": math.ceil(n / HS_SEARCH_PAGE),
                    "SF partner queries": sf_pages,
                },
            )
        )
        report(phases, n)


if __name__ == "__main__":
    main()
