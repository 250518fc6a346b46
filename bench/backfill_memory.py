"""Peak memory of a backfill: 100,000 records against 10,000 (the issue: at most 1.5 x).

Run: ``.venv/bin/python -m bench.backfill_memory [--sizes 10000,100000]``

Each size gets a fresh pair of emulators (no latency, HubSpot's burst limit lifted so the run
takes minutes, not the hour the real limit would impose) holding that many leads in Salesforce
and an empty HubSpot. ``crmsync backfill --pipeline leads`` runs as a subprocess; its peak RSS
is the high-water mark the kernel reports for that child alone (``wait4``'s ``ru_maxrss``), so
the emulators, which run in this process, are not counted.
"""

from __future__ import annotations

import argparse
import sys
import tempfile
from collections.abc import Sequence
from pathlib import Path

from bench.scene import CliRun, machine, run_cli, site

LIMIT = 1.5


def backfill(records: int, module: str = "connector") -> tuple[CliRun, int]:
    with (
        tempfile.TemporaryDirectory(prefix="crmsync-bench-") as tmp,
        site(Path(tmp)) as here,
    ):
        here.hs.post("/settings", {"burst_limit": 10_000_000})
        here.seed_leads(records)
        args = ["backfill", "--pipeline", "leads", "--config", str(here.config_path)]
        run = run_cli(args, here.root, module=module)
        contacts = sum(1 for r in here.hs.get("/records/contacts") if not r.get("archived"))
    return run, contacts


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--sizes", default="10000,100000")
    parser.add_argument(
        "--diagnose",
        action="store_true",
        help="run crmsync with CycleResult.plans kept empty (bench/diag_no_plans.py)",
    )
    args = parser.parse_args(argv)
    module = "bench.diag_no_plans" if args.diagnose else "connector"
    sizes = [int(s) for s in args.sizes.split(",") if s]
    what = " (diagnosis: CycleResult.plans kept empty)" if args.diagnose else ""
    print(f"# backfill_memory: sizes {sizes}{what}; {machine()}")
    print(
        f"{'leads':>8} {'peak RSS MiB':>13} {'wall s':>8} {'CPU s':>7} {'exit':>5} {'contacts':>9}"
    )
    peaks: dict[int, int] = {}
    for size in sizes:
        run, contacts = backfill(size, module)
        peaks[size] = run.max_rss_kib
        print(
            f"{size:>8} {run.max_rss_kib / 1024:>13.1f} {run.seconds:>8.1f} "
            f"{run.cpu_seconds:>7.1f} {run.code:>5} "
            f"{contacts:>9}",
            flush=True,
        )
        if run.code != 0 or contacts != size:
            print(run.output[-3000:])
            return 2
    small, large = min(sizes), max(sizes)
    ratio = peaks[large] / peaks[small]
    verdict = "pass" if ratio <= LIMIT else "FAIL"
    print(f"peak({large}) / peak({small}) = {ratio:.2f}  (limit {LIMIT}): {verdict}")
    return 0 if ratio <= LIMIT else 1


if __name__ == "__main__":
    sys.exit(main())
