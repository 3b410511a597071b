"""The OCDS 1.1 release package of the LTA (issue 5, point 7): plain dicts, ready for JSON.

Modelled on the OCDS framework-agreement guidance (../shared/reference/domain.md §8):

- the first stage: one release, ocid `{prefix}-{LTA reference}`, tags tender and award,
  `tender.techniques.hasFrameworkAgreement`, the five lots (items classified UNSPSC) and one
  award per holder, `relatedLots` = the lots it holds;
- one contracting process per mini-competition (ocid `{prefix}-{competition reference}`,
  `tender.competitive` true) and per direct order (ocid `{prefix}-{PO number}`,
  `tender.competitive` false), each linked to the first stage by a `framework` related process;
- bids only of competitions whose offers may be revealed (R5: never a sealed price), awards in
  the offer's currency, a contract per order (the PO) with its lines as items, and
  `implementation.transactions`: the value delivered per delivery day (payments are not recorded
  by lta-tui), each with the PO number (`purchaseOrderID`).

Drafts (competitions not issued, orders not placed) are not published. Amounts stay Decimal:
`lta_tui.exports.ocds` writes them as JSON numbers with their exact decimal text.
"""

from __future__ import annotations

import itertools
import os
from collections import defaultdict
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import date, datetime, time, timezone
from decimal import Decimal
from pathlib import Path
from typing import Any, TextIO

from sqlalchemy import select
from sqlalchemy.engine import Connection

from lta_tui.domain.dates import aware
from lta_tui.domain.money import minor_units, quantum, round_money, within_decimals
from lta_tui.domain.states import Channel, CompetitionStatus, OrderStatus
from lta_tui.services.browse_competitions import competition_detail
from lta_tui.services.competition_compare import comparison
from lta_tui.store.models import (
    Agency,
    Consolidator,
    Delivery,
    Lot,
    LotHolding,
    Lta,
    MiniCompetition,
    Order,
    OrderLine,
    SubLta,
)

OCDS_VERSION = "1.1"
_EXTENSION_URL = (
    "https://raw.githubusercontent.com/open-contracting-extensions/ocds_{}_extension/master/"
    "extension.json"
)
#: The extensions the package uses: name (as in ../shared/ocds/extensions) → extension.json URL.
EXTENSIONS: dict[str, str] = {
    name: _EXTENSION_URL.format(name)
    for name in ("lots", "techniques", "bid", "transaction_purchaseOrderID")
}
#: How the first stage (the joint tender that set up the LTA) was run: a public tender.
FIRST_STAGE_METHOD = "open"
#: Orders read per query when building the direct-order releases.
CHUNK = 500

_TENDER_STATUS = {
    CompetitionStatus.open.value: "active",
    CompetitionStatus.closed.value: "active",
    CompetitionStatus.opened.value: "active",
    CompetitionStatus.evaluated.value: "active",
    CompetitionStatus.awarded.value: "complete",
    CompetitionStatus.ordered.value: "complete",
    CompetitionStatus.unsuccessful.value: "unsuccessful",
    CompetitionStatus.cancelled.value: "cancelled",
}
_CONTRACT_STATUS = {
    OrderStatus.issued.value: "active",
    OrderStatus.partially_delivered.value: "active",
    OrderStatus.delivered.value: "active",
    OrderStatus.closed.value: "terminated",
    OrderStatus.cancelled.value: "cancelled",
}
_AWARD_CRITERIA = {"lowest_price": "priceOnly", "weighted": "ratedCriteria"}


class OcdsError(ValueError):
    """Nothing to publish as asked (no LTA in the database, dates the wrong way round)."""


@dataclass(frozen=True)
class OcdsFilter:
    """Which processes: `scope` an agency code (None: all agencies, Working Group), and the
    issue day of a competition or the order day of a direct order within `date_from`..`date_to`.
    The first stage is always published."""

    scope: str | None = None
    date_from: date | None = None
    date_to: date | None = None


def moment(value: datetime | date) -> str:
    """ISO 8601 with the time zone: a day is its midnight UTC (`2026-03-04T00:00:00Z`)."""
    if not isinstance(value, datetime):
        value = datetime.combine(value, time(0), tzinfo=timezone.utc)
    text = aware(value).astimezone(timezone.utc).isoformat(timespec="seconds")
    return text.replace("+00:00", "Z")


def _amount(value: Decimal, currency: str) -> dict[str, Any]:
    """An OCDS Value: the amount to the currency's minor unit (`1853.00`), or with every
    decimal it has when it has more (a unit price of `0.4305`), never rounded."""
    digits = minor_units(currency)
    exact = value.quantize(quantum(currency)) if within_decimals(value, digits) else _number(value)
    return {"amount": exact, "currency": currency}


def _number(value: Decimal) -> Decimal:
    """A quantity without the trailing zeros of its storage (40.000 → 40, 2.500 → 2.5)."""
    normal = value.normalize()
    return normal.quantize(Decimal(1)) if normal == normal.to_integral_value() else normal


def _unspsc(code: str) -> str:
    """A UNSPSC prefix (segment, family, class) as its 8-digit code: 4322 → 43220000."""
    return code.ljust(8, "0")


def package_header(cfg, now: datetime) -> dict[str, Any]:
    """The package metadata of OCDS (`uri`, `version`, `extensions`, `publisher`, …)."""
    ocds = cfg.ocds
    published = moment(now)
    publisher: dict[str, Any] = {"name": ocds.publisher}
    for key, value in (
        ("scheme", ocds.publisher_scheme),
        ("uid", ocds.publisher_uid),
        ("uri", ocds.publisher_uri),
    ):
        if value:
            publisher[key] = value
    stamp = published.replace("-", "").replace(":", "")
    if ocds.publisher_uri:
        uri = f"{ocds.publisher_uri.rstrip('/')}/ocds/{cfg.lta.reference}-{stamp}.json"
    else:
        uri = f"urn:x-lta-tui:{ocds.ocid_prefix}:{cfg.lta.reference}:{stamp}"
    header: dict[str, Any] = {
        "uri": uri,
        "version": OCDS_VERSION,
        "extensions": list(EXTENSIONS.values()),
        "publishedDate": published,
        "publisher": publisher,
    }
    if ocds.license:
        header["license"] = ocds.license
    if ocds.publication_policy:
        header["publicationPolicy"] = ocds.publication_policy
    return header


def release_package(
    conn: Connection, cfg, now: datetime, query: OcdsFilter = OcdsFilter()
) -> dict[str, Any]:
    """The whole package in memory (tests, small data sets); `iter_releases` streams."""
    return {**package_header(cfg, now), "releases": list(iter_releases(conn, cfg, now, query))}


def export_ocds(
    conn: Connection, cfg, now: datetime, query: OcdsFilter, out: str | os.PathLike | TextIO
) -> tuple[Path | None, int]:
    """Write the package to a path (atomically) or a text stream (stdout), releases streamed;
    returns (the path written or None, the number of releases). A refusal (`OcdsError`) comes
    before anything is written."""
    from lta_tui.exports.ocds import write_package

    releases = iter_releases(conn, cfg, now, query)
    first = next(releases)
    count = 0

    def counted() -> Iterator[dict[str, Any]]:
        nonlocal count
        for release in itertools.chain([first], releases):
            count += 1
            yield release

    written = write_package(package_header(cfg, now), counted(), out)
    return written, count


# --- reference look-ups ----------------------------------------------------------------------


@dataclass
class _Names:
    agencies: dict[int, tuple[str, str]]  # id → (code, name)
    consolidators: dict[int, tuple[str, str, str]]  # id → (code, name, country)
    lots: dict[int, tuple[int, str]]  # id → (number, title)
    sub_ltas: dict[int, str]  # id → reference

    def agency(self, agency_id: int) -> dict[str, str]:
        code, name = self.agencies[agency_id]
        return {"id": code, "name": name}

    def supplier(self, consolidator_id: int) -> dict[str, str]:
        code, name, _ = self.consolidators[consolidator_id]
        return {"id": code, "name": name}


def _names(conn: Connection, lta_id: int) -> _Names:
    return _Names(
        {i: (c, n) for i, c, n in conn.execute(select(Agency.id, Agency.code, Agency.name))},
        {
            i: (c, n, k)
            for i, c, n, k in conn.execute(
                select(Consolidator.id, Consolidator.code, Consolidator.name, Consolidator.country)
            )
        },
        {
            i: (num, t)
            for i, num, t in conn.execute(
                select(Lot.id, Lot.number, Lot.title).where(Lot.lta_id == lta_id)
            )
        },
        dict(
            conn.execute(select(SubLta.id, SubLta.reference).where(SubLta.lta_id == lta_id)).all()
        ),
    )


class _Parties:
    """The parties of one release: each organization once, with every role it plays."""

    def __init__(self) -> None:
        self._by_id: dict[str, dict[str, Any]] = {}

    def add(self, ref: dict[str, str], *roles: str, country: str | None = None) -> dict[str, str]:
        party = self._by_id.setdefault(ref["id"], {**ref, "roles": []})
        for role in roles:
            if role not in party["roles"]:
                party["roles"].append(role)
        if country and "address" not in party:
            party["address"] = {"countryName": _country_name(country)}
        return dict(ref)

    def list(self) -> list[dict[str, Any]]:
        return list(self._by_id.values())


def _country_name(code: str) -> str:
    import pycountry  # loaded by exports only

    country = pycountry.countries.get(alpha_2=code)
    return getattr(country, "name", None) or code


def _supplier(parties: _Parties, names: _Names, consolidator_id: int, *roles: str):
    country = names.consolidators[consolidator_id][2]
    return parties.add(names.supplier(consolidator_id), *roles, country=country)


def _framework_link(prefix: str, lta: str, lot: int) -> list[dict[str, Any]]:
    return [
        {
            "id": "framework",
            "relationship": ["framework"],
            "title": f"Framework agreement {lta}",
            "scheme": "ocid",
            "identifier": f"{prefix}-{lta}",
            "relatedLots": [str(lot)],
        }
    ]


# --- releases --------------------------------------------------------------------------------


def iter_releases(
    conn: Connection, cfg, now: datetime, query: OcdsFilter = OcdsFilter()
) -> Iterator[dict[str, Any]]:
    """The first stage, then each issued mini-competition, then each placed direct order."""
    if query.date_from and query.date_to and query.date_from > query.date_to:
        raise OcdsError(f"--from {query.date_from} is after --to {query.date_to}")
    lta = conn.execute(select(Lta).where(Lta.reference == cfg.lta.reference)).first()
    if lta is None:
        raise OcdsError(
            f"no LTA {cfg.lta.reference} in the database: run `lta-tui init` (config lta.reference)"
        )
    names = _names(conn, lta.id)
    yield _framework_release(conn, cfg, lta, names)
    yield from _competition_releases(conn, cfg, lta, names, now, query)
    yield from _direct_order_releases(conn, cfg, lta, names, query)


def _framework_release(conn: Connection, cfg, lta, names: _Names) -> dict[str, Any]:
    prefix = cfg.ocds.ocid_prefix
    parties = _Parties()
    leads = [code for code in (lta.lead_agencies or "").split() if code]
    by_code = {code: (i, name) for i, (code, name) in names.agencies.items()}
    buyer = None
    for n, code in enumerate(leads):
        if code in by_code:
            ref = names.agency(by_code[code][0])
            parties.add(ref, *(("buyer", "procuringEntity") if n == 0 else ("buyer",)))
            buyer = buyer or ref
    validity = {"startDate": moment(lta.valid_from), "endDate": moment(lta.valid_to)}
    lots = conn.execute(
        select(Lot.id, Lot.number, Lot.title, Lot.unspsc)
        .where(Lot.lta_id == lta.id)
        .order_by(Lot.number)
    ).all()
    items = [
        {
            "id": f"{lot.number}-{_unspsc(code)}",
            "description": lot.title,
            "classification": {"scheme": "UNSPSC", "id": _unspsc(code)},
            "relatedLot": str(lot.number),
        }
        for lot in lots
        for code in lot.unspsc.split()
    ]
    holdings: dict[int, list] = defaultdict(list)
    for h in conn.execute(
        select(LotHolding.consolidator_id, LotHolding.lot_id, LotHolding.active_from,
               LotHolding.active_to)
        .where(LotHolding.lot_id.in_([lot.id for lot in lots]))
        .order_by(LotHolding.consolidator_id, LotHolding.lot_id, LotHolding.active_from)
    ):  # fmt: skip
        holdings[h.consolidator_id].append(h)
    awards = []
    for consolidator_id, held in sorted(holdings.items(), key=lambda x: names.consolidators[x[0]]):
        supplier = _supplier(parties, names, consolidator_id, "supplier", "tenderer")
        lot_numbers = sorted({names.lots[h.lot_id][0] for h in held})
        ended = [
            f"lot {names.lots[h.lot_id][0]} held until {h.active_to.isoformat()}"
            for h in held
            if h.active_to is not None
        ]
        award: dict[str, Any] = {
            "id": f"{lta.reference}-{supplier['id']}",
            "title": f"Framework agreement {lta.reference}: {supplier['name']}",
            "status": "active",
            "date": moment(min(h.active_from for h in held)),
            "suppliers": [supplier],
            "contractPeriod": validity,
            "relatedLots": [str(n) for n in lot_numbers],
        }
        if ended:
            award["description"] = "; ".join(ended)
        awards.append(award)
    tender: dict[str, Any] = {
        "id": lta.reference,
        "title": lta.title,
        "status": "complete",
        "procurementMethod": FIRST_STAGE_METHOD,
        "mainProcurementCategory": "goods",
        "additionalProcurementCategories": ["services"],
        "items": items,
        "contractPeriod": validity,
        "numberOfTenderers": len(awards),
        "tenderers": [a["suppliers"][0] for a in awards],
        "techniques": {
            "hasFrameworkAgreement": True,
            "frameworkAgreement": {
                "method": "withAndWithoutReopeningCompetition",
                "description": "Secondary bidding (mini-competitions among the holders of a"
                " lot) and direct orders under agency sub-LTAs with one holder.",
            },
        },
        "lots": [
            {
                "id": str(lot.number),
                "title": lot.title,
                "status": "complete",
                "contractPeriod": validity,
            }
            for lot in lots
        ],  # fmt: skip
    }
    if lta.ceiling_usd is not None:
        tender["value"] = _amount(lta.ceiling_usd, "USD")
    if buyer is not None:
        tender["procuringEntity"] = buyer
    release: dict[str, Any] = {
        "ocid": f"{prefix}-{lta.reference}",
        "id": f"{lta.reference}-framework",
        "date": moment(lta.valid_from),
        "tag": ["tender", "award"],
        "initiationType": "tender",
        "language": "en",
        "parties": parties.list(),
    }
    if buyer is not None:
        release["buyer"] = buyer
    release["tender"] = tender
    release["awards"] = awards
    return release


def _in_range(day: date | None, query: OcdsFilter) -> bool:
    if day is None:
        return False
    return not (
        (query.date_from and day < query.date_from) or (query.date_to and day > query.date_to)
    )


def _competition_releases(
    conn: Connection, cfg, lta, names: _Names, now: datetime, query: OcdsFilter
) -> Iterator[dict[str, Any]]:
    stmt = (
        select(MiniCompetition.id, MiniCompetition.issued_at)
        .join(Agency, Agency.id == MiniCompetition.agency_id)
        .where(
            MiniCompetition.lta_id == lta.id,
            MiniCompetition.status != CompetitionStatus.draft.value,
            MiniCompetition.issued_at.is_not(None),
        )
        .order_by(MiniCompetition.issued_at, MiniCompetition.reference)
    )
    if query.scope is not None:
        stmt = stmt.where(Agency.code == query.scope)
    for competition_id, issued_at in conn.execute(stmt).all():
        if _in_range(aware(issued_at).date(), query):
            yield _competition_release(conn, cfg, lta, names, competition_id, now)


def _competition_release(
    conn: Connection, cfg, lta, names: _Names, competition_id: int, now: datetime
) -> dict[str, Any]:
    prefix = cfg.ocds.ocid_prefix
    detail = competition_detail(conn, competition_id, now)
    agency_id, created_at = conn.execute(
        select(MiniCompetition.agency_id, MiniCompetition.created_at).where(
            MiniCompetition.id == competition_id
        )
    ).one()
    codes = {code: i for i, (code, _, _) in names.consolidators.items()}
    parties = _Parties()
    buyer = parties.add(names.agency(agency_id), "buyer", "procuringEntity")
    lot = str(detail.lot)
    status = detail.status
    cancelled = status == CompetitionStatus.cancelled.value
    tender: dict[str, Any] = {
        "id": detail.reference,
        "title": detail.title,
        "status": _TENDER_STATUS.get(status, "active"),
        "procuringEntity": buyer,
        "procurementMethod": FIRST_STAGE_METHOD,
        "competitive": True,
        "mainProcurementCategory": "goods",
        "awardCriteria": _AWARD_CRITERIA.get(detail.evaluation_method, "ratedCriteria"),
        "items": [
            {
                "id": str(line.line_no),
                "description": line.description,
                "classification": {"scheme": "UNSPSC", "id": line.unspsc},
                "quantity": _number(line.quantity),
                "unit": {"name": line.unit},
                "relatedLot": lot,
            }
            for line in detail.lines
        ],
        "lots": [{"id": lot, "title": detail.lot_title}],
    }
    if detail.issued_at and detail.deadline:
        tender["tenderPeriod"] = {
            "startDate": moment(detail.issued_at),
            "endDate": moment(detail.deadline),
        }
    release: dict[str, Any] = {
        "ocid": f"{prefix}-{detail.reference}",
        "date": None,
        "tag": ["tenderCancellation"] if cancelled else ["tender"],
        "initiationType": "tender",
        "language": "en",
        "parties": None,
        "buyer": buyer,
        "relatedProcesses": _framework_link(prefix, lta.reference, detail.lot),
        "tender": tender,
    }
    changes = [created_at, detail.issued_at, detail.opened_at, detail.evaluated_at]
    bid_ids: dict[str, str] = {}
    if not detail.sealed:  # R5: offers of a sealed competition are not published at all
        compared = comparison(conn, competition_id, now, cfg.rules)
        if not compared.sealed:
            details = []
            for offer in sorted(compared.offers, key=lambda o: (o.received_at, o.consolidator)):
                tenderer = _supplier(parties, names, codes[offer.consolidator], "tenderer")
                bid_id = f"{detail.reference}-{offer.consolidator}"
                bid_ids[offer.consolidator] = bid_id
                bid: dict[str, Any] = {
                    "id": bid_id,
                    "date": moment(offer.received_at),
                    "status": "valid" if offer.valid else "disqualified",
                    "tenderers": [tenderer],
                    "value": _amount(offer.total, offer.currency),
                    "relatedLots": [lot],
                }
                if offer.rank is not None:
                    bid["hasRank"] = True
                    bid["rank"] = offer.rank
                details.append(bid)
            valid = sum(1 for o in compared.offers if o.valid)
            release["bids"] = {
                "statistics": [
                    {"id": "bids", "measure": "bids", "value": len(details), "relatedLot": lot},
                    {"id": "validBids", "measure": "validBids", "value": valid, "relatedLot": lot},
                ],  # fmt: skip
                "details": details,
            }
            tender["numberOfTenderers"] = len(details)
            tender["tenderers"] = [b["tenderers"][0] for b in details]
            won = detail.award
            if won is not None:
                winner = next(o for o in compared.offers if o.consolidator == won.consolidator)
                supplier = _supplier(parties, names, codes[won.consolidator], "supplier")
                award_id = f"{detail.reference}-award"
                release["awards"] = [
                    {
                        "id": award_id,
                        "status": "active",
                        "date": moment(won.decided_at),
                        "value": _amount(winner.total, winner.currency),
                        "suppliers": [supplier],
                        "relatedLots": [lot],
                        "relatedBids": [bid_ids[won.consolidator]],
                    }
                ]
                changes.append(won.decided_at)
                orders = [o.id for o in detail.orders]
                contracts, last = _contracts(conn, names, orders, award_id, lot, parties)
                if contracts:
                    release["contracts"] = contracts
                    changes.append(last)
                for contract in contracts:
                    contract["relatedBids"] = [bid_ids[won.consolidator]]
    release["tag"] = _tags(release)
    release["date"] = moment(max(aware(c) for c in changes if c is not None))
    release["id"] = f"{detail.reference}-{release['date'].replace('-', '').replace(':', '')}"
    release["parties"] = parties.list()
    return _ordered(release)


def _tags(release: dict[str, Any]) -> list[str]:
    tags = list(release["tag"])
    if release.get("awards"):
        tags.append("award")
    if release.get("contracts"):
        tags.append("contract")
        if any(c.get("implementation") for c in release["contracts"]):
            tags.append("implementation")
    return tags


_KEY_ORDER = ("ocid", "id", "date", "tag", "initiationType", "language", "parties", "buyer",
              "relatedProcesses", "tender", "bids", "awards", "contracts")  # fmt: skip


def _ordered(release: dict[str, Any]) -> dict[str, Any]:
    return {k: release[k] for k in _KEY_ORDER if k in release}


# --- orders ----------------------------------------------------------------------------------


def _order_rows(conn: Connection, order_ids: list[int]):
    return conn.execute(
        select(
            Order.id, Order.po_number, Order.agency_id, Order.consolidator_id, Order.lot_id,
            Order.sub_lta_id, Order.order_date, Order.currency, Order.status, Order.total,
            Order.updated_at, Order.created_at,
        )
        .where(Order.id.in_(order_ids))
        .order_by(Order.order_date, Order.po_number)
    ).all()  # fmt: skip


def _order_lines(conn: Connection, order_ids: list[int]) -> dict[int, list]:
    lines: dict[int, list] = defaultdict(list)
    for line in conn.execute(
        select(
            OrderLine.id, OrderLine.order_id, OrderLine.line_no, OrderLine.description,
            OrderLine.unspsc, OrderLine.unit, OrderLine.quantity, OrderLine.unit_price,
            OrderLine.amount,
        )
        .where(OrderLine.order_id.in_(order_ids))
        .order_by(OrderLine.order_id, OrderLine.line_no)
    ):  # fmt: skip
        lines[line.order_id].append(line)
    return lines


def _deliveries(conn: Connection, order_ids: list[int]) -> dict[int, list]:
    found: dict[int, list] = defaultdict(list)
    for d in conn.execute(
        select(Delivery.order_id, Delivery.order_line_id, Delivery.delivered_on,
               Delivery.quantity)
        .where(Delivery.order_id.in_(order_ids))
        .order_by(Delivery.order_id, Delivery.delivered_on, Delivery.id)
    ):  # fmt: skip
        found[d.order_id].append(d)
    return found


def delivered_values(lines: list, deliveries: list, currency: str) -> list[tuple[date, Decimal]]:
    """The value delivered per day: each delivery at the line's unit price, rounded to the
    currency's minor unit, the one completing a line taking what is left of its amount so
    that a fully delivered order's transactions add up to its lines to the cent."""
    by_line = {line.id: line for line in lines}
    delivered: dict[int, Decimal] = defaultdict(Decimal)
    valued: dict[int, Decimal] = defaultdict(Decimal)
    per_day: dict[date, Decimal] = defaultdict(Decimal)
    for d in deliveries:
        line = by_line.get(d.order_line_id)
        if line is None:
            continue
        delivered[line.id] += d.quantity
        if delivered[line.id] >= line.quantity:
            value = line.amount - valued[line.id]
        else:
            value = round_money(d.quantity * line.unit_price, currency)
        valued[line.id] += value
        per_day[d.delivered_on] += value
    return sorted(per_day.items())


def _contracts(
    conn: Connection,
    names: _Names,
    order_ids: list[int],
    award_id: str | None,
    lot: str,
    parties: _Parties,
) -> tuple[list[dict[str, Any]], datetime | None]:
    """A contract per placed order (the PO), its lines as items, deliveries as transactions."""
    if not order_ids:
        return [], None
    lines = _order_lines(conn, order_ids)
    deliveries = _deliveries(conn, order_ids)
    contracts = []
    last = None
    for order in _order_rows(conn, order_ids):
        if order.status == OrderStatus.draft.value:
            continue
        contracts.append(_contract(order, lines[order.id], deliveries[order.id], award_id or
                                   order.po_number, lot, names, parties))  # fmt: skip
        last = max(last, aware(order.updated_at)) if last else aware(order.updated_at)
    return contracts, last


def _contract(order, lines, deliveries, award_id, lot, names, parties) -> dict[str, Any]:
    contract: dict[str, Any] = {
        "id": order.po_number,
        "awardID": award_id,
        "title": f"Purchase order {order.po_number}",
        "status": _CONTRACT_STATUS.get(order.status, "active"),
        "value": _amount(order.total, order.currency),
        "dateSigned": moment(order.order_date),
        "items": [
            {
                "id": str(line.line_no),
                "description": line.description,
                "classification": {"scheme": "UNSPSC", "id": line.unspsc},
                "quantity": _number(line.quantity),
                "unit": {"name": line.unit, "value": _amount(line.unit_price, order.currency)},
                "relatedLot": lot,
            }
            for line in lines
        ],
    }
    values = delivered_values(lines, deliveries, order.currency)
    if values:
        payer = parties.add(names.agency(order.agency_id), "payer")
        payee = _supplier(parties, names, order.consolidator_id, "payee")
        contract["implementation"] = {
            "transactions": [
                {
                    "id": f"{order.po_number}-{day.isoformat()}",
                    "date": moment(day),
                    "value": _amount(value, order.currency),
                    "payer": payer,
                    "payee": payee,
                    "purchaseOrderID": order.po_number,
                }
                for day, value in values
            ]
        }
    return contract


def _direct_order_releases(
    conn: Connection, cfg, lta, names: _Names, query: OcdsFilter
) -> Iterator[dict[str, Any]]:
    stmt = (
        select(Order.id)
        .join(Agency, Agency.id == Order.agency_id)
        .where(
            Order.lta_id == lta.id,
            Order.channel == Channel.direct.value,
            Order.status != OrderStatus.draft.value,
        )
        .order_by(Order.order_date, Order.po_number)
    )
    if query.scope is not None:
        stmt = stmt.where(Agency.code == query.scope)
    if query.date_from:
        stmt = stmt.where(Order.order_date >= query.date_from)
    if query.date_to:
        stmt = stmt.where(Order.order_date <= query.date_to)
    ids = list(conn.execute(stmt).scalars())
    for start in range(0, len(ids), CHUNK):
        chunk = ids[start : start + CHUNK]
        lines = _order_lines(conn, chunk)
        deliveries = _deliveries(conn, chunk)
        for order in _order_rows(conn, chunk):
            yield _direct_order_release(cfg, lta, names, order, lines[order.id],
                                        deliveries[order.id])  # fmt: skip


def _direct_order_release(cfg, lta, names: _Names, order, lines, deliveries) -> dict[str, Any]:
    prefix = cfg.ocds.ocid_prefix
    parties = _Parties()
    buyer = parties.add(names.agency(order.agency_id), "buyer", "procuringEntity")
    supplier = _supplier(parties, names, order.consolidator_id, "supplier")
    lot_number, lot_title = names.lots[order.lot_id]
    lot = str(lot_number)
    sub_lta = names.sub_ltas.get(order.sub_lta_id) if order.sub_lta_id else None
    cancelled = order.status == OrderStatus.cancelled.value
    contract = _contract(order, lines, deliveries, order.po_number, lot, names, parties)
    award = {
        "id": order.po_number,
        "title": f"Direct order {order.po_number}"
        + (f" under sub-LTA {sub_lta}" if sub_lta else ""),
        "status": "cancelled" if cancelled else "active",
        "date": moment(order.order_date),
        "value": _amount(order.total, order.currency),
        "suppliers": [supplier],
        "relatedLots": [lot],
    }
    date_ = moment(max(aware(order.updated_at), aware(order.created_at)))
    release = {
        "ocid": f"{prefix}-{order.po_number}",
        "id": f"{order.po_number}-{date_.replace('-', '').replace(':', '')}",
        "date": date_,
        "tag": [],  # award, contract, implementation: `_tags`
        "initiationType": "tender",
        "language": "en",
        "parties": None,
        "buyer": buyer,
        "relatedProcesses": _framework_link(prefix, lta.reference, lot_number),
        "tender": {
            "id": order.po_number,
            "title": award["title"],
            "status": "cancelled" if cancelled else "complete",
            "procuringEntity": buyer,
            "procurementMethod": FIRST_STAGE_METHOD,
            "competitive": False,
            "mainProcurementCategory": "goods",
            "lots": [{"id": lot, "title": lot_title}],
        },
        "awards": [award],
        "contracts": [contract],
    }
    release["tag"] = _tags(release)
    release["parties"] = parties.list()
    return _ordered(release)


__all__ = [
    "CHUNK",
    "EXTENSIONS",
    "OCDS_VERSION",
    "OcdsError",
    "OcdsFilter",
    "delivered_values",
    "export_ocds",
    "iter_releases",
    "moment",
    "package_header",
    "release_package",
]
