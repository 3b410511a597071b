"""Exact money: `Exact` columns, sums in SQL, rounding, formatting and ORE conversion (R20)."""

from __future__ import annotations

import random
from datetime import date, timedelta
from decimal import Decimal
from pathlib import Path

import pytest
import sqlalchemy as sa
from hypothesis import HealthCheck, example, given, settings
from hypothesis import strategies as st
from sqlalchemy.exc import StatementError
from sqlmodel import SQLModel

from lta_tui.domain.fx import MissingRate, Rate, rate_in_force, to_usd
from lta_tui.domain.money import (
    MoneyError,
    format_amount,
    format_money,
    format_quantity,
    line_amount,
    minor_units,
    quantum,
)
from lta_tui.store import models  # noqa: F401  (registers every table on SQLModel.metadata)
from lta_tui.store.engine import make_engine
from lta_tui.store.types import Exact

#: The largest amount a BIGINT of ten-thousandths holds.
MAX_AMOUNT = Decimal(2**63 - 1).scaleb(-4)

# hypothesis examples reuse the test's database; each example cleans up after itself
DB = settings(
    max_examples=60,
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture],
)

amounts_4dp = st.decimals(
    min_value=-MAX_AMOUNT, max_value=MAX_AMOUNT, places=4, allow_nan=False, allow_infinity=False
)


@pytest.fixture
def ledger(db_url: str):
    """(engine, table) with an `Exact()` amount column, on a real SQLite file or PostgreSQL."""
    metadata = sa.MetaData()
    table = sa.Table(
        "ledger",
        metadata,
        sa.Column("id", sa.Integer, primary_key=True),
        sa.Column("bucket", sa.Integer, nullable=False),
        sa.Column("amount", Exact(), nullable=False),
    )
    engine = make_engine(db_url)
    metadata.create_all(engine)
    yield engine, table
    metadata.drop_all(engine)
    engine.dispose()


@DB
@given(amount=amounts_4dp)
@example(amount=MAX_AMOUNT)
@example(amount=-MAX_AMOUNT)
@example(amount=Decimal("0.0001"))
@example(amount=Decimal("1234567890123.45"))
def test_exact_round_trips_every_amount_with_up_to_4_decimals(ledger, amount: Decimal):
    engine, table = ledger
    with engine.begin() as conn:
        row_id = conn.execute(table.insert().values(bucket=0, amount=amount)).inserted_primary_key[
            0
        ]
    try:
        with engine.connect() as conn:
            back = conn.execute(sa.select(table.c.amount).where(table.c.id == row_id)).scalar_one()
            raw = conn.execute(
                sa.text("SELECT amount FROM ledger WHERE id = :id"), {"id": row_id}
            ).scalar_one()
        assert isinstance(back, Decimal) and back == amount
        assert isinstance(raw, int) and raw == int(amount.scaleb(4))  # stored as an integer
    finally:
        with engine.begin() as conn:
            conn.execute(table.delete())


@DB
@given(
    base=st.decimals(min_value=-(10**9), max_value=10**9, places=4),
    extra_digits=st.integers(min_value=5, max_value=12),
    digit=st.integers(min_value=1, max_value=9),
)
def test_exact_refuses_amounts_finer_than_4_decimals(ledger, base, extra_digits, digit):
    engine, table = ledger
    finer = base + Decimal(digit).scaleb(-extra_digits)
    with pytest.raises(StatementError) as err, engine.begin() as conn:
        conn.execute(table.insert().values(bucket=0, amount=finer))
    assert isinstance(err.value.orig, MoneyError)
    with engine.connect() as conn:
        assert conn.execute(sa.select(sa.func.count()).select_from(table)).scalar_one() == 0


@settings(
    max_examples=12, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
@given(seed=st.integers(min_value=0, max_value=2**32), count=st.integers(1000, 4000))
@example(seed=0, count=1000)
def test_sql_sums_equal_python_sums_to_the_cent(ledger, seed: int, count: int):
    """Thousands of cent amounts summed by the database (overall and grouped) are exactly the
    Decimal sum in Python: no float ever touches them."""
    engine, table = ledger
    rng = random.Random(seed)
    rows = [
        {
            "bucket": rng.randrange(7),
            # mostly small prices with awkward cents, a few large ones, some credits
            "amount": Decimal(rng.choice([rng.randrange(1, 10**4), rng.randrange(10**10)]))
            * rng.choice([1, 1, 1, -1])
            / 100,
        }
        for _ in range(count)
    ]
    rows[0]["amount"] = Decimal("0.10")
    with engine.begin() as conn:
        conn.execute(table.insert(), rows)
    try:
        with engine.connect() as conn:
            total = conn.execute(sa.select(sa.func.sum(table.c.amount))).scalar_one()
            groups = dict(
                conn.execute(
                    sa.select(table.c.bucket, sa.func.sum(table.c.amount)).group_by(table.c.bucket)
                ).all()
            )
        expected: dict[int, Decimal] = {}
        for row in rows:
            expected[row["bucket"]] = expected.get(row["bucket"], Decimal(0)) + row["amount"]
        assert isinstance(total, Decimal)
        assert total == sum(r["amount"] for r in rows)
        assert groups == expected
        assert sum(groups.values()) == total
    finally:
        with engine.begin() as conn:
            conn.execute(table.delete())


def test_ten_thousand_dimes_are_exactly_one_thousand(tmp_path: Path):
    """The float drift DESIGN.md's research measured (0.10 × 100k → 10000.000000018848) is gone."""
    engine = make_engine(f"sqlite:///{tmp_path / 'dimes.db'}")
    metadata = sa.MetaData()
    table = sa.Table("t", metadata, sa.Column("amount", Exact(), nullable=False))
    metadata.create_all(engine)
    with engine.begin() as conn:
        conn.execute(table.insert(), [{"amount": Decimal("0.10")}] * 10_000)
        total = conn.execute(sa.select(sa.func.sum(table.c.amount))).scalar_one()
        raw = conn.execute(sa.text("SELECT sum(amount), typeof(sum(amount)) FROM t")).one()
    engine.dispose()
    assert total == Decimal("1000.00") and str(total) == "1000.0000"
    assert tuple(raw) == (10_000_000, "integer")


def test_no_money_column_is_a_float_or_numeric():
    """Every Decimal column of the schema is stored exactly (`Exact`), never as REAL/NUMERIC."""
    loose = [
        f"{table.name}.{column.name}"
        for table in SQLModel.metadata.sorted_tables
        for column in table.columns
        if isinstance(column.type, (sa.Float, sa.Numeric))
    ]
    exact = [
        c for t in SQLModel.metadata.sorted_tables for c in t.columns if isinstance(c.type, Exact)
    ]
    assert loose == []
    assert len(exact) >= 20  # the money, rate and quantity columns are all there


# --- rounding and formatting ----------------------------------------------------------------


@pytest.mark.parametrize(
    ("quantity", "unit_price", "currency", "expected"),
    [
        ("3", "0.5", "JPY", "2"),  # 1.5 → 2
        ("5", "0.5", "JPY", "3"),  # 2.5 → 3 (half up, not to even)
        ("1", "99.49", "JPY", "99"),
        ("1", "0.0005", "KWD", "0.001"),
        ("3", "0.0015", "KWD", "0.005"),  # 0.0045 → 0.005
        ("1", "0.125", "USD", "0.13"),
        ("1", "0.025", "EUR", "0.03"),  # half-even would give 0.02
        ("3", "33.335", "USD", "100.01"),  # 100.005
        ("-1", "0.005", "USD", "-0.01"),  # credits round away from zero too
        ("2.5", "4.20", "USD", "10.50"),
        ("1", "1.23456", "CLF", "1.2346"),
    ],
)
def test_line_amount_rounds_half_up_to_the_currency(quantity, unit_price, currency, expected):
    result = line_amount(Decimal(quantity), Decimal(unit_price), currency)
    assert result == Decimal(expected)
    assert result.as_tuple().exponent == -minor_units(currency)


currencies = st.sampled_from(["USD", "EUR", "JPY", "KWD", "CHF", "BHD", "XOF", "CLF"])


@given(
    quantity=st.decimals(min_value=Decimal("0.001"), max_value=10**6, places=3),
    unit_price=st.decimals(min_value=-(10**6), max_value=10**6, places=4),
    currency=currencies,
)
def test_line_amount_is_the_nearest_amount_ties_away_from_zero(quantity, unit_price, currency):
    exact = quantity * unit_price
    result = line_amount(quantity, unit_price, currency)
    step = quantum(currency)
    assert result.as_tuple().exponent == -minor_units(currency)
    assert abs(result - exact) <= step / 2
    if abs(result - exact) == step / 2:
        assert abs(result) > abs(exact)


def test_minor_units():
    assert [minor_units(c) for c in ("JPY", "KWD", "USD", "eur", "CLF")] == [0, 3, 2, 2, 4]


@pytest.mark.parametrize(
    ("amount", "currency", "expected"),
    [
        ("1234.5", "EUR", "1,234.50 EUR"),
        ("1234.5", "JPY", "1,235 JPY"),
        ("-1234.5678", "KWD", "-1,234.568 KWD"),
        ("0.125", "USD", "0.13 USD"),
        ("1234567.891", "USD", "1,234,567.89 USD"),
        ("0", "USD", "0.00 USD"),
        ("1234.5", None, "1,234.50"),
        ("-0.1", None, "-0.10"),
        ("1000000", None, "1,000,000.00"),
    ],
)
def test_format_money(amount, currency, expected):
    assert format_money(Decimal(amount), currency) == expected


def test_format_money_without_currency_rounds_half_up_too():
    assert format_money(Decimal("0.125")) == "0.13"


# --- exchange rates (R20) ------------------------------------------------------------------------

EUR = [
    Rate("EUR", date(2026, 3, 1), Decimal("0.920000")),
    Rate("EUR", date(2026, 3, 15), Decimal("0.950000")),  # mid-month revision
    Rate("EUR", date(2026, 4, 1), Decimal("0.930000")),
]


@pytest.mark.parametrize(
    ("on", "expected"),
    [
        (date(2026, 3, 1), date(2026, 3, 1)),  # the same day it takes effect
        (date(2026, 3, 14), date(2026, 3, 1)),  # the day before the revision
        (date(2026, 3, 15), date(2026, 3, 15)),  # the revision's own day
        (date(2026, 3, 31), date(2026, 3, 15)),
        (date(2027, 1, 1), date(2026, 4, 1)),  # long after the last rate
    ],
)
def test_rate_in_force_is_the_latest_on_or_before(on: date, expected: date):
    assert rate_in_force(EUR, "EUR", on).effective_date == expected


def test_missing_rate_names_currency_and_date():
    with pytest.raises(MissingRate) as err:
        rate_in_force(EUR, "EUR", date(2026, 2, 28))
    assert "EUR" in str(err.value) and "2026-02-28" in str(err.value)
    assert (err.value.currency, err.value.on) == ("EUR", date(2026, 2, 28))
    with pytest.raises(MissingRate, match="KWD.*2026-05-01"):
        rate_in_force([], "KWD", date(2026, 5, 1))


def test_usd_needs_no_rate():
    rate = rate_in_force([], "USD", date(2026, 1, 1))
    assert to_usd(Decimal("12.34"), rate) == Decimal("12.34")


def test_to_usd_uses_the_rate_in_force():
    march_20 = rate_in_force(EUR, "EUR", date(2026, 3, 20))
    assert to_usd(Decimal("100.00"), march_20) == Decimal("105.26")  # 100 / 0.95
    march_10 = rate_in_force(EUR, "EUR", date(2026, 3, 10))
    assert to_usd(Decimal("100.00"), march_10) == Decimal("108.70")  # 100 / 0.92 = 108.6956…
    jpy = Rate("JPY", date(2026, 1, 1), Decimal("150.000000"))
    assert to_usd(Decimal("1000"), jpy) == Decimal("6.67")  # 6.666… half up


@given(
    offsets=st.lists(st.integers(0, 3650), min_size=1, max_size=40, unique=True),
    probe=st.integers(-30, 3700),
)
def test_rate_in_force_matches_a_plain_search(offsets: list[int], probe: int):
    start = date(2020, 1, 1)
    rates = [
        Rate("EUR", start + timedelta(days=d), Decimal(1) + Decimal(d) / 10_000)
        for d in sorted(offsets)
    ]
    on = start + timedelta(days=probe)
    candidates = [r for r in rates if r.effective_date <= on]
    if not candidates:
        with pytest.raises(MissingRate):
            rate_in_force(rates, "EUR", on)
    else:
        assert rate_in_force(rates, "EUR", on) == max(candidates, key=lambda r: r.effective_date)


@given(
    amount=st.decimals(min_value=0, max_value=10**9, places=2),
    units_per_usd=st.decimals(min_value=Decimal("0.000100"), max_value=10**5, places=6),
)
def test_to_usd_is_within_half_a_cent_of_the_exact_quotient(amount, units_per_usd):
    usd = to_usd(amount, Rate("XXX", date(2026, 1, 1), units_per_usd))
    assert usd.as_tuple().exponent == -2
    assert abs(usd * units_per_usd - amount) <= Decimal("0.005") * units_per_usd


@pytest.mark.parametrize(
    ("quantity", "expected"),
    [("12", "12"), ("12.000", "12"), ("1500", "1,500"), ("2.50", "2.5"), ("1E+3", "1,000")],
)
def test_format_quantity_has_no_trailing_zeros_or_exponent(quantity, expected):
    assert format_quantity(Decimal(quantity)) == expected


def test_format_amount_uses_the_currencys_decimals():
    assert format_amount(Decimal("150000"), "JPY") == "150,000"
    assert format_amount(Decimal("12.3456"), "KWD") == "12.346"
    assert format_amount(Decimal("0.125"), "USD") == "0.13"
