"""`config.toml`: who the user is, where the database lives, the thresholds of the rules.

Read with tomllib (tomli before Python 3.11) and validated by pydantic with unknown keys
refused. A bad file raises `ConfigError` with one line naming the file, the key and the problem.
"""

from __future__ import annotations

import csv
import os
import re
import sys
from datetime import date
from enum import Enum
from pathlib import Path
from typing import Any

from pydantic import (
    BaseModel,
    ConfigDict,
    Field,
    ValidationError,
    field_validator,
    model_validator,
)

if sys.version_info >= (3, 11):
    import tomllib
else:  # pragma: no cover
    import tomli as tomllib

CONFIG_ENV = "LTA_TUI_CONFIG"
DATABASE_ENV = "LTA_TUI_DATABASE_URL"
PROJECT_ROOT = Path(__file__).resolve().parent.parent


class ConfigError(Exception):
    """A config file that cannot be used; the message is meant for the user as is."""


class Role(str, Enum):
    focal_point = "focal_point"
    working_group = "working_group"
    viewer = "viewer"


class _Section(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


class DatabaseConfig(_Section):
    url: str = "sqlite:///lta-tui.db"


class UserConfig(_Section):
    name: str = Field(min_length=1)
    agency: str = Field(min_length=1)
    role: Role = Role.focal_point


class LtaConfig(_Section):
    reference: str = "GP500454"
    title: str = "IT Systems, Equipment and Services (joint UNDP/UNICEF/UNFPA LTA)"
    valid_from: date = date(2021, 6, 1)
    valid_to: date = date(2027, 5, 31)
    ceiling_usd: int | None = Field(default=None, ge=0, strict=True)

    @model_validator(mode="after")
    def _ordered(self) -> LtaConfig:
        if self.valid_to < self.valid_from:
            raise ValueError("valid_to is before valid_from")
        return self


class RulesConfig(_Section):
    """Every threshold of DESIGN.md §2; the rule numbers are in config.toml's comments."""

    # strict: `min_valid_offers = true` or `= 2.5` is a mistake, not 1 or 2
    model_config = ConfigDict(extra="forbid", frozen=True, strict=True)

    min_response_working_days: int = Field(default=5, ge=0)  # R4
    min_valid_offers: int = Field(default=2, ge=1)  # R8
    abnormally_low_pct: int = Field(default=30, ge=0, le=100)  # R9
    ceiling_warn_pct: int = Field(default=80, ge=0, le=100)  # R15
    amendment_warn_pct: int = Field(default=20, ge=0, le=1000)  # R16
    concentration_pct: int = Field(default=50, ge=0, le=100)  # R22
    concentration_months: int = Field(default=12, ge=1, le=120)  # R22
    price_deviation_pct: int = Field(default=15, ge=0, le=1000)  # R23
    reconciliation_tolerance_pct: int = Field(default=5, ge=0, le=100)  # R24
    expiry_warn_days: int = Field(default=90, ge=0)  # dashboard: sub-LTAs near expiry


#: An OCDS ocid prefix: `ocds-` and the 6 letters or digits registered with the Open
#: Contracting Partnership (e.g. `ocds-87sd3t`).
OCID_PREFIX = re.compile(r"ocds-[A-Za-z0-9]{6}")
#: The shipped prefix: a placeholder, to be replaced by the publisher's registered one.
PLACEHOLDER_OCID_PREFIX = "ocds-xxxxxx"


class OcdsConfig(_Section):
    """Who publishes the OCDS release package (`lta-tui export ocds`) and its ocid prefix."""

    publisher: str = Field(default="Working Group of the inter-agency IT LTA", min_length=1)
    publisher_uri: str | None = None
    publisher_scheme: str | None = Field(default=None, min_length=1)
    publisher_uid: str | None = Field(default=None, min_length=1)
    ocid_prefix: str = PLACEHOLDER_OCID_PREFIX
    license: str | None = None
    publication_policy: str | None = None

    @field_validator("ocid_prefix")
    @classmethod
    def _prefix(cls, value: str) -> str:
        if not OCID_PREFIX.fullmatch(value):
            raise ValueError(
                f"{value!r} is not an ocid prefix: use 'ocds-' and 6 letters or digits"
                " (the prefix registered with the Open Contracting Partnership)"
            )
        return value

    @field_validator("publisher_uri", "license", "publication_policy")
    @classmethod
    def _url(cls, value: str | None) -> str | None:
        if value is not None and not re.fullmatch(r"https?://[^\s/]+\S*", value):
            raise ValueError(f"{value!r} is not a web address (http:// or https://...)")
        return value


class Config(_Section):
    database: DatabaseConfig = DatabaseConfig()
    user: UserConfig
    lta: LtaConfig = LtaConfig()
    rules: RulesConfig = RulesConfig()
    ocds: OcdsConfig = OcdsConfig()
    #: Folder of reference data (lots, services, organizations, consolidators, rates).
    data_dir: Path = Path("data")
    #: The file this was read from; set by `load_config`.
    source: Path | None = None


def find_config(explicit: str | os.PathLike[str] | None = None) -> Path:
    """--config, then $LTA_TUI_CONFIG, then ./config.toml, then the project's own config.toml."""
    for candidate in (explicit, os.environ.get(CONFIG_ENV)):
        if candidate:
            path = Path(candidate).expanduser()
            if not path.is_file():
                raise ConfigError(f"{path}: config file not found")
            return path.resolve()
    for path in (Path.cwd() / "config.toml", PROJECT_ROOT / "config.toml"):
        if path.is_file():
            return path.resolve()
    raise ConfigError("no config.toml found: pass --config PATH or set LTA_TUI_CONFIG")


def load_config(path: str | os.PathLike[str] | None = None, db_url: str | None = None) -> Config:
    """Read, validate and resolve a config file; `db_url` (or $LTA_TUI_DATABASE_URL) overrides."""
    file = find_config(path)
    try:
        raw: dict[str, Any] = tomllib.loads(file.read_text(encoding="utf-8"))
    except tomllib.TOMLDecodeError as exc:
        raise ConfigError(f"{file}: TOML syntax error: {exc}") from None
    except (OSError, UnicodeDecodeError) as exc:
        raise ConfigError(f"{file}: cannot read: {exc}") from None
    if "source" in raw:
        raise ConfigError(f"{file}: source: unknown key")
    try:
        config = Config.model_validate(raw)
    except ValidationError as exc:
        # An unknown key is named first: a misspelt key also makes the real one "missing".
        errors = sorted(exc.errors(), key=lambda e: e["type"] != "extra_forbidden")
        problems = []
        for err in errors:
            key = ".".join(str(p) for p in err["loc"]) or "(top level)"
            message = "unknown key" if err["type"] == "extra_forbidden" else err["msg"]
            problems.append(f"{key}: {message}")
        more = f" (and {len(problems) - 1} more: {'; '.join(problems[1:])})" if problems[1:] else ""
        raise ConfigError(f"{file}: {problems[0]}{more}") from None
    base = file.parent
    data_dir = config.data_dir if config.data_dir.is_absolute() else base / config.data_dir
    # a URL typed on the command line or in the environment is relative to where it was typed
    override = db_url or os.environ.get(DATABASE_ENV)
    url = resolve_sqlite_url(override, Path.cwd()) if override else None
    config = config.model_copy(
        update={
            "source": file,
            "data_dir": data_dir.resolve(),
            "database": DatabaseConfig(url=url or resolve_sqlite_url(config.database.url, base)),
        }
    )
    try:
        agencies = agency_codes(config.data_dir)
    except ConfigError as exc:
        raise ConfigError(f"{file}: data_dir: {exc}") from None
    if config.user.agency not in agencies:
        raise ConfigError(
            f"{file}: user.agency: unknown agency {config.user.agency!r}"
            f" (see {config.data_dir / 'organizations.csv'})"
        )
    return config


def resolve_sqlite_url(url: str, base: Path) -> str:
    """Make a relative SQLite path absolute against `base` (the config file's folder)."""
    prefix = "sqlite:///"
    if not url.startswith(prefix) or url == "sqlite://" or url.startswith(prefix + "/"):
        return url
    rest = url[len(prefix) :]
    if rest.startswith(":memory:") or rest == "":
        return url
    return prefix + str((base / rest).resolve())


def agency_codes(data_dir: Path) -> set[str]:
    """Codes of the UN system organizations in the reference data."""
    path = data_dir / "organizations.csv"
    try:
        with path.open(encoding="utf-8", newline="") as fh:
            return {row["code"] for row in csv.DictReader(fh)}
    except OSError as exc:
        raise ConfigError(f"{path}: cannot read reference data: {exc}") from None
