"""The plain records of the order service (`lta_tui.services.orders` re-exports them)."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime
from decimal import Decimal

from lta_tui.config import Config
from lta_tui.domain.fx import Rate
from lta_tui.domain.rules import Finding
from lta_tui.domain.rules.findings import Severity
from lta_tui.services.browse_sub_ltas import CatalogueRow
from lta_tui.services.conflicts import Conflict


@dataclass(frozen=True)
class Actor:
    """Who acts: the user of the config (name, agency code, role)."""

    name: str
    agency: str
    role: str  # "focal_point" | "working_group" | "viewer"

    @classmethod
    def from_config(cls, config: Config) -> Actor:
        user = config.user
        return cls(user.name, user.agency, getattr(user.role, "value", user.role))


@dataclass(frozen=True)
class LineInput:
    kind: str  # "goods" | "service"
    description: str
    unspsc: str
    quantity: Decimal
    unit_price: Decimal
    unit: str = "each"
    sku: str | None = None  # catalogue item of the order's sub-LTA (direct orders)
    service: str | None = None  # ServiceCode value on service lines


@dataclass(frozen=True)
class OrderInput:
    agency: str
    channel: str  # "direct" | "mini_competition"
    consolidator: str
    lot: int
    order_date: date
    currency: str
    destination_country: str  # ISO 3166 alpha-2
    lines: tuple[LineInput, ...]
    sub_lta: str | None = None
    competition: str | None = None
    ceiling_amendment: str | None = None
    amendment_reason: str | None = None


@dataclass(frozen=True)
class LineFigures:
    line_no: int  # 1-based
    amount: Decimal  # order currency
    amount_usd: Decimal | None  # None when no rate (or the amount cannot be computed)


@dataclass(frozen=True)
class OrderCheck:
    findings: tuple[Finding, ...]  # errors first
    lines: tuple[LineFigures, ...]
    total: Decimal
    total_usd: Decimal | None
    rate: Rate | None

    @property
    def errors(self) -> list[Finding]:
        return [f for f in self.findings if f.severity is Severity.error]

    @property
    def warnings(self) -> list[Finding]:
        return [f for f in self.findings if f.severity is Severity.warning]

    @property
    def ok(self) -> bool:
        return not self.errors

    def for_field(self, name: str) -> list[Finding]:
        return [f for f in self.findings if f.field == name]


class OrderConflict(Conflict):
    """The order changed since it was loaded: nothing was saved."""

    def __init__(self, po_number: str, who: str, at: datetime) -> None:
        self.po_number = po_number
        super().__init__(po_number, who, at)


class NeedsAcknowledgement(Exception):
    """Warnings stand that the user has not acknowledged yet (`.warnings`)."""

    def __init__(self, warnings: list[Finding]) -> None:
        self.warnings = list(warnings)
        super().__init__("acknowledge to go ahead:\n" + "\n".join(w.message for w in self.warnings))


@dataclass(frozen=True)
class SavedOrder:
    id: int
    po_number: str
    version: int
    status: str
    total: Decimal
    total_usd: Decimal


@dataclass(frozen=True)
class ReviewInput:
    on_time_delivery: int
    quantity: int
    conformity: int
    responsiveness: int
    after_sales: int
    comment: str = ""


# --- choices of the order form ----------------------------------------------------------------


@dataclass(frozen=True)
class AgencyChoice:
    code: str
    name: str


@dataclass(frozen=True)
class ConsolidatorChoice:
    code: str
    name: str
    eligibility: str


@dataclass(frozen=True)
class LotChoice:
    number: int
    title: str


@dataclass(frozen=True)
class SubLtaChoice:
    reference: str
    agency: str
    consolidator: str
    valid_from: date
    valid_to: date
    currency: str
    ceiling: Decimal
    consumed: Decimal


@dataclass(frozen=True)
class ServiceChoice:
    code: str
    title: str
    unspsc: str


@dataclass(frozen=True)
class CurrencyChoice:
    code: str
    name: str


@dataclass(frozen=True)
class CountryChoice:
    alpha2: str
    name: str


@dataclass(frozen=True)
class FormContext:
    agencies: tuple[AgencyChoice, ...]
    consolidators: tuple[ConsolidatorChoice, ...]
    lots: tuple[LotChoice, ...]
    sub_ltas: tuple[SubLtaChoice, ...]
    services: tuple[ServiceChoice, ...]
    currencies: tuple[CurrencyChoice, ...]
    countries: tuple[CountryChoice, ...]
    default_agency: str
    today: date | None = None


#: A catalogue item the form offers: the same row the sub-LTA detail lists.
CatalogueChoice = CatalogueRow
