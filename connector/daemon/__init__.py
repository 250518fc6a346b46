"""``crmsync run``: the daemon (every pipeline on its schedule, health and metrics on loopback)."""

from connector.daemon.main import run_daemon

__all__ = ["run_daemon"]
