"""A new user's configuration mistakes: each is one clear line and a documented exit code."""

from __future__ import annotations

from pathlib import Path

import pytest

from tests.e2e.cli import REPO, crmsync

GOOD = """\
[state]
url = "sqlite:///state.db"

[salesforce]
login_url = "https://127.0.0.1:8701"
client_id = "emulator-client-id"
client_secret_env = "SF_SECRET"

[hubspot]
base_url = "https://127.0.0.1:8702"
access_token_env = "HUBSPOT_ACCESS_TOKEN"

[[pipelines]]
name = "leads"
salesforce_object = "Lead"
hubspot_object = "contacts"
mapping = "{mapping}"
"""

SECRET_SF = "sf-secret-value-3f9a1c"
SECRET_HS = "pat-na1-hs-secret-77e2d0"


def write(tmp_path: Path, text: str) -> Path:
    path = tmp_path / "crmsync.toml"
    path.write_text(text.replace("{mapping}", str(REPO / "mappings" / "leads.toml")))
    return path


def assert_one_line(output: str) -> None:
    assert "Traceback" not in output
    lines = [line for line in output.strip().splitlines() if line.strip()]
    assert len(lines) == 1, output


def test_missing_file(tmp_path: Path) -> None:
    result = crmsync("validate", "--config", "nope.toml", cwd=tmp_path)
    assert result.code == 2
    assert_one_line(result.stderr)
    assert "nope.toml: file not found" in result.stderr


def test_no_config_anywhere_says_how_to_start(tmp_path: Path) -> None:
    result = crmsync("validate", cwd=tmp_path)
    assert result.code == 2
    assert "config.example.toml" in result.stderr


def test_toml_syntax_error_names_line(tmp_path: Path) -> None:
    write(tmp_path, GOOD.replace('url = "sqlite:///state.db"', 'url = "sqlite:///state.db'))
    result = crmsync("validate", cwd=tmp_path, env={"SF_SECRET": "x", "HUBSPOT_ACCESS_TOKEN": "y"})
    assert result.code == 2
    assert_one_line(result.stderr)
    assert "crmsync.toml:2: TOML syntax error" in result.stderr


def test_unknown_key_names_line_and_key(tmp_path: Path) -> None:
    write(tmp_path, GOOD.replace('base_url = "https://127.0.0.1:8702"', 'base_urll = "x"'))
    result = crmsync("validate", cwd=tmp_path)
    assert result.code == 2
    assert_one_line(result.stderr)
    assert "crmsync.toml:10: [hubspot] base_urll: unknown key" in result.stderr


def test_wrong_type_names_line_key_and_expectation(tmp_path: Path) -> None:
    text = GOOD + "schedule = 5\n"
    write(tmp_path, text)
    result = crmsync("validate", cwd=tmp_path)
    assert result.code == 2
    assert_one_line(result.stderr)
    assert "crmsync.toml:18: [pipelines #1] schedule:" in result.stderr
    assert "valid string" in result.stderr


def test_inline_secret_is_refused_without_echoing_it(tmp_path: Path) -> None:
    write(
        tmp_path, GOOD.replace('client_secret_env = "SF_SECRET"', f'client_secret = "{SECRET_SF}"')
    )
    result = crmsync("validate", cwd=tmp_path)
    assert result.code == 2
    assert "client_secret_env" in result.stderr
    assert SECRET_SF not in result.output


def test_unset_secret_variable(tmp_path: Path) -> None:
    write(tmp_path, GOOD)
    result = crmsync("validate", cwd=tmp_path, env={"SF_SECRET": SECRET_SF})
    assert result.code == 2
    assert_one_line(result.stderr)
    assert (
        "crmsync.toml:11: [hubspot] access_token_env: environment variable "
        "HUBSPOT_ACCESS_TOKEN is not set" in result.stderr
    )
    assert SECRET_SF not in result.output


def test_env_override_is_validated_like_the_file(tmp_path: Path) -> None:
    write(tmp_path, GOOD)
    result = crmsync(
        "validate",
        cwd=tmp_path,
        env={"CRMSYNC_HUBSPOT_BASE_URL": "http://plain.example", "SF_SECRET": "x"},
    )
    assert result.code == 2
    assert "[hubspot] base_url" in result.stderr
    assert "https://" in result.stderr


@pytest.mark.parametrize(
    ("url", "code"),
    [
        # Nothing listens there: the database cannot be reached.
        ("postgresql+psycopg://crmsync:{secret}@127.0.0.1:1/nowhere", 3),
        # A file that can never be created is a mistake in the config.
        ("sqlite:////proc/no-such-dir/state.db", 2),
    ],
)
def test_unreachable_database(tmp_path: Path, url: str, code: int) -> None:
    write(tmp_path, GOOD.replace("sqlite:///state.db", url.format(secret=SECRET_SF)))
    result = crmsync(
        "status", cwd=tmp_path, env={"SF_SECRET": SECRET_SF, "HUBSPOT_ACCESS_TOKEN": SECRET_HS}
    )
    assert result.code == code, result.output
    assert_one_line(result.stderr)
    assert SECRET_SF not in result.output
    assert SECRET_HS not in result.output


def test_good_config_validates(tmp_path: Path) -> None:
    write(tmp_path, GOOD)
    result = crmsync(
        "validate", cwd=tmp_path, env={"SF_SECRET": SECRET_SF, "HUBSPOT_ACCESS_TOKEN": SECRET_HS}
    )
    assert result.code == 0, result.output
    assert "valid" in result.stdout
    assert SECRET_SF not in result.output and SECRET_HS not in result.output


def test_help_lists_every_documented_verb(tmp_path: Path) -> None:
    result = crmsync("--help", cwd=tmp_path)
    assert result.code == 0
    for verb in (
        "demo",
        "emulate",
        "validate",
        "sync",
        "backfill",
        "run",
        "status",
        "errors",
        "report",
    ):
        assert verb in result.stdout
    for verb in ("sync", "backfill", "status", "report", "validate", "run"):
        sub = crmsync(verb, "--help", cwd=tmp_path)
        assert sub.code == 0 and "--config" in sub.stdout


def test_version(tmp_path: Path) -> None:
    result = crmsync("--version", cwd=tmp_path)
    assert result.code == 0
    assert result.stdout.startswith("crmsync ")
