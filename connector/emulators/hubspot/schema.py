"""Property definitions: the default portal schema for contacts, companies and deals.

Definitions are shaped like ``GET /crm/v3/properties/{type}`` answers in the recorded portal
(``nango/fetch-properties.test.json``): ``modificationMetadata`` carries ``readOnlyValue``,
enumerations carry ``options`` with ``displayOrder`` and ``hidden``, HubSpot's own properties
say ``hubspotDefined: true`` and custom ones name ``createdUserId`` instead. The crmsync custom
properties (``salesforce_lead_id`` and the rest) are what DESIGN.md section 3 asks of a portal.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field, replace
from typing import Any, Literal

PropertyType = Literal["string", "number", "date", "datetime", "enumeration", "bool"]
ObjectType = Literal["contacts", "companies", "deals"]

OBJECT_TYPES: tuple[ObjectType, ...] = ("contacts", "companies", "deals")

# HubSpot's object type ids, as they appear in record URLs and v4 associations.
OBJECT_TYPE_IDS: dict[ObjectType, str] = {"contacts": "0-1", "companies": "0-2", "deals": "0-3"}

# Contacts name their modification time differently from every other object.
LAST_MODIFIED: dict[ObjectType, str] = {
    "contacts": "lastmodifieddate",
    "companies": "hs_lastmodifieddate",
    "deals": "hs_lastmodifieddate",
}

# What a read returns when the caller names no properties (the search guide's table, and the
# recorded list/search answers).
DEFAULT_READ: dict[ObjectType, tuple[str, ...]] = {
    "contacts": (
        "createdate",
        "email",
        "firstname",
        "hs_object_id",
        "lastmodifieddate",
        "lastname",
    ),
    "companies": ("createdate", "domain", "hs_lastmodifieddate", "hs_object_id", "name"),
    "deals": (
        "amount",
        "closedate",
        "createdate",
        "dealname",
        "dealstage",
        "hs_lastmodifieddate",
        "hs_object_id",
        "pipeline",
    ),
}

SINGULAR: dict[ObjectType, str] = {"contacts": "contact", "companies": "company", "deals": "deal"}

_HUBSPOT_CREATED_AT = "2019-08-06T02:41:44.024Z"
_HUBSPOT_UPDATED_AT = "2024-09-05T17:14:04.747Z"
_CUSTOM_CREATED_AT = "2025-01-15T09:00:00Z"
_CUSTOM_USER_ID = "1000001"


@dataclass(frozen=True)
class Option:
    """One allowed value of an enumeration."""

    label: str
    value: str
    display_order: int
    hidden: bool = False

    def to_json(self) -> dict[str, Any]:
        return {
            "label": self.label,
            "value": self.value,
            "displayOrder": self.display_order,
            "hidden": self.hidden,
        }


@dataclass(frozen=True)
class PropertyDef:
    """One property definition of one object type."""

    name: str
    label: str
    type: PropertyType
    field_type: str
    group_name: str
    description: str = ""
    options: tuple[Option, ...] = ()
    has_unique_value: bool = False
    read_only_value: bool = False
    calculated: bool = False
    external_options: bool = False
    hidden: bool = False
    form_field: bool = False
    hubspot_defined: bool = True
    referenced_object_type: str | None = None
    display_order: int = -1
    created_at: str | None = _HUBSPOT_CREATED_AT
    updated_at: str | None = _HUBSPOT_UPDATED_AT
    extra: Mapping[str, Any] = field(default_factory=dict)

    def option_values(self) -> tuple[str, ...]:
        return tuple(option.value for option in self.options)

    def to_json(self) -> dict[str, Any]:
        """The definition as ``GET /crm/v3/properties/{type}`` answers it."""
        body: dict[str, Any] = {}
        if self.updated_at is not None:
            body["updatedAt"] = self.updated_at
        if self.created_at is not None:
            body["createdAt"] = self.created_at
        body.update(
            {
                "name": self.name,
                "label": self.label,
                "type": self.type,
                "fieldType": self.field_type,
                "description": self.description,
                "groupName": self.group_name,
                "options": [option.to_json() for option in self.options],
            }
        )
        if self.referenced_object_type is not None:
            body["referencedObjectType"] = self.referenced_object_type
        if not self.hubspot_defined:
            body["createdUserId"] = _CUSTOM_USER_ID
            body["updatedUserId"] = _CUSTOM_USER_ID
        body.update(
            {
                "displayOrder": self.display_order,
                "calculated": self.calculated,
                "externalOptions": self.external_options,
            }
        )
        if not self.hubspot_defined:
            body["archived"] = False
        body.update({"hasUniqueValue": self.has_unique_value, "hidden": self.hidden})
        if self.hubspot_defined:
            body["hubspotDefined"] = True
        body.update(dict(self.extra))
        body["modificationMetadata"] = {
            "archivable": True,
            "readOnlyDefinition": self.hubspot_defined,
            "readOnlyValue": self.read_only_value,
        }
        body["formField"] = self.form_field
        body["dataSensitivity"] = "non_sensitive"
        return body


def _options(pairs: Iterable[tuple[str, str]]) -> tuple[Option, ...]:
    return tuple(Option(label, value, order) for order, (label, value) in enumerate(pairs))


def _text(name: str, label: str, group: str, **kw: Any) -> PropertyDef:
    return PropertyDef(name, label, "string", kw.pop("field_type", "text"), group, **kw)


def _custom(prop: PropertyDef) -> PropertyDef:
    return replace(
        prop,
        hubspot_defined=False,
        created_at=_CUSTOM_CREATED_AT,
        updated_at=_CUSTOM_CREATED_AT,
    )


def _system(name: str, label: str, type_: PropertyType, group: str) -> PropertyDef:
    """A property HubSpot maintains itself: its value is read-only through the API."""
    field_type = {"number": "number", "datetime": "date"}.get(type_, "text")
    return PropertyDef(name, label, type_, field_type, group, read_only_value=True)


LIFECYCLE_STAGES = _options(
    [
        ("Subscriber", "subscriber"),
        ("Lead", "lead"),
        ("Marketing Qualified Lead", "marketingqualifiedlead"),
        ("Sales Qualified Lead", "salesqualifiedlead"),
        ("Opportunity", "opportunity"),
        ("Customer", "customer"),
        ("Evangelist", "evangelist"),
        ("Other", "other"),
    ]
)

LEAD_STATUSES = _options(
    [
        ("New", "NEW"),
        ("Open", "OPEN"),
        ("In Progress", "IN_PROGRESS"),
        ("Open Deal", "OPEN_DEAL"),
        ("Unqualified", "UNQUALIFIED"),
        ("Attempted to Contact", "ATTEMPTED_TO_CONTACT"),
        ("Connected", "CONNECTED"),
        ("Bad Timing", "BAD_TIMING"),
    ]
)

ANALYTICS_SOURCES = _options(
    [
        ("Organic Search", "ORGANIC_SEARCH"),
        ("Paid Search", "PAID_SEARCH"),
        ("Email Marketing", "EMAIL_MARKETING"),
        ("Organic Social", "SOCIAL_MEDIA"),
        ("Referrals", "REFERRALS"),
        ("Other Campaigns", "OTHER_CAMPAIGNS"),
        ("Direct Traffic", "DIRECT_TRAFFIC"),
        ("Offline Sources", "OFFLINE"),
        ("Paid Social", "PAID_SOCIAL"),
        ("AI Referrals", "AI_REFERRALS"),
    ]
)

# The default deal pipeline: (stage id, label, probability, closed).
DEAL_STAGES: tuple[tuple[str, str, str, bool], ...] = (
    ("appointmentscheduled", "Appointment Scheduled", "0.2", False),
    ("qualifiedtobuy", "Qualified To Buy", "0.4", False),
    ("presentationscheduled", "Presentation Scheduled", "0.6", False),
    ("decisionmakerboughtin", "Decision Maker Bought-In", "0.8", False),
    ("contractsent", "Contract Sent", "0.9", False),
    ("closedwon", "Closed Won", "1.0", True),
    ("closedlost", "Closed Lost", "0.0", True),
)


def _owner_property(label: str, group: str) -> PropertyDef:
    return PropertyDef(
        "hubspot_owner_id",
        label,
        "enumeration",
        "select",
        group,
        external_options=True,
        referenced_object_type="OWNER",
        display_order=6,
    )


def _common(object_type: ObjectType) -> list[PropertyDef]:
    info = f"{SINGULAR[object_type]}information"
    return [
        _system("createdate", "Create Date", "datetime", info),
        _system(LAST_MODIFIED[object_type], "Last Modified Date", "datetime", info),
        _system("hs_object_id", "Record ID", "number", info),
        _system("hs_object_source", "Record source", "string", info),
        _system("hs_object_source_label", "Record source label", "string", info),
    ]


def _contact_properties() -> list[PropertyDef]:
    info = "contactinformation"
    return [
        _text("firstname", "First Name", info, form_field=True, display_order=0),
        _text("lastname", "Last Name", info, form_field=True, display_order=1),
        _text("email", "Email", info, form_field=True, display_order=3),
        _text("company", "Company Name", info, form_field=True),
        _text("jobtitle", "Job Title", info, form_field=True),
        _text("phone", "Phone Number", info, field_type="phonenumber", form_field=True),
        _text("website", "Website URL", info, form_field=True),
        PropertyDef(
            "hubspotscore",
            "HubSpot Score",
            "number",
            "number",
            "contact_activity",
            description="The number that shows qualification of contacts to sales readiness.",
            calculated=True,
            read_only_value=True,
        ),
        PropertyDef(
            "lifecyclestage",
            "Lifecycle Stage",
            "enumeration",
            "radio",
            info,
            description="The qualification of contacts to sales readiness.",
            options=LIFECYCLE_STAGES,
            external_options=True,
            form_field=True,
            display_order=14,
        ),
        PropertyDef(
            "hs_lead_status",
            "Lead Status",
            "enumeration",
            "radio",
            "sales_properties",
            description="The contact's sales, prospecting or outreach status",
            options=LEAD_STATUSES,
            form_field=True,
            display_order=15,
        ),
        _owner_property("Contact owner", "sales_properties"),
        PropertyDef(
            "hs_analytics_source",
            "Original Traffic Source",
            "enumeration",
            "select",
            "analyticsinformation",
            options=ANALYTICS_SOURCES,
            read_only_value=True,
        ),
        *_common("contacts"),
        *[_custom(prop) for prop in _crmsync_contact_properties()],
    ]


def _crmsync_contact_properties() -> list[PropertyDef]:
    group = "crmsync"
    return [
        _text("salesforce_lead_id", "Salesforce Lead ID", group, has_unique_value=True),
        _text("salesforce_contact_id", "Salesforce Contact ID", group, has_unique_value=True),
        PropertyDef(
            "lead_disposition_reason",
            "Lead Disposition Reason",
            "enumeration",
            "select",
            group,
            options=_options(
                [
                    ("Not Ready", "not_ready"),
                    ("Mid-Contract with Competitor", "mid_contract_competitor"),
                    ("Lost Deal", "lost_deal"),
                    ("No Fit", "no_fit"),
                    ("Bad Data", "bad_data"),
                    ("Duplicate", "duplicate"),
                    ("Unresponsive", "unresponsive"),
                ]
            ),
        ),
        PropertyDef("recycle_date", "Recycle Date", "date", "date", group),
        PropertyDef("contract_end_date", "Contract End Date", "date", "date", group),
        PropertyDef(
            "closed_loop_outcome",
            "Closed Loop Outcome",
            "enumeration",
            "select",
            group,
            options=_options([("Open", "open"), ("Won", "won"), ("Lost", "lost")]),
        ),
        PropertyDef("closed_loop_amount", "Closed Loop Amount", "number", "number", group),
        _text("closed_loop_reason", "Closed Loop Reason", group),
        PropertyDef("closed_loop_date", "Closed Loop Date", "date", "date", group),
        _text("lead_source", "Lead Source", group),
    ]


def _company_properties() -> list[PropertyDef]:
    info = "companyinformation"
    return [
        _text("name", "Company name", info, form_field=True, display_order=0),
        _text("domain", "Company Domain Name", info, form_field=True, display_order=9),
        _text("city", "City", info, form_field=True),
        _text("industry", "Industry", info, form_field=True),
        _text("website", "Website URL", info, form_field=True),
        _text("phone", "Phone Number", info, field_type="phonenumber", form_field=True),
        PropertyDef(
            "lifecyclestage",
            "Lifecycle Stage",
            "enumeration",
            "radio",
            info,
            options=LIFECYCLE_STAGES,
            external_options=True,
            form_field=True,
            display_order=14,
        ),
        _owner_property("Company owner", "sales_properties"),
        *_common("companies"),
    ]


def _deal_properties() -> list[PropertyDef]:
    info = "dealinformation"
    return [
        _text("dealname", "Deal Name", info, display_order=0),
        PropertyDef(
            "dealstage",
            "Deal Stage",
            "enumeration",
            "radio",
            info,
            options=_options((label, stage) for stage, label, _, _ in DEAL_STAGES),
            external_options=True,
            display_order=1,
        ),
        PropertyDef(
            "pipeline",
            "Pipeline",
            "enumeration",
            "select",
            info,
            options=(Option("Sales Pipeline", "default", 0),),
            external_options=True,
            display_order=2,
        ),
        PropertyDef(
            "amount",
            "Amount",
            "number",
            "number",
            info,
            display_order=3,
            extra={"showCurrencySymbol": True},
        ),
        PropertyDef("closedate", "Close Date", "datetime", "date", info, display_order=4),
        _text("closed_lost_reason", "Closed Lost Reason", info, field_type="textarea"),
        _owner_property("Deal owner", info),
        *_common("deals"),
        _custom(
            _text(
                "salesforce_opportunity_id",
                "Salesforce Opportunity ID",
                "crmsync",
                has_unique_value=True,
            )
        ),
    ]


def default_properties() -> dict[ObjectType, dict[str, PropertyDef]]:
    """A fresh copy of the default schema, keyed by object type then property name."""
    return {
        "contacts": {p.name: p for p in _contact_properties()},
        "companies": {p.name: p for p in _company_properties()},
        "deals": {p.name: p for p in _deal_properties()},
    }


def property_from_create(body: Mapping[str, Any], now: str) -> PropertyDef:
    """A custom property from a ``POST /crm/v3/properties/{type}`` body.

    ``ValueError`` names the first missing or malformed field.
    """
    for key in ("name", "label", "type", "fieldType", "groupName"):
        if not isinstance(body.get(key), str) or not body[key]:
            raise ValueError(f"{key} is required")
    if body["type"] not in ("string", "number", "date", "datetime", "enumeration", "bool"):
        raise ValueError(f"type {body['type']!r} is not one of the supported property types")
    raw_options = body.get("options") or []
    if not isinstance(raw_options, list):
        raise ValueError("options must be a list")
    options = tuple(
        Option(
            str(item["label"]),
            str(item["value"]),
            int(item.get("displayOrder", order)),
            bool(item.get("hidden", False)),
        )
        for order, item in enumerate(raw_options)
    )
    return PropertyDef(
        name=body["name"],
        label=body["label"],
        type=body["type"],
        field_type=body["fieldType"],
        group_name=body["groupName"],
        description=str(body.get("description", "")),
        options=options,
        has_unique_value=bool(body.get("hasUniqueValue", False)),
        hidden=bool(body.get("hidden", False)),
        form_field=bool(body.get("formField", False)),
        display_order=int(body.get("displayOrder", -1)),
        hubspot_defined=False,
        calculated=bool(body.get("calculationFormula")),
        external_options=bool(body.get("externalOptions", False)),
        created_at=now,
        updated_at=now,
    )
