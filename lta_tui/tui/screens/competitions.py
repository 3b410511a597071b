"""Section 2: mini-competitions (secondary bidding rounds)."""

from __future__ import annotations

from typing import TYPE_CHECKING

from rich.text import Text
from textual.binding import Binding

from lta_tui.tui.screens.browse import BrowseScreen
from lta_tui.tui.widgets import formats
from lta_tui.tui.widgets.browse_table import Cells, ColumnSpec

if TYPE_CHECKING:
    from sqlalchemy.engine import Connection

    from lta_tui.services.browse import BrowseQuery, Page
    from lta_tui.services.browse_competitions import CompetitionRow


class CompetitionsScreen(BrowseScreen):
    SECTION = "competitions"
    SCOPED = True
    NOUN = "competitions"
    FILTER_HINT = "Filter: reference, title, agency or status words…"
    HELP = (
        "Every mini-competition of the LTA: the agency's secondary bidding rounds among the "
        "holders of a lot. Offers stay sealed until the opening is recorded: their prices are "
        "never shown before. Open a competition for its requirement, invitations, offers, award "
        "and order. n prepares a new competition."
    )
    BINDINGS = [
        Binding("n", "new_competition", "New competition", tooltip="Prepare a new competition"),
    ]
    COLUMNS = (
        ColumnSpec("reference", "Reference", 18, priority=0),
        ColumnSpec("agency", "Agency", 7, priority=4),
        ColumnSpec("lot", "Lot", 3, priority=3, right=True),
        ColumnSpec("title", "Title", 0, priority=1, min_width=19),
        ColumnSpec("status", "Status", 12, priority=2),
        ColumnSpec("deadline", "Deadline", 16, priority=2),
        ColumnSpec("invited", "Inv.", 4, priority=5, right=True),
        ColumnSpec("offers", "Offers", 6, priority=5, right=True),
    )

    def query_page(self, conn: Connection, query: BrowseQuery) -> Page:
        from lta_tui.services.browse_competitions import list_competitions

        return list_competitions(conn, query, self.app.now())  # as the detail reads it

    def cells(self, row: CompetitionRow) -> Cells:
        deadline = row.deadline.strftime("%Y-%m-%d %H:%M") if row.deadline else "—"
        return {
            "reference": Text(row.reference),
            "agency": Text(row.agency),
            "lot": Text(str(row.lot), justify="right"),
            "title": Text(row.title, overflow="ellipsis", no_wrap=True),
            "status": Text(formats.label(row.status)),
            "deadline": Text(deadline),
            "invited": Text(str(row.invited), justify="right"),
            "offers": Text(str(row.offers), justify="right"),
        }

    def open_record(self, key: str) -> None:
        from lta_tui.tui.screens.competition_detail import CompetitionDetailScreen

        self.app.push_screen(CompetitionDetailScreen(int(key)))

    def action_new_competition(self) -> None:
        """The competition form; once a new competition is saved the list is read again (the
        form opens the competition's detail over it)."""
        from lta_tui.tui.screens.competition_form import CompetitionFormScreen

        def saved(result) -> None:
            if result is not None:
                self.reload()

        self.app.push_screen(CompetitionFormScreen(), saved)
