"""``crmsync.toml``: typed models, the loader, environment overrides and secret resolution.

Secrets are never written in the file: a key such as ``client_secret_env`` names the environment
variable that holds it, or ``client_secret_file`` a file. They are read once into ``SecretStr``,
so no repr, log line or exception can show them.
"""

from __future__ import annotations

import logging
import os
import stat
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field, SecretStr, field_validator, model_validator

from connector.errors import ConfigError
from connector.tomlsource import TomlDoc, load_toml, parse_toml

log = logging.getLogger(__name__)

DEFAULT_PATHS = (Path("crmsync.toml"), Path("config.example.toml"))
ENV_PREFIX = "CRMSYNC_"

_INLINE_SECRETS = {"client_secret", "password", "security_token", "access_token", "private_key"}


class _Model(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)

    @model_validator(mode="before")
    @classmethod
    def _no_inline_secrets(cls, data: Any) -> Any:
        if isinstance(data, dict):
            for key in _INLINE_SECRETS & set(data):
                raise ValueError(
                    f"'{key}' cannot be written in the file: secrets are read only from the "
                    f"environment or a file; use '{key}_env' or '{key}_file'"
                )
        return data


class StateConfig(_Model):
    """Where crmsync keeps cursors, links, snapshots, runs and dead letters."""

    url: str = "sqlite:///crmsync.db"


class SalesforceConfig(_Model):
    """How to reach and authenticate to a Salesforce org."""

    instance_url: str | None = None
    login_url: str = "https://login.salesforce.com"
    api_version: str = "59.0"
    client_id: str | None = None
    client_id_env: str | None = None
    client_secret_env: str | None = None
    client_secret_file: Path | None = None
    username: str | None = None
    password_env: str | None = None
    password_file: Path | None = None
    security_token_env: str | None = None
    private_key_file: Path | None = None
    ca_bundle: Path | None = None
    timeout_s: float = Field(default=30.0, gt=0)
    bulk_threshold: int = Field(default=10_000, ge=0)
    # Changes stamped within this many seconds are read on the next run, once committed.
    commit_lag_s: float = Field(default=5.0, ge=0)

    @field_validator("api_version")
    @classmethod
    def _version_shape(cls, value: str) -> str:
        digits = value.removeprefix("v")
        if not digits.replace(".", "", 1).isdigit() or "." not in digits:
            raise ValueError('expected an API version such as "59.0"')
        return digits

    @field_validator("instance_url", "login_url")
    @classmethod
    def _https(cls, value: str | None) -> str | None:
        if value is not None and not value.startswith("https://"):
            raise ValueError("expected an https:// URL (Salesforce is only served over TLS)")
        return value.rstrip("/") if value else value


class HubSpotConfig(_Model):
    """How to reach a HubSpot portal with a private-app token."""

    base_url: str = "https://api.hubapi.com"
    access_token_env: str | None = None
    access_token_file: Path | None = None
    ca_bundle: Path | None = None
    timeout_s: float = Field(default=30.0, gt=0)

    @field_validator("base_url")
    @classmethod
    def _https(cls, value: str) -> str:
        if not value.startswith("https://"):
            raise ValueError("expected an https:// URL (HubSpot is only served over TLS)")
        return value.rstrip("/")


class PipelineConfig(_Model):
    """One object pair kept in sync on its own schedule."""

    name: str = Field(pattern=r"^[a-z][a-z0-9_-]*$")
    salesforce_object: str
    hubspot_object: str
    mapping: Path
    schedule: str = "5m"
    enabled: bool = True


class DaemonConfig(_Model):
    """The scheduled daemon: where it serves health and metrics, how it logs."""

    listen: str = "127.0.0.1:9187"
    log_format: Literal["text", "json"] = "text"
    lease_ttl_s: float = Field(default=60.0, gt=0)

    @field_validator("listen")
    @classmethod
    def _host_port(cls, value: str) -> str:
        host, _, port = value.rpartition(":")
        if not host or not port.isdigit() or not 0 < int(port) < 65536:
            raise ValueError('expected "host:port", such as "127.0.0.1:9187"')
        return value


class ConfigFile(_Model):
    """The whole of ``crmsync.toml``."""

    state: StateConfig = StateConfig()
    salesforce: SalesforceConfig = SalesforceConfig()
    hubspot: HubSpotConfig = HubSpotConfig()
    pipelines: list[PipelineConfig] = Field(default_factory=list)
    daemon: DaemonConfig = DaemonConfig()

    @model_validator(mode="after")
    def _unique_pipelines(self) -> ConfigFile:
        seen: set[str] = set()
        for pipeline in self.pipelines:
            if pipeline.name in seen:
                raise ValueError(f"pipeline name '{pipeline.name}' is used twice")
            seen.add(pipeline.name)
        return self


@dataclass(frozen=True)
class Config:
    """A loaded config: the validated file, where it came from, and its source for messages."""

    file: ConfigFile
    path: Path
    doc: TomlDoc

    @property
    def base_dir(self) -> Path:
        return self.path.parent

    def mapping_path(self, pipeline: PipelineConfig) -> Path:
        return (
            pipeline.mapping if pipeline.mapping.is_absolute() else self.base_dir / pipeline.mapping
        )

    def pipeline(self, name: str) -> PipelineConfig:
        for pipeline in self.file.pipelines:
            if pipeline.name == name:
                return pipeline
        known = ", ".join(p.name for p in self.file.pipelines) or "none"
        raise ConfigError(str(self.path), f"no pipeline named '{name}' (configured: {known})")

    def selected(self, name: str | None) -> list[PipelineConfig]:
        if name is not None:
            return [self.pipeline(name)]
        return [p for p in self.file.pipelines if p.enabled]

    def resolve_path(self, path: Path | None) -> Path | None:
        if path is None or path.is_absolute():
            return path
        return self.base_dir / path


def find_config(explicit: Path | None) -> Path:
    """The config file a verb uses: ``--config``, else ``./crmsync.toml``, else the example."""
    if explicit is not None:
        return explicit
    for candidate in DEFAULT_PATHS:
        if candidate.exists():
            return candidate
    raise ConfigError(
        "crmsync.toml",
        "file not found (pass --config PATH, or copy config.example.toml to crmsync.toml)",
    )


def load_config(path: Path | None = None, environ: Mapping[str, str] | None = None) -> Config:
    """Load, apply ``CRMSYNC_*`` overrides, validate. Every problem is a ``ConfigError``."""
    env = os.environ if environ is None else environ
    found = find_config(path)
    doc = load_toml(found)
    data = _apply_env_overrides(doc.data, env)
    model = doc.validate(ConfigFile, data)
    return Config(file=model, path=found, doc=doc)


def config_from_text(text: str, path: Path, environ: Mapping[str, str] | None = None) -> Config:
    """Like ``load_config`` for text already in hand (tests, the demo)."""
    env = os.environ if environ is None else environ
    doc = parse_toml(text, path)
    model = doc.validate(ConfigFile, _apply_env_overrides(doc.data, env))
    return Config(file=model, path=path, doc=doc)


def _apply_env_overrides(data: dict[str, Any], env: Mapping[str, str]) -> dict[str, Any]:
    """``CRMSYNC_<SECTION>_<KEY>`` replaces ``[section] key`` for the scalar keys of a section."""
    merged = {
        key: (dict(value) if isinstance(value, dict) else value) for key, value in data.items()
    }
    sections: dict[str, type[BaseModel]] = {
        "state": StateConfig,
        "salesforce": SalesforceConfig,
        "hubspot": HubSpotConfig,
        "daemon": DaemonConfig,
    }
    for section, model in sections.items():
        for key in model.model_fields:
            value = env.get(f"{ENV_PREFIX}{section}_{key}".upper())
            if value is not None:
                merged.setdefault(section, {})
                merged[section][key] = value
    return merged


class Secrets:
    """Reads the secrets that ``*_env``/``*_file`` keys name; errors name the key, not the value."""

    def __init__(self, config: Config, environ: Mapping[str, str] | None = None) -> None:
        self._config = config
        self._env = os.environ if environ is None else environ

    def read(self, section: str, key: str, *, required: bool = True) -> SecretStr | None:
        """The secret for ``[section] key`` (via ``key_env`` or ``key_file``)."""
        model = getattr(self._config.file, section)
        env_name: str | None = getattr(model, f"{key}_env", None)
        file_path: Path | None = getattr(model, f"{key}_file", None)
        if env_name:
            value = self._env.get(env_name)
            if not value:
                raise self._config.doc.error(
                    [section, f"{key}_env"], f"environment variable {env_name} is not set"
                )
            return SecretStr(value)
        if file_path is not None:
            return SecretStr(self._read_file(section, f"{key}_file", file_path))
        if required:
            raise self._config.doc.error(
                [section, f"{key}_env"],
                f"required: name the environment variable (or use {key}_file) holding the {key}",
            )
        return None

    def _read_file(self, section: str, key: str, path: Path) -> str:
        resolved = self._config.resolve_path(path)
        assert resolved is not None
        try:
            mode = resolved.stat().st_mode
            text = resolved.read_text(encoding="utf-8").strip()
        except FileNotFoundError:
            raise self._config.doc.error([section, key], f"file {resolved} not found") from None
        except OSError as exc:
            raise self._config.doc.error(
                [section, key], f"cannot read {resolved} ({exc.strerror})"
            ) from None
        if mode & (stat.S_IRWXG | stat.S_IRWXO):
            log.warning(
                "%s holds a secret and is readable by other users; run: chmod 600 %s",
                resolved,
                resolved,
            )
        if not text:
            raise self._config.doc.error([section, key], f"file {resolved} is empty")
        return text
