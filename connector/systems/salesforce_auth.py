"""Salesforce login: which OAuth flow the config asks for, and the session it yields.

- ``client_id`` + ``client_secret``: the client-credentials flow (the connected app runs as
  its configured integration user);
- ... + ``username`` + ``password`` (+ ``security_token``): the username-password flow;
- ``client_id`` + ``username`` + ``private_key_file``: the JWT bearer flow;
- ``username`` + ``password`` without a connected app: SOAP ``login``, through
  simple-salesforce's ``SalesforceLogin``.

The OAuth flows post to ``{login_url}/services/oauth2/token`` with httpx; every attempt runs
under the system's ``CallRunner``, so a refusal is ``CredentialsRefused`` and an outage is
retried and then ``SystemUnreachable``. Secrets stay in ``SecretStr`` and are registered with
the scrubber, so no message can carry them.
"""

from __future__ import annotations

import json
import time
from dataclasses import dataclass
from enum import StrEnum

import httpx
import jwt
from pydantic import SecretStr
from simple_salesforce.exceptions import SalesforceAuthenticationFailed
from simple_salesforce.login import SalesforceLogin

from connector.errors import CredentialsRefused, SystemUnreachable
from connector.model import Side
from connector.systems.budget import CallKind
from connector.systems.classify import vendor_error
from connector.systems.http import PinnedSession, Transport, transport_failure
from connector.systems.retry import CallRunner, Reply, public_url


class LoginFlow(StrEnum):
    """How crmsync obtains a Salesforce session."""

    CLIENT_CREDENTIALS = "client_credentials"
    PASSWORD = "password"
    JWT_BEARER = "jwt_bearer"
    SOAP = "soap"


@dataclass(frozen=True)
class SalesforceCredentials:
    """What the config and its secrets say about logging in; secrets stay ``SecretStr``."""

    login_url: str = "https://login.salesforce.com"
    api_version: str = "59.0"
    client_id: str | None = None
    client_secret: SecretStr | None = None
    username: str | None = None
    password: SecretStr | None = None
    security_token: SecretStr | None = None
    private_key: SecretStr | None = None

    @property
    def flow(self) -> LoginFlow:
        if self.client_id and self.username and self.private_key is not None:
            return LoginFlow.JWT_BEARER
        if self.client_id and self.client_secret is not None:
            if self.username and self.password is not None:
                return LoginFlow.PASSWORD
            return LoginFlow.CLIENT_CREDENTIALS
        if self.username and self.password is not None:
            return LoginFlow.SOAP
        raise CredentialsRefused(
            "Salesforce: no usable credentials: configure client_id with client_secret_env "
            "(client credentials), add username with password_env (username-password), "
            "client_id with username and private_key_file (JWT), or username with password_env "
            "alone (SOAP login)"
        )

    def secrets(self) -> tuple[SecretStr | None, ...]:
        return (self.client_secret, self.password, self.security_token, self.private_key)


@dataclass(frozen=True)
class SalesforceSession:
    """An access token and the instance it is good for."""

    access_token: SecretStr
    instance_url: str


class SalesforceAuthenticator:
    """Logs in with the configured flow; ``login()`` again whenever the session expires."""

    def __init__(
        self,
        credentials: SalesforceCredentials,
        transport: Transport,
        runner: CallRunner,
        soap_session: PinnedSession,
    ) -> None:
        self.credentials = credentials
        self.transport = transport
        self.runner = runner
        self.soap_session = soap_session
        self._client: httpx.Client | None = None
        runner.scrub.add(*credentials.secrets())

    @property
    def token_url(self) -> str:
        return f"{self.credentials.login_url}/services/oauth2/token"

    def login(self) -> SalesforceSession:
        flow = self.credentials.flow
        if flow is LoginFlow.SOAP:
            session = self._soap_login()
        else:
            session = self._oauth_login(self._form(flow))
        self.runner.scrub.add(session.access_token)
        return session

    def close(self) -> None:
        if self._client is not None:
            self._client.close()

    def _form(self, flow: LoginFlow) -> dict[str, str]:
        creds = self.credentials
        assert creds.client_id is not None
        if flow is LoginFlow.JWT_BEARER:
            assert creds.private_key is not None and creds.username
            claims = {
                "iss": creds.client_id,
                "sub": creds.username,
                "aud": creds.login_url,
                "exp": int(time.time()) + 180,
            }
            assertion = jwt.encode(claims, creds.private_key.get_secret_value(), algorithm="RS256")
            return {
                "grant_type": "urn:ietf:params:oauth:grant-type:jwt-bearer",
                "assertion": assertion,
            }
        assert creds.client_secret is not None
        form = {
            "grant_type": flow.value,
            "client_id": creds.client_id,
            "client_secret": creds.client_secret.get_secret_value(),
        }
        if flow is LoginFlow.PASSWORD:
            assert creds.username and creds.password is not None
            token = creds.security_token.get_secret_value() if creds.security_token else ""
            form["username"] = creds.username
            # Salesforce takes the security token appended to the password.
            form["password"] = creds.password.get_secret_value() + token
        return form

    def _oauth_login(self, form: dict[str, str]) -> SalesforceSession:
        if self._client is None:
            self._client = self.transport.httpx_client()
        client = self._client

        def attempt() -> Reply:
            try:
                response = client.post(self.token_url, data=form)
            except httpx.HTTPError as exc:
                raise transport_failure(exc) from None
            return Reply(response.status_code, response.headers, response.content)

        reply = self.runner.call(attempt, method="POST", url=self.token_url, kind=CallKind.AUTH)
        where = public_url(self.token_url)
        if reply.status != 200:
            code, message = vendor_error(Side.SALESFORCE, reply.body)
            text = self.runner.scrub(f"{code}: {message}" if code else message)
            if reply.status in (400, 401, 403):
                raise CredentialsRefused(f"Salesforce refused the login at {where} ({text})")
            raise SystemUnreachable(
                f"Salesforce login at {where} answered {reply.status} ({text}); is login_url right?"
            )
        try:
            payload = json.loads(reply.body)
            token = SecretStr(str(payload["access_token"]))
            instance_url = str(payload["instance_url"]).rstrip("/")
        except (ValueError, KeyError, TypeError):
            raise SystemUnreachable(
                f"Salesforce login at {where} answered 200 without an access token"
            ) from None
        return SalesforceSession(token, instance_url)

    def _soap_login(self) -> SalesforceSession:
        creds = self.credentials
        assert creds.username and creds.password is not None
        try:
            session_id, instance = SalesforceLogin(
                username=creds.username,
                password=creds.password.get_secret_value(),
                security_token=(
                    creds.security_token.get_secret_value() if creds.security_token else None
                ),
                sf_version=creds.api_version,
                session=self.soap_session,
                # scratch_url points the SOAP login at login_url (domain= only takes a name
                # under salesforce.com).
                scratch_url=creds.login_url,
            )
        except SalesforceAuthenticationFailed as exc:
            text = self.runner.scrub(f"{exc.code}: {exc.auth_message}")
            raise CredentialsRefused(
                f"Salesforce refused the SOAP login at {public_url(creds.login_url)} ({text})"
            ) from None
        return SalesforceSession(SecretStr(str(session_id)), f"https://{instance}")
