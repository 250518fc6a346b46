"""A crash drill: set the scene, kill a run at its moment, check, restart, check, sync, check.

For every moment the drill:

1. prepares the scene (seed, and whatever the scenario does before the run under test);
2. runs the command and kills it at the moment (``strike.strike``), then checks what a crash
   may never leave behind (``invariants.problems_after_crash``);
3. runs the restart command to completion: it must succeed (exit 0, or 1 for the planted dead
   letters) and leave both systems converged, every record with the values an uninterrupted
   run left;
4. runs a plain ``crmsync sync``: it must write no record, and the cursors it moves must still
   be behind what was written.

A reference run (the same scene, the same command, no crash) gives the candidate moments, the
outcome to expect, and proves the scene itself converges: a problem there is the product's, not
the crash's. Problems are collected per moment, never raised mid-loop, so one table shows them
all.
"""

from __future__ import annotations

import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from typing import Any

from connector.model import Side
from tests.e2e.cli import Result
from tests.e2e.sync.harness import SyncEnv
from tests.reliability import invariants
from tests.reliability.moments import Moment, candidates
from tests.reliability.scene import Planted
from tests.reliability.strike import Strike, strike

# A scene's preparation: what it planted, and any problem it already met.
Prepare = Callable[[], tuple[Planted, list[str]]]
# A crmsync command line, without ``--config``.
Command = tuple[str, ...]

SYNC = ("sync",)
BACKFILL = ("backfill",)
RESUME = ("backfill", "--resume")


@dataclass
class Reference:
    """An uninterrupted run: its calls (the candidate moments) and what it left."""

    command: Command
    calls: dict[Side, list[dict[str, Any]]]
    outcome: invariants.Outcome
    problems: list[str]

    def moments(self) -> list[Moment]:
        return candidates(self.command, self.calls)


@dataclass
class Row:
    """One moment's outcome, for the table."""

    moment: Moment
    context: str = ""
    landed: str = ""
    problems: list[str] = field(default_factory=list)
    seconds: float = 0.0


def _finished(result: Result, what: str) -> list[str]:
    """A run that had to finish did: exit 0, or 1 for dead letters; never a traceback."""
    found = []
    if result.code not in (0, 1):
        found.append(f"{what} exited {result.code}: {result.output.strip()[-300:]}")
    if "Traceback" in result.output:
        found.append(f"{what} printed a traceback: {result.output.strip()[-300:]}")
    return found


class Drill:
    """Runs moments against one scene (``SyncEnv``) and collects their outcomes."""

    def __init__(self, env: SyncEnv) -> None:
        self.env = env

    def reference(self, prepare: Prepare, command: Command) -> Reference:
        """Run ``command`` once without a crash, then a plain sync; both must be clean."""
        env = self.env
        planted, problems = prepare()
        env.clear_log()
        problems += _finished(env.cli(*command), " ".join(command))
        calls = {side: [e for e in env.calls(side) if e["status"] != 0] for side in Side}
        problems += invariants.problems_after_recovery(env, planted, None)
        outcome = invariants.outcome(env)
        env.clear_log()
        problems += _finished(env.cli(*SYNC), "the final sync")
        problems += invariants.quiet(env)
        problems += invariants.cursors_behind_writes(env)
        return Reference(command, calls, outcome, problems)

    def crash(self, moment: Moment, planted: Planted) -> tuple[Strike, list[str]]:
        """Kill ``moment.command`` at ``moment``; the problems the crash left behind."""
        hit = strike(self.env, moment)
        problems = [] if hit.reached else [f"moment not reached: {hit.landed} ({hit.exit_code})"]
        problems += invariants.problems_after_crash(self.env, planted)
        return hit, problems

    def run(
        self,
        moment: Moment,
        prepare: Prepare,
        *,
        restart: Command,
        expected: invariants.Outcome,
        context: str = "",
    ) -> Row:
        started = time.monotonic()
        env = self.env
        planted, problems = prepare()
        hit, crashed = self.crash(moment, planted)
        row = Row(moment, context, hit.landed)
        row.problems += problems + [f"after the crash: {p}" for p in crashed]
        recovered = _finished(env.cli(*restart), "the restart")
        recovered += invariants.problems_after_recovery(env, planted, expected)
        row.problems += [f"after the restart: {p}" for p in recovered]
        env.clear_log()
        final = _finished(env.cli(*SYNC), "the final sync")
        final += invariants.quiet(env)
        final += invariants.cursors_behind_writes(env)
        final += invariants.dead_letters(env, planted, complete=True)
        row.problems += [f"after the final sync: {p}" for p in final]
        row.seconds = time.monotonic() - started
        return row


def table(rows: Sequence[Row]) -> str:
    """Moments and outcomes, one line each."""
    lines = [f"{'#':>2}  {'command':<17} {'call':<52} {'mode':<6} {'landed':<44} {'s':>4}  outcome"]
    for number, row in enumerate(rows, 1):
        m = row.moment
        call = m.label()
        outcome = "ok" if not row.problems else invariants.summary(row.problems)
        lines.append(
            f"{number:>2}  {' '.join(m.command):<17} {call:<52} {m.mode.value:<6} "
            f"{row.landed:<44} {row.seconds:>4.1f}  {outcome}"
        )
        if row.context:
            lines[-1] += f"  [{row.context}]"
    return "\n".join(lines)


def details(rows: Sequence[Row]) -> str:
    """Every problem of every failed moment."""
    parts = []
    for number, row in enumerate(rows, 1):
        if row.problems:
            where = f" [{row.context}]" if row.context else ""
            parts.append(f"#{number} {row.moment.label()} ({row.moment.mode.value}){where}:")
            parts += [f"    {p}" for p in row.problems[:12]]
    return "\n".join(parts)
