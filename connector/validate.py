"""``crmsync validate``: check every file an admin edits before anything is synced.

Locally: the config, the secrets it names, and each pipeline's mapping (which compiles the
taxonomy and lead definition it refers to). With ``--remote``: every mapped field against the
systems' own field descriptions.
"""

from __future__ import annotations

from pathlib import Path

from rich.console import Console

from connector.config import Config, Secrets, load_config
from connector.errors import ConfigError, ExitCode

console = Console(highlight=False)


def check_secrets(config: Config) -> None:
    """Every secret the config names is readable (not printed)."""
    secrets = Secrets(config)
    sf = config.file.salesforce
    if sf.client_secret_env or sf.client_secret_file:
        secrets.read("salesforce", "client_secret")
    if sf.password_env or sf.password_file:
        secrets.read("salesforce", "password")
    if sf.security_token_env:
        secrets.read("salesforce", "security_token")
    if not (
        sf.client_secret_env
        or sf.client_secret_file
        or sf.password_env
        or sf.password_file
        or sf.private_key_file
    ):
        raise config.doc.error(
            ["salesforce", "client_secret_env"],
            "no Salesforce credentials: set client_secret_env (or _file), password_env with "
            "username, or private_key_file",
        )
    secrets.read("hubspot", "access_token")


def check_local(config: Config) -> list[str]:
    """Compile every enabled pipeline's mapping; answer one line per pipeline checked."""
    from connector.mapping import compile_mapping

    lines = []
    for pipeline in config.file.pipelines:
        path = config.mapping_path(pipeline)
        if not path.exists():
            raise config.doc.error(
                ["pipelines", config.file.pipelines.index(pipeline), "mapping"],
                f"mapping file {path} not found",
            )
        field_map = compile_mapping(path)
        if field_map.salesforce_object != pipeline.salesforce_object:
            raise ConfigError(
                str(path),
                f"the mapping is for Salesforce object '{field_map.salesforce_object}' but "
                f"pipeline '{pipeline.name}' says '{pipeline.salesforce_object}'",
                key="salesforce_object",
            )
        if field_map.hubspot_object != pipeline.hubspot_object:
            raise ConfigError(
                str(path),
                f"the mapping is for HubSpot object '{field_map.hubspot_object}' but "
                f"pipeline '{pipeline.name}' says '{pipeline.hubspot_object}'",
                key="hubspot_object",
            )
        lines.append(f"{pipeline.name}: {path} ({len(field_map.rows)} fields)")
    return lines


def run_validate(config_path: Path | None, *, remote: bool) -> int:
    config = load_config(config_path)
    check_secrets(config)
    for line in check_local(config):
        console.print(f"ok  {line}", markup=False)
    if remote:
        from connector.remote_check import check_remote

        problems = check_remote(config)
        for problem in problems:
            console.print(problem, markup=False)
        if problems:
            return int(ExitCode.BAD_CONFIG)
    console.print(f"{config.path}: valid", markup=False)
    return int(ExitCode.OK)
