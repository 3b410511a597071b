"""Section 1: the dashboard. This year's spend by lot and by holder as bar charts, open
competitions by deadline, orders awaiting delivery, sub-LTAs near their ceiling or end.

`enter` on a list item opens its record (`esc` comes back); `a` switches between the own
agency and all agencies.
"""

from __future__ import annotations

import re
from pathlib import Path
from typing import TYPE_CHECKING

from rich.text import Text
from textual import events, on, work
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Grid, Vertical
from textual.message import Message
from textual.widgets import OptionList, Static
from textual.widgets.option_list import Option

from lta_tui.tui.screens.base import SectionScreen
from lta_tui.tui.screens.dashboard_lists import (
    ListLines,
    awaiting_lines,
    competition_lines,
    sub_lta_lines,
)
from lta_tui.tui.widgets.bar_chart import Bar, BarChart

if TYPE_CHECKING:
    from lta_tui.services.dashboard import Dashboard


class JumpList(OptionList):
    """A dashboard list; `enter` opens the highlighted item's record."""

    BINDINGS = [Binding("enter", "select", "Open", show=True)]

    class Resized(Message):
        """The list's width changed: its columns may need to come or go."""

    def on_resize(self, event: events.Resize) -> None:
        self.post_message(self.Resized())


def short_title(title: str) -> str:
    """A lot's title up to its first comma, "and" or parenthesis: `Networking`, `Printers`."""
    return re.split(r",| and | \(", title, maxsplit=1)[0].strip() or title


class DashboardScreen(SectionScreen):
    CSS_PATH = Path(__file__).with_name("dashboard.tcss")
    SECTION = "dashboard"
    SCOPED = True
    HELP = (
        "What needs attention today. Spend is this calendar year's, in USD at the rates stored "
        "with each order (issued, delivered or closed orders; services counted beside goods). "
        "Open competitions are listed by deadline, soonest first. Orders awaiting delivery are "
        "issued or partially delivered, largest first. Sub-LTAs are listed when their "
        "consumption reaches the configured % of the ceiling or they end within the configured "
        "days. Tab moves between lists; enter opens the item, esc comes back."
    )

    class Loaded(Message):
        def __init__(self, dashboard: Dashboard) -> None:
            super().__init__()
            self.dashboard = dashboard

    def __init__(self) -> None:
        super().__init__()
        self.dashboard: Dashboard | None = None

    def compose_body(self) -> ComposeResult:
        with Grid(id="dashboard"):
            with Vertical(id="spend-lot", classes="panel"):
                yield BarChart(id="by-lot", empty="loading…")
            with Vertical(id="spend-holder", classes="panel"):
                yield BarChart(id="by-holder", empty="loading…")
            with Vertical(id="competitions", classes="panel"):
                yield Static(id="competitions-head", classes="list-head", markup=False)
                yield JumpList(id="competitions-list")
            with Vertical(id="awaiting", classes="panel"):
                yield Static(id="awaiting-head", classes="list-head", markup=False)
                yield JumpList(id="awaiting-list")
            with Vertical(id="sub-ltas", classes="panel"):
                yield Static(id="sub-ltas-head", classes="list-head", markup=False)
                yield JumpList(id="sub-ltas-list")

    def on_mount(self) -> None:
        self._titles(None)
        self.query_one("#dashboard").loading = True
        super().on_mount()

    def reload(self) -> None:
        super().reload()
        self._load(self.app.agency_scope)

    @work(thread=True, exclusive=True, group="dashboard", exit_on_error=False)
    def _load(self, agency: str | None) -> None:
        from lta_tui.services.dashboard import load_dashboard

        rules = self.app.config.rules
        with self.app.engine().connect() as conn:
            board = load_dashboard(
                conn,
                today=self.app.today(),
                now=self.app.now(),
                agency=agency,
                ceiling_warn_pct=rules.ceiling_warn_pct,
                expiry_warn_days=rules.expiry_warn_days,
            )
        self.post_message(self.Loaded(board))

    def load_failed(self) -> None:
        self.query_one("#dashboard").loading = False

    @on(Loaded)
    def _show(self, message: Loaded) -> None:
        board = message.dashboard
        if board.agency != self.app.agency_scope:
            return  # the scope changed while loading; the newer load follows
        self.dashboard = board
        self._titles(board)
        self.query_one("#by-lot", BarChart).update(
            [Bar(f"{b.key} {short_title(b.label)}", b.spend_usd) for b in board.spend_by_lot]
        )
        self.query_one("#by-holder", BarChart).update(
            [Bar(b.key, b.spend_usd) for b in board.spend_by_consolidator]
        )
        bars = max(len(board.spend_by_lot), len(board.spend_by_consolidator), 1)
        self.query_one("#dashboard").styles.grid_rows = f"{bars + 2} 1fr 1fr"
        self.query_one("#dashboard").loading = False
        self._show_lists()

    def _titles(self, board: Dashboard | None) -> None:
        scope = self.app.agency_scope or "all agencies"
        rules = self.app.config.rules
        year = board.year if board else self.app.today().year
        total = f" · {board.spend_total_usd:,.0f} USD" if board else ""
        titles = {
            "#spend-lot": f"Spend {year} by lot · {scope}",
            "#spend-holder": f"by consolidator{total}",
            "#competitions": "Open competitions",
            "#awaiting": "Awaiting delivery",
            "#sub-ltas": (
                f"Sub-LTAs at ≥ {rules.ceiling_warn_pct} % of ceiling"
                f" or ending within {rules.expiry_warn_days} days"
            ),
        }
        if board:
            titles["#competitions"] += f" ({board.open_competitions_count})"
            titles["#awaiting"] += f" ({board.awaiting.count:,})"
            titles["#sub-ltas"] += f" ({len(board.sub_lta_alerts)})"
        for selector, title in titles.items():
            self.query_one(selector).border_title = Text(title)

    def _show_lists(self) -> None:
        board = self.dashboard
        if board is None:
            return
        for name, build in (
            ("competitions", competition_lines),
            ("awaiting", awaiting_lines),
            ("sub-ltas", sub_lta_lines),
        ):
            options = self.query_one(f"#{name}-list", JumpList)
            self._fill(name, build(board, options.scrollable_content_region.width))

    def _fill(self, name: str, view: ListLines) -> None:
        head = self.query_one(f"#{name}-head", Static)
        head.update(view.head or "")
        head.display = view.head is not None
        options = self.query_one(f"#{name}-list", JumpList)
        highlighted = options.highlighted
        options.clear_options()
        if view.lines:
            options.add_options(
                Option(line, id=key) for line, key in zip(view.lines, view.ids, strict=True)
            )
            options.highlighted = min(highlighted or 0, len(view.lines) - 1)
        else:
            options.add_option(Option(Text(view.empty), disabled=True))

    @on(JumpList.Resized)
    def _list_resized(self) -> None:
        self._show_lists()

    @on(OptionList.OptionSelected)
    def _open(self, event: OptionList.OptionSelected) -> None:
        kind, _, record_id = (event.option.id or "").partition(":")
        if record_id:
            self.app.open_record(kind, int(record_id))
