"""A small modal question answered with `y` or `n` (`esc` is no): discard changes, save despite
warnings. Returns True for yes."""

from __future__ import annotations

from collections.abc import Sequence

from textual import events
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Vertical, VerticalScroll
from textual.screen import ModalScreen
from textual.widgets import Static


class YesNoDialog(ModalScreen[bool]):
    DEFAULT_CSS = """
    YesNoDialog {
        align: center middle;
        background: $background 60%;

        & > Vertical {
            width: 76;
            max-width: 96%;
            height: auto;
            max-height: 90%;
            padding: 1 2;
            border: thick $primary;
            background: $surface;
        }
        &.-warning > Vertical {
            border: thick $warning;
        }
        & #yes-no-title {
            text-style: bold;
        }
        & #yes-no-details {
            height: auto;
            max-height: 14;
            margin: 1 0 0 0;
        }
        & .yes-no-detail {
            color: $text-warning;
        }
        & #yes-no-question {
            margin: 1 0 0 0;
        }
    }
    """

    BINDINGS = [
        Binding("y", "answer(True)", "Yes"),
        Binding("n", "answer(False)", "No"),
        Binding("escape", "answer(False)", "No", show=False),
    ]

    def __init__(
        self, title: str, question: str, details: Sequence[str] = (), *, warning: bool = False
    ) -> None:
        super().__init__(classes="-warning" if warning else None)
        self._title = title
        self._question = question
        self._details = tuple(details)

    def compose(self) -> ComposeResult:
        with Vertical():
            yield Static(self._title, id="yes-no-title", markup=False)
            if self._details:
                with VerticalScroll(id="yes-no-details"):
                    for detail in self._details:
                        yield Static(f"• {detail}", classes="yes-no-detail", markup=False)
            yield Static(f"{self._question}  y / n", id="yes-no-question", markup=False)

    def action_answer(self, yes: bool) -> None:
        self.dismiss(yes)

    def on_key(self, event: events.Key) -> None:
        # keys other than the answers do nothing here and reach no screen underneath
        if event.key not in ("y", "n", "escape", "up", "down", "pageup", "pagedown"):
            event.stop()
