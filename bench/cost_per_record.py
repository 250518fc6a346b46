"""The connector's own CPU cost per record: mapping, taxonomy and diff, with no I/O at all.

Run: ``.venv/bin/python -m bench.cost_per_record [--sizes 10000,100000] [--profile]``

Drives ``connector.engine.plan.plan_pair`` in-process over synthetic linked pairs, with the real
compiled ``mappings/leads.toml`` (its transforms, the owner map, and the taxonomy stage step with
the lead definition), exactly as a cycle calls it. Each pair holds what both systems would
answer for one lead, plus the snapshot of the last sync; half the pairs have a changed two-way
field in Salesforce, half in HubSpot, so every plan produces one write. ``is_echo`` (the check
that lets a cycle skip crmsync's own writes without reading the partner) is timed too, on
records equal to their snapshot.

CPU time is ``time.process_time()`` over the loop alone (inputs are built before). Memory is
measured in a second run under ``tracemalloc``: the peak while the pairs stream through in
chunks of 200 (what the engine holds), and, for comparison, the peak if every plan is kept.
"""

from __future__ import annotations

import argparse
import cProfile
import gc
import io
import itertools
import pstats
import sys
import time
import tracemalloc
from collections.abc import Iterator, Sequence
from dataclasses import replace
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

from bench.scene import MAPPINGS, machine
from connector.engine.pairs import Pair, PairPlan
from connector.engine.plan import PlanContext, is_echo, plan_pair
from connector.engine.stages import make_stage_step
from connector.mapping import FieldMap, compile_mapping
from connector.model import Owner, Record, Side
from connector.transforms import TransformContext

CHUNK = 200
NOW = datetime(2026, 6, 1, 12, 0, tzinfo=UTC)
SF_USER = "005000000000001AAA"
HS_OWNER = "71000001"
EMAIL = "ann.lee@team.example"


def context(field_map: FieldMap) -> PlanContext:
    transforms = TransformContext.from_owners(
        [Owner(SF_USER, EMAIL, "Ann Lee")], [Owner(HS_OWNER, EMAIL, "Ann Lee")]
    )
    return PlanContext(
        field_map=field_map,
        transforms=transforms,
        now=NOW,
        stage_step=make_stage_step(field_map),
        creates_salesforce=True,
        creates_hubspot=True,
    )


def lead_record(n: int, at: datetime, **changes: Any) -> Record:
    lead_id = f"00Q{n:015d}"
    fields: dict[str, Any] = {
        "Id": lead_id,
        "SystemModstamp": at.isoformat(),
        "Email": f"lena{n}@buyer.example",
        "HubSpot_Contact_Id__c": str(100_000 + n),
        "FirstName": f"Lena{n}",
        "LastName": f"Sato{n}",
        "Company": f"Buyer {n % 997} Ltd",
        "Title": "Head of Operations",
        "Lead_Score__c": 20.0,
        "OwnerId": SF_USER,
        "LeadSource": "Web",
        "Contract_End_Date__c": "2027-01-31",
        "ConvertedOpportunity.StageName": None,
        "ConvertedOpportunity.Amount": None,
        "ConvertedOpportunity.Loss_Reason__c": None,
        "ConvertedOpportunity.CloseDate": None,
        "Status": "Open - Not Contacted",
        "Disposition_Reason__c": None,
        "Recycle_Date__c": None,
        "IsConverted": False,
        "LastModifiedById": SF_USER,
    }
    fields.update(changes)
    return Record(Side.SALESFORCE, "Lead", lead_id, fields, at)


def contact_record(n: int, at: datetime, **changes: Any) -> Record:
    contact_id = str(100_000 + n)
    fields: dict[str, Any] = {
        "lastmodifieddate": at.isoformat().replace("+00:00", "Z"),
        "email": f"lena{n}@buyer.example",
        "salesforce_lead_id": f"00Q{n:015d}",
        "hs_object_id": contact_id,
        "firstname": f"Lena{n}",
        "lastname": f"Sato{n}",
        "company": f"Buyer {n % 997} Ltd",
        "jobtitle": "Head of Operations",
        "hubspotscore": "20",
        "hubspot_owner_id": HS_OWNER,
        "lead_source": "Web",
        "contract_end_date": "2027-01-31",
        "closed_loop_outcome": None,
        "closed_loop_amount": None,
        "closed_loop_reason": None,
        "closed_loop_date": None,
        "lifecyclestage": "marketingqualifiedlead",
        "hs_lead_status": "OPEN",
        "lead_disposition_reason": None,
        "recycle_date": None,
    }
    fields.update(changes)
    return Record(Side.HUBSPOT, "contacts", contact_id, fields, at)


def changed_pairs(count: int, ctx: PlanContext) -> Iterator[Pair]:
    """Linked pairs, each with one two-way field changed since the last sync (sides alternate).

    Each pair's snapshot is what planning the pair as it was at the last sync agreed on, as the
    state store would hold it for the link.
    """
    before = NOW - timedelta(days=2)
    edited = NOW - timedelta(hours=1)
    for n in range(count):
        lead = lead_record(n, before)
        contact = contact_record(n, before)
        last_sync = plan_pair(Pair(lead, contact, link_id=n + 1), ctx)
        if last_sync.rejection is not None or last_sync.writes:
            raise SystemExit(f"synthetic pair {n} does not agree: {last_sync}")
        if n % 2 == 0:
            lead = replace(
                lead, fields={**lead.fields, "Title": f"Director {n}"}, modified_at=edited
            )
        else:
            contact = replace(
                contact, fields={**contact.fields, "jobtitle": f"VP {n}"}, modified_at=edited
            )
        yield Pair(lead, contact, link_id=n + 1, snapshot=dict(last_sync.agreed))


def cpu_plan(pairs: Sequence[Pair], ctx: PlanContext) -> tuple[float, int]:
    gc.collect()
    started = time.process_time()
    writes = 0
    for pair in pairs:
        writes += len(plan_pair(pair, ctx).writes)
    return time.process_time() - started, writes


def cpu_echo(pairs: Sequence[Pair], ctx: PlanContext) -> tuple[float, int]:
    """``is_echo`` on each pair's unchanged side: what a cycle does for its own writes."""
    records = [
        (pair.salesforce if n % 2 else pair.hubspot, pair.snapshot or {})
        for n, pair in enumerate(pairs)
    ]
    gc.collect()
    started = time.process_time()
    echoes = 0
    for record, snapshot in records:
        assert record is not None
        echoes += is_echo(record, snapshot, ctx)
    return time.process_time() - started, echoes


def streamed_peak(count: int, ctx: PlanContext, keep: bool) -> int:
    """tracemalloc peak (bytes) planning ``count`` pairs in chunks of 200 as they are made."""
    kept: list[PairPlan] = []
    gc.collect()
    tracemalloc.start()
    pairs = changed_pairs(count, ctx)
    while chunk := list(itertools.islice(pairs, CHUNK)):
        plans = [plan_pair(p, ctx) for p in chunk]
        if keep:
            kept.extend(plans)
    _, peak = tracemalloc.get_traced_memory()
    tracemalloc.stop()
    del kept
    return peak


def profile_top(pairs: Sequence[Pair], ctx: PlanContext, top: int = 10) -> str:
    profiler = cProfile.Profile()
    profiler.enable()
    for pair in pairs:
        plan_pair(pair, ctx)
    profiler.disable()
    out = io.StringIO()
    pstats.Stats(profiler, stream=out).sort_stats("tottime").print_stats(top)
    lines = [line for line in out.getvalue().splitlines() if line.strip()]
    start = next(i for i, line in enumerate(lines) if line.lstrip().startswith("ncalls"))
    return "\n".join(lines[start : start + top + 1])


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--sizes", default="10000,100000")
    parser.add_argument("--profile", action="store_true", help="cProfile top 10 (10,000 pairs)")
    args = parser.parse_args(argv)
    sizes = [int(s) for s in args.sizes.split(",") if s]
    field_map = compile_mapping(Path(MAPPINGS) / "leads.toml")
    ctx = context(field_map)
    print(f"# cost_per_record: leads.toml, {len(field_map.rows)} rows + stage step; {machine()}")
    print(
        f"{'pairs':>8} {'plan us/rec':>12} {'echo us/rec':>12} {'writes':>8} "
        f"{'peak MiB (chunks of 200)':>25} {'peak MiB (all plans kept)':>26}"
    )
    for size in sizes:
        pairs = list(changed_pairs(size, ctx))
        plan_s, writes = cpu_plan(pairs, ctx)
        echo_s, echoes = cpu_echo(pairs, ctx)
        if echoes != size:
            raise SystemExit(f"only {echoes} of {size} unchanged sides were taken for echoes")
        del pairs
        gc.collect()
        streamed = streamed_peak(size, ctx, keep=False)
        kept = streamed_peak(size, ctx, keep=True)
        print(
            f"{size:>8} {plan_s / size * 1e6:>12.1f} {echo_s / size * 1e6:>12.1f} {writes:>8} "
            f"{streamed / 2**20:>25.1f} {kept / 2**20:>26.1f}",
            flush=True,
        )
    if args.profile:
        print("# cProfile, plan_pair over 10,000 pairs, by own time:")
        print(profile_top(list(changed_pairs(10_000, ctx)), ctx))
    return 0


if __name__ == "__main__":
    sys.exit(main())
