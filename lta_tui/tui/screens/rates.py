"""Section 6: UN operational rates of exchange and, on enter, one currency's history."""

from __future__ import annotations

from typing import TYPE_CHECKING

from rich.text import Text
from textual.app import ComposeResult
from textual.containers import VerticalScroll
from textual.widgets import Sparkline

from lta_tui.tui.screens.browse import BrowseScreen
from lta_tui.tui.screens.detail import DetailScreen
from lta_tui.tui.widgets import formats
from lta_tui.tui.widgets.browse_table import Cells, ColumnSpec
from lta_tui.tui.widgets.record_view import Block, Fields, Heading, RecordView, Table

if TYPE_CHECKING:
    from sqlalchemy.engine import Connection

    from lta_tui.services.browse import BrowseQuery, Page
    from lta_tui.services.browse_rates import RateRow


class RatesScreen(BrowseScreen):
    SECTION = "rates"
    NOUN = "rates"
    FILTER_HINT = "Filter: currency (EUR, KES …) or source…"
    HELP = (
        "UN operational rates of exchange (units of a currency per USD, effective-dated). "
        "A non-USD amount converts with the latest rate on or before the date that counts (R20). "
        "Open a rate for the history of its currency."
    )
    COLUMNS = (
        ColumnSpec("currency", "Currency", 8, priority=0),
        ColumnSpec("effective_date", "Effective", 10, priority=0),
        ColumnSpec("units_per_usd", "Units per USD", 18, priority=1, right=True),
        ColumnSpec("source", "Source", 0, priority=2, min_width=10),
    )

    def query_page(self, conn: Connection, query: BrowseQuery) -> Page:
        from lta_tui.services.browse_rates import list_rates

        return list_rates(conn, query)

    def cells(self, row: RateRow) -> Cells:
        return {
            "currency": Text(row.currency),
            "effective_date": Text(formats.day(row.effective_date)),
            "units_per_usd": Text(f"{row.units_per_usd:,.6f}", justify="right"),
            "source": Text(row.source, overflow="ellipsis", no_wrap=True),
        }

    def open_record(self, key: str) -> None:
        rows = self.page.rows if self.page else []
        currency = next((r.currency for r in rows if str(r.id) == key), None)
        if currency:
            self.app.push_screen(RateHistoryScreen(currency))


class RateHistoryScreen(DetailScreen):
    SECTION = "rates"
    NOUN = "rate history"
    HELP = "Every UN operational rate of one currency, newest first, with its trend."

    def __init__(self, currency: str) -> None:
        super().__init__(0)
        self.currency = currency

    def compose_body(self) -> ComposeResult:
        with VerticalScroll(id="detail", can_focus=True):
            yield RecordView(id="record")
            yield Sparkline([], id="trend")
            yield RecordView(id="history")

    def fetch(self, conn: Connection) -> list[RateRow]:
        from lta_tui.services.browse_rates import rate_history

        return rate_history(conn, self.currency)

    def describe(self, rates: list[RateRow]) -> list[Block]:
        # The trend is drawn, not computed on: floats are fine for a sparkline.
        self.query_one("#trend", Sparkline).data = [float(r.units_per_usd) for r in rates]
        self.query_one("#history", RecordView).show(
            [
                Table(
                    ["Effective", "Units per USD>", "Source"],
                    [
                        [formats.day(r.effective_date), f"{r.units_per_usd:,.6f}", r.source]
                        for r in reversed(rates)
                    ],
                    empty="no rates",
                )
            ]
        )
        if not rates:
            return [Heading(f"{self.currency} per USD"), Fields([("Rates", "none")])]
        low = min(rates, key=lambda r: r.units_per_usd)
        high = max(rates, key=lambda r: r.units_per_usd)
        return [
            Heading(f"{self.currency} per USD"),
            Fields(
                [
                    (
                        "Rates",
                        f"{len(rates):,}, {rates[0].effective_date} – {rates[-1].effective_date}",
                    ),
                    ("Latest", f"{rates[-1].units_per_usd:,.6f} from {rates[-1].effective_date}"),
                    ("Lowest", f"{low.units_per_usd:,.6f} on {low.effective_date}"),
                    ("Highest", f"{high.units_per_usd:,.6f} on {high.effective_date}"),
                ]
            ),
        ]
