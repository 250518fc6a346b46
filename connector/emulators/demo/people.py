"""Invented people and companies: names, e-mail addresses, titles, phones, lead sources.

One ``Person`` is one human; the Salesforce and HubSpot builders each render the same person in
their own way, which is how the demo gets the same people in both systems. E-mail addresses are
unique across everyone the factory makes, so any overlap between the systems is by design.
"""

from __future__ import annotations

import random
import re
import unicodedata
from dataclasses import dataclass
from datetime import datetime
from typing import Final

from connector.emulators.demo.draws import moment_before
from connector.emulators.demo.states import LEAD_SOURCES
from connector.emulators.demo.vocabulary import (
    COMPANY_KINDS,
    COMPANY_STEMS,
    COUNTRIES,
    FIRST_NAMES,
    LAST_NAMES,
    TITLES,
)

# Letters Unicode decomposition does not reduce to ASCII.
_TRANSLITERATION: Final = str.maketrans(
    {
        "ß": "ss",
        "Þ": "Th",
        "þ": "th",
        "Ø": "O",
        "ø": "o",
        "Æ": "Ae",
        "æ": "ae",
        "Ł": "L",
        "ł": "l",
        "Đ": "D",
        "đ": "d",
        "ı": "i",  # noqa: RUF001 - the Turkish dotless i
        "Œ": "Oe",
        "œ": "oe",
        "&": "and",
    }
)
_NOT_SLUG: Final = re.compile(r"[^a-z0-9]+")
_NOT_LOCAL: Final = re.compile(r"[^a-z0-9'-]+")

_SOURCE_WEIGHTS: Final = (45.0, 12.0, 15.0, 18.0, 10.0)


def ascii_fold(text: str) -> str:
    """``Þóra Ødegaard`` -> ``Thora Odegaard``: what an address book does to a name."""
    decomposed = unicodedata.normalize("NFKD", text.translate(_TRANSLITERATION))
    return decomposed.encode("ascii", "ignore").decode("ascii")


def slug(text: str) -> str:
    return _NOT_SLUG.sub("-", ascii_fold(text).lower()).strip("-")


@dataclass(frozen=True)
class Company:
    """An invented organisation a person works for."""

    name: str
    domain: str
    industry: str
    country: str
    phone_prefix: str
    base: str = ""
    legal: str = ""

    def other_spelling(self) -> str:
        """The name as the other system has it: with the legal form where this lacks it, or not."""
        if not self.base:
            return self.name
        return self.base if self.name != self.base else f"{self.base} {self.legal}"

    @property
    def website(self) -> str:
        return f"https://www.{self.domain}"


@dataclass
class Person:
    """One human, before either system has rendered them."""

    first_name: str
    last_name: str
    email: str
    company: Company
    title: str | None
    phone: str | None
    lead_source: str
    created: datetime

    @property
    def name(self) -> str:
        return f"{self.first_name} {self.last_name}"


class PeopleFactory:
    """Makes people at a pool of companies, with e-mail addresses unique across all of them."""

    def __init__(self, rng: random.Random, now: datetime, companies: int) -> None:
        self._rng = rng
        self._now = now
        self._emails: set[str] = set()
        self.companies = self._make_companies(max(companies, 12))

    def _make_companies(self, count: int) -> list[Company]:
        rng = self._rng
        made: list[Company] = []
        names: set[str] = set()
        while len(made) < count:
            stem = rng.choice(COMPANY_STEMS)
            kind, industry = rng.choice(COMPANY_KINDS)
            country, legal, tld, phone_prefix = rng.choice(COUNTRIES)
            base = f"{stem} {kind}"
            if base in names:
                continue
            names.add(base)
            # Many records in a real CRM leave the legal form off; the domain never has it.
            name = f"{base} {legal}" if rng.random() < 0.6 else base
            domain = f"{slug(base)}.{tld}"
            made.append(Company(name, domain, industry, country, phone_prefix, base, legal))
        return made

    def company(self) -> Company:
        # A few companies hold many people (key accounts), most hold a handful.
        rng = self._rng
        index = int(len(self.companies) * rng.random() ** 1.6)
        return self.companies[min(index, len(self.companies) - 1)]

    def person(self, company: Company | None = None) -> Person:
        rng = self._rng
        first = rng.choice(FIRST_NAMES)
        last = rng.choice(LAST_NAMES)
        works_at = company or self.company()
        return Person(
            first_name=first,
            last_name=last,
            email=self.email_for(first, last, works_at.domain),
            company=works_at,
            title=rng.choice(TITLES),
            phone=self._phone(works_at) if rng.random() < 0.8 else None,
            lead_source=rng.choices(LEAD_SOURCES, weights=_SOURCE_WEIGHTS)[0],
            created=moment_before(rng, self._now, 1, 730),
        )

    def named(self, first: str, last: str, company: Company, email: str) -> Person:
        """A specific person, for the cases the demo's story names."""
        self._emails.add(email)
        return Person(
            first_name=first,
            last_name=last,
            email=email,
            company=company,
            title=self._rng.choice(TITLES),
            phone=self._phone(company),
            lead_source="Web",
            created=moment_before(self._rng, self._now, 5, 60),
        )

    def email_for(self, first: str, last: str, domain: str) -> str:
        """A plausible work address, unique among every address this factory made."""
        rng = self._rng
        # An apostrophe is legal in an address and some people keep it; most mail admins drop it.
        keep = rng.random() < 0.3
        given = _local(first, keep)
        family = _local(last, keep)
        pattern = rng.choices(("f.l", "fl", "f", "fl1"), weights=(70, 18, 7, 5))[0]
        local = {
            "f.l": f"{given}.{family}",
            "fl": f"{given[:1]}{family}",
            "f": given,
            "fl1": f"{given}{family[:1]}",
        }[pattern]
        candidate = f"{local}@{domain}"
        number = 2
        while candidate in self._emails:
            candidate = f"{local}{number}@{domain}"
            number += 1
        self._emails.add(candidate)
        return candidate

    def _phone(self, company: Company) -> str:
        rng = self._rng
        if company.phone_prefix == "+1":
            # 555-0100 to 555-0199 is the range reserved for fiction in North America.
            return f"+1 ({rng.randint(201, 989)}) 555-01{rng.randint(0, 99):02d}"
        if company.phone_prefix == "+44":
            # Ofcom keeps 020 7946 0000-0999 for drama.
            return f"+44 20 7946 0{rng.randint(0, 999):03d}"
        digits = "".join(str(rng.randint(0, 9)) for _ in range(8))
        return f"{company.phone_prefix} {digits[:2]} {digits[2:5]} {digits[5:]}"


def _local(name: str, keep_apostrophe: bool) -> str:
    folded = ascii_fold(name).lower().replace(" ", "").replace(".", "")
    if not keep_apostrophe:
        folded = folded.replace("'", "")
    return _NOT_LOCAL.sub("", folded)
