"""The mql → sal SLA, measured from the audit trail that `crmsync sync` writes."""

from __future__ import annotations

from datetime import timedelta
from pathlib import Path

import pytest

from connector.emulators.run import MAPPINGS
from connector.engine.sla import mql_periods, sla_breaches
from connector.errors import ConfigError
from connector.taxonomy import load_taxonomy
from tests.e2e.taxonomy.conftest import World

HOT = {"company": "Acme", "jobtitle": "CTO", "hubspotscore": "70", "lifecyclestage": "lead"}


def test_time_from_mql_to_first_touch_and_breaches_of_the_sla(world: World) -> None:
    world.seed_hs(
        "contacts",
        *({"email": f"{name}@example.com", "lastname": name.title(), **HOT} for name in "abc"),
    )
    world.sync("leads")  # all three meet the lead definition: mql, handed over to sales
    quick, late, waiting = (world.leads_by_email(f"{n}@example.com")[0]["Id"] for n in "abc")
    t0 = world.now

    world.sf_edit("Lead", quick, Status="Working - Contacted")
    world.sync("leads", at=t0 + timedelta(hours=2))
    world.sf_edit("Lead", late, Status="Closed - Not Converted", Disposition_Reason__c="No Fit")
    world.sync("leads", at=t0 + timedelta(hours=30))

    taxonomy = load_taxonomy(MAPPINGS / "taxonomy.toml")
    assert taxonomy.sla_mql_to_sal == timedelta(hours=24)
    with world.store() as store:
        breaches = sla_breaches(store, "leads", t0 + timedelta(hours=48), taxonomy.sla_mql_to_sal)
        with store.transaction(readonly=True) as tx:
            periods = {p.record.split(" / ")[0]: p for p in mql_periods(tx.list_audit("leads"))}

    # Recorded per lead: when it became mql, when sales first touched it, and how.
    assert periods[f"Lead {quick}"].waited(t0) == timedelta(hours=2)
    assert periods[f"Lead {quick}"].touched_to == "sal"
    assert periods[f"Lead {late}"].touched_to == "disqualified/no_fit"
    assert periods[f"Lead {waiting}"].touched_at is None
    # The late touch first, then the lead still waiting; the quick one is within the SLA.
    assert [(b.record.split(" / ")[0], b.late, b.hours) for b in breaches] == [
        (f"Lead {late}", True, 30.0),
        (f"Lead {waiting}", False, 48.0),
    ]


def test_the_sla_is_set_in_the_taxonomy_file(tmp_path: Path) -> None:
    shipped = (MAPPINGS / "taxonomy.toml").read_text(encoding="utf-8")
    assert "mql_to_sal_hours = 24" in shipped
    tight = tmp_path / "taxonomy.toml"
    tight.write_text(shipped.replace("mql_to_sal_hours = 24", "mql_to_sal_hours = 4"))
    assert load_taxonomy(tight).sla_mql_to_sal == timedelta(hours=4)

    tight.write_text(shipped.replace("mql_to_sal_hours = 24", "mql_to_sal_hours = 0"))
    with pytest.raises(ConfigError) as refused:
        load_taxonomy(tight)
    assert "mql_to_sal_hours" in str(refused.value)
    assert "positive number of hours" in str(refused.value)
