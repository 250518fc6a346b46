"""Both adapters built from the config and its secrets, as every verb gets them.

Nothing here touches the network: Salesforce logs in on its first call, HubSpot's token is
only sent with its first call. Secrets are read through ``Secrets`` (environment or file),
stay in ``SecretStr`` and go no further than the adapters' HTTP layer.
"""

from __future__ import annotations

from typing import Any

from pydantic import SecretStr

from connector.config import Config, HubSpotConfig, SalesforceConfig, Secrets
from connector.systems.http import Transport
from connector.systems.hubspot import HubSpotSystem
from connector.systems.salesforce import SalesforceSystem
from connector.systems.salesforce_auth import SalesforceCredentials


def build_systems(
    config: Config, secrets: Secrets | None = None, **options: Any
) -> tuple[SalesforceSystem, HubSpotSystem]:
    """The Salesforce and HubSpot adapters for ``config``.

    ``options`` go to both constructors where they apply (``sleep``, ``monotonic``, ``clock``,
    ``retry``), so tests and the daemon can pass time in.
    """
    secrets = secrets or Secrets(config)
    return build_salesforce(config, secrets, **options), build_hubspot(config, secrets, **options)


def build_salesforce(config: Config, secrets: Secrets, **options: Any) -> SalesforceSystem:
    section: SalesforceConfig = config.file.salesforce
    client_id = section.client_id
    if client_id is None and section.client_id_env:
        client_id = _plain(secrets.read("salesforce", "client_id"))
    key_path = config.resolve_path(section.private_key_file)
    private_key = None
    if key_path is not None:
        private_key = secrets.read("salesforce", "private_key", required=False)
    credentials = SalesforceCredentials(
        login_url=section.login_url,
        api_version=section.api_version,
        client_id=client_id,
        client_secret=secrets.read("salesforce", "client_secret", required=False),
        username=section.username,
        password=secrets.read("salesforce", "password", required=False),
        security_token=secrets.read("salesforce", "security_token", required=False),
        private_key=private_key,
    )
    transport = Transport(config.resolve_path(section.ca_bundle), section.timeout_s)
    allowed = {"sleep", "monotonic", "clock", "retry", "reserve_fraction", "bulk_poll_s"}
    return SalesforceSystem(
        credentials,
        instance_url=section.instance_url,
        transport=transport,
        bulk_threshold=section.bulk_threshold,
        commit_lag_s=section.commit_lag_s,
        **{key: value for key, value in options.items() if key in allowed},
    )


def build_hubspot(config: Config, secrets: Secrets, **options: Any) -> HubSpotSystem:
    section: HubSpotConfig = config.file.hubspot
    token = secrets.read("hubspot", "access_token")
    assert token is not None
    transport = Transport(config.resolve_path(section.ca_bundle), section.timeout_s)
    allowed = {
        "sleep",
        "monotonic",
        "clock",
        "retry",
        "search_lag_s",
        "search_per_second",
        "daily_reserve_fraction",
    }
    return HubSpotSystem(
        token,
        base_url=section.base_url,
        transport=transport,
        **{key: value for key, value in options.items() if key in allowed},
    )


def _plain(value: SecretStr | None) -> str | None:
    return value.get_secret_value() if value is not None else None
