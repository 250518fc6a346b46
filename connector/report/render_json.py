"""The report as JSON, for machines: the same keys every time, zeros included.

Keys are fixed by this module (``FORMAT_VERSION`` changes when one is renamed or removed);
systems are keyed ``salesforce`` and ``hubspot``, stages and reasons by their canonical names.
Dates are ``YYYY-MM-DD``, instants ISO 8601 in UTC, rates fractions (``0.5``) or ``null`` when
nothing entered the step.
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from datetime import UTC, datetime
from typing import Any

from connector.report.model import (
    ConversionStep,
    Person,
    Report,
    SystemConversions,
    SystemDispositions,
    SystemFunnel,
)

FORMAT_VERSION = 1


def render_json(report: Report) -> str:
    return json.dumps(as_json(report), indent=2, ensure_ascii=False)


def as_json(report: Report) -> dict[str, Any]:
    state = report.state
    return {
        "format_version": FORMAT_VERSION,
        "generated_at": _instant(report.generated_at),
        "today": report.today.isoformat(),
        "state": {
            "store": state.store,
            "has_state": state.has_state,
            "runs": state.runs,
            "last_run_at": _instant(state.last_run_at),
            "links": state.links,
            "open_dead_letters": state.open_dead_letters,
        },
        "notices": list(report.notices),
        "funnel": {f.system.value: _funnel(f) for f in report.funnel},
        "conversions": {c.system.value: _conversions(c) for c in report.conversions},
        "dispositions": {d.system.value: _dispositions(d) for d in report.dispositions},
        "recycle_queue": {
            "window_days": report.recycle.window_days,
            "returns": [
                {
                    **_person(e.person),
                    "reason": e.reason,
                    "recycle_on": e.recycle_on.isoformat(),
                    "days": e.days,
                }
                for e in report.recycle.returns
            ],
            "renewals": [
                {
                    **_person(e.person),
                    "stage": e.stage,
                    "contract_end": e.contract_end.isoformat(),
                    "days": e.days,
                }
                for e in report.recycle.renewals
            ],
        },
        "sla": {
            "hours": report.sla.hours,
            "measured": report.sla.measured,
            "within": report.sla.within,
            "breaches": [
                {
                    "pipeline": b.pipeline,
                    "record": b.record,
                    "link_id": b.link_id,
                    "name": b.name,
                    "state": b.state.value,
                    "mql_at": _instant(b.mql_at),
                    "touched_at": _instant(b.touched_at),
                    "hours": b.hours,
                }
                for b in report.sla.breaches
            ],
        },
        "drift": {
            "pairs_checked": report.drift.pairs_checked,
            "records": report.drift.records,
            "by_pipeline": dict(report.drift.by_pipeline),
            "by_field": dict(report.drift.by_field),
            "sample": [
                {
                    "pipeline": d.pipeline,
                    "salesforce": d.salesforce,
                    "hubspot": d.hubspot,
                    "name": d.name,
                    "fields": [
                        {
                            "field": f.key,
                            "salesforce_field": f.salesforce_field,
                            "hubspot_field": f.hubspot_field,
                            "salesforce": f.salesforce,
                            "hubspot": f.hubspot,
                        }
                        for f in d.fields
                    ],
                }
                for d in report.drift.sample
            ],
        },
    }


def _funnel(funnel: SystemFunnel) -> dict[str, Any]:
    return {
        "objects": list(funnel.objects),
        "records": funnel.records,
        "stages": dict(funnel.stages),
        "unmapped_values": [
            {"field": u.field, "value": u.value, "records": u.records} for u in funnel.unmapped
        ],
    }


def _conversions(conv: SystemConversions) -> dict[str, Any]:
    return {
        "reached": dict(conv.reached),
        "steps": [_step(s) for s in conv.steps],
        "overall": _step(conv.overall),
    }


def _step(step: ConversionStep) -> dict[str, Any]:
    rate = step.rate
    return {
        "from": step.source,
        "to": step.target,
        "entered": step.entered,
        "advanced": step.advanced,
        "rate": None if rate is None else round(rate, 4),
    }


def _dispositions(disp: SystemDispositions) -> dict[str, Any]:
    return {
        "by_reason": dict(disp.by_reason),
        "by_source": {
            s.source: {
                "records": s.records,
                "disqualified": s.disqualified,
                "not_a_lead": s.not_a_lead,
                "by_reason": dict(s.by_reason),
            }
            for s in disp.by_source
        },
    }


def _person(p: Person) -> Mapping[str, Any]:
    return {
        "system": p.system.value,
        "object": p.object,
        "id": p.id,
        "name": p.name,
        "company": p.company,
        "email": p.email,
    }


def _instant(value: datetime | None) -> str | None:
    if value is None:
        return None
    return value.astimezone(UTC).isoformat().replace("+00:00", "Z")
