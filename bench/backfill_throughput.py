"""Backfill throughput under HubSpot's rate limit and 50 ms latency, against the ceiling they allow.

Run: ``.venv/bin/python -m bench.backfill_throughput [--records 100000] [--latency-ms 50]``

The scene is a first backfill: ``--records`` leads in Salesforce, HubSpot empty, so every lead
gets its contact and learns its id. ``crmsync backfill --pipeline leads`` runs as a subprocess
(its own process, as a user runs it) against both emulators, which answer every API call after
``latency_ms`` and enforce HubSpot's 190 requests per rolling 10 s (the emulator's default
Professional-tier burst limit; search keeps its own 5 a second).

The ceiling. The engine is one thread: its calls are serial, so Salesforce calls cannot overlap
HubSpot calls. The fewest calls the backfill's design needs, for N leads:

- HubSpot: ``ceil(N/100)`` match look-ups by e-mail (``batch/read`` with ``idProperty``: the
  backfill streams and never holds HubSpot's whole object, so it asks for the contacts a chunk
  may match), ``ceil(N/100)`` ``batch/upsert`` creates, and ``ceil(N/100)`` list pages when the
  HubSpot side is re-read: H = 3 * ceil(N/100), at no more than 19 calls a second;
- Salesforce: ``ceil(N/2000)`` read pages, ``ceil(N/200)`` Collections updates writing each
  lead's new HubSpot id, one token: S, at 50 ms each, serial.

Ceiling time T = H / 19 + S * latency, ceiling rate = N / T. (With 50 ms latency HubSpot's
serial time H * 0.05 s is below H / 19, so the rate limit, not latency, is HubSpot's bound.)
Target: the measured rate >= 85 % of the ceiling.
"""

from __future__ import annotations

import argparse
import math
import sys
import tempfile
from collections import Counter
from collections.abc import Sequence
from pathlib import Path

from bench.api_efficiency import category
from bench.scene import machine, run_cli, site

BURST_PER_10S = 190
TARGET = 0.85


def ceiling(records: int, latency_s: float) -> tuple[int, int, float]:
    """(HubSpot calls, Salesforce calls, seconds) of the ceiling model."""
    hubspot = 3 * math.ceil(records / 100)
    salesforce = math.ceil(records / 2000) + math.ceil(records / 200) + 1
    seconds = hubspot / (BURST_PER_10S / 10) + salesforce * latency_s
    return hubspot, salesforce, seconds


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--records", type=int, default=100_000)
    parser.add_argument("--latency-ms", type=int, default=50)
    args = parser.parse_args(argv)
    latency_s = args.latency_ms / 1000
    n = args.records
    print(f"# backfill_throughput: {n} leads, latency {args.latency_ms} ms; {machine()}")
    with (
        tempfile.TemporaryDirectory(prefix="crmsync-bench-") as tmp,
        site(Path(tmp), latency_ms=args.latency_ms) as here,
    ):
        here.hs.post("/settings", {"burst_limit": BURST_PER_10S})
        here.seed_leads(n)
        here.clear_logs()
        run = run_cli(
            ["backfill", "--pipeline", "leads", "--config", str(here.config_path)], here.root
        )
        calls: dict[str, Counter[str]] = {"sf": Counter(), "hs": Counter()}
        refused: Counter[str] = Counter()
        for side, admin in (("sf", here.sf), ("hs", here.hs)):
            for entry in admin.requests():
                calls[side][category(side, entry)] += 1
                if int(entry["status"]) >= 400 or int(entry["status"]) == 0:
                    refused[f"{side} {entry['status']}"] += 1
        contacts = sum(1 for r in here.hs.get("/records/contacts") if not r.get("archived"))
    if run.code != 0 or contacts != n:
        print(run.output[-3000:])
        print(f"# backfill failed: exit {run.code}, {contacts} contacts for {n} leads")
        return 2
    hs_min, sf_min, t_min = ceiling(n, latency_s)
    hs_calls, sf_calls = sum(calls["hs"].values()), sum(calls["sf"].values())
    rate = n / run.seconds
    best = n / t_min
    share = rate / best
    print(f"wall time            {run.seconds:10.1f} s   (exit {run.code}, {contacts} contacts)")
    print(f"records per second   {rate:10.1f}")
    print(
        f"crmsync CPU time     {run.cpu_seconds:10.1f} s   (user + system, serial with its calls)"
    )
    print(
        f"ceiling              {best:10.1f}     (T = {hs_min}/19 + {sf_min} x {latency_s:g} s "
        f"= {t_min:.1f} s)"
    )
    print(
        f"share of ceiling     {share:10.1%}   target >= {TARGET:.0%}: "
        f"{'pass' if share >= TARGET else 'FAIL'}"
    )
    print(
        f"HubSpot calls        {hs_calls:10d}   (model {hs_min}; at 19/s alone "
        f"{hs_calls / 19:.1f} s)"
    )
    print(f"Salesforce calls     {sf_calls:10d}   (model {sf_min})")
    print(f"refused calls        {dict(refused) or 'none'}")
    for side in ("hs", "sf"):
        print(f"  {side}: " + ", ".join(f"{k} {v}" for k, v in sorted(calls[side].items())))
    # What the actual calls alone would cost under the same model: how much is call count.
    actual_t = hs_calls / 19 + sf_calls * latency_s
    print(f"model time for the calls made: {actual_t:.1f} s (vs {t_min:.1f} s for the minimum)")
    return 0 if share >= TARGET else 1


if __name__ == "__main__":
    sys.exit(main())
