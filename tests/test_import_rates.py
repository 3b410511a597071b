"""`lta-tui import rates FILE`: UN ORE rates added, revised or left alone, all or nothing; the
rate in force for an order (mid-month revisions, same-day effective dates); stored order values
never change when rates are re-imported (R20)."""

from __future__ import annotations

import sqlite3
from datetime import date, datetime, timezone
from decimal import Decimal
from pathlib import Path

import pytest
from sqlalchemy import select

from lta_tui.config import load_config
from lta_tui.domain.rules import Refused
from lta_tui.services.import_files import ImportRefused
from lta_tui.services.import_orders import COLUMNS, import_orders
from lta_tui.services.import_rates import import_rates
from lta_tui.store.models import AuditEvent, ExchangeRate, Order
from tests.conftest import write_config

NOW = datetime(2026, 11, 15, 9, 30, tzinfo=timezone.utc)
HEADER = "currency,effective_date,units_per_usd,source"
#: Rates before the data/rates.csv sample (which starts 2025-01-01): nothing else is in force.
RATES = [
    "EUR,2024-03-01,0.921,UN ORE",
    "EUR,2024-03-15,0.934,UN ORE",  # mid-month revision
    "JPY,2024-03-01,149.52,UN ORE",
    "KWD,2024-03-01,0.307512,UN ORE",
]


def rates_file(path: Path, lines: list[str], header: str = HEADER) -> Path:
    path.write_text("\n".join([header, *lines]) + "\n", encoding="utf-8")
    return path


def dump(engine) -> dict[str, list[tuple]]:
    with sqlite3.connect(engine.url.database) as conn:
        tables = [r[0] for r in conn.execute("SELECT name FROM sqlite_master WHERE type='table'")]
        return {t: conn.execute(f"SELECT * FROM {t} ORDER BY rowid").fetchall() for t in tables}


def held(engine, currency: str) -> dict[date, tuple[Decimal, str]]:
    with engine.connect() as conn:
        rows = conn.execute(
            select(ExchangeRate.effective_date, ExchangeRate.units_per_usd, ExchangeRate.source)
            .where(ExchangeRate.currency == currency)
        ).all()  # fmt: skip
    return {d: (u, s) for d, u, s in rows}


def test_import_adds_rates_then_a_second_run_changes_nothing(engine, config, tmp_path):
    file = rates_file(tmp_path / "ore.csv", RATES)
    first = import_rates(engine, config, file, now=NOW)
    assert (first.added, first.changed, first.unchanged) == (4, (), 0)
    assert held(engine, "KWD")[date(2024, 3, 1)] == (Decimal("0.307512"), "UN ORE")
    before = dump(engine)
    again = import_rates(engine, config, file, now=NOW)
    assert (again.added, again.changed, again.unchanged) == (0, (), 4)
    assert again.summary().endswith("0 rates added, 0 changed, 4 unchanged.")
    assert dump(engine) == before  # not even an audit event


def test_source_defaults_to_un_ore_and_may_be_left_out(engine, config, tmp_path):
    file = rates_file(
        tmp_path / "ore.csv", ["GBP,2024-03-01,0.79"], "currency,effective_date,units_per_usd"
    )
    import_rates(engine, config, file, now=NOW)
    assert held(engine, "GBP")[date(2024, 3, 1)] == (Decimal("0.79"), "UN ORE")


def working_group(tmp_path: Path):
    """The config of the test's database, for a member of the Working Group."""
    return load_config(write_config(tmp_path, role="working_group"))


def test_a_revised_rate_is_updated_reported_and_audited(engine, tmp_path):
    config = working_group(tmp_path)
    import_rates(engine, config, rates_file(tmp_path / "a.csv", RATES), now=NOW)
    revised = [RATES[0].replace("0.921", "0.925"), *RATES[1:]]
    result = import_rates(engine, config, rates_file(tmp_path / "b.csv", revised), now=NOW)
    assert (result.added, result.unchanged) == (0, 3)
    (change,) = result.changed
    assert (change.currency, change.effective_date, change.before, change.after) == (
        "EUR", date(2024, 3, 1), Decimal("0.921"), Decimal("0.925")
    )  # fmt: skip
    assert str(change) == "EUR 2024-03-01: 0.921 → 0.925"
    assert held(engine, "EUR")[date(2024, 3, 1)][0] == Decimal("0.925")
    with engine.connect() as conn:
        events = conn.execute(
            select(AuditEvent.action, AuditEvent.before, AuditEvent.after)
            .where(AuditEvent.entity == "exchange_rate")
            .order_by(AuditEvent.id)
        ).all()  # fmt: skip
    assert len(events) == 5  # four added, one revised
    assert events[-1].before == '{"source": "UN ORE", "units_per_usd": "0.921"}'
    assert '"units_per_usd": "0.925"' in events[-1].after


@pytest.mark.parametrize(
    "line, column, reason",
    [
        ("EUX,2024-03-01,0.9,UN ORE", "currency", "R19: currency 'EUX' is not an ISO 4217 code"),
        ("eur,2024-03-01,0.9,UN ORE", "currency", "did you mean EUR"),
        (",2024-03-01,0.9,UN ORE", "currency", "is missing"),
        ("EUR,2024-13-01,0.9,UN ORE", "effective_date", "not a date"),
        ("EUR,01/03/2024,0.9,UN ORE", "effective_date", "not a date"),
        ("EUR,2024-04-01,0,UN ORE", "units_per_usd", "must be positive"),
        ("EUR,2024-04-01,-0.9,UN ORE", "units_per_usd", "must be positive"),
        ("EUR,2024-04-01,0.1234567,UN ORE", "units_per_usd", "more than 6 decimals"),
        ("EUR,2024-04-01,abc,UN ORE", "units_per_usd", "not an amount"),
        ("EUR,2024-04-01,,UN ORE", "units_per_usd", "is missing"),
        ("EUR,2024-03-15,0.95,UN ORE", "effective_date", "second EUR rate effective 2024-03-15"),
    ],
)
def test_a_bad_row_refuses_the_whole_file(engine, config, tmp_path, line, column, reason):
    before = dump(engine)
    file = rates_file(tmp_path / "ore.csv", [*RATES, line])
    with pytest.raises(ImportRefused) as refused:
        import_rates(engine, config, file, now=NOW)
    (problem,) = refused.value.problems
    assert (problem.row, problem.column) == (6, column)
    assert reason in problem.message
    assert dump(engine) == before


@pytest.mark.parametrize(
    "header, column, reason",
    [
        ("currency,date,units_per_usd", "date", "unknown column"),
        ("currency,effective_date", None, "missing column: units_per_usd"),
        ("currency,effective_date,units_per_usd,sorce", "sorce", "unknown column"),
    ],
)
def test_a_wrong_header_is_refused_at_row_1(engine, config, tmp_path, header, column, reason):
    before = dump(engine)
    with pytest.raises(ImportRefused) as refused:
        import_rates(engine, config, rates_file(tmp_path / "h.csv", RATES, header), now=NOW)
    assert any(
        p.row == 1 and p.column == column and reason in p.message for p in refused.value.problems
    ), refused.value.problems
    assert dump(engine) == before


@pytest.mark.parametrize("role, allowed", [("focal_point", True), ("working_group", True),
                                           ("viewer", False)])  # fmt: skip
def test_R26_any_user_but_a_viewer_loads_published_rates(engine, tmp_path, role, allowed):
    config = load_config(write_config(tmp_path, role=role))
    file = rates_file(tmp_path / "ore.csv", RATES)
    if allowed:
        assert import_rates(engine, config, file, now=NOW).added == 4
        return
    before = dump(engine)
    with pytest.raises(Refused, match="R26: a viewer changes nothing"):
        import_rates(engine, config, file, now=NOW)
    assert dump(engine) == before


def test_R26_a_focal_point_adds_rates_but_does_not_revise_one(engine, config, tmp_path):
    import_rates(engine, config, rates_file(tmp_path / "a.csv", RATES), now=NOW)
    before = dump(engine)
    revised = [
        "GBP,2024-03-01,0.79,UN ORE",  # new: allowed alone
        RATES[0].replace("0.921", "0.925"),  # row 3: a revision
        *RATES[1:3],  # rows 4 and 5: the same values
        RATES[3].replace("0.307512", "0.3071"),  # row 6: a revision
    ]
    with pytest.raises(ImportRefused) as refused:
        import_rates(engine, config, rates_file(tmp_path / "b.csv", revised), now=NOW)
    assert [str(p) for p in refused.value.problems] == [
        "row 3: EUR 2024-03-01 is already 0.921; only the Working Group revises a published rate",
        "row 6: KWD 2024-03-01 is already 0.307512; only the Working Group revises a published"
        " rate",
    ]
    assert dump(engine) == before  # nothing written, not even the new GBP rate
    added = import_rates(engine, config, rates_file(tmp_path / "c.csv", revised[:1]), now=NOW)
    assert (added.added, added.changed) == (1, ())


def test_R26_the_working_group_revises_a_published_rate(engine, config, tmp_path):
    import_rates(engine, config, rates_file(tmp_path / "a.csv", RATES), now=NOW)
    revised = [RATES[0].replace("0.921", "0.925"), *RATES[1:]]
    result = import_rates(
        engine, working_group(tmp_path), rates_file(tmp_path / "b.csv", revised), now=NOW
    )
    assert [str(c) for c in result.changed] == ["EUR 2024-03-01: 0.921 → 0.925"]
    assert held(engine, "EUR")[date(2024, 3, 1)][0] == Decimal("0.925")


# --- the rate in force for an order (R20) ----------------------------------------------------


def orders_file(path: Path, days: list[str], currency: str = "EUR", price: str = "1000") -> Path:
    lines = [",".join(COLUMNS)]
    for n, day in enumerate(days, start=1):
        lines.append(
            f"UNDP-FX-{n:04d},UNDP,CONS-A,2,mini_competition,,{day},{currency},KE,"
            f"Laptop,43211503,goods,,1,{price},issued"
        )
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")
    return path


def stored_orders(engine) -> dict[str, tuple]:
    with engine.connect() as conn:
        rows = conn.execute(
            select(Order.po_number, Order.fx_effective_date, Order.fx_units_per_usd, Order.total,
                   Order.total_usd)
        ).all()  # fmt: skip
    return {r[0]: tuple(r[1:]) for r in rows}


def test_R20_rate_in_force_mid_month_revision_and_same_day(engine, config, tmp_path):
    import_rates(engine, config, rates_file(tmp_path / "ore.csv", RATES), now=NOW)
    days = ["2024-03-01", "2024-03-14", "2024-03-15", "2024-03-31"]
    import_orders(engine, config, orders_file(tmp_path / "o.csv", days), now=NOW)
    found = stored_orders(engine)
    assert found["UNDP-FX-0001"][:2] == (date(2024, 3, 1), Decimal("0.921"))  # same day
    assert found["UNDP-FX-0002"][:2] == (date(2024, 3, 1), Decimal("0.921"))
    assert found["UNDP-FX-0003"][:2] == (date(2024, 3, 15), Decimal("0.934"))  # revision, same day
    assert found["UNDP-FX-0004"][:2] == (date(2024, 3, 15), Decimal("0.934"))
    assert found["UNDP-FX-0001"][3] == Decimal("1085.78")  # 1,000 EUR / 0.921, to the cent
    assert found["UNDP-FX-0003"][3] == Decimal("1070.66")  # 1,000 EUR / 0.934


def test_R20_an_order_before_the_first_rate_names_currency_and_date(engine, config, tmp_path):
    import_rates(engine, config, rates_file(tmp_path / "ore.csv", RATES), now=NOW)
    with pytest.raises(ImportRefused) as refused:
        import_orders(engine, config, orders_file(tmp_path / "o.csv", ["2024-02-29"]), now=NOW)
    (problem,) = refused.value.problems
    assert (problem.row, problem.column) == (2, "currency")
    assert "no UN operational rate for EUR on or before 2024-02-29" in problem.message


def test_R20_reimported_rates_never_change_stored_order_values(engine, config, tmp_path):
    import_rates(engine, config, rates_file(tmp_path / "ore.csv", RATES), now=NOW)
    days = ["2024-03-01", "2024-03-20"]
    import_orders(engine, config, orders_file(tmp_path / "o.csv", days), now=NOW)
    with sqlite3.connect(engine.url.database) as conn:
        before = {
            t: conn.execute(f"SELECT * FROM {t} ORDER BY id").fetchall()
            for t in ("orders", "order_lines")
        }
    revised = [line.replace("0.921", "0.899").replace("0.934", "0.951") for line in RATES]
    result = import_rates(
        engine, working_group(tmp_path), rates_file(tmp_path / "new.csv", revised), now=NOW
    )
    assert len(result.changed) == 2
    with sqlite3.connect(engine.url.database) as conn:
        after = {
            t: conn.execute(f"SELECT * FROM {t} ORDER BY id").fetchall()
            for t in ("orders", "order_lines")
        }
    assert after == before  # total_usd, amount_usd and the fx_* columns: identical


# --- data/rates.csv is read the same way -----------------------------------------------------


def test_seeded_sample_rates_are_read_by_the_import_row_parser(engine):
    assert held(engine, "EUR")[date(2025, 1, 1)] == (Decimal("0.9543"), "UN ORE (sample)")


# --- the command -----------------------------------------------------------------------------


def test_cli_import_rates_prints_summary_and_changes(engine, config_path, tmp_path, run_cli):
    file = rates_file(tmp_path / "ore.csv", RATES)
    first = run_cli("--config", str(config_path), "import", "rates", str(file))
    assert first.returncode == 0, first.stderr
    assert first.stdout.strip() == f"{file}: 4 rates added, 0 changed, 0 unchanged."
    write_config(tmp_path, role="working_group")  # the same database; revising is theirs
    revised = rates_file(tmp_path / "new.csv", [RATES[0].replace("0.921", "0.925"), *RATES[1:]])
    second = run_cli("--config", str(config_path), "import", "rates", str(revised))
    assert second.returncode == 0, second.stderr
    assert second.stdout.splitlines() == [
        f"{revised}: 0 rates added, 1 changed, 3 unchanged.",
        "  changed EUR 2024-03-01: 0.921 → 0.925",
    ]


def test_cli_bad_rates_exit_2_naming_row_and_column(engine, config_path, tmp_path, run_cli):
    file = rates_file(tmp_path / "ore.csv", [*RATES, "EUX,2024-13-01,-1"])
    before = dump(engine)
    result = run_cli("--config", str(config_path), "import", "rates", str(file))
    assert result.returncode == 2 and "Traceback" not in result.stderr
    assert result.stderr.splitlines() == [
        f"lta-tui: {file}: row 6, currency: R19: currency 'EUX' is not an ISO 4217 code",
        f"lta-tui: {file}: row 6, effective_date: '2024-13-01' is not a date (YYYY-MM-DD)",
        f"lta-tui: {file}: row 6, units_per_usd: -1 must be positive",
        f"lta-tui: {file}: 3 problems: nothing imported",
    ]
    assert dump(engine) == before


def test_cli_without_a_database_is_one_line(tmp_path, run_cli):
    config = write_config(tmp_path)
    result = run_cli(
        "--config", str(config), "import", "rates", str(rates_file(tmp_path / "r.csv", RATES))
    )
    assert result.returncode == 2
    (line,) = result.stderr.strip().splitlines()
    assert "lta-tui init" in line
    assert not (tmp_path / "lta.db").exists()
