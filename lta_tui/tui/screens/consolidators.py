"""Section 5: the consolidators holding the LTA's lots and, on enter, one holder's lots."""

from __future__ import annotations

from typing import TYPE_CHECKING

from rich.text import Text

from lta_tui.tui.screens.browse import BrowseScreen
from lta_tui.tui.screens.detail import DetailScreen
from lta_tui.tui.widgets import formats
from lta_tui.tui.widgets.browse_table import Cells, ColumnSpec
from lta_tui.tui.widgets.record_view import Block, Fields, Heading, Table

if TYPE_CHECKING:
    from sqlalchemy.engine import Connection

    from lta_tui.services.browse import BrowseQuery, Page
    from lta_tui.services.browse_consolidators import ConsolidatorDetail, ConsolidatorRow


class ConsolidatorsScreen(BrowseScreen):
    SECTION = "consolidators"
    NOUN = "consolidators"
    FILTER_HINT = "Filter: code, name, country or eligibility…"
    HELP = (
        "The IT consolidators holding the LTA's lots. Only eligible holders of a lot, on the "
        "day, may be invited or ordered from (R1, R17). Open one for its lot holdings."
    )
    COLUMNS = (
        ColumnSpec("code", "Code", 8, priority=0),
        ColumnSpec("name", "Name", 0, priority=1, min_width=16),
        ColumnSpec("country", "Country", 7, priority=3),
        ColumnSpec("eligibility", "Eligibility", 22, priority=2),
        ColumnSpec("lots", "Lots held today", 15, priority=1, sortable=False),
    )

    def query_page(self, conn: Connection, query: BrowseQuery) -> Page:
        from lta_tui.services.browse_consolidators import list_consolidators

        return list_consolidators(conn, query, self.app.today())

    def cells(self, row: ConsolidatorRow) -> Cells:
        eligibility = formats.label(row.eligibility)
        if row.eligibility_since:
            eligibility += f" since {formats.day(row.eligibility_since)}"
        return {
            "code": Text(row.code),
            "name": Text(row.name, overflow="ellipsis", no_wrap=True),
            "country": Text(row.country),
            "eligibility": Text(eligibility),
            "lots": Text(row.lots or "none"),
        }

    def open_record(self, key: str) -> None:
        self.app.push_screen(ConsolidatorDetailScreen(int(key)))


class ConsolidatorDetailScreen(DetailScreen):
    SECTION = "consolidators"
    NOUN = "consolidator"
    HELP = "A consolidator: eligibility and the lots it holds, with their periods."

    def fetch(self, conn: Connection) -> ConsolidatorDetail:
        from lta_tui.services.browse_consolidators import consolidator_detail

        return consolidator_detail(conn, self.record_id, self.app.today())

    def describe(self, d: ConsolidatorDetail) -> list[Block]:
        eligibility = formats.label(d.eligibility)
        if d.eligibility_since:
            eligibility += f" since {formats.day(d.eligibility_since)}"
        fields = [
            ("Name", d.name),
            ("Country", d.country),
            ("Eligibility", eligibility),
        ]
        if d.eligibility_reason:
            fields.append(("Reason", d.eligibility_reason))
        fields.append(("Sub-LTAs", f"{d.sub_ltas:,}"))
        return [
            Heading(f"{d.code} · {d.name}"),
            Fields(fields),
            Heading("Lot holdings"),
            Table(
                ["Lot>", "Scope", "From", "To", "Today"],
                [
                    [
                        str(h.lot),
                        h.lot_title,
                        formats.day(h.active_from),
                        formats.day(h.active_to) if h.active_to else "end of LTA",
                        "active" if h.active else "ended" if h.active_to else "not yet",
                    ]
                    for h in d.holdings
                ],
                empty="holds no lot",
                flex=1,
            ),
        ]
