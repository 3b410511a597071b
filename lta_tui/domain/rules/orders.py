"""Rules of orders (DESIGN.md §2, R12–R18): when an order may be placed, against which sub-LTA
or award, within which ceilings, with whom, and with which quantities and prices."""

from __future__ import annotations

from collections.abc import Collection, Iterable, Sequence
from dataclasses import dataclass
from datetime import date
from decimal import Decimal

from lta_tui.domain.rules._ratio import as_decimal, exceeds_pct, reaches_pct, share_pct
from lta_tui.domain.rules._render import day, line_field, line_prefix, money, percent
from lta_tui.domain.rules.findings import Finding, error, warning
from lta_tui.domain.rules.records import Holding, Period, holdings_of, holds_lot
from lta_tui.domain.states import CompetitionStatus, Eligibility, label


def check_order_date(
    order_date: date,
    lta_reference: str,
    lta_valid: Period,
    holdings: Collection[Holding],
    consolidator: str,
    lot: int,
) -> list[Finding]:
    """R12 (E): an order's date lies inside the LTA validity and the holder's period for the lot.

    Both periods include their first and last day.
    """
    found = []
    if order_date not in lta_valid:
        found.append(
            error(
                "R12",
                f"order date {day(order_date)} is outside the validity of LTA {lta_reference}"
                f" ({lta_valid})",
                "order_date",
            )
        )
    if not holds_lot(holdings, consolidator, lot, order_date):
        periods = "; ".join(str(h.period) for h in holdings_of(holdings, consolidator, lot))
        held = f" (holds it {periods})" if periods else ""
        found.append(
            error(
                "R12",
                f"{consolidator} does not hold lot {lot} on the order date {day(order_date)}{held}",
                "order_date",
            )
        )
    return found


@dataclass(frozen=True)
class SubLtaTerms:
    """A sub-LTA between an agency and a consolidator (by codes), with its validity and, when
    known, its currency (a direct order is in its sub-LTA's currency)."""

    reference: str
    agency: str
    consolidator: str
    valid: Period
    currency: str | None = None


@dataclass(frozen=True)
class CatalogueEntry:
    """A catalogue item of a sub-LTA: its fixed unit price, currency and validity."""

    sku: str
    unit_price: Decimal
    currency: str
    valid: Period
    description: str = ""


@dataclass(frozen=True)
class DirectLine:
    """A line of a direct order: the catalogue item it names (if any) and its unit price."""

    line_no: int
    sku: str | None
    unit_price: Decimal


def check_direct_order(
    *,
    agency: str,
    consolidator: str,
    order_date: date,
    currency: str,
    lines: Sequence[DirectLine],
    sub_lta: SubLtaTerms | None,
    catalogue: Iterable[CatalogueEntry],
) -> list[Finding]:
    """R13: a direct order needs a valid sub-LTA and catalogue items at catalogue prices.

    E: no sub-LTA between the agency and the consolidator, an order date outside its validity,
    an order in another currency than the sub-LTA's (when the sub-LTA's currency is given), a
    line that is not one of its catalogue items, an item not valid on the order date, a price in
    another currency than the catalogue's, or a unit price above the catalogue's. W: a unit price
    below the catalogue's. `lines` are the lines that must be catalogue items: the order
    service passes every goods line, and a service line only when it names a catalogue item
    (freight, installation and the other services of an order are not catalogued).
    """
    if sub_lta is None:
        return [
            error(
                "R13",
                f"a direct order is placed under a sub-LTA between {agency} and {consolidator}:"
                " name it",
                "sub_lta",
            )
        ]
    found = []
    ref = sub_lta.reference
    if (sub_lta.agency, sub_lta.consolidator) != (agency, consolidator):
        found.append(
            error(
                "R13",
                f"sub-LTA {ref} is between {sub_lta.agency} and {sub_lta.consolidator},"
                f" not {agency} and {consolidator}",
                "sub_lta",
            )
        )
    if order_date not in sub_lta.valid:
        found.append(
            error(
                "R13",
                f"order date {day(order_date)} is outside the validity of sub-LTA {ref}"
                f" ({sub_lta.valid})",
                "order_date",
            )
        )
    if sub_lta.currency is not None and currency != sub_lta.currency:
        found.append(
            error(
                "R13",
                f"the order is in {currency}, sub-LTA {ref} is in {sub_lta.currency}:"
                " a direct order is in its sub-LTA's currency",
                "currency",
            )
        )
    items = {entry.sku: entry for entry in catalogue}
    for line in lines:
        found.extend(
            _check_catalogue_line(line, items.get(line.sku or ""), ref, order_date, currency)
        )
    return found


def _check_catalogue_line(
    line: DirectLine, item: CatalogueEntry | None, ref: str, order_date: date, currency: str
) -> list[Finding]:
    where = line_prefix(line.line_no)
    if item is None:
        what = f"{line.sku} is not" if line.sku else "a direct order line must be"
        return [
            error(
                "R13",
                f"{where}{what} a catalogue item of sub-LTA {ref}",
                line_field(line.line_no, "sku"),
            )
        ]
    if order_date not in item.valid:
        return [
            error(
                "R13",
                f"{where}catalogue item {item.sku} is not valid on {day(order_date)}"
                f" ({item.valid})",
                line_field(line.line_no, "sku"),
            )
        ]
    price_field = line_field(line.line_no, "unit_price")
    if currency != item.currency:
        return [
            error(
                "R13",
                f"{where}the order is in {currency}, {item.sku} is catalogued in {item.currency}",
                price_field,
            )
        ]
    price, listed = money(line.unit_price, currency), money(item.unit_price, item.currency)
    if line.unit_price > item.unit_price:
        return [
            error(
                "R13",
                f"{where}unit price {price} is above the catalogue price {listed} for {item.sku}",
                price_field,
            )
        ]
    if line.unit_price < item.unit_price:
        return [
            warning(
                "R13",
                f"{where}unit price {price} is below the catalogue price {listed} for {item.sku}",
                price_field,
            )
        ]
    return []


@dataclass(frozen=True)
class AwardTerms:
    """What an award fixes for the order placed from it: whose competition, in which state, who,
    which lot, which offer, and the award's other orders."""

    competition: str
    agency: str  # the competition's agency
    status: str  # the competition's status (CompetitionStatus value)
    consolidator: str
    lot: int
    offer_currency: str
    offer_total: Decimal
    #: PO numbers of the award's orders that are not cancelled, the order checked excepted.
    orders: tuple[str, ...] = ()


#: Competition states an order may be placed from; its own order also once it is issued.
#: A competition an order may come from: awarded, or ordered (its order may have been cancelled,
#: then the award stays usable: the one-order-per-award check still applies).
_ORDERABLE = (CompetitionStatus.awarded.value, CompetitionStatus.ordered.value)


def check_order_matches_award(
    award: AwardTerms | None,
    *,
    competition: str,
    agency: str,
    consolidator: str,
    lot: int,
    currency: str,
    total: Decimal,
) -> list[Finding]:
    """R14 (E): an order from a competition matches the award's consolidator, lot and offer.

    It is an order of the competition's own agency, placed while the competition is awarded or
    ordered (once its order is cancelled, the award may be ordered again), and the award's only
    order that is not cancelled (the order being changed is not counted by the caller).
    Matching the offer means the order is in the offer's currency and its total does not exceed
    the awarded offer's total (a smaller order, e.g. fewer units, is allowed).
    """
    if award is None:
        return [
            error("R14", f"{competition} has no award: an order needs an awarded offer", "award")
        ]
    found = []
    if award.competition != competition:
        found.append(
            error("R14", f"the award is for {award.competition}, not {competition}", "award")
        )
    if award.agency != agency:
        found.append(
            error(
                "R14",
                f"{competition} is a {award.agency} competition: a {agency} order cannot be"
                " placed from it",
                "agency",
            )
        )
    if award.orders:
        found.append(
            error(
                "R14",
                f"the award of {competition} already has order {', '.join(award.orders)}:"
                " one order per award",
                "competition",
            )
        )
    elif award.status not in _ORDERABLE:
        found.append(
            error(
                "R14",
                f"{competition} is {label(award.status)}: an order is placed only from an"
                " awarded competition",
                "competition",
            )
        )
    if award.consolidator != consolidator:
        found.append(
            error(
                "R14",
                f"the award of {competition} went to {award.consolidator}, not {consolidator}",
                "consolidator",
            )
        )
    if award.lot != lot:
        found.append(
            error("R14", f"{competition} was awarded for lot {award.lot}, not lot {lot}", "lot")
        )
    if award.offer_currency != currency:
        found.append(
            error(
                "R14",
                f"the awarded offer is in {award.offer_currency}, the order in {currency}",
                "currency",
            )
        )
    elif total > award.offer_total:
        found.append(
            error(
                "R14",
                f"order total {money(total, currency)} exceeds the awarded offer's total"
                f" {money(award.offer_total, currency)}",
                "total",
            )
        )
    return found


def check_ceiling(
    *,
    label: str,
    ceiling: Decimal | None,
    used: Decimal,
    amount: Decimal,
    currency: str,
    warn_pct: int | Decimal,
    amendment: str | None = None,
) -> list[Finding]:
    """R15: a ceiling (LTA, sub-LTA) reaching the configured % (default 80) warns (W); going past
    100 % is refused (E) unless an amendment of the ceiling is recorded (then W).

    `used` is what is already committed against the ceiling, `amount` what this change adds,
    both in the ceiling's `currency`; `label` names the agreement ("sub-LTA UNDP-ACME-01").
    No ceiling (None) means nothing to check.
    """
    total = used + amount
    if ceiling is None or total <= 0:
        return []
    share = f" ({money(total, currency)} of {money(ceiling, currency)})"
    if ceiling > 0:
        share = f" {percent(share_pct(total, ceiling))} of its ceiling" + share
    else:
        share = " more than its ceiling" + share
    if total > ceiling:
        if amendment and amendment.strip():
            return [
                warning(
                    "R15",
                    f"{label} would use{share}, allowed by ceiling amendment {amendment}",
                    "total",
                )
            ]
        return [
            error(
                "R15",
                f"{label} would use{share}: past 100 %, record a ceiling amendment first",
                "total",
            )
        ]
    if reaches_pct(total, ceiling, warn_pct):
        return [
            warning(
                "R15",
                f"{label} would use{share}: at or above the {as_decimal(warn_pct)} % warning",
                "total",
            )
        ]
    return []


def check_cumulative_amendments(
    first_total: Decimal,
    totals: Sequence[Decimal],
    currency: str,
    warn_pct: int | Decimal,
) -> list[Finding]:
    """R16 (W): cumulative amendments above the configured % (default 20) of the first value.

    `totals` are the order's totals after each amendment, oldest first (the proposed one last).
    Cumulative amendments are the sum of each amendment's change in either direction, so a
    raise and a cut do not cancel out.
    """
    cumulative = Decimal(0)
    previous = first_total
    for total in totals:
        cumulative += abs(total - previous)
        previous = total
    if cumulative == 0 or not exceeds_pct(cumulative, first_total, warn_pct):
        return []
    share = f", {percent(share_pct(cumulative, first_total))}" if first_total > 0 else ""
    return [
        warning(
            "R16",
            f"amendments total {money(cumulative, currency)}{share} of the order's first value"
            f" {money(first_total, currency)} (threshold {as_decimal(warn_pct)} %):"
            " refer to the review committee",
            "total",
        )
    ]


def check_consolidator_eligible(
    consolidator: str,
    eligibility: str,
    action: str,
    since: date | None = None,
    reason: str | None = None,
    *,
    on: date | None = None,
) -> list[Finding]:
    """R17 (E): a suspended consolidator gets no new invitation, award or order.

    `action` names what is being created ("invitation", "award", "order"); any eligibility
    other than eligible blocks it. `on` is the day the thing was created, for records of the
    past (imports of historical orders): a suspension that started after that day did not
    apply then. Without `on` the current eligibility decides (a new order is refused while
    the consolidator is suspended).
    """
    if eligibility == Eligibility.eligible.value:
        return []
    if on is not None and since is not None and since > on:
        return []
    when = f" since {day(since)}" if since else ""
    why = f" ({reason.strip()})" if reason and reason.strip() else ""
    return [
        error(
            "R17",
            f"{consolidator} is {eligibility}{when}{why}: no new {action}",
            "consolidator",
        )
    ]


def check_quantity_and_price(
    quantity: Decimal, unit_price: Decimal, line_no: int | None = None
) -> list[Finding]:
    """R18 (E): quantities are positive; unit prices are not negative."""
    where = line_prefix(line_no)
    found = []
    if not quantity.is_finite() or quantity <= 0:
        problem = "must be positive" if quantity.is_finite() else "must be a number"
        found.append(
            error(
                "R18",
                f"{where}quantity {quantity} {problem}",
                line_field(line_no, "quantity"),
            )
        )
    if not unit_price.is_finite() or unit_price < 0:
        problem = "cannot be negative" if unit_price.is_finite() else "must be a number"
        found.append(
            error(
                "R18",
                f"{where}unit price {unit_price} {problem}",
                line_field(line_no, "unit_price"),
            )
        )
    return found
