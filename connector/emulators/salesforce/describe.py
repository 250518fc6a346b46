"""Describe payloads in the real shape: ``/sobjects`` (global) and ``/sobjects/{O}/describe``.

Every key a real describe carries is present, with the value a real org gives for a field of
that type (``soapType``, ``byteLength``, ``groupable``...), so clients that read describes the
way they would from a live org (CumulusCI, simple-salesforce users) find what they expect.
"""

from __future__ import annotations

from typing import Any

from connector.emulators.salesforce.schema import FieldDef, ObjectDef, Schema

_SOAP_TYPES = {
    "id": "tns:ID",
    "reference": "tns:ID",
    "boolean": "xsd:boolean",
    "double": "xsd:double",
    "currency": "xsd:double",
    "percent": "xsd:double",
    "int": "xsd:int",
    "date": "xsd:date",
    "datetime": "xsd:dateTime",
}
# Types a real org reports as not groupable (numbers with decimals and timestamps).
_NOT_GROUPABLE = frozenset({"double", "currency", "percent", "datetime"})


def field_describe(f: FieldDef) -> dict[str, Any]:
    text_like = f.type in {"string", "textarea", "email", "phone", "url", "picklist"}
    byte_length = f.length * 3 if text_like else (18 if f.type in ("id", "reference") else 0)
    long_text = f.type == "textarea" and f.length > 255
    permissionable = (f.nillable and (f.createable or f.updateable)) or (
        f.type == "boolean" and f.updateable
    )
    return {
        "aggregatable": f.type != "boolean" and not long_text,
        "aiPredictionField": False,
        "autoNumber": False,
        "byteLength": byte_length,
        "calculated": f.calculated,
        "calculatedFormula": None,
        "cascadeDelete": False,
        "caseSensitive": f.case_sensitive,
        "compoundFieldName": None,
        "controllerName": None,
        "createable": f.createable,
        "custom": f.custom,
        "defaultValue": f.default_value,
        "defaultValueFormula": None,
        "defaultedOnCreate": f.defaulted_on_create,
        "dependentPicklist": False,
        "deprecatedAndHidden": False,
        "digits": f.digits or (8 if f.type == "int" else 0),
        "displayLocationInDecimal": False,
        "encrypted": False,
        "externalId": f.external_id,
        "extraTypeInfo": f.extra_type_info,
        "filterable": not long_text,
        "filteredLookupInfo": None,
        "formulaTreatNullNumberAsZero": False,
        "groupable": f.type not in _NOT_GROUPABLE and not long_text,
        "highScaleNumber": False,
        "htmlFormatted": False,
        "idLookup": f.id_lookup or f.external_id,
        "inlineHelpText": None,
        "label": f.label,
        "length": f.length if f.type not in ("double", "currency", "percent", "int") else 0,
        "mask": None,
        "maskType": None,
        "name": f.name,
        "nameField": f.name_field,
        "namePointing": f.polymorphic,
        "nillable": f.nillable,
        "permissionable": permissionable,
        "picklistValues": [
            {
                "active": entry.active,
                "defaultValue": entry.default,
                "label": entry.value,
                "validFor": None,
                "value": entry.value,
            }
            for entry in f.picklist
        ],
        "polymorphicForeignKey": f.polymorphic,
        "precision": f.precision,
        "queryByDistance": False,
        "referenceTargetField": None,
        "referenceTo": list(f.reference_to),
        "relationshipName": f.relationship_name,
        "relationshipOrder": None,
        "restrictedDelete": False,
        "restrictedPicklist": f.restricted,
        "scale": f.scale,
        "searchPrefilterable": False,
        "soapType": _SOAP_TYPES.get(f.type, "xsd:string"),
        "sortable": not long_text,
        "type": f.type,
        "unique": f.unique,
        "updateable": f.updateable,
        "writeRequiresMasterRead": False,
    }


def _urls(obj: ObjectDef, version: str) -> dict[str, str]:
    base = f"/services/data/v{version}/sobjects/{obj.name}"
    return {
        "compactLayouts": f"{base}/describe/compactLayouts",
        "rowTemplate": f"{base}/{{ID}}",
        "approvalLayouts": f"{base}/describe/approvalLayouts",
        "listviews": f"{base}/listviews",
        "describe": f"{base}/describe",
        "quickActions": f"{base}/quickActions",
        "layouts": f"{base}/describe/layouts",
        "sobject": base,
    }


def _object_flags(obj: ObjectDef) -> dict[str, Any]:
    return {
        "activateable": False,
        "associateEntityType": None,
        "associateParentEntity": None,
        "createable": obj.createable,
        "custom": obj.custom,
        "customSetting": False,
        "deepCloneable": False,
        "deletable": obj.deletable,
        "deprecatedAndHidden": False,
        "feedEnabled": True,
        "hasSubtypes": False,
        "isInterface": False,
        "isSubtype": False,
        "keyPrefix": obj.key_prefix,
        "label": obj.label,
        "labelPlural": obj.label_plural,
        "layoutable": True,
        "mergeable": obj.name in ("Account", "Contact", "Lead"),
        "mruEnabled": True,
        "name": obj.name,
        "queryable": True,
        "replicateable": True,
        "retrieveable": True,
        "searchable": True,
        "triggerable": True,
        "undeletable": obj.deletable,
        "updateable": obj.updateable,
    }


def sobject_summary(obj: ObjectDef, version: str) -> dict[str, Any]:
    """One entry of the global describe."""
    return {**_object_flags(obj), "urls": _urls(obj, version)}


def global_describe(schema: Schema, version: str) -> dict[str, Any]:
    return {
        "encoding": "UTF-8",
        "maxBatchSize": 200,
        "sobjects": [sobject_summary(schema.objects[n.lower()], version) for n in schema.names()],
    }


def object_describe(obj: ObjectDef, version: str, instance_url: str) -> dict[str, Any]:
    flags = _object_flags(obj)
    urls = _urls(obj, version)
    urls["uiDetailTemplate"] = f"{instance_url}/{{ID}}"
    urls["uiEditTemplate"] = f"{instance_url}/{{ID}}/e"
    urls["uiNewRecord"] = f"{instance_url}/{obj.key_prefix}/e"
    layout = f"/services/data/v{version}/sobjects/{obj.name}/describe/layouts/012000000000000AAA"
    body: dict[str, Any] = {
        "actionOverrides": [],
        **{k: flags[k] for k in ("activateable", "associateEntityType", "associateParentEntity")},
        "childRelationships": [
            {
                "cascadeDelete": child.cascade_delete,
                "childSObject": child.child,
                "deprecatedAndHidden": False,
                "field": child.field,
                "junctionIdListNames": [],
                "junctionReferenceTo": [],
                "relationshipName": child.relationship_name,
                "restrictedDelete": False,
            }
            for child in obj.children
        ],
        "compactLayoutable": True,
        "createable": flags["createable"],
        "custom": flags["custom"],
        "customSetting": False,
        "deepCloneable": False,
        "defaultImplementation": None,
        "deletable": flags["deletable"],
        "deprecatedAndHidden": False,
        "extendedBy": None,
        "extendsInterfaces": None,
        "feedEnabled": True,
        "fields": [field_describe(f) for f in obj.fields],
        "hasSubtypes": False,
        "implementedBy": None,
        "implementsInterfaces": None,
        "isInterface": False,
        "isSubtype": False,
        "keyPrefix": obj.key_prefix,
        "label": obj.label,
        "labelPlural": obj.label_plural,
        "layoutable": True,
        "listviewable": None,
        "lookupLayoutable": None,
        "mergeable": flags["mergeable"],
        "mruEnabled": True,
        "name": obj.name,
        "namedLayoutInfos": [],
        "networkScopeFieldName": None,
        "queryable": True,
        "recordTypeInfos": [
            {
                "active": True,
                "available": True,
                "defaultRecordTypeMapping": True,
                "developerName": "Master",
                "master": True,
                "name": "Master",
                "recordTypeId": "012000000000000AAA",
                "urls": {"layout": layout},
            }
        ],
        "replicateable": True,
        "retrieveable": True,
        "searchLayoutable": True,
        "searchable": True,
        "sobjectDescribeOption": "FULL",
        "supportedScopes": [
            {"label": f"All {obj.label_plural.lower()}", "name": "everything"},
            {"label": f"My {obj.label_plural.lower()}", "name": "mine"},
        ],
        "triggerable": True,
        "undeletable": flags["undeletable"],
        "updateable": flags["updateable"],
        "urls": urls,
    }
    return body
