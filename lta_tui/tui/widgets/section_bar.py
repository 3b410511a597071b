"""The tab bar under the header: the app's sections with their number keys."""

from __future__ import annotations

from dataclasses import dataclass

from rich.text import Text
from textual import events
from textual.message import Message
from textual.widget import Widget


@dataclass(frozen=True)
class Section:
    mode: str  # the app mode (screen stack) of the section
    key: str  # the number key that switches to it
    label: str
    medium: str  # used when the full labels do not fit
    short: str  # used when the medium labels do not fit either


SECTIONS: tuple[Section, ...] = (
    Section("dashboard", "1", "Dashboard", "Dashboard", "Dash"),
    Section("competitions", "2", "Competitions", "Competitions", "Compet."),
    Section("orders", "3", "Orders", "Orders", "Orders"),
    Section("sub_ltas", "4", "Sub-LTAs", "Sub-LTAs", "Sub-LTAs"),
    Section("consolidators", "5", "Consolidators", "Consolidators", "Consol."),
    Section("rates", "6", "Exchange rates", "FX rates", "FX"),
    Section("spend", "7", "Spend", "Spend", "Spend"),
    Section("monitor", "8", "Monitor", "Monitor", "Monitor"),
)


def section(mode: str) -> Section:
    return next(s for s in SECTIONS if s.mode == mode)


class SectionBar(Widget):
    """One line of `1 Dashboard  2 Competitions …`; the current section is highlighted and a
    click on a label switches to it."""

    COMPONENT_CLASSES = {"section-bar--key", "section-bar--active"}

    DEFAULT_CSS = """
    SectionBar {
        height: 1;
        background: $panel;
        color: $text-muted;
    }
    SectionBar > .section-bar--key { text-style: bold; color: $text-accent; }
    SectionBar > .section-bar--active { background: $primary; color: $text; text-style: bold; }
    """

    class Selected(Message):
        def __init__(self, mode: str) -> None:
            super().__init__()
            self.mode = mode

    def __init__(self, current: str) -> None:
        super().__init__()
        self.current = current
        self._spans: list[tuple[int, int, str]] = []

    def render(self) -> Text:
        width = self.size.width
        labels = [s.label for s in SECTIONS]
        for tier in ("medium", "short"):
            if sum(len(label) + 4 for label in labels) <= width:
                break
            labels = [getattr(s, tier) for s in SECTIONS]
        key_style = self.get_component_rich_style("section-bar--key", partial=True)
        active_style = self.get_component_rich_style("section-bar--active", partial=True)
        text = Text(no_wrap=True, overflow="crop")
        self._spans = []
        for s, label in zip(SECTIONS, labels, strict=True):
            start = len(text)
            style = active_style if s.mode == self.current else ""
            text.append(" ", style)
            text.append(s.key, key_style + active_style if style else key_style)
            text.append(f" {label} ", style)
            self._spans.append((start, len(text), s.mode))
        return text

    def on_click(self, event: events.Click) -> None:
        for start, end, mode in self._spans:
            if start <= event.x < end:
                self.post_message(self.Selected(mode))
                return
