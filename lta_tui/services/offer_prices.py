"""The prices of stored offers — a unit price per requirement line and the service prices — and
the landed totals computed from them (`lta_tui.domain.scoring.landed_total`): the one reader of
the tables `offer_lines` and `offer_services`.

R5: these are the prices of sealed offers until the opening; call this module only where
`may_reveal_prices` holds or where nothing read is shown (the opening, the content hash).
"""

from __future__ import annotations

from collections.abc import Collection, Sequence
from dataclasses import dataclass, replace
from decimal import Decimal

from sqlalchemy import select
from sqlalchemy.engine import Connection

from lta_tui.domain.money import round_money
from lta_tui.domain.scoring import Landed, landed_total
from lta_tui.domain.states import service_order
from lta_tui.store.models import Offer, OfferLine, OfferService, RequirementLine, ServiceType


@dataclass(frozen=True)
class OfferPrices:
    line_prices: tuple[Decimal, ...]  # by requirement line, in line_no order; 0 where missing
    services: tuple[tuple[str, Decimal], ...]  # (ServiceCode value, price) in ServiceCode order


def load_offer_prices(
    conn: Connection, offer_ids: Collection[int], line_ids: Sequence[int]
) -> dict[int, OfferPrices]:
    """The prices of each offer of `offer_ids`; `line_ids` are the competition's requirement
    lines in line_no order."""
    ids = sorted(set(offer_ids))
    if not ids:
        return {}
    by_line: dict[int, dict[int, Decimal]] = {i: {} for i in ids}
    for offer_id, line_id, price in conn.execute(
        select(OfferLine.offer_id, OfferLine.requirement_line_id, OfferLine.unit_price).where(
            OfferLine.offer_id.in_(ids)
        )
    ):
        by_line[offer_id][line_id] = price
    services: dict[int, list[tuple[str, Decimal]]] = {i: [] for i in ids}
    for offer_id, code, price in conn.execute(
        select(OfferService.offer_id, ServiceType.code, OfferService.price)
        .join(ServiceType, ServiceType.id == OfferService.service_type_id)
        .where(OfferService.offer_id.in_(ids))
    ):
        services[offer_id].append((code, price))
    return {
        i: OfferPrices(
            tuple(by_line[i].get(line_id, Decimal(0)) for line_id in line_ids),
            tuple(sorted(services[i], key=lambda s: service_order(s[0]))),
        )
        for i in ids
    }


def landed_cost(
    quantities: Sequence[Decimal],
    line_prices: Sequence[Decimal],
    services: Sequence[tuple[str, Decimal]],
    currency: str,
) -> Landed:
    """`landed_total` with the goods and the total shown with the currency's digits."""
    cost = landed_total(quantities, line_prices, services, currency)
    return replace(
        cost, goods=round_money(cost.goods, currency), total=round_money(cost.total, currency)
    )


def landed_totals(
    conn: Connection, competition_id: int, offer_ids: Collection[int]
) -> dict[int, Decimal]:
    """The landed total (goods + services) of each offer of `offer_ids`, in its currency with
    the currency's digits, computed from its stored prices: for the rows that carry no total
    written at the opening."""
    if not offer_ids:
        return {}
    lines = conn.execute(
        select(RequirementLine.id, RequirementLine.quantity)
        .where(RequirementLine.competition_id == competition_id)
        .order_by(RequirementLine.line_no)
    ).all()
    quantities = [quantity for _, quantity in lines]
    prices = load_offer_prices(conn, offer_ids, [line_id for line_id, _ in lines])
    totals = {}
    for offer_id, currency in conn.execute(
        select(Offer.id, Offer.currency).where(
            Offer.competition_id == competition_id, Offer.id.in_(sorted(set(offer_ids)))
        )
    ):
        offer = prices[offer_id]
        cost = landed_cost(quantities, offer.line_prices, offer.services, currency)
        totals[offer_id] = cost.total
    return totals
