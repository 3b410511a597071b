"""A horizontal bar chart in block characters: one line per bar, `label ████▍ 1.23M`."""

from __future__ import annotations

from dataclasses import dataclass
from decimal import Decimal

from rich.text import Text
from textual.widget import Widget

_EIGHTHS = " ▏▎▍▌▋▊▉"


@dataclass(frozen=True)
class Bar:
    label: str
    amount: Decimal


def compact_amount(amount: Decimal) -> str:
    """`1.23M`, `845.1k`, `950`: an amount short enough for a chart."""
    value = abs(amount)
    sign = "-" if amount < 0 else ""
    for threshold, suffix in ((Decimal(10) ** 9, "B"), (Decimal(10) ** 6, "M"), (1000, "k")):
        if value >= threshold:
            scaled = value / threshold
            digits = 2 if scaled < 10 else 1 if scaled < 100 else 0
            return f"{sign}{scaled:.{digits}f}{suffix}"
    return f"{sign}{value:.0f}"


def bar_cells(fraction: float, width: int) -> str:
    """A bar `fraction` (0–1) of `width` cells long, to an eighth of a cell."""
    eighths = round(fraction * width * 8)
    if fraction > 0:
        eighths = max(1, eighths)  # a small amount still shows
    full, rest = divmod(eighths, 8)
    return "█" * full + (_EIGHTHS[rest] if rest else "")


class BarChart(Widget):
    """Bars scaled to the largest amount; labels and amounts stay readable at any width."""

    COMPONENT_CLASSES = {"bar-chart--bar", "bar-chart--label", "bar-chart--amount"}

    DEFAULT_CSS = """
    BarChart { height: auto; }
    BarChart > .bar-chart--bar { color: $primary; }
    BarChart > .bar-chart--label { color: $text; }
    BarChart > .bar-chart--amount { color: $text-muted; }
    """

    def __init__(self, *, id: str | None = None, empty: str = "no data") -> None:
        super().__init__(id=id)
        self._bars: list[Bar] = []
        self._empty = empty

    @property
    def bars(self) -> list[Bar]:
        return list(self._bars)

    def update(self, bars: list[Bar]) -> None:
        self._bars = list(bars)
        self.refresh(layout=True)

    def get_content_height(self, container, viewport, width: int) -> int:
        return max(1, len(self._bars))

    def render(self) -> Text:
        if not self._bars:
            return Text(self._empty, style=self.get_component_rich_style("bar-chart--amount"))
        width = self.content_region.width or self.size.width
        amounts = [compact_amount(b.amount) for b in self._bars]
        amount_width = max(len(a) for a in amounts)
        label_width = min(max(len(b.label) for b in self._bars), max(6, width * 2 // 5))
        bar_width = max(1, width - label_width - amount_width - 2)
        top = max((b.amount for b in self._bars), default=Decimal(0))
        styles = {
            name: self.get_component_rich_style(f"bar-chart--{name}", partial=True)
            for name in ("bar", "label", "amount")
        }
        text = Text(no_wrap=True, overflow="crop")
        for i, (bar, amount) in enumerate(zip(self._bars, amounts, strict=True)):
            if i:
                text.append("\n")
            label = bar.label
            if len(label) > label_width:
                label = label[: label_width - 1] + "…"
            text.append(f"{label:<{label_width}} ", styles["label"])
            fraction = float(bar.amount / top) if top > 0 and bar.amount > 0 else 0.0
            cells = bar_cells(fraction, bar_width)
            text.append(f"{cells:<{bar_width}}", styles["bar"])
            text.append(f" {amount:>{amount_width}}", styles["amount"])
        return text
