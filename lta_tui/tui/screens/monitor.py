"""Section 8: the monitor of the two worries of the founding document: too little competition
among the holders (`h`, competition health per lot and period, R22) and prices that move
between projects (`p`, unit-price history per catalogue item or UNSPSC commodity, R23).

`l` cycles the lot (all, 1–5), `[` `]` step the period and `s` changes its size (year, quarter,
month, LTA contract year, the R22 window of the configured months, all time); in the prices view
`k` switches between catalogue items and UNSPSC commodities and `enter` shows the highlighted
one's history. Figures are read by thread workers (`services.health`, `services.prices`).
"""

from __future__ import annotations

from decimal import Decimal
from pathlib import Path
from typing import TYPE_CHECKING, ClassVar

from rich.text import Text
from textual import events, on, work
from textual.app import ComposeResult
from textual.binding import Binding, BindingType
from textual.containers import Vertical, VerticalScroll
from textual.message import Message
from textual.widgets import ContentSwitcher, DataTable, Static

from lta_tui.tui.screens.base import SectionScreen
from lta_tui.tui.widgets.charts import BarChart, ColumnChart
from lta_tui.tui.widgets.tables import Column, fill_table

if TYPE_CHECKING:
    from datetime import date

    from lta_tui.services.health import HealthReport, MonitorPeriod
    from lta_tui.services.prices import PriceHistory, PricePoint, PriceRanking

HEALTH, PRICES = "health", "prices"
_HEALTH_COLUMNS: list[Column] = [
    (title, None)
    for title in ("Holder", "Invited", "Offers", "Valid", "Wins", "Win %", "Spend USD", "Spend %")
]
_POINT_COLUMNS: list[Column] = [
    (title, None) for title in ("R23", "Date", "Agency", "Holder", "USD", "Unit price", "Qty", "PO")
]
#: The lots `l` goes through before the LTA's own are read.
_LOTS = (1, 2, 3, 4, 5)
_SIZE_TITLES = {
    "year": "year",
    "quarter": "quarter",
    "month": "month",
    "contract_year": "LTA year",
    "window": "R22 window",
    "all": "all time",
}
#: From this many rows on, the price chart gets taller.
TALL = 40


def usd(value: Decimal | None) -> str:
    return "—" if value is None else f"{value:,.2f}"


def pct(value: Decimal | None) -> str:
    return "—" if value is None else f"{value:.1f} %"


def period_text(period: MonitorPeriod) -> str:
    if period.size == "all":
        return "all time"
    if period.size == "contract_year":
        return f"LTA year {period.label}"
    if period.size == "window":
        return f"{period.label} (R22 window)"
    return period.label


def _count(n: int, noun: str) -> str:
    return f"{n:,} {noun}{'' if n == 1 else 's'}"


def health_summary(report: HealthReport) -> str:
    """The competition figures and the indexes, as the lines above the table."""
    from lta_tui.services.health import hhi_reading

    r = report
    lines = [
        f"{_count(r.competitions, 'competition')} issued ({r.opened:,} opened,"
        f" {r.cancelled:,} cancelled) · {_count(r.offers, 'offer')}, {r.valid_offers:,} valid"
        f" · {r.average_valid_offers if r.average_valid_offers is not None else '—'}"
        f" valid offers per opened competition"
        f" · single-offer {r.single_offer:,} ({pct(r.single_offer_share)})",
        f"Spend {usd(r.spend_usd)} USD · HHI of spend shares"
        f" {_index(r.hhi_spend)} {hhi_reading(r.hhi_spend)}"
        f" · HHI of wins {_index(r.hhi_wins)} {hhi_reading(r.hhi_wins)}"
        + (f" · floor {r.hhi_floor:,} with {r.lot_holders} holders" if r.hhi_floor else ""),
    ]
    leaders = []
    if (winner := r.top_winner) is not None:
        leaders.append(
            f"Most wins: {winner.code}, {winner.wins} of {r.awards} ({pct(winner.win_share)})"
        )
    if (spender := r.top_spender) is not None:
        leaders.append(f"most spend: {spender.code}, {pct(spender.spend_share)}")
    if leaders:
        lines.append(" · ".join(leaders))
    if any(not h.holder for h in r.holders):
        lines.append("* not holding the lot in the period")
    return "\n".join(lines)


def _index(value: int | None) -> str:
    return "—" if value is None else f"{value:,}"


class MonitorScreen(SectionScreen):
    CSS_PATH = Path(__file__).with_name("monitor.tcss")
    SECTION = "monitor"
    SCOPED = True
    HELP = (
        "Two worries of the founding document: too little competition among the holders, and "
        "prices that move between projects. h shows competition health, p the prices. "
        "l cycles the lot (all lots, 1 to 5); [ and ] step the period back and forward; s "
        "changes its size: calendar year, quarter, month, LTA contract year, the R22 window "
        "(the configured months, default 12, ending on the day) and all time. a switches "
        "between your agency and all agencies. "
        "HEALTH: the competitions issued in the period (a draft never ran; one cancelled after "
        "its issue counts), the holders invited and the offers they sent; an offer is valid "
        "once opened when on time (R6) and compliant. Average valid offers and single-offer "
        "competitions (one valid offer or none) count the opened competitions. Wins are the "
        "awards of those competitions; spend is the USD of the lot's orders dated in the "
        "period (issued, delivered or closed; competitions and direct orders). The "
        "Herfindahl–Hirschman index (HHI) adds up the squared shares in percent, 0 to 10,000: "
        "below 1,500 unconcentrated, 1,500 to 2,500 moderately, above 2,500 highly "
        "concentrated; with four holders even equal shares give 2,500 (three: 3,333), the floor "
        "shown. R22 warns when a holder has more than the configured % (default 50) of a lot's "
        "spend over the configured months (default 12) ending with the period. "
        "PRICES: the catalogue items (by SKU) or UNSPSC commodities whose unit prices R23 flags "
        "most, among the 100 most bought in the period; k switches items and commodities. A "
        "price is a goods line of an order that counts, in USD at the order's stored rate "
        "(R20); the median is every agency's; R23 flags a price more than the configured % "
        "(default 15) from it. enter shows the highlighted one: its mean USD price per month "
        "and its newest 200 prices, R23 marking those flagged (▲ above, ▼ below the median). A "
        'focal point sees other agencies\' prices as "other", without their purchase order.'
    )
    BINDINGS: ClassVar[list[BindingType]] = [
        Binding("h", "view('health')", "Health", tooltip="Competition health per lot"),
        Binding("p", "view('prices')", "Prices", tooltip="Unit prices that move (R23)"),
        Binding("l", "lot", "Lot", tooltip="All lots, lot 1 … lot 5"),
        Binding("left_square_bracket", "step(-1)", "Earlier period", key_display="[",
                show=False, tooltip="The period before"),
        Binding("right_square_bracket", "step(1)", "Later period", key_display="]",
                show=False, tooltip="The period after"),
        Binding("s", "period_size", "Period", tooltip="Year, quarter, month, LTA year, R22"
                " window, all time"),
        Binding("k", "kind", "Items/codes", tooltip="Catalogue items or UNSPSC commodities"),
        Binding("f", "flagged", "Flagged prices only / all", show=False,
                tooltip="List only the prices R23 flags, or every price"),
    ]  # fmt: skip

    class HealthLoaded(Message):
        def __init__(self, generation: int, report: HealthReport, lots: list[int]) -> None:
            super().__init__()
            self.generation, self.report, self.lots = generation, report, lots

    class RankingLoaded(Message):
        def __init__(self, generation: int, ranking: PriceRanking) -> None:
            super().__init__()
            self.generation, self.ranking = generation, ranking

    class HistoryLoaded(Message):
        def __init__(self, generation: int, history: PriceHistory) -> None:
            super().__init__()
            self.generation, self.history = generation, history

    def __init__(self) -> None:
        super().__init__()
        self.view = HEALTH
        self.lot: int | None = None
        self.lots: list[int] = list(_LOTS)
        self.period: MonitorPeriod | None = None
        self.kind = "item"
        self.flagged_only = False
        self.health: HealthReport | None = None
        self.ranking: PriceRanking | None = None
        self.history: PriceHistory | None = None
        self._generation = 0
        self._stale = {HEALTH: True, PRICES: True}

    # --- layout -------------------------------------------------------------------------

    def compose_body(self) -> ComposeResult:
        yield Static("", id="monitor-head", markup=False)
        with ContentSwitcher(initial=HEALTH, id="monitor-views"):
            with VerticalScroll(id=HEALTH, can_focus=True):
                yield Static("", id="health-warnings", markup=False)
                yield Static("", id="health-summary", markup=False)
                yield DataTable(id="health-table", cursor_type="none", zebra_stripes=True)
                yield BarChart("Spend share by consolidator", unit="USD", id="health-chart")
            with Vertical(id=PRICES):
                yield DataTable(id="prices-ranked", cursor_type="row", zebra_stripes=True)
                yield Static("", id="prices-title", markup=False)
                yield ColumnChart("Mean unit price per month", unit="USD", mean=True,
                                  from_zero=False, id="prices-chart")  # fmt: skip
                yield DataTable(id="prices-points", cursor_type="row", zebra_stripes=True)
                yield Static("", id="prices-note", markup=False)

    def on_mount(self) -> None:
        from lta_tui.services.health import monitor_period

        rules = self.app.config.rules
        self.period = monitor_period(
            self.app.today(),
            "year",
            contract_start=self.contract_start,
            window_months=rules.concentration_months,
        )
        self._fit(self.app.size.height)
        self._show_head()
        self.query_one("#health", VerticalScroll).loading = True
        self.query_one("#health-table").can_focus = False
        super().on_mount()
        self.query_one(f"#{HEALTH}").focus()

    def on_resize(self, event: events.Resize) -> None:
        self._fit(event.size.height)

    def _fit(self, height: int) -> None:
        self.query_one(f"#{PRICES}").set_class(height >= TALL, "-tall")

    @property
    def contract_start(self) -> date:
        return self.app.config.lta.valid_from

    # --- keys ---------------------------------------------------------------------------

    def check_action(self, action: str, parameters: tuple[object, ...]) -> bool | None:
        if action == "view":
            return parameters[:1] != (self.view,)
        if action in ("kind", "flagged"):
            return self.view == PRICES
        return super().check_action(action, parameters)

    def action_view(self, view: str) -> None:
        if view == self.view:
            return
        self.view = view
        self.query_one("#monitor-views", ContentSwitcher).current = view
        self.refresh_bindings()
        self._show_head()
        self.call_after_refresh(self._focus_view)
        if self._stale[view] and self.app.database_ready:
            self._load_view()

    def _focus_view(self) -> None:
        self.query_one(f"#{HEALTH}" if self.view == HEALTH else "#prices-ranked").focus()

    def action_lot(self) -> None:
        choices: list[int | None] = [None, *self.lots]
        index = choices.index(self.lot) if self.lot in choices else 0
        self.lot = choices[(index + 1) % len(choices)]
        self._changed()

    def action_step(self, steps: int) -> None:
        from lta_tui.services.health import step_monitor_period

        assert self.period is not None
        self.period = step_monitor_period(
            self.period,
            steps,
            contract_start=self.contract_start,
            window_months=self.app.config.rules.concentration_months,
        )
        self._changed()

    def action_period_size(self) -> None:
        from lta_tui.services.health import monitor_period, next_size

        assert self.period is not None
        day = self.period.end or self.app.today()
        day = min(day, self.app.today())
        self.period = monitor_period(
            day,
            next_size(self.period.size),
            contract_start=self.contract_start,
            window_months=self.app.config.rules.concentration_months,
        )
        self._changed()

    def action_kind(self) -> None:
        self.kind = "commodity" if self.kind == "item" else "item"
        self._changed()

    def action_flagged(self) -> None:
        self.flagged_only = not self.flagged_only
        if self.history is not None:
            self._select(self.history.key)

    def _changed(self) -> None:
        self._show_head()
        self.action_reload()

    # --- loading ------------------------------------------------------------------------

    def reload(self) -> None:
        super().reload()
        self._generation += 1
        self._stale = {HEALTH: True, PRICES: True}
        self._show_head()
        self._load_view()

    def _load_view(self) -> None:
        self._stale[self.view] = False
        assert self.period is not None
        scope = self.app.agency_scope
        if self.view == HEALTH:
            self.query_one(f"#{HEALTH}").loading = True
            self._load_health(self._generation, self.lot, self.period, scope)
        else:
            self.ranking = None  # enter waits for the new list
            self.query_one("#prices-ranked").loading = True
            self._load_ranking(self._generation, self.kind, self.lot, self.period, scope)

    def load_failed(self) -> None:
        for selector in (f"#{HEALTH}", "#prices-ranked", "#prices-points"):
            self.query_one(selector).loading = False

    @work(thread=True, exclusive=True, group="monitor-health", exit_on_error=False)
    def _load_health(
        self, generation: int, lot: int | None, period: MonitorPeriod, scope: str | None
    ) -> None:
        from lta_tui.services.health import competition_health, lot_numbers

        rules = self.app.config.rules
        with self.app.engine().connect() as conn:
            report = competition_health(
                conn,
                lot=lot,
                period=period,
                scope=scope,
                today=self.app.today(),
                contract_start=self.contract_start,
                concentration_pct=rules.concentration_pct,
                concentration_months=rules.concentration_months,
            )
            lots = lot_numbers(conn)
        self.post_message(self.HealthLoaded(generation, report, lots))

    @work(thread=True, exclusive=True, group="monitor-ranking", exit_on_error=False)
    def _load_ranking(
        self, generation: int, kind: str, lot: int | None, period: MonitorPeriod, scope
    ) -> None:
        from lta_tui.services.prices import PriceWhere, moving_prices

        where = PriceWhere(period.start, period.end, lot)
        with self.app.engine().connect() as conn:
            ranking = moving_prices(
                conn,
                kind,
                where=where,
                scope=scope,
                threshold_pct=self.app.config.rules.price_deviation_pct,
            )
        self.post_message(self.RankingLoaded(generation, ranking))

    @work(thread=True, exclusive=True, group="monitor-history", exit_on_error=False)
    def _load_history(
        self, generation: int, ranking: PriceRanking, key: str, flagged_only: bool
    ) -> None:
        from lta_tui.services.order_types import Actor
        from lta_tui.services.prices import price_history

        with self.app.engine().connect() as conn:
            history = price_history(
                conn,
                ranking.kind,
                key,
                where=ranking.where,
                scope=ranking.scope,
                viewer=Actor.from_config(self.app.config),
                threshold_pct=ranking.threshold_pct,
                flagged_only=flagged_only,
            )
        self.post_message(self.HistoryLoaded(generation, history))

    # --- showing ------------------------------------------------------------------------

    def _show_head(self) -> None:
        scope = self.app.agency_scope or "all agencies"
        lot = "all lots" if self.lot is None else f"lot {self.lot}"
        period = period_text(self.period) if self.period else ""
        size = _SIZE_TITLES.get(self.period.size, "") if self.period else ""
        if self.view == HEALTH:
            what = "Competition health"
        else:
            what = "Prices of " + ("catalogue items" if self.kind == "item" else "UNSPSC codes")
        self.query_one("#monitor-head", Static).update(
            f"{what} · {lot} · {period} · {scope} · [ ] {size} · l lot"
        )

    @on(HealthLoaded)
    def _show_health(self, message: HealthLoaded) -> None:
        if message.generation != self._generation:
            return
        self.lots = message.lots or list(_LOTS)
        report = self.health = message.report
        warnings = self.query_one("#health-warnings", Static)
        if report.concentration:
            warnings.update("\n".join(f"⚠ {f.message}" for f in report.concentration))
        else:
            warnings.update(
                f"R22: no holder above {report.concentration_pct} % of a lot's spend"
                f" from {report.window}"
            )
        warnings.set_class(bool(report.concentration), "-warning")
        self.query_one("#health-summary", Static).update(health_summary(report))
        rows: list[tuple[str, list[Text]]] = [
            (
                h.code,
                [
                    Text(h.code + ("" if h.holder else "*")),
                    *(
                        Text(f"{n:,}", justify="right")
                        for n in (h.invited, h.responded, h.valid, h.wins)
                    ),
                    Text(pct(h.win_share), justify="right"),
                    Text(usd(h.spend_usd), justify="right"),
                    Text(pct(h.spend_share), justify="right"),
                ],
            )
            for h in report.holders
        ]
        totals = (
            sum(h.invited for h in report.holders),
            report.offers,
            report.valid_offers,
            report.awards,
        )
        rows.append(
            (
                "TOTAL",
                [
                    Text("TOTAL", style="bold"),
                    *(Text(f"{n:,}", justify="right", style="bold") for n in totals),
                    Text("100.0 %" if report.awards else "—", justify="right", style="bold"),
                    Text(usd(report.spend_usd), justify="right", style="bold"),
                    Text("100.0 %" if report.spend_usd else "—", justify="right", style="bold"),
                ],
            )
        )
        fill_table(self.query_one("#health-table", DataTable), _HEALTH_COLUMNS, rows)
        lot = "all lots" if report.lot is None else f"lot {report.lot}"
        self.query_one("#health-chart", BarChart).set_data(
            [(h.code, h.spend_usd) for h in report.holders if h.spend_usd],
            title=f"Spend share by consolidator, {lot}, {period_text(report.period)}",
        )
        self.query_one(f"#{HEALTH}").loading = False

    @on(RankingLoaded)
    def _show_ranking(self, message: RankingLoaded) -> None:
        if message.generation != self._generation:
            return
        ranking = self.ranking = message.ranking
        table = self.query_one("#prices-ranked", DataTable)
        noun = "Item" if ranking.kind == "item" else "UNSPSC"
        width = max(self.size.width - 66, 12)
        titles = (noun, "Description", "Lines", "R23", "Median USD", "Min", "Max")
        rows = [
            (
                row.key,
                [
                    Text(row.key),
                    Text(row.description[:width], overflow="ellipsis", no_wrap=True),
                    Text(f"{row.lines:,}", justify="right"),
                    Text(f"{row.flagged:,}", justify="right", style="bold" if row.flagged else ""),
                    Text(usd(row.median_usd), justify="right"),
                    Text(usd(row.min_usd), justify="right"),
                    Text(usd(row.max_usd), justify="right"),
                ],
            )
            for row in ranking.rows
        ]
        fill_table(table, [(title, None) for title in titles], rows)
        table.loading = False
        if self.view == PRICES:
            self.call_after_refresh(self._focus_view)
        if ranking.rows:
            self._select(ranking.rows[0].key)
        else:
            self.history = None
            self._show_history(None)

    @on(DataTable.RowSelected, "#prices-ranked")
    def _row_selected(self, event: DataTable.RowSelected) -> None:
        if event.row_key.value is not None:
            self._select(str(event.row_key.value))

    def _select(self, key: str) -> None:
        if self.ranking is None:
            return
        self.query_one("#prices-points").loading = True
        self._load_history(self._generation, self.ranking, key, self.flagged_only)

    @on(HistoryLoaded)
    def _history_loaded(self, message: HistoryLoaded) -> None:
        if message.generation != self._generation:
            return
        self.history = message.history
        self._show_history(message.history)

    def _show_history(self, history: PriceHistory | None) -> None:
        title = self.query_one("#prices-title", Static)
        chart = self.query_one("#prices-chart", ColumnChart)
        table = self.query_one("#prices-points", DataTable)
        fill_table(table, _POINT_COLUMNS, [])
        table.loading = False
        self.query_one("#prices-note", Static).update("")
        if history is None:
            title.update("Nothing bought in the period.")
            chart.set_data([])
            return
        shown = len(history.points)
        title.update(
            f"{history.key} {history.description} · {history.lines:,} prices, median"
            f" {usd(history.median_usd)} USD (min {usd(history.min_usd)}, max"
            f" {usd(history.max_usd)}) · R23 flags {history.flagged:,} of"
            f" {history.scoped_lines:,} beyond {history.threshold_pct} %"
            + (
                f" · the newest {shown:,} flagged listed (f: all)"
                if history.flagged_only
                else f" · the newest {shown:,} listed (f: flagged only)"
            )
        )
        chart.set_data(history.monthly, title=f"{history.key}: mean unit price per month")
        cells = (self._point_cells(point, history.median_usd) for point in history.points)
        fill_table(table, _POINT_COLUMNS, ((None, row) for row in cells))

    @staticmethod
    def _point_cells(point: PricePoint, median: Decimal | None) -> list[Text]:
        mark = ""
        if point.flagged:
            mark = "R23" + ("▲" if median is not None and point.unit_price_usd > median else "▼")
        style = "bold" if point.flagged else ""
        return [
            Text(mark, style=style),
            Text(point.order_date.isoformat()),
            Text(point.agency),
            Text(point.consolidator),
            Text(usd(point.unit_price_usd), justify="right", style=style),
            Text(f"{point.unit_price:,.2f} {point.currency}", justify="right"),
            Text(f"{point.quantity.normalize():,f}", justify="right"),
            Text(point.po_number or "—"),
        ]

    @on(DataTable.RowHighlighted, "#prices-points")
    def _point_highlighted(self, event: DataTable.RowHighlighted) -> None:
        history = self.history
        if history is None or not 0 <= event.cursor_row < len(history.points):
            return
        point = history.points[event.cursor_row]
        self.query_one("#prices-note", Static).update(
            point.finding
            or f"{point.order_date} {point.agency}: within {history.threshold_pct} % of the median"
        )
