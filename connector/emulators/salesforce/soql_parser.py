"""The SOQL grammar a sync uses, parsed by recursive descent; anything outside it is refused.

Supported: ``SELECT`` paths, ``COUNT()`` or ``FIELDS(ALL|STANDARD|CUSTOM)``; ``FROM`` one object;
``WHERE`` comparisons joined by ``AND``/``OR``/``NOT`` and parentheses; ``ORDER BY`` with
``ASC|DESC`` and ``NULLS FIRST|LAST``; ``LIMIT``; ``OFFSET``. Everything else Salesforce offers
(GROUP BY, subqueries, functions, TYPEOF, WITH, FOR UPDATE...) is answered as the real parser
answers a typo: ``MALFORMED_QUERY`` naming the unexpected token, so no query ever gets a silently
wrong result. Parsing checks syntax only; names are checked against a schema by ``soql_eval``.
"""

from __future__ import annotations

from functools import lru_cache

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
    Operator,
    Or,
    OrderItem,
    Path,
    Query,
    StringValue,
    Value,
)
from connector.emulators.salesforce.soql_dates import (
    DATE_CONSTANTS,
    is_date,
    parse_stamp,
    stamp_of,
)
from connector.emulators.salesforce.soql_lexer import SoqlError, Token, tokenize

# Words that end or structure a clause, so they can never stand for a field or an object.
_RESERVED = frozenset(
    [
        "SELECT",
        "FROM",
        "WHERE",
        "AND",
        "OR",
        "NOT",
        "IN",
        "LIKE",
        "INCLUDES",
        "EXCLUDES",
        "ORDER",
        "BY",
        "GROUP",
        "HAVING",
        "LIMIT",
        "OFFSET",
        "WITH",
        "USING",
        "SCOPE",
        "FOR",
        "UPDATE",
        "VIEW",
        "REFERENCE",
        "TYPEOF",
        "WHEN",
        "THEN",
        "ELSE",
        "END",
        "ASC",
        "DESC",
        "NULLS",
        "NULL",
        "TRUE",
        "FALSE",
        "ROLLUP",
        "CUBE",
    ]
)
_COMPARISONS: dict[str, Operator] = {
    "=": "=",
    "!=": "!=",
    "<>": "!=",
    "<": "<",
    "<=": "<=",
    ">": ">",
    ">=": ">=",
}
# FIELDS(ALL) and FIELDS(CUSTOM) are "unbounded" unless the query pages at most 200 rows.
_FIELDS_LIMIT = 200


@lru_cache(maxsize=512)
def parse(text: str) -> Query:
    """The query ``text`` stands for; raises ``SoqlError`` (MALFORMED_QUERY) if it is not SOQL."""
    return _Parser(text).query()


class _Parser:
    def __init__(self, text: str) -> None:
        self.text = text
        self.tokens = tokenize(text)
        self.index = 0

    # -- token helpers -------------------------------------------------------------------

    @property
    def token(self) -> Token:
        return self.tokens[self.index]

    def advance(self) -> Token:
        token = self.tokens[self.index]
        if token.kind != "eof":
            self.index += 1
        return token

    def unexpected(self, token: Token | None = None) -> SoqlError:
        token = token or self.token
        shown = token.text if token.kind != "eof" else "<EOF>"
        return SoqlError.at(
            "MALFORMED_QUERY", self.text, token.start, f"unexpected token: '{shown}'"
        )

    def expect_keyword(self, word: str) -> Token:
        if not self.token.keyword(word):
            raise self.unexpected()
        return self.advance()

    def expect_punct(self, char: str) -> Token:
        if self.token.kind != "punct" or self.token.text != char:
            raise self.unexpected()
        return self.advance()

    def at_punct(self, char: str) -> bool:
        return self.token.kind == "punct" and self.token.text == char

    def name(self) -> Token:
        """A field path or object name: an identifier that is not a SOQL keyword."""
        token = self.token
        if token.kind != "ident" or token.text.upper() in _RESERVED:
            raise self.unexpected()
        self.advance()
        if self.at_punct("("):
            # A function call: aggregates, toLabel(), FORMAT(), DAY_ONLY()... none offered.
            raise self.unexpected()
        return token

    def integer(self) -> int:
        token = self.token
        if token.kind != "number" or not token.text.isdigit():
            raise self.unexpected()
        self.advance()
        return int(token.text)

    # -- clauses -------------------------------------------------------------------------

    def query(self) -> Query:
        self.expect_keyword("SELECT")
        count_only = False
        fields: list[str] = []
        positions: list[int] = []
        if self.token.keyword("COUNT") and self.tokens[self.index + 1].text == "(":
            self.advance()
            self.expect_punct("(")
            self.expect_punct(")")
            count_only = True
        else:
            while True:
                fields_item = self.fields_function()
                if fields_item is None:
                    token = self.name()
                    fields.append(token.text)
                else:
                    token, kind = fields_item
                    fields.append(f"FIELDS({kind})")
                positions.append(token.start)
                if not self.at_punct(","):
                    break
                self.advance()
        self.expect_keyword("FROM")
        object_token = self.name()
        if "." in object_token.text:
            raise SoqlError.at(
                "MALFORMED_QUERY",
                self.text,
                object_token.start + object_token.text.index("."),
                "unexpected token: '.'",
            )
        where = None
        if self.token.keyword("WHERE"):
            self.advance()
            where = self.condition()
        order_by: tuple[OrderItem, ...] = ()
        if self.token.keyword("ORDER"):
            self.advance()
            self.expect_keyword("BY")
            order_by = self.order_items()
        limit = offset = None
        if self.token.keyword("LIMIT"):
            self.advance()
            limit = self.integer()
        if self.token.keyword("OFFSET"):
            self.advance()
            offset = self.integer()
        if self.token.kind != "eof":
            raise self.unexpected()
        self.check_fields_bounded(fields, positions, limit)
        return Query(
            object_name=object_token.text,
            fields=tuple(fields),
            where=where,
            order_by=order_by,
            limit=limit,
            offset=offset,
            count_only=count_only,
            text=self.text,
            object_pos=object_token.start,
            field_positions=tuple(positions),
        )

    def fields_function(self) -> tuple[Token, str] | None:
        if not (self.token.keyword("FIELDS") and self.tokens[self.index + 1].text == "("):
            return None
        token = self.advance()
        self.expect_punct("(")
        kind = self.token
        if not kind.keyword("ALL", "STANDARD", "CUSTOM"):
            raise self.unexpected()
        self.advance()
        self.expect_punct(")")
        return token, kind.text.upper()

    def check_fields_bounded(
        self, fields: list[str], positions: list[int], limit: int | None
    ) -> None:
        for item, pos in zip(fields, positions, strict=True):
            if item in ("FIELDS(ALL)", "FIELDS(CUSTOM)") and (
                limit is None or limit > _FIELDS_LIMIT
            ):
                raise SoqlError.at(
                    "MALFORMED_QUERY",
                    self.text,
                    pos,
                    f"The SOQL FIELDS function must have a LIMIT of at most {_FIELDS_LIMIT}",
                )

    def order_items(self) -> tuple[OrderItem, ...]:
        items = []
        while True:
            token = self.name()
            descending = False
            if self.token.keyword("ASC", "DESC"):
                descending = self.advance().text.upper() == "DESC"
            nulls_last = descending
            if self.token.keyword("NULLS"):
                self.advance()
                if not self.token.keyword("FIRST", "LAST"):
                    raise self.unexpected()
                nulls_last = self.advance().text.upper() == "LAST"
            items.append(OrderItem(_path(token), descending, nulls_last))
            if not self.at_punct(","):
                return tuple(items)
            self.advance()

    # -- conditions ----------------------------------------------------------------------

    def condition(self) -> Condition:
        """Items joined by one kind of operator; mixing AND and OR needs parentheses in SOQL."""
        items = [self.unary()]
        joiner = ""
        while self.token.keyword("AND", "OR"):
            word = self.token.text.upper()
            if joiner and word != joiner:
                raise self.unexpected()
            joiner = word
            self.advance()
            items.append(self.unary())
        if not joiner:
            return items[0]
        return And(tuple(items)) if joiner == "AND" else Or(tuple(items))

    def unary(self) -> Condition:
        if self.token.keyword("NOT"):
            self.advance()
            return Not(self.unary())
        if self.at_punct("("):
            self.advance()
            inner = self.condition()
            self.expect_punct(")")
            return inner
        return self.comparison()

    def comparison(self) -> Comparison:
        path = _path(self.name())
        token = self.token
        op: Operator
        if token.kind == "op":
            op = _COMPARISONS[token.text]
        elif token.keyword("LIKE"):
            op = "LIKE"
        elif token.keyword("IN"):
            op = "IN"
        elif token.keyword("NOT") and self.tokens[self.index + 1].keyword("IN"):
            self.advance()
            op = "NOT IN"
        elif token.keyword("NOT"):
            raise self.unexpected(self.tokens[self.index + 1])
        else:
            raise self.unexpected()
        self.advance()
        if op in ("IN", "NOT IN"):
            self.expect_punct("(")
            values = [self.value(op)]
            while self.at_punct(","):
                self.advance()
                values.append(self.value(op))
            self.expect_punct(")")
            return Comparison(path, op, tuple(values), token.start)
        return Comparison(path, op, (self.value(op),), token.start)

    def value(self, op: Operator) -> Value:
        token = self.advance()
        kind = token.kind
        if kind == "string":
            if token.like_escape and op != "LIKE":
                raise SoqlError.at(
                    "MALFORMED_QUERY",
                    self.text,
                    token.start,
                    f"Invalid string literal {token.text}. The escape sequences \\% and \\_ "
                    "are only allowed in a LIKE expression.",
                )
            return StringValue(token.value, token.pattern, token.text, token.start)
        if kind == "number":
            number = float(token.text) if "." in token.text else int(token.text)
            return NumberValue(number, token.text, token.start)
        if kind == "date":
            if not is_date(token.text):
                raise SoqlError.at(
                    "MALFORMED_QUERY", self.text, token.start, f"Invalid date: {token.text}"
                )
            return DateValue(token.text, token.text, token.start)
        if kind == "datetime":
            try:
                instant = parse_stamp(token.text)
            except ValueError:
                raise SoqlError.at(
                    "MALFORMED_QUERY", self.text, token.start, f"Invalid datetime: {token.text}"
                ) from None
            return DateTimeValue(stamp_of(instant), token.text, token.start)
        if kind == "punct" and token.text == ":" and self.token.kind == "ident":
            raise SoqlError.at(
                "MALFORMED_QUERY",
                self.text,
                token.start,
                "Bind variables only allowed in Apex code",
            )
        if kind == "ident":
            word = token.text.upper()
            if word in ("TRUE", "FALSE"):
                return BoolValue(word == "TRUE", token.text, token.start)
            if word == "NULL":
                return NullValue(token.text, token.start)
            if word in DATE_CONSTANTS:
                return self.date_constant(token, word)
        raise self.unexpected(token)

    def date_constant(self, token: Token, word: str) -> DateConstant:
        if not DATE_CONSTANTS[word]:
            return DateConstant(word, None, token.text, token.start)
        self.expect_punct(":")
        n = self.integer()
        return DateConstant(
            word, n, self.text[token.start : self.tokens[self.index - 1].end], token.start
        )


def _path(token: Token) -> Path:
    return Path(tuple(token.text.split(".")), token.start)
