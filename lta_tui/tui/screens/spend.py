"""Section 7: spend. A summary of the USD spend of the orders that count (issued, partially
delivered, delivered, closed), grouped by any dimensions, for one period at a time, with a
chart of spend by month, by lot or by consolidator.

`[` `]` step the period, `p` changes its size, `g` the grouping, `/` filters, `c` changes the
chart, `enter` opens the orders behind a row, `x` exports, `f` UNGM feedback, `m`
reconciliation. The report is read by a thread worker (`services.spend.spend_report`); the
total shown is the report's own (the rows add up to it to the cent)."""

from __future__ import annotations

from dataclasses import dataclass
from decimal import Decimal
from pathlib import Path
from typing import TYPE_CHECKING, Any, ClassVar

from rich.text import Text
from textual import events, on, work
from textual.app import ComposeResult
from textual.binding import Binding, BindingType
from textual.containers import Container, Horizontal, Vertical
from textual.geometry import Size
from textual.message import Message
from textual.widgets import DataTable, Header, Static

from lta_tui.domain.periods import PeriodSize, SpendPeriod, period_of, step_period
from lta_tui.services.order_filter import FilterError, OrderFilter, Vocabulary
from lta_tui.tui.screens.base import SectionScreen
from lta_tui.tui.screens.orders import OrderFilterInput, OrdersScreen
from lta_tui.tui.screens.spend_dialogs import (
    SPEND_FILTER_HELP,
    SpendWords,
    order_filter_text,
    parse_spend_filter,
)
from lta_tui.tui.widgets.charts import BarChart, ColumnChart
from lta_tui.tui.widgets.section_bar import SectionBar
from lta_tui.tui.widgets.tables import Column, fill_table

if TYPE_CHECKING:
    from datetime import date

    from lta_tui.services.spend import SpendQuery, SpendReport

_HERE = Path(__file__).parent
#: The period sizes `p` goes through, in turn.
SIZES = (
    PeriodSize.month,
    PeriodSize.quarter,
    PeriodSize.year,
    PeriodSize.contract_year,
    PeriodSize.all,
)
#: The charts `c` goes through: the dimension each is grouped by.
CHARTS = ("month", "lot", "consolidator")
#: Rows shown at most (the export has them all).
MAX_ROWS = 5000
#: From this many columns on, the chart stands beside the table instead of under it.
WIDE = 140
#: ... and from this many lines on, all three charts are shown there.
TALL = 36
#: The chart's width beside the table (spend.tcss).
CHART_WIDTH = 56
#: The width of the figures with the goods and services columns (DataTable padding included).
SPLIT_FIGURES = 80
_FIGURES = ("Orders", "Lines", "Goods USD", "Services USD", "Spend USD", "Share")
_SPLIT = ("Goods USD", "Services USD")
_CHANNELS = {"mini_competition": "competition"}
#: Dimension names as the head line shows them.
_SHORT = {"contract_year": "contract year", "kind": "goods/services"}


def usd(value: Decimal) -> str:
    """An amount in USD as the table shows it: thousands separators, cents."""
    return f"{value:,.2f}"


def share(part: Decimal, whole: Decimal) -> str:
    if whole <= 0:
        return ""
    return f"{(part * 100 / whole).quantize(Decimal('0.1')):,}%"


def period_title(period: SpendPeriod) -> str:
    if period.size is PeriodSize.all:
        return "All time"
    if period.size is PeriodSize.contract_year:
        return f"LTA year {period.label}"
    return period.label


def month_series(period: SpendPeriod, values: dict[str, Decimal]) -> list[tuple[str, Decimal]]:
    """Every month of the period (of the data for all time) with its spend, 0 when none."""
    if period.start is not None and period.end is not None:
        first, last = (period.start.year, period.start.month), (period.end.year, period.end.month)
    elif values:
        low, high = min(values), max(values)
        first = (int(low[:4]), int(low[5:7]))
        last = (int(high[:4]), int(high[5:7]))
    else:
        return []
    months = []
    year, month = first
    while (year, month) <= last:
        label = f"{year:04d}-{month:02d}"
        months.append((label, values.get(label, Decimal(0))))
        year, month = (year + 1, 1) if month == 12 else (year, month + 1)
    return months


@dataclass(frozen=True)
class Charts:
    month: list[tuple[str, Decimal]]
    lot: list[tuple[str, Decimal]]
    consolidator: list[tuple[str, Decimal]]


#: `[` and `]` share one footer entry.
_STEP = Binding.Group("Period", compact=True)


class SpendScreen(SectionScreen):
    CSS_PATH = _HERE / "spend.tcss"
    SECTION = "spend"
    SCOPED = True
    OWN_RECORDS = True
    AUTO_FOCUS = "#spend-table"
    HELP = (
        "USD spend of the orders that count (issued, partially delivered, delivered, closed) "
        "at the rates stored with each order; goods and services by line, an order's "
        "goods/services classification by R21 (services only when its service lines exceed "
        "its goods lines). "
        "Period: [ and ] step back and forward; p changes its size: month, quarter, calendar "
        "year, LTA contract year (from the LTA's start day), all time. "
        "g chooses the grouping: space toggles a dimension, in the order picked (agency, lot, "
        "consolidator, year, quarter, month, contract year, country, channel, goods/services), "
        "enter applies. "
        f"/ filters: {SPEND_FILTER_HELP}; commas list alternatives, enter applies, esc clears. "
        "enter on a row opens the orders behind it (the TOTAL row: all of them) with the "
        "filter that selects them; their USD sum is shown above the list, esc comes back. "
        "c changes the chart: spend by month, by lot, by consolidator. "
        "x exports this summary (csv, xlsx, json, md) or the order lines behind it (csv, "
        "xlsx); esc during the export cancels it and no file is left. "
        "f opens the UNGM feedback, m the reconciliation with consolidator reports."
    )
    BINDINGS: ClassVar[list[BindingType]] = [
        Binding("left_square_bracket", "step(-1)", "Previous period", key_display="[", group=_STEP),
        Binding("right_square_bracket", "step(1)", "Next period", key_display="]", group=_STEP),
        Binding("p", "period_size", "Size", tooltip="Month, quarter, year, LTA year, all"),
        Binding("g", "grouping", "Group", tooltip="Choose the dimensions to group by"),
        Binding("slash", "filter", "Filter", tooltip="Narrow the spend (esc clears)"),
        Binding("c", "chart", "Chart", tooltip="Spend by month, lot, consolidator"),
        Binding("x", "export", "Export", tooltip="Write the summary or its order lines"),
        Binding("f", "feedback", "UNGM feedback", show=False),
        # the head line names the scope; the footer keeps to the keys of this screen at 80 cols
        Binding("a", "all_agencies", "All agencies", show=False),
        Binding("a", "own_agency", "Own agency", show=False),
        Binding("m", "reconciliation", "Reconciliation", show=False),
    ]

    class Loaded(Message):
        def __init__(self, generation: int, report: SpendReport) -> None:
            super().__init__()
            self.generation, self.report = generation, report

    class ChartsLoaded(Message):
        def __init__(self, generation: int, charts: Charts) -> None:
            super().__init__()
            self.generation, self.charts = generation, charts

    class Refused(Message):
        """The query cannot run (SpendQueryError): the message is for the user."""

        def __init__(self, generation: int, reason: str) -> None:
            super().__init__()
            self.generation, self.reason = generation, reason

    class _Known(Message):
        def __init__(self, vocabulary: Vocabulary) -> None:
            super().__init__()
            self.vocabulary = vocabulary

    def __init__(self) -> None:
        super().__init__()
        self.period: SpendPeriod | None = None
        self.group_by: tuple[str, ...] = ("agency",)
        self.words = SpendWords()
        self.chart = 0
        #: Whether the goods and services columns are shown (room enough).
        self.split = True
        #: Whether all three charts are shown (beside the table, the screen tall enough).
        self.all_charts = False
        self._room = 80  # the table's width
        self.report: SpendReport | None = None
        self.charts: Charts | None = None
        self._generation = 0
        self._shown = -1  # the generation whose figures are shown
        self._loaded_words = SpendWords()  # the filter of the figures shown
        self._vocabulary: Vocabulary | None = None

    # --- layout -------------------------------------------------------------------------

    def compose_body(self) -> ComposeResult:
        with Vertical(id="spend-filter-box", classes="-hidden"):
            yield OrderFilterInput(
                placeholder=f"{SPEND_FILTER_HELP}  (enter: apply, esc: clear)",
                id="spend-filter",
                compact=True,
            )
            yield Static("", id="spend-filter-error", markup=False)
        with Horizontal(id="spend-top"):
            yield Static("", id="spend-head", markup=False)
            yield Static("", id="spend-total", markup=False)
        with Container(id="spend-body"):
            yield DataTable(id="spend-table", cursor_type="row", zebra_stripes=True)
            with Vertical(id="spend-chart"):
                yield ColumnChart("Spend by month", unit="USD", id="chart-month")
                yield BarChart("Spend by lot", unit="USD", keep_order=True, id="chart-lot")
                yield BarChart("Spend by consolidator", unit="USD", id="chart-consolidator")

    def on_mount(self) -> None:
        self.period = period_of(self.app.today(), PeriodSize.year, self.contract_start)
        self._show_chart()
        self._fit(self.app.size)
        self._show_head()
        self.table.loading = True
        super().on_mount()

    def on_resize(self, event: events.Resize) -> None:
        self._fit(event.size)

    def _fit(self, size: Size) -> None:
        """The chart beside the table from WIDE columns on (all three charts when the screen
        is tall enough), under it otherwise; goods and services columns when the table has
        room for them."""
        wide = size.width >= WIDE
        self.query_one("#spend-body").set_class(wide, "-wide")
        self.all_charts = wide and size.height >= TALL
        self._show_chart()
        self._room = size.width - CHART_WIDTH - 2 if wide else size.width - 2
        if self.report is not None and self._split(self.report) != self.split:
            self._fill_table(self.report)

    def _split(self, report: SpendReport) -> bool:
        """Whether the table has room for the goods and services columns."""
        from lta_tui.services.spend import DIMENSION_TITLES

        keys = 0
        for i, name in enumerate(report.query.group_by):
            longest = max((len(_key(name, r.keys[i])) for r in report.rows[:MAX_ROWS]), default=0)
            keys += max(longest, len(DIMENSION_TITLES[name]), 5) + 2
        return keys + SPLIT_FIGURES <= self._room

    @property
    def ready(self) -> bool:
        """The figures shown are those of the latest request (nothing is loading)."""
        return self._shown == self._generation

    @property
    def table(self) -> DataTable:
        return self.query_one("#spend-table", DataTable)

    @property
    def contract_start(self) -> date:
        return self.app.config.lta.valid_from

    # --- loading ------------------------------------------------------------------------

    def spend_query(self) -> SpendQuery:
        """The query of what the screen shows: grouping, period, filter words."""
        from lta_tui.services.spend import SpendQuery

        assert self.period is not None
        words = self.words
        return SpendQuery(
            group_by=self.group_by,
            date_from=self.period.start,
            date_to=self.period.end,
            agencies=words.agencies,
            lots=words.lots,
            consolidators=words.consolidators,
            countries=words.countries,
            channels=words.channels,
            kinds=words.kinds,
        )

    def reload(self) -> None:
        super().reload()
        self._generation += 1
        # The first load covers the empty table; later ones keep the figures shown (and the
        # table focusable) until the new ones land, the head saying "loading…".
        self.table.loading = self.report is None
        self.table.add_class("-stale")
        self._show_head()
        assert self.period is not None
        self._load(self._generation, self.spend_query(), self.period, self.scope)

    @work(thread=True, exclusive=True, group="spend", exit_on_error=False)
    def _load(
        self, generation: int, query: SpendQuery, period: SpendPeriod, scope: str | None
    ) -> None:
        from dataclasses import replace

        from textual.worker import get_current_worker

        from lta_tui.services.order_browse import load_vocabulary
        from lta_tui.services.spend import SpendQueryError, spend_report

        app = self.app
        config = app.config
        engine = app.engine()
        if self._vocabulary is None:
            self.post_message(self._Known(load_vocabulary(engine)))

        def report(q: SpendQuery) -> SpendReport:
            return spend_report(
                conn,
                q,
                scope=scope,
                contract_start=config.lta.valid_from,
                role=config.user.role.value,
                lta=config.lta.reference,
            )

        worker = get_current_worker()
        try:
            with engine.connect() as conn:
                main = report(query)
                self.post_message(self.Loaded(generation, main))  # the table first
                by: dict[str, SpendReport] = {}
                for name in CHARTS:
                    if worker.is_cancelled:  # a newer load has started
                        return
                    one = replace(query, group_by=(name,))
                    by[name] = main if query.group_by == (name,) else report(one)
        except SpendQueryError as exc:
            self.post_message(self.Refused(generation, str(exc)))
            return
        months = {r.keys[0]: r.spend_usd for r in by["month"].rows}
        charts = Charts(
            month=month_series(period, months),
            lot=[(f"Lot {r.keys[0]}", r.spend_usd) for r in by["lot"].rows],
            consolidator=[(r.keys[0], r.spend_usd) for r in by["consolidator"].rows],
        )
        self.post_message(self.ChartsLoaded(generation, charts))

    def load_failed(self) -> None:
        self.table.loading = False
        self.table.remove_class("-stale")
        self._shown = self._generation
        self._show_head()

    @on(_Known)
    def _known(self, message: _Known) -> None:
        self._vocabulary = message.vocabulary

    @on(Refused)
    def _refused(self, message: Refused) -> None:
        if message.generation != self._generation:
            return
        self.table.loading = False
        self.table.remove_class("-stale")
        self._shown = self._generation
        self.words = self._loaded_words  # the head names what the figures shown are of
        self._show_head()
        self._open_filter_box()
        self._set_filter_error(message.reason)

    @on(Loaded)
    def _loaded(self, message: Loaded) -> None:
        if message.generation != self._generation:
            return  # a newer load follows
        self.report = message.report
        self._loaded_words = self.words
        self._fill_table(message.report)
        self.table.loading = False
        self.table.remove_class("-stale")
        self._shown = self._generation
        self._show_head()

    @on(ChartsLoaded)
    def _charts_loaded(self, message: ChartsLoaded) -> None:
        if message.generation == self._generation:
            self.charts = message.charts
            self._fill_charts(message.charts)

    # --- showing ------------------------------------------------------------------------

    def _fill_table(self, report: SpendReport) -> None:
        from lta_tui.services.spend import DIMENSION_TITLES

        table = self.table
        at = table.cursor_row
        self.split = self._split(report)
        shown = [t for t in _FIGURES if self.split or t not in _SPLIT]
        columns: list[Column] = [(DIMENSION_TITLES[n], n) for n in report.query.group_by]
        columns += [(Text(title, justify="right"), title) for title in shown]
        whole = report.total.spend_usd
        rows = []
        for i, row in enumerate(report.rows[:MAX_ROWS]):
            keys = [
                Text(_key(name, key))
                for name, key in zip(report.query.group_by, row.keys, strict=True)
            ]
            figures = _figures(row, share(row.spend_usd, whole))
            rows.append((str(i), [*keys, *(Text(figures[t], justify="right") for t in shown)]))
        keys = [Text("TOTAL", style="bold")] + [Text("")] * (len(report.query.group_by) - 1)
        figures = _figures(report.total, "100.0%" if whole > 0 else "")
        cells = (Text(figures[t], justify="right", style="bold") for t in shown)
        rows.append(("total", [*keys, *cells]))
        fill_table(table, columns, rows)
        table.move_cursor(row=min(at, table.row_count - 1))

    def row_figures(self, key: str) -> dict[str, str]:
        """The figures of row `key` (its index, or "total") as the table shows them."""
        table = self.table
        titles = [str(c.label) for c in table.columns.values()]
        return dict(zip(titles, (str(c) for c in table.get_row(key)), strict=True))

    def _fill_charts(self, charts: Charts) -> None:
        scope = self.scope or "all agencies"
        label = period_title(self.period) if self.period else ""
        self.query_one("#chart-month", ColumnChart).set_data(
            charts.month, title=f"Spend by month · {label} · {scope}"
        )
        self.query_one("#chart-lot", BarChart).set_data(
            charts.lot, title=f"Spend by lot · {label} · {scope}"
        )
        self.query_one("#chart-consolidator", BarChart).set_data(
            charts.consolidator, title=f"Spend by consolidator · {label} · {scope}"
        )

    def _show_chart(self) -> None:
        for i, name in enumerate(CHARTS):
            self.query_one(f"#chart-{name}").display = self.all_charts or i == self.chart

    def _show_head(self) -> None:
        period = self.period
        parts = [period_title(period) if period else ""]
        parts.append("by " + ", ".join(_SHORT.get(d, d) for d in self.group_by))
        if self.words.text:
            parts.append(self.words.text)
        parts.append(self.scope or "all agencies")
        self.query_one("#spend-head", Static).update(" · ".join(parts))
        report = self.report
        if report is None or not self.ready:
            total = "loading…"
        else:
            total = f"Total {usd(report.total.spend_usd)} USD · {report.total.orders:,} orders"
            if len(report.rows) > MAX_ROWS:
                total = f"first {MAX_ROWS:,} of {len(report.rows):,} rows (x exports all) · {total}"
        self.query_one("#spend-total", Static).update(total)

    @property
    def total_text(self) -> str:
        """The total as the head shows it."""
        return str(self.query_one("#spend-total", Static).render())

    # --- keys -----------------------------------------------------------------------------

    def action_step(self, steps: int) -> None:
        if self.period is None:
            return
        if self.period.size is PeriodSize.all:
            self.notify("All time has no period before or after: p changes the size.", timeout=3)
            return
        self.period = step_period(self.period, steps, self.contract_start)
        self._reload_when_ready()

    def action_period_size(self) -> None:
        if self.period is None:
            return
        size = SIZES[(SIZES.index(self.period.size) + 1) % len(SIZES)]
        self.period = period_of(self._anchor(), size, self.contract_start)
        self._reload_when_ready()

    def _anchor(self) -> date:
        """The day a new period size is taken around: today when in the period shown."""
        today = self.app.today()
        period = self.period
        if period is None or period.start is None or period.end is None:
            return today
        return today if period.start <= today <= period.end else period.start

    def _reload_when_ready(self) -> None:
        if self.app.database_ready:
            self.reload()
        else:
            self._show_head()

    def action_chart(self) -> None:
        if self.all_charts:
            self.notify("All three charts are shown beside the table.", timeout=3)
            return
        self.chart = (self.chart + 1) % len(CHARTS)
        self._show_chart()

    def action_grouping(self) -> None:
        from lta_tui.services.spend import DIMENSION_TITLES, DIMENSIONS
        from lta_tui.tui.screens.spend_dialogs import GroupingDialog

        def chosen(group_by: tuple[str, ...] | None) -> None:
            if group_by and group_by != self.group_by:
                self.group_by = group_by
                self._reload_when_ready()

        self.app.push_screen(GroupingDialog(self.group_by, DIMENSIONS, DIMENSION_TITLES), chosen)

    def action_filter(self) -> None:
        self._open_filter_box()
        self.query_one("#spend-filter", OrderFilterInput).focus()

    def _open_filter_box(self) -> None:
        self.query_one("#spend-filter-box").remove_class("-hidden")

    @on(OrderFilterInput.Closed)
    def _filter_closed(self, event: OrderFilterInput.Closed) -> None:
        self.query_one("#spend-filter-box").add_class("-hidden")
        self._set_filter_error("")
        self.table.focus()
        if self.words.text:
            self.words = SpendWords()
            self._reload_when_ready()

    @on(OrderFilterInput.Submitted, "#spend-filter")
    def _filter_submitted(self, event: OrderFilterInput.Submitted) -> None:
        event.stop()
        try:
            words = parse_spend_filter(event.value, self._vocabulary)
        except FilterError as exc:
            self._set_filter_error(str(exc))
            return
        self._set_filter_error("")
        if not words.text:
            self.query_one("#spend-filter-box").add_class("-hidden")
        self.table.focus()
        if words != self.words or words.text != self.words.text:
            self.words = words
            self._reload_when_ready()

    def _set_filter_error(self, message: str) -> None:
        error = self.query_one("#spend-filter-error", Static)
        error.update(message)
        error.set_class(bool(message), "-visible")

    @property
    def filter_error(self) -> str:
        return str(self.query_one("#spend-filter-error", Static).render())

    @on(DataTable.RowSelected, "#spend-table")
    def _row_selected(self, event: DataTable.RowSelected) -> None:
        self.drill(str(event.row_key.value))

    def drill(self, key: str) -> None:
        """Open the orders behind row `key` (its index, or "total") over this screen."""
        from lta_tui.services.spend import SpendQueryError, drill_filter

        report = self.report
        if report is None or not self.ready:
            return
        if key == "total":
            row_keys: dict[str, str] = {}
            spend, orders, label = report.total.spend_usd, report.total.orders, "Total"
        else:
            row = report.rows[int(key)]
            row_keys = dict(zip(report.query.group_by, row.keys, strict=True))
            spend, orders = row.spend_usd, row.orders
            label = " · ".join(_key(n, k) for n, k in row_keys.items())
            if len(row_keys) == 1 and report.query.group_by[0] == "lot":
                label = f"Lot {label}"
        try:
            narrowed = drill_filter(report.query, row_keys, contract_start=self.contract_start)
            if self.period is not None and self.period.size is not PeriodSize.all:
                label = f"{label} · {period_title(self.period)}"
            screen = SpendOrdersScreen(order_filter_text(narrowed), label, spend, orders)
        except (SpendQueryError, FilterError) as exc:
            self.notify(str(exc), title="Cannot open these orders", severity="error", markup=False)
            return
        self.app.push_screen(screen)

    def action_export(self) -> None:
        from lta_tui.exports.tabular import TABLE_FORMATS
        from lta_tui.tui.screens.spend_dialogs import ExportDialog, ExportJob

        report = self.report
        if report is None or not self.ready or self.period is None:
            self.notify("The spend is still loading.", timeout=3)
            return
        try:
            from lta_tui.services.spend_export import SPEND_FORMATS
        except ImportError:  # pragma: no cover - written beside this screen
            SPEND_FORMATS = ("csv", "xlsx", "json", "md")
        scope = f"{report.scope}-" if report.scope else ""
        period = self.period.label.replace("/", "-")
        job = ExportJob(
            report=report,
            engine=self.app.engine,
            summary_stem=f"spend-{scope}{period}-by-{'-'.join(report.query.group_by)}",
            lines_stem=f"spend-lines-{scope}{period}",
            role=self.app.config.user.role.value,
        )
        self.app.push_screen(ExportDialog(job, SPEND_FORMATS, TABLE_FORMATS))

    def action_feedback(self) -> None:
        self._push("lta_tui.tui.screens.feedback", "FeedbackScreen", "UNGM feedback")

    def action_reconciliation(self) -> None:
        self._push("lta_tui.tui.screens.reconciliation", "ReconciliationScreen", "Reconciliation")

    def _push(self, module: str, name: str, what: str) -> None:
        import importlib

        try:
            screen = getattr(importlib.import_module(module), name)()
        except (ImportError, AttributeError):
            self.notify(f"{what} is not available in this version.", severity="warning")
            return
        self.app.push_screen(screen)


def _figures(row: Any, share_text: str) -> dict[str, str]:
    """A report row's (or the total's) figures as the table shows them, by column title."""
    return {
        "Orders": f"{row.orders:,}",
        "Lines": f"{row.lines:,}",
        "Goods USD": usd(row.goods_usd),
        "Services USD": usd(row.services_usd),
        "Spend USD": usd(row.spend_usd),
        "Share": share_text,
    }


def _key(dimension: str, key: str) -> str:
    """A row key as the table shows it."""
    if dimension == "channel":
        return _CHANNELS.get(key, key)
    return key


class SpendOrdersScreen(OrdersScreen):
    """The orders behind one row of the spend summary: the Orders list with the filter that
    selects them, in the Spend section, and above it their count and USD sum next to the row's
    (they agree to the cent). `esc` comes back to the summary."""

    CSS_PATH = [_HERE / "orders.tcss", _HERE / "spend.tcss"]  # type: ignore[assignment]
    SUB_TITLE = None
    BINDINGS: ClassVar[list[BindingType]] = [
        Binding("escape", "back", "Back to spend", key_display="esc"),
    ]

    class _Summed(Message):
        def __init__(self, generation: int, orders: int | None, usd: Decimal | None, error: str):
            super().__init__()
            self.generation, self.orders, self.usd, self.error = generation, orders, usd, error

    def __init__(self, filter_text: str, label: str, spend: Decimal, orders: int) -> None:
        super().__init__(filter_text)
        self.label = label
        self.spend = spend
        self.orders = orders
        self.preset = filter_text
        #: (orders, USD) of the list as filtered now, once summed.
        self.summed: tuple[int, Decimal] | None = None
        self._generation = 0

    def compose(self) -> ComposeResult:
        for widget in super().compose():
            yield widget
            if isinstance(widget, Header):
                yield SectionBar("spend")
                yield Static("", id="drill-head", markup=False)

    def filter_shown(self, flt: OrderFilter) -> None:
        self._generation += 1
        self.summed = None
        self._head(" · summing the list…")
        self._sum(self._generation, flt, self.app)

    @work(thread=True, exclusive=True, group="spend-drill", exit_on_error=False)
    def _sum(self, generation: int, flt: OrderFilter, app: Any) -> None:
        from lta_tui.services.order_browse import orders_usd

        try:
            orders, total = orders_usd(app.engine(), flt)
        except Exception as exc:  # the list shows its own error; the head says why
            self.post_message(self._Summed(generation, None, None, str(exc)))
            return
        self.post_message(self._Summed(generation, orders, total, ""))

    @on(_Summed)
    def _summed(self, message: _Summed) -> None:
        if message.generation != self._generation:
            return
        if message.orders is None or message.usd is None:
            self._head(f" · could not sum the list: {message.error}")
            return
        self.summed = (message.orders, message.usd)
        if self.summed == (self.orders, self.spend):
            self._head(" = this list")
        else:
            self._head(f" · this list: {message.orders:,} orders · {usd(message.usd)} USD")

    def _head(self, check: str) -> None:
        """`label: orders · USD` of the spend row, then how the list compares (`check`)."""
        row = f"{self.label}: {self.orders:,} orders · {usd(self.spend)} USD"
        self.query_one("#drill-head", Static).update(f"{row}{check}")

    def _scope(self) -> str | None:
        return self.app.records_scope  # the spend's scope (R26), as on the summary

    def check_action(self, action: str, parameters: tuple[object, ...]) -> bool | None:
        if action in ("all_agencies", "own_agency") and not self.app.reads_every_agency:
            return action == "all_agencies"  # `a` says why (R26)
        return super().check_action(action, parameters)

    def action_all_agencies(self) -> None:
        if not self.app.reads_every_agency:
            self.notify(self.app.records_refusal(), severity="warning", markup=False)
            return
        super().action_all_agencies()

    def action_back(self) -> None:
        self.dismiss()
