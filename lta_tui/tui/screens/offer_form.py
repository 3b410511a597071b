"""The offer form (`o` on a competition): an offer received by e-mail, typed as it reads.

Who sent it (one of the invited holders) and when, its currency, one unit price per requirement
line (each line's description and quantity shown, its amount computed as typed), a price per
service the competition asks for, delivery days, warranty months, validity, the sustainability
answers and the technical compliance. Once the deadline has passed, or when the time typed is
after it, the form says that the offer will be recorded late and excluded (R6).

The form never shows a price of an offer already recorded: offers stay sealed until the opening
(R5), so a revision is typed afresh. `ctrl+s` records the offer through `record_offer` in a
worker; what the service refuses is shown under the field it names.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Sequence
from datetime import date, datetime, time, timezone
from decimal import Decimal
from typing import TYPE_CHECKING, Any, ClassVar

from rich.text import Text
from textual import on, work
from textual.app import ComposeResult
from textual.binding import Binding, BindingType
from textual.containers import Horizontal, Vertical, VerticalScroll
from textual.message import Message
from textual.widgets import Footer, Header, Input, Label, Static

from lta_tui.domain.dates import DateError, parse_day
from lta_tui.domain.money import MoneyError, format_amount, line_amount, parse_amount
from lta_tui.tui.screens.competition_actions import YesNoInput, yes_no
from lta_tui.tui.screens.record_form import RecordForm
from lta_tui.tui.widgets import formats
from lta_tui.tui.widgets.choice_input import Choice, ChoiceInput
from lta_tui.tui.widgets.form_field import FormField

if TYPE_CHECKING:
    from lta_tui.domain.rules import Finding
    from lta_tui.services.competition_compare import Comparison
    from lta_tui.services.competition_types import OfferInput, SavedCompetition

_TIME = re.compile(r"^(\d{1,2}):?(\d{2})$")
SERVICE_LABELS = {
    "freight": "Freight",
    "export_licensing": "Export licensing",
    "installation_support": "Installation",
    "warranty": "Warranty",
}
#: The fields of the form that are one field of the offer (a service finding's `field`),
#: besides `received_at` (typed as a day and a time), the unit prices and the services.
_FIELDS = (
    "consolidator",
    "currency",
    "received_on",
    "received_time",
    "delivery_days",
    "warranty_months",
    "valid_until",
    "takes_back_equipment",
    "energy_label",
    "compliant",
    "disqualification_reason",
)
_YES_NO = ("takes_back_equipment", "energy_label", "compliant")


class TimeError(ValueError):
    pass


def parse_time(text: str) -> time:
    """`9:30`, `09:30` or `0930` (UTC)."""
    typed = text.strip()
    match = _TIME.match(typed)
    if not match:
        raise TimeError(f"{typed!r} is not a time: use HH:MM (UTC)" if typed else "a time (HH:MM)")
    hours, minutes = int(match.group(1)), int(match.group(2))
    if hours > 23 or minutes > 59:
        raise TimeError(f"{typed!r} is not a time of the day")
    return time(hours, minutes)


class OfferFormScreen(RecordForm["SavedCompetition | None"]):
    """Record an offer to the competition of `comparison` (as read by the detail screen: its
    lines, services, deadline and version) from one of `invited` (consolidator codes).
    Dismissed with the `SavedCompetition`, or None when left without saving."""

    CSS_PATH = "offer_form.tcss"
    HELP: ClassVar[str] = (
        "Type the offer as the e-mail reads: the holder (one of those invited), when it was "
        "received (a date: t, -1, 2026-11-14; and a time in UTC), its currency, a unit price per "
        "requirement line (the amount is computed as you type), a price for each service the "
        "competition asks for, delivery days, warranty months, valid until, and y or n for "
        "take-back of old equipment, energy label and technical compliance (not compliant needs "
        "the reason). An offer received after the deadline is recorded late and excluded (R6). "
        "Prices stay sealed until the opening (R5): a second offer from the same holder before "
        "the deadline replaces the first. tab or enter moves on, ctrl+s records the offer, esc "
        "leaves (asking first when something was typed)."
    )
    BINDINGS: ClassVar[list[BindingType]] = [
        Binding("ctrl+s", "save", "Record offer", priority=True, tooltip="Record the offer"),
        Binding("escape", "leave", "Back", tooltip="Leave the form (asks before discarding)"),
    ]

    class _Currencies(Message):
        def __init__(self, choices: tuple[Choice, ...], names: dict[str, str]) -> None:
            super().__init__()
            self.choices = choices
            self.names = names

    def __init__(self, comparison: Comparison, invited: Sequence[str]) -> None:
        super().__init__()
        self.comparison = comparison
        self.invited = tuple(invited)
        self.services = tuple(comparison.services)
        self._local: dict[str, list[str]] = {}  # field → what the form could not read
        #: The moment the form opened, which "received" starts on (shown to the minute), and
        #: the day and time shown for it: left so, the offer is saved as received then.
        self._opened: datetime | None = None
        self._opened_text: tuple[str, str] = ("", "")

    # --- layout ---------------------------------------------------------------------------

    def compose(self) -> ComposeResult:
        c = self.comparison
        now = self._opened = self._now()
        self._opened_text = (now.date().isoformat(), now.strftime("%H:%M"))
        yield Header()
        with VerticalScroll(id="offer-body"):
            with Vertical(id="offer-sheet"):
                yield Static(id="offer-deadline", markup=False)
                with Horizontal(classes="form-row"):
                    yield FormField(
                        "Consolidator",
                        ChoiceInput(
                            [Choice(code) for code in self.invited],
                            id="consolidator",
                            placeholder="an invited holder",
                        ),
                        id="consolidator-field",
                    )
                    yield FormField(
                        "Currency",
                        ChoiceInput(id="currency", placeholder="code or name"),
                        id="currency-field",
                    )
                with Horizontal(classes="form-row"):
                    yield FormField(
                        "Received on",
                        Input(self._opened_text[0], id="received_on", compact=True),
                        id="received_on-field",
                    )
                    yield FormField(
                        "at (UTC)",
                        Input(self._opened_text[1], id="received_time", compact=True),
                        id="received_time-field",
                    )
                yield Static("Unit prices", classes="offer-heading")
                with Horizontal(classes="price-head"):
                    yield Label("#", classes="line-no")
                    yield Label("Requirement", classes="line-description")
                    yield Label("Quantity", classes="line-quantity")
                    yield Label("Unit price", classes="line-price")
                    yield Label("Amount", classes="line-amount")
                for line in c.lines:
                    with Vertical(classes="price-line"):
                        with Horizontal(classes="price-row"):
                            yield Label(str(line.line_no), classes="line-no")
                            yield Label(Text(line.description), classes="line-description")
                            yield Label(
                                f"{formats.quantity(line.quantity)} {line.unit}",
                                classes="line-quantity",
                            )
                            yield Input(
                                id=f"price-{line.line_no}",
                                classes="line-price",
                                compact=True,
                                placeholder="unit price",
                            )
                            yield Label("", id=f"amount-{line.line_no}", classes="line-amount")
                        yield Static(
                            id=f"price-{line.line_no}-error", classes="line-error", markup=False
                        )
                if self.services:
                    yield Static("Services", classes="offer-heading")
                    for code in self.services:
                        label = SERVICE_LABELS.get(code, code)
                        optional = code == "warranty"
                        yield FormField(
                            label + (" (optional)" if optional else ""),
                            Input(
                                id=f"service-{code}",
                                compact=True,
                                placeholder="optional" if optional else "price",
                            ),
                            label_width=24,
                            id=f"service-{code}-field",
                            classes="service-field",
                        )
                yield Static(id="offer-total", markup=False)
                with Horizontal(classes="form-row"):
                    yield FormField(
                        "Delivery",
                        Input(id="delivery_days", compact=True, restrict=r"\d*"),
                        id="delivery_days-field",
                    )
                    yield FormField(
                        "Warranty",
                        Input(id="warranty_months", compact=True, restrict=r"\d*"),
                        id="warranty_months-field",
                    )
                with Horizontal(classes="form-row"):
                    yield FormField(
                        "Valid until",
                        Input(id="valid_until", compact=True, placeholder="+90 or a date"),
                        id="valid_until-field",
                    )
                    yield FormField(
                        "Takes back",
                        YesNoInput(False, id="takes_back_equipment"),
                        id="takes_back_equipment-field",
                    )
                with Horizontal(classes="form-row"):
                    yield FormField(
                        "Energy label",
                        YesNoInput(False, id="energy_label"),
                        id="energy_label-field",
                    )
                    yield FormField(
                        "Compliant",
                        YesNoInput(True, id="compliant"),
                        id="compliant-field",
                    )
                yield FormField(
                    "Reason",
                    Input(
                        id="disqualification_reason",
                        compact=True,
                        placeholder="why it is not technically compliant",
                    ),
                    id="disqualification_reason-field",
                    classes="-hidden",
                )
                yield Static(id="offer-errors", markup=False)
        yield Footer()

    def on_mount(self) -> None:
        self.sub_title = f"Record an offer · {self.comparison.reference}"
        self._load_currencies(self.app)
        self._show_deadline()
        self._show_amounts()
        for name in _YES_NO:
            self._show_answer(name)
        self.query_one("#delivery_days-field", FormField).set_aside("days")
        self.query_one("#warranty_months-field", FormField).set_aside("months")
        self._show_day("received_on")
        self._show_day("valid_until")
        self._initial = self._snapshot()
        self.query_one("#consolidator", ChoiceInput).focus()

    @work(thread=True, exclusive=True, exit_on_error=False, group="offer-form-prepare")
    def _load_currencies(self, app: Any) -> None:
        from lta_tui.services.competitions import competition_form_context
        from lta_tui.services.orders import Actor

        try:
            context = competition_form_context(
                app.engine(), Actor.from_config(app.config), app.today()
            )
        except Exception as exc:  # shown on the form, never a traceback
            self.post_message(self._SaveAnswer(error=f"Could not read the currencies: {exc}"))
            return
        names = {h.code: h.name for h in context.holders}
        choices = tuple(Choice(c.code, c.name) for c in context.currencies)
        self.post_message(self._Currencies(choices, names))

    @on(_Currencies)
    def _currencies(self, message: _Currencies) -> None:
        self.query_one("#currency", ChoiceInput).set_choices(message.choices)
        holders = self.query_one("#consolidator", ChoiceInput)
        holders.set_choices(Choice(code, message.names.get(code, "")) for code in self.invited)

    # --- what is typed ----------------------------------------------------------------------

    def _currency(self) -> str:
        return self.query_one("#currency", ChoiceInput).code.upper()

    @on(Input.Changed)
    def _typed(self, event: Input.Changed) -> None:
        name = event.input.id or ""
        self._clear_messages(name)
        if name in ("received_on", "received_time"):
            self._show_deadline()
        if name in ("received_on", "valid_until"):
            self._show_day(name)
        elif name in _YES_NO:
            self._show_answer(name)
        if name.startswith(("price-", "service-")) or name == "currency":
            self._show_amounts()

    @on(ChoiceInput.Chosen)
    def _chosen(self, event: ChoiceInput.Chosen) -> None:
        if event.input.id == "currency":
            self._show_amounts()
        elif event.input.id == "consolidator":
            self._show_deadline()
        if event.picked:
            self.focus_next()

    def _received(self) -> datetime | None:
        try:
            day = parse_day(self._text("received_on"), self.app.today())
            at = parse_time(self._text("received_time"))
        except (DateError, TimeError):
            return None
        return self._received_at(day, at)

    def _received_at(self, day: date, at: time) -> datetime:
        """When the offer was received: the moment the form opened when the day and time it
        started on are left as they are (they show it to the minute only: an offer recorded
        now was received now, not at the start of the minute, before the competition was
        issued perhaps), else the day and time typed."""
        typed = (self.query_one("#received_on", Input).value,
                 self.query_one("#received_time", Input).value)  # fmt: skip
        if self._opened is not None and typed == self._opened_text:
            return self._opened
        return datetime.combine(day, at, tzinfo=timezone.utc)

    def _show_deadline(self) -> None:
        """What the deadline means for this offer: on time, late (R6), or a revision."""
        from lta_tui.domain.rules import check_offer_on_time

        c = self.comparison
        received, now, deadline = self._received(), self._now(), c.deadline
        late = check_offer_on_time(received, deadline) if deadline and received else []
        if late:
            lines = [late[0].message]
        elif deadline is not None and now > deadline:
            lines = [
                f"The deadline {formats.moment(deadline)} has passed: an offer received after "
                "it is recorded late and excluded (R6). Type when the e-mail arrived."
            ]
        else:
            left = formats.time_left(deadline - now) if deadline else "no deadline"
            lines = [
                f"Deadline {formats.moment(deadline)} ({left} left). Prices stay sealed until "
                "the opening is recorded (R5)."
            ]
        code = self.query_one("#consolidator", ChoiceInput).code
        before = [r for r in c.received if r.consolidator == code]
        if before:
            earlier = (
                f"{code} already made an offer, received {formats.moment(before[-1].received_at)}"
            )
            if deadline is not None and now > deadline:
                lines.append(f"{earlier}: after the deadline an offer no longer changes.")
            else:
                lines.append(f"{earlier}: this one replaces it (a revision).")
        box = self.query_one("#offer-deadline", Static)
        box.update("\n".join(lines))
        box.set_class(bool(late), "-late")

    def _show_day(self, name: str) -> None:
        """The day a shorthand (t, -1, +90) stands for, beside the field."""
        typed = self._text(name)
        try:
            day = parse_day(typed, self.app.today())
        except DateError:
            day = None
        aside = "optional" if name == "valid_until" and not typed else ""
        if day is not None:
            aside = f"{day:%a}" if typed == day.isoformat() else f"{day:%a} {day.isoformat()}"
        self.query_one(f"#{name}-field", FormField).set_aside(aside)

    def _show_answer(self, name: str) -> None:
        answer = self.query_one(f"#{name}", YesNoInput).answer
        self.query_one(f"#{name}-field", FormField).set_aside(yes_no(answer))
        if name == "compliant":
            self.query_one("#disqualification_reason-field").set_class(
                answer is not False, "-hidden"
            )

    def _price(self, name: str) -> Decimal | None:
        try:
            return parse_amount(self._text(name))
        except MoneyError:
            return None

    def _show_amounts(self) -> None:
        """Each line's amount, the goods, the services and the landed total as typed."""
        currency = self._currency() or "USD"
        goods, complete = Decimal(0), True
        for line in self.comparison.lines:
            price = self._price(f"price-{line.line_no}")
            amount = self.query_one(f"#amount-{line.line_no}", Label)
            if price is None:
                complete = False
                amount.update("")
                continue
            value = line_amount(line.quantity, price, currency)
            goods += value
            amount.update(format_amount(value, currency))
        services = Decimal(0)
        for code in self.services:
            price = self._price(f"service-{code}")
            if price is not None:
                services += price
            elif code != "warranty":
                complete = False
        total = Text(f"Goods {format_amount(goods, currency)}", style="bold")
        if self.services:
            total.append(f"  ·  services {format_amount(services, currency)}")
        total.append(f"  ·  landed total {format_amount(goods + services, currency)} {currency}")
        if not complete:
            total.append("  (prices missing)", style="italic")
        self.query_one("#offer-total", Static).update(total)

    # --- reading the offer ------------------------------------------------------------------

    def read_offer(self) -> OfferInput | None:
        """The offer as typed, or None after showing what cannot be read under its field."""
        from lta_tui.services.competition_types import OfferInput

        local: dict[str, list[str]] = {}
        code = self.query_one("#consolidator", ChoiceInput).code
        if not code:
            local["consolidator"] = ["Consolidator: required (one of the invited holders)"]
        currency = self._currency()
        if not currency:
            local["currency"] = ["Currency: required"]
        try:
            day = parse_day(self._text("received_on"), self.app.today())
        except DateError as exc:
            local["received_on"] = [f"Received on: {exc}"]
            day = None
        try:
            at = parse_time(self._text("received_time"))
        except TimeError as exc:
            local["received_time"] = [f"Time: {exc}"]
            at = None
        prices: list[Decimal] = []
        for line in self.comparison.lines:
            name = f"price-{line.line_no}"
            try:
                prices.append(parse_amount(self._text(name)))
            except MoneyError as exc:
                local[name] = [f"line {line.line_no}: {exc}"]
        services: list[tuple[str, Decimal]] = []
        for service in self.services:
            name = f"service-{service}"
            typed = self._text(name)
            if not typed and service == "warranty":
                continue
            try:
                services.append((service, parse_amount(typed)))
            except MoneyError as exc:
                local[name] = [f"{SERVICE_LABELS.get(service, service)}: {exc}"]
        numbers = {}
        for name, label in (("delivery_days", "Delivery days"), ("warranty_months", "Warranty")):
            typed = self._text(name)
            if not typed:
                local[name] = [f"{label}: required"]
            else:
                numbers[name] = int(typed)
        valid_until: date | None = None
        if self._text("valid_until"):
            try:
                valid_until = parse_day(self._text("valid_until"), self.app.today())
            except DateError as exc:
                local["valid_until"] = [f"Valid until: {exc}"]
        answers = {name: self.query_one(f"#{name}", YesNoInput).answer for name in _YES_NO}
        for name, answer in answers.items():
            if answer is None:
                local[name] = ["y or n"]
        reason = self._text("disqualification_reason") or None
        if answers["compliant"] is False and not reason:
            local["disqualification_reason"] = ["Reason: required for an offer not compliant"]
        self._local = local
        if local or day is None or at is None:
            return None
        return OfferInput(
            consolidator=code,
            received_at=self._received_at(day, at),
            currency=currency,
            line_prices=tuple(prices),
            services=tuple(services),
            delivery_days=numbers["delivery_days"],
            warranty_months=numbers["warranty_months"],
            valid_until=valid_until,
            takes_back_equipment=bool(answers["takes_back_equipment"]),
            energy_label=bool(answers["energy_label"]),
            compliant=bool(answers["compliant"]),
            disqualification_reason=None if answers["compliant"] else reason,
        )

    # --- messages under the fields ------------------------------------------------------------

    def _clear_messages(self, name: str) -> None:
        """Field `name` changed: what was said under it (by the form or the last save) goes
        until the next save. "Received at" findings are shown under the day."""
        names = ("received_on", "received_time") if name.startswith("received_") else (name,)
        for field in names:
            if field in _FIELDS or field.startswith(("price-", "service-")):
                self._local.pop(field, None)
                if self.query(
                    f"#{field}-error" if field.startswith("price-") else f"#{field}-field"
                ):
                    self._field_messages(field, [])

    def _field_messages(self, name: str, errors: Sequence[str], warnings: Sequence[str] = ()):
        if name.startswith("price-"):
            box = self.query_one(f"#{name}-error", Static)
            box.update("\n".join([*errors, *warnings]))
            box.set_class(bool(errors or warnings), "-shown")
            return
        field = self.query_one(f"#{name}-field", FormField)
        field.show_messages(errors, warnings)

    def _where(self, field: str | None) -> str | None:
        """The form field a service finding names (`lines.2.unit_price`, `services.freight`)."""
        if not field:
            return None
        if field == "received_at":
            return "received_on"
        if field in _FIELDS:
            return field
        line = re.match(r"lines\.(\d+)\.", field)
        if line and self.query(f"#price-{line.group(1)}"):
            return f"price-{line.group(1)}"
        if field.startswith("services.") and self.query(f"#service-{field[9:]}-field"):
            return f"service-{field[9:]}"
        return None

    def _show_messages(self, refused: Sequence[Finding] = ()) -> None:
        """The messages of the form's own reading and of the service's refusal, each under
        its field; the others at the bottom."""
        by_field = {k: list(v) for k, v in self._local.items()}
        general: list[str] = []
        for finding in refused:
            where = self._where(finding.field)
            if where is None:
                general.append(finding.message)
            else:
                by_field.setdefault(where, []).append(finding.message)
        names = [
            *_FIELDS,
            *(f"price-{x.line_no}" for x in self.comparison.lines),
            *(f"service-{s}" for s in self.services),
        ]
        for name in names:
            self._field_messages(name, by_field.get(name, []))
        self._general_messages(general)

    def _show_refused(self, refused: tuple[Finding, ...]) -> None:
        self._show_messages(refused)

    def _general_messages(self, errors: Iterable[str]) -> None:
        texts = list(errors)
        box = self.query_one("#offer-errors", Static)
        box.update("\n".join(texts))
        box.set_class(bool(texts), "-shown")

    def _focus_first_problem(self) -> None:
        for field in self.query(FormField).results(FormField):
            if field.has_class("-error") and field.display:
                field.control.focus()
                return
        for line in self.comparison.lines:
            if self.query_one(f"#price-{line.line_no}-error").has_class("-shown"):
                self.query_one(f"#price-{line.line_no}", Input).focus()
                return

    # --- saving ---------------------------------------------------------------------------

    def action_save(self) -> None:
        if self._saving:
            return
        if isinstance(self.focused, ChoiceInput):
            self.focused.hide_choices()
        offer = self.read_offer()
        self._show_messages()
        if offer is None:
            self.notify("Fill in the fields marked before saving.", severity="error", markup=False)
            self._focus_first_problem()
            return
        self._record(offer)

    def _record(self, offer: OfferInput) -> None:
        comparison = self.comparison

        def save(engine: Any, actor: Any, rules: Any, now: datetime) -> SavedCompetition:
            from lta_tui.services import competitions as service

            return service.record_offer(
                engine, comparison.competition_id, offer, actor, rules, now=now,
                expected_version=comparison.version,
            )  # fmt: skip

        self._save_with(save)

    def _save_error(self, exc: Exception) -> dict[str, Any]:
        from lta_tui.services import competitions as service

        if isinstance(exc, (service.CompetitionConflict, ValueError, LookupError)):
            return {"error": str(exc)}
        return {"error": f"Could not save: {exc.__class__.__name__}: {exc}"}

    # --- leaving --------------------------------------------------------------------------

    def _snapshot(self) -> tuple[str, ...]:
        return tuple(box.value for box in self.query(Input).results(Input))

    def _discard_what(self) -> str:
        return "this offer"
