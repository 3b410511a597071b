"""Section 5: the consolidators holding the LTA's lots with their scorecard and, on enter, one
holder's lots and scorecard by agency.

The scorecard averages the performance reviews dated in a period (the current year at first):
`[` and `]` step the period back and forward, `p` switches between a year and a quarter, `a`
between the user's agency and all agencies.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from rich.text import Text
from textual.binding import Binding

from lta_tui.tui.screens.browse import BrowseScreen
from lta_tui.tui.screens.detail import DetailScreen
from lta_tui.tui.widgets import formats
from lta_tui.tui.widgets.browse_table import Cells, ColumnSpec
from lta_tui.tui.widgets.record_view import Block, Fields, Heading, Note, Table

if TYPE_CHECKING:
    from decimal import Decimal

    from sqlalchemy.engine import Connection

    from lta_tui.services.browse import BrowseQuery, Page
    from lta_tui.services.browse_consolidators import ConsolidatorDetail, ConsolidatorRow
    from lta_tui.services.scorecard import Period, Scores

#: Scorecard columns: (criterion of `services.scorecard.CRITERIA`, short header).
_SCORE_COLUMNS = (
    ("on_time_delivery", "Time"),
    ("quantity", "Qty"),
    ("conformity", "Spec"),
    ("responsiveness", "Resp"),
    ("after_sales", "After"),
)
_SCALE = "1 poor · 2 fair · 3 good · 4 very good"
_PERIOD_HELP = (
    "[ and ] step the scorecard's period back and forward, p switches it between a year and a "
    "quarter."
)


def _score(value: Decimal | None) -> str:
    return "—" if value is None else f"{value:.2f}"


class _PeriodKeys:
    """The scorecard's period and the keys that change it, for the list and the detail."""

    PERIOD_BINDINGS = [
        Binding("left_square_bracket", "period(-1)", "Earlier period", key_display="[",
                show=False, tooltip="The scorecard of the period before"),
        Binding("right_square_bracket", "period(1)", "Later period", key_display="]",
                show=False, tooltip="The scorecard of the period after"),
        Binding("p", "period_size('quarter')", "By quarter", tooltip="The scorecard of a quarter"),
        Binding("p", "period_size('year')", "By year", tooltip="The scorecard of a whole year"),
    ]  # fmt: skip

    _period: Period | None = None

    @property
    def period(self) -> Period:
        """The current year until a key changes it."""
        if self._period is None:
            from lta_tui.services.scorecard import Period

            self._period = Period.containing(self.app.today())  # type: ignore[attr-defined]
        return self._period

    @period.setter
    def period(self, value: Period) -> None:
        self._period = value

    def action_period(self, steps: int) -> None:
        self.period = self.period.shifted(steps)
        self.period_changed()

    def action_period_size(self, size: str) -> None:
        if size != self.period.size:
            self.period = self.period.resized(self.app.today())  # type: ignore[attr-defined]
            self.period_changed()

    def period_changed(self) -> None:
        self.refresh_bindings()  # type: ignore[attr-defined]
        self.action_reload()  # type: ignore[attr-defined]

    def check_period_key(self, action: str, parameters: tuple[object, ...]) -> bool | None:
        """Of the two `p` bindings, the one to the size the period is not; None: not ours."""
        if action != "period_size":
            return None
        return parameters[:1] != (self.period.size,)


class ConsolidatorsScreen(_PeriodKeys, BrowseScreen):
    SECTION = "consolidators"
    SCOPED = True  # the scorecard: the user's agency's reviews or every agency's
    NOUN = "consolidators"
    FILTER_HINT = "Filter: code, name, country or eligibility…"
    HELP = (
        "The IT consolidators holding the LTA's lots, with their scorecard: the number of "
        "performance reviews of delivered orders dated in the period, the average of each "
        f"criterion ({_SCALE}) and overall. Time = on-time delivery, Qty = quantity, Spec = "
        "conformity to specification, Resp = responsiveness, After = after-sales/warranty. "
        f"{_PERIOD_HELP} a shows your agency's reviews or every agency's. Only eligible holders "
        "of a lot, on the day, may be invited or ordered from (R1, R17). Open one for its lot "
        "holdings and its scorecard by agency."
    )
    COLUMNS = (
        ColumnSpec("code", "Code", 8, priority=0),
        ColumnSpec("name", "Name", 0, priority=1, min_width=18),
        ColumnSpec("country", "Country", 7, priority=5),
        ColumnSpec("eligibility", "Eligibility", 22, priority=2),
        ColumnSpec("lots", "Lots held today", 15, priority=3, sortable=False),
        ColumnSpec("reviews", "Reviews", 7, priority=1, right=True),
        *(
            ColumnSpec(key, label, 5, priority=4, right=True, sortable=False)
            for key, label in _SCORE_COLUMNS
        ),
        ColumnSpec("overall", "Overall", 7, priority=1, right=True),
    )
    BINDINGS = [
        *_PeriodKeys.PERIOD_BINDINGS,
        Binding("S", "reverse_sort", "Reverse", key_display="S", show=False,
                tooltip="Reverse the order"),  # the footer keeps room for the period keys
    ]  # fmt: skip

    def check_action(self, action: str, parameters: tuple[object, ...]) -> bool | None:
        mine = self.check_period_key(action, parameters)
        return super().check_action(action, parameters) if mine is None else mine

    def query_page(self, conn: Connection, query: BrowseQuery) -> Page:
        from lta_tui.services.browse_consolidators import list_consolidators

        return list_consolidators(conn, query, self.app.today(), self.period)

    def cells(self, row: ConsolidatorRow) -> Cells:
        eligibility = formats.label(row.eligibility)
        if row.eligibility_since:
            eligibility += f" since {formats.day(row.eligibility_since)}"
        s = row.scores
        return {
            "code": Text(row.code),
            "name": Text(row.name, overflow="ellipsis", no_wrap=True),
            "country": Text(row.country),
            "eligibility": Text(eligibility),
            "lots": Text(row.lots or "none"),
            "reviews": Text(f"{s.reviews:,}", justify="right"),
            **{k: Text(_score(s.of(k)), justify="right") for k, _ in _SCORE_COLUMNS},
            "overall": Text(_score(s.overall), justify="right", style="bold"),
        }

    def _describe(self, page: Page) -> str:
        whose = f"{self.app.agency_scope} only" if self.app.agency_scope else "all agencies"
        parts = [
            f"{page.total:,} {self.NOUN}",
            f"scores {self.period.label}, {whose}",
            "[ ] period",
        ]
        if self.filter_text.strip():
            parts.append(f"filter “{self.filter_text.strip()}”")
        label = next((c.label for c in self.COLUMNS if c.key == page.sort), page.sort)
        parts.append(f"sorted by {label.lower()} {'▼' if page.descending else '▲'}")
        return " · ".join(parts)

    def open_record(self, key: str) -> None:
        self.app.push_screen(ConsolidatorDetailScreen(int(key), self.period))


class ConsolidatorDetailScreen(_PeriodKeys, DetailScreen):
    SECTION = "consolidators"
    NOUN = "consolidator"
    HELP = (
        "A consolidator: eligibility, the lots it holds with their periods, and its scorecard "
        f"for the period by agency ({_SCALE}). {_PERIOD_HELP}"
    )
    BINDINGS = _PeriodKeys.PERIOD_BINDINGS

    def check_action(self, action: str, parameters: tuple[object, ...]) -> bool | None:
        mine = self.check_period_key(action, parameters)
        return super().check_action(action, parameters) if mine is None else mine

    def __init__(self, record_id: int, period: Period | None = None) -> None:
        super().__init__(record_id)
        self._period = period

    def fetch(self, conn: Connection) -> ConsolidatorDetail:
        from lta_tui.services.browse_consolidators import consolidator_detail

        return consolidator_detail(conn, self.record_id, self.app.today(), self.period)

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
            *_scorecard_blocks(d),
        ]


def _scorecard_blocks(d: ConsolidatorDetail) -> list[Block]:
    from lta_tui.services.scorecard import CRITERIA

    p = d.period
    blocks: list[Block] = [
        Heading(f"Scorecard {p.label} ({formats.day(p.start)} – {formats.day(p.end)})"),
        Note(f"Reviews of delivered orders, each criterion {_SCALE}. [ ] change the period."),
    ]
    if not d.scores.reviews:
        return [*blocks, Note(f"No reviews dated in {p.label}.")]
    blocks.append(
        Fields(
            [
                ("Reviews", f"{d.scores.reviews:,}"),
                *((label, _score(d.scores.of(key))) for key, label in CRITERIA),
                ("Overall", _score(d.scores.overall)),
            ]
        )
    )
    rows = [[a.agency, *_score_cells(a.scores)] for a in d.by_agency]
    rows.append(["All agencies", *_score_cells(d.scores)])
    blocks += [
        Heading(f"By agency, {p.label}"),
        Table(
            ["Agency", "Reviews>", *(f"{label}>" for _, label in _SCORE_COLUMNS), "Overall>"],
            rows,
        ),
    ]
    return blocks


def _score_cells(s: Scores) -> list[str]:
    return [f"{s.reviews:,}", *(_score(s.of(k)) for k, _ in _SCORE_COLUMNS), _score(s.overall)]
