"""UNGM spend feedback (`f` on Spend): what the agency reports on the LTA's feedback tab per
period, the spend computed from the orders now beside the spend reported, a form to record or
change an entry, and an export ready to type or paste.

The list and the computed spend are read by thread workers (`services.feedback`); the form
saves through `save_feedback` in the `RecordForm` worker, so no SQL runs on the UI thread.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime
from decimal import Decimal
from pathlib import Path
from typing import TYPE_CHECKING, Any, ClassVar

from rich.text import Text
from textual import on, work
from textual.app import ComposeResult
from textual.binding import Binding, BindingType
from textual.containers import Horizontal, Vertical
from textual.message import Message
from textual.timer import Timer
from textual.widgets import DataTable, Footer, Header, Input, Label, Static, TextArea

from lta_tui.domain.dates import DateError, parse_day
from lta_tui.domain.feedback import check_feedback, reported_default
from lta_tui.domain.money import MoneyError, format_money, parse_amount
from lta_tui.domain.rules import check_permission
from lta_tui.domain.rules.findings import Finding, Severity
from lta_tui.tui.screens.base import SectionScreen
from lta_tui.tui.screens.order_actions import ActionForm, field_line
from lta_tui.tui.screens.record_form import RecordForm
from lta_tui.tui.widgets.choice_input import Choice, ChoiceInput
from lta_tui.tui.widgets.form_field import FormField
from lta_tui.tui.widgets.tables import Column, fill_table

if TYPE_CHECKING:
    from lta_tui.services.feedback import FeedbackRow, LtaInfo, SavedFeedback

CHECK_DEBOUNCE = 0.2  # seconds after the last change of the period before the spend is computed
EXPORT_FOLDER = Path("exports")
FORMATS = (
    Choice("md", "Markdown", "ready-to-paste blocks"),
    Choice("csv", "CSV"),
    Choice("json", "JSON"),
)
#: Table columns: (title, width, right-aligned).
_COLUMNS: list[Column] = [
    ("Agency", None),
    ("Period", None),
    (Text("Computed USD", justify="right"), None),
    (Text("Reported USD", justify="right"), None),
    ("Note", None),
    ("Reported", None),
]


def _usd(amount: Decimal) -> str:
    return format_money(amount, None)


def _note(row: FeedbackRow) -> str:
    """What the table marks: an override (with a reason) and orders changed since."""
    if row.overridden and row.orders_changed:
        return "ovr, chg"
    return "override" if row.overridden else "changed" if row.orders_changed else ""


class FeedbackScreen(SectionScreen):
    """The agency's (scope's) UNGM feedback entries, newest period first."""

    SECTION = "spend"
    SCOPED = True
    OWN_RECORDS = True
    CSS_PATH = "feedback.tcss"
    HELP: ClassVar[str] = (
        "UNGM feedback: per agency and contractual period, the spend computed from the orders "
        "(issued to closed, USD at the stored rates) and the spend reported on UNGM's LTA "
        "feedback tab. 'override' marks a reported spend that differs (with its reason); "
        "'changed' marks an entry whose orders changed since it was saved. n records a new "
        "entry, e or enter changes the highlighted one (focal points of the own agency only, "
        "R26), x exports the entries (md ready to paste, csv, json), a toggles own agency/all, "
        "esc goes back to Spend."
    )
    BINDINGS: ClassVar[list[BindingType]] = [
        Binding("escape", "back", "Back", tooltip="Back to Spend"),
        Binding("n", "new", "New", tooltip="Record the feedback of a period"),
        Binding("e", "edit", "Edit", tooltip="Change the highlighted entry"),
        Binding("x", "export", "Export", tooltip="Write the entries, ready to paste"),
    ]

    class _Loaded(Message):
        def __init__(self, info: LtaInfo, rows: list[FeedbackRow]) -> None:
            super().__init__()
            self.info = info
            self.rows = rows

    def __init__(self) -> None:
        super().__init__()
        self.info: LtaInfo | None = None
        self.rows: list[FeedbackRow] = []
        self._select: int | None = None  # entry to highlight once loaded

    def compose_body(self) -> ComposeResult:
        yield Static("", id="feedback-top", markup=False)
        table: DataTable = DataTable(id="feedback-table", cursor_type="row", zebra_stripes=True)
        fill_table(table, _COLUMNS, [])
        yield table
        yield Static("", id="feedback-detail", markup=False)

    # --- loading -------------------------------------------------------------------------------

    def reload(self) -> None:
        super().reload()
        self.query_one("#feedback-table").loading = True
        self._load(self.app, self.scope)

    @work(thread=True, exclusive=True, exit_on_error=False, group="feedback-load")
    def _load(self, app: Any, scope: str | None) -> None:
        from lta_tui.services.feedback import list_feedback, lta_info

        with app.engine().connect() as conn:
            info = lta_info(conn, app.config.lta.reference)
            rows = list_feedback(conn, scope=scope, lta=info.reference)
        self.post_message(self._Loaded(info, rows))

    def load_failed(self) -> None:
        self.query_one("#feedback-table").loading = False

    @on(_Loaded)
    def _loaded(self, message: _Loaded) -> None:
        self.info, self.rows = message.info, message.rows
        info, scope = message.info, self.scope
        self.query_one("#feedback-top", Static).update(
            f"LTA {info.reference} valid {info.valid_from} – {info.valid_to} · "
            f"{scope or 'all agencies'} · {len(self.rows)} entries"
        )
        table = self.query_one("#feedback-table", DataTable)
        keep = self._select if self._select is not None else self._current_id()
        rows = [
            (
                str(row.id),
                [
                    Text(row.agency),
                    Text(row.label),
                    Text(_usd(row.computed_now), justify="right"),
                    Text(_usd(row.spend_usd), justify="right"),
                    Text(_note(row), style="bold" if row.overridden or row.orders_changed else ""),
                    Text(f"{row.reported_at:%Y-%m-%d}"),
                ],
            )
            for row in self.rows
        ]
        fill_table(table, _COLUMNS, rows)
        table.loading = False
        self._select = None
        if keep is not None:
            index = next((i for i, r in enumerate(self.rows) if r.id == keep), None)
            if index is not None:
                table.move_cursor(row=index)
        if not self.rows:
            self._show_detail(None)
        table.focus()

    # --- the highlighted entry -----------------------------------------------------------------

    def _current(self) -> FeedbackRow | None:
        table = self.query_one("#feedback-table", DataTable)
        if not self.rows or table.cursor_row is None or table.cursor_row >= len(self.rows):
            return None
        return self.rows[table.cursor_row]

    def _current_id(self) -> int | None:
        row = self._current()
        return row.id if row else None

    @on(DataTable.RowHighlighted, "#feedback-table")
    def _highlighted(self) -> None:
        self._show_detail(self._current())

    @on(DataTable.RowSelected, "#feedback-table")
    def _selected(self) -> None:
        self.action_edit()

    def _show_detail(self, row: FeedbackRow | None) -> None:
        detail = self.query_one("#feedback-detail", Static)
        if row is None:
            detail.update("No feedback recorded here yet: n records the spend of a period.")
            return
        lines = [
            f"{row.agency} · {row.period_from} – {row.period_to} · reported"
            f" {_usd(row.spend_usd)} USD by {row.reported_by} on {row.reported_at:%Y-%m-%d}",
        ]
        if row.override_reason:
            lines.append(f"Override: {row.override_reason}")
        if row.orders_changed:
            lines.append(
                f"Orders changed since: {_usd(row.computed_then)} USD computed then,"
                f" {_usd(row.computed_now)} now"
            )
        lines.append(f"Feedback: {row.general_feedback or '—'}")
        detail.update("\n".join(lines))

    # --- actions -------------------------------------------------------------------------------

    def action_back(self) -> None:
        if len(self.app.screen_stack) > 1:
            self.app.pop_screen()

    def _may_change(self, agency: str) -> bool:
        """R26: only the agency's focal points record its feedback; else say so."""
        user = self.app.config.user
        refused = check_permission(user.role, user.agency, "change", agency)
        if refused:
            self.notify(refused[0].message, severity="warning", timeout=6, markup=False)
        return not refused

    def action_new(self) -> None:
        agency = self.app.config.user.agency
        if self.info is None or not self._may_change(agency):
            return
        recorded = {(r.period_from, r.period_to) for r in self.rows if r.agency == agency}
        self.app.push_screen(FeedbackForm(self.info, agency, None, recorded), self._saved)

    def action_edit(self) -> None:
        row = self._current()
        if self.info is None or row is None:
            return
        if self._may_change(row.agency):
            self.app.push_screen(FeedbackForm(self.info, row.agency, row), self._saved)

    def _saved(self, saved: SavedFeedback | None) -> None:
        if saved is None:
            return
        what = "recorded" if saved.created else "changed"
        self.notify(
            f"Feedback of {saved.agency} for {saved.period_from} – {saved.period_to} {what}:"
            f" {_usd(saved.spend_usd)} USD.",
            timeout=4,
            markup=False,
        )
        self._select = saved.id
        self.reload()

    def action_export(self) -> None:
        if self.info is None:
            return
        app, scope, reference = self.app, self.scope, self.info.reference

        def write(request: ExportRequest) -> Path:
            from lta_tui.services.feedback import feedback_entries, write_feedback

            with app.engine().connect() as conn:
                export = feedback_entries(conn, scope=scope, lta=reference)
            request.path.parent.mkdir(parents=True, exist_ok=True)
            return write_feedback(export, request.fmt, request.path, now=app.now()) or request.path

        def written(path: Path | None) -> None:
            if path is not None:
                self.notify(f"Written to {path}", timeout=6, markup=False)

        self.app.push_screen(ExportFeedback(reference, scope, write), written)


# --- the form ------------------------------------------------------------------------------------


def default_period(
    today: date, recorded: set[tuple[date, date]] = frozenset()
) -> tuple[date, date]:
    """The period a new entry proposes: the last calendar year that has ended, or the current
    one when the last is recorded already."""
    last = date(today.year - 1, 1, 1), date(today.year - 1, 12, 31)
    if last in recorded:
        return date(today.year, 1, 1), date(today.year, 12, 31)
    return last


class FeedbackForm(RecordForm["SavedFeedback | None"]):
    """Record (`row` None) or change an entry: the agency (the user's own), the contractual
    period, the spend computed from the orders (read live), the spend reported (the computed
    one unless overridden, with a reason), the general feedback. Dismissed with the
    `SavedFeedback`, or None."""

    CSS_PATH = "feedback.tcss"
    HEAD = "#feedback-form"
    HELP: ClassVar[str] = (
        "The UNGM feedback of a period. From and To: t (today), +5, -10 or 2025-01-01. The "
        "spend computed from the orders of the period shows as you type; the reported spend "
        "starts as that figure. Reporting another figure is an override: say why in the "
        "reason. General feedback is free text (enter makes a new line). ctrl+s saves, esc "
        "leaves (asking first when something changed)."
    )
    BINDINGS: ClassVar[list[BindingType]] = [
        Binding("ctrl+s", "save", "Save", priority=True, tooltip="Save the feedback"),
        Binding("escape", "leave", "Back", tooltip="Leave the form (asks before discarding)"),
    ]
    FIELDS = ("agency", "period_from", "period_to", "spend_usd", "override_reason")

    class _Computed(Message):
        def __init__(self, generation: int, period: tuple[date, date], spend: Any) -> None:
            super().__init__()
            self.generation = generation
            self.period = period
            self.spend = spend  # Decimal, or the error's message

    def __init__(
        self,
        info: LtaInfo,
        agency: str,
        row: FeedbackRow | None,
        recorded: set[tuple[date, date]] = frozenset(),
    ) -> None:
        super().__init__()
        self.info = info
        self.recorded = recorded  # the agency's periods with an entry already
        self.agency = agency
        self.row = row
        self.computed: Decimal | None = None
        self._computed_for: tuple[date, date] | None = None
        self._generation = 0
        self._debounce: Timer | None = None
        #: A new entry's reported spend follows the computed one until the user types it.
        self._follow = row is None

    def compose(self) -> ComposeResult:
        yield Header()
        with Vertical(id="feedback-form"):
            info = self.info
            yield Static(
                f"LTA {info.reference} · valid {info.valid_from} – {info.valid_to}",
                id="feedback-lta",
                markup=False,
            )
            yield FormField(
                "Agency", Input(self.agency, id="agency", compact=True, disabled=True),
                id="agency-field",
            )  # fmt: skip
            with Horizontal(classes="form-row"):
                yield FormField(
                    "Period from",
                    Input(id="period_from", compact=True, placeholder="t, +5, -10, YYYY-MM-DD"),
                    id="period_from-field",
                )
                yield FormField(
                    "to",
                    Input(id="period_to", compact=True, placeholder="t, +5, -10, YYYY-MM-DD"),
                    label_width=3,
                    id="period_to-field",
                )
            yield Static("Computed from the orders: …", id="computed", markup=False)
            yield FormField(
                "Reported USD", Input(id="spend_usd", compact=True), id="spend_usd-field"
            )
            yield FormField(
                "Reason",
                Input(
                    id="override_reason",
                    compact=True,
                    placeholder="why the reported spend differs (then required)",
                ),
                id="override_reason-field",
            )
            yield Label("General feedback", id="general-label")
            yield TextArea(id="general_feedback", soft_wrap=True, show_line_numbers=False)
            yield Static("", id="form-errors", markup=False)
        yield Footer()

    def on_mount(self) -> None:
        row = self.row
        if row is not None:
            first, last = row.period_from, row.period_to
        else:
            first, last = default_period(self._today(), self.recorded)
        self._set("period_from", first.isoformat())
        self._set("period_to", last.isoformat())
        if row is not None:
            self._set("spend_usd", f"{row.spend_usd:.2f}")
            self._set("override_reason", row.override_reason or "")
            self.query_one(TextArea).text = row.general_feedback
        self.sub_title = f"UNGM feedback of {self.agency}" + (
            f" · {row.label}" if row else " · new entry"
        )
        self.query_one("#period_from", Input).focus()
        self._initial = self._snapshot()
        self._period_changed()

    # --- the period and the computed spend ---------------------------------------------------

    def _day(self, name: str) -> date | None:
        try:
            return parse_day(self._text(name), self._today())
        except DateError:
            return None

    def _period(self) -> tuple[date, date] | None:
        first, last = self._day("period_from"), self._day("period_to")
        return (first, last) if first and last else None

    @on(Input.Changed, "#period_from, #period_to")
    def _period_typed(self) -> None:
        if self._debounce is not None:
            self._debounce.stop()
        self._debounce = self.set_timer(CHECK_DEBOUNCE, self._period_changed)

    def _period_changed(self) -> None:
        for name in ("period_from", "period_to"):
            day = self._day(name)
            shown = day is not None and self._text(name) != day.isoformat()
            self.query_one(f"#{name}-field", FormField).set_aside(day.isoformat() if shown else "")
        period = self._period()
        self._generation += 1
        if period is None or period[0] > period[1]:
            self.computed, self._computed_for = None, None
            self.query_one("#computed", Static).update("Computed from the orders: — (no period)")
            self._check()
            return
        if period == self._computed_for:
            self._check()
            return
        self.query_one("#computed", Static).update("Computed from the orders: computing…")
        self._compute(self.app, self._generation, period)

    @work(thread=True, exclusive=True, exit_on_error=False, group="feedback-computed")
    def _compute(self, app: Any, generation: int, period: tuple[date, date]) -> None:
        from lta_tui.services.feedback import computed_spend

        try:
            with app.engine().connect() as conn:
                spend: Any = computed_spend(
                    conn, self.agency, *period, contract_start=self.info.valid_from
                )
        except Exception as exc:  # shown on the form, never a traceback
            spend = str(exc) or exc.__class__.__name__
        self.post_message(self._Computed(generation, period, spend))

    @on(_Computed)
    def _computed(self, message: _Computed) -> None:
        if message.generation != self._generation:
            return  # the period changed since
        box = self.query_one("#computed", Static)
        if not isinstance(message.spend, Decimal):
            self.computed, self._computed_for = None, None
            box.update(f"Computed from the orders: could not compute: {message.spend}")
            return
        self.computed, self._computed_for = message.spend, message.period
        box.update(
            f"Computed from the orders: {_usd(message.spend)} USD"
            f" ({message.period[0]} – {message.period[1]})"
        )
        if self._follow:
            untouched = self._snapshot() == self._initial
            self._set("spend_usd", f"{reported_default(message.spend):f}")
            if untouched:  # the proposed figure is not something the user typed
                self._initial = self._snapshot()
        self._check()

    # --- what the checks say, as typed -------------------------------------------------------

    @on(Input.Changed, "#spend_usd, #override_reason")
    def _typed(self, event: Input.Changed) -> None:
        if event.input.id == "spend_usd" and event.input.has_focus:
            self._follow = False
        self._check()

    def _reported(self) -> Decimal | None:
        try:
            return parse_amount(self._text("spend_usd"))
        except MoneyError:
            return None

    def _local_findings(self) -> list[Finding]:
        """What the form can tell without the database: dates, the amount, and the checks of
        `domain.feedback` once the computed spend is known."""
        found = []
        for name, label in (("period_from", "Period from"), ("period_to", "Period to")):
            try:
                parse_day(self._text(name), self._today())
            except DateError as exc:
                found.append(Finding("input", Severity.error, f"{label}: {exc}", name))
        try:
            reported = parse_amount(self._text("spend_usd"))
        except MoneyError as exc:
            found.append(Finding("input", Severity.error, f"Reported USD: {exc}", "spend_usd"))
            reported = None
        period = self._period()
        if period is not None and reported is not None:
            found += check_feedback(
                period_from=period[0],
                period_to=period[1],
                lta=self.info.validity,
                computed=self.computed if self.computed is not None else reported,
                reported=reported,
                reason=self._text("override_reason"),
            )
        return found

    def _check(self) -> list[Finding]:
        found = self._local_findings()
        self._show_findings(found)
        return found

    def _show_findings(self, found: list[Finding] | tuple[Finding, ...]) -> None:
        for name in self.FIELDS:
            mine = [f for f in found if self._field_of(f) == name]
            self.query_one(f"#{name}-field", FormField).show_messages(
                [f.message for f in mine if f.is_error],
                [f.message for f in mine if not f.is_error],
            )
        self._general_messages([f.message for f in found if self._field_of(f) is None])

    # --- saving --------------------------------------------------------------------------------

    def action_save(self) -> None:
        if self._saving:
            return
        found = self._check()
        errors = [f for f in found if f.is_error]
        period, reported = self._period(), self._reported()
        if errors or period is None or reported is None:
            self.notify(
                "Not saved: " + "; ".join(f.message for f in errors[:3]),
                severity="error",
                timeout=8,
                markup=False,
            )
            self._focus_first_problem()
            return
        from lta_tui.services.feedback import FeedbackInput, save_feedback

        row = self.row
        data = FeedbackInput(
            agency=self.agency,
            period_from=period[0],
            period_to=period[1],
            spend_usd=reported,
            general_feedback=self.query_one(TextArea).text,
            override_reason=self._text("override_reason") or None,
            feedback_id=row.id if row else None,
            loaded_reported_at=row.reported_at if row else None,
        )
        reference = self.info.reference

        def save(engine: Any, actor: Any, rules: Any, now: datetime) -> SavedFeedback:
            return save_feedback(engine, actor, data, lta=reference, now=now)

        self._save_with(save, data)

    def _show_refused(self, refused: tuple[Finding, ...]) -> None:
        self._show_findings(refused)

    def _general_messages(self, errors: Any) -> None:
        messages = [m for m in errors if m]
        box = self.query_one("#form-errors", Static)
        box.update("\n".join(messages))
        box.set_class(bool(messages), "-shown")

    def _focus_first_problem(self) -> None:
        for name in self.FIELDS:
            field = self.query_one(f"#{name}-field", FormField)
            if field.has_class("-error") and not field.control.disabled:
                field.control.focus()
                return

    def _snapshot(self) -> tuple:
        area = self.query(TextArea)
        return (
            *(self._text(n) for n in ("period_from", "period_to", "spend_usd", "override_reason")),
            area.first().text if area else "",
        )

    def _discard_what(self) -> str:
        return "this feedback"


# --- the export ----------------------------------------------------------------------------------


@dataclass(frozen=True)
class ExportRequest:
    fmt: str  # "md" | "csv" | "json"
    path: Path  # absolute


class ExportFeedback(ActionForm):
    """Which format and which file: the entries of the scope, as `lta-tui export feedback`."""

    GO = "writes the file"

    def __init__(self, reference: str, scope: str | None, submit: Any) -> None:
        super().__init__("Export the UNGM feedback", submit)
        self.reference = reference
        self.scope = scope
        self.cwd = Path.cwd()
        self._proposed = self._path("md")

    def _path(self, fmt: str) -> str:
        return str(EXPORT_FOLDER / f"feedback-{self.reference}-{self.scope or 'all'}.{fmt}")

    def compose_form(self) -> ComposeResult:
        yield from field_line(
            "Format", ChoiceInput(FORMATS, value=FORMATS[0].text, id="fmt"), "fmt"
        )
        yield from field_line("File", Input(self._proposed, id="path", compact=True), "path")
        yield Static(f"Relative to {self.cwd}", classes="field-note", markup=False)

    def on_mount(self) -> None:
        self.query_one("#fmt", ChoiceInput).focus()

    @on(ChoiceInput.Chosen)
    def _chosen(self) -> None:
        """Another format: the file name follows, unless the user typed another."""
        path = self.query_one("#path", Input)
        fmt = self.query_one("#fmt", ChoiceInput).code
        if path.value.strip() == self._proposed and fmt in {c.value for c in FORMATS}:
            self._proposed = self._path(fmt)
            path.value = self._proposed

    def collect(self) -> ExportRequest | None:
        fmt = self.query_one("#fmt", ChoiceInput).code
        typed = self.query_one("#path", Input).value.strip()
        if fmt not in {c.value for c in FORMATS}:
            self.show_error("fmt-error", "Format: md, csv or json")
            return None
        if not typed:
            self.show_error("path-error", "File: required")
            return None
        path = Path(typed).expanduser()
        if not path.suffix:
            path = path.with_suffix(f".{fmt}")
        elif path.suffix.lower() != f".{fmt}":
            self.show_error("path-error", f"File: ends in {path.suffix}, not .{fmt}")
            return None
        return ExportRequest(fmt, path if path.is_absolute() else self.cwd / path)

    def field_of(self, name: str | None) -> str | None:
        return {"path": "path-error", "fmt": "fmt-error"}.get(name or "")
