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


def seed_reference(session: Session, config: Config) -> SeedReport:
    """Load the LTA, lots, service types, organizations, consolidators, holdings and the sample
    of exchange rates from `config.data_dir` into the database."""
    data = config.data_dir
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
    for row in _csv(data / "organizations.csv"):
        _upsert(
            session,
            report,
            Agency,
            {"code": row["code"]},
            {"name": row["name"], "founding_party": row["founding_party"].lower() == "true"},
        )
    lots: dict[int, Lot] = {}
    for entry in _toml(data / "lots.toml", "lot"):
        lots[entry["number"]] = _upsert(
            session,
            report,
            Lot,
            {"lta_id": lta.id, "number": entry["number"]},
            {"title": entry["title"], "unspsc": " ".join(entry["unspsc"])},
        )
    for entry in _toml(data / "services.toml", "service"):
        _upsert(
            session,
            report,
            ServiceType,
            {"code": entry["code"]},
            {"title": entry["title"], "unspsc": " ".join(entry["unspsc"])},
        )
    for entry in _toml(data / "consolidators.toml", "consolidator"):
        holder = _upsert(
            session,
            report,
            Consolidator,
            {"code": entry["code"]},
            {"name": entry["name"], "country": entry["country"]},
        )
        for holding in entry.get("lots", []):
            lot = lots.get(holding["lot"])
            if lot is None:
                raise ReferenceDataError(
                    f"{data / 'consolidators.toml'}: {entry['code']}: unknown lot {holding['lot']}"
                )
            _upsert(
                session,
                report,
                LotHolding,
                {
                    "consolidator_id": holder.id,
                    "lot_id": lot.id,
                    "active_from": holding["active_from"],
                },
                {"active_to": holding.get("active_to")},
            )
    rates = data / "rates.csv"
    if rates.exists():
        for row in _csv(rates):
            _upsert(
                session,
                report,
                ExchangeRate,
                {
                    "currency": row["currency"],
                    "effective_date": date.fromisoformat(row["effective_date"]),
                },
                {
                    "units_per_usd": Decimal(row["units_per_usd"]),
                    "source": row.get("source") or "UN ORE",
                },
            )
    return report
