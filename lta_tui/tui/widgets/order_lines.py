"""The lines of the order form: a one-row editor (item, quantity, unit price, then description,
unit, UNSPSC) and the table of the lines added so far.

A catalogue item of the sub-LTA fills the description, UNSPSC, unit and unit price; a service
(freight, export licensing, installation/support, warranty) fills its description and UNSPSC.
`enter` adds the line (or puts back the line being edited); in the table `enter` edits a line
and `delete` removes it. Nothing here reads the database: the form hands in the choices.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass
from decimal import Decimal

from rich.text import Text
from textual import on
from textual.app import ComposeResult
from textual.containers import Horizontal
from textual.widgets import Input, Static

from lta_tui.domain.money import (
    MoneyError,
    format_amount,
    format_quantity,
    line_amount,
    parse_amount,
    parse_quantity,
)
from lta_tui.services.order_types import CatalogueChoice, LineInput, ServiceChoice
from lta_tui.tui.widgets.choice_input import Choice, ChoiceInput
from lta_tui.tui.widgets.form_field import FormField
from lta_tui.tui.widgets.lines import LineEditorBase, LinesTable

_NUMBER = r"[0-9.,]*"


@dataclass(frozen=True)
class _Problem:
    field: str  # id of the input to focus
    message: str
    missing: bool = False  # only empty: no message needed when moving on to it


class LineEditor(LineEditorBase):
    """Types one order line; posts `Submitted` on `enter` when the line reads well."""

    DEFAULT_CSS = """
    LineEditor {
        & #line-item-field, & #line-description-field {
            width: 1fr;
        }
        & #line-qty-field {
            width: 16;
        }
        & #line-price-field {
            width: 22;
        }
        & #line-unit-field {
            width: 16;
        }
        & #line-unspsc-field {
            width: 22;
        }
    }
    """

    FIELDS = ("line-item", "line-qty", "line-price", "line-description", "line-unit", "line-unspsc")
    DEFAULTS = {"line-unit": "each"}

    def __init__(self, *, id: str | None = None) -> None:
        super().__init__(id=id)
        self._catalogue: dict[str, CatalogueChoice] = {}
        self._services: dict[str, ServiceChoice] = {}
        self._lot: int | None = None
        self._kind = "goods"
        #: the item of the line put in the editor by `load`: its own description and price
        #: stay (the `Chosen` that `load` causes arrives after them); picking an item fills
        self._loaded_item: str | None = None

    def compose(self) -> ComposeResult:
        with Horizontal():
            yield FormField(
                "Item",
                ChoiceInput(id="line-item", placeholder="catalogue item or service"),
                label_width=6,
                id="line-item-field",
            )
            yield FormField(
                "Qty",
                Input(id="line-qty", compact=True, restrict=_NUMBER),
                label_width=5,
                id="line-qty-field",
            )
            yield FormField(
                "Price",
                Input(id="line-price", compact=True, restrict=_NUMBER),
                label_width=6,
                id="line-price-field",
            )
        with Horizontal():
            yield FormField(
                "Desc.",
                Input(id="line-description", compact=True),
                label_width=6,
                id="line-description-field",
            )
            yield FormField(
                "Unit",
                Input(id="line-unit", compact=True, value="each"),
                label_width=5,
                id="line-unit-field",
            )
            yield FormField(
                "UNSPSC",
                Input(
                    id="line-unspsc",
                    compact=True,
                    restrict=r"[0-9]*",
                    max_length=8,
                ),
                label_width=7,
                id="line-unspsc-field",
            )
        yield Static("", id="line-messages", classes="editor-messages", markup=False)

    # --- choices ------------------------------------------------------------------------------

    def set_choices(
        self,
        catalogue: Sequence[CatalogueChoice] | None = None,
        services: Sequence[ServiceChoice] | None = None,
        lot: int | None = None,
    ) -> None:
        """The catalogue of the order's sub-LTA (only items of `lot` when it is known) and the
        services a line may carry."""
        if catalogue is not None:
            self._catalogue = {c.sku: c for c in catalogue}
        if services is not None:
            self._services = {s.code: s for s in services}
        self._lot = lot
        items = [
            Choice(
                c.sku,
                c.description,
                f"{format_amount(c.unit_price, c.currency)} {c.currency}/{c.unit}",
            )
            for c in self._catalogue.values()
            if lot is None or c.lot == lot
        ]
        items += [Choice(s.code, s.title, "service") for s in self._services.values()]
        self._input("line-item", ChoiceInput).set_choices(items)

    @property
    def catalogue(self) -> dict[str, CatalogueChoice]:
        return self._catalogue

    @on(ChoiceInput.Chosen, "#line-item")
    def _item_chosen(self, event: ChoiceInput.Chosen) -> None:
        event.stop()
        choice = event.choice
        if choice is None:
            return
        if not event.picked and choice.value == self._loaded_item:
            return  # the line being edited keeps what it had, not the catalogue's values
        self._loaded_item = None
        item = self._catalogue.get(choice.value)
        if item is not None:
            self._kind = "goods"
            self._set("line-description", item.description)
            self._set("line-unit", item.unit)
            self._set("line-unspsc", item.unspsc)
            self._set("line-price", f"{item.unit_price.normalize():f}")
        elif (service := self._services.get(choice.value)) is not None:
            self._kind = "service"
            self._set("line-description", service.title)
            self._set("line-unspsc", _first_code(service.unspsc))
            if self._value("line-unit") in ("", "each"):
                self._set("line-unit", "lot")
        if event.picked:
            self._input("line-qty").focus()

    # --- editing ------------------------------------------------------------------------------

    def load(self, line: LineInput, index: int) -> None:
        """Put line `index` (0-based) in the editor; `enter` puts it back changed."""
        self.editing = index
        self._kind = line.kind
        item = self._input("line-item", ChoiceInput)
        code = line.sku or line.service or ""
        self._loaded_item = code or None
        choice = item.resolve(code) if code else None
        item.take(choice) if choice is not None else setattr(item, "value", code)
        self._set("line-qty", format_quantity(line.quantity).replace(",", ""))
        self._set("line-price", f"{line.unit_price.normalize():f}")
        self._set("line-description", line.description)
        self._set("line-unit", line.unit)
        self._set("line-unspsc", line.unspsc)
        self.show_messages(())
        self._title()
        self.focus_first()

    def clear(self) -> None:
        self._loaded_item = None
        self._kind = "goods"
        self._input("line-item", ChoiceInput).take(None)
        super().clear()

    @on(Input.Submitted)
    def _enter(self, event: Input.Submitted) -> None:
        event.stop()
        self.submit(from_field=event.input.id)

    def submit(self, *, from_field: str | None = None) -> bool:
        """Post the line if it reads well; else focus what is wrong. True when posted."""
        line, problems = self.read()
        if problems:
            first = problems[0]
            order = ("line-item", "line-qty", "line-price", "line-description", "line-unspsc")
            moving_on = (
                first.missing
                and from_field in order
                and first.field in order
                and order.index(first.field) > order.index(from_field)
            )
            self.show_messages(() if moving_on else [p.message for p in problems])
            self._input(first.field).focus()
            return False
        assert line is not None
        self._posted(line)
        return True

    def read(self) -> tuple[LineInput | None, list[_Problem]]:
        """The line typed, or what is wrong with it (in the order of the fields)."""
        problems: list[_Problem] = []
        code = self._input("line-item", ChoiceInput).code
        item = self._catalogue.get(code)
        service = self._services.get(code)
        quantity = self._number("line-qty", "quantity", problems, parse_quantity)
        price = self._number("line-price", "unit price", problems, parse_amount)
        description = self._value("line-description")
        if not description:
            problems.append(_Problem("line-description", "Description: required", True))
        unspsc = self._value("line-unspsc")
        if not unspsc and service is None and item is None:
            problems.append(_Problem("line-unspsc", "UNSPSC: required (8 digits)", True))
        if not code and not description:
            problems.insert(
                0, _Problem("line-item", "Item: type a catalogue item or a service", True)
            )
        if problems or quantity is None or price is None:
            return None, problems
        if service is not None:
            line = LineInput(
                "service",
                description,
                unspsc or _first_code(service.unspsc),
                quantity,
                price,
                self._value("line-unit") or "lot",
                service=service.code,
            )
        else:
            line = LineInput(
                "goods",
                description,
                unspsc or (item.unspsc if item else ""),
                quantity,
                price,
                self._value("line-unit") or "each",
                sku=code or None,
            )
        return line, []

    def _number(
        self,
        name: str,
        what: str,
        problems: list[_Problem],
        parse: Callable[[str], Decimal],
    ) -> Decimal | None:
        text = self._value(name)
        if not text:
            problems.append(_Problem(name, f"{what.capitalize()}: required", True))
            return None
        try:
            return parse(text)
        except MoneyError as exc:
            problems.append(_Problem(name, f"{what.capitalize()}: {exc}"))
            return None

    def _input(self, name: str, kind: type[Input] = Input) -> Input:
        return self.query_one(f"#{name}", kind)


class OrderLinesTable(LinesTable):
    """The lines of the order with their amounts; `enter` edits, `delete` removes a line."""

    _COLUMNS = ("#", "Item", "Description", "Qty", "Unit", "Unit price", "Amount")

    def __init__(self, *, id: str | None = None) -> None:
        super().__init__(id=id)
        self._shown: tuple = ()

    def show(
        self, lines: Sequence[LineInput], currency: str, flagged: set[int] = frozenset()
    ) -> None:
        """Show `lines` (amounts in `currency`); lines in `flagged` (0-based) are marked."""
        key = (tuple(lines), currency, frozenset(flagged), self.size.width)
        if key == self._shown:
            return
        self._shown = key
        amounts = [line_amount(x.quantity, x.unit_price, currency) for x in lines]
        rows = [
            [
                Text(str(n + 1), justify="right"),
                Text(x.sku or x.service or "", no_wrap=True, overflow="ellipsis"),
                Text(x.description, no_wrap=True, overflow="ellipsis"),
                Text(format_quantity(x.quantity), justify="right"),
                Text(x.unit),
                Text(format_amount(x.unit_price, currency), justify="right"),
                Text(format_amount(amount, currency), justify="right"),
            ]
            for n, (x, amount) in enumerate(zip(lines, amounts, strict=True))
        ]
        self.fill(self._COLUMNS, rows, flagged=flagged, flex=2, caps={1: 12})


def _first_code(codes: str) -> str:
    """A service's first UNSPSC code (the reference data lists several)."""
    return (codes.replace(",", " ").split() or [""])[0]
