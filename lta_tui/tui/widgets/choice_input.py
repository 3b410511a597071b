"""An input with autocomplete: typing filters a list of choices shown under it.

`Input`'s own `Suggester` only completes a prefix inline; a form field needs to find "KE Kenya"
from "ken" and "EUR Euro" from "euro", so the choices drop down in a small list drawn over the
screen (`overlay: screen`, placed under the input like Textual's `Select` overlay).

Keys while the list shows: ↓ ↑ move, `enter` takes the highlighted choice, `esc` closes the
list. `tab` away from text that names no choice takes the highlighted one. The typed text may
also be a choice's code as is ("KE", "eur").
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field

from rich.text import Text
from textual import events
from textual.message import Message
from textual.widgets import Input, OptionList
from textual.widgets.option_list import Option

from lta_tui.tui.widgets.form_field import show_text

#: At most this many choices are listed at once: typing more narrows them.
SHOWN = 40


@dataclass(frozen=True)
class Choice:
    """One value a field accepts: `value` goes into the order; `name` helps to find it; `note`
    is shown in the list only (a price, a validity)."""

    value: str
    name: str = ""
    note: str = ""
    words: tuple[str, ...] = field(default=(), compare=False, repr=False)

    def __post_init__(self) -> None:
        if not self.words:
            lowered = f"{self.value} {self.name}".lower()
            object.__setattr__(self, "words", tuple(lowered.replace("-", " ").split()))

    @property
    def text(self) -> str:
        """What the field shows once the choice is taken."""
        return f"{self.value} {self.name}" if self.name else self.value

    def rank(self, query: str) -> int | None:
        """How well `query` (lower case) finds this choice: 0 best, None not at all."""
        value, name = self.value.lower(), self.name.lower()
        if value == query:
            return 0
        if name == query:
            return 1
        if value.startswith(query):
            return 2
        if name.startswith(query):
            return 3
        if any(word.startswith(query) for word in self.words):
            return 4
        if query in self.text.lower():
            return 5
        return None


def find(choices: Sequence[Choice], typed: str, limit: int = SHOWN) -> list[Choice]:
    """The choices that `typed` finds, best first (then in their own order)."""
    query = " ".join(typed.lower().split())
    if not query:
        return list(choices[:limit])
    ranked = []
    for n, choice in enumerate(choices):
        rank = choice.rank(query)
        if rank is not None:
            ranked.append((rank, n, choice))
    ranked.sort(key=lambda r: (r[0], r[1]))
    return [choice for _, _, choice in ranked[:limit]]


class ChoiceList(OptionList, can_focus=False):
    """The list under a `ChoiceInput`; never focused, driven by the input's keys."""

    DEFAULT_CSS = """
    ChoiceList {
        overlay: screen;
        position: absolute;
        constrain: inside inflect;
        display: none;
        width: auto;
        min-width: 24;
        max-width: 72;
        height: auto;
        max-height: 8;
        padding: 0;
        border: none;
        background: $panel;
        scrollbar-size-vertical: 1;

        &.-shown {
            display: block;
        }
    }
    """


class ChoiceInput(Input):
    """A compact input whose value is one of `choices` (or whatever was typed)."""

    class Chosen(Message):
        """A choice was taken (or the text now names a different choice, or none)."""

        def __init__(self, input: ChoiceInput, choice: Choice | None, picked: bool) -> None:
            super().__init__()
            self.input = input
            self.choice = choice
            #: taken from the list by the user (not merely typed, nor set by the program)
            self.picked = picked

        @property
        def control(self) -> ChoiceInput:
            return self.input

    def __init__(
        self,
        choices: Iterable[Choice] = (),
        *,
        value: str = "",
        placeholder: str = "",
        id: str | None = None,
        classes: str | None = None,
        disabled: bool = False,
    ) -> None:
        super().__init__(
            value=value,
            placeholder=placeholder,
            id=id,
            classes=classes,
            disabled=disabled,
            compact=True,
        )
        self._choices: list[Choice] = list(choices)
        self._by_key: dict[str, Choice] = {}
        self._index()
        self._shown: list[Choice] = []
        self._taken: Choice | None = self.resolve(value)
        self.dropdown = ChoiceList(markup=False)
        self._place: tuple[int, int, int] | None = None

    # --- choices ------------------------------------------------------------------------------

    def _index(self) -> None:
        self._by_key = {}
        for choice in self._choices:
            self._by_key.setdefault(choice.value.lower(), choice)
            self._by_key.setdefault(choice.text.lower(), choice)

    @property
    def choices(self) -> list[Choice]:
        return self._choices

    def set_choices(self, choices: Iterable[Choice]) -> None:
        """Replace the choices; the text stays, and names a choice again if it can."""
        self._choices = list(choices)
        self._index()
        self._note_choice(self.resolve(self.value))
        if self.dropdown.has_class("-shown"):
            self._filter(self.value)

    def resolve(self, text: str) -> Choice | None:
        """The choice `text` names: its code or its shown text, in any case."""
        return self._by_key.get(" ".join(text.split()).lower())

    @property
    def choice(self) -> Choice | None:
        """The choice the text names, or None."""
        return self._taken

    @property
    def code(self) -> str:
        """The chosen value, or the typed text (stripped) when it names no choice."""
        return self._taken.value if self._taken is not None else self.value.strip()

    def take(self, choice: Choice | None, *, picked: bool = False) -> None:
        """Show `choice` in the field (None empties it)."""
        self.hide_choices()
        show_text(self, choice.text if choice is not None else "")
        self._note_choice(choice, picked=picked)

    def _note_choice(self, choice: Choice | None, *, picked: bool = False) -> None:
        if choice != self._taken or picked:
            self._taken = choice
            self.post_message(self.Chosen(self, choice, picked))

    # --- the list -----------------------------------------------------------------------------

    def on_mount(self) -> None:
        self.screen.mount(self.dropdown)

    def on_unmount(self) -> None:
        if self.dropdown.is_attached:
            self.dropdown.remove()

    def watch_value(self, value: str) -> None:
        # at once, not on `Changed`: keys typed fast are all queued before that message
        if not hasattr(self, "_taken"):
            return  # the value set by `Input.__init__`
        self._note_choice(self.resolve(value))
        if self.has_focus and (self._taken is None or value != self._taken.text):
            self._filter(value)

    def _filter(self, typed: str) -> None:
        shown = find(self._choices, typed)
        dropdown = self.dropdown
        if not shown or not dropdown.is_attached:
            self.hide_choices()
            return
        if shown != self._shown:
            self._shown = shown
            dropdown.set_options(Option(_line(c)) for c in shown)
        dropdown.highlighted = 0
        region = self.content_region
        place = (region.x, region.bottom, max(24, region.width))
        if place != self._place:  # under the input, wherever messages above moved it
            self._place = place
            dropdown.styles.offset = place[:2]
            dropdown.styles.min_width = place[2]
        dropdown.add_class("-shown")

    def hide_choices(self) -> None:
        self.dropdown.remove_class("-shown")

    @property
    def choices_shown(self) -> bool:
        return self.dropdown.has_class("-shown")

    def show_choices(self) -> None:
        self._filter("" if self._taken is not None else self.value)

    async def _on_key(self, event: events.Key) -> None:
        if self._handle_list_key(event.key):
            event.stop()
            event.prevent_default()
            return
        await super()._on_key(event)

    def _handle_list_key(self, key: str) -> bool:
        dropdown = self.dropdown
        if not self.choices_shown:
            if key == "down" and self._choices:
                self.show_choices()
                return True
            if key == "enter" and self._taken is None and self.value.strip():
                best = find(self._choices, self.value, limit=1)
                if best:  # what the list would offer first
                    self.take(best[0], picked=True)
                    return True
            return False
        if key == "down":
            dropdown.action_cursor_down()
        elif key == "up":
            dropdown.action_cursor_up()
        elif key == "pagedown":
            dropdown.action_page_down()
        elif key == "pageup":
            dropdown.action_page_up()
        elif key == "enter":
            self._take_highlighted()
        elif key == "escape":
            self.hide_choices()
        else:
            return False
        return True

    def _take_highlighted(self, *, picked: bool = True) -> None:
        index = self.dropdown.highlighted
        if index is not None and index < len(self._shown):
            self.take(self._shown[index], picked=picked)
        else:
            self.hide_choices()

    def _on_blur(self, event: events.Blur) -> None:
        # tab away from half-typed text: take what the list offered
        if self._taken is None and self.value.strip():
            if self.choices_shown:
                self._take_highlighted(picked=False)
            elif best := find(self._choices, self.value, limit=1):
                self.take(best[0])
        self.hide_choices()
        super()._on_blur(event)
        self.cursor_position = 0  # the start of a long name shows when not typing in it


def _line(choice: Choice) -> Text:
    line = Text(choice.value, style="bold")
    if choice.name:
        line.append(f"  {choice.name}")
    if choice.note:
        line.append(f"  {choice.note}", style="dim")
    return line
