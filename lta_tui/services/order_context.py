"""What the order form offers (agencies, consolidators, lots, sub-LTAs with their consumption,
services, ISO currencies and countries), a sub-LTA's catalogue, and a stored order read back as
the form's input."""

from __future__ import annotations

from datetime import date

from sqlalchemy import select
from sqlalchemy.engine import Engine

from lta_tui.services.browse_sub_ltas import catalogue_rows, consumption_of, with_consumption
from lta_tui.services.order_checks import OrderMissing, load_existing
from lta_tui.services.order_types import (
    Actor,
    AgencyChoice,
    CatalogueChoice,
    ConsolidatorChoice,
    CountryChoice,
    CurrencyChoice,
    FormContext,
    LotChoice,
    OrderInput,
    ServiceChoice,
    SubLtaChoice,
)
from lta_tui.store.models import (
    Agency,
    CatalogueItem,
    Consolidator,
    Lot,
    Lta,
    ServiceType,
    SubLta,
)


def order_form_context(engine: Engine, actor: Actor, today: date) -> FormContext:
    """Everything the order form completes from, read in one connection. Sub-LTAs carry what is
    consumed of their ceiling (orders in a spend status, in the ceiling's currency)."""
    import pycountry

    with engine.connect() as conn:
        agencies = tuple(
            AgencyChoice(*r)
            for r in conn.execute(select(Agency.code, Agency.name).order_by(Agency.code))
        )
        consolidators = tuple(
            ConsolidatorChoice(*r)
            for r in conn.execute(
                select(Consolidator.code, Consolidator.name, Consolidator.eligibility).order_by(
                    Consolidator.code
                )
            )
        )
        lta_id = conn.execute(select(Lta.id).order_by(Lta.id).limit(1)).scalar()
        lots = tuple(
            LotChoice(*r)
            for r in conn.execute(
                select(Lot.number, Lot.title).where(Lot.lta_id == lta_id).order_by(Lot.number)
            )
        )
        stmt, _ = with_consumption(
            today,
            select(SubLta.id),
            SubLta.reference,
            Agency.code,
            Consolidator.code,
            SubLta.valid_from,
            SubLta.valid_to,
        )
        sub_ltas = []
        for r in conn.execute(stmt.order_by(SubLta.reference)):
            used = consumption_of(*r[-5:], today)
            sub_ltas.append(
                SubLtaChoice(
                    reference=r[0],
                    agency=r[1],
                    consolidator=r[2],
                    valid_from=r[3],
                    valid_to=r[4],
                    currency=used.currency,
                    ceiling=used.ceiling,
                    consumed=used.consumed,
                )
            )
        services = tuple(
            ServiceChoice(*r)
            for r in conn.execute(
                select(ServiceType.code, ServiceType.title, ServiceType.unspsc).order_by(
                    ServiceType.id
                )
            )
        )
    currencies = tuple(
        sorted(
            (CurrencyChoice(c.alpha_3, c.name) for c in pycountry.currencies),
            key=lambda c: c.code,
        )
    )
    countries = tuple(
        sorted(
            (
                CountryChoice(c.alpha_2, getattr(c, "common_name", c.name))
                for c in pycountry.countries
            ),
            key=lambda c: c.alpha2,
        )
    )
    return FormContext(
        agencies=agencies,
        consolidators=consolidators,
        lots=lots,
        sub_ltas=tuple(sub_ltas),
        services=services,
        currencies=currencies,
        countries=countries,
        default_agency=actor.agency,
        today=today,
    )


def catalogue(engine: Engine, sub_lta_reference: str) -> tuple[CatalogueChoice, ...]:
    """The catalogue items of a sub-LTA (every validity: the order date decides, R13), by lot
    and SKU; empty for an unknown reference."""
    sub_lta = select(SubLta.id).where(SubLta.reference == sub_lta_reference).scalar_subquery()
    with engine.connect() as conn:
        return tuple(catalogue_rows(conn, CatalogueItem.sub_lta_id == sub_lta))


class OrderNotFound(LookupError):
    """No order with that id."""


def load_order_input(engine: Engine, order_id: int) -> tuple[OrderInput, int, str]:
    """A stored order as the form's input, with its version and status (for the optimistic
    check of the save that follows). Raises `OrderNotFound`."""
    with engine.connect() as conn:
        try:
            existing = load_existing(conn, order_id)
        except OrderMissing as exc:
            raise OrderNotFound(str(exc)) from None
    return existing.input, existing.version, existing.status
