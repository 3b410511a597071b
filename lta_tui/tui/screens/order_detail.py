"""One order opened from the Orders section: header, lines, deliveries, amendments, its
performance review, the warnings acknowledged with it, and its history; and the keys of its
lifecycle: issue, record a delivery, edit or amend, cancel, close, rate.

Read by a thread worker (`services.order_detail`); every value is shown as plain text. A key
shows in the footer only when the order's status allows its action; the action runs the order
service in a worker (the modals of `order_actions` run theirs) with the version read, so a
change made meanwhile by someone else is refused, then the order is read again. A user whose
role may not change the order (R26) is told why when pressing the key.
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
from textual.widgets import DataTable, Footer, Header, Static

from lta_tui.domain.money import format_amount, format_money, format_quantity
from lta_tui.tui.screens.record_actions import RecordActions

if TYPE_CHECKING:
    from lta_tui.services.order_detail import OrderDetail, ReviewDetail

_SECTIONS = (
    ("lines", "Lines"),
    ("deliveries", "Deliveries"),
    ("amendments", "Amendments"),
)
#: Key action → the lifecycle action of `services.order_detail.ORDER_ACTIONS` it runs.
_LIFECYCLE = {
    "issue": "issue",
    "deliver": "deliver",
    "edit": "edit",
    "amend": "amend",
    "cancel_order": "cancel",
    "close_order": "close",
    "rate": "rate",
}
_CHANGE_WIDTH = 60  # characters of an audit event's change shown at least, however narrow
_BESIDE_CHANGE = 52  # cells the history table needs for when, who and the action
_DESCRIPTION_MIN = 20  # cells of a line's description, however narrow the terminal
_BESIDE_TABLE = 4  # cells beside a table: the screen's padding and its scrollbar


class OrderDetailScreen(RecordActions):
    """Everything recorded about order `order_id`; `line_id` puts the cursor on that line."""

    CSS_PATH = "orders.tcss"
    SUB_TITLE = "Order"
    NOUN = "order"
    HELP: ClassVar[str] = (
        "One order: its header, lines (with the quantity delivered), deliveries, amendments, "
        "performance review, the warnings acknowledged when it was saved, and its history. "
        "Amounts are in the order's currency and in USD at the rate stored with the order. "
        "The keys of its lifecycle show when its status allows them: i issues a draft, e edits "
        "a draft, d records a delivery (partial or full) of an issued order, a amends an issued "
        "or partially delivered order (a value change needs a reason), c cancels a draft or "
        "issued order (with a reason), k closes a delivered order, r rates a delivered or "
        "closed order (five criteria 1 poor … 4 very good, and a comment). Each change is "
        "written to the history. Only a focal point of the order's agency may change it (R26). "
        "tab moves between the tables, ← → scroll a wide table sideways, enter on a history "
        "row shows its whole change, esc goes back."
    )
    BINDINGS: ClassVar[list[BindingType]] = [
        Binding("escape", "back", "Back", tooltip="Back to the list"),
        Binding("i", "issue", "Issue", tooltip="Issue the draft order to the consolidator"),
        Binding("d", "deliver", "Deliver", tooltip="Record a delivery, partial or full"),
        Binding("e", "edit", "Edit", tooltip="Edit the draft order"),
        Binding("a", "amend", "Amend", tooltip="Amend the issued order (reason for a value)"),
        Binding("c", "cancel_order", "Cancel order", tooltip="Cancel the order, with a reason"),
        Binding("k", "close_order", "Close order", tooltip="Close the delivered order"),
        Binding("r", "rate", "Rate", tooltip="Rate the delivery: five criteria, 1–4"),
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
            yield Static("Performance review", classes="order-detail-heading", id="review-heading")
            yield Static(id="order-review")
            yield Static(
                "Acknowledged warnings", classes="order-detail-heading", id="warnings-heading"
            )
            yield Static(id="order-warnings")
            yield Static("History", classes="order-detail-heading", markup=False)
            yield DataTable(id="order-history", cursor_type="row", zebra_stripes=True)
        yield Footer()

    def on_mount(self) -> None:
        self.query_one("#order-detail").loading = True
        self._load(self.app, self.order_id)

    def reload(self) -> None:
        """Read the order again; its lifecycle keys wait for it (they act on its version)."""
        self.reloading = True
        self.refresh_bindings()
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
        self.reloading = False
        self.query_one("#order-detail").loading = False
        title = self.query_one("#order-detail-title", Static)
        title.update(f"Could not open the order: {message.error}")
        title.add_class("-error")

    @on(Loaded)
    def _loaded(self, message: Loaded) -> None:
        d = self.detail = message.detail
        self.reloading = False
        self.sub_title = f"Order {d.po_number}"
        self.query_one("#order-detail-title", Static).update(
            f"{d.po_number}  ·  {d.status.replace('_', ' ')}  ·  {d.agency_code}"
        )
        self.query_one("#order-detail-fields", Static).update(_fields(d))
        money = lambda v: Text(format_money(v, d.currency), justify="right")  # noqa: E731
        amount = lambda v, c: Text(format_amount(v, c), justify="right")  # noqa: E731
        lines = [
            [
                Text(str(x.line_no), justify="right"),
                Text(x.description, no_wrap=True, overflow="ellipsis"),
                _qty(x.quantity),
                _qty(x.delivered_quantity),
                amount(x.amount, d.currency),
                amount(x.amount_usd, "USD"),
                money(x.unit_price),
                Text(x.unit),
                Text(x.unspsc),
                Text(x.service or x.kind),
            ]  # fmt: skip
            for x in d.lines
        ]
        # What a line is and how much of it came first: at 80 columns #, description,
        # quantity, delivered and both amounts show without scrolling sideways.
        columns = ["#", "Description", "Qty", "Delivered", f"Amount {d.currency}", "Amount USD"]
        if d.currency == "USD":
            columns[4] = "Amount"
        columns += ["Unit price", "Unit", "UNSPSC", "Kind"]
        self._fill(
            "lines",
            columns,
            lines,
            keys=[str(x.id) for x in d.lines],
            widths={"Description": self._description_width(columns, lines)},
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
                [
                    Text(_moment(x.at)),
                    Text(x.who),
                    Text(x.action.replace("_", " ")),
                    Text(_cut(_change(x, d.currency), self.size.width - _BESIDE_CHANGE)),
                ]
                for x in d.history
            ],
            keys=[str(n) for n in range(len(d.history))],
        )
        self._show_review(d)
        self._show_warnings(d)
        self.query_one("#order-detail").loading = False
        self.refresh_bindings()
        lines = self.query_one("#order-lines", DataTable)
        if self.line_id is not None and str(self.line_id) in [k.value for k in lines.rows]:
            lines.move_cursor(row=lines.get_row_index(str(self.line_id)))
        if not isinstance(self.focused, DataTable):
            lines.focus()

    @on(DataTable.RowSelected, "#order-history")
    def _history_opened(self, event: DataTable.RowSelected) -> None:
        """enter on a history row: the whole change, however long."""
        key = event.row_key.value
        if self.detail is None or key is None or not key.isdecimal():
            return
        from lta_tui.tui.screens.order_actions import ChangeView, describe_event

        x = self.detail.history[int(key)]
        self.app.push_screen(
            ChangeView(
                f"{x.action.replace('_', ' ')} · {_moment(x.at)} · {x.who}",
                describe_event(x.before, x.after, self.detail.currency),
            )
        )

    def _description_width(self, columns: Sequence[str], rows: Sequence[Sequence[Text]]) -> int:
        """The description's width so that the columns up to the amount in USD fit."""
        shown = columns.index("Amount USD") + 1
        beside = sum(
            max([len(columns[n]), *(row[n].cell_len for row in rows)]) + 2
            for n in range(shown)
            if columns[n] != "Description"
        )
        # the screen's padding (1 each side), the scrollbar (2) and the cell padding (2)
        return max(_DESCRIPTION_MIN, self.size.width - _BESIDE_TABLE - beside - 2)

    def _show_review(self, d: OrderDetail) -> None:
        shown = d.review is not None or "rate" in d.actions
        self.query_one("#review-heading").display = shown
        box = self.query_one("#order-review", Static)
        box.display = shown
        if not shown:
            return
        if d.review is None:
            box.update(Text("Not rated yet: r rates the delivery.", style="italic"))
            return
        box.update(review_grid(d.review))

    def _show_warnings(self, d: OrderDetail) -> None:
        shown = bool(d.acknowledged)
        self.query_one("#warnings-heading").display = shown
        box = self.query_one("#order-warnings", Static)
        box.display = shown
        if shown:
            box.update(warnings_grid(d))

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
            # Explicit widths: a table refilled while another screen is on top keeps them.
            table.add_column(column, width=min(longest, limit) if limit else longest)
        for n, row in enumerate(rows):
            table.add_row(*row, key=keys[n] if keys else None)
        table.set_class(not rows, "-empty")
        if not rows:
            table.add_row(Text("none", style="italic"), *[Text("")] * (len(columns) - 1))

    def action_back(self) -> None:
        self.dismiss()

    # --- the lifecycle ------------------------------------------------------------------------

    def check_action(self, action: str, parameters: tuple[object, ...]) -> bool | None:
        lifecycle = _LIFECYCLE.get(action)
        if lifecycle is None:
            return True
        if self.detail is None or self.busy:
            return False
        if lifecycle not in self.detail.actions:
            return False
        return None if self.reloading else True  # dimmed, not hidden, while it is read again

    def _record(self) -> OrderDetail | None:
        return self.detail

    def _record_agency(self, record: OrderDetail) -> str:
        return record.agency_code

    def _record_name(self) -> str:
        return self.detail.po_number if self.detail else "The order"

    def action_issue(self) -> None:
        d = self._may_change()
        if d is None:
            return
        from lta_tui.tui.screens.order_actions import ConfirmAction

        value = format_money(d.total, d.currency)
        if d.currency != "USD":
            value += f" ({format_money(d.total_usd, 'USD')})"
        question = (
            f"Issue {d.po_number} to {d.consolidator_code} for {value}? Every order rule is "
            "checked again; once issued the order counts as spend and changes to it are "
            "amendments."
        )
        self.app.push_screen(
            ConfirmAction(f"Issue {d.po_number}", question, "issues it"),
            lambda yes: self._confirmed(yes, "issue"),
        )

    def action_close_order(self) -> None:
        d = self._may_change()
        if d is None:
            return
        from lta_tui.tui.screens.order_actions import ConfirmAction

        question = (
            f"Close {d.po_number}? A closed order takes no more deliveries or amendments; it "
            "can still be rated."
        )
        self.app.push_screen(
            ConfirmAction(f"Close {d.po_number}", question, "closes it"),
            lambda yes: self._confirmed(yes, "close"),
        )

    def _run(self, action: str, version: int, acknowledged: tuple[str, ...]) -> object:
        from lta_tui.services.orders import close_order, issue_order

        app, order_id = self.app, self.order_id
        if action == "issue":
            return issue_order(
                app.engine(),
                order_id,
                self._actor(),
                app.config.rules,
                now=app.now(),
                expected_version=version,
                acknowledged=acknowledged,
            )
        return close_order(
            app.engine(), order_id, self._actor(), now=app.now(), expected_version=version
        )

    def _done(self, action: str) -> str:
        return "issued" if action == "issue" else "closed"

    def action_deliver(self) -> None:
        d = self._may_change()
        if d is None:
            return
        from lta_tui.tui.screens.order_actions import RecordDelivery, UndeliveredLine

        lines = [
            UndeliveredLine(x.line_no, x.description, x.unit, x.quantity - x.delivered_quantity)
            for x in d.lines
            if x.quantity > x.delivered_quantity
        ]
        if not lines:
            self.notify(f"Every line of {d.po_number} is delivered.", markup=False)
            return
        app, actor, order_id, version = self.app, self._actor(), d.id, d.version
        today = app.today()

        def submit(entry):
            from lta_tui.services.orders import record_delivery

            return record_delivery(
                app.engine(),
                order_id,
                actor,
                now=app.now(),
                delivered_on=entry.delivered_on,
                quantities=entry.quantities,
                expected_version=version,
                today=today,  # the modal's `t`: the user's day, not the UTC date of `now`
            )

        self.app.push_screen(
            RecordDelivery(f"Record a delivery · {d.po_number}", submit, lines, today),
            lambda result: self._dismissed("delivery recorded: now {status}", result),
        )

    def action_cancel_order(self) -> None:
        d = self._may_change()
        if d is None:
            return
        from lta_tui.tui.screens.order_actions import CancelOrder

        app, actor, order_id, version = self.app, self._actor(), d.id, d.version

        def submit(reason: str):
            from lta_tui.services.orders import cancel_order

            return cancel_order(
                app.engine(),
                order_id,
                actor,
                now=app.now(),
                reason=reason,
                expected_version=version,
            )

        self.app.push_screen(
            CancelOrder(f"Cancel {d.po_number}", submit),
            lambda result: self._dismissed("cancelled", result),
        )

    def action_rate(self) -> None:
        d = self._may_change()
        if d is None:
            return
        from lta_tui.tui.screens.order_actions import REVIEW_CRITERIA, RateOrder

        # Rating bumps the order's version like any change: a stale view conflicts.
        app, actor, order_id, version = self.app, self._actor(), d.id, d.version
        today = app.today()

        def submit(review):
            from lta_tui.services.orders import review_order

            return review_order(
                app.engine(),
                order_id,
                actor,
                now=app.now(),
                review=review,
                expected_version=version,
                today=today,  # stored as the review's date: the user's day
            )

        scores = {key: getattr(d.review, key) for key, _ in REVIEW_CRITERIA} if d.review else None
        self.app.push_screen(
            RateOrder(
                f"Rate {d.po_number} · {d.consolidator_code}",
                submit,
                scores,
                d.review.comment if d.review else "",
            ),
            lambda result: self._dismissed("rated", result),
        )

    def action_edit(self) -> None:
        self._open_form()

    def action_amend(self) -> None:
        self._open_form()

    def _open_form(self) -> None:
        d = self._may_change()
        if d is None:
            return
        try:
            from lta_tui.tui.screens.order_form import OrderFormScreen
        except ImportError:
            self.notify("The order form is not available.", severity="error", markup=False)
            return
        self.reload_on_resume = True  # the form may have saved: read the order again on return
        self.app.push_screen(OrderFormScreen(order_id=d.id, po_number=d.po_number))

    def on_screen_resume(self) -> None:
        if self.reload_on_resume:
            self.reload_on_resume = False
            self.reload()


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
            f"{d.fx_units_per_usd.normalize():f} {d.currency}/USD of "
            f"{d.fx_effective_date.isoformat()} ({d.fx_source})",
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
        grid.add_column(ratio=1, overflow="fold")
    # a name is cut (its code says which), anything else wraps: all of it shows at 80
    names = {"Agency", "Consolidator", "Lot"}

    def value(label: str, text: str) -> Text:
        if label in names:
            return Text(text, no_wrap=True, overflow="ellipsis")
        return Text(text)

    for a, b, c, e in pairs:
        grid.add_row(Text(a), value(a, b), Text(c), value(c, e))
    return grid


def review_grid(review: ReviewDetail) -> Table:
    """The five scores with their meaning, the average, who rated and the comment."""
    from lta_tui.tui.screens.order_actions import REVIEW_CRITERIA, SCORE_MEANINGS

    grid = Table.grid(padding=(0, 2))
    grid.add_column(style="bold", no_wrap=True)
    grid.add_column(justify="right", no_wrap=True)
    grid.add_column(ratio=1)
    for key, label in REVIEW_CRITERIA:
        score = getattr(review, key)
        grid.add_row(Text(label), Text(str(score)), Text(SCORE_MEANINGS.get(score, "")))
    grid.add_row(Text("Average"), Text(f"{review.average:.2f}"), Text(""))
    grid.add_row(
        Text("Rated"), Text(""), Text(f"{review.reviewed_on.isoformat()} by {review.reviewed_by}")
    )
    grid.add_row(Text("Comment"), Text(""), Text(review.comment or "—"))
    return grid


def warnings_grid(d: OrderDetail) -> Table:
    grid = Table.grid(padding=(0, 2))
    grid.add_column(style="bold", no_wrap=True)
    grid.add_column(ratio=1)
    for w in d.acknowledged:
        who = " on ".join(part for part in (w.by, w.at) if part)
        text = w.message + (f"  (acknowledged by {who})" if who else "")
        if w.ceiling_amendment:
            text += f"; ceiling amendment {w.ceiling_amendment}"
        grid.add_row(Text(w.rule or "—"), Text(text))
    return grid


def _qty(value) -> Text:
    return Text(format_quantity(value), justify="right")


def _moment(value) -> str:
    return value.strftime("%Y-%m-%d %H:%M UTC")


def _change(event, currency: str) -> str:
    """An event's change on one line (the modal of enter shows it one value a line)."""
    from lta_tui.tui.screens.order_actions import describe_event

    return "; ".join(
        " ".join(x.split()) for x in describe_event(event.before, event.after, currency)
    )


def _cut(text: str, width: int) -> str:
    width = max(width, _CHANGE_WIDTH)
    return text if len(text) <= width else text[: width - 1] + "…"
