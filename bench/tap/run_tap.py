"""Runs tap-hubspot, unmodified, against the HubSpot emulator on loopback (tap venv only).

This file is executed by the tap's own virtualenv, never by crmsync's: it imports tap_hubspot,
not connector. tap-hubspot 4.5.0 has no setting for its host or its CA (``BASE_URL =
"https://api.hubapi.com"`` is a module constant, requests go through a module-level
``requests.Session`` with default trust), so before handing over to the tap's own ``main`` this
wrapper sets, at run time, the two module attributes the tap reads: ``BASE_URL`` (the emulator)
and ``SESSION.verify`` (the emulator's CA). That is an unsupported override: a user cannot do it
through the tap's config. A guard makes any name lookup other than loopback fail, so nothing can
reach a real host whatever the tap does.

Usage: python run_tap.py BASE_URL CA_PATH -- <tap-hubspot arguments>
       python run_tap.py BASE_URL CA_PATH -- --schema TAP_CONFIG  (contacts schema only)
"""

import socket
import sys
from typing import Any

LOOPBACK = {"127.0.0.1", "localhost", "::1"}
_getaddrinfo = socket.getaddrinfo


def _loopback_only(host: bytes | str | None, *args: Any, **kwargs: Any) -> Any:
    if str(host) not in LOOPBACK:
        raise OSError(f"bench guard: refusing to resolve non-loopback host {host!r}")
    return _getaddrinfo(host, *args, **kwargs)


def main() -> None:
    base_url, ca_path, separator, *tap_args = sys.argv[1:]
    assert separator == "--", __doc__
    socket.getaddrinfo = _loopback_only
    import tap_hubspot  # type: ignore[import-not-found]  # installed under /tmp by the bench

    tap_hubspot.BASE_URL = base_url
    tap_hubspot.SESSION.verify = ca_path
    tap_hubspot.SESSION.trust_env = False
    sys.argv = ["tap-hubspot", *tap_args]
    if tap_args and tap_args[0] == "--schema":
        # Print the contacts stream's discovered schema and metadata only (one properties call).
        import json

        with open(tap_args[1], encoding="utf-8") as config:
            tap_hubspot.CONFIG.update(json.load(config))
        stream = next(s for s in tap_hubspot.STREAMS if s.tap_stream_id == "contacts")
        schema, mdata = tap_hubspot.load_discovered_schema(stream)
        json.dump({"schema": schema, "metadata": mdata}, sys.stdout)
        return
    tap_hubspot.main()


if __name__ == "__main__":
    main()
