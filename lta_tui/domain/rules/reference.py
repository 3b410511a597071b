"""Rules of money and reference data (DESIGN.md §2, R19–R21): ISO codes, the exchange rate in
force, and whether an order counts as goods or services."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import date
from decimal import Decimal

from lta_tui.domain.fx import MissingRate, Rate, rate_in_force
from lta_tui.domain.rules._render import day, money
from lta_tui.domain.rules.findings import Finding, error, info, warning
from lta_tui.domain.states import LineKind

_CATEGORIES = {"goods": LineKind.goods, "service": LineKind.service, "services": LineKind.service}


def check_iso_codes(
    *,
    currency: str | None = None,
    country: str | None = None,
    currency_field: str = "currency",
    country_field: str = "country",
) -> list[Finding]:
    """R19 (E): every currency is ISO 4217 (alphabetic code) and every country ISO 3166 (alpha-2).

    Codes must be written exactly, in capitals; None means the value is not part of the check.
    """
    import pycountry  # only the callers that check codes pay for loading its database

    found = []
    if currency is not None and not (
        currency.isupper() and pycountry.currencies.get(alpha_3=currency)
    ):
        hint = pycountry.currencies.get(alpha_3=currency.strip().upper()) if currency else None
        found.append(
            error(
                "R19",
                f"currency {currency!r} is not an ISO 4217 code"
                + (f" (did you mean {hint.alpha_3}?)" if hint else ""),
                currency_field,
            )
        )
    if country is not None and not (country.isupper() and pycountry.countries.get(alpha_2=country)):
        typed = country.strip().upper()
        hint = pycountry.countries.get(alpha_2=typed) if len(typed) == 2 else None
        if hint is None and len(typed) == 3:
            hint = pycountry.countries.get(alpha_3=typed)
        found.append(
            error(
                "R19",
                f"country {country!r} is not an ISO 3166 alpha-2 code"
                + (f" (did you mean {hint.alpha_2}?)" if hint else ""),
                country_field,
            )
        )
    return found


def check_rate_in_force(
    rates: Sequence[Rate],
    currency: str,
    on: date,
    stored: Rate | None = None,
    *,
    field: str = "fx_rate",
) -> list[Finding]:
    """R20 (E): a non-USD amount converts only with the ORE rate in force on the date that counts.

    The rate in force has the latest effective date on or before `on` (a rate effective that
    very day counts); `rates` are one currency's rates sorted by effective date, as
    `lta_tui.domain.fx.rate_in_force` reads them. `stored` is the rate a record already
    carries: it must be for the currency and not effective after `on`; if a newer revision is
    now in force the stored rate is kept and a warning says so, since the rate used is never
    silently recomputed. `field` names the form or import field the findings belong to (the
    order form shows a missing rate under its currency).
    """
    if currency == "USD":
        return []
    if stored is not None:
        if stored.currency != currency:
            return [
                error(
                    "R20",
                    f"the stored rate is for {stored.currency}, the amount is in {currency}",
                    field,
                )
            ]
        if stored.effective_date > on:
            return [
                error(
                    "R20",
                    f"the stored {currency} rate is effective {day(stored.effective_date)},"
                    f" after {day(on)}",
                    field,
                )
            ]
    try:
        in_force = rate_in_force(rates, currency, on)
    except MissingRate:
        if stored is not None:
            return []
        return [
            error(
                "R20",
                f"no UN operational rate for {currency} on or before {day(on)}:"
                " import the ORE rates first",
                field,
            )
        ]
    if in_force.units_per_usd <= 0:
        return [
            error(
                "R20",
                f"the {currency} rate effective {day(in_force.effective_date)} is"
                f" {in_force.units_per_usd}, not a usable rate",
                field,
            )
        ]
    if stored is not None and (stored.effective_date, stored.units_per_usd) != (
        in_force.effective_date,
        in_force.units_per_usd,
    ):
        return [
            warning(
                "R20",
                f"the stored rate {stored.units_per_usd.normalize():f} {currency} per USD"
                f" (effective {day(stored.effective_date)}) differs from the rate now in force"
                f" {in_force.units_per_usd.normalize():f}"
                f" (effective {day(in_force.effective_date)}): it is kept unless recomputed",
                field,
            )
        ]
    return []


def order_category(goods_amount: Decimal, service_amount: Decimal) -> LineKind:
    """Goods, or services only when the service lines exceed the goods lines (ASR convention)."""
    return LineKind.service if service_amount > goods_amount else LineKind.goods


def check_goods_or_services(
    goods_amount: Decimal, service_amount: Decimal, category: str, currency: str = "USD"
) -> list[Finding]:
    """R21 (I): an order counts as services only when its service lines exceed its goods lines.

    `category` is how the order is classified by a report, an import or a form ("goods",
    "service" or "services"); a classification that disagrees with the line totals is shown.
    """
    expected = order_category(goods_amount, service_amount)
    if _CATEGORIES.get(getattr(category, "value", category)) is expected:
        return []
    goods, services = money(goods_amount, currency), money(service_amount, currency)
    if expected is LineKind.service:
        why = f"service lines {services} exceed goods lines {goods}"
        text = f"the order counts as services, not {category}: {why}"
    else:
        why = f"service lines {services} do not exceed goods lines {goods}"
        text = f"the order counts as goods, not {category}: {why}"
    return [info("R21", text, "category")]
