"""Saving an order: a new draft, a draft's lines replaced, or an amendment of an issued order.

Every write happens in one transaction (on SQLite a `BEGIN IMMEDIATE`, on PostgreSQL a
transaction-scoped advisory lock, see `write_transaction`, so the checks and the write see the
same database and a PO number cannot be taken twice), bumps the order's version
with `UPDATE orders ... WHERE id = :id AND version = :expected` (no row → `OrderConflict`) and
writes its audit event (R25). Core statements only: a 10-line save is a handful of indexed
statements.
"""

from __future__ import annotations

import json
from collections.abc import Collection, Iterator, Mapping
from contextlib import contextmanager
from datetime import datetime, timezone
from decimal import Decimal
from typing import Any

from sqlalchemy import bindparam, delete, func, insert, select, text, update
from sqlalchemy.engine import Connection, Engine
from sqlalchemy.exc import IntegrityError

from lta_tui.config import RulesConfig
from lta_tui.domain.dates import aware
from lta_tui.domain.fx import Rate
from lta_tui.domain.rules import AuditRecord, Finding, Refused
from lta_tui.domain.states import OrderStatus
from lta_tui.services.order_checks import (
    AMENDABLE,
    Existing,
    OrderMissing,
    Resolved,
    bad_input,
    evaluate,
    load_existing,
)
from lta_tui.services.order_types import (
    Actor,
    NeedsAcknowledgement,
    OrderConflict,
    OrderInput,
    SavedOrder,
)
from lta_tui.store.engine import is_sqlite
from lta_tui.store.models import AuditEvent, Order, OrderAmendment, OrderLine

_ORDERS = Order.__table__
_LINES = OrderLine.__table__
#: Columns an amendment leaves alone on a kept line: its deliveries stay.
_KEEP_ON_AMEND = ("order_id", "line_no", "delivered_quantity")


# --- shared by every write ------------------------------------------------------------------


#: The key of the PostgreSQL advisory lock every order write takes ("LTAORDER" in ASCII).
ORDER_WRITE_LOCK = 0x4C54414F52444552
#: The only dialect-specific SQL of order writes: PostgreSQL's transaction-scoped advisory lock.
_PG_LOCK = text("SELECT pg_advisory_xact_lock(:key)")


@contextmanager
def write_transaction(engine: Engine) -> Iterator[Connection]:
    """One transaction that writes, holding the lock of order writes before it reads anything,
    so what it reads (the last PO number, the sums under a ceiling, the version) stays true
    until it commits: on SQLite the database's write lock (BEGIN IMMEDIATE, waiting up to the
    busy timeout); on PostgreSQL `pg_advisory_xact_lock(ORDER_WRITE_LOCK)`, released at commit
    or rollback. One lock for every agency: the LTA ceiling (R15) is shared by all of them.
    Other databases get a plain transaction (the unique PO index still refuses a duplicate)."""
    with engine.connect() as conn:
        if is_sqlite(engine):
            conn.exec_driver_sql("BEGIN IMMEDIATE")
        elif engine.dialect.name == "postgresql":
            conn.execute(_PG_LOCK, {"key": ORDER_WRITE_LOCK})
        try:
            yield conn
            conn.commit()
        except BaseException:
            conn.rollback()
            raise


def conflict(conn: Connection, order_id: int) -> OrderConflict:
    row = conn.execute(
        select(Order.po_number, Order.updated_by, Order.updated_at).where(Order.id == order_id)
    ).first()
    if row is None:
        return OrderConflict(f"order {order_id}", "someone", datetime.now(timezone.utc))
    return OrderConflict(row[0], row[1], row[2])


def load_for_change(conn: Connection, order_id: int, expected_version: int | None) -> Existing:
    """The stored order, refused as a conflict when it is not at `expected_version`."""
    try:
        existing = load_existing(conn, order_id)
    except OrderMissing as exc:
        raise Refused([bad_input(str(exc), None)]) from None
    if expected_version is not None and existing.version != expected_version:
        raise OrderConflict(existing.po_number, existing.updated_by, existing.updated_at)
    return existing


def bump_version(
    conn: Connection,
    existing: Existing,
    actor: Actor,
    now: datetime,
    values: Mapping[str, Any],
) -> int:
    """Write `values` and the next version on the order still at `existing.version`."""
    result = conn.execute(
        update(_ORDERS)
        .where(_ORDERS.c.id == existing.id, _ORDERS.c.version == existing.version)
        .values(**values, version=existing.version + 1, updated_at=now, updated_by=actor.name)
    )
    if result.rowcount != 1:
        raise conflict(conn, existing.id)
    return existing.version + 1


def audit(
    conn: Connection,
    actor: Actor,
    now: datetime,
    order_id: int,
    action: str,
    before: Mapping[str, Any] | None,
    after: Mapping[str, Any] | None,
    entity: str = "order",
) -> None:
    """R25: one audit event (who, when, before, after) in the same transaction."""
    record = AuditRecord(now, actor.name, entity, order_id, action, before, after)
    conn.execute(insert(AuditEvent.__table__).values(**record.payload()))


def snapshot(order: OrderInput, status: str, total: Decimal, total_usd: Decimal | None, rate):
    """What an order's audit event records of it."""
    return {
        "status": status,
        "agency": order.agency,
        "channel": order.channel,
        "consolidator": order.consolidator,
        "lot": order.lot,
        "sub_lta": order.sub_lta,
        "competition": order.competition,
        "order_date": order.order_date,
        "currency": order.currency,
        "destination_country": order.destination_country,
        "fx_rate": None if rate is None else rate.units_per_usd,
        "fx_effective_date": None if rate is None else rate.effective_date,
        "total": total,
        "total_usd": total_usd,
        "lines": [
            [
                n,
                line.kind,
                line.sku or line.service,
                line.description,
                line.quantity,
                line.unit_price,
            ]
            for n, line in enumerate(order.lines, 1)
        ],
    }


def pending_warnings(warnings: list[Finding], acknowledged: Collection[str]) -> list[Finding]:
    return [w for w in warnings if w.rule not in acknowledged]


def acknowledgement(warning: Finding, by: str, at: datetime) -> dict:
    """One entry of `orders.acknowledged_warnings`: which warning, who acknowledged it, when."""
    return {"rule": warning.rule, "message": warning.message, "by": by, "at": at.isoformat()}


def record_acknowledged(
    existing_entries: Collection[dict],
    warnings: list[Finding],
    actor: Actor,
    now: datetime,
    ceiling_amendment: str | None,
) -> str | None:
    """`orders.acknowledged_warnings`: the entries so far plus the warnings acknowledged now."""
    entries = list(existing_entries)
    seen = {(e.get("rule"), e.get("message")) for e in entries}
    for w in warnings:
        if (w.rule, w.message) in seen:
            continue
        entry = acknowledgement(w, actor.name, now)
        if w.rule == "R15" and ceiling_amendment:
            entry["ceiling_amendment"] = ceiling_amendment
        entries.append(entry)
        seen.add((w.rule, w.message))
    return json.dumps(entries, ensure_ascii=False) if entries else None


# --- save ------------------------------------------------------------------------------------


def save_order(
    engine: Engine,
    order: OrderInput,
    actor: Actor,
    rules: RulesConfig,
    *,
    now: datetime,
    acknowledged: Collection[str] = (),
    order_id: int | None = None,
    expected_version: int | None = None,
) -> SavedOrder:
    """Save `order`: new → a draft with the next PO number of its agency and year; a draft →
    its header and lines replaced; an issued or partially delivered order → an amendment (reason
    required, an `order_amendments` row, R16). Raises `Refused` on errors, `NeedsAcknowledgement`
    when a warning's rule is not in `acknowledged`, `OrderConflict` when the order is no longer
    at `expected_version`; a stored order is changed only from a known version, so
    `expected_version` is required with `order_id` (ValueError without it)."""
    if order_id is not None and expected_version is None:
        raise ValueError("save_order: changing a stored order needs its expected_version")
    with write_transaction(engine) as conn:
        existing = (
            load_for_change(conn, order_id, expected_version) if order_id is not None else None
        )
        return _save(conn, order, actor, rules, aware(now), acknowledged, existing)


def save_order_in(
    conn: Connection,
    order: OrderInput,
    actor: Actor,
    rules: RulesConfig,
    *,
    now: datetime,
    acknowledged: Collection[str] = (),
) -> SavedOrder:
    """Save a new order as a draft inside the caller's `write_transaction`, so that another
    change (an award) and the order it creates commit or roll back together."""
    return _save(conn, order, actor, rules, aware(now), acknowledged, None)


def _save(conn, order, actor, rules, now, acknowledged, existing: Existing | None) -> SavedOrder:
    amending = existing is not None and existing.status in AMENDABLE
    check, ids = evaluate(conn, order, actor, rules, existing, keep_rate=amending)
    if check.errors:
        raise Refused(check.errors)
    pending = pending_warnings(check.warnings, acknowledged)
    if pending:
        raise NeedsAcknowledgement(pending)
    assert check.rate is not None and check.total_usd is not None  # else R19/R20 errors
    if existing is None:
        return _insert(conn, order, actor, now, check, ids)
    if _unchanged(existing, order):
        return SavedOrder(
            existing.id,
            existing.po_number,
            existing.version,
            existing.status,
            existing.total,
            existing.total_usd,
        )
    if amending:
        return _amend(conn, existing, order, actor, now, check, ids)
    return _replace_draft(conn, existing, order, actor, now, check, ids)


def _unchanged(existing: Existing, order: OrderInput) -> bool:
    same = existing.input
    return (
        order.lines == same.lines
        and (order.agency, order.channel, order.consolidator, order.lot, order.order_date)
        == (same.agency, same.channel, same.consolidator, same.lot, same.order_date)
        and (order.currency, order.destination_country, order.sub_lta, order.competition)
        == (same.currency, same.destination_country, same.sub_lta, same.competition)
    )


def next_po_number(conn: Connection, agency: str, year: int) -> str:
    """`UNDP-2026-000094`: one more than the highest of the agency and year, read backwards on
    the unique index of po_number. Only numbers of exactly six digits after `AGENCY-YEAR-`
    count: an imported `UNDP-2026-5` or `UNDP-2026-000093-B` sorts among them but is not one of
    the sequence."""
    prefix = f"{agency}-{year}-"
    width = len(prefix) + 6
    rows = conn.execute(
        select(Order.po_number)
        .where(
            Order.po_number >= prefix + "000000",
            Order.po_number <= prefix + "999999",
            func.length(Order.po_number) == width,
        )
        .order_by(Order.po_number.desc())
    )
    sequence = 1
    for (po,) in rows:
        tail = po[len(prefix) :]
        if tail.isdecimal() and tail.isascii():
            sequence = int(tail) + 1
            break
    rows.close()
    return f"{prefix}{sequence:06d}"


def _line_rows(order: OrderInput, check, ids: Resolved, order_id: int) -> list[dict]:
    rows = []
    for n, (line, fig) in enumerate(zip(order.lines, check.lines, strict=True), 1):
        rows.append(
            {
                "order_id": order_id,
                "line_no": n,
                "kind": line.kind,
                "service_type_id": ids.service_ids.get(n),
                "catalogue_item_id": ids.catalogue_ids.get(n),
                "description": line.description.strip(),
                "unspsc": line.unspsc.strip(),
                "unit": (line.unit or "each").strip() or "each",
                "quantity": line.quantity,
                "unit_price": line.unit_price,
                "amount": fig.amount,
                "amount_usd": fig.amount_usd,
                "delivered_quantity": Decimal(0),
            }
        )
    return rows


def _header(order: OrderInput, check, ids: Resolved) -> dict:
    rate: Rate = check.rate
    return {
        "lta_id": ids.lta_id,
        "agency_id": ids.agency_id,
        "consolidator_id": ids.consolidator_id,
        "lot_id": ids.lot_id,
        "channel": order.channel,
        "award_id": ids.award_id,
        "sub_lta_id": ids.sub_lta_id,
        "order_date": order.order_date,
        "currency": order.currency,
        "fx_units_per_usd": rate.units_per_usd,
        "fx_effective_date": rate.effective_date,
        "fx_source": rate.source,
        "destination_country": order.destination_country,
        "total": check.total,
        "total_usd": check.total_usd,
    }


def _insert(conn: Connection, order: OrderInput, actor: Actor, now: datetime, check, ids):
    po = next_po_number(conn, order.agency, order.order_date.year)
    status = OrderStatus.draft.value
    acknowledged = record_acknowledged((), check.warnings, actor, now, order.ceiling_amendment)
    try:
        result = conn.execute(
            insert(_ORDERS).values(
                po_number=po,
                **_header(order, check, ids),
                status=status,
                first_total=None,
                acknowledged_warnings=acknowledged,
                created_at=now,
                created_by=actor.name,
                updated_at=now,
                updated_by=actor.name,
                version=1,
            )
        )
    except IntegrityError as exc:
        if "po_number" not in str(exc.orig):
            raise
        # another save took the number between our read and our insert (a database without
        # the lock of write_transaction, or a PO written outside the service)
        raise Refused(
            [bad_input(f"PO {po} was just taken by another save: save again", "po_number")]
        ) from None
    order_id = int(result.inserted_primary_key[0])
    conn.execute(insert(_LINES), _line_rows(order, check, ids, order_id))
    after = snapshot(order, status, check.total, check.total_usd, check.rate)
    audit(conn, actor, now, order_id, "create", None, {"po_number": po, **after})
    return SavedOrder(order_id, po, 1, status, check.total, check.total_usd)


def _replace_draft(conn, existing: Existing, order, actor, now, check, ids) -> SavedOrder:
    acknowledged = record_acknowledged(
        existing.acknowledged, check.warnings, actor, now, order.ceiling_amendment
    )
    version = bump_version(
        conn,
        existing,
        actor,
        now,
        {**_header(order, check, ids), "acknowledged_warnings": acknowledged},
    )
    conn.execute(delete(_LINES).where(_LINES.c.order_id == existing.id))
    conn.execute(insert(_LINES), _line_rows(order, check, ids, existing.id))
    before = snapshot(
        existing.input, existing.status, existing.total, existing.total_usd, existing.rate
    )
    after = snapshot(order, existing.status, check.total, check.total_usd, check.rate)
    audit(conn, actor, now, existing.id, "update", before, after)
    return SavedOrder(
        existing.id, existing.po_number, version, existing.status, check.total, check.total_usd
    )


def _amend(conn, existing: Existing, order, actor, now, check, ids) -> SavedOrder:
    """Kept lines are updated in place (their deliveries stay), added lines inserted."""
    acknowledged = record_acknowledged(
        existing.acknowledged, check.warnings, actor, now, order.ceiling_amendment
    )
    version = bump_version(
        conn,
        existing,
        actor,
        now,
        {
            "total": check.total,
            "total_usd": check.total_usd,
            "acknowledged_warnings": acknowledged,
            "first_total": existing.first_total
            if existing.first_total is not None
            else existing.total,
        },
    )
    rows = _line_rows(order, check, ids, existing.id)
    kept = {line.line_no: line for line in existing.lines}
    updates, added = [], []
    for row in rows:
        old = kept.get(row["line_no"])
        if old is None:
            added.append(row)
        else:
            changed = {k: v for k, v in row.items() if k not in _KEEP_ON_AMEND}
            updates.append({"b_line_id": old.id, **{f"b_{k}": v for k, v in changed.items()}})
    if updates:
        names = [k[2:] for k in updates[0] if k != "b_line_id"]
        conn.execute(
            update(_LINES)
            .where(_LINES.c.id == bindparam("b_line_id"))
            .values({name: bindparam(f"b_{name}") for name in names}),
            updates,
        )
    if added:
        conn.execute(insert(_LINES), added)
    reason = (order.amendment_reason or "").strip()
    conn.execute(
        insert(OrderAmendment.__table__).values(
            order_id=existing.id,
            amended_at=now,
            amended_by=actor.name,
            previous_total=existing.total,
            new_total=check.total,
            reason=reason,
        )
    )
    before = snapshot(
        existing.input, existing.status, existing.total, existing.total_usd, existing.rate
    )
    after = snapshot(order, existing.status, check.total, check.total_usd, check.rate)
    audit(conn, actor, now, existing.id, "amend", before, {**after, "reason": reason})
    return SavedOrder(
        existing.id, existing.po_number, version, existing.status, check.total, check.total_usd
    )
