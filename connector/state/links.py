"""Id links: which Salesforce record is which HubSpot record, per pipeline.

A link is unique on each side within a pipeline: a record is linked to at most one record of
the other system. The match key (the normalised e-mail) is kept beside it for the fallback
lookup. A lead conversion re-points the Salesforce side from the Lead to its new Contact; the
old id stays findable (``previous_salesforce_*``) and every re-point is kept in
``link_history``.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any

import sqlalchemy as sa

from connector.errors import RecordRejected
from connector.model import Side
from connector.state.dialect import upsert
from connector.state.tables import link_history, links
from connector.state.txbase import TxBase, chunked


def normalise_match_key(value: str) -> str:
    """The form e-mail match keys are stored and looked up in: trimmed, lower case."""
    return value.strip().lower()


@dataclass(frozen=True)
class NewLink:
    """A link to create or confirm."""

    salesforce_object: str
    salesforce_id: str
    hubspot_object: str
    hubspot_id: str
    match_key: str | None = None

    @property
    def salesforce_key(self) -> tuple[str, str]:
        return (self.salesforce_object, self.salesforce_id)

    @property
    def hubspot_key(self) -> tuple[str, str]:
        return (self.hubspot_object, self.hubspot_id)


@dataclass(frozen=True)
class Link:
    """A stored link; ``id`` is what snapshots and audit entries refer to."""

    id: int
    pipeline: str
    salesforce_object: str
    salesforce_id: str
    hubspot_object: str
    hubspot_id: str
    match_key: str | None
    previous_salesforce_object: str | None
    previous_salesforce_id: str | None
    created_at: datetime
    updated_at: datetime


@dataclass(frozen=True)
class LinkChange:
    """One re-point of a link, kept for the record."""

    link_id: int
    side: Side
    from_object: str
    from_id: str
    to_object: str
    to_id: str
    reason: str
    changed_at: datetime


class LinkConflict(RecordRejected):
    """A link would tie a record to a second partner; nothing of the batch was written.

    ``conflicts`` pairs each refused ``NewLink`` with the stored link it collides with (None
    when two links of the same batch collide with each other).
    """

    def __init__(self, pipeline: str, conflicts: Sequence[tuple[NewLink, Link | None]]) -> None:
        self.pipeline = pipeline
        self.conflicts = tuple(conflicts)
        new, old = conflicts[0]
        if old is None:
            detail = "another link of the same batch claims one of its records"
        else:
            detail = (
                f"already linked: {old.salesforce_object} {old.salesforce_id} "
                f"<-> {old.hubspot_object} {old.hubspot_id}"
            )
        more = f" (and {len(conflicts) - 1} more)" if len(conflicts) > 1 else ""
        super().__init__(
            f"pipeline {pipeline}: cannot link {new.salesforce_object} {new.salesforce_id} "
            f"<-> {new.hubspot_object} {new.hubspot_id}: {detail}{more}",
            code="LINK_CONFLICT",
        )


def _link(row: Any) -> Link:
    return Link(
        id=row.id,
        pipeline=row.pipeline,
        salesforce_object=row.salesforce_object,
        salesforce_id=row.salesforce_id,
        hubspot_object=row.hubspot_object,
        hubspot_id=row.hubspot_id,
        match_key=row.match_key,
        previous_salesforce_object=row.previous_salesforce_object,
        previous_salesforce_id=row.previous_salesforce_id,
        created_at=row.created_at,
        updated_at=row.updated_at,
    )


class LinksMixin(TxBase):
    """Look links up (always in bulk underneath), create them, re-point them."""

    def get_link(self, link_id: int) -> Link | None:
        row = self._conn.execute(sa.select(links).where(links.c.id == link_id)).one_or_none()
        return None if row is None else _link(row)

    def get_link_by_salesforce(self, pipeline: str, object: str, id: str) -> Link | None:
        """The link of a Salesforce record; a converted lead's old id finds its link too."""
        return self.links_by_salesforce_ids(pipeline, object, [id]).get(id)

    def get_link_by_hubspot(self, pipeline: str, object: str, id: str) -> Link | None:
        return self.links_by_hubspot_ids(pipeline, object, [id]).get(id)

    def links_by_salesforce_ids(
        self, pipeline: str, object: str, ids: Iterable[str]
    ) -> dict[str, Link]:
        """Links of these Salesforce records, by the id asked for; unlinked ids are absent.

        An id a lead conversion re-pointed away from still answers its link (now naming the
        Contact), so changes read from the converted Lead reach the same HubSpot record.
        """
        found: dict[str, Link] = {}
        # Two queries, each on its index: one OR of both would scan the pipeline's links.
        for batch in chunked(dict.fromkeys(ids)):
            current = sa.select(links).where(
                links.c.pipeline == pipeline,
                links.c.salesforce_object == object,
                links.c.salesforce_id.in_(batch),
            )
            for row in self._conn.execute(current):
                found[row.salesforce_id] = _link(row)
            previous = sa.select(links).where(
                links.c.pipeline == pipeline,
                links.c.previous_salesforce_id.in_(batch),
                links.c.previous_salesforce_object == object,
            )
            for row in self._conn.execute(previous):
                found.setdefault(row.previous_salesforce_id, _link(row))
        return found

    def links_by_hubspot_ids(
        self, pipeline: str, object: str, ids: Iterable[str]
    ) -> dict[str, Link]:
        """Links of these HubSpot records, by id; unlinked ids are absent."""
        found: dict[str, Link] = {}
        for batch in chunked(dict.fromkeys(ids)):
            query = sa.select(links).where(
                links.c.pipeline == pipeline,
                links.c.hubspot_object == object,
                links.c.hubspot_id.in_(batch),
            )
            for row in self._conn.execute(query):
                found[row.hubspot_id] = _link(row)
        return found

    def links_by_match_keys(self, pipeline: str, keys: Iterable[str]) -> dict[str, list[Link]]:
        """Links whose match key is one of ``keys`` (normalised here), by normalised key.

        A key can hold several links (duplicates in one system); the caller decides.
        """
        found: dict[str, list[Link]] = {}
        wanted = dict.fromkeys(normalise_match_key(k) for k in keys)
        for batch in chunked(wanted):
            query = (
                sa.select(links)
                .where(links.c.pipeline == pipeline, links.c.match_key.in_(batch))
                .order_by(links.c.id)
            )
            for row in self._conn.execute(query):
                found.setdefault(row.match_key, []).append(_link(row))
        return found

    def links_for(self, pipeline: str) -> list[Link]:
        """Every link of a pipeline, oldest first."""
        query = sa.select(links).where(links.c.pipeline == pipeline).order_by(links.c.id)
        return [_link(row) for row in self._conn.execute(query)]

    def upsert_link(
        self,
        pipeline: str,
        *,
        salesforce_object: str,
        salesforce_id: str,
        hubspot_object: str,
        hubspot_id: str,
        match_key: str | None = None,
    ) -> Link:
        """Create the link, or confirm it (refreshing its match key); see ``upsert_links``."""
        new = NewLink(salesforce_object, salesforce_id, hubspot_object, hubspot_id, match_key)
        return self.upsert_links(pipeline, [new])[0]

    def upsert_links(self, pipeline: str, new_links: Sequence[NewLink]) -> list[Link]:
        """Create or confirm many links; the stored links, in the order given.

        Raises ``LinkConflict``, before writing anything, when a record is already linked to
        a different partner or appears twice in the batch with different partners.
        """
        if not new_links:
            return []
        wanted = list(dict.fromkeys(_normalised(n) for n in new_links))
        conflicts = _batch_conflicts(wanted)
        existing = self._existing(pipeline, wanted)
        by_sf = {(x.salesforce_object, x.salesforce_id): x for x in existing}
        by_hs = {(x.hubspot_object, x.hubspot_id): x for x in existing}
        inserts: list[dict[str, Any]] = []
        updates: list[dict[str, Any]] = []
        now = self._now()
        for new in wanted:
            on_sf, on_hs = by_sf.get(new.salesforce_key), by_hs.get(new.hubspot_key)
            if on_sf is None and on_hs is None:
                inserts.append(_row(pipeline, new, now))
            elif on_sf is not None and on_sf is on_hs:
                if new.match_key is not None and new.match_key != on_sf.match_key:
                    updates.append({"b_id": on_sf.id, "b_key": new.match_key, "b_at": now})
            else:
                conflicts.append((new, on_sf or on_hs))
        if conflicts:
            raise LinkConflict(pipeline, conflicts)
        if inserts:
            # DO NOTHING rather than fail: a concurrent writer may have linked the same pair
            # since we looked; the check below tells a harmless race from a real conflict.
            upsert(self._conn, links, inserts, keys=())
        if updates:
            self._conn.execute(
                sa.update(links)
                .where(links.c.id == sa.bindparam("b_id"))
                .values(match_key=sa.bindparam("b_key"), updated_at=sa.bindparam("b_at")),
                updates,
            )
        stored = {
            (x.salesforce_object, x.salesforce_id): x for x in self._existing(pipeline, wanted)
        }
        result: list[Link] = []
        lost: list[tuple[NewLink, Link | None]] = []
        for new in wanted:
            link = stored.get(new.salesforce_key)
            if link is None or (link.hubspot_object, link.hubspot_id) != new.hubspot_key:
                lost.append((new, link))
            else:
                result.append(link)
        if lost:
            raise LinkConflict(pipeline, lost)
        by_key = {(x.salesforce_object, x.salesforce_id): x for x in result}
        return [by_key[_normalised(n).salesforce_key] for n in new_links]

    def _existing(self, pipeline: str, wanted: Sequence[NewLink]) -> list[Link]:
        """Stored links touching any record of ``wanted`` on either side."""
        found: dict[int, Link] = {}
        # One query per side and object, each on its unique index: an OR of the two id lists,
        # or a side's ids without its object, would scan every link of the pipeline for each
        # chunk, and a backfill would slow down as it goes.
        ids: dict[tuple[Side, str], set[str]] = {}
        for new in wanted:
            ids.setdefault((Side.SALESFORCE, new.salesforce_object), set()).add(new.salesforce_id)
            ids.setdefault((Side.HUBSPOT, new.hubspot_object), set()).add(new.hubspot_id)
        for (side, object_name), side_ids in ids.items():
            if side is Side.SALESFORCE:
                object_column, id_column = links.c.salesforce_object, links.c.salesforce_id
            else:
                object_column, id_column = links.c.hubspot_object, links.c.hubspot_id
            for batch in chunked(sorted(side_ids)):
                query = sa.select(links).where(
                    links.c.pipeline == pipeline,
                    object_column == object_name,
                    id_column.in_(batch),
                )
                for row in self._conn.execute(query):
                    found[row.id] = _link(row)
        return list(found.values())

    def repoint_link(
        self,
        pipeline: str,
        salesforce_object: str,
        salesforce_id: str,
        *,
        to_object: str,
        to_id: str,
        reason: str = "lead converted",
    ) -> Link | None:
        """Point a link's Salesforce side at another record (a converted Lead's Contact).

        The HubSpot side, the snapshots and the audit trail stay with the link. Repeating a
        re-point already done answers the link unchanged; a record with no link answers None.
        Raises ``LinkConflict`` when the new record is already linked elsewhere.
        """
        current = self._conn.execute(
            sa.select(links).where(
                links.c.pipeline == pipeline,
                links.c.salesforce_object == salesforce_object,
                links.c.salesforce_id == salesforce_id,
            )
        ).one_or_none()
        target = self._conn.execute(
            sa.select(links).where(
                links.c.pipeline == pipeline,
                links.c.salesforce_object == to_object,
                links.c.salesforce_id == to_id,
            )
        ).one_or_none()
        if current is None:
            if target is not None and (
                target.previous_salesforce_object,
                target.previous_salesforce_id,
            ) == (salesforce_object, salesforce_id):
                return _link(target)
            return None
        link = _link(current)
        if target is not None:
            new = NewLink(to_object, to_id, link.hubspot_object, link.hubspot_id, link.match_key)
            raise LinkConflict(pipeline, [(new, _link(target))])
        now = self._now()
        self._conn.execute(
            sa.update(links)
            .where(links.c.id == link.id)
            .values(
                salesforce_object=to_object,
                salesforce_id=to_id,
                previous_salesforce_object=salesforce_object,
                previous_salesforce_id=salesforce_id,
                updated_at=now,
            )
        )
        self._conn.execute(
            sa.insert(link_history).values(
                link_id=link.id,
                side=Side.SALESFORCE.value,
                from_object=salesforce_object,
                from_id=salesforce_id,
                to_object=to_object,
                to_id=to_id,
                reason=reason,
                changed_at=now,
            )
        )
        return self.get_link(link.id)

    def link_history(self, link_id: int) -> list[LinkChange]:
        """Every re-point of a link, oldest first."""
        query = (
            sa.select(link_history)
            .where(link_history.c.link_id == link_id)
            .order_by(link_history.c.id)
        )
        return [
            LinkChange(
                link_id=row.link_id,
                side=Side(row.side),
                from_object=row.from_object,
                from_id=row.from_id,
                to_object=row.to_object,
                to_id=row.to_id,
                reason=row.reason,
                changed_at=row.changed_at,
            )
            for row in self._conn.execute(query)
        ]

    def delete_links(self, link_ids: Iterable[int]) -> int:
        """Remove links (a record deleted or merged away); their snapshots go with them."""
        removed = 0
        for batch in chunked(link_ids):
            removed += self._conn.execute(sa.delete(links).where(links.c.id.in_(batch))).rowcount
        return removed


def _normalised(new: NewLink) -> NewLink:
    if new.match_key is None:
        return new
    return NewLink(
        new.salesforce_object,
        new.salesforce_id,
        new.hubspot_object,
        new.hubspot_id,
        normalise_match_key(new.match_key),
    )


def _batch_conflicts(wanted: Sequence[NewLink]) -> list[tuple[NewLink, Link | None]]:
    """Links of one batch that claim the same record with different partners."""
    conflicts: list[tuple[NewLink, Link | None]] = []
    sf_seen: dict[tuple[str, str], NewLink] = {}
    hs_seen: dict[tuple[str, str], NewLink] = {}
    for new in wanted:
        other_sf = sf_seen.setdefault(new.salesforce_key, new)
        other_hs = hs_seen.setdefault(new.hubspot_key, new)
        if other_sf.hubspot_key != new.hubspot_key or other_hs.salesforce_key != new.salesforce_key:
            conflicts.append((new, None))
    return conflicts


def _row(pipeline: str, new: NewLink, now: datetime) -> dict[str, Any]:
    return {
        "pipeline": pipeline,
        "salesforce_object": new.salesforce_object,
        "salesforce_id": new.salesforce_id,
        "hubspot_object": new.hubspot_object,
        "hubspot_id": new.hubspot_id,
        "match_key": new.match_key,
        "previous_salesforce_object": None,
        "previous_salesforce_id": None,
        "created_at": now,
        "updated_at": now,
    }
