"""hubspot-api-client, configured once and called through crmsync's HTTP layer.

The client is built the SDK's supported way: keyword arguments of ``HubSpot(...)`` become
attributes of every API package's ``Configuration``, so ``host`` points it at ``base_url``,
``ssl_ca_cert`` names the CA file (``verify_ssl`` stays on), and ``retry`` is a urllib3
``Retry(total=False)``: urllib3 retries nothing, ``http.py`` decides. Each API object is built
once (each builds its own connection pool). Calls return the status and the parsed body:
bodies are read by ``HubSpotCaller``, never by the SDK's deserialiser.
"""

from __future__ import annotations

import json
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Any

from hubspot import HubSpot
from pydantic import SecretStr
from urllib3.util.retry import Retry

from connector.errors import ConfigError, SystemUnreachable
from connector.model import Side
from connector.systems.budget import CallKind
from connector.systems.classify import vendor_error
from connector.systems.http import HubSpotCaller, Transport
from connector.systems.retry import CallRunner, Reply


@dataclass(frozen=True)
class Answer:
    """A 2xx (or refused) HubSpot answer: its status and parsed JSON body."""

    status: int
    data: Any

    @property
    def ok(self) -> bool:
        return 200 <= self.status < 300


def _parse(reply: Reply) -> Answer:
    if not reply.body:
        return Answer(reply.status, None)
    try:
        return Answer(reply.status, json.loads(reply.body))
    except ValueError:
        return Answer(reply.status, reply.body.decode("utf-8", "replace"))


class HubSpotApi:
    """The CRM endpoints crmsync uses, each one SDK method called through ``HubSpotCaller``."""

    def __init__(
        self, access_token: SecretStr, base_url: str, transport: Transport, runner: CallRunner
    ) -> None:
        runner.scrub.add(access_token)
        self.runner = runner
        self.caller = HubSpotCaller(runner, base_url, transport.timeout_s)
        client = HubSpot(
            access_token=access_token.get_secret_value(),
            host=base_url.rstrip("/"),
            ssl_ca_cert=transport.ca_file,
            verify_ssl=True,
            retry=Retry(total=False),
        )
        crm = client.crm
        self._basic = crm.objects.basic_api
        self._batch = crm.objects.batch_api
        self._search = crm.objects.search_api
        self._properties = crm.properties.core_api
        self._owners = crm.owners.owners_api
        self._associations = crm.associations.v4.batch_api

    def _call(
        self,
        fn: Callable[..., Any],
        *args: Any,
        path: str,
        kind: CallKind,
        method: str = "POST",
        **kwargs: Any,
    ) -> Answer:
        reply = self.caller.call(fn, *args, method=method, path=path, kind=kind, **kwargs)
        return _parse(reply)

    def _ok(self, answer: Answer, what: str) -> Any:
        """The body of a read that must succeed; a refusal names what was asked."""
        if answer.ok:
            return answer.data
        raw = answer.data if isinstance(answer.data, str) else json.dumps(answer.data)
        code, message = vendor_error(Side.HUBSPOT, raw)
        text = self.runner.scrub(f"{code}: {message}" if code else message)
        if answer.status in (400, 404):
            raise ConfigError("HubSpot", f"{what} was refused ({answer.status} {text})")
        raise SystemUnreachable(f"HubSpot answered {answer.status} to {what}: {text}")

    # -- reads --------------------------------------------------------------------------------

    def search(self, object_type: str, body: dict[str, Any]) -> dict[str, Any]:
        answer = self._call(
            self._search.do_search,
            object_type,
            body,
            path=f"/crm/v3/objects/{object_type}/search",
            kind=CallKind.SEARCH,
        )
        return dict(self._ok(answer, f"search {object_type}") or {})

    def list_page(
        self, object_type: str, properties: Sequence[str], after: str | None, limit: int
    ) -> dict[str, Any]:
        kwargs: dict[str, Any] = {"limit": limit, "properties": list(properties)}
        if after is not None:
            kwargs["after"] = after
        answer = self._call(
            self._basic.get_page,
            object_type,
            path=f"/crm/v3/objects/{object_type}",
            kind=CallKind.READ,
            method="GET",
            archived=False,
            **kwargs,
        )
        return dict(self._ok(answer, f"list {object_type}") or {})

    def batch_read(self, object_type: str, body: dict[str, Any]) -> dict[str, Any]:
        answer = self._call(
            self._batch.read,
            object_type,
            body,
            path=f"/crm/v3/objects/{object_type}/batch/read",
            kind=CallKind.READ,
        )
        # 207: some ids were not found; they are simply absent from the results.
        return dict(self._ok(answer, f"batch read {object_type}") or {})

    def properties(self, object_type: str) -> dict[str, Any]:
        answer = self._call(
            self._properties.get_all,
            object_type,
            path=f"/crm/v3/properties/{object_type}",
            kind=CallKind.READ,
            method="GET",
            archived=False,
        )
        return dict(self._ok(answer, f"properties of {object_type}") or {})

    def owners_page(self, after: str | None, limit: int = 100) -> dict[str, Any]:
        kwargs: dict[str, Any] = {"limit": limit, "archived": False}
        if after is not None:
            kwargs["after"] = after
        answer = self._call(
            self._owners.get_page, path="/crm/v3/owners", kind=CallKind.READ, method="GET", **kwargs
        )
        return dict(self._ok(answer, "owners") or {})

    # -- writes -------------------------------------------------------------------------------

    def batch_write(self, verb: str, object_type: str, body: dict[str, Any]) -> Answer:
        """``batch/create``, ``batch/update`` or ``batch/upsert``.

        Refusals are answered, not raised: the writer maps them to the inputs.
        """
        method = {"create": self._batch.create, "update": self._batch.update}.get(
            verb, self._batch.upsert
        )
        return self._call(
            method,
            object_type,
            body,
            path=f"/crm/v3/objects/{object_type}/batch/{verb}",
            kind=CallKind.WRITE,
        )

    def associate_default(self, from_type: str, to_type: str, body: dict[str, Any]) -> Answer:
        return self._call(
            self._associations.create_default,
            from_type,
            to_type,
            body,
            path=f"/crm/v4/associations/{from_type}/{to_type}/batch/associate/default",
            kind=CallKind.WRITE,
        )
