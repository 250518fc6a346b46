"""The sync's promises under random work in both systems, over the emulators and the real SDKs.

A hypothesis state machine plays sales and marketing: reps add and edit leads in Salesforce
(names, titles, owners, statuses), marketers add and edit contacts in HubSpot (names, titles,
scores, owners), time passes, and crmsync runs, now and then killed after its first chunk.
After every complete run: every mapped field of every linked pair agrees, nobody exists twice
on either side, and the cycle that follows writes nothing.

One emulator pair serves every example; each example starts from ``reset``.
"""

from __future__ import annotations

import itertools
from collections.abc import Iterator, Mapping
from pathlib import Path

import pytest
from hypothesis import HealthCheck, settings
from hypothesis import strategies as st
from hypothesis.stateful import (
    RuleBasedStateMachine,
    initialize,
    invariant,
    rule,
    run_state_machine_as_test,
)

from connector.emulators.run import RunningEmulators
from connector.model import Side
from tests.e2e.sync.harness import (
    SyncEnv,
    admins,
    contact,
    lead,
    make_env,
    running_emulators,
)
from tests.fakes import EmulatorAdmin

NAMES = st.sampled_from(["Ada", "Bjørn", "Chloé", "Dmitri", "Eun-ji", "Farah", "O'Neil"])
TITLES = st.sampled_from(["CTO", "Head of IT", "Buyer", "VP Operations", "Engineer", None])
SCORES = st.sampled_from([0, 20, 49, 50, 75, 100])
WHICH = st.integers(min_value=0, max_value=7)
# Statuses a rep sets by hand; moves the taxonomy forbids are refused and restored.
STATUSES = st.sampled_from(
    [
        {"Status": "Nurture"},
        {"Status": "Open - Not Contacted"},
        {"Status": "Working - Contacted"},
        {"Status": "Qualified"},
        {"Status": "Closed - Not Converted", "Disposition_Reason__c": "No Fit"},
    ]
)


@pytest.fixture(scope="module")
def pair(
    tmp_path_factory: pytest.TempPathFactory,
) -> Iterator[tuple[RunningEmulators, EmulatorAdmin, EmulatorAdmin, Path]]:
    root = tmp_path_factory.mktemp("convergence")
    with running_emulators(root) as running:
        sf, hs = admins(running)
        yield running, sf, hs, root
        sf.close()
        hs.close()


class Work(RuleBasedStateMachine):
    """Sales and marketing at work between crmsync's runs."""

    # The emulator pair and a folder for each example's state, set by the test below.
    bench: tuple[RunningEmulators, EmulatorAdmin, EmulatorAdmin, Path] | None = None
    examples = itertools.count()

    def __init__(self) -> None:
        super().__init__()
        assert self.bench is not None
        running, sf, hs, root = self.bench
        self.env: SyncEnv = make_env(running, sf, hs, root / f"example-{next(self.examples)}")
        self.serial = itertools.count(1)
        self.synced = False

    @initialize(
        leads=st.integers(min_value=0, max_value=3),
        contacts=st.integers(min_value=0, max_value=3),
    )
    def seed(self, leads: int, contacts: int) -> None:
        self.env.seed_leads([lead(next(self.serial)) for _ in range(leads)])
        self.env.seed_contacts(
            [contact(next(self.serial), hubspotscore=str(20 + 20 * n)) for n in range(contacts)]
        )

    # -- Salesforce ---------------------------------------------------------------------

    @rule(first=NAMES, title=TITLES, status=STATUSES)
    def rep_adds_a_lead(self, first: str, title: str | None, status: dict[str, str]) -> None:
        self.env.seed_leads([lead(next(self.serial), FirstName=first, Title=title, **status)])
        self.synced = False

    @rule(which=WHICH, first=NAMES, title=TITLES, change=st.integers(0, 4))
    def rep_edits_a_lead(self, which: int, first: str, title: str | None, change: int) -> None:
        team = self.env.team
        options: list[dict[str, object]] = [
            {"FirstName": first},
            {"Title": title},
            {"FirstName": first, "Title": title},
            {"OwnerId": team.bo_user},
            {"OwnerId": team.ann_user},
        ]
        self.edit_lead(which, options[change])

    @rule(which=WHICH, status=STATUSES)
    def rep_moves_a_lead(self, which: int, status: dict[str, str]) -> None:
        self.edit_lead(which, status)

    def edit_lead(self, which: int, changes: Mapping[str, object]) -> None:
        # Records are picked by position, not drawn from the systems' state, so that an
        # example replays with the same choices whatever the systems answer.
        leads = sorted(self.env.leads(), key=lambda r: str(r["Id"]))
        if leads:
            self.env.edit_lead(leads[which % len(leads)]["Id"], **changes)
            self.synced = False

    # -- HubSpot ------------------------------------------------------------------------

    @rule(first=NAMES, title=TITLES, score=SCORES)
    def marketer_adds_a_contact(self, first: str, title: str | None, score: int) -> None:
        n = next(self.serial)
        self.env.seed_contacts(
            [contact(n, firstname=first, jobtitle=title, hubspotscore=str(score))]
        )
        self.synced = False

    @rule(which=WHICH, last=NAMES, title=TITLES, score=SCORES, change=st.integers(0, 5))
    def marketer_edits_a_contact(
        self, which: int, last: str, title: str | None, score: int, change: int
    ) -> None:
        team = self.env.team
        changes = [
            {"lastname": last},
            {"jobtitle": title or ""},
            {"hubspotscore": str(score)},
            {"lastname": last, "hubspotscore": str(score)},
            {"hubspot_owner_id": team.cy_owner},
            {"hubspot_owner_id": team.ann_owner},
        ][change]
        contacts = sorted(self.env.contacts(), key=lambda c: int(c["id"]))
        if contacts:
            self.env.edit_contact(contacts[which % len(contacts)]["id"], **changes)
            self.synced = False

    @rule(seconds=st.sampled_from([1, 2, 30]))
    def time_passes(self, seconds: int) -> None:
        self.env.advance(seconds)

    # -- crmsync ------------------------------------------------------------------------

    @rule()
    def crmsync_is_killed_after_its_first_chunk(self) -> None:
        self.env.sync_with_pause(lambda: None, stop=True)
        self.synced = False

    @rule()
    def crmsync_runs(self) -> None:
        result = self.env.sync()
        assert result.dead_lettered == 0, self.env.dead_letters()
        self.env.assert_converged()
        self.env.assert_no_duplicates()
        self.env.clear_log()
        quiet = self.env.sync()
        writes = self.env.writes(Side.SALESFORCE) + self.env.writes(Side.HUBSPOT)
        assert writes == [], (writes, quiet.plans)
        self.synced = True

    @invariant()
    def nobody_is_created_twice(self) -> None:
        if self.synced:
            self.env.assert_no_duplicates()

    def teardown(self) -> None:
        # Whatever happened last, one more run must bring both sides into agreement.
        if not self.synced:
            self.crmsync_runs()


def test_both_sides_converge_without_duplicates_and_then_stay_quiet(
    pair: tuple[RunningEmulators, EmulatorAdmin, EmulatorAdmin, Path],
) -> None:
    Work.bench = pair
    run_state_machine_as_test(
        Work,
        settings=settings(
            max_examples=15,
            stateful_step_count=10,
            deadline=None,
            suppress_health_check=[HealthCheck.too_slow, HealthCheck.filter_too_much],
        ),
    )
