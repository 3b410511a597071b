"""One order opened from the Orders section: header, lines, deliveries, amendments, history.

Read by a thread worker (`services.order_detail`); every value is shown as plain text.
`esc` goes back to the list, whose cursor stays where it was.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import TYPE_CHECKING, ClassVar

from rich.table import Table
from rich.text import Text
from textual import on, work
from textual.app import ComposeResult
from textual.binding import Binding, BindingType
from textual.containers import VerticalScroll
from textual.message import Message
from textual.screen import Screen
from textual.widgets import DataTable, Footer, Header, Static

from lta_tui.domain.money import format_money, format_quantity

if TYPE_CHECKING:
    from lta_tui.services.order_detail import OrderDetail

_SECTIONS = (
    ("lines", "Lines"),
    ("deliveries", "Deliveries"),
    ("amendments", "Amendments"),
    ("history", "History"),
)
_CHANGE_WIDTH = 80  # characters of an audit event's before/after shown in the table
_DESCRIPTION_MIN = 20  # cells of a line's description, however narrow the terminal
_BESIDE_DESCRIPTION = 48  # cells the line table needs for #, quantity and the three amounts


class OrderDetailScreen(Screen):
    """Everything recorded about order `order_id`; `line_id` puts the cursor on that line."""

    CSS_PATH = "orders.tcss"
    SUB_TITLE = "Order"
    HELP: ClassVar[str] = (
        "One order, read-only: its header, lines (with the quantity delivered), deliveries, "
        "amendments and history. Amounts are in the order's currency and in USD at the rate "
        "stored with the order. tab moves between the tables, ← → scroll a wide table "
        "sideways, esc goes back to the list."
    )
    BINDINGS: ClassVar[list[BindingType]] = [
        Binding("escape", "back", "Back", tooltip="Back to the list"),
    ]

    class Loaded(Message):
        def __init__(self, detail: OrderDetail) -> None:
            super().__init__()
            self.detail = detail

    class Failed(Message):
        def __init__(self, error: str) -> None:
            super().__init__()
            self.error = error

    def __init__(self, order_id: int, *, line_id: int | None = None) -> None:
        super().__init__()
        self.order_id = order_id
        self.line_id = line_id
        self.detail: OrderDetail | None = None

    def compose(self) -> ComposeResult:
        yield Header()
        with VerticalScroll(id="order-detail"):
            yield Static(id="order-detail-title", markup=False)
            yield Static(id="order-detail-fields")
            for key, title in _SECTIONS:
                yield Static(title, classes="order-detail-heading", markup=False)
                table: DataTable = DataTable(
                    id=f"order-{key}", cursor_type="row", zebra_stripes=True
                )
                yield table
        yield Footer()

    def on_mount(self) -> None:
        self.query_one("#order-detail").loading = True
        self._load(self.app, self.order_id)

    @work(thread=True, exclusive=True, exit_on_error=False, group="order-detail")
    def _load(self, app, order_id: int) -> None:
        from lta_tui.services.order_detail import order_detail

        try:
            detail = order_detail(app.engine(), order_id)
        except Exception as exc:  # shown on the screen, never a traceback
            self.post_message(self.Failed(str(exc) or exc.__class__.__name__))
            return
        self.post_message(self.Loaded(detail))

    @on(Failed)
    def _failed(self, message: Failed) -> None:
        self.query_one("#order-detail").loading = False
        title = self.query_one("#order-detail-title", Static)
        title.update(f"Could not open the order: {message.error}")
        title.add_class("-error")

    @on(Loaded)
    def _loaded(self, message: Loaded) -> None:
        d = self.detail = message.detail
        self.sub_title = f"Order {d.po_number}"
        self.query_one("#order-detail-title", Static).update(
            f"{d.po_number}  ·  {d.status.replace('_', ' ')}  ·  {d.agency_code}"
        )
        self.query_one("#order-detail-fields", Static).update(_fields(d))
        money = lambda v: Text(format_money(v, d.currency), justify="right")  # noqa: E731
        usd = lambda v: Text(format_money(v, "USD"), justify="right")  # noqa: E731
        self._fill(
            "lines",
            # The amounts first: at 80 columns they show without scrolling sideways.
            [
                "#",
                "Description",
                "Qty",
                "Unit price",
                "Amount",
                "Amount USD",
                "Delivered",
                "Unit",
                "UNSPSC",
                "Kind",
            ],  # fmt: skip
            [
                [
                    Text(str(x.line_no), justify="right"),
                    Text(x.description, no_wrap=True, overflow="ellipsis"),
                    _qty(x.quantity),
                    money(x.unit_price),
                    money(x.amount),
                    usd(x.amount_usd),
                    _qty(x.delivered_quantity),
                    Text(x.unit),
                    Text(x.unspsc),
                    Text(x.service or x.kind),
                ]  # fmt: skip
                for x in d.lines
            ],
            keys=[str(x.id) for x in d.lines],
            widths={"Description": max(_DESCRIPTION_MIN, self.size.width - _BESIDE_DESCRIPTION)},
        )
        self._fill(
            "deliveries",
            ["Delivered on", "Line", "Quantity", "Recorded by"],
            [
                [
                    Text(x.delivered_on.isoformat()),
                    Text(str(x.line_no), justify="right"),
                    _qty(x.quantity),
                    Text(x.recorded_by),
                ]  # fmt: skip
                for x in d.deliveries
            ],
        )
        self._fill(
            "amendments",
            ["When", "By", "Previous total", "New total", "Reason"],
            [
                [
                    Text(_moment(x.amended_at)),
                    Text(x.amended_by),
                    money(x.previous_total),
                    money(x.new_total),
                    Text(x.reason),
                ]  # fmt: skip
                for x in d.amendments
            ],
        )
        self._fill(
            "history",
            ["When", "Who", "Action", "Change"],
            [
                [Text(_moment(x.at)), Text(x.who), Text(x.action), Text(_change(x.before, x.after))]
                for x in d.history
            ],
        )
        self.query_one("#order-detail").loading = False
        lines = self.query_one("#order-lines", DataTable)
        if self.line_id is not None and str(self.line_id) in [k.value for k in lines.rows]:
            lines.move_cursor(row=lines.get_row_index(str(self.line_id)))
        lines.focus()

    def _fill(
        self,
        key: str,
        columns: Sequence[str],
        rows: Sequence[Sequence[Text]],
        keys: Sequence[str] | None = None,
        widths: dict[str, int] | None = None,
    ) -> None:
        """Fill table `key`; a column of `widths` is no wider than that (its cells cut with …)."""
        table = self.query_one(f"#order-{key}", DataTable)
        table.clear(columns=True)
        for n, column in enumerate(columns):
            longest = max([len(column), *(row[n].cell_len for row in rows)])
            limit = (widths or {}).get(column)
            table.add_column(column, width=min(longest, limit) if limit else None)
        for n, row in enumerate(rows):
            table.add_row(*row, key=keys[n] if keys else None)
        table.set_class(not rows, "-empty")
        if not rows:
            table.add_row(Text("none", style="italic"), *[Text("")] * (len(columns) - 1))

    def action_back(self) -> None:
        self.dismiss()


def _fields(d: OrderDetail) -> Table:
    source = d.competition or d.sub_lta or "—"
    via = "mini-competition" if d.channel == "mini_competition" else d.channel.replace("_", " ")
    pairs = [
        ("PO number", d.po_number, "Order date", d.order_date.isoformat()),
        ("Agency", f"{d.agency_code} — {d.agency_name}", "Status", d.status.replace("_", " ")),
        ("Consolidator", f"{d.consolidator_code} — {d.consolidator_name}", "Channel", via),
        ("Lot", f"{d.lot_number} — {d.lot_title}", "Source", source),
        ("Total", format_money(d.total, d.currency), "Total USD", format_money(d.total_usd, "USD")),
        (
            "Exchange rate",
            f"{d.fx_units_per_usd.normalize():f} {d.currency}/USD "
            f"({d.fx_effective_date.isoformat()}, {d.fx_source})",
            "Destination",
            d.destination_country,
        ),
        (
            "First total",
            format_money(d.first_total, d.currency) if d.first_total is not None else "—",
            "Version",
            str(d.version),
        ),
        (
            "Created",
            f"{_moment(d.created_at)} by {d.created_by}",
            "Updated",
            f"{_moment(d.updated_at)} by {d.updated_by}",
        ),  # fmt: skip
    ]
    if d.cancellation_reason:
        pairs.append(("Cancelled because", d.cancellation_reason, "", ""))
    grid = Table.grid(padding=(0, 2), expand=True)
    for _ in range(2):
        grid.add_column(style="bold", no_wrap=True)
        grid.add_column(ratio=1, no_wrap=True, overflow="ellipsis")  # one line per field at 80
    for a, b, c, e in pairs:
        grid.add_row(Text(a), Text(b), Text(c), Text(e))
    return grid


def _qty(value) -> Text:
    return Text(format_quantity(value), justify="right")


def _moment(value) -> str:
    return value.strftime("%Y-%m-%d %H:%M UTC")


def _change(before: str | None, after: str | None) -> str:
    text = f"{before or '—'} → {after or '—'}"
    return text if len(text) <= _CHANGE_WIDTH else text[: _CHANGE_WIDTH - 1] + "…"
