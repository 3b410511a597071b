"""`lta-tui import orders FILE`: an agency's existing orders from a CSV or XLSX file.

One row per order line; the rows sharing a `po_number` (one after the other) form one order
and must agree on its header columns. The whole file is checked: every problem is collected
with its row, column and reason, and any problem means nothing is written. The rules are the
domain's own (R12 dates, R13 direct orders under a sub-LTA, R17 suspended consolidators, R18
quantities and prices, R19 ISO codes, R20 the rate in force, R25 one audit event per order,
R26 who may import); amounts are `line_amount` and `to_usd` per line, totals their sums,
exactly as the order form stores them.

Fast: reference data, rates and PO numbers are read once into dicts, rows stream through and
go to the database in bulk inserts inside one transaction, rolled back if any problem turns up.
"""

from __future__ import annotations

import gc
import time
from bisect import bisect_right
from collections.abc import Callable, Iterator
from contextlib import contextmanager, nullcontext
from dataclasses import dataclass
from datetime import date, datetime, timezone
from decimal import Decimal
from operator import itemgetter
from pathlib import Path

from sqlalchemy import Engine, select
from sqlalchemy.engine import Connection

from lta_tui.config import Config
from lta_tui.domain.fx import Rate, to_usd
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
    check_consolidator_eligible,
    check_direct_order,
    check_iso_codes,
    check_order_date,
    check_permission,
    check_quantity_and_price,
    check_rate_in_force,
    ensure_allowed,
)
from lta_tui.domain.rules.findings import error
from lta_tui.domain.states import Channel, Eligibility, LineKind, OrderStatus
from lta_tui.services.database import DatabaseNotReady
from lta_tui.services.import_files import ImportRefused, RowProblem, TableFile, header_problems
from lta_tui.store.bulk import BIG, BulkWriter
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
#: The columns of the order itself: every row of one PO must repeat the same values.
ORDER_FIELDS = (
    "agency", "consolidator", "lot", "channel", "sub_lta", "order_date", "currency",
    "destination_country", "status",
)  # fmt: skip

_LINE_FIELDS = ("description", "unspsc", "kind", "service_type", "quantity", "unit_price")

_ORDER_COLUMNS = (
    "id", "po_number", "lta_id", "agency_id", "consolidator_id", "lot_id", "channel", "award_id",
    "sub_lta_id", "order_date", "currency", "fx_units_per_usd", "fx_effective_date", "fx_source",
    "destination_country", "status", "total", "total_usd", "first_total", "acknowledged_warnings",
    "cancellation_reason", "created_at", "created_by", "updated_at", "updated_by", "version",
)  # fmt: skip
_LINE_COLUMNS = (
    "id", "order_id", "line_no", "kind", "service_type_id", "catalogue_item_id", "description",
    "unspsc", "unit", "quantity", "unit_price", "amount", "amount_usd", "delivered_quantity",
)  # fmt: skip
_AUDIT_COLUMNS = ("id", "at", "who", "entity", "entity_id", "action", "before", "after")

_STATUSES = {s.value for s in OrderStatus}
_CHANNELS = {c.value for c in Channel}
_GOODS, _SERVICE = LineKind.goods.value, LineKind.service.value
_DRAFT = OrderStatus.draft.value
_DELIVERED = {OrderStatus.delivered.value, OrderStatus.closed.value}
#: Lines held before a batch goes to the database.
_FLUSH_LINES = 50_000
_PROGRESS_EVERY = 5_000
#: Lines from which a load into a smaller database sets the big tables' indexes aside.
_BIG_LOAD = 20_000
#: Stored integers are BIGINTs: an amount past this is a typing mistake, not an order.
_MAX_UNITS = 10**17
_MAX_PO = 60
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
    """What the checks need, read once: codes to ids, periods, rates, PO numbers held."""

    lta_id: int
    lta_reference: str
    lta_valid: Period
    agencies: dict[str, int]
    consolidators: dict[str, tuple[int, str, date | None, str | None]]
    lots: dict[str, int]
    holdings: list[Holding]
    sub_ltas: dict[str, tuple[int, SubLtaTerms, str]]
    services: dict[str, int]
    rate_dates: dict[str, list[date]]
    rates: dict[str, list[Rate]]
    po_numbers: set[str]


def _reference(conn: Connection, config: Config) -> _Reference:
    lta = conn.execute(
        select(Lta.id, Lta.reference, Lta.valid_from, Lta.valid_to).where(
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
        ref: (sid, SubLtaTerms(ref, agency, holder, Period(start, end)), currency)
        for sid, ref, agency, holder, start, end, currency in conn.execute(
            select(
                SubLta.id,
                SubLta.reference,
                Agency.code,
                Consolidator.code,
                SubLta.valid_from,
                SubLta.valid_to,
                SubLta.currency,
            )
            .join(Agency, Agency.id == SubLta.agency_id)
            .join(Consolidator, Consolidator.id == SubLta.consolidator_id)
        )
    }
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
        agencies=agencies,
        consolidators=consolidators,
        lots=lots,
        holdings=holdings,
        sub_ltas=sub_ltas,
        services=services,
        rate_dates={c: [r.effective_date for r in rs] for c, rs in rates.items()},
        rates=rates,
        po_numbers=po_numbers,
    )


@dataclass
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
    sub_lta_id: int | None = None
    order_date: date | None = None
    country: str = ""
    rate: Rate | None = None
    last_row: int = 0
    delivered: bool = False
    order_id: int = 0
    lines: int = 0
    total: int = 0  # stored units
    total_usd: int = 0


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
    ) -> None:
        self.ref, self.config, self.problems, self.out = ref, config, problems, out
        self.line_cells = itemgetter(*(header.index(name) for name in _LINE_FIELDS))
        self.user = config.user
        self._iso: dict[tuple[str, str], list[str]] = {}
        self._dates: dict[str, date | None] = {}
        self._r12: dict[tuple[date, str, str], list[str]] = {}
        # the same quantities, prices and lines come back again and again: each computed once
        self.quantities: dict[str, tuple[Decimal, int]] = {}
        self.prices: dict[str, tuple[Decimal, int]] = {}
        self.amounts: dict[tuple[str, str, str], tuple[Decimal, int]] = {}
        self.usd: dict[tuple[int, Decimal], int] = {}
        self.seen: dict[str, tuple[int, int]] = {}  # PO → (first row, last row)

    def problem(self, row: int, column: str | None, message: str) -> None:
        self.problems.append(RowProblem(row, column, message))

    # --- the order's columns -----------------------------------------------------------------

    def header(self, row: int, po: str, cells: dict[str, str]) -> _Header:
        """Check a PO's first row's order columns; `ok` when the order can be computed."""
        values = tuple(cells[name] for name in ORDER_FIELDS)
        h = _Header(row, po, values, cells["agency"], cells["currency"], cells["status"])
        before = len(self.problems)
        ref = self.ref
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
        elif po in ref.po_numbers:
            self.problem(row, "po_number", f"{po} already exists in the database")
        agency = h.agency
        agency_id = ref.agencies.get(agency)
        if agency_id is None:
            self.problem(row, "agency", _missing_or(agency, f"unknown agency {agency!r}"))
        else:
            h.agency_id = agency_id
            for f in check_permission(self.user.role, self.user.agency, "change", agency):
                self.problem(row, "agency", f.message)
        code = cells["consolidator"]
        holder = ref.consolidators.get(code)
        if holder is None:
            known = ", ".join(sorted(ref.consolidators))
            self.problem(
                row,
                "consolidator",
                _missing_or(code, f"unknown consolidator {code!r} (known: {known})"),
            )
        lot = cells["lot"]
        lot_id = ref.lots.get(lot)
        if lot_id is None:
            self.problem(
                row,
                "lot",
                _missing_or(
                    lot,
                    f"{lot!r} is not a lot of LTA"
                    f" {ref.lta_reference} ({', '.join(sorted(ref.lots))})",
                ),
            )
        channel = cells["channel"]
        if channel not in _CHANNELS:
            self.problem(
                row,
                "channel",
                _missing_or(
                    channel, f"unknown channel {channel!r} (use {' or '.join(sorted(_CHANNELS))})"
                ),
            )
        on = self._date(cells["order_date"])
        if on is None:
            self.problem(
                row,
                "order_date",
                _missing_or(
                    cells["order_date"], f"{cells['order_date']!r} is not a date (YYYY-MM-DD)"
                ),
            )
        currency = h.currency
        for message in self._iso_check("currency", currency):
            self.problem(row, "currency", message)
        country = cells["destination_country"]
        for message in self._iso_check("country", country):
            self.problem(row, "destination_country", message)
        if h.status not in _STATUSES:
            self.problem(
                row,
                "status",
                _missing_or(
                    h.status,
                    f"unknown status {h.status!r} (use {', '.join(s.value for s in OrderStatus)})",
                ),
            )
        sub_lta = cells["sub_lta"]
        sub = ref.sub_ltas.get(sub_lta) if sub_lta else None
        if sub_lta and sub is None:
            self.problem(row, "sub_lta", f"unknown sub-LTA {sub_lta!r}")
        elif sub_lta and channel == Channel.mini_competition.value:
            self.problem(
                row,
                "sub_lta",
                "a mini-competition order is not placed under a sub-LTA:"
                " leave sub_lta empty or make the channel direct",
            )
        if on is not None:
            if holder is not None and lot_id is not None:
                for message in self._order_date(on, code, lot):
                    self.problem(row, "order_date", message)
            if holder is not None and holder[1] != Eligibility.eligible.value:
                _, eligibility, since, reason = holder
                if since is None or since <= on:
                    for f in check_consolidator_eligible(code, eligibility, "order", since, reason):
                        self.problem(row, "consolidator", f.message)
            if channel == Channel.direct.value and agency_id is not None and holder is not None:
                if not sub_lta or sub is not None:
                    self._direct(row, agency, code, on, currency, sub)
            if not self._iso_check("currency", currency):
                h.rate = self._rate(row, currency, on)
        if len(self.problems) == before and h.rate is not None:
            assert holder is not None and lot_id is not None and on is not None
            h.ok = True
            h.consolidator_id, h.lot_id, h.channel = holder[0], lot_id, channel
            h.sub_lta_id = sub[0] if sub else None
            h.order_date, h.country = on, country
            h.delivered = h.status in _DELIVERED
            h.order_id = self.out.order_id
        return h

    def _direct(
        self,
        row: int,
        agency: str,
        consolidator: str,
        on: date,
        currency: str,
        sub: tuple[int, SubLtaTerms, str] | None,
    ) -> None:
        """R13 without the catalogue: the file names no catalogue item."""
        terms = sub[1] if sub else None
        findings = check_direct_order(
            agency=agency,
            consolidator=consolidator,
            order_date=on,
            currency=currency,
            lines=(),
            sub_lta=terms,
            catalogue=(),
        )
        if sub is not None and sub[2] != currency and not self._iso_check("currency", currency):
            findings.append(
                error(
                    "R13",
                    f"sub-LTA {terms.reference} is in {sub[2]}: its direct"
                    f" orders are too, not in {currency}",
                    "currency",
                )
            )
        for f in findings:
            self.problem(row, f.field or "sub_lta", f.message)

    def _rate(self, row: int, currency: str, on: date) -> Rate | None:
        """R20: the rate in force on the order date (USD: 1, effective that day)."""
        if currency == "USD":
            return Rate("USD", on, Decimal(1), "USD")
        dates = self.ref.rate_dates.get(currency, [])
        i = bisect_right(dates, on)
        if i:
            return self.ref.rates[currency][i - 1]
        for f in check_rate_in_force(self.ref.rates.get(currency, ()), currency, on):
            self.problem(row, "currency", f.message)
        return None

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
        """Check one line; when its order is fine, keep its stored values on `h.lines`."""
        description, unspsc, kind, service, quantity_text, price_text = self.line_cells(cells)
        if not description or len(description) > _MAX_DESCRIPTION:
            self.problem(row, "description", _missing_or(description,
                         f"longer than {_MAX_DESCRIPTION} characters"))  # fmt: skip
        if not (len(unspsc) == 8 and unspsc.isdigit() and unspsc.isascii()):
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
        if quantity is None or price is None:
            return
        if quantity[1] <= 0 or price[1] < 0:  # R18, through its rule for the message
            for f in check_quantity_and_price(quantity[0], price[0]):
                self.problem(row, f.field, f.message)
            return
        if not h.ok or self.problems:
            return  # nothing will be written: checking goes on, computing stops
        rate = h.rate
        assert rate is not None
        currency = h.currency
        found = self.amounts.get((quantity_text, price_text, currency))
        if found is None:
            amount = line_amount(quantity[0], price[0], currency)
            # rounded to a minor unit (at most 4 decimals): the stored integer is exact
            found = self.amounts[quantity_text, price_text, currency] = (
                amount,
                int(amount.scaleb(SCALE_DIGITS)),
            )
        amount, amount_units = found
        usd_units = self.usd.get((amount_units, rate.units_per_usd))
        if usd_units is None:
            usd = to_usd(amount, rate)
            usd_units = self.usd[amount_units, rate.units_per_usd] = int(usd.scaleb(SCALE_DIGITS))
        if abs(amount_units) >= _MAX_UNITS or abs(usd_units) >= _MAX_UNITS:
            self.problem(row, "quantity", f"the line amount {amount} is too large to store")
            return
        h.lines += 1
        h.total += amount_units
        h.total_usd += usd_units
        out = self.out
        qty = quantity[1]
        out.lines.append(
            (
                out.line_id,
                h.order_id,
                h.lines,
                kind,
                service_id,
                None,
                description,
                unspsc,
                "each",
                qty,
                price[1],
                amount_units,
                usd_units,
                qty if h.delivered else 0,
            )
        )
        out.line_id += 1

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
            plain = text.isdigit() or (
                text.count(".") == 1 and text[-1] != "." and text.replace(".", "").isdigit()
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
    """The stored rows of checked orders, inserted in batches through `BulkWriter`."""

    def __init__(
        self, writer: BulkWriter, ref: _Reference, config: Config, now: datetime, file: str
    ) -> None:
        self.writer, self.ref, self.file = writer, ref, file
        self.who = config.user.name
        self.now = now
        self.stamp = now.astimezone(timezone.utc).replace(tzinfo=None)  # as UtcDateTime stores
        self.order_id = writer.ids(Order, 0)
        self.line_id = writer.ids(OrderLine, 0)
        self.audit_id = writer.ids(AuditEvent, 0)
        self.orders: list[tuple] = []
        self.lines: list[tuple] = []
        self.audit: list[tuple] = []
        self.order_count = self.line_count = 0

    def add(self, h: _Header) -> None:
        """The order of the lines just put in `lines`, and its audit event (R25)."""
        rate = h.rate
        assert rate is not None and h.order_date is not None and h.order_id == self.order_id
        total, total_usd = h.total, h.total_usd
        self.orders.append((
            h.order_id, h.po, self.ref.lta_id, h.agency_id, h.consolidator_id, h.lot_id,
            h.channel, None, h.sub_lta_id, h.order_date, h.currency,
            to_units(rate.units_per_usd, RATE_DIGITS), rate.effective_date, rate.source,
            h.country, h.status, total, total_usd, None if h.status == _DRAFT else total, None,
            None, self.stamp, self.who, self.stamp, self.who, 1,
        ))  # fmt: skip
        record = AuditRecord(
            at=self.now,
            who=self.who,
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
        p = record.payload()
        self.audit.append((self.audit_id, self.stamp, p["who"], p["entity"], p["entity_id"],
                           p["action"], p["before"], p["after"]))  # fmt: skip
        self.audit_id += 1
        self.order_id += 1
        self.order_count += 1
        self.line_count += h.lines
        if len(self.lines) >= _FLUSH_LINES:
            self.flush()

    def flush(self) -> None:
        self.writer.insert(Order, _ORDER_COLUMNS, self.orders)
        self.writer.insert(OrderLine, _LINE_COLUMNS, self.lines)
        self.writer.insert(AuditEvent, _AUDIT_COLUMNS, self.audit)
        for rows in (self.orders, self.lines, self.audit):
            rows.clear()


def import_orders(
    engine: Engine,
    config: Config,
    path: str | Path,
    *,
    now: datetime,
    progress: Progress | None = None,
) -> OrdersImported:
    """Import the orders of `path` as the config's user; all or nothing.

    R26: only a focal point imports orders, and only the own agency's. Raises `Refused` for a
    user who may not import, `ImportFileError` for a file that cannot be read, and
    `ImportRefused` with every problem (row, column, reason) when anything is wrong.
    """
    started = time.perf_counter()
    user = config.user
    ensure_allowed(check_permission(user.role, user.agency, "change", user.agency))
    problems: list[RowProblem] = []
    with _gc_paused(), TableFile(path) as table, engine.begin() as conn:
        problems.extend(header_problems(table.header, COLUMNS))
        if problems:
            raise ImportRefused(table.name, problems)
        writer = BulkWriter(conn)
        if writer.sqlite and not conn.connection.dbapi_connection.in_transaction:
            # the write lock from the start: no PO number can be taken between check and insert
            conn.exec_driver_sql("BEGIN IMMEDIATE")
        ref = _reference(conn, config)
        out = _Writer(writer, ref, config, now, Path(path).name)
        importer = _Importer(ref, config, problems, table.header, out)
        # a load bigger than what the database holds: build the indexes once at the end
        lines = table.estimated_rows or 0
        big_load = lines > _BIG_LOAD and lines > out.line_id
        with writer.indexes_set_aside(*BIG) if big_load else nullcontext():
            _stream(table, importer, out, problems, progress)
            if problems:
                raise ImportRefused(table.name, problems)
            out.flush()
        if big_load or not writer.sqlite:
            writer.finish()  # planner statistics; PostgreSQL's id sequences past our ids
    return OrdersImported(str(path), out.order_count, out.line_count, time.perf_counter() - started)


def _stream(
    table: TableFile,
    importer: _Importer,
    out: _Writer,
    problems: list[RowProblem],
    progress: Progress | None,
) -> None:
    index = {name: table.header.index(name) for name in COLUMNS}
    width = len(table.header)
    order_values = itemgetter(*(index[name] for name in ORDER_FIELDS))
    po_at = index["po_number"]
    current: _Header | None = None
    done = 0
    total = table.estimated_rows
    line_cells, services = importer.line_cells, importer.ref.services
    quantities, prices = importer.quantities, importer.prices
    amounts, usd_known = importer.amounts, importer.usd
    lines = out.lines  # cleared in place by each flush
    for number, cells in table:
        if len(cells) < width:
            cells = cells + [""] * (width - len(cells))
        elif len(cells) > width and any(cells[width:]):
            problems.append(RowProblem(number, None, f"{len(cells)} cells, the header has {width}"))
            cells = cells[:width]
        po = cells[po_at]
        if current is None or po != current.po:
            if current is not None:
                _finish(current, importer, out, problems)
            current = importer.header(number, po, {n: cells[i] for n, i in index.items()})
        else:
            values = order_values(cells)
            if values != current.values:
                for name, was, now in zip(ORDER_FIELDS, current.values, values, strict=True):
                    if was != now:
                        problems.append(
                            RowProblem(
                                number,
                                name,
                                f"{now!r} differs from"
                                f" {was!r} on row {current.row}, the first row of PO"
                                f" {po}: the rows of one order agree on it",
                            )
                        )
                current.ok = False
        current.last_row = number
        done += 1
        if progress is not None and done % _PROGRESS_EVERY == 0:
            progress(done, total)
        # the usual line of a sound file, from what is already known; anything else (or a
        # first sight of a quantity, price or amount) goes through `line`'s full checks
        description, unspsc, kind, service, quantity_text, price_text = line_cells(cells)
        quantity = quantities.get(quantity_text)
        price = prices.get(price_text)
        found = amounts.get((quantity_text, price_text, current.currency))
        if (
            problems
            or not current.ok
            or quantity is None
            or price is None
            or found is None
            or quantity[1] <= 0
            or price[1] < 0
            or not description
            or len(description) > _MAX_DESCRIPTION
            or len(unspsc) != 8
            or not unspsc.isdigit()
            or not unspsc.isascii()
        ):
            importer.line(number, cells, current)
            continue
        if kind == _GOODS and not service:
            service_id = None
        elif kind == _SERVICE and service in services:
            service_id = services[service]
        else:
            importer.line(number, cells, current)
            continue
        rate = current.rate
        amount, amount_units = found
        usd_units = usd_known.get((amount_units, rate.units_per_usd))
        if usd_units is None:
            usd_units = int(to_usd(amount, rate).scaleb(SCALE_DIGITS))
            if abs(usd_units) >= _MAX_UNITS:
                importer.line(number, cells, current)
                continue
            usd_known[amount_units, rate.units_per_usd] = usd_units
        current.lines += 1
        current.total += amount_units
        current.total_usd += usd_units
        qty = quantity[1]
        lines.append((out.line_id, current.order_id, current.lines, kind, service_id, None,
                      description, unspsc, "each", qty, price[1], amount_units, usd_units,
                      qty if current.delivered else 0))  # fmt: skip
        out.line_id += 1
    if current is not None:
        _finish(current, importer, out, problems)
    if progress is not None:
        progress(done, done)
    if not done and not problems:
        problems.append(RowProblem(2, None, "the file has a header but no order line"))


def _finish(h: _Header, importer: _Importer, out: _Writer, problems: list[RowProblem]) -> None:
    if h.po and h.po not in importer.seen:
        importer.seen[h.po] = (h.row, h.last_row)
    if h.ok and not problems:
        out.add(h)


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
