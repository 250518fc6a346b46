"""The same 10,000-contact extraction through crmsync and through tap-hubspot, side by side.

Run: ``.venv/bin/python -m bench.vs_tap_hubspot [--contacts 10000] [--latency-ms 0] [--repeat 3]``

One HubSpot emulator (rate limits on, as shipped) holds ``--contacts`` contacts. Each tool reads
all of them with the properties the leads mapping reads, in its own subprocess:

- crmsync: the HubSpot adapter ``read_all`` (list pages of 100), as ``crmsync backfill`` reads,
  built from a config (``bench/read_contacts.py``);
- tap-hubspot 4.5.0, from PyPI, installed by this script into its own virtualenv under ``/tmp``
  (never into crmsync's), with a catalog selecting the ``contacts`` stream and the same
  properties, run by ``bench/tap/run_tap.py``.

tap-hubspot cannot be pointed at another host or CA through its config or the environment: its
``BASE_URL`` is a module constant (``https://api.hubapi.com``) and its GETs go through a
module-level ``requests.Session`` whose trust defaults to certifi (``Session.send`` does not read
``REQUESTS_CA_BUNDLE``). The wrapper sets those two module attributes at run time, with a guard
that refuses to resolve any name but loopback; the tap's code is not changed. Two things a real
portal answers and the emulator does not are answered by a shim in front of it (``TapShim``):
the tap's sync asks ``GET /crm/v3/schemas`` (custom objects; crmsync never calls it), and lists
contacts with ``associations=tickets,companies,deals``, and the emulator knows no ``tickets``.

Calls are counted from the emulator's request log; wall time is each subprocess's, start to exit
(interpreter start and imports included); crmsync's own read time is printed as well.
"""

from __future__ import annotations

import argparse
import json
import statistics
import subprocess
import sys
import tempfile
import time
from collections import Counter
from collections.abc import Sequence
from pathlib import Path
from typing import Any
from urllib.parse import parse_qsl, urlencode

from bench.scene import REPO, Site, machine, site
from connector.emulators.run import HUBSPOT_TOKEN
from connector.emulators.server import Message, Receive, Scope, Send
from connector.mapping import compile_mapping

TAP_VERSION = "4.5.0"
TAP_VENV = Path("/tmp/crmsync-bench-tap-hubspot-venv")
RUN_TAP = Path(__file__).resolve().parent / "tap" / "run_tap.py"


def tap_python() -> Path:
    """The tap's own virtualenv under /tmp, made and filled on first use."""
    python = TAP_VENV / "bin" / "python"
    marker = TAP_VENV / f".tap-hubspot-{TAP_VERSION}"
    if marker.exists():
        return python
    print(f"# installing tap-hubspot=={TAP_VERSION} into {TAP_VENV} ...", flush=True)
    subprocess.run([sys.executable, "-m", "venv", "--clear", str(TAP_VENV)], check=True)
    subprocess.run(
        [str(python), "-m", "pip", "install", "-q", f"tap-hubspot=={TAP_VERSION}"], check=True
    )
    marker.touch()
    return python


class TapShim:
    """In front of the emulator's API: two answers a real portal gives and the emulator lacks.

    - ``GET /crm/v3/schemas`` (custom object schemas): answered as a portal without custom
      objects answers, ``{"results": []}``;
    - ``associations=tickets,...`` on the contacts list: the emulator knows no ``tickets``
      object type and refuses the page (400 "Unable to infer object type from: tickets"); a
      portal without tickets answers the page with no ``tickets`` associations, which is what
      asking without ``tickets`` gets, so that name is dropped from the query.
    """

    def __init__(self, app: Any) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] == "http" and scope["path"].rstrip("/") == "/crm/v3/schemas":
            body = json.dumps({"results": []}).encode()
            start: Message = {
                "type": "http.response.start",
                "status": 200,
                "headers": [(b"content-type", b"application/json")],
            }
            await send(start)
            await send({"type": "http.response.body", "body": body})
            return
        if scope["type"] == "http" and scope.get("query_string"):
            query = parse_qsl(scope["query_string"].decode("latin-1"), keep_blank_values=True)
            kept = [
                (key, ",".join(v for v in value.split(",") if v != "tickets"))
                if key == "associations"
                else (key, value)
                for key, value in query
            ]
            scope = {**scope, "query_string": urlencode(kept).encode("latin-1")}
        await self.app(scope, receive, send)


def endpoint(entry: dict[str, Any]) -> str:
    path = str(entry["path"])
    status = int(entry["status"])
    return f"{entry['method']} {path}" + (f" [{status}]" if status >= 400 else "")


def calls(here: Site) -> Counter[str]:
    return Counter(endpoint(e) for e in here.hs.requests())


def run_crmsync(here: Site) -> tuple[float, float, int, Counter[str]]:
    here.hs.clear_requests()
    started = time.monotonic()
    done = subprocess.run(
        [sys.executable, "-m", "bench.read_contacts", str(here.config_path)],
        cwd=REPO,
        capture_output=True,
        text=True,
        check=True,
    )
    wall = time.monotonic() - started
    count, read_s = done.stdout.split()
    return wall, float(read_s), int(count), calls(here)


def tap_command(python: Path, here: Site) -> list[str]:
    url, ca = here.running.hubspot.url, str(here.running.tls.ca_path)
    return [str(python), str(RUN_TAP), url, ca, "--"]


def catalog(python: Path, here: Site, properties: Sequence[str], out: Path) -> Path:
    """The contacts stream selected, with exactly ``properties`` among its HubSpot properties."""
    schema_run = subprocess.run(
        [*tap_command(python, here), "--schema", str(tap_config(here))],
        capture_output=True,
        text=True,
    )
    if schema_run.returncode != 0:
        raise SystemExit(f"tap-hubspot's schema discovery failed:\n{schema_run.stderr[-3000:]}")
    discovered = json.loads(schema_run.stdout)
    wanted = {f"property_{name}" for name in properties}
    metadata = []
    for item in discovered["metadata"]:
        meta = dict(item["metadata"])
        crumb = item["breadcrumb"]
        if not crumb:
            meta["selected"] = True
        elif crumb[-1].startswith("property_"):
            meta["selected"] = crumb[-1] in wanted
        else:
            meta["selected"] = True
        metadata.append({"breadcrumb": crumb, "metadata": meta})
    stream = {
        "stream": "contacts",
        "tap_stream_id": "contacts",
        "schema": discovered["schema"],
        "metadata": metadata,
    }
    path = out / "catalog.json"
    path.write_text(json.dumps({"streams": [stream]}), encoding="utf-8")
    return path


def tap_config(here: Site) -> Path:
    """The tap's config: the private-app token (sent as a bearer) and a start date."""
    config = here.root / "tap-config.json"
    config.write_text(
        json.dumps({"api_key": HUBSPOT_TOKEN, "start_date": "2000-01-01T00:00:00Z"}),
        encoding="utf-8",
    )
    return config


def run_tap(python: Path, here: Site, catalog_path: Path) -> tuple[float, int, Counter[str]]:
    config = tap_config(here)
    out_path = here.root / "tap-output.jsonl"
    here.hs.clear_requests()
    started = time.monotonic()
    log_path = here.root / "tap-log.txt"
    command = [*tap_command(python, here), "--config", str(config)]
    command += ["--properties", str(catalog_path)]
    with out_path.open("w", encoding="utf-8") as out, log_path.open("w") as log:
        done = subprocess.run(
            command, stdout=out, stderr=log, env={"PATH": "/usr/bin:/bin", "NO_PROXY": "*"}
        )
    wall = time.monotonic() - started
    if done.returncode != 0:
        tail = log_path.read_text(encoding="utf-8")[-3000:]
        raise SystemExit(f"tap-hubspot failed (exit {done.returncode}):\n{tail}")
    records = 0
    with out_path.open(encoding="utf-8") as lines:
        for line in lines:
            message = json.loads(line)
            records += message.get("type") == "RECORD" and message.get("stream") == "contacts"
    return wall, records, calls(here)


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--contacts", type=int, default=10_000)
    parser.add_argument("--latency-ms", type=int, default=0)
    parser.add_argument("--repeat", type=int, default=3)
    args = parser.parse_args(argv)
    python = tap_python()
    properties = compile_mapping(REPO / "mappings" / "leads.toml").hubspot_fields()
    print(
        f"# vs_tap_hubspot: {args.contacts} contacts, {len(properties)} properties, latency "
        f"{args.latency_ms} ms, best and median of {args.repeat}; {machine()}"
    )
    with (
        tempfile.TemporaryDirectory(prefix="crmsync-bench-") as tmp,
        site(Path(tmp), latency_ms=args.latency_ms) as here,
    ):
        app = here.running.hubspot.app
        app._api = TapShim(app._api)
        here.seed_contacts(args.contacts)
        ours = [run_crmsync(here) for _ in range(args.repeat)]
        catalog_path = catalog(python, here, properties, here.root)
        theirs = [run_tap(python, here, catalog_path) for _ in range(args.repeat)]
    walls = [w for w, _, _, _ in ours]
    tap_walls = [w for w, _, _ in theirs]
    _, read_s, count, our_calls = ours[-1]
    _, tap_records, tap_calls = theirs[-1]
    print(f"{'':28} {'crmsync':>12} {'tap-hubspot':>12}")
    print(f"{'records extracted':28} {count:>12} {tap_records:>12}")
    print(f"{'API calls':28} {sum(our_calls.values()):>12} {sum(tap_calls.values()):>12}")
    print(f"{'wall s, best':28} {min(walls):>12.2f} {min(tap_walls):>12.2f}")
    median, tap_median = statistics.median(walls), statistics.median(tap_walls)
    print(f"{'wall s, median':28} {median:>12.2f} {tap_median:>12.2f}")
    print(f"{'crmsync read_all s (no startup)':28} {read_s:>12.2f}")
    print("crmsync calls:     " + ", ".join(f"{k} x{v}" for k, v in sorted(our_calls.items())))
    print("tap-hubspot calls: " + ", ".join(f"{k} x{v}" for k, v in sorted(tap_calls.items())))
    ok = count == args.contacts and tap_records == args.contacts
    if not ok:
        print("# the two did not extract the same number of contacts")
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main())
