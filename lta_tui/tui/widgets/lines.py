"""What the forms with lines share (the order's lines, a competition's requirement lines): the
editor that types one line into a form field by field, and the table of the lines added so far.

A form's editor subclasses `LineEditorBase` for its fields and the line it reads; the table
subclasses `LinesTable` for its columns. The form answers the messages: `Submitted` and
`Cancelled` from the editor, `EditRequested` and `DeleteRequested` from the table.
"""

from __future__ import annotations

from collections.abc import Collection, Mapping, Sequence
from typing import Any, ClassVar

from rich.text import Text
from textual import events
from textual.binding import Binding
from textual.containers import Vertical
from textual.message import Message
from textual.widgets import DataTable, Input, Static

from lta_tui.tui.widgets.form_field import show_text


class LineEditorBase(Vertical):
    """Types one line; posts `Submitted` with the line when it reads well. Subclasses compose
    the fields (`FIELDS`, in the order of the paper form) and a `Static` of class
    `editor-messages`, and read the line."""

    DEFAULT_CSS = """
    LineEditorBase {
        height: auto;
        border-top: solid $primary 50%;
        border-title-color: $text-primary;

        & > Horizontal {
            height: auto;
        }
        & FormField {
            padding: 0 1 0 0;
        }
        & .editor-messages {
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

    #: The ids of the editor's inputs, in the order of the paper form.
    FIELDS: ClassVar[tuple[str, ...]] = ()
    #: The inputs whose value is a default, not typed (the unit's `each`).
    DEFAULTS: ClassVar[Mapping[str, str]] = {}
    #: The border title while a new line is typed.
    NEW_TITLE: ClassVar[str] = "New line · enter adds it"

    class Submitted(Message):
        def __init__(self, editor: LineEditorBase, line: Any, index: int | None) -> None:
            super().__init__()
            self.editor = editor
            self.line = line
            self.index = index  # None: a new line; else the 0-based line it replaces

        @property
        def control(self) -> LineEditorBase:
            return self.editor

    class Cancelled(Message):
        """`esc` while editing a line of the table: it stays as it was."""

    def __init__(self, *, id: str | None = None) -> None:
        super().__init__(id=id)
        self.editing: int | None = None

    def on_mount(self) -> None:
        self._title()

    def load(self, line: Any, index: int) -> None:
        """Put line `index` (0-based) in the editor; `enter` puts it back changed."""
        raise NotImplementedError

    def submit(self) -> bool:
        """Post the line if it reads well; else say what is wrong. True when posted."""
        raise NotImplementedError

    @property
    def is_blank(self) -> bool:
        """Nothing typed in the editor (a default such as the unit's does not count)."""
        return not any(self._value(n) for n in self.FIELDS if n not in self.DEFAULTS)

    def focus_first(self) -> None:
        self.query_one(f"#{self.FIELDS[0]}", Input).focus()

    def show_messages(self, messages: Sequence[str]) -> None:
        box = self.query_one(".editor-messages", Static)
        box.update("\n".join(messages))
        box.set_class(bool(messages), "-shown")

    def _title(self) -> None:
        if self.editing is None:
            self.border_title = self.NEW_TITLE
        else:
            self.border_title = f"Line {self.editing + 1} · enter puts it back, esc leaves it"
        self.set_class(self.editing is not None, "-editing")

    def on_key(self, event: events.Key) -> None:
        if event.key == "escape" and self.editing is not None:
            event.stop()
            event.prevent_default()
            self.clear()
            self.post_message(self.Cancelled())

    def clear(self) -> None:
        """Empty the editor for a new line."""
        self.editing = None
        for name in self.FIELDS:
            self._set(name, self.DEFAULTS.get(name, ""))
        self.show_messages(())
        self._title()

    def _posted(self, line: Any) -> None:
        """Hand `line` to the form and start a new one."""
        self.post_message(self.Submitted(self, line, self.editing))
        self.clear()
        self.focus_first()

    def _value(self, name: str) -> str:
        return self.query_one(f"#{name}", Input).value.strip()

    def _set(self, name: str, text: str) -> None:
        show_text(self.query_one(f"#{name}", Input), text)


class LinesTable(DataTable):
    """Lines typed in a form, one per row: `enter` asks to edit the line under the cursor,
    `delete` to remove it; the form owning the lines answers `EditRequested` and
    `DeleteRequested` (an order's lines, a competition's requirement lines)."""

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
