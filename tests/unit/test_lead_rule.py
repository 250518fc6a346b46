"""The lead definition: the shipped default, every operator, and errors naming file, line, key."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

from connector.errors import ConfigError
from connector.lead_rule import LeadDefinition, Verdict, load_lead_definition

SHIPPED = Path(__file__).resolve().parents[2] / "mappings" / "lead_definition.toml"


@pytest.fixture(scope="module")
def default() -> LeadDefinition:
    return load_lead_definition(SHIPPED)


@pytest.mark.parametrize(
    ("properties", "verdict"),
    [
        ({"hubspotscore": "60", "company": "Acme", "jobtitle": "CTO"}, Verdict(True)),
        ({"hubspotscore": "50", "company": "Acme", "jobtitle": "CTO"}, Verdict(True)),
        ({"hubspotscore": 60.0, "company": "Acme", "jobtitle": "CTO"}, Verdict(True)),
        (
            {"hubspotscore": "40", "company": "Acme", "jobtitle": "CTO"},
            Verdict(False, ("hubspotscore is 40, needs at least 50",)),
        ),
        (
            {"hubspotscore": "60", "company": "Acme", "jobtitle": "  "},
            Verdict(False, ("jobtitle is blank",)),
        ),
        (
            {"hubspotscore": "60", "jobtitle": "CTO"},
            Verdict(False, ("company is blank",)),
        ),
        (
            {"company": "", "jobtitle": None},
            Verdict(
                False,
                (
                    "company is blank",
                    "jobtitle is blank",
                    "hubspotscore is blank, not a number; needs at least 50",
                ),
            ),
        ),
        (
            {"hubspotscore": "lots", "company": "Acme", "jobtitle": "CTO"},
            Verdict(False, ("hubspotscore is 'lots', not a number; needs at least 50",)),
        ),
    ],
)
def test_default_definition(
    default: LeadDefinition, properties: dict[str, Any], verdict: Verdict
) -> None:
    assert default.evaluate(properties) == verdict


def test_default_reads_the_properties_it_checks(default: LeadDefinition) -> None:
    assert set(default.properties()) == {"hubspotscore", "company", "jobtitle"}


def write(tmp_path: Path, body: str) -> Path:
    path = tmp_path / "lead_definition.toml"
    path.write_text("version = 1\n" + body, encoding="utf-8")
    return path


ENGAGEMENT = '[engagement]\nproperty = "hubspotscore"\nat_least = 50\n'


@pytest.mark.parametrize(
    ("criterion", "value", "failure"),
    [
        ("not_blank = true", "x", None),
        ("not_blank = true", "", "country is blank"),
        ('equals = "Germany"', " germany ", None),
        ('equals = "Germany"', "France", "country is 'France', must be 'Germany'"),
        ("equals = 3", "3.0", None),
        ('in = ["DE", "AT", "CH"]', "at", None),
        ('in = ["DE", "AT", "CH"]', "FR", "country is 'FR', must be one of 'DE', 'AT', 'CH'"),
        ('in = ["DE", "AT"]', None, "country is blank, must be one of 'DE', 'AT'"),
        ('not_in = ["gmail.com"]', "acme.com", None),
        (
            'not_in = ["gmail.com"]',
            "GMAIL.com",
            "country is 'GMAIL.com', must not be one of 'gmail.com'",
        ),
        ('not_in = ["gmail.com"]', None, None),
        ("at_least = 10", "10", None),
        ("at_least = 10", "9.5", "country is 9.5, needs at least 10"),
        ("at_most = 5000", "4999", None),
        ("at_most = 5000", "5001", "country is 5001, needs at most 5000"),
        ("at_most = 5000", "", "country is blank, not a number; needs at most 5000"),
        ('contains = "Director"', "Sales director EMEA", None),
        ('contains = "Director"', "Intern", "country is 'Intern', must contain 'Director'"),
        ('contains = "Director"', None, "country is blank, must contain 'Director'"),
    ],
)
def test_operators(tmp_path: Path, criterion: str, value: Any, failure: str | None) -> None:
    path = write(tmp_path, f'{ENGAGEMENT}\n[[fit]]\nproperty = "country"\n{criterion}\n')
    verdict = load_lead_definition(path).evaluate({"hubspotscore": 80, "country": value})
    assert verdict == Verdict(failure is None, () if failure is None else (failure,))


def test_all_criteria_are_anded(tmp_path: Path) -> None:
    body = (
        ENGAGEMENT
        + '\n[[fit]]\nproperty = "country"\nin = ["DE"]\n'
        + '\n[[fit]]\nproperty = "numemployees"\nat_least = 50\n'
    )
    definition = load_lead_definition(write(tmp_path, body))
    good = {"hubspotscore": "70", "country": "DE", "numemployees": "200"}
    assert definition.evaluate(good).matches
    for name, bad in (("hubspotscore", "10"), ("country", "FR"), ("numemployees", "20")):
        verdict = definition.evaluate({**good, name: bad})
        assert not verdict.matches
        assert len(verdict.reasons) == 1
        assert verdict.reasons[0].startswith(name)


def line_of(text: str, needle: str) -> int:
    return next(i for i, line in enumerate(text.splitlines(), 1) if needle in line)


@pytest.mark.parametrize(
    ("body", "known", "needle", "key", "message"),
    [
        (
            ENGAGEMENT + '\n[[fit]]\nproperty = "company"\nnot_blank = true\n'
            '\n[[fit]]\nproperty = "jobtitel"\nnot_blank = true\n',
            {"hubspotscore", "company", "jobtitle"},
            'property = "jobtitel"',
            "[fit #2] property",
            "unknown HubSpot property 'jobtitel'; did you mean 'jobtitle'?",
        ),
        (
            '[engagement]\nproperty = "score"\nat_least = 50\n',
            {"hubspotscore", "company"},
            'property = "score"',
            "[engagement] property",
            "unknown HubSpot property 'score'",
        ),
        (
            ENGAGEMENT + '\n[[fit]]\nproperty = "company"\n',
            None,
            'property = "company"',
            "[fit #1] property",
            "say what to check of 'company': one of not_blank, equals, in, not_in, at_least, "
            "at_most, contains",
        ),
        (
            ENGAGEMENT + '\n[[fit]]\nproperty = "company"\nnot_blank = true\ncontains = "Inc"\n',
            None,
            'contains = "Inc"',
            "[fit #1] contains",
            "one check per criterion (found not_blank and contains); split them into two [[fit]] "
            "tables",
        ),
        (
            ENGAGEMENT + '\n[[fit]]\nproperty = "company"\nnot_blank = false\n',
            None,
            "not_blank = false",
            "[fit #1] not_blank",
            "Input should be True (got False)",
        ),
        (
            ENGAGEMENT + '\n[[fit]]\nproperty = "company"\nstarts_with = "A"\n',
            None,
            "starts_with",
            "[fit #1] starts_with",
            "unknown key (check the spelling; "
            "the shipped mappings/lead_definition.toml shows the keys there are)",
        ),
        (
            '[engagement]\nproperty = "hubspotscore"\nat_least = "fifty"\n',
            None,
            'at_least = "fifty"',
            "[engagement] at_least",
            "Input should be a valid number, unable to parse string as a number (got 'fifty')",
        ),
    ],
)
def test_errors_name_file_line_and_key(
    tmp_path: Path, body: str, known: set[str] | None, needle: str, key: str, message: str
) -> None:
    path = write(tmp_path, body)
    with pytest.raises(ConfigError) as caught:
        load_lead_definition(path, known)
    text = path.read_text()
    assert str(caught.value) == f"{path}:{line_of(text, needle)}: {key}: {message}"


def test_missing_engagement_and_unsupported_version(tmp_path: Path) -> None:
    path = write(tmp_path, '[[fit]]\nproperty = "company"\nnot_blank = true\n')
    with pytest.raises(ConfigError, match="engagement: required key is missing"):
        load_lead_definition(path)
    path.write_text("version = 9\n" + ENGAGEMENT)
    with pytest.raises(ConfigError, match=r":1: version: unsupported version 9"):
        load_lead_definition(path)


def test_known_properties_accept_the_shipped_default() -> None:
    definition = load_lead_definition(SHIPPED, {"hubspotscore", "company", "jobtitle", "email"})
    assert definition.engagement.property == "hubspotscore"
