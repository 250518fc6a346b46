"""``crmsync validate``: check every file an admin edits before anything is synced.

Locally: the config (its pipelines, their schedules, the state URL), the secrets it names, and
each pipeline's mapping, which compiles the taxonomy and lead definition it refers to. Every
pipeline is checked even when an earlier one failed, so one run names each broken file once.
With ``--remote``: every mapped field against the systems' own field descriptions
(``connector.remote_check``).
"""

from __future__ import annotations

from pathlib import Path

from rich.console import Console

from connector.config import Config, PipelineConfig, Secrets, load_config
from connector.errors import ConfigError, ExitCode

console = Console(highlight=False, soft_wrap=True)
errors = Console(stderr=True, highlight=False, soft_wrap=True)


def check_config(config: Config) -> None:
    """What the config says beyond its schema: pipelines to run, schedules, the state URL."""
    from connector.schedule import pipeline_schedule
    from connector.state.dialect import parse_url

    if not config.file.pipelines:
        raise config.doc.error(
            ["pipelines"],
            "no [[pipelines]]: nothing would be synced (see config.example.toml for the three "
            "shipped pipelines: leads, contacts, opportunities)",
        )
    for pipeline in config.file.pipelines:
        pipeline_schedule(config, pipeline)
    try:
        parse_url(config.file.state.url)
    except ConfigError as exc:
        raise config.doc.error(["state", "url"], exc.detail) from None


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


def check_local(config: Config) -> tuple[list[str], list[ConfigError]]:
    """Compile every pipeline's mapping: a line per pipeline that passed, each problem found.

    A taxonomy or lead definition shared by several pipelines is reported once.
    """
    passed: list[str] = []
    problems: dict[str, ConfigError] = {}
    for index, pipeline in enumerate(config.file.pipelines):
        try:
            passed.append(_check_pipeline(config, index, pipeline))
        except ConfigError as exc:
            problems.setdefault(str(exc), exc)
    return passed, list(problems.values())


def _check_pipeline(config: Config, index: int, pipeline: PipelineConfig) -> str:
    from connector.mapping import compile_mapping

    path = config.mapping_path(pipeline)
    if not path.is_file():
        raise config.doc.error(
            ["pipelines", index, "mapping"],
            f"pipeline '{pipeline.name}': mapping file {path} not found",
        )
    field_map = compile_mapping(path)
    for key, mapped, configured in (
        ("salesforce_object", field_map.salesforce_object, pipeline.salesforce_object),
        ("hubspot_object", field_map.hubspot_object, pipeline.hubspot_object),
    ):
        if mapped != configured:
            system = "Salesforce" if key == "salesforce_object" else "HubSpot"
            raise ConfigError(
                str(path),
                f"the mapping is for {system} object '{mapped}' but pipeline "
                f"'{pipeline.name}' in {config.path} says '{configured}'",
                key=key,
            )
    extras = [str(part.path) for part in (field_map.taxonomy, field_map.lead_definition) if part]
    uses = f", with {', '.join(extras)}" if extras else ""
    return f"{pipeline.name}: {path} ({len(field_map.rows)} fields{uses})"


def run_validate(config_path: Path | None, *, remote: bool) -> int:
    """``crmsync validate [--remote]``: 0 when everything checks, 2 when anything is wrong.

    A system that cannot be reached or refuses the credentials raises (exit 3).
    """
    config = load_config(config_path)
    check_config(config)
    check_secrets(config)
    passed, problems = check_local(config)
    for line in passed:
        console.print(f"ok  {line}", markup=False)
    for problem in problems:
        errors.print(f"crmsync: {problem}", markup=False)
    if problems:
        return int(ExitCode.BAD_CONFIG)
    if remote:
        from connector.remote_check import check_remote

        found = check_remote(config)
        for line in found:
            console.print(line, markup=False)
        if found:
            console.print(
                f"{len(found)} problem(s) between the mappings and the live systems; fix them "
                "and run `crmsync validate --remote` again",
                markup=False,
            )
            return int(ExitCode.BAD_CONFIG)
        console.print(
            "remote: every mapped field exists in Salesforce and HubSpot, with a compatible "
            "type, writable where written, and every taxonomy value offered",
            markup=False,
        )
    console.print(f"{config.path}: valid", markup=False)
    return int(ExitCode.OK)
