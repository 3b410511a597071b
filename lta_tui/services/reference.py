"""Seeding a database from the reference data in `data/` (`lta-tui init`).

Seeding adds what is missing and updates what changed; it never deletes, and running it twice
changes nothing.
"""

from __future__ import annotations

import csv
import sys
from dataclasses import dataclass, field
from datetime import date
from decimal import Decimal
from pathlib import Path
from typing import Any

from sqlmodel import Session, SQLModel, select

from lta_tui.config import Config
from lta_tui.domain.rules import check_iso_codes
from lta_tui.services.import_rates import parse_rate_row
from lta_tui.store.models import (
    Agency,
    Consolidator,
    ExchangeRate,
    Lot,
    LotHolding,
    Lta,
    ServiceType,
)

if sys.version_info >= (3, 11):
    import tomllib
else:  # pragma: no cover
    import tomli as tomllib


class ReferenceDataError(ValueError):
    """A reference file that cannot be read; the message names the file and the entry."""


@dataclass
class SeedReport:
    added: dict[str, int] = field(default_factory=dict)
    updated: dict[str, int] = field(default_factory=dict)

    def count(self, kind: str, table: str) -> None:
        target = self.added if kind == "added" else self.updated
        target[table] = target.get(table, 0) + 1

    @property
    def changed(self) -> bool:
        return bool(self.added or self.updated)


def _toml(path: Path, key: str) -> list[dict[str, Any]]:
    try:
        return tomllib.loads(path.read_text(encoding="utf-8")).get(key, [])
    except (OSError, tomllib.TOMLDecodeError) as exc:
        raise ReferenceDataError(f"{path}: {exc}") from None


def _csv(path: Path) -> list[dict[str, str]]:
    try:
        with path.open(encoding="utf-8", newline="") as fh:
            return list(csv.DictReader(fh))
    except OSError as exc:
        raise ReferenceDataError(f"{path}: {exc}") from None


def _upsert(session: Session, report: SeedReport, model: type[SQLModel], where: dict, values: dict):
    stmt = select(model)
    for column, value in where.items():
        stmt = stmt.where(getattr(model, column) == value)
    row = session.exec(stmt).first()
    if row is None:
        row = model(**where, **values)
        session.add(row)
        session.flush()
        report.count("added", model.__tablename__)
        return row
    changed = False
    for column, value in values.items():
        if getattr(row, column) != value:
            setattr(row, column, value)
            changed = True
    if changed:
        session.flush()
        report.count("updated", model.__tablename__)
    return row


@dataclass(frozen=True)
class Holder:
    code: str
    name: str
    country: str
    lots: tuple[tuple[int, date, date | None], ...]  # (lot, active_from, active_to)


@dataclass(frozen=True)
class ReferenceData:
    """The contents of `data/`, read and checked."""

    agencies: tuple[tuple[str, str, bool], ...]
    lots: tuple[tuple[int, str, str], ...]  # (number, title, space-separated UNSPSC prefixes)
    services: tuple[tuple[str, str, str], ...]
    consolidators: tuple[Holder, ...]
    rates: tuple[tuple[str, date, Decimal, str], ...]


def _field(path: Path, where: str, entry: dict, key: str, kind: type | None = str) -> Any:
    """`entry[key]`, refused with the file, the entry and the key when missing or mistyped."""
    value = entry.get(key)
    if value is None or value == "":
        raise ReferenceDataError(f"{path}: {where}: {key} is missing")
    if kind is date and isinstance(value, str):
        try:
            return date.fromisoformat(value)
        except ValueError:
            raise ReferenceDataError(f"{path}: {where}: {key}: {value!r} is not a date") from None
    if kind is not None and not isinstance(value, kind):
        raise ReferenceDataError(f"{path}: {where}: {key}: {value!r} is not a {kind.__name__}")
    return value


def _iso(path: Path, where: str, **codes: str) -> None:
    """R19 through its one rule function."""
    findings = check_iso_codes(**codes)
    if findings:
        raise ReferenceDataError(f"{path}: {where}: {findings[0].message}")


def read_reference(config: Config) -> ReferenceData:
    """Read and check every reference file of `config.data_dir`; nothing touches the database."""
    data = config.data_dir
    path = data / "organizations.csv"
    agencies = tuple(
        (
            _field(path, f"row {n}", row, "code"),
            _field(path, f"row {n}", row, "name"),
            (row.get("founding_party") or "").strip().lower() == "true",
        )
        for n, row in enumerate(_csv(path), start=2)
    )
    path = data / "lots.toml"
    lots = tuple(
        (
            _field(path, f"lot {n}", e, "number", int),
            _field(path, f"lot {n}", e, "title"),
            " ".join(_field(path, f"lot {n}", e, "unspsc", list)),
        )
        for n, e in enumerate(_toml(path, "lot"), start=1)
    )
    numbers = {number for number, _, _ in lots}
    path = data / "services.toml"
    services = tuple(
        (
            _field(path, f"service {n}", e, "code"),
            _field(path, f"service {n}", e, "title"),
            " ".join(_field(path, f"service {n}", e, "unspsc", list)),
        )
        for n, e in enumerate(_toml(path, "service"), start=1)
    )
    path = data / "consolidators.toml"
    holders = []
    for n, e in enumerate(_toml(path, "consolidator"), start=1):
        where = f"consolidator {n}"
        code = _field(path, where, e, "code")
        country = _field(path, code, e, "country")
        _iso(path, code, country=country)
        holdings = []
        for h in e.get("lots", []):
            lot = _field(path, code, h, "lot", int)
            if lot not in numbers:
                raise ReferenceDataError(f"{path}: {code}: unknown lot {lot}")
            start = _field(path, f"{code} lot {lot}", h, "active_from", date)
            end = h.get("active_to")
            end = _field(path, f"{code} lot {lot}", h, "active_to", date) if end else None
            holdings.append((lot, start, end))
        holders.append(Holder(code, _field(path, code, e, "name"), country, tuple(holdings)))
    path = data / "rates.csv"
    rates = []
    if path.exists():
        for n, row in enumerate(_csv(path), start=2):
            rate, problems = parse_rate_row(row)  # read as `lta-tui import rates` reads them
            if rate is None:
                column, reason = problems[0]
                raise ReferenceDataError(f"{path}: row {n}: {column}: {reason}")
            rates.append((rate.currency, rate.effective_date, rate.units_per_usd, rate.source))
    return ReferenceData(agencies, lots, services, tuple(holders), tuple(rates))


def seed_reference(session: Session, config: Config) -> SeedReport:
    """Load the LTA, lots, service types, organizations, consolidators, holdings and the sample
    of exchange rates from `config.data_dir` into the database."""
    ref = read_reference(config)
    report = SeedReport()
    lta_cfg = config.lta
    lta = _upsert(
        session,
        report,
        Lta,
        {"reference": lta_cfg.reference},
        {
            "title": lta_cfg.title,
            "valid_from": lta_cfg.valid_from,
            "valid_to": lta_cfg.valid_to,
            "ceiling_usd": Decimal(lta_cfg.ceiling_usd) if lta_cfg.ceiling_usd else None,
            "lead_agencies": "UNDP UNICEF UNFPA",
        },
    )
    for code, name, founding in ref.agencies:
        _upsert(session, report, Agency, {"code": code}, {"name": name, "founding_party": founding})
    lots: dict[int, Lot] = {}
    for number, title, unspsc in ref.lots:
        lots[number] = _upsert(
            session,
            report,
            Lot,
            {"lta_id": lta.id, "number": number},
            {"title": title, "unspsc": unspsc},
        )
    for code, title, unspsc in ref.services:
        _upsert(session, report, ServiceType, {"code": code}, {"title": title, "unspsc": unspsc})
    for holder in ref.consolidators:
        row = _upsert(
            session,
            report,
            Consolidator,
            {"code": holder.code},
            {"name": holder.name, "country": holder.country},
        )
        for lot, active_from, active_to in holder.lots:
            _upsert(
                session,
                report,
                LotHolding,
                {"consolidator_id": row.id, "lot_id": lots[lot].id, "active_from": active_from},
                {"active_to": active_to},
            )
    for currency, effective_date, units_per_usd, source in ref.rates:
        _upsert(
            session,
            report,
            ExchangeRate,
            {"currency": currency, "effective_date": effective_date},
            {"units_per_usd": units_per_usd, "source": source},
        )
    return report
