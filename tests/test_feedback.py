"""UNGM spend feedback: saving (override reason, R26, R25, stale edits), the list with the spend
computed now, and `lta-tui export feedback` (md, csv, json)."""

from __future__ import annotations

import json
from dataclasses import replace
from datetime import date, datetime, timedelta, timezone
from decimal import Decimal

import pytest
from sqlalchemy import func, select

from lta_tui.domain.feedback import FEEDBACK
from lta_tui.domain.rules import Refused
from lta_tui.services.feedback import (
    CSV_COLUMNS,
    FeedbackConflict,
    FeedbackInput,
    FeedbackQueryError,
    computed_spend,
    feedback_entries,
    list_feedback,
    save_feedback,
    write_feedback,
)
from lta_tui.services.order_types import Actor
from lta_tui.services.spend import SpendQuery, order_lines_total, spend_report
from lta_tui.store.models import AuditEvent, SpendFeedback
from tests.conftest import write_config
from tests.order_rows import insert_orders

NOW = datetime(2026, 11, 15, 9, 0, tzinfo=timezone.utc)
START = date(2021, 6, 1)  # the LTA's first day (config default)
YEAR = (date(2024, 1, 1), date(2024, 12, 31))  # insert_orders dates its orders in early 2024
ANA = Actor("Ana Ruiz", "UNDP", "focal_point")
LTA = "GP500454"


@pytest.fixture
def fb_engine(db_url, tmp_path):
    """A seeded database (SQLite, then PostgreSQL when LTA_TUI_TEST_PG_URL is set) with 40
    orders of four agencies in January–February 2024."""
    from lta_tui.config import load_config
    from lta_tui.services.database import initialise, open_engine

    cfg = load_config(write_config(tmp_path, db_url=db_url))
    engine = open_engine(cfg)
    initialise(cfg, engine)
    insert_orders(engine, 40, seed=3)
    yield engine
    engine.dispose()


def undp_spend(engine) -> Decimal:
    with engine.connect() as conn:
        return computed_spend(conn, "UNDP", *YEAR, contract_start=START)


def entry(engine, **changes) -> FeedbackInput:
    spend = undp_spend(engine).quantize(Decimal("0.01"))
    return replace(FeedbackInput("UNDP", *YEAR, spend, "Good service."), **changes)


def count(engine, model) -> int:
    with engine.connect() as conn:
        return conn.execute(select(func.count()).select_from(model)).scalar_one()


def audit_events(engine) -> list[tuple]:
    with engine.connect() as conn:
        return conn.execute(
            select(AuditEvent.entity, AuditEvent.action, AuditEvent.who, AuditEvent.after)
            .where(AuditEvent.entity == "spend_feedback")
            .order_by(AuditEvent.id)
        ).all()


def test_save_records_the_computed_spend_with_an_audit_event(fb_engine):
    computed = undp_spend(fb_engine)
    with fb_engine.connect() as conn:
        query = SpendQuery(group_by=(), agencies=("UNDP",), date_from=YEAR[0], date_to=YEAR[1])
        report = spend_report(conn, query, scope=None, contract_start=START)
        lines = order_lines_total(conn, query, scope=None, contract_start=START)
    assert computed > 0
    assert computed == report.total.spend_usd == lines.spend_usd

    saved = save_feedback(fb_engine, ANA, entry(fb_engine), lta=LTA, now=NOW)

    assert saved.created and saved.computed_spend_usd == computed
    with fb_engine.connect() as conn:
        rows = list_feedback(conn, scope="UNDP", lta=LTA)
    assert [(r.agency, r.label, r.reported_by) for r in rows] == [("UNDP", "2024", "Ana Ruiz")]
    row = rows[0]
    assert row.computed_now == row.computed_then == computed
    assert not row.overridden and not row.orders_changed and row.override_reason is None
    events = audit_events(fb_engine)
    assert [(e[0], e[1], e[2]) for e in events] == [("spend_feedback", "create", "Ana Ruiz")]
    after = json.loads(events[0][3])
    assert after["agency"] == "UNDP" and after["spend_usd"] == str(saved.spend_usd)


def test_an_override_without_a_reason_is_refused_and_nothing_written(fb_engine):
    higher = entry(fb_engine, spend_usd=Decimal("99999.99"))
    with pytest.raises(Refused) as refused:
        save_feedback(fb_engine, ANA, higher, lta=LTA, now=NOW)
    assert [(f.rule, f.field) for f in refused.value.findings] == [(FEEDBACK, "override_reason")]
    assert count(fb_engine, SpendFeedback) == 0
    assert audit_events(fb_engine) == []


def test_an_override_with_a_reason_is_kept(fb_engine):
    reason = "ERP figure: two orders placed before the tool was used"
    data = entry(fb_engine, spend_usd=Decimal("99999.99"), override_reason=reason)
    saved = save_feedback(fb_engine, ANA, data, lta=LTA, now=NOW)
    with fb_engine.connect() as conn:
        (row,) = list_feedback(conn, scope="UNDP", lta=LTA)
    assert row.spend_usd == Decimal("99999.99") == saved.spend_usd
    assert row.overridden and row.override_reason == reason
    assert row.computed_then == undp_spend(fb_engine)


def test_r26_a_focal_point_records_only_the_own_agencys_feedback(fb_engine):
    other = entry(fb_engine, agency="UNICEF")
    for actor in (ANA, Actor("Wu", "UNDP", "working_group"), Actor("Vi", "UNICEF", "viewer")):
        with pytest.raises(Refused) as refused:
            save_feedback(fb_engine, actor, other, lta=LTA, now=NOW)
        assert refused.value.findings[0].rule == "R26"
        assert refused.value.findings[0].field == "agency"
    assert count(fb_engine, SpendFeedback) == 0


def test_r26_a_focal_point_cannot_list_another_agencys_feedback(fb_engine):
    with fb_engine.connect() as conn, pytest.raises(FeedbackQueryError, match="R26"):
        list_feedback(conn, scope="UNDP", lta=LTA, agencies=("UNICEF",))
    with fb_engine.connect() as conn, pytest.raises(FeedbackQueryError, match="unknown agency"):
        list_feedback(conn, scope=None, lta=LTA, agencies=("NOPE",))


def test_an_edit_from_a_stale_copy_is_a_conflict_and_a_fresh_one_updates(fb_engine):
    saved = save_feedback(fb_engine, ANA, entry(fb_engine), lta=LTA, now=NOW)
    later = NOW + timedelta(hours=1)
    edit = entry(
        fb_engine,
        general_feedback="Deliveries late.",
        feedback_id=saved.id,
        loaded_reported_at=saved.reported_at,
    )
    save_feedback(fb_engine, ANA, edit, lta=LTA, now=later)
    with pytest.raises(FeedbackConflict, match="changed by Ana Ruiz"):
        save_feedback(fb_engine, ANA, replace(edit, general_feedback="x"), lta=LTA, now=later)
    with fb_engine.connect() as conn:
        (row,) = list_feedback(conn, scope=None, lta=LTA)
    assert row.general_feedback == "Deliveries late." and row.reported_at == later
    assert [e[1] for e in audit_events(fb_engine)] == ["create", "update"]


def test_a_second_entry_for_the_same_period_is_refused(fb_engine):
    save_feedback(fb_engine, ANA, entry(fb_engine), lta=LTA, now=NOW)
    with pytest.raises(Refused, match="edit that entry instead") as refused:
        save_feedback(fb_engine, ANA, entry(fb_engine), lta=LTA, now=NOW)
    assert refused.value.findings[0].field == "period_from"


def test_a_period_the_wrong_way_round_or_outside_the_lta_is_refused(fb_engine):
    backwards = entry(fb_engine, period_from=YEAR[1], period_to=YEAR[0])
    outside = entry(fb_engine, period_from=date(2019, 1, 1), period_to=date(2019, 12, 31))
    for data in (backwards, outside):
        with pytest.raises(Refused):
            save_feedback(fb_engine, ANA, data, lta=LTA, now=NOW)


def test_the_list_tells_when_the_orders_changed_since(fb_engine):
    save_feedback(fb_engine, ANA, entry(fb_engine), lta=LTA, now=NOW)
    insert_orders(fb_engine, 12, seed=9)  # more orders in the same months
    with fb_engine.connect() as conn:
        (row,) = list_feedback(conn, scope="UNDP", lta=LTA)
    assert row.computed_now == undp_spend(fb_engine) != row.computed_then
    assert row.orders_changed


def test_the_export_has_the_feedback_tabs_fields_in_order(fb_engine, tmp_path):
    save_feedback(fb_engine, ANA, entry(fb_engine, general_feedback="=cmd|' /C calc'!A0"),
                  lta=LTA, now=NOW)  # fmt: skip
    with fb_engine.connect() as conn:
        export = feedback_entries(conn, scope=None, lta=LTA, date_from=YEAR[0], date_to=YEAR[1])
    reported = [e for e in export.entries if e.reported]
    missing = [e for e in export.entries if not e.reported]
    assert [e.agency for e in reported] == ["UNDP"]
    assert missing and all(e.spend_usd > 0 for e in missing)  # the other agencies with orders

    md = write_feedback(export, "md", tmp_path / "f.md", now=NOW).read_text()
    block = md.split("## UNDP · 2024-01-01 – 2024-12-31")[1].split("##")[0]
    labels = [line.split(":**")[0] for line in block.splitlines() if line.startswith("- **")]
    assert labels == [f"- **{f}" for f in ("LTA reference", "Agency", "Contractual period",
                                          "Spend (USD)", "General feedback")]  # fmt: skip
    assert f"- **Spend (USD):** {reported[0].spend_text}" in block
    assert "NOT YET REPORTED" in md

    csv = write_feedback(export, "csv", tmp_path / "f.csv", now=NOW).read_text().splitlines()
    assert csv[0] == ",".join(CSV_COLUMNS)
    assert csv[1].startswith(f"GP500454,UNDP,2024-01-01,2024-12-31,{reported[0].spend_text},")
    assert ",'=cmd|" in csv[1]  # a formula stays text

    data = json.loads(write_feedback(export, "json", tmp_path / "f.json", now=NOW).read_text())
    first = data["entries"][0]
    assert list(first)[:4] == ["lta_reference", "agency", "period_from", "period_to"]
    assert first["spend_usd"] == reported[0].spend_text and first["status"] == "reported"
    assert {e["status"] for e in data["entries"][1:]} == {"not yet reported"}


def test_cli_export_feedback(tmp_path, run_cli):
    from lta_tui.config import load_config
    from lta_tui.services.database import initialise, open_engine

    config = write_config(tmp_path)
    cfg = load_config(config)
    engine = open_engine(cfg)
    initialise(cfg, engine)
    insert_orders(engine, 20, seed=3)
    save_feedback(engine, ANA, entry(engine), lta=LTA, now=NOW)
    engine.dispose()

    shown = run_cli("--config", str(config), "export", "feedback", "--format", "csv")
    assert shown.returncode == 0, shown.stderr
    assert shown.stdout.splitlines()[1].startswith("GP500454,UNDP,2024-01-01,2024-12-31,")

    out = tmp_path / "feedback.md"
    asked = run_cli(
        "--config", str(config), "export", "feedback", "--from", "2025-01-01",
        "--to", "2025-12-31", "-o", str(out),
    )  # fmt: skip
    assert asked.returncode == 0, asked.stderr
    assert "UNDP has no feedback recorded for 2025-01-01 – 2025-12-31" in asked.stderr
    assert "NOT YET REPORTED" in out.read_text() and "Spend (USD):** 0.00" in out.read_text()

    refused = run_cli("--config", str(config), "export", "feedback", "--agency", "UNICEF")
    assert refused.returncode == 2 and "R26" in refused.stderr
    assert "Traceback" not in refused.stderr
    bad = run_cli("--config", str(config), "export", "feedback", "--format", "xlsx")
    assert bad.returncode == 2 and bad.stderr.count("\n") == 1
