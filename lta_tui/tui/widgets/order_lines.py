"""The lines of the order form: a one-row editor (item, quantity, unit price, then description,
unit, UNSPSC) and the table of the lines added so far.

A catalogue item of the sub-LTA fills the description, UNSPSC, unit and unit price; a service
(freight, export licensing, installation/support, warranty) fills its description and UNSPSC.
`enter` adds the line (or puts back the line being edited); in the table `enter` edits a line
and `delete` removes it. Nothing here reads the database: the form hands in the choices.
"""

from __future__ import annotations

from collections.abc import Callable, Collection, Mapping, Sequence
from dataclasses import dataclass
from decimal import Decimal

from rich.text import Text
from textual import events, on
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Horizontal, Vertical
from textual.message import Message
from textual.widgets import DataTable, Input, Static

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

_NUMBER = r"[0-9.,]*"


@dataclass(frozen=True)
class _Problem:
    field: str  # id of the input to focus
    message: str
    missing: bool = False  # only empty: no message needed when moving on to it


class LineEditor(Vertical):
    """Types one line; posts `Submitted` on `enter` when the line reads well."""

    DEFAULT_CSS = """
    LineEditor {
        height: auto;
        border-top: solid $primary 50%;
        border-title-color: $text-primary;

        & > Horizontal {
            height: auto;
        }
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
        & FormField {
            padding: 0 1 0 0;
        }
        & #line-messages {
            display: none;
            color: $text-error;

            &.-shown {
                display: block;
            }
        }
        &.-editing {
            border-top: solid $accent;
        }
    }
    """

    class Submitted(Message):
        def __init__(self, editor: LineEditor, line: LineInput, index: int | None) -> None:
            super().__init__()
            self.editor = editor
            self.line = line
            self.index = index  # None: a new line; else the 0-based line it replaces

        @property
        def control(self) -> LineEditor:
            return self.editor

    class Cancelled(Message):
        """`esc` while editing a line of the table: it stays as it was."""

    def __init__(self, *, id: str | None = None) -> None:
        super().__init__(id=id)
        self._catalogue: dict[str, CatalogueChoice] = {}
        self._services: dict[str, ServiceChoice] = {}
        self._lot: int | None = None
        self.editing: int | None = None
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
        yield Static("", id="line-messages", markup=False)

    def on_mount(self) -> None:
        self._title()

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
        self.editing = None
        self._loaded_item = None
        self._kind = "goods"
        item = self._input("line-item", ChoiceInput)
        item.take(None)
        for name in ("line-qty", "line-price", "line-description", "line-unspsc"):
            self._set(name, "")
        self._set("line-unit", "each")
        self.show_messages(())
        self._title()

    @property
    def is_blank(self) -> bool:
        """Nothing typed in the editor (the unit's default does not count)."""
        names = ("line-item", "line-qty", "line-price", "line-description", "line-unspsc")
        return not any(self._value(n) for n in names)

    def focus_first(self) -> None:
        self._input("line-item").focus()

    def show_messages(self, messages: Sequence[str]) -> None:
        box = self.query_one("#line-messages", Static)
        box.update("\n".join(messages))
        box.set_class(bool(messages), "-shown")

    def _title(self) -> None:
        if self.editing is None:
            self.border_title = "New line · enter adds it"
        else:
            self.border_title = f"Line {self.editing + 1} · enter puts it back, esc leaves it"
        self.set_class(self.editing is not None, "-editing")

    def on_key(self, event: events.Key) -> None:
        if event.key == "escape" and self.editing is not None:
            event.stop()
            event.prevent_default()
            self.clear()
            self.post_message(self.Cancelled())

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
        self.post_message(self.Submitted(self, line, self.editing))
        self.clear()
        self.focus_first()
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

    def _value(self, name: str) -> str:
        return self._input(name).value.strip()

    def _set(self, name: str, text: str) -> None:
        box = self._input(name)
        if box.value != text:
            box.value = text
            box.cursor_position = len(text) if box.has_focus else 0


class LinesTable(DataTable):
    """Lines typed in a form, one per row: `enter` asks to edit the line under the cursor,
    `delete` to remove it; the form owning the lines answers `EditRequested` and
    `DeleteRequested` (the order lines here, a competition's requirement lines)."""

    BINDINGS = [
        Binding("enter", "edit_line", "Edit line", tooltip="Edit this line above"),
        Binding("delete,d", "delete_line", "Delete line", tooltip="Remove this line"),
    ]

    DEFAULT_CSS = """
    LinesTable {
        height: 1fr;
        min-height: 4;

        & > .datatable--cursor {
            text-style: none;
        }
    }
    LinesTable:blur > .datatable--cursor {
        background: $panel;
    }
    """

    class EditRequested(Message):
        def __init__(self, index: int) -> None:
            super().__init__()
            self.index = index

    class DeleteRequested(Message):
        def __init__(self, index: int) -> None:
            super().__init__()
            self.index = index

    def __init__(self, *, id: str | None = None) -> None:
        super().__init__(id=id, cursor_type="row", zebra_stripes=True)
        self._filled: tuple | None = None  # what `fill` was last given, to fill again on resize

    def fill(
        self,
        columns: Sequence[str],
        rows: Sequence[Sequence[Text]],
        *,
        flagged: Collection[int] = frozenset(),
        flex: int = 2,
        caps: Mapping[int, int] | None = None,
    ) -> None:
        """Show `rows` (the line number first) under `columns`, the cursor kept on its line.
        Rows in `flagged` (0-based) are marked; column `flex` takes the width the others
        leave, and `caps` limits the others' widths (column → cells)."""
        self._filled = (columns, rows, flagged, flex, caps, self.size.width)
        cursor = self.cursor_row
        self.clear(columns=True)
        cells = [[cell.copy() for cell in row] for row in rows]
        for n in flagged:
            if n < len(cells):  # a rule stands against the line: say so before its number
                cells[n][0] = Text(f"!{n + 1}", style="bold", justify="right")
                for cell in cells[n][1:]:
                    cell.stylize("bold")
        widths = [max([len(c), *(row[i].cell_len for row in cells)]) for i, c in enumerate(columns)]
        for i, cap in (caps or {}).items():
            widths[i] = min(widths[i], cap)
        # cell padding (1 each side) and room for the vertical scrollbar
        others = sum(w for i, w in enumerate(widths) if i != flex) + 2 * len(widths) + 3
        widths[flex] = max(12, min(widths[flex], self.size.width - others))
        for title, width in zip(columns, widths, strict=True):
            self.add_column(title, width=width)
        for n, row in enumerate(cells):
            self.add_row(*row, key=str(n))
        if cells:
            self.move_cursor(row=min(cursor, len(cells) - 1))

    def on_resize(self, event: events.Resize) -> None:
        if self._filled is not None and self._filled[-1] != self.size.width:
            columns, rows, flagged, flex, caps, _ = self._filled
            self.fill(columns, rows, flagged=flagged, flex=flex, caps=caps)

    def action_edit_line(self) -> None:
        if self.row_count:
            self.post_message(self.EditRequested(self.cursor_row))

    def action_delete_line(self) -> None:
        if self.row_count:
            self.post_message(self.DeleteRequested(self.cursor_row))


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
