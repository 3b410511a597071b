"""The modals of an order's lifecycle, opened from the order detail: confirm (issue, close),
record a delivery, cancel with a reason, rate the delivered order.

The form modals check what they can themselves (a date, a quantity, a score), then run the
order service through the `submit` function the detail screen gives them, in a thread worker.
A refusal (`Refused`, a version `Conflict`, ...) keeps the modal open with each message under the
field it names, or at the bottom; nothing is half-done. On success the modal is dismissed with
what `submit` returned.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from datetime import date
from decimal import Decimal
from pathlib import Path
from typing import Any, ClassVar

from rich.text import Text
from textual import on, work
from textual.app import ComposeResult
from textual.binding import Binding, BindingType
from textual.containers import Horizontal, Vertical, VerticalScroll
from textual.message import Message
from textual.screen import ModalScreen
from textual.widgets import Input, Label, Static

from lta_tui.domain.dates import DateError, parse_day
from lta_tui.domain.money import MoneyError, format_quantity, parse_quantity

_CSS = Path(__file__).with_name("order_actions.tcss")

#: The five criteria of a performance review: (field of `ReviewInput`, label).
REVIEW_CRITERIA: tuple[tuple[str, str], ...] = (
    ("on_time_delivery", "On-time delivery"),
    ("quantity", "Quantity"),
    ("conformity", "Conformity to specification"),
    ("responsiveness", "Responsiveness"),
    ("after_sales", "After-sales / warranty"),
)
SCORE_MEANINGS = {1: "poor", 2: "fair", 3: "good", 4: "very good"}
SCALE = "1 poor · 2 fair · 3 good · 4 very good"


# --- confirm -------------------------------------------------------------------------------


class ConfirmAction(ModalScreen[bool]):
    """Ask before an action that takes no input (issue, close): enter or y goes ahead."""

    CSS_PATH = _CSS
    BINDINGS: ClassVar[list[BindingType]] = [
        Binding("enter", "answer(True)", "Go ahead", priority=True),
        Binding("y", "answer(True)", "Yes", show=False),
        Binding("escape", "answer(False)", "Back"),
        Binding("n", "answer(False)", "No", show=False),
    ]

    def __init__(self, title: str, question: str, go: str) -> None:
        super().__init__()
        self.title_text, self.question, self.go = title, question, go

    def compose(self) -> ComposeResult:
        with Vertical(classes="action-box") as box:
            box.border_title = self.title_text
            box.border_subtitle = f"enter {self.go} · esc back"
            yield Static(Text(self.question), classes="action-text")

    def action_answer(self, yes: bool) -> None:
        self.dismiss(yes)


# --- the form modals -----------------------------------------------------------------------


@dataclass(frozen=True)
class DeliveryEntry:
    """What the delivery modal asks the service to record."""

    delivered_on: date
    quantities: Mapping[int, Decimal]  # line number → quantity delivered this time


@dataclass(frozen=True)
class UndeliveredLine:
    line_no: int
    description: str
    unit: str
    remaining: Decimal


class ActionForm(ModalScreen[Any]):
    """A modal form whose `submit(value)` runs the order service in a thread worker."""

    CSS_PATH = _CSS
    BINDINGS: ClassVar[list[BindingType]] = [
        Binding("ctrl+s", "submit", "Save", priority=True),
        Binding("escape", "back", "Back"),
    ]
    #: What enter or ctrl+s does, for the border and the footer of the box.
    GO: ClassVar[str] = "save"

    class Done(Message):
        def __init__(self, result: object) -> None:
            super().__init__()
            self.result = result

    class Failed(Message):
        def __init__(self, messages: list[tuple[str | None, str]]) -> None:
            super().__init__()
            self.messages = messages  # (field or None, message)

    def __init__(self, title: str, submit: Callable[[Any], object]) -> None:
        super().__init__()
        self.title_text = title
        self.submit = submit
        self.busy = False
        self._errors: dict[str, list[str]] = {}  # error line id → messages shown there

    def compose(self) -> ComposeResult:
        with Vertical(classes="action-box") as box:
            box.border_title = self.title_text
            box.border_subtitle = f"enter or ctrl+s {self.GO} · esc back"
            yield from self.compose_form()
            yield Static(id="action-error", classes="field-error", markup=False)

    def compose_form(self) -> ComposeResult:
        yield from ()

    # --- subclasses ---

    def collect(self) -> Any:
        """The value to submit, or None after `show_error` explained what is wrong."""
        raise NotImplementedError

    def field_of(self, name: str | None) -> str | None:
        """The id of the error line under the field a service finding names, if shown here."""
        return None

    # --- errors ---

    def clear_errors(self) -> None:
        self._errors.clear()
        for error in self.query(".field-error").results(Static):
            error.update("")
            error.remove_class("-shown")

    def show_error(self, field: str | None, message: str) -> None:
        """`message` under `field`'s error line (an id of this modal), else at the bottom."""
        where = field or "action-error"
        shown = self._errors.setdefault(where, [])
        shown.append(message)
        target = self.query_one(f"#{where}", Static)
        target.update("\n".join(shown))
        target.add_class("-shown")

    # --- running ---

    @on(Input.Submitted)
    def _entered(self, event: Input.Submitted) -> None:
        event.stop()
        self.action_submit()

    def action_submit(self) -> None:
        if self.busy:
            return
        self.clear_errors()
        value = self.collect()
        if value is None:
            return
        self.busy = True
        self.query_one("#action-error", Static).update("Saving…")
        self.query_one("#action-error", Static).add_class("-shown")
        self._run(value)

    @work(thread=True, exclusive=True, exit_on_error=False, group="order-action")
    def _run(self, value: Any) -> None:
        from lta_tui.domain.rules import Refused
        from lta_tui.services.conflicts import Conflict
        from lta_tui.services.orders import NeedsAcknowledgement

        try:
            result = self.submit(value)
        except Refused as refused:
            self.post_message(self.Failed([(f.field, f.message) for f in refused.findings]))
        except NeedsAcknowledgement as needs:
            self.post_message(self.Failed([(w.field, w.message) for w in needs.warnings]))
        except (Conflict, ValueError, LookupError) as error:
            self.post_message(self.Failed([(None, str(error))]))
        except Exception as error:  # never a traceback: say what failed
            self.post_message(self.Failed([(None, f"{error.__class__.__name__}: {error}")]))
        else:
            self.post_message(self.Done(result))

    @on(Done)
    def _done(self, message: Done) -> None:
        self.dismiss(message.result)

    @on(Failed)
    def _failed(self, message: Failed) -> None:
        self.busy = False
        self.clear_errors()
        for field, text in message.messages or [(None, "refused")]:
            self.show_error(self.field_of(field), text)
        self.app.notify(
            "\n".join(text for _, text in message.messages),
            title="Not saved",
            severity="error",
            timeout=10,
            markup=False,
        )

    def action_back(self) -> None:
        if not self.busy:
            self.dismiss(None)


def _error_line(field_id: str) -> Static:
    return Static(id=f"{field_id}-error", classes="field-error", markup=False)


def field_line(label: str, control: Any, name: str, hint: str = "") -> ComposeResult:
    """One line of a modal form: label, control, hint; its error line underneath."""
    with Vertical(classes="field"):
        with Horizontal(classes="field-row"):
            yield Label(label, classes="field-label")
            yield control
            if hint:
                yield Label(hint, id=f"{name}-hint", classes="field-hint")
        yield _error_line(name)


class ReasonForm(ActionForm):
    """An action that needs a reason, typed in `#reason` and kept with the record."""

    #: What is said when no reason is typed.
    REQUIRED: ClassVar[str] = "Reason: required"

    def on_mount(self) -> None:
        self.query_one("#reason", Input).focus()

    def collect(self) -> str | None:
        reason = self.query_one("#reason", Input).value.strip()
        if not reason:
            self.show_error("reason-error", self.REQUIRED)
            return None
        return reason

    def field_of(self, name: str | None) -> str | None:
        return "reason-error" if name in ("reason", "cancellation_reason") else None


class RecordDelivery(ActionForm):
    """A delivery: its date, and per undelivered line the quantity (the rest, as typed)."""

    GO = "records"

    def __init__(
        self,
        title: str,
        submit: Callable[[DeliveryEntry], object],
        lines: Sequence[UndeliveredLine],
        today: date,
    ) -> None:
        super().__init__(title, submit)
        self.lines = list(lines)
        self.today = today

    def compose_form(self) -> ComposeResult:
        with Vertical(classes="field"):
            with Horizontal(classes="field-row"):
                yield Label("Delivered on", classes="field-label")
                yield Input(
                    self.today.isoformat(), id="delivered-on", classes="date-input", compact=True
                )
                yield Label("t, -3, 2026-11-15", classes="field-hint")
            yield _error_line("delivered-on")
        with Horizontal(classes="delivery-head"):
            yield Label("#", classes="line-no")
            yield Label("Line", classes="line-description")
            yield Label("Remaining", classes="line-remaining")
            yield Label("Delivered now", classes="line-quantity")
        with VerticalScroll(id="delivery-lines", can_focus=False):
            for line in self.lines:
                with Horizontal(classes="delivery-line"):
                    yield Label(str(line.line_no), classes="line-no")
                    yield Label(Text(line.description), classes="line-description")
                    yield Label(
                        f"{format_quantity(line.remaining)} {line.unit}", classes="line-remaining"
                    )
                    yield Input(
                        _plain(line.remaining),
                        id=f"qty-{line.line_no}",
                        classes="qty-input",
                        compact=True,
                    )
                yield _error_line(f"qty-{line.line_no}")

    def on_mount(self) -> None:
        self.query_one("#delivered-on", Input).focus()

    def collect(self) -> DeliveryEntry | None:
        ok = True
        try:
            day = parse_day(self.query_one("#delivered-on", Input).value, self.today)
        except DateError as error:
            self.show_error("delivered-on-error", f"Delivered on: {error}")
            ok = False
        quantities: dict[int, Decimal] = {}
        for line in self.lines:
            typed = self.query_one(f"#qty-{line.line_no}", Input).value.strip()
            where = f"qty-{line.line_no}-error"
            if not typed:
                continue
            try:
                qty = parse_quantity(typed)
            except MoneyError as error:
                self.show_error(where, f"line {line.line_no}: {error}")
                ok = False
                continue
            if qty < 0:
                self.show_error(where, f"line {line.line_no}: a quantity cannot be negative")
                ok = False
            elif qty > line.remaining:
                self.show_error(
                    where,
                    f"line {line.line_no}: {format_quantity(qty)} is more than the "
                    f"{format_quantity(line.remaining)} {line.unit} still to deliver",
                )
                ok = False
            elif qty:
                quantities[line.line_no] = qty
        if ok and not quantities:
            self.show_error(None, "Nothing delivered: type a quantity on at least one line.")
            ok = False
        return DeliveryEntry(day, quantities) if ok else None

    def field_of(self, name: str | None) -> str | None:
        if not name:
            return None
        if name in ("delivered_on", "date"):
            return "delivered-on-error"
        number = re.search(r"(\d+)", name)
        if number and int(number.group(1)) in {line.line_no for line in self.lines}:
            return f"qty-{number.group(1)}-error"
        return None


class CancelOrder(ReasonForm):
    """Cancel an order: a reason is required and recorded."""

    GO = "cancels the order"
    REQUIRED = "Reason: required to cancel an order"

    def compose_form(self) -> ComposeResult:
        yield Static(
            "A cancelled order stays on record but takes no more changes and does not count "
            "as spend. Say why: the reason is kept with the order and in its history.",
            classes="action-text",
        )
        yield from field_line(
            "Reason",
            Input(placeholder="why the order is cancelled", id="reason", compact=True),
            "reason",
        )


class RateOrder(ActionForm):
    """Rate a delivered order: five criteria 1–4 and a comment (pre-filled when rated)."""

    GO = "saves the rating"

    def __init__(
        self,
        title: str,
        submit: Callable[[Any], object],
        scores: Mapping[str, int] | None = None,
        comment: str = "",
    ) -> None:
        super().__init__(title, submit)
        self.scores = dict(scores or {})
        self.comment = comment
        self._typed = {key: str(value) for key, value in self.scores.items()}

    def compose_form(self) -> ComposeResult:
        yield Static(f"Each criterion 1 to 4: {SCALE}.", classes="action-text")
        for key, label in REVIEW_CRITERIA:
            score = self.scores.get(key)
            with Vertical(classes="field"):
                with Horizontal(classes="field-row"):
                    yield Label(label, classes="score-label")
                    yield Input(
                        str(score) if score else "",
                        id=key,
                        classes="score-input",
                        restrict=r"[1-4]?",
                        max_length=1,
                        placeholder="1–4",
                        compact=True,
                    )
                    yield Label(
                        SCORE_MEANINGS.get(score or 0, ""), id=f"{key}-meaning", classes="meaning"
                    )
                yield _error_line(key)
        with Vertical(classes="field"):
            with Horizontal(classes="field-row"):
                yield Label("Comment", classes="score-label")
                yield Input(
                    self.comment, placeholder="what went well or wrong", id="comment", compact=True
                )
            yield _error_line("comment")

    def on_mount(self) -> None:
        self.query_one(f"#{REVIEW_CRITERIA[0][0]}", Input).focus()

    @on(Input.Changed, ".score-input")
    def _score_typed(self, event: Input.Changed) -> None:
        key = event.input.id or ""
        meaning = SCORE_MEANINGS.get(int(event.value), "") if event.value.isdecimal() else ""
        self.query_one(f"#{key}-meaning", Label).update(meaning)
        if self._typed.get(key, "") == event.value:
            return  # the pre-filled score, not a key press
        self._typed[key] = event.value
        if meaning and event.input.has_focus:
            self.focus_next()  # one key per criterion, then on to the next

    def collect(self) -> Any:
        from lta_tui.services.orders import ReviewInput

        scores: dict[str, int] = {}
        for key, label in REVIEW_CRITERIA:
            typed = self.query_one(f"#{key}", Input).value.strip()
            if typed not in ("1", "2", "3", "4"):
                self.show_error(f"{key}-error", f"{label}: choose a score from 1 to 4 ({SCALE})")
            else:
                scores[key] = int(typed)
        if len(scores) < len(REVIEW_CRITERIA):
            return None
        return ReviewInput(**scores, comment=self.query_one("#comment", Input).value.strip())

    def field_of(self, name: str | None) -> str | None:
        keys = {key for key, _ in REVIEW_CRITERIA} | {"comment"}
        return f"{name}-error" if name in keys else None


def _plain(quantity: Decimal) -> str:
    """A quantity as typed: `10`, `2.5` (no thousands separators, no exponent)."""
    return f"{quantity.normalize():f}"


# --- one change of the history -------------------------------------------------------------

#: Values recorded in the order's currency, and in USD.
_IN_CURRENCY = frozenset(
    {"total", "first_total", "previous_total", "new_total", "unit_price", "amount", "ceiling"}
)
_LABELS = {
    "sub_lta": "Sub-LTA",
    "total_usd": "Total USD",
    "fx_rate": "Exchange rate",
    "fx_effective_date": "Rate of",
    "destination_country": "Destination",
    "first_total": "First total",
}


def describe_event(before: str | None, after: str | None, currency: str) -> list[str]:
    """An audit event's before/after (R25 JSON) as lines to read: `Status: draft → issued`,
    one value a line; a list of order lines one line per order line; amounts with `currency`
    (or USD). Text that is not a JSON object is shown as it is."""
    old, new = snapshot(before), snapshot(after)
    if (before and old is None) or (after and new is None):
        return [t for t in (before, after) if t]
    old, new = old or {}, new or {}
    created = not before
    keys = [*old, *(k for k in new if k not in old)]
    keys.sort(key=lambda k: (k != "status", k == "lines"))  # the status first, lines last
    out: list[str] = []
    for key in keys:
        a, b = old.get(key), new.get(key)
        if a == b:
            continue
        label = _LABELS.get(key, key.replace("_", " ").capitalize())
        if key == "lines" and isinstance(a or [], list) and isinstance(b or [], list):
            out += _lines_change(a or [], b or [], currency, created)
        elif isinstance(a, dict) or isinstance(b, dict):  # e.g. delivered per line number
            a, b = a if isinstance(a, dict) else {}, b if isinstance(b, dict) else {}
            for sub in [*a, *(k for k in b if k not in a)]:
                if a.get(sub) != b.get(sub):
                    what = f"line {sub}" if str(sub).isdecimal() else str(sub)
                    out.append(
                        f"{label} {what}: {_shown(key, a.get(sub), currency)} → "
                        f"{_shown(key, b.get(sub), currency)}"
                    )
        elif created or key not in old:
            out.append(f"{label}: {_shown(key, b, currency)}")
        else:
            out.append(f"{label}: {_shown(key, a, currency)} → {_shown(key, b, currency)}")
    return out or ["no change"]


def snapshot(text: str | None) -> dict | None:
    """An audit event's before or after as recorded (R25 JSON), or None when it is not a JSON
    object."""
    import json

    if not text:
        return None
    try:
        value = json.loads(text)
    except ValueError:
        return None
    return value if isinstance(value, dict) else None


def _shown(key: str, value: Any, currency: str) -> str:
    """One recorded value as it reads: an amount with its currency, a quantity without
    trailing zeros, a status in words."""
    from lta_tui.domain.money import format_money

    if value is None or value == "":
        return "—"
    if key == "status":
        return str(value).replace("_", " ")
    number = _decimal(value)
    if number is not None:
        if key.endswith("_usd"):
            return format_money(number, "USD")
        if key in _IN_CURRENCY:
            return format_money(number, currency)
        if key == "fx_rate":
            return f"{number.normalize():f} {currency}/USD"
        if key in ("delivered", "quantity", "quantities") and not isinstance(value, bool):
            return format_quantity(number)
    return str(value)


def _decimal(value: Any) -> Decimal | None:
    from decimal import InvalidOperation

    if isinstance(value, bool) or not isinstance(value, (int, float, str)):
        return None
    try:
        number = Decimal(str(value))
    except InvalidOperation:
        return None
    return number if number.is_finite() else None


def _line_text(line: Sequence[Any], currency: str) -> str:
    """`[n, kind, code, description, quantity, unit_price]` as `2 × 851.00 EUR  A2-LAP01 Item`."""
    from lta_tui.domain.money import format_money

    if len(line) < 6:
        return " ".join(str(x) for x in line[1:])
    _, kind, code, description, quantity, price = line[:6]
    qty, unit = _decimal(quantity), _decimal(price)
    amounts = (
        f"{format_quantity(qty)} × {format_money(unit, currency)}"
        if qty is not None and unit is not None
        else f"{quantity} × {price}"
    )
    what = f"{code} " if code else ""
    return f"{amounts}  {what}{description}" + ("" if kind in (None, "goods") else f" ({kind})")


def _lines_change(
    old: Sequence[Any], new: Sequence[Any], currency: str, created: bool
) -> list[str]:
    def by_number(lines: Sequence[Any]) -> dict[Any, Sequence[Any]]:
        return {(x[0] if isinstance(x, list) and x else n): x for n, x in enumerate(lines, 1)}

    a, b = by_number(old), by_number(new)
    out = [f"Lines ({len(new)}):" if created else "Lines:"]
    for n in [*a, *(k for k in b if k not in a)]:
        x, y = a.get(n), b.get(n)
        if x == y:
            continue
        if x is None:
            out.append(f"  {'' if created else '+ '}line {n}: {_line_text(y, currency)}")
        elif y is None:
            out.append(f"  − line {n}: {_line_text(x, currency)}")
        elif len(x) >= 6 and len(y) >= 6 and list(x[1:4]) == list(y[1:4]):
            # the same item: only its quantity and price changed
            what = " ".join(str(v) for v in (y[2], y[3]) if v)
            before = _line_text([x[0], x[1], None, "", *x[4:6]], currency).strip()
            after = _line_text([y[0], y[1], None, "", *y[4:6]], currency).strip()
            out.append(f"  line {n} {what}: {before} → {after}")
        else:
            out.append(f"  line {n}: {_line_text(x, currency)} → {_line_text(y, currency)}")
    return out


class ChangeView(ModalScreen[None]):
    """The whole of one change of an order's history, to read and scroll; esc closes it."""

    BINDINGS: ClassVar[list[BindingType]] = [
        Binding("escape", "close", "Close"),
        Binding("enter,q", "close", "Close", show=False),
    ]
    DEFAULT_CSS = """
    ChangeView {
        align: center middle;
        background: $background 60%;

        & > #change-box {
            width: 90%;
            max-width: 100;
            height: auto;
            max-height: 90%;
            border: round $border;
            border-title-color: $text-accent;
            border-title-style: bold;
            border-subtitle-color: $text-muted;
            background: $surface;
            padding: 0 1;
        }
        & #change-text {
            height: auto;
        }
    }
    """

    def __init__(self, title: str, lines: Sequence[str]) -> None:
        super().__init__()
        self.title_text = title
        self.lines = tuple(lines)

    def compose(self) -> ComposeResult:
        with VerticalScroll(id="change-box") as box:
            box.border_title = self.title_text
            box.border_subtitle = "↑ ↓ scroll · esc closes"
            yield Static(Text("\n".join(self.lines)), id="change-text")

    def on_mount(self) -> None:
        self.query_one("#change-box").focus()

    def action_close(self) -> None:
        self.dismiss(None)
