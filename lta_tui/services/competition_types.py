"""The plain records of the competition service (`lta_tui.services.competitions` re-exports them):
what the competition form, the offer form and the award send in, and what comes back."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime
from decimal import Decimal

from lta_tui.services.conflicts import Conflict
from lta_tui.services.order_types import (
    AgencyChoice,
    CountryChoice,
    CurrencyChoice,
    SavedOrder,
    ServiceChoice,
)


@dataclass(frozen=True)
class RequirementInput:
    """One requirement line: what is asked, how many, and its UNSPSC code (R3)."""

    description: str
    unspsc: str
    quantity: Decimal
    unit: str = "each"
    specification: str = ""


@dataclass(frozen=True)
class CompetitionInput:
    agency: str
    lot: int
    title: str
    destination_country: str  # ISO 3166 alpha-2
    deadline: datetime  # UTC
    fx_rate_date: date  # the ORE date that converts offers to USD (R20)
    evaluation_method: str  # EvaluationMethod value
    weights: tuple[tuple[str, int], ...]  # (criterion, points); lowest price may have none
    lines: tuple[RequirementInput, ...]
    needs_freight: bool = False
    needs_export_licensing: bool = False
    needs_installation: bool = False
    warranty_months: int = 0
    #: (consolidator code, reason): holders left out; every other active, eligible holder of the
    #: lot is invited (R2)
    left_out: tuple[tuple[str, str], ...] = ()


@dataclass(frozen=True)
class OfferInput:
    consolidator: str
    received_at: datetime  # when the e-mail arrived (UTC)
    currency: str
    line_prices: tuple[Decimal, ...]  # one unit price per requirement line, by line_no
    services: tuple[tuple[str, Decimal], ...] = ()  # (ServiceCode value, price)
    delivery_days: int = 0
    warranty_months: int = 0
    valid_until: date | None = None
    takes_back_equipment: bool = False
    energy_label: bool = False
    compliant: bool = True
    disqualification_reason: str | None = None


@dataclass(frozen=True)
class SavedCompetition:
    id: int
    reference: str
    version: int
    status: str


@dataclass(frozen=True)
class AwardResult:
    competition: SavedCompetition
    order: SavedOrder  # a draft, to be issued through the order service


class CompetitionConflict(Conflict):
    """The competition changed since it was loaded: nothing was saved."""

    def __init__(self, reference: str, who: str, at: datetime | None) -> None:
        self.reference = reference
        super().__init__(reference, who, at)


# --- choices of the competition form ------------------------------------------------------


@dataclass(frozen=True)
class LotScopeChoice:
    """A lot and its UNSPSC scope (code prefixes, R3)."""

    number: int
    title: str
    unspsc: tuple[str, ...]


@dataclass(frozen=True)
class HolderChoice:
    """A holder of a lot on the form's day, with its eligibility (R1, R17)."""

    lot: int
    code: str
    name: str
    eligibility: str  # Eligibility value
    eligibility_since: date | None
    eligibility_reason: str | None
    active_from: date
    active_to: date | None

    @property
    def eligible(self) -> bool:
        return self.eligibility == "eligible"


@dataclass(frozen=True)
class CompetitionFormContext:
    agencies: tuple[AgencyChoice, ...]
    lots: tuple[LotScopeChoice, ...]
    holders: tuple[HolderChoice, ...]  # every lot's holders on `today`, by lot then code
    countries: tuple[CountryChoice, ...]
    currencies: tuple[CurrencyChoice, ...]  # USD and those with an ORE rate
    services: tuple[ServiceChoice, ...]
    methods: tuple[str, ...]  # EvaluationMethod values
    criteria: tuple[str, ...]  # Criterion values, in scoring order
    default_agency: str
    today: date

    def holders_of(self, lot: int) -> tuple[HolderChoice, ...]:
        return tuple(h for h in self.holders if h.lot == lot)

    def scope_of(self, lot: int) -> tuple[str, ...]:
        return next((c.unspsc for c in self.lots if c.number == lot), ())
