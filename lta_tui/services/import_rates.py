"""`lta-tui import rates FILE`: UN Operational Rates of Exchange from a CSV (or XLSX) file.

Columns `currency,effective_date,units_per_usd[,source]`. Every row is checked first (R19 ISO
code, ISO date, a positive rate of at most six decimals, one rate per currency and date); any
problem refuses the whole file. A rate already held for the same currency and date is left
alone when equal and updated (and reported) when different: orders keep the rate they stored
(R20), so no stored USD value ever changes. Adding rates is open to any user but a viewer;
revising the value of a rate already held is the Working Group's (R26): for anyone else each
such row is a problem and the whole file is refused.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from datetime import date, datetime
from decimal import Decimal
from pathlib import Path

from sqlalchemy import Engine, select, tuple_

from lta_tui.config import Config, Role
from lta_tui.domain.fx import Rate
from lta_tui.domain.money import RATE_DIGITS, MoneyError, parse_amount, to_units
from lta_tui.domain.rules import AuditRecord, check_iso_codes, check_permission, ensure_allowed
from lta_tui.services.import_files import ImportRefused, RowProblem, TableFile, header_problems
from lta_tui.store.models import AuditEvent, ExchangeRate

RATE_COLUMNS = ("currency", "effective_date", "units_per_usd")
DEFAULT_SOURCE = "UN ORE"
_SOURCE_LENGTH = 100


def parse_rate_row(cells: Mapping[str, str]) -> tuple[Rate | None, list[tuple[str, str]]]:
    """One rate from the text of its columns, or the problems as (column, reason) pairs.

    Shared by the import and by the seeding of `data/rates.csv`: a rate is read the same way
    wherever it comes from.
    """
    problems: list[tuple[str, str]] = []
    currency = (cells.get("currency") or "").strip()
    if not currency:
        problems.append(("currency", "is missing"))
    else:
        problems.extend(("currency", f.message) for f in check_iso_codes(currency=currency))
    text = (cells.get("effective_date") or "").strip()
    on: date | None = None
    if not text:
        problems.append(("effective_date", "is missing"))
    else:
        try:
            on = date.fromisoformat(text)
        except ValueError:
            problems.append(("effective_date", f"{text!r} is not a date (YYYY-MM-DD)"))
    units = _units_per_usd((cells.get("units_per_usd") or "").strip(), problems)
    source = (cells.get("source") or "").strip() or DEFAULT_SOURCE
    if len(source) > _SOURCE_LENGTH:
        problems.append(("source", f"longer than {_SOURCE_LENGTH} characters"))
    if problems or on is None or units is None:
        return None, problems
    return Rate(currency, on, units, source), []


def _units_per_usd(text: str, problems: list[tuple[str, str]]) -> Decimal | None:
    if not text:
        problems.append(("units_per_usd", "is missing"))
        return None
    try:
        value = parse_amount(text)
        to_units(value, RATE_DIGITS)
    except MoneyError as exc:
        problems.append(("units_per_usd", str(exc)))
        return None
    if value <= 0:
        problems.append(("units_per_usd", f"{text} must be positive"))
        return None
    return value


def _plain(value: Decimal) -> str:
    """`0.921` whether read from the file or stored in millionths (`0.921000`)."""
    return f"{value.normalize():f}"


@dataclass(frozen=True)
class RateChange:
    """A rate held for a currency and date that the file revised."""

    currency: str
    effective_date: date
    before: Decimal
    after: Decimal
    source_before: str
    source_after: str

    def __str__(self) -> str:
        text = (
            f"{self.currency} {self.effective_date.isoformat()}:"
            f" {_plain(self.before)} → {_plain(self.after)}"
        )
        if self.source_before != self.source_after:
            text += f" (source {self.source_before} → {self.source_after})"
        return text


@dataclass(frozen=True)
class RatesImported:
    file: str
    added: int
    changed: tuple[RateChange, ...]
    unchanged: int

    def summary(self) -> str:
        return (
            f"{self.file}: {self.added:,} rates added, {len(self.changed):,} changed,"
            f" {self.unchanged:,} unchanged."
        )


def read_rates_file(path: str | Path) -> list[tuple[int, Rate]]:
    """Every rate of the file with its row number; `ImportRefused` listing every problem."""
    with TableFile(path) as table:
        problems = header_problems(table.header, RATE_COLUMNS, ("source",))
        if problems:
            raise ImportRefused(table.name, problems)
        rates: list[tuple[int, Rate]] = []
        first_row: dict[tuple[str, date], int] = {}
        for number, cells in table:
            rate, found = parse_rate_row(dict(zip(table.header, cells, strict=False)))
            if len(cells) > len(table.header):
                found.append((table.header[-1], "more cells than columns in the header"))
            problems.extend(RowProblem(number, column, reason) for column, reason in found)
            if rate is None or found:
                continue
            key = (rate.currency, rate.effective_date)
            if key in first_row:
                problems.append(
                    RowProblem(
                        number,
                        "effective_date",
                        f"a second {rate.currency} rate effective {rate.effective_date}"
                        f" (first on row {first_row[key]})",
                    )
                )
                continue
            first_row[key] = number
            rates.append((number, rate))
        if problems:
            raise ImportRefused(table.name, problems)
    return rates


def import_rates(
    engine: Engine, config: Config, path: str | Path, *, now: datetime
) -> RatesImported:
    """Load the rates of `path`: all or nothing (R19, R20). Any user but a viewer may load them
    (R26: UN ORE rates are published reference data, the same for every agency); only the
    Working Group revises the value of a rate already held (`ImportRefused`, one problem per
    row, nothing written). Each rate added or revised writes an audit event (R25)."""
    user = config.user
    ensure_allowed(check_permission(user.role, user.agency, "change", None, published=True))
    rates = read_rates_file(path)
    may_revise = user.role == Role.working_group
    table = ExchangeRate.__table__
    added = unchanged = 0
    changes: list[RateChange] = []
    with engine.begin() as conn:
        held: dict[tuple[str, date], tuple[int, Decimal, str]] = {}
        keys = [(r.currency, r.effective_date) for _, r in rates]
        for i in range(0, len(keys), 500):
            found = conn.execute(
                select(table.c.id, table.c.currency, table.c.effective_date,
                       table.c.units_per_usd, table.c.source)
                .where(tuple_(table.c.currency, table.c.effective_date).in_(keys[i : i + 500]))
            )  # fmt: skip
            for row_id, currency, on, units, source in found:
                held[(currency, on)] = (row_id, units, source)
        if not may_revise:
            revisions = [
                RowProblem(
                    number,
                    None,
                    f"{rate.currency} {rate.effective_date.isoformat()} is already"
                    f" {_plain(old[1])}; only the Working Group revises a published rate",
                )
                for number, rate in rates
                if (old := held.get((rate.currency, rate.effective_date))) is not None
                and old[1] != rate.units_per_usd
            ]
            if revisions:
                raise ImportRefused(str(path), revisions)
        audit: list[dict] = []
        for _, rate in rates:
            values = {"units_per_usd": rate.units_per_usd, "source": rate.source}
            old = held.get((rate.currency, rate.effective_date))
            if old is None:
                row_id = conn.execute(
                    table.insert().values(
                        currency=rate.currency, effective_date=rate.effective_date, **values
                    )
                ).inserted_primary_key[0]
                added += 1
                before = None
            elif (old[1], old[2]) == (rate.units_per_usd, rate.source):
                unchanged += 1
                continue
            else:
                row_id = old[0]
                conn.execute(table.update().where(table.c.id == row_id).values(**values))
                changes.append(
                    RateChange(rate.currency, rate.effective_date, old[1], rate.units_per_usd,
                               old[2], rate.source)
                )  # fmt: skip
                before = {"units_per_usd": _plain(old[1]), "source": old[2]}
            record = AuditRecord(
                at=now,
                who=user.name,
                entity="exchange_rate",
                entity_id=row_id,
                action="import",
                before=before,
                after={
                    "currency": rate.currency,
                    "effective_date": rate.effective_date,
                    "units_per_usd": _plain(rate.units_per_usd),
                    "source": rate.source,
                },
            )
            audit.append(record.payload())
        if audit:
            conn.execute(AuditEvent.__table__.insert(), audit)
    return RatesImported(str(path), added, tuple(changes), unchanged)
