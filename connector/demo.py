"""``crmsync demo``: the whole product on one machine, in one command, leaving nothing behind.

Both emulators start in-process on free loopback ports with the demo data set; a config that
points at them is written to a temporary folder with its own SQLite state; every pipeline runs
once; the summary and where the two systems still disagree are printed; everything stops.
"""

from __future__ import annotations

import tempfile
import time
from collections import Counter
from pathlib import Path

from rich.console import Console

from connector.config import config_from_text
from connector.emulators.demo import demo_seed
from connector.emulators.run import config_text, emulators
from connector.errors import ExitCode
from connector.state import StateStore

console = Console(highlight=False)


def run_demo(leads: int = 2000) -> int:
    """Seed, sync every pipeline once, print what happened."""
    from connector.commands import print_result
    from connector.engine.runner import sync_pipelines

    started = time.monotonic()
    with tempfile.TemporaryDirectory(prefix="crmsync-demo-") as tmp:
        root = Path(tmp)
        with emulators(tls_dir=root / "tls") as running:
            seed = demo_seed(leads=leads, contacts=max(leads * 3 // 4, 1))
            running.admin(running.salesforce, "seed", seed.salesforce)
            running.admin(running.hubspot, "seed", seed.hubspot)
            console.print(
                f"Emulators up: Salesforce {running.salesforce.url}, HubSpot "
                f"{running.hubspot.url}; seeded {seed.summary()}",
                markup=False,
            )
            text = config_text(running, f"sqlite:///{root / 'crmsync.db'}")
            config = config_from_text(text, root / "crmsync.toml", environ={})
            results = sync_pipelines(config, config.file.pipelines)
            for result in results:
                print_result(result, dry_run=False)
            with StateStore.open(config.file.state.url) as store, store.transaction() as tx:
                letters = tx.list_dead_letters(None)
            reasons = Counter(letter.error_code for letter in letters)
            console.print(
                f"Dead letters: {len(letters)} {dict(reasons.most_common())}", markup=False
            )
            for letter in letters[:5]:
                console.print(f"  {letter.record_key}: {letter.error_message}", markup=False)
            # A second cycle right after the first must write nothing: the proof of no ping-pong.
            again = sync_pipelines(config, config.file.pipelines)
            writes = sum(c.created + c.updated for r in again for c in r.counts.values())
            console.print(f"Second cycle: {writes} writes (expected 0)", markup=False)
    console.print(f"Demo finished in {time.monotonic() - started:.1f} s; nothing left running.")
    # The demo data carries deliberate problems, so dead letters are part of the show.
    return int(ExitCode.OK)
