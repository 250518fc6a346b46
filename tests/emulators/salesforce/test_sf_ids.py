"""Record ids: the case-safe checksum agrees with ids issued by real orgs."""

from __future__ import annotations

import pytest

from connector.emulators.salesforce import ids

# 18-character ids copied from recorded responses of real orgs (nango and CumulusCI fixtures).
REAL_IDS = ["001dM00003kS5tZQAS", "0037e00001WZ30qAAD", "005dM00000aYaE3QAK", "0067e00000K8i71AAB"]


@pytest.mark.parametrize("real", REAL_IDS)
def test_checksum_matches_real_org_ids(real: str) -> None:
    assert ids.to_18(real[:15]) == real


@pytest.mark.parametrize("real", REAL_IDS)
def test_fifteen_and_case_folded_eighteen_name_the_same_record(real: str) -> None:
    assert ids.normalize(real[:15]) == real
    assert ids.normalize(real.lower()) == real
    assert ids.normalize(real.upper()) == real


@pytest.mark.parametrize("bad", ["", "abc", "001dM00003kS5t", "001dM00003kS5tZ!AS", "0" * 19])
def test_malformed_ids_are_refused(bad: str) -> None:
    assert ids.normalize(bad) is None


def test_factory_issues_distinct_ids_with_the_object_prefix() -> None:
    factory = ids.IdFactory()
    made = [factory.new("00Q") for _ in range(100)]
    assert len(set(made)) == 100
    assert all(m.startswith("00Q") and len(m) == 18 and ids.normalize(m) == m for m in made)
