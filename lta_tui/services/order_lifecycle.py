"""An order's lifecycle after save (DESIGN.md §2): draft → issued → partially_delivered →
delivered → closed; draft/issued → cancelled (reason required); a review once delivered.
Issuing an order placed from an award moves its competition from awarded to ordered.

Every transition checks R26 against the order's agency, refuses a move its status does not
allow with a sentence saying why, bumps the version under the optimistic check and writes one
audit event (R25) in the same transaction.
"""

from __future__ import annotations

from collections.abc import Collection, Mapping
from datetime import date, datetime
from decimal import Decimal

from sqlalchemy import bindparam, delete, insert, select, update
from sqlalchemy.engine import Connection, Engine

from lta_tui.config import RulesConfig
from lta_tui.domain.money import QUANTITY_DIGITS, format_quantity, within_decimals
from lta_tui.domain.rules import Finding, Refused, check_permission
from lta_tui.domain.rules._render import day
from lta_tui.domain.states import CompetitionStatus, OrderStatus, label
from lta_tui.services.competition_stored import change_status, competition_head
from lta_tui.services.order_checks import (
    AMENDABLE,
    Existing,
    acknowledged_rules,
    bad_input,
    evaluate,
    refuse,
)
from lta_tui.services.order_types import Actor, NeedsAcknowledgement, ReviewInput, SavedOrder
from lta_tui.services.order_write import (
    audit,
    aware,
    bump_version,
    load_for_change,
    pending_warnings,
    record_acknowledged,
    write_transaction,
)
from lta_tui.store.models import Delivery, Order, OrderLine, PerformanceReview

S = OrderStatus
_LINES = OrderLine.__table__
#: The criteria of a performance review, each rated 1 (poor) to 4 (very good).
REVIEW_CRITERIA = ("on_time_delivery", "quantity", "conformity", "responsiveness", "after_sales")


def _allowed(actor: Actor, existing: Existing) -> None:
    """R26 against the stored order's agency."""
    found = check_permission(actor.role, actor.agency, "change", existing.agency)
    if found:
        raise Refused(found)


def _saved(existing: Existing, version: int, status: str) -> SavedOrder:
    return SavedOrder(
        existing.id, existing.po_number, version, status, existing.total, existing.total_usd
    )


def issue_order(
    engine: Engine,
    order_id: int,
    actor: Actor,
    rules: RulesConfig,
    *,
    now: datetime,
    expected_version: int,
    acknowledged: Collection[str] = (),
) -> SavedOrder:
    """Issue a draft: every order rule again, at its stored rate (errors refuse; a warning not
    acknowledged at save nor in `acknowledged` raises `NeedsAcknowledgement`); sets the first
    total (R16's baseline)."""
    now = aware(now)
    with write_transaction(engine) as conn:
        existing = load_for_change(conn, order_id, expected_version)
        _allowed(actor, existing)
        if existing.status != S.draft.value:
            raise refuse(
                f"{existing.po_number} is {label(existing.status)}: only a draft can be issued"
            )
        check, _ = evaluate(conn, existing.input, actor, rules, existing, keep_rate=True)
        if check.errors:
            raise Refused(check.errors)
        known = acknowledged_rules(existing.acknowledged) | set(acknowledged)
        pending = pending_warnings(check.warnings, known)
        if pending:
            raise NeedsAcknowledgement(pending)
        fresh = [
            w for w in check.warnings if w.rule not in acknowledged_rules(existing.acknowledged)
        ]
        values = {"status": S.issued.value, "first_total": existing.total}
        if fresh:
            values["acknowledged_warnings"] = record_acknowledged(
                existing.acknowledged, fresh, actor, now, existing.input.ceiling_amendment
            )
        version = bump_version(conn, existing, actor, now, values)
        audit(
            conn,
            actor,
            now,
            existing.id,
            "issue",
            {"status": existing.status},
            {"status": S.issued.value, "first_total": existing.total},
        )
        if existing.input.competition:
            _competition_ordered(conn, existing, actor, now)
        return _saved(existing, version, S.issued.value)


def _competition_ordered(conn: Connection, order: Existing, actor: Actor, now: datetime) -> None:
    """The competition an issued order comes from — the order's own agency's, as R14 checked —
    moves from awarded to ordered (its version bumped, audited)."""
    head = competition_head(conn, order.input.competition or "", order.agency)
    if head is None or head.status != CompetitionStatus.awarded.value:
        return
    change_status(conn, head, CompetitionStatus.ordered.value, actor, now, "ordered")


def record_delivery(
    engine: Engine,
    order_id: int,
    actor: Actor,
    *,
    now: datetime,
    delivered_on: date,
    quantities: Mapping[int, Decimal],
    expected_version: int,
    today: date | None = None,
) -> SavedOrder:
    """Record what arrived on `delivered_on` (line_no → quantity this time): one `deliveries`
    row per line, the lines' delivered quantities, and the status partially delivered or
    delivered. Findings about a line's quantity carry the field `lines.N.delivered`.

    `today` is the user's local day (the TUI's `t`), against which a delivery date in the
    future is refused; without it, the day of `now` (UTC)."""
    now = aware(now)
    today = today if today is not None else now.date()
    with write_transaction(engine) as conn:
        existing = load_for_change(conn, order_id, expected_version)
        _allowed(actor, existing)
        po = existing.po_number
        if existing.status not in AMENDABLE:
            raise refuse(
                f"{po} is {label(existing.status)}: only an issued or partially delivered"
                " order can take a delivery"
            )
        found: list[Finding] = []
        order_date = existing.input.order_date
        if delivered_on < order_date:
            found.append(
                bad_input(
                    f"delivery date {day(delivered_on)} is before the order date {day(order_date)}",
                    "delivered_on",
                )
            )
        if delivered_on > today:
            found.append(
                bad_input(f"delivery date {day(delivered_on)} is in the future", "delivered_on")
            )
        lines = {line.line_no: line for line in existing.lines}
        wanted = {n: q for n, q in quantities.items() if not (q.is_finite() and q == 0)}
        if not wanted:
            found.append(bad_input("a delivery needs a quantity on at least one line", "lines"))
        for n, q in sorted(wanted.items()):
            where = f"lines.{n}.delivered"
            line = lines.get(n)
            if line is None:
                found.append(bad_input(f"{po} has no line {n}", where))
                continue
            if not q.is_finite() or q <= 0:
                found.append(bad_input(f"line {n}: delivered quantity {q} must be positive", where))
                continue
            if not within_decimals(q, QUANTITY_DIGITS):
                found.append(
                    bad_input(
                        f"line {n}: delivered quantity {q} has more than {QUANTITY_DIGITS}"
                        " decimals",
                        where,
                    )
                )
                continue
            if line.delivered + q > line.quantity:
                found.append(
                    bad_input(
                        f"line {n}: {format_quantity(line.delivered + q)} delivered in all would"
                        f" exceed the {format_quantity(line.quantity)} ordered"
                        f" ({format_quantity(line.delivered)} delivered before)",
                        where,
                    )
                )
        if found:
            raise Refused(found)
        after = {n: line.delivered for n, line in lines.items()}
        for n, q in wanted.items():
            after[n] += q
        complete = all(after[n] >= line.quantity for n, line in lines.items())
        status = S.delivered.value if complete else S.partially_delivered.value
        version = bump_version(conn, existing, actor, now, {"status": status})
        conn.execute(
            insert(Delivery.__table__),
            [
                {
                    "order_id": existing.id,
                    "order_line_id": lines[n].id,
                    "delivered_on": delivered_on,
                    "quantity": q,
                    "recorded_by": actor.name,
                }
                for n, q in sorted(wanted.items())
            ],
        )
        conn.execute(
            update(_LINES)
            .where(_LINES.c.id == bindparam("b_id"))
            .values(delivered_quantity=bindparam("b_delivered")),
            [{"b_id": lines[n].id, "b_delivered": after[n]} for n in sorted(wanted)],
        )
        audit(
            conn,
            actor,
            now,
            existing.id,
            "deliver",
            {
                "status": existing.status,
                "delivered": {str(n): lines[n].delivered for n in sorted(wanted)},
            },
            {
                "status": status,
                "delivered_on": delivered_on,
                "received": {str(n): q for n, q in sorted(wanted.items())},
                "delivered": {str(n): after[n] for n in sorted(wanted)},
            },
        )
        return _saved(existing, version, status)


def cancel_order(
    engine: Engine,
    order_id: int,
    actor: Actor,
    *,
    now: datetime,
    reason: str,
    expected_version: int,
) -> SavedOrder:
    """Cancel a draft or an issued order (nothing delivered yet); the reason is required."""
    with write_transaction(engine) as conn:
        return cancel_order_in(
            conn, order_id, actor, now=now, reason=reason, expected_version=expected_version
        )


def cancel_order_in(
    conn: Connection,
    order_id: int,
    actor: Actor,
    *,
    now: datetime,
    reason: str,
    expected_version: int,
) -> SavedOrder:
    """`cancel_order` inside the caller's `write_transaction` (a competition cancelled with its
    draft order): R26 on the order's agency, the optimistic version check, the audit event."""
    now = aware(now)
    existing = load_for_change(conn, order_id, expected_version)
    _allowed(actor, existing)
    if existing.status not in (S.draft.value, S.issued.value):
        raise refuse(
            f"{existing.po_number} is {label(existing.status)}:"
            " only a draft or issued order can be cancelled"
        )
    why = (reason or "").strip()
    if not why:
        raise refuse(f"cancelling {existing.po_number} needs a reason", "reason")
    version = bump_version(
        conn, existing, actor, now, {"status": S.cancelled.value, "cancellation_reason": why}
    )
    audit(
        conn,
        actor,
        now,
        existing.id,
        "cancel",
        {"status": existing.status},
        {"status": S.cancelled.value, "reason": why},
    )
    return _saved(existing, version, S.cancelled.value)


def close_order(
    engine: Engine, order_id: int, actor: Actor, *, now: datetime, expected_version: int
) -> SavedOrder:
    """Close a delivered order."""
    now = aware(now)
    with write_transaction(engine) as conn:
        existing = load_for_change(conn, order_id, expected_version)
        _allowed(actor, existing)
        if existing.status != S.delivered.value:
            raise refuse(
                f"{existing.po_number} is {label(existing.status)}:"
                " only a delivered order can be closed"
            )
        version = bump_version(conn, existing, actor, now, {"status": S.closed.value})
        audit(
            conn,
            actor,
            now,
            existing.id,
            "close",
            {"status": existing.status},
            {"status": S.closed.value},
        )
        return _saved(existing, version, S.closed.value)


def review_order(
    engine: Engine,
    order_id: int,
    actor: Actor,
    *,
    now: datetime,
    review: ReviewInput,
    expected_version: int,
    today: date | None = None,
) -> SavedOrder:
    """Rate a delivered (or closed) order, 1–4 per criterion with a comment; rating it again
    replaces the earlier review. Audited on the order (action "review") and, like every change
    of an order, checked against `expected_version` and bumping it: a second focal point rating
    from a stale view gets `OrderConflict` instead of overwriting the first review. Rating it
    again with the same scores and comment writes nothing (the version stays). `today` is the
    user's local day, stored as `reviewed_on` (default: the day of `now`, UTC)."""
    now = aware(now)
    today = today if today is not None else now.date()
    found = []
    for name in REVIEW_CRITERIA:
        value = getattr(review, name)
        if isinstance(value, bool) or not isinstance(value, int) or not 1 <= value <= 4:
            found.append(bad_input(f"{label(name)}: rate it 1 to 4, not {value!r}", name))
    if found:
        raise Refused(found)
    with write_transaction(engine) as conn:
        existing = load_for_change(conn, order_id, expected_version)
        _allowed(actor, existing)
        if existing.status not in (S.delivered.value, S.closed.value):
            raise refuse(
                f"{existing.po_number} is {label(existing.status)}:"
                " only a delivered or closed order can be rated"
            )
        ids = conn.execute(
            select(Order.agency_id, Order.consolidator_id).where(Order.id == existing.id)
        ).one()
        cols = [getattr(PerformanceReview, n) for n in REVIEW_CRITERIA]
        earlier = conn.execute(
            select(*cols, PerformanceReview.comment).where(
                PerformanceReview.order_id == existing.id
            )
        ).first()
        values = {n: getattr(review, n) for n in REVIEW_CRITERIA}
        comment = (review.comment or "").strip()
        before = (
            {"review": None}
            if earlier is None
            else {**dict(zip(REVIEW_CRITERIA, earlier[:5], strict=True)), "comment": earlier[5]}
        )
        after = {**values, "comment": comment}
        if before == after:
            return _saved(existing, existing.version, existing.status)
        version = bump_version(conn, existing, actor, now, {})
        table = PerformanceReview.__table__
        conn.execute(delete(table).where(table.c.order_id == existing.id))
        conn.execute(
            insert(table).values(
                order_id=existing.id,
                agency_id=ids.agency_id,
                consolidator_id=ids.consolidator_id,
                reviewed_on=today,
                **values,
                comment=comment,
                reviewed_by=actor.name,
            )
        )
        audit(conn, actor, now, existing.id, "review", before, after)
        return _saved(existing, version, existing.status)
