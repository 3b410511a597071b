"""The requirement lines of the competition form: a two-row editor (description,
specification, then quantity, unit and UNSPSC code with autocomplete from the lot's scope) and
the table of the lines added so far.

`enter` moves to the next field, and adds the line once it reads well (or puts back the line
being edited); taking a UNSPSC code from its list adds a complete line at once. In the table
`enter` edits a line and `delete` removes it. Nothing here reads the database: the form hands
in the codes of the lot.
"""

from __future__ import annotations

from collections.abc import Collection, Sequence
from dataclasses import dataclass
from decimal import Decimal

from rich.text import Text
from textual import on
from textual.app import ComposeResult
from textual.containers import Horizontal
from textual.widgets import Input, Static

from lta_tui.domain.money import MoneyError, format_quantity, parse_quantity
from lta_tui.services.competition_types import RequirementInput
from lta_tui.tui.widgets.choice_input import Choice, ChoiceInput
from lta_tui.tui.widgets.form_field import FormField
from lta_tui.tui.widgets.lines import LineEditorBase, LinesTable

#: The editor's inputs in the order of the paper form.
FIELDS = ("req-description", "req-specification", "req-quantity", "req-unit", "req-unspsc")


@dataclass(frozen=True)
class _Problem:
    field: str  # id of the input to focus
    message: str


def scope_choices(scope: Sequence[str], lot: int) -> list[Choice]:
    """The UNSPSC codes a lot's scope offers: each code prefix as the 8-digit code of its
    level (`432116` → `43211600`), which the scope admits, noting the prefix it stands for."""
    choices = []
    for prefix in scope:
        code = prefix.ljust(8, "0")
        note = f"lot {lot}" if len(prefix) == 8 else f"lot {lot}: any code {prefix}…"
        choices.append(Choice(code, "", note))
    return choices


class RequirementEditor(LineEditorBase):
    """Types one requirement line; posts `Submitted` when the line reads well."""

    DEFAULT_CSS = """
    RequirementEditor {
        & #req-description-field, & #req-specification-field, & #req-unspsc-field {
            width: 1fr;
        }
        & #req-quantity-field {
            width: 18;
        }
        & #req-unit-field {
            width: 18;
        }
    }
    """

    FIELDS = FIELDS
    DEFAULTS = {"req-unit": "each"}
    NEW_TITLE = "Requirement lines · new line: enter adds it"

    def compose(self) -> ComposeResult:
        with Horizontal():
            yield FormField(
                "Desc.",
                Input(id="req-description", compact=True, placeholder="what is asked"),
                label_width=6,
                id="req-description-field",
            )
            yield FormField(
                "Spec.",
                Input(
                    id="req-specification",
                    compact=True,
                    placeholder="technical specification (optional)",
                ),
                label_width=6,
                id="req-specification-field",
            )
        with Horizontal():
            yield FormField(
                "Qty",
                Input(id="req-quantity", compact=True, restrict=r"[0-9.,]*"),
                label_width=6,
                id="req-quantity-field",
            )
            yield FormField(
                "Unit",
                Input(id="req-unit", compact=True, value="each"),
                label_width=5,
                id="req-unit-field",
            )
            yield FormField(
                "UNSPSC",
                ChoiceInput(id="req-unspsc", placeholder="8 digits, in the lot's scope"),
                label_width=7,
                id="req-unspsc-field",
            )
        yield Static("", id="req-messages", classes="editor-messages", markup=False)

    def set_codes(self, choices: Sequence[Choice]) -> None:
        """The UNSPSC codes offered (those of the lot's scope)."""
        self.query_one("#req-unspsc", ChoiceInput).set_choices(choices)

    # --- editing ------------------------------------------------------------------------------

    def load(self, line: RequirementInput, index: int) -> None:
        """Put line `index` (0-based) in the editor; `enter` puts it back changed."""
        self.editing = index
        self._set("req-description", line.description)
        self._set("req-specification", line.specification)
        self._set("req-quantity", format_quantity(line.quantity).replace(",", ""))
        self._set("req-unit", line.unit)
        codes = self.query_one("#req-unspsc", ChoiceInput)
        codes.take(codes.resolve(line.unspsc) or Choice(line.unspsc))
        self.show_messages(())
        self._title()
        self.focus_first()

    def clear(self) -> None:
        self.query_one("#req-unspsc", ChoiceInput).take(None)
        super().clear()

    @on(Input.Submitted)
    def _enter(self, event: Input.Submitted) -> None:
        """enter adds a line that reads well; on a line not yet complete it moves on to the
        next field (the last field says what is missing)."""
        event.stop()
        name = event.input.id or ""
        line, problems = self.read()
        if line is not None or name == FIELDS[-1]:
            self.submit()
            return
        if name in FIELDS:
            self.show_messages(())
            self.query_one(f"#{FIELDS[FIELDS.index(name) + 1]}", Input).focus()

    @on(ChoiceInput.Chosen, "#req-unspsc")
    def _code_chosen(self, event: ChoiceInput.Chosen) -> None:
        event.stop()
        if event.picked and self.read()[0] is not None:
            self.submit()

    def submit(self) -> bool:
        """Post the line if it reads well; else say what is wrong and focus it."""
        line, problems = self.read()
        if problems:
            self.show_messages([p.message for p in problems])
            self.query_one(f"#{problems[0].field}", Input).focus()
            return False
        assert line is not None
        self._posted(line)
        return True

    def read(self) -> tuple[RequirementInput | None, list[_Problem]]:
        """The line typed, or what is wrong with it (in the order of the fields)."""
        problems: list[_Problem] = []
        description = self._value("req-description")
        if not description:
            problems.append(_Problem("req-description", "Description: required"))
        quantity = self._quantity(problems)
        code = self.query_one("#req-unspsc", ChoiceInput).code
        if not code:
            problems.append(_Problem("req-unspsc", "UNSPSC: required (8 digits)"))
        elif len(code) != 8 or not code.isdecimal():
            problems.append(_Problem("req-unspsc", f"UNSPSC: {code!r} is not 8 digits"))
        if problems or quantity is None:
            return None, problems
        line = RequirementInput(
            description=description,
            unspsc=code,
            quantity=quantity,
            unit=self._value("req-unit") or "each",
            specification=self._value("req-specification"),
        )
        return line, []

    def _quantity(self, problems: list[_Problem]) -> Decimal | None:
        text = self._value("req-quantity")
        if not text:
            problems.append(_Problem("req-quantity", "Quantity: required"))
            return None
        try:
            quantity = parse_quantity(text)
        except MoneyError as exc:
            problems.append(_Problem("req-quantity", f"Quantity: {exc}"))
            return None
        if quantity <= 0:
            problems.append(_Problem("req-quantity", "Quantity: must be more than 0"))
            return None
        return quantity


class RequirementLinesTable(LinesTable):
    """The requirement lines; `enter` edits, `delete` removes a line."""

    DEFAULT_CSS = """
    RequirementLinesTable {
        height: auto;
        max-height: 12;
        min-height: 2;
    }
    """

    COLUMNS = ("#", "Description", "Specification", "Qty", "Unit", "UNSPSC")

    def show(self, lines: Sequence[RequirementInput], flagged: Collection[int] = ()) -> None:
        """Show `lines`; lines in `flagged` (0-based) are marked."""
        rows = [
            [
                Text(str(n + 1), justify="right"),
                Text(x.description, no_wrap=True, overflow="ellipsis"),
                Text(x.specification, no_wrap=True, overflow="ellipsis"),
                Text(format_quantity(x.quantity), justify="right"),
                Text(x.unit, no_wrap=True, overflow="ellipsis"),
                Text(x.unspsc),
            ]
            for n, x in enumerate(lines)
        ]
        self.fill(self.COLUMNS, rows, flagged=frozenset(flagged), flex=1, caps={2: 28, 4: 10})
