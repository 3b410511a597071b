"""`lta-tui demo`: one transaction that fills the database with the demo data set."""

from __future__ import annotations

import time
from datetime import date

from sqlalchemy import Engine

from lta_tui.config import Config
from lta_tui.services.demo.competition_rows import write_competitions
from lta_tui.services.demo.competitions import plan_competitions
from lta_tui.services.demo.orders import OrderStream
from lta_tui.services.demo.rates import plan_rates
from lta_tui.services.demo.reports import (
    report_periods,
    write_audit,
    write_consolidator_reports,
    write_feedback,
)
from lta_tui.services.demo.sub_ltas import plan_sub_ltas, set_ceilings
from lta_tui.services.demo.world import DemoError, load_world
from lta_tui.store.bulk import BIG, TRANSACTIONAL, BulkWriter
from lta_tui.store.models import ExchangeRate, Order

#: Tables named in the summary, with the words for their rows.
_SUMMARY = (
    ("order_lines", "order lines"), ("deliveries", "deliveries"),
    ("order_amendments", "amendments"), ("performance_reviews", "performance reviews"),
    ("mini_competitions", "mini-competitions"), ("offers", "offers"), ("awards", "awards"),
    ("sub_ltas", "sub-LTAs"), ("catalogue_items", "catalogue items"),
    ("exchange_rates", "exchange rates added"), ("spend_feedback", "spend feedback entries"),
    ("consolidator_reports", "consolidator reports"), ("audit_events", "audit events"),
)  # fmt: skip


def generate_demo(
    engine: Engine,
    config: Config,
    *,
    orders: int,
    seed: int,
    until: date,
    replace: bool = False,
) -> str:
    """Fill the database with a deterministic demo data set of exactly `orders` orders over the
    five years ending on `until` (clipped to the LTA's validity and the lot holdings, R12).

    The same (orders, seed, until) on a freshly initialised database gives identical rows. All
    or nothing: one transaction. Existing transactions are refused unless `replace`, which
    deletes them first (reference data and exchange rates stay). Returns a one-paragraph summary.
    """
    if orders < 1:
        raise DemoError("--orders must be at least 1")
    started = time.perf_counter()
    with engine.begin() as conn:
        writer = BulkWriter(conn)
        held = writer.count(Order)
        if held and not replace:
            raise DemoError(
                f"the database already holds {held:,} orders:"
                " pass --replace to regenerate the demo data"
            )
        if replace:
            writer.delete_transactions()
        elif any(writer.count(model) for model in TRANSACTIONAL):
            raise DemoError(
                "the database already holds sub-LTAs, competitions or reports:"
                " pass --replace to regenerate the demo data"
            )
        world = load_world(conn, config, until, seed)
        added_rates, fx = plan_rates(conn, world, seed)
        first = writer.ids(ExchangeRate, len(added_rates))
        writer.insert(
            ExchangeRate,
            ("id", "currency", "effective_date", "units_per_usd", "source"),
            [(first + i, *row) for i, row in enumerate(added_rates)],
        )
        offices = plan_sub_ltas(world, fx, writer, seed)
        competitions = plan_competitions(world, fx, orders, config.rules.min_valid_offers, seed)
        planned, audit = write_competitions(writer, world, competitions)
        periods = report_periods(world.until)
        stream = OrderStream(
            world, fx, offices, writer, seed, config.rules.amendment_warn_pct, periods[0][0]
        )
        with writer.indexes_set_aside(*BIG):
            stream.run(orders, planned)
        set_ceilings(writer, offices, world, fx, seed)
        write_feedback(writer, world, stream.totals, seed)
        write_consolidator_reports(writer, world, offices, stream.totals, seed)
        write_audit(writer, audit + stream.audit)
        writer.finish()
    elapsed = time.perf_counter() - started
    counts = writer.counts
    parts = ", ".join(f"{counts.get(table, 0):,} {words}" for table, words in _SUMMARY)
    return (
        f"Demo data for LTA {config.lta.reference} from {world.start} to {world.end}"
        f" (seed {seed}): {counts.get('orders', 0):,} orders with {parts};"
        f" written in one transaction in {elapsed:.1f} s."
    )
