"""Killing a real ``crmsync`` process at one chosen API call, without touching product code.

The process is ``python -m connector <command> --config ...``, started as a user would. Before
it starts, a fault rule is set on the emulator the moment's call goes to: it matches that call's
method and exact path and skips the first ``n - 1`` matches (``after``), so it lands on the
``n``-th call exactly. The rules are set on the emulators' ``FaultInjector`` in this process
(the same ``FaultRule`` objects ``POST /__emulator__/faults`` builds), which lets the test see
the instant a rule matched (its ``count`` drops to 0): the request has reached the emulator and
the process is waiting for the answer. What happens next depends on the mode
(``moments.Mode``):

- ``before``: the rule holds the call for ``HOLD_MS`` then drops the connection unapplied; the
  process is killed (SIGKILL) as soon as the call is held;
- ``lost``: the rule delays the call by ``PAUSE_MS`` and then serves it; once the request is in
  and the process sleeps waiting for the answer, the process is frozen (SIGSTOP), the emulator
  applies the call and answers into the frozen process, and only when the request log shows
  the call served is the process killed;
- ``after``: the call is delayed by ``PAUSE_MS`` and served; while it is delayed, hold rules
  are set on both emulators for the next call whatever it is, and the process is killed as soon
  as one holds.

A held call is logged with status 0 when its hold ends (after the kill); checks ignore those
entries (no real answer has status 0).
"""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

from connector.clock import ENV_VAR
from connector.emulators.server import EmulatorServer, FaultRule
from connector.model import Side
from tests.e2e.sync.harness import SyncEnv
from tests.reliability.moments import Mode, Moment

# A held call waits this long, then is dropped unapplied. The process dies within a poll of
# the hold starting; the hold only has to outlast that on a busy machine.
HOLD_MS = 3000
# A paused call waits this long, then is served: the window in which the holds for the next
# call are set (``after``) or the process is frozen (``lost``).
PAUSE_MS = 500
# The holds of ``after`` count as set before the paused call's answer if set this soon after
# the pause began (half the pause: the poll that saw it begin may itself have come late).
HOLDS_IN_TIME_S = PAUSE_MS / 1000 / 2
# Where /proc cannot tell that a process sleeps waiting for its answer: time for a process
# whose request headers reached the emulator to finish sending the body.
SEND_GRACE_S = 0.05
# Consecutive polls that must find the process asleep before it is frozen.
SETTLE_POLLS = 3
POLL_S = 0.002
# How long a run may take to reach its moment.
REACH_TIMEOUT_S = 90.0


@dataclass(frozen=True)
class Strike:
    """What became of one attempt to kill a run at its moment."""

    reached: bool
    landed: str
    exit_code: int | None = None


def servers(env: SyncEnv) -> dict[Side, EmulatorServer]:
    return {Side.SALESFORCE: env.running.salesforce, Side.HUBSPOT: env.running.hubspot}


def clear_faults(env: SyncEnv) -> None:
    for server in servers(env).values():
        server.app.faults.clear()


def served_calls(server: EmulatorServer, method: str, path: str) -> int:
    """Calls to ``method path`` the emulator answered (held-and-dropped calls not counted)."""
    return sum(
        1
        for entry in server.app.log.entries()
        if entry["status"] != 0 and entry["method"] == method and entry["path"] == path
    )


def strike(env: SyncEnv, moment: Moment) -> Strike:
    """Run ``moment.command`` and kill it at ``moment``; the emulators' logs are cleared first."""
    target = servers(env)[moment.side]
    env.clear_log()
    clear_faults(env)
    rule = FaultRule(
        path=moment.pattern,
        method=moment.method,
        after=moment.n - 1,
        count=1,
        delay_ms=HOLD_MS if moment.mode is Mode.BEFORE else PAUSE_MS,
        disconnect=moment.mode is Mode.BEFORE,
    )
    target.app.faults.set([rule])
    try:
        with _process(env, moment.command) as proc:
            if not _wait(proc, lambda: rule.count == 0):
                return Strike(False, "run ended first", proc.returncode)
            matched_at = time.monotonic()
            if moment.mode is Mode.BEFORE:
                proc.kill()
                return Strike(True, "killed while the call was held")
            if moment.mode is Mode.LOST:
                return _lose_answer(proc, target, moment)
            return _kill_at_next_call(env, proc, matched_at)
    finally:
        clear_faults(env)


def _lose_answer(proc: subprocess.Popen[bytes], target: EmulatorServer, moment: Moment) -> Strike:
    # The rule matched on the request's headers; freeze the process only once it has sent the
    # body and sleeps waiting for the answer, or the emulator would wait for the body forever.
    _wait(proc, lambda: _asleep(proc.pid), SETTLE_POLLS)
    os.kill(proc.pid, signal.SIGSTOP)
    deadline = time.monotonic() + PAUSE_MS / 1000 + 5
    while served_calls(target, moment.method, moment.path) < moment.n:
        if time.monotonic() > deadline:
            proc.kill()
            return Strike(False, "the frozen call was never served")
        time.sleep(POLL_S)
    proc.kill()
    served = [
        e
        for e in target.app.log.entries()
        if e["status"] != 0 and e["method"] == moment.method and e["path"] == moment.path
    ][moment.n - 1]
    return Strike(True, f"applied ({served['status']}, {served['records']} records), answer lost")


def _kill_at_next_call(env: SyncEnv, proc: subprocess.Popen[bytes], matched_at: float) -> Strike:
    holds = {
        side: FaultRule(path=".*", count=1, delay_ms=HOLD_MS, disconnect=True)
        for side in servers(env)
    }
    for side, server in servers(env).items():
        server.app.faults.set([holds[side]])
    # The holds must be in place before the paused call is answered, or the kill would land
    # somewhere later than this moment says. Whether it was answered cannot be read from the
    # request log: crmsync has more than one call in flight, and another call to the same
    # path may be answered meanwhile. So it is timed: well within the pause counts as before.
    if time.monotonic() - matched_at > HOLDS_IN_TIME_S:
        return Strike(False, "the holds came too late (machine too slow?)")
    if not _wait(proc, lambda: any(hold.count == 0 for hold in holds.values())):
        return Strike(False, "answered, then the run ended", proc.returncode)
    proc.kill()
    side = next(side for side, hold in holds.items() if hold.count == 0)
    return Strike(True, f"answered; killed at the next call ({side.value})")


def _asleep(pid: int) -> bool:
    """Whether the process's main thread sleeps in a system call (Linux ``/proc``).

    Without ``/proc`` the answer is always yes, and only ``SEND_GRACE_S`` is waited.
    """
    try:
        stat = Path(f"/proc/{pid}/stat").read_text(encoding="ascii", errors="replace")
    except OSError:
        time.sleep(SEND_GRACE_S)
        return True
    # The state follows the command name, which is in parentheses and may hold anything.
    return stat.rsplit(")", 1)[1].split()[0] == "S"


def _wait(proc: subprocess.Popen[bytes], ready: Callable[[], bool], polls: int = 1) -> bool:
    """Poll until ``ready()`` holds ``polls`` times in a row; False when the process ended
    first (or never got there)."""
    deadline = time.monotonic() + REACH_TIMEOUT_S
    in_a_row = 0
    while True:
        in_a_row = in_a_row + 1 if ready() else 0
        if in_a_row >= polls:
            return True
        if proc.poll() is not None or time.monotonic() > deadline:
            return ready()
        time.sleep(POLL_S)


@contextmanager
def _process(env: SyncEnv, command: tuple[str, ...]) -> Iterator[subprocess.Popen[bytes]]:
    """``python -m connector <command>`` against the scene's config; always reaped."""
    environ = {k: v for k, v in os.environ.items() if not k.startswith("CRMSYNC_")}
    environ[ENV_VAR] = env.run_now()
    output = Path(env.root) / "killed-run.log"
    with output.open("wb") as sink:
        proc = subprocess.Popen(
            [sys.executable, "-m", "connector", *command, "--config", str(env.config_path)],
            cwd=env.root,
            env=environ,
            stdout=sink,
            stderr=subprocess.STDOUT,
        )
        try:
            yield proc
        finally:
            if proc.poll() is None:
                proc.kill()
            proc.wait(timeout=30)
