"""The `/` filter box of a list: typing filters, enter returns to the list, esc clears it."""

from __future__ import annotations

from textual.binding import Binding
from textual.message import Message
from textual.widgets import Input


class FilterInput(Input):
    BINDINGS = [Binding("escape", "clear_filter", "Clear filter", show=True)]

    class Cleared(Message):
        """The user pressed esc: the filter is empty and the box should close."""

    def __init__(self, *, placeholder: str = "Filter…", id: str | None = None) -> None:
        super().__init__(placeholder=placeholder, id=id, compact=True)

    def action_clear_filter(self) -> None:
        self.value = ""
        self.post_message(self.Cleared())
