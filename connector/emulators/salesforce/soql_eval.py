"""Running a parsed SOQL query over stored records: check it, filter, sort, page, render.

``run`` first checks every name and literal against the schema, as Salesforce does before it
reads a row, so a wrong query fails the same way on an empty org as on a full one. The WHERE
clause then compiles into one Python closure per query (never interpreted per row), the matches
are sorted the way Salesforce sorts (nulls first ascending, strings case-insensitively) and
rendered in the REST API's JSON shape.
"""

from __future__ import annotations

import heapq
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any, Protocol, runtime_checkable

from connector.emulators.salesforce.soql_ast import (
    And,
    BoolValue,
    Comparison,
    Condition,
    DateConstant,
    DateTimeValue,
    DateValue,
    Not,
    NullValue,
    NumberValue,
    OrderItem,
    Path,
    Query,
    StringValue,
    Value,
)
from connector.emulators.salesforce.soql_compile import Emitter, SortKey, Source
from connector.emulators.salesforce.soql_dates import constant_range, day_start_stamp
from connector.emulators.salesforce.soql_lexer import ErrorCode, SoqlError

Row = dict[str, Any]

# Salesforce refuses to skip more than this many rows with OFFSET.
MAX_OFFSET = 2000

_TEXT = frozenset(
    {"string", "email", "phone", "textarea", "picklist", "url", "combobox", "multipicklist"}
)
_NUMBER = frozenset({"double", "currency", "percent", "int", "long"})
# The type names Salesforce's filter errors use for each category.
_LABELS = {
    "text": "string",
    "id": "id",
    "double": "double",
    "int": "integer",
    "date": "date",
    "datetime": "dateTime",
    "boolean": "boolean",
}
_NO_COLUMN = (
    "No such column '{field}' on entity '{entity}'. If you are attempting to use a custom "
    "field, be sure to append the '__c' after the custom field name. Please reference your WSDL "
    "or the describe call for the appropriate names."
)
_NO_RELATIONSHIP = (
    "Didn't understand relationship '{name}' in field path. If you are attempting to use a "
    "custom relationship, be sure to append the '__r' after the custom relationship name. "
    "Please reference your WSDL or the describe call for the appropriate names."
)
_NO_OBJECT = (
    "sObject type '{name}' is not supported. If you are attempting to use a custom object, be "
    "sure to append the '__c' after the entity name. Please reference your WSDL or the describe "
    "call for the appropriate names."
)


class SoqlSchema(Protocol):
    """What the evaluator needs to know of an org; every name lookup is case-insensitive."""

    def has_object(self, object_name: str) -> bool: ...

    def field_type(self, object_name: str, field: str) -> str | None: ...

    def canonical_field(self, object_name: str, field: str) -> str: ...

    def relationship(self, object_name: str, name: str) -> tuple[str, str] | None: ...

    def get(self, object_name: str, record_id: str) -> dict[str, Any] | None: ...


@runtime_checkable
class NamesObjects(Protocol):
    """Optional: a schema that knows an object's real-case name renders ``attributes.type``."""

    def canonical_object(self, object_name: str) -> str: ...


@runtime_checkable
class ListsFields(Protocol):
    """Optional: a schema that lists an object's fields lets ``FIELDS(...)`` expand."""

    def field_names(self, object_name: str) -> Sequence[str]: ...


@dataclass(frozen=True, slots=True)
class _Hop:
    key: str
    fk: str
    target: str


@dataclass(frozen=True, slots=True)
class _Field:
    """A path resolved against the schema: the lookups to follow, then the field read."""

    hops: tuple[_Hop, ...]
    name: str
    ftype: str

    @property
    def label(self) -> str:
        return ".".join([*(hop.key for hop in self.hops), self.name])

    @property
    def category(self) -> str:
        if self.ftype in ("id", "reference"):
            return "id"
        if self.ftype in _TEXT:
            return "text"
        if self.ftype in _NUMBER:
            return "int" if self.ftype in ("int", "long") else "double"
        if self.ftype in ("date", "datetime", "boolean"):
            return self.ftype
        return "text"


def run(
    query: Query,
    schema: SoqlSchema,
    rows: Iterable[Row],
    *,
    include_deleted: bool = False,
    api_version: str = "59.0",
    now: datetime | None = None,
) -> list[Row]:
    """The records ``query`` answers, rendered as the REST API renders them.

    A ``SELECT COUNT()`` query answers no records: ask ``run_count`` for its number. ``now``
    anchors relative date literals (TODAY, LAST_N_DAYS:n); pass the emulator clock's reading,
    or the wall clock is used.
    """
    selection = select(
        query, schema, rows, include_deleted=include_deleted, api_version=api_version, now=now
    )
    return selection.render(0, len(selection.rows))


@dataclass(frozen=True)
class Selection:
    """The rows a query matched, in order, rendered only when a page of them is served.

    Rendering is most of a query's cost; a cursor over 100,000 rows renders 2,000 per page.
    """

    rows: list[Row]
    _plan: _Plan
    api_version: str

    def render(self, start: int, stop: int) -> list[Row]:
        return [self._plan.render(row, self.api_version) for row in self.rows[start:stop]]


def select(
    query: Query,
    schema: SoqlSchema,
    rows: Iterable[Row],
    *,
    include_deleted: bool = False,
    api_version: str = "59.0",
    now: datetime | None = None,
) -> Selection:
    """Like ``run``, but the records are rendered page by page (``Selection.render``)."""
    plan = _Plan(query, schema, now)
    matched = [] if query.count_only else plan.select(rows, include_deleted)
    return Selection(matched, plan, api_version)


def run_count(
    query: Query,
    schema: SoqlSchema,
    rows: Iterable[Row],
    *,
    include_deleted: bool = False,
    now: datetime | None = None,
) -> int:
    """How many records ``query`` matches (after OFFSET and LIMIT): a COUNT() query's answer."""
    return len(_Plan(query, schema, now).select(rows, include_deleted))


class _Plan:
    """A query checked against a schema and compiled: a predicate, a sort and a renderer."""

    def __init__(self, query: Query, schema: SoqlSchema, now: datetime | None) -> None:
        self.query = query
        self.schema = schema
        self.now = now or datetime.now(UTC)
        if not schema.has_object(query.object_name):
            raise self.error(
                "INVALID_TYPE", query.object_pos, _NO_OBJECT.format(name=query.object_name)
            )
        self.root = (
            schema.canonical_object(query.object_name)
            if isinstance(schema, NamesObjects)
            else query.object_name
        )
        self.fields = self.select_list()
        self.emitter = Emitter()
        self.condition = self.compile(query.where) if query.where is not None else None
        self.order = [(item, self.resolve(item.path)) for item in query.order_by]
        if query.offset is not None and query.offset > MAX_OFFSET:
            raise SoqlError(
                "NUMBER_OUTSIDE_VALID_RANGE", f"Maximum SOQL offset allowed is {MAX_OFFSET}"
            )

    def error(self, code: ErrorCode, pos: int, detail: str) -> SoqlError:
        return SoqlError.at(code, self.query.text, pos, detail)

    # -- names ---------------------------------------------------------------------------

    def resolve(self, path: Path) -> _Field:
        parts = path.parts
        if (
            len(parts) > 1
            and parts[0].lower() == self.root.lower()
            and self.schema.relationship(self.root, parts[0]) is None
        ):
            # A path may start with the queried object's own name: Lead.Email on Lead.
            parts = parts[1:]
        entity = self.root
        hops = []
        for part in parts[:-1]:
            relation = self.schema.relationship(entity, part)
            if relation is None:
                raise self.error("INVALID_FIELD", path.pos, _NO_RELATIONSHIP.format(name=part))
            fk, target = relation
            hops.append(_Hop(_relationship_key(fk, part), fk, target))
            entity = target
        ftype = self.schema.field_type(entity, parts[-1])
        if ftype is None:
            raise self.error(
                "INVALID_FIELD", path.pos, _NO_COLUMN.format(field=parts[-1], entity=entity)
            )
        return _Field(tuple(hops), self.schema.canonical_field(entity, parts[-1]), ftype)

    def select_list(self) -> list[_Field]:
        query = self.query
        fields: list[_Field] = []
        # A Query built by hand may carry no positions; errors then point at the start.
        positions = query.field_positions or (0,) * len(query.fields)
        for item, pos in zip(query.fields, positions, strict=True):
            if item.startswith("FIELDS("):
                fields.extend(self.expand(item, pos))
            else:
                fields.append(self.resolve(Path(tuple(item.split(".")), pos)))
        seen: set[str] = set()
        for f in fields:
            if f.label.lower() in seen:
                raise SoqlError("INVALID_FIELD", f"duplicate field selected: {f.label}")
            seen.add(f.label.lower())
        return fields

    def expand(self, item: str, pos: int) -> list[_Field]:
        if not isinstance(self.schema, ListsFields):
            raise self.error("MALFORMED_QUERY", pos, f"{item} is not available in this emulator")
        names = self.schema.field_names(self.root)
        if item == "FIELDS(CUSTOM)":
            names = [name for name in names if name.endswith("__c")]
        elif item == "FIELDS(STANDARD)":
            names = [name for name in names if not name.endswith("__c")]
        return [self.resolve(Path((name,), pos)) for name in names]

    # -- WHERE ---------------------------------------------------------------------------

    def compile(self, condition: Condition) -> str:
        """The condition as one Python expression over ``row`` (see ``soql_compile``)."""
        if isinstance(condition, Comparison):
            return self.comparison(condition)
        if isinstance(condition, Not):
            return f"(not {self.compile(condition.item)})"
        joiner = " and " if isinstance(condition, And) else " or "
        return "(" + joiner.join(self.compile(item) for item in condition.items) + ")"

    def comparison(self, c: Comparison) -> str:
        f = self.resolve(c.path)
        category = f.category
        label = _LABELS[category]
        if (c.op == "LIKE" and category != "text") or (
            category == "boolean" and c.op in ("<", "<=", ">", ">=")
        ):
            raise self.error(
                "INVALID_QUERY_FILTER_OPERATOR", c.op_pos, f"invalid operator on {label} field"
            )
        for value in c.values:
            if isinstance(value, NullValue) and c.op in ("<", "<=", ">", ">=", "LIKE"):
                raise self.error(
                    "INVALID_QUERY_FILTER_OPERATOR", value.pos, "invalid operator on null value"
                )
            self.check_type(f, category, value)
        source = Source(f.name, self.getter(f) if f.hops else None, category)
        negate = c.op in ("!=", "NOT IN")
        if category == "boolean":
            wanted = frozenset(isinstance(v, BoolValue) and v.value for v in c.values)
            return self.emitter.boolean(source, wanted, negate)
        if c.op == "LIKE":
            value = c.values[0]
            assert isinstance(value, StringValue)
            return self.emitter.like(source, value.pattern)
        literals = [self.literal(category, value) for value in c.values]
        if c.op in ("IN", "NOT IN"):
            return self.emitter.member(source, literals, negate)
        return self.emitter.compare(source, c.op, literals[0])

    def check_type(self, f: _Field, category: str, value: Value) -> None:
        if isinstance(value, NullValue):
            return
        expected: tuple[type, ...] = {
            "text": (StringValue,),
            "id": (StringValue,),
            "double": (NumberValue,),
            "int": (NumberValue,),
            "date": (DateValue, DateConstant),
            "datetime": (DateTimeValue, DateConstant),
            "boolean": (BoolValue,),
        }[category]
        if isinstance(value, expected):
            return
        quoted = category in ("text", "id")
        raise self.error(
            "INVALID_FIELD",
            value.pos,
            f"value of filter criterion for field '{f.label}' must be of type "
            f"{_LABELS[category]} and should {'' if quoted else 'not '}be enclosed in quotes",
        )

    def literal(self, category: str, value: Value) -> Any:
        """The comparable form of a literal: a key, a (low, high) range, or None for null."""
        if isinstance(value, NullValue):
            return None
        if isinstance(value, StringValue):
            if value.value == "":
                # Salesforce stores no empty texts: '' stands for null.
                return None
            if category != "id":
                return value.value.lower()
            id15 = _id15(value.value)
            if id15 is None:
                raise self.error(
                    "INVALID_QUERY_FILTER_OPERATOR", value.pos, f"invalid ID field: {value.value}"
                )
            return id15
        if isinstance(value, NumberValue | BoolValue):
            return value.value
        if isinstance(value, DateValue):
            return value.iso
        if isinstance(value, DateTimeValue):
            return value.stamp
        assert isinstance(value, DateConstant)
        first, end = constant_range(value.name, value.n, self.now.astimezone(UTC).date())
        if category == "date":
            return first.isoformat(), end.isoformat()
        return day_start_stamp(first), day_start_stamp(end)

    def getter(self, f: _Field) -> Callable[[Row], Any]:
        name = f.name
        if not f.hops:
            return lambda row: row.get(name)
        hops = f.hops
        lookup = self.schema.get

        def follow(row: Row) -> Any:
            record: Row | None = row
            for hop in hops:
                ref = record.get(hop.fk) if record is not None else None
                if not ref:
                    return None
                record = lookup(hop.target, ref)
                if record is None:
                    return None
            return record.get(name) if record is not None else None

        return follow

    # -- selecting and rendering ---------------------------------------------------------

    def select(self, rows: Iterable[Row], include_deleted: bool) -> list[Row]:
        matches = self.emitter.filter(self.condition, include_deleted)(rows)
        start = self.query.offset or 0
        stop = None if self.query.limit is None else start + self.query.limit
        groups = self.sort_groups()
        if len(groups) == 1 and stop is not None and stop * 4 < len(matches):
            # A page of a long result: a heap selects it without sorting everything.
            key, descending = groups[0]
            pick = heapq.nlargest if descending else heapq.nsmallest
            return pick(stop, matches, key=key)[start:]
        for key, descending in reversed(groups):
            matches.sort(key=key, reverse=descending)
        return matches[start:stop] if start or stop is not None else matches

    def sort_groups(self) -> list[tuple[SortKey, bool]]:
        """One sort key per run of ORDER BY items in the same direction, in ORDER BY order.

        Sorting by the last group first, then stably by each earlier one, orders by all of them;
        within a group nulls take the extreme that lands them first or last as asked.
        """
        runs: list[list[tuple[OrderItem, _Field]]] = []
        for item, f in self.order:
            if runs and runs[-1][0][0].descending == item.descending:
                runs[-1].append((item, f))
            else:
                runs.append([(item, f)])
        return [
            (
                self.emitter.sort_key(
                    [
                        (
                            Source(f.name, self.getter(f) if f.hops else None, f.category),
                            item.nulls_last == item.descending,
                        )
                        for item, f in run
                    ]
                ),
                run[0][0].descending,
            )
            for run in runs
        ]

    def render(self, row: Row, api_version: str) -> Row:
        prefix = f"/services/data/v{api_version}/sobjects/"
        out: Row = {
            "attributes": {"type": self.root, "url": f"{prefix}{self.root}/{row.get('Id')}"}
        }
        followed: dict[tuple[str, ...], Row] = {}
        for f in self.fields:
            container, record = out, row
            for depth, hop in enumerate(f.hops):
                trail = tuple(h.key for h in f.hops[: depth + 1])
                if hop.key in container:
                    nested = container[hop.key]
                    if nested is None:
                        break
                    container, record = nested, followed[trail]
                    continue
                ref = record.get(hop.fk)
                related = self.schema.get(hop.target, ref) if ref else None
                if related is None:
                    container[hop.key] = None
                    break
                url = f"{prefix}{hop.target}/{related.get('Id', ref)}"
                nested = {"attributes": {"type": hop.target, "url": url}}
                container[hop.key] = nested
                followed[trail] = related
                container, record = nested, related
            else:
                container[f.name] = record.get(f.name)
        return out


def _relationship_key(fk: str, written: str) -> str:
    """The real-case relationship name of a lookup field: OwnerId -> Owner, Foo__c -> Foo__r."""
    if fk.endswith("__c"):
        return fk[:-3] + "__r"
    if fk.lower().endswith("id") and fk[:-2].lower() == written.lower():
        return fk[:-2]
    return written


def _id15(text: str) -> str | None:
    """The case-sensitive 15-character form of a 15- or 18-character id, or None if malformed."""
    if not text.isascii() or not text.isalnum() or len(text) not in (15, 18):
        return None
    if len(text) == 15:
        return text
    alphabet = "ABCDEFGHIJKLMNOPQRSTUVWXYZ012345"
    chars = list(text[:15])
    for block, code in enumerate(text[15:].upper()):
        if code not in alphabet:
            return None
        bits = alphabet.index(code)
        for offset in range(5):
            index = block * 5 + offset
            if bits & (1 << offset):
                if not chars[index].isalpha():
                    return None
                chars[index] = chars[index].upper()
            else:
                chars[index] = chars[index].lower()
    return "".join(chars)
