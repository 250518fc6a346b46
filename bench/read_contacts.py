"""crmsync's side of ``bench.vs_tap_hubspot``: every HubSpot contact read as a backfill reads it.

Run as a subprocess: ``python -m bench.read_contacts CONFIG``. Builds the HubSpot adapter from
the config exactly as ``crmsync backfill`` does and streams ``read_all`` for the leads mapping's
properties; prints the count and the seconds the read took (after imports and config).
"""

from __future__ import annotations

import sys
import time
from pathlib import Path

from connector.config import Secrets, load_config
from connector.mapping import compile_mapping
from connector.systems.factory import build_hubspot


def main() -> int:
    config = load_config(Path(sys.argv[1]), environ={})
    pipeline = config.pipeline("leads")
    field_map = compile_mapping(config.mapping_path(pipeline))
    hubspot = build_hubspot(config, Secrets(config))
    started = time.monotonic()
    count = sum(1 for _ in hubspot.read_all("contacts", field_map.hubspot_fields()))
    print(f"{count} {time.monotonic() - started:.3f}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
