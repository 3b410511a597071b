"""The documents of a mini-competition: the request for quotation sent to the invited holders,
and the evidence pack an auditor follows from the invitations to the order (issue 4, point 7).

R5: neither document holds a price of a sealed offer. The request for quotation never reads an
offer, and names no holder (each invited holder gets the same text: who else competes is not
theirs to know); the evidence pack reads offers through `comparison`, which reads no price
table while sealed, and it masks priced values in audit snapshots as a second guard.
"""

from __future__ import annotations

import json
from collections.abc import Iterable
from datetime import date, datetime, timezone
from decimal import Decimal
from pathlib import Path
from typing import Any

from sqlalchemy import func, or_, select
from sqlalchemy.engine import Connection

from lta_tui.config import RulesConfig
from lta_tui.domain.dates import aware
from lta_tui.domain.rules import working_days_between
from lta_tui.domain.scoring import scoring_weights
from lta_tui.domain.states import Criterion, EvaluationMethod, criterion_order, label
from lta_tui.exports.document import Amount, Document, Section, Table, cell_text
from lta_tui.services.browse_competitions import (
    CompetitionDetail,
    CompetitionNotFound,
    competition_detail,
)
from lta_tui.services.competition_compare import Comparison, comparison
from lta_tui.services.competition_evaluation import PAST_PERFORMANCE_MONTHS
from lta_tui.store.models import (
    Agency,
    AuditEvent,
    Consolidator,
    Lta,
    MiniCompetition,
    ServiceType,
)

KINDS = ("rfq", "evidence")
FORMATS = ("md", "xlsx")
_METHOD_LABELS = {
    EvaluationMethod.lowest_price.value: "lowest price, technically compliant",
    EvaluationMethod.weighted.value: "weighted criteria",
}
_CRITERION_LABELS = {
    Criterion.price.value: "Price",
    Criterion.delivery_time.value: "Delivery time",
    Criterion.warranty.value: "Warranty",
    Criterion.sustainability.value: "Sustainability",
    Criterion.past_performance.value: "Past performance",
}
#: Keys of an audit snapshot that may hold a price, or a hash of one (a one-line offer's hash
#: could be searched for its price); masked while the offers are sealed (R5).
_PRICED_KEYS = ("price", "total", "amount", "usd", "score", "rank", "goods", "services", "hash")
#: Keys whose values name criteria, not prices: the weights the request for quotation publishes.
_CRITERIA_KEYS = ("weights", "criteria")
SEALED_NOTE = "sealed until the deadline has passed and the opening is recorded (R5)"


class UnknownExport(ValueError):
    """An export kind or format this module does not write."""


# --- shared pieces ---------------------------------------------------------------------------


def plain(number: Decimal | None) -> Decimal | None:
    """A quantity or a rate without the trailing zeros of its storage (`40`, `0.8579`)."""
    if number is None:
        return None
    normal = number.normalize()
    return normal.quantize(Decimal(1)) if normal == normal.to_integral_value() else normal


def _country(code: str) -> str:
    import pycountry  # only exports pay for loading its database

    country = pycountry.countries.get(alpha_2=code)
    name = getattr(country, "common_name", None) or getattr(country, "name", None)
    return f"{code} · {name}" if name else code


def _head(conn: Connection, competition_id: int):
    """What the detail does not carry: agency name, LTA, creation time, consolidator names."""
    return conn.execute(
        select(
            Agency.name.label("agency_name"),
            Lta.reference.label("lta"),
            MiniCompetition.created_at,
        )
        .join(Agency, Agency.id == MiniCompetition.agency_id)
        .join(Lta, Lta.id == MiniCompetition.lta_id)
        .where(MiniCompetition.id == competition_id)
    ).one()


def _consolidator_names(conn: Connection) -> dict[str, str]:
    return dict(conn.execute(select(Consolidator.code, Consolidator.name)).all())


def _service_titles(conn: Connection) -> dict[str, str]:
    return dict(conn.execute(select(ServiceType.code, ServiceType.title)).all())


def _services_needed(detail: CompetitionDetail, titles: dict[str, str]) -> list[str]:
    found = []
    for code in detail.services_needed:
        text = titles.get(code, label(code))
        if code == "warranty":
            text += f" ({detail.warranty_months} months)"
        found.append(text)
    return found


def _weights(detail: CompetitionDetail) -> list[tuple[str, int]]:
    return sorted(detail.criteria, key=lambda c: criterion_order(c[0]))


def scoring_formula(
    method: str, weights: Iterable[tuple[str, int]], fx_rate_date: date | None
) -> list[str]:
    """The scoring rule in sentences, with the competition's own weights: what an offer's
    score and rank are computed from, reproducible by hand (`lta_tui.domain.scoring`)."""
    rate_day = fx_rate_date.isoformat() if fx_rate_date else "the FX rate date"
    landed = (
        "Landed total = the sum over the requirement lines of quantity × unit price (each line"
        " rounded to the currency's minor unit) + the prices of freight, export licensing,"
        " installation and support and warranty, in the offer's currency. In USD, as an order"
        " converts its lines: each line amount and each service price converted at the UN"
        f" operational rate of exchange in force on {rate_day} (the latest effective on or"
        " before that day) and rounded to the cent, then summed."
    )
    valid = (
        "Only valid offers are scored and ranked: received by the deadline, technically"
        " compliant, from an active holder of the lot on the issue date that is not suspended."
    )
    applied = scoring_weights(method, dict(weights))
    if (
        list(applied) == [Criterion.price.value]
        and applied[Criterion.price.value] == 100
        and (method == EvaluationMethod.lowest_price.value or not dict(weights))
    ):
        return [
            landed,
            valid,
            "Method: lowest price, technically compliant. Score = 100 × lowest landed total in"
            " USD among the valid offers ÷ this offer's landed total in USD, rounded half up to"
            " 2 decimals; the lowest landed total in USD ranks first (ties: the earlier receipt,"
            " then the consolidator's code).",
        ]
    parts = {
        Criterion.price.value: "{w} × lowest landed total in USD among the valid offers ÷ this"
        " offer's landed total in USD",
        Criterion.delivery_time.value: "{w} × fewest delivery days among the valid offers ÷ this"
        " offer's delivery days",
        Criterion.warranty.value: "{w} × this offer's warranty months ÷ longest warranty months"
        " among the valid offers (0 when all offer none)",
        Criterion.sustainability.value: "{w} × (take-back of old equipment + energy label,"
        " each 1 if offered, else 0) ÷ 2",
        Criterion.past_performance.value: "{w} × p ÷ 4, where p is the holder's average overall"
        f" performance review (1–4) over the {PAST_PERFORMANCE_MONTHS} months before the issue"
        " date, 2.5 without any review",
    }
    lines = [
        f"{_CRITERION_LABELS.get(c, label(c))} ({w} points) = " + parts[c].format(w=w)
        for c, w in applied.items()
    ]
    return [
        landed,
        valid,
        "Method: weighted criteria (points sum to 100). " + "; ".join(lines) + ".",
        "Each criterion's points are rounded half up to 2 decimals; the score is the sum of the"
        " rounded points. The highest score ranks first; ties go to the lower landed total in"
        " USD, then the earlier receipt, then the consolidator's code.",
    ]


def _criteria_table(detail: CompetitionDetail) -> Table:
    return Table(
        "Criteria and weights",
        ("Criterion", "Weight (points)"),
        tuple((_CRITERION_LABELS.get(c, label(c)), w) for c, w in _weights(detail)),
        empty="no weights: lowest price, technically compliant (price 100)",
    )


def _requirement_table(detail: CompetitionDetail) -> Table:
    return Table(
        "Requirement",
        ("#", "Description", "Specification", "Quantity", "Unit", "UNSPSC"),
        tuple(
            (x.line_no, x.description, x.specification, plain(x.quantity), x.unit, x.unspsc)
            for x in detail.lines
        ),
        empty="no requirement lines",
    )


def _competition_fields(detail: CompetitionDetail, head) -> list[tuple[str, Any]]:
    return [
        ("Reference", detail.reference),
        ("Title", detail.title),
        ("Agency", f"{detail.agency} · {head.agency_name}"),
        ("Framework agreement", head.lta),
        ("Lot", f"{detail.lot} · {detail.lot_title}"),
        ("Destination", _country(detail.destination_country)),
        ("Deadline for offers", detail.deadline),
        (
            "Evaluation method",
            _METHOD_LABELS.get(detail.evaluation_method, detail.evaluation_method),
        ),
        ("FX rate date", detail.fx_rate_date),
    ]


# --- request for quotation -------------------------------------------------------------------


def request_for_quotation(conn: Connection, competition_id: int) -> Document:
    """What the invited holders receive: the requirement, services, deadline, how offers are
    compared and what an offer must state. Reads no offer (R5); says how many holders are
    invited but not which (each would learn its competitors: a bid-rigging risk)."""
    detail = competition_detail(conn, competition_id, datetime.min.replace(tzinfo=timezone.utc))
    head = _head(conn, competition_id)
    titles = _service_titles(conn)
    services = _services_needed(detail, titles)
    warranty = titles.get("warranty", "warranty")
    invited = sum(1 for i in detail.invitations if i.invited)
    asked = [
        "a unit price for every requirement line, in one currency (ISO 4217 code) for the whole"
        " offer",
        *(f"the price of {s}" for s in services if not s.startswith(warranty)),
        *(f"the price of {s}, if charged separately" for s in services if s.startswith(warranty)),
        "the delivery time in days to the destination",
        "the warranty in months",
        "the date until which the offer is valid",
        "whether old equipment is taken back for disposal, and whether the products carry an"
        " energy-efficiency label",
        "any deviation from the specification (an offer that is not technically compliant is"
        " not scored)",
    ]
    sections = (
        Section("Competition", fields=tuple(_competition_fields(detail, head))),
        Section("Requirement", tables=(_requirement_table(detail),)),
        Section(
            "Services needed",
            paragraphs=("; ".join(services) + "." if services else "No services: goods only.",),
        ),
        Section(
            "How offers are compared",
            paragraphs=tuple(
                scoring_formula(detail.evaluation_method, detail.criteria, detail.fx_rate_date)
            ),
            tables=(_criteria_table(detail),),
        ),
        Section(
            "What your offer must state",
            paragraphs=(
                "\n".join(f"- {line}" for line in asked),
                "Offers received after the deadline are late and excluded (R6). Offers stay"
                " sealed until the deadline has passed and the opening is recorded (R5).",
            ),
        ),
        Section(
            "Invitations",
            paragraphs=(
                f"{invited} holder{'s' if invited != 1 else ''} of lot {detail.lot}"
                f" {'are' if invited != 1 else 'is'} invited to make an offer."
                if invited
                else "No holder is invited yet.",
            ),
        ),
    )
    return Document(
        f"Request for quotation · {detail.reference} · {detail.title}",
        sections,
        subtitle=f"{detail.agency} mini-competition under {head.lta}, lot {detail.lot}",
    )


# --- evidence pack ---------------------------------------------------------------------------


def evidence_pack(
    conn: Connection, competition_id: int, now: datetime, rules: RulesConfig
) -> Document:
    """Everything an auditor needs to follow a competition: invitations and exclusions with
    reasons, issue and deadline, opening record, offers and comparison (once opened), scores,
    warnings and justifications, award, resulting order, audit events and offer hashes."""
    now = aware(now)
    detail = competition_detail(conn, competition_id, now)
    compared = comparison(conn, competition_id, now, rules)
    head = _head(conn, competition_id)
    names = _consolidator_names(conn)
    titles = _service_titles(conn)
    sealed = compared.sealed
    sections = [
        _overview(detail, head, titles),
        Section(
            "Criteria and scoring",
            paragraphs=tuple(
                scoring_formula(detail.evaluation_method, detail.criteria, detail.fx_rate_date)
            ),
            tables=(_criteria_table(detail),),
        ),
        Section("Requirement", tables=(_requirement_table(detail),)),
        _invitations(detail, names),
        _opening(compared, detail),
    ]
    if not sealed:
        sections += [_offers(compared), _comparison(compared, titles)]
    sections += [
        _warnings(compared, rules, _acknowledged(conn, competition_id)),
        _award(detail, names),
        _orders(detail),
        _hashes(compared),
        _audit(conn, competition_id, [o.id for o in detail.orders], sealed),
    ]
    state = "offers sealed (R5)" if sealed else "offers opened"
    return Document(
        f"Evidence pack · {detail.reference} · {detail.title}",
        tuple(sections),
        subtitle=f"Produced {now.astimezone(timezone.utc):%Y-%m-%d %H:%M} UTC by lta-tui;"
        f" status {label(detail.effective_status or detail.status)}; {state}.",
    )


def _overview(detail: CompetitionDetail, head, titles: dict[str, str]) -> Section:
    fields = _competition_fields(detail, head)
    services = _services_needed(detail, titles)
    fields += [
        ("Services needed", "; ".join(services) if services else "none (goods only)"),
        ("Status", label(detail.effective_status or detail.status)),
        ("Created", f"{head.created_at:%Y-%m-%d %H:%M} UTC by {detail.created_by}"),
        ("Issued", detail.issued_at),
    ]
    if detail.issued_at and detail.deadline:
        days = working_days_between(detail.issued_at.date(), detail.deadline.date())
        fields.append(("Response time", f"{days} working days"))
    if detail.cancellation_reason:
        fields.append(("Cancellation reason", detail.cancellation_reason))
    return Section("Competition", fields=tuple(fields))


def _invitations(detail: CompetitionDetail, names: dict[str, str]) -> Section:
    rows = tuple(
        (
            i.consolidator,
            names.get(i.consolidator, ""),
            "invited" if i.invited else "left out",
            i.exclusion_reason or "",
        )
        for i in detail.invitations
    )
    left_out = sum(1 for i in detail.invitations if not i.invited)
    return Section(
        "Invitations and exclusions",
        paragraphs=(
            f"{len(rows) - left_out} invited, {left_out} left out (R2: each with its reason).",
        ),
        tables=(
            Table(
                "Invitations and exclusions",
                ("Consolidator", "Name", "Invitation", "Reason left out"),
                rows,
                empty="no invitation recorded",
            ),
        ),
    )


def _hash_check(ok: bool | None) -> str:
    if ok is None:
        return "not checked"
    return "matches" if ok else "DIFFERS: content changed after receipt"


def _silent(compared: Comparison, detail: CompetitionDetail) -> str:
    """The invited holders that sent no offer, as a sentence."""
    answered = {r.consolidator for r in compared.received}
    silent = [
        i.consolidator for i in detail.invitations if i.invited and i.consolidator not in answered
    ]
    return (
        f"No offer from: {', '.join(silent)}." if silent else "Every invited holder made an offer."
    )


def _opening(compared: Comparison, detail: CompetitionDetail) -> Section:
    received = Table(
        "Offers received",
        ("Consolidator", "Name", "Received (UTC)", "On time"),
        tuple(
            (r.consolidator, r.name, r.received_at, "late: excluded (R6)" if r.late else "yes")
            for r in compared.received
        ),
        empty="no offer received",
    )
    if compared.sealed:
        return Section(
            "Opening",
            paragraphs=(
                f"Not opened: offers are {SEALED_NOTE}. {len(compared.received)} offer(s)"
                " received; no price, total or score is shown before the opening.",
                _silent(compared, detail),
            ),
            tables=(received,),
        )
    by_receipt = sorted(compared.offers, key=lambda o: (o.received_at, o.consolidator))
    abstract = Table(
        "Bid abstract",
        ("Consolidator", "Currency", "Landed total", "Late", "Content hash check"),
        tuple(
            (
                o.consolidator,
                o.currency,
                Amount(o.total, o.currency),
                o.late,
                _hash_check(o.hash_ok),
            )
            for o in by_receipt
        ),
        empty="no offer received",
    )
    fields = (("Opened", compared.opened_at), ("Opened by", compared.opened_by or ""))
    return Section(
        "Opening", fields=fields, paragraphs=(_silent(compared, detail),), tables=(abstract,)
    )


def _offers(compared: Comparison) -> Section:
    by_receipt = sorted(compared.offers, key=lambda o: (o.received_at, o.consolidator))
    rows = tuple(
        (
            o.consolidator,
            o.name,
            o.received_at,
            o.currency,
            o.delivery_days,
            o.warranty_months,
            o.valid_until,
            o.takes_back_equipment,
            o.energy_label,
            o.compliant,
            "valid" if o.valid else f"excluded: {o.excluded or 'not valid'}",
        )
        for o in by_receipt
    )
    return Section(
        "Offers",
        tables=(
            Table(
                "Offers",
                (
                    "Consolidator",
                    "Name",
                    "Received (UTC)",
                    "Currency",
                    "Delivery (days)",
                    "Warranty (months)",
                    "Valid until",
                    "Takes back equipment",
                    "Energy label",
                    "Compliant",
                    "Standing",
                ),  # fmt: skip
                rows,
                empty="no offer received",
            ),
        ),
    )


def _comparison(compared: Comparison, titles: dict[str, str]) -> Section:
    services = compared.services
    landed_rows = tuple(
        (
            o.consolidator,
            o.currency,
            Amount(o.goods, o.currency),
            *(_money(o.service_price(code), o.currency) for code in services),
            Amount(o.total, o.currency),
            plain(o.units_per_usd),
            o.rate_date,
            _money(o.total_usd, "USD"),
            o.abnormally_low,
        )
        for o in compared.offers
    )
    landed = Table(
        "Landed totals",
        (
            "Consolidator",
            "Currency",
            "Goods",
            *(titles.get(code, label(code)) for code in services),
            "Landed total",
            "Rate (units per USD)",
            "Rate effective",
            "Total USD",
            "Abnormally low (R9)",
        ),  # fmt: skip
        landed_rows,
        empty="no offer",
    )
    descriptions = {line.line_no: (line.description, line.quantity) for line in compared.lines}
    line_rows = []
    for line in compared.lines:
        for o in compared.offers:
            price = next((p for p in o.lines if p.line_no == line.line_no), None)
            if price is None:
                continue
            line_rows.append(
                (
                    line.line_no,
                    descriptions[line.line_no][0],
                    plain(line.quantity),
                    o.consolidator,
                    o.currency,
                    Amount(price.unit_price, o.currency),
                    Amount(price.amount, o.currency),
                    "lowest" if price.lowest else "",
                )
            )
    lines = Table(
        "Line prices",
        (
            "#",
            "Description",
            "Quantity",
            "Consolidator",
            "Currency",
            "Unit price",
            "Amount",
            "Lowest (in USD)",
        ),  # fmt: skip
        tuple(line_rows),
        empty="no line prices",
        notes=(
            "The lowest unit price of each line is compared in USD at each offer's rate, among"
            " the valid offers.",
        ),
    )
    applied = list(scoring_weights(compared.evaluation_method, dict(compared.weights)))
    score_rows = tuple(
        (
            o.consolidator,
            *(dict(o.criteria).get(c) for c in applied),
            o.score,
            o.rank,
            o.past_performance,
            "" if o.valid else (o.excluded or "not valid"),
        )
        for o in compared.offers
    )
    scores = Table(
        "Scores and ranks",
        ("Consolidator",
         *(f"{_CRITERION_LABELS.get(c, label(c))} (points)" for c in applied),
         "Score", "Rank", "Past performance used (1–4)", "Not scored because"),  # fmt: skip
        score_rows,
        empty="no offer",
        notes=(
            "Figures as stored at the evaluation"
            + (f" ({compared.evaluated_at:%Y-%m-%d %H:%M} UTC by {compared.evaluated_by})."
               if compared.evaluated_at else ".")
            if compared.stored
            else "Figures computed at the time of this pack: the competition is not evaluated yet.",
            "Past performance: empty means no review in the period (2.5 used).",
        ),
    )  # fmt: skip
    return Section("Comparison", tables=(landed, lines, scores))


def _money(value: Decimal | None, currency: str) -> Amount | None:
    return None if value is None else Amount(value, currency)


def _acknowledged(conn: Connection, competition_id: int) -> list[str]:
    """The warnings acknowledged at the issue (R4) and the award (R9, R10, the order's), as
    recorded in the competition's audit events, with who acknowledged them and when."""
    found = []
    for at, who, action, after in conn.execute(
        select(AuditEvent.at, AuditEvent.who, AuditEvent.action, AuditEvent.after)
        .where(AuditEvent.entity == "competition", AuditEvent.entity_id == competition_id)
        .order_by(AuditEvent.at, AuditEvent.id)
    ):
        try:
            messages = json.loads(after or "{}").get("acknowledged") or []
        except (ValueError, AttributeError):
            continue
        for message in messages:
            when = f"at the {label(action)} by {who}, {cell_text(at)}"
            found.append(f"- {message} (acknowledged {when})")
    return found


def _warnings(compared: Comparison, rules: RulesConfig, acknowledged: list[str]) -> Section:
    if compared.sealed:
        return Section(
            "Warnings and justifications",
            paragraphs=("Not assessed while the offers are sealed (R5).", *acknowledged),
        )
    paragraphs = [f"- {w.message}" for w in compared.warnings] + acknowledged
    valid = compared.valid_offers or 0
    if compared.few_offers_justification:
        paragraphs.append(
            f"R8: {valid} valid offer(s) against a minimum of {rules.min_valid_offers};"
            f" justification recorded: {compared.few_offers_justification}"
        )
    if not paragraphs:
        paragraphs.append(
            f"None: {valid} valid offers (minimum {rules.min_valid_offers}), none more than"
            f" {rules.abnormally_low_pct} % under the median (R8, R9)."
        )
    return Section("Warnings and justifications", paragraphs=("\n".join(paragraphs),))


def _award(detail: CompetitionDetail, names: dict[str, str]) -> Section:
    a = detail.award
    if a is None:
        ending = {
            "unsuccessful": "Unsuccessful: no valid offer.",
            "cancelled": f"Cancelled: {detail.cancellation_reason or ''}",
        }.get(detail.status, "Not awarded.")
        return Section("Award", paragraphs=(ending,))
    fields = [
        ("Awarded to", f"{a.consolidator} · {names.get(a.consolidator, '')}"),
        ("Rank", a.rank),
        ("Decided", a.decided_at),
        ("Decided by", a.decided_by),
        ("Justification", a.justification or ("not needed: rank 1" if a.rank == 1 else "")),
    ]
    return Section("Award", fields=tuple(fields))


def _orders(detail: CompetitionDetail) -> Section:
    return Section(
        "Resulting order",
        tables=(
            Table(
                "Resulting order",
                ("PO number", "Order date", "Status", "Currency", "Total", "Total USD"),
                tuple(
                    (
                        o.po_number,
                        o.order_date,
                        label(o.status),
                        o.currency,
                        Amount(o.total, o.currency),
                        Amount(o.total_usd, "USD"),
                    )
                    for o in detail.orders
                ),
                empty="no order yet",
            ),
        ),
    )


def _hashes(compared: Comparison) -> Section:
    if compared.sealed:
        return Section(
            "Offer content hashes",
            paragraphs=(
                "Each offer's SHA-256 content hash is stored at receipt and checked at the"
                " opening; the hashes are listed once the offers are opened.",
            ),
        )
    by_receipt = sorted(compared.offers, key=lambda o: (o.received_at, o.consolidator))
    return Section(
        "Offer content hashes",
        paragraphs=(
            "SHA-256 of each offer's content (prices, terms, receipt time) as stored at receipt,"
            " and whether the hash re-computed at the opening matched it.",
        ),
        tables=(
            Table(
                "Offer content hashes",
                ("Consolidator", "Received (UTC)", "SHA-256 at receipt", "Check at opening"),
                tuple(
                    (o.consolidator, o.received_at, o.content_hash, _hash_check(o.hash_ok))
                    for o in by_receipt
                ),
                empty="no offer",
            ),
        ),
    )


def _mask(value: Any) -> Any:
    """A snapshot with every priced value replaced (R5 guard while sealed)."""
    if isinstance(value, dict):
        return {
            k: (
                v
                if str(k).lower() in _CRITERIA_KEYS
                else "(sealed)"
                if any(p in str(k).lower() for p in _PRICED_KEYS)
                else _mask(v)
            )
            for k, v in value.items()
        }
    if isinstance(value, list):
        return [_mask(v) for v in value]
    return value


def _snapshot_text(raw: str | None, sealed: bool) -> str:
    if not raw:
        return ""
    if not sealed:
        return raw
    try:
        return json.dumps(_mask(json.loads(raw)), ensure_ascii=False, separators=(",", ":"))
    except ValueError:
        return "(sealed)"


def _audit(conn: Connection, competition_id: int, order_ids: list[int], sealed: bool) -> Section:
    scope = [(AuditEvent.entity == "competition") & (AuditEvent.entity_id == competition_id)]
    if order_ids:
        scope.append((AuditEvent.entity == "order") & AuditEvent.entity_id.in_(order_ids))
    events = conn.execute(
        select(
            AuditEvent.at,
            AuditEvent.who,
            AuditEvent.entity,
            AuditEvent.entity_id,
            AuditEvent.action,
            AuditEvent.before,
            AuditEvent.after,
        )
        .where(or_(*scope))
        .order_by(AuditEvent.at, AuditEvent.id)
    ).all()
    rows = tuple(
        (
            e.at,
            e.who,
            f"{e.entity} {e.entity_id}",
            label(e.action),
            _snapshot_text(e.before, sealed),
            _snapshot_text(e.after, sealed),
        )
        for e in events
    )
    notes = (
        ("Priced values of audit snapshots are masked while the offers are sealed.",)
        if (sealed)
        else ()
    )
    return Section(
        "Audit trail",
        tables=(
            Table(
                "Audit trail",
                ("When (UTC)", "Who", "Record", "Action", "Before", "After"),
                rows,
                empty="no audit event",
                notes=notes,
            ),
        ),
    )


# --- files -----------------------------------------------------------------------------------


def export(
    conn: Connection,
    competition_id: int,
    kind: str,
    fmt: str,
    path: str | Path,
    now: datetime,
    rules: RulesConfig,
) -> Path:
    """Write the request for quotation (`kind` "rfq") or the evidence pack ("evidence") as
    Markdown ("md") or XLSX ("xlsx") to `path`, atomically; returns the path written."""
    from lta_tui.exports.files import write_atomically

    if kind not in KINDS:
        raise UnknownExport(f"unknown export {kind!r} (use {' or '.join(KINDS)})")
    if fmt not in FORMATS:
        raise UnknownExport(f"unknown format {fmt!r} (use {' or '.join(FORMATS)})")
    if kind == "rfq":
        document = request_for_quotation(conn, competition_id)
    else:
        document = evidence_pack(conn, competition_id, now, rules)
    if fmt == "md":
        from lta_tui.exports.markdown import render

        text = render(document)
        return write_atomically(
            path, lambda tmp: tmp.write_text(text, encoding="utf-8", newline="\n")
        )
    from lta_tui.exports.xlsx import write_xlsx

    return write_atomically(path, lambda tmp: write_xlsx(document, tmp))


def competition_id(conn: Connection, reference: str) -> int:
    """The id of the competition `reference` (case-insensitive), for the command line."""
    found = conn.execute(
        select(MiniCompetition.id).where(
            func.upper(MiniCompetition.reference) == reference.strip().upper()
        )
    ).scalar_one_or_none()
    if found is None:
        raise CompetitionNotFound(f"no competition {reference.strip()!r}")
    return found


def competition_agency(conn: Connection, competition_id: int) -> str:
    """The code of the agency whose competition `competition_id` is (R26 of an export)."""
    found = conn.execute(
        select(Agency.code)
        .join(MiniCompetition, MiniCompetition.agency_id == Agency.id)
        .where(MiniCompetition.id == competition_id)
    ).scalar_one_or_none()
    if found is None:
        raise CompetitionNotFound(f"no competition with id {competition_id}")
    return found


def format_of(path: str | Path, fmt: str | None = None) -> str:
    """`fmt`, or the one the file name ends with (`.md`, `.markdown`, `.xlsx`)."""
    if fmt:
        return fmt
    suffix = Path(path).suffix.lower().lstrip(".")
    found = {"md": "md", "markdown": "md", "xlsx": "xlsx"}.get(suffix)
    if found is None:
        raise UnknownExport(f"{Path(path).name}: name the file .md or .xlsx, or give the format")
    return found


def default_filename(reference: str, kind: str, fmt: str) -> str:
    """`UNDP-MC-2026-004-evidence.md`: a safe file name for an export."""
    safe = "".join(ch if ch.isalnum() or ch in "-_." else "_" for ch in reference)
    return f"{safe}-{'rfq' if kind == 'rfq' else 'evidence'}.{fmt}"


__all__ = [
    "FORMATS",
    "KINDS",
    "CompetitionNotFound",
    "UnknownExport",
    "competition_agency",
    "competition_id",
    "default_filename",
    "evidence_pack",
    "export",
    "format_of",
    "request_for_quotation",
    "scoring_formula",
]
