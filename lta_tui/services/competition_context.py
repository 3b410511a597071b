"""What the competition form offers (agencies, lots with their UNSPSC scope, the holders of each
lot with their eligibility, countries, currencies with an ORE rate, services), and a stored
competition read back as the form's input."""

from __future__ import annotations

from datetime import date

from sqlalchemy import or_, select
from sqlalchemy.engine import Engine

from lta_tui.domain.states import CRITERIA, EvaluationMethod, effective_status
from lta_tui.services.browse_competitions import CompetitionNotFound
from lta_tui.services.competition_stored import CompetitionMissing, load_stored
from lta_tui.services.competition_types import (
    CompetitionFormContext,
    CompetitionInput,
    HolderChoice,
    LotScopeChoice,
)
from lta_tui.services.order_types import (
    Actor,
    AgencyChoice,
    CountryChoice,
    CurrencyChoice,
    ServiceChoice,
)
from lta_tui.store.models import (
    Agency,
    Consolidator,
    ExchangeRate,
    Lot,
    LotHolding,
    Lta,
    ServiceType,
)

__all__ = [
    "CompetitionNotFound",
    "competition_form_context",
    "effective_status",
    "load_competition_input",
]


def competition_form_context(engine: Engine, actor: Actor, today: date) -> CompetitionFormContext:
    """Everything the competition form completes from, read in one connection. `holders` are
    the consolidators holding each lot on `today` (R1), with their eligibility (R17: a
    suspended one cannot be invited)."""
    import pycountry

    with engine.connect() as conn:
        agencies = tuple(
            AgencyChoice(*r)
            for r in conn.execute(select(Agency.code, Agency.name).order_by(Agency.code))
        )
        lta_id = conn.execute(select(Lta.id).order_by(Lta.id).limit(1)).scalar()
        lots = tuple(
            LotScopeChoice(number, title, tuple((unspsc or "").split()))
            for number, title, unspsc in conn.execute(
                select(Lot.number, Lot.title, Lot.unspsc)
                .where(Lot.lta_id == lta_id)
                .order_by(Lot.number)
            )
        )
        holders = tuple(
            HolderChoice(*r)
            for r in conn.execute(
                select(
                    Lot.number,
                    Consolidator.code,
                    Consolidator.name,
                    Consolidator.eligibility,
                    Consolidator.eligibility_since,
                    Consolidator.eligibility_reason,
                    LotHolding.active_from,
                    LotHolding.active_to,
                )
                .join(Lot, Lot.id == LotHolding.lot_id)
                .join(Consolidator, Consolidator.id == LotHolding.consolidator_id)
                .where(
                    Lot.lta_id == lta_id,
                    LotHolding.active_from <= today,
                    or_(LotHolding.active_to.is_(None), LotHolding.active_to >= today),
                )
                .order_by(Lot.number, Consolidator.code)
            )
        )
        services = tuple(
            ServiceChoice(code, title, (unspsc or "").split()[0] if unspsc else "")
            for code, title, unspsc in conn.execute(
                select(ServiceType.code, ServiceType.title, ServiceType.unspsc).order_by(
                    ServiceType.id
                )
            )
        )
        rated = {c for (c,) in conn.execute(select(ExchangeRate.currency).distinct())}
    rated.add("USD")
    currencies = []
    for code in sorted(rated):
        found = pycountry.currencies.get(alpha_3=code)
        currencies.append(CurrencyChoice(code, found.name if found else code))
    countries = tuple(
        sorted(
            (
                CountryChoice(c.alpha_2, getattr(c, "common_name", c.name))
                for c in pycountry.countries
            ),
            key=lambda c: c.alpha2,
        )
    )
    return CompetitionFormContext(
        agencies=agencies,
        lots=lots,
        holders=holders,
        countries=countries,
        currencies=tuple(currencies),
        services=services,
        methods=tuple(m.value for m in EvaluationMethod),
        criteria=CRITERIA,
        default_agency=actor.agency,
        today=today,
    )


def load_competition_input(
    engine: Engine, competition_id: int
) -> tuple[CompetitionInput, int, str, str]:
    """A stored competition as the form's input, with its version, status and reference (for
    the optimistic check of the save that follows). Raises `CompetitionNotFound`."""
    with engine.connect() as conn:
        try:
            stored = load_stored(conn, competition_id)
        except CompetitionMissing as exc:
            raise CompetitionNotFound(str(exc)) from None
    return stored.input, stored.version, stored.status, stored.reference
