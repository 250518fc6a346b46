"""The org the emulator serves by default: the standard fields a sync touches plus crmsync's own.

Field facts (types, lengths, labels, nillable, createable, updateable, picklist values,
relationship names) are those of a real org's describe; the custom fields are the ones
crmsync's design asks an admin to add (``HubSpot_Contact_Id__c``, ``Lead_Score__c``, ...).
"""

from __future__ import annotations

from typing import Any

from connector.emulators.salesforce.schema import FieldDef, ObjectDef, PicklistValue, Schema

LEAD_STATUSES = (
    "Nurture",
    "Open - Not Contacted",
    "Working - Contacted",
    "Qualified",
    "Closed - Converted",
    "Closed - Not Converted",
)
DEFAULT_LEAD_STATUS = "Open - Not Contacted"
CONVERTED_LEAD_STATUS = "Closed - Converted"
LEAD_SOURCES = ("Web", "Phone Inquiry", "Partner Referral", "Purchased List", "Other")
DISPOSITION_REASONS = (
    "Not Ready",
    "Mid-Contract with Competitor",
    "Lost Deal",
    "No Fit",
    "Bad Data",
    "Duplicate",
    "Unresponsive",
)
OPPORTUNITY_STAGES = (
    "Prospecting",
    "Qualification",
    "Needs Analysis",
    "Value Proposition",
    "Id. Decision Makers",
    "Perception Analysis",
    "Proposal/Price Quote",
    "Negotiation/Review",
    "Closed Won",
    "Closed Lost",
)
CLOSED_STAGES = {"Closed Won": True, "Closed Lost": False}  # stage -> IsWon
INDUSTRIES = (
    "Agriculture",
    "Apparel",
    "Banking",
    "Biotechnology",
    "Chemicals",
    "Communications",
    "Construction",
    "Consulting",
    "Education",
    "Electronics",
    "Energy",
    "Engineering",
    "Entertainment",
    "Environmental",
    "Finance",
    "Food & Beverage",
    "Government",
    "Healthcare",
    "Hospitality",
    "Insurance",
    "Machinery",
    "Manufacturing",
    "Media",
    "Not For Profit",
    "Recreation",
    "Retail",
    "Shipping",
    "Technology",
    "Telecommunications",
    "Transportation",
    "Utilities",
    "Other",
)
CONTACT_ROLES = (
    "Business User",
    "Decision Maker",
    "Economic Buyer",
    "Economic Decision Maker",
    "Evaluator",
    "Executive Sponsor",
    "Influencer",
    "Technical Buyer",
    "Other",
)


def _values(values: tuple[str, ...], default: str | None = None) -> tuple[PicklistValue, ...]:
    return tuple(PicklistValue(v, default=v == default) for v in values)


def _id(label: str) -> FieldDef:
    return FieldDef(
        "Id",
        "id",
        label,
        length=18,
        nillable=False,
        createable=False,
        updateable=False,
        defaulted_on_create=True,
        id_lookup=True,
    )


def _string(name: str, label: str, length: int, **facts: Any) -> FieldDef:
    return FieldDef(name, facts.pop("type", "string"), label, length=length, **facts)


def _flag(
    name: str, label: str, *, writable: bool = True, createable: bool | None = None
) -> FieldDef:
    return FieldDef(
        name,
        "boolean",
        label,
        nillable=False,
        createable=writable if createable is None else createable,
        updateable=writable,
        defaulted_on_create=True,
    )


def _ref(name: str, label: str, target: str, relationship: str | None, **facts: Any) -> FieldDef:
    return FieldDef(
        name,
        "reference",
        label,
        length=18,
        reference_to=(target,),
        relationship_name=relationship,
        **facts,
    )


def _owner() -> FieldDef:
    return _ref("OwnerId", "Owner ID", "User", "Owner", nillable=False, defaulted_on_create=True)


def _system_fields() -> tuple[FieldDef, ...]:
    def stamp(name: str, label: str) -> FieldDef:
        return FieldDef(
            name,
            "datetime",
            label,
            nillable=False,
            createable=False,
            updateable=False,
            defaulted_on_create=True,
        )

    def by(name: str, label: str, relationship: str) -> FieldDef:
        return _ref(
            name,
            label,
            "User",
            relationship,
            nillable=False,
            createable=False,
            updateable=False,
            defaulted_on_create=True,
        )

    fields = [
        stamp("CreatedDate", "Created Date"),
        by("CreatedById", "Created By ID", "CreatedBy"),
        stamp("LastModifiedDate", "Last Modified Date"),
        by("LastModifiedById", "Last Modified By ID", "LastModifiedBy"),
        stamp("SystemModstamp", "System Modstamp"),
    ]
    return tuple(fields)


def _deleted() -> FieldDef:
    return _flag("IsDeleted", "Deleted", writable=False)


def _person_name() -> tuple[FieldDef, ...]:
    return (
        _string("LastName", "Last Name", 80, nillable=False),
        _string("FirstName", "First Name", 40),
        _string(
            "Name",
            "Full Name",
            121,
            nillable=False,
            createable=False,
            updateable=False,
            name_field=True,
            extra_type_info="personname",
        ),
    )


def _crmsync_person_fields() -> tuple[FieldDef, ...]:
    return (
        _string(
            "HubSpot_Contact_Id__c",
            "HubSpot Contact Id",
            32,
            external_id=True,
            unique=True,
            custom=True,
        ),
        FieldDef("Lead_Score__c", "double", "Lead Score", precision=18, scale=0, custom=True),
        FieldDef(
            "Disposition_Reason__c",
            "picklist",
            "Disposition Reason",
            length=255,
            picklist=_values(DISPOSITION_REASONS),
            restricted=True,
            custom=True,
        ),
        FieldDef("Recycle_Date__c", "date", "Recycle Date", custom=True),
        FieldDef("Contract_End_Date__c", "date", "Contract End Date", custom=True),
    )


def _user() -> ObjectDef:
    return ObjectDef(
        "User",
        "User",
        "Users",
        "005",
        (
            _id("User ID"),
            _string("Username", "Username", 80, nillable=False, unique=True, id_lookup=True),
            *_person_name(),
            _string("Email", "Email", 128, type="email", nillable=False),
            _flag("IsActive", "Active"),
            *_system_fields(),
        ),
        deletable=False,
    )


def _lead() -> ObjectDef:
    return ObjectDef(
        "Lead",
        "Lead",
        "Leads",
        "00Q",
        (
            _id("Lead ID"),
            _deleted(),
            *_person_name(),
            _string("Title", "Title", 128),
            _string("Company", "Company", 255, nillable=False),
            _string("Phone", "Phone", 40, type="phone"),
            _string("Email", "Email", 80, type="email", id_lookup=True),
            FieldDef(
                "LeadSource",
                "picklist",
                "Lead Source",
                length=255,
                picklist=_values(LEAD_SOURCES),
            ),
            FieldDef(
                "Status",
                "picklist",
                "Status",
                length=255,
                nillable=False,
                defaulted_on_create=True,
                picklist=_values(LEAD_STATUSES, DEFAULT_LEAD_STATUS),
                restricted=True,
            ),
            FieldDef(
                "OwnerId",
                "reference",
                "Owner ID",
                length=18,
                nillable=False,
                defaulted_on_create=True,
                # A fact of the real describe: a lead can be owned by a queue (Group) too.
                reference_to=("Group", "User"),
                relationship_name="Owner",
                polymorphic=True,
            ),
            # A fact of the real describe: IsConverted is createable (imports), never updateable.
            _flag("IsConverted", "Converted", writable=False, createable=True),
            FieldDef("ConvertedDate", "date", "Converted Date", createable=False, updateable=False),
            _ref(
                "ConvertedAccountId",
                "Converted Account ID",
                "Account",
                "ConvertedAccount",
                createable=False,
                updateable=False,
            ),
            _ref(
                "ConvertedContactId",
                "Converted Contact ID",
                "Contact",
                "ConvertedContact",
                createable=False,
                updateable=False,
            ),
            _ref(
                "ConvertedOpportunityId",
                "Converted Opportunity ID",
                "Opportunity",
                "ConvertedOpportunity",
                createable=False,
                updateable=False,
            ),
            *_system_fields(),
            *_crmsync_person_fields(),
        ),
    )


def _contact() -> ObjectDef:
    return ObjectDef(
        "Contact",
        "Contact",
        "Contacts",
        "003",
        (
            _id("Contact ID"),
            _deleted(),
            _ref("AccountId", "Account ID", "Account", "Account"),
            *_person_name(),
            _string("Phone", "Business Phone", 40, type="phone"),
            _string("Email", "Email", 80, type="email", id_lookup=True),
            _string("Title", "Title", 128),
            FieldDef(
                "LeadSource",
                "picklist",
                "Lead Source",
                length=255,
                picklist=_values(LEAD_SOURCES),
            ),
            _owner(),
            *_system_fields(),
            *_crmsync_person_fields(),
        ),
    )


def _account() -> ObjectDef:
    return ObjectDef(
        "Account",
        "Account",
        "Accounts",
        "001",
        (
            _id("Account ID"),
            _deleted(),
            _string(
                "Name",
                "Account Name",
                255,
                nillable=False,
                name_field=True,
                extra_type_info="switchablepersonname",
            ),
            _string("Website", "Website", 255, type="url"),
            FieldDef("Industry", "picklist", "Industry", length=40, picklist=_values(INDUSTRIES)),
            _owner(),
            *_system_fields(),
        ),
    )


def _opportunity() -> ObjectDef:
    return ObjectDef(
        "Opportunity",
        "Opportunity",
        "Opportunities",
        "006",
        (
            _id("Opportunity ID"),
            _deleted(),
            _ref("AccountId", "Account ID", "Account", "Account"),
            _string("Name", "Name", 120, nillable=False, name_field=True, id_lookup=True),
            FieldDef(
                "StageName",
                "picklist",
                "Stage",
                length=255,
                nillable=False,
                picklist=_values(OPPORTUNITY_STAGES),
                restricted=True,
            ),
            FieldDef("Amount", "currency", "Amount", precision=18, scale=2),
            FieldDef("CloseDate", "date", "Close Date", nillable=False),
            FieldDef(
                "LeadSource",
                "picklist",
                "Lead Source",
                length=255,
                picklist=_values(LEAD_SOURCES),
            ),
            _flag("IsClosed", "Closed", writable=False),
            _flag("IsWon", "Won", writable=False),
            # A fact of the real describe: ContactId can be set on create, never changed.
            _ref("ContactId", "Contact ID", "Contact", None, updateable=False),
            _owner(),
            *_system_fields(),
            _string(
                "HubSpot_Deal_Id__c",
                "HubSpot Deal Id",
                32,
                external_id=True,
                unique=True,
                custom=True,
            ),
            _string("Loss_Reason__c", "Loss Reason", 255, custom=True),
        ),
    )


def _contact_role() -> ObjectDef:
    return ObjectDef(
        "OpportunityContactRole",
        "Opportunity Contact Role",
        "Opportunity Contact Role",
        "00K",
        (
            _id("Contact Role ID"),
            _ref(
                "OpportunityId",
                "Opportunity ID",
                "Opportunity",
                "Opportunity",
                nillable=False,
                updateable=False,
            ),
            _ref("ContactId", "Contact ID", "Contact", "Contact", nillable=False),
            FieldDef("Role", "picklist", "Role", length=40, picklist=_values(CONTACT_ROLES)),
            _flag("IsPrimary", "Primary"),
            *_system_fields(),
            _deleted(),
        ),
    )


def default_schema() -> Schema:
    """A fresh copy of the default org schema."""
    return Schema([_account(), _contact(), _lead(), _opportunity(), _contact_role(), _user()])
