"""The order form: a new order (`n` on Orders), a draft edited, or an issued order amended.

Header fields in the order of the paper form, then lines typed row by row, a running total in
the order currency and in USD at the rate in force. The rules run as the user types: 0.2 s
after the last change a worker calls `check_order` and each finding is shown under the field
it names (`Finding.field`), the others by the total. `ctrl+s` saves through `save_order` in a
worker: errors refuse, warnings ask for an acknowledgement, a stale version names who changed
the order. `esc` asks before discarding changes. Nothing here touches the database on the UI
thread: workers call the order service and post messages back.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import replace
from datetime import date, datetime
from decimal import Decimal
from typing import TYPE_CHECKING, Any, ClassVar

from rich.text import Text
from textual import events, on, work
from textual.app import ComposeResult
from textual.binding import Binding, BindingType
from textual.containers import Horizontal, Vertical, VerticalScroll
from textual.message import Message
from textual.timer import Timer
from textual.widgets import Footer, Header, Input, Static

from lta_tui.domain.dates import DateError, parse_day
from lta_tui.domain.money import format_money, line_amount
from lta_tui.domain.rules.findings import Finding, Severity
from lta_tui.services.order_types import (
    Actor,
    CatalogueChoice,
    FormContext,
    LineInput,
    OrderCheck,
    OrderInput,
    SavedOrder,
    SubLtaChoice,
)
from lta_tui.tui.screens.record_form import RecordForm, choosing
from lta_tui.tui.widgets.choice_input import Choice, ChoiceInput
from lta_tui.tui.widgets.form_field import FormField
from lta_tui.tui.widgets.order_lines import LineEditor, OrderLinesTable
from lta_tui.tui.widgets.yes_no_dialog import YesNoDialog

if TYPE_CHECKING:
    from lta_tui.domain.fx import Rate

CHECK_DEBOUNCE = 0.2  # seconds after the last change before the rules run
AMENDABLE = ("issued", "partially_delivered")

#: Header fields: id, label. Compose order is the tab order of the paper form.
_ROWS = (
    (("agency", "Agency"), ("channel", "Channel")),
    (("consolidator", "Consolidator"), ("lot", "Lot")),
    (("sub_lta", "Sub-LTA"), ("order_date", "Order date")),
    (("currency", "Currency"), ("destination_country", "Destination")),
)
_CHANNELS = (
    Choice("direct", "under a sub-LTA"),
    Choice("mini_competition", "from an awarded competition"),
)


class OrderFormScreen(RecordForm["SavedOrder | None"]):
    """A new order (`order_id` None) or order `order_id`: a draft is edited, an issued or
    partially delivered order amended (a reason is then required). Dismissed with the
    `SavedOrder`, or None when left without saving."""

    CSS_PATH = "order_form.tcss"
    HEAD = "#form-head"
    LINE_INPUTS = ("line-",)
    FIELD_OF = {
        "country": "destination_country",
        "award": "competition",
        "destination": "destination_country",
    }
    HELP: ClassVar[str] = (
        "Type the order as on paper: tab (or enter) moves to the next field. Fields with a list "
        "find a choice from any part of its code or name (ken → KE Kenya, euro → EUR Euro): "
        "↓ ↑ choose, enter takes it. Order date: t (today), +5, -10 or 2026-03-15. "
        "Lines: an item of the sub-LTA's catalogue or a service (freight, export_licensing, "
        "installation_support, warranty), quantity, unit price; enter adds the line. In the "
        "lines table enter edits a line, delete removes it. The rules run as you type and say "
        "what is wrong under each field. ctrl+s saves the order as a draft (warnings ask to be "
        "acknowledged), esc leaves (asking first when something changed)."
    )
    BINDINGS: ClassVar[list[BindingType]] = [
        Binding("ctrl+s", "save", "Save", priority=True, tooltip="Save the order (draft)"),
        Binding("escape", "leave", "Back", tooltip="Leave the form (asks before discarding)"),
        Binding("q", "leave", "Back", show=False),
    ]

    # --- messages from the workers --------------------------------------------------------

    class _Catalogue(Message):
        def __init__(self, reference: str, items: tuple[CatalogueChoice, ...]) -> None:
            super().__init__()
            self.reference = reference
            self.items = items

    class _Checked(Message):
        def __init__(self, generation: int, check: OrderCheck) -> None:
            super().__init__()
            self.generation = generation
            self.check = check

    def __init__(self, order_id: int | None = None, *, po_number: str | None = None) -> None:
        super().__init__()
        self.order_id = order_id
        self.po_number = po_number
        self.context: FormContext | None = None
        self.status: str | None = None  # of the loaded order
        self._version: int | None = None
        self._lines: list[LineInput] = []
        self._sub_ltas: dict[str, SubLtaChoice] = {}
        self._catalogue_of: str | None = None  # sub-LTA whose catalogue the editor holds
        self._debounce: Timer | None = None
        self._edits = 0  # bumped by every change of the order: a check of an older one is stale
        self._check: OrderCheck | None = None
        self._checked = -1  # the edit the shown check is of
        self._local: dict[str, list[str]] = {}  # field → messages found without the service
        self._tried_save = False

    # --- layout ---------------------------------------------------------------------------

    def compose(self) -> ComposeResult:
        yield Header()
        with Vertical(id="form-head"):
            for row in _ROWS:
                with Horizontal(classes="form-row"):
                    for name, label in row:
                        yield FormField(label, self._control(name), id=f"{name}-field")
                        if name == "sub_lta":
                            yield FormField(
                                "Competition",
                                Input(
                                    id="competition",
                                    compact=True,
                                    placeholder="reference of the awarded competition",
                                ),
                                id="competition-field",
                                classes="-hidden",
                            )
            with Horizontal(classes="form-row -hidden", id="amendment-row"):
                yield FormField(
                    "Reason",
                    Input(
                        id="amendment_reason",
                        compact=True,
                        placeholder="why the order is amended (required)",
                    ),
                    id="amendment_reason-field",
                )
            with Horizontal(classes="form-row -hidden", id="ceiling-row"):
                yield FormField(
                    "Ceiling amend.",
                    Input(
                        id="ceiling_amendment",
                        compact=True,
                        placeholder="reference of the recorded ceiling amendment (R15)",
                    ),
                    id="ceiling_amendment-field",
                )
        yield LineEditor(id="line-editor")
        yield OrderLinesTable(id="order-lines")
        yield Static("", id="form-total", markup=False)
        with VerticalScroll(id="form-messages", can_focus=False):
            yield Static("", id="line-findings", markup=False)
            yield Static("", id="form-errors", markup=False)
            yield Static("", id="form-warnings", markup=False)
        yield Footer()

    def _control(self, name: str) -> Input:
        if name == "order_date":
            return Input(value="t", id=name, compact=True, placeholder="t, +5, -10, YYYY-MM-DD")
        placeholders = {
            "agency": "agency code",
            "consolidator": "code or name",
            "lot": "1–5",
            "sub_lta": "reference",
            "currency": "code or name",
            "destination_country": "code or name",
        }
        if name == "channel":
            return ChoiceInput(_CHANNELS, value="direct", id=name)
        return ChoiceInput(id=name, placeholder=placeholders.get(name, ""))

    def on_mount(self) -> None:
        self.sub_title = self._title()
        self._start_on_own_agency()
        self._date_changed()
        self._show_total()
        self.query_one("#form-head").loading = True
        self._prepare()

    def _title(self) -> str:
        if self.order_id is None:
            return "New order"
        name = self.po_number or f"order {self.order_id}"
        if self.status in AMENDABLE:
            return f"Amend {name}"
        return f"Edit {name}" + (f" ({self.status.replace('_', ' ')})" if self.status else "")

    # --- reading the choices and the order --------------------------------------------------

    def _prepare(self) -> None:
        app, order_id = self.app, self.order_id

        def read() -> tuple[FormContext, tuple[OrderInput, int, str] | None]:
            from lta_tui.services import orders as service

            engine = app.engine()
            actor = Actor.from_config(app.config)
            context = service.order_form_context(engine, actor, app.today())
            return context, service.load_order_input(engine, order_id) if order_id else None

        self._prepare_in_worker(read)

    def _show_choices(
        self, context: FormContext, loaded: tuple[OrderInput, int, str] | None
    ) -> None:
        ctx = self.context = context
        self._sub_ltas = {s.reference: s for s in ctx.sub_ltas}
        self._choices("agency", [Choice(a.code, a.name) for a in ctx.agencies])
        self._choices(
            "consolidator",
            [
                Choice(c.code, c.name, "" if c.eligibility == "eligible" else c.eligibility)
                for c in ctx.consolidators
            ],
        )
        self._choices("lot", [Choice(str(lot.number), lot.title) for lot in ctx.lots])
        self._choices("currency", [Choice(c.code, c.name) for c in ctx.currencies])
        self._choices("destination_country", [Choice(c.alpha2, c.name) for c in ctx.countries])
        self.query_one(LineEditor).set_choices(services=ctx.services)
        agency = self._choice("agency")
        if not agency.value.strip() or self.order_id is None:
            agency.take(agency.resolve(ctx.default_agency) or Choice(ctx.default_agency))
        if loaded is not None:
            self._fill(*loaded)
        self._sub_lta_choices()
        self.query_one("#form-head").loading = False
        self._initial = self._snapshot()
        self._first_focus()
        self._changed()

    def _choices(self, name: str, choices: list[Choice]) -> None:
        self._choice(name).set_choices(choices)

    def _fill(self, order: OrderInput, version: int, status: str) -> None:
        """Show a saved order in the form."""
        self._version, self.status = version, status
        self.sub_title = self._title()
        for name, value in (
            ("agency", order.agency),
            ("channel", order.channel),
            ("consolidator", order.consolidator),
            ("lot", str(order.lot)),
            ("sub_lta", order.sub_lta or ""),
            ("currency", order.currency),
            ("destination_country", order.destination_country),
        ):
            box = self._choice(name)
            box.take(box.resolve(value) or (Choice(value) if value else None))
        self._set("order_date", order.order_date.isoformat())
        self._set("competition", order.competition or "")
        self._set("amendment_reason", "")
        self._set("ceiling_amendment", order.ceiling_amendment or "")
        self._lines = list(order.lines)
        self._channel_changed()
        self.query_one("#amendment-row").set_class(status not in AMENDABLE, "-hidden")
        self.query_one("#ceiling-row").set_class(not order.ceiling_amendment, "-hidden")
        self._date_changed()
        if order.sub_lta:
            self._load_catalogue(self.app, order.sub_lta)
        self._show_lines()

    def _first_focus(self) -> None:
        """A new order starts on its first field that may be changed (the channel when the
        agency is fixed), so tab goes through every field; a saved order on the first field
        still empty (the line editor once the header is filled)."""
        new = self.order_id is None
        for box in self.query("#form-head Input").results(Input):
            if not box.disabled and _shown(box) and (new or not box.value.strip()):
                box.focus()
                return
        self.query_one(LineEditor).focus_first()

    @work(thread=True, exclusive=True, exit_on_error=False, group="order-form-catalogue")
    def _load_catalogue(self, app: Any, reference: str) -> None:
        from lta_tui.services import orders as service

        try:
            items = service.catalogue(app.engine(), reference)
        except Exception as exc:
            self.post_message(self._Failed(f"read the catalogue of {reference}", exc))
            return
        self.post_message(self._Catalogue(reference, tuple(items)))

    @on(_Catalogue)
    def _catalogue(self, message: _Catalogue) -> None:
        if message.reference != self._sub_lta_reference():
            return
        self._catalogue_of = message.reference
        lots = {item.lot for item in message.items}
        lot_box = self._choice("lot")
        if not lot_box.value.strip() and len(lots) == 1:
            (only,) = lots
            lot_box.take(lot_box.resolve(str(only)) or Choice(str(only)))
        self.query_one(LineEditor).set_choices(catalogue=message.items, lot=self._lot())
        self._show_lines()

    # --- typing ---------------------------------------------------------------------------

    @on(Input.Changed)
    def _typed(self, event: Input.Changed) -> None:
        name = event.input.id or ""
        if name.startswith("line-"):
            return  # the line being typed is not part of the order yet: no check per key
        if name == "order_date":
            self._date_changed()
            self._sub_lta_choices()
        self._changed()

    @on(events.DescendantBlur)
    def _left_field(self, event: events.DescendantBlur) -> None:
        """A field left: its findings held back while it was being typed show now."""
        name = event.widget.id or ""
        if isinstance(event.widget, ChoiceInput) and self.query(f"#form-head #{name}-field"):
            self._show_field_messages(name)

    @on(ChoiceInput.Chosen)
    def _chosen(self, event: ChoiceInput.Chosen) -> None:
        name = event.input.id
        if name in ("agency", "consolidator"):
            self._sub_lta_choices(take_only=name == "consolidator")
        elif name == "sub_lta":
            self._sub_lta_chosen()
        elif name == "lot":
            self.query_one(LineEditor).set_choices(lot=self._lot())
        elif name == "channel":
            self._channel_changed()
        elif name == "currency":
            self._show_lines()
        if event.picked:
            self.focus_next()

    def _date_changed(self) -> None:
        field = self.query_one("#order_date-field", FormField)
        try:
            day = parse_day(self._text("order_date"), self._today())
        except DateError as exc:
            self._local["order_date"] = [f"Order date: {exc}"]
            field.set_aside("")
        else:
            self._local.pop("order_date", None)
            typed_in_full = self._text("order_date") == day.isoformat()
            field.set_aside(f"{day:%a}" if typed_in_full else f"{day:%a} {day.isoformat()}")
        self._show_field_messages("order_date")

    def _lot(self) -> int | None:
        code = self._choice("lot").code
        return int(code) if code.isdecimal() else None

    def _channel_changed(self) -> None:
        direct = self._choice("channel").code != "mini_competition"
        self.query_one("#sub_lta-field").set_class(not direct, "-hidden")
        self.query_one("#competition-field").set_class(direct, "-hidden")

    def _sub_lta_choices(self, *, take_only: bool = False) -> None:
        """The sub-LTAs of the agency and consolidator typed (all of them until then), those in
        force on the order date first, the others marked; with `take_only`, an empty sub-LTA
        field takes the only one valid on the order date. A sub-LTA not in force stays a
        choice: the rules (R13) say what is wrong with it, naming the dates."""
        agency = self._choice("agency").code
        consolidator = self._choice("consolidator").code
        fitting = [
            s
            for s in self._sub_ltas.values()
            if (not agency or s.agency == agency)
            and (not consolidator or s.consolidator == consolidator)
        ]
        on = self._order_date()
        valid = [s for s in fitting if on is None or s.valid_from <= on <= s.valid_to]
        others = [s for s in fitting if s not in valid]

        def choice(s: SubLtaChoice, in_force: bool) -> Choice:
            dates = f"{s.valid_from.isoformat()} – {s.valid_to.isoformat()}"
            if not in_force and on is not None:
                dates += f" (not in force on {on.isoformat()})"
            return Choice(s.reference, s.currency, dates)

        box = self._choice("sub_lta")
        box.set_choices([choice(s, True) for s in valid] + [choice(s, False) for s in others])
        if take_only and not box.value.strip() and agency and consolidator:
            if len(valid) == 1:
                box.take(box.resolve(valid[0].reference))

    def _sub_lta_reference(self) -> str:
        """The reference of the sub-LTA chosen, also when its text names none of the choices
        listed now (`UNDP/SLTA/2024/010 EUR` is passed on as `UNDP/SLTA/2024/010`)."""
        box = self._choice("sub_lta")
        code = box.code
        if code in self._sub_ltas:
            return code
        for reference in self._sub_ltas:
            if code.lower() == reference.lower() or code.lower().startswith(
                reference.lower() + " "
            ):
                return reference
        return code

    def _sub_lta_chosen(self) -> None:
        reference = self._sub_lta_reference()
        sub = self._sub_ltas.get(reference)
        if sub is None:
            return
        currency = self._choice("currency")
        if currency.code != sub.currency:
            currency.take(currency.resolve(sub.currency) or Choice(sub.currency))
        if self._catalogue_of != reference:
            self._load_catalogue(self.app, reference)

    def _order_date(self) -> date | None:
        try:
            return parse_day(self._text("order_date"), self._today())
        except DateError:
            return None

    # --- lines ----------------------------------------------------------------------------

    def _lines_changed(self) -> None:
        self._show_lines()
        self._changed()

    @property
    def lines(self) -> tuple[LineInput, ...]:
        return tuple(self._lines)

    def _currency(self) -> str:
        return self._choice("currency").code or "USD"

    def _show_lines(self) -> None:
        flagged = {n for n in range(len(self._lines)) if self._line_errors(n)}
        self.query_one(OrderLinesTable).show(self._lines, self._currency(), flagged)
        self._show_total()

    # --- checking -------------------------------------------------------------------------

    def _changed(self) -> None:
        """The order changed: show the total now, run the rules once typing pauses."""
        self._edits += 1
        if self._debounce is None:
            self._debounce = self.set_timer(CHECK_DEBOUNCE, self._run_check)
        else:
            self._debounce.reset()
        self._show_total()

    def _run_check(self) -> None:
        self._debounce = None
        order = self.read_order()
        self._show_all_messages()
        if order is None or self.context is None:
            return
        self._check_in_worker(self.app, order, self._edits)

    @work(thread=True, exclusive=True, exit_on_error=False, group="order-form-check")
    def _check_in_worker(self, app: Any, order: OrderInput, generation: int) -> None:
        from lta_tui.services import orders as service

        try:
            check = service.check_order(
                app.engine(),
                order,
                Actor.from_config(app.config),
                app.config.rules,
                order_id=self.order_id,
            )
        except Exception as exc:
            self.post_message(self._Failed("check the order", exc))
            return
        self.post_message(self._Checked(generation, check))

    @on(_Checked)
    def _checked_result(self, message: _Checked) -> None:
        if message.generation != self._edits:
            return  # the order changed since: a newer check is on its way
        self._check, self._checked = message.check, message.generation
        has_r15 = any(f.rule == "R15" and f.is_error for f in message.check.findings)
        ceiling = self.query_one("#ceiling-row")
        if has_r15:
            ceiling.remove_class("-hidden")
        self._show_all_messages()
        self._show_lines()

    @property
    def check(self) -> OrderCheck | None:
        """The rules' verdict on the order as it now stands (None while it is being checked)."""
        return self._check if self._checked == self._edits else None

    def read_order(self) -> OrderInput | None:
        """The order as typed, or None when a field cannot be read (the reasons are kept to
        show under the fields)."""
        local: dict[str, list[str]] = {}
        required = self._tried_save

        def code(name: str, label: str) -> str:
            value = self._choice(name).code
            if not value and required:
                local[name] = [f"{label}: required"]
            return value

        agency = code("agency", "Agency")
        channel = code("channel", "Channel") or "direct"
        consolidator = code("consolidator", "Consolidator")
        lot_text = self._choice("lot").code
        lot = int(lot_text) if lot_text.isdecimal() else None
        if lot is None and (lot_text or required):
            local["lot"] = [
                f"Lot: {lot_text!r} is not a lot number" if lot_text else "Lot: required"
            ]
        day = self._order_date()
        if day is None:
            try:
                parse_day(self._text("order_date"), self._today())
            except DateError as exc:
                local["order_date"] = [f"Order date: {exc}"]
        currency = code("currency", "Currency")
        country = code("destination_country", "Destination")
        direct = channel != "mini_competition"
        sub_lta = self._sub_lta_reference() if direct else ""
        competition = "" if direct else self._text("competition")
        if direct and not sub_lta and required:
            local["sub_lta"] = ["Sub-LTA: a direct order is placed under a sub-LTA"]
        if not direct and not competition and required:
            local["competition"] = ["Competition: required for an order from a competition"]
        reason = self._text("amendment_reason")
        if self.status in AMENDABLE and not reason and required:
            local["amendment_reason"] = ["Amendment reason: required to amend an issued order"]
        if not self._lines and required:
            local["lines"] = ["Lines: add at least one line (enter in the line editor)"]
        self._local = local
        if (
            local
            or not (agency and consolidator and currency and country)
            or lot is None
            or day is None
        ):
            return None
        return OrderInput(
            agency=agency,
            channel=channel,
            consolidator=consolidator,
            lot=lot,
            order_date=day,
            currency=currency,
            destination_country=country,
            lines=tuple(self._lines),
            sub_lta=sub_lta or None,
            competition=competition or None,
            ceiling_amendment=self._text("ceiling_amendment") or None,
            amendment_reason=reason or None,
        )

    # --- showing findings -----------------------------------------------------------------

    def _findings(self) -> tuple[Finding, ...]:
        check = self.check if self.check is not None else self._check
        return check.findings if check is not None else ()

    def _show_field_messages(self, name: str) -> None:
        field = self.query_one(f"#{name}-field", FormField)
        if choosing(field.control):
            # still being typed, its list open: judged when the user leaves it (or saves)
            field.show_messages()
            return
        findings = [f for f in self._findings() if self._field_of(f) == name]
        errors = self._local.get(name, []) + [f.message for f in findings if f.is_error]
        warnings = [f.message for f in findings if f.severity is Severity.warning]
        field.show_messages(errors, warnings)

    def _show_all_messages(self) -> None:
        for field in self.query("#form-head FormField").results(FormField):
            self._show_field_messages((field.id or "").removesuffix("-field"))
        findings = self._findings()
        general = [f for f in findings if self._field_of(f) is None]
        lines = [f for f in findings if self._field_of(f) == "lines"]
        if not self._lines and not self._tried_save:
            lines = []  # "needs at least one line" before any was typed says nothing new
        line_box = self.query_one("#line-findings", Static)
        line_texts = self._local.get("lines", []) + [f.message for f in lines]
        line_box.update("\n".join(line_texts))
        line_box.set_class(bool(line_texts), "-shown")
        line_box.set_class(
            not any(f.is_error for f in lines) and not self._local.get("lines"), "-warning"
        )
        self._general_messages(
            [f.message for f in general if f.is_error],
            [f.message for f in general if f.severity is not Severity.error],
        )
        editor = self.query_one(LineEditor)
        if editor.editing is not None:
            editor.show_messages(self._line_messages(editor.editing))

    def _general_messages(self, errors: Iterable[str], warnings: Iterable[str] = ()) -> None:
        for name, texts in (("form-errors", list(errors)), ("form-warnings", list(warnings))):
            box = self.query_one(f"#{name}", Static)
            box.update("\n".join(texts))
            box.set_class(bool(texts), "-shown")

    def _line_findings(self, index: int) -> list[Finding]:
        prefix = f"lines.{index + 1}."
        return [f for f in self._findings() if f.field and (f.field + ".").startswith(prefix)]

    def _line_errors(self, index: int) -> list[Finding]:
        return [f for f in self._line_findings(index) if f.is_error]

    def _line_messages(self, index: int) -> list[str]:
        return [f.message for f in self._line_findings(index)]

    def _show_total(self) -> None:
        currency = self._currency()
        total = sum(
            (line_amount(x.quantity, x.unit_price, currency) for x in self._lines), Decimal(0)
        )
        text = Text(f"Total {format_money(total, currency)}", style="bold")
        check = self.check
        if currency != "USD":
            if check is None:
                text.append("  ·  USD …", style="not bold")
            elif check.rate is not None:
                usd = check.total_usd if check.total_usd is not None else _usd(total, check.rate)
                text.append(f"  ·  {format_money(usd, 'USD') if usd is not None else 'USD —'}")
                text.append(f"  at {_rate(check.rate)}", style="not bold")
            elif any(f.rule == "R20" for f in check.findings):
                text.append("  ·  USD: no rate", style="not bold")
            else:  # the rate is looked up once the order reads well (currency, date)
                text.append("  ·  USD —", style="not bold")
        self.query_one("#form-total", Static).update(text)

    # --- saving ---------------------------------------------------------------------------

    def action_save(self) -> None:
        if self._saving or self._line_left_unfinished():
            return
        if self._debounce is not None:
            self._debounce.stop()
            self._debounce = None
        self._tried_save = True
        if isinstance(self.focused, ChoiceInput):
            self.focused.hide_choices()  # its findings show with the others
        order = self.read_order()
        self._show_all_messages()
        if order is None:
            self.notify("Fill in the fields marked before saving.", severity="error", markup=False)
            self._focus_first_problem()
            return
        check = self.check
        if check is not None and check.errors:
            count = len(check.errors)
            self.notify(
                f"{count} error{'s' if count != 1 else ''} to fix before saving.",
                severity="error",
                markup=False,
            )
            self._focus_first_problem()
            return
        self._save(order, frozenset())

    def _save(self, order: OrderInput, acknowledged: frozenset[str]) -> None:
        order_id, version = self.order_id, self._version

        def save(engine: Any, actor: Actor, rules: Any, now: datetime) -> SavedOrder:
            from lta_tui.services import orders as service

            return service.save_order(
                engine, order, actor, rules, now=now, acknowledged=acknowledged,
                order_id=order_id, expected_version=version,
            )  # fmt: skip

        self._save_with(save, (order, acknowledged))

    def _save_error(self, exc: Exception) -> dict[str, Any]:
        from lta_tui.services import orders as service

        if isinstance(exc, service.NeedsAcknowledgement):
            return {"warnings": exc.warnings}
        if isinstance(exc, service.OrderConflict):
            return {"error": str(exc)}
        return super()._save_error(exc)

    def _saved(self, saved: SavedOrder) -> None:
        self.app.notify(f"Saved {saved.po_number} ({saved.status.replace('_', ' ')})", markup=False)
        self.dismiss(saved)

    def _show_refused(self, refused: tuple[Finding, ...]) -> None:
        if self._check is not None:  # keep the figures, show what the save refused on
            self._check = replace(self._check, findings=refused)
        else:
            self._check = OrderCheck(refused, (), Decimal(0), None, None)
        self._checked = self._edits
        self._show_all_messages()
        self._show_lines()

    def _acknowledge(self, message: RecordForm._SaveAnswer) -> None:
        order, acknowledged = message.attempt
        warnings = message.warnings
        rules = frozenset(w.rule for w in warnings)

        def answered(yes: bool | None) -> None:
            if yes:
                self._save(order, acknowledged | rules)

        count = len(warnings)
        self.app.push_screen(
            YesNoDialog(
                f"{count} warning{'s' if count != 1 else ''} stand{'s' if count == 1 else ''}"
                " for this order",
                "Acknowledge and save? (recorded with the order)",
                [w.message for w in warnings],
                warning=True,
            ),
            answered,
        )

    def _focus_first_problem(self) -> None:
        for field in self.query("#form-head FormField").results(FormField):
            if field.messages and field.has_class("-error") and field.display:
                field.control.focus()
                return
        if self._local.get("lines") or any(self._line_errors(n) for n in range(len(self._lines))):
            if self._lines:
                table = self.query_one(OrderLinesTable)
                first = next(n for n in range(len(self._lines)) if self._line_errors(n))
                table.move_cursor(row=first)
                table.focus()
            else:
                self.query_one(LineEditor).focus_first()

    # --- leaving --------------------------------------------------------------------------

    def _snapshot(self) -> tuple:
        boxes = self.query("#form-head Input").results(Input)
        return tuple(box.value for box in boxes) + (tuple(self._lines),)

    def _discard_what(self) -> str:
        return "this order" if self.order_id is None else "your changes to this order"


def _usd(total: Decimal, rate: Rate) -> Decimal | None:
    """`total` in USD at `rate` (the check leaves its USD total out while a line is in
    error, a quantity of 0 say; the total shown counts every line)."""
    from lta_tui.domain.fx import to_usd

    try:
        return to_usd(total, rate)
    except (ArithmeticError, ValueError):
        return None


def _rate(rate: Rate) -> str:
    units = format(rate.units_per_usd.normalize(), "f")
    return f"{units} {rate.currency}/USD of {rate.effective_date.isoformat()}"


def _shown(widget: Any) -> bool:
    """Whether `widget` is laid out (no ancestor hidden by the `-hidden` class)."""
    node = widget
    while node is not None:
        if getattr(node, "has_class", None) and node.has_class("-hidden"):
            return False
        node = node.parent
    return True
