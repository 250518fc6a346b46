"""Reading HubSpot changes through search, past its cap of 10,000 results per query.

One search query pages through at most 10,000 results (asking for more is refused), sorted by
the modification property. To read any number of changes, the reader **windows**: when a
query reaches the cap, it starts a new query from the modification time of the last record
read, and drops the records of that instant it has already handed out. Should more than a
whole query's worth of records share one instant, that instant alone is read ordered by
``hs_object_id`` (windowed the same way), and the reader then goes on strictly after it.

Every query is bounded above by ``until``, fixed when the read starts: HubSpot's search index
lags its writes by a few seconds, so a record modified just now may not be searchable yet;
reading only up to ``now - lag`` means a cursor never moves past a change search has not shown.
"""

from __future__ import annotations

from collections.abc import Callable, Generator, Iterator, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any

SEARCH_PAGE = 200
SEARCH_CAP = 10_000
_EPOCH = datetime(1970, 1, 1, tzinfo=UTC)

Search = Callable[[dict[str, Any]], dict[str, Any]]
Window = Generator[dict[str, Any], None, tuple[int | None, set[str], bool]]


def epoch_ms(instant: datetime) -> int:
    """An instant as the epoch milliseconds search filters take (floored)."""
    aware = instant if instant.tzinfo else instant.replace(tzinfo=UTC)
    return (aware - _EPOCH) // timedelta(milliseconds=1)


def parse_instant(text: object) -> datetime | None:
    """HubSpot's ISO 8601 instants (``2024-01-05T10:11:12.345Z``) as aware UTC datetimes."""
    if not isinstance(text, str) or not text:
        return None
    try:
        value = datetime.fromisoformat(text)
    except ValueError:
        if text.isdigit():  # epoch milliseconds, as some properties are stored
            return _EPOCH + timedelta(milliseconds=int(text))
        return None
    return (value if value.tzinfo else value.replace(tzinfo=UTC)).astimezone(UTC)


@dataclass(frozen=True)
class Bound:
    """A lower bound on the modification time: at (``GTE``) or after (``GT``) ``at_ms``."""

    at_ms: int
    inclusive: bool = True


class ChangeSearch:
    """One read of changes of one object, windowed past the search cap."""

    def __init__(
        self,
        search: Search,
        modified_property: str,
        properties: Sequence[str],
        until: datetime,
        *,
        page: int = SEARCH_PAGE,
        cap: int = SEARCH_CAP,
    ) -> None:
        self.search = search
        self.modified_property = modified_property
        self.properties = list(dict.fromkeys([*properties, modified_property]))
        self.until_ms = epoch_ms(until)
        self.page = page
        self.cap = cap
        self.windows = 0

    def modified_ms(self, result: dict[str, Any]) -> int | None:
        props = result.get("properties") or {}
        instant = parse_instant(props.get(self.modified_property)) or parse_instant(
            result.get("updatedAt")
        )
        return epoch_ms(instant) if instant else None

    def read(self, since: datetime | None) -> Iterator[dict[str, Any]]:
        """Every result modified at or after ``since`` and before ``until``, oldest first.

        Each comes once (a record changed again during the read may come twice, once per
        change, as any later read would show it).
        """
        bound = Bound(epoch_ms(since)) if since is not None else None
        skip: set[str] = set()
        while True:
            last_ms, at_last, capped = yield from self._window(bound, skip)
            if not capped or last_ms is None:
                return
            if bound is not None and last_ms == bound.at_ms:
                # A whole query's worth of records at one instant: read it by id, then go on.
                yield from self._instant(last_ms, skip | at_last)
                bound, skip = Bound(last_ms, inclusive=False), set()
            else:
                bound, skip = Bound(last_ms), at_last

    def _window(self, bound: Bound | None, skip: set[str]) -> Window:
        """One query, paged up to the cap.

        Returns the last instant read, the ids read at it, and whether the cap stopped it.
        """
        self.windows += 1
        filters = [self._filter("LT", self.until_ms)]
        if bound is not None:
            filters.insert(0, self._filter("GTE" if bound.inclusive else "GT", bound.at_ms))
        last_ms: int | None = None
        at_last: set[str] = set()
        after: str | None = None
        while True:
            answer = self.search(self._body(filters, self.modified_property, after))
            for result in answer.get("results") or ():
                object_id = str(result.get("id"))
                stamp = self.modified_ms(result)
                if stamp != last_ms:
                    last_ms, at_last = stamp, set()
                at_last.add(object_id)
                if bound is not None and stamp == bound.at_ms and object_id in skip:
                    continue
                yield result
            after = _next_after(answer)
            if after is None:
                return last_ms, at_last, False
            if _offset(after) >= self.cap:
                return last_ms, at_last, True

    def _instant(self, at_ms: int, skip: set[str]) -> Iterator[dict[str, Any]]:
        """Every record modified exactly at ``at_ms``, by ascending id, windowed by id."""
        after_id: int | None = None
        while True:
            self.windows += 1
            filters = [self._filter("EQ", at_ms)]
            if after_id is not None:
                filters.append(
                    {"propertyName": "hs_object_id", "operator": "GT", "value": str(after_id)}
                )
            after: str | None = None
            capped = False
            while True:
                answer = self.search(self._body(filters, "hs_object_id", after))
                for result in answer.get("results") or ():
                    object_id = str(result.get("id"))
                    if object_id.isdigit():
                        after_id = max(after_id or 0, int(object_id))
                    if object_id not in skip:
                        yield result
                after = _next_after(answer)
                if after is None:
                    break
                if _offset(after) >= self.cap:
                    capped = True
                    break
            if not capped:
                return

    def _filter(self, operator: str, at_ms: int) -> dict[str, str]:
        return {"propertyName": self.modified_property, "operator": operator, "value": str(at_ms)}

    def _body(self, filters: list[dict[str, str]], sort: str, after: str | None) -> dict[str, Any]:
        body: dict[str, Any] = {
            "filterGroups": [{"filters": filters}],
            "sorts": [{"propertyName": sort, "direction": "ASCENDING"}],
            "properties": self.properties,
            "limit": self.page,
        }
        if after is not None:
            body["after"] = after
        return body


def _next_after(answer: dict[str, Any]) -> str | None:
    paging = answer.get("paging") or {}
    after = (paging.get("next") or {}).get("after")
    return str(after) if after not in (None, "") else None


def _offset(after: str) -> int:
    # Search's paging token is the offset of the next result; a token that is not a number
    # cannot be judged against the cap and is simply followed.
    try:
        return int(after)
    except ValueError:
        return -1
