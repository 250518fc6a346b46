"""The ``crmsync`` command: one verb per job, every error mapped to a documented exit code.

0 success; 1 the run finished but some records went to dead letters; 2 bad config or mapping
(the message names the file, line and key); 3 a system could not be reached or refused the
credentials. Errors print as one line on stderr, never as a traceback, and never with a secret.
"""

from __future__ import annotations

import logging
import sys
from pathlib import Path
from typing import Annotated

import typer
from rich.console import Console

from connector import __version__
from connector.errors import CrmsyncError

app = typer.Typer(
    name="crmsync",
    help=(
        "Keep HubSpot and Salesforce in agreement about leads and opportunities: one lead "
        "definition, one lead-status taxonomy, dispositions that drive recycling, closed-loop "
        "outcomes.\n\nExit codes: 0 success; 1 some records went to dead letters; 2 bad config "
        "or mapping; 3 a system could not be reached or refused the credentials."
    ),
    no_args_is_help=True,
    add_completion=False,
    pretty_exceptions_enable=False,
    rich_markup_mode=None,
)
errors_app = typer.Typer(
    help="Records that could not be written, with the reason; retry after a fix.",
    no_args_is_help=False,
    invoke_without_command=True,
)
app.add_typer(errors_app, name="errors")

stderr = Console(stderr=True, highlight=False, soft_wrap=True)

ConfigOption = Annotated[
    Path | None,
    typer.Option(
        "--config",
        "-c",
        help="Config file (default ./crmsync.toml, then config.example.toml).",
        dir_okay=False,
    ),
]
PipelineOption = Annotated[
    str | None, typer.Option("--pipeline", "-p", help="Only this pipeline (default: all enabled).")
]


def _version(value: bool) -> None:
    if value:
        print(f"crmsync {__version__}")
        raise typer.Exit()


@app.callback()
def _root(
    version: Annotated[
        bool,
        typer.Option("--version", callback=_version, is_eager=True, help="Print the version."),
    ] = False,
) -> None:
    """Run a crmsync verb."""


@app.command()
def demo(
    records: Annotated[
        int, typer.Option(help="How many leads the demo seed creates in Salesforce.")
    ] = 2000,
) -> None:
    """Start both emulators in-process, seed them, sync every pipeline, print the report."""
    from connector.demo import run_demo

    raise typer.Exit(run_demo(leads=records))


@app.command()
def emulate(
    salesforce_port: Annotated[int, typer.Option(help="Salesforce emulator port.")] = 8701,
    hubspot_port: Annotated[int, typer.Option(help="HubSpot emulator port.")] = 8702,
    seed: Annotated[str, typer.Option(help="demo, empty, or a JSON seed file.")] = "demo",
    latency_ms: Annotated[int, typer.Option(help="Added delay on every API answer.")] = 0,
    tls_dir: Annotated[
        Path, typer.Option(help="Where the test CA (ca.pem) and demo secrets are written.")
    ] = Path(".crmsync/tls"),
) -> None:
    """Run the Salesforce and HubSpot emulators in the foreground until Ctrl-C."""
    from connector.emulators.run import run_emulators

    run_emulators(
        salesforce_port=salesforce_port,
        hubspot_port=hubspot_port,
        seed=seed,
        latency_ms=latency_ms,
        tls_dir=tls_dir,
    )


@app.command()
def validate(
    config: ConfigOption = None,
    remote: Annotated[
        bool, typer.Option("--remote", help="Also check every mapped field against the systems.")
    ] = False,
) -> None:
    """Check the config, mapping, taxonomy and lead-definition files."""
    from connector.validate import run_validate

    raise typer.Exit(run_validate(config, remote=remote))


@app.command()
def sync(
    config: ConfigOption = None,
    pipeline: PipelineOption = None,
    dry_run: Annotated[
        bool, typer.Option("--dry-run", help="Print planned changes field by field; write nothing.")
    ] = False,
) -> None:
    """Run one incremental cycle of every pipeline (or one)."""
    from connector.commands import run_sync

    raise typer.Exit(run_sync(config, pipeline=pipeline, dry_run=dry_run))


@app.command()
def backfill(
    config: ConfigOption = None,
    pipeline: PipelineOption = None,
    since: Annotated[
        str | None, typer.Option(help="Only records modified on or after this date (YYYY-MM-DD).")
    ] = None,
    resume: Annotated[
        bool, typer.Option("--resume", help="Continue an interrupted backfill.")
    ] = False,
) -> None:
    """Re-read everything and reconcile, with a progress bar; resumable."""
    from connector.commands import run_backfill

    raise typer.Exit(run_backfill(config, pipeline=pipeline, since=since, resume=resume))


@app.command()
def run(config: ConfigOption = None) -> None:
    """The daemon: every pipeline on its schedule, health and metrics on loopback."""
    from connector.daemon import run_daemon

    raise typer.Exit(run_daemon(config))


@app.command()
def status(
    config: ConfigOption = None,
    as_json: Annotated[bool, typer.Option("--json", help="Machine-readable output.")] = False,
) -> None:
    """Last runs, cursors, counts and dead letters per pipeline."""
    from connector.commands import run_status

    raise typer.Exit(run_status(config, as_json=as_json))


@errors_app.callback()
def _errors_default(ctx: typer.Context, config: ConfigOption = None) -> None:
    if ctx.invoked_subcommand is None:
        from connector.commands import errors_list

        raise typer.Exit(errors_list(config, pipeline=None, show_all=False))


@errors_app.command("list")
def errors_list_cmd(
    config: ConfigOption = None,
    pipeline: PipelineOption = None,
    show_all: Annotated[bool, typer.Option("--all", help="Include retried and dropped.")] = False,
) -> None:
    """List dead letters with the system's own error."""
    from connector.commands import errors_list

    raise typer.Exit(errors_list(config, pipeline=pipeline, show_all=show_all))


@errors_app.command("show")
def errors_show_cmd(
    letter_id: Annotated[int, typer.Argument(help="Dead-letter id from `crmsync errors list`.")],
    config: ConfigOption = None,
) -> None:
    """Show one dead letter: the record, the error, the attempts."""
    from connector.commands import errors_show

    raise typer.Exit(errors_show(config, letter_id))


@errors_app.command("retry")
def errors_retry_cmd(
    letter_ids: Annotated[
        list[int] | None, typer.Argument(help="Ids to retry (default: all open).")
    ] = None,
    config: ConfigOption = None,
    pipeline: PipelineOption = None,
) -> None:
    """Re-run dead letters after the mapping or the data was fixed."""
    from connector.commands import errors_retry

    raise typer.Exit(errors_retry(config, letter_ids or [], pipeline=pipeline))


@errors_app.command("drop")
def errors_drop_cmd(
    letter_ids: Annotated[list[int], typer.Argument(help="Ids to drop for good.")],
    config: ConfigOption = None,
) -> None:
    """Give up on dead letters explicitly; nothing is dropped otherwise."""
    from connector.commands import errors_drop

    raise typer.Exit(errors_drop(config, letter_ids))


@app.command()
def report(
    config: ConfigOption = None,
    format: Annotated[str, typer.Option("--format", "-f", help="table, json or html.")] = "table",
    output: Annotated[
        Path | None, typer.Option("--output", "-o", help="Write to this file instead of stdout.")
    ] = None,
) -> None:
    """Funnel, conversion rates, dispositions, recycle queue, SLA breaches and drift."""
    from connector.commands import run_report

    raise typer.Exit(run_report(config, fmt=format, output=output))


def main() -> None:
    """Console-script entry point: run a verb, turn crmsync's errors into one line and a code."""
    from connector.logs import setup_logging

    # Warnings (a retried call, a secret file others can read) go to stderr, one line each,
    # with bearer tokens and password pairs masked; the daemon sets up its own logging.
    if not logging.getLogger().handlers:  # embedded callers (tests) keep their own handlers
        setup_logging("text", level=logging.WARNING)
    try:
        app()
    except CrmsyncError as exc:
        stderr.print(f"crmsync: {exc}", markup=False)
        sys.exit(int(exc.exit_code))
    except KeyboardInterrupt:
        stderr.print("crmsync: interrupted", markup=False)
        sys.exit(130)
