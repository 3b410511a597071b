"""SQLModel tables for every entity of DESIGN.md §2.

Money columns are `Exact()` (BIGINT of ten-thousandths), exchange rates `Exact(RATE_DIGITS)`
(millionths), quantities `Exact(QUANTITY_DIGITS)` (thousandths). Every column a screen filters or
sorts on carries an index. Enumerated values are stored as their string (`lta_tui.domain.states`)
so migrations stay simple on SQLite.
"""

from __future__ import annotations

from datetime import date, datetime
from decimal import Decimal

from sqlalchemy import Index, MetaData, Text, UniqueConstraint
from sqlmodel import Field, SQLModel

from lta_tui.domain.money import QUANTITY_DIGITS, RATE_DIGITS
from lta_tui.store.types import Exact, UtcDateTime

SQLModel.metadata.naming_convention = {
    "ix": "ix_%(column_0_label)s",
    "uq": "uq_%(table_name)s_%(column_0_name)s",
    "ck": "ck_%(table_name)s_%(constraint_name)s",
    "fk": "fk_%(table_name)s_%(column_0_name)s_%(referred_table_name)s",
    "pk": "pk_%(table_name)s",
}
metadata: MetaData = SQLModel.metadata


def _money(**kw) -> Decimal:
    return Field(sa_type=Exact(), **kw)


def _when(**kw) -> datetime:
    return Field(sa_type=UtcDateTime(), **kw)


# --- reference data --------------------------------------------------------------------------


class Agency(SQLModel, table=True):
    __tablename__ = "agencies"
    id: int | None = Field(default=None, primary_key=True)
    code: str = Field(unique=True, max_length=20)
    name: str = Field(max_length=200)
    founding_party: bool = False


class Lta(SQLModel, table=True):
    __tablename__ = "ltas"
    id: int | None = Field(default=None, primary_key=True)
    reference: str = Field(unique=True, max_length=40)
    title: str = Field(max_length=200)
    valid_from: date
    valid_to: date
    ceiling_usd: Decimal | None = _money(default=None, nullable=True)
    lead_agencies: str = Field(default="", max_length=200)  # space-separated agency codes


class Lot(SQLModel, table=True):
    __tablename__ = "lots"
    __table_args__ = (UniqueConstraint("lta_id", "number"),)
    id: int | None = Field(default=None, primary_key=True)
    lta_id: int = Field(foreign_key="ltas.id", ondelete="RESTRICT")
    number: int = Field(index=True)
    title: str = Field(max_length=200)
    unspsc: str = Field(default="", max_length=400)  # space-separated code prefixes


class ServiceType(SQLModel, table=True):
    __tablename__ = "service_types"
    id: int | None = Field(default=None, primary_key=True)
    code: str = Field(unique=True, max_length=40)
    title: str = Field(max_length=200)
    unspsc: str = Field(default="", max_length=400)


class Consolidator(SQLModel, table=True):
    __tablename__ = "consolidators"
    id: int | None = Field(default=None, primary_key=True)
    code: str = Field(unique=True, max_length=20)
    name: str = Field(index=True, max_length=200)
    country: str = Field(max_length=2)
    eligibility: str = Field(default="eligible", max_length=20, index=True)
    eligibility_since: date | None = None
    eligibility_reason: str | None = Field(default=None, max_length=400)


class LotHolding(SQLModel, table=True):
    __tablename__ = "lot_holdings"
    __table_args__ = (UniqueConstraint("consolidator_id", "lot_id", "active_from"),)
    id: int | None = Field(default=None, primary_key=True)
    consolidator_id: int = Field(foreign_key="consolidators.id", ondelete="RESTRICT", index=True)
    lot_id: int = Field(foreign_key="lots.id", ondelete="RESTRICT", index=True)
    active_from: date
    active_to: date | None = None


class ExchangeRate(SQLModel, table=True):
    __tablename__ = "exchange_rates"
    __table_args__ = (UniqueConstraint("currency", "effective_date"),)
    id: int | None = Field(default=None, primary_key=True)
    currency: str = Field(max_length=3)
    effective_date: date = Field(index=True)
    units_per_usd: Decimal = Field(sa_type=Exact(RATE_DIGITS))
    source: str = Field(default="UN ORE", max_length=100)


# --- sub-LTAs and catalogues -----------------------------------------------------------------


class SubLta(SQLModel, table=True):
    __tablename__ = "sub_ltas"
    id: int | None = Field(default=None, primary_key=True)
    reference: str = Field(unique=True, max_length=60)
    lta_id: int = Field(foreign_key="ltas.id", ondelete="RESTRICT")
    agency_id: int = Field(foreign_key="agencies.id", ondelete="RESTRICT", index=True)
    consolidator_id: int = Field(foreign_key="consolidators.id", ondelete="RESTRICT", index=True)
    valid_from: date
    valid_to: date = Field(index=True)
    ceiling: Decimal = _money()
    currency: str = Field(max_length=3)
    version: int = 1


class CatalogueItem(SQLModel, table=True):
    __tablename__ = "catalogue_items"
    __table_args__ = (UniqueConstraint("sub_lta_id", "sku"),)
    id: int | None = Field(default=None, primary_key=True)
    sub_lta_id: int = Field(foreign_key="sub_ltas.id", ondelete="CASCADE", index=True)
    sku: str = Field(max_length=60)
    description: str = Field(max_length=300)
    lot_id: int = Field(foreign_key="lots.id", ondelete="RESTRICT", index=True)
    unspsc: str = Field(max_length=8, index=True)
    unit: str = Field(default="each", max_length=20)
    unit_price: Decimal = _money()
    currency: str = Field(max_length=3)
    valid_from: date
    valid_to: date


# --- secondary bidding -----------------------------------------------------------------------


class MiniCompetition(SQLModel, table=True):
    __tablename__ = "mini_competitions"
    id: int | None = Field(default=None, primary_key=True)
    reference: str = Field(unique=True, max_length=60)
    lta_id: int = Field(foreign_key="ltas.id", ondelete="RESTRICT")
    agency_id: int = Field(foreign_key="agencies.id", ondelete="RESTRICT", index=True)
    lot_id: int = Field(foreign_key="lots.id", ondelete="RESTRICT", index=True)
    title: str = Field(max_length=300)
    destination_country: str = Field(max_length=2)
    status: str = Field(default="draft", max_length=20, index=True)
    evaluation_method: str = Field(default="lowest_price", max_length=20)
    fx_rate_date: date | None = None
    needs_freight: bool = False
    needs_export_licensing: bool = False
    needs_installation: bool = False
    warranty_months: int = 0
    created_at: datetime = _when()
    created_by: str = Field(max_length=100)
    issued_at: datetime | None = _when(default=None, nullable=True)
    deadline: datetime | None = _when(default=None, nullable=True, index=True)
    opened_at: datetime | None = _when(default=None, nullable=True)
    opened_by: str | None = Field(default=None, max_length=100)
    evaluated_at: datetime | None = _when(default=None, nullable=True)
    evaluated_by: str | None = Field(default=None, max_length=100)
    justification: str | None = Field(default=None, sa_type=Text)  # R8 few offers
    cancellation_reason: str | None = Field(default=None, sa_type=Text)
    version: int = 1


class CompetitionCriterion(SQLModel, table=True):
    __tablename__ = "competition_criteria"
    __table_args__ = (UniqueConstraint("competition_id", "criterion"),)
    id: int | None = Field(default=None, primary_key=True)
    competition_id: int = Field(foreign_key="mini_competitions.id", ondelete="CASCADE")
    criterion: str = Field(max_length=30)
    weight: int


class RequirementLine(SQLModel, table=True):
    __tablename__ = "requirement_lines"
    __table_args__ = (UniqueConstraint("competition_id", "line_no"),)
    id: int | None = Field(default=None, primary_key=True)
    competition_id: int = Field(foreign_key="mini_competitions.id", ondelete="CASCADE")
    line_no: int
    description: str = Field(max_length=300)
    specification: str = Field(default="", sa_type=Text)
    quantity: Decimal = Field(sa_type=Exact(QUANTITY_DIGITS))
    unit: str = Field(default="each", max_length=20)
    unspsc: str = Field(max_length=8)


class Invitation(SQLModel, table=True):
    """A holder invited to a competition, or left out with the reason (R2)."""

    __tablename__ = "invitations"
    __table_args__ = (UniqueConstraint("competition_id", "consolidator_id"),)
    id: int | None = Field(default=None, primary_key=True)
    competition_id: int = Field(foreign_key="mini_competitions.id", ondelete="CASCADE")
    consolidator_id: int = Field(foreign_key="consolidators.id", ondelete="RESTRICT", index=True)
    invited: bool = True
    exclusion_reason: str | None = Field(default=None, sa_type=Text)


class Offer(SQLModel, table=True):
    __tablename__ = "offers"
    __table_args__ = (UniqueConstraint("competition_id", "consolidator_id"),)
    id: int | None = Field(default=None, primary_key=True)
    competition_id: int = Field(foreign_key="mini_competitions.id", ondelete="CASCADE")
    consolidator_id: int = Field(foreign_key="consolidators.id", ondelete="RESTRICT", index=True)
    received_at: datetime = _when()
    recorded_by: str = Field(max_length=100)
    currency: str = Field(max_length=3)
    delivery_days: int
    warranty_months: int = 0
    valid_until: date | None = None
    takes_back_equipment: bool = False  # sustainability: take-back / disposal
    energy_label: bool = False  # sustainability: energy-efficiency label
    compliant: bool = True
    late: bool = False  # R6
    disqualification_reason: str | None = Field(default=None, sa_type=Text)
    content_hash: str = Field(max_length=64)  # sha256 of the content at receipt
    # written at the opening (R5): the landed total and whether the content hash still matches
    total: Decimal | None = _money(default=None, nullable=True)
    hash_ok: bool | None = None
    # written at the evaluation: the figures the scores and ranks were computed from (R20)
    total_usd: Decimal | None = _money(default=None, nullable=True)
    fx_units_per_usd: Decimal | None = Field(default=None, sa_type=Exact(RATE_DIGITS))
    fx_effective_date: date | None = None
    past_performance: Decimal | None = _money(default=None, nullable=True)
    score: Decimal | None = _money(default=None, nullable=True)
    rank: int | None = None
    version: int = 1


class OfferLine(SQLModel, table=True):
    __tablename__ = "offer_lines"
    __table_args__ = (UniqueConstraint("offer_id", "requirement_line_id"),)
    id: int | None = Field(default=None, primary_key=True)
    offer_id: int = Field(foreign_key="offers.id", ondelete="CASCADE")
    requirement_line_id: int = Field(foreign_key="requirement_lines.id", ondelete="CASCADE")
    unit_price: Decimal = _money()


class OfferService(SQLModel, table=True):
    __tablename__ = "offer_services"
    __table_args__ = (UniqueConstraint("offer_id", "service_type_id"),)
    id: int | None = Field(default=None, primary_key=True)
    offer_id: int = Field(foreign_key="offers.id", ondelete="CASCADE")
    service_type_id: int = Field(foreign_key="service_types.id", ondelete="RESTRICT")
    price: Decimal = _money()


class Award(SQLModel, table=True):
    __tablename__ = "awards"
    id: int | None = Field(default=None, primary_key=True)
    competition_id: int = Field(
        foreign_key="mini_competitions.id", ondelete="RESTRICT", unique=True
    )
    offer_id: int = Field(foreign_key="offers.id", ondelete="RESTRICT")
    rank: int
    decided_at: datetime = _when()
    decided_by: str = Field(max_length=100)
    justification: str | None = Field(default=None, sa_type=Text)  # R10: required unless rank 1


# --- orders ----------------------------------------------------------------------------------


class Order(SQLModel, table=True):
    __tablename__ = "orders"
    __table_args__ = (
        Index("ix_orders_agency_date", "agency_id", "order_date"),
        # covers the spend summary: one pass over orders without touching the table
        Index("ix_orders_spend", "id", "agency_id", "lot_id", "consolidator_id", "order_date"),
        # covers a sub-LTA's consumption of its ceiling (R15), summed at every order check
        Index("ix_orders_sub_lta_spend", "sub_lta_id", "status", "total"),
    )
    id: int | None = Field(default=None, primary_key=True)
    po_number: str = Field(unique=True, max_length=60)
    lta_id: int = Field(foreign_key="ltas.id", ondelete="RESTRICT")
    agency_id: int = Field(foreign_key="agencies.id", ondelete="RESTRICT", index=True)
    consolidator_id: int = Field(foreign_key="consolidators.id", ondelete="RESTRICT", index=True)
    lot_id: int = Field(foreign_key="lots.id", ondelete="RESTRICT", index=True)
    channel: str = Field(max_length=20, index=True)
    award_id: int | None = Field(default=None, foreign_key="awards.id", ondelete="RESTRICT")
    sub_lta_id: int | None = Field(default=None, foreign_key="sub_ltas.id", ondelete="RESTRICT")
    order_date: date = Field(index=True)
    currency: str = Field(max_length=3, index=True)
    fx_units_per_usd: Decimal = Field(sa_type=Exact(RATE_DIGITS))
    fx_effective_date: date
    fx_source: str = Field(max_length=100)
    destination_country: str = Field(max_length=2, index=True)
    status: str = Field(default="draft", max_length=20, index=True)
    # Sums of the lines, kept by the order service so lists sort on value without a join.
    total: Decimal = _money(default=Decimal(0), index=True)
    total_usd: Decimal = _money(default=Decimal(0), index=True)
    first_total: Decimal | None = _money(default=None, nullable=True)  # R16 baseline
    acknowledged_warnings: str | None = Field(default=None, sa_type=Text)
    cancellation_reason: str | None = Field(default=None, sa_type=Text)
    created_at: datetime = _when()
    created_by: str = Field(max_length=100)
    updated_at: datetime = _when()
    updated_by: str = Field(max_length=100)
    version: int = 1


class OrderLine(SQLModel, table=True):
    __tablename__ = "order_lines"
    __table_args__ = (
        UniqueConstraint("order_id", "line_no"),
        # covers the spend summary's per-order pre-aggregate
        Index("ix_order_lines_order_usd", "order_id", "amount_usd", "kind"),
    )
    id: int | None = Field(default=None, primary_key=True)
    order_id: int = Field(foreign_key="orders.id", ondelete="CASCADE")
    line_no: int
    kind: str = Field(max_length=10)
    service_type_id: int | None = Field(
        default=None, foreign_key="service_types.id", ondelete="RESTRICT"
    )
    catalogue_item_id: int | None = Field(
        default=None, foreign_key="catalogue_items.id", ondelete="RESTRICT", index=True
    )
    description: str = Field(max_length=300)
    unspsc: str = Field(max_length=8, index=True)
    unit: str = Field(default="each", max_length=20)
    quantity: Decimal = Field(sa_type=Exact(QUANTITY_DIGITS))
    unit_price: Decimal = _money()
    amount: Decimal = _money()  # quantity × unit price, in the order's currency
    amount_usd: Decimal = _money(index=True)  # at the order's stored rate (R20)
    delivered_quantity: Decimal = Field(default=Decimal(0), sa_type=Exact(QUANTITY_DIGITS))


class Delivery(SQLModel, table=True):
    __tablename__ = "deliveries"
    id: int | None = Field(default=None, primary_key=True)
    order_id: int = Field(foreign_key="orders.id", ondelete="CASCADE", index=True)
    order_line_id: int = Field(foreign_key="order_lines.id", ondelete="CASCADE")
    delivered_on: date
    quantity: Decimal = Field(sa_type=Exact(QUANTITY_DIGITS))
    recorded_by: str = Field(max_length=100)


class OrderAmendment(SQLModel, table=True):
    __tablename__ = "order_amendments"
    id: int | None = Field(default=None, primary_key=True)
    order_id: int = Field(foreign_key="orders.id", ondelete="CASCADE", index=True)
    amended_at: datetime = _when()
    amended_by: str = Field(max_length=100)
    previous_total: Decimal = _money()
    new_total: Decimal = _money()
    reason: str = Field(sa_type=Text)


class PerformanceReview(SQLModel, table=True):
    """A focal point's 1–4 rating of a delivered order, per criterion."""

    __tablename__ = "performance_reviews"
    id: int | None = Field(default=None, primary_key=True)
    order_id: int = Field(foreign_key="orders.id", ondelete="CASCADE", unique=True)
    agency_id: int = Field(foreign_key="agencies.id", ondelete="RESTRICT", index=True)
    consolidator_id: int = Field(foreign_key="consolidators.id", ondelete="RESTRICT", index=True)
    reviewed_on: date = Field(index=True)
    on_time_delivery: int
    quantity: int
    conformity: int
    responsiveness: int
    after_sales: int
    comment: str = Field(default="", sa_type=Text)
    reviewed_by: str = Field(max_length=100)


# --- reporting -------------------------------------------------------------------------------


class SpendFeedback(SQLModel, table=True):
    """What an agency reports to UNGM's LTA feedback tab for a period."""

    __tablename__ = "spend_feedback"
    __table_args__ = (UniqueConstraint("agency_id", "lta_id", "period_from", "period_to"),)
    id: int | None = Field(default=None, primary_key=True)
    agency_id: int = Field(foreign_key="agencies.id", ondelete="RESTRICT", index=True)
    lta_id: int = Field(foreign_key="ltas.id", ondelete="RESTRICT")
    period_from: date
    period_to: date
    spend_usd: Decimal = _money()
    computed_spend_usd: Decimal = _money()
    override_reason: str | None = Field(default=None, sa_type=Text)
    general_feedback: str = Field(default="", sa_type=Text)
    reported_at: datetime = _when()
    reported_by: str = Field(max_length=100)


class ConsolidatorReport(SQLModel, table=True):
    __tablename__ = "consolidator_reports"
    id: int | None = Field(default=None, primary_key=True)
    consolidator_id: int = Field(foreign_key="consolidators.id", ondelete="RESTRICT", index=True)
    agency_id: int = Field(foreign_key="agencies.id", ondelete="RESTRICT", index=True)
    period_from: date
    period_to: date
    reported_spend: Decimal = _money()
    currency: str = Field(max_length=3)
    imported_at: datetime = _when()
    source_file: str = Field(default="", max_length=400)


class ConsolidatorReportLine(SQLModel, table=True):
    __tablename__ = "consolidator_report_lines"
    id: int | None = Field(default=None, primary_key=True)
    report_id: int = Field(foreign_key="consolidator_reports.id", ondelete="CASCADE", index=True)
    po_number: str | None = Field(default=None, max_length=60, index=True)
    lot_number: int | None = None
    amount: Decimal = _money()
    currency: str = Field(max_length=3)


class AuditEvent(SQLModel, table=True):
    """R25: who changed what, when, and the values before and after (JSON)."""

    __tablename__ = "audit_events"
    __table_args__ = (Index("ix_audit_events_entity", "entity", "entity_id"),)
    id: int | None = Field(default=None, primary_key=True)
    at: datetime = _when(index=True)
    who: str = Field(max_length=100)
    entity: str = Field(max_length=40)
    entity_id: int
    action: str = Field(max_length=40)
    before: str | None = Field(default=None, sa_type=Text)
    after: str | None = Field(default=None, sa_type=Text)
