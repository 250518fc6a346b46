"""Log lines: text for people or one JSON object per line, each tagged with its run and pipeline.

The daemon runs pipelines on worker threads; a ``ContextVar`` holds the run id and pipeline of
the code running now, and a filter on the handler stamps them on every record, whichever
library logged it. Every line passes through a redactor: the secret values the config names
are replaced, and so is anything shaped like a bearer token or a ``password=`` pair, so a
library that logs a request cannot leak a credential.
"""

from __future__ import annotations

import json
import logging
import re
import sys
from collections.abc import Iterable, Iterator
from contextlib import contextmanager
from contextvars import ContextVar
from datetime import UTC, datetime
from typing import Literal, TextIO

LogFormat = Literal["text", "json"]

run_id_var: ContextVar[str | None] = ContextVar("crmsync_run_id", default=None)
pipeline_var: ContextVar[str | None] = ContextVar("crmsync_pipeline", default=None)

TEXT_FORMAT = "%(asctime)s %(levelname)-7s %(name)s [%(pipeline)s %(run_id)s] %(message)s"

MASK = "***"

# Shapes that carry credentials in URLs, headers and bodies whatever their value.
_SECRET_SHAPES = (
    re.compile(r"(?i)(\bbearer\s+)[A-Za-z0-9._~+/=!-]+"),
    re.compile(
        r"(?i)(\b(?:access_token|refresh_token|client_secret|password|security_token|"
        r"session_?id|sid|assertion)\b[\"']?\s*[=:]\s*[\"']?)[^\"'&\s,}]+"
    ),
)

# Libraries that speak at INFO about every request or tick; their warnings still show.
_CHATTY = ("alembic", "apscheduler", "urllib3", "httpx", "httpcore", "hubspot", "simple_salesforce")


@contextmanager
def log_context(*, pipeline: str | None = None, run_id: str | None = None) -> Iterator[None]:
    """Tag every line logged in this block (on this thread) with ``pipeline`` and ``run_id``."""
    pipeline_token = pipeline_var.set(pipeline)
    run_token = run_id_var.set(run_id)
    try:
        yield
    finally:
        run_id_var.reset(run_token)
        pipeline_var.reset(pipeline_token)


class Redactor:
    """Removes known secret values and credential-shaped text from a line."""

    def __init__(self, secrets: Iterable[str] = ()) -> None:
        # Short values would mask ordinary words; the config's secrets are long.
        self._values = sorted({s for s in secrets if len(s) >= 4}, key=len, reverse=True)

    def __call__(self, text: str) -> str:
        for value in self._values:
            text = text.replace(value, MASK)
        for shape in _SECRET_SHAPES:
            text = shape.sub(lambda match: match.group(1) + MASK, text)
        return text


class ContextFilter(logging.Filter):
    """Stamps ``run_id`` and ``pipeline`` on each record from the context (or ``extra=``)."""

    def filter(self, record: logging.LogRecord) -> bool:
        if getattr(record, "run_id", None) is None:
            record.run_id = run_id_var.get()
        if getattr(record, "pipeline", None) is None:
            record.pipeline = pipeline_var.get()
        return True


class TextFormatter(logging.Formatter):
    """``time level logger [pipeline run] message``, redacted, tracebacks included."""

    def __init__(self, redact: Redactor) -> None:
        super().__init__(TEXT_FORMAT)
        self._redact = redact

    def format(self, record: logging.LogRecord) -> str:
        shown = logging.makeLogRecord(record.__dict__)
        shown.pipeline = record.__dict__.get("pipeline") or "-"
        shown.run_id = record.__dict__.get("run_id") or "-"
        return self._redact(super().format(shown))


class JsonFormatter(logging.Formatter):
    """One JSON object per line: ``ts``, ``level``, ``logger``, ``msg``, ``run_id``, ``pipeline``.

    A traceback goes in ``exc``, as one string, so the line stays one line.
    """

    def __init__(self, redact: Redactor) -> None:
        super().__init__()
        self._redact = redact

    def format(self, record: logging.LogRecord) -> str:
        instant = datetime.fromtimestamp(record.created, UTC)
        line: dict[str, object] = {
            "ts": instant.isoformat(timespec="milliseconds").replace("+00:00", "Z"),
            "level": record.levelname,
            "logger": record.name,
            "msg": self._redact(record.getMessage()),
            "run_id": record.__dict__.get("run_id"),
            "pipeline": record.__dict__.get("pipeline"),
        }
        if record.exc_info:
            line["exc"] = self._redact(self.formatException(record.exc_info))
        return json.dumps(line, ensure_ascii=False, default=str)


def setup_logging(
    fmt: LogFormat,
    *,
    secrets: Iterable[str] = (),
    stream: TextIO | None = None,
    level: int = logging.INFO,
) -> logging.Handler:
    """Send every log line to ``stream`` (stderr) in ``fmt``; replaces earlier handlers."""
    redact = Redactor(secrets)
    handler = logging.StreamHandler(stream or sys.stderr)
    handler.addFilter(ContextFilter())
    handler.setFormatter(JsonFormatter(redact) if fmt == "json" else TextFormatter(redact))
    root = logging.getLogger()
    for old in list(root.handlers):
        root.removeHandler(old)
    root.addHandler(handler)
    root.setLevel(level)
    for name in _CHATTY:
        logging.getLogger(name).setLevel(max(level, logging.WARNING))
    return handler
