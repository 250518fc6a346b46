"""Peak memory of a backfill: 100,000 records against 10,000 (the issue: at most 1.5 x).

Run: ``.venv/bin/python -m bench.backfill_memory [--sizes 10000,100000]``

Each size gets a fresh pair of emulators (no latency, HubSpot's burst limit lifted so the run
takes minutes, not the hour the real limit would impose) holding that many leads in Salesforce
and an empty HubSpot. ``crmsync backfill --pipeline leads`` runs as a subprocess; its peak RSS
is the high-water mark of that program alone (``VmHWM``, read by ``bench/peak_rss.py`` as it
ends), so the emulators, which run in this process, are not counted.
"""

from __future__ import annotations

import argparse
import sys
import tempfile
from collections.abc import Sequence
from pathlib import Path

from bench.scene import CliRun, machine, run_cli, site

LIMIT = 1.5


def backfill(
    records: int,
    module: str = "connector",
    bulk_threshold: int | None = None,
    env: dict[str, str] | None = None,
) -> tuple[CliRun, int]:
    with (
        tempfile.TemporaryDirectory(prefix="crmsync-bench-") as tmp,
        site(Path(tmp)) as here,
    ):
        if bulk_threshold is not None:
            text = here.config_path.read_text(encoding="utf-8")
            text = text.replace(
                "[salesforce]\n", f"[salesforce]\nbulk_threshold = {bulk_threshold}\n"
            )
            here.config_path.write_text(text, encoding="utf-8")
        here.hs.post("/settings", {"burst_limit": 10_000_000})
        here.seed_leads(records)
        args = ["backfill", "--pipeline", "leads", "--config", str(here.config_path)]
        run = run_cli(args, here.root, env=env, module=module)
        contacts = sum(1 for r in here.hs.get("/records/contacts") if not r.get("archived"))
    return run, contacts


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--sizes", default="10000,100000")
    parser.add_argument(
        "--trace",
        action="store_true",
        help="print where the Python heap peaks (bench/diag_memory_peak.py; slower)",
    )
    parser.add_argument(
        "--bulk-threshold",
        type=int,
        help="the config's [salesforce] bulk_threshold (default: crmsync's, 10,000)",
    )
    args = parser.parse_args(argv)
    module = "bench.diag_memory_peak" if args.trace else "connector"
    sizes = [int(s) for s in args.sizes.split(",") if s]
    what = ""
    if args.bulk_threshold is not None:
        what += f" (bulk_threshold {args.bulk_threshold})"
    print(f"# backfill_memory: sizes {sizes}{what}; {machine()}")
    print(
        f"{'leads':>8} {'peak RSS MiB':>13} {'wall s':>8} {'CPU s':>7} {'exit':>5} {'contacts':>9}"
    )
    peaks: dict[int, int] = {}
    for size in sizes:
        run, contacts = backfill(size, module, args.bulk_threshold)
        peaks[size] = run.max_rss_kib
        print(
            f"{size:>8} {run.max_rss_kib / 1024:>13.1f} {run.seconds:>8.1f} "
            f"{run.cpu_seconds:>7.1f} {run.code:>5} "
            f"{contacts:>9}",
            flush=True,
        )
        if args.trace:
            print("\n".join(run.output.splitlines()[-11:]), flush=True)
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
