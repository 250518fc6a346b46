"""What a transform may need beyond the value: owner matching and a default time zone."""

from __future__ import annotations

from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass, field
from datetime import UTC, tzinfo
from types import MappingProxyType
from typing import Any

from connector.model import Owner, Side

Transform = Callable[[Any, "TransformContext"], Any]
ValueMaps = Mapping[str, Mapping[str, str]]


@dataclass(frozen=True)
class TransformContext:
    """What a transform may need beyond the value, built once per cycle by the engine.

    ``hubspot_owner_for`` maps a Salesforce user id to the HubSpot owner id with the same e-mail;
    ``salesforce_user_for`` the reverse. ``time_zone`` reads date-times that carry no offset.
    """

    hubspot_owner_for: Mapping[str, str] = field(default_factory=dict)
    salesforce_user_for: Mapping[str, str] = field(default_factory=dict)
    owner_emails: Mapping[tuple[Side, str], str] = field(default_factory=dict)
    time_zone: tzinfo = UTC

    @classmethod
    def from_owners(
        cls,
        salesforce: Iterable[Owner],
        hubspot: Iterable[Owner],
        time_zone: tzinfo = UTC,
    ) -> TransformContext:
        """Match Salesforce users and HubSpot owners by e-mail (trimmed, case-insensitive).

        When one e-mail belongs to several owners of a system, the active one is taken; if that
        still leaves more than one, the e-mail matches nobody rather than a guess.
        """
        sf_by_email = _owners_by_email(salesforce)
        hs_by_email = _owners_by_email(hubspot)
        to_hubspot: dict[str, str] = {}
        to_salesforce: dict[str, str] = {}
        for email, sf_id in sf_by_email.items():
            hs_id = hs_by_email.get(email)
            if sf_id is not None and hs_id is not None:
                to_hubspot[sf_id] = hs_id
                to_salesforce[hs_id] = sf_id
        emails: dict[tuple[Side, str], str] = {}
        for side, owners in ((Side.SALESFORCE, salesforce), (Side.HUBSPOT, hubspot)):
            for owner in owners:
                emails[(side, owner.id)] = owner.email
        return cls(
            hubspot_owner_for=MappingProxyType(to_hubspot),
            salesforce_user_for=MappingProxyType(to_salesforce),
            owner_emails=MappingProxyType(emails),
            time_zone=time_zone,
        )


def _owners_by_email(owners: Iterable[Owner]) -> dict[str, str | None]:
    """E-mail → owner id; ``None`` where the e-mail is ambiguous even among active owners."""
    grouped: dict[str, list[Owner]] = {}
    for owner in owners:
        email = owner.email.strip().lower()
        if email:
            grouped.setdefault(email, []).append(owner)
    result: dict[str, str | None] = {}
    for email, group in grouped.items():
        candidates = [o for o in group if o.active] or group
        result[email] = candidates[0].id if len(candidates) == 1 else None
    return result
