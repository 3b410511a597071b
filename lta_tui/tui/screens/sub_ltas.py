"""Section 4: sub-LTAs (an agency's fixed-price catalogue with one consolidator) and, on enter,
one sub-LTA with its catalogue."""

from __future__ import annotations

from typing import TYPE_CHECKING

from rich.text import Text

from lta_tui.tui.screens.browse import BrowseScreen
from lta_tui.tui.screens.detail import DetailScreen
from lta_tui.tui.widgets import formats
from lta_tui.tui.widgets.browse_table import Cells, ColumnSpec
from lta_tui.tui.widgets.record_view import Block, Fields, Heading, Note, Table

if TYPE_CHECKING:
    from sqlalchemy.engine import Connection

    from lta_tui.services.browse import BrowseQuery, Page
    from lta_tui.services.browse_sub_ltas import SubLtaDetail, SubLtaRow


class SubLtasScreen(BrowseScreen):
    SECTION = "sub_ltas"
    SCOPED = True
    NOUN = "sub-LTAs"
    FILTER_HINT = "Filter: reference, agency, consolidator or currency…"
    HELP = (
        "Sub-LTAs: an agency's agreement with one consolidator to order catalogue items "
        "directly. Used is its consumption: the value of its orders that count as spend "
        "(issued, delivered or closed, in the sub-LTA's currency) against its ceiling; R15 "
        "warns at the configured % and refuses an order that would pass 100 % unless an "
        "amendment of the ceiling is recorded. Open one for the amounts, what remains and its "
        "catalogue."
    )
    COLUMNS = (
        ColumnSpec("reference", "Reference", 0, priority=0, min_width=19),
        ColumnSpec("agency", "Agency", 7, priority=6),
        ColumnSpec("consolidator", "Holder", 7, priority=1),
        ColumnSpec("valid_from", "From", 10, priority=6),
        ColumnSpec("valid_to", "Valid to", 10, priority=3),
        ColumnSpec("ceiling", "Ceiling", 20, priority=4, right=True),
        ColumnSpec("consumption", "Used", 8, priority=1, right=True),
    )

    def query_page(self, conn: Connection, query: BrowseQuery) -> Page:
        from lta_tui.services.browse_sub_ltas import list_sub_ltas

        return list_sub_ltas(conn, query, self.app.today())

    def cells(self, row: SubLtaRow) -> Cells:
        c = row.consumption
        pct = c.pct
        warn = pct is not None and pct >= self.app.config.rules.ceiling_warn_pct
        return {
            "reference": Text(row.reference, overflow="ellipsis", no_wrap=True),
            "agency": Text(row.agency),
            "consolidator": Text(row.consolidator),
            "valid_from": Text(formats.day(row.valid_from)),
            "valid_to": Text(formats.day(row.valid_to)),
            "ceiling": Text(formats.money(c.ceiling, c.currency), justify="right"),
            "consumption": Text(
                formats.percent(pct), justify="right", style="bold" if warn else ""
            ),
        }

    def open_record(self, key: str) -> None:
        self.app.push_screen(SubLtaDetailScreen(int(key)))


class SubLtaDetailScreen(DetailScreen):
    SECTION = "sub_ltas"
    NOUN = "sub-LTA"
    HELP = (
        "A sub-LTA: validity, its ceiling, what its orders consumed of it (in its currency) "
        "and what remains, and its catalogue of fixed prices."
    )

    def fetch(self, conn: Connection) -> SubLtaDetail:
        from lta_tui.services.browse_sub_ltas import sub_lta_detail

        return sub_lta_detail(conn, self.record_id, self.app.today())

    def describe(self, d: SubLtaDetail) -> list[Block]:
        c = d.consumption
        warn = c.pct is not None and c.pct >= self.app.config.rules.ceiling_warn_pct
        if c.currency == "USD":
            rate = "none needed: the ceiling is in USD"
        elif c.units_per_usd is not None:
            rate = f"{c.units_per_usd} {c.currency} per USD (UN ORE in force {self.app.today()})"
        else:
            rate = f"no UN operational rate for {c.currency} on {self.app.today()}"
        return [
            Heading(d.reference),
            Fields(
                [
                    ("Agency", f"{d.agency} · {d.agency_name}"),
                    ("Consolidator", f"{d.consolidator} · {d.consolidator_name}"),
                    ("Valid", f"{formats.day(d.valid_from)} – {formats.day(d.valid_to)}"),
                    ("Ceiling", formats.money(c.ceiling, c.currency)),
                    (
                        "Consumed",
                        f"{formats.money(c.consumed, c.currency)} in {d.orders:,} orders"
                        f" ({formats.percent(c.pct)} of the ceiling)",
                    ),
                    ("Remaining", formats.money(c.ceiling - c.consumed, c.currency)),
                    ("Rate", rate),
                    ("Ceiling in USD", formats.usd(c.ceiling_usd)),
                    ("Consumed in USD", f"{formats.usd(c.consumed_usd)} (at the orders' rates)"),
                ]
            ),
            *(
                [Note(f"R15: {formats.percent(c.pct)} of the ceiling is used.", alert=True)]
                if warn
                else []
            ),
            Heading(f"Catalogue ({len(d.items)} items)"),
            Table(
                ["SKU", "Description", "Lot>", "UNSPSC", "Unit", "Unit price>", "Valid to"],
                [
                    [
                        i.sku,
                        i.description,
                        str(i.lot),
                        i.unspsc,
                        i.unit,
                        formats.money(i.unit_price, i.currency),
                        formats.day(i.valid_to),
                    ]
                    for i in d.items
                ],
                empty="the catalogue is empty",
                flex=1,
                drop=(3, 6, 4, 2),
            ),
        ]
