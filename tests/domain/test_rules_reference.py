"""R19–R21: money and reference data. Each rule has a test that breaks it and one that keeps it."""

from __future__ import annotations

from datetime import date, timedelta
from decimal import Decimal

from hypothesis import given
from hypothesis import strategies as st

from lta_tui.domain.fx import Rate, rate_in_force
from lta_tui.domain.rules import (
    Severity,
    check_goods_or_services,
    check_iso_codes,
    check_rate_in_force,
    order_category,
)
from lta_tui.domain.states import LineKind

D = Decimal
EUR = [
    Rate("EUR", date(2026, 3, 1), D("0.920")),
    Rate("EUR", date(2026, 3, 15), D("0.935")),
    Rate("EUR", date(2026, 4, 1), D("0.930")),
]


def only(findings, severity=Severity.error):
    assert len(findings) == 1, findings
    (finding,) = findings
    assert finding.severity is severity
    return finding


# --- R19 -------------------------------------------------------------------------------------


def test_r19_unknown_currency_is_refused():
    f = only(check_iso_codes(currency="EURO"))
    assert f.rule == "R19" and f.field == "currency"
    assert f.message == "R19: currency 'EURO' is not an ISO 4217 code"


def test_r19_lower_case_currency_is_refused_with_a_hint():
    assert "(did you mean EUR?)" in only(check_iso_codes(currency="eur")).message


def test_r19_unknown_country_is_refused():
    f = only(check_iso_codes(country="UK", country_field="destination_country"))
    assert f.field == "destination_country"
    assert "country 'UK' is not an ISO 3166 alpha-2 code" in f.message


def test_r19_alpha_3_country_is_refused_with_a_hint():
    assert "(did you mean KE?)" in only(check_iso_codes(country="KEN")).message
    assert "(did you mean KE?)" in only(check_iso_codes(country="ke")).message


def test_r19_empty_codes_are_refused():
    assert len(check_iso_codes(currency="", country="")) == 2


def test_r19_iso_codes_are_kept():
    for currency in ("USD", "EUR", "KWD", "JPY", "XOF"):
        assert check_iso_codes(currency=currency, country="SS") == []


def test_r19_codes_not_given_are_not_checked():
    assert check_iso_codes() == []


# --- R20 -------------------------------------------------------------------------------------


def test_r20_no_rate_on_or_before_the_date_is_refused():
    f = only(check_rate_in_force(EUR, "EUR", date(2026, 2, 28)))
    assert f.rule == "R20" and f.field == "fx_rate"
    assert f.message == (
        "R20: no UN operational rate for EUR on or before 2026-02-28: import the ORE rates first"
    )


def test_r20_findings_carry_the_field_the_caller_names():
    f = only(check_rate_in_force(EUR, "EUR", date(2026, 2, 28), field="currency"))
    assert f.rule == "R20" and f.field == "currency"


def test_r20_currency_without_any_rate_is_refused():
    assert (
        "for KWD on or before 2026-03-02"
        in only(check_rate_in_force([], "KWD", date(2026, 3, 2))).message
    )


def test_r20_rate_effective_that_very_day_is_the_one_in_force():
    on = date(2026, 3, 15)
    assert rate_in_force(EUR, "EUR", on).units_per_usd == D("0.935")
    assert check_rate_in_force(EUR, "EUR", on, stored=EUR[1]) == []
    f = only(check_rate_in_force(EUR, "EUR", on, stored=EUR[0]), Severity.warning)
    assert "0.92 EUR per USD (effective 2026-03-01) differs from the rate now in force 0.935" in (
        f.message
    )


def test_r20_rate_in_force_is_kept():
    assert check_rate_in_force(EUR, "EUR", date(2026, 3, 20)) == []
    assert check_rate_in_force(EUR, "EUR", date(2026, 3, 20), stored=EUR[1]) == []


def test_r20_usd_needs_no_rate():
    assert check_rate_in_force([], "USD", date(2026, 3, 2)) == []


def test_r20_stored_rate_effective_after_the_date_is_refused():
    f = only(check_rate_in_force(EUR, "EUR", date(2026, 3, 14), stored=EUR[1]))
    assert "effective 2026-03-15, after 2026-03-14" in f.message


def test_r20_stored_rate_of_another_currency_is_refused():
    jpy = Rate("JPY", date(2026, 3, 1), D("149.5"))
    f = only(check_rate_in_force(EUR, "EUR", date(2026, 3, 20), stored=jpy))
    assert "the stored rate is for JPY, the amount is in EUR" in f.message


def test_r20_stored_rate_is_kept_when_the_rates_are_not_loaded():
    assert check_rate_in_force([], "EUR", date(2026, 3, 20), stored=EUR[1]) == []


def test_r20_zero_rate_is_refused():
    broken = [Rate("JPY", date(2026, 3, 1), D("0"))]
    assert "not a usable rate" in only(check_rate_in_force(broken, "JPY", date(2026, 3, 2))).message


rate_lists = st.lists(
    st.tuples(
        st.dates(min_value=date(2000, 1, 1), max_value=date(2040, 1, 1)),
        st.decimals(min_value=D("0.001"), max_value=D("100000"), places=3),
    ),
    min_size=1,
    max_size=12,
    unique_by=lambda t: t[0],
)


@given(rate_lists, st.integers(0, 3000))
def test_r20_the_rate_fx_picks_is_always_accepted(pairs, offset):
    rates = sorted((Rate("KWD", d, u) for d, u in pairs), key=lambda r: r.effective_date)
    on = rates[0].effective_date + timedelta(days=offset)
    used = rate_in_force(rates, "KWD", on)
    assert used.effective_date <= on
    assert check_rate_in_force(rates, "KWD", on, stored=used) == []
    assert check_rate_in_force(rates, "KWD", rates[0].effective_date - timedelta(days=1)) != []


# --- R21 -------------------------------------------------------------------------------------


def test_r21_order_with_more_services_shown_as_goods_is_reported():
    f = only(check_goods_or_services(D("400"), D("600"), "goods"), Severity.info)
    assert f.rule == "R21" and f.field == "category"
    assert f.message == (
        "R21: the order counts as services, not goods:"
        " service lines 600.00 USD exceed goods lines 400.00 USD"
    )


def test_r21_equal_services_and_goods_count_as_goods():
    f = only(check_goods_or_services(D("500"), D("500"), "services"), Severity.info)
    assert "counts as goods" in f.message and "do not exceed" in f.message


def test_r21_services_exceeding_goods_count_as_services():
    assert check_goods_or_services(D("400"), D("600"), "services") == []
    assert check_goods_or_services(D("400"), D("600"), "service") == []


def test_r21_goods_order_is_kept():
    assert check_goods_or_services(D("10000"), D("850"), "goods") == []


amounts = st.decimals(min_value=0, max_value=D("1e12"), places=4)


@given(amounts, amounts)
def test_r21_classification_is_consistent_with_totals(goods, services):
    category = order_category(goods, services)
    assert (category is LineKind.service) == (services > goods)
    assert check_goods_or_services(goods, services, category.value) == []
    other = "goods" if category is LineKind.service else "services"
    assert [f.rule for f in check_goods_or_services(goods, services, other)] == ["R21"]
