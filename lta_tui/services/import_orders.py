"""`lta-tui import orders FILE`: an agency's existing orders from a CSV or XLSX file.

One row per order line; the rows sharing a `po_number` (one after the other) form one order
and must agree on its header columns. The whole file is checked: every problem is collected
with its row, column and reason, and any problem means nothing is written. The rules are the
domain's own functions (R12 dates, R13 direct orders under a sub-LTA in its currency, R15 the
sub-LTA's and the LTA's ceilings, R17 consolidators suspended on the order date, R18 quantities
and prices, R19 ISO codes, R20 the rate in force, R25 one audit event per order, R26 who may
import); amounts are `line_amount` and `to_usd` per line, totals their sums, exactly as the
order form stores them.

R15: each order in a spend status (issued, partially delivered, delivered, closed) is checked
against its sub-LTA's ceiling (in the sub-LTA's currency) and the LTA's (USD, when set), with
what the database already holds in spend statuses plus the file's earlier orders. Past 100 % is
a problem of the order's first row; a warning (at or above `rules.ceiling_warn_pct`) stops the
import with nothing written unless the user acknowledges the warnings
(`acknowledge_warnings`, `--acknowledge-warnings`), and then each order stores its warnings
in `acknowledged_warnings` as the order form does.

Deliveries: delivered and closed orders have every line delivered in full, draft, issued and
cancelled orders none; a partially delivered order gives `delivered_quantity` on each line
(0 up to the quantity, some delivered and not all in full). Only the lines' delivered
quantities are stored: the file has no delivery dates, so no delivery is recorded. A cancelled
order stores `cancellation_reason` (default "cancelled before import").

Mini-competition orders import without their competition or award: the file names neither, so
R14 (an order matches its award) cannot be checked on an import.

Fast: reference data, rates, PO numbers and the ceilings' sums are read once into dicts, rows
stream through and go to the database in bulk inserts inside one transaction, rolled back if
any problem turns up.
"""

from __future__ import annotations

import gc
import json
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager, nullcontext
from dataclasses import dataclass, field
from datetime import date, datetime, timezone
from decimal import Decimal
from operator import itemgetter
from pathlib import Path

from sqlalchemy import BigInteger, Engine, func, select, type_coerce
from sqlalchemy.engine import Connection

from lta_tui.config import Config
from lta_tui.domain.fx import MissingRate, Rate, rate_in_force, to_usd
from lta_tui.domain.money import (
    QUANTITY_DIGITS,
    RATE_DIGITS,
    SCALE_DIGITS,
    MoneyError,
    from_units,
    line_amount,
    parse_amount,
    round_money,
    to_units,
)
from lta_tui.domain.rules import (
    AuditRecord,
    Holding,
    Period,
    SubLtaTerms,
    check_ceiling,
    check_consolidator_eligible,
    check_direct_order,
    check_iso_codes,
    check_order_date,
    check_permission,
    check_quantity_and_price,
    check_rate_in_force,
    ensure_allowed,
    snapshot_json,
)
from lta_tui.domain.rules.findings import Finding, Severity
from lta_tui.domain.states import SPEND_STATUSES, Channel, LineKind, OrderStatus
from lta_tui.services.database import DatabaseNotReady
from lta_tui.services.import_files import (
    ImportNeedsAcknowledgement,
    ImportRefused,
    RowProblem,
    TableFile,
    header_problems,
)
from lta_tui.services.order_write import acknowledgement
from lta_tui.store.bulk import (
    BIG,
    LINE_COLUMNS,
    ORDER_COLUMNS,
    BulkWriter,
    sqlite_date,
    sqlite_datetime,
)
from lta_tui.store.models import (
    Agency,
    AuditEvent,
    Consolidator,
    ExchangeRate,
    Lot,
    LotHolding,
    Lta,
    Order,
    OrderLine,
    ServiceType,
    SubLta,
)

COLUMNS = (
    "po_number", "agency", "consolidator", "lot", "channel", "sub_lta", "order_date", "currency",
    "destination_country", "description", "unspsc", "kind", "service_type", "quantity",
    "unit_price", "status",
)  # fmt: skip
#: Columns a file may add: how much of each line was delivered, why an order was cancelled.
OPTIONAL_COLUMNS = ("delivered_quantity", "cancellation_reason")
#: The columns of the order itself: every row of one PO must repeat the same values.
ORDER_FIELDS = (
    "agency", "consolidator", "lot", "channel", "sub_lta", "order_date", "currency",
    "destination_country", "status",
)  # fmt: skip
#: The reason stored for a cancelled order whose row gives none.
DEFAULT_CANCELLATION = "cancelled before import"
#: The option of `lta-tui import orders` that acknowledges the import's warnings (R15).
ACKNOWLEDGE_OPTION = "--acknowledge-warnings"

_LINE_FIELDS = ("description", "unspsc", "kind", "service_type", "quantity", "unit_price")
_AUDIT_COLUMNS = ("id", "at", "who", "entity", "entity_id", "action", "before", "after")
#: The line columns alike on every imported line (no catalogue item named, unit "each"): given
#: once to the insert, not on each line's tuple, which holds the other LINE_COLUMNS in order.
_LINE_CONSTANTS = {"catalogue_item_id": None, "unit": "each"}
_LINE_VALUES = tuple(c for c in LINE_COLUMNS if c not in _LINE_CONSTANTS)

_STATUSES = {s.value for s in OrderStatus}
_CHANNELS = {c.value for c in Channel}
_GOODS, _SERVICE = LineKind.goods.value, LineKind.service.value
_DRAFT = OrderStatus.draft.value
_CANCELLED = OrderStatus.cancelled.value
_PARTIAL = OrderStatus.partially_delivered.value
_DELIVERED = {OrderStatus.delivered.value, OrderStatus.closed.value}
_SPEND = {s.value for s in SPEND_STATUSES}
#: Lines held before a batch goes to the database.
_FLUSH_LINES = 50_000
_PROGRESS_EVERY = 5_000
#: Lines from which a load into a smaller database sets the big tables' indexes aside.
_BIG_LOAD = 20_000
#: Stored integers are BIGINTs: an amount past this is a typing mistake, not an order.
_MAX_UNITS = 10**17
_MAX_PO = 60
#: Rows per index SQLite's ANALYZE samples after a big load.
_ANALYSIS_LIMIT = 1_000
_MAX_DESCRIPTION = 300

Progress = Callable[[int, "int | None"], None]


@dataclass(frozen=True)
class OrdersImported:
    file: str
    orders: int
    lines: int
    seconds: float

    def summary(self) -> str:
        rate = f" ({self.lines / self.seconds:,.0f} lines/s)" if self.seconds >= 1 else ""
        orders = f"{self.orders:,} order{'s' if self.orders != 1 else ''}"
        lines = f"{self.lines:,} line{'s' if self.lines != 1 else ''}"
        return f"{self.file}: imported {orders} with {lines} in {self.seconds:.1f} s{rate}."


@dataclass
class _Reference:
    """What the checks need, read once: codes to ids, periods, rates, PO numbers held, and what
    the ceilings (R15) already carry."""

    lta_id: int
    lta_reference: str
    lta_valid: Period
    lta_ceiling: Decimal | None
    lta_used: int  # stored units of USD in spend statuses
    agencies: dict[str, int]
    consolidators: dict[str, tuple[int, str, date | None, str | None]]
    lots: dict[str, int]
    holdings: list[Holding]
    #: reference → id, terms (with currency), ceiling, ceiling in stored units
    sub_ltas: dict[str, tuple[int, SubLtaTerms, Decimal, int]]
    sub_used: dict[int, int]  # sub-LTA id → stored units of its currency in spend statuses
    services: dict[str, int]
    rates: dict[str, list[Rate]]
    po_numbers: set[str]


def _reference(conn: Connection, config: Config) -> _Reference:
    lta = conn.execute(
        select(Lta.id, Lta.reference, Lta.valid_from, Lta.valid_to, Lta.ceiling_usd).where(
            Lta.reference == config.lta.reference
        )
    ).first()
    if lta is None:
        raise DatabaseNotReady(
            f"LTA {config.lta.reference} is not in the database: run `lta-tui init`"
        )
    agencies = dict(conn.execute(select(Agency.code, Agency.id)).all())
    consolidators = {
        code: (cid, eligibility, since, reason)
        for cid, code, eligibility, since, reason in conn.execute(
            select(
                Consolidator.id,
                Consolidator.code,
                Consolidator.eligibility,
                Consolidator.eligibility_since,
                Consolidator.eligibility_reason,
            )
        )
    }
    lots = {
        str(number): lot_id
        for lot_id, number in conn.execute(select(Lot.id, Lot.number).where(Lot.lta_id == lta.id))
    }
    holdings = [
        Holding(code, number, start, end)
        for code, number, start, end in conn.execute(
            select(Consolidator.code, Lot.number, LotHolding.active_from, LotHolding.active_to)
            .join(Consolidator, Consolidator.id == LotHolding.consolidator_id)
            .join(Lot, Lot.id == LotHolding.lot_id)
            .where(Lot.lta_id == lta.id)
        )
    ]
    sub_ltas = {
        ref: (
            sid,
            SubLtaTerms(ref, agency, holder, Period(start, end), currency),
            ceiling,
            to_units(ceiling),
        )
        for sid, ref, agency, holder, start, end, currency, ceiling in conn.execute(
            select(
                SubLta.id,
                SubLta.reference,
                Agency.code,
                Consolidator.code,
                SubLta.valid_from,
                SubLta.valid_to,
                SubLta.currency,
                SubLta.ceiling,
            )
            .join(Agency, Agency.id == SubLta.agency_id)
            .join(Consolidator, Consolidator.id == SubLta.consolidator_id)
        )
    }
    # R15: what each ceiling already carries, one query per table (stored integer units)
    spend = [s.value for s in SPEND_STATUSES]
    sub_used = {
        sid: int(used or 0)
        for sid, used in conn.execute(
            select(Order.sub_lta_id, func.sum(type_coerce(Order.total, BigInteger)))
            .where(Order.sub_lta_id.is_not(None), Order.status.in_(spend))
            .group_by(Order.sub_lta_id)
        )
    }
    lta_used = conn.execute(
        select(func.sum(type_coerce(Order.total_usd, BigInteger))).where(
            Order.lta_id == lta.id, Order.status.in_(spend)
        )
    ).scalar()
    services = dict(conn.execute(select(ServiceType.code, ServiceType.id)).all())
    rates: dict[str, list[Rate]] = {}
    for currency, on, units, source in conn.execute(
        select(
            ExchangeRate.currency,
            ExchangeRate.effective_date,
            ExchangeRate.units_per_usd,
            ExchangeRate.source,
        ).order_by(ExchangeRate.currency, ExchangeRate.effective_date)
    ):
        rates.setdefault(currency, []).append(Rate(currency, on, units, source))
    po_numbers = set(conn.execute(select(Order.po_number)).scalars())
    return _Reference(
        lta_id=lta.id,
        lta_reference=lta.reference,
        lta_valid=Period(lta.valid_from, lta.valid_to),
        lta_ceiling=lta.ceiling_usd,
        lta_used=int(lta_used or 0),
        agencies=agencies,
        consolidators=consolidators,
        lots=lots,
        holdings=holdings,
        sub_ltas=sub_ltas,
        sub_used=sub_used,
        services=services,
        rates=rates,
        po_numbers=po_numbers,
    )


@dataclass(slots=True)
class _Header:
    """The order a PO's first row describes, once its columns are checked (ids and rate)."""

    row: int
    po: str
    values: tuple[str, ...]
    agency: str
    currency: str
    status: str
    ok: bool = False
    agency_id: int = 0
    consolidator_id: int = 0
    lot_id: int = 0
    channel: str = ""
    sub_lta: tuple[int, SubLtaTerms, Decimal, int] | None = None
    sub_lta_id: int | None = None
    order_date: date | None = None
    day: date | str | None = None  # order_date as the writer stores it
    country: str = ""
    rate: Rate | None = None
    fx: tuple[int, date | str | None, str] = (0, None, "")  # stored rate, its date, source
    cancellation_reason: str | None = None
    last_row: int = 0
    delivered: bool = False  # delivered or closed: every line delivered in full
    partial: bool = False  # partially delivered: delivered_quantity on every line
    delivery_known: bool = True  # every line's delivered quantity read (partial orders)
    any_delivered: bool = False
    all_full: bool = True
    order_id: int = 0
    lines: int = 0
    total: int = 0  # stored units
    total_usd: int = 0
    #: (quantity text, unit price text) → stored quantity, unit price, amount, and the amount
    #: as a Decimal, for the order's currency; amount units → USD units for the order's rate
    amounts: dict[tuple[str, str], tuple[int, int, int, Decimal]] = field(default_factory=dict)
    usd: dict[int, int] = field(default_factory=dict)
    acknowledged: str | None = None


class _Importer:
    """Checks rows one by one; while no problem is found, puts the stored form of each line
    straight into `out`'s next batch (a problem anywhere means nothing is written)."""

    def __init__(
        self,
        ref: _Reference,
        config: Config,
        problems: list[RowProblem],
        header: list[str],
        out: _Writer,
        *,
        acknowledge: bool,
    ) -> None:
        self.ref, self.config, self.problems, self.out = ref, config, problems, out
        self.acknowledge = acknowledge
        self.warnings: list[RowProblem] = []
        self.line_cells = itemgetter(*(header.index(name) for name in _LINE_FIELDS))
        self.order_cells = itemgetter(*(header.index(name) for name in ORDER_FIELDS))
        self.delivered_at = (
            header.index("delivered_quantity") if "delivered_quantity" in header else None
        )
        self.reason_at = (
            header.index("cancellation_reason") if "cancellation_reason" in header else None
        )
        self.user = config.user
        self.warn_pct = config.rules.ceiling_warn_pct
        self._iso: dict[tuple[str, str], list[str]] = {}
        self._dates: dict[str, date | None] = {}
        self._r12: dict[tuple[date, str, str], list[str]] = {}
        self._fixed: dict[tuple[str, ...], tuple] = {}
        self._rates: dict[
            tuple[str, date],
            tuple[Rate | None, list[str], dict[int, int], tuple[int, date | str, str]],
        ] = {}
        self._usd: dict[tuple[str, Decimal], dict[int, int]] = {}
        self._amounts: dict[str, dict[tuple[str, str], tuple[int, int, int, Decimal]]] = {}
        self.sub_used = dict(ref.sub_used)  # running sums: the database, then the file's orders
        self.lta_used = ref.lta_used
        self.lta_ceiling = None if ref.lta_ceiling is None else to_units(ref.lta_ceiling)
        # the same quantities, prices and UNSPSC codes come back again and again: checked once
        self.quantities: dict[str, tuple[Decimal, int]] = {}
        self.prices: dict[str, tuple[Decimal, int]] = {}
        self.unspsc: set[str] = set()
        self.seen: dict[str, tuple[int, int]] = {}  # PO → (first row, last row)

    def problem(self, row: int, column: str | None, message: str) -> None:
        self.problems.append(RowProblem(row, column, message))

    # --- the order's columns -----------------------------------------------------------------

    def header(self, row: int, po: str, cells: list[str]) -> _Header:
        """Check a PO's first row's order columns; `ok` when the order can be computed. The
        checks that do not depend on the order date are made once per distinct set of those
        columns (a file repeats them order after order), the others once per order."""
        values = self.order_cells(cells)
        if self.reason_at is not None:
            values = (*values, cells[self.reason_at])
        agency, code, lot, channel, sub_lta, day_text, currency, country, status = values[:9]
        h = _Header(row, po, values, agency, currency, status)
        h.partial = status == _PARTIAL
        h.delivered = status in _DELIVERED
        before = len(self.problems)
        if not po:
            self.problem(row, "po_number", "is missing")
        elif len(po) > _MAX_PO:
            self.problem(row, "po_number", f"longer than {_MAX_PO} characters")
        elif po in self.seen:
            first, last = self.seen[po]
            self.problem(
                row,
                "po_number",
                f"{po} is already used by rows {first}–{last}: the"
                " rows of one order follow each other (a second order with this number?)",
            )
        elif po in self.ref.po_numbers:
            self.problem(row, "po_number", f"{po} already exists in the database")
        key = values[:5] + values[6:]
        fixed = self._fixed.get(key)
        if fixed is None:
            fixed = self._fixed[key] = self._undated(values)
        found, agency_id, holder, lot_id, sub, h.cancellation_reason = fixed
        for column, message in found:
            self.problem(row, column, message)
        on = self._date(day_text)
        if on is None:
            self.problem(
                row,
                "order_date",
                _missing_or(day_text, f"{day_text!r} is not a date (YYYY-MM-DD)"),
            )
        else:
            if holder is not None and lot_id is not None:
                for message in self._order_date(on, code, lot):
                    self.problem(row, "order_date", message)
            if holder is not None:
                _, eligibility, since, why = holder
                for f in check_consolidator_eligible(code, eligibility, "order", since, why, on=on):
                    self.problem(row, "consolidator", f.message)
            if channel == Channel.direct.value and agency_id is not None and holder is not None:
                if not sub_lta or sub is not None:
                    self._direct(row, agency, code, on, currency, sub)
            if not self._iso_check("currency", currency):
                h.rate, messages, h.usd, h.fx = self._rate(currency, on)
                for message in messages:
                    self.problem(row, "currency", message)
        if len(self.problems) == before and h.rate is not None:
            assert holder is not None and lot_id is not None and on is not None
            assert agency_id is not None
            h.ok = True
            h.agency_id, h.consolidator_id, h.lot_id, h.channel = (
                agency_id,
                holder[0],
                lot_id,
                channel,
            )
            h.sub_lta = sub
            h.sub_lta_id = sub[0] if sub else None
            h.order_date, h.country = on, country
            h.day = day_text if self.out.sqlite else on  # the text of a valid ISO date
            h.order_id = self.out.order_id
            h.amounts = self._amounts.setdefault(currency, {})
        return h

    def _undated(
        self, values: tuple[str, ...]
    ) -> tuple[
        list[tuple[str, str]],
        int | None,
        tuple[int, str, date | None, str | None] | None,
        int | None,
        tuple[int, SubLtaTerms, Decimal, int] | None,
        str | None,
    ]:
        """The checks of an order's columns but its date: (column, message) of each problem,
        the agency id, the consolidator, the lot id, the sub-LTA, the cancellation reason."""
        agency, code, lot, channel, sub_lta, _, currency, country, status = values[:9]
        reason = values[9] if len(values) > 9 else ""
        ref = self.ref
        found: list[tuple[str, str]] = []
        agency_id = ref.agencies.get(agency)
        if agency_id is None:
            found.append(("agency", _missing_or(agency, f"unknown agency {agency!r}")))
        else:
            user = self.user
            for f in check_permission(user.role, user.agency, "change", agency):
                found.append(("agency", f.message))
        holder = ref.consolidators.get(code)
        if holder is None:
            known = ", ".join(sorted(ref.consolidators))
            found.append(
                (
                    "consolidator",
                    _missing_or(code, f"unknown consolidator {code!r} (known: {known})"),
                )
            )
        lot_id = ref.lots.get(lot)
        if lot_id is None:
            lots = ", ".join(sorted(ref.lots))
            found.append(
                (
                    "lot",
                    _missing_or(lot, f"{lot!r} is not a lot of LTA {ref.lta_reference} ({lots})"),
                )
            )
        if channel not in _CHANNELS:
            use = " or ".join(sorted(_CHANNELS))
            found.append(
                ("channel", _missing_or(channel, f"unknown channel {channel!r} (use {use})"))
            )
        found += [("currency", m) for m in self._iso_check("currency", currency)]
        found += [("destination_country", m) for m in self._iso_check("country", country)]
        cancellation = None
        if status not in _STATUSES:
            use = ", ".join(s.value for s in OrderStatus)
            found.append(("status", _missing_or(status, f"unknown status {status!r} (use {use})")))
        elif status == _CANCELLED:
            cancellation = reason or DEFAULT_CANCELLATION
        elif reason:
            found.append(
                (
                    "cancellation_reason",
                    f"the order is {status}: only a cancelled order has a cancellation reason"
                    " (leave it empty)",
                )
            )
        sub = ref.sub_ltas.get(sub_lta) if sub_lta else None
        if sub_lta and sub is None:
            found.append(("sub_lta", f"unknown sub-LTA {sub_lta!r}"))
        elif sub_lta and channel == Channel.mini_competition.value:
            found.append(
                (
                    "sub_lta",
                    "a mini-competition order is not placed under a sub-LTA:"
                    " leave sub_lta empty or make the channel direct",
                )
            )
        return found, agency_id, holder, lot_id, sub, cancellation

    def disagree(self, row: int, values: tuple[str, ...], h: _Header) -> None:
        """A later row of an order whose order columns differ from its first row's."""
        names = (
            ORDER_FIELDS
            if len(values) == len(ORDER_FIELDS)
            else ORDER_FIELDS + ("cancellation_reason",)
        )
        for name, was, now in zip(names, h.values, values, strict=True):
            if was != now:
                self.problem(
                    row,
                    name,
                    f"{now!r} differs from {was!r} on row {h.row}, the first row of PO"
                    f" {h.po}: the rows of one order agree on it",
                )
        h.ok = False

    def _direct(
        self,
        row: int,
        agency: str,
        consolidator: str,
        on: date,
        currency: str,
        sub: tuple[int, SubLtaTerms, Decimal, int] | None,
    ) -> None:
        """R13 without the catalogue: the file names no catalogue item."""
        findings = check_direct_order(
            agency=agency,
            consolidator=consolidator,
            order_date=on,
            currency=currency,
            lines=(),
            sub_lta=sub[1] if sub else None,
            catalogue=(),
        )
        for f in findings:
            self.problem(row, f.field or "sub_lta", f.message)

    def _rate(
        self, currency: str, on: date
    ) -> tuple[Rate | None, list[str], dict[int, int], tuple[int, date | str, str]]:
        """R20: the rate in force on the order date (USD: 1, effective that day), or the
        rule's messages when there is none; with the USD amounts known at that rate (shared by
        the currency's rates of the same units per USD) and the rate as an order stores it."""
        key = (currency, on)
        found = self._rates.get(key)
        if found is None:
            rate: Rate | None
            messages: list[str] = []
            if currency == "USD":
                rate = Rate("USD", on, Decimal(1), "USD")
            else:
                rates = self.ref.rates.get(currency, [])
                try:
                    rate = rate_in_force(rates, currency, on)
                except MissingRate:
                    rate = None
                    messages = [f.message for f in check_rate_in_force(rates, currency, on)]
            if rate is None:
                found = (None, messages, {}, (0, "", ""))
            else:
                effective = rate.effective_date
                found = (
                    rate,
                    messages,
                    self._usd.setdefault((currency, rate.units_per_usd), {}),
                    (
                        to_units(rate.units_per_usd, RATE_DIGITS),
                        sqlite_date(effective) if self.out.sqlite else effective,
                        rate.source,
                    ),
                )
            self._rates[key] = found
        return found

    def _date(self, text: str) -> date | None:
        if text not in self._dates:
            try:
                self._dates[text] = date.fromisoformat(text) if len(text) == 10 else None
            except ValueError:
                self._dates[text] = None
        return self._dates[text]

    def _iso_check(self, kind: str, code: str) -> list[str]:
        key = (kind, code)
        found = self._iso.get(key)
        if found is None:
            if not code:
                found = ["is missing"]
            else:
                found = [f.message for f in check_iso_codes(**{kind: code})]
            self._iso[key] = found
        return found

    def _order_date(self, on: date, consolidator: str, lot: str) -> list[str]:
        key = (on, consolidator, lot)
        found = self._r12.get(key)
        if found is None:
            ref = self.ref
            found = [
                f.message
                for f in check_order_date(
                    on, ref.lta_reference, ref.lta_valid, ref.holdings, consolidator, int(lot)
                )
            ]
            self._r12[key] = found
        return found

    # --- the lines ---------------------------------------------------------------------------

    def line(self, row: int, cells: list[str], h: _Header) -> None:
        """Check one line in full; when its order is fine, put its stored values in `out`."""
        description, unspsc, kind, service, quantity_text, price_text = self.line_cells(cells)
        if not description or len(description) > _MAX_DESCRIPTION:
            self.problem(row, "description", _missing_or(description,
                         f"longer than {_MAX_DESCRIPTION} characters"))  # fmt: skip
        if unspsc not in self.unspsc:
            if len(unspsc) == 8 and unspsc.isdecimal() and unspsc.isascii():
                self.unspsc.add(unspsc)
            else:
                self.problem(
                    row, "unspsc", _missing_or(unspsc, f"{unspsc!r} is not an 8-digit UNSPSC code")
                )
        service_id = None
        if kind == _GOODS:
            if service:
                self.problem(
                    row, "service_type", "a goods line has no service type: leave it empty"
                )
        elif kind == _SERVICE:
            service_id = self.ref.services.get(service)
            if service_id is None:
                known = ", ".join(sorted(self.ref.services))
                self.problem(
                    row,
                    "service_type",
                    f"a service line needs its service type ({known})"
                    if not service
                    else f"unknown service type {service!r} (use {known})",
                )
        else:
            self.problem(
                row, "kind", _missing_or(kind, f"unknown kind {kind!r} (use goods or service)")
            )
        quantity = self.quantities.get(quantity_text) or self._number(
            row, "quantity", quantity_text, QUANTITY_DIGITS, self.quantities
        )
        price = self.prices.get(price_text) or self._number(
            row, "unit_price", price_text, SCALE_DIGITS, self.prices
        )
        delivered = self._delivered(row, cells, h, quantity)
        if quantity is None or price is None:
            return
        if quantity[1] <= 0 or price[1] < 0:  # R18, through its rule for the message
            for f in check_quantity_and_price(quantity[0], price[0]):
                self.problem(row, f.field, f.message)
            return
        if not h.ok or self.problems or delivered is None:
            return  # nothing will be written: checking goes on, computing stops
        rate = h.rate
        assert rate is not None
        found = h.amounts.get((quantity_text, price_text))
        if found is None:
            amount = line_amount(quantity[0], price[0], h.currency)
            # rounded to a minor unit (at most 4 decimals): the stored integer is exact
            units = int(amount.scaleb(SCALE_DIGITS))
            if abs(units) >= _MAX_UNITS:
                self.problem(row, "quantity", f"the line amount {amount} is too large to store")
                return
            found = h.amounts[quantity_text, price_text] = (quantity[1], price[1], units, amount)
        qty, price_units, amount_units, amount = found
        usd_units = h.usd.get(amount_units)
        if usd_units is None:
            usd_units = int(to_usd(amount, rate).scaleb(SCALE_DIGITS))
            if abs(usd_units) >= _MAX_UNITS:
                self.problem(row, "quantity", f"the line amount {amount} is too large to store")
                return
            h.usd[amount_units] = usd_units
        h.lines += 1
        h.total += amount_units
        h.total_usd += usd_units
        out = self.out
        out.lines.append((out.line_id, h.order_id, h.lines, kind, service_id, description,
                          unspsc, qty, price_units, amount_units, usd_units,
                          delivered))  # fmt: skip
        out.line_id += 1

    def _delivered(
        self, row: int, cells: list[str], h: _Header, quantity: tuple[Decimal, int] | None
    ) -> int | None:
        """The line's stored delivered quantity: given on every line of a partially delivered
        order (0 up to the quantity), else the status's own (all of it or nothing); None and a
        problem when it is wrong."""
        text = cells[self.delivered_at] if self.delivered_at is not None else ""
        column = "delivered_quantity"
        if h.partial:
            if not text:
                h.delivery_known = False
                self.problem(
                    row,
                    column,
                    "a partially delivered order gives the quantity delivered of each line"
                    " (from 0 up to its quantity)"
                    + ("" if self.delivered_at is not None else ": add the column"),
                )
                return None
            given = self.quantities.get(text) or self._number(
                row, column, text, QUANTITY_DIGITS, self.quantities
            )
            if given is None or quantity is None:
                h.delivery_known = False
                return None
            if not 0 <= given[1] <= quantity[1]:
                h.delivery_known = False
                self.problem(
                    row, column, f"{text} is not between 0 and the line's quantity {quantity[0]}"
                )
                return None
            if given[1]:
                h.any_delivered = True
            if given[1] != quantity[1]:
                h.all_full = False
            return given[1]
        if h.status not in _STATUSES:
            return 0
        default = quantity[1] if h.delivered and quantity is not None else 0
        if not text:
            return default
        given = self.quantities.get(text) or self._number(
            row, column, text, QUANTITY_DIGITS, self.quantities
        )
        if given is None:
            return None
        if quantity is not None and given[1] != default:
            self.problem(
                row,
                column,
                f"a {h.status} order has "
                + (
                    f"every line delivered in full: {text} is not the quantity {quantity[0]}"
                    if h.delivered
                    else f"nothing delivered: {text} is not 0"
                )
                + " (leave it empty, or make the status partially_delivered)",
            )
            return None
        return default

    def finish(self, h: _Header) -> None:
        """The end of an order's rows: its order-wide checks, then its rows for the writer."""
        if h.po and h.po not in self.seen:
            self.seen[h.po] = (h.row, h.last_row)
        if h.partial and h.delivery_known and (not h.any_delivered or h.all_full):
            self.problem(
                h.row,
                "delivered_quantity",
                f"PO {h.po} is partially delivered: some of its quantities are delivered and"
                " not all of them ("
                + ("nothing is delivered: make it issued" if not h.any_delivered
                   else "every line is delivered in full: make it delivered")
                + ")",
            )  # fmt: skip
        if not h.ok or self.problems:
            return
        if h.status in _SPEND:
            self._ceilings(h)
            if self.problems:
                return
        self.out.add(h)

    def _ceilings(self, h: _Header) -> None:
        """R15: the sub-LTA's ceiling (its currency) and the LTA's (USD), with what the database
        and the file's earlier orders already use. The domain's `check_ceiling` decides; it is
        called only when the running sum reaches the warning % (the same exact test it makes,
        in stored integers), so the usual order costs two integer comparisons."""
        found: list[Finding] = []
        pct = self.warn_pct
        sub = h.sub_lta
        if sub is not None and sub[1].currency == h.currency:
            sid, terms, ceiling, ceiling_units = sub
            used = self.sub_used.get(sid, 0)
            if (used + h.total) * 100 >= pct * ceiling_units and used + h.total > 0:
                found += check_ceiling(
                    label=f"sub-LTA {terms.reference}",
                    ceiling=ceiling,
                    used=from_units(used),
                    amount=from_units(h.total),
                    currency=h.currency,
                    warn_pct=pct,
                )
            self.sub_used[sid] = used + h.total
        if self.lta_ceiling is not None:
            used = self.lta_used
            if (used + h.total_usd) * 100 >= pct * self.lta_ceiling and used + h.total_usd > 0:
                found += check_ceiling(
                    label=f"LTA {self.ref.lta_reference}",
                    ceiling=self.ref.lta_ceiling,
                    used=from_units(used),
                    amount=from_units(h.total_usd),
                    currency="USD",
                    warn_pct=pct,
                )
            self.lta_used = used + h.total_usd
        if not found:
            return
        warnings = []
        for f in found:
            if f.severity == Severity.error:
                self.problem(h.row, None, f"PO {h.po}: {f.message}")
            else:
                warnings.append(f)
                self.warnings.append(RowProblem(h.row, None, f"PO {h.po}: {f.message}"))
        if warnings and self.acknowledge:
            h.acknowledged = json.dumps(
                [acknowledgement(w, self.user.name, self.out.now) for w in warnings],
                ensure_ascii=False,
            )

    def _number(
        self,
        row: int,
        column: str,
        text: str,
        digits: int,
        known: dict[str, tuple[Decimal, int]],
    ) -> tuple[Decimal, int] | None:
        """The value and its stored integer (remembered by its text), or None and a problem."""
        if not text:
            self.problem(row, column, "is missing")
            return None
        try:
            # plain digits (the usual cell) need none of parse_amount's checks of separators
            plain = text.isdecimal() or (
                text.count(".") == 1 and text[-1] != "." and text.replace(".", "").isdecimal()
            )
            value = Decimal(text) if plain and text.isascii() else parse_amount(text)
            found = known[text] = (value, to_units(value, digits))
        except MoneyError as exc:
            self.problem(row, column, str(exc))
            return None
        return found


def _missing_or(value: str, message: str) -> str:
    return message if value else "is missing"


class _Writer:
    """The stored rows of checked orders, inserted in batches through `BulkWriter`: on SQLite
    they hold dates and times already as the text SQLite stores."""

    def __init__(
        self, writer: BulkWriter, ref: _Reference, config: Config, now: datetime, file: str
    ) -> None:
        self.writer, self.ref, self.file = writer, ref, file
        self.sqlite = writer.sqlite
        self.who = config.user.name
        self.now = now
        stamp = now.astimezone(timezone.utc).replace(tzinfo=None)  # as UtcDateTime stores
        self.stamp = sqlite_datetime(stamp) if self.sqlite else stamp
        self.order_id = writer.ids(Order, 0)
        self.line_id = writer.ids(OrderLine, 0)
        self.audit_id = writer.ids(AuditEvent, 0)
        self.audit_checked = False  # R25 checked on the first record of the file
        self.orders: list[tuple] = []
        self.lines: list[tuple] = []
        self.audit: list[tuple] = []
        self.order_count = self.line_count = 0

    def add(self, h: _Header) -> None:
        """The order of the lines just put in `lines`, and its audit event (R25)."""
        assert h.order_date is not None and h.order_id == self.order_id
        total, total_usd, stamp, who = h.total, h.total_usd, self.stamp, self.who
        fx_units, fx_day, fx_source = h.fx
        self.orders.append((
            h.order_id, h.po, self.ref.lta_id, h.agency_id, h.consolidator_id, h.lot_id,
            h.channel, None, h.sub_lta_id, h.day, h.currency, fx_units, fx_day, fx_source,
            h.country, h.status, total, total_usd, None if h.status == _DRAFT else total,
            h.acknowledged, h.cancellation_reason, stamp, who, stamp, who, 1,
        ))  # fmt: skip
        record = AuditRecord(
            at=self.now,
            who=who,
            entity="order",
            entity_id=h.order_id,
            action="import",
            before=None,
            after={
                "po_number": h.po,
                "status": h.status,
                "currency": h.currency,
                "total": str(round_money(from_units(total), h.currency)),
                "total_usd": str(round_money(from_units(total_usd), "USD")),
                "lines": h.lines,
                "file": self.file,
            },
        )
        if self.audit_checked:
            # R25 was checked on the first order's record: who, when, entity and action are the
            # same for every order of the file, and an import has no "before" to compare
            p = {
                "who": record.who.strip(),
                "entity": "order",
                "entity_id": h.order_id,
                "action": "import",
                "before": None,
                "after": snapshot_json(record.after),
            }
        else:
            p = record.payload()
            self.audit_checked = True
        self.audit.append((self.audit_id, stamp, p["who"], p["entity"], p["entity_id"],
                           p["action"], p["before"], p["after"]))  # fmt: skip
        self.audit_id += 1
        self.order_id += 1
        self.order_count += 1
        self.line_count += h.lines
        if len(self.lines) >= _FLUSH_LINES:
            self.flush()

    def flush(self) -> None:
        self.writer.insert(Order, ORDER_COLUMNS, self.orders, stored=True)
        self.writer.insert(
            OrderLine, _LINE_VALUES, self.lines, stored=True, constants=_LINE_CONSTANTS
        )
        self.writer.insert(AuditEvent, _AUDIT_COLUMNS, self.audit, stored=True)
        for rows in (self.orders, self.lines, self.audit):
            rows.clear()


def import_orders(
    engine: Engine,
    config: Config,
    path: str | Path,
    *,
    now: datetime,
    progress: Progress | None = None,
    acknowledge_warnings: bool = False,
) -> OrdersImported:
    """Import the orders of `path` as the config's user; all or nothing.

    R26: only a focal point imports orders, and only the own agency's. Raises `Refused` for a
    user who may not import, `ImportFileError` for a file that cannot be read,
    `ImportRefused` with every problem (row, column, reason) when anything is wrong, and
    `ImportNeedsAcknowledgement` (nothing written) when the orders raise warnings (R15) and
    `acknowledge_warnings` is false; with it, each order stores its warnings as acknowledged.
    """
    started = time.perf_counter()
    user = config.user
    ensure_allowed(check_permission(user.role, user.agency, "change", user.agency))
    problems: list[RowProblem] = []
    with _gc_paused(), TableFile(path) as table, engine.begin() as conn:
        problems.extend(header_problems(table.header, COLUMNS, OPTIONAL_COLUMNS))
        if problems:
            raise ImportRefused(table.name, problems)
        writer = BulkWriter(conn)
        if writer.sqlite and not conn.connection.dbapi_connection.in_transaction:
            # the write lock from the start: no PO number can be taken between check and insert
            conn.exec_driver_sql("BEGIN IMMEDIATE")
        ref = _reference(conn, config)
        out = _Writer(writer, ref, config, now, Path(path).name)
        importer = _Importer(
            ref, config, problems, table.header, out, acknowledge=acknowledge_warnings
        )
        # a load bigger than what the database holds: build the indexes once at the end
        lines = table.estimated_rows or 0
        big_load = lines > _BIG_LOAD and lines > out.line_id
        with writer.indexes_set_aside(*BIG) if big_load else nullcontext():
            _stream(table, importer, out, problems, progress)
            if problems:
                raise ImportRefused(table.name, problems)
            if importer.warnings and not acknowledge_warnings:
                raise ImportNeedsAcknowledgement(table.name, importer.warnings, ACKNOWLEDGE_OPTION)
            out.flush()
        if big_load or not writer.sqlite:
            # planner statistics (SQLite: sampled, as its PRAGMA optimize does); PostgreSQL's
            # id sequences past our ids
            writer.finish(analysis_limit=_ANALYSIS_LIMIT)
    return OrdersImported(str(path), out.order_count, out.line_count, time.perf_counter() - started)


def _stream(
    table: TableFile,
    importer: _Importer,
    out: _Writer,
    problems: list[RowProblem],
    progress: Progress | None,
) -> None:
    """Every row through the checks. The usual line of a sound file takes the short way here:
    its order columns compared with its first row's as one tuple, its quantity and price
    found by their text among the amounts already computed for the order's currency (or
    computed once from values already read), its USD amount among those at the order's rate;
    anything else (a partly delivered order, anything wrong or new) goes through
    `_Importer.line`'s full checks."""
    header = table.header
    width = len(header)
    order_values = importer.order_cells
    if importer.reason_at is not None:
        order_values = itemgetter(*(header.index(n) for n in ORDER_FIELDS),
                                  importer.reason_at)  # fmt: skip
    po_at = header.index("po_number")
    delivered_at = importer.delivered_at
    line_cells, services = importer.line_cells, importer.ref.services
    known_unspsc, quantities, prices = importer.unspsc, importer.quantities, importer.prices
    header_line, full_line = importer.header, importer.line
    lines = out.lines  # cleared in place by each flush
    current = _Header(0, "", (), "", "", "")
    current_po: str | None = None
    # the current order's state, in locals: read once per order, not once per line
    values: tuple[str, ...] = ()
    fast = delivered_all = False
    amounts: dict[tuple[str, str], tuple[int, int, int, Decimal]] = {}
    usd: dict[int, int] = {}
    currency = ""
    previous = done = 0
    total = table.estimated_rows
    next_progress = _PROGRESS_EVERY if progress is not None else -1
    for number, cells in table:
        if len(cells) != width:
            if len(cells) < width:
                cells = cells + [""] * (width - len(cells))
            elif any(cells[width:]):
                problems.append(
                    RowProblem(number, None, f"{len(cells)} cells, the header has {width}")
                )
                cells = cells[:width]
            else:
                cells = cells[:width]
        po = cells[po_at]
        if po != current_po:
            if current_po is not None:
                current.last_row = previous
                importer.finish(current)
            current = header_line(number, po, cells)
            current_po, values = po, current.values
            fast = current.ok and not current.partial
            amounts, usd, currency = current.amounts, current.usd, current.currency
            delivered_all = current.delivered
        else:
            row_values = order_values(cells)
            if row_values != values:
                importer.disagree(number, row_values, current)
                fast = False
        previous = number
        done += 1
        if done == next_progress:
            progress(done, total)
            next_progress += _PROGRESS_EVERY
        if not fast or problems:
            full_line(number, cells, current)
            continue
        description, unspsc, kind, service, quantity_text, price_text = line_cells(cells)
        found = amounts.get((quantity_text, price_text))
        if found is None:
            # a first sight of this quantity and price in this currency, both already read:
            # the amount, once (the line's other cells are checked below all the same)
            quantity = quantities.get(quantity_text)
            price = prices.get(price_text)
            if quantity is None or price is None or quantity[1] <= 0 or price[1] < 0:
                full_line(number, cells, current)
                continue
            amount = line_amount(quantity[0], price[0], currency)
            units = int(amount.scaleb(SCALE_DIGITS))
            if abs(units) >= _MAX_UNITS:
                full_line(number, cells, current)
                continue
            found = amounts[quantity_text, price_text] = (quantity[1], price[1], units, amount)
        if unspsc not in known_unspsc or not description or len(description) > _MAX_DESCRIPTION:
            full_line(number, cells, current)
            continue
        if service:
            service_id = services.get(service) if kind == _SERVICE else None
            if service_id is None:
                full_line(number, cells, current)
                continue
        elif kind == _GOODS:
            service_id = None
        else:
            full_line(number, cells, current)
            continue
        qty, price_units, amount_units, amount = found
        if delivered_at is not None and (text := cells[delivered_at]):
            if not delivered_all or text != quantity_text:
                full_line(number, cells, current)
                continue
        usd_units = usd.get(amount_units)
        if usd_units is None:
            usd_units = int(to_usd(amount, current.rate).scaleb(SCALE_DIGITS))
            if abs(usd_units) >= _MAX_UNITS:
                full_line(number, cells, current)
                continue
            usd[amount_units] = usd_units
        line_no = current.lines = current.lines + 1
        current.total += amount_units
        current.total_usd += usd_units
        line_id = out.line_id
        lines.append((line_id, current.order_id, line_no, kind, service_id, description,
                      unspsc, qty, price_units, amount_units, usd_units,
                      qty if delivered_all else 0))  # fmt: skip
        out.line_id = line_id + 1
    if current_po is not None:
        current.last_row = previous
        importer.finish(current)
    if progress is not None:
        progress(done, done)
    if not done and not problems:
        problems.append(RowProblem(2, None, "the file has a header but no order line"))


@contextmanager
def _gc_paused() -> Iterator[None]:
    """No cyclic garbage collection while the rows pile up: it would rescan every batch held
    (10 % of an import's time) and the import makes no reference cycles worth collecting."""
    was_enabled = gc.isenabled()
    gc.disable()
    try:
        yield
    finally:
        if was_enabled:
            gc.enable()
