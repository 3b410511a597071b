"""UNGM spend feedback: what each agency reports on the LTA's feedback tab for a period (agency,
spend, contractual period, general feedback), kept in `spend_feedback`.

The spend is computed from the orders with the spend report (`spend_report`, the orders in
SPEND_STATUSES, USD at the stored rates); an agency may report another figure with a reason
(`domain.feedback.check_override`). Each entry stores the spend computed when it was saved, so
a list shows when the orders changed since (computed now ≠ computed then).

A save (`save_feedback`) is one transaction holding the write lock of `write_transaction`: R26
(only the own agency's focal point changes its feedback), the checks of `domain.feedback`, an
optimistic check that the entry edited was not saved by someone else since it was loaded (the
table has no version column: the `reported_at` loaded is the version), and the R25 audit event.

`feedback_entries` gathers what `lta-tui export feedback` writes (`write_feedback`: md, csv,
json) in the feedback tab's order: LTA reference, agency, contractual period, spend (USD),
general feedback.
"""

from __future__ import annotations

import json
from collections.abc import Sequence
from dataclasses import dataclass, replace
from datetime import date, datetime, timezone
from decimal import Decimal
from pathlib import Path
from typing import Any, TextIO

from sqlalchemy import insert, select, update
from sqlalchemy.engine import Connection, Engine

from lta_tui.domain.dates import aware
from lta_tui.domain.feedback import (
    FEEDBACK,
    Validity,
    check_feedback,
    is_override,
    period_label,
)
from lta_tui.domain.rules import Finding, Refused, Severity, check_permission, errors_of
from lta_tui.exports.document import Document, Section
from lta_tui.exports.files import write_atomically
from lta_tui.exports.markdown import render
from lta_tui.exports.tabular import write_csv_rows
from lta_tui.services.conflicts import Conflict
from lta_tui.services.order_types import Actor
from lta_tui.services.order_write import audit, write_transaction
from lta_tui.services.spend import SpendQuery, SpendQueryError, spend_report
from lta_tui.store.models import Agency, Lta, SpendFeedback

#: Formats `write_feedback` writes.
FEEDBACK_FORMATS = ("md", "csv", "json")
#: The fields of UNGM's feedback tab, in its order (CSV header; JSON keys in snake case).
UNGM_FIELDS = ("LTA reference", "Agency", "Contractual period", "Spend (USD)", "General feedback")
#: The CSV columns: the feedback tab's (the period in two), then what tells how it was reported.
CSV_COLUMNS = (
    "LTA reference",
    "Agency",
    "Contractual period from",
    "Contractual period to",
    "Spend (USD)",
    "General feedback",
    "Status",
    "Reported at",
    "Reported by",
    "Computed spend now (USD)",
    "Override reason",
)
#: The status of an entry in the exports.
REPORTED, NOT_REPORTED = "reported", "not yet reported"
_CENT = Decimal("0.01")

_TABLE = SpendFeedback.__table__


class FeedbackQueryError(ValueError):
    """A list or export that cannot run (unknown agency, another agency's feedback, bad
    period); the message is meant for the user as is."""


class FeedbackConflict(Conflict):
    """The entry edited was saved by someone else since it was loaded: nothing was saved."""


@dataclass(frozen=True)
class LtaInfo:
    id: int
    reference: str
    valid_from: date
    valid_to: date

    @property
    def validity(self) -> Validity:
        return Validity(self.valid_from, self.valid_to)


@dataclass(frozen=True)
class FeedbackInput:
    """What the form (or a caller) saves. `feedback_id` is the entry edited (None: a new one)
    and `loaded_reported_at` its `reported_at` as loaded, the version the edit starts from."""

    agency: str
    period_from: date
    period_to: date
    spend_usd: Decimal
    general_feedback: str = ""
    override_reason: str | None = None
    feedback_id: int | None = None
    loaded_reported_at: datetime | None = None


@dataclass(frozen=True)
class FeedbackRow:
    """One recorded entry, with the spend computed from the orders now."""

    id: int
    agency: str
    period_from: date
    period_to: date
    label: str
    computed_now: Decimal
    computed_then: Decimal
    spend_usd: Decimal
    override_reason: str | None
    general_feedback: str
    reported_at: datetime
    reported_by: str

    @property
    def overridden(self) -> bool:
        return is_override(self.computed_then, self.spend_usd)

    @property
    def orders_changed(self) -> bool:
        """Whether the orders of the period changed since the entry was saved."""
        return self.computed_now != self.computed_then


@dataclass(frozen=True)
class SavedFeedback:
    id: int
    agency: str
    period_from: date
    period_to: date
    spend_usd: Decimal
    computed_spend_usd: Decimal
    reported_at: datetime
    created: bool
    #: Notes of the checks that did not refuse (a period beyond the LTA's validity).
    notes: tuple[Finding, ...] = ()


@dataclass(frozen=True)
class FeedbackEntry:
    """One entry of the export: the feedback tab's fields, then how it was reported. A period
    asked for with no entry recorded is exported with the computed spend, `reported` false."""

    lta_reference: str
    agency: str
    period_from: date
    period_to: date
    spend_usd: Decimal
    general_feedback: str
    reported: bool
    computed_now: Decimal
    override_reason: str | None = None
    reported_at: datetime | None = None
    reported_by: str | None = None
    #: Whether the orders of the period changed since the entry was saved.
    orders_changed: bool = False

    @property
    def contractual_period(self) -> str:
        return f"{self.period_from.isoformat()} – {self.period_to.isoformat()}"

    @property
    def spend_text(self) -> str:
        """The spend as UNGM's form takes it: a plain number with two decimals."""
        return f"{self.spend_usd.quantize(_CENT):f}"


@dataclass(frozen=True)
class FeedbackExport:
    lta: LtaInfo
    entries: tuple[FeedbackEntry, ...]
    scope: str | None
    date_from: date | None = None
    date_to: date | None = None


# --- reading -----------------------------------------------------------------------------------


def lta_info(conn: Connection, reference: str | None = None) -> LtaInfo:
    """The LTA named `reference` (the config's), else the first one."""
    columns = select(Lta.id, Lta.reference, Lta.valid_from, Lta.valid_to)
    row = None
    if reference:
        row = conn.execute(columns.where(Lta.reference == reference)).first()
    if row is None:
        row = conn.execute(columns.order_by(Lta.id).limit(1)).first()
    if row is None:
        raise FeedbackQueryError("the database holds no LTA: run lta-tui init")
    return LtaInfo(int(row[0]), row[1], row[2], row[3])


def computed_spend(
    conn: Connection, agency: str, period_from: date, period_to: date, *, contract_start: date
) -> Decimal:
    """The USD spend of `agency`'s orders dated in the period (the spend report's total)."""
    query = SpendQuery(group_by=(), agencies=(agency,), date_from=period_from, date_to=period_to)
    try:
        report = spend_report(conn, query, scope=None, contract_start=contract_start)
    except SpendQueryError as exc:
        raise FeedbackQueryError(str(exc)) from None
    return report.total.spend_usd


def _spend_by_agency(
    conn: Connection, periods: set[tuple[date, date]], contract_start: date
) -> dict[tuple[date, date], dict[str, Decimal]]:
    """The computed spend of every agency for each period: one spend report per period."""
    spent: dict[tuple[date, date], dict[str, Decimal]] = {}
    for first, last in periods:
        query = SpendQuery(group_by=("agency",), date_from=first, date_to=last)
        report = spend_report(conn, query, scope=None, contract_start=contract_start)
        spent[(first, last)] = {row.keys[0]: row.spend_usd for row in report.rows}
    return spent


def _agency_codes(conn: Connection) -> dict[str, int]:
    return {code.upper(): ident for ident, code in conn.execute(select(Agency.id, Agency.code))}


def _scoped_agencies(
    conn: Connection, scope: str | None, agencies: Sequence[str], role: str
) -> tuple[str, ...]:
    """The agencies asked for within the scope: a scoped user asking for another agency is
    refused by R26; an unknown code is refused. () means every agency."""
    known = _agency_codes(conn)
    wanted = tuple(code.strip().upper() for code in agencies if code.strip())
    for code in wanted:
        if code not in known:
            raise FeedbackQueryError(
                f"unknown agency {code!r}: use one of {', '.join(sorted(known))}"
            )
    if scope is None:
        return wanted
    for code in wanted:
        if code != scope.upper():
            refused = check_permission(role, scope, "read", code)  # R26
            if refused:
                raise FeedbackQueryError(refused[0].message)
    return (scope.upper(),)


def list_feedback(
    conn: Connection,
    *,
    scope: str | None,
    lta: str | None = None,
    agencies: Sequence[str] = (),
    date_from: date | None = None,
    date_to: date | None = None,
    role: str = "focal_point",
) -> list[FeedbackRow]:
    """The recorded entries within `scope` (None: every agency), narrowed to `agencies` and to
    periods lying within `date_from`..`date_to`; newest period first, then by agency. Each
    carries the spend computed from the orders now. Raises FeedbackQueryError."""
    if date_from and date_to and date_from > date_to:
        raise FeedbackQueryError(
            f"--from ({date_from.isoformat()}) is after --to ({date_to.isoformat()})"
        )
    info = lta_info(conn, lta)
    wanted = _scoped_agencies(conn, scope, agencies, role)
    stmt = (
        select(_TABLE, Agency.code.label("agency"))
        .join(Agency, Agency.id == _TABLE.c.agency_id)
        .where(_TABLE.c.lta_id == info.id)
    )
    if wanted:
        stmt = stmt.where(Agency.code.in_(wanted))
    if date_from:
        stmt = stmt.where(_TABLE.c.period_from >= date_from)
    if date_to:
        stmt = stmt.where(_TABLE.c.period_to <= date_to)
    found = [row._mapping for row in conn.execute(stmt)]
    periods = {(f["period_from"], f["period_to"]) for f in found}
    spent = _spend_by_agency(conn, periods, info.valid_from)
    rows = [
        FeedbackRow(
            id=int(f["id"]),
            agency=f["agency"],
            period_from=f["period_from"],
            period_to=f["period_to"],
            label=period_label(f["period_from"], f["period_to"], info.valid_from),
            computed_now=spent[(f["period_from"], f["period_to"])].get(f["agency"], Decimal(0)),
            computed_then=f["computed_spend_usd"],
            spend_usd=f["spend_usd"],
            override_reason=f["override_reason"],
            general_feedback=f["general_feedback"] or "",
            reported_at=f["reported_at"],
            reported_by=f["reported_by"],
        )
        for f in found
    ]
    rows.sort(key=lambda r: (-r.period_to.toordinal(), -r.period_from.toordinal(), r.agency))
    return rows


def feedback_entries(
    conn: Connection,
    *,
    scope: str | None,
    lta: str | None = None,
    agencies: Sequence[str] = (),
    date_from: date | None = None,
    date_to: date | None = None,
    role: str = "focal_point",
) -> FeedbackExport:
    """What `lta-tui export feedback` writes: every recorded entry of `list_feedback`; and when
    both `date_from` and `date_to` are given, for each agency asked for (the scope's, else
    those with spend in the period) that has no entry within the period, one entry with the
    spend computed for `date_from`..`date_to`, marked not yet reported."""
    info = lta_info(conn, lta)
    rows = list_feedback(
        conn,
        scope=scope,
        lta=info.reference,
        agencies=agencies,
        date_from=date_from,
        date_to=date_to,
        role=role,
    )
    entries = [
        FeedbackEntry(
            lta_reference=info.reference,
            agency=r.agency,
            period_from=r.period_from,
            period_to=r.period_to,
            spend_usd=r.spend_usd,
            general_feedback=r.general_feedback,
            reported=True,
            computed_now=r.computed_now,
            override_reason=r.override_reason,
            reported_at=r.reported_at,
            reported_by=r.reported_by,
            orders_changed=r.orders_changed,
        )
        for r in rows
    ]
    if date_from and date_to:
        wanted = _scoped_agencies(conn, scope, agencies, role)
        spent = _spend_by_agency(conn, {(date_from, date_to)}, info.valid_from)
        by_agency = spent[(date_from, date_to)]
        candidates = wanted or tuple(code for code, usd in by_agency.items() if usd)
        reported = {e.agency for e in entries}
        for code in sorted(set(candidates) - reported):
            usd = by_agency.get(code, Decimal(0))
            entries.append(
                FeedbackEntry(
                    info.reference, code, date_from, date_to, usd.quantize(_CENT), "", False, usd
                )
            )
    return FeedbackExport(info, tuple(entries), scope, date_from, date_to)


# --- saving ------------------------------------------------------------------------------------


def _bad(text: str, field: str | None) -> Finding:
    return Finding(FEEDBACK, Severity.error, text, field)


def _snapshot(values: dict[str, Any], agency: str) -> dict[str, Any]:
    """What the audit event records of an entry."""
    keys = (
        "period_from",
        "period_to",
        "spend_usd",
        "computed_spend_usd",
        "override_reason",
        "general_feedback",
        "reported_at",
        "reported_by",
    )
    return {"agency": agency, **{k: values[k] for k in keys}}


def save_feedback(
    engine: Engine, actor: Actor, data: FeedbackInput, *, lta: str | None, now: datetime
) -> SavedFeedback:
    """Record `data` (a new entry, or entry `data.feedback_id` changed) for the agency and
    period, in one transaction with its audit event (R25). Refused (`Refused`) when the user
    may not change the agency's records (R26: only its focal points), when a check of
    `domain.feedback` fails (an override without a reason, a period the wrong way round or
    outside the LTA, a negative spend) or when the agency already has an entry for the period;
    `FeedbackConflict` when the entry edited was saved again since it was loaded."""
    now = aware(now)
    code = data.agency.strip().upper()
    with write_transaction(engine) as conn:
        info = lta_info(conn, lta)
        agency_id = _agency_codes(conn).get(code)
        if agency_id is None:
            raise Refused([_bad(f"Agency: unknown agency {data.agency!r}", "agency")])
        refused = check_permission(actor.role, actor.agency, "change", code)  # R26
        existing = _load(conn, data) if data.feedback_id is not None else None
        if existing is not None and existing["agency"] != code:
            refused += check_permission(actor.role, actor.agency, "change", existing["agency"])
        if refused:
            raise Refused([replace(f, field="agency") for f in refused])
        reported = data.spend_usd
        computed = (
            computed_spend(
                conn, code, data.period_from, data.period_to, contract_start=info.valid_from
            )
            if data.period_from <= data.period_to
            else None  # refused below for its period; no spend to compare
        )
        found = check_feedback(
            period_from=data.period_from,
            period_to=data.period_to,
            lta=info.validity,
            computed=reported if computed is None else computed,
            reported=reported,
            reason=data.override_reason,
        )
        if errors_of(found):
            raise Refused(found)
        assert computed is not None  # a period the wrong way round is an error above
        _refuse_second_entry(conn, info, agency_id, code, data)
        reason = (data.override_reason or "").strip() or None
        values = {
            "agency_id": agency_id,
            "lta_id": info.id,
            "period_from": data.period_from,
            "period_to": data.period_to,
            "spend_usd": reported.quantize(_CENT),
            "computed_spend_usd": computed,
            "override_reason": reason if is_override(computed, reported) else None,
            "general_feedback": data.general_feedback.strip(),
            "reported_at": now,
            "reported_by": actor.name,
        }
        if existing is None:
            result = conn.execute(insert(_TABLE).values(**values))
            feedback_id = int(result.inserted_primary_key[0])
            audit(conn, actor, now, feedback_id, "create", None, _snapshot(values, code),
                  entity="spend_feedback")  # fmt: skip
        else:
            feedback_id = existing["id"]
            conn.execute(update(_TABLE).where(_TABLE.c.id == feedback_id).values(**values))
            audit(conn, actor, now, feedback_id, "update", _snapshot(existing, existing["agency"]),
                  _snapshot(values, code), entity="spend_feedback")  # fmt: skip
        notes = tuple(f for f in found if not f.is_error)
        return SavedFeedback(
            feedback_id,
            code,
            data.period_from,
            data.period_to,
            values["spend_usd"],
            computed,
            now,
            existing is None,
            notes,
        )


def _load(conn: Connection, data: FeedbackInput) -> dict[str, Any]:
    """The entry edited, as stored; refused when gone, a conflict when saved since loaded."""
    row = conn.execute(
        select(_TABLE, Agency.code.label("agency"))
        .join(Agency, Agency.id == _TABLE.c.agency_id)
        .where(_TABLE.c.id == data.feedback_id)
    ).first()
    if row is None:
        raise Refused([_bad("This feedback entry no longer exists: reload the list", None)])
    stored = dict(row._mapping)
    loaded = data.loaded_reported_at
    if loaded is None or aware(loaded) != stored["reported_at"]:
        label = f"{stored['agency']}'s feedback for {stored['period_from']}–{stored['period_to']}"
        raise FeedbackConflict(label, stored["reported_by"], stored["reported_at"])
    return stored


def _refuse_second_entry(
    conn: Connection, info: LtaInfo, agency_id: int, code: str, data: FeedbackInput
) -> None:
    """An agency has one entry per period: a new one (or an edit moved onto a period) that is
    already recorded is refused, naming who recorded it."""
    other = conn.execute(
        select(SpendFeedback.id, SpendFeedback.reported_by, SpendFeedback.reported_at).where(
            SpendFeedback.agency_id == agency_id,
            SpendFeedback.lta_id == info.id,
            SpendFeedback.period_from == data.period_from,
            SpendFeedback.period_to == data.period_to,
        )
    ).first()
    if other is None or other[0] == data.feedback_id:
        return
    raise Refused(
        [
            _bad(
                f"Period: {code}'s feedback for {data.period_from.isoformat()} –"
                f" {data.period_to.isoformat()} was recorded by {other[1]} on"
                f" {other[2]:%Y-%m-%d}: edit that entry instead",
                "period_from",
            )
        ]
    )


# --- export ------------------------------------------------------------------------------------


def _subtitle(export: FeedbackExport, now: datetime) -> str:
    lta = export.lta
    return (
        f"LTA {lta.reference}, valid {lta.valid_from.isoformat()} – {lta.valid_to.isoformat()}."
        f" Generated {aware(now).astimezone(timezone.utc):%Y-%m-%d %H:%M} UTC; spend in USD from"
        " the orders issued to closed, unless overridden with a reason."
    )


def feedback_document(export: FeedbackExport, now: datetime) -> Document:
    """The entries as a document: one section per agency × period holding the feedback tab's
    fields in its order, ready to type or paste; how each was reported comes after them."""
    sections = []
    for e in export.entries:
        fields: list[tuple[str, Any]] = [
            ("LTA reference", e.lta_reference),
            ("Agency", e.agency),
            ("Contractual period", e.contractual_period),
            ("Spend (USD)", e.spend_text),
            ("General feedback", e.general_feedback or "—"),
        ]
        if e.reported:
            how = f"reported by {e.reported_by} on {e.reported_at:%Y-%m-%d}"
            if e.override_reason:
                how += f"; spend overridden: {e.override_reason}"
            if e.orders_changed:
                how += f"; the orders changed since: {e.computed_now.quantize(_CENT):f} USD now"
        else:
            how = "NOT YET REPORTED: the spend is computed from the orders; nothing recorded"
        paragraphs = (f"_{how}_",)
        title = f"{e.agency} · {e.contractual_period}"
        sections.append(Section(title, fields=tuple(fields), paragraphs=paragraphs))
    if not sections:
        sections.append(
            Section("No feedback", paragraphs=("No feedback recorded for what was asked.",))
        )
    return Document("UNGM LTA feedback", tuple(sections), _subtitle(export, now))


def feedback_json(export: FeedbackExport, now: datetime) -> dict[str, Any]:
    """The documented JSON shape (README "UNGM feedback")."""

    def entry(e: FeedbackEntry) -> dict[str, Any]:
        return {
            "lta_reference": e.lta_reference,
            "agency": e.agency,
            "period_from": e.period_from.isoformat(),
            "period_to": e.period_to.isoformat(),
            "contractual_period": e.contractual_period,
            "spend_usd": e.spend_text,
            "general_feedback": e.general_feedback,
            "status": REPORTED if e.reported else NOT_REPORTED,
            "reported_at": e.reported_at.isoformat() if e.reported_at else None,
            "reported_by": e.reported_by,
            "computed_spend_now_usd": f"{e.computed_now.quantize(_CENT):f}",
            "override_reason": e.override_reason,
        }

    lta = export.lta
    return {
        "lta": lta.reference,
        "lta_validity": {"from": lta.valid_from.isoformat(), "to": lta.valid_to.isoformat()},
        "generated_at": aware(now).astimezone(timezone.utc).isoformat(),
        "filters": {
            "scope": export.scope,
            "from": export.date_from.isoformat() if export.date_from else None,
            "to": export.date_to.isoformat() if export.date_to else None,
        },
        "entries": [entry(e) for e in export.entries],
    }


def _csv_rows(export: FeedbackExport) -> list[tuple]:
    return [
        (
            e.lta_reference,
            e.agency,
            e.period_from,
            e.period_to,
            e.spend_text,
            e.general_feedback,
            REPORTED if e.reported else NOT_REPORTED,
            e.reported_at,
            e.reported_by,
            f"{e.computed_now.quantize(_CENT):f}",
            e.override_reason,
        )
        for e in export.entries
    ]


def _write(stream: TextIO, export: FeedbackExport, fmt: str, now: datetime) -> None:
    if fmt == "md":
        stream.write(render(feedback_document(export, now)))
    elif fmt == "json":
        json.dump(feedback_json(export, now), stream, indent=2, ensure_ascii=False)
        stream.write("\n")
    elif fmt == "csv":
        write_csv_rows(stream, CSV_COLUMNS, _csv_rows(export))
    else:
        raise ValueError(f"unknown format {fmt!r}: use {', '.join(FEEDBACK_FORMATS)}")


def write_feedback(
    export: FeedbackExport, fmt: str, out: Path | TextIO, *, now: datetime
) -> Path | None:
    """Write the export as md, csv or json: to a file atomically (returns its path), or to an
    open stream such as stdout (returns None)."""
    if not isinstance(out, Path):
        _write(out, export, fmt, now)
        return None

    def write(temporary: Path) -> None:
        with open(temporary, "w", encoding="utf-8", newline="") as stream:
            _write(stream, export, fmt, now)

    return write_atomically(out, write)


def default_filename(export: FeedbackExport, fmt: str) -> str:
    """`feedback-GP500454-UNDP.md` (the scope's agency, or `all`)."""
    return f"feedback-{export.lta.reference}-{export.scope or 'all'}.{fmt}"
