"""An order's lifecycle: issue, deliveries, amendments (R16), cancel, close and review, each
transition allowed and refused, each change with one audit event (R25) and R26 on the order's
agency."""

from __future__ import annotations

import json
from dataclasses import replace
from datetime import date, timedelta
from decimal import Decimal

import pytest
from sqlalchemy import select

from lta_tui.domain.rules import Refused
from lta_tui.services.order_detail import order_detail
from lta_tui.services.orders import (
    Actor,
    NeedsAcknowledgement,
    ReviewInput,
    cancel_order,
    close_order,
    issue_order,
    load_order_input,
    record_delivery,
    review_order,
    save_order,
)
from lta_tui.store.models import Delivery, OrderAmendment, PerformanceReview
from tests.order_setup import (
    ANA,
    DAY,
    NOW,
    RULES,
    audit_events,
    count,
    direct_order,
    goods,
    make_sub_lta,
    order_row,
    service,
)

D = Decimal
OTHER = Actor("Li Wei", "UNICEF", "focal_point")
VIEWER = Actor("Vic Viewer", "UNDP", "viewer")
WG = Actor("Wanda Group", "UNDP", "working_group")


@pytest.fixture
def db(engine):
    make_sub_lta(engine)
    return engine


def small_order():
    return direct_order(lines=(goods("A2-LAP01", "10"), goods("A2-LAP02", "4"), service()))


@pytest.fixture
def draft(db):
    return save_order(db, small_order(), ANA, RULES, now=NOW)


@pytest.fixture
def issued(db, draft):
    return issue_order(db, draft.id, ANA, RULES, now=NOW, expected_version=draft.version)


def deliver(db, saved, quantities, on=DAY, actor=ANA):
    return record_delivery(
        db,
        saved.id,
        actor,
        now=NOW,
        delivered_on=on,
        quantities={n: D(q) for n, q in quantities.items()},
        expected_version=saved.version,
    )


def last_event(db, order_id):
    return audit_events(db, order_id)[-1]


def refused_unchanged(db, saved, call) -> Refused:
    """`call()` is refused and the order is left as it was (version, audit trail)."""
    events, version = len(audit_events(db, saved.id)), order_row(db, saved.id).version
    with pytest.raises(Refused) as err:
        call()
    assert len(audit_events(db, saved.id)) == events
    assert order_row(db, saved.id).version == version
    return err.value


# --- issue -------------------------------------------------------------------------------------


def test_r25_issue_a_draft_sets_status_first_total_and_audits(db, draft):
    saved = issue_order(db, draft.id, ANA, RULES, now=NOW, expected_version=1)
    assert (saved.status, saved.version) == ("issued", 2)
    row = order_row(db, draft.id)
    assert row.status == "issued" and row.first_total == draft.total
    action, who, at, before, after = last_event(db, draft.id)
    assert (action, who, at) == ("issue", "Ana Ruiz", NOW)
    assert before == {"status": "draft"} and after["status"] == "issued"


def test_issue_refused_when_not_a_draft(db, issued):
    err = refused_unchanged(
        db,
        issued,
        lambda: issue_order(db, issued.id, ANA, RULES, now=NOW, expected_version=issued.version),
    )
    assert str(err) == "UNDP-2026-000001 is issued: only a draft can be issued"


def test_issue_rechecks_the_rules_and_refuses_on_errors(db, draft):
    from sqlalchemy import update

    from lta_tui.store.models import Consolidator

    with db.begin() as conn:
        conn.execute(
            update(Consolidator)
            .where(Consolidator.code == "CONS-A")
            .values(eligibility="suspended")
        )
    err = refused_unchanged(
        db, draft, lambda: issue_order(db, draft.id, ANA, RULES, now=NOW, expected_version=1)
    )
    assert [f.rule for f in err.findings] == ["R17"]


def test_issue_does_not_ask_again_for_warnings_acknowledged_at_save(db):
    order = direct_order(lines=(goods("A2-LAP01", "2", "800.00"),))  # R13 warning
    saved = save_order(db, order, ANA, RULES, now=NOW, acknowledged={"R13"})
    issued = issue_order(db, saved.id, ANA, RULES, now=NOW, expected_version=1)
    assert issued.status == "issued"


def test_issue_asks_for_a_new_warning_and_records_it(engine):
    make_sub_lta(engine, ceiling=D("25000"))
    first = save_order(engine, small_order(), ANA, RULES, now=NOW)  # 12,268.00: 49 %
    second = save_order(engine, small_order(), ANA, RULES, now=NOW)  # drafts do not count
    issue_order(engine, first.id, ANA, RULES, now=NOW, expected_version=1)
    with pytest.raises(NeedsAcknowledgement) as err:  # 24,536.00 of 25,000: 98 %
        issue_order(engine, second.id, ANA, RULES, now=NOW, expected_version=1)
    assert [w.rule for w in err.value.warnings] == ["R15"]
    assert order_row(engine, second.id).status == "draft"
    saved = issue_order(
        engine, second.id, ANA, RULES, now=NOW, expected_version=1, acknowledged={"R15"}
    )
    assert saved.status == "issued"
    (entry,) = json.loads(order_row(engine, second.id).acknowledged_warnings)
    assert entry["rule"] == "R15" and "98.1 %" in entry["message"]


def test_r26_issue_by_another_agency_viewer_or_working_group_is_refused(db, draft):
    for actor in (OTHER, VIEWER, WG):
        err = refused_unchanged(
            db,
            draft,
            lambda actor=actor: issue_order(
                db, draft.id, actor, RULES, now=NOW, expected_version=1
            ),
        )
        assert err.findings[0].rule == "R26"


# --- deliveries --------------------------------------------------------------------------------


def test_r25_partial_then_full_delivery(db, issued):
    part = deliver(db, issued, {1: "4", 3: "1"})
    assert (part.status, part.version) == ("partially_delivered", 3)
    action, _, _, before, after = last_event(db, issued.id)
    assert action == "deliver" and before["status"] == "issued"
    assert after["status"] == "partially_delivered" and after["delivered"] == {
        "1": "4.000",
        "3": "1.000",
    }
    full = deliver(db, part, {1: "6", 2: "4"}, on=DAY + timedelta(days=2))
    assert full.status == "delivered"
    detail = order_detail(db, issued.id)
    assert [line.delivered_quantity for line in detail.lines] == [D(10), D(4), D(1)]
    assert len(detail.deliveries) == 4  # one row per line delivered, each time
    with db.connect() as conn:
        rows = conn.execute(select(Delivery.delivered_on, Delivery.recorded_by)).all()
    assert {r[1] for r in rows} == {"Ana Ruiz"}


def test_delivery_refused_on_a_draft(db, draft):
    err = refused_unchanged(db, draft, lambda: deliver(db, draft, {1: "1"}))
    assert "is draft: only an issued or partially delivered order can take a delivery" in str(err)


@pytest.mark.parametrize(
    ("quantities", "on", "field", "text"),
    [
        ({1: "11"}, DAY, "lines.1.delivered", "would exceed the 10 ordered"),
        ({1: "-1"}, DAY, "lines.1.delivered", "must be positive"),
        ({9: "1"}, DAY, "lines.9.delivered", "has no line 9"),
        ({}, DAY, "lines", "at least one line"),
        ({1: "1"}, DAY - timedelta(days=1), "delivered_on", "before the order date"),
        ({1: "1"}, date(2026, 11, 16), "delivered_on", "in the future"),
    ],
)
def test_bad_delivery_is_refused_naming_the_field(db, issued, quantities, on, field, text):
    err = refused_unchanged(db, issued, lambda: deliver(db, issued, quantities, on=on))
    assert err.findings[0].field == field and text in err.findings[0].message
    assert count(db, Delivery) == 0


def test_delivery_on_the_users_local_day_ahead_of_utc_is_kept(db, issued):
    # 23:30 UTC on 2026-11-15 is 2026-11-16 02:30 in Nairobi, where `t` is the 16th
    late = NOW.replace(hour=23, minute=30)
    kwargs = {"now": late, "delivered_on": date(2026, 11, 16), "quantities": {1: D(1)}}
    saved = record_delivery(
        db, issued.id, ANA, **kwargs, expected_version=issued.version, today=date(2026, 11, 16)
    )
    assert saved.status == "partially_delivered"


def test_delivery_after_the_users_local_day_is_refused(db, issued):
    kwargs = {"now": NOW, "delivered_on": date(2026, 11, 16), "quantities": {1: D(1)}}
    call = lambda: record_delivery(  # noqa: E731
        db, issued.id, ANA, **kwargs, expected_version=issued.version, today=date(2026, 11, 15)
    )
    err = refused_unchanged(db, issued, call)
    assert err.findings[0].field == "delivered_on" and "in the future" in str(err)


def test_cumulative_delivery_may_not_exceed_the_order(db, issued):
    part = deliver(db, issued, {1: "7"})
    err = refused_unchanged(db, part, lambda: deliver(db, part, {1: "4"}))
    assert "11 delivered in all would exceed the 10 ordered (7 delivered before)" in str(err)


def test_r26_delivery_by_a_viewer_is_refused(db, issued):
    err = refused_unchanged(db, issued, lambda: deliver(db, issued, {1: "1"}, actor=VIEWER))
    assert err.findings[0].rule == "R26"


# --- amendments (R16) --------------------------------------------------------------------------


def amended(lines, reason="price agreed"):
    return replace(small_order(), lines=tuple(lines), amendment_reason=reason)


def test_r25_amendment_of_an_issued_order_records_its_row_and_keeps_deliveries(db, issued):
    part = deliver(db, issued, {1: "4"})
    lines = small_order().lines
    new = amended([replace(lines[0], quantity=D(11)), *lines[1:], goods("A2-MON01", "1")])
    saved = save_order(db, new, ANA, RULES, now=NOW, order_id=part.id, expected_version=3)
    assert saved.status == "partially_delivered" and saved.version == 4
    assert saved.total == part.total + D("851.00") + D("189.99")
    with db.connect() as conn:
        (row,) = conn.execute(select(OrderAmendment.__table__)).all()
    assert (row.previous_total, row.new_total, row.reason) == (
        part.total,
        saved.total,
        "price agreed",
    )
    detail = order_detail(db, part.id)
    assert [line.delivered_quantity for line in detail.lines] == [D(4), D(0), D(0), D(0)]
    assert len(detail.deliveries) == 1
    assert sum(line.amount for line in detail.lines) == detail.total == saved.total
    assert sum(line.amount_usd for line in detail.lines) == detail.total_usd
    assert detail.fx_units_per_usd == order_row(db, part.id).fx_units_per_usd
    action, _, _, before, after = last_event(db, part.id)
    assert action == "amend" and after["reason"] == "price agreed"
    assert D(before["total"]) == part.total and D(after["total"]) == saved.total
    assert order_row(db, part.id).first_total == issued.total


def test_amendment_needs_a_reason(db, issued):
    new = amended([goods("A2-LAP01", "9"), *small_order().lines[1:]], reason=" ")
    err = refused_unchanged(
        db,
        issued,
        lambda: save_order(db, new, ANA, RULES, now=NOW, order_id=issued.id, expected_version=2),
    )
    assert [f.field for f in err.findings] == ["amendment_reason"]


def test_amendment_may_not_go_below_what_was_delivered(db, issued):
    part = deliver(db, issued, {1: "6"})
    new = amended([goods("A2-LAP01", "5"), *small_order().lines[1:]])
    err = refused_unchanged(
        db,
        part,
        lambda: save_order(db, new, ANA, RULES, now=NOW, order_id=part.id, expected_version=3),
    )
    assert err.findings[0].field == "lines.1.quantity"
    assert "below the 6 already delivered" in err.findings[0].message


def test_amendment_may_not_remove_lines_or_change_the_header(db, issued):
    new = amended(small_order().lines[:2])
    err = refused_unchanged(
        db,
        issued,
        lambda: save_order(db, new, ANA, RULES, now=NOW, order_id=issued.id, expected_version=2),
    )
    assert [f.field for f in err.findings] == ["lines"]
    moved = replace(amended(small_order().lines), destination_country="UG")
    err = refused_unchanged(
        db,
        issued,
        lambda: save_order(db, moved, ANA, RULES, now=NOW, order_id=issued.id, expected_version=2),
    )
    assert [f.field for f in err.findings] == ["destination_country"]


def test_r16_cumulative_amendments_above_the_threshold_warn(db, issued):
    lines = small_order().lines  # total 12,268.00; 20 % is 2,453.60
    up = amended([replace(lines[0], quantity=D(12)), *lines[1:]])  # +1,702 (13.9 %)
    first = save_order(db, up, ANA, RULES, now=NOW, order_id=issued.id, expected_version=2)
    down = amended([replace(lines[0], quantity=D(11)), *lines[1:]])  # -851: 2,553 in all
    with pytest.raises(NeedsAcknowledgement) as err:
        save_order(db, down, ANA, RULES, now=NOW, order_id=issued.id, expected_version=3)
    (w,) = err.value.warnings
    assert w.rule == "R16" and w.field == "total" and "2,553.00 EUR" in w.message
    assert count(db, OrderAmendment) == 1
    saved = save_order(
        db, down, ANA, RULES, now=NOW, order_id=issued.id, expected_version=first.version,
        acknowledged={"R16"},
    )  # fmt: skip
    assert saved.version == 4 and count(db, OrderAmendment) == 2
    entries = json.loads(order_row(db, issued.id).acknowledged_warnings)
    assert [e["rule"] for e in entries] == ["R16"]


def test_r16_amendments_within_the_threshold_are_kept(db, issued):
    lines = small_order().lines
    up = amended([replace(lines[0], quantity=D(11)), *lines[1:]])
    saved = save_order(db, up, ANA, RULES, now=NOW, order_id=issued.id, expected_version=2)
    assert saved.version == 3


def test_amendment_refused_on_a_delivered_order(db, issued):
    full = deliver(db, issued, {1: "10", 2: "4", 3: "1"})
    new = amended([goods("A2-LAP01", "12"), *small_order().lines[1:]])
    err = refused_unchanged(
        db,
        full,
        lambda: save_order(db, new, ANA, RULES, now=NOW, order_id=full.id, expected_version=3),
    )
    assert "is delivered: only a draft, issued or partially delivered order can be changed" in str(
        err
    )


# --- cancel ------------------------------------------------------------------------------------


def test_r25_cancel_a_draft_and_an_issued_order_with_a_reason(db, draft):
    saved = cancel_order(db, draft.id, ANA, now=NOW, reason="duplicate", expected_version=1)
    assert saved.status == "cancelled"
    row = order_row(db, draft.id)
    assert (row.status, row.cancellation_reason) == ("cancelled", "duplicate")
    action, _, _, before, after = last_event(db, draft.id)
    assert (action, before, after) == (
        "cancel",
        {"status": "draft"},
        {"status": "cancelled", "reason": "duplicate"},
    )
    other = save_order(db, small_order(), ANA, RULES, now=NOW)
    issue_order(db, other.id, ANA, RULES, now=NOW, expected_version=1)
    assert (
        cancel_order(db, other.id, ANA, now=NOW, reason="budget cut", expected_version=2).status
        == "cancelled"
    )


def test_cancel_needs_a_reason(db, draft):
    err = refused_unchanged(
        db, draft, lambda: cancel_order(db, draft.id, ANA, now=NOW, reason="  ", expected_version=1)
    )
    assert err.findings[0].field == "reason"


def test_cancel_refused_once_delivered(db, issued):
    full = deliver(db, issued, {1: "10", 2: "4", 3: "1"})
    err = refused_unchanged(
        db,
        full,
        lambda: cancel_order(db, full.id, ANA, now=NOW, reason="late", expected_version=3),
    )
    assert (
        str(err) == "UNDP-2026-000001 is delivered: only a draft or issued order can be cancelled"
    )


def test_cancel_refused_when_partially_delivered(db, issued):
    part = deliver(db, issued, {1: "1"})
    err = refused_unchanged(
        db, part, lambda: cancel_order(db, part.id, ANA, now=NOW, reason="x", expected_version=3)
    )
    assert "is partially delivered: only a draft or issued" in str(err)


def test_r26_cancel_by_another_agency_is_refused(db, draft):
    err = refused_unchanged(
        db,
        draft,
        lambda: cancel_order(db, draft.id, OTHER, now=NOW, reason="x", expected_version=1),
    )
    assert err.findings[0].rule == "R26"


# --- close -------------------------------------------------------------------------------------


def test_r25_close_a_delivered_order(db, issued):
    full = deliver(db, issued, {1: "10", 2: "4", 3: "1"})
    saved = close_order(db, full.id, ANA, now=NOW, expected_version=3)
    assert (saved.status, saved.version) == ("closed", 4)
    action, _, _, before, after = last_event(db, full.id)
    assert (action, before, after) == ("close", {"status": "delivered"}, {"status": "closed"})
    actions = [e[0] for e in audit_events(db, full.id)]
    assert actions == ["create", "issue", "deliver", "close"]


@pytest.mark.parametrize("status", ["draft", "issued", "partially_delivered", "cancelled"])
def test_close_refused_unless_delivered(db, draft, status):
    saved = draft
    if status != "draft":
        saved = issue_order(db, draft.id, ANA, RULES, now=NOW, expected_version=1)
    if status == "partially_delivered":
        saved = deliver(db, saved, {1: "1"})
    if status == "cancelled":
        saved = cancel_order(db, saved.id, ANA, now=NOW, reason="x", expected_version=2)
    err = refused_unchanged(
        db, saved, lambda: close_order(db, saved.id, ANA, now=NOW, expected_version=saved.version)
    )
    label = status.replace("_", " ")
    assert str(err) == f"UNDP-2026-000001 is {label}: only a delivered order can be closed"


def test_r26_close_by_the_working_group_is_refused(db, issued):
    full = deliver(db, issued, {1: "10", 2: "4", 3: "1"})
    err = refused_unchanged(
        db, full, lambda: close_order(db, full.id, WG, now=NOW, expected_version=3)
    )
    assert err.findings[0].rule == "R26"


# --- review ------------------------------------------------------------------------------------


GOOD = ReviewInput(4, 4, 3, 4, 3, "on time, well packed")


def rate(db, saved, review=GOOD, actor=ANA, **kw):
    return review_order(
        db, saved.id, actor, now=NOW, review=review, expected_version=saved.version, **kw
    )


def test_r25_review_a_delivered_order_and_replace_it(db, issued):
    full = deliver(db, issued, {1: "10", 2: "4", 3: "1"})
    first = rate(db, full)
    assert (first.version, first.status) == (4, "delivered")  # a review bumps the version
    second = rate(db, first, review=replace(GOOD, after_sales=2, comment="slow"))
    with db.connect() as conn:
        (row,) = conn.execute(select(PerformanceReview.__table__)).all()
    assert (row.after_sales, row.comment, row.reviewed_by) == (2, "slow", "Ana Ruiz")
    assert row.reviewed_on == NOW.date()
    events = [e for e in audit_events(db, full.id) if e[0] == "review"]
    assert events[0][3] == {"review": None} and events[0][4]["comment"] == "on time, well packed"
    assert events[1][3]["after_sales"] == 3 and events[1][4]["after_sales"] == 2
    assert second.version == order_row(db, full.id).version == 5
    # the same review again writes nothing
    assert rate(db, second, review=replace(GOOD, after_sales=2, comment="slow")) == second
    assert len([e for e in audit_events(db, full.id) if e[0] == "review"]) == 2


def test_review_from_a_stale_version_is_a_conflict_and_keeps_the_first_review(db, issued):
    from lta_tui.services.orders import OrderConflict

    full = deliver(db, issued, {1: "10", 2: "4", 3: "1"})
    rate(db, full)  # the first focal point
    with pytest.raises(OrderConflict):  # the second, who opened the order before
        rate(db, full, review=replace(GOOD, conformity=1, comment="bad"))
    with db.connect() as conn:
        (row,) = conn.execute(select(PerformanceReview.__table__)).all()
    assert (row.conformity, row.comment) == (3, "on time, well packed")


def test_review_on_the_users_local_day(db, issued):
    # 23:30 UTC on 2026-11-15 is already 2026-11-16 in Nairobi: the review is of the 16th
    full = deliver(db, issued, {1: "10", 2: "4", 3: "1"})
    late = NOW.replace(hour=23, minute=30)
    review_order(
        db,
        full.id,
        ANA,
        now=late,
        review=GOOD,
        expected_version=full.version,
        today=date(2026, 11, 16),
    )
    with db.connect() as conn:
        assert conn.execute(select(PerformanceReview.reviewed_on)).scalar_one() == date(
            2026, 11, 16
        )


def test_review_refused_before_delivery(db, issued):
    with pytest.raises(Refused, match="is issued: only a delivered or closed order can be rated"):
        rate(db, issued)
    assert count(db, PerformanceReview) == 0


def test_review_scores_must_be_1_to_4(db, issued):
    full = deliver(db, issued, {1: "10", 2: "4", 3: "1"})
    with pytest.raises(Refused) as err:
        rate(db, full, review=replace(GOOD, conformity=5))
    assert err.value.findings[0].field == "conformity"


def test_r26_review_by_another_agency_is_refused(db, issued):
    full = deliver(db, issued, {1: "10", 2: "4", 3: "1"})
    with pytest.raises(Refused) as err:
        rate(db, full, actor=OTHER)
    assert err.value.findings[0].rule == "R26"


def test_load_order_input_reports_version_and_status(db, issued):
    order, version, status = load_order_input(db, issued.id)
    assert (version, status) == (2, "issued") and order.lines == small_order().lines
