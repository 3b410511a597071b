"""The order service: every order rule (R12–R20, R26) broken and kept through `check_order` and
`save_order`, the shape of the input, exact amounts, PO numbers and acknowledgements."""

from __future__ import annotations

import json
from dataclasses import replace
from datetime import date
from decimal import Decimal

import pytest
from sqlalchemy import update

from lta_tui.domain.rules import Refused
from lta_tui.services.orders import (
    Actor,
    LineInput,
    NeedsAcknowledgement,
    OrderCheck,
    catalogue,
    check_order,
    load_order_input,
    order_form_context,
    save_order,
)
from lta_tui.store.models import Consolidator, Lta, Order, OrderLine
from tests.order_setup import (
    ANA,
    DAY,
    ITEMS,
    NOW,
    RULES,
    SUB,
    add_rate,
    audit_events,
    count,
    direct_order,
    goods,
    make_award,
    make_sub_lta,
    order_row,
    service,
)

D = Decimal


@pytest.fixture
def db(engine):
    make_sub_lta(engine)
    return engine


def rules_of(check: OrderCheck, severity="error") -> list[str]:
    found = check.errors if severity == "error" else check.warnings
    return [f.rule for f in found]


def only_error(check: OrderCheck, rule: str, field: str | None = None):
    errors = check.errors
    assert [f.rule for f in errors] == [rule], [f.message for f in errors]
    if field is not None:
        assert errors[0].field == field, errors[0]
    return errors[0]


def refused(db, order, actor=ANA, **kw) -> Refused:
    before = count(db, Order)
    with pytest.raises(Refused) as err:
        save_order(db, order, actor, RULES, now=NOW, **kw)
    assert count(db, Order) == before  # nothing written
    return err.value


# --- a valid order ---------------------------------------------------------------------------


def test_valid_direct_order_checks_clean_and_saves_a_draft(db):
    order = direct_order()
    check = check_order(db, order, ANA, RULES)
    assert check.findings == ()
    assert len(check.lines) == 10
    assert check.total == sum((f.amount for f in check.lines), D(0))
    assert check.total_usd == sum((f.amount_usd for f in check.lines), D(0))
    saved = save_order(db, order, ANA, RULES, now=NOW)
    assert saved.po_number == "UNDP-2026-000001"
    assert (saved.version, saved.status) == (1, "draft")
    row = order_row(db, saved.id)
    assert (row.total, row.total_usd) == (check.total, check.total_usd)
    assert row.fx_units_per_usd == check.rate.units_per_usd
    assert row.fx_effective_date == check.rate.effective_date == date(2026, 11, 1)
    assert row.fx_source == check.rate.source
    assert (row.created_by, row.updated_by, row.version) == ("Ana Ruiz", "Ana Ruiz", 1)
    (event,) = audit_events(db, saved.id)
    assert event[0] == "create" and event[1] == "Ana Ruiz" and event[3] is None
    assert event[4]["po_number"] == saved.po_number and event[4]["status"] == "draft"
    back, version, status = load_order_input(db, saved.id)
    assert (version, status) == (1, "draft")
    assert back.lines == order.lines and back.sub_lta == SUB


def test_lines_store_amounts_that_add_up_to_the_order_total(db):
    saved = save_order(db, direct_order(), ANA, RULES, now=NOW)
    from sqlalchemy import select

    with db.connect() as conn:
        lines = conn.execute(
            select(OrderLine.amount, OrderLine.amount_usd, OrderLine.catalogue_item_id)
            .where(OrderLine.order_id == saved.id)
            .order_by(OrderLine.line_no)
        ).all()
    assert sum(r[0] for r in lines) == saved.total
    assert sum(r[1] for r in lines) == saved.total_usd
    assert all(r[2] is not None for r in lines[:9]) and lines[9][2] is None  # freight


def test_po_numbers_follow_the_agency_and_year_sequence(db):
    first = save_order(db, direct_order(), ANA, RULES, now=NOW)
    with db.begin() as conn:
        conn.execute(update(Order).where(Order.id == first.id).values(po_number="UNDP-2026-000093"))
    second = save_order(db, direct_order(), ANA, RULES, now=NOW)
    assert second.po_number == "UNDP-2026-000094"
    earlier = save_order(db, direct_order(order_date=date(2026, 1, 5)), ANA, RULES, now=NOW)
    assert earlier.po_number == "UNDP-2026-000095"  # same year, same sequence


def test_imported_po_numbers_outside_the_six_digit_sequence_do_not_derail_it(db):
    saved = [save_order(db, direct_order(), ANA, RULES, now=NOW) for _ in range(3)]
    # imported orders numbered in the agency's own way: they sort after UNDP-2026-000003
    with db.begin() as conn:
        for order, po in zip(saved[:2], ["UNDP-2026-5", "UNDP-2026-000099-B"], strict=True):
            conn.execute(update(Order).where(Order.id == order.id).values(po_number=po))
    fourth = save_order(db, direct_order(), ANA, RULES, now=NOW)
    fifth = save_order(db, direct_order(), ANA, RULES, now=NOW)
    assert (fourth.po_number, fifth.po_number) == ("UNDP-2026-000004", "UNDP-2026-000005")


def test_a_po_number_taken_meanwhile_is_a_clear_refusal(db, monkeypatch):
    from lta_tui.services import order_write

    first = save_order(db, direct_order(), ANA, RULES, now=NOW)
    # another save (outside the lock) took the number this one computed
    monkeypatch.setattr(order_write, "next_po_number", lambda conn, agency, year: first.po_number)
    err = refused(db, direct_order())
    (f,) = err.findings
    assert f.field == "po_number"
    assert f.message == "PO UNDP-2026-000001 was just taken by another save: save again"


def test_resaving_an_unchanged_draft_writes_nothing(db):
    saved = save_order(db, direct_order(), ANA, RULES, now=NOW)
    again = save_order(
        db, direct_order(), ANA, RULES, now=NOW, order_id=saved.id, expected_version=1
    )
    assert again.version == 1 and len(audit_events(db, saved.id)) == 1


def test_saving_a_changed_draft_replaces_its_lines_with_an_audit_event(db):
    saved = save_order(db, direct_order(), ANA, RULES, now=NOW)
    shorter = direct_order(lines=(goods("A2-LAP01", "4"), service()))
    again = save_order(db, shorter, ANA, RULES, now=NOW, order_id=saved.id, expected_version=1)
    assert again.version == 2 and again.po_number == saved.po_number
    assert load_order_input(db, saved.id)[0].lines == shorter.lines
    events = audit_events(db, saved.id)
    assert [e[0] for e in events] == ["create", "update"]
    assert len(events[1][3]["lines"]) == 10 and len(events[1][4]["lines"]) == 2


# --- R12 ---------------------------------------------------------------------------------------


def test_r12_order_date_after_the_lta_is_refused(db):
    check = check_order(db, direct_order(order_date=date(2027, 6, 1)), ANA, RULES)
    assert "R12" in rules_of(check)
    assert any(f.field == "order_date" and f.rule == "R12" for f in check.errors)


def test_r12_order_outside_the_holders_period_for_the_lot_is_refused(engine):
    make_sub_lta(engine, reference="UNDP-D", consolidator="CONS-D", items=[ITEMS[0]])
    order = direct_order(
        consolidator="CONS-D", sub_lta="UNDP-D", lines=(goods("A2-LAP01"),)
    )  # CONS-D held lot 2 until 2025-12-31
    f = only_error(check_order(engine, order, ANA, RULES), "R12", "order_date")
    assert "CONS-D does not hold lot 2 on the order date 2026-11-10" in f.message
    refused(engine, order)


def test_r12_order_inside_the_lta_and_the_holding_is_kept(db):
    assert "R12" not in rules_of(check_order(db, direct_order(), ANA, RULES))


# --- R13 ---------------------------------------------------------------------------------------


def test_r13_direct_order_without_a_sub_lta_is_refused(db):
    only_error(check_order(db, direct_order(sub_lta=None), ANA, RULES), "R13", "sub_lta")


def test_r13_unknown_sub_lta_is_refused(db):
    f = only_error(check_order(db, direct_order(sub_lta="NOPE"), ANA, RULES), "R13", "sub_lta")
    assert "NOPE" in f.message


def test_r13_sub_lta_of_another_consolidator_is_refused(db):
    make_award(db)  # irrelevant data must not matter
    check = check_order(db, direct_order(consolidator="CONS-B"), ANA, RULES)
    assert any(f.rule == "R13" and f.field == "sub_lta" for f in check.errors)


def test_r13_order_date_outside_the_sub_lta_is_refused(engine):
    make_sub_lta(engine, valid=(date(2026, 1, 1), date(2026, 6, 30)))
    check = check_order(engine, direct_order(), ANA, RULES)
    assert any(f.rule == "R13" and f.field == "order_date" for f in check.errors)


def test_r13_line_that_is_not_a_catalogue_item_is_refused(db):
    line = LineInput("goods", "Gaming laptop", "43211503", D(1), D(999))
    order = direct_order(lines=(goods("A2-LAP01"), line))
    f = only_error(check_order(db, order, ANA, RULES), "R13", "lines.2.sku")
    assert f.message.startswith("R13: line 2:")
    refused(db, order)


def test_r13_price_above_the_catalogue_is_refused(db):
    order = direct_order(lines=(goods("A2-LAP01", price="851.01"),))
    only_error(check_order(db, order, ANA, RULES), "R13", "lines.1.unit_price")


def test_r13_price_below_the_catalogue_warns_and_needs_acknowledgement(db):
    order = direct_order(lines=(goods("A2-LAP01", price="800.00"), service()))
    check = check_order(db, order, ANA, RULES)
    assert check.errors == [] and rules_of(check, "warning") == ["R13"]
    assert check.for_field("lines.1.unit_price")[0].rule == "R13"
    with pytest.raises(NeedsAcknowledgement) as err:
        save_order(db, order, ANA, RULES, now=NOW)
    assert [w.rule for w in err.value.warnings] == ["R13"]
    assert count(db, Order) == 0
    saved = save_order(db, order, ANA, RULES, now=NOW, acknowledged={"R13"})
    # what was saved: a draft at the agreed price, 2 × 800.00 + 350.00 freight
    assert (saved.status, saved.version, saved.po_number) == ("draft", 1, "UNDP-2026-000001")
    assert saved.total == D("1950.00") and count(db, Order) == 1
    stored, version, status = load_order_input(db, saved.id)
    assert stored.lines == order.lines and (version, status) == (1, "draft")
    assert stored.lines[0].unit_price == D("800.00")
    # the acknowledgement recorded: which warning, who, when
    (entry,) = json.loads(order_row(db, saved.id).acknowledged_warnings)
    assert entry == {
        "rule": "R13",
        "message": check.warnings[0].message,
        "by": "Ana Ruiz",
        "at": "2026-11-15T09:00:00+00:00",
    }
    assert "800.00 EUR" in entry["message"]


def test_r13_catalogue_item_of_another_lot_is_refused(db):
    order = direct_order(lines=(goods("A1-SW01"),))  # a lot 1 item on a lot 2 order
    f = only_error(check_order(db, order, ANA, RULES), "R13", "lines.1.sku")
    assert "lot 1 item" in f.message


def test_r13_catalogue_items_at_catalogue_prices_are_kept(db):
    check = check_order(db, direct_order(), ANA, RULES)
    assert "R13" not in rules_of(check) + rules_of(check, "warning")


def test_r13_order_in_another_currency_than_its_sub_lta_is_refused(db):
    # a service line names no catalogue item: before, nothing refused a JPY order under an
    # EUR sub-LTA and its R15 was skipped
    add_rate(db, "JPY", date(2026, 11, 5), "154.37")
    order = direct_order(currency="JPY", lines=(service(price="20000"),))
    check = check_order(db, order, ANA, RULES)
    f = only_error(check, "R13", "currency")
    assert f.message == (
        "R13: the order is in JPY, sub-LTA UNDP-CONS-A-2026 is in EUR:"
        " a direct order is in its sub-LTA's currency"
    )
    refused(db, order)


def test_r13_r15_order_in_another_currency_is_still_checked_against_the_ceiling(engine):
    make_sub_lta(engine, ceiling=D("10000"))
    add_rate(engine, "JPY", date(2026, 11, 5), "154.37")
    # 2,000,000 JPY = 12,956.53 USD ≈ 11,115 EUR: past the 10,000 EUR ceiling
    order = direct_order(currency="JPY", lines=(service(price="2000000"),))
    check = check_order(engine, order, ANA, RULES)
    assert sorted(rules_of(check)) == ["R13", "R15"]
    (ceiling,) = [f for f in check.errors if f.rule == "R15"]
    assert "sub-LTA UNDP-CONS-A-2026" in ceiling.message and "EUR" in ceiling.message


def test_r15_an_order_stored_in_another_currency_counts_converted_not_as_the_ceilings(engine):
    from lta_tui.services.orders import issue_order

    make_sub_lta(engine, ceiling=D("40000"))
    first = save_order(engine, direct_order(), ANA, RULES, now=NOW)
    issue_order(engine, first.id, ANA, RULES, now=NOW, expected_version=1)
    # an old (imported) order under the EUR sub-LTA stored in JPY: its total_usd stays
    # 17,451.86 USD (14,971.95 EUR); its 2,000,000 JPY must not count as 2,000,000 EUR
    with engine.begin() as conn:
        conn.execute(
            update(Order).where(Order.id == first.id).values(currency="JPY", total=D("2000000"))
        )
    check = check_order(engine, direct_order(), ANA, RULES)
    assert check.findings == ()  # 2 × 14,971.95 = 29,943.90 of 40,000 EUR: 75 %


# --- R14 ---------------------------------------------------------------------------------------


def competition_order(**changes):
    line = LineInput("goods", "Laptop", "43211503", D(10), D("900.00"))
    base = {"lines": (line,), "channel": "mini_competition", "sub_lta": None}
    return direct_order(**{**base, "competition": "UNDP-MC-2026-001", **changes})


def test_r14_order_matching_the_award_is_kept(engine):
    make_award(engine)
    check = check_order(engine, competition_order(), ANA, RULES)
    assert check.findings == ()
    saved = save_order(engine, competition_order(), ANA, RULES, now=NOW)
    assert order_row(engine, saved.id).award_id is not None


def test_r14_order_to_another_consolidator_than_the_award_is_refused(engine):
    make_award(engine)
    check = check_order(engine, competition_order(consolidator="CONS-B"), ANA, RULES)
    assert any(f.rule == "R14" and f.field == "consolidator" for f in check.errors)


def test_r14_order_above_the_awarded_offer_is_refused(engine):
    make_award(engine)
    line = LineInput("goods", "Laptop", "43211503", D(11), D("900.00"))
    f = only_error(check_order(engine, competition_order(lines=(line,)), ANA, RULES), "R14")
    assert f.field == "total"


def test_r14_competition_without_an_award_is_refused(engine):
    make_award(engine, awarded=False)
    f = only_error(check_order(engine, competition_order(), ANA, RULES), "R14")
    assert "UNDP-MC-2026-001 has no award" in f.message


def test_r14_unknown_competition_is_refused(engine):
    check = check_order(engine, competition_order(competition="UNDP-MC-X"), ANA, RULES)
    assert [f.field for f in check.errors] == ["competition"]


# --- R15 ---------------------------------------------------------------------------------------


def test_r15_sub_lta_ceiling_reached_warns(engine):
    make_sub_lta(engine, ceiling=D("17000"))
    check = check_order(engine, direct_order(), ANA, RULES)  # 14,971.95 of 17,000 = 88 %
    (w,) = check.warnings
    assert w.rule == "R15" and w.field == "total" and "sub-LTA UNDP-CONS-A-2026" in w.message


def test_r15_sub_lta_ceiling_passed_is_refused_unless_an_amendment_is_recorded(engine):
    make_sub_lta(engine, ceiling=D("10000"))
    f = only_error(check_order(engine, direct_order(), ANA, RULES), "R15", "total")
    assert "past 100 %" in f.message
    refused(engine, direct_order())
    amended = direct_order(ceiling_amendment="AMD-2026-07")
    check = check_order(engine, amended, ANA, RULES)
    assert check.errors == [] and rules_of(check, "warning") == ["R15"]
    saved = save_order(engine, amended, ANA, RULES, now=NOW, acknowledged={"R15"})
    (entry,) = json.loads(order_row(engine, saved.id).acknowledged_warnings)
    assert entry["ceiling_amendment"] == "AMD-2026-07"
    assert load_order_input(engine, saved.id)[0].ceiling_amendment == "AMD-2026-07"


def test_r15_counts_issued_orders_not_drafts_against_the_sub_lta_ceiling(engine):
    from lta_tui.services.orders import issue_order

    make_sub_lta(engine, ceiling=D("25000"))
    first = save_order(engine, direct_order(), ANA, RULES, now=NOW)
    assert check_order(engine, direct_order(), ANA, RULES).findings == ()  # a draft: not used
    issue_order(engine, first.id, ANA, RULES, now=NOW, expected_version=1)
    check = check_order(engine, direct_order(), ANA, RULES)
    assert rules_of(check) == ["R15"]  # 2 × 14,971.95 > 25,000
    # the order itself is not counted twice when it is checked again
    again = direct_order(amendment_reason="same value")
    assert check_order(engine, again, ANA, RULES, order_id=first.id).findings == ()


def test_r15_lta_ceiling_in_usd(db):
    with db.begin() as conn:
        conn.execute(update(Lta).values(ceiling_usd=D("17000")))
    check = check_order(db, direct_order(), ANA, RULES)  # 17,451.86 USD
    f = only_error(check, "R15", "total")
    assert "LTA GP500454" in f.message and "USD" in f.message


def test_r15_under_the_ceilings_is_kept(db):
    assert "R15" not in rules_of(check_order(db, direct_order(), ANA, RULES), "warning")


def test_r15_r20_amendment_preview_uses_the_orders_stored_rate_like_the_save(db):
    from lta_tui.services.orders import issue_order

    with db.begin() as conn:
        conn.execute(update(Lta).values(ceiling_usd=D("20000")))
    draft = save_order(db, direct_order(), ANA, RULES, now=NOW, acknowledged={"R15"})
    issued = issue_order(db, draft.id, ANA, RULES, now=NOW, expected_version=1)
    stored_rate = order_row(db, issued.id).fx_units_per_usd
    # a revision effective 2026-11-05 (before the order date) imported after the order
    add_rate(db, "EUR", date(2026, 11, 5), "0.5")
    lines = direct_order().lines
    amended = direct_order(
        lines=(replace(lines[0], quantity=D(3)), *lines[1:]), amendment_reason="one more"
    )
    check = check_order(db, amended, ANA, RULES, order_id=issued.id)
    assert check.rate.effective_date == date(2026, 11, 1)
    assert check.rate.units_per_usd == stored_rate
    # 15,822.95 EUR at the stored rate is about 18,400 USD: the LTA ceiling warns; at 0.5 it
    # would be 31,645.90 USD, past the ceiling
    assert check.errors == [] and rules_of(check, "warning") == ["R15"]
    saved = save_order(
        db,
        amended,
        ANA,
        RULES,
        now=NOW,
        acknowledged={"R15"},
        order_id=issued.id,
        expected_version=issued.version,
    )
    assert (saved.total, saved.total_usd) == (check.total, check.total_usd)


# --- R17 ---------------------------------------------------------------------------------------


def suspend(engine, code="CONS-A"):
    with engine.begin() as conn:
        conn.execute(
            update(Consolidator)
            .where(Consolidator.code == code)
            .values(
                eligibility="suspended",
                eligibility_since=date(2026, 10, 1),
                eligibility_reason="sanctions review",
            )
        )


def test_r17_suspended_consolidator_gets_no_order(db):
    suspend(db)
    f = only_error(check_order(db, direct_order(), ANA, RULES), "R17", "consolidator")
    assert "CONS-A is suspended since 2026-10-01 (sanctions review): no new order" in f.message
    refused(db, direct_order())


def test_r17_new_order_dated_before_the_suspension_is_still_refused(db):
    # the service checks a new order against today's eligibility, not the order date's
    suspend(db)
    f = only_error(check_order(db, direct_order(order_date=date(2026, 9, 1)), ANA, RULES), "R17")
    assert "since 2026-10-01" in f.message


def test_r17_eligible_consolidator_is_kept(db):
    assert "R17" not in rules_of(check_order(db, direct_order(), ANA, RULES))


# --- R18 and the lines' shape ------------------------------------------------------------------


def test_r18_zero_quantity_and_negative_price_are_refused_on_their_lines(db):
    order = direct_order(lines=(goods("A2-LAP01", "0"), replace(service(), unit_price=D("-1"))))
    check = check_order(db, order, ANA, RULES)
    fields = {f.field for f in check.errors if f.rule == "R18"}
    assert fields == {"lines.1.quantity", "lines.2.unit_price"}


def test_r18_positive_quantities_and_free_service_are_kept(db):
    order = direct_order(lines=(goods("A2-LAP01"), service(price="0")))
    assert "R18" not in rules_of(check_order(db, order, ANA, RULES))


def test_order_needs_at_least_one_line(db):
    check = check_order(db, direct_order(lines=()), ANA, RULES)
    assert [f.field for f in check.errors] == ["lines"]


@pytest.mark.parametrize(
    ("line", "field"),
    [
        (replace(service(), service=None), "lines.1.service"),
        (replace(service(), service="catering"), "lines.1.service"),
        (replace(service(), unspsc="7814"), "lines.1.unspsc"),
        (replace(service(), description="  "), "lines.1.description"),
        (replace(service(), kind="other"), "lines.1.kind"),
        (replace(service(), quantity=D("1.0001")), "lines.1.quantity"),
        (replace(goods("A2-LAP01"), service="freight"), "lines.1.service"),
    ],
)
def test_malformed_line_is_refused_under_its_field(db, line, field):
    check = check_order(db, direct_order(lines=(line,)), ANA, RULES)
    assert field in {f.field for f in check.errors}, check.errors


def test_unit_price_finer_than_the_storage_scale_is_an_error_not_a_crash(db):
    order = direct_order(lines=(service(price="10.12345"),))
    check = check_order(db, order, ANA, RULES)
    assert [f.field for f in check.errors] == ["lines.1.unit_price"]
    assert "more than 4 decimals" in check.errors[0].message
    refused(db, order)


def test_unknown_agency_consolidator_and_lot_are_named(db):
    order = direct_order(consolidator="CONS-Z", lot=9)
    fields = {f.field for f in check_order(db, order, ANA, RULES).errors}
    assert {"consolidator", "lot"} <= fields


# --- R19 and R20 -------------------------------------------------------------------------------


def test_r19_unknown_currency_and_country_are_refused(db):
    check = check_order(db, direct_order(currency="EURO", destination_country="KEN"), ANA, RULES)
    r19 = {f.field: f.message for f in check.errors if f.rule == "R19"}
    assert set(r19) == {"currency", "destination_country"}
    assert "did you mean KE?" in r19["destination_country"]


def test_r19_iso_codes_are_kept(db):
    assert "R19" not in rules_of(check_order(db, direct_order(), ANA, RULES))


def test_r20_missing_rate_is_an_error_naming_currency_and_date(engine):
    make_sub_lta(
        engine, reference="UNDP-MXN", currency="MXN", items=[("A2-LAP01", 2, "43211503", D(900))]
    )
    order = direct_order(
        currency="MXN", sub_lta="UNDP-MXN", lines=(goods("A2-LAP01", price="900"),)
    )
    check = check_order(engine, order, ANA, RULES)
    f = only_error(check, "R20", "currency")
    assert "MXN" in f.message and "2026-11-10" in f.message
    assert check.total == D("1800.00") and check.total_usd is None and check.rate is None
    refused(engine, order)


def test_r20_rate_in_force_is_used_and_stored(db):
    check = check_order(db, direct_order(), ANA, RULES)
    assert "R20" not in rules_of(check)
    assert check.rate.effective_date == date(2026, 11, 1)


def test_usd_order_needs_no_rate_and_converts_at_one(engine):
    make_sub_lta(
        engine, reference="UNDP-USD", currency="USD", items=[("A2-LAP01", 2, "43211503", D(900))]
    )
    order = direct_order(
        currency="USD", sub_lta="UNDP-USD", lines=(goods("A2-LAP01", price="900"),)
    )
    check = check_order(engine, order, ANA, RULES)
    assert check.findings == () and check.total == check.total_usd == D("1800.00")
    saved = save_order(engine, order, ANA, RULES, now=NOW)
    row = order_row(engine, saved.id)
    assert (row.fx_units_per_usd, row.fx_effective_date, row.fx_source) == (D(1), DAY, "USD")


# --- exact amounts in JPY and KWD -------------------------------------------------------------


def test_jpy_amounts_have_no_decimals_and_are_exact(engine):
    items = [("A2-LAP01", 2, "43211503", D("129800"))]
    make_sub_lta(engine, reference="UNDP-JPY", currency="JPY", items=items)
    add_rate(engine, "JPY", date(2026, 11, 5), "154.37")
    order = direct_order(
        currency="JPY",
        sub_lta="UNDP-JPY",
        lines=(goods("A2-LAP01", "3", "129800"), service(price="12345", quantity="1.5")),
    )
    check = check_order(engine, order, ANA, RULES)
    assert check.errors == []
    assert [f.amount for f in check.lines] == [D("389400"), D("18518")]  # 18,517.5 half up
    assert check.total == D("407918")
    assert [f.amount_usd for f in check.lines] == [D("2522.51"), D("119.96")]
    assert check.total_usd == D("2642.47")
    saved = save_order(engine, order, ANA, RULES, now=NOW, acknowledged={"R13"})
    assert (saved.total, saved.total_usd) == (D("407918"), D("2642.47"))


def test_kwd_amounts_have_three_decimals_and_are_exact(engine):
    items = [("A2-LAP01", 2, "43211503", D("255.125"))]
    make_sub_lta(engine, reference="UNDP-KWD", currency="KWD", items=items)
    order = direct_order(
        currency="KWD",
        sub_lta="UNDP-KWD",
        lines=(goods("A2-LAP01", "3", "255.125"), service(price="10.0005")),
    )
    check = check_order(engine, order, ANA, RULES)
    assert check.errors == []
    assert [f.amount for f in check.lines] == [D("765.375"), D("10.001")]
    assert check.total == D("775.376")
    saved = save_order(engine, order, ANA, RULES, now=NOW)
    row = order_row(engine, saved.id)
    assert row.total == D("775.376") and row.total_usd == check.total_usd
    assert check.total_usd == sum(f.amount_usd for f in check.lines)


# --- R26 ---------------------------------------------------------------------------------------


def test_r26_focal_point_of_another_agency_is_refused(db):
    other = Actor("Li Wei", "UNICEF", "focal_point")
    f = only_error(check_order(db, direct_order(), other, RULES), "R26", "agency")
    assert "changes only UNICEF's records, not UNDP's" in f.message
    refused(db, direct_order(), other)


@pytest.mark.parametrize("role", ["working_group", "viewer"])
def test_r26_working_group_and_viewer_place_no_order(db, role):
    actor = Actor("Sam Doe", "UNDP", role)
    only_error(check_order(db, direct_order(), actor, RULES), "R26", "agency")
    refused(db, direct_order(), actor)


def test_r26_focal_point_of_the_agency_is_kept(db):
    assert "R26" not in rules_of(check_order(db, direct_order(), ANA, RULES))


def test_r26_changing_another_agencys_stored_order_is_refused(db):
    saved = save_order(db, direct_order(), ANA, RULES, now=NOW)
    other = Actor("Li Wei", "UNICEF", "focal_point")
    moved = direct_order(agency="UNICEF")
    err = refused(db, moved, other, order_id=saved.id, expected_version=1)
    assert any(f.rule == "R26" for f in err.findings)


# --- what the form reads -------------------------------------------------------------------------


def test_form_context_and_catalogue(db):
    saved = save_order(db, direct_order(), ANA, RULES, now=NOW)
    from lta_tui.services.orders import issue_order

    issue_order(db, saved.id, ANA, RULES, now=NOW, expected_version=1)
    ctx = order_form_context(db, ANA, DAY)
    assert ctx.default_agency == "UNDP"
    assert "UNDP" in {a.code for a in ctx.agencies}
    assert [c.code for c in ctx.consolidators] == ["CONS-A", "CONS-B", "CONS-C", "CONS-D"]
    assert [lot.number for lot in ctx.lots] == [1, 2, 3, 4, 5]
    (sub,) = ctx.sub_ltas
    assert (sub.reference, sub.currency, sub.consumed) == (SUB, "EUR", saved.total)
    assert {s.code for s in ctx.services} == {
        "freight", "export_licensing", "installation_support", "warranty"
    }  # fmt: skip
    assert "KES" in {c.code for c in ctx.currencies}
    assert "KE" in {c.alpha2 for c in ctx.countries}
    items = catalogue(db, SUB)
    assert len(items) == len(ITEMS) and items[0].lot == 1
    assert catalogue(db, "NOPE") == ()
