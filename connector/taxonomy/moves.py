"""Who may move a record from one stage to another.

Marketing moves prospects to mql, sales moves them on, opportunity outcomes close them, and only
recycling moves a record backwards. A move no rule allows is not propagated: the engine restores
the record's stage in the system where it was made and reports the move.
"""

from __future__ import annotations

from dataclasses import dataclass

from connector.taxonomy.stages import FUNNEL, Actor, Stage


@dataclass(frozen=True)
class MoveRule:
    """``by`` may move a record from any of ``sources`` to any of ``targets``.

    ``reasons``, when not empty, limits a move to ``disqualified`` to those reasons.
    """

    sources: frozenset[Stage]
    targets: frozenset[Stage]
    by: frozenset[Actor]
    reasons: frozenset[str] = frozenset()

    def permits(self, actor: Actor, source: Stage, target: Stage, reason: str | None) -> bool:
        if actor not in self.by or source not in self.sources or target not in self.targets:
            return False
        return not self.reasons or reason in self.reasons


def is_backwards(source: Stage, target: Stage) -> bool:
    """Whether ``source`` → ``target`` goes back up the funnel.

    Leaving ``disqualified`` for any stage is backwards; entering it is not.
    """
    if source == target or target is Stage.DISQUALIFIED:
        return False
    if source is Stage.DISQUALIFIED:
        return True
    return FUNNEL.index(target) < FUNNEL.index(source)


def allowed(
    rules: tuple[MoveRule, ...],
    actor: Actor,
    source: Stage,
    target: Stage,
    reason: str | None = None,
) -> bool:
    """Whether ``actor`` may move a record from ``source`` to ``target`` (staying put: always)."""
    if source == target:
        return True
    if is_backwards(source, target) and actor is not Actor.RECYCLING:
        return False
    return any(rule.permits(actor, source, target, reason) for rule in rules)
