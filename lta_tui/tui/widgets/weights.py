"""The weights of a competition's criteria: a whole number of points per criterion and their
sum, shown as it is typed (R7: a weighted evaluation's weights sum to 100).

Nothing here judges beyond the sum: the form runs the rule and shows its message under the
field. `set_weights` fills the boxes; `weights` reads them back (criteria left at 0 or empty
are not listed).
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence

from rich.text import Text
from textual import on
from textual.app import ComposeResult
from textual.containers import Horizontal
from textual.message import Message
from textual.widget import Widget
from textual.widgets import Input, Label, Static

from lta_tui.domain.states import Criterion

#: The criteria in scoring order, with the label each one has on the form.
CRITERIA: tuple[tuple[str, str], ...] = tuple((c.value, c.label.capitalize()) for c in Criterion)
FULL = 100


class CriteriaWeights(Widget):
    """One small box per criterion, then the live sum; posts `Changed` on every change."""

    DEFAULT_CSS = """
    CriteriaWeights {
        layout: grid;
        grid-size: 3;
        grid-columns: 1fr;
        grid-rows: 1;
        grid-gutter: 0 2;
        height: auto;

        & > .weight {
            height: 1;
        }
        & .weight-label {
            width: 1fr;
            color: $text-muted;
        }
        & .weight:focus-within .weight-label {
            color: $text;
            text-style: bold;
        }
        & .weight > Input {
            width: 5;
        }
        & #weights-sum {
            height: 1;
            text-style: bold;
            color: $text-error;

            &.-full {
                color: $text-success;
            }
        }
    }
    """

    class Changed(Message):
        def __init__(self, weights: CriteriaWeights) -> None:
            super().__init__()
            self.weights_box = weights

        @property
        def control(self) -> CriteriaWeights:
            return self.weights_box

    def __init__(
        self, criteria: Sequence[tuple[str, str]] = CRITERIA, *, id: str | None = None
    ) -> None:
        super().__init__(id=id)
        self._criteria = tuple(criteria)

    def compose(self) -> ComposeResult:
        for name, label in self._criteria:
            with Horizontal(classes="weight"):
                yield Label(label, classes="weight-label", markup=False)
                yield Input(
                    id=f"weight-{name}",
                    compact=True,
                    restrict=r"[0-9]*",
                    max_length=3,
                    placeholder="0",
                )
        yield Static("", id="weights-sum", markup=False)

    def on_mount(self) -> None:
        self._show_sum()

    @property
    def weights(self) -> tuple[tuple[str, int], ...]:
        """(criterion, points) of every criterion given points, in scoring order."""
        found = []
        for name, _ in self._criteria:
            text = self.query_one(f"#weight-{name}", Input).value.strip()
            if text.isdecimal() and int(text):
                found.append((name, int(text)))
        return tuple(found)

    @property
    def total(self) -> int:
        return sum(points for _, points in self.weights)

    def set_weights(self, weights: Mapping[str, int]) -> None:
        for name, _ in self._criteria:
            points = weights.get(name, 0)
            box = self.query_one(f"#weight-{name}", Input)
            text = str(points) if points else ""
            if box.value != text:
                box.value = text
        self._show_sum()

    def focus_first(self) -> None:
        self.query_one(Input).focus()

    @on(Input.Changed)
    def _typed(self, event: Input.Changed) -> None:
        event.stop()
        self._show_sum()
        self.post_message(self.Changed(self))

    def _show_sum(self) -> None:
        total = self.total
        if total == FULL:
            text = Text(f"Sum {total} ✓")
        elif total < FULL:
            text = Text(f"Sum {total}: {FULL - total} to go")
        else:
            text = Text(f"Sum {total}: {total - FULL} too many")
        box = self.query_one("#weights-sum", Static)
        box.update(text)
        box.set_class(total == FULL, "-full")
