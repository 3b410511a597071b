"""Reconciliation (pushed from Spend with `m`): the agencies' orders against what the
consolidators reported, one row per agency × consolidator × lot × period (R24).

`s` shows every row or only the rows with problems (totals beyond the tolerance, or any PO
mismatched, agency-only or consolidator-only); `enter` lists the POs behind the row with their
statuses and differences; `x` exports (csv, xlsx, md, json); `esc` goes back to Spend.
"""

from __future__ import annotations

from datetime import date
from pathlib import Path
from typing import TYPE_CHECKING

from rich.text import Text
from textual import events, on, work
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Horizontal, Vertical
from textual.message import Message
from textual.screen import ModalScreen
from textual.widgets import DataTable, Input, Label, Select, Static

from lta_tui.tui.screens.base import SectionScreen
from lta_tui.tui.widgets import formats
from lta_tui.tui.widgets.tables import Column, fill_table

if TYPE_CHECKING:
    from lta_tui.services.reconciliation import PoComparison, Reconciliation, ReconciliationRow

_CSS = Path(__file__).with_name("reconciliation.tcss")
#: Below this width the table leaves out the reported amount and the PO counts.
WIDE = 110
_FORMATS = ("csv", "xlsx", "md", "json")
_STATUS_STYLE = {
    "matched": "",
    "mismatch": "bold",
    "agency-only": "bold",
    "consolidator-only": "bold",
    "total only": "dim",
}
_SHORT = {"consolidator-only": "cons.-only"}


def _status(value: str) -> Text:
    return Text(_SHORT.get(value, value), style=_STATUS_STYLE.get(value, ""))


def _row_status(row: ReconciliationRow) -> Text:
    """The row's status; `matched (2)` when its totals agree but 2 of its POs do not."""
    from lta_tui.services.reconciliation import PROBLEMS

    text = _status(row.status.value)
    disagree = sum(1 for p in row.pos if p.status in PROBLEMS)
    if row.status.value == "matched" and disagree:
        text = Text(f"matched ({disagree})", style="italic")
    return text


def _amount(value) -> Text:
    return Text(formats.usd(value), justify="right")


def _pct(value) -> Text:
    return Text("—" if value is None else f"{value:+.1f}", justify="right")


def po_counts(row: ReconciliationRow) -> str:
    """`12 ok · 1 ≠ · 1 A · 2 C`: the row's POs by status (problems only when there are any)."""
    from lta_tui.services.reconciliation import Status

    counts = row.counts
    parts = [f"{counts[Status.matched]} ok"]
    for status, mark in (
        (Status.mismatch, "≠"),
        (Status.agency_only, "A"),
        (Status.consolidator_only, "C"),
    ):
        if counts[status]:
            parts.append(f"{counts[status]} {mark}")
    return " · ".join(parts)


class ReconciliationScreen(SectionScreen):
    CSS_PATH = _CSS
    SECTION = "spend"
    SCOPED = True
    OWN_RECORDS = True
    HELP = (
        "Agency orders (issued to closed, USD at each order's stored rate) against what the "
        "consolidators reported (lta-tui import consolidator-report), by agency × consolidator "
        "× lot × the report's period. A report in another currency converts at the ORE rate of "
        "the period's last day (R20). Status: matched (within the tolerance, R24), mismatch "
        "(beyond it), agency-only (not reported), consolidator-only (reported, no agency "
        "order); matched (2): the totals agree but 2 POs do not. POs (wide screens): ok / ≠ "
        "mismatch / A agency-only / C consolidator-only. Difference = "
        "reported − agency, % of the agency's spend. enter lists the POs of a row."
    )
    BINDINGS = [
        Binding("escape", "back", "Back", tooltip="Back to Spend"),
        Binding("s", "cycle_status", "All/problems", tooltip="Every row or only the problems"),
        Binding("x", "export", "Export", tooltip="Write the reconciliation to a file"),
    ]

    class Loaded(Message):
        def __init__(self, recon: Reconciliation, scope: str | None) -> None:
            super().__init__()
            self.recon = recon
            self.scope = scope

    def __init__(self) -> None:
        super().__init__()
        self.recon: Reconciliation | None = None
        self.problems_only = False
        self.shown: list[ReconciliationRow] = []
        self._wide: bool | None = None

    def compose_body(self) -> ComposeResult:
        with Vertical(id="recon"):
            yield Static(id="recon-head", markup=False)
            yield DataTable(id="recon-table", cursor_type="row", zebra_stripes=True)
            yield Static(id="recon-foot", markup=False)

    def on_mount(self) -> None:
        self.query_one("#recon").loading = True
        self._head()
        super().on_mount()

    def reload(self) -> None:
        super().reload()
        self.query_one("#recon").loading = True
        self._load(self.scope)

    @work(thread=True, exclusive=True, group="reconciliation", exit_on_error=False)
    def _load(self, scope: str | None) -> None:
        from lta_tui.services.reconciliation import reconcile

        user = self.app.config.user
        with self.app.engine().connect() as conn:
            recon = reconcile(
                conn,
                scope=scope,
                tolerance_pct=self.app.config.rules.reconciliation_tolerance_pct,
                role=user.role.value,
                user_agency=user.agency,
            )
        self.post_message(self.Loaded(recon, scope))

    def load_failed(self) -> None:
        self.query_one("#recon").loading = False

    @on(Loaded)
    def _loaded(self, message: Loaded) -> None:
        if message.scope != self.scope:
            return  # the scope changed while loading; the newer load follows
        self.recon = message.recon
        self.query_one("#recon").loading = False
        self._fill()

    def on_resize(self, event: events.Resize) -> None:
        if self.recon is not None and (self.size.width >= WIDE) != self._wide:
            self._fill()

    def _head(self) -> None:
        scope = self.scope or "all agencies"
        tolerance = self.app.config.rules.reconciliation_tolerance_pct
        text = f"Reconciliation · {scope} · tolerance {tolerance} %"
        if self.recon is not None:
            rows = len(self.recon.rows)
            text += (
                f" · {len(self.shown)} problem rows of {rows:,}"
                if self.problems_only
                else f" · all {rows:,} rows"
            )
        self.query_one("#recon-head", Static).update(text)

    def _fill(self) -> None:
        recon = self.recon
        if recon is None:
            return
        table = self.query_one("#recon-table", DataTable)
        key = self._current_key()
        wide = self.size.width >= WIDE
        self._wide = wide
        self.shown = [r for r in recon.rows if r.problem or not self.problems_only]
        columns: list[Column] = [
            ("Agency", "agency"),
            ("Cons.", "cons"),
            ("Lot", "lot"),
            ("Period", "period"),
            ("Status", "status"),
        ]
        if wide:
            columns.append(("POs", "pos"))
        columns.append((Text("Agency USD", justify="right"), "agency_usd"))
        if wide:
            columns.append((Text("Reported USD", justify="right"), "reported_usd"))
        columns.append((Text("Diff USD", justify="right"), "diff"))
        columns.append((Text("%", justify="right"), "pct"))
        rows = []
        for i, row in enumerate(self.shown):
            cells: list[Text | str] = [
                Text(row.agency),
                Text(row.consolidator),
                row.lot_label,
                row.period,
                _row_status(row),
            ]
            if wide:
                cells.append(Text(po_counts(row)))
            cells.append(_amount(row.agency_usd))
            if wide:
                cells.append(_amount(row.reported_usd))
            cells += [_amount(row.difference_usd), _pct(row.difference_pct)]
            rows.append((str(i), cells))
        fill_table(table, columns, rows)
        if key is not None:
            for i, row in enumerate(self.shown):
                if self._row_key(row) == key:
                    table.move_cursor(row=i)
                    break
        self._head()
        foot = (
            f"Sum of rows: agency {formats.usd(recon.agency_usd)} · reported"
            f" {formats.usd(recon.reported_usd)} USD · {len(recon.problems)} problems"
        )
        if not recon.rows:
            foot = "No consolidator reports: import one with lta-tui import consolidator-report"
        self.query_one("#recon-foot", Static).update(foot)

    @staticmethod
    def _row_key(row: ReconciliationRow) -> tuple:
        return (row.report_id, row.lot_label)

    def _current_key(self) -> tuple | None:
        table = self.query_one("#recon-table", DataTable)
        if not self.shown or table.cursor_row is None or table.cursor_row >= len(self.shown):
            return None
        return self._row_key(self.shown[table.cursor_row])

    # --- keys ----------------------------------------------------------------------------

    def action_back(self) -> None:
        self.dismiss()

    def action_cycle_status(self) -> None:
        self.problems_only = not self.problems_only
        self._fill()
        shown = "rows with problems" if self.problems_only else "every row"
        self.notify(f"Showing {shown}.", timeout=2, markup=False)

    @on(DataTable.RowSelected, "#recon-table")
    def _open(self, event: DataTable.RowSelected) -> None:
        index = int(event.row_key.value or 0)
        if 0 <= index < len(self.shown):
            self.app.push_screen(PoListScreen(self.shown[index]))

    def action_export(self) -> None:
        if self.recon is None:
            self.notify("Still loading.", timeout=2, markup=False)
            return
        self.app.push_screen(ExportReconciliationDialog(self.recon, self.app.today()))


def _po_cells(po: PoComparison) -> list[Text | str]:
    return [
        Text(po.po_number or "(no PO)"),
        _status(po.status.value),
        Text(formats.label(po.order_status) if po.order_status else "—"),
        _amount(po.agency_usd),
        _amount(po.reported_usd),
        _amount(po.difference_usd),
        Text(po.note, overflow="ellipsis", no_wrap=True),
    ]


class PoListScreen(ModalScreen[None]):
    """The POs behind one reconciliation row, problems first."""

    CSS_PATH = _CSS
    BINDINGS = [Binding("escape", "close", "Back")]

    def __init__(self, row: ReconciliationRow) -> None:
        super().__init__()
        self.row = row

    def compose(self) -> ComposeResult:
        row = self.row
        with Vertical(id="po-list") as box:
            box.border_title = (
                f"{row.agency} · {row.consolidator} · lot {row.lot_label} · {row.period}"
                f" · {row.status.value}"
            )
            box.border_subtitle = "esc back"
            yield Static(self._summary(), id="po-summary", markup=False)
            yield DataTable(id="po-table", cursor_type="row", zebra_stripes=True)
            yield Static(id="po-note", markup=False)

    @on(DataTable.RowHighlighted, "#po-table")
    def _highlighted(self, event: DataTable.RowHighlighted) -> None:
        index = int(event.row_key.value or 0)
        po = self.row.pos[index] if 0 <= index < len(self.row.pos) else None
        text = ""
        if po is not None:
            text = f"{po.po_number or '(no PO)'}: {po.status.value}"
            if po.reported is not None and po.currency != "USD":
                text += f" · reported {formats.money(po.reported, po.currency)}"
            if po.order_date:
                text += f" · ordered {po.order_date.isoformat()}"
            if po.note:
                text += f" · {po.note}"
        self.query_one("#po-note", Static).update(text)

    def _summary(self) -> str:
        row = self.row
        text = (
            f"Agency {formats.usd(row.agency_usd)} · reported {formats.usd(row.reported_usd)}"
            f" · difference {formats.usd(row.difference_usd)} USD"
        )
        if row.currency != "USD":
            text += f" · report in {row.currency} at {row.rate} per USD ({row.rate_date})"
        if row.finding:
            text += f"\n{row.finding}"
        return text

    def on_mount(self) -> None:
        table = self.query_one("#po-table", DataTable)
        figures = (("Agency USD", "a"), ("Reported USD", "r"), ("Diff USD", "d"))
        columns: list[Column] = [("PO", "po"), ("Status", "status"), ("Order", "order")]
        columns += [(Text(title, justify="right"), key) for title, key in figures]
        columns.append(("Note", "note"))
        fill_table(table, columns, ((str(i), _po_cells(po)) for i, po in enumerate(self.row.pos)))
        table.focus()

    def action_close(self) -> None:
        self.dismiss()


class ExportReconciliationDialog(ModalScreen["Path | None"]):
    """Format and file of the export; `enter` writes it (atomically), `esc` cancels."""

    CSS_PATH = _CSS
    BINDINGS = [Binding("escape", "cancel", "Cancel")]

    class _Done(Message):
        def __init__(self, path: Path | None, error: str | None) -> None:
            super().__init__()
            self.path = path
            self.error = error

    def __init__(self, recon: Reconciliation, today: date) -> None:
        super().__init__()
        self.recon = recon
        self.today = today

    def _file_name(self, fmt: str) -> str:
        scope = (self.recon.agency or self.recon.scope or "all").lower()
        return f"reconciliation-{scope}-{self.today.isoformat()}.{fmt}"

    def compose(self) -> ComposeResult:
        with Vertical(id="recon-export") as box:
            box.border_title = "Export the reconciliation"
            box.border_subtitle = "enter writes · esc cancels"
            with Horizontal(classes="export-row"):
                yield Label("Format ", classes="export-label")
                yield Select(
                    [(f, f) for f in _FORMATS], value="csv", allow_blank=False, id="export-format"
                )
            with Horizontal(classes="export-row"):
                yield Label("File   ", classes="export-label")
                yield Input(str(Path.cwd() / self._file_name("csv")), id="export-path")
            yield Static("", id="export-error", markup=False)

    def on_mount(self) -> None:
        self.query_one("#export-path", Input).focus()

    @on(Select.Changed, "#export-format")
    def _format_changed(self, event: Select.Changed) -> None:
        field = self.query_one("#export-path", Input)
        path = Path(field.value)
        if path.suffix.lstrip(".") in _FORMATS:
            field.value = str(path.with_suffix(f".{event.value}"))

    @on(Input.Submitted, "#export-path")
    def _submitted(self) -> None:
        text = self.query_one("#export-path", Input).value.strip()
        fmt = str(self.query_one("#export-format", Select).value)
        if not text:
            self._error("Give the file to write.")
            return
        path = Path(text).expanduser()
        if not path.parent.is_dir():
            self._error(f"No such folder: {path.parent}")
            return
        self._write(fmt, path)

    @work(thread=True, exclusive=True, group="reconciliation-export", exit_on_error=False)
    def _write(self, fmt: str, path: Path) -> None:
        from lta_tui.services.reconciliation import write_reconciliation

        try:
            written = write_reconciliation(self.recon, fmt, path, self.app.now())  # type: ignore[attr-defined]
        except (OSError, ValueError) as exc:
            message = getattr(exc, "strerror", None) or str(exc)
            self.post_message(self._Done(None, f"Cannot write {path}: {message}"))
        else:
            self.post_message(self._Done(written, None))

    @on(_Done)
    def _done(self, message: _Done) -> None:
        if message.error:
            self._error(message.error)
            return
        self.notify(f"Written to {message.path}", timeout=4, markup=False)
        self.dismiss(message.path)

    def _error(self, text: str) -> None:
        self.query_one("#export-error", Static).update(text)

    def action_cancel(self) -> None:
        self.dismiss(None)
