"""The verbs that run against a config and a state store: sync, backfill, status, errors, report.

Each returns the documented exit code. Building the pipelines (mapping, systems, cycle) lives in
``engine/runner.py``; this module is about what the admin sees.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from rich.console import Console
from rich.table import Table

from connector.config import Config, load_config
from connector.engine.cycle import CycleResult
from connector.errors import ConfigError, ExitCode
from connector.model import Side
from connector.state import DeadLetterStatus, StateStore

console = Console(highlight=False)

# Notes are things an admin may act on (an owner with no counterpart, ...): the first ones of a
# run are printed, the rest counted.
NOTES_SHOWN = 20


def open_store(config: Config) -> StateStore:
    return StateStore.open(config.file.state.url)


def run_sync(config_path: Path | None, *, pipeline: str | None, dry_run: bool) -> int:
    from connector.engine.runner import sync_pipelines

    config = load_config(config_path)
    selected = config.selected(pipeline)
    results = sync_pipelines(config, selected, dry_run=dry_run)
    for result in results:
        print_result(result, dry_run=dry_run)
    if any(r.dead_lettered for r in results):
        return int(ExitCode.DEAD_LETTERS)
    return int(ExitCode.OK)


def print_result(result: CycleResult, *, dry_run: bool) -> None:
    if dry_run:
        console.print(f"[bold]{result.pipeline}[/bold] (dry run: nothing is written)")
        for plan in result.plans:
            if plan.rejection is not None:
                console.print(
                    f"  dead letter  {plan.pair.label}: {plan.rejection.code}: "
                    f"{plan.rejection.message}",
                    markup=False,
                )
            for write in plan.writes:
                target = write.op.id or f"{write.op.key_field}={write.op.key_value}"
                console.print(
                    f"  {write.reason:<7} {write.side.value} {write.op.object} {target}",
                    markup=False,
                )
                for change in write.changes:
                    console.print(
                        f"      {change.field}: {change.old!r} → {change.new!r}", markup=False
                    )
    notes = list(dict.fromkeys(result.notes))
    for note in notes[:NOTES_SHOWN]:
        console.print(f"  note: {note}", markup=False)
    hidden = len(notes) - min(len(notes), NOTES_SHOWN) + result.notes_dropped
    if hidden:
        console.print(f"  ... and {hidden} more notes", markup=False)
    counts = result.as_counts()
    parts = []
    for side in (Side.SALESFORCE, Side.HUBSPOT):
        c = counts[side.value]
        parts.append(
            f"{side.value}: read {c['read']}, created {c['created']}, updated {c['updated']}, "
            f"unchanged {c['unchanged']}, dead-lettered {c['dead_lettered']}, "
            f"API calls {c.get('api_calls', 0)}"
        )
    console.print(f"{result.pipeline}: " + "; ".join(parts), markup=False)


def run_backfill(
    config_path: Path | None, *, pipeline: str | None, since: str | None, resume: bool
) -> int:
    from connector.engine.runner import backfill_pipelines

    config = load_config(config_path)
    since_date = None
    if since is not None:
        from datetime import UTC, datetime

        try:
            since_date = datetime.fromisoformat(since).replace(tzinfo=UTC)
        except ValueError:
            raise ConfigError("--since", f"{since!r} is not a date; expected YYYY-MM-DD") from None
    results = backfill_pipelines(config, config.selected(pipeline), since=since_date, resume=resume)
    for result in results:
        print_result(result, dry_run=False)
    return int(ExitCode.DEAD_LETTERS if any(r.dead_lettered for r in results) else ExitCode.OK)


def run_status(config_path: Path | None, *, as_json: bool) -> int:
    config = load_config(config_path)
    with open_store(config) as store, store.transaction(readonly=True) as tx:
        rows: list[dict[str, Any]] = []
        open_letters = tx.count_dead_letters()
        for pipeline in config.file.pipelines:
            runs = tx.last_runs(pipeline.name, limit=1)
            cursors = tx.list_cursors(pipeline.name)
            last = runs[0] if runs else None
            rows.append(
                {
                    "pipeline": pipeline.name,
                    "schedule": pipeline.schedule,
                    "last_run": last.started_at.isoformat() if last else None,
                    "outcome": last.outcome.value if last else "never run",
                    "counts": dict(last.counts) if last else {},
                    "cursors": {
                        f"{c.side.value}:{c.object}": (
                            c.cursor.position.isoformat() if c.cursor.position else None
                        )
                        for c in cursors
                    },
                    "dead_letters": open_letters.get(pipeline.name, 0),
                }
            )
    if as_json:
        print(json.dumps(rows, indent=2))
        return int(ExitCode.OK)
    table = Table(title=f"crmsync status ({store.display_url})")
    for column in ("pipeline", "schedule", "last run", "outcome", "cursors", "dead letters"):
        table.add_column(column)
    for row in rows:
        cursors = row["cursors"]
        table.add_row(
            str(row["pipeline"]),
            str(row["schedule"]),
            str(row["last_run"] or "-"),
            str(row["outcome"]),
            "\n".join(f"{k} {v}" for k, v in cursors.items()) or "-",
            str(row["dead_letters"]),
        )
    console.print(table)
    return int(ExitCode.OK)


def errors_list(config_path: Path | None, *, pipeline: str | None, show_all: bool) -> int:
    config = load_config(config_path)
    if pipeline is not None:
        config.pipeline(pipeline)
    with open_store(config) as store, store.transaction(readonly=True) as tx:
        letters = tx.list_dead_letters(pipeline, status=None if show_all else DeadLetterStatus.OPEN)
    if not letters:
        console.print("No dead letters.")
        return int(ExitCode.OK)
    if not console.is_terminal:
        # Piped or captured: one whole line per letter, never folded into table cells.
        for letter in letters:
            print(
                f"{letter.id}\t{letter.pipeline}\t{letter.side.value} {letter.object}\t"
                f"{letter.record_key}\t{letter.status.value}\tattempts={letter.attempts}\t"
                f"{letter.error_code}: {letter.error_message}"
            )
        return int(ExitCode.OK)
    table = Table(title="Dead letters")
    for column in ("id", "pipeline", "target", "record", "error", "attempts", "status"):
        table.add_column(column, overflow="fold")
    for letter in letters:
        table.add_row(
            str(letter.id),
            letter.pipeline,
            f"{letter.side.value} {letter.object}",
            letter.record_key,
            f"{letter.error_code}: {letter.error_message}",
            str(letter.attempts),
            letter.status.value,
        )
    console.print(table)
    return int(ExitCode.OK)


def errors_show(config_path: Path | None, letter_id: int) -> int:
    config = load_config(config_path)
    with open_store(config) as store, store.transaction(readonly=True) as tx:
        letter = tx.get_dead_letter(letter_id)
    if letter is None:
        raise ConfigError("crmsync errors show", f"no dead letter with id {letter_id}")
    print(
        json.dumps(
            {
                "id": letter.id,
                "pipeline": letter.pipeline,
                "target": f"{letter.side.value} {letter.object}",
                "record": letter.record_key,
                "error_code": letter.error_code,
                "error_message": letter.error_message,
                "attempts": letter.attempts,
                "status": letter.status.value,
                "payload": letter.payload,
            },
            indent=2,
            default=str,
        )
    )
    return int(ExitCode.OK)


def errors_retry(config_path: Path | None, letter_ids: list[int], *, pipeline: str | None) -> int:
    from connector.engine.runner import retry_dead_letters

    config = load_config(config_path)
    results = retry_dead_letters(config, letter_ids, pipeline=pipeline)
    for result in results:
        print_result(result, dry_run=False)
    return int(ExitCode.DEAD_LETTERS if any(r.dead_lettered for r in results) else ExitCode.OK)


def errors_drop(config_path: Path | None, letter_ids: list[int]) -> int:
    config = load_config(config_path)
    with open_store(config) as store, store.transaction() as tx:
        for letter_id in letter_ids:
            if not tx.mark_dead_letter(letter_id, DeadLetterStatus.DROPPED):
                raise ConfigError("crmsync errors drop", f"no open dead letter with id {letter_id}")
    console.print(f"Dropped {len(letter_ids)} dead letter(s).")
    return int(ExitCode.OK)


def run_report(config_path: Path | None, *, fmt: str, output: Path | None) -> int:
    from connector.report import build_report, render

    if fmt not in ("table", "json", "html"):
        raise ConfigError("--format", f"{fmt!r} is not a format; expected table, json or html")
    config = load_config(config_path)
    with open_store(config) as store:
        report = build_report(config, store)
    text = render(report, fmt)
    if output is not None:
        output.write_text(text, encoding="utf-8")
    else:
        print(text)
    return int(ExitCode.OK)
