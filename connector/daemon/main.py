"""Starting and stopping the daemon: config, logging, signals, the exit code.

SIGTERM or SIGINT asks the daemon to stop: the run in progress finishes the chunk it is
committing (the cycle checks between chunks), leases are given back, and the process exits 0.
A second signal stops at once, as a kill would; the committed cursors make that safe too.
"""

from __future__ import annotations

import logging
import os
import signal
import threading
from collections.abc import Callable
from pathlib import Path
from types import FrameType

from connector.config import Config, Secrets, load_config
from connector.daemon.service import Daemon
from connector.errors import ExitCode
from connector.logs import setup_logging

log = logging.getLogger(__name__)

# Which ``*_env``/``*_file`` secrets the config can name, by section: they are masked in logs.
_SECRET_KEYS = {
    "salesforce": ("client_secret", "password", "security_token", "private_key"),
    "hubspot": ("access_token",),
}


def run_daemon(config_path: Path | None) -> int:
    """Run until SIGTERM or SIGINT; 0 after a clean stop. Config problems raise ConfigError."""
    config = load_config(config_path)
    setup_logging(config.file.daemon.log_format, secrets=config_secrets(config))
    stop = threading.Event()
    daemon = Daemon.build(config, stop)
    previous = {sig: signal.getsignal(sig) for sig in (signal.SIGTERM, signal.SIGINT)}
    for sig in previous:
        signal.signal(sig, _stopper(stop))
    try:
        daemon.start()
        # A timed wait keeps the main thread responsive to signals on every platform.
        while not stop.wait(1.0):
            pass
    finally:
        daemon.shutdown()
        for sig, handler in previous.items():
            signal.signal(sig, handler)
    return int(ExitCode.OK)


def config_secrets(config: Config) -> list[str]:
    """The secret values the config names, so that no log line can show them."""
    secrets = Secrets(config)
    values: list[str] = []
    for section, keys in _SECRET_KEYS.items():
        for key in keys:
            secret = secrets.read(section, key, required=False)
            if secret is not None:
                values.append(secret.get_secret_value())
    return values


def _stopper(stop: threading.Event) -> Callable[[int, FrameType | None], None]:
    def handle(signum: int, frame: FrameType | None) -> None:
        name = signal.Signals(signum).name
        if stop.is_set():
            log.warning("%s again: stopping now, without waiting for the run in progress", name)
            os._exit(128 + signum)
        log.info("%s: stopping after the chunk being committed", name)
        stop.set()

    return handle
