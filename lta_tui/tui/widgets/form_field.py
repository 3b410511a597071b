"""One field of a form: a label, its input, an optional note beside it (a resolved date, a
currency's name) and the messages of the rules about it underneath (errors, then warnings)."""

from __future__ import annotations

from collections.abc import Iterable

from textual.app import ComposeResult
from textual.containers import Horizontal, Vertical
from textual.widget import Widget
from textual.widgets import Input, Label, Static


def show_text(box: Input, text: str) -> None:
    """Put `text` in `box` (unless it holds it already), the cursor at its end when the box is
    being typed in, else at its start so that a long text shows how it begins."""
    if box.value != text:
        box.value = text
        box.cursor_position = len(text) if box.has_focus else 0


class FormField(Vertical):
    DEFAULT_CSS = """
    FormField {
        height: auto;
        width: 1fr;

        & > .field-row {
            height: 1;
        }
        & > .field-row > Input {
            width: 1fr;
        }
        & .field-label {
            width: 13;
            color: $text-muted;
        }
        & .field-aside {
            width: auto;
            max-width: 24;
            padding: 0 0 0 1;
            color: $text-muted;
        }
        & > .field-messages {
            display: none;
            padding: 0 0 0 2;
            color: $text-error;
        }
        & > .field-messages.-warning {
            color: $text-warning;
        }
        & > .field-messages.-shown {
            display: block;
        }
        &:focus-within .field-label {
            color: $text;
            text-style: bold;
        }
    }
    """

    def __init__(
        self,
        label: str,
        control: Widget,
        *,
        label_width: int | None = None,
        id: str | None = None,
        classes: str | None = None,
    ) -> None:
        super().__init__(id=id, classes=classes)
        self.label = label
        self.control = control
        self._label_width = label_width
        self._messages: tuple[str, ...] = ()
        self._aside = ""

    def compose(self) -> ComposeResult:
        with Horizontal(classes="field-row"):
            label = Label(self.label, classes="field-label", markup=False)
            if self._label_width is not None:
                label.styles.width = self._label_width
            yield label
            yield self.control
            yield Static("", classes="field-aside", markup=False)
        yield Static("", classes="field-messages", markup=False)

    def set_aside(self, text: str) -> None:
        """The note beside the input (empty hides it)."""
        if text != self._aside:
            self._aside = text
            self.query_one(".field-aside", Static).update(text)

    def show_messages(self, errors: Iterable[str] = (), warnings: Iterable[str] = ()) -> None:
        """The rules' messages about this field, errors first; none hides the line."""
        errors, warnings = tuple(errors), tuple(warnings)
        messages = errors + warnings
        if messages == self._messages:
            return
        self._messages = messages
        box = self.query_one(".field-messages", Static)
        box.update("\n".join(messages))
        box.set_class(bool(messages), "-shown")
        box.set_class(not errors and bool(warnings), "-warning")
        self.set_class(bool(errors), "-error")

    @property
    def messages(self) -> tuple[str, ...]:
        return self._messages
